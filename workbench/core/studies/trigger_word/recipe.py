"""The recipe that targets false accepts: material at scale, training in rounds that raise the
negative-class weight and feed mined false accepts back, a second-stage verifier, and the
operating point chosen on validation material; then the held-out evaluation.

    settings = RecipeSettings(trigger_word="activate")
    result = run_recipe(settings, cache="/path/to/cache", progress=cb, should_cancel=cb)
    result.model.save("my_model")                     # with its operating point and verifier
    report = evaluate_heldout(result.model, settings)  # (heldout.py) FRR / FA per hour per held-out engine

Rounds (``rounds`` x ``epochs_per_round`` epochs, each fit by the common ``Trainer``): fresh
negative-heavy clips are mixed each round (``mixing``); after the round the model listens to
a new stretch of the training speech and every false accept it finds becomes a training clip
(hard-negative mining); while the false accepts per hour on the validation speech stay above
``target_fa_per_hour`` the negative class weight is multiplied by ``weight_factor`` (as
openWakeWord does). ``RecipeResult.rounds`` keeps the figures of every round.

Which material is used where is in ``corpus.HOLDOUT`` and ``voices.VOICE_SPLITS``; the settings
and that description are stored in the model file.
"""
from __future__ import annotations

import json
import re
import time
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from workbench.core.errors import Cancelled, DataError
from workbench.core.studies.trigger_word.config import TriggerConfig
from workbench.core.studies.trigger_word.corpus import HOLDOUT, Speech, cache_dir, render_speech
from workbench.core.studies.trigger_word.engines import ENGINE_SPLITS, ENGINES, check_engine_splits, engine_of
from workbench.core.studies.trigger_word.mixing import (
    MixSettings, Pools, mix_clip, mix_clip_set, noise_stream, positive_stream, speech_chunks,
)
from workbench.core.studies.trigger_word.voices import VOICE_SPLITS, Voice, positive_voices, voices_for

# training speeds stay >= 0.03 away from the held-out ones (0.75, 1.07, 1.3)
PIPER_POSITIVE_SPEEDS = {"train": (0.7, 0.8, 0.84, 0.88, 0.92, 0.96, 1.0, 1.03, 1.12, 1.16, 1.2, 1.24, 1.35, 1.4),
                         "val": (0.86, 0.98, 1.18),
                         "test": VOICE_SPLITS["test"]["piper_speeds"]}
PUNCTUATION = ("{}", "{}.", "{}!", "{}?", "{},")  # piper says the word with other intonations
OTHER_WORDS = {"train": ("banana", "computer", "weather", "music", "tomato", "evening", "window", "yellow",
                         "hello", "action", "relative", "actor", "estimate", "table", "kitchen", "seven"),
               "val": ("garden", "picture", "morning", "rocket"),
               "test": ("candle", "elephant", "cupboard", "vacation", "orange", "teacher")}


def _default_hours():
    return {"train": {"piper": 0.5, "espeak": 1.0}, "val": {"flite": 1.0}, "test": {"festival": 1.0}}


def _default_engines():
    return {k: list(v) for k, v in ENGINE_SPLITS.items()}


_WORD = re.compile(r"^[^\W\d_]+(?:[ '\-][^\W\d_]+)*$")


def check_trigger_word(word) -> str:
    """The trigger word (or short phrase) a user typed: letters with single spaces, hyphens or
    apostrophes between them, at most 40 characters; DataError otherwise (it is spoken by the voices
    and becomes part of cache file names)."""
    from workbench.core.errors import DataError

    text = " ".join(str(word if word is not None else "").split())
    if not text or len(text) > 40 or not _WORD.match(text):
        raise DataError(f"{str(word)[:60]!r} cannot be a trigger word; type a word or a short phrase of letters "
                        "(e.g. 'activate' or 'hey computer'), at most 40 characters.")
    return text


