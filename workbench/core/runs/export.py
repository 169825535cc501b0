"""Export any trained run: ONNX + TorchScript + ``model.json`` + a short ``example.py``.

    export_run(project, run_id, "out/")        # or: workbench export RUN --project DIR --out out/

``model.json`` holds what someone needs to use the model without Workbench: the class names,
the input shape and layout, the preprocessing with the statistics fitted on the training data
(per-channel offset / scale for images, per-column scaling and categories for tables, the
vocabulary for text, the clip length, sample rate and log-mel settings - filterbank included -
for sounds) and what the output is (probabilities after softmax / sigmoid). ``example.py`` loads
it with onnxruntime and numpy only.

The ONNX file is checked before the export counts: onnxruntime runs it on the run's test samples
(validation samples when there is no test split; random inputs when the data cannot be reloaded)
and its outputs are compared with PyTorch's; the max absolute difference is reported and the
export fails loudly (``ExportError``) above the tolerance. Everything is written into a hidden
temporary folder and renamed into place at the end: a failed export leaves nothing behind.

ONNX is written with torch's TorchScript-based exporter (it handles every layer type of the model
builder, and in our measurements was 2-5x faster than the torch.export-based one, which would
also need onnxscript).
"""
from __future__ import annotations

import io
import os
import secrets
import shutil
import warnings
from pathlib import Path
from typing import Any, Callable

import numpy as np

from workbench.core.errors import ProjectError, WorkbenchError

EXPORT_SCHEMA = 1
FORMATS = ("onnx", "torchscript")
TOLERANCE = 1e-4
MAX_CHECK_SAMPLES = 256
META_FILE = "model.json"
EXAMPLE_FILE = "example.py"


class ExportError(WorkbenchError):
    """An export that could not be made or did not reproduce the model."""


def file_names(prefix: str = "model") -> dict[str, str]:
    return {"onnx": f"{prefix}.onnx", "torchscript": f"{prefix}.torchscript.pt", "meta": f"{prefix}.json"}


def check_formats(formats) -> tuple[str, ...]:
    if isinstance(formats, str):
        formats = [f.strip().lower() for f in formats.split(",") if f.strip()]
    out = tuple(dict.fromkeys(str(f).lower() for f in formats))
    bad = [f for f in out if f not in FORMATS]
    if bad or not out:
        raise ExportError(f"Unknown export format {', '.join(bad) or '(none)'}; choose onnx, torchscript or both "
                          "(onnx,torchscript).")
    return out


class _WithActivation:
    """Factory of the exported module: the model followed by the head's activation."""

    @staticmethod
    def make(model, head, activate: bool):
        from torch import nn

        class Exported(nn.Module):
            def __init__(self):
                super().__init__()
                self.model = model

            def forward(self, x):
                out = self.model(x)
                return head.activate(out) if activate else out

        return Exported().eval()


def _trace(module, example):
    import torch

    from workbench.core.models.pretrained import cache_disabled

    with warnings.catch_warnings(), torch.no_grad(), cache_disabled(module):
        warnings.simplefilter("ignore")
        traced = torch.jit.trace(module, example, check_trace=False)
        buf = io.BytesIO()
        torch.jit.save(traced, buf)
    return buf.getvalue()


def _onnx_bytes(module, example, what: str) -> bytes:
    import torch

    from workbench.core.models.pretrained import cache_disabled

    f = io.BytesIO()
    try:
        with warnings.catch_warnings(), torch.no_grad(), cache_disabled(module):
            warnings.simplefilter("ignore")
            torch.onnx.export(module, (example,), f, input_names=["input"], output_names=["output"],
                              dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}}, dynamo=False,
                              opset_version=17)
    except Exception as e:  # the exporter's own errors are long; one sentence with their first line
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
        raise ExportError(f"{what} could not be exported to ONNX ({type(e).__name__}: {first}); export it as "
                          "TorchScript only (--format torchscript).") from None
    return f.getvalue()


def _run_onnx(data: bytes, X: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    sess = ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: X[i:i + 64]})[0] for i in range(0, len(X), 64)])


def _run_torch(module, X: np.ndarray) -> np.ndarray:
    import torch

    from workbench.core.models.pretrained import cache_disabled

    with torch.no_grad(), cache_disabled(module):
        return np.concatenate([module(torch.from_numpy(X[i:i + 64])).float().numpy() for i in range(0, len(X), 64)])


