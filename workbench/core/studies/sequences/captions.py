"""Captions: an image in, a sentence out (a CNN encoder, a GRU decoder attending over the image).

    out = train_captioner()                        # generated scenes, 3 colour-shape pairs held out
    out.test["seen"]["exact"], out.test["unseen"]["bleu4"], out.baselines["seen"]["nearest"]
    out.gallery                                    # attention over the image, word by word
    out = train_captioner(load_captions_csv("my/captions.csv"))   # the user's own images

Scored on held-out scenes: exact captions and corpus BLEU-4 (NLTK's ``corpus_bleu``, Papineni et
al. 2002, with smoothing method 1 of Chen & Cherry 2014 so a short corpus without 4-gram matches
is not 0), greedy and beam search, beside two baselines that need no network: the most frequent
training caption and the caption of the nearest training image (pixels, 16 x 16).
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from workbench.core.errors import DataError
from workbench.core.studies.sequences import CAPTION_DEFAULTS


def bleu4(refs: list[list[str]], hyps: list[list[str]]) -> float:
    from nltk.translate.bleu_score import SmoothingFunction, corpus_bleu

    if not refs:
        return 0.0
    return float(corpus_bleu([[r] for r in refs], [h if h else ["<empty>"] for h in hyps],
                             smoothing_function=SmoothingFunction().method1))


def caption_kind(words: list[str]) -> str:
    """"count" (two / three ...), "pair" (left of / above) or "one"."""
    if words and words[0] in ("two", "three"):
        return "count"
    return "pair" if ("above" in words or "of" in words) else "one"


def caption_scores(refs: list[list[str]], hyps: list[list[str]]) -> dict:
    """Exact captions, corpus BLEU-4, and exact captions per kind of scene (where the errors are)."""
    kinds: dict[str, list[bool]] = {}
    for r, h in zip(refs, hyps):
        kinds.setdefault(caption_kind(r), []).append(r == h)
    return {"exact": float(np.mean([r == h for r, h in zip(refs, hyps)])) if refs else 0.0,
            "bleu4": bleu4(refs, hyps), "n": len(refs),
            "by_kind": {k: float(np.mean(v)) for k, v in sorted(kinds.items())}}


def _small(images: np.ndarray) -> np.ndarray:
    import cv2

    return np.stack([cv2.resize(im, (16, 16), interpolation=cv2.INTER_AREA) for im in images]).reshape(
        len(images), -1).astype(np.float32) / 255.0


def baselines(train_images, train_caps, test_images, test_caps) -> dict:
    """Most frequent training caption; caption of the nearest training image (Euclidean, 16 x 16)."""
    from sklearn.neighbors import NearestNeighbors

    common = list(Counter(tuple(c) for c in train_caps).most_common(1)[0][0])
    nn_ = NearestNeighbors(n_neighbors=1).fit(_small(train_images))
    idx = nn_.kneighbors(_small(test_images), return_distance=False)[:, 0]
    return {"most_frequent": caption_scores(test_caps, [common] * len(test_caps)),
            "nearest": caption_scores(test_caps, [list(train_caps[i]) for i in idx]),
            "most_frequent_caption": " ".join(common)}


@dataclass
class CaptionOutcome:
    test: dict                 # {"seen": scores, "unseen": scores (generated data only)}; beam under "beam"
    baselines: dict            # {"seen": {"most_frequent": ..., "nearest": ...}, "unseen": ...}
    gallery: list[dict]        # {"image", "truth", "greedy", "beam", "attention" (T, side, side), "part"}
    held_out: list[tuple[str, str]]
    fit: object = None
    record: object = None
    run_id: str | None = None
    model: object = None
    vocab: object = None
    swapped: float | None = None  # unseen scenes: share of wrong captions that name only trained pairs
    settings: dict = field(default_factory=dict)

    def caption(self, images: np.ndarray, beam: int = 1) -> list[dict]:
        """Captions (and attention) for uint8 images (N, S, S, 3) of the trained size."""
        from workbench.core.studies.sequences.seq2seq import decode_all

        x = np.ascontiguousarray(np.asarray(images, np.float32).transpose(0, 3, 1, 2))
        words, atts = decode_all(self.model, x, self.vocab, keep_attention=True)
        side = self.model.side
        out = [{"caption": " ".join(w), "attention": (a.reshape(len(a), side, side) if a is not None else None)}
               for w, a in zip(words, atts or [None] * len(words))]
        if beam > 1:
            for o, w in zip(out, decode_all(self.model, x, self.vocab, beam=beam)[0]):
                o["beam"] = " ".join(w)
        return out

    def summary(self) -> dict:
        return {"test": self.test, "baselines": self.baselines, "held_out": [list(p) for p in self.held_out],
                "swapped": self.swapped, "settings": self.settings, "run_id": self.run_id,
                "examples": [{k: g[k] for k in ("truth", "greedy", "beam", "part")} for g in self.gallery[:12]],
                "epochs": len(self.fit.history) if self.fit is not None else 0,
                "train_time": float(self.fit.time) if self.fit is not None else None}


def _split(ds, held_out, seed: int, n_test: int):
    rng = np.random.default_rng(seed)
    held = set(held_out)
    unseen = [i for i, p in enumerate(ds.pairs) if held & set(p)]
    seen = [i for i, p in enumerate(ds.pairs) if not (held & set(p))]
    seen = list(rng.permutation(seen))
    n_te = min(n_test, max(1, len(seen) // 7))
    n_va = max(1, len(seen) // 12)
    return (np.asarray(seen[n_te + n_va:]), np.asarray(seen[n_te:n_te + n_va]), np.asarray(seen[:n_te]),
            np.asarray(unseen[:n_test], dtype=int))


def train_captioner(ds=None, *, n: int | None = None, size: int | None = None, held_out: int | None = None,
                    attention: bool = True, encoder: str | None = None, epochs: int | None = None,
                    hidden: int | None = None, width: int | None = None, beam: int | None = None,
                    batch_size: int = 32, lr: float = 2e-3, schedule: str | None = None, seed: int = 0,
                    n_test: int = 400, gallery: int = 12,
                    callbacks: Sequence = (), trainer=None, run_store=None, threads: int | None = None,
                    device: str = "cpu", progress=None) -> CaptionOutcome:
    """Train on generated scenes (``ds`` None: colour-shape pairs ``held_out`` never in training) or
    a user's CaptionSet; score held-out images (seen pairs, and unseen pairs for generated scenes)
    with exact match and BLEU-4 beside the two baselines."""
    import torch

    from workbench.core.studies.detection.captions import generate_captioned, held_out_pairs
    from workbench.core.studies.sequences.common import CosineLR, EpochScore, fit_model, make_record, save, with_progress
    from workbench.core.studies.sequences.seq2seq import CaptionNet, TokenHead, Vocab, decode_all, n_parameters, pack, targets

    started = time.perf_counter()
    d = CAPTION_DEFAULTS
    size, epochs = int(size or d["size"]), int(epochs or d["epochs"])
    hidden, width, encoder = int(hidden or d["hidden"]), int(width or d["width"]), encoder or d["encoder"]
    beam = int(d["beam"] if beam is None else beam)
    schedule = schedule or d.get("schedule", "constant")
    generated = ds is None
    if generated:
        ds = generate_captioned(int(n or d["n"]), size, seed=seed)
        held = held_out_pairs(int(d["held_out_pairs"] if held_out is None else held_out), seed)
    else:
        held = []
        if ds.images.shape[1] != size:
            size = int(ds.images.shape[1])
    if len(ds) < 10:
        raise DataError(f"A captioner needs at least 10 captioned images; this set has {len(ds)}.")
    tr, va, te, un = _split(ds, held, seed, n_test)
    if len(tr) < 5:
        raise DataError("Too few training images are left after the held-out split; use more images.")
    vocab = Vocab([w for c in ds.captions for w in c])
    max_len = max(len(c) for c in ds.captions) + 1
    x_img = np.ascontiguousarray(ds.images.transpose(0, 3, 1, 2))
    dec_in, dec_out = targets(vocab, ds.captions, max_len)
    torch.manual_seed(seed)
    model = CaptionNet(len(vocab), size, max_len, hidden=hidden, width=width, encoder=encoder, attention=attention)
    head = TokenHead()

    def val_exact() -> float:
        k = va[:300]
        pred, _ = decode_all(model, x_img[k].astype(np.float32), vocab)
        return float(np.mean([p == ds.captions[i] for p, i in zip(pred, k)]))

    X = pack(x_img.astype(np.float32), dec_in)
    fit, cfg = fit_model(model, head, (X[tr], dec_out[tr]), (X[va], dec_out[va]), epochs=epochs, batch_size=batch_size,
                         lr=lr, seed=seed, callbacks=[EpochScore("exact", val_exact)]
                         + ([CosineLR(epochs)] if schedule == "cosine" else [])
                         + with_progress(callbacks, progress, "Training the captioner", epochs),
                         trainer=trainer, device=device, threads=threads)
    model.cpu().eval()
    del X
    tests, bases = {}, {}
    parts = {"seen": te} if not generated else {"seen": te, "unseen": un}
    preds: dict[str, list] = {}
    swapped = None
    for part, idx in parts.items():
        if not len(idx):
            continue
        refs = [ds.captions[i] for i in idx]
        greedy, _ = decode_all(model, x_img[idx].astype(np.float32), vocab)
        sc = caption_scores(refs, greedy)
        if beam > 1:
            b_idx = idx[:200]  # beam search is one image at a time: a fixed share keeps it quick
            b_pred, _ = decode_all(model, x_img[b_idx].astype(np.float32), vocab, beam=beam)
            sc["beam"] = caption_scores([ds.captions[i] for i in b_idx], b_pred)
        tests[part] = sc
        preds[part] = greedy
        bases[part] = baselines(ds.images[tr], [ds.captions[i] for i in tr], ds.images[idx], refs)
        if part == "unseen":
            words_held = {f"{c} {s}" for c, s in held}
            wrong = [p for p, r in zip(greedy, refs) if p != r]
            swapped = (float(np.mean([not any(w in " ".join(p) for w in words_held) for p in wrong]))
                       if wrong else 0.0)
    gal = []
    for part, idx in parts.items():
        pick = idx[:gallery // len(parts)] if len(idx) else []
        if not len(pick):
            continue
        words, atts = decode_all(model, x_img[pick].astype(np.float32), vocab, keep_attention=True)
        beams = decode_all(model, x_img[pick].astype(np.float32), vocab, beam=max(2, beam))[0]
        for j, i in enumerate(pick):
            a = atts[j] if atts else None
            gal.append({"index": int(i), "image": ds.images[i], "truth": " ".join(ds.captions[i]),
                        "greedy": " ".join(words[j]), "beam": " ".join(beams[j]), "part": part,
                        "attention": a.reshape(len(a), model.side, model.side) if a is not None else None})
    settings = {"n": len(ds), "size": size, "encoder": encoder, "attention": attention, "hidden": hidden,
                "width": width, "epochs": epochs, "batch_size": batch_size, "lr": lr, "schedule": schedule, "seed": seed,
                "beam": beam,
                "held_out": [list(p) for p in held], "n_train": len(tr), "n_val": len(va), "n_test_seen": len(te),
                "n_test_unseen": len(un), "parameters": n_parameters(model), "generated": generated}
    out = CaptionOutcome(tests, bases, gal, held, fit, None, None, model, vocab, swapped, settings)
    flat_test = {f"{p}_{k}": v for p, s in tests.items() for k, v in s.items() if k in ("exact", "bleu4")}
    flat_base = {f"{p}_{k}": v for p, b in bases.items() for k, v in b["nearest"].items() if k in ("exact", "bleu4")}
    out.record = make_record(
        task="captions", name=f"Captions ({encoder}{', attention' if attention else ''})",
        data={"name": ds.name, "spec": ds.source.get("path") or "generated:captioned-scenes", "kind": "image",
              "n_samples": len(ds), "source": {k: v for k, v in ds.source.items() if k != "skipped"}},
        model=model, model_name=f"CNN ({encoder}) + GRU decoder{' + attention' if attention else ''}", head=head,
        fit=fit, cfg=cfg, test=flat_test, baseline={**flat_base, "strategy": "nearest training image's caption"},
        details={"scores": tests, "baselines": bases, "swapped": swapped, "settings": settings,
                 "vocab": vocab.to_list(), "examples": [{k: g[k] for k in ("index", "truth", "greedy", "beam", "part")}
                                                        for g in gal]},
        split_sizes={"train": len(tr), "val": len(va), "test": len(te), "test_unseen": len(un)}, started=started)
    out.run_id = save(out.record, model, run_store)
    return out


def attention_overlays(image: np.ndarray, attention, words: list[str], scale: int = 4) -> tuple[list[np.ndarray], list[str]]:
    """The image enlarged ``scale`` times and, per word, the image with that word's attention map
    (bilinear over the grid, normalised to its peak) laid over it in red -> (images, labels)."""
    import cv2

    big = cv2.resize(np.asarray(image, np.uint8), None, fx=scale, fy=scale, interpolation=cv2.INTER_NEAREST)
    out, labels = [big], ["image"]
    if attention is None:
        return out, labels
    h, w = big.shape[:2]
    for word, a in zip(list(words) + ["</s>"], attention):
        m = cv2.resize(np.asarray(a, np.float32), (w, h), interpolation=cv2.INTER_LINEAR)
        m = m / max(float(m.max()), 1e-8)
        dim = big.astype(np.float32) * (0.35 + 0.65 * m[..., None])
        dim[..., 0] = np.clip(dim[..., 0] + 120 * m, 0, 255)
        out.append(dim.astype(np.uint8))
        labels.append(word)
    return out, labels


def train_captioner_from(captions_csv: str | None = None, *, progress=None, **kwargs) -> CaptionOutcome:
    """``train_captioner`` on generated scenes (``captions_csv`` None) or on the user's CSV (one job
    for the panel: reading the images is part of it)."""
    kwargs.pop("should_cancel", None)  # the Trainer's Stop is how a training ends early
    ds = None
    if captions_csv:
        from workbench.core.studies.detection.captions import load_captions_csv

        ds = load_captions_csv(captions_csv, size=int(kwargs.get("size") or CAPTION_DEFAULTS["size"]))
    return train_captioner(ds, progress=progress, **kwargs)
