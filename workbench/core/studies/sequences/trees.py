"""Syntax trees: a sentence in, its bracketed tree out, as a sequence-to-sequence problem
(Vinyals et al., 2015, "Grammar as a Foreign Language").

    out = train_tree_parser("arithmetic", attention=True)       # generated data, 1-5 operators
    out.test["exact"], out.test["bracket_f1"], out.baseline     # held-out, in distribution
    out.length_curve                                            # per size, 1 .. longest (train short, test long)
    out.parse("6 / 4 + 9 * 3")                                  # -> "( + ( / 6 4 ) ( * 9 3 ) )"

The baseline knows the data but not the grammar's hard part: arithmetic is bracketed left to right
(every operator as if of one precedence), an English sentence gets the tree most often seen in
training for its number of words, filled with its words.
"""
from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from workbench.core.errors import DataError
from workbench.core.studies.sequences import TREE_DEFAULTS
from workbench.core.studies.sequences.grammar import Example, bracket_scores, generate, read_tree


@dataclass
class TreeOutcome:
    grammar: str
    attention: bool
    test: dict                 # in-distribution held-out scores (exact, bracket_f1, ...)
    baseline: dict             # the same scores of the rule baseline
    beam_test: dict | None     # the same with beam search (None when not asked)
    length_curve: list[dict]   # {"size", "exact", "bracket_f1", "baseline_exact", "n", "trained"}
    examples: list[dict]       # {"sentence", "truth", "predicted", "correct"}
    fit: object = None
    record: object = None
    run_id: str | None = None
    model: object = None
    src_vocab: object = None
    tgt_vocab: object = None
    settings: dict = field(default_factory=dict)

    def parse(self, sentence: str | Sequence[str], beam: int = 1) -> list[str]:
        from workbench.core.studies.sequences.seq2seq import decode_all

        words = sentence.split() if isinstance(sentence, str) else list(sentence)
        src = self.src_vocab.encode(words, max(self.model.src_len, len(words)))[None, : self.model.src_len]
        if len(words) > self.model.src_len:
            raise DataError(f"The sentence has {len(words)} words; this model reads at most {self.model.src_len}.")
        return decode_all(self.model, src, self.tgt_vocab, beam=beam)[0][0]

    def summary(self) -> dict:
        return {"grammar": self.grammar, "attention": self.attention, "test": self.test, "baseline": self.baseline,
                "beam_test": self.beam_test, "length_curve": self.length_curve, "examples": self.examples[:10],
                "run_id": self.run_id, "settings": self.settings,
                "epochs": len(self.fit.history) if self.fit is not None else 0,
                "train_time": float(self.fit.time) if self.fit is not None else None}


def rule_baseline(grammar: str, train: list[Example], sentences: list[list[str]]) -> list[list[str]]:
    if grammar == "arithmetic":
        out = []
        for words in sentences:
            tree = [words[0]]
            for i in range(1, len(words) - 1, 2):
                tree = ["(", words[i], *tree, words[i + 1], ")"]
            out.append(tree)
        return out
    by_len: dict[int, Counter] = {}
    for ex in train:
        shape = tuple("*" if t not in ("(", ")") and (i == 0 or ex.tree[i - 1] != "(") else t
                      for i, t in enumerate(ex.tree))
        by_len.setdefault(len(ex.words), Counter())[shape] += 1
    out = []
    for words in sentences:
        counts = by_len.get(len(words))
        if not counts:
            out.append(["(", "S", *words, ")"])
            continue
        it = iter(words)
        out.append([next(it) if t == "*" else t for t in counts.most_common(1)[0][0]])
    return out


def _encode(examples, src_vocab, tgt_vocab, src_len, tgt_len):
    from workbench.core.studies.sequences.seq2seq import targets

    src = np.stack([src_vocab.encode(e.words, src_len) for e in examples])
    dec_in, dec_out = targets(tgt_vocab, [e.tree for e in examples], tgt_len)
    return src, dec_in, dec_out