def export_module(model, head, out_dir: str | os.PathLike, *, input_shape, class_names, samples: np.ndarray,
                  meta: dict, formats=FORMATS, activate: bool = True, prefix: str = "model", example: bool = True,
                  samples_note: str = "", tolerance: float = TOLERANCE, what: str = "The model",
                  on_status: Callable[[str], None] | None = None) -> dict:
    """Write the export folder for a torch ``model`` (eval mode, CPU). ``samples`` are model inputs
    the ONNX / TorchScript files are checked on. Returns the report (also in ``model.json``)."""
    import torch

    formats = check_formats(formats)
    out = Path(out_dir).expanduser()
    names = file_names(prefix)
    if out.exists() and not out.is_dir():
        raise ExportError(f"{out} is a file; choose a folder to export into.")
    if out.is_dir() and any(out.iterdir()) and not (out / names["meta"]).is_file():
        raise ExportError(f"The folder {out} is not empty and holds no Workbench export; choose an empty or new "
                          "folder.")
    model = model.cpu().eval()
    module = _WithActivation.make(model, head, activate)
    X = np.ascontiguousarray(samples[:MAX_CHECK_SAMPLES], dtype=np.float32)
    if len(X) == 0:
        X = np.random.default_rng(0).random((4, *input_shape), dtype=np.float32)
        samples_note = samples_note or "4 random inputs"
    example_in = torch.from_numpy(X[: min(2, len(X))])
    reference = _run_torch(module, X)
    files: dict[str, str | None] = {"onnx": None, "torchscript": None}
    report: dict[str, Any] = {"checked_on": samples_note or f"{len(X)} samples", "n_checked": int(len(X))}
    blobs: dict[str, bytes] = {}
    if "torchscript" in formats:
        if on_status:
            on_status("Writing TorchScript ...")
        blobs["torchscript"] = _trace(module, example_in)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch.jit deprecation notices: TorchScript still works
            ts = torch.jit.load(io.BytesIO(blobs["torchscript"]))
        with torch.no_grad():
            got = np.concatenate([ts(torch.from_numpy(X[i:i + 64])).numpy() for i in range(0, len(X), 64)])
        report["torchscript_max_abs_diff"] = float(np.max(np.abs(got - reference))) if got.size else 0.0
        files["torchscript"] = names["torchscript"]
    if "onnx" in formats:
        if on_status:
            on_status("Writing ONNX and checking it with onnxruntime ...")
        blobs["onnx"] = _onnx_bytes(module, example_in, what)
        try:
            got = _run_onnx(blobs["onnx"], X)
        except Exception as e:
            raise ExportError(f"onnxruntime cannot run the exported ONNX file ({type(e).__name__}: "
                              f"{str(e).splitlines()[0][:200]}); export it as TorchScript only.") from None
        report["onnx_max_abs_diff"] = float(np.max(np.abs(got - reference))) if got.size else 0.0
        files["onnx"] = names["onnx"]
    # float32 keeps ~7 digits: outputs in a target's own units (a price of 250,000) are checked
    # relative to their size, probabilities (at most 1) absolutely
    scale = max(1.0, float(np.max(np.abs(reference)))) if reference.size else 1.0
    report["tolerance"] = tolerance * scale
    for fmt in ("onnx", "torchscript"):
        d = report.get(f"{fmt}_max_abs_diff")
        if d is not None and not (d <= tolerance * scale):
            raise ExportError(f"The {fmt} export disagrees with PyTorch by up to {d:.3g} on {report['checked_on']} "
                              f"(tolerance {tolerance * scale:g}); nothing was written.")
    full = {"schema_version": EXPORT_SCHEMA, "format": "workbench-export", "files": files,
            "class_names": list(class_names) if class_names is not None else None,
            "input": {"name": "input", "shape": ["batch", *[int(s) for s in input_shape]], "dtype": "float32"},
            "output": {"name": "output", "kind": ("probabilities" if activate else "raw"),
                       "activation": head.activation if activate else "none", "task": getattr(head, "task", "")},
            "verification": report, "torch": torch.__version__, **meta}
    tmp = out.parent / f".export-{out.name}-{secrets.token_hex(3)}"
    try:
        tmp.mkdir(parents=True)
        for fmt, data in blobs.items():
            (tmp / names[fmt]).write_bytes(data)
        from workbench.core.jsonio import atomic_write_json, atomic_write_text

        atomic_write_json(tmp / names["meta"], full)
        if example:
            atomic_write_text(tmp / EXAMPLE_FILE, EXAMPLE_SCRIPT)
        from workbench.core.runs.store import replace_dir

        replace_dir(tmp, out, ours={*names.values(), EXAMPLE_FILE})
    except OSError as e:
        from workbench.core.oserrors import describe

        shutil.rmtree(tmp, ignore_errors=True)  # our own temporary folder
        raise ExportError(describe(e, out, "export folder")) from None
    return {"folder": str(out), "files": {k: (str(out / v) if v else None) for k, v in files.items()},
            "metadata": str(out / names["meta"]), **report}


