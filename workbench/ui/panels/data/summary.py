"""Summary tab: samples per class (or the target's range), per-feature statistics, warnings."""
from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHeaderView, QSplitter, QTableView, QVBoxLayout, QWidget

from workbench.ui.models import RecordsTableModel, readable
from workbench.ui.widgets import Banner, BarChart

MAX_FEATURE_ROWS = 500


class SummaryTab(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        sumv = QVBoxLayout(self)
        self.summary_splitter = QSplitter(Qt.Orientation.Vertical)
        self.class_chart = BarChart("Samples per class")
        self.features_model = RecordsTableModel([("name", "feature"), ("type", "type"), ("min", "min"),
                                                 ("max", "max"), ("mean", "mean"), ("std", "std"),
                                                 ("missing", "missing")])
        self.features_view = QTableView()
        self.features_view.setModel(self.features_model)
        self.features_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.features_view.verticalHeader().hide()
        self.summary_splitter.addWidget(self.class_chart)
        self.summary_splitter.addWidget(self.features_view)
        self.warnings_banner = Banner()
        sumv.addWidget(self.warnings_banner)
        sumv.addWidget(self.summary_splitter, 1)

    def show_summary(self, s) -> None:
        """Show a core DataSummary."""
        if s.classes:
            self.class_chart.setTitle("Samples per class")
            self.class_chart.set_bars([c["name"] for c in s.classes], [c["count"] for c in s.classes])
        elif s.target:
            self.class_chart.setTitle("Target (regression): samples per range, each bar from its value up; " + ", ".join(
                f"{k} {readable(v)}" for k, v in s.target.items() if isinstance(v, (int, float))))
            hist = getattr(s, "target_hist", None) or {}
            edges, counts = hist.get("edges") or [], hist.get("counts") or []
            self.class_chart.set_bars([f"{readable(a)}" for a in edges[:-1]], list(counts))
        self.features_model.set_rows([dict(f) for f in s.features[:MAX_FEATURE_ROWS]])
        warn = s.notices()
        if warn:
            self.warnings_banner.show_message("<br>".join(f"⚠ {w}" for w in warn), "warning")
        else:
            self.warnings_banner.show_message("No warnings: classes balanced, ranges similar, enough data.", "ok")