@dataclass
class RecipeSettings:
    trigger_word: str = "activate"
    model: str = "small"  # spec name (model.spec_for)
    clip_seconds: float = 4.0
    label_steps: int = 20
    train_clips: int = 5000
    val_clips: int = 600
    rounds: int = 4
    epochs_per_round: int = 5
    batch_size: int = 64
    lr: float = 3e-3
    negative_weight: float = 1.0
    weight_factor: float = 2.0
    max_negative_weight: float = 16.0
    target_fa_per_hour: float = 0.5
    mine_hours: float = 0.5  # training speech the model listens to per round for mining
    mine_threshold: float = 0.5
    max_mined: int = 1500
    verifier: str = "model"  # "model" | "pocketsphinx" | "none"
    # which engines train, choose (validation) and test: whole engines are held out
    engines: dict = field(default_factory=_default_engines)
    # piper's sampling noise for the training positives: [[noise_scale, noise_w_scale], ...] said in
    # addition to the deterministic ones (empty: none; sampled speech is not reproducible)
    piper_noise: list = field(default_factory=list)
    speech_hours: dict = field(default_factory=_default_hours)
    positive_reps: dict = field(default_factory=lambda: {"train": 4, "val": 1, "test": 2})
    soundalike_voices: int = 12
    val_positives: int = 300
    test_positives: int = 500
    # positives said fluently with speech right after them (a wake word then a command), scored
    # as a group of their own beside the ones above
    follow_positives: dict = field(default_factory=lambda: {"val": 150, "test": 250})
    noise_hours: dict = field(default_factory=lambda: {"val": 0.25, "test": 1.0})
    seed: int = 0
    threads: int | None = 1
    init_from: str | None = None  # a trigger-word model folder whose weights the first round starts from
    mix: MixSettings = field(default_factory=MixSettings)

    def __post_init__(self):
        self.check()

    def check(self) -> "RecipeSettings":
        """Every field within its declared bounds (again after fields were set one by one)."""
        from workbench.core import params as P

        self.trigger_word = check_trigger_word(self.trigger_word)
        self.engines = {k: list(v) for k, v in check_engine_splits(self.engines).items()}

        P.validate({"rounds": self.rounds, "epochs": self.epochs_per_round, "batch_size": self.batch_size,
                    "lr": self.lr, "seed": self.seed, "threads": self.threads, "train_clips": self.train_clips,
                    "val_clips": self.val_clips, "clip_seconds": self.clip_seconds},
                   (P.ROUNDS, P.EPOCHS, P.BATCH_SIZE, P.LR, P.SEED, P.THREADS, P.CLIP_SECONDS,
                    P.param(P.SAMPLES, "train_clips", "number of training clips"),
                    P.param(P.SAMPLES, "val_clips", "number of validation clips")), where="the recipe settings")
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["mix"] = self.mix.to_dict()
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "RecipeSettings":
        names = {f.name for f in fields(cls)}
        kw = {k: v for k, v in (d or {}).items() if k in names}
        if isinstance(kw.get("mix"), dict):
            kw["mix"] = MixSettings.from_dict(kw["mix"])
        if "engines" not in kw and isinstance(kw.get("speech_hours"), dict):
            # a recipe from before engines were held out: it validated and tested on held-out voices of
            # its training engines; measured now, it chooses on and reports on unseen engines
            kw["speech_hours"] = {**kw["speech_hours"], "val": _default_hours()["val"],
                                  "test": _default_hours()["test"]}
        return cls(**kw)

    @classmethod
    def quick(cls, trigger_word: str = "activate", **kw) -> "RecipeSettings":
        """The recipe sized for a panel run of some minutes (less material, fewer rounds)."""
        base = dict(trigger_word=trigger_word, train_clips=2000, val_clips=200, rounds=2, epochs_per_round=3,
                    mine_hours=0.2, speech_hours={"train": {"piper": 0.4, "espeak": 0.2},
                                                  "val": {"flite": 0.2}, "test": {"festival": 0.5}},
                    positive_reps={"train": 2, "val": 1, "test": 1}, soundalike_voices=6, val_positives=150,
                    test_positives=200, follow_positives={"val": 60, "test": 100}, noise_hours={"val": 0.1, "test": 0.25})
        base.update(kw)
        return cls(**base)

    def trigger_config(self, sample_rate: int = 16000) -> TriggerConfig:
        return TriggerConfig(sample_rate=sample_rate, clip_seconds=self.clip_seconds, label_steps=self.label_steps)


