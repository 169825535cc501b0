"""The Train panel's Cross-validation tab: the validation loss of each fold, their mean ± std
band (``workflow.history_band``), and one row of scores per fold."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from workbench.ui.widgets import explanation, color, epoch_plot, records_table

IDLE_TEXT = "Choose a K-fold split in the Data panel, then press Start: every fold trains, then a final model."


def fmt(v, digits: int = 4) -> str:
    return "—" if v is None else (f"{v:.{digits}f}" if isinstance(v, float) else str(v))


class CrossValTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.label = explanation(IDLE_TEXT)
        lay.addWidget(self.label)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.plot = epoch_plot("Validation loss per fold")
        self.plot.showGrid(x=True, y=True, alpha=0.25)
        self.splitter.addWidget(self.plot)
        self.model, self.view = records_table()
        self.splitter.addWidget(self.view)
        lay.addWidget(self.splitter, 1)
        self.histories: list[list[dict]] = []

    def reset(self) -> None:
        self.histories = []
        self.draw_curves()

    def add_fold(self, history: list[dict]) -> None:
        """A fold finished training (its epochs as the live chart received them)."""
        self.histories.append(list(history))
        self.draw_curves()

    def say(self, text: str) -> None:
        self.label.setText(text)

    def draw_curves(self) -> None:
        from workbench.core.workflow import history_band

        self.plot.clear()
        for i, h in enumerate(self.histories):
            xs = [float(e.get("epoch", j + 1)) for j, e in enumerate(h) if e.get("val_loss") is not None]
            ys = [float(e["val_loss"]) for e in h if e.get("val_loss") is not None]
            if xs:
                self.plot.plot(xs, ys, pen=pg.mkPen(color(i), width=1.5), name=f"fold {i + 1}")
        x, mean, std = history_band(self.histories, "val_loss")
        if x:
            self.plot.plot(x, mean, pen=pg.mkPen("k", width=3), name="mean")
            lo = self.plot.plot(x, [m - s for m, s in zip(mean, std)], pen=pg.mkPen(None))
            hi = self.plot.plot(x, [m + s for m, s in zip(mean, std)], pen=pg.mkPen(None))
            self.plot.addItem(pg.FillBetweenItem(lo, hi, brush=pg.mkBrush(0, 0, 0, 30)))

    def show_result(self, cv: dict, metric: str) -> None:
        """A finished cross-validation (``RunRecord.cross_validation``) scored with ``metric``."""
        from workbench.core.training.metrics import METRICS

        self.histories = [f.get("history") or [] for f in cv.get("folds", [])]
        self.draw_curves()
        rows = []
        for f in cv.get("folds", []):
            r = {"fold": f"{f.get('fold', 0) + 1}" + (f" (rep {f.get('repeat', 0) + 1})" if f.get("repeat") else ""),
                 "best_epoch": f.get("best_epoch")}
            r.update({k: v for k, v in (f.get("scores") or {}).items() if isinstance(v, (int, float))})
            rows.append(r)
        keys = [k for k in METRICS if any(k in r for r in rows)]
        mean, std = cv.get("mean") or {}, cv.get("std") or {}
        rows.append({"fold": "mean ± std", "best_epoch": cv.get("final_epochs"),
                     **{k: f"{fmt(mean.get(k))} ± {fmt(std.get(k))}" for k in keys}})
        self.model.set_rows(rows, [("fold", "fold"), ("best_epoch", "best epoch")] + [(k, METRICS[k].label) for k in keys])
        if mean.get(metric) is not None:
            self.say(f"<b>{METRICS[metric].label} {mean[metric]:.4f} ± {std.get(metric) or 0:.4f}</b> over "
                     f"{len(cv.get('folds', []))} folds; final model retrained for {cv.get('final_epochs')} epochs "
                     "on all non-test data.")
