"""Zero-shot learning by attributes (Lampert et al., 2009, "direct attribute prediction"): each class
is described by attribute values (colour red, shape circle); one predictor per attribute learns
from the seen classes; a class never seen in training is recognised by multiplying the
probabilities of its description's values.

    out = run_zero_shot()          # 12 generated colour x shape classes, 3 never seen in training
    out.scores["zsl_unseen"]       # among the unseen classes only (chance 1 / 3)
    out.scores["plain_unseen"]     # a plain classifier over the seen classes: 0 by construction
    out.scores["gzsl_unseen"]      # all 12 classes compete: the bias toward trained classes
    out = run_zero_shot("my_folders/", attributes="attributes.csv", unseen=["zebra"])

A user's attributes CSV has a ``class`` column (the folder names) and one column per attribute
(categorical values); an optional ``unseen`` column (yes / 1 / true) marks the held-out classes.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

from workbench.core.errors import DataError
from workbench.core.models.heads import TermHead
from workbench.core.studies.sequences import ZERO_SHOT_DEFAULTS


class AttributeHead(TermHead):
    """One softmax cross-entropy per attribute over its slice of the outputs."""

    task = "attributes"
    activation = "softmax per attribute"
    loss_name = "attribute cross-entropy"

    def __init__(self, names: list[str], sizes: list[int]):
        self.names, self.sizes = list(names), [int(s) for s in sizes]
        self.term_names = tuple(self.names)

    @property
    def reason(self) -> str:
        return "one softmax per attribute (" + ", ".join(f"{n}: {s} values" for n, s in zip(self.names, self.sizes)) + ")"

    def loss_terms(self, raw, y) -> dict:
        import torch.nn.functional as F

        out, start = {}, 0
        for j, (name, k) in enumerate(zip(self.names, self.sizes)):
            out[name] = F.cross_entropy(raw[:, start:start + k], y[:, j].long())
            start += k
        return out

    def settings(self) -> dict:
        return {"attributes": self.names, "sizes": self.sizes}


@dataclass
class ZeroShotOutcome:
    classes: list[str]
    unseen: list[str]
    attributes: dict              # {attribute: [values]}
    table: dict                   # {class: {attribute: value}}
    scores: dict                  # zsl_unseen, gzsl_unseen, gzsl_seen, plain_seen, plain_unseen, chance_unseen, ...
    confusion: list[dict]         # unseen images: {"true", "zsl", "gzsl", "plain"} counts
    fit: object = None
    plain_fit: object = None
    record: object = None
    run_id: str | None = None
    settings: dict = field(default_factory=dict)
    examples: list[dict] = field(default_factory=list)  # {"image", "true", "zsl", "gzsl", "plain"}

    def summary(self) -> dict:
        return {"classes": self.classes, "unseen": self.unseen, "attributes": self.attributes, "scores": self.scores,
                "confusion": self.confusion, "settings": self.settings, "run_id": self.run_id}


def generated_classes(n_per_class: int, size: int, seed: int = 0):
    """12 colour x shape classes (the caption scenes' colours and shapes), one object per image."""
    from workbench.core.studies.detection.captions import COLOURS, SHAPES, _background, _paint

    rng = np.random.default_rng(seed)
    classes = [(c, s) for c in COLOURS for s in SHAPES]
    images = np.zeros((n_per_class * len(classes), size, size, 3), np.uint8)
    labels = np.repeat(np.arange(len(classes)), n_per_class)
    for i, k in enumerate(labels):
        img = _background(rng, size)
        s = float(rng.uniform(0.35, 0.6) * size)
        _paint(img, rng, classes[k][1], classes[k][0], float(rng.uniform(s / 2, size - s / 2)),
               float(rng.uniform(s / 2, size - s / 2)), s)
        images[i] = np.clip(img, 0, 255).astype(np.uint8)
    names = [f"{c} {s}" for c, s in classes]
    table = {f"{c} {s}": {"colour": c, "shape": s} for c, s in classes}
    return images, labels, names, table


def read_attributes(path, class_names: list[str]) -> tuple[dict, list[str]]:
    """({class: {attribute: value}}, unseen classes) from the user's CSV (see the module docstring)."""
    from workbench.core.data.csvfile import read_csv_file

    t = read_csv_file(Path(path).expanduser())
    cols = [h.strip() for h in t.header]
    low = [c.lower() for c in cols]
    if "class" not in low:
        raise DataError(f"The attributes file needs a 'class' column (it has {', '.join(cols)}).")
    ci = low.index("class")
    ui = low.index("unseen") if "unseen" in low else None
    attrs = [j for j in range(len(cols)) if j not in (ci, ui)]
    if not attrs:
        raise DataError("The attributes file needs at least one attribute column besides 'class'.")
    table, unseen = {}, []
    for row in t.rows:
        table[row[ci].strip()] = {cols[j]: row[j].strip() for j in attrs}
        if ui is not None and row[ui].strip().lower() in ("1", "yes", "true", "y"):
            unseen.append(row[ci].strip())
    missing = [c for c in class_names if c not in table]
    if missing:
        raise DataError(f"The attributes file has no row for the class(es) {', '.join(missing[:5])}; add one per folder.")
    return table, unseen


def _scores(logp_attr: list[np.ndarray], table: dict, classes: list[str], attr_values: dict) -> np.ndarray:
    """(N, classes) log-probability of each class's description (attributes independent)."""
    names = list(attr_values)
    out = np.zeros((len(logp_attr[0]), len(classes)), np.float32)
    for k, c in enumerate(classes):
        for j, a in enumerate(names):
            out[:, k] += logp_attr[j][:, attr_values[a].index(table[c][a])]
    return out


def run_zero_shot(data: str | None = None, *, attributes: str | None = None, unseen: Sequence[str] | None = None,
                  n_per_class: int | None = None, size: int | None = None, held_out: int | None = None,
                  epochs: int | None = None, features: str | None = None, batch_size: int = 64, lr: float = 2e-3,
                  seed: int = 0, callbacks: Sequence = (), trainer=None, run_store=None, threads: int | None = None,
                  device: str = "cpu", progress=None) -> ZeroShotOutcome:
    """Train attribute predictors and a plain classifier on the seen classes; score images of the
    unseen classes (and held-out images of the seen ones) with both. ``data`` None: generated
    colour x shape classes, ``held_out`` of them unseen; else a folder with ``attributes``."""
    import torch

    from workbench.core.models import default_head
    from workbench.core.studies.sequences.common import fit_model, make_record, save, with_progress
    from workbench.core.studies.sequences.shots import EmbeddingHead, SmallCNN, chw, load_images

    started = time.perf_counter()
    d = ZERO_SHOT_DEFAULTS
    size, epochs = int(size or d["size"]), int(epochs or d["epochs"])
    if data is None:
        from workbench.core.studies.detection.captions import held_out_pairs

        images, labels, classes, table = generated_classes(int(n_per_class or d["n_per_class"]), size, seed)
        unseen_names = [f"{c} {s}" for c, s in held_out_pairs(int(d["held_out"] if held_out is None else held_out), seed)]
        features = features or "small-cnn"
        name = "generated colour x shape classes"
    else:
        if not attributes:
            raise DataError("Zero-shot on your folders needs an attributes CSV (class, attribute columns).")
        images, labels, classes, name = load_images(data, size if size >= 32 else 64)
        table, csv_unseen = read_attributes(attributes, classes)
        unseen_names = list(unseen or csv_unseen)
        features = features or "mobilenet_v2"
    bad = [u for u in unseen_names if u not in classes]
    if bad:
        raise DataError(f"The unseen class(es) {', '.join(bad)} are not among the classes ({', '.join(classes[:8])}...).")
    if not unseen_names or len(unseen_names) >= len(classes):
        raise DataError("Mark at least one class as unseen and keep at least one seen class.")
    attr_names = list(next(iter(table.values())))
    attr_values = {a: sorted({table[c][a] for c in classes}) for a in attr_names}
    unseen_idx = [classes.index(u) for u in unseen_names]
    seen_idx = [k for k in range(len(classes)) if k not in unseen_idx]
    lost = [f"{a}={v}" for a in attr_names for v in attr_values[a]
            if not any(table[classes[k]][a] == v for k in seen_idx)]
    rng = np.random.default_rng(seed)
    is_unseen = np.isin(labels, unseen_idx)
    seen_rows = rng.permutation(np.nonzero(~is_unseen)[0])
    n_te = max(len(seen_idx), len(seen_rows) // 6)
    n_va = max(len(seen_idx), len(seen_rows) // 8)
    te, va, tr = seen_rows[:n_te], seen_rows[n_te:n_te + n_va], seen_rows[n_te + n_va:]
    un = np.nonzero(is_unseen)[0]
    X = chw(images)
    Y_attr = np.stack([[attr_values[a].index(table[classes[k]][a]) for a in attr_names] for k in labels])
    sizes = [len(attr_values[a]) for a in attr_names]

    def net(outputs):
        torch.manual_seed(seed)
        return SmallCNN(X.shape[1], outputs) if features == "small-cnn" else EmbeddingHead(X.shape[1], outputs)

    model = net(sum(sizes))
    head = AttributeHead(attr_names, sizes)
    fit, cfg = fit_model(model, head, (X[tr], Y_attr[tr]), (X[va], Y_attr[va]), epochs=epochs, batch_size=batch_size,
                         lr=lr, seed=seed, callbacks=with_progress(callbacks, progress, "Attribute predictors", epochs),
                         trainer=trainer, device=device, threads=threads)
    seen_map = {k: i for i, k in enumerate(seen_idx)}
    plain = net(len(seen_idx))
    y_plain = np.array([seen_map[k] for k in labels[tr]])
    plain_fit, _ = fit_model(plain, default_head("multiclass"), (X[tr], y_plain),
                             (X[va], np.array([seen_map[k] for k in labels[va]])), epochs=epochs,
                             batch_size=batch_size, lr=lr, seed=seed,
                             callbacks=with_progress(callbacks, progress, "Plain classifier", epochs), trainer=trainer,
                             device=device, threads=threads)
    with torch.no_grad():
        rows = np.concatenate([te, un])
        raw = torch.cat([model.cpu()(torch.as_tensor(X[rows[i:i + 256]])) for i in range(0, len(rows), 256)]).numpy()
        praw = torch.cat([plain.cpu()(torch.as_tensor(X[rows[i:i + 256]])) for i in range(0, len(rows), 256)]).numpy()
    logp, start = [], 0
    for k in sizes:
        z = raw[:, start:start + k]
        logp.append(z - np.log(np.exp(z - z.max(1, keepdims=True)).sum(1, keepdims=True)) - z.max(1, keepdims=True))
        start += k
    cls_scores = _scores(logp, table, classes, attr_values)
    truth = labels[rows]
    part_un = np.isin(truth, unseen_idx)
    zsl = np.asarray(unseen_idx)[cls_scores[:, unseen_idx].argmax(1)]
    gzsl = cls_scores.argmax(1)
    plain_pred = np.asarray(seen_idx)[praw.argmax(1)]
    acc = lambda pred, m: float(np.mean(pred[m] == truth[m])) if m.any() else None  # noqa: E731
    attr_acc = {a: float(np.mean(logp[j][part_un].argmax(1) == Y_attr[rows][part_un, j])) if part_un.any() else None
                for j, a in enumerate(attr_names)}
    scores = {"zsl_unseen": acc(zsl, part_un), "gzsl_unseen": acc(gzsl, part_un), "gzsl_seen": acc(gzsl, ~part_un),
              "plain_unseen": acc(plain_pred, part_un), "plain_seen": acc(plain_pred, ~part_un),
              "chance_unseen": 1.0 / len(unseen_idx), "chance_all": 1.0 / len(classes),
              "gzsl_unseen_called_seen": float(np.mean(~np.isin(gzsl[part_un], unseen_idx))) if part_un.any() else None,
              **{f"attribute_{a}_unseen": v for a, v in attr_acc.items()}}
    conf = []
    for u in unseen_idx:
        m = truth == u
        conf.append({"true": classes[u], "n": int(m.sum()),
                     "zsl": dict(zip(*[[classes[int(c)] for c in np.unique(zsl[m])],
                                       [int((zsl[m] == c).sum()) for c in np.unique(zsl[m])]])),
                     "gzsl": {classes[int(c)]: int((gzsl[m] == c).sum()) for c in np.unique(gzsl[m])},
                     "plain": {classes[int(c)]: int((plain_pred[m] == c).sum()) for c in np.unique(plain_pred[m])}})
    ex_rows = np.nonzero(part_un)[0][:: max(1, int(part_un.sum()) // 12)][:12]
    examples = [{"image": images[rows[i]], "true": classes[truth[i]], "zsl": classes[zsl[i]], "gzsl": classes[gzsl[i]],
                 "plain": classes[plain_pred[i]]} for i in ex_rows]
    settings = {"data": data or "generated", "features": features, "size": size, "epochs": epochs, "seed": seed,
                "n_train": len(tr), "n_val": len(va), "n_test_seen": len(te), "n_test_unseen": len(un),
                "unattested_values": lost}
    out = ZeroShotOutcome(classes, unseen_names, attr_values, table, scores, conf, fit, plain_fit, None, None,
                          settings, examples)
    out.record = make_record(
        task="zeroshot", name=f"Zero-shot by attributes ({len(unseen_names)} unseen classes)",
        data={"name": name, "spec": data or "generated:colour-shape", "kind": "image", "n_samples": int(len(labels)),
              "class_names": classes}, model=model, model_name=f"attribute predictors ({features})", head=head,
        fit=fit, cfg=cfg, test={k: v for k, v in scores.items() if v is not None},
        baseline={"plain_unseen": scores["plain_unseen"], "plain_seen": scores["plain_seen"],
                  "chance_unseen": scores["chance_unseen"], "strategy": "plain classifier over the seen classes"},
        details={"unseen": unseen_names, "attributes": attr_values, "table": table, "confusion": conf,
                 "settings": settings, "plain_history": plain_fit.history},
        split_sizes={"train": len(tr), "val": len(va), "test": len(te), "test_unseen": len(un)}, started=started,
        task_kind="attributes")
    out.run_id = save(out.record, model, run_store)
    return out
