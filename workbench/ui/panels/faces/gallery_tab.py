"""Gallery tab: the enrolled people and their photos; add, import, rename, delete, re-embed."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLabel, QListWidget, QListWidgetItem, \
    QMessageBox, QPushButton, QVBoxLayout, QWidget

from workbench.ui.flow_layout import flow_row
from workbench.ui.panels.faces.common import THUMB, thumb_icon, thumb_list


class GalleryTab(QWidget):
    def __init__(self, panel, parent=None):
        super().__init__(parent)
        self.panel = panel
        lay = QVBoxLayout(self)
        self.gallery_label = QLabel("")
        self.gallery_label.setWordWrap(True)
        lay.addWidget(self.gallery_label)
        self.people_list = QListWidget()
        self.people_list.currentRowChanged.connect(self._show_person)
        lay.addWidget(self.people_list, 1)
        lay.addWidget(QLabel("Photos of the selected person (aligned face chips):"))
        self.person_thumbs = thumb_list()
        # a person has up to 40 photos: wrap them over the room a long empty name list would waste
        self.person_thumbs.setWrapping(True)
        self.person_thumbs.setResizeMode(QListWidget.ResizeMode.Adjust)
        self.person_thumbs.setMinimumHeight(THUMB + 24)
        self.person_thumbs.setMaximumHeight(16777215)
        lay.addWidget(self.person_thumbs, 1)
        self.add_folder_btn = QPushButton("Add photos…")
        self.add_folder_btn.setToolTip("Enroll a person from a folder of their photos")
        self.add_folder_btn.clicked.connect(self._add_from_folder)
        self.import_btn = QPushButton("Import people…")
        self.import_btn.setToolTip("A folder with one subfolder per person")
        self.import_btn.clicked.connect(self._import_people)
        self.rename_btn = QPushButton("Rename…")
        self.rename_btn.clicked.connect(self._rename_person)
        self.delete_btn = QPushButton("Delete")
        self.delete_btn.clicked.connect(self._delete_person)
        self.reembed_btn = QPushButton("Re-embed")
        self.reembed_btn.setToolTip("Compute the gallery's embeddings with the current encoder")
        self.reembed_btn.clicked.connect(self._reembed)
        # a row that wraps: beside the live view the tab is narrow on a small screen
        lay.addWidget(flow_row(self.add_folder_btn, self.import_btn, self.rename_btn, self.delete_btn,
                               self.reembed_btn))
        self.buttons = (self.add_folder_btn, self.import_btn, self.rename_btn, self.delete_btn, self.reembed_btn)

    def show_gallery(self, gallery, where: Path, stale: bool) -> None:
        self.people_list.clear()
        self.person_thumbs.clear()
        n = len(gallery) if gallery is not None else 0
        if gallery is not None:
            for p in gallery.people:
                self.people_list.addItem(f"{p.name}  ({len(p.images)} photo{'s' if len(p.images) != 1 else ''})")
        extra = " Its embeddings are from another encoder: press Re-embed." if stale else ""
        self.gallery_label.setText(f"{n} people in the gallery ({where}).{extra}")

    @Slot(int)
    def _show_person(self, row: int) -> None:
        self.person_thumbs.clear()
        g = self.panel.gallery
        if g is None or row < 0 or row >= len(g):
            return
        for img in g.images(g.people[row].name)[:40]:
            self.person_thumbs.addItem(QListWidgetItem(thumb_icon(img), ""))

    def selected_person(self) -> str | None:
        row = self.people_list.currentRow()
        g = self.panel.gallery
        if g is None or row < 0 or row >= len(g):
            self.panel.say("Select a person in the gallery first.", error=True)
            return None
        return g.people[row].name

    def _add_from_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with photos of one person")
        if not folder:
            return
        name, ok = QInputDialog.getText(self, "Enroll", "Name of the person:", text=Path(folder).name)
        if ok and name.strip():
            self.panel.gallery_op("folder", name.strip(), folder)

    def _import_people(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder with one subfolder per person")
        if folder:
            self.panel.gallery_op("people", folder)

    def _rename_person(self) -> None:
        name = self.selected_person()
        if name is None:
            return
        new, ok = QInputDialog.getText(self, "Rename", f"New name for {name}:", text=name)
        if ok:
            self.rename_person(name, new)

    def rename_person(self, old: str, new: str) -> None:
        from workbench.core.errors import WorkbenchError

        try:
            self.panel.gallery.rename(old, new)
        except WorkbenchError as e:
            self.panel.say(str(e), error=True)
            return
        self.panel.say(f"{old} is now {new.strip()}.")
        self.panel.reload_gallery(self.panel.gallery)

    def _delete_person(self) -> None:
        name = self.selected_person()
        if name is None:
            return
        ans = QMessageBox.question(self, "Delete", f"Delete {name} with all their photos and embeddings?")
        if ans == QMessageBox.StandardButton.Yes:
            self.delete_person(name)

    def delete_person(self, name: str) -> None:
        from workbench.core.errors import WorkbenchError

        try:
            self.panel.gallery.delete(name)
        except WorkbenchError as e:
            self.panel.say(str(e), error=True)
            return
        self.panel.say(f"{name} was deleted with their photos and embeddings.")
        self.panel.reload_gallery(self.panel.gallery)

    def _reembed(self) -> None:
        if self.panel.encoder is None:
            self.panel.say("Choose an encoder first (Encoder tab -> Use this encoder).", error=True)
            return
        self.panel.gallery_op("reembed")
