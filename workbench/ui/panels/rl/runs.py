"""The Runs tab: this project's reinforcement-learning runs (kind "rl"), newest last. The selected
run is the "saved agent" that Watch it play, Record GIF and Export ONNX use."""
from __future__ import annotations

from PySide6.QtCore import Slot
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget

from workbench.ui.widgets import button, fill_table, table_widget

COLUMNS = ["run", "agent", "environment", "seed", "best eval return", "fresh episodes", "random agent", "steps",
           "seconds", "ended"]


def _num(v, fmt="{:.1f}"):
    return "–" if v is None else fmt.format(v)


class RunsTab(QWidget):
    def __init__(self, panel):
        super().__init__()
        self.panel = panel
        self.rows: list[dict] = []
        lay = QVBoxLayout(self)
        self.note = QLabel()
        self.note.setWordWrap(True)
        lay.addWidget(self.note)
        self.table = table_widget(COLUMNS)
        self.table.setSelectionBehavior(self.table.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(self.table.SelectionMode.SingleSelection)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addWidget(button("Refresh", self.refresh))
        row.addWidget(button("Watch this agent", self._watch, "play the selected run's best agent"))
        self.resume_btn = button("Resume training", self._resume,
                                 "go on training the selected run where it stopped (also after a restart)")
        row.addWidget(self.resume_btn)
        row.addStretch(1)
        lay.addLayout(row)
        self.refresh()

    @Slot()
    def refresh(self) -> None:
        from workbench.core.studies.rl.record import rl_runs

        project = self.panel.ctx.project_dir
        if project is None:
            self.rows = []
            self.note.setText("Open or create a project to keep trained agents: each training is saved there as a run "
                              "with its best policy. Without one, the agent lives until the app closes.")
        else:
            try:
                self.rows = rl_runs(project)
            except Exception as e:  # an unreadable project folder: say so, keep the panel usable
                self.rows = []
                self.note.setText(f"The runs of {project} cannot be read ({e}).")
            else:
                self.note.setText(f"{len(self.rows)} reinforcement-learning run(s) in {project}. Select one to watch it, "
                                  "record it, export it or resume its training (also after a restart).")
        fill_table(self.table, [[r["run_id"], r["algo"], r["env"], r["seed"], _num(r["best_return"]),
                                 _num(r["test_return"]), _num(r["random_return"]), _num(r["steps"], "{:,}"),
                                 _num(r["seconds"]), r["stop_reason"]] for r in self.rows])

    def selected(self) -> dict | None:
        rows = self.table.selectionModel().selectedRows() if self.table.selectionModel() else []
        if rows and 0 <= rows[0].row() < len(self.rows):
            return self.rows[rows[0].row()]
        return self.rows[-1] if self.rows else None

    @Slot()
    def _watch(self) -> None:
        self.panel.watch_saved()

    @Slot()
    def _resume(self) -> None:
        row = self.selected()
        if row is not None:
            self.panel.resume_run(row["run_id"])
