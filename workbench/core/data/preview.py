"""Before / after views of preprocessing for the first samples (what the Data panel shows)."""
from __future__ import annotations

import math

import numpy as np

PREVIEW_SAMPLES = 5
PREVIEW_IMAGES = 4


def _num(v: float) -> str:
    return f"{v:.3g}" if math.isfinite(v) else "nan"


def _values(a: np.ndarray, n: int = 6) -> str:
    flat = np.asarray(a, dtype=np.float64).ravel()
    return " ".join(_num(v) for v in flat[:n]) + (" …" if flat.size > n else "")


def _range(a: np.ndarray) -> str:
    fin = np.asarray(a, dtype=np.float64).ravel()
    fin = fin[np.isfinite(fin)]
    return f"{fin.min():.4g} … {fin.max():.4g}" if fin.size else "—"


def preview_preprocessing(ds, settings: dict, train_idx=None, n: int = PREVIEW_SAMPLES, model_spec=None) -> dict:
    """Fit ``Preprocessor(**settings)`` on ``train_idx`` and show it on the first ``n`` samples.

    Text mode "auto" becomes token sequences when ``model_spec`` starts with an Embedding.
    Returns {"pre": the fitted Preprocessor, "describe", "warnings", "output_shape", "sequence",
    "rows": [{"sample", "before", "before range", "after", "after range"}] (strings),
    "images": [(image, caption)] before/after pairs for image data (else [])}."""
    from workbench.core.data.preprocess import Preprocessor
    from workbench.core.data.text import TextOptions

    sequence = False
    if model_spec is not None and ds.kind == "text":
        from workbench.core.models import wants_token_ids

        sequence = wants_token_ids(model_spec)
    settings = dict(settings)
    settings["text"] = TextOptions.from_dict(settings.get("text")).resolved(sequence).to_dict()
    pre = Preprocessor(**settings).fit(ds, train_idx)
    idx = np.arange(min(n, len(ds)))
    after = pre.transform(ds, idx)
    rows = []
    for j, i in enumerate(idx):
        out = np.asarray(after[j], dtype=np.float64)
        raw = ds.X[i]
        if ds.kind == "text":
            before, before_range = str(raw)[:80], None
            after_txt = pre.describe_sample(out)
        elif ds.kind == "table":  # values as the file has them: names, dates
            cols = range(min(6, np.asarray(ds.X).shape[1]))
            before = ", ".join(ds.cell_text(int(i), j)[:20] for j in cols) + (" …" if np.asarray(ds.X).shape[1] > 6 else "")
            before_range = None
            after_txt = _values(out)
        else:
            before, before_range = _values(raw), _range(raw)
            after_txt = _values(out)
        rows.append({"sample": int(i) + 1, "before": before, "before range": before_range,
                     "after": after_txt, "after range": _range(out)})
    images = []
    if ds.kind == "image":
        for j, i in enumerate(idx[:PREVIEW_IMAGES]):
            images += [(ds.X[i], f"#{i + 1} before"), (after[j], f"#{i + 1} after")]
    return {"pre": pre, "describe": pre.describe(), "warnings": list(pre.warnings), "sequence": sequence,
            "output_shape": tuple(pre.output_shape), "rows": rows, "images": images}


def grid_samples(ds, n: int = 60) -> tuple[list[int], list[str], list[str]]:
    """(indices, captions, tooltips) of up to ``n`` samples spread evenly over the data set (files
    are often sorted by class): each caption its label, each tooltip its file or sample number."""
    count = len(ds)
    idx = [int(i) for i in np.unique(np.linspace(0, count - 1, min(n, count)).astype(int))] if count else []
    names = ds.class_names
    caps = [names[int(ds.y[i])] if names is not None and np.ndim(ds.y[i]) == 0 else str(ds.y[i]) for i in idx]
    tips = [str(ds.paths[i]) if ds.paths is not None else f"sample {i + 1}" for i in idx]
    return idx, caps, tips
