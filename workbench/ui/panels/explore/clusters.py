"""The Clusters tab: K-Means (k suggested by the silhouette, with the curve shown), DBSCAN or
agglomerative clustering of the current embedding; sizes, typical samples per cluster, the
adjusted Rand index and a cluster-vs-class table when labels exist; save chosen clusters (or the
projector's selection) as a new labelled data set."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFileDialog, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidget,
    QListWidgetItem, QPushButton, QSplitter, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from workbench.ui.panels.explore.common import fill_samples
from workbench.ui.widgets import BarChart, ImageGridWidget, spin_box


def cluster_job(emb, proj, method: str, k: int, eps, min_samples: int, space: str, seed: int = 0) -> dict:
    from workbench.core.explore import cluster, cluster_report

    X = emb.vectors if space == "embedding" or proj is None else proj.coords
    c = cluster(X, method, k=k, eps=eps, min_samples=min_samples, seed=seed)
    rep = cluster_report(X, c, emb.labels, emb.class_names, n_examples=6)
    return {"clustering": c, "report": rep, "space": space}


def suggest_job(emb, proj, space: str, k_max: int, progress=None, should_cancel=None):
    from workbench.core.explore import suggest_k

    X = emb.vectors if space == "embedding" or proj is None else proj.coords
    return suggest_k(X, 2, k_max, progress=progress, should_cancel=should_cancel)


def save_job(ds, rows, labels, folder: str, name: str):
    from workbench.core.explore import save_selection

    return save_selection(ds, rows, labels, folder, name)


class ClustersTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.report = None
        self._build()
        panel.embedding_ready.connect(self._on_embedding)

    def _build(self) -> None:
        outer = QHBoxLayout(self)
        left = QVBoxLayout()
        box = QGroupBox("Cluster")
        f = QFormLayout(box)
        self.method_combo = QComboBox()
        for label, key in (("K-Means", "kmeans"), ("DBSCAN", "dbscan"), ("agglomerative (Ward)", "agglomerative")):
            self.method_combo.addItem(label, key)
        self.space_combo = QComboBox()
        self.space_combo.addItem("the embedding (original space)", "embedding")
        self.space_combo.addItem("the 2-D projection", "projection")
        self.k_spin = spin_box(2, 100, 10)
        self.kmax_spin = spin_box(3, 40, 12)
        self.eps_spin = QDoubleSpinBox()
        self.eps_spin.setRange(0.0, 1e6)
        self.eps_spin.setDecimals(3)
        self.eps_spin.setSpecialValueText("from the data")
        self.min_samples = spin_box(2, 200, 5)
        f.addRow("method", self.method_combo)
        f.addRow("in", self.space_combo)
        f.addRow("k", self.k_spin)
        f.addRow("suggest k up to", self.kmax_spin)
        f.addRow("DBSCAN eps", self.eps_spin)
        f.addRow("DBSCAN min samples", self.min_samples)
        self.suggest_btn = QPushButton("Suggest k (silhouette)")
        self.suggest_btn.clicked.connect(self.suggest)
        self.cluster_btn = QPushButton("Cluster")
        self.cluster_btn.clicked.connect(self.run_clustering)
        f.addRow(self.suggest_btn)
        f.addRow(self.cluster_btn)
        left.addWidget(box)
        self.silhouette_plot = pg.PlotWidget(title="silhouette by k")
        self.silhouette_plot.setMinimumHeight(170)
        self.silhouette_plot.setLabel("bottom", "k")
        self.silhouette_curve = self.silhouette_plot.plot([], [], pen=pg.mkPen("#1f77b4", width=2), symbol="o")
        left.addWidget(self.silhouette_plot)
        save = QGroupBox("Save as a labelled data set")
        s = QFormLayout(save)
        self.cluster_list = QListWidget()
        self.cluster_list.setMaximumHeight(120)
        self.what_combo = QComboBox()
        self.what_combo.addItem("the ticked clusters (label = cluster)", "clusters")
        self.what_combo.addItem("the projector's selection (label below)", "selection")
        self.label_edit = QLineEdit()
        self.label_edit.setPlaceholderText("label for the selection")
        self.name_edit = QLineEdit("by-cluster")
        self.folder_edit = QLineEdit()
        self.folder_edit.setPlaceholderText("folder (default: the project's datasets/)")
        browse = QPushButton("…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.folder_edit, 1)
        row.addWidget(browse)
        self.save_btn = QPushButton("Save")
        self.save_btn.clicked.connect(self.save)
        s.addRow(self.cluster_list)
        s.addRow("save", self.what_combo)
        s.addRow("label", self.label_edit)
        s.addRow("name", self.name_edit)
        s.addRow("in", row)
        s.addRow(self.save_btn)
        left.addWidget(save)
        lw = QWidget()
        lw.setLayout(left)
        lw.setMaximumWidth(340)
        outer.addWidget(lw)

        right = QSplitter(Qt.Orientation.Vertical)
        top = QWidget()
        tl = QVBoxLayout(top)
        tl.setContentsMargins(0, 0, 0, 0)
        self.summary_label = QLabel("Project some data in the Projector, then cluster it here.")
        self.summary_label.setWordWrap(True)
        tl.addWidget(self.summary_label)
        charts = QHBoxLayout()
        self.sizes_chart = BarChart("cluster sizes")
        charts.addWidget(self.sizes_chart, 1)
        self.table = QTableWidget(0, 0)
        charts.addWidget(self.table, 2)
        tl.addLayout(charts, 1)
        right.addWidget(top)
        self.examples = ImageGridWidget(44)
        right.addWidget(self.examples)
        outer.addWidget(right, 1)

    # -- actions ---------------------------------------------------------------------------------
    def _need_embedding(self) -> bool:
        if self.panel.embedding is None:
            self.panel.say("Project some data in the Projector tab first; clusters are found in that embedding.",
                           "warning")
            return False
        return True

    @Slot()
    def suggest(self) -> None:
        if self._need_embedding():
            self.panel.start(suggest_job, self.panel.embedding, self.panel.projection, self.space_combo.currentData(),
                             self.kmax_spin.value(), on_result=self._on_suggested, label="Trying k = 2, 3, ... ")

    def _on_suggested(self, s) -> None:
        xs = [k for k, v in zip(s.ks, s.silhouettes) if v is not None]
        ys = [v for v in s.silhouettes if v is not None]
        self.silhouette_curve.setData(xs, ys)
        self.k_spin.setValue(s.best_k)
        self.panel.say(f"The silhouette is highest at k = {s.best_k}; k is set to it.", "info")

    @Slot()
    def run_clustering(self) -> None:
        if not self._need_embedding():
            return
        eps = self.eps_spin.value() or None
        self.panel.start(cluster_job, self.panel.embedding, self.panel.projection, self.method_combo.currentData(),
                         self.k_spin.value(), eps, self.min_samples.value(), self.space_combo.currentData(),
                         on_result=self._on_clustered, label="Clustering ...")

    def _on_clustered(self, res: dict) -> None:
        from workbench.core.explore import preview

        c, rep = res["clustering"], res["report"]
        self.report = rep
        self.panel.set_clustering(c)
        text = c.describe() + f" in {'the embedding' if res['space'] == 'embedding' else 'the 2-D projection'}."
        if rep.ari is not None:
            text += (f" Against the labels: adjusted Rand index {rep.ari:.3f} (1 = the classes exactly, 0 = chance), "
                     f"purity {rep.purity:.1%}.")
        self.summary_label.setText(text)
        names = [("noise" if i < 0 else f"{i + 1}") for i in rep.sizes]
        self.sizes_chart.set_bars(names, list(rep.sizes.values()))
        self._fill_table(rep)
        self.cluster_list.clear()
        for i in range(c.n_clusters):
            maj = f" (mostly {rep.majority[i]})" if i in rep.majority else ""
            it = QListWidgetItem(f"cluster {i + 1}: {rep.sizes.get(i, 0)} samples{maj}")
            it.setFlags(it.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            it.setCheckState(Qt.CheckState.Checked)
            it.setData(Qt.ItemDataRole.UserRole, i)
            self.cluster_list.addItem(it)
        emb, ds = self.panel.embedding, self.panel.dataset
        if ds is None:
            return
        pvs, caps = [], []
        for cl, idx in rep.examples.items():
            for j in idx:
                pvs.append(preview(ds, int(emb.indices[j])))
                caps.append(f"c{cl + 1}: {pvs[-1]['label']}")
        fill_samples(self.examples, pvs, caps, 60)

    def _fill_table(self, rep) -> None:
        t = self.table
        if rep.table:
            cols = list(rep.table[0].keys())
            t.setColumnCount(len(cols))
            t.setHorizontalHeaderLabels(cols)
            t.setRowCount(len(rep.table))
            for r, row in enumerate(rep.table):
                for c, key in enumerate(cols):
                    t.setItem(r, c, QTableWidgetItem(str(row[key])))
        else:
            t.setColumnCount(2)
            t.setHorizontalHeaderLabels(["cluster", "size"])
            t.setRowCount(len(rep.sizes))
            for r, (i, n) in enumerate(rep.sizes.items()):
                t.setItem(r, 0, QTableWidgetItem("noise" if i < 0 else f"cluster {i + 1}"))
                t.setItem(r, 1, QTableWidgetItem(str(n)))
        t.resizeColumnsToContents()

    def _browse(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "Save the data set in")
        if d:
            self.folder_edit.setText(d)

    def checked_clusters(self) -> list[int]:
        return [self.cluster_list.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.cluster_list.count())
                if self.cluster_list.item(i).checkState() == Qt.CheckState.Checked]

    @Slot()
    def save(self) -> None:
        emb, ds, c = self.panel.embedding, self.panel.dataset, self.panel.clustering
        if emb is None or ds is None:
            self.panel.say("Project and cluster some data first.", "warning")
            return
        if self.what_combo.currentData() == "selection":
            pts = self.panel.projector.selection
            label = self.label_edit.text().strip() or "selected"
            labels = [label] * len(pts)
        else:
            if c is None:
                self.panel.say("Cluster the data first, then tick the clusters to save.", "warning")
                return
            keep = set(self.checked_clusters())
            pts = np.asarray([i for i, lab in enumerate(c.labels) if lab in keep], dtype=np.int64)
            labels = [f"cluster {c.labels[i] + 1}" for i in pts]
        folder = self.folder_edit.text().strip() or str(self.panel.project_dir() / "datasets")
        self.panel.start(save_job, ds, emb.indices[np.asarray(pts, dtype=np.int64)], labels, folder,
                         self.name_edit.text(), on_result=self._on_saved, label="Saving ...")

    def _on_saved(self, saved) -> None:
        self.last_saved = saved
        self.panel.say(f"Saved {saved.n_samples} samples in {len(saved.classes)} classes as {saved.path}; load it in "
                       f"the Data panel to check the labels.", "info")

    def _on_embedding(self, _emb) -> None:
        self.report = None
        self.summary_label.setText("Cluster the new embedding: press Cluster (or Suggest k first).")
        self.cluster_list.clear()
        self.examples.clear()
