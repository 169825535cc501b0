"""Trigger-word case study: synthesis, labels, spectrogram, model geometry, streaming detection,
metrics. Uses the tiny bundled detector of rising chirps (resources/trigger_word/test_model)."""
import numpy as np
import pytest

from workbench.core.audio.noise import make_noise
from workbench.core.audio.wav import write_wav
from workbench.core.capture.audio import WavFileSource
from workbench.core.errors import DataError, DeviceUnavailable, SpecError
from workbench.core.studies import trigger_word as tw
from workbench.core.studies.trigger_word import (
    ClipSet, EventRule, LogMelSpectrogram, Material, Segment, StreamingDetector, TriggerConfig, TriggerEvent,
    TriggerModel, detect_events, generate_clips, make_labels, match_events, reference_log_mel, synthesize_clip,
)

SR = 16000


@pytest.fixture(scope="module")
def torch1():
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)  # the test machine is shared; one thread is faster under load
    yield torch
    torch.set_num_threads(n)


@pytest.fixture(scope="module")
def material():
    return tw.synthetic_material(SR, seed=3)


@pytest.fixture(scope="module")
def test_model(torch1):
    return TriggerModel.load(tw.test_model_dir())


# ------------------------------------------------------------------------------ synthesis
def test_config_geometry_defaults():
    c = TriggerConfig()
    assert (c.clip_samples, c.input_steps, c.output_steps) == (160000, 998, 246)
    assert c.step_seconds == pytest.approx(0.04)
    # the first step after a word end has heard it; the one before has not
    for end in (5000, 16000, 80123, 159999):
        j = c.first_step_after(end)
        assert c.step_end_sample(j) >= end
        assert j == 0 or c.step_end_sample(j - 1) < end
    with pytest.raises(DataError):
        TriggerConfig(f_max=9000)


@pytest.mark.parametrize("seed", range(25))
def test_clip_has_no_overlaps_and_exact_labels(material, seed):
    c = TriggerConfig(clip_seconds=4.0)
    clip = synthesize_clip(material, c, (7, seed))
    assert clip.audio.shape == (c.clip_samples,) and clip.audio.dtype == np.float32
    assert clip.labels.shape == (c.output_steps,)
    assert np.max(np.abs(clip.audio)) <= 0.99 + 1e-6
    segs = clip.segments
    assert sum(s.kind == "positive" for s in segs) <= c.max_positives
    assert sum(s.kind in ("negative", "fragment") for s in segs) <= c.max_negatives
    for i, a in enumerate(segs):
        assert 0 <= a.start < a.end <= c.clip_samples
        for b in segs[i + 1:]:
            assert not a.overlaps(b), (a, b)
    expected = np.zeros(c.output_steps)
    for s in clip.positives:
        j0 = c.first_step_after(s.end)
        expected[j0:j0 + 50] = 1
        # exactly the 50 steps right after the word (fewer only when the clip ends first)
        assert clip.labels[j0:j0 + 50].sum() == min(50, c.output_steps - j0)
        assert j0 == 0 or c.step_end_sample(j0 - 1) < s.end <= c.step_end_sample(j0)
    assert np.array_equal(clip.labels, expected)


def test_labels_clipped_at_end_and_exactly_50():
    c = TriggerConfig()
    seg = [Segment("positive", 10000, 20000, 0, 0.0), Segment("negative", 30000, 40000, 0, 0.0),
           Segment("positive", 150000, 159000, 0, 0.0)]
    y = make_labels(seg, c)
    j0 = c.first_step_after(20000)
    assert np.nonzero(y[:120])[0].tolist() == list(range(j0, j0 + 50))
    j1 = c.first_step_after(159000)
    assert y[j1:].sum() == c.output_steps - j1 and y[j1 - 1] == 0


def test_synthesis_is_seeded_and_positives_are_placed(material):
    c = TriggerConfig(clip_seconds=4.0)
    a = synthesize_clip(material, c, (1, 2))
    b = synthesize_clip(material, c, (1, 2))
    assert np.array_equal(a.audio, b.audio) and a.segments == b.segments
    many = synthesize_clip(material, c, (1, 3), n_positives=2, n_negatives=0)
    assert len(many.positives) == 2 and many.labels.sum() > 0


