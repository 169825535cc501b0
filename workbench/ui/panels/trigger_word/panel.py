"""Case study "Trigger word": teach the app a wake word and watch it fire live.

Tabs (one module each): 1. Material (record, import, text to speech, demo set), 2. Clips
(generate, view, play), 3. Train (the common Trainer with the live chart), 4. Recipe (the
training that targets false accepts, in the background, with the measured FRR and false accepts
per hour at the end), 5. Detect (both stages live), 6. Evaluate (curves over the threshold).

The panel holds the shared state (material, clips, model) and three job runners: ``jobs`` for
the long tasks, ``live`` for detection and ``rec`` for recording. Logic lives in
``workbench.core.studies.trigger_word``.
"""
from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QVBoxLayout

from workbench.ui.job_runner import JobRunner
from workbench.ui.panels.base import Panel
from workbench.ui.widgets import Banner, job_bar


# material the app makes itself: reopening makes it again instead of copying it
_REMADE = {"demo set": "demo", "generated demo": "demo", "synthetic": "synthetic"}


class TriggerWordPanel(Panel):
    """Case study 4: a wake word of your own, from recordings to live detection."""

    title = "Trigger word"
    icon_name = "SP_MediaVolume"

    def __init__(self, ctx, parent=None):
        super().__init__(ctx, parent)
        from workbench.core.studies.trigger_word.config import TriggerConfig
        from workbench.core.studies.trigger_word.material import Material
        from workbench.ui.panels.trigger_word.clips_tab import ClipsTab
        from workbench.ui.panels.trigger_word.detect_tab import DetectTab
        from workbench.ui.panels.trigger_word.evaluate_tab import EvaluateTab
        from workbench.ui.panels.trigger_word.material_tab import MaterialTab
        from workbench.ui.panels.trigger_word.recipe_tab import RecipeTab
        from workbench.ui.panels.trigger_word.train_tab import TrainTab

        self.material = Material()
        self.clips = None  # {"train": ClipSet, "val": ClipSet}
        self.model = None  # TriggerModel
        self.material_dir = self.model_dir = ""  # their copies in the project folder (relative paths)
        self.material_source = ""  # or the material is remade: "demo" | "synthetic"
        self._written: dict = {}  # what was last copied into which project (not written twice)
        ctx.project_saving.connect(self._write_files)
        self.config = TriggerConfig()

        outer = QVBoxLayout(self)
        self.banner = Banner()
        outer.addWidget(self.banner)
        self.tabs = QTabWidget()
        outer.addWidget(self.tabs, 1)
        bottom, self.status, self.progress, self.cancel_btn = job_bar("Load the demo set or record your own trigger word to start.")
        outer.addLayout(bottom)
        self.jobs = JobRunner(self, banner=self.banner, status=self.status, progress=self.progress,
                              cancel_button=self.cancel_btn)
        self.live = JobRunner(self, banner=self.banner)
        self.rec = JobRunner(self, banner=self.banner)

        self.material_tab = MaterialTab(self)
        self.clips_tab = ClipsTab(self)
        self.train_tab = TrainTab(self)
        self.recipe_tab = RecipeTab(self)
        self.detect_tab = DetectTab(self)
        self.evaluate_tab = EvaluateTab(self)
        for name, tab in (("1. Material", self.material_tab), ("2. Clips", self.clips_tab),
                          ("3. Train", self.train_tab), ("4. Recipe", self.recipe_tab),
                          ("5. Detect", self.detect_tab), ("6. Evaluate", self.evaluate_tab)):
            self.tabs.addTab(tab, name)

    # ---- shared state ------------------------------------------------------------------------
    def set_material(self, m) -> None:
        self.material = m
        self.material_tab.refresh()
        if m.source == "demo set" and self.model is None:
            from workbench.core.studies.trigger_word.material import demo_dir

            if (demo_dir() / "demo_model" / "weights.pt").exists():
                self.load_demo_model()  # so "Detect" works at once on the demo stream

    def set_model(self, model) -> None:
        self.model = model
        self.train_tab.show_model(model)
        self.detect_tab.use_model(model)
        if self.clips:
            self.clips_tab.show_clip(self.clips_tab.clip_index.value())

    def load_model(self, folder: str) -> bool:
        from workbench.core.errors import WorkbenchError
        from workbench.core.studies.trigger_word.model import TriggerModel

        try:
            self.set_model(TriggerModel.load(folder))
            return True
        except WorkbenchError as e:
            self.banner.show_message(str(e), "error")
            return False

    def load_demo_model(self) -> bool:
        from workbench.core.studies.trigger_word.material import demo_dir

        folder = demo_dir() / "demo_model"
        if not (folder / "weights.pt").exists():
            self.banner.show_message("The demo model is not installed; make it with "
                                     "'python scripts/make_trigger_demo.py --demo-model' or train one here.", "warning")
            return False
        return self.load_model(str(folder))

    def play(self, x, sample_rate: int) -> bool:
        """Play through the default output; a missing device is a message, not a crash."""
        from workbench.core.capture.audio import play
        from workbench.core.errors import WorkbenchError

        try:
            play(x, sample_rate)
            return True
        except WorkbenchError as e:
            self.banner.show_message(str(e), "warning")
            return False

    # ---- the main actions (also what tests and the screenshot script drive) ------------------
    def load_demo(self) -> None:
        self.material_tab.load_demo()

    def load_synthetic(self) -> None:
        self.material_tab.load_synthetic()

    def generate(self) -> None:
        self.clips_tab.generate()

    def show_clip(self, i: int = 0):
        return self.clips_tab.show_clip(i)

    def train(self) -> None:
        self.train_tab.train()

    def start_detection(self, source: str, realtime: bool = True) -> bool:
        return self.detect_tab.start_detection(source, realtime)

    def start_recording(self, kind: str, seconds: float) -> None:
        self.material_tab.start_recording(kind, seconds)

    def evaluate(self) -> None:
        self.evaluate_tab.evaluate()

    def trace(self):
        return self.detect_tab.trace()

    # ---- panel contract ----------------------------------------------------------------------
    def shutdown(self) -> None:
        for tab in (self.train_tab, self.detect_tab):
            tab.stop_timers()
        for runner in (self.jobs, self.live, self.rec):
            runner.shutdown()
        from workbench.core.capture.audio import stop_playback

        stop_playback()

    state_section = "trigger_word"

    def _write_files(self, project_dir: str) -> None:
        """Saving the project: copies of the recordings and of the model in use go into it."""
        from workbench.core.studies.project_files import save_study_folder

        m = self.material
        mark = (id(m), tuple(m.counts().values()), project_dir)
        self.material_source = _REMADE.get(m.source, "")
        if self.material_source:
            self.material_dir = ""
        elif any(m.counts().values()) and self._written.get("material") != mark:
            self.material_dir = save_study_folder(project_dir, "trigger_word", "material", m.save, "recordings")
            self._written["material"] = mark
        if self.model is not None and self._written.get("model") != (self.model, project_dir):
            self.model_dir = save_study_folder(project_dir, "trigger_word", "model", self.model.save,
                                               "trigger-word model")
            self._written["model"] = (self.model, project_dir)

    def restore_files(self, s: dict) -> None:
        from workbench.core.studies.project_files import project_file
        from workbench.core.studies.trigger_word.material import Material

        folder = project_file(self.ctx.project_dir, str(s.get("material_dir") or ""))
        remake = {"demo": self.material_tab.load_demo, "synthetic": self.material_tab.load_synthetic}
        if s.get("material_source") in remake:
            self.material_source = s["material_source"]
            remake[s["material_source"]]()
        elif folder is not None:
            self.material_dir = str(s["material_dir"])
            self.jobs.start(Material.from_folder, folder, self.config.sample_rate,
                            trigger_word=str(s.get("trigger_word") or ""), on_result=self._material_restored,
                            label="Reading the recordings…")
        folder = project_file(self.ctx.project_dir, str(s.get("model_dir") or ""))
        if folder is not None and self.load_model(str(folder)):
            self.model_dir = str(s["model_dir"])
            self._written["model"] = (self.model, str(self.ctx.project_dir))

    def _material_restored(self, m) -> None:
        self.set_material(m)
        self._written["material"] = (id(m), tuple(m.counts().values()), str(self.ctx.project_dir))

    def state(self) -> dict:
        st = {}
        for tab in (self.material_tab, self.clips_tab, self.train_tab, self.recipe_tab, self.detect_tab,
                    self.evaluate_tab):
            st.update(tab.state())
        return {**st, "material_source": self.material_source, "material_dir": self.material_dir,
                "model_dir": self.model_dir}

    def restore(self, state: dict) -> None:
        s = state if isinstance(state, dict) else {}
        for tab in (self.material_tab, self.clips_tab, self.train_tab, self.recipe_tab, self.detect_tab,
                    self.evaluate_tab):
            tab.restore(s)


def demo_setup(ctx, panel) -> None:
    panel.load_demo()
