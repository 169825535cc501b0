"""Use a model: a trained run of a project or an exported model folder, on files, folders, arrays.

    p = open_predictor("out/")                      # an export folder (onnxruntime)
    p = open_predictor(run_id, project="proj/")     # a run (PyTorch; Grad-CAM possible)
    p = RunPredictor.from_record(run_dict, weights) # a run still in memory (the app's newest run)
    rows = p.predict_paths(["cat.jpg", "sounds/"])  # [{"path", "label", "probs", ...}]
    probs = p.predict_items([rgb_frame])            # raw inputs: RGB arrays, (samples, rate), texts
    predict_csv(p, "rows.csv")                      # tables and texts: the CSV with predictions

Raw inputs go through the run's own preprocessing (``Preprocessor.from_dict`` of the run; the
audio clip length, rate and log-mel settings of its data source), so files, the webcam and the
microphone are prepared exactly as the training data was.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from workbench.core.errors import DataError, ProjectError

KINDS = ("image", "audio", "text", "table")


def usable_run(run: dict) -> str | None:
    """None when the Use panel and ``workbench predict`` can run this run (a RunRecord's dict),
    else why not, in a few words (a case study's run, a search, no model)."""
    from workbench.core.runs.summary import run_kind

    kind = run_kind(run)
    if kind != "generic":
        return f"a {kind.replace('_', ' ')} run (used in its own panel)"
    if run.get("mode") == "search":
        return "a hyperparameter search"
    if not (run.get("model") or {}).get("spec") or not run.get("head") or not run.get("preprocessing"):
        return "no trained model"
    if (run.get("data") or {}).get("kind") not in KINDS:
        return f"{(run.get('data') or {}).get('kind')} data"
    return None


def _number(v: float) -> str:
    v = float(v)
    return f"{v:.6g}" if abs(v) < 1e6 else f"{v:.0f}"


def _probabilities(out: np.ndarray, n_classes: int) -> np.ndarray:
    p = np.asarray(out, dtype=np.float64).reshape(len(out), -1)
    if p.shape[1] == 1 and n_classes == 2:  # one sigmoid unit: P(second class)
        p = np.concatenate([1 - p, p], axis=1)
    return p


class Predictor:
    """What the Use panel and ``workbench predict`` need from any model."""

    kind: str = "image"
    class_names: list[str] = []
    name: str = ""
    can_explain = False

    task: str = ""
    target: str | None = None

    def __init__(self, pre, source: dict, kind: str, class_names, name: str, task: str = "",
                 target: str | None = None):
        from workbench.core.training.metrics import is_regression

        if kind not in KINDS:
            raise DataError(f"Using {kind} models on files is not possible here; use image, sound, text or table "
                            "models (case-study models run in their own panels).")
        self.pre, self.source, self.kind, self.name = pre, dict(source or {}), kind, name
        self.class_names = list(class_names or [])
        self.task, self.target = task or "", target
        self.regression = is_regression(self.task) or (not self.class_names and self.task == "")
        if kind == "audio":
            from workbench.core.data.audio import AudioSettings

            self.audio = AudioSettings.from_dict(self.source)

    # ---- inputs ------------------------------------------------------------------------------
    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.pre.to_dict()["state"]["input_shape"])

    def prepare(self, items) -> np.ndarray:
        """Raw inputs -> model inputs: RGB uint8 arrays (any size), (samples, rate) pairs, texts
        (tables: rows of numbers and category codes, as a table Dataset holds them)."""
        if self.kind == "table":
            return self.pre.transform_inputs(np.asarray(items, dtype=np.float64))
        if self.kind == "image":
            import cv2

            h, w, c = self.image_shape
            batch = np.empty((len(items), h, w, c), np.uint8)
            for i, img in enumerate(items):
                a = np.asarray(img)
                if a.ndim == 3 and a.shape[2] == 1:
                    a = a[:, :, 0]
                if a.dtype != np.uint8:
                    a = np.clip(a * (255.0 if a.max() <= 1.0 else 1.0), 0, 255).astype(np.uint8)
                if a.ndim == 2 and c == 3:
                    a = cv2.cvtColor(a, cv2.COLOR_GRAY2RGB)
                elif a.ndim == 3 and c == 1:
                    a = cv2.cvtColor(np.ascontiguousarray(a[..., :3]), cv2.COLOR_RGB2GRAY)
                elif a.ndim == 3:
                    a = a[..., :3]
                shrink = a.shape[0] * a.shape[1] > h * w
                a = cv2.resize(np.ascontiguousarray(a), (w, h),
                               interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
                batch[i] = a.reshape(h, w, c)
            return self.pre.transform_inputs(batch)
        if self.kind == "audio":
            from workbench.core.data.audio import clip_features

            feats = [clip_features([x], self.audio, sr)[0] for x, sr in items]
            return self.pre.transform_inputs(np.stack(feats) if feats else
                                             np.zeros((0, self.audio.n_frames, self.audio.mel.n_mels), np.float32))
        return self.pre.transform_inputs([str(t) for t in items])

    def read_path(self, path: str | os.PathLike):
        """One file as a raw input (image -> RGB array, WAV -> (samples, rate), text file -> str)."""
        p = Path(path)
        if self.kind == "image":
            from workbench.core.media import read_image

            return read_image(p, "rgb8")
        if self.kind == "audio":
            from workbench.core.data.audio import read_clip

            return read_clip(p)
        from workbench.core.media import read_regular_bytes

        return read_regular_bytes(p, "text file", 64 * 1024**2).decode("utf-8", errors="replace")

    def expand(self, paths) -> list[Path]:
        from workbench.core.data.audio import AUDIO_EXTENSIONS
        from workbench.core.data.images import IMAGE_EXTENSIONS

        exts = {"image": IMAGE_EXTENSIONS, "audio": AUDIO_EXTENSIONS, "text": (".txt",), "table": (".csv",)}[self.kind]
        out = []
        for p in map(Path, paths):
            if p.is_dir():
                out += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in exts)
            elif p.exists():
                out.append(p)
            else:
                raise DataError(f"{p} does not exist; give existing files or folders.")
        return out

    # ---- predictions -------------------------------------------------------------------------
    def predict(self, X: np.ndarray) -> np.ndarray:  # pragma: no cover - subclasses
        raise NotImplementedError

    def outputs(self, X: np.ndarray) -> np.ndarray:
        """Class probabilities (N, classes), or the predicted values (N, outputs) of a regression,
        for model inputs."""
        out = self.predict(X)
        if self.regression:
            return np.asarray(out, dtype=np.float64).reshape(len(out), -1)
        return _probabilities(out, len(self.class_names))

    def predict_items(self, items) -> np.ndarray:
        """Class probabilities (N, classes) for raw inputs (predicted values for a regression)."""
        if not len(items):
            return np.zeros((0, max(1, len(self.class_names))))
        return self.outputs(self.prepare(items))

    def label(self, probs: np.ndarray) -> tuple[str, float | None]:
        """(predicted class, its probability), or (the value, None) for a regression."""
        if self.regression:
            return _number(np.ravel(probs)[0]), None
        k = int(np.argmax(probs))
        return (self.class_names[k] if k < len(self.class_names) else str(k)), float(probs[k])

    def labels(self, values: np.ndarray) -> tuple[list[str], np.ndarray | None]:
        """Labels of many outputs, and their confidences (None for a regression)."""
        if self.regression:
            return [_number(v) for v in np.asarray(values).reshape(len(values), -1)[:, 0]], None
        pairs = [self.label(p) for p in values]
        return [a for a, _ in pairs], np.array([b for _, b in pairs], dtype=np.float64)

    def predict_texts(self, texts: list[str]) -> list[dict]:
        """Rows for typed or pasted texts (text models)."""
        if self.kind != "text":
            raise DataError(f"Typed text is for text models; this one reads {self.kind} files.")
        values = self.predict_items([str(t) for t in texts])
        return [self._row(t[:80], v) for t, v in zip(texts, values)]

    def _row(self, path: str, p: np.ndarray) -> dict:
        label, conf = self.label(p)
        return {"path": path, "label": label, "confidence": conf,
                "probs": {} if self.regression else {n: float(v) for n, v in zip(self.class_names, p)}}

    def predict_paths(self, paths) -> tuple[list[dict], list[tuple[str, str]]]:
        """(one row per readable file, [(file, why skipped)]); a CSV given to a table or text model
        is predicted row by row into ``<name>-predictions.csv`` (one row per CSV with its "output")."""
        rows, skipped, items, ok = [], [], [], []
        if self.kind in ("table", "text"):
            csvs = [p for p in map(Path, paths) if p.is_file() and p.suffix.lower() in (".csv", ".tsv")]
            if csvs:
                from workbench.core.runs.table_predict import predict_csv

                for f in csvs:
                    out = predict_csv(self, f)
                    rows.append({"path": str(f), "label": f"{out['n_rows']} rows", "confidence": None, "probs": {},
                                 "output": out["path"], "note": out["note"], "table": out["preview"]})
                paths = [p for p in paths if Path(p) not in csvs]
                if not paths:
                    return rows, skipped
        if self.kind == "table":
            raise DataError("A table model reads CSV files; give a .csv file with the training columns.")
        for f in self.expand(paths):
            try:
                items.append(self.read_path(f))
                ok.append(f)
            except (DataError, OSError) as e:
                skipped.append((str(f), str(e)))
        for i in range(0, len(items), 64):
            probs = self.predict_items(items[i:i + 64])
            for f, p in zip(ok[i:i + 64], probs):
                rows.append(self._row(str(f), p))
        return rows, skipped


class RunPredictor(Predictor):
    """A run, stored or still in memory, with its PyTorch model (Grad-CAM works on image models)."""

    def __init__(self, project: str | os.PathLike | None = None, run_id: str | None = None, *, loaded=None):
        if loaded is None:
            from workbench.core.runs.export import load_run_model

            loaded = load_run_model(project, run_id)
        rec, self.model, self.head, pre = loaded
        self.record = rec
        super().__init__(pre, rec.data.get("source") or {}, rec.data.get("kind"), rec.data.get("class_names"),
                         rec.label, task=rec.task, target=rec.data.get("target"))
        self.can_explain = self.kind == "image"

    @classmethod
    def from_record(cls, record, weights: dict | None) -> "RunPredictor":
        """A run that is not stored yet (a RunRecord or its dict, and its weights)."""
        from workbench.core.runs.export import record_model

        return cls(loaded=record_model(record, weights))

    def predict(self, X: np.ndarray) -> np.ndarray:
        from workbench.core.training.trainer import predict

        return predict(self.model, self.head, X)

    def explain(self, item, target: int | None = None) -> np.ndarray:
        """Grad-CAM heat map (H, W) in [0, 1] of one RGB image, at the image's own size."""
        from workbench.core.models.gradcam import gradcam

        X = self.prepare([item])
        heat = gradcam(self.model, X, target)
        import cv2

        a = np.asarray(item)
        return cv2.resize(heat, (a.shape[1], a.shape[0]), interpolation=cv2.INTER_LINEAR)


class ExportPredictor(Predictor):
    """An export folder (``model.json`` + ``model.onnx``, or TorchScript when ONNX was not exported)."""

    def __init__(self, folder: str | os.PathLike):
        from workbench.core.data import Preprocessor
        from workbench.core.runs.export import read_export

        meta, self.folder = read_export(folder)
        if not isinstance(meta.get("preprocessor"), dict):
            raise ProjectError(f"{self.folder} was not exported from a Workbench run (no preprocessing record); "
                               "export the run again.")
        data = meta.get("data") or {}
        where = self.folder / "model.json"
        try:
            pre = Preprocessor.from_dict(meta["preprocessor"])
        except (TypeError, ValueError, KeyError, AttributeError, IndexError) as e:
            raise ProjectError(f"The exported model file {where} is damaged: its preprocessor cannot be read "
                               f"({type(e).__name__}: {str(e)[:120]}); export the run again.") from None
        super().__init__(pre, data.get("source") or {}, data.get("kind"),
                         meta.get("class_names"), meta.get("run_name") or self.folder.name,
                         task=meta.get("task") or (meta.get("output") or {}).get("task") or "",
                         target=data.get("target"))
        files = meta["files"]
        self._session = self._ts = None
        if files.get("onnx"):
            import onnxruntime as ort

            try:
                self._session = ort.InferenceSession(str(self.folder / files["onnx"]),
                                                     providers=["CPUExecutionProvider"])
            except Exception as e:  # onnxruntime's own errors for a damaged or foreign file
                raise ProjectError(f"The ONNX file of {self.folder} cannot be loaded ({str(e).splitlines()[0][:160]}); "
                                   "export the run again.") from None
            _check_input_shape(self._session.get_inputs()[0].shape, (meta.get("input") or {}).get("shape"), where)
        else:
            import warnings

            import torch

            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # torch.jit deprecation notices: TorchScript still works
                self._ts = torch.jit.load(str(self.folder / files["torchscript"]), map_location="cpu").eval()
        self.meta = meta

    def predict(self, X: np.ndarray) -> np.ndarray:
        X = np.ascontiguousarray(X, dtype=np.float32)
        if self._session is not None:
            return np.concatenate([self._session.run(None, {"input": X[i:i + 64]})[0] for i in range(0, len(X), 64)])
        import torch

        with torch.no_grad():
            return np.concatenate([self._ts(torch.from_numpy(X[i:i + 64])).numpy() for i in range(0, len(X), 64)])


def _check_input_shape(onnx_shape, declared, where) -> None:
    """The ONNX file's input shape (batch axis aside) must be the one model.json declares."""
    fixed = list(onnx_shape)[1:]
    want = list(declared or [])[1:]
    if len(fixed) != len(want) or any(isinstance(a, int) and isinstance(b, int) and a != b
                                      for a, b in zip(fixed, want)):
        raise ProjectError(f"The exported model file {where} is damaged: it declares inputs of shape "
                           f"{want} but the ONNX file takes {fixed}; export the run again.")


def open_predictor(model: str | os.PathLike, project: str | os.PathLike | None = None) -> Predictor:
    """An export folder, or a run id of ``project``."""
    p = Path(str(model)).expanduser()
    if p.is_dir() or p.name.endswith(".json") and p.exists():
        return ExportPredictor(p)
    if project is None:
        raise DataError(f"{model} is not an exported model folder; give one, or a run id with --project.")
    return RunPredictor(project, str(model))
