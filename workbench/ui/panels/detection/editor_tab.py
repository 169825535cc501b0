"""Label boxes tab: an editor to draw, move and delete boxes and set their class on any image
folder (your photos, webcam captures), with undo; saved as YOLO labels in the folder.

``BoxEditorWidget`` only paints and turns mouse actions into calls on the core ``BoxDocument``
(drag on empty space: draw; drag a box: move it; click: select; Delete: remove; Ctrl+Z / Ctrl+Y)."""
from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QKeySequence, QPainter, QPen, QPixmap, QShortcut
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QInputDialog, QLabel, QPushButton, QSizePolicy,
                               QVBoxLayout, QWidget)

from workbench.ui.flow_layout import flow_row
from workbench.ui.panels.detection.common import explain
from workbench.ui.widgets import array_to_qimage


class BoxEditorWidget(QWidget):
    """Signals:
        changed()  the document's boxes changed (an edit, undo or redo)
    """

    changed = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.doc = None
        self.current_class = 0
        self.selected: int | None = None
        self._pix: QPixmap | None = None
        self._drag: tuple | None = None  # ("draw", start) | ("move", index, start)
        self._cursor: QPointF | None = None
        self.setMinimumSize(320, 240)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)

    def set_document(self, doc) -> None:
        self.doc = doc
        self.reload()

    def reload(self) -> None:
        self.selected = None
        self._pix = QPixmap.fromImage(array_to_qimage(self.doc.image())) if self.doc is not None else None
        self.update()

    # ---- geometry: widget <-> image pixels -------------------------------------------------
    def _frame(self) -> tuple[float, float, float]:
        if self._pix is None:
            return 1.0, 0.0, 0.0
        s = min(self.width() / self._pix.width(), self.height() / self._pix.height())
        return s, (self.width() - s * self._pix.width()) / 2, (self.height() - s * self._pix.height()) / 2

    def to_image(self, p: QPointF) -> tuple[float, float]:
        s, ox, oy = self._frame()
        return (p.x() - ox) / s, (p.y() - oy) / s

    def to_widget(self, x: float, y: float) -> QPointF:
        s, ox, oy = self._frame()
        return QPointF(ox + x * s, oy + y * s)

    # ---- mouse and keys -------------------------------------------------------------------------
    def mousePressEvent(self, e) -> None:
        if self.doc is None or e.button() != Qt.MouseButton.LeftButton:
            return
        x, y = self.to_image(e.position())
        k = self.doc.box_at(x, y)
        self.selected = k
        self._drag = ("move", k, (x, y)) if k is not None else ("draw", (x, y))
        self.setFocus()
        self.update()

    def mouseMoveEvent(self, e) -> None:
        self._cursor = e.position()
        if self._drag is not None:
            self.update()

    def mouseReleaseEvent(self, e) -> None:
        if self.doc is None or self._drag is None:
            return
        x, y = self.to_image(e.position())
        drag, self._drag = self._drag, None
        if drag[0] == "draw":
            k = self.doc.add([drag[1][0], drag[1][1], x, y], self.current_class)
            if k is not None:
                self.selected = k
                self.changed.emit()
        else:
            k, (x0, y0) = drag[1], drag[2]
            if abs(x - x0) + abs(y - y0) >= 1:
                self.doc.move(k, x - x0, y - y0)
                self.changed.emit()
        self.update()

    def keyPressEvent(self, e) -> None:
        if e.key() in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            self.delete_selected()
        else:
            super().keyPressEvent(e)

    # ---- commands ---------------------------------------------------------------------------------
    def delete_selected(self) -> None:
        if self.doc is not None and self.selected is not None:
            self.doc.delete(self.selected)
            self.selected = None
            self.changed.emit()
            self.update()

    def set_class_of_selected(self, label: int) -> None:
        self.current_class = int(label)
        if self.doc is not None and self.selected is not None:
            self.doc.set_class(self.selected, label)
            self.changed.emit()
            self.update()

    def undo(self) -> None:
        if self.doc is not None and self.doc.undo():
            self.reload()
            self.changed.emit()

    def redo(self) -> None:
        if self.doc is not None and self.doc.redo():
            self.reload()
            self.changed.emit()

    # ---- painting ---------------------------------------------------------------------------------
    def paintEvent(self, _e) -> None:
        from workbench.core.studies.detection.draw import class_color

        p = QPainter(self)
        p.fillRect(self.rect(), QColor("#222"))
        if self._pix is None or self.doc is None:
            p.setPen(QColor("#ccc"))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "Open a folder of images to label.")
            return
        s, ox, oy = self._frame()
        p.drawPixmap(QRectF(ox, oy, s * self._pix.width(), s * self._pix.height()), self._pix,
                     QRectF(0, 0, self._pix.width(), self._pix.height()))
        boxes, labels = self.doc.boxes()
        names = self.doc.class_names
        for k, (b, c) in enumerate(zip(boxes, labels)):
            col = QColor(*class_color(int(c)))
            p.setPen(QPen(col, 3 if k == self.selected else 2,
                          Qt.PenStyle.DashLine if k == self.selected else Qt.PenStyle.SolidLine))
            tl, br = self.to_widget(b[0], b[1]), self.to_widget(b[2], b[3])
            p.drawRect(QRectF(tl, br))
            p.drawText(tl + QPointF(3, 14), names[int(c)] if int(c) < len(names) else str(int(c)))
        if self._drag is not None and self._drag[0] == "draw" and self._cursor is not None:
            p.setPen(QPen(QColor("#ffffff"), 1, Qt.PenStyle.DashLine))
            p.drawRect(QRectF(self.to_widget(*self._drag[1]), self._cursor))


class EditorTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.doc = None
        lay = QVBoxLayout(self)
        lay.addWidget(explain(
            "Open any folder of images. Drag on the image to draw a box of the chosen class, drag a box to move "
            "it, click a box and press Delete to remove it or pick a class to change it. Ctrl+Z undoes, Ctrl+Y "
            "redoes. Labels are saved as YOLO files (<i>labels/</i> + <i>classes.txt</i>) in the folder, so the "
            "Data tab can import it."))
        self.open_btn = QPushButton("Open image folder…")
        self.open_btn.clicked.connect(self._ask_open)
        self.prev_btn = QPushButton("◀ Previous")
        self.prev_btn.clicked.connect(lambda: self.goto(-1))
        self.next_btn = QPushButton("Next ▶")
        self.next_btn.clicked.connect(lambda: self.goto(+1))
        self.class_combo = QComboBox()
        self.class_combo.activated.connect(self._class_chosen)
        self.add_class_btn = QPushButton("New class…")
        self.add_class_btn.clicked.connect(self._ask_class)
        self.delete_btn = QPushButton("Delete box")
        self.undo_btn = QPushButton("Undo")
        self.redo_btn = QPushButton("Redo")
        self.save_btn = QPushButton("Save labels")
        self.save_btn.clicked.connect(self.save)
        self.use_btn = QPushButton("Use as data set")
        self.use_btn.clicked.connect(self.use_as_dataset)
        cls = QWidget()  # "Class" beside its box, wherever the row wraps
        cl = QHBoxLayout(cls)
        cl.setContentsMargins(0, 0, 0, 0)
        cl.addWidget(QLabel("Class"))
        cl.addWidget(self.class_combo)
        lay.addWidget(flow_row(self.open_btn, self.prev_btn, self.next_btn, cls, self.add_class_btn,
                               self.delete_btn, self.undo_btn, self.redo_btn, self.save_btn, self.use_btn))
        self.editor = BoxEditorWidget()
        self.editor.changed.connect(self._refresh)
        self.delete_btn.clicked.connect(self.editor.delete_selected)
        self.undo_btn.clicked.connect(self.editor.undo)
        self.redo_btn.clicked.connect(self.editor.redo)
        QShortcut(QKeySequence.StandardKey.Undo, self, self.editor.undo)
        QShortcut(QKeySequence.StandardKey.Redo, self, self.editor.redo)
        lay.addWidget(self.editor, 1)
        self.info = QLabel("")
        lay.addWidget(self.info)
        self._refresh()

    def _ask_open(self) -> None:
        d = QFileDialog.getExistingDirectory(self, "A folder of images to label")
        if d:
            self.open_folder(d)

    def open_folder(self, folder: str, class_names: list[str] | None = None) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.detection.annotate import BoxDocument

        try:
            self.doc = BoxDocument(folder, class_names)
            self.doc.go(0)
        except WorkbenchError as e:
            self.panel.banner.show_message(str(e), "error")
            return
        self.editor.set_document(self.doc)
        self._refresh()

    def goto(self, step: int) -> None:
        if self.doc is not None:
            self.doc.go(self.doc.index + step)
            self.editor.reload()
            self._refresh()

    def _class_chosen(self, i: int) -> None:
        self.editor.set_class_of_selected(i)

    def _ask_class(self) -> None:
        name, ok = QInputDialog.getText(self, "New class", "Class name:")
        if ok and name.strip() and self.doc is not None:
            self.add_class(name)

    def add_class(self, name: str) -> None:
        k = self.doc.add_class(name)
        self._refresh()
        self.class_combo.setCurrentIndex(k)
        self.editor.current_class = k

    def save(self) -> None:
        if self.doc is not None:
            n = self.doc.save()
            self.panel.banner.show_message(f"Saved the labels of {n} image(s) in {self.doc.folder}.", "ok")
            self._refresh()

    def use_as_dataset(self) -> None:
        if self.doc is None:
            return
        self.save()
        self.panel.data_tab.import_folder(str(self.doc.folder))

    def _refresh(self) -> None:
        has = self.doc is not None
        for w in (self.prev_btn, self.next_btn, self.delete_btn, self.save_btn, self.use_btn, self.add_class_btn):
            w.setEnabled(has)
        self.undo_btn.setEnabled(has and self.doc.can_undo)
        self.redo_btn.setEnabled(has and self.doc.can_redo)
        if not has:
            self.info.setText("No folder open.")
            return
        names = list(self.doc.class_names)
        if [self.class_combo.itemText(i) for i in range(self.class_combo.count())] != names:
            cur = self.class_combo.currentIndex()
            self.class_combo.clear()
            self.class_combo.addItems(names)
            self.class_combo.setCurrentIndex(max(0, min(cur, len(names) - 1)))
        b, _ = self.doc.boxes()
        self.info.setText(f"{self.doc.files[self.doc.index].name} ({self.doc.index + 1}/{len(self.doc)}): {len(b)} "
                          f"box(es); {len(self.doc.dirty)} image(s) with unsaved changes.")

    def shutdown(self) -> None:
        pass

    def state(self) -> dict:
        return {"folder": str(self.doc.folder) if self.doc is not None else None}

    def restore(self, s: dict) -> None:
        pass  # the folder is opened again by the user (it may have moved)
