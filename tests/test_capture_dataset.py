"""Capturing a class-per-folder data set, the audio-folder source and augmentation (no Qt)."""
import shutil
import subprocess
import wave

import numpy as np
import pytest

from workbench.core.audio.wav import read_wav, write_wav
from workbench.core.capture.audio import ArrayAudioSource, SyntheticAudioSource
from workbench.core.capture.camera import SyntheticCameraSource
from workbench.core.capture.dataset import CaptureSet, capture_frames, record_clips, split_recording
from workbench.core.data import load_data
from workbench.core.errors import DataError
from workbench.core.safety import UnsafeName

SR = 16000


def speech(word: str, tmp_path) -> tuple[np.ndarray, int]:
    """A real spoken word from espeak-ng (skips when it is not installed)."""
    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed")
    out = tmp_path / f"{word}.wav"
    subprocess.run(["espeak-ng", "-v", "en-us", "-w", str(out), word], check=True, capture_output=True)
    return read_wav(out)


def test_classes_are_safe_folders_and_edits_keep_counts(tmp_path):
    cs = CaptureSet.create(tmp_path, "my data", kind="image")
    assert cs.add_class("thumbs/up") == "thumbs_up"  # a separator typed by the user never makes a path
    assert cs.add_class("fist") == "fist"
    with pytest.raises(DataError, match="already a class"):
        cs.add_class("fist")
    with pytest.raises(UnsafeName):
        cs.add_class("..")
    src = SyntheticCameraSource(size=(320, 240), n_frames=40, fps=30)
    rep = capture_frames(src, cs, "fist", rate=10, max_count=5)
    assert len(rep.saved) == 5 and cs.counts() == {"fist": 5, "thumbs_up": 0}
    # every third frame at 10/s of a 30 fps source; stored as the camera sees it (square, 224 px)
    from workbench.core.capture.camera import read_image_rgb

    assert read_image_rgb(rep.saved[0]).shape == (224, 224, 3)
    assert cs.rename_class("fist", "closed fist") == "closed fist"
    assert cs.counts()["closed fist"] == 5
    bad = cs.samples("closed fist")[:2]
    assert cs.delete_samples("closed fist", [p.name for p in bad]) == 2
    assert cs.counts()["closed fist"] == 3
    cs.delete_class("thumbs_up")
    assert cs.classes() == ["closed fist"]
    assert CaptureSet.open(cs.folder).kind == "image" and CaptureSet.list_sets(tmp_path) == ["my data"]


def test_capture_into_a_class_folder_deleted_outside_the_app(tmp_path):
    cs = CaptureSet.create(tmp_path, kind="image")
    cs.add_class("a")
    shutil.rmtree(cs.folder / "a")
    with pytest.raises(DataError, match="no longer exists"):
        capture_frames(SyntheticCameraSource(n_frames=5), cs, "a", max_count=2)
    assert not (cs.folder / "a").exists()  # not silently re-created, nothing half-written


def test_preview_is_mirrored_and_max_count_and_cancel_stop(tmp_path):
    cs = CaptureSet.create(tmp_path, kind="image")
    cs.add_class("a")
    seen = []
    frames = [np.tile(np.linspace(0, 255, 320).astype(np.uint8)[None, :, None], (240, 1, 3))] * 30
    src = SyntheticCameraSource(lambda i: frames[i], n_frames=30)
    capture_frames(src, cs, "a", rate=30, max_count=100, preview=lambda f, n: seen.append(f),
                   should_cancel=lambda: len(seen) >= 7)
    assert len(cs.samples("a")) == 7
    assert seen[0][0, 0, 0] == 255 and seen[0][0, -1, 0] == 0  # mirrored preview


