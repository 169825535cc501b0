"""Everything a run is: one versioned ``RunRecord``, the ``RunStore`` of a project, ``summarize``."""
from workbench.core.runs.record import (
    KINDS, MIGRATIONS, RUN_SCHEMA_VERSION, STOP_REASONS, RunRecord, build_record, infer_kind, migrate, plain,
    run_label, runs_of_kind,
)
from workbench.core.runs.store import (
    RUN_FILE, WEIGHTS_FILE, RunStore, check_project_writable, library_versions, new_run_id, now_iso,
)
from workbench.core.runs.samples import mistake_samples, same_data
from workbench.core.runs.summary import SUMMARY_COLUMNS, as_records, ranked_trials, regularization, summarize

__all__ = [
    "run_label",
    "KINDS", "MIGRATIONS", "RUN_SCHEMA_VERSION", "STOP_REASONS", "RunRecord", "build_record", "infer_kind", "migrate",
    "plain", "runs_of_kind",
    "RUN_FILE", "WEIGHTS_FILE", "RunStore", "check_project_writable", "library_versions", "new_run_id", "now_iso",
    "SUMMARY_COLUMNS", "as_records", "mistake_samples", "ranked_trials", "regularization", "same_data", "summarize",
]
