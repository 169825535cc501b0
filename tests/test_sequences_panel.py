"""Sequences & Shots panel: trains the parser, a captioner on the user's CSV and the few-shot curve
with clicks only, and shows the held-out scores, the drawn tree, attention maps and the runs."""
from __future__ import annotations

import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot, tmp_path):
    from workbench.ui.context import AppContext
    from workbench.ui.panels.sequences import SequencesPanel

    p = SequencesPanel(AppContext(project_dir=tmp_path / "proj"))
    qtbot.addWidget(p)
    p.resize(1100, 760)
    p.show()
    yield p
    p.shutdown()


def test_trees_tab_trains_draws_and_parses(qtbot, panel):
    t = panel.trees_tab
    t.n_train.setValue(300)
    t.epochs.setValue(1)
    with qtbot.waitSignal(panel.jobs.job_finished, timeout=180000):
        t.train_btn.click()
    assert t.outcome is not None and "exact tree" in t.summary.text() and "baseline" in t.summary.text()
    assert t.examples.rowCount() > 0 and t.parse_btn.isEnabled()
    t.sentence.setText("1 + 2 * 3")
    t.parse_btn.click()
    assert len(t.tree.getPlotItem().items) >= 1  # the tree drawn (or, after one epoch, "not a well-formed tree")
    assert panel.runs_table.rowCount() == 1 and panel.runs[0]["run_id"] != "not saved"
    assert (panel.ctx.project_dir / "runs" / panel.runs[0]["run_id"] / "run.json").exists()


def test_captions_tab_on_a_users_csv_shows_attention(qtbot, panel, tmp_path):
    import cv2

    from workbench.core.studies.detection.captions import generate_captioned

    cs = generate_captioned(16, 48, seed=4)
    lines = ["image,caption"]
    for i, (img, cap) in enumerate(zip(cs.images, cs.captions)):
        cv2.imwrite(str(tmp_path / f"c{i}.png"), img[..., ::-1])
        lines.append(f"c{i}.png,{' '.join(cap)}")
    (tmp_path / "caps.csv").write_text("\n".join(lines) + "\n")
    t = panel.captions_tab
    t.source.setCurrentIndex(1)
    t.train_btn.click()  # no CSV chosen yet: a sentence, no job
    assert not panel.jobs.busy and "CSV" in panel.banner.text()
    t.csv_path.setText(str(tmp_path / "caps.csv"))
    t.epochs.setValue(1)
    t.beam.setValue(2)
    with qtbot.waitSignal(panel.jobs.job_finished, timeout=180000):
        t.train_btn.click()
    assert t.outcome is not None and t.scores.rowCount() == 1 and t.examples.rowCount() > 0
    assert t.attention_grid.count() >= 2  # the image and one map per word


def test_fewshot_tab_draws_the_curve(qtbot, panel):
    t = panel.fewshot_tab
    t.data.setCurrentText("builtin:digits")
    t.shots.setText("1,2")
    t.episodes.setValue(1)
    with qtbot.waitSignal(panel.jobs.job_finished, timeout=240000):
        t.run_btn.click()
    assert t.outcome is not None and t.table.rowCount() == 2
    # prototypes on the base classes' CNN and on MobileNetV2, scratch, chance; one example per novel class
    assert len(t.curve.listDataItems()) == 4 and t.grid.count() == 5
