"""Next-token prediction: a character- or word-level language model (Embedding -> GRU/LSTM ->
softmax over the vocabulary at every step), trained by the common Trainer on any text column.

The texts are split (seeded, by text) into training and validation texts; the vocabulary comes
from the training texts only (``core.data.text.TextVectorizer``). The training stream is cut into
windows of ``length`` tokens whose targets are the same tokens shifted by one. Perplexity is
exp(validation cross-entropy): how many tokens the model hesitates between on average. It is
compared with the unigram baseline (every token predicted with its training frequency, the
"no context" model). After each epoch text is sampled at a few temperatures and handed to
``on_sample``.
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from workbench.core.errors import DataError
from workbench.core.training.callbacks import Callback

STUDY = "language_model"
LEVELS = ("char", "word")


@dataclass
class LanguageSettings:
    level: str = "char"  # "char" or "word"
    vocab_size: int = 200  # most frequent training tokens kept (characters: all of them, usually)
    length: int = 64  # tokens per training window
    dim: int = 32  # Embedding size
    units: int = 128
    cell: str = "GRU"
    epochs: int = 10
    batch_size: int = 64
    lr: float = 3e-3
    seed: int = 0
    val: float = 0.1
    max_texts: int | None = 2000
    max_tokens: int = 400_000  # training tokens at most (the rest of the stream is left out)
    temperatures: tuple[float, ...] = (0.5, 1.0)
    sample_length: int = 160
    prompt: str = ""

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["temperatures"] = list(self.temperatures)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "LanguageSettings":
        names = {f.name for f in dataclasses.fields(cls)}
        kw = {k: v for k, v in (d or {}).items() if k in names}
        if "temperatures" in kw:
            kw["temperatures"] = tuple(float(t) for t in kw["temperatures"])
        return cls(**kw)


def texts_of(ds, column: str | None = None, max_texts: int | None = None, seed: int = 0) -> list[str]:
    """The texts of a text data set (its text column), or of a table's text column."""
    if ds is None:
        raise DataError("Load a text data set (a CSV with a text column, or builtin:imdb) first.")
    if ds.kind == "text":
        texts = [str(t) for t in ds.X]
    else:
        raise DataError(f"A language model reads texts, but this is {ds.kind} data; load a text CSV or builtin:imdb.")
    texts = [t for t in texts if t.strip()]
    if len(texts) < 2:
        raise DataError("A language model needs at least two non-empty texts.")
    if max_texts and len(texts) > max_texts:
        rng = np.random.default_rng(seed)
        texts = [texts[i] for i in np.sort(rng.choice(len(texts), size=int(max_texts), replace=False))]
    return texts


def make_vectorizer(level: str, vocab_size: int):
    from workbench.core.data.text import TextOptions, TextVectorizer

    if level not in LEVELS:
        raise DataError(f"Unknown level {level!r}; choose char or word.")
    opts = TextOptions(lowercase=True, punctuation=True, level=level, mode="sequence", length=1)
    return TextVectorizer(opts, vocab_size=int(vocab_size))


def _stream(vec, texts: list[str], limit: int | None = None) -> np.ndarray:
    """All texts' token ids in one stream, texts separated by a space (char) or nothing (word)."""
    sep = vec.encode(" ")
    out: list[int] = []
    for t in texts:
        out.extend(vec.encode(t))
        out.extend(sep)
        if limit and len(out) >= limit:
            break
    return np.asarray(out[:limit] if limit else out, dtype=np.int64)


