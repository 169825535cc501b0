"""Cluster tab: group the faces of a folder of photos (K-Means, k by silhouette) and name groups."""
from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog, QGroupBox, QHBoxLayout, QLabel, QLineEdit, QListWidgetItem, QPushButton, \
    QScrollArea, QVBoxLayout, QWidget

from workbench.ui.flow_layout import flow_row, labelled
from workbench.ui.panels.faces.common import thumb_icon, thumb_list
from workbench.ui.widgets import spin_box


class ClusterTab(QWidget):
    def __init__(self, panel, parent=None):
        super().__init__(parent)
        self.panel = panel
        self.cluster_path: str | None = None
        self.result = None
        self.group_rows: list[tuple[QLineEdit, QPushButton, list[int]]] = []
        lay = QVBoxLayout(self)
        self.folder_btn = QPushButton("Folder of photos…")
        self.folder_btn.clicked.connect(self._choose_folder)
        self.folder_label = QLabel("(none)")
        self.k_spin = spin_box(0, 50, 0)
        self.k_spin.setSpecialValueText("auto (silhouette)")
        self.cluster_btn = QPushButton("Cluster")
        self.cluster_btn.clicked.connect(self.run_cluster)
        self.folder_label.setWordWrap(True)
        lay.addWidget(flow_row(self.folder_btn, labelled("k", self.k_spin), self.cluster_btn))
        lay.addWidget(self.folder_label)
        self.info = QLabel("")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        area = QScrollArea()
        area.setWidgetResizable(True)
        inner = QWidget()
        self.groups_layout = QVBoxLayout(inner)
        self.groups_layout.addStretch(1)
        area.setWidget(inner)
        lay.addWidget(area, 1)
        self.buttons = (self.cluster_btn,)

    def _choose_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder of photos to group")
        if folder:
            self.set_folder(folder)

    def set_folder(self, folder: str) -> None:
        self.cluster_path = folder
        self.folder_label.setText(folder)

    @Slot()
    def run_cluster(self) -> None:
        from workbench.core.studies.faces.workflow import cluster_folder

        p = self.panel
        if p.encoder is None:
            p.say("Choose an encoder first (Encoder tab -> Use this encoder).", error=True)
            return
        if not self.cluster_path:
            p.say("Choose a folder of photos first.", error=True)
            return
        p.run_job(cluster_folder, self.cluster_path, p.encoder, k=self.k_spin.value() or None, finder=p.photo_finder(),
                  on_result=self._on_clustered, label="Detecting, aligning, embedding and grouping the faces…")

    def _on_clustered(self, out) -> None:
        crops, origin, res, skipped = out
        self.result = {"crops": crops, "origin": origin, "result": res, "skipped": skipped}
        while self.groups_layout.count() > 1:
            item = self.groups_layout.takeAt(0)
            if item.widget() is not None:
                item.widget().deleteLater()
        self.group_rows = []
        for n, g in enumerate(res.groups()):
            box = QGroupBox(f"Group {n + 1}: {len(g)} face(s)")
            bl = QVBoxLayout(box)
            lst = thumb_list()
            for i in g:
                it = QListWidgetItem(thumb_icon(crops[i]), "")
                it.setToolTip(origin[i])
                lst.addItem(it)
            bl.addWidget(lst)
            row = QHBoxLayout()
            name = QLineEdit()
            name.setPlaceholderText("name this group")
            add = QPushButton("Add to gallery")
            add.clicked.connect(self._add_group_clicked)
            row.addWidget(name, 1)
            row.addWidget(add)
            bl.addLayout(row)
            self.groups_layout.insertWidget(self.groups_layout.count() - 1, box)
            self.group_rows.append((name, add, list(g)))
        sil = ", ".join(f"k={k}: {s:.2f}" for k, s in res.silhouette.items())
        info = f"{len(crops)} faces in {res.k} groups ({self.panel.encoder.name} encoder)."
        if res.suggested_k:
            info += f" Silhouette scores ({sil}) suggest k = {res.suggested_k}."
        if skipped:
            info += f" {len(skipped)} photo(s) without a usable face were skipped."
        self.info.setText(info)

    @Slot()
    def _add_group_clicked(self) -> None:
        btn = self.sender()
        for i, (name, add, _) in enumerate(self.group_rows):
            if add is btn:
                self.add_group_to_gallery(i, name.text())
                return

    def add_group_to_gallery(self, index: int, name: str) -> None:
        name = name.strip()
        if not name:
            self.panel.say("Type a name for the group first.", error=True)
            return
        if self.result is None:
            return
        crops = [self.result["crops"][i] for i in self.group_rows[index][2]]
        self.panel.gallery_op("crops", name, crops)
