"""The Train panel's Evaluation tab: test scores beside the baseline's (the test set is used
once); for classification the confusion matrix, per-class scores and the most confident mistakes,
for regression predicted against actual values and the residuals (``regression_view``)."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHeaderView, QLabel, QSplitter, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget,
)

from workbench.ui.panels.training.regression_view import RegressionView
from workbench.ui.widgets import explanation, ImageGridWidget, records_table

LOSS_KEYS = ("loss", "data_loss", "penalty")

INTRO = ("After training: test metrics (the test set is used once), the baseline beside them, the confusion "
         "matrix and the mistakes.")


class EvaluationTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        lay = QVBoxLayout(self)
        self.label = explanation(INTRO)
        lay.addWidget(self.label)
        top = QSplitter(Qt.Orientation.Horizontal)
        self.metrics_model, metrics_view = records_table(
            [("metric", "metric"), ("model", "model"), ("baseline", "baseline")], resize="stretch")
        top.addWidget(metrics_view)
        self.confusion = QTableWidget()
        self.confusion.setToolTip("Rows: true class, columns: predicted class; click a cell to see its samples")
        self.confusion.cellClicked.connect(self.open_cell)
        self.cell_view = None  # the window of a cell's samples, once opened
        self._rec, self._evaluation, self._dataset = None, {}, None
        self.per_class_model, per_class_view = records_table(
            [("class", "class"), ("precision", "precision"), ("recall", "recall"), ("f1", "F1"),
             ("support", "support")], resize="stretch")
        classes = QSplitter(Qt.Orientation.Horizontal)
        classes.addWidget(self.confusion)
        classes.addWidget(per_class_view)
        classes.setSizes([420, 320])
        self.regression = RegressionView()
        self.pages = QStackedWidget()
        self.pages.addWidget(classes)
        self.pages.addWidget(self.regression)
        top.addWidget(self.pages)
        top.setSizes([300, 740])
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(top)
        self.gallery_box = gbox = QWidget()
        gl = QVBoxLayout(gbox)
        gl.setContentsMargins(0, 0, 0, 0)
        self.gallery_label = QLabel("Misclassified samples (most confident mistakes first):")
        gl.addWidget(self.gallery_label)
        self.gallery = ImageGridWidget(64)
        gl.addWidget(self.gallery)
        self.splitter.addWidget(gbox)
        self.splitter.setSizes([440, 200])
        lay.addWidget(self.splitter, 1)

    def show_run(self, rec, dataset) -> None:
        """A RunRecord's scores and evaluation; the mistakes' images come from ``dataset`` only
        when it is the run's own data (``core.runs.mistake_samples``)."""
        from workbench.core.training.metrics import METRICS, is_regression, metrics_for

        test = rec.test_metrics or {}
        details = rec.evaluation or {}
        self._rec, self._evaluation, self._dataset = rec, details, dataset
        base = rec.baseline_for("test" if test else "val")
        regression = is_regression(rec.task) or bool(details.get("regression"))
        task_keys = metrics_for(rec.task) if rec.task else list(METRICS)
        keys = [k for k in task_keys if k not in LOSS_KEYS and (k in test or k in base)]
        target = (rec.data or {}).get("target") or ""
        units = f" MAE and RMSE are in the units of {target!r}; R² = 1 is perfect, 0 is the mean's." \
            if regression and target else ""
        self.metrics_model.set_rows([{"metric": METRICS[k].label, "model": test.get(k), "baseline": base.get(k)}
                                     for k in keys])
        self.pages.setCurrentWidget(self.regression if regression else self.pages.widget(0))
        self.gallery_box.setVisible(not regression)  # no "mistakes" to show for numbers
        if regression:
            self.regression.show_evaluation(details, target)
        if test:
            on = "validation set" if details.get("on") == "validation" else "test set (used once)"
            strategy = base.get("strategy", "dumb baseline")
            if regression and strategy in ("mean", "median"):
                strategy = f"always predict the training {strategy}"
            self.label.setText(f"Scores on the {on}; baseline: {strategy}.{units}")
        elif details:
            what = "predictions" if regression else "confusion matrix and mistakes"
            self.label.setText(f"No test set in this split: the {what} are on the validation set.")
        else:
            self.label.setText(INTRO)
        self._show_confusion(details.get("confusion"), details.get("class_names") or [])
        self.per_class_model.set_rows(details.get("per_class") or [])
        self.show_gallery(rec, dataset)

    def open_cell(self, true_class: int, pred_class: int):
        """Show the samples behind a confusion-matrix cell (to relabel or delete them); None when
        the run kept no cells or the loaded data set is not the run's (its indices would name other
        samples)."""
        from workbench.core.runs import same_data
        from workbench.ui.sample_cell_view import CellSamplesView

        if not self._evaluation.get("cells") or not same_data(self._rec, self._dataset):
            return None
        self.cell_view = self.cell_view or CellSamplesView()
        self.cell_view.show_cell(self._dataset, self._evaluation, true_class, pred_class)
        self.cell_view.show()
        return self.cell_view

    def close_cell_view(self) -> None:
        if self.cell_view is not None:
            self.cell_view.close()

    def _show_confusion(self, cm, names: list[str]) -> None:
        t = self.confusion
        t.clear()
        k = len(cm or [])
        t.setRowCount(k)
        t.setColumnCount(k)
        if not k:
            return
        t.setHorizontalHeaderLabels([f"→{n}" for n in names])
        t.setVerticalHeaderLabels(names)
        most = max(max(r) for r in cm) or 1
        for i in range(k):
            row_total = sum(cm[i]) or 1
            for j in range(k):
                n = cm[i][j]
                it = QTableWidgetItem(str(n))
                it.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                rgb = (44, 160, 44) if i == j else (214, 39, 40)  # right: green, wrong: red; darker = more
                it.setBackground(QBrush(QColor(*rgb, int(25 + 200 * n / most) if n else 0)))
                it.setToolTip(f"true {names[i]}, predicted {names[j]}: {n} ({100 * n / row_total:.1f}% of row)")
                t.setItem(i, j, it)
        for h in (t.horizontalHeader(), t.verticalHeader()):
            h.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)

    def show_gallery(self, rec, dataset) -> None:
        from workbench.core.runs import mistake_samples

        details = (rec.evaluation if rec is not None else None) or {}
        if details.get("regression"):
            self.gallery.clear()
            self.gallery_label.setText("Misclassified samples: not for regression (see the largest errors above).")
            return
        pairs = mistake_samples(rec, dataset) if rec is not None and getattr(dataset, "kind", None) == "image" else []
        if not pairs:
            self.gallery.clear()
            self.gallery_label.setText("Misclassified samples: " + (
                "none." if details and not details.get("misclassified") else
                "shown for image data after a run (with the run's own data loaded)."))
            return
        self.gallery.set_images([x for x, _ in pairs], [f"{m['true']}→{m['pred']}" for _, m in pairs],
                                [f"sample {m['index'] + 1}: true {m['true']}, predicted {m['pred']} "
                                 f"({100 * m['confidence']:.0f}% sure)" for _, m in pairs])
        self.gallery_label.setText(f"Misclassified samples ({details.get('n_wrong', len(pairs))} in all; the most "
                                   "confident mistakes first; caption: true→predicted):")
