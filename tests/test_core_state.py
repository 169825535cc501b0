"""The app state lives in the core (no Qt) with change events; safe names for every store."""
import pytest

from workbench.core.safety import UnsafeName, check_fields, check_name, safe_child, sanitize_name
from workbench.core.state import WorkbenchState


def test_state_events_fire_and_a_new_dataset_drops_what_belonged_to_the_old_one():
    st = WorkbenchState()
    seen = []
    st.dataset_changed.connect(lambda ds: seen.append(("dataset", ds)))
    st.splits_changed.connect(lambda s: seen.append(("splits", s)))
    st.input_shape_changed.connect(lambda s: seen.append(("shape", s)))
    changes = []
    st.changed.connect(lambda: changes.append(1))
    st.set_splits("old splits", "kfold:5")
    st.set_input_shape((8, 8, 1))
    st.set_dataset("new data", {"source": "builtin:digits"})
    assert st.splits is None and st.input_shape is None and st.split_plan.startswith("kfold:5") and st.sections.split.kind == "kfold"
    assert seen == [("splits", "old splits"), ("shape", (8, 8, 1)), ("dataset", "new data")]
    assert len(changes) == 2  # the input shape is derived, not a user change
    st.set_input_shape([8, 8, 1])
    st.set_input_shape((8, 8, 1))  # same shape: no event
    assert seen[-1] == ("shape", (8, 8, 1)) and seen.count(("shape", (8, 8, 1))) == 2


@pytest.mark.parametrize("name", ["..", ".", "a/b", "..\\x", "/abs", "C:evil", "x\ny", "", "  ", "NUL.txt", "a" * 300])
def test_unsafe_names_are_refused(name, tmp_path):
    with pytest.raises(UnsafeName):
        check_name(name)
    with pytest.raises(UnsafeName):
        safe_child(tmp_path, name)


def test_a_link_out_of_the_folder_is_refused(tmp_path):
    (tmp_path / "root").mkdir()
    (tmp_path / "root" / "link").symlink_to(tmp_path)
    with pytest.raises(UnsafeName, match="outside"):
        safe_child(tmp_path / "root", "link")
    assert safe_child(tmp_path / "root", "ok name.png") == tmp_path / "root" / "ok name.png"


def test_free_text_becomes_a_safe_folder_name():
    assert sanitize_name("../../etc") == "_.._etc"
    assert sanitize_name("  ") == "untitled" and sanitize_name("con") == "_con"
    assert check_name(sanitize_name("a/b\x00c")) == "a_b_c"


def test_wrong_field_types_are_named():
    with pytest.raises(Exception, match="'recent_runs' should be a list, not the number 5"):
        check_fields({"recent_runs": 5}, {"recent_runs": list}, kind="project file")
    assert check_fields({"n": 3, "x": 1}, {"n": int, "x": float}, kind="f") == {"n": 3, "x": 1}
    with pytest.raises(Exception, match="whole number"):
        check_fields({"n": True}, {"n": int}, kind="f")


def test_a_run_takes_the_cached_split_and_preprocessor_of_its_section():
    """The split and the fitted preprocessing the Data panel made are handed to the run as they are;
    once the split section changes they no longer match and the run makes its own."""
    from workbench.core.data import load_data
    from workbench.core.data.preview import preview_preprocessing
    from workbench.core.workflow import RunConfig, prepare_data

    st = WorkbenchState()
    ds = load_data("builtin:iris")
    st.set_dataset(ds, {"source": "builtin:iris"})
    plan = st.sections.split.plan()
    splits = plan.make(ds)
    st.set_splits(splits, options=plan.to_dict())
    pre = preview_preprocessing(ds, {"scale": "standard"}, splits.fit_idx)["pre"]  # as the Data panel fits it
    st.set_preprocessor(pre, splits)
    assert st.current_splits() is splits and st.current_preprocessor() is pre

    cfg = RunConfig(data="builtin:iris", split=plan.to_text(seed=False), scale="standard")
    prep = prepare_data(cfg, ds, splits=st.current_splits(), preprocessor=st.current_preprocessor())
    assert prep.splits is splits and prep.preprocessor is pre
    # other preprocessing settings: the run fits its own on the same rows
    prep = prepare_data(RunConfig(data="builtin:iris", split=plan.to_text(seed=False), scale="minmax"), ds,
                        splits=splits, preprocessor=pre)
    assert prep.splits is splits and prep.preprocessor is not pre and prep.preprocessor.scale == "minmax"

    st.sections.split.update(kind="kfold", k=3)  # the section moved on: the cached split is stale
    assert st.current_splits() is None and st.current_preprocessor() is None
    prep = prepare_data(RunConfig(data="builtin:iris", split="kfold:3"), ds, splits=splits, preprocessor=pre)
    assert prep.splits is not splits and len(prep.splits.folds) == 3
    st.set_dataset(ds, {"source": "builtin:iris"})
    assert st.splits is None and st.current_preprocessor() is None
