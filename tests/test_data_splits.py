"""Split plans: property tests (disjoint, complete, stratified, time order, repeats, seeds), leaks."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbench.core.data import Dataset, SplitPlan, Splits
from workbench.core.errors import SplitError

# derandomize: the same examples on every run (deterministic CI); database=None: no .hypothesis folder
PROPS = settings(max_examples=15, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow])


def make_ds(counts, seed=0, time=False, dup_pairs=0):
    """A table with the given class counts, unique rows (unless dup_pairs copies are added)."""
    rng = np.random.default_rng(seed)
    y = np.concatenate([np.full(c, i) for i, c in enumerate(counts)]).astype(np.int64)
    rng.shuffle(y)
    X = np.arange(len(y), dtype=np.float64)[:, None] * np.ones((1, 2))
    for i in range(dup_pairs):  # row 2i+1 becomes a copy of row 2i (same label)
        X[2 * i + 1] = X[2 * i]
        y[2 * i + 1] = y[2 * i]
    t = rng.permutation(len(y)).astype(np.float64) if time else None
    return Dataset(name="t", kind="table", X=X, y=y, class_names=[f"c{i}" for i in range(len(counts))],
                   feature_names=["a", "b"], time=t)


class_counts = st.lists(st.integers(min_value=6, max_value=40), min_size=2, max_size=4)


def check_partition(splits: Splits, n: int, every_fold_complete: bool = True):
    test = set(splits.test_idx.tolist())
    dropped = set(splits.dropped.tolist())
    used = set()
    for f in splits.folds:
        tr, va = set(f.train_idx.tolist()), set(f.val_idx.tolist())
        assert not (tr & va) and not (tr & test) and not (va & test) and not (dropped & (tr | va | test))
        if every_fold_complete:
            assert tr | va | test | dropped == set(range(n))
        assert len(tr) + len(va) == len(f.train_idx) + len(f.val_idx)  # no repeats inside a part
        used |= tr | va
    assert used | test | dropped == set(range(n))
    assert set(splits.rest_idx.tolist()) == used


def within_one(part_counts: dict, ref_counts: dict, share: float):
    for c, ref in ref_counts.items():
        assert abs(part_counts[c] - ref * share) <= 1, (c, part_counts[c], ref * share)


@PROPS
# >= 12 per class: even a 10% part has at least one sample per class (fewer is a SplitError)
@given(counts=st.lists(st.integers(12, 40), min_size=2, max_size=4),
       val=st.sampled_from([0.0, 0.1, 0.25]), test=st.sampled_from([0.0, 0.15, 0.3]),
       seed=st.integers(0, 10_000))
def test_holdout_is_disjoint_complete_and_stratified(counts, val, test, seed):
    ds = make_ds(counts, seed)
    s = SplitPlan("holdout", val=val, test=test, seed=seed).make(ds)
    n = len(ds)
    check_partition(s, n)
    assert len(s.folds) == 1
    assert len(s.test_idx) == int(np.ceil(test * n - 1e-9)) and len(s.val_idx) == int(np.ceil(val * n - 1e-9))
    within_one(s.class_counts["test"], s.class_counts["all"], len(s.test_idx) / n)
    within_one(s.class_counts["folds"][0]["val"], s.class_counts["rest"], len(s.val_idx) / s.sizes["rest"])


@PROPS
# at least 10 per class: after a 20% test draw every class keeps >= 7 samples, enough for K <= 5
@given(counts=st.lists(st.integers(10, 40), min_size=2, max_size=4), k=st.integers(2, 5),
       repeats=st.integers(1, 3), seed=st.integers(0, 10_000))
def test_kfold_folds_partition_the_rest_and_are_stratified(counts, k, repeats, seed):
    ds = make_ds(counts, seed)
    kind = "kfold" if repeats == 1 else "iterated-kfold"
    s = SplitPlan(kind, k=k, repeats=repeats, test=0.2, seed=seed).make(ds)
    check_partition(s, len(ds))
    assert len(s.folds) == k * repeats
    rest = set(range(len(ds))) - set(s.test_idx.tolist())
    for r in range(repeats):
        vals = [f.val_idx for f in s.folds if f.repeat == r]
        assert [f.fold for f in s.folds if f.repeat == r] == list(range(k))
        assert sorted(np.concatenate(vals).tolist()) == sorted(rest)  # every sample validated once
        for f, cc in zip(s.folds, s.class_counts["folds"]):
            if f.repeat == r:
                within_one(cc["val"], s.class_counts["rest"], 1 / k)


@PROPS
@given(n_per=st.integers(15, 40), seed=st.integers(0, 10_000))
def test_iterated_kfold_repeats_differ_and_seeds_reproduce(n_per, seed):
    ds = make_ds([n_per, n_per], seed)
    plan = SplitPlan.parse("iterated-kfold:2x3", seed=seed)
    a, b = plan.make(ds), plan.make(ds)
    assert a.to_dict() == b.to_dict()  # same seed, same split
    rep0 = {tuple(f.val_idx) for f in a.folds if f.repeat == 0}
    rep1 = {tuple(f.val_idx) for f in a.folds if f.repeat == 1}
    assert rep0 != rep1  # reshuffled for each repeat
    other = SplitPlan.parse("iterated-kfold:2x3", seed=seed + 1).make(ds)
    assert other.test_idx.tolist() != a.test_idx.tolist() or other.folds[0].val_idx.tolist() != a.folds[0].val_idx.tolist()


@PROPS
@given(counts=class_counts, val=st.sampled_from([0.1, 0.2]), test=st.sampled_from([0.1, 0.25]),
       seed=st.integers(0, 10_000), k=st.integers(2, 4))
def test_time_splits_keep_time_order(counts, val, test, seed, k):
    ds = make_ds(counts, seed, time=True)
    t = ds.time
    for plan in (SplitPlan("time", val=val, test=test), SplitPlan("time-kfold", k=k, test=test)):
        s = plan.make(ds)
        # time-ordered K-fold leaves the future after each fold's validation block unused
        check_partition(s, len(ds), every_fold_complete=plan.kind == "time")
        assert t[s.test_idx].min() > max(t[f.train_idx].max() for f in s.folds)
        assert len(s.test_idx) == int(np.ceil(test * len(ds) - 1e-9))
        for f in s.folds:
            assert t[f.train_idx].max() < t[f.val_idx].min()  # train is the past
            if len(s.test_idx):
                assert t[f.val_idx].max() < t[s.test_idx].min()
        # no shuffling: another seed gives the same split
        reseeded = SplitPlan.from_dict({**plan.to_dict(), "seed": 99}).make(ds)
        assert reseeded.to_dict()["folds"] == s.to_dict()["folds"]


def test_time_kfold_uses_time_series_semantics():
    ds = make_ds([10, 10], time=True)
    s = SplitPlan.parse("time-kfold:3,0.2").make(ds)
    order = np.argsort(ds.time)
    rest_order = order[:16]
    assert [len(f.train_idx) for f in s.folds] == [4, 8, 12]
    assert [len(f.val_idx) for f in s.folds] == [4, 4, 4]
    assert set(s.folds[0].train_idx) == set(rest_order[:4].tolist())


def test_parse_round_trip_and_describe():
    for text in ["holdout:0.2,0.2", "kfold:5", "iterated-kfold:3x5", "time:0.2,0.2", "time-kfold:4,0.1",
                 "holdout:0.1,0.3;seed=7;drop-duplicates;no-stratify"]:
        plan = SplitPlan.parse(text)
        assert SplitPlan.parse(plan.to_text()) == plan
        assert SplitPlan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan
        assert plan.describe().endswith(".")
    p = SplitPlan.parse("iterated-kfold:3x5")
    assert (p.kind, p.repeats, p.k, p.test) == ("iterated-kfold", 3, 5, 0.2)
    p = SplitPlan.parse("holdout:0.1,0.3;seed=7;drop-duplicates")
    assert (p.val, p.test, p.seed, p.drop_duplicates) == (0.1, 0.3, 7, True)
    assert "60% train" in SplitPlan.parse("holdout:0.2,0.2").describe()


def test_split_errors_are_clear():
    ds = make_ds([5, 5])
    with pytest.raises(SplitError, match="add up to 1.1"):
        SplitPlan.parse("holdout:0.6,0.5")
    with pytest.raises(SplitError, match="Unknown split"):
        SplitPlan.parse("bootstrap:3")
    with pytest.raises(SplitError, match="Cannot read the split"):
        SplitPlan.parse("kfold:five")
    with pytest.raises(SplitError, match=r"20 folds need at least 20 samples .* only 8; choose K <= 8"):
        SplitPlan.parse("kfold:20").make(ds)
    with pytest.raises(SplitError, match=r"5 stratified folds need at least 5 samples of every class.*only 4"):
        SplitPlan.parse("kfold:5").make(ds)
    SplitPlan.parse("kfold:5;no-stratify").make(ds)  # fine without stratification
    with pytest.raises(SplitError, match="only 1 sample"):
        SplitPlan.parse("holdout:0.2,0.2").make(make_ds([1, 9]))
    with pytest.raises(SplitError, match="fewer than the 3 classes"):
        SplitPlan.parse("holdout:0,0.1").make(make_ds([6, 6, 6]))
    with pytest.raises(SplitError, match="K-fold needs at least 2 folds"):
        SplitPlan.parse("kfold:1")


def test_regression_and_multilabel_are_not_stratified():
    rng = np.random.default_rng(0)
    reg = Dataset(name="r", kind="table", X=rng.normal(size=(30, 2)), y=rng.normal(size=30))
    s = SplitPlan.parse("kfold:3").make(reg)
    check_partition(s, 30)
    assert s.class_counts["test"] == {} and s.sizes["test"] == 6
    ml = Dataset(name="m", kind="table", X=rng.normal(size=(30, 2)), y=(rng.random((30, 3)) > 0.5).astype(np.int64),
                 class_names=["a", "b", "c"])
    s = SplitPlan.parse("holdout:0.2,0.2").make(ml)
    assert set(s.class_counts["test"]) == {"a", "b", "c"}


# ------------------------------------------------------------------ leaks
def test_leaks_are_reported_and_dropped_from_the_non_test_side():
    ds = make_ds([30, 30], dup_pairs=20)  # 20 pairs of identical rows
    plan = SplitPlan.parse("holdout:0.2,0.3;seed=3")
    s = plan.make(ds)
    assert s.leaks, "with 20 duplicate pairs and 30% test some pair must straddle parts"
    for lk in s.leaks:
        assert len(lk.indices) == 2 and len(lk.splits) == 2 and lk.folds == [0]
        assert np.array_equal(ds.X[lk.indices[0]], ds.X[lk.indices[1]])
    assert any("identical samples" in w for w in s.warnings)

    clean = SplitPlan.parse("holdout:0.2,0.3;seed=3;drop-duplicates").make(ds)
    assert clean.leaks == []
    assert np.array_equal(clean.test_idx, s.test_idx)  # the test set is never touched
    pairs_in_test = sum(1 for i in range(20) if {2 * i, 2 * i + 1} <= set(s.test_idx.tolist()))
    assert len(clean.dropped) == 20 - pairs_in_test  # one of every pair goes unless both are test
    check_partition(clean, len(ds))
    dropped = set(clean.dropped.tolist())
    test = set(clean.test_idx.tolist())
    for i in range(20):
        pair = {2 * i, 2 * i + 1}
        if pair & test:
            assert pair - test <= dropped  # the copy of a test sample leaves train/val
        else:
            assert len(pair & dropped) == 1


def test_kfold_leaks_and_json_round_trip():
    ds = make_ds([20, 20], dup_pairs=6)
    s = SplitPlan.parse("kfold:4,0").make(ds)
    assert len(s.test_idx) == 0
    assert s.leaks and all(set(lk.splits) == {"train", "val"} for lk in s.leaks)
    d = json.loads(json.dumps(s.to_dict()))
    back = Splits.from_dict(d)
    assert back.to_dict() == s.to_dict()
    assert "LEAK" in s.describe()
    assert SplitPlan.parse("kfold:4,0;drop-duplicates").make(ds).leaks == []


def test_time_split_without_time_column_uses_row_order_and_says_so():
    ds = make_ds([10, 10])
    s = SplitPlan.parse("time:0.2,0.2").make(ds)
    assert s.test_idx.tolist() == list(range(16, 20)) and s.val_idx.tolist() == list(range(12, 16))
    assert any("row order" in w for w in s.warnings)
