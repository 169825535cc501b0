"""Day & Night's work kept with the project: the runs table shows the project's runs of kind
"daynight"; saving the project copies the model in use into it; reopening makes the data set again
from its recipe (or folder) and loads that copy."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot


class SavedWork:
    """Mixed into DayNightPanel (uses its ctx, model, data_source, banner, train_page, ...)."""

    @property
    def runs(self) -> list[dict]:
        """The project's Day & Night runs (table rows), oldest first."""
        from workbench.core.studies.daynight.model import run_row

        return [run_row(r) for r in self.ctx.runs if r.get("kind") == "daynight"]

    @Slot()
    def _show_runs(self, *_) -> None:
        self.train_page.show_runs(self.runs)

    @Slot(str)
    def _write_model(self, project_dir: str) -> None:
        """Saving the project: a copy of the model in use goes into it (reopening loads it)."""
        from workbench.core.studies.daynight.model import DayNightModel
        from workbench.core.studies.project_files import save_study_folder, study_path

        if not isinstance(self.model, DayNightModel):
            return  # an exported model is kept where it was loaded from
        folder, rel = study_path(project_dir, "daynight", "model")
        if self._model_written != (self.model, folder):
            save_study_folder(project_dir, "daynight", "model", self.model.save, "Day & Night model")
            self._model_written = (self.model, folder)
        self.model_dir = rel

    def restore_files(self, s: dict) -> None:
        """The data set again from its recipe or folder, and the model copy the project holds."""
        from workbench.core.studies.project_files import project_file

        src = s.get("data_source")
        if isinstance(src, dict) and src and src != self.data_source:
            if isinstance(src.get("generated"), dict):
                self._generate(src["generated"])
            elif isinstance(src.get("folder"), str) and Path(src["folder"]).is_dir():
                self.import_folder(src["folder"])
            elif isinstance(src.get("folder"), str):
                self.banner.show_message(f"The images of this project were in {src['folder']}, which is gone; "
                                         "import them again.", "warning")
        folder = project_file(self.ctx.project_dir, str(s.get("model_dir") or ""))
        if folder is not None:
            self.load_model(str(folder))
            self.model_dir, self._model_written = str(s["model_dir"]), (self.model, folder)