def test_generate_clips_shapes_progress_cancel_and_remake(material, tmp_path, torch1):
    c = TriggerConfig(clip_seconds=3.0)
    calls = []
    cs = generate_clips(material, 10, c, seed=4, batch=4, progress=lambda d, t, s="": calls.append((d, t)))
    assert cs.features.shape == (10, c.input_steps, c.n_mels) and cs.labels.shape == (10, c.output_steps, 1)
    assert calls == [(4, 10), (8, 10), (10, 10)]
    clip = cs.remake(material, 7)
    assert np.allclose(LogMelSpectrogram(c)(clip.audio), cs.features[7], atol=1e-4)
    assert np.array_equal(clip.labels, cs.labels[7, :, 0])
    p = cs.save(tmp_path / "clips.npz")
    back = ClipSet.load(p)
    assert np.array_equal(back.features, cs.features) and back.segments == cs.segments and back.config == c
    assert generate_clips(material, 10, c, seed=4, batch=4, should_cancel=lambda: True) is None
    with pytest.raises(DataError, match="trigger word"):
        generate_clips(Material(), 2, c)


# ------------------------------------------------------------------------------ features
def test_spectrogram_matches_numpy_reference(torch1):
    c = TriggerConfig(clip_seconds=1.0)
    rng = np.random.default_rng(0)
    x = (0.1 * rng.standard_normal(c.clip_samples)).astype(np.float32)
    x += 0.3 * np.sin(2 * np.pi * 1000 * np.arange(x.size) / SR).astype(np.float32)
    ours = LogMelSpectrogram(c, "cpu")(x)
    ref = reference_log_mel(x, c)
    assert ours.shape == ref.shape == (c.input_steps, c.n_mels)
    assert np.max(np.abs(ours - ref)) < 2e-3
    # a 1 kHz tone lands in the mel band around 1 kHz
    band = int(np.argmax(ours.mean(axis=0)))
    fb = tw.mel_filterbank(SR, c.n_fft, c.n_mels, c.f_min, c.f_max)
    assert abs(np.argmax(fb[:, band]) * SR / c.n_fft - 1000) < 150
    batch = LogMelSpectrogram(c)(np.stack([x, x]))
    assert batch.shape == (2, c.input_steps, c.n_mels)


def test_model_output_length_matches_labels(torch1):
    c = TriggerConfig()
    m = TriggerModel.build(c)  # the models library's "trigger-word" preset
    assert tw.conv_geometry(m.spec) == (15, 4)
    x = torch1.zeros(2, c.input_steps, c.n_mels)
    m.module.eval()
    assert tuple(m.module(x).shape) == (2, c.output_steps, 1)
    small = TriggerModel.build(TriggerConfig(clip_seconds=2.0), tw.tiny_spec(8, 8))
    assert tuple(small.module(torch1.zeros(1, small.config.input_steps, 40)).shape) == (1, small.config.output_steps, 1)


def test_conv_geometry_rejects_same_padding_and_no_conv():
    from workbench.core.models import LayerSpec, ModelSpec

    with pytest.raises(SpecError, match="valid"):
        tw.conv_geometry(ModelSpec([LayerSpec.make("Conv1D", filters=4, kernel=3, padding="same")]))
    with pytest.raises(SpecError, match="Conv1D"):
        tw.conv_geometry(ModelSpec([LayerSpec.make("GRU", units=4, return_sequences=True)]))


def test_training_uses_common_trainer_and_saves(material, tmp_path, torch1):
    c = TriggerConfig(clip_seconds=2.0, max_positives=1)
    tr = generate_clips(material, 16, c, seed=1)
    va = generate_clips(material, 8, c, seed=2)
    from workbench.core.runs import RunStore

    store = RunStore(tmp_path / "project")
    tm, res = tw.train_model(tr, val_clips=va, spec=tw.tiny_spec(4, 4), epochs=2, batch_size=8, device="cpu",
                             run_store=store)
    assert len(res.history) == 2 and np.isfinite(res.history[-1]["val_loss"])
    run = store.load(tm.metrics["run"]["run_id"])
    assert run.task == "sequence_binary" and run.study == "trigger_word" and len(run.history) == 2
    tm.save(tmp_path / "m")
    back = TriggerModel.load(tmp_path / "m")
    assert np.allclose(back.predict(va.features), tm.predict(va.features), atol=1e-6)


# ------------------------------------------------------------------------------ detection
def _stream_with_words(words, seconds=16.0, seed=5):
    """Pink noise with synthetic words at known times; returns audio and the positives' end times."""
    rng = np.random.default_rng(seed)
    x = make_noise("pink", seconds, SR, level=0.01, rng=rng)
    ends = []
    for t, kind in words:
        w = tw.synthetic_word(kind, SR, rng=rng)
        a = int(t * SR)
        x[a:a + w.size] += w
        if kind == "up":
            ends.append((a + w.size) / SR)
    return x, ends


