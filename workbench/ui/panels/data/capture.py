"""Capture tab: record your own classes from the webcam or the microphone into the project.

A class list (counts and a thumbnail), hold-to-record (frames at a rate up to a maximum, or
fixed-length clips with silence rejected, or one long take split into clips), a mirrored live
preview and a level meter, import by dialog or drag-and-drop, and a review grid of the selected
class where bad samples are deleted. Everything is a class-per-folder set under
``<project>/captures/<name>/``; after each change the Data panel reloads it (``dataset_changed``).
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import (
    QComboBox, QDoubleSpinBox, QFileDialog, QGridLayout, QHBoxLayout, QInputDialog, QLabel, QLineEdit,
    QListWidget, QListWidgetItem, QProgressBar, QPushButton, QVBoxLayout, QWidget,
)

from workbench.ui.flow_layout import flow_row, labelled
from workbench.ui.job_runner import JobRunner
from workbench.ui.widgets import Banner, FileDrops, ImageGridWidget, array_to_qimage, pixmap_from_array, spin_box

REVIEW_MAX = 80


class CaptureTab(FileDrops, QWidget):
    """Signals:
        dataset_changed(str)   the capture folder changed and holds two classes with samples (load it)
        capture_finished(dict) a recording / import ended (its CaptureReport as a dict)
    """

    dataset_changed = Signal(str)
    capture_finished = Signal(dict)

    def __init__(self, ctx, parent=None):
        super().__init__(parent)
        self.ctx = ctx
        self.cset = None
        self.source_factory = None  # tests and demos: a callable returning a FrameSource / AudioSource
        self.setAcceptDrops(True)
        self._build()

    def _build(self) -> None:
        lay = QVBoxLayout(self)
        top = QHBoxLayout()
        self.name_edit = QLineEdit("my-data")
        self.kind_combo = QComboBox()
        self.kind_combo.addItem("Images (webcam)", "image")
        self.kind_combo.addItem("Sounds (microphone)", "audio")
        self.seconds_spin = QDoubleSpinBox()
        self.seconds_spin.setRange(0.2, 10.0)
        self.seconds_spin.setValue(1.0)
        self.seconds_spin.setSuffix(" s clips")
        self.open_btn = QPushButton("Open / create")
        self.open_btn.clicked.connect(self.open_set)
        for w, label in ((self.name_edit, "Data set:"), (self.kind_combo, ""), (self.seconds_spin, "")):
            if label:
                top.addWidget(QLabel(label))
            top.addWidget(w)
        top.addWidget(self.open_btn)
        top.addStretch(1)
        lay.addLayout(top)
        self.banner = Banner()
        lay.addWidget(self.banner)

        grid = QGridLayout()
        left = QVBoxLayout()
        self.class_list = QListWidget()
        self.class_list.setIconSize(self.class_list.iconSize() * 2)
        self.class_list.currentRowChanged.connect(lambda _r: self.refresh_review())
        left.addWidget(QLabel("Classes"))
        left.addWidget(self.class_list, 1)
        row = QHBoxLayout()
        self.add_btn, self.rename_btn, self.delete_btn = QPushButton("Add"), QPushButton("Rename"), QPushButton("Delete")
        self.add_btn.clicked.connect(self._ask_add)
        self.rename_btn.clicked.connect(self._ask_rename)
        self.delete_btn.clicked.connect(self._delete_class)
        for b in (self.add_btn, self.rename_btn, self.delete_btn):
            row.addWidget(b)
        left.addLayout(row)
        grid.addLayout(left, 0, 0)

        mid = QVBoxLayout()
        self.preview = QLabel("Live preview (mirrored) while recording")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(280, 210)
        self.preview.setStyleSheet("background:#222;color:#ccc;")
        mid.addWidget(self.preview, 1)
        self.level = QProgressBar()
        self.level.setRange(-80, 0)
        self.level.setFormat("level %v dBFS")
        mid.addWidget(self.level)
        self.source_combo = QComboBox()
        self.source_combo.setEditable(True)
        self.rate_spin = QDoubleSpinBox()
        self.rate_spin.setRange(0.5, 30.0)
        self.rate_spin.setValue(5.0)
        self.rate_spin.setSuffix(" /s")
        self.max_spin = spin_box(1, 1000, 30)
        self.mode_combo = QComboBox()
        self.mode_combo.addItem("fixed-length clips", "clips")
        self.mode_combo.addItem("one long take, split", "take")
        self.source_combo.setMinimumContentsLength(9)  # "camera:0" whole
        mid.addWidget(flow_row(*(labelled(label, w) if label else w for w, label in (
            (self.source_combo, "Source:"), (self.rate_spin, "rate"), (self.max_spin, "max"), (self.mode_combo, "")))))
        self.record_btn = QPushButton("Hold to record")
        self.record_btn.setMinimumHeight(40)
        self.record_btn.pressed.connect(self.start_recording)
        self.record_btn.released.connect(self.stop_recording)
        self.import_btn = QPushButton("Import files…")
        self.import_btn.clicked.connect(self._ask_import)
        rr = QHBoxLayout()
        rr.addWidget(self.record_btn, 2)
        rr.addWidget(self.import_btn, 1)
        mid.addLayout(rr)
        grid.addLayout(mid, 0, 1)

        right = QVBoxLayout()
        self.review_label = QLabel("Samples of the selected class")
        self.review = ImageGridWidget(72)
        self.review.setSelectionMode(ImageGridWidget.SelectionMode.ExtendedSelection)
        self.review.itemDoubleClicked.connect(self._play)
        self.delete_samples_btn = QPushButton("Delete selected samples")
        self.delete_samples_btn.clicked.connect(self.delete_selected_samples)
        right.addWidget(self.review_label)
        right.addWidget(self.review, 1)
        right.addWidget(self.delete_samples_btn)
        grid.addLayout(right, 0, 2)
        grid.setColumnStretch(1, 2)
        grid.setColumnStretch(2, 2)
        lay.addLayout(grid, 1)

        self.jobs = JobRunner(self, banner=self.banner)
        self.jobs.job_finished.connect(self._after_job)
        self.timer = QTimer(self)
        self.timer.setInterval(33)
        self.timer.timeout.connect(self._redraw)
        self.slot = None
        self.kind_combo.currentIndexChanged.connect(self._kind_changed)
        self._kind_changed()
        self._update_enabled()

    # -- the set and its classes -------------------------------------------------------------
    def _kind_changed(self) -> None:
        audio = self.kind_combo.currentData() == "audio"
        self.source_combo.clear()
        self.source_combo.addItems(["microphone"] if audio else ["camera:0", "camera:1", "synthetic"])
        self.rate_spin.setEnabled(not audio)
        self.mode_combo.setEnabled(audio)
        self.seconds_spin.setEnabled(audio)
        self.level.setVisible(audio)

    def open_set(self) -> None:
        from workbench.core.capture.dataset import CaptureSet
        from workbench.core.errors import WorkbenchError

        if not self.ctx.project_dir:
            self.banner.show_message("Save the project first (File ▸ Save): captures are stored in its folder.",
                                     "warning")
            return
        try:
            self.cset = CaptureSet.create(self.ctx.project_dir, self.name_edit.text(), self.kind_combo.currentData(),
                                          seconds=self.seconds_spin.value())
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return
        i = self.kind_combo.findData(self.cset.kind)
        self.kind_combo.setCurrentIndex(i)
        self.name_edit.setText(self.cset.folder.name)
        self.banner.show_message(f"Capturing into {self.cset.folder}.", "info")
        self.refresh_classes()

    def add_class(self, name: str) -> None:
        self._guard(lambda: self.cset.add_class(name))

    def rename_class(self, old: str, new: str) -> None:
        self._guard(lambda: self.cset.rename_class(old, new), changed=True)

    def _guard(self, fn, changed: bool = False):
        from workbench.core.errors import WorkbenchError

        if self.cset is None:
            self.open_set()
            if self.cset is None:
                return None
        try:
            out = fn()
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            self.refresh_classes()
            return None
        self.refresh_classes(out if isinstance(out, str) else None)
        if changed:
            self._announce()
        return out

    def _ask_add(self) -> None:
        name, ok = QInputDialog.getText(self, "New class", "Class name:")
        if ok and name.strip():
            self.add_class(name)

    def _ask_rename(self) -> None:
        old = self.current_class()
        if old:
            name, ok = QInputDialog.getText(self, "Rename class", "New name:", text=old)
            if ok and name.strip():
                self.rename_class(old, name)

    def _delete_class(self) -> None:
        name = self.current_class()
        if name:
            self._guard(lambda: self.cset.delete_class(name), changed=True)

    def current_class(self) -> str | None:
        it = self.class_list.currentItem()
        return it.data(Qt.ItemDataRole.UserRole) if it is not None else None

    def select_class(self, name: str) -> None:
        for i in range(self.class_list.count()):
            if self.class_list.item(i).data(Qt.ItemDataRole.UserRole) == name:
                self.class_list.setCurrentRow(i)

    def refresh_classes(self, select: str | None = None) -> None:
        keep = select or self.current_class()
        self.class_list.blockSignals(True)
        self.class_list.clear()
        if self.cset is not None:
            for name, n in self.cset.counts().items():
                it = QListWidgetItem(f"{name}  ({n})")
                it.setData(Qt.ItemDataRole.UserRole, name)
                first = self.cset.samples(name)[:1]
                thumb = self.cset.thumbnail(first[0], 48) if first else None
                if thumb is not None:
                    it.setIcon(QIcon(pixmap_from_array(thumb, 48)))
                self.class_list.addItem(it)
        self.class_list.blockSignals(False)
        if keep:
            self.select_class(keep)
        if self.class_list.currentRow() < 0 and self.class_list.count():
            self.class_list.setCurrentRow(0)
        self.refresh_review()
        self._update_enabled()

    def refresh_review(self) -> None:
        name = self.current_class()
        if self.cset is None or not name:
            self.review.clear()
            return
        from workbench.core.errors import WorkbenchError

        try:
            files = self.cset.samples(name)
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return
        shown = files[-REVIEW_MAX:]
        thumbs = [self.cset.thumbnail(f, 72) for f in shown]
        ok = [(f, t) for f, t in zip(shown, thumbs) if t is not None]
        first = len(files) - len(shown)
        self.review.set_images([t for _, t in ok], [f"#{first + k + 1}" for k in range(len(ok))], [str(f) for f, _ in ok])
        self.review_label.setText(f"{len(files)} samples of {name!r}" + (
            f" (the newest {REVIEW_MAX} shown)" if len(files) > REVIEW_MAX else "")
            + ("; double-click to play" if self.cset.kind == "audio" else ""))

    def delete_selected_samples(self) -> None:
        name = self.current_class()
        files = [Path(it.toolTip()).name for it in self.review.selectedItems()]
        if name and files:
            self._guard(lambda: self.cset.delete_samples(name, files), changed=True)

    def _play(self, item) -> None:
        from workbench.core.errors import WorkbenchError

        if self.cset is None or self.cset.kind != "audio":
            return
        try:
            from workbench.core.capture.audio import play
            from workbench.core.data.audio import read_clip

            x, sr = read_clip(item.toolTip())
            play(x, sr)
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")

    def _update_enabled(self) -> None:
        has = self.cset is not None and self.current_class() is not None
        for b in (self.rename_btn, self.delete_btn, self.record_btn, self.import_btn, self.delete_samples_btn):
            b.setEnabled(has)

    def _announce(self) -> None:
        if self.cset is not None and sum(1 for n in self.cset.counts().values() if n) >= 2:
            self.dataset_changed.emit(str(self.cset.folder))

    # -- recording ---------------------------------------------------------------------------
    def make_source(self):
        if self.source_factory is not None:
            return self.source_factory()
        from workbench.core.capture.live import open_live_source

        return open_live_source(self.source_combo.currentText().strip(), self.cset.kind)

    def start_recording(self) -> None:
        from workbench.core.capture import dataset as cap
        from workbench.core.capture.live import LatestSlot
        from workbench.core.errors import WorkbenchError

        name = self.current_class()
        if self.cset is None or not name:
            return
        if self.jobs.busy:
            self.banner.show_message("The last recording is still being saved; press again in a moment.", "info")
            return
        try:
            src = self.make_source()
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return
        self.slot = slot = LatestSlot()
        if self.cset.kind == "image":
            job = self.jobs.start(cap.capture_frames, src, self.cset, name, rate=self.rate_spin.value(),
                                  max_count=self.max_spin.value(), preview=lambda f, n: slot.put(("frame", f.copy())),
                                  on_result=self._recorded, label="Recording")
        elif self.mode_combo.currentData() == "take":
            job = self.jobs.start(cap.record_take, src, self.cset, name, level=lambda db: slot.put(("level", db)),
                                  on_result=self._recorded, label="Recording a long take")
        else:
            job = self.jobs.start(cap.record_clips, src, self.cset, name, count=self.max_spin.value(),
                                  level=lambda db: slot.put(("level", db)), on_result=self._recorded,
                                  label="Recording clips")
        if job is not None:
            self.record_btn.setText("Recording… (release to stop)")
            self.timer.start()

    def stop_recording(self) -> None:
        self.jobs.cancel()

    def _recorded(self, report) -> None:
        d = report.to_dict() if hasattr(report, "to_dict") else dict(report)
        self.banner.show_message(d.get("message", ""), "ok" if d.get("saved") else "warning")
        self.capture_finished.emit(d)

    def _after_job(self) -> None:
        self.timer.stop()
        self._redraw()
        self.record_btn.setText("Hold to record")
        self.refresh_classes()
        self._announce()

    def _redraw(self) -> None:
        if self.slot is None:
            return
        _n, v = self.slot.get()
        if v is None:
            return
        what, value = v
        if what == "frame":
            from PySide6.QtGui import QPixmap

            pm = QPixmap.fromImage(array_to_qimage(value))
            self.preview.setPixmap(pm.scaled(self.preview.size(), Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.FastTransformation))
        else:
            self.level.setValue(int(max(-80, min(0, value))))

    # -- importing ---------------------------------------------------------------------------
    def import_paths(self, paths) -> None:
        name = self.current_class()
        if self.cset is None or not name:
            self.banner.show_message("Choose a class to import into first.", "info")
            return
        # off the GUI thread: every file is read and checked (a pipe named x.png, a huge header, a
        # folder of thousands) without the window freezing; errors come back as the job's sentence
        self._import_class = name
        self.jobs.start(self.cset.import_files, name, [str(p) for p in paths], label=f"Importing into {name!r} ...",
                        on_result=self._imported)

    def _imported(self, out) -> None:
        name = self._import_class
        added, skipped = out
        msg = f"Imported {len(added)} file(s) into {name!r}."
        if skipped:
            msg += f" Skipped {len(skipped)}: " + "; ".join(f"{Path(f).name} ({w})" for f, w in skipped[:3])
        self.banner.show_message(msg, "warning" if skipped else "ok")
        self.refresh_classes()
        self._announce()

    def _ask_import(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(self, "Files to import into the class")
        if files:
            self.import_paths(files)

    def files_dropped(self, paths: list[str]) -> None:
        self.import_paths(paths)

    def shutdown(self) -> None:
        self.timer.stop()
        self.jobs.shutdown()