def train_tree_parser(grammar: str = "arithmetic", *, attention: bool = True, n_train: int | None = None,
                      train_sizes: Sequence[int] | None = None, test_sizes: Sequence[int] | None = None,
                      n_test: int | None = None, epochs: int | None = None, hidden: int | None = None,
                      batch_size: int = 128, lr: float = 3e-3, seed: int = 0, beam: int = 0,
                      callbacks: Sequence = (), trainer=None, run_store=None, threads: int | None = None,
                      device: str = "cpu", progress=None) -> TreeOutcome:
    """Generate sentences of ``train_sizes`` (operators or phrases), train the GRU encoder-decoder
    (with or without attention), score held-out sentences of the same sizes (exact match and
    PARSEVAL bracket F1, beside the rule baseline) and of every size up to the largest of
    ``test_sizes`` (the length curve). Test sentences never appear in training."""
    import torch

    from workbench.core.studies.sequences.common import EpochScore, fit_model, make_record, save, with_progress
    from workbench.core.studies.sequences.seq2seq import TokenHead, TreeNet, Vocab, decode_all, n_parameters, pack

    started = time.perf_counter()
    d = TREE_DEFAULTS[grammar] if grammar in TREE_DEFAULTS else TREE_DEFAULTS["arithmetic"]
    n_train = int(n_train or d["n_train"])
    n_test = int(n_test or d["n_test"])
    train_sizes = list(train_sizes or d["train_sizes"])
    test_sizes = list(test_sizes or d["test_sizes"])
    epochs, hidden = int(epochs or d["epochs"]), int(hidden or d["hidden"])
    pool = generate(grammar, int(n_train * 1.15) + n_test, train_sizes, seed)
    # held-out sentences: none of their word sequences is in training
    test = pool[:n_test]
    seen_test = {tuple(e.words) for e in test}
    rest = [e for e in pool[n_test:] if tuple(e.words) not in seen_test]
    n_val = max(50, len(rest) // 12)
    val, train = rest[:n_val], rest[n_val:n_val + n_train]
    sizes_all = list(range(min(train_sizes), max(max(test_sizes), max(train_sizes)) + 1))
    per_size = max(40, n_test // max(1, len(train_sizes)) // 2)
    in_train = {tuple(t.words) for t in train}
    long_sets = {s: [e for e in generate(grammar, per_size, [s], seed + 1000 + s) if tuple(e.words) not in in_train]
                 for s in sizes_all}
    every = train + val + test + [e for v in long_sets.values() for e in v]
    src_vocab = Vocab([w for e in every for w in e.words])
    tgt_vocab = Vocab([w for e in every for w in e.tree])
    src_len = max(len(e.words) for e in every)
    tgt_len = max(len(e.tree) for e in every) + 1
    max_train_tgt = max(len(e.tree) for e in train) + 1
    torch.manual_seed(seed)
    model = TreeNet(len(src_vocab), len(tgt_vocab), src_len, tgt_len, hidden=hidden, attention=attention)
    head = TokenHead()
    s_tr, i_tr, o_tr = _encode(train, src_vocab, tgt_vocab, src_len, max_train_tgt)
    s_va, i_va, o_va = _encode(val, src_vocab, tgt_vocab, src_len, max_train_tgt)

    def val_exact() -> float:
        k = min(len(val), 300)
        pred, _ = decode_all(model, s_va[:k], tgt_vocab)
        return float(np.mean([p == e.tree for p, e in zip(pred, val[:k])]))

    cbs = [EpochScore("exact", val_exact)] + with_progress(callbacks, progress, "Training the parser", epochs)
    fit, cfg = fit_model(model, head, (pack(s_tr, i_tr), o_tr), (pack(s_va, i_va), o_va), epochs=epochs,
                         batch_size=batch_size, lr=lr, seed=seed, callbacks=cbs, trainer=trainer, device=device,
                         threads=threads)
    model.cpu().eval()

    def score(exs, beam_width: int = 1) -> tuple[dict, list]:
        src = np.stack([src_vocab.encode(e.words, src_len) for e in exs])
        pred, _ = decode_all(model, src, tgt_vocab, beam=beam_width)
        return bracket_scores([e.tree for e in exs], pred), pred

    test_scores, test_pred = score(test)
    base_pred = rule_baseline(grammar, train, [e.words for e in test])
    base_scores = bracket_scores([e.tree for e in test], base_pred)
    beam_scores = score(test, beam)[0] if beam and beam > 1 else None
    curve = []
    for s in sizes_all:
        exs = long_sets[s]
        if not exs:
            continue
        sc, _ = score(exs)
        bs = bracket_scores([e.tree for e in exs], rule_baseline(grammar, train, [e.words for e in exs]))
        curve.append({"size": s, "exact": sc["exact"], "bracket_f1": sc["bracket_f1"], "baseline_exact": bs["exact"],
                      "baseline_f1": bs["bracket_f1"], "n": len(exs), "trained": s in train_sizes,
                      "words": float(np.mean([len(e.words) for e in exs]))})
    examples = [{"sentence": " ".join(e.words), "truth": " ".join(e.tree), "predicted": " ".join(p),
                 "correct": p == e.tree} for e, p in zip(test[:40], test_pred[:40])]
    settings = {"grammar": grammar, "attention": attention, "n_train": len(train), "n_val": len(val),
                "n_test": len(test), "train_sizes": train_sizes, "test_sizes": sizes_all, "hidden": hidden,
                "epochs": epochs, "batch_size": batch_size, "lr": lr, "seed": seed, "parameters": n_parameters(model)}
    out = TreeOutcome(grammar, attention, test_scores, base_scores, beam_scores, curve, examples, fit, None, None,
                      model, src_vocab, tgt_vocab, settings)
    unit = "operators" if grammar == "arithmetic" else "phrases"
    out.record = make_record(
        task="trees", name=f"Syntax trees ({grammar}, {'attention' if attention else 'no attention'})",
        data={"name": f"generated {grammar}", "spec": f"generated:{grammar}", "kind": "text", "n_samples": len(train),
              "source": {"type": "generated", "grammar": grammar, "seed": seed}},
        model=model, model_name=f"GRU encoder-decoder{' + attention' if attention else ''}", head=head, fit=fit,
        cfg=cfg, test=test_scores, baseline={**base_scores, "strategy": "left-to-right" if grammar == "arithmetic"
                                             else "most frequent tree for the length"},
        details={"length_curve": curve, "examples": examples[:20], "settings": settings, "unit": unit,
                 "beam_test": beam_scores, "vocab": {"source": src_vocab.to_list(), "target": tgt_vocab.to_list()}},
        split_sizes={"train": len(train), "val": len(val), "test": len(test)}, started=started)
    out.run_id = save(out.record, model, run_store)
    return out
