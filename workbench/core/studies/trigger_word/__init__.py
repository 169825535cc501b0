"""Case study 4: trigger-word detection, trained on generated 10 s clips.

    material = load_demo()                                  # or Material(); .add("positives", ...)
    train = generate_clips(material, 2000, TriggerConfig(), seed=0, progress=cb, should_cancel=cb)
    val = generate_clips(material, 300, train.config, seed=1)
    model, fit = train_model(train, val_clips=val, epochs=10)        # the common Trainer, per-step BCE
    report = evaluate(model, val, material, hours=1.0)               # FRR and FA/hour over the threshold
    det = StreamingDetector(model, threshold=0.5, min_duration=0.08, refractory=2.0)
    result = det.run(WavFileSource("talk.wav", sample_rate=16000))   # or open_microphone()
"""
from workbench.core.studies.trigger_word.config import TriggerConfig
from workbench.core.studies.trigger_word.detector import (
    DetectionResult, EventRule, StreamingDetector, TriggerEvent, detect_events,
)
from workbench.core.studies.trigger_word.evaluation import (
    DEFAULT_THRESHOLDS, TARGET_FA_PER_HOUR, TARGET_FRR, EvaluationReport, evaluate, evaluate_clips,
    false_accepts_per_hour, match_events, negative_stream_trace, score_traces, step_times,
)
from workbench.core.data.audio_features import LogMelSpectrogram, mel_filterbank, reference_log_mel
from workbench.core.studies.trigger_word.material import (
    KINDS, Material, demo_dir, generated_backgrounds, load_demo, load_wav_folder, speak, speak_variants,
    synthetic_material, synthetic_word, tts_engine, tts_missing_message,
)
from workbench.core.studies.trigger_word.model import TriggerModel, conv_geometry, default_spec, tiny_spec, train_model
from workbench.core.studies.trigger_word.synthesis import Clip, ClipSet, Segment, generate_clips, make_labels, synthesize_clip


def test_model_dir():
    """The tiny bundled detector of rising chirps (scripts/make_trigger_demo.py --test-model)."""
    return demo_dir() / "test_model"


__all__ = [
    "TriggerConfig", "DetectionResult", "EventRule", "StreamingDetector", "TriggerEvent", "detect_events",
    "DEFAULT_THRESHOLDS", "TARGET_FA_PER_HOUR", "TARGET_FRR", "EvaluationReport", "evaluate", "evaluate_clips",
    "false_accepts_per_hour", "match_events", "negative_stream_trace", "score_traces", "step_times",
    "LogMelSpectrogram", "mel_filterbank", "reference_log_mel", "KINDS", "Material", "demo_dir",
    "generated_backgrounds", "load_demo", "load_wav_folder", "speak", "speak_variants", "synthetic_material",
    "synthetic_word", "tts_engine", "tts_missing_message", "TriggerModel", "conv_geometry", "default_spec",
    "tiny_spec", "train_model", "Clip", "ClipSet", "Segment", "generate_clips", "make_labels", "synthesize_clip",
    "test_model_dir",
]
