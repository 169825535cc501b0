"""The recipe that targets false accepts (issue 15), fast parts only: sound-alikes, SNR mixing,
reverberation, negative-class weighting, score smoothing, the verifier stage (a fake verifier),
the operating point chosen on validation material only and used by ``detect`` by default, and the
batched stream scoring that must match the live detector exactly. The hours-long material is for
scripts/make_trigger_demo.py and benchmarks/trigger_word.py, never for CI."""
import json
import shutil

import numpy as np
import pytest

from workbench.core.audio.dsp import mix_at_snr, rms, snr_db
from workbench.core.audio.noise import ALL_NOISE_KINDS, make_noise
from workbench.core.audio.room import reverberate, room_impulse_response
from workbench.core.audio.wav import write_wav
from workbench.core.studies import trigger_word as tw
from workbench.core.studies.trigger_word.detector import EventRule, StreamingDetector, detect_events, stream_trace
from workbench.core.studies.trigger_word.model import OperatingPoint, TriggerModel, weighted_head
from workbench.core.studies.trigger_word.operating import ScoredStream, choose_operating_point, evaluate_point
from workbench.core.studies.trigger_word.verifier import Decision

SR = 16000


@pytest.fixture(scope="module")
def test_model():
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield TriggerModel.load(tw.test_model_dir())
    torch.set_num_threads(n)


def _chirp_stream(seconds=8.0, at=(1.5, 5.0), seed=1):
    rng = np.random.default_rng(seed)
    x = make_noise("pink", seconds, SR, level=0.01, rng=rng)
    ends = []
    for t in at:
        w = tw.synthetic_word("up", SR, rng=rng)
        a = int(t * SR)
        x[a:a + w.size] += w
        ends.append((a + w.size) / SR)
    return x, ends


# ------------------------------------------------------------------------------ sound-alikes
def test_soundalikes_differ_from_the_word_and_share_its_stress_pattern():
    from workbench.core.studies.trigger_word.soundalikes import (
        edit_distance, find_soundalikes, pronunciation, split_soundalikes, stress_pattern,
    )

    target = pronunciation("activate")
    assert stress_pattern(target) == "101"
    found = find_soundalikes("activate", max_words=30, max_phrases=0, prefer_common=False)
    assert len(found) >= 10
    texts = [s.text for s in found]
    assert "captivate" in texts or "cultivate" in texts or "motivate" in texts
    for s in found:
        assert s.text != "activate" and "activate" not in s.text  # never the word itself (or "activated")
        assert stress_pattern(s.phones) == "101"
        assert 1 <= edit_distance(s.phones, target) == s.distance
    train, held = split_soundalikes(found)
    assert not set(s.text for s in train) & set(s.text for s in held) and held
    # a word the dictionary lacks still gets a pronunciation and neighbours with its stress pattern
    p = pronunciation("zorbulate")
    assert p and all(stress_pattern(s.phones) == stress_pattern(p)
                     for s in find_soundalikes("zorbulate", max_words=5, max_phrases=0, prefer_common=False))


# ------------------------------------------------------------------------- mixing and rooms
@pytest.mark.parametrize("kind", ALL_NOISE_KINDS)
@pytest.mark.parametrize("snr", [0.0, 12.5, 30.0])
def test_mixing_hits_the_asked_snr_within_half_a_db(kind, snr):
    rng = np.random.default_rng(3)
    speech = [tw.synthetic_word("up", SR, rng=rng) for _ in range(3)]
    noise = make_noise(kind, 3.0, SR, level=0.05, rng=4, speech=speech)
    signal = make_noise("pink", 2.0, SR, level=0.1, rng=5)
    mix, scaled = mix_at_snr(signal, noise, snr, rng=rng)
    assert mix.shape == signal.shape
    assert abs(snr_db(signal, mix - signal) - snr) < 0.5
    assert abs(snr_db(signal, scaled) - snr) < 0.5


