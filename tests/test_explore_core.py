"""core/explore: projections keep the points and are seeded, layer activations have the layer's
shape, clustering finds known blobs, selections save as data sets that load again, autoencoders
learn to rebuild their inputs, anomalies and neighbours find what they should."""
import numpy as np
import pytest

from workbench.core.data import Dataset, load_builtin, load_data
from workbench.core.errors import WorkbenchError
from workbench.core.explore import (
    PointIndex, ProjectionCancelled, cluster, cluster_report, distance_anomalies, layer_activations,
    nearest_neighbours, points_in_polygon, project, raw_embedding, run_embedding, run_layers, save_selection,
    search_labels, suggest_k,
)


@pytest.fixture(scope="module")
def digits():
    return load_builtin("digits")


@pytest.fixture(scope="module")
def blobs():
    from sklearn.datasets import make_blobs

    X, y = make_blobs(n_samples=400, centers=4, n_features=6, cluster_std=0.8, random_state=3)
    return X.astype(np.float32), y


def test_raw_embedding_subsamples_with_the_count_shown(digits):
    emb = raw_embedding(digits, max_points=500, seed=1)
    assert emb.vectors.shape == (500, 64) and len(np.unique(emb.indices)) == 500
    assert emb.count_text() == "500 of 1,797 samples (seeded random subsample)"
    assert 0.0 <= emb.vectors.min() and emb.vectors.max() <= 1.0  # pixels in [0, 1]
    counts = np.bincount(emb.labels, minlength=10)
    assert counts.min() >= 45  # stratified: every digit keeps its share (~50)
    assert np.array_equal(emb.labels, digits.y[emb.indices])
    assert raw_embedding(digits, max_points=None).count_text() == "1,797 samples"
    table = raw_embedding(load_builtin("iris"))
    assert set(table.values) == {"sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"}


def test_pca_keeps_points_shows_variance_and_any_components(digits):
    X = raw_embedding(digits, max_points=600).vectors
    p = project(X, "pca")
    assert p.coords.shape == (600, 2) and len(p.explained_variance) == 10
    assert p.explained_variance == sorted(p.explained_variance, reverse=True)
    q = p.on_axes((2, 4))
    assert np.allclose(q.coords, p.scores[:, [2, 4]]) and "PC3" in q.describe()
    assert project(X, "pca", dims=3).coords.shape == (600, 3)
    with pytest.raises(WorkbenchError):
        p.on_axes((0, 12))


def test_tsne_keeps_the_points_is_seeded_and_stops(blobs):
    X, _ = blobs
    a = project(X, "tsne", perplexity=20, n_iter=100, seed=5, n_jobs=1)
    b = project(X, "tsne", perplexity=20, n_iter=100, seed=5, n_jobs=1)
    assert a.coords.shape == (len(X), 2) and np.allclose(a.coords, b.coords)
    seen = []
    with pytest.raises(ProjectionCancelled):
        project(X, "tsne", n_iter=100, n_jobs=1, progress=lambda d, t, s: seen.append(d),
                should_cancel=lambda: len(seen) > 2)


def test_umap_keeps_the_points_and_is_seeded(blobs):
    X, y = blobs
    X, y = X[:200], y[:200]
    steps = []
    a = project(X, "umap", n_neighbors=10, seed=2, progress=lambda d, t, s: steps.append((d, t)))
    b = project(X, "umap", n_neighbors=10, seed=2)
    assert a.coords.shape == (200, 2) and np.allclose(a.coords, b.coords)
    assert any(t == 500 and d > 0 for d, t in steps)  # progress over the layout epochs
    c = cluster(a.coords, "kmeans", k=4)
    assert cluster_report(a.coords, c, y).ari > 0.9  # the blobs stay apart


def test_clustering_recovers_known_blobs(blobs):
    X, y = blobs
    ks = suggest_k(X, 2, 8)
    assert ks.best_k == 4 and len(ks.silhouettes) == 7
    for method in ("kmeans", "agglomerative"):
        c = cluster(X, method, k=4)
        rep = cluster_report(X, c, y, ["a", "b", "c", "d"])
        assert rep.ari > 0.98 and rep.purity > 0.99
        assert sorted(rep.sizes.values()) == sorted(np.bincount(y).tolist())
        assert len(rep.table) == 4 and {r["size"] for r in rep.table} == set(np.bincount(y).tolist())
        assert all(len(v) == 8 for v in rep.examples.values())
    d = cluster(X, "dbscan", min_samples=5)
    assert d.n_clusters == 4 and cluster_report(X, d, y).ari > 0.9
    with pytest.raises(WorkbenchError, match="between 2"):
        cluster(X, "kmeans", k=1)


def test_anomalies_and_neighbours(blobs):
    X, y = blobs
    odd = np.vstack([X, X.mean(0) + 40.0])
    c = cluster(odd, "kmeans", k=4)
    assert distance_anomalies(odd, c.centers, n=3).indices[0] == len(X)
    nn = nearest_neighbours(X, 0, k=10, metric="cosine")
    assert len(nn.indices) == 10 and 0 not in nn.indices and nn.distances == sorted(nn.distances)
    assert np.mean(y[nn.indices] == y[0]) >= 0.9
    nn_e = nearest_neighbours(X, 0, k=5)
    assert nn_e.distances[0] == pytest.approx(float(np.sort(np.linalg.norm(X - X[0], axis=1))[1]), rel=1e-4)