def test_record_clips_rejects_silence_and_splits_a_long_take(tmp_path):
    cs = CaptureSet.create(tmp_path, "sounds", kind="audio", seconds=0.5)
    cs.add_class("tone")
    cs.add_class("silence")
    rep = record_clips(SyntheticAudioSource("tone", level=0.3, duration=1.6), cs, "tone", count=5)
    assert len(rep.saved) == 3  # 1.6 s holds three 0.5 s clips; the rest is not a whole clip
    x, sr = read_wav(rep.saved[0])
    assert sr == SR and x.size == SR // 2
    levels = []
    rep = record_clips(SyntheticAudioSource("silence", duration=2.0), cs, "silence", count=2,
                       level=levels.append)
    assert rep.saved == [] and rep.rejected == 4 and "rejected" in rep.message and levels
    words = np.zeros(3 * SR, np.float32)
    for start in (0.3, 1.3, 2.3):
        a = int(start * SR)
        words[a:a + 4000] = 0.3 * np.sin(np.arange(4000) / 5.0)
    rep = split_recording(words, SR, cs, "tone")
    assert len(rep.saved) == 3
    from workbench.core.capture.dataset import record_take

    take_levels = []
    rep = record_take(ArrayAudioSource(words, SR), cs, "silence", level=take_levels.append)
    assert len(rep.saved) == 3 and max(take_levels) > -20  # one long take, one clip per sound
    with pytest.raises(DataError, match="0 samples"):
        split_recording(np.zeros(0), SR, cs, "tone")


