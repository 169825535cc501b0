"""The Anomalies tab: the most unusual samples, by distance to the nearest cluster centre (in the
current embedding) or by an autoencoder run's reconstruction error, as a gallery."""
from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from workbench.ui.panels.explore.common import fill_samples, side_column
from workbench.ui.widgets import ImageGridWidget, spin_box


def distance_job(emb, clustering, n: int, k: int, seed: int = 0) -> dict:
    from workbench.core.explore import cluster, distance_anomalies

    c = clustering if clustering is not None and clustering.centers.shape[1:] == emb.vectors.shape[1:] else \
        cluster(emb.vectors, "kmeans", k=k, seed=seed)
    an = distance_anomalies(emb.vectors, c.centers, n)
    return {"anomalies": an, "rows": [int(emb.indices[i]) for i in an.indices], "dataset": None}


def reconstruction_job(ds, project, run_id: str, n: int, max_points: int, seed: int = 0, should_cancel=None) -> dict:
    from workbench.core.explore import load_run, reconstruction_anomalies, subsample
    from workbench.core.explore.embeddings import model_inputs, run_dataset

    loaded = load_run(project, run_id)
    if ds is None or ds.name != (loaded.record.data or {}).get("name"):
        ds = run_dataset(loaded, should_cancel=should_cancel)
    rows = subsample(len(ds), max_points, seed)
    an = reconstruction_anomalies(loaded.model, loaded.head, model_inputs(loaded, ds, rows), n)
    return {"anomalies": an, "rows": [int(rows[i]) for i in an.indices], "dataset": ds}


class AnomaliesTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.result = None
        lay = QHBoxLayout(self)
        box = QGroupBox("Find the unusual")
        f = QFormLayout(box)
        self.method_combo = QComboBox()
        self.method_combo.addItem("distance to the nearest cluster centre", "distance")
        self.n_spin = spin_box(1, 500, 32)
        self.k_spin = spin_box(2, 100, 10)
        self.points_spin = spin_box(100, 200000, 20000)
        f.addRow("by", self.method_combo)
        f.addRow("show", self.n_spin)
        f.addRow("clusters (if none yet)", self.k_spin)
        f.addRow("autoencoder: at most", self.points_spin)
        self.find_btn = QPushButton("Find")
        self.find_btn.clicked.connect(self.find)
        f.addRow(self.find_btn)
        lay.addWidget(side_column(box))
        right = QVBoxLayout()
        self.summary = QLabel("Distances use the Projector's embedding (and the Clusters tab's clusters, if any); "
                              "reconstruction errors use an autoencoder run.")
        self.summary.setWordWrap(True)
        right.addWidget(self.summary)
        self.gallery = ImageGridWidget(64)
        right.addWidget(self.gallery, 1)
        lay.addLayout(right, 1)
        panel.runs_changed.connect(self.refresh_runs)
        self.refresh_runs()

    def refresh_runs(self) -> None:
        from workbench.core.explore import list_runs

        keep = self.method_combo.currentData()
        while self.method_combo.count() > 1:
            self.method_combo.removeItem(1)
        try:
            runs = [r for r in list_runs(self.panel.project_dir()) if r["autoencoder"]]
        except Exception:
            runs = []
        for r in runs:
            self.method_combo.addItem(f"reconstruction error of {r['label']} ({r['data']})", r["run_id"])
        i = self.method_combo.findData(keep)
        self.method_combo.setCurrentIndex(max(i, 0))

    @Slot()
    def find(self) -> None:
        how = self.method_combo.currentData()
        if how == "distance":
            if self.panel.embedding is None:
                self.panel.say("Project some data in the Projector tab first.", "warning")
                return
            self.panel.start(distance_job, self.panel.embedding, self.panel.clustering, self.n_spin.value(),
                             self.k_spin.value(), on_result=self._on_found, label="Measuring distances ...")
        else:
            self.panel.start(reconstruction_job, self.panel.dataset, self.panel.project_dir(), how, self.n_spin.value(),
                             self.points_spin.value(), on_result=self._on_found, label="Rebuilding every sample ...")

    def _on_found(self, res: dict) -> None:
        from workbench.core.explore import preview

        if res.get("dataset") is not None and res["dataset"] is not self.panel.dataset:
            self.panel.set_dataset(res["dataset"])
        self.result = res
        an, ds = res["anomalies"], self.panel.dataset
        self.summary.setText(an.describe())
        pvs = [preview(ds, r) for r in res["rows"]]
        fill_samples(self.gallery, pvs, [f"{p['label']} {s:.3g}" for p, s in zip(pvs, an.scores)], 100)
