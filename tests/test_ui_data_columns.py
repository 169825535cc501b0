"""Data panel: the Columns tab (kinds with reasons, target, overrides, bad kinds as a message) and
the text options (token sequences once the model starts with an Embedding)."""
import pytest
from messy_csv import customers, quotes_file

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot):
    from workbench.ui.context import AppContext
    from workbench.ui.panels.data import DataPanel

    p = DataPanel(AppContext())
    qtbot.addWidget(p)
    p.show()
    yield p
    p.shutdown()


def _rows(panel):
    return {r["name"]: r for r in panel.columns_model.rows}


def test_columns_tab_shows_kinds_and_reloads_with_the_users_choices(qtbot, panel, tmp_path):
    f = customers(tmp_path / "customers.csv", n=300)
    with qtbot.waitSignals([panel.dataset_loaded, panel.preview_ready], timeout=60_000):
        panel.load_path(str(f))
    rows = _rows(panel)
    assert rows["customer_id"]["kind"] == "identifier" and rows["customer_id"]["role"] == "left out"
    assert rows["Bought"]["role"] == "TARGET" and "yes / no" in rows["Bought"]["reason"]
    assert rows["Plan"]["kind"] == "categorical" and "codes" in rows["Plan"]["reason"]
    targets = [panel.target_combo.itemText(i) for i in range(panel.target_combo.count())]
    assert "Bought" in targets and "customer_id" not in targets and "Customer since" not in targets
    assert panel.table_model.data(panel.table_model.index(0, 4)).count("-") == 2  # dates shown as dates
    # a kind the values cannot have: one sentence naming the column, the loaded data stays
    before = panel.dataset
    with qtbot.waitSignal(panel.load_failed, timeout=30_000) as failed:
        panel.columns_tab.set_kind("Age", "datetime")
    assert "'Age'" in failed.args[0] and panel.banner.level == "error" and panel.dataset is before
    assert _rows(panel)["Age"]["kind"] == "numeric"
    # a kind that fits: the file is read again with it, and the project remembers it
    with qtbot.waitSignal(panel.dataset_loaded, timeout=30_000):
        panel.columns_tab.select("Plan")
        panel.kind_combo.setCurrentIndex(panel.kind_combo.findData("numeric"))
        panel.kind_combo.activated.emit(panel.kind_combo.currentIndex())
    assert panel.dataset.column_kind(panel.dataset.feature_names.index("Plan")) == "numeric"
    assert "detected categorical" in _rows(panel)["Plan"]["kind"]
    assert panel.state()["request"]["columns"] == {"Plan": "numeric"}
    with qtbot.waitSignal(panel.dataset_loaded, timeout=30_000):
        panel.target_combo.setCurrentIndex(panel.target_combo.findText("Newsletter"))
        panel.target_combo.activated.emit(panel.target_combo.currentIndex())
    assert panel.dataset.target_name == "Newsletter" and "Bought" in panel.dataset.feature_names


def test_a_text_file_goes_in_as_token_sequences_for_an_embedding_model(qtbot, panel, tmp_path):
    from workbench.core.models import get_preset

    f = quotes_file(tmp_path / "quotes.csv", n=300)
    with qtbot.waitSignals([panel.dataset_loaded, panel.preview_ready], timeout=60_000):
        panel.load_path(str(f))
    assert panel.dataset.kind == "text" and panel.text_mode_combo.isEnabled()
    assert panel.ctx.input_shape[0] > 200  # a bag of words over the vocabulary
    assert "multi-hot" in panel.pre_desc.text()
    with qtbot.waitSignal(panel.preview_ready, timeout=30_000):
        panel.ctx.set_model_spec(get_preset("imdb-gru"))
    assert panel.ctx.input_shape == (200,) and "token ids" in panel.pre_desc.text()
    assert "tokens" in panel.preview_model.rows[0]["after"]
    with qtbot.waitSignal(panel.preview_ready, timeout=30_000):
        panel.length_spin.setValue(50)
    assert panel.ctx.input_shape == (50,) and panel.ctx.preprocessing["text"]["length"] == 50
