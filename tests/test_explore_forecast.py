"""Next-value forecasting: time-ordered windows, a model that beats repeating the last value."""
import numpy as np
import pytest

from workbench.core.data import load_data
from workbench.core.errors import DataError
from workbench.core.explore.forecast import (
    ForecastSettings, forecast, make_windows, series_of, synthetic_series, time_split,
)


def test_windows_and_the_time_ordered_split():
    X, y, pos = make_windows(np.arange(50.0), window=5, horizon=3)
    assert X.shape == (43, 5, 1) and list(X[0, :, 0]) == [0, 1, 2, 3, 4] and y[0] == 7 and pos[0] == 7
    assert np.all(X[:, -1, 0] < y)  # no window reaches its own target
    tr, va, te = time_split(len(y), 0.2, 0.2)
    assert tr.max() < va.min() and va.max() < te.min() and len(tr) + len(va) + len(te) == len(y)
    with pytest.raises(DataError, match="windows"):
        make_windows(np.arange(12.0), window=8, horizon=2)


def test_forecast_beats_repeating_the_last_value_on_a_generated_series(tmp_path):
    ds = synthetic_series(500, seed=1)
    res = forecast(ds, ForecastSettings(column="value", window=30, horizon=5, epochs=20, units=16, seed=0),
                   project=tmp_path, threads=1)
    for part in ("val", "test"):
        s = res.scores[part]
        assert s["model_mae"] < 0.8 * s["baseline_mae"], part
    assert res.beats_baseline and "beats the baseline" in res.describe()
    rec = res.record
    assert rec.study == "forecast" and rec.mode == "time" and rec.run_id
    assert rec.baseline["test"]["strategy"] == "repeat the last value"
    # every training target comes before every validation target, which come before the test ones
    p = res.target_positions
    assert p[res.parts["train"]].max() < p[res.parts["val"]].min() <= p[res.parts["val"]].max() < p[res.parts["test"]].min()


def test_a_messy_csv_column_in_time_order(tmp_path):
    rows = ["date,temperature,city"]
    rng = np.random.default_rng(0)
    dates = [f"2024-01-{d:02d}" for d in range(1, 32)] + [f"2024-02-{d:02d}" for d in range(1, 29)]
    order = rng.permutation(len(dates))  # rows out of order in the file
    for i in order:
        t = "" if i == 10 else f"{10 + 5 * np.sin(i / 4):.2f}"
        rows.append(f"{dates[i]},{t},{'Oslo' if i % 2 else 'Bergen'}")
    path = tmp_path / "weather.csv"
    path.write_text("\n".join(rows) + "\n")
    ds = load_data(path, target="city", time_column="date")
    ser = series_of(ds, "temperature")
    assert ser.filled == 1 and np.all(np.isfinite(ser.values)) and np.all(np.diff(ser.time) > 0)
    assert ser.values[0] == pytest.approx(10.0)
    with pytest.raises(DataError, match="categories|not a number"):
        series_of(ds, None)
    with pytest.raises(DataError, match="no column"):
        series_of(ds, "rain")