# ------------------------------------------------------------------------------------------------
# runs


def check_usable(rec, what: str) -> None:
    """ProjectError unless the run has a trained model of the generic workflow (a search, a study
    run of its own kind, a run without preprocessing cannot be loaded here)."""
    from workbench.core.runs.summary import run_kind

    kind = run_kind(rec)
    if kind != "generic":
        raise ProjectError(f"{what} is a {kind.replace('_', ' ')} run: use it in the {kind.replace('_', ' ')} panel "
                           "or its own command; here choose a run trained in the Train panel (workbench train).")
    if rec.mode == "search" or not rec.model.get("spec") or not rec.head:
        raise ProjectError(f"{what} is a {rec.mode or 'study'} run without a trained model to use; "
                           "choose a training run.")
    if not rec.preprocessing:
        raise ProjectError(f"{what} has no preprocessing record; train it again with this Workbench.")


def model_from_record(rec, state_dict: dict, what: str = "The run"):
    """(model in eval mode on the CPU, head, fitted Preprocessor) of a RunRecord and its weights
    (stored or still in memory: a run trained before the project was saved)."""
    from workbench.core.data import Preprocessor
    from workbench.core.models import Head, ModelSpec, build_model

    check_usable(rec, what)
    head = Head.from_dict(rec.head)
    model = build_model(ModelSpec.from_dict(rec.model["spec"]), rec.model["input_shape"], rec.model["output_shape"],
                        head)
    try:
        model.load_state_dict(state_dict, strict=True)
    except RuntimeError as e:
        raise ProjectError(f"The weights of {what.lower() if what.startswith('The') else what} do not fit its model "
                           f"({str(e).splitlines()[0][:160]}).") from None
    return model.eval(), head, Preprocessor.from_dict(rec.preprocessing)


def load_run_model(project: str | os.PathLike, run_id: str):
    """(record, model in eval mode on the CPU, head, fitted Preprocessor) of a stored run."""
    from workbench.core.runs import RunStore

    store = RunStore(project)
    rec = store.load(run_id)
    check_usable(rec, f"The run {run_id}")
    if not store.weights_path(run_id).is_file():
        raise ProjectError(f"The run {run_id} has no weights file (it stopped before its first epoch); train again.")
    return (rec, *model_from_record(rec, store.load_weights(run_id), f"run {run_id}"))


def record_model(record, weights: dict | None):
    """(record, model, head, Preprocessor) of a run in memory (a RunRecord or its dict) and its weights."""
    from workbench.core.runs import RunRecord

    rec = record if isinstance(record, RunRecord) else RunRecord.from_dict(record)
    if not weights:
        raise ProjectError(f"The run {rec.label} has no weights (it stopped before its first epoch); train again.")
    return (rec, *model_from_record(rec, weights, f"The run {rec.label}"))


def _check_samples(rec, pre) -> tuple[np.ndarray, str]:
    """Model inputs of the run's test (or validation) samples, reloaded the way the run loaded them."""
    from workbench.core.data import SplitPlan, load_data

    try:
        ds = load_data(rec.data.get("source") or rec.data.get("spec"))
        plan = SplitPlan.from_dict(rec.split["plan"])
        splits = plan.make(ds)
    except (WorkbenchError, KeyError, TypeError) as e:
        return np.zeros((0,)), f"random inputs (the run's data could not be reloaded: {e})"
    for name, idx in (("test", splits.test_idx), ("validation", splits.val_idx)):
        if len(idx):
            idx = np.asarray(idx)[:MAX_CHECK_SAMPLES]
            return pre.transform(ds, idx), f"{len(idx)} {name} samples of the run"
    return pre.transform(ds, np.arange(min(len(ds), MAX_CHECK_SAMPLES))), "samples of the run's data"


