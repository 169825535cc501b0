"""Sentences and their syntax trees, generated: arithmetic expressions and a small English grammar.

Arithmetic: ``6 / 4 + 9 * 3`` -> ``( + ( / 6 4 ) ( * 9 3 ) )`` (the usual precedence, operators of
one level left-associative). English: ``the big dog saw a cat`` -> ``( S ( NP the big dog ) ( VP saw
( NP a cat ) ) )``. Both are token lists; a tree is "(" LABEL children ")" and leaves are the
sentence's own words, so a predicted tree can be compared with the true one bracket by bracket.

Bracket scores follow PARSEVAL (Black et al., 1991, "A procedure for quantitatively comparing the
syntactic coverage of English grammars"), as evalb computes them: each labelled constituent is
(label, first leaf, last leaf + 1); precision and recall count the multiset of constituents the
two trees share; F1 is their harmonic mean. A predicted token list that is not a well-formed tree
counts as a tree with no constituents (precision and recall 0 for that sentence).
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from workbench.core.errors import DataError

GRAMMARS = ("arithmetic", "english")
OPERATORS = ("+", "-", "*", "/")
_PREC = {"+": 1, "-": 1, "*": 2, "/": 2}

# the small English grammar: S -> NP VP; NP -> Det Adj* N PP?; VP -> V NP PP?; PP -> P NP
DETS = ("the", "a", "every", "some")
ADJS = ("big", "small", "red", "old", "happy")
NOUNS = ("dog", "cat", "man", "park", "ball", "bird", "house")
VERBS = ("saw", "chased", "liked", "found")
PREPS = ("in", "near", "with", "under")


@dataclass
class Example:
    words: list[str]   # the sentence
    tree: list[str]    # its bracketed tree, as tokens
    size: int          # operators (arithmetic) or phrases (English): the length the curve is drawn over


def _arith_tree(tokens: list[str]) -> list[str]:
    """Precedence parse of ``d op d op ... d`` into prefix brackets (shunting-yard)."""
    out: list[list[str]] = []
    ops: list[str] = []

    def reduce() -> None:
        op = ops.pop()
        b, a = out.pop(), out.pop()
        out.append(["(", op, *a, *b, ")"])

    for t in tokens:
        if t in _PREC:
            while ops and _PREC[ops[-1]] >= _PREC[t]:
                reduce()
            ops.append(t)
        else:
            out.append([t])
    while ops:
        reduce()
    return out[0]


def arithmetic_example(rng: np.random.Generator, n_ops: int) -> Example:
    words = [str(int(rng.integers(10)))]
    for _ in range(n_ops):
        words += [OPERATORS[int(rng.integers(4))], str(int(rng.integers(10)))]
    return Example(words, _arith_tree(words), n_ops)


def _np(rng: np.random.Generator, budget: list[int]) -> tuple[list[str], list[str]]:
    words = [DETS[int(rng.integers(len(DETS)))]]
    words += [ADJS[int(rng.integers(len(ADJS)))] for _ in range(int(rng.integers(0, 2)))]
    words.append(NOUNS[int(rng.integers(len(NOUNS)))])
    tree = ["(", "NP", *words]
    if budget[0] > 0 and rng.random() < 0.5:
        budget[0] -= 1
        pw, pt = _pp(rng, budget)
        words += pw
        tree += pt
    return words, tree + [")"]


def _pp(rng: np.random.Generator, budget: list[int]) -> tuple[list[str], list[str]]:
    p = PREPS[int(rng.integers(len(PREPS)))]
    w, t = _np(rng, budget)
    return [p, *w], ["(", "PP", p, *t, ")"]


def english_example(rng: np.random.Generator, n_pp: int) -> Example:
    """A sentence with exactly ``n_pp`` prepositional phrases (its length grows with them)."""
    budget = [n_pp]
    sw, st = _np(rng, budget)
    v = VERBS[int(rng.integers(len(VERBS)))]
    ow, ot = _np(rng, budget)
    vw, vt = [v, *ow], ["(", "VP", v, *ot]
    while budget[0] > 0:  # the phrases the nouns did not take attach to the verb phrase
        budget[0] -= 1
        pw, pt = _pp(rng, budget)
        vw += pw
        vt += pt
    return Example(sw + vw, ["(", "S", *st, *vt, ")", ")"], n_pp)


def generate(grammar: str, n: int, sizes, seed: int = 0) -> list[Example]:
    """``n`` examples whose sizes (operators / phrases) are drawn uniformly from ``sizes``."""
    if grammar not in GRAMMARS:
        raise DataError(f"Unknown grammar {grammar!r}; choose one of {', '.join(GRAMMARS)}.")
    sizes = [int(s) for s in sizes]
    if n < 1 or not sizes or min(sizes) < (1 if grammar == "arithmetic" else 0):
        raise DataError("Generate at least one sentence, with at least one operator (arithmetic) or zero phrases.")
    rng = np.random.default_rng(seed)
    make = arithmetic_example if grammar == "arithmetic" else english_example
    return [make(rng, sizes[int(rng.integers(len(sizes)))]) for _ in range(n)]


# ---- reading trees and scoring them ------------------------------------------------------------

def read_tree(tokens: list[str]):
    """Token list -> nested (label, [children]) with leaves as strings; None if not a well-formed tree."""
    pos = 0

    def node():
        nonlocal pos
        if pos + 1 >= len(tokens) or tokens[pos] != "(" or tokens[pos + 1] in ("(", ")"):
            raise ValueError
        label = tokens[pos + 1]
        pos += 2
        kids = []
        while pos < len(tokens) and tokens[pos] != ")":
            if tokens[pos] == "(":
                kids.append(node())
            else:
                kids.append(tokens[pos])
                pos += 1
        if pos >= len(tokens) or not kids:
            raise ValueError
        pos += 1
        return (label, kids)

    try:
        t = node()
    except ValueError:
        return None
    return t if pos == len(tokens) else None


def constituents(tree) -> Counter:
    """Multiset of (label, start, end) over the leaves (the PARSEVAL items)."""
    out: Counter = Counter()

    def walk(t, start: int) -> int:
        label, kids = t
        i = start
        for k in kids:
            i = walk(k, i) if isinstance(k, tuple) else i + 1
        out[(label, start, i)] += 1
        return i

    if tree is not None:
        walk(tree, 0)
    return out


def leaves(tree) -> list[str]:
    if tree is None:
        return []
    out: list[str] = []

    def walk(t):
        for k in t[1]:
            walk(k) if isinstance(k, tuple) else out.append(k)

    walk(tree)
    return out


def bracket_scores(gold: list[list[str]], pred: list[list[str]]) -> dict:
    """Corpus PARSEVAL: labelled bracket precision, recall and F1 (micro-averaged, as evalb), exact
    match (the whole token list), and the share of predictions that are well-formed trees."""
    match = n_gold = n_pred = exact = valid = 0
    for g, p in zip(gold, pred):
        cg = constituents(read_tree(g))
        tp = read_tree(p)
        valid += tp is not None
        cp = constituents(tp)
        match += sum((cg & cp).values())
        n_gold += sum(cg.values())
        n_pred += sum(cp.values())
        exact += list(g) == list(p)
    n = max(1, len(gold))
    prec = match / n_pred if n_pred else 0.0
    rec = match / n_gold if n_gold else 0.0
    f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
    return {"exact": exact / n, "bracket_precision": prec, "bracket_recall": rec, "bracket_f1": f1,
            "well_formed": valid / n, "n": len(gold)}


def draw_tree(tokens: list[str]) -> dict | None:
    """Layout for drawing: {"nodes": [{"label", "x", "y", "leaf"}], "edges": [(parent, child)]}; x
    in leaf units (leaves at 0, 1, 2, ...; a phrase centred over its children), y = depth."""
    tree = read_tree(tokens)
    if tree is None:
        return None
    nodes: list[dict] = []
    edges: list[tuple[int, int]] = []
    counter = [0]

    def walk(t, depth: int) -> int:
        if not isinstance(t, tuple):
            nodes.append({"label": t, "x": float(counter[0]), "y": float(depth), "leaf": True})
            counter[0] += 1
            return len(nodes) - 1
        me = len(nodes)
        nodes.append({"label": t[0], "x": 0.0, "y": float(depth), "leaf": False})
        kids = [walk(k, depth + 1) for k in t[1]]
        nodes[me]["x"] = float(np.mean([nodes[k]["x"] for k in kids]))
        edges.extend((me, k) for k in kids)
        return me

    walk(tree, 0)
    return {"nodes": nodes, "edges": edges}
