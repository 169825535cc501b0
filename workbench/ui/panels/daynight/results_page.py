"""Day & Night, question 8: the results per subgroup and the mistakes the model was most sure
about, at the chosen P(day) threshold (``TrainOutcome.report``: from the run's own test images)."""
from __future__ import annotations

from PySide6.QtWidgets import QLabel

from workbench.ui.panels.daynight.page import SUBGROUP_HEADERS, Page, subgroup_rows
from workbench.ui.widgets import BarChart, ImageGridWidget, fill_table, hbox, table_widget


class ResultsPage(Page):
    def build(self, lay) -> None:
        self.info = QLabel("Train a model first.")
        self.info.setWordWrap(True)
        lay.addWidget(self.info)
        self.groups_table = table_widget(SUBGROUP_HEADERS)
        self.groups_chart = BarChart("Test accuracy per subgroup")
        row = hbox(self.groups_table, self.groups_chart, stretch=False)
        row.setStretch(0, 2)
        row.setStretch(1, 3)  # room for the group names under the bars
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