def preprocessing_for_export(rec, pre) -> dict:
    """The preprocessing a user must apply before the model, in plain terms (model.json)."""
    d = pre.to_dict()
    st = d["state"]
    kind = rec.data.get("kind")
    out: dict[str, Any] = {"kind": kind, "scale": d["scale"]}
    if kind == "image":
        h, w, c = st["input_shape"]
        out.update(height=h, width=w, channels=c, color="RGB" if c == 3 else "grey", layout="NCHW",
                   steps=["resize to width x height (cv2.INTER_AREA when shrinking, else INTER_LINEAR)",
                          "x / divisor", "(x - offset[c]) / scale[c] per channel", "HWC -> CHW, add a batch axis"],
                   divisor=st["divisor"], offset=st["offset"], scale=st["scale"])
    elif kind == "audio":
        from workbench.core.data.audio import AudioSettings
        from workbench.core.data.audio_features import DB_OFFSET, DB_SCALE, LOG_FLOOR, mel_filterbank

        a = AudioSettings.from_dict(rec.data.get("source"))
        m = a.mel
        out.update(sample_rate=a.sample_rate, seconds=a.seconds, n_samples=a.n_samples,
                   steps=["mono float in [-1, 1], resampled to sample_rate",
                          "cut to the loudest n_samples window, or centred in zeros when shorter",
                          "frames of n_fft every hop samples (no centring), periodic Hann window, |rfft|^2",
                          "@ filterbank -> mel power", "(10*log10(mel + log_floor) + db_offset) / db_scale",
                          "(x - offset[band]) / scale[band]"],
                   n_fft=m.n_fft, hop=m.hop, n_mels=m.n_mels, f_min=m.f_min, f_max=m.f_max,
                   log_floor=LOG_FLOOR, db_offset=DB_OFFSET, db_scale=DB_SCALE,
                   filterbank=np.round(mel_filterbank(m.sample_rate, m.n_fft, m.n_mels, m.f_min, m.f_max), 8).tolist(),
                   offset=st["offset"], scale=st["scale"])
    elif kind == "text":
        vec = st.get("vectorizer") if isinstance(st.get("vectorizer"), dict) else {}
        opts = vec.get("options") or {}
        if opts.get("mode") == "sequence" or opts.get("level") == "char" or int(opts.get("ngrams") or 1) > 1 \
                or opts.get("punctuation"):
            raise ExportError("Only bag-of-words text models of single words can be exported for now (this run "
                              "reads token sequences, characters or n-grams); use it inside Workbench.")
        vocabulary = st["vocabulary"] if "vocabulary" in st else vec.get("vocabulary")
        if not isinstance(vocabulary, list):
            raise ExportError("The run's text preprocessing has no vocabulary; train it again with this Workbench.")
        out.update(vocabulary=vocabulary, token_pattern=r"[^\W_]+(?:'[^\W_]+)*",
                   lowercase=bool(opts.get("lowercase", True)),
                   steps=["lowercase, split into words with token_pattern",
                          "multi-hot: 1.0 at the index of each vocabulary word present"])
    elif kind == "table":
        from workbench.core.data.columns import _TRUE

        out.update(columns=st["columns"], true_words=sorted(_TRUE), target=rec.data.get("target"),
                   steps=["per column, found by name in the CSV header: numeric (x - offset) / scale, missing -> 0; "
                          "boolean 1.0 for a true word, else 0; categorical: one-hot over 'categories' (others in "
                          "the '(other)' column when 'other' is true); then the 'was missing' indicator columns "
                          "(1.0 where the value was empty) of the columns with 'indicator' true"])
    return out


def export_run(project: str | os.PathLike, run_id: str, out_dir: str | os.PathLike, formats=FORMATS, *,
               tolerance: float = TOLERANCE, on_status: Callable[[str], None] | None = None) -> dict:
    """Export a stored run (see the module docstring). Raises ExportError / ProjectError."""
    formats = check_formats(formats)
    return export_loaded(*load_run_model(project, run_id), out_dir, formats, tolerance=tolerance,
                         on_status=on_status)


def export_record(record, weights: dict | None, out_dir: str | os.PathLike, formats=FORMATS, *,
                  tolerance: float = TOLERANCE, on_status: Callable[[str], None] | None = None) -> dict:
    """Export a run that is in memory (the app's newest run, before the project is saved)."""
    return export_loaded(*record_model(record, weights), out_dir, check_formats(formats), tolerance=tolerance,
                         on_status=on_status)