def test_music_and_clicks_are_new_noises():
    music = make_noise("music", 4.0, SR, rng=1)
    clicks = make_noise("clicks", 4.0, SR, rng=1)
    for x in (music, clicks):
        assert x.shape == (4 * SR,) and rms(x) == pytest.approx(0.05, rel=1e-3)
    spec = np.abs(np.fft.rfft(music))
    assert spec.max() > 20 * np.median(spec)  # tonal: a few strong partials
    frame = SR // 100
    env = np.sqrt(np.mean(clicks[: clicks.size // frame * frame].reshape(-1, frame) ** 2, axis=1))
    assert env.max() > 5 * np.median(env)  # impulsive: bursts over a quiet floor


def test_reverberation_adds_a_decaying_tail_and_keeps_the_level():
    rir = room_impulse_response(np.random.default_rng(0), sample_rate=SR, rt60=0.6)
    d = int(np.argmax(np.abs(rir)))
    late = rir[d + int(0.05 * SR):]
    e = np.cumsum(late[::-1] ** 2)[::-1]  # Schroeder decay
    db = 10 * np.log10(e / e[0] + 1e-12)
    t20 = np.argmax(db < -20) / SR  # time to fall 20 dB: a third of RT60
    assert 0.1 < t20 < 0.45
    x = np.zeros(SR, np.float32)
    x[4000:4400] = np.hanning(400).astype(np.float32)
    y = reverberate(x, rir)
    assert y.shape == x.shape and rms(y) == pytest.approx(rms(x), rel=1e-4)
    assert np.abs(y[6000:]).max() > 0.01 * np.abs(y).max()  # it rings on after the sound
    onset = int(np.argmax(np.abs(y) > 0.05 * np.abs(y).max()))
    assert 3950 <= onset <= 4300  # aligned on the direct sound: nothing before the sound, labels stay put
    dry = reverberate(x, rir, wet=0.0)
    np.testing.assert_allclose(dry, x, atol=1e-6)


# --------------------------------------------------------------------------------- weighting
def test_negative_class_weight_scales_the_negative_steps():
    import torch

    raw = torch.tensor([[[2.0], [-1.0], [1.5], [-3.0]]])
    y = torch.tensor([[[1.0], [0.0], [0.0], [0.0]]])
    per = torch.nn.functional.binary_cross_entropy_with_logits(raw, y, reduction="none")[0, :, 0]
    for w in (1.0, 4.0):
        h = weighted_head(w)
        ws = torch.tensor([1.0, w, w, w])
        assert float(h.loss(raw, y)) == pytest.approx(float((per * ws).sum() / ws.sum()), rel=1e-6)
    assert float(weighted_head(1.0).loss(raw, y)) == pytest.approx(float(per.mean()), rel=1e-6)
    # the false accept (logit 1.5 on a negative step) weighs more with a larger weight
    g = []
    for w in (1.0, 8.0):
        r = raw.clone().requires_grad_(True)
        weighted_head(w).loss(r, y).backward()
        g.append(abs(float(r.grad[0, 2, 0])) / abs(float(r.grad[0, 0, 0])))
    assert g[1] > 4 * g[0]


def test_weight_rises_only_while_validation_false_accepts_are_above_target():
    from workbench.core.studies.trigger_word.recipe import RecipeSettings, next_negative_weight

    s = RecipeSettings(negative_weight=1.0, weight_factor=2.0, max_negative_weight=8.0, target_fa_per_hour=0.5)
    w, seen = 1.0, []
    for fa in (40.0, 12.0, 3.0, 0.9, 0.4, 7.0):
        w = next_negative_weight(w, fa, s)
        seen.append(w)
    assert seen == [2.0, 4.0, 8.0, 8.0, 8.0, 8.0]
    assert next_negative_weight(2.0, 0.2, s) == 2.0


# --------------------------------------------------------------------------------- smoothing
def test_smoothing_ignores_a_lone_spike_but_keeps_a_plateau():
    t = np.arange(60) * 0.04
    p = np.full(60, 0.05)
    p[10] = 0.99  # one step: a click
    p[30:45] = 0.9  # a word's plateau
    raw = detect_events(t, p, 0.5, 0.04, 0.5, 0.04, smoothing=1)
    assert [e.step for e in raw] == [10, 30]
    sm = detect_events(t, p, 0.5, 0.04, 0.5, 0.04, smoothing=4)
    assert [e.step for e in sm] == [32]  # the mean of the newest 4 steps crosses 0.5 at step 32
    # the vectorised rule and the live rule agree
    rule = EventRule(0.5, 0.04, 0.5, 0.04, smoothing=4)
    live = [ev for ev in (rule.push(a, b) for a, b in zip(t, p)) if ev is not None]
    assert [(e.step, round(e.probability, 6)) for e in live] == [(e.step, round(e.probability, 6)) for e in sm]


def test_stream_scoring_matches_the_live_detector_exactly(test_model):
    x, _ = _chirp_stream(seconds=47.3, at=(3.0, 20.0, 44.0))  # longer than one feature block (41 s)
    det = StreamingDetector(test_model, smoothing=3)
    det.feed(x)
    det.flush()
    t1, p1 = det.trace()
    t2, p2 = stream_trace(test_model, x, batch=16)
    np.testing.assert_array_equal(t1, t2)
    np.testing.assert_allclose(p1, p2, atol=1e-5)
    assert [e.time for e in det.events] == [e.time for e in detect_events(t2, p2, 0.5, 0.08, 2.0, 0.04, 3)]


# ---------------------------------------------------------------------------------- verifier
class FakeVerifier:
    seconds = 1.5

    def __init__(self, accept):
        self.accept = accept
        self.calls = []

    def verify(self, audio, sample_rate):
        self.calls.append(audio.copy())
        ok = self.accept(len(self.calls))
        return Decision(ok, 0.9 if ok else 0.1)


def test_verifier_confirms_or_rejects_each_first_stage_event(test_model):
    x, ends = _chirp_stream(seconds=9.0, at=(1.5, 5.0))
    plain = StreamingDetector(test_model)
    plain.feed(x)
    plain.flush()
    assert len(plain.events) == 2 and plain.candidates == []

    no = FakeVerifier(lambda k: False)
    d = StreamingDetector(test_model, verifier=no)
    d.feed(x)
    d.flush()
    assert d.events == [] and len(d.candidates) >= 2
    assert all(c.verified is False for c in d.candidates)
    assert all(a.shape == (int(1.5 * SR),) for a in no.calls)
    # the window the verifier hears ends where the first stage fired: it holds the chirp
    first = d.candidates[0]
    w = no.calls[0]
    assert rms(w[-int(0.6 * SR):]) > 3 * rms(x[: int(1.0 * SR)])
    assert first.time >= ends[0] - 0.3

    second_only = FakeVerifier(lambda k: k >= 2)  # rejects the first candidate, accepts the rest
    d2 = StreamingDetector(test_model, verifier=second_only)
    d2.feed(x)
    d2.flush()
    assert d2.candidates[0].verified is False and len(d2.events) >= 1
    assert all(e.verified for e in d2.events) and d2.compute_seconds > 0


# -------------------------------------------------------------------- operating point choice
def _stream(name, kind, probs, ends=(), hours=None):
    t = np.arange(len(probs)) * 0.04
    st = ScoredStream(name, kind, hours * 3600 if hours else len(probs) * 0.04, 0.04)
    st.groups.append((t, np.asarray(probs, np.float32), list(ends)))
    return st


def test_operating_point_is_chosen_on_validation_streams_only():
    p = np.full(500, 0.05)
    ends = []
    for k, peak in enumerate((0.95, 0.9, 0.85, 0.7)):  # four words, the last one weak
        a = 50 + 100 * k
        p[a:a + 10] = peak
        ends.append(a * 0.04)
    val_pos = _stream("val positives", "positive", p, ends)
    n = np.full(2000, 0.05)
    n[100:110] = 0.8  # one false accept at 0.8 in one hour of validation speech
    val_neg = _stream("val speech", "negative", n, hours=1.0)
    op, pts = choose_operating_point([val_pos], [val_neg], target_fa_per_hour=0.5, smoothings=(1,))
    assert 0.8 < op.threshold <= 0.85  # above the false accept, as low as that allows
    assert op.validation["frr"] == pytest.approx(0.25) and op.validation["fa_per_hour"] == 0.0
    assert op.chosen_on == "validation" and op.validation["met"]
    # a test stream with a false accept at 0.84 changes nothing: the choice never sees it
    test_neg = _stream("test speech", "negative", np.where(np.arange(2000) == 5, 0.84, 0.05), hours=1.0)
    again, _ = choose_operating_point([val_pos], [val_neg], target_fa_per_hour=0.5, smoothings=(1,))
    assert again.threshold == op.threshold
    assert evaluate_point([val_pos], [test_neg], op.threshold, 1).fa_per_hour == 0.0 or op.threshold > 0.84
    # unreachable target: the point with the fewest false accepts, and it says so
    worst = _stream("val speech", "negative", np.full(2000, 0.999), hours=0.01)
    op2, _ = choose_operating_point([val_pos], [worst], target_fa_per_hour=0.5, smoothings=(1,))
    assert not op2.validation["met"]


def test_detect_uses_the_stored_operating_point(tmp_path, capsys, test_model):
    from workbench.studies_cli import trigger_word as cli

    folder = tmp_path / "model"
    shutil.copytree(tw.test_model_dir(), folder)
    m = TriggerModel.load(folder)
    assert m.operating_point is None  # a version-1 file loads without one
    m.operating_point = OperatingPoint(threshold=0.97, smoothing=3, min_duration=0.12, refractory=1.5,
                                       chosen_on="validation (test)")
    m.save(folder)
    again = TriggerModel.load(folder)
    assert again.operating_point == m.operating_point
    assert json.loads((folder / "trigger_model.json").read_text())["schema_version"] == 2
    det = StreamingDetector.from_model(again)
    assert (det.rule.threshold, det.rule.smoothing, det.rule.refractory) == (0.97, 3, 1.5)
    assert det.rule.min_steps == 3
    x, _ = _chirp_stream(seconds=8.0)
    wav = write_wav(tmp_path / "two.wav", x, SR)
    assert cli.main(["detect", str(folder), str(wav), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["threshold"] == 0.97 and out["smoothing"] == 3
    assert cli.main(["detect", str(folder), str(wav), "--json", "--threshold", "0.5", "--smoothing", "1"]) == 0
    out2 = json.loads(capsys.readouterr().out)
    assert out2["threshold"] == 0.5 and len(out2["events"]) == 2
    # a damaged operating point is a clear message
    meta = json.loads((folder / "trigger_model.json").read_text())
    meta["operating_point"]["threshold"] = "high"
    (folder / "trigger_model.json").write_text(json.dumps(meta))
    from workbench.core.errors import ProjectError

    with pytest.raises(ProjectError, match="threshold"):
        TriggerModel.load(folder)


def test_model_verifier_round_trip(tmp_path):
    from workbench.core.studies.trigger_word.verifier import ModelVerifier, load_verifier, train_verifier

    rng = np.random.default_rng(0)
    n = int(1.5 * SR)
    pos = np.stack([_padded(tw.synthetic_word("up", SR, rng=rng), n) for _ in range(24)])
    neg = np.stack([_padded(tw.synthetic_word("down", SR, rng=rng), n) for _ in range(24)])
    cfg = tw.TriggerConfig()
    v, fit = train_verifier(pos, neg, cfg, epochs=6, batch_size=16, seed=0)
    assert isinstance(v, ModelVerifier) and fit.history
    assert v.scores(pos[:4]).mean() > v.scores(neg[:4]).mean()
    v.threshold = 0.42
    v.save(tmp_path)
    back = load_verifier(tmp_path, cfg)
    assert back.threshold == 0.42 and back.seconds == 1.5
    np.testing.assert_allclose(back.scores(pos[:3]), v.scores(pos[:3]), atol=1e-5)
    d = back.verify(np.concatenate([np.zeros(SR, np.float32), pos[0]]), SR)
    assert isinstance(d, Decision)


def _padded(x, n):
    out = np.zeros(n, np.float32)
    out[n - min(n, x.size):] = x[:n]
    return out


def test_mixed_clips_are_negative_heavy_with_speech_and_exact_labels():
    from workbench.core.studies.trigger_word.corpus import Speech
    from workbench.core.studies.trigger_word.mixing import MixSettings, Pools, mix_clip_set, positive_stream

    rng = np.random.default_rng(0)
    utt = [(make_noise("pink", 2.0, SR, level=0.05, rng=i) * 32767).astype(np.int16) for i in range(4)]
    speech = Speech(np.concatenate(utt), np.concatenate([[0], np.cumsum([u.size for u in utt])]).astype(np.int64),
                    ["a"] * 4, ["v"] * 4, SR)
    pools = Pools(SR, [tw.synthetic_word("up", SR, rng=rng) for _ in range(4)], ["voice"] * 4,
                  [tw.synthetic_word("down", SR, rng=rng) for _ in range(4)], ["x"] * 4,
                  [tw.synthetic_word("tone", SR, rng=rng)], speech,
                  [make_noise(k, 5.0, SR, rng=1) for k in ("music", "clicks")], ["music", "clicks"],
                  [room_impulse_response(1, sample_rate=SR, rt60=0.3)])
    cfg = tw.TriggerConfig(clip_seconds=4.0, label_steps=20)
    ms = MixSettings(positive_share=0.3)
    cs = mix_clip_set(pools, 60, cfg, ms, seed=1)
    with_pos = [any(s.kind == "positive" for s in segs) for segs in cs.segments]
    assert 0.1 < np.mean(with_pos) < 0.5  # most clips hold no trigger word
    for segs, y in zip(cs.segments, cs.labels[:, :, 0]):
        np.testing.assert_array_equal(y, tw.make_labels(segs, cfg))
    assert cs.features.shape == (60, cfg.input_steps, cfg.n_mels)
    x, ends, voices = positive_stream(pools, 5, cfg, ms, seed=2)
    assert x.size == 5 * 4 * SR and len(ends) == 5 and voices == ["voice"] * 5
    assert all(1.6 <= e - 4 * i <= 2.2 + 1e-9 for i, e in enumerate(ends))


def test_augmentation_warps_and_masks_training_features_only_when_asked():
    from workbench.core.studies.trigger_word.mixing import MixSettings, augment_features

    base = np.full((3, 100, 40), -5.0, np.float32)
    base[:, :, 10] = 5.0  # a formant at mel band 10
    same = augment_features(base.copy(), MixSettings(spec_share=0.0), np.random.default_rng(0))
    np.testing.assert_array_equal(same, base)  # spec_share 0 (and validation clips): untouched
    up = augment_features(base.copy(), MixSettings(spec_share=1.0, warp=(1.2, 1.2), freq_masks=0, time_masks=0),
                          np.random.default_rng(0))
    assert int(np.argmax(up[0, 0])) == 12  # a longer stretch moves the formant up: 10 * 1.2
    ms = MixSettings(spec_share=1.0, warp=(1.0, 1.0), freq_masks=1, freq_mask_bands=5, time_masks=1,
                     time_mask_frames=15)
    a = augment_features(base.copy(), ms, np.random.default_rng(3))
    b = augment_features(base.copy(), ms, np.random.default_rng(3))
    np.testing.assert_array_equal(a, b)  # the same seed, the same masks
    share = np.mean(a != base, axis=(1, 2))  # per clip: cells the masks hid
    assert np.all(share > 0) and np.all(share < 0.35)  # parts of each clip, never most of it
    fill = base[0].mean()
    masked = a[0][a[0] != base[0]]
    assert np.allclose(masked, fill)  # masked cells hold the clip's mean level


def test_the_trigger_word_has_more_training_voices_and_none_held_out():
    from workbench.core.studies.trigger_word import voices as vo

    if not vo.espeak_available():
        pytest.skip("espeak-ng is not installed")
    train = vo.positive_voices("train")
    speech = [v for v in vo.voices_for("train", piper=False) if v.engine == "espeak"]
    assert len(train) > 4 * len(speech)
    names = {v.name for v in train}
    assert {v.name for v in speech} <= names
    held = set(vo.ESPEAK_HELDOUT_VARIANTS)
    for v in train:
        accent, _, variant = v.name.partition("+")
        assert accent not in vo.ESPEAK_HELDOUT_ACCENTS
        assert variant.rstrip("0123456789") not in held and variant not in held  # no steph2 beside steph
    # validation hears the word from voices no training clip has; test from its held-out voices
    val = {v.name for v in vo.positive_voices("val")}
    assert val and not val & names
    assert not {n.partition("+")[2] for n in val} & (held | {n.partition("+")[2] for n in names})
    assert [v.name for v in vo.positive_voices("test")] == [v.name for v in vo.voices_for("test", piper=False)]


def test_sound_alikes_are_reported_but_not_counted_in_the_hourly_budget():
    from workbench.core.studies.trigger_word.recipe import budget_streams

    speech = _stream("val piper speech", "negative", np.full(100, 0.05), hours=1.0)
    alikes = _stream("val sound-alikes", "negative", np.full(100, 0.05), hours=0.05)
    noise = _stream("val noise", "negative", np.full(100, 0.05), hours=0.25)
    assert [s.name for s in budget_streams([speech, alikes, noise])] == ["val piper speech", "val noise"]


def test_recipe_can_start_from_a_saved_model(tmp_path):
    import torch

    from workbench.core.errors import DataError
    from workbench.core.studies.trigger_word.model import spec_for
    from workbench.core.studies.trigger_word.recipe import _start_from

    cfg = tw.TriggerConfig(clip_seconds=4.0, label_steps=20)
    src = TriggerModel.build(cfg, spec_for("tiny"))
    src.metrics = {"recipe": {"rounds": 9}}
    src.save(tmp_path / "prev")
    dst = TriggerModel.build(cfg, spec_for("tiny"))
    got = _start_from(dst, tmp_path / "prev")
    for a, b in zip(src.module.state_dict().values(), dst.module.state_dict().values()):
        assert torch.equal(a, b)
    assert got["recipe"] == {"rounds": 9}
    with pytest.raises(DataError):
        _start_from(TriggerModel.build(cfg, spec_for("small")), tmp_path / "prev")


def _word_speech_pools(trail_seconds=0.08):
    """Pools with pink noise as continuous speech and words that end in some silence (as TTS does)."""
    from workbench.core.studies.trigger_word.corpus import Speech
    from workbench.core.studies.trigger_word.mixing import Pools

    rng = np.random.default_rng(0)
    utt = [(make_noise("pink", 3.0, SR, level=0.05, rng=i) * 32767).astype(np.int16) for i in range(4)]
    speech = Speech(np.concatenate(utt), np.concatenate([[0], np.cumsum([u.size for u in utt])]).astype(np.int64),
                    ["a"] * 4, ["v"] * 4, SR)
    trail = np.zeros(int(trail_seconds * SR), np.float32)
    words = [np.concatenate([tw.synthetic_word(k, SR, rng=rng), trail]) for k in ("up", "up", "down", "tone")]
    return Pools(SR, words[:2], ["voice"] * 2, words[2:3], ["x"], words[3:], speech)


def test_words_said_fluently_have_speech_of_their_level_right_after_them():
    from workbench.core.studies.trigger_word.mixing import MixSettings, _voiced, mix_clip

    pools = _word_speech_pools()
    cfg = tw.TriggerConfig(clip_seconds=4.0, label_steps=20)
    quiet = dict(speech_share=1.0, noise_share=0.0, reverb_share=0.0, gain_db=(0.0, 0.0))
    db = lambda x: 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-12)  # noqa: E731
    for share, expect_speech in ((1.0, True), (0.0, False)):
        ms = MixSettings(**quiet, follow_share=share, hole_share=1.0)
        for i in range(6):
            c = mix_clip(pools, cfg, ms, (4, i), force_positive=True, positive_end=(1.5, 2.5))
            (seg,) = [s for s in c.segments if s.kind == "positive"]
            word = c.audio[seg.start:seg.end]
            a, b = _voiced(word, SR)
            end = seg.start + b  # where the word's voice ends
            after = c.audio[end + int(0.06 * SR):end + int(0.16 * SR)]  # from 60 ms after it
            if expect_speech:  # speech at the word's level (+-4 dB, +-3 dB for the word itself)
                assert abs(db(after) - db(word[a:b])) < 8.0, (i, db(after), db(word[a:b]))
            else:  # said in a pause: quiet after the word
                assert db(after) < db(word[a:b]) - 30
            # the labels are the same "word just ended" labels as for any placement
            np.testing.assert_array_equal(c.labels, tw.make_labels(c.segments, cfg))
            assert c.labels.sum() == cfg.label_steps
    # negatives get the same placement, so "a word, then speech" is no cue by itself
    ms = MixSettings(**quiet, follow_share=1.0, hard_share=1.0, word_share=0.0, fragment_share=0.0)
    c = mix_clip(pools, cfg, ms, (5, 0), force_positive=False)
    (seg,) = [s for s in c.segments if s.kind == "negative"][:1]
    a, b = _voiced(c.audio[seg.start:seg.end], SR)
    assert abs(db(c.audio[seg.start + b + int(0.06 * SR):seg.start + b + int(0.16 * SR)])
               - db(c.audio[seg.start + a:seg.start + b])) < 8.0
    assert c.labels.sum() == 0
    # settings saved before this placement existed still load (with its default share)
    old = {k: v for k, v in MixSettings().to_dict().items() if not k.startswith("follow")}
    assert MixSettings.from_dict(old).follow_share == MixSettings().follow_share
    from workbench.core.studies.trigger_word.recipe import RecipeSettings

    assert RecipeSettings.from_dict({"rounds": 2, "mix": old}).follow_positives["val"] > 0


def test_followed_by_speech_positives_are_a_group_that_the_choice_counts():
    p = np.full(500, 0.05)
    ends = []
    for k in range(4):
        p[50 + 100 * k:60 + 100 * k] = 0.9
        ends.append((50 + 100 * k) * 0.04)
    plain = _stream("val positives", "positive", p, ends)
    f = np.full(500, 0.05)
    f[50:60], f[150:160] = 0.9, 0.5  # followed by speech: one clear, one weak
    followed = _stream("val positives followed-by-speech", "positive", f, ends[:2])
    n = np.full(2000, 0.05)
    n[100:110] = 0.45  # a false accept at 0.45 in one hour of speech
    neg = _stream("val speech", "negative", n, hours=1.0)
    pt = evaluate_point([plain, followed], [neg], 0.6, 1)
    assert pt.frr_by_stream == {"val positives": 0.0, "val positives followed-by-speech": 0.5}
    assert pt.frr == pytest.approx(1 / 6)
    # with the plain positives alone any threshold in 0.45-0.9 is as good; counting the followed
    # ones, the choice goes as low as the false accept allows
    op, _ = choose_operating_point([plain, followed], [neg], target_fa_per_hour=0.5, smoothings=(1,))
    assert op.threshold == 0.5 and op.validation["frr"] == 0.0
    assert op.validation["frr_by_stream"]["val positives followed-by-speech"] == 0.0
