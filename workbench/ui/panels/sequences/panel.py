"""The Sequences & Shots panel: the course's remaining kinds of learning, one tab each.

Syntax trees (sentence -> tree), Captions (image -> sentence, attention over the image word by
word), Zero-shot (classes never seen in training, from their attributes) and Few-shot (1, 5, 10
examples per class: prototypes on the shipped MobileNetV2 beside a CNN from scratch), and the runs
made here. The logic lives in ``workbench.core.studies.sequences``; every tab only builds widgets,
starts a core function through the panel's one ``JobRunner`` and shows what it returns.
"""
from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout

from workbench.ui.job_runner import JobRunner
from workbench.ui.panels.base import Panel
from workbench.ui.widgets import Banner, fill_table, job_bar, table_widget


class SequencesPanel(Panel):
    title = "Sequences & Shots"
    icon_name = "SP_FileDialogDetailedView"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from workbench.ui.panels.sequences.captions_tab import CaptionsTab
        from workbench.ui.panels.sequences.fewshot_tab import FewShotTab
        from workbench.ui.panels.sequences.trees_tab import TreesTab
        from workbench.ui.panels.sequences.zeroshot_tab import ZeroShotTab

        self.runs: list[dict] = []  # {"task", "name", "held_out", "baseline", "run_id"} of this session
        outer = QVBoxLayout(self)
        self.banner = Banner()
        outer.addWidget(self.banner)
        self.tabs = QTabWidget()
        outer.addWidget(self.tabs, 1)
        bottom, self.status, self.progress, self.cancel_btn = job_bar(
            "Each tab trains on generated data with one click, or on your own (a CSV, a folder).")
        outer.addLayout(bottom)
        self.jobs = JobRunner(self, banner=self.banner, status=self.status, progress=self.progress,
                              cancel_button=self.cancel_btn)
        self.trees_tab = TreesTab(self)
        self.captions_tab = CaptionsTab(self)
        self.zeroshot_tab = ZeroShotTab(self)
        self.fewshot_tab = FewShotTab(self)
        self.runs_table = table_widget(["task", "run", "held-out score", "baseline", "saved as"])
        self._all = [self.trees_tab, self.captions_tab, self.zeroshot_tab, self.fewshot_tab]
        for tab, name in zip(self._all, ("Syntax trees", "Captions", "Zero-shot", "Few-shot")):
            self.tabs.addTab(tab, name)
        self.tabs.addTab(self.runs_table, "Runs")

    def run_store(self):
        """The project's RunStore (None without a project folder): every run joins its history."""
        if self.ctx.project_dir is None:
            return None
        from workbench.core.runs import RunStore

        return RunStore(self.ctx.project_dir)

    def keep_run(self, task: str, record, held_out: str, baseline: str) -> None:
        """A finished run: into the project's runs and into this panel's Runs table."""
        if record is not None:
            self.ctx.add_run(record.to_dict())
        self.runs.append({"task": task, "name": record.name if record is not None else task, "held_out": held_out,
                          "baseline": baseline, "run_id": (record.run_id if record is not None else None) or "not saved"})
        fill_table(self.runs_table, [[r["task"], r["name"], r["held_out"], r["baseline"], r["run_id"]]
                                     for r in reversed(self.runs)])

    def shutdown(self) -> None:
        self.jobs.shutdown()

    state_section = "sequences"

    def state(self) -> dict:
        return {"tab": self.tabs.currentIndex(), **{type(t).__name__: t.state() for t in self._all}}

    def restore(self, state: dict) -> None:
        s = dict(state or {})
        for t in self._all:
            sub = s.get(type(t).__name__)
            if isinstance(sub, dict):
                t.restore(sub)
        if isinstance(s.get("tab"), int) and 0 <= s["tab"] < self.tabs.count():
            self.tabs.setCurrentIndex(s["tab"])


def main() -> int:
    from workbench.ui.panels.base import run_panel_standalone

    return run_panel_standalone(SequencesPanel)


if __name__ == "__main__":
    raise SystemExit(main())