def export_loaded(rec, model, head, pre, out_dir, formats=FORMATS, *, tolerance: float = TOLERANCE,
                  on_status: Callable[[str], None] | None = None) -> dict:
    """The export of a loaded run (``export_run`` / ``export_record``)."""
    run_id = rec.run_id or rec.label
    if on_status:
        on_status("Reloading the run's test samples to check the export ...")
    X, note = _check_samples(rec, pre)
    meta = {"run_id": rec.run_id, "run_name": rec.name, "task": rec.task, "model_name": rec.model.get("name"),
            "data": {k: rec.data.get(k) for k in ("name", "kind", "spec", "source", "target")},
            "preprocessing": preprocessing_for_export(rec, pre), "preprocessor": pre.to_dict(),
            "test_metrics": rec.test_metrics}
    return export_module(model, head, out_dir, input_shape=rec.model["input_shape"],
                         class_names=rec.data.get("class_names"), samples=X, samples_note=note, meta=meta,
                         formats=formats, tolerance=tolerance, what=f"The model of run {run_id}",
                         on_status=on_status)


def read_export(folder: str | os.PathLike, prefix: str = "model", kind: str = "exported model") -> tuple[dict, Path]:
    """(metadata, folder) of an export; ProjectError naming a missing or damaged file."""
    from workbench.core.jsonio import read_json
    from workbench.core.safety import check_fields

    p = Path(folder).expanduser()
    folder = p if p.is_dir() else p.parent
    names = file_names(prefix)
    if not (folder / names["meta"]).is_file():
        raise ProjectError(f"{folder} is not an exported model folder: {names['meta']} is missing; export the model "
                           "again.")
    meta = check_fields(read_json(folder / names["meta"], kind=f"{kind} file", max_version=EXPORT_SCHEMA),
                        {"files": dict, "class_names": (list, type(None)), "input": dict}, kind=f"{kind} file",
                        where=folder / names["meta"], required=("files",))
    from workbench.core.safety import UnsafeName, check_schema, safe_child

    check_schema(meta, EXPORT_SCHEMA_FIELDS, kind=f"{kind} file", where=folder / names["meta"])
    for fmt, fname in meta["files"].items():
        if fname is None:
            continue
        try:  # a name from the file: one component inside the folder, never ../../x.onnx or /abs/x.onnx
            path = safe_child(folder, fname, what=f"{fmt} file name")
        except UnsafeName as e:
            raise ProjectError(f"The {kind} file {folder / names['meta']} is damaged: {e}") from None
        if not path.is_file():
            raise ProjectError(f"The exported model folder {folder} is missing {fname}; export the model again.")
    return meta, folder


EXPORT_SCHEMA_FIELDS = {
    "files.onnx": (str, None), "files.torchscript": (str, None), "class_names[]": (str, int, float),
    "input.shape": list, "input.shape[]": (int, str), "preprocessor": (dict, None), "preprocessor.state": (dict, None),
    "preprocessor.kind": (str, None), "preprocessor.scale": (str, None), "data": (dict, None),
    "data.kind": (str, None), "data.source": (dict, str, None), "preprocessing": (dict, None),
}


