"""Worksheets panel: each case study's design questions ("Resolution?", "Which loss?") in the
course's order. The user picks an answer, presses Run, and every candidate answer is trained on the
study's own data (``workbench.core.worksheets``), over seeds, with a computed verdict; the right
answer and the explanation are shown only after the user has chosen and run. This panel shows and
forwards; the core runs everything through one ``JobRunner``."""
from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import (QComboBox, QFileDialog, QHBoxLayout, QLabel, QListWidget, QListWidgetItem, QScrollArea,
                               QSplitter, QVBoxLayout, QWidget)

from workbench.ui.job_runner import JobRunner
from workbench.ui.panels.base import Panel
from workbench.ui.panels.worksheets.question import QuestionView


def _question_dict(q) -> dict:
    return {"id": q.id, "topic": q.topic, "text": q.text,
            "answers": [{"key": a.key, "label": a.label} for a in q.answers],
            "parts": [{"id": p.id, "text": p.text, "answers": [{"key": a.key, "label": a.label} for a in p.answers]}
                      for p in q.parts]}


class WorksheetsPanel(Panel):
    title = "Worksheets"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from workbench.core.worksheets import list_worksheets

        self.worksheets = list_worksheets()
        self.results: dict[str, object] = {}  # question id -> QuestionResult (this session)
        self._running: str | None = None
        lay = QHBoxLayout(self)
        split = QSplitter()
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(QLabel("Case study:"))
        self.sheet = QComboBox()
        for ws in self.worksheets:
            self.sheet.addItem(ws.title, ws.id)
        ll.addWidget(self.sheet)
        ll.addWidget(QLabel("Questions, in the course's order:"))
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        ll.addWidget(self.list, 1)
        split.addWidget(left)
        self.view = QuestionView()
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(self.view)
        split.addWidget(scroll)
        split.setStretchFactor(1, 1)
        split.setSizes([250, 900])
        self.remember_splitter("main", split)
        lay.addWidget(split)
        self.jobs = JobRunner(self)
        self.jobs.job_failed.connect(self._on_error)
        self.jobs.job_finished.connect(self._on_finished)
        self.sheet.currentIndexChanged.connect(self._fill_questions)
        self.list.currentRowChanged.connect(self._select)
        self.view.run_fast.clicked.connect(lambda: self.run(full=False))
        self.view.run_full.clicked.connect(lambda: self.run(full=True))
        self.view.stop.clicked.connect(self.stop)
        self.view.export.clicked.connect(self._export_dialog)
        self._fill_questions(0)

    # -- navigation -------------------------------------------------------------------------------
    def current_worksheet(self):
        i = self.sheet.currentIndex()
        return self.worksheets[i] if 0 <= i < len(self.worksheets) else None

    def current_question(self):
        ws, row = self.current_worksheet(), self.list.currentRow()
        return ws.questions[row] if ws is not None and 0 <= row < len(ws.questions) else None

    @Slot(int)
    def _fill_questions(self, _i: int) -> None:
        ws = self.current_worksheet()
        self.list.blockSignals(True)
        self.list.clear()
        for n, q in enumerate(ws.questions if ws else (), 1):
            it = QListWidgetItem(f"{n}. {q.topic}: {q.text}")
            it.setData(Qt.ItemDataRole.UserRole, q.id)
            self.list.addItem(it)
        self.list.blockSignals(False)
        self.list.setCurrentRow(0)
        self._select(0)

    @Slot(int)
    def _select(self, _row: int) -> None:
        q = self.current_question()
        if q is None:
            return
        self.view.show_question(_question_dict(q))
        res = self.results.get(q.id)
        if res is not None:
            self.view.choose(res.chosen)
            self.view.set_result(self._display(res))
        self._update_buttons()

    def show_part(self, part: str) -> None:
        """Show a worksheet by its id or its case study's ("daynight"), or a question ("daynight.loss")."""
        sheet, _, _ = part.partition(".")
        by_id = [i for i, ws in enumerate(self.worksheets) if ws.id == sheet]
        by_study = [i for i, ws in enumerate(self.worksheets) if ws.study == sheet]
        if by_id or by_study:
            i = (by_id or by_study)[0]
            self.sheet.setCurrentIndex(i)
            for row, q in enumerate(self.worksheets[i].questions):
                if q.id == part:
                    self.list.setCurrentRow(row)
            return
        self.ctx.status(f"No worksheet for '{part}' yet; these are the worksheets there are.")

    # -- running ----------------------------------------------------------------------------------
    def run(self, full: bool = False, seed: int = 0, n_seeds: int | None = None):
        """Run every answer of the current question (the user's answer must be picked); returns the
        TaskHandle or None."""
        from workbench.core.worksheets import run_question_job

        q = self.current_question()
        if q is None or self.jobs.busy:
            return None
        chosen = self.view.chosen()
        if chosen is None:
            self.view.status.setText("Pick an answer first: the right one is revealed after the run.")
            return None
        self._running = q.id
        self.view.set_result(None)
        self.view.show_progress(0, 1, "starting…")
        job = self.jobs.start(run_question_job, q.id, chosen, full=full, seed=seed, n_seeds=n_seeds,
                              chosen_parts=self.view.chosen_parts() or None, on_result=self._on_result,
                              on_progress=self._on_progress, on_cancelled=self._on_cancelled,
                              label=f"Running every answer of '{q.text}'")
        self._update_buttons()
        return job

    def stop(self) -> None:
        if self.jobs.busy:
            self.jobs.cancel()
            self.view.status.setText("stopping after the current batch…")

    def _update_buttons(self) -> None:
        q = self.current_question()
        self.view.set_running(self._running is not None, q is not None and self._running == q.id)

    @Slot(int, int, str)
    def _on_progress(self, done: int, total: int, text: str) -> None:
        q = self.current_question()
        if q is not None and self._running == q.id:
            self.view.show_progress(done, total, text)

    @staticmethod
    def _display(res) -> dict:
        from workbench.core.worksheets import choice_sentence

        return {**res.to_dict(), "choice_text": choice_sentence(res),
                "images": {a.key: [(p.title, p.image) for p in a.pictures if p.image.size] for a in res.answers}}

    @Slot(object)
    def _on_result(self, res) -> None:
        self.results[res.question_id] = res
        q = self.current_question()
        if q is not None and q.id == res.question_id:
            self.view.set_result(self._display(res))
            self.view.status.setText(f"done in {res.seconds:.0f} s")
        self.ctx.status(f"Worksheet question '{res.text}' finished: {res.outcome}.")

    @Slot(str)
    def _on_error(self, msg: str) -> None:
        self.view.show_failure(msg)

    @Slot()
    def _on_cancelled(self) -> None:
        self.view.status.setText("stopped")

    @Slot()
    def _on_finished(self) -> None:
        self._running = None
        self._update_buttons()

    # -- report -----------------------------------------------------------------------------------
    def export_report(self, path: str, question_ids: list[str] | None = None) -> str:
        from workbench.core.worksheets.report import write_question_report

        q = self.current_question()
        ids = question_ids or ([q.id] if q is not None and q.id in self.results else [])
        written = write_question_report(path, [self.results[i] for i in ids])
        self.ctx.status(f"Report saved to {written}")
        return str(written)

    def _export_dialog(self) -> None:
        q = self.current_question()
        if q is None or q.id not in self.results:
            return
        path, _ = QFileDialog.getSaveFileName(self, "Export report", f"{q.id}-report.html", "HTML report (*.html)")
        if path:
            self.export_report(path, [q.id])

    def shutdown(self) -> None:
        self.jobs.shutdown()
