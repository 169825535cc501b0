"""Case study 1, Day'n'Night: is this outdoor scene day or night?

    ds = generate_dataset(10_000, 64, hard_share=0.2)          # scenes.py draws them; data.py: bias controls
    out = train_daynight(ds, 64)                                # shallow CNN via the common Trainer
    out.test_accuracy, out.subgroups, out.misclassified()       # per-subgroup report, gallery order
    out.report(threshold=0.7)                                   # results at another P(day) threshold, own samples
    evaluate_on(out.model, generate_shifted("dusk"))            # a shifted test set
    resolution_sweep(ds, (32, 64, 128))                         # accuracy and training time per size
    LiveClassifier(out.model, open_camera("camera:0")).run(cb)  # P(day) per frame, newest frame wins
    export_model(out.model, "export/"); load_exported("export/")

torch and cv2 are imported inside the functions that need them.
"""
from workbench.core.studies.daynight.data import (CLASS_NAMES, SHIFTS, describe_dataset, format_report,
                                                  generate_dataset, generate_shifted, groups_from_paths, plan_groups,
                                                  subgroup_report, write_folder)
from workbench.core.studies.daynight.export import ExportedModel, export_model, load_exported
from workbench.core.studies.daynight.live import LiveClassifier, LiveReading, live_readings
from workbench.core.studies.daynight.model import (DayNightModel, TrainOutcome, architecture_text, classify_paths,
                                                   dataset_at, evaluate_on, evaluate_shifted, misclassified,
                                                   resolution_sweep, train_at_size, train_daynight)
from workbench.core.studies.daynight.scenes import GROUPS, TINTS, render_scene

__all__ = [
    "CLASS_NAMES", "GROUPS", "SHIFTS", "TINTS", "DayNightModel", "ExportedModel", "LiveClassifier", "LiveReading",
    "TrainOutcome", "architecture_text", "classify_paths", "dataset_at", "describe_dataset", "evaluate_on",
    "evaluate_shifted", "export_model", "format_report", "generate_dataset", "generate_shifted", "groups_from_paths",
    "live_readings", "load_exported", "misclassified", "plan_groups", "render_scene", "resolution_sweep",
    "subgroup_report", "train_at_size", "train_daynight", "write_folder",
]