EXAMPLE_SCRIPT = '''"""Use this exported model without Workbench: python example.py FILE...

Needs numpy and onnxruntime (pip install numpy onnxruntime); images also need opencv-python.
Tables: python example.py rows.csv (one line per row).
model.json says everything: classes, input shape, preprocessing (with the training statistics).
"""
import json
import re
import sys
import wave
from pathlib import Path

import numpy as np
import onnxruntime as ort

HERE = Path(__file__).resolve().parent
META = json.loads((HERE / "model.json").read_text())
PRE = META["preprocessing"]


def image_input(path):
    import cv2

    flag = cv2.IMREAD_GRAYSCALE if PRE["channels"] == 1 else cv2.IMREAD_COLOR
    img = cv2.imdecode(np.fromfile(path, np.uint8), flag)
    shrink = img.shape[0] * img.shape[1] > PRE["height"] * PRE["width"]
    img = cv2.resize(img, (PRE["width"], PRE["height"]), interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    img = img[..., None] if img.ndim == 2 else cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
    x = (img.astype(np.float32) / PRE["divisor"] - np.float32(PRE["offset"])) / np.float32(PRE["scale"])
    return x.transpose(2, 0, 1)


def audio_input(path):
    with wave.open(str(path)) as w:
        ch, width, sr = w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width == 1:
        x = (np.frombuffer(raw, np.uint8).astype(np.float32) - 128) / 128
    elif width == 3:
        b = np.frombuffer(raw, np.uint8).reshape(-1, 3).astype(np.int32)
        v = b[:, 0] | (b[:, 1] << 8) | (b[:, 2] << 16)
        x = np.where(v >= 1 << 23, v - (1 << 24), v).astype(np.float32) / (1 << 23)
    else:
        x = np.frombuffer(raw, "<i2" if width == 2 else "<i4").astype(np.float32) / (2 ** (8 * width - 1))
    x = x.reshape(-1, ch).mean(axis=1)
    if sr != PRE["sample_rate"]:
        n = int(round(len(x) * PRE["sample_rate"] / sr))
        x = np.interp(np.arange(n) * sr / PRE["sample_rate"], np.arange(len(x)), x).astype(np.float32)
    n = PRE["n_samples"]
    if len(x) < n:
        x = np.pad(x, ((n - len(x)) // 2, n - len(x) - (n - len(x)) // 2))
    else:
        e = np.concatenate([[0], np.cumsum(x.astype(np.float64) ** 2)])
        s = np.arange(0, len(x) - n + 1, max(1, n // 20))
        best = s[np.argmax(e[s + n] - e[s])]
        x = x[best:best + n]
    nfft, hop = PRE["n_fft"], PRE["hop"]
    frames = 1 + (n - nfft) // hop
    idx = np.arange(nfft)[None, :] + hop * np.arange(frames)[:, None]
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(nfft) / nfft)
    power = np.abs(np.fft.rfft(x[idx] * win, axis=1)) ** 2
    mel = power @ np.asarray(PRE["filterbank"])
    v = (10 * np.log10(mel + PRE["log_floor"]) + PRE["db_offset"]) / PRE["db_scale"]
    return ((v - np.asarray(PRE["offset"])) / np.asarray(PRE["scale"])).astype(np.float32)


def text_input(text):
    index = {w: i for i, w in enumerate(PRE["vocabulary"])}
    x = np.zeros(len(index), np.float32)
    for w in re.findall(PRE["token_pattern"], text.lower()):
        if w in index:
            x[index[w]] = 1.0
    return x


MISSING = {"", "na", "n/a", "nan", "null", "none", "?", "-", "missing"}


def table_rows(path):
    """Model inputs for every row of a CSV with the training columns (numeric, boolean and
    categorical columns; dates and free text are left to the app or to workbench predict)."""
    import csv

    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = list(csv.reader(f))
    header, rows = [h.strip() for h in rows[0]], [r for r in rows[1:] if any(v.strip() for v in r)]
    cols = PRE["columns"]
    where = {h.lower(): j for j, h in enumerate(header)}
    out = []
    for r in rows:
        x, flags = [], []
        for c in cols:
            v = r[where[c["name"].lower()]].strip()
            miss = v.lower() in MISSING
            if c["type"] == "categorical":
                one = [0.0] * (len(c["categories"]) + (1 if c.get("other") else 0))
                if not miss:
                    if v in c["categories"]:
                        one[c["categories"].index(v)] = 1.0
                    elif c.get("other"):
                        one[-1] = 1.0
                x += one
            elif c["type"] == "boolean":
                x.append(0.0 if miss else float(v.lower() in PRE["true_words"]))
            elif c["type"] == "numeric":
                x.append(0.0 if miss else (float(v) - c["offset"]) / c["scale"])
            else:
                sys.exit(f"The column {c['name']!r} is {c['type']}: use workbench predict for this table.")
            if c["indicator"]:
                flags.append(float(miss))
        out.append(np.asarray(x + flags, np.float32))
    return out


def show(path, p):
    if META["output"].get("task", "").startswith("regression"):
        print(f"{path}: {PRE.get('target') or 'prediction'} {float(np.ravel(p)[0]):.6g}")
        return
    names = META["class_names"]
    if names and len(p) == 1:  # one sigmoid output: P(second class)
        p = np.array([1 - p[0], p[0]])
    best = int(np.argmax(p))
    label = names[best] if names else str(best)
    print(f"{path}: {label} ({100 * p[best]:.1f}%)")


def main(paths):
    session = ort.InferenceSession(str(HERE / META["files"]["onnx"]), providers=["CPUExecutionProvider"])
    kind = PRE["kind"]
    for path in paths:
        if kind == "table":
            for i, x in enumerate(table_rows(path)):
                show(f"{path} row {i + 1}", session.run(None, {"input": x[None]})[0][0])
            continue
        if kind == "image":
            x = image_input(path)
        elif kind == "audio":
            x = audio_input(path)
        else:
            x = text_input(Path(path).read_text())
        p = session.run(None, {"input": x[None].astype(np.float32)})[0][0]
        show(path, p)


if __name__ == "__main__":
    main(sys.argv[1:])
'''
