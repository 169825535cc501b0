"""Day & Night, question 8: the results per subgroup and the mistakes the model was most sure
about, at the chosen P(day) threshold (``TrainOutcome.report``: from the run's own test images)."""
from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QWidget

from workbench.ui.panels.daynight.data_pages import SUBGROUP_HEADERS, page_layout, subgroup_rows
from workbench.ui.widgets import BarChart, ImageGridWidget, fill_table, table_widget


class ResultsPage(QWidget):
    def __init__(self, header: str, parent=None):
        super().__init__(parent)
        lay = page_layout(self, header)
        self.info = QLabel("Train a model first.")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        row = QHBoxLayout()
        self.groups_table = table_widget(SUBGROUP_HEADERS)
        self.groups_chart = BarChart("Test accuracy per subgroup")
        row.addWidget(self.groups_table, 2)
        row.addWidget(self.groups_chart, 3)  # room for the group names under the bars
        lay.addLayout(row, 1)
        lay.addWidget(QLabel("Misclassified test images, most confident mistakes first:"))
        self.wrong_grid = ImageGridWidget(thumb=84)  # captions like "night→day 100%" fit
        lay.addWidget(self.wrong_grid, 1)

    def show_report(self, rep: dict) -> None:
        rows = rep["rows"]
        fill_table(self.groups_table, subgroup_rows(rows))
        t = self.groups_table
        # the chart beside it takes the rest, the table is never cut
        t.setMinimumWidth(t.horizontalHeader().length() + 2 * t.frameWidth() + t.verticalScrollBar().sizeHint().width())
        self.groups_chart.set_bars([r["group"] for r in rows], [r["accuracy"] for r in rows])
        wrong = [w for w in rep["mistakes"] if w.get("image") is not None]
        self.wrong_grid.set_images([w["image"] for w in wrong],
                                   [f"{w['true']}→{w['pred']} {w['confidence']:.0%}" for w in wrong],
                                   [f"{w['group'] or ''} P(day)={w['p_day']:.3f}" for w in wrong])
        self.info.setText(f"Test accuracy {rep['accuracy']:.2%} on {rep['n_test']:,} images (baseline "
                          f"{rep['baseline']:.1%}); {len(rep['mistakes'])} mistakes shown. Threshold {rep['threshold']:.2f}.")
