"""Declared parameter bounds: one declaration checks values, drives argparse and spin-box ranges."""
from __future__ import annotations

import argparse
from numbers import Integral, Real

import pytest

from workbench.core import params as P
from workbench.core.params import Interval, Options, Param, ParamError


def test_interval_bounds_and_sentence():
    p = Param("epochs", Interval(Integral, 1, 100), label="number of epochs")
    assert p.check(5) == 5 and p.check(3.0) == 3  # JSON may write a whole number as 3.0
    for bad in (0, 101, 10**22, True, "5", float("nan"), 2.5):
        with pytest.raises(ParamError) as e:
            p.check(bad)
        msg = str(e.value)
        assert msg.startswith("The number of epochs must be a whole number from 1 to 100") and msg.endswith(".")
        assert "\n" not in msg


def test_open_intervals_options_and_none():
    lr = Param("lr", Interval(Real, 0, 10, closed="right"))
    assert lr.check(10) == 10
    with pytest.raises(ParamError, match="greater than 0"):
        lr.check(0.0)
    with pytest.raises(ParamError):
        lr.check(float("inf"))
    opt = Param("optimizer", Options(str, ("adam", "sgd")), None)
    assert opt.check("Adam") == "Adam" and opt.check(None) is None
    with pytest.raises(ParamError, match="one of adam, sgd"):
        opt.check("banana")


def test_validate_a_settings_dict():
    out = P.validate({"epochs": 2.0, "lr": 0.1, "other": object(), "early_stopping": None}, P.TRAIN_PARAMS)
    assert out["epochs"] == 2 and isinstance(out["epochs"], int)
    with pytest.raises(ParamError, match="in the settings"):
        P.validate({"batch_size": 0}, P.TRAIN_PARAMS, where="the settings")


def test_argparse_type_is_one_line_and_exit_2(capsys):
    parser = argparse.ArgumentParser(prog="workbench x")
    parser.add_argument("--seed", type=P.SEED.arg_type)
    assert parser.parse_args(["--seed", "7"]).seed == 7
    for bad in ("99999999999999999999", "-1", "abc", "1" * 5000):
        with pytest.raises(SystemExit) as e:
            parser.parse_args(["--seed", bad])
        assert e.value.code == 2
        err = capsys.readouterr().err.strip().splitlines()[-1]
        assert "argument --seed: the seed must be a whole number from 0 to" in err and len(err) < 200


def test_spin_ranges():
    assert P.EPOCHS.spin_range() == (1, P.MAX_EPOCHS)
    assert P.SEED.spin_range() == (0, P.QT_INT_MAX)  # a QSpinBox holds 32-bit integers
    lo, hi = P.LR.spin_range()
    assert 0 < lo < 1e-300 and hi == 1e12
    assert Param("x", Interval(Integral, 0, 10, closed="neither")).spin_range() == (1, 9)


def test_train_config_and_split_plan_use_the_declarations():
    from workbench.core.data.splits import SplitPlan
    from workbench.core.errors import SplitError, TrainingError
    from workbench.core.training import TrainConfig

    with pytest.raises(TrainingError, match="number of epochs"):
        TrainConfig(epochs=10**22)
    with pytest.raises(TrainingError, match="seed"):
        TrainConfig(seed=2**70)
    with pytest.raises(SplitError, match="repeats"):
        SplitPlan.parse("iterated-kfold:100000x2")
    with pytest.raises(SplitError, match="trainings"):
        SplitPlan.parse("iterated-kfold:100x1000")
    assert SplitPlan.parse("iterated-kfold:3x5").k == 5