def test_lasso_hover_and_search():
    pts = np.array([[0, 0], [1, 1], [2, 2], [5, 5], [1, 0.2]], np.float32)
    assert points_in_polygon(pts, [(-0.5, -0.5), (2.5, -0.5), (2.5, 2.5), (-0.5, 2.5)]).tolist() == [0, 1, 2, 4]
    assert points_in_polygon(pts, [(0.5, 0), (1.5, 0), (1, 0.5)]).tolist() == [4]  # a triangle
    idx = PointIndex(pts)
    assert idx.nearest(4.9, 5.2) == 3 and idx.nearest(3.5, 3.5, max_distance=0.5) is None
    assert idx.nearest(1.05, 0.25, scale=(1.0, 10.0)) == 4
    assert search_labels("Cat", ["dog", "cat", "wildcat", "bird"]).tolist() == [1, 2]
    assert search_labels("fun", ["pos", "neg"], texts=["so much fun", "boring"]).tolist() == [0]


def test_layer_activations_of_a_trained_run_have_the_layers_shape(tmp_path, digits):
    from workbench.core.workflow import RunConfig, run_training

    res = run_training(RunConfig(data="builtin:digits", model="digits-cnn", split="holdout:0.2,0.2",
                                 train={"epochs": 1, "batch_size": 64}, project=str(tmp_path)))
    layers = run_layers(tmp_path, res.run_id)
    assert [l["type"] for l in layers][:2] == ["Conv2D", "BatchNorm"]
    for i in (0, 4, len(layers) - 2):
        emb = run_embedding(tmp_path, res.run_id, i, dataset=digits, max_points=300)
        assert emb.vectors.shape == (300, int(np.prod(layers[i]["output_shape"])))
        assert emb.layer_index == i and emb.source == "layer"
    X = digits.X[:7].transpose(0, 3, 1, 2).astype(np.float32) / 255.0
    acts = layer_activations(res.trained.model, X, 4)
    assert acts.shape == (7, *layers[4]["output_shape"])
    again = run_embedding(tmp_path, res.run_id, len(layers) - 2, max_points=300)  # the run's own data, reloaded
    assert again.vectors.shape == (300, 64)
    with pytest.raises(WorkbenchError, match="layer"):
        layer_activations(res.trained.model, X, 99)


def test_saving_a_selection_as_labelled_data_sets(tmp_path, digits):
    rows = np.arange(30)
    saved = save_selection(digits, rows, [f"cluster {r % 3 + 1}" for r in rows], tmp_path, "by cluster")
    back = load_data(saved.source, image_size=(8, 8), grayscale=True)
    assert len(back) == 30 and back.class_names == ["cluster 1", "cluster 2", "cluster 3"]
    assert saved.classes == {"cluster 1": 10, "cluster 2": 10, "cluster 3": 10}
    iris = load_builtin("iris")
    t = save_selection(iris, [0, 60, 120], ["small", "mid", "big"], tmp_path, "iris-sel")
    tb = load_data(t.source, target="label")
    assert tb.class_names == ["big", "mid", "small"] and np.allclose(tb.X, iris.X[[0, 60, 120]])
    text = Dataset("t", "text", np.array(["good, fine", 'said "no"', "meh"], dtype=object), np.array([0, 1, 0]),
                   ["a", "b"])
    tt = save_selection(text, [0, 1, 2], ["x", "y", "x"], tmp_path, "texts")
    assert list(load_data(tt.source, text_column="text").X) == ["good, fine", 'said "no"', "meh"]
    with pytest.raises(WorkbenchError, match="already exists"):
        save_selection(iris, [0], ["a"], tmp_path, "iris-sel")
    with pytest.raises(WorkbenchError):
        save_selection(iris, [0], ["a"], tmp_path, "../outside")
    slashed = save_selection(digits, [0, 1], ["a/../b", "a/../b"], tmp_path, "odd names")
    assert [p.name for p in slashed.path.iterdir()] == ["a_.._b"]  # a class name never leaves its folder


def test_autoencoder_reconstructions_improve_and_its_code_feeds_the_projector(tmp_path, digits):
    from workbench.core.explore.autoencoder import AutoencoderSettings, train_autoencoder

    previews = []
    res = train_autoencoder(digits, AutoencoderSettings(kind="dense", code_size=8, epochs=6, batch_size=64,
                                                        lr=3e-3, max_samples=900),
                            on_preview=previews.append, project=tmp_path, threads=1)
    val = [h["val_loss"] for h in res.fit.history]
    assert len(previews) == 6 and previews[0]["outputs"].shape == (8, 1, 8, 8)
    err0 = np.mean((previews[0]["outputs"] - previews[0]["inputs"]) ** 2)
    err1 = np.mean((previews[-1]["outputs"] - previews[-1]["inputs"]) ** 2)
    assert val[-1] < 0.85 * val[0] and err1 < 0.7 * err0
    mean_image = res.data.X[res.data.train].mean(0)  # the dumb baseline: always the average digit
    Xv = res.data.X[res.data.val]
    assert np.mean((res.model(__import__("torch").as_tensor(Xv)).sigmoid().detach().numpy() - Xv) ** 2) < \
        np.mean((mean_image - Xv) ** 2)
    emb = run_embedding(tmp_path, res.run_id, None, max_points=400)
    assert emb.source == "code" and emb.vectors.shape == (400, 8)
    assert res.record.study == "autoencoder" and res.record.details["code_layer"] == res.code_layer
