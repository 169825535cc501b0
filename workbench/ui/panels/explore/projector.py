"""The Projector tab: pick what to embed (raw inputs, a layer of a trained run, an autoencoder's
code), project it (PCA / t-SNE / UMAP) in the background, and explore the scatter: colour by
class, cluster or a numeric column; hover for a thumbnail; click for the nearest neighbours in the
original space; lasso or search to select samples, shown as a grid or a table."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QPushButton,
    QSpinBox, QSplitter, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from workbench.ui.panels.explore.common import fill_samples
from workbench.core.explore.raster import numeric_groups
from workbench.ui.panels.explore.scatter import ScatterWidget, group_colors
from workbench.ui.widgets import ImageGridWidget, pixmap_from_array

MAX_SHOWN = 200  # samples shown in the selection grid / table


def projection_job(ds, source: str, run_id, layer, max_points: int, method: str, params: dict, project,
                   seed: int = 0, progress=None, should_cancel=None) -> dict:
    """Embed (raw inputs or a run's layer) and project; returns {"dataset", "embedding", "projection"}."""
    from workbench.core.explore import load_run, project as project_points, raw_embedding, run_embedding
    from workbench.core.explore.embeddings import run_dataset

    if source == "raw":
        if ds is None:
            from workbench.core.errors import DataError

            raise DataError("Choose a data set first (the Data bar at the top).")
        emb = raw_embedding(ds, max_points=max_points, seed=seed)
    else:
        loaded = load_run(project, run_id)
        if ds is None or ds.name != (loaded.record.data or {}).get("name"):
            ds = run_dataset(loaded, should_cancel=should_cancel)
        emb = run_embedding(project, run_id, layer, dataset=ds, max_points=max_points, seed=seed,
                            should_cancel=should_cancel)
    proj = project_points(emb.vectors, method, seed=seed, progress=progress, should_cancel=should_cancel, **params)
    return {"dataset": ds, "embedding": emb, "projection": proj}


def _spin(lo, hi, val, step=None, decimals=None):
    s = QDoubleSpinBox() if decimals is not None else QSpinBox()
    if decimals is not None:
        s.setDecimals(decimals)
    s.setRange(lo, hi)
    s.setValue(val)
    if step:
        s.setSingleStep(step)
    return s


class ProjectorTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.selection = np.zeros(0, np.int64)
        self._layers: list[dict] = []
        self._build()
        panel.dataset_ready.connect(self._on_dataset)
        panel.clustering_ready.connect(lambda _c: self._refresh_colour_choices(keep="cluster"))
        panel.runs_changed.connect(self.refresh_runs)

    # -- UI --------------------------------------------------------------------------------------
    def _build(self) -> None:
        outer = QHBoxLayout(self)
        left = QVBoxLayout()
        src = QGroupBox("Embed")
        f = QFormLayout(src)
        self.source_combo = QComboBox()
        self.source_combo.currentIndexChanged.connect(self._on_source)
        self.layer_combo = QComboBox()
        self.max_points = _spin(100, 200000, 20000, step=1000)
        f.addRow("what", self.source_combo)
        f.addRow("layer", self.layer_combo)
        f.addRow("at most", self.max_points)
        left.addWidget(src)
        meth = QGroupBox("Project")
        g = QFormLayout(meth)
        self.method_combo = QComboBox()
        for label, key in (("PCA", "pca"), ("t-SNE (openTSNE)", "tsne"), ("UMAP (umap-learn)", "umap")):
            self.method_combo.addItem(label, key)
        self.method_combo.currentIndexChanged.connect(self._on_method)
        g.addRow("method", self.method_combo)
        self.pc_x, self.pc_y, self.pc_z = _spin(1, 10, 1), _spin(1, 10, 2), _spin(0, 10, 0)
        self.pc_z.setSpecialValueText("none")
        self.pc_x.valueChanged.connect(self._on_components)
        self.pc_y.valueChanged.connect(self._on_components)
        self.pc_z.valueChanged.connect(self._on_components)
        self.perplexity = _spin(2.0, 200.0, 30.0, decimals=1)
        self.exaggeration = _spin(1.0, 50.0, 12.0, decimals=1)
        self.iterations = _spin(100, 5000, 750, step=50)
        self.neighbors = _spin(2, 200, 15)
        self.min_dist = _spin(0.0, 1.0, 0.1, step=0.05, decimals=2)
        self._params = {"pca": [("x axis: PC", self.pc_x), ("y axis: PC", self.pc_y), ("colour: PC", self.pc_z)],
                        "tsne": [("perplexity", self.perplexity), ("early exaggeration", self.exaggeration),
                                 ("iterations", self.iterations)],
                        "umap": [("neighbours", self.neighbors), ("min_dist", self.min_dist)]}
        for rows in self._params.values():
            for label, w in rows:
                g.addRow(label, w)
        self._form = g
        self.project_btn = QPushButton("Project")
        self.project_btn.clicked.connect(self.run_projection)
        g.addRow(self.project_btn)
        left.addWidget(meth)
        self.variance_label = QLabel("")
        self.variance_label.setWordWrap(True)
        left.addWidget(self.variance_label)
        left.addStretch(1)
        lw = QWidget()
        lw.setLayout(left)
        lw.setMaximumWidth(330)
        outer.addWidget(lw)

        right = QVBoxLayout()
        tools = QHBoxLayout()
        tools.addWidget(QLabel("colour by"))
        self.colour_combo = QComboBox()
        self.colour_combo.currentIndexChanged.connect(self.redraw)
        tools.addWidget(self.colour_combo)
        self.lasso_check = QCheckBox("Lasso")
        self.lasso_check.toggled.connect(lambda on: self.scatter.set_lasso(on))
        tools.addWidget(self.lasso_check)
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText("search labels (Enter)")
        self.search_edit.returnPressed.connect(self._on_search)
        tools.addWidget(self.search_edit, 1)
        tools.addWidget(QLabel("neighbours"))
        self.k_spin = _spin(1, 50, 8)
        tools.addWidget(self.k_spin)
        self.metric_combo = QComboBox()
        self.metric_combo.addItems(["euclidean", "cosine"])
        tools.addWidget(self.metric_combo)
        right.addLayout(tools)
        self.info_label = QLabel("Press Project to see the data as points.")
        self.info_label.setWordWrap(True)
        self.info_label.setMinimumHeight(34)
        right.addWidget(self.info_label)
        split = QSplitter(Qt.Orientation.Vertical)
        self.scatter = ScatterWidget()
        self.scatter.preview_fn = self._preview
        self.scatter.point_clicked.connect(self.show_neighbours)
        self.scatter.selection_made.connect(self.set_selection)
        split.addWidget(self.scatter)
        bottom = QSplitter(Qt.Orientation.Horizontal)
        sel_box = QWidget()
        sl = QVBoxLayout(sel_box)
        sl.setContentsMargins(0, 0, 0, 0)
        self.selection_label = QLabel("Selection: draw a lasso (tick Lasso) or search by label.")
        sl.addWidget(self.selection_label)
        self.selection_stack = QStackedWidget()
        self.selection_grid = ImageGridWidget(48)
        self.selection_table = QTableWidget(0, 0)
        self.selection_stack.addWidget(self.selection_grid)
        self.selection_stack.addWidget(self.selection_table)
        sl.addWidget(self.selection_stack)
        nb_box = QWidget()
        nl = QVBoxLayout(nb_box)
        nl.setContentsMargins(0, 0, 0, 0)
        self.neighbours_label = QLabel("Click a point for its nearest neighbours in the original space.")
        self.neighbours_label.setWordWrap(True)
        nl.addWidget(self.neighbours_label)
        self.neighbours_grid = ImageGridWidget(56)
        nl.addWidget(self.neighbours_grid)
        bottom.addWidget(sel_box)
        bottom.addWidget(nb_box)
        split.addWidget(bottom)
        split.setSizes([520, 220])
        right.addWidget(split, 1)
        outer.addLayout(right, 1)
        self.panel.remember_splitter("explore_projector", split)
        self._on_method()
        self.refresh_runs()

    # -- sources -----------------------------------------------------------------------------------
    def refresh_runs(self) -> None:
        from workbench.core.explore import list_runs

        keep = self.source_combo.currentData()
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        self.source_combo.addItem("raw inputs of the data set", "raw")
        try:
            runs = list_runs(self.panel.project_dir())
        except Exception as e:  # a damaged project: say so, keep the raw inputs usable
            runs = []
            self.panel.say(str(e), "warning")
        for r in runs:
            kind = "autoencoder code" if r["autoencoder"] else "layer"
            self.source_combo.addItem(f"{kind} of run {r['label']} ({r['data']})", r["run_id"])
        i = self.source_combo.findData(keep)
        self.source_combo.setCurrentIndex(max(i, 0))
        self.source_combo.blockSignals(False)
        self._on_source()

    @Slot()
    def _on_source(self) -> None:
        from workbench.core.explore import run_layers

        run = self.source_combo.currentData()
        self.layer_combo.clear()
        self._layers = []
        self.layer_combo.setEnabled(run not in (None, "raw"))
        if run in (None, "raw"):
            return
        try:
            self._layers = run_layers(self.panel.project_dir(), run)
        except Exception as e:
            self.panel.say(str(e), "error")
            return
        self.layer_combo.addItem("the code layer (narrowest)", None)
        for l in self._layers:
            shape = "x".join(str(d) for d in l["output_shape"])
            self.layer_combo.addItem(f"{l['index'] + 1}. {l['type']} {l['settings']} -> {shape}", l["index"])

    def select_source(self, run_id: str, layer=None) -> None:
        self.refresh_runs()
        i = self.source_combo.findData(run_id)
        if i >= 0:
            self.source_combo.setCurrentIndex(i)
            j = self.layer_combo.findData(layer)
            self.layer_combo.setCurrentIndex(max(j, 0))

    # -- projection ----------------------------------------------------------------------------------
    @Slot()
    def _on_method(self) -> None:
        m = self.method_combo.currentData()
        for key, rows in self._params.items():
            for label, w in rows:
                self._form.setRowVisible(w, key == m)

    def params(self) -> dict:
        m = self.method_combo.currentData()
        if m == "pca":
            comps = [self.pc_x.value() - 1, self.pc_y.value() - 1] + ([self.pc_z.value() - 1] if self.pc_z.value() else [])
            return {"components": tuple(comps), "dims": len(comps)}
        if m == "tsne":
            return {"perplexity": self.perplexity.value(), "early_exaggeration": self.exaggeration.value(),
                    "n_iter": self.iterations.value()}
        return {"n_neighbors": self.neighbors.value(), "min_dist": self.min_dist.value()}

    @Slot()
    def run_projection(self) -> None:
        src = self.source_combo.currentData() or "raw"
        m = self.method_combo.currentData()
        self.panel.start(projection_job, self.panel.dataset, "raw" if src == "raw" else "run",
                         None if src == "raw" else src, self.layer_combo.currentData(), self.max_points.value(), m,
                         self.params(), self.panel.project_dir(), on_result=self._on_projected,
                         label=f"Projecting with {self.method_combo.currentText()} ...")

    def _on_projected(self, res: dict) -> None:
        if res["dataset"] is not self.panel.dataset:
            self.panel.set_dataset(res["dataset"])
        self.panel.set_embedding(res["embedding"])
        self.panel.set_projection(res["projection"])
        self._refresh_colour_choices()
        self.set_selection(np.zeros(0, np.int64))
        self.redraw()

    @Slot()
    def _on_components(self) -> None:
        p = self.panel.projection
        if p is None or p.method != "pca":
            return
        comps = self.params()["components"]
        try:
            self.panel.projection = p.on_axes(comps)
        except Exception as e:
            self.panel.say(str(e), "warning")
            return
        self._refresh_colour_choices()
        self.redraw()

    # -- drawing -------------------------------------------------------------------------------------
    def _refresh_colour_choices(self, keep: str | None = None) -> None:
        emb, p = self.panel.embedding, self.panel.projection
        keep = keep or self.colour_combo.currentData()
        self.colour_combo.blockSignals(True)
        self.colour_combo.clear()
        if emb is not None and emb.labels is not None:
            self.colour_combo.addItem("class", "class")
        if self.panel.clustering is not None:
            self.colour_combo.addItem("cluster", "cluster")
        if p is not None and p.coords.shape[1] == 3:
            self.colour_combo.addItem(f"PC{p.components[2] + 1}" if p.method == "pca" else "3rd axis", "axis3")
        for name in (emb.values if emb is not None else {}):
            self.colour_combo.addItem(name, f"value:{name}")
        self.colour_combo.addItem("nothing", "none")
        i = self.colour_combo.findData(keep)
        self.colour_combo.setCurrentIndex(max(i, 0))
        self.colour_combo.blockSignals(False)
        self.redraw()

    @Slot()
    def redraw(self) -> None:
        emb, p = self.panel.embedding, self.panel.projection
        if emb is None or p is None:
            return
        mode = self.colour_combo.currentData() or "none"
        n = len(p.coords)
        numeric = False
        if mode == "class" and emb.labels is not None:
            groups, names = emb.labels, list(emb.class_names or [])
        elif mode == "cluster" and self.panel.clustering is not None and len(self.panel.clustering.labels) == n:
            groups, names = self.panel.clustering.labels, self.panel.clustering.names()
        elif mode == "axis3" and p.coords.shape[1] == 3:
            (groups, names), numeric = numeric_groups(p.coords[:, 2]), True
        elif mode.startswith("value:") and mode[6:] in emb.values:
            (groups, names), numeric = numeric_groups(emb.values[mode[6:]]), True
        else:
            groups, names = np.zeros(n, np.int64), ["samples"]
        self.scatter.set_points(p.coords, groups, names, group_colors(max(len(names), 1), numeric))
        if p.method == "pca":
            ev = p.explained_variance
            xl, yl = (f"PC{c + 1} ({ev[c]:.1%} of the variance)" for c in p.components[:2])
            self.variance_label.setText("Explained variance: " + ", ".join(
                f"PC{i + 1} {v:.1%}" for i, v in enumerate(ev)) + f" (first {len(ev)}: {sum(ev):.1%})")
        else:
            name = "t-SNE" if p.method == "tsne" else "UMAP"
            xl, yl = f"{name} 1", f"{name} 2"
            self.variance_label.setText("")
        self.scatter.set_axis_labels(xl, yl)
        self.info_label.setText(f"{emb.description}; {emb.count_text()}. {p.describe()}.")

    def _preview(self, i: int):
        from workbench.core.explore import preview

        emb, ds = self.panel.embedding, self.panel.dataset
        if emb is None or ds is None or not 0 <= i < len(emb):
            return None, ""
        pv = preview(ds, int(emb.indices[i]))
        if pv["image"] is not None:
            return pixmap_from_array(pv["image"], 96), pv["text"]
        return None, pv["text"]

    # -- neighbours, search, selection -------------------------------------------------------------------
    @Slot(int)
    def show_neighbours(self, i: int) -> None:
        from workbench.core.explore import nearest_neighbours, preview

        emb, ds = self.panel.embedding, self.panel.dataset
        if emb is None or ds is None:
            return
        try:
            nn = nearest_neighbours(emb.vectors, i, self.k_spin.value(), self.metric_combo.currentText())
        except Exception as e:
            self.panel.say(str(e), "error")
            return
        self.scatter.mark(nn.indices, query=i)
        rows = [i] + nn.indices
        pvs = [preview(ds, int(emb.indices[j])) for j in rows]
        caps = ["this one: " + (pvs[0]["label"] or "?")] + [f"{p['label']} ({d:.3g})" for p, d in zip(pvs[1:], nn.distances)]
        fill_samples(self.neighbours_grid, pvs, caps)
        same = sum(1 for j in nn.indices if emb.labels is not None and emb.labels[j] == emb.labels[i])
        extra = f"; {same} of {len(nn.indices)} share its class" if emb.labels is not None else ""
        self.neighbours_label.setText(f"The {len(nn.indices)} nearest neighbours of row {int(emb.indices[i])} "
                                      f"({nn.metric}, in the {emb.vectors.shape[1]:,}-value space{extra}).")
        self.last_neighbours = nn

    @Slot()
    def _on_search(self) -> None:
        from workbench.core.explore import search_labels

        emb, ds = self.panel.embedding, self.panel.dataset
        if emb is None:
            return
        names = [emb.class_name(i) for i in range(len(emb))]
        texts = [str(ds.X[int(r)]) for r in emb.indices] if ds is not None and ds.kind == "text" else None
        hits = search_labels(self.search_edit.text(), names, texts)
        self.set_selection(hits)
        if not len(hits):
            self.panel.say(f"No point's label contains {self.search_edit.text()!r}.", "info")

    @Slot(object)
    def set_selection(self, idx) -> None:
        from workbench.core.explore import preview

        self.selection = np.asarray(idx, dtype=np.int64)
        emb, ds = self.panel.embedding, self.panel.dataset
        self.scatter.mark(self.selection if len(self.selection) else None)
        if emb is None or ds is None or not len(self.selection):
            self.selection_label.setText("Selection: draw a lasso (tick Lasso) or search by label.")
            self.selection_grid.clear()
            self.selection_table.setRowCount(0)
            return
        shown = self.selection[:MAX_SHOWN]
        pvs = [preview(ds, int(emb.indices[j])) for j in shown]
        counts: dict[str, int] = {}
        for j in self.selection:
            counts[emb.class_name(j) or "-"] = counts.get(emb.class_name(j) or "-", 0) + 1
        top = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1])[:6])
        self.selection_label.setText(f"{len(self.selection):,} selected ({top})"
                                     + (f"; the first {MAX_SHOWN} shown" if len(self.selection) > MAX_SHOWN else ""))
        if ds.kind == "image":
            self.selection_stack.setCurrentWidget(self.selection_grid)
            fill_samples(self.selection_grid, pvs, [p["label"] for p in pvs])
        else:
            self.selection_stack.setCurrentWidget(self.selection_table)
            t = self.selection_table
            t.setColumnCount(3)
            t.setHorizontalHeaderLabels(["row", "label", "sample"])
            t.setRowCount(len(pvs))
            for r, (j, p) in enumerate(zip(shown, pvs)):
                for c, v in enumerate((str(int(emb.indices[j])), p["label"], p["text"].replace("\n", "; "))):
                    t.setItem(r, c, QTableWidgetItem(v))
            t.resizeColumnsToContents()

    def _on_dataset(self, _ds) -> None:
        self.scatter.set_points(np.zeros((0, 2)), np.zeros(0, np.int64), [])
        self.set_selection(np.zeros(0, np.int64))
        self.info_label.setText("Press Project to see the data as points.")

    # -- state ------------------------------------------------------------------------------------------
    def state(self) -> dict:
        return {"method": self.method_combo.currentData(), "max_points": self.max_points.value(),
                "perplexity": self.perplexity.value(), "neighbors": self.neighbors.value(),
                "min_dist": self.min_dist.value(), "metric": self.metric_combo.currentText()}

    def restore(self, s: dict) -> None:
        i = self.method_combo.findData(s.get("method"))
        if i >= 0:
            self.method_combo.setCurrentIndex(i)
        for key, w in (("max_points", self.max_points), ("perplexity", self.perplexity),
                       ("neighbors", self.neighbors), ("min_dist", self.min_dist)):
            if isinstance(s.get(key), (int, float)) and not isinstance(s.get(key), bool):
                w.setValue(type(w.value())(s[key]))
        if s.get("metric") in ("euclidean", "cosine"):
            self.metric_combo.setCurrentText(s["metric"])
