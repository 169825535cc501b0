"""Data panel sources: a CSV dropped on the panel, an image folder (and cancelling its import)."""
import numpy as np
import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui



@pytest.fixture
def panel(qtbot):
    from workbench.ui.context import AppContext
    from workbench.ui.panels.data import DataPanel

    ctx = AppContext()
    p = DataPanel(ctx)
    qtbot.addWidget(p)
    p.show()
    yield p
    p.shutdown()


def _drop(panel, path):
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDropEvent

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    ev = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.NoButton,
                    Qt.KeyboardModifier.NoModifier)
    panel.dropEvent(ev)


def test_csv_dropped_on_the_panel(qtbot, panel, tmp_path):
    rng = np.random.default_rng(0)
    rows = ["size,color,weight,label"]
    for i in range(120):
        size = "" if i % 10 == 3 else f"{rng.normal(100, 30):.2f}"  # some missing values
        rows.append(f"{size},{['red', 'green', 'blue'][i % 3]},{rng.normal(0.5, 0.1):.3f},{'yes' if i % 2 else 'no'}")
    csv = tmp_path / "things.csv"
    csv.write_text("\n".join(rows) + "\n")
    with qtbot.waitSignals([panel.dataset_loaded, panel.preview_ready], timeout=60_000):
        _drop(panel, csv)
    ds = panel.dataset
    assert ds.kind == "table" and len(ds) == 120
    m = panel.table_model
    assert m.rowCount() == 120 and m.columnCount() == 4
    assert m.headerData(1, __import__("PySide6.QtCore", fromlist=["Qt"]).Qt.Orientation.Horizontal) == "color"
    assert m.data(m.index(0, 1)) in ("red", "green", "blue")  # categories shown by name
    assert m.data(m.index(3, 0)) == "—"  # a missing value
    assert panel.features_model.rowCount() >= 2
    assert "size" in panel.warnings_banner.text()  # the missing values are reported
    # missing values: the "was missing" indicator is on by default; "replace with 0" drops it
    assert panel.ctx.preprocessing["missing"] == "indicator"
    assert "1 indicator" in panel.pre_desc.text()
    with qtbot.waitSignal(panel.preview_ready, timeout=30_000):
        panel.missing_combo.setCurrentIndex(panel.missing_combo.findData("zero"))
    assert panel.ctx.preprocessing["missing"] == "zero" and "indicator" not in panel.pre_desc.text()


def test_bad_file_is_reported(qtbot, panel, tmp_path):
    f = tmp_path / "notes.pdf"
    f.write_text("x")
    _drop(panel, f)
    assert panel.banner.level == "error" and "notes.pdf" in panel.banner.text()


def _write_images(folder, n_per_class):
    import cv2

    rng = np.random.default_rng(1)
    for cls, base in (("day", 200), ("night", 40)):
        d = folder / cls
        d.mkdir(parents=True)
        for i in range(n_per_class):
            img = np.clip(base + rng.normal(0, 20, (16, 16, 3)), 0, 255).astype(np.uint8)
            cv2.imwrite(str(d / f"{cls}{i:04d}.png"), img)


def test_image_folder_shows_a_grid(qtbot, panel, tmp_path):
    _write_images(tmp_path / "imgs", 12)
    panel.image_size.setValue(16)
    with qtbot.waitSignal(panel.split_made, timeout=60_000):
        panel.load_path(str(tmp_path / "imgs"))
    assert panel.dataset.kind == "image" and panel.dataset.class_names == ["day", "night"]
    assert panel.grid.count() == 24 and panel.grid.isVisible()
    assert panel.class_chart.listDataItems() or panel.class_chart.getPlotItem().items


def test_cancelling_an_import(qtbot, panel, tmp_path):
    _write_images(tmp_path / "many", 300)
    cancelled = []
    panel.load_path(str(tmp_path / "many"))
    panel._load_job.cancelled.connect(lambda: cancelled.append(True))
    with qtbot.waitSignal(panel._load_job.progress, timeout=60_000):
        pass
    panel.cancel_btn.click()
    qtbot.waitUntil(lambda: not panel.busy, timeout=60_000)
    if panel.dataset is None:  # cancelled before the end (the usual case)
        assert cancelled and "cancelled" in panel.banner.text()
        assert not panel.progress_row.isVisible()


def test_splitters_and_new_project(qtbot, config_dir):
    from workbench.ui.main_window import MainWindow

    w = MainWindow()
    qtbot.addWidget(w)
    w.resize(800, 580)  # fits the offscreen screen, so the geometry is restored as it was
    w.show()
    w.start()
    model = w.show_panel("Model")
    model.splitter.setSizes([500, 200])
    wanted = model.splitter.sizes()
    w.close()
    w2 = MainWindow()
    qtbot.addWidget(w2)
    w2.show()
    w2.start()
    assert w2.current_title() == "Home"  # the start page is always the first screen
    assert w2.size() == w.size()
    w2.show_panel("Model")  # the splitters are restored when the panel is first laid out
    qtbot.waitUntil(lambda: w2.panel("Model").splitter.sizes() == wanted, timeout=5000)
    before = w2.panel("Model")
    before.load_preset("mlp")
    assert w2.ctx.model_spec is not None and before.spec.layers
    w2.new_project()
    assert w2.ctx.model_spec is None and w2.ctx.project_dir is None
    after = w2.panel("Model")
    assert after is not before and not after.spec.layers  # a fresh panel: the old spec is gone
    w2.close()