def test_streaming_detection_from_wav_fires_once_per_positive(test_model, tmp_path):
    words = [(1.5, "up"), (4.0, "down"), (6.5, "up"), (9.0, "tone"), (11.5, "noise"), (13.5, "up")]
    x, ends = _stream_with_words(words)
    path = write_wav(tmp_path / "talk.wav", x, SR)
    det = StreamingDetector(test_model, threshold=0.5, min_duration=0.08, refractory=1.5)
    res = det.run(WavFileSource(path, block=1000))
    assert len(res.events) == len(ends) == 3, [e.time for e in res.events]
    for ev, end in zip(res.events, ends):
        latency = ev.time - end
        assert -0.1 <= latency <= 0.6, (ev.time, end)
    # the trace is continuous: one point per output step, increasing times
    assert np.allclose(np.diff(res.times), test_model.config.step_seconds)
    assert res.audio_seconds == pytest.approx(16.0)
    assert res.real_time_factor < 1.0


def test_streaming_detector_ignores_negatives_only(test_model):
    x, ends = _stream_with_words([(1.0, "down"), (3.0, "tone"), (5.0, "noise"), (7.0, "down")], seconds=9.0, seed=8)
    assert ends == []
    res = StreamingDetector(test_model).run(tw_source(x))
    assert res.events == []
    assert res.probs.max() < 0.5


def tw_source(x):
    from workbench.core.capture.audio import ArrayAudioSource

    return ArrayAudioSource(x, SR, block_size=777)


def test_streaming_detector_independent_of_block_size(test_model):
    x, _ = _stream_with_words([(1.0, "up"), (4.0, "up")], seconds=6.0, seed=9)
    a = StreamingDetector(test_model)
    b = StreamingDetector(test_model)
    a.feed(x)
    a.flush()
    for i in range(0, x.size, 333):
        b.feed(x[i:i + 333])
    b.flush()
    assert np.allclose(a.trace()[0], b.trace()[0]) and np.allclose(a.trace()[1], b.trace()[1], atol=1e-5)
    assert [e.step for e in a.events] == [e.step for e in b.events] and len(a.events) == 2


def test_detector_rejects_wrong_sample_rate(test_model):
    from workbench.core.capture.audio import ArrayAudioSource

    with pytest.raises(DataError, match="Hz"):
        StreamingDetector(test_model).run(ArrayAudioSource(np.zeros(100), 8000))


# ------------------------------------------------------------------------------ metrics
def test_event_rule_min_duration_and_refractory():
    t = np.arange(100) * 0.04
    p = np.zeros(100)
    p[10:12] = 0.9  # 2 steps: too short for 0.12 s
    p[30:40] = 0.9  # fires once at the 3rd step
    p[45:50] = 0.9  # within the refractory period of the previous event: silent
    p[90:95] = 0.9  # after it: fires
    ev = detect_events(t, p, threshold=0.5, min_duration=0.12, refractory=2.0, step_seconds=0.04)
    assert [e.step for e in ev] == [32, 92]
    assert EventRule(0.5, 0.0, 1.0, 0.04).min_steps == 1


def test_match_events_counts_hits_misses_and_false_accepts():
    evs = [TriggerEvent(1.1, 0.9, 0), TriggerEvent(5.0, 0.9, 1), TriggerEvent(9.05, 0.9, 2)]
    caught, false, lat = match_events(evs, [1.0, 3.0, 9.0], max_latency=0.5)
    assert caught == 2 and false == 1
    assert lat == pytest.approx([0.1, 0.05])


def test_score_traces_curve_is_monotone():
    c = TriggerConfig(clip_seconds=4.0)
    times = tw.step_times(c)
    probs = np.zeros((2, c.output_steps))
    j = c.first_step_after(int(1.0 * SR))
    probs[0, j:j + 10] = 0.7  # a positive caught only at thresholds <= 0.7
    probs[1, 60:70] = 0.4  # a false accept at thresholds <= 0.4
    sc = tw.score_traces(probs, times, [[1.0], []], c, thresholds=[0.3, 0.5, 0.8])
    assert sc.frr.tolist() == [0.0, 0.0, 1.0]
    assert sc.false_accepts.tolist() == [1, 0, 0]
    assert sc.latency_median[0] == pytest.approx(times[j + 1] - 1.0)