def windows(stream: np.ndarray, length: int, stride: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(inputs (m, length), targets (m, length)): targets are the inputs shifted by one token."""
    stride = int(stride or length)
    n = (len(stream) - 1 - length) // stride + 1
    if n < 1:
        raise DataError(f"The texts give only {len(stream)} tokens, fewer than one window of {length}; use "
                        f"more text or a shorter window.")
    starts = np.arange(n) * stride
    idx = starts[:, None] + np.arange(length)[None, :]
    return stream[idx].astype(np.float32), stream[idx + 1]


def unigram_perplexity(train_stream: np.ndarray, eval_targets: np.ndarray, n_ids: int) -> float:
    """Perplexity of predicting every token with its (add-one smoothed) training frequency."""
    counts = np.bincount(train_stream, minlength=n_ids).astype(np.float64) + 1.0
    p = counts / counts.sum()
    return float(math.exp(-np.mean(np.log(p[np.asarray(eval_targets).ravel()]))))


def language_spec(n_ids: int, dim: int = 32, units: int = 128, cell: str = "GRU"):
    from workbench.core.models import LayerSpec, ModelSpec

    cell = "LSTM" if str(cell).upper() == "LSTM" else "GRU"
    return ModelSpec([LayerSpec.make("Embedding", dim=int(dim), vocab=int(n_ids)),
                      LayerSpec.make(cell, units=int(units), return_sequences=True)],
                     name=f"language-{cell.lower()}",
                     description=f"Embedding {dim} -> {cell} {units} (every step) -> softmax over {n_ids} token ids.")


def generate(model, vec, prompt: str = "", n: int = 160, temperature: float = 1.0, seed: int = 0,
             length: int = 64) -> str:
    """Sample ``n`` tokens after ``prompt``, each drawn from softmax(logits / temperature)."""
    import torch

    from workbench.core.data.text import FIRST_WORD_ID

    rng = np.random.default_rng(seed)
    ids = vec.encode(prompt) if prompt else [FIRST_WORD_ID]
    out: list[int] = []
    was = model.training
    model.eval()
    dev = next(model.parameters()).device
    with torch.no_grad():
        for _ in range(int(n)):
            ctx = torch.as_tensor(np.asarray((ids + out)[-length:], dtype=np.float32)[None], device=dev)
            logits = model(ctx)[0, -1].float().cpu().numpy().astype(np.float64)
            logits[:FIRST_WORD_ID] = -np.inf  # never padding or "unknown"
            z = logits / max(float(temperature), 1e-3)
            z -= z.max()
            p = np.exp(z)
            p /= p.sum()
            out.append(int(rng.choice(len(p), p=p)))
    if was:
        model.train()
    joiner = "" if vec.options.level == "char" else " "
    return joiner.join(vec.decode(out))


class SampleCallback(Callback):
    """After each epoch: text sampled at each temperature and the validation perplexity."""

    def __init__(self, vec, settings: LanguageSettings, on_sample: Callable[[dict], None]):
        self.vec, self.s, self.on_sample = vec, settings, on_sample

    def on_epoch_end(self, trainer, epoch, logs):
        vl = logs.get("val_data_loss", logs.get("val_loss"))
        samples = {float(t): generate(trainer.model, self.vec, self.s.prompt, self.s.sample_length, t,
                                      seed=self.s.seed + epoch, length=self.s.length) for t in self.s.temperatures}
        self.on_sample({"epoch": int(epoch), "samples": samples,
                        "val_perplexity": math.exp(vl) if vl is not None and vl < 50 else None})


@dataclass
class LanguageResult:
    record: Any
    model: Any
    vectorizer: Any
    perplexity: float | None  # on the validation texts
    unigram_perplexity: float
    samples: dict[float, str] = field(default_factory=dict)

    @property
    def beats_unigram(self) -> bool:
        return self.perplexity is not None and self.perplexity < self.unigram_perplexity

    def describe(self) -> str:
        return describe_perplexity(self.perplexity, self.unigram_perplexity)


def describe_perplexity(perplexity: float | None, unigram: float) -> str:
    if perplexity is None:
        return "No validation perplexity (training stopped before an epoch finished)."
    verdict = "below" if perplexity < unigram else "not below"
    return (f"Validation perplexity {perplexity:.2f}, {verdict} the unigram baseline's "
            f"{unigram:.2f} (each token guessed from its frequency alone).")


def language_view(record: dict) -> dict:
    """What the Explore panel shows of a language-model run (just trained, or read back from the
    project): perplexities, the samples of the last epoch and the validation perplexity curve."""
    d = record.get("details") or {}
    hist = [h for h in record.get("history") or [] if h.get("val_perplexity") is not None]
    ppl, uni = d.get("perplexity"), float(d.get("unigram_perplexity") or 0.0)
    return {"run_id": record.get("run_id"), "perplexity": ppl, "unigram": uni,
            "samples": dict(d.get("samples") or {}), "describe": describe_perplexity(ppl, uni),
            "message": record.get("message") or "",
            "curve": ([h["epoch"] for h in hist], [h["val_perplexity"] for h in hist])}


@dataclass
class LanguageTask:
    """The language model as a task for ``core.tasks.run_task``."""

    ds: Any
    s: LanguageSettings
    texts: list[str] | None = None
    name: str = ""
    on_sample: Callable[[dict], None] | None = None
    threads: int | None = None
    kind: str = STUDY
    section: str = "explore.language"

    def prepare(self, say):
        from workbench.core.models import build_model, default_head
        from workbench.core.tasks import Fitting, train_config_of
        from workbench.core.training import seed_everything

        s = self.s
        texts = self.texts if self.texts is not None else texts_of(self.ds, max_texts=s.max_texts, seed=s.seed)
        self.texts = texts
        rng = np.random.default_rng(s.seed)
        order = rng.permutation(len(texts))
        n_val = max(1, int(round(len(texts) * s.val)))
        self.val_texts = [texts[i] for i in np.sort(order[:n_val])]
        self.train_texts = [texts[i] for i in np.sort(order[n_val:])]
        self.vec = vec = make_vectorizer(s.level, s.vocab_size).fit(self.train_texts)
        self.n_ids = n_ids = vec.token_count
        self.tr_stream = _stream(vec, self.train_texts, s.max_tokens)
        self.va_stream = _stream(vec, self.val_texts, max(s.max_tokens // 5, s.length * 4))
        Xtr, Ytr = windows(self.tr_stream, s.length, max(1, s.length // 2))
        Xva, Yva = windows(self.va_stream, s.length)
        head = default_head("next_token")
        self.spec = language_spec(n_ids, s.dim, s.units, s.cell)
        seed_everything(s.seed)
        model = build_model(self.spec, (s.length,), (s.length, n_ids), head)
        cbs = [SampleCallback(vec, s, self.on_sample)] if self.on_sample is not None else []
        return Fitting(model, head, (Xtr, Ytr), (Xva, Yva), train_config_of(s, threads=self.threads), cbs)

    def finish(self, fitting, fit) -> dict:
        s, vec, n_ids, spec, model = self.s, self.vec, self.n_ids, self.spec, fitting.model
        best = fit.history[fit.best_epoch - 1] if fit.best_epoch else (fit.history[-1] if fit.history else {})
        vl = best.get("val_data_loss", best.get("val_loss"))
        self.perplexity = ppl = math.exp(vl) if vl is not None and vl < 50 else None
        self.unigram = uni = unigram_perplexity(self.tr_stream, fitting.val[1], n_ids)
        self.samples = samples = {float(t): generate(model, vec, s.prompt, s.sample_length, t, seed=s.seed,
                                                     length=s.length) for t in s.temperatures} if fit.history else {}
        history = [dict(h, val_perplexity=math.exp(h["val_data_loss"]) if h.get("val_data_loss", 99) < 50 else None)
                   for h in fit.history]
        ds = self.ds
        return dict(
            history=history, name=self.name or f"{s.level}-level language model", mode="holdout",
            data={"spec": _data_spec(ds), "name": getattr(ds, "name", "texts"), "kind": "text",
                  "source": getattr(ds, "source", {}), "n_samples": len(self.texts),
                  "train_tokens": int(len(self.tr_stream)), "val_tokens": int(len(self.va_stream))},
            preprocessing={"text_vectorizer": vec.to_dict()},
            split={"plan": {"kind": "holdout", "val": s.val, "seed": s.seed}, "text": "by text: validation texts are "
                   "never trained on", "sizes": {"train": len(self.train_texts), "val": len(self.val_texts)}},
            task="next_token", head=fitting.head.to_dict(),
            model={"name": spec.name, "spec": spec.to_dict(), "input_shape": [s.length],
                   "output_shape": [s.length, n_ids]},
            baseline={"val": {"perplexity": uni, "strategy": "unigram (token frequencies)"}},
            details={"settings": s.to_dict(), "perplexity": ppl, "unigram_perplexity": uni,
                     "samples": {str(k): v for k, v in samples.items()}, "token_ids": n_ids})


def train_language_model(ds, settings: LanguageSettings | None = None, *, texts: list[str] | None = None,
                         trainer=None, callbacks=(), on_sample: Callable[[dict], None] | None = None, project=None,
                         name: str = "", device: str = "auto", threads: int | None = None,
                         keep_one_core_free: bool = False) -> LanguageResult:
    from workbench.core.tasks import run_task, threads_for

    task = LanguageTask(ds, settings or LanguageSettings(), texts, name, on_sample,
                        threads_for(threads, keep_one_core_free))
    run = run_task(task, project=project, trainer=trainer, callbacks=callbacks, device=device)
    return LanguageResult(run.record, run.fitting.model, task.vec, task.perplexity, task.unigram, task.samples)


def _data_spec(ds) -> str:
    src = getattr(ds, "source", None) or {}
    if src.get("type") == "builtin":
        return f"builtin:{src.get('name')}"
    return str(src.get("path") or getattr(ds, "name", "texts"))
