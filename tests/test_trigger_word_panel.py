"""Smoke test of the trigger-word panel: material -> clips -> clip view -> model -> detection from a
WAV file -> evaluation, plus the missing-microphone path. Offscreen, tiny sizes."""
import numpy as np
import pytest

pytest.importorskip("pytestqt")

from workbench.core.capture import audio  # noqa: E402
from workbench.core.audio.noise import make_noise  # noqa: E402
from workbench.core.audio.wav import write_wav  # noqa: E402
from workbench.core.studies import trigger_word as tw  # noqa: E402

SR = 16000


@pytest.fixture
def panel(qtbot):
    import torch

    from workbench.ui.context import AppContext
    from workbench.ui.panels.trigger_word import TriggerWordPanel

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    p = TriggerWordPanel(AppContext())
    qtbot.addWidget(p)
    yield p
    p.shutdown()
    torch.set_num_threads(n)


def _wait_job(qtbot, panel, timeout=30000):
    qtbot.waitUntil(lambda: not panel.jobs.busy, timeout=timeout)


def test_panel_flow_material_clips_detect_evaluate(qtbot, panel, tmp_path, monkeypatch):
    panel.load_synthetic()
    _wait_job(qtbot, panel)
    assert panel.material.counts()["positives"] > 0
    assert panel.material_tab.kind_lists["positives"].count() == panel.material.counts()["positives"]

    ct = panel.clips_tab
    ct.n_clips.setValue(10)
    ct.n_val.setValue(4)
    ct.clip_seconds.setValue(4.0)
    panel.generate()
    _wait_job(qtbot, panel)
    assert panel.clips is not None and len(panel.clips["train"]) == 10
    clip = panel.show_clip(3)
    assert clip is not None
    assert ct.spec_img.image.shape == (panel.clips["train"].config.input_steps, 40)
    assert len(ct.segment_items) == len(clip.segments)

    # training through the common Trainer with the live chart (tiny model, 1 epoch)
    tt = panel.train_tab
    tt.preset_combo.setCurrentText("tiny")
    tt.epochs.setValue(1)
    tt.batch.setValue(5)
    panel.train()
    assert panel.jobs.trainer is not None
    _wait_job(qtbot, panel)
    assert panel.model is not None and panel.model.spec.name == "trigger-word-tiny"
    assert len(tt.val_curve.getData()[0]) == 1

    assert panel.load_model(str(tw.test_model_dir()))
    # the clip view now overlays the model's prediction on the labels
    panel.show_clip(3)
    assert ct.pred_curve.getData()[0] is not None

    # detection from a WAV file with two rising chirps (the test model's trigger)
    rng = np.random.default_rng(1)
    x = make_noise("pink", 8.0, SR, level=0.01, rng=rng)
    for t in (1.5, 5.0):
        w = tw.synthetic_word("up", SR, rng=rng)
        x[int(t * SR):int(t * SR) + w.size] += w
    wav = write_wav(tmp_path / "two.wav", x, SR)
    monkeypatch.setattr(audio, "_sounddevice", _no_portaudio)  # beep -> visible signal only
    assert panel.start_detection(str(wav), realtime=False)
    qtbot.waitUntil(lambda: not panel.live.busy, timeout=30000)
    dt = panel.detect_tab
    t, p = panel.trace()
    assert t.size > 100 and p.max() > 0.5
    assert len(dt.events) == 2
    assert "TRIGGER" in dt.trigger_label.text()

    et = panel.evaluate_tab
    et.clips.setValue(10)
    et.hours.setValue(0.01)
    panel.evaluate()
    _wait_job(qtbot, panel)
    assert et.report is not None and "false rejects" in et.text.toPlainText()
    et.use_recommended_threshold()

    st = panel.state()
    panel.restore({**st, "threshold": 0.7, "bogus": 1, "smoothing": "three"})
    assert dt.threshold.value() == pytest.approx(0.7)


def _no_portaudio():
    from workbench.core.errors import DeviceUnavailable

    raise DeviceUnavailable("The PortAudio library is not installed (test).")


def test_panel_without_microphone_shows_message(qtbot, panel, monkeypatch):
    monkeypatch.setattr(audio, "_sounddevice", _no_portaudio)
    panel.start_recording("positives", 2.0)
    qtbot.waitUntil(lambda: not panel.rec.busy, timeout=10000)
    assert panel.banner.level == "error" and "PortAudio" in panel.banner.text()
    assert not panel.play(np.zeros(100, np.float32), SR)
    assert "PortAudio" in panel.banner.text()
    # detection needs a model first: a message, not a crash
    assert not panel.start_detection("microphone")
    assert "model" in panel.banner.text()


def test_panel_generate_without_material_warns(qtbot, panel):
    panel.generate()
    assert not panel.jobs.busy and "trigger word" in panel.banner.text()


def test_panel_shutdown_stops_live_detection(qtbot, panel, tmp_path, monkeypatch):
    monkeypatch.setattr(audio, "_sounddevice", _no_portaudio)
    wav = write_wav(tmp_path / "long.wav", make_noise("pink", 30.0, SR, level=0.01, rng=0), SR)
    assert panel.load_model(str(tw.test_model_dir()))
    assert panel.start_detection(str(wav), realtime=True)  # paced like a microphone: 30 s
    qtbot.waitUntil(lambda: panel.trace()[0].size > 0, timeout=15000)
    panel.shutdown()  # closing the window mid-stream: the worker stops, the thread ends
    assert not panel.live.tasks.busy
    assert panel.trace()[0][-1] < 25.0


def test_panel_recipe_settings_and_stored_operating_point(qtbot, panel, tmp_path):
    import shutil

    from workbench.core.studies.trigger_word.model import OperatingPoint, TriggerModel

    rt = panel.recipe_tab
    rt.word.setText("jarvis")
    rt.target.setCurrentText("2")
    s = rt.settings()
    assert s.trigger_word == "jarvis" and s.target_fa_per_hour == 2.0 and s.rounds == 2  # quick by default
    rt.size.setCurrentIndex(1)
    assert rt.settings().rounds == type(s)().rounds
    rt.word.setText("  ")
    rt.start()
    assert not panel.jobs.busy and "trigger word" in panel.banner.text()
    # a model with a stored operating point: the Detect tab starts from it
    folder = tmp_path / "m"
    shutil.copytree(tw.test_model_dir(), folder)
    m = TriggerModel.load(folder)
    m.operating_point = OperatingPoint(threshold=0.93, smoothing=4, min_duration=0.12, refractory=1.25)
    m.save(folder)
    assert panel.load_model(str(folder))
    dt = panel.detect_tab
    assert (dt.threshold.value(), dt.smoothing.value(), dt.refractory.value()) == (0.93, 4, 1.25)
    assert not dt.second.isEnabled()  # no verifier in this model
    dt.threshold.setValue(0.5)
    dt.use_stored_point()
    assert dt.threshold.value() == 0.93
    assert "Operating point" in panel.train_tab.model_info.text()