def test_evaluate_reports_frr_and_false_accepts_per_hour(test_model, material):
    c = test_model.config
    held = generate_clips(material, 24, c, seed=99)
    rep = tw.evaluate(test_model, held, material, hours=0.02, thresholds=[0.3, 0.5, 0.9])
    assert rep.positives > 10
    assert rep.stream_hours == pytest.approx(0.02, rel=0.05)
    assert rep.at(0.5)["frr"] <= 0.1
    assert rep.fa_per_hour.shape == (3,) and np.all(np.diff(rep.fa_per_hour) <= 0)
    assert np.all(np.diff(rep.frr) >= 0)
    assert "false rejects" in rep.to_text()
    assert rep.recommended_threshold(max_fa_per_hour=1e9) == 0.3


# ------------------------------------------------------------------------------ material
def test_material_from_folders_and_demo(tmp_path):
    m = tw.synthetic_material(SR, n_words=2)
    m.save(tmp_path / "set")
    back = Material.from_folder(tmp_path / "set", SR)
    assert back.counts() == m.counts()
    with pytest.raises(DataError, match="no .wav"):
        tw.load_wav_folder(tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        Material.from_folder(tmp_path / "nope")
    demo = tw.load_demo(SR)
    assert demo.trigger_word == "activate"
    assert min(demo.counts().values()) >= 5
    assert all(p.dtype == np.float32 and 0.2 * SR < p.size < 2 * SR for p in demo.positives)


def test_generated_material_only_still_makes_clips():
    m = Material(sample_rate=SR)
    m.add("positives", [tw.synthetic_word("up", SR, rng=0)])
    clip = synthesize_clip(m, TriggerConfig(clip_seconds=2.0), 0, n_positives=1)
    assert len(m.backgrounds) == 5  # generated white, pink, brown, hum, babble
    assert len(clip.positives) == 1


def test_tts_espeak_and_missing_engine(monkeypatch):
    if tw.tts_engine() is not None:
        x = tw.speak("activate", sample_rate=SR, speed=180, pitch=40)
        assert x.dtype == np.float32 and 0.2 * SR < x.size < 1.5 * SR
    import shutil

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(tw.material, "_piper_available", lambda: False)
    assert tw.tts_engine() is None
    with pytest.raises(DeviceUnavailable, match="espeak-ng"):
        tw.speak_variants("activate", count=2)


def test_match_events_merges_words_within_refractory():
    evs = [TriggerEvent(1.1, 0.9, 0)]
    # two words 1 s apart: a detector with a 2 s refractory period can fire once for both
    assert match_events(evs, [1.0, 2.0], max_latency=2.0, merge_within=2.0)[:2] == (2, 0)
    assert match_events(evs, [1.0, 2.0], max_latency=2.0, merge_within=0.0)[:2] == (1, 0)
    assert match_events([], [1.0], max_latency=2.0) == (0, 0, [])


def test_fragments_and_speed_augmentation_are_negatives(material):
    c = TriggerConfig(clip_seconds=4.0, fragment_share=1.0, speed_range=(0.8, 0.8), max_negatives=2)
    lengths = {len(p) for p in material.positives} | {len(p) for p in material.negatives}
    seen_fragment = False
    for i in range(10):
        clip = synthesize_clip(material, c, (3, i), n_positives=0, n_negatives=2)
        assert clip.labels.sum() == 0  # pieces of the trigger word are labelled 0
        for s in clip.segments:
            seen_fragment |= s.kind == "fragment"
            assert s.kind == "fragment" and (s.end - s.start) not in lengths
    assert seen_fragment
    slow = synthesize_clip(material, TriggerConfig(clip_seconds=4.0, speed_range=(0.8, 0.8)), (3, 0), n_positives=1)
    p = slow.positives[0]
    assert p.end - p.start == pytest.approx(len(material.positives[p.index]) / 0.8, abs=2)
    with pytest.raises(DataError, match="speed_range"):
        TriggerConfig(speed_range=(1.2, 1.0))


def test_material_rejects_sentences_and_demo_stream(material):
    m = Material(sample_rate=SR)
    m.add("positives", [np.ones(4 * SR, np.float32) * 0.1], trim=False)
    with pytest.raises(DataError, match="longer than 3 s"):
        m.check()
    from workbench.core.studies.trigger_word.synthesis import demo_stream

    audio, ends, negs = demo_stream(material, TriggerConfig(), 20.0, seed=1)
    assert audio.shape == (20 * SR,) and len(ends) >= 2 and len(negs) >= 1
    assert all(0 < e < 20 for e in ends)
