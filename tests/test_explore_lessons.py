"""The two self-supervised lessons: conclusions computed from the runs, judged over seeds."""
from workbench.core.experiments import get_experiment, run_experiment


def test_autoencoder_code_separates_classes_it_never_saw():
    assert get_experiment("13").name == "autoencoder-code"
    r = run_experiment("autoencoder-code", full=False, seed=0, n_seeds=1)
    f = r.figures
    assert f["knn_code"] > f["knn_small_pixels"] + 0.05  # 16 learnt numbers beat 16 raw pixels
    assert f["knn_code"] > 0.85 and abs(f["knn_code"] - f["knn_raw"]) < 0.05
    assert r.verdict.outcome in ("agrees", "inconclusive") and f"{f['knn_code']:.1%}" in r.conclusion
    assert [row["features"] for row in r.table][0].startswith("autoencoder code")


def test_bottleneck_trades_reconstruction_for_compression():
    r = run_experiment("bottleneck", full=False, seed=0, n_seeds=2)
    mse = list(r.figures["mse"].values())
    assert mse[-1] < 0.6 * mse[0] and r.figures["monotone_steps"] >= 3
    assert r.verdict.outcome == "agrees" and len(r.verdict.effects) == 2  # judged over two seeds
    assert "Verdict" in r.conclusion and r.charts[0].series[0].y == mse
