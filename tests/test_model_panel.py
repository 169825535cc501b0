"""The Model panel takes its shapes from the core: the default model is the one `workbench train`
trains on the same data, and the input shape is the fitted preprocessing's (never guessed)."""
import pytest

pytest.importorskip("PySide6")
pytestmark = pytest.mark.gui


@pytest.fixture
def panel(qtbot):
    from workbench.ui.context import AppContext
    from workbench.ui.panels.model import ModelPanel

    p = ModelPanel(AppContext())
    qtbot.addWidget(p)
    yield p
    p.shutdown()


@pytest.mark.parametrize("source", ["builtin:digits", "builtin:iris"])
def test_default_model_is_the_one_the_cli_trains(panel, source):
    from workbench.core.data import load_data
    from workbench.core.workflow import RunConfig, input_shape_for, prepare_data, resolve_spec

    ds = load_data(source)
    ctx = panel.ctx
    ctx.set_dataset(ds, {"source": source})
    assert not panel.spec.layers  # no input shape yet: nothing is guessed
    panel.refresh_summary()
    assert panel.summary is None and "preprocessing" in panel.summary_view.shape_label.text()
    ctx.set_input_shape(input_shape_for(ds, ctx.preprocessing))
    cli_spec, cli_name = resolve_spec(RunConfig(data=source), prepare_data(RunConfig(data=source), ds))
    assert panel.spec.to_dict() == cli_spec.to_dict() and ctx.model_spec.name == cli_name
    panel.refresh_summary()
    assert panel.summary is not None and panel.summary.total_params > 0


def test_the_default_text_model_fits_any_label_count():
    from workbench.core.workflow import default_model

    name, binary = default_model("text", (10000,), (1,))
    assert name == "imdb" and binary.layers[-1].params["units"] == 1  # the book's network as it is
    _, three = default_model("text", (10000,), (3,))
    assert len(three.layers) == len(binary.layers) - 1  # its Dense 1 sigmoid left out: the head adds 3
