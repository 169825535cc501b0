"""Gatys-style neural style transfer as a steppable object a worker thread can drive.

    st = StyleTransfer(content_rgb, style_rgb, StyleSettings(size=256), mask=None)
    st.add_callback(fn)          # fn(StyleProgress), every ``settings.report_every`` iterations
    st.step(50)                  # or st.run(steps) from a worker; pause()/resume()/request_stop() from any thread
    st.image()                   # uint8 RGB result (colours kept / mask composited as set)

One "iteration" is one evaluation of the loss and its gradient (for L-BFGS: one L-BFGS iteration
with ``max_iter=1`` per call; the optimizer state persists between calls, so this is the same
as one long ``optimizer.step`` but can pause in between).

Mask semantics ("masked loss + composite"): the network sees ``m * x + (1 - m) * content``, so
pixels outside the mask keep the content image exactly and only pixels inside receive gradient;
the style Gram matrices are computed over the masked region only (weighted by m), so the style
statistics are matched inside the region instead of being diluted by the untouched rest.
"""
from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from workbench.core.errors import WorkbenchError
from workbench.core.studies.style_transfer.features import FeatureExtractor, get_backbone
from workbench.core.studies.style_transfer.images import keep_luminance
from workbench.core.studies.style_transfer.losses import content_loss, gram_matrix, style_loss, tv_loss

SETTINGS_VERSION = 1
# Style weights that balance content and style at the default layers (Gram magnitudes differ by
# orders of magnitude between networks: MobileNetV2's ReLU6 caps activations, Lite0's block
# outputs are linear, VGG's ReLU outputs are large; VGG's value is the PyTorch tutorial's).
DEFAULT_STYLE_WEIGHT = {"mobilenet_v2": 1e5, "efficientnet_lite0": 10.0, "vgg19": 1e6}
INITS = ("content", "noise", "style")
OPTIMIZERS = ("lbfgs", "adam")


@dataclass
class StyleSettings:
    backbone: str = "mobilenet_v2"
    weights_path: str = ""  # VGG-19 only: torchvision vgg19 weights file
    content_layer: str = ""  # "" -> the backbone's default
    style_layers: list[str] = field(default_factory=list)  # [] -> the backbone's default
    content_weight: float = 1.0
    style_weight: float = 1e5
    tv_weight: float = 1.0
    init: str = "content"
    optimizer: str = "lbfgs"
    lr: float = 0.0  # 0 -> 1.0 for L-BFGS, 0.02 for Adam
    size: int = 256  # long side of the working image, pixels
    keep_colors: bool = False
    seed: int = 0
    report_every: int = 5
    channels_last: bool = True  # measured faster on CPU (oneDNN depthwise kernels), see benchmarks

    def validate(self) -> "StyleSettings":
        if self.init not in INITS:
            raise WorkbenchError(f"Unknown start image {self.init!r}; choose one of {', '.join(INITS)}.")
        if self.optimizer not in OPTIMIZERS:
            raise WorkbenchError(f"Unknown optimizer {self.optimizer!r}; choose one of {', '.join(OPTIMIZERS)}.")
        if not 16 <= int(self.size) <= 4096:
            raise WorkbenchError(f"Resolution must be between 16 and 4096 pixels, got {self.size}.")
        for n in ("content_weight", "style_weight", "tv_weight"):
            v = getattr(self, n)
            if not (np.isfinite(v) and v >= 0):
                raise WorkbenchError(f"{n.replace('_', ' ')} must be a number >= 0, got {v}.")
        if self.report_every < 1:
            raise WorkbenchError("report_every must be at least 1.")
        return self

    @classmethod
    def for_backbone(cls, backbone: str, **kw) -> "StyleSettings":
        """Settings with the backbone's default style weight (unless given)."""

        kw.setdefault("style_weight", DEFAULT_STYLE_WEIGHT.get(backbone, 1e5))
        return cls(backbone=backbone, **kw)

    def to_dict(self) -> dict:
        return {"schema_version": SETTINGS_VERSION, **asdict(self)}

    @classmethod
    def from_dict(cls, d: dict) -> "StyleSettings":
        from workbench.core.jsonio import from_fields

        return from_fields(cls, d)