# --------------------------------------------------------------------------------- material
def _say_all(items: list[tuple[str, Voice]], cache: Path, tag: str, sample_rate: int,
             should_cancel=None) -> Speech | None:
    """Each (text, voice) spoken once; cached as one Speech file keyed by the list."""
    import hashlib

    from workbench.core.studies.trigger_word.corpus import _append, _read_part, write_part

    key = hashlib.sha1(json.dumps([[t, v.engine, v.name, v.speed, v.pitch] + ([list(v.noise)] if v.noise else [])
                                   for t, v in items]).encode()).hexdigest()[:12]
    from workbench.core.safety import safe_child, sanitize_name

    # the tag holds the trigger word a user typed: the file name goes through the safe-path helper
    npy = safe_child(cache, "words", sanitize_name(f"{tag}-{key}.npy"), what="cache file name")
    if npy.exists() and npy.with_suffix(".json").exists():
        got = _read_part(npy, sample_rate)
        if got is not None:
            return got
    chunks, offs, texts, labels, n = [], [0], [], [], 0
    for text, v in items:
        if should_cancel is not None and should_cancel():
            return None
        n = _append(chunks, offs, texts, labels, v.say(text, sample_rate), text, v.label, n, sample_rate // 20)
    if not chunks:
        raise DataError(f"No speech engine could say the {tag}; install espeak-ng or the piper voice.")
    write_part(npy, chunks, offs, texts, labels)
    return Speech(np.concatenate(chunks), np.asarray(offs, np.int64), texts, labels, sample_rate)


def _jitter(v: Voice, rng) -> Voice:
    if v.engine != "espeak":
        return v
    return Voice("espeak", v.name, int(np.clip(v.speed + rng.integers(-25, 26), 100, 230)),
                 int(np.clip(v.pitch + rng.integers(-15, 16), 10, 90)))


def budget_streams(streams):
    """The negative streams the false-accept budget is counted on: speech and noise, whose hours
    are hours a user lives through; not the sound-alike stream (hundreds of near-misses an hour,
    reported on its own)."""
    return [st for st in streams if not st.name.endswith("sound-alikes")]


def build_pools(split: str, settings: RecipeSettings, *, cache: str | Path | None = None, material=None,
                sample_rate: int = 16000, progress: Callable | None = None,
                should_cancel: Callable[[], bool] | None = None) -> Pools:
    """The material of one split (train | val | test), made or loaded from the cache."""
    from workbench.core.audio.noise import ALL_NOISE_KINDS, make_noise
    from workbench.core.audio.room import room_impulse_response
    from workbench.core.studies.trigger_word.soundalikes import find_soundalikes, split_soundalikes

    def cancelled():
        return should_cancel is not None and should_cancel()

    def say(text):
        if progress is not None:
            progress(0, 0, f"{split} material: {text}")

    root = cache_dir(cache)
    s = settings
    word = s.trigger_word.strip()
    if not word:
        raise DataError("Type the trigger word first.")
    seed = [s.seed, ("train", "val", "test").index(split)]
    rng = np.random.default_rng(seed)
    pools = Pools(sample_rate=sample_rate)
    from workbench.core.errors import DeviceUnavailable
    from workbench.core.studies.trigger_word.engines import split_available
    from workbench.core.studies.trigger_word.voices import held_out_engine_voices

    engines, missing = split_available(s.engines.get(split, ENGINE_SPLITS[split]))
    pools.missing_engines = missing
    if not engines:
        raise DeviceUnavailable(" ".join(missing.values()) or f"No speech engine is set for the {split} material.")
    espeak = [v for v in voices_for(split, seed=s.seed, engines=("espeak",))] if "espeak" in engines else []
    piper_ok = "piper" in engines and bool(voices_for(split, engines=("piper",)))
    held = [v for e in engines if e not in ("espeak", "piper") for v in held_out_engine_voices(e)]
    word_voices = espeak + held  # the voices that say sound-alikes and other words

    say("the trigger word")
    items = [(word, _jitter(v, rng)) for v in (positive_voices(split, seed=s.seed) if espeak else [])
             for _ in range(int(s.positive_reps.get(split, 1)))]
    if piper_ok:
        items += [(p.format(word), Voice("piper", "joe", sp)) for sp in PIPER_POSITIVE_SPEEDS[split] for p in PUNCTUATION]
        if split == "train":
            items += [(p.format(word), Voice("piper", "joe", sp, noise=(float(a), float(b))))
                      for a, b in s.piper_noise for sp in PIPER_POSITIVE_SPEEDS[split] for p in PUNCTUATION]
    items += [(p.format(word), v) for v in held for p in PUNCTUATION]
    sp = _say_all(items, root, f"{split}-positives-{word}", sample_rate, should_cancel)
    if sp is None:
        raise Cancelled("Cancelled.")
    pools.positives = [sp.utterance(i) for i in range(len(sp))]
    pools.positive_voices = list(sp.voices)
    if split == "train":  # the natural voice is what users sound like: a third of the positives drawn
        piper = [i for i, v in enumerate(sp.voices) if v.startswith("piper")]
        reps = int(round(0.5 * (len(sp) - len(piper)) / max(1, len(piper)))) if piper else 0
        for _ in range(max(0, reps - 1)):
            pools.positives += [pools.positives[i] for i in piper]
            pools.positive_voices += [pools.positive_voices[i] for i in piper]
    if material is not None and material.positives:  # the user's own recordings (every 5th validates)
        own = [x for i, x in enumerate(material.positives) if (i % 5 == 4) == (split == "val")]
        if split != "test":
            pools.positives += own
            pools.positive_voices += ["own recording"] * len(own)

    say("sound-alikes")
    alikes = find_soundalikes(word)
    tr_al, te_al = split_soundalikes(alikes)
    chosen = te_al if split == "test" else tr_al
    items = []
    for a in chosen:
        for v in rng.permutation(len(word_voices))[: s.soundalike_voices]:
            items.append((a.text, _jitter(word_voices[int(v)], rng)))
        if piper_ok:
            items += [(a.text, Voice("piper", "joe", float(x))) for x in VOICE_SPLITS[split]["piper_speeds"][:2]]
    if items:
        hn = _say_all(items, root, f"{split}-soundalikes-{word}", sample_rate, should_cancel)
        if hn is None:
            raise Cancelled("Cancelled.")
        pools.hard_negatives = [hn.utterance(i) for i in range(len(hn))]
        pools.hard_texts = list(hn.texts)
    others = [w for w in OTHER_WORDS[split] if word.lower() not in w]
    items = [(w, _jitter(word_voices[int(rng.integers(len(word_voices)))], rng)) for w in others
             for _ in range(3)] if word_voices else []
    if items:
        ow = _say_all(items, root, f"{split}-words", sample_rate, should_cancel)
        if ow is None:
            raise Cancelled("Cancelled.")
        pools.words = [ow.utterance(i) for i in range(len(ow))]
    if material is not None and split == "train":
        pools.words += list(material.negatives)

    parts = []
    for engine, hours in s.speech_hours.get(split, {}).items():
        if hours <= 0 or engine not in engines or (engine == "piper" and not piper_ok) or (engine == "espeak" and not espeak):
            continue
        # the held-out engines read two text sources (reviews and grammar sentences); the training
        # engines' renderings stay as they were made
        got = render_speech(split, engine, hours, sample_rate=sample_rate, seed=s.seed, cache=root,
                            texts="imdb" if engine in ("espeak", "piper") else "imdb+grammar",
                            progress=progress, should_cancel=should_cancel)
        if got is None:
            raise Cancelled("Cancelled.")
        parts.append(got.without(word))
    pools.speech = Speech.concat(parts) if parts else None
    if cancelled():
        raise Cancelled("Cancelled.")

    say("noise and rooms")
    babble_src = [pools.speech.utterance(i) for i in rng.permutation(len(pools.speech))[:64]] if pools.speech else None
    for k, kind in enumerate(ALL_NOISE_KINDS):
        for j in range(2):
            pools.noises.append(make_noise(kind, 30.0, sample_rate, level=0.05, rng=np.random.default_rng(seed + [k, j]),
                                           speech=babble_src))
            pools.noise_kinds.append(kind)
    if material is not None and split == "train":
        pools.noises += list(material.backgrounds)
        pools.noise_kinds += ["own background"] * len(material.backgrounds)
    pools.rirs = [room_impulse_response(np.random.default_rng(seed + [100, i]), sample_rate=sample_rate)
                  for i in range(24 if split == "train" else 12)]
    return pools


# ----------------------------------------------------------------------------------- rounds
@dataclass
class RecipeResult:
    model: object  # TriggerModel with operating_point (and verifier)
    rounds: list[dict]
    points: list  # operating.Point on validation, every (threshold, smoothing, verifier) tried
    settings: RecipeSettings
    seconds: float = 0.0


def _negative_streams(model, pools: Pools, settings: RecipeSettings, split: str, *, hours: float | None = None,
                      offset_seconds: float = 0.0, keep_windows: bool = False, keep_audio: bool = False,
                      should_cancel=None, noise_hours=None):
    """Scored negative streams of a split: its speech (``hours`` of it from ``offset_seconds``), a
    stream of negative clips with sound-alikes, and noise; as [(ScoredStream, [audio per group]
    or None)], or None when cancelled."""
    from workbench.core.studies.trigger_word.operating import score_stream

    sr = pools.sample_rate
    out = []

    def scored(name, pieces):
        kept = [] if keep_audio else None

        def gen():
            for x in pieces:
                if kept is not None:
                    kept.append(x)
                yield x, []

        st = score_stream(model, name, "negative", gen(), sample_rate=sr, keep_windows=keep_windows,
                          should_cancel=should_cancel)
        return None if st is None else (st, kept)

    if pools.speech is not None and len(pools.speech):
        # one stream per engine, so each engine's figure stands apart
        for engine in [e for e in ENGINES if e in {engine_of(v) for v in pools.speech.voices}]:
            sp = pools.speech.only(engine)
            if not len(sp):
                continue
            share = sp.seconds / pools.speech.seconds
            got = scored(f"{split} {engine} speech",
                         speech_chunks(sp, seed=settings.seed, start_seconds=offset_seconds * share,
                                       max_seconds=None if hours is None else hours * 3600 * share))
            if got is None:
                return None
            out.append(got)
    if pools.hard_negatives:
        cfg = settings.trigger_config(sr)
        ms = MixSettings.from_dict({**settings.mix.to_dict(), "hard_share": 1.0, "mined_share": 0.0})
        clips = [mix_clip(pools, cfg, ms, (settings.seed + 77, i), force_positive=False).audio
                 for i in range(max(20, len(pools.hard_negatives) // 2))]
        got = scored(f"{split} sound-alikes", [np.concatenate(clips)])
        if got is None:
            return None
        out.append(got)
    nh = noise_hours if noise_hours is not None else settings.noise_hours.get(split, 0.0)
    if nh and pools.noises:
        got = scored(f"{split} noise", [noise_stream(pools.noises, nh * 3600, sr, seed=settings.seed)])
        if got is None:
            return None
        out.append(got)
    return out


FOLLOWED = "followed-by-speech"  # the label (FRR group) of the positives said with speech right after them


def _positive_stream(model, pools, settings, split, n, *, keep_windows=False, should_cancel=None, follow=False):
    """A scored stream of ``n`` positives (ScoredStream, audio); None when cancelled. ``follow``:
    False = in a pause or over the speech (the groups by voice, as measured before), True = every
    one said fluently with speech right after it (the ``FOLLOWED`` group), None = the training mix."""
    from workbench.core.studies.trigger_word.operating import score_stream

    extra = {False: {"follow_share": 0.0}, True: {"follow_share": 1.0, "speech_share": 1.0}, None: {}}[follow]
    ms = MixSettings.from_dict({**settings.mix.to_dict(), "snr_db": (5.0, 30.0), **extra})
    x, ends, voices = positive_stream(pools, n, settings.trigger_config(pools.sample_rate), ms,
                                      seed=settings.seed + (6 if follow else 5))
    name = f"{split} positives" + (f" {FOLLOWED}" if follow else "")
    st = score_stream(model, name, "positive", [(x, ends)], sample_rate=pools.sample_rate,
                      keep_windows=keep_windows, labels=[FOLLOWED] * len(ends) if follow else voices,
                      should_cancel=should_cancel)
    return None if st is None else (st, x)


def _positive_streams(model, pools, settings, split, *, keep_windows=False, should_cancel=None):
    """The split's positive streams: the positives by voice, then (when the settings ask for any)
    the ones followed by speech; [ScoredStream] or None when cancelled."""
    n = settings.val_positives if split == "val" else settings.test_positives
    out = [_positive_stream(model, pools, settings, split, n, keep_windows=keep_windows,
                            should_cancel=should_cancel)]
    n_follow = int((settings.follow_positives or {}).get(split, 0))
    if n_follow and out[0] is not None and pools.speech is not None and len(pools.speech):
        out.append(_positive_stream(model, pools, settings, split, n_follow, keep_windows=keep_windows,
                                    should_cancel=should_cancel, follow=True))
    return None if any(p is None for p in out) else [st for st, _ in out]


def _mine(streams, config: TriggerConfig, threshold: float, limit: int, rng) -> list[np.ndarray]:
    """Clip-length audio ending just after every false accept in the streams."""
    from workbench.core.studies.trigger_word.verifier import window_before

    n = config.clip_samples
    out = []
    for st, audios in streams:
        for g, audio in enumerate(audios):
            for ev in st.events(g, threshold, 1, 0.08, 2.0):
                end = int((ev.time + rng.uniform(0.0, 0.3)) * config.sample_rate)
                out.append(window_before(audio, min(end, audio.size), n).copy())
    if len(out) > limit:
        out = [out[i] for i in rng.permutation(len(out))[:limit]]
    return out


def next_negative_weight(weight: float, val_fa_per_hour: float, settings: RecipeSettings) -> float:
    """The negative-class weight for the next round: raised by ``weight_factor`` (up to
    ``max_negative_weight``) while the validation false accepts per hour are above the target."""
    if val_fa_per_hour > settings.target_fa_per_hour:
        return float(min(settings.max_negative_weight, weight * settings.weight_factor))
    return float(weight)


def run_recipe(settings: RecipeSettings | None = None, *, cache: str | Path | None = None, material=None,
               trainer=None, callbacks: Sequence = (), run_store=None, progress: Callable | None = None,
               should_cancel: Callable[[], bool] | None = None, log: Callable[[str], None] | None = None,
               round_dir: str | Path | None = None) -> RecipeResult | None:
    """Run the whole recipe; returns None when cancelled. With ``round_dir`` the first-stage model
    after every round is saved there (``round-1`` ...), so each step's effect can be measured."""
    import torch

    from workbench.core.studies.trigger_word.model import TriggerModel, spec_for, weighted_head
    from workbench.core.studies.trigger_word.operating import choose_operating_point
    from workbench.core.training import TrainConfig, Trainer

    s = (settings or RecipeSettings()).check()  # fields may have been set one by one since it was made
    t_start = time.perf_counter()
    say = log or (lambda text: None)
    threads_before = torch.get_num_threads()
    if s.threads:
        torch.set_num_threads(int(s.threads))
    stage = {"i": 0}
    n_stages = 3 + s.rounds * 3 + 3

    def step(text):
        stage["i"] += 1
        say(text)
        if progress is not None:
            progress(stage["i"], n_stages, text)

    def sub(done, total, text=""):
        if progress is not None and text:
            progress(stage["i"], n_stages, text)

    def cancelled():
        return should_cancel is not None and should_cancel()

    try:
        step("making the training material")
        train_pools = build_pools("train", s, cache=cache, material=material, progress=sub, should_cancel=should_cancel)
        say(f"train: {train_pools.summary()}")
        step("making the validation material")
        val_pools = build_pools("val", s, cache=cache, material=material, progress=sub, should_cancel=should_cancel)
        say(f"validation: {val_pools.summary()}")
        cfg = s.trigger_config(train_pools.sample_rate)
        step("mixing validation clips")
        val_clips = mix_clip_set(val_pools, s.val_clips, cfg, s.mix, seed=s.seed + 1000, should_cancel=should_cancel)
        if val_clips is None:
            return None
        tm = TriggerModel.build(cfg, spec_for(s.model))
        started_from = None
        if s.init_from:
            started_from = _start_from(tm, s.init_from)
            say(f"starting from the weights of {s.init_from}")
        weight = float(s.negative_weight)
        trainer = trainer or Trainer(callbacks=list(callbacks), device="cpu")
        rounds: list[dict] = []
        mined_total = 0
        for r in range(1, s.rounds + 1):
            step(f"round {r}/{s.rounds}: mixing {s.train_clips} clips")
            clips = mix_clip_set(train_pools, s.train_clips, cfg, s.mix, seed=s.seed + r, progress=sub,
                                 augment=True, should_cancel=should_cancel)
            if clips is None:
                return None
            step(f"round {r}/{s.rounds}: training (negative weight {weight:g})")
            tm.head = weighted_head(weight)
            tc = TrainConfig(epochs=s.epochs_per_round, batch_size=s.batch_size, lr=s.lr * (0.7 ** (r - 1)),
                             seed=s.seed + r, early_stopping=None, restore_best=True)
            fit = trainer.fit(tm.module, tm.head, train=(clips.features, clips.labels),
                              val=(val_clips.features, val_clips.labels), config=tc)
            if fit.stop_reason in ("stopped", "interrupted") or cancelled():
                return None
            step(f"round {r}/{s.rounds}: listening for false accepts")
            val_neg = _negative_streams(tm, val_pools, s, "val", should_cancel=should_cancel)
            val_pos = _positive_streams(tm, val_pools, s, "val", should_cancel=should_cancel)
            mine = _negative_streams(tm, train_pools, s, "train", hours=s.mine_hours,
                                     offset_seconds=(r - 1) * s.mine_hours * 3600, should_cancel=should_cancel,
                                     noise_hours=0.1, keep_audio=True)
            if val_neg is None or val_pos is None or mine is None:
                return None
            from workbench.core.studies.trigger_word.operating import evaluate_point

            at = evaluate_point(val_pos, [st for st, _ in val_neg], 0.5, 1)
            best, _ = choose_operating_point(val_pos, budget_streams([st for st, _ in val_neg]),
                                             target_fa_per_hour=s.target_fa_per_hour)
            found = _mine(mine, cfg, s.mine_threshold, s.max_mined, np.random.default_rng([s.seed, r]))
            room = max(0, s.max_mined - len(train_pools.mined))
            train_pools.mined += found[:room] if room < len(found) else found
            mined_total += len(found)
            row = {"round": r, "negative_weight": weight, "epochs": len(fit.history),
                   "val_loss": fit.history[-1].get("val_loss") if fit.history else None,
                   "val_frr_at_0.5": at.frr, "val_fa_per_hour_at_0.5": at.fa_per_hour,
                   "val_frr_by_stream_at_0.5": at.frr_by_stream,
                   "val_fa_by_stream_at_0.5": {k: v["per_hour"] for k, v in at.fa_by_stream.items()},
                   "val_best": {"threshold": best.threshold, "smoothing": best.smoothing,
                                "frr": best.validation["frr"], "fa_per_hour": best.validation["fa_per_hour"]},
                   "mined": len(found), "mined_in_pool": len(train_pools.mined),
                   "mined_on_hours": sum(st.hours for st, _ in mine), "seconds": time.perf_counter() - t_start}
            rounds.append(row)
            if round_dir is not None:
                tm.metrics = {"round": row}
                tm.save(Path(round_dir) / f"round-{r}")
            say(f"round {r}: val FRR {100 * at.frr:.1f}% / FA {at.fa_per_hour:.1f}/h at 0.5; best on val: "
                f"th {best.threshold:.3f} s{best.smoothing} FRR {100 * best.validation['frr']:.1f}% "
                f"FA {best.validation['fa_per_hour']:.2f}/h; mined {len(found)}")
            weight = next_negative_weight(weight, at.fa_per_hour, s)

        tm.head = weighted_head(1.0)
        verifier = None
        if s.verifier == "model":
            step("training the second-stage verifier")
            verifier = _train_verifier(tm, train_pools, val_pools, s, trainer, should_cancel)
            if verifier is None and cancelled():
                return None
        elif s.verifier == "pocketsphinx":
            from workbench.core.studies.trigger_word.verifier import PocketsphinxVerifier

            verifier = PocketsphinxVerifier(s.trigger_word)
        step("choosing the operating point on validation material")
        got = choose_point(tm, verifier, val_pools, s, should_cancel=should_cancel)
        if got is None:
            return None
        op, points = got
        if op.verifier_threshold is None:
            verifier = None
        elif hasattr(verifier, "threshold"):
            verifier.threshold = float(op.verifier_threshold)
        tm.operating_point = op
        tm.verifier = verifier
        tm.metrics = {"recipe": s.to_dict(), "holdout": HOLDOUT, "rounds": rounds, "mined_total": mined_total,
                      **({"started_from": started_from} if started_from else {}),
                      "train_material": train_pools.summary(), "val_material": val_pools.summary(),
                      "seconds": time.perf_counter() - t_start}
        say(f"operating point (validation): threshold {op.threshold:.3f}, smoothing {op.smoothing}, verifier "
            f"{op.verifier_threshold}; FRR {100 * op.validation['frr']:.1f}%, FA {op.validation['fa_per_hour']:.2f}/h")
        if run_store is not None:
            _save_run(tm, s, rounds, run_store, time.perf_counter() - t_start)
        step("done")
        return RecipeResult(tm, rounds, points, s, time.perf_counter() - t_start)
    except Cancelled:
        return None
    finally:
        torch.set_num_threads(threads_before)


def _start_from(tm, folder) -> dict:
    """Load the weights of the trigger-word model in ``folder`` into ``tm`` (same spec and
    features); returns what it was (its recipe and figures) for the new model's record."""
    from workbench.core.studies.trigger_word.model import TriggerModel

    src = TriggerModel.load(folder)
    if src.spec.to_dict() != tm.spec.to_dict() or not src.config.same_features(tm.config):
        raise DataError(f"The model in {folder} has another layer stack or other features than the recipe's "
                        f"{tm.spec.name!r}; start from a model made with the same settings or from scratch.")
    tm.module.load_state_dict(src.module.state_dict())
    return {"folder": str(folder), "recipe": src.metrics.get("recipe"), "rounds": src.metrics.get("rounds"),
            "started_from": src.metrics.get("started_from"),
            "operating_point": src.operating_point.to_dict() if src.operating_point else None}


def _note_soundalikes(op, streams) -> None:
    """Add the sound-alike stream's false accepts at the chosen point to its validation record."""
    from workbench.core.studies.trigger_word.operating import evaluate_point

    alike = [st for st in streams if st.name.endswith("sound-alikes")]
    if alike:
        p = evaluate_point([], alike, op.threshold, op.smoothing, op.verifier_threshold,
                           min_duration=op.min_duration, refractory=op.refractory)
        op.validation.setdefault("fa_by_stream", {}).update(p.fa_by_stream)


def choose_point(model, verifier, val_pools: Pools, s: RecipeSettings, *, should_cancel=None):
    """The operating point (threshold, smoothing and, with ``verifier``, its threshold) with the
    fewest false rejects within the false-accept budget on the VALIDATION pools (validation
    engines only); (OperatingPoint, points) or None when cancelled."""
    from workbench.core.studies.trigger_word.operating import (
        VERIFIER_THRESHOLDS, choose_operating_point, score_verifier,
    )

    val_neg = _negative_streams(model, val_pools, s, "val", keep_windows=verifier is not None,
                                should_cancel=should_cancel)
    val_pos = _positive_streams(model, val_pools, s, "val", keep_windows=verifier is not None,
                                should_cancel=should_cancel)
    if val_neg is None or val_pos is None:
        return None
    if verifier is not None:
        score_verifier(val_pos + [st for st, _ in val_neg], verifier)
    vths = (VERIFIER_THRESHOLDS if hasattr(verifier, "scores") else (0.5,)) if verifier is not None else None
    budget = budget_streams([st for st, _ in val_neg])
    op, points = choose_operating_point(val_pos, budget, target_fa_per_hour=s.target_fa_per_hour,
                                        verifier_thresholds=vths,
                                        chosen_on="validation: " + ", ".join(st.name for st in budget) + ", "
                                        + ", ".join(f"{p.name} ({p.positives})" for p in val_pos))
    _note_soundalikes(op, [st for st, _ in val_neg])
    return op, points


def choose_on_validation(model, settings: RecipeSettings | None = None, *, cache: str | Path | None = None,
                         verifier=None, should_cancel: Callable[[], bool] | None = None):
    """The operating point ``model`` gets on the validation material (validation engines only),
    chosen as the recipe chooses it: the first stage alone, or with ``verifier`` ("stored": the
    model's own). To compare models on validation only, or to re-choose a model's point for other
    engines. (OperatingPoint, points) or None when cancelled."""
    s = settings or RecipeSettings()
    ver = model.verifier if verifier == "stored" else verifier
    pools = build_pools("val", s, cache=cache, sample_rate=model.config.sample_rate, should_cancel=should_cancel)
    return choose_point(model, ver, pools, s, should_cancel=should_cancel)


def _train_verifier(tm, train_pools, val_pools, s: RecipeSettings, trainer, should_cancel):
    """Windows where the first stage fires: near a positive (the word) or anywhere else."""
    from workbench.core.studies.trigger_word.verifier import train_verifier, window_before

    def windows(model, pools, split, n_pos, hours):
        pos = _positive_stream(model, pools, s, split, n_pos, should_cancel=should_cancel, follow=None)
        neg = _negative_streams(model, pools, s, split, hours=hours, should_cancel=should_cancel, noise_hours=0.1,
                                keep_audio=True)
        if pos is None or neg is None:
            return None
        sr = pools.sample_rate
        nwin = int(1.5 * sr)
        st, x = pos
        p_w, n_w = [], []
        t, p, ends = st.groups[0]
        ends_arr = np.asarray(ends)
        for th in (0.3, 0.5, 0.7):
            for ev in st.candidates(0, th, 1, 0.08):
                near = ends_arr.size and np.min(np.abs(ev.time - ends_arr - 0.2)) < 0.9
                w = window_before(x, int(round(ev.time * sr)), nwin)
                (p_w if near else n_w).append(w)
        # the words' ends themselves, slightly shifted, so every positive is seen
        for e in ends:
            for d in (0.05, 0.2, 0.35):
                p_w.append(window_before(x, int(round((e + d) * sr)), nwin))
        for st, audios in neg:
            for g, audio in enumerate(audios):
                for th in (0.3, 0.5):
                    for ev in st.candidates(g, th, 1, 0.08):
                        n_w.append(window_before(audio, int(round(ev.time * sr)), nwin))
        rng = np.random.default_rng(s.seed)
        # plus plain windows of speech so the verifier knows ordinary talk
        if pools.speech is not None and pools.speech.samples.size > nwin:
            for _ in range(len(p_w)):
                off = int(rng.integers(0, pools.speech.samples.size - nwin))
                n_w.append(pools.speech.segment(off, nwin))
        return np.stack(p_w), np.stack(n_w)

    tr = windows(tm, train_pools, "train", max(300, s.val_positives * 2), s.mine_hours)
    va = windows(tm, val_pools, "val", s.val_positives, None)
    if tr is None or va is None:
        return None
    v, _ = train_verifier(tr[0], tr[1], tm.config, val=va, trainer=trainer, seed=s.seed)
    return v


def _save_run(tm, s, rounds, run_store, seconds):
    from workbench.core.runs import build_record

    c = tm.config
    rec = build_record("trigger_word", module=tm.module,
                    name=f"Trigger word recipe ({s.trigger_word})", mode="holdout",
                    task="sequence_binary",
                    data={"name": "trigger-word recipe material", "spec": "trigger_word:recipe", "kind": "audio",
                          "n_samples": s.train_clips * s.rounds, "n_val": s.val_clips, "seed": s.seed,
                          "features": c.to_dict()},
                    model={"name": tm.spec.name, "preset": tm.spec.name, "spec": tm.spec.to_dict()},
                    head=tm.head.to_dict(), seed=s.seed, device="cpu", fit_time=seconds,
                    message="recipe finished",
                    details={"recipe": s.to_dict(), "rounds": rounds, "operating_point": tm.operating_point.to_dict(),
                             "holdout": HOLDOUT})
    run_store.save(rec, weights=tm.module.state_dict())
    tm.metrics["run"] = rec.to_dict()


def __getattr__(name):  # the held-out measurement lives in ``heldout`` (recipe.evaluate_heldout still works)
    if name in ("HeldoutReport", "evaluate_heldout", "run_and_evaluate"):
        from workbench.core.studies.trigger_word import heldout

        return getattr(heldout, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