def test_import_files_skips_what_is_not_audio(tmp_path):
    cs = CaptureSet.create(tmp_path, "s", kind="audio")
    cs.add_class("w")
    good = write_wav(tmp_path / "good.wav", np.sin(np.arange(8000) / 3.0) * 0.5, 8000)
    fake = tmp_path / "fake.wav"
    fake.write_text("this is not audio")
    empty = tmp_path / "empty.wav"
    with wave.open(str(empty), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
    added, skipped = cs.import_files("w", [good, fake, empty, tmp_path / "x.txt"])
    assert len(added) == 1
    reasons = {s[0].rsplit("/", 1)[-1]: s[1] for s in skipped}
    assert "not a PCM WAV" in reasons["fake.wav"] and "0-length" in reasons["empty.wav"]
    assert len(list((cs.folder / "w").iterdir())) == 1


def _write_pcm(path, x, sr, width, channels):
    x = np.clip(x, -1, 1)
    if channels == 2:
        x = np.stack([x, x * 0.5], 1)
    if width == 1:
        raw = ((x * 127) + 128).astype(np.uint8).tobytes()
    elif width == 2:
        raw = (x * 32767).astype("<i2").tobytes()
    elif width == 3:
        v = (x * (2**23 - 1)).astype(np.int32).reshape(-1)
        raw = np.stack([v & 255, (v >> 8) & 255, (v >> 16) & 255], 1).astype(np.uint8).tobytes()
    else:
        raw = (x * (2**31 - 1)).astype("<i4").tobytes()
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(sr)
        w.writeframes(raw)


def test_audio_folder_of_mixed_formats_and_rates_loads_as_log_mel(tmp_path, ):
    root = tmp_path / "sounds"
    for c, f0 in (("low", 200.0), ("high", 2000.0)):
        (root / c).mkdir(parents=True)
        for k, (sr, width, ch, secs) in enumerate([(8000, 1, 1, 0.6), (16000, 2, 2, 1.0), (44100, 3, 1, 1.7),
                                                   (22050, 4, 2, 0.3)]):
            t = np.arange(int(sr * secs)) / sr
            _write_pcm(root / c / f"{k}.wav", 0.5 * np.sin(2 * np.pi * f0 * t), sr, width, ch)
    (root / "low" / "broken.wav").write_bytes(b"RIFF....not really")
    ds = load_data(str(root), clip_seconds=1.0)
    assert ds.kind == "audio" and ds.class_names == ["high", "low"] and len(ds) == 8
    assert ds.X.shape == (8, 98, 40) and ds.X.dtype == np.float32
    assert "resampled from 8000 Hz, 22050 Hz, 44100 Hz" in ds.description
    assert any("broken.wav" in s[0] for s in ds.skipped)
    # the same tone gives the same features whatever the file's rate, width or channels
    low = ds.X[ds.y == 1]
    band = np.argmax(low.mean(axis=(0, 1)))
    assert all(np.argmax(x.mean(0)) == band for x in low)
    again = load_data(ds.source)
    assert np.allclose(again.X, ds.X)


def test_audio_folder_on_real_speech_trains_the_audio_presets(tmp_path):
    from workbench.core.workflow import RunConfig, run_training

    root = tmp_path / "words"
    rng = np.random.default_rng(0)
    for word in ("yes", "no"):
        x, sr = speech(word, tmp_path)
        (root / word).mkdir(parents=True)
        for k in range(12):
            y = x * rng.uniform(0.3, 1.0) + rng.normal(0, 0.003, x.shape)
            write_wav(root / word / f"{k}.wav", np.roll(np.pad(y, (2000, 2000)), int(rng.integers(-1500, 1500))), sr)
    for model, epochs in (("audio-cnn", 12), ("audio-gru", 12)):
        res = run_training(RunConfig(data=str(root), model=model, split="holdout:0.25,0.25", scale="standard",
                                     train={"epochs": epochs, "batch_size": 8}), save=False)
        assert res.record.data["kind"] == "audio"
        assert res.test_metrics["accuracy"] >= 0.8, (model, res.test_metrics)


def test_augmentation_changes_training_batches_only():
    import torch

    from workbench.core.data import Preprocessor, load_builtin
    from workbench.core.data.augment import check_settings, make_augmenter, preview
    from workbench.core.models import Head, LayerSpec, ModelSpec, build_model

    ds = load_builtin("digits")
    pre = Preprocessor("standard").fit(ds)
    aug = make_augmenter({"rotate": 15, "flip": True, "crop": 0.2, "color": 0.3}, pre)
    model = build_model(ModelSpec([LayerSpec.make("Flatten")]), pre.output_shape, (10,), Head("multiclass", "softmax", "cce"))
    model.set_augmentation(aug)
    seen = []
    model.layers[0].register_forward_hook(lambda m, i, o: seen.append(i[0].detach().clone()))
    x = torch.as_tensor(pre.transform(ds, np.arange(16)))
    model.eval()
    model(x)
    model.train()
    model(x)
    assert torch.equal(seen[0], x)  # eval (validation, test, predictions): untouched
    assert not torch.allclose(seen[1], x)  # training batches: changed
    assert seen[1].shape == x.shape
    pairs = preview(ds, pre, {"rotate": 20}, [0, 1])
    assert pairs[0][0].shape == (8, 8, 1) and pairs[0][1].dtype == np.uint8
    with pytest.raises(DataError, match="rotate"):
        check_settings({"rotate": 400}, "image")
    with pytest.raises(DataError, match="images and sounds"):
        check_settings(True, "table")


def test_audio_augmentation_gain_shifts_log_mel_and_noise_fills_silence():
    import torch

    from workbench.core.data.augment import AudioAugment

    v = torch.full((4, 50, 40), -2.5)  # digital silence
    v[:, 20:30] = 1.0
    aug = AudioAugment({"shift": 0.0, "gain_db": 0.0, "noise_snr_db": 20.0}, np.zeros(40, np.float32),
                       np.ones(40, np.float32))
    out = aug(v)
    assert (out[:, :5] > -2.0).all()  # noise where there was silence
    assert torch.allclose(out[:, 20:30], v[:, 20:30], atol=0.1)  # loud parts barely change at 20+ dB SNR
    shifted = AudioAugment({"shift": 0.4, "gain_db": 0.0, "noise_snr_db": 0.0}, np.zeros(40, np.float32),
                           np.ones(40, np.float32))(v)
    assert not torch.equal(shifted, v) and torch.isclose(shifted.max(), torch.tensor(1.0))
