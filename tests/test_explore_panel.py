"""The Explore panel flows as a user would use it (pytest-qt, offscreen): project, hover, click for
neighbours, lasso and search, cluster and save, find anomalies, train an autoencoder and project
its code, forecast, and stop a long projection."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot, tmp_path):
    from workbench.ui.context import AppContext
    from workbench.ui.panels.explore import ExplorePanel

    ctx = AppContext(project_dir=tmp_path)
    p = ExplorePanel(ctx)
    qtbot.addWidget(p)
    p.resize(1300, 850)
    p.show()
    with qtbot.waitSignal(p.dataset_ready, timeout=60_000):
        p.load("builtin:digits")
    qtbot.waitUntil(lambda: not p.busy, timeout=10_000)
    yield p
    p.shutdown()


def _project(qtbot, p, method="pca"):
    tab = p.projector
    tab.method_combo.setCurrentIndex(tab.method_combo.findData(method))
    with qtbot.waitSignal(p.projection_ready, timeout=120_000):
        tab.project_btn.click()
    qtbot.waitUntil(lambda: not p.busy, timeout=10_000)
    return tab


def test_project_hover_neighbours_lasso_and_search(qtbot, panel):
    p = panel
    tab = _project(qtbot, p)
    assert len(p.projection.coords) == 1797 and "1,797 samples" in tab.info_label.text()
    assert "PC1" in tab.variance_label.text() and tab.colour_combo.currentData() == "class"
    # hover: the overlay shows the sample's thumbnail
    sc = tab.scatter
    i = 100
    pos = sc.view.mapViewToScene(QPointF(*sc.coords[i]))
    sc._on_move(pos)
    assert sc._hovered >= 0 and sc.overlay.isVisible() and sc.overlay.pixmap() is not None
    # click: the k nearest neighbours in the 64-pixel space, with thumbnails
    tab.k_spin.setValue(5)
    tab.show_neighbours(i)
    assert tab.neighbours_grid.count() == 6 and i not in tab.last_neighbours.indices
    # lasso around everything left of x = 0
    x0, x1 = sc.coords[:, 0].min() - 1, 0.0
    y0, y1 = sc.coords[:, 1].min() - 1, sc.coords[:, 1].max() + 1
    with qtbot.waitSignal(sc.selection_made):
        sc._lasso_done([(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
    left = int(np.sum(sc.coords[:, 0] < 0))
    assert len(tab.selection) == left and f"{left:,} selected" in tab.selection_label.text()
    assert tab.selection_grid.count() == min(left, 200)
    # search by label
    tab.search_edit.setText("7")
    tab._on_search()
    assert len(tab.selection) == int(np.sum(p.embedding.labels == 7))
    # PCA axes: other components without recomputing
    tab.pc_y.setValue(3)
    assert p.projection.components == (0, 2) and "PC3" in sc.plot.getAxis("left").labelText


def test_cluster_report_and_save_as_a_data_set(qtbot, panel, tmp_path):
    from workbench.core.data import load_data

    p = panel
    _project(qtbot, p)
    c = p.clusters
    c.kmax_spin.setValue(6)
    c.suggest_btn.click()
    qtbot.waitUntil(lambda: not p.busy and c.silhouette_curve.getData()[0] is not None, timeout=60_000)
    assert len(c.silhouette_curve.getData()[0]) == 5 and c.k_spin.value() in range(2, 7)
    with qtbot.waitSignal(p.clustering_ready, timeout=60_000):
        c.k_spin.setValue(10)
        c.cluster_btn.click()
    qtbot.waitUntil(lambda: not p.busy, timeout=10_000)
    assert "adjusted Rand index" in c.summary_label.text() and c.report.ari > 0.4
    assert c.table.rowCount() == 10 and c.table.columnCount() == 12  # cluster, size, one per class
    assert c.cluster_list.count() == 10 and c.examples.count() == 60
    assert p.projector.colour_combo.findData("cluster") >= 0
    for i in range(2, 10):
        c.cluster_list.item(i).setCheckState(Qt.CheckState.Unchecked)
    c.folder_edit.setText(str(tmp_path / "out"))
    c.name_edit.setText("two clusters")
    c.save_btn.click()
    qtbot.waitUntil(lambda: not p.busy and hasattr(c, "last_saved"), timeout=30_000)
    back = load_data(c.last_saved.source, image_size=(8, 8), grayscale=True)
    assert back.class_names == ["cluster 1", "cluster 2"] and len(back) == sum(c.report.sizes[k] for k in (0, 1))
    # anomalies by distance to those clusters
    a = p.anomalies
    a.n_spin.setValue(12)
    a.find_btn.click()
    qtbot.waitUntil(lambda: not p.busy and a.result is not None, timeout=30_000)
    assert a.gallery.count() == 12 and "distance" in a.summary.text()


def test_autoencoder_trains_live_and_its_code_feeds_the_projector(qtbot, panel):
    p = panel
    ae = p.autoencoder
    p.tabs.setCurrentWidget(ae)
    ae.epochs_spin.setValue(3)
    ae.code_spin.setValue(8)
    ae.max_spin.setValue(800)
    p.projector.max_points.setValue(800)
    ae.train_btn.click()
    qtbot.waitUntil(lambda: not p.busy and ae.last_run is not None, timeout=120_000)
    assert ae.previews == 3 and ae.inputs_grid.count() == 8 and ae.outputs_grid.count() == 8
    assert len(ae.buffer.series("val_loss")[1]) == 3 and "epoch 3" in ae.outputs_label.text()
    assert ae.project_btn.isEnabled()
    ae.project_btn.click()
    qtbot.waitUntil(lambda: not p.busy and p.embedding is not None and p.projection is not None, timeout=60_000)
    assert p.embedding.source == "code" and p.embedding.vectors.shape == (800, 8)
    assert p.tabs.currentWidget() is p.projector
    # the run is listed among the sources, its layers pickable
    tab = p.projector
    assert tab.source_combo.findData(ae.last_run) >= 0 and tab.layer_combo.count() >= 5
    # reconstruction-error anomalies from that run
    a = p.anomalies
    a.method_combo.setCurrentIndex(a.method_combo.findData(ae.last_run))
    a.n_spin.setValue(6)
    a.find_btn.click()
    qtbot.waitUntil(lambda: not p.busy and a.result is not None, timeout=60_000)
    assert a.result["anomalies"].method == "reconstruction" and a.gallery.count() == 6


def test_forecast_tab_draws_the_forecast_beside_the_baseline(qtbot, panel):
    p = panel
    f = p.forecast
    with qtbot.waitSignal(p.dataset_ready, timeout=30_000):
        f.demo_btn.click()
    qtbot.waitUntil(lambda: not p.busy, timeout=10_000)
    assert f.column_combo.currentText() == "value"
    f.epochs_spin.setValue(8)
    f.train_btn.click()
    qtbot.waitUntil(lambda: not p.busy and f.result is not None, timeout=120_000)
    xs, ys = f.model_curve.getData()
    bx, _ = f.base_curve.getData()
    assert len(xs) == len(bx) > 100 and f.table.rowCount() == 3 and len(f.lines) == 2
    assert "repeating the last value" in f.summary.text()


def test_a_long_projection_stops(qtbot, panel):
    p = panel
    tab = p.projector
    tab.method_combo.setCurrentIndex(tab.method_combo.findData("tsne"))
    tab.iterations.setValue(5000)
    tab.project_btn.click()
    qtbot.waitUntil(lambda: p.progress.value() > 0, timeout=60_000)
    p.stop_btn.click()
    qtbot.waitUntil(lambda: not p.busy, timeout=60_000)
    assert p.projection is None and "Cancelled" in p.banner.text()


def test_language_model_tab_samples_as_it_trains(qtbot, panel):
    from workbench.core.models import LAYER_TYPES

    if "Embedding" not in LAYER_TYPES:
        pytest.skip("needs the Embedding layer (text models)")
    p = panel
    lm = p.language
    with qtbot.waitSignal(p.dataset_ready, timeout=60_000):
        lm.imdb_btn.click()
    qtbot.waitUntil(lambda: not p.busy, timeout=10_000)
    lm.epochs_spin.setValue(2)
    lm.texts_spin.setValue(100)
    lm.units_spin.setValue(32)
    lm.length_spin.setValue(24)
    lm.sample_spin.setValue(30)
    lm.train_btn.click()
    qtbot.waitUntil(lambda: not p.busy and lm.result is not None, timeout=180_000)
    assert lm.samples_seen == 2 and lm.samples_text.toPlainText().count("[temperature") == 4
    assert lm.result["perplexity"] < lm.result["unigram"] and "unigram baseline" in lm.summary.text()
    assert len(lm.ppl_curve.getData()[0]) == 2 and lm.uni_line is not None
