"""The Reinforcement learning panel (case study 6): choose an environment and an agent (the zoo's
tuned presets, layer sizes, seed, stopping criteria), train it with live charts beside the random
agent's return, pause / stop / resume, watch it play, record a GIF, export to ONNX, and list this
project's RL runs.

The logic lives in ``workbench.core.studies.rl``; this package builds widgets, starts the core's
functions through ``JobRunner`` and shows what they hand back.
"""
from __future__ import annotations

from PySide6.QtCore import Qt, Slot
from PySide6.QtWidgets import QGridLayout, QLabel, QScrollArea, QSplitter, QTabWidget, QVBoxLayout, QWidget

from workbench.ui.job_runner import JobRunner, Relay
from workbench.ui.panels.base import Panel
from workbench.ui.widgets import Banner, button, job_bar


class RLPanel(Panel):
    """Case study 6: an agent that learns while you watch."""

    title = "Reinforcement learning"
    icon_name = "SP_MediaPlay"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from workbench.ui.panels.rl.charts import TrainingCharts
        from workbench.ui.panels.rl.runs import RunsTab
        from workbench.ui.panels.rl.settings import SettingsBox
        from workbench.ui.panels.rl.watch import WatchTab

        self.session = None  # the RLSession being trained (Resume continues it)
        outer = QVBoxLayout(self)
        self.banner = Banner()
        outer.addWidget(self.banner)
        split = QSplitter(Qt.Orientation.Horizontal)
        inner = QWidget()
        il = QVBoxLayout(inner)
        il.setContentsMargins(0, 0, 0, 0)
        self.settings = SettingsBox()
        il.addWidget(self.settings, 1)
        self.atari_note = QLabel()
        self.atari_note.setWordWrap(True)
        self.estimate_btn = button("Measure and estimate the training time", self.estimate,
                                   "trains a short burst to measure the steps per second here")
        il.addWidget(self.estimate_btn)
        il.addWidget(self.atari_note)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setWidget(inner)
        left = QWidget()  # the settings scroll; the buttons stay in view below them
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(scroll, 1)
        self.train_btn = button("Train", self.train, "a new agent from these settings")
        self.pause_btn = button("Pause", self.pause, "hold the training; Resume goes on")
        self.stop_btn = button("Stop", self.stop, "end the training; the best agent so far is kept")
        self.resume_btn = button("Resume", self.resume, "go on: the paused training, or the same agent after a stop")
        grid = QGridLayout()
        for i, b in enumerate((self.train_btn, self.pause_btn, self.stop_btn, self.resume_btn)):
            grid.addWidget(b, i // 2, i % 2)
        ll.addLayout(grid)
        left.setMinimumWidth(280)
        split.addWidget(left)
        self.tabs = QTabWidget()
        self.charts = TrainingCharts()
        self.watch = WatchTab(self)
        self.runs_tab = RunsTab(self)
        self.tabs.addTab(self.charts, "Training")
        self.tabs.addTab(self.watch, "Watch it play")
        self.tabs.addTab(self.runs_tab, "Runs")
        split.addWidget(self.tabs)
        split.setStretchFactor(1, 1)
        split.setSizes([320, 900])
        self.remember_splitter("rl", split)
        outer.addWidget(split, 1)
        bottom, self.status, self.progress, self.cancel_btn = job_bar(
            "Choose an environment and an agent, then Train. The zoo's tuned PPO solves CartPole in well under a minute.")
        outer.addLayout(bottom)
        self.jobs = JobRunner(self, banner=self.banner, status=self.status, progress=self.progress,
                              cancel_button=self.cancel_btn)
        self.relay = Relay(self)
        self.relay.item.connect(self.charts.add)
        self.charts.timer.timeout.connect(self._show_progress)
        self.jobs.job_finished.connect(self._buttons)
        self.settings.env_changed.connect(self._env_changed)
        self._env_changed(self.settings.env_id)
        self._buttons()

    # ---- training ----------------------------------------------------------------------------
    @Slot()
    def train(self) -> None:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.rl import RLSession

        if self.jobs.busy:
            return
        try:  # check=False: importing stable-baselines3 and trying the environment happen in the worker
            session = RLSession(self.settings.config(), check=False)
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return
        self._take(session)

    def _take(self, session) -> None:
        if self.session is not None:
            self.session.close()
        self.session = session
        self._start(fresh=True)

    def resume_run(self, run_id: str) -> None:
        """Go on training a saved run (also after the app restarted): its settings, episodes,
        evaluations and best agent come back, and the same run is updated."""
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.rl.resume import session_from_run

        if self.jobs.busy:
            return
        if self.ctx.project_dir is None:
            self.banner.show_message("Open the project the run is in first.", "error")
            return
        try:
            session = session_from_run(self.ctx.project_dir, run_id, check=False)
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return
        self._take(session)

    def _start(self, fresh: bool) -> None:
        from workbench.core.studies.rl.record import train_and_record

        s = self.session
        self.charts.start(fresh)
        self.tabs.setCurrentWidget(self.charts) if fresh and self.tabs.currentWidget() is self.runs_tab else None
        self.jobs.start(train_and_record, s, on_event=self.relay.send, project=self.ctx.project_dir, trainer=s,
                        on_result=self._trained, label=f"Training {s.cfg.algo} on {s.cfg.env} (seed {s.cfg.seed})")
        self._buttons()

    @Slot()
    def pause(self) -> None:
        self.jobs.pause()
        self._buttons()

    @Slot()
    def stop(self) -> None:
        self.jobs.stop_training()

    @Slot()
    def resume(self) -> None:
        if self.jobs.busy:
            self.jobs.resume()
            self._buttons()
        elif self.session is not None:
            self._start(fresh=False)

    def _trained(self, result: dict) -> None:
        self.charts.stop()
        rec, summary = result["record"], result["summary"]
        if self.ctx.project_dir is None or summary.get("run_id"):
            self.ctx.add_run(rec)
        test = summary.get("test")
        extra = (f" On {test['episodes']} fresh episodes the best agent scored {test['return']:.1f}."
                 if test else "")
        solved = summary.get("solved")
        self.banner.show_message(rec.get("message", "") + extra, "ok" if solved else "info")
        self.runs_tab.refresh()

    @Slot()
    def _show_progress(self) -> None:
        c = self.charts.curves
        if self.session is not None and self.jobs.busy:
            self.status.setText(c.summary())
            total = max(self.session.num_timesteps_target, 1)
            self.progress.setValue(int(100 * min(c.last_step / total, 1.0)))

    @Slot()
    def _buttons(self) -> None:
        busy = self.jobs.busy
        paused = busy and self.session is not None and self.session.paused
        self.train_btn.setEnabled(not busy)
        self.pause_btn.setEnabled(busy and not paused)
        self.stop_btn.setEnabled(busy)
        self.resume_btn.setEnabled(paused or (not busy and self.session is not None and self.session.model is not None))
        self.estimate_btn.setEnabled(not busy)

    # ---- agents for the Watch tab -----------------------------------------------------------
    def agent_for(self, key: str):
        """(env id, agent or loader, frame stack) of a Watch source; WorkbenchError when there is none."""
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.rl import envs

        s = self.session
        if key == "random":
            return self.settings.env_id, None, 0
        if key in ("live", "best"):
            if s is None:
                raise WorkbenchError("Train an agent first (or choose the random agent, or a saved one).")
            if key == "best" and s.best is None:
                raise WorkbenchError("The agent has not been evaluated yet; wait for the first evaluation.")
            return s.cfg.env, (s.live_agent if key == "live" else s.best_agent), s.frame_stack
        row = self.runs_tab.selected()
        if row is None or self.ctx.project_dir is None:
            raise WorkbenchError("There is no saved agent: train one in a project, then select it in Runs.")
        project, run_id = self.ctx.project_dir, row["run_id"]

        def load():
            from workbench.core.studies.rl.record import load_saved_agent

            return load_saved_agent(project, run_id)[0]

        return row["env"] or envs.CLASSIC.get("CartPole-v1").id, load, 0

    def watch_saved(self) -> None:
        self.watch.source_combo.setCurrentIndex(self.watch.source_combo.findData("saved"))
        self.tabs.setCurrentWidget(self.watch)
        if not self.watch.jobs.busy:
            self.watch.toggle()

    # ---- Atari -------------------------------------------------------------------------------
    @Slot(str)
    def _env_changed(self, env_id: str) -> None:
        from workbench.core.studies.rl import envs

        atari = envs.is_atari(env_id)
        self.estimate_btn.setVisible(atari)
        self.atari_note.setVisible(atari)
        if atari:
            self.atari_note.setText("Atari agents learn from pixels with a CNN: the zoo trains 10 million steps. "
                                    "Measure how long that takes here before you start; you can watch a random "
                                    "agent play right away.")

    @Slot()
    def estimate(self) -> None:
        from workbench.core.studies.rl.play import measure_burst

        self.jobs.start(measure_burst, self.settings.env_id, self.settings.algo_combo.currentText(), steps=1024,
                        label="Measuring a short training burst", on_result=self._estimated)

    def _estimated(self, r: dict) -> None:
        hours = r.get("budget_hours")
        where = "on the GPU" if r.get("device") == "cuda" else "on this CPU (no GPU was found)"
        self.atari_note.setText(f"{r['algo']} on {r['env']}: {r['steps_per_s']:.0f} steps per second {where}. The zoo's "
                                f"{r['budget_steps']:,} steps would take about {hours:.1f} hours here"
                                + (" — practical only on a GPU." if hours and hours > 2 else ".")
                                + (f" (Per CPU-second it ran {r['steps_per_cpu_s']:.0f} steps: the machine is busy with "
                                   "other work.)" if r.get("steps_per_cpu_s", 0) > 1.5 * r["steps_per_s"] else ""))

    # ---- lifecycle ---------------------------------------------------------------------------
    def shutdown(self) -> None:
        self.watch.shutdown()
        self.jobs.shutdown()
        self.charts.timer.stop()
        if self.session is not None:
            self.session.close()

    state_section = "rl"

    def state(self) -> dict:
        return {"settings": self.settings.state(), "tab": self.tabs.currentIndex()}

    def restore(self, state: dict) -> None:
        s = dict(state or {})
        if isinstance(s.get("settings"), dict):
            self.settings.restore(s["settings"])
        if isinstance(s.get("tab"), int) and 0 <= s["tab"] < self.tabs.count():
            self.tabs.setCurrentIndex(s["tab"])

    def on_shown(self) -> None:
        self.runs_tab.refresh()


def main() -> int:
    from workbench.ui.panels.base import run_panel_standalone

    return run_panel_standalone(RLPanel)