@dataclass(frozen=True)
class StyleProgress:
    """What a callback receives; the image is an owned uint8 copy, safe to hand to another thread."""

    iteration: int
    image: np.ndarray
    content: float
    style: float
    tv: float
    total: float
    its_per_s: float
    finished: bool = False


def _to_tensor(img: np.ndarray) -> torch.Tensor:
    if img.ndim != 3 or img.shape[2] < 3:
        raise WorkbenchError(f"Expected an RGB image (H, W, 3), got shape {img.shape}.")
    # contiguous NCHW: L-BFGS flattens the gradient with view(), which needs standard strides
    # np.array copies: sample photos can be read-only arrays, which torch.from_numpy warns about
    return (torch.from_numpy(np.array(img[..., :3], dtype=np.uint8)).permute(2, 0, 1)[None].float() / 255).contiguous()


def working_size(h: int, w: int, size: int) -> tuple[int, int]:
    s = size / max(h, w)
    return max(8, round(h * s)), max(8, round(w * s))


def resize(img: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    if tuple(img.shape[-2:]) == tuple(hw):
        return img
    return F.interpolate(img, size=hw, mode="bilinear", antialias=True, align_corners=False).clamp(0, 1).contiguous()


def to_uint8(img: torch.Tensor) -> np.ndarray:
    return (img[0].detach().clamp(0, 1) * 255 + 0.5).to(torch.uint8).permute(1, 2, 0).contiguous().numpy().copy()


class StyleTransfer:
    def __init__(self, content: np.ndarray, style: np.ndarray, settings: StyleSettings | None = None,
                 mask: np.ndarray | None = None):
        self.settings = s = (settings or StyleSettings()).validate()
        info = get_backbone(s.backbone, s.weights_path or None)
        self.content_layer = s.content_layer or info.default_content
        self.style_layers = list(s.style_layers or info.default_style)
        layers = list(dict.fromkeys([self.content_layer, *self.style_layers]))
        self.extractor = FeatureExtractor(info, layers, fuse_bn=True, channels_last=s.channels_last)

        c = _to_tensor(content)
        hw = working_size(c.shape[-2], c.shape[-1], s.size)
        self.content_img = resize(c, hw)
        st = _to_tensor(style)
        self.style_img = resize(st, working_size(st.shape[-2], st.shape[-1], s.size))
        self.mask: torch.Tensor | None = None
        if mask is not None:
            m = np.asarray(mask, dtype=np.float32)
            if m.ndim != 2:
                raise WorkbenchError(f"The mask must be a 2-D array (H, W), got shape {m.shape}.")
            mt = torch.from_numpy(np.clip(m, 0, 1))[None, None]
            self.mask = F.interpolate(mt, size=hw, mode="bilinear", align_corners=False).clamp(0, 1)[0, 0]
            if float(self.mask.sum()) < 1e-3:
                raise WorkbenchError("The mask is empty: paint the region that should get the style, or clear the mask.")
        self._content_u8 = to_uint8(self.content_img)

        # targets are computed once; the optimization only ever runs the network on the image
        with torch.no_grad():
            self.content_target = self.extractor(self.content_img)[self.content_layer].detach()
            sf = self.extractor(self.style_img)
            self.style_targets = [gram_matrix(sf[n]).detach() for n in self.style_layers]

        g = torch.Generator().manual_seed(int(s.seed))
        if s.init == "content":
            x = self.content_img.clone()
        elif s.init == "style":
            x = resize(self.style_img, hw).clone()
        else:
            x = torch.rand(self.content_img.shape, generator=g)
        self.x = x.contiguous().requires_grad_(True)
        lr = s.lr or (1.0 if s.optimizer == "lbfgs" else 0.02)
        if s.optimizer == "lbfgs":
            self.optimizer = torch.optim.LBFGS([self.x], lr=lr, max_iter=1, history_size=100)
        else:
            self.optimizer = torch.optim.Adam([self.x], lr=lr)

        self.iteration = 0
        self.history: list[dict] = []
        self.last_losses = {"content": float("nan"), "style": float("nan"), "tv": float("nan"), "total": float("nan")}
        self._callbacks: list[Callable[[StyleProgress], None]] = []
        self._stop = threading.Event()
        self._running = threading.Event()
        self._running.set()
        self.waiting = threading.Event()  # set while the worker sits paused (tests and UI can observe it)
        self._window_t = time.perf_counter()
        self._window_i = 0
        self.its_per_s = 0.0

    # -- control, callable from any thread ------------------------------------------------------
    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def request_stop(self) -> None:
        self._stop.set()
        self._running.set()  # wake a paused worker so it can see the stop

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def stopped(self) -> bool:
        return self._stop.is_set()

    def add_callback(self, fn: Callable[[StyleProgress], None]) -> None:
        self._callbacks.append(fn)

    # -- the optimization ----------------------------------------------------------------------
    def composite(self, x: torch.Tensor) -> torch.Tensor:
        if self.mask is None:
            return x
        return self.mask * x + (1 - self.mask) * self.content_img

    def losses(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        """Weighted loss terms for the image ``x`` (before compositing)."""
        s = self.settings
        img = self.composite(x)
        feats = self.extractor(img)
        c = content_loss(feats[self.content_layer], self.content_target)
        grams = [gram_matrix(feats[n], self.mask) for n in self.style_layers]
        st = style_loss(grams, self.style_targets)
        tv = tv_loss(img)
        out = {"content": s.content_weight * c, "style": s.style_weight * st, "tv": s.tv_weight * tv}
        out["total"] = out["content"] + out["style"] + out["tv"]
        return out

    def _closure(self):
        with torch.no_grad():
            self.x.clamp_(0, 1)
        self.optimizer.zero_grad(set_to_none=True)
        terms = self.losses(self.x)
        terms["total"].backward()
        self._terms = terms
        return terms["total"]

    def _one_iteration(self) -> None:
        if isinstance(self.optimizer, torch.optim.LBFGS):
            self.optimizer.step(self._closure)
        else:
            self._closure()
            self.optimizer.step()
        with torch.no_grad():
            self.x.clamp_(0, 1)
        t = self._terms
        self.last_losses = {k: float(v.detach()) for k, v in t.items()}
        if not np.isfinite(self.last_losses["total"]):
            raise WorkbenchError("The loss became NaN or infinite; lower the style weight or the learning rate.")
        self.iteration += 1
        self.history.append({"iteration": self.iteration, **self.last_losses})

    def _wait_if_paused(self) -> bool:
        """Block while paused; return False when a stop was requested."""
        if not self._running.is_set():
            self.waiting.set()
            self._running.wait()
            self.waiting.clear()
            self._window_t, self._window_i = time.perf_counter(), self.iteration  # do not count the pause
        return not self._stop.is_set()

    def step(self, n: int = 1) -> int:
        """Run up to ``n`` iterations (fewer when stopped); returns how many ran."""
        done = 0
        for _ in range(int(n)):
            if self._stop.is_set() or not self._wait_if_paused():
                break
            self._one_iteration()
            done += 1
            if self.iteration % self.settings.report_every == 0:
                self._report()
        return done

    def run(self, steps: int, should_cancel: Callable[[], bool] | None = None) -> np.ndarray:
        """Run ``steps`` iterations (stoppable); the last state is always reported with finished=True."""
        remaining = int(steps)
        while remaining > 0 and not self._stop.is_set():
            if should_cancel is not None and should_cancel():
                self.request_stop()
                break
            if self.step(1) == 0:
                break
            remaining -= 1
        self._report(finished=True)
        return self.image()

    def _report(self, finished: bool = False) -> None:
        now = time.perf_counter()
        if self.iteration > self._window_i and now > self._window_t:
            self.its_per_s = (self.iteration - self._window_i) / (now - self._window_t)
        self._window_t, self._window_i = now, self.iteration
        if not self._callbacks:
            return
        l = self.last_losses
        p = StyleProgress(self.iteration, self.image(), l["content"], l["style"], l["tv"], l["total"],
                          self.its_per_s, finished)
        for cb in self._callbacks:
            cb(p)

    # -- results -------------------------------------------------------------------------------
    def image(self) -> np.ndarray:
        """The current result as an owned uint8 RGB array (mask composited, colours kept if set)."""
        with torch.no_grad():
            out = to_uint8(self.composite(self.x.detach().clamp(0, 1)))
        if self.settings.keep_colors:
            out = keep_luminance(out, self._content_u8)
        return out

    def save(self, png_path, extra: dict | None = None):
        """Save the image as PNG and the settings (plus losses) as JSON next to it, both atomically."""
        meta = {"layers_used": {"content": self.content_layer, "style": self.style_layers},
                "iterations": self.iteration, "losses": self.last_losses, **(extra or {})}
        return save_result(png_path, self.image(), self.settings, meta)


class StyleJob:
    """One style transfer as a job another thread controls: ``pause`` / ``resume`` /
    ``request_stop`` may come before the network is loaded (they apply once it is) or while it
    runs. ``run`` builds the ``StyleTransfer`` (loading the network) and iterates, handing each
    report to ``on_frame``; it returns the final image, or None when stopped before the last
    iteration."""

    def __init__(self, content: np.ndarray, style: np.ndarray, settings: StyleSettings | dict, steps: int,
                 mask: np.ndarray | None = None):
        self.content, self.style, self.mask = content, style, mask
        self.settings = settings if isinstance(settings, StyleSettings) else StyleSettings.from_dict(settings)
        self.steps = int(steps)
        self._lock = threading.Lock()
        self._transfer: StyleTransfer | None = None
        self._paused = False
        self._stop = False

    @property
    def transfer(self) -> "StyleTransfer | None":
        """The running StyleTransfer (None before the network is loaded and after the end)."""
        return self._transfer

    def pause(self) -> None:
        with self._lock:
            self._paused = True
            if self._transfer is not None:
                self._transfer.pause()

    def resume(self) -> None:
        with self._lock:
            self._paused = False
            if self._transfer is not None:
                self._transfer.resume()

    def request_stop(self) -> None:
        with self._lock:
            self._stop = True
            if self._transfer is not None:
                self._transfer.request_stop()

    def run(self, on_frame: Callable[[StyleProgress], None] | None = None,
            should_cancel: Callable[[], bool] | None = None) -> np.ndarray | None:
        st = StyleTransfer(self.content, self.style, self.settings, mask=self.mask)
        if on_frame is not None:
            st.add_callback(on_frame)
        with self._lock:
            self._transfer = st
            if self._paused:
                st.pause()
            if self._stop:
                st.request_stop()
        try:
            img = st.run(self.steps, should_cancel)
        finally:
            with self._lock:
                self._transfer = None
        return None if st.stopped and st.iteration < self.steps else img


RESULT_FORMAT = "workbench-style-result"


def check_result_target(png_path):
    """(png path, json path) a result would be written to; DataError, before any work, when the
    JSON beside it exists and is not a settings file we wrote (never replace a user's file)."""
    import json
    from pathlib import Path

    from workbench.core.errors import DataError

    p = Path(png_path)
    if p.suffix.lower() != ".png":
        p = p.with_suffix(".png")
    js = p.with_suffix(".json")
    if js.exists() or js.is_symlink():
        try:
            ours = js.is_file() and json.loads(js.read_text(encoding="utf-8")).get("format") == RESULT_FORMAT
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise DataError(f"{js} already exists and was not written by Workbench; the settings are saved "
                            "beside the image, so choose another output name.")
    if p.is_dir():
        raise DataError(f"{p} is a folder; give a file name for the image.")
    return p, js


def save_result(png_path, image: np.ndarray, settings: StyleSettings, extra: dict | None = None):
    """Write the image as PNG and ``<name>.json`` with the settings (+ extra) beside it, atomically.
    Returns (png path, json path). A JSON of the same name we did not write is never replaced."""
    from workbench.core.jsonio import atomic_write_json
    from workbench.core.studies.style_transfer.images import save_png

    _, js = check_result_target(png_path)
    p = save_png(png_path, image)
    meta = {"format": RESULT_FORMAT, **settings.to_dict(), "height": int(image.shape[0]),
            "width": int(image.shape[1]), **(extra or {})}
    atomic_write_json(js, meta)
    return p, js
