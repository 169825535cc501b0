"""Use a model: a trained run of a project or an exported model folder, on files, folders, arrays.

    p = open_predictor("out/")                      # an export folder (onnxruntime)
    p = open_predictor(run_id, project="proj/")     # a run (PyTorch; Grad-CAM possible)
    rows = p.predict_paths(["cat.jpg", "sounds/"])  # [{"path", "label", "probs", ...}]
    probs = p.predict_items([rgb_frame])            # raw inputs: RGB arrays, (samples, rate), texts

Raw inputs go through the run's own preprocessing (``Preprocessor.from_dict`` of the run; the
audio clip length, rate and log-mel settings of its data source), so files, the webcam and the
microphone are prepared exactly as the training data was.
"""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from workbench.core.errors import DataError, ProjectError

KINDS = ("image", "audio", "text")


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

    def __init__(self, pre, source: dict, kind: str, class_names, name: str):
        if kind not in KINDS:
            raise DataError(f"Using {kind} models on files is not supported yet; use image, sound or text models.")
        self.pre, self.source, self.kind, self.name = pre, dict(source or {}), kind, name
        self.class_names = list(class_names or [])
        if kind == "audio":
            from workbench.core.data.audio import AudioSettings

            self.audio = AudioSettings.from_dict(self.source)

    # ---- inputs ------------------------------------------------------------------------------
    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.pre.to_dict()["state"]["input_shape"])

    def prepare(self, items) -> np.ndarray:
        """Raw inputs -> model inputs: RGB uint8 arrays (any size), (samples, rate) pairs, texts."""
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
            from workbench.core.data.images import read_image_rgb

            img = read_image_rgb(p)
            if img is None:
                raise DataError(f"{p.name} is not a readable image.")
            return img
        if self.kind == "audio":
            from workbench.core.data.audio import read_clip

            return read_clip(p)
        return p.read_text(encoding="utf-8", errors="replace")

    def expand(self, paths) -> list[Path]:
        from workbench.core.data.audio import AUDIO_EXTENSIONS
        from workbench.core.data.images import IMAGE_EXTENSIONS

        exts = {"image": IMAGE_EXTENSIONS, "audio": AUDIO_EXTENSIONS, "text": (".txt",)}[self.kind]
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

    def predict_items(self, items) -> np.ndarray:
        """Class probabilities (N, classes) for raw inputs."""
        if not len(items):
            return np.zeros((0, max(1, len(self.class_names))))
        return _probabilities(self.predict(self.prepare(items)), len(self.class_names))

    def label(self, probs: np.ndarray) -> tuple[str, float]:
        k = int(np.argmax(probs))
        return (self.class_names[k] if k < len(self.class_names) else str(k)), float(probs[k])

    def predict_paths(self, paths) -> tuple[list[dict], list[tuple[str, str]]]:
        """(one row per readable file, [(file, why skipped)])."""
        rows, skipped, items, ok = [], [], [], []
        for f in self.expand(paths):
            try:
                items.append(self.read_path(f))
                ok.append(f)
            except (DataError, OSError) as e:
                skipped.append((str(f), str(e)))
        for i in range(0, len(items), 64):
            probs = self.predict_items(items[i:i + 64])
            for f, p in zip(ok[i:i + 64], probs):
                label, conf = self.label(p)
                rows.append({"path": str(f), "label": label, "confidence": conf,
                             "probs": {n: float(v) for n, v in zip(self.class_names, p)}})
        return rows, skipped


class RunPredictor(Predictor):
    """A stored run, with its PyTorch model (Grad-CAM works on image models)."""

    def __init__(self, project: str | os.PathLike, run_id: str):
        from workbench.core.runs.export import load_run_model

        rec, self.model, self.head, pre = load_run_model(project, run_id)
        self.record = rec
        super().__init__(pre, rec.data.get("source") or {}, rec.data.get("kind"), rec.data.get("class_names"),
                         rec.label)
        self.can_explain = self.kind == "image"

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
        super().__init__(Preprocessor.from_dict(meta["preprocessor"]), data.get("source") or {}, data.get("kind"),
                         meta.get("class_names"), meta.get("run_name") or self.folder.name)
        files = meta["files"]
        self._session = self._ts = None
        if files.get("onnx"):
            import onnxruntime as ort

            self._session = ort.InferenceSession(str(self.folder / files["onnx"]), providers=["CPUExecutionProvider"])
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


def open_predictor(model: str | os.PathLike, project: str | os.PathLike | None = None) -> Predictor:
    """An export folder, or a run id of ``project``."""
    p = Path(str(model)).expanduser()
    if p.is_dir() or p.name.endswith(".json") and p.exists():
        return ExportPredictor(p)
    if project is None:
        raise DataError(f"{model} is not an exported model folder; give one, or a run id with --project.")
    return RunPredictor(project, str(model))
