"""The model follows the data: what the Model panel does with its model when other data are loaded.

    choice = follow_data(spec, made_for="image", explicit=True, kind="table", input_shape=(12,),
                         output_shape=(1,), head=head)
    choice.action   "keep" | "default"
    choice.spec     the ModelSpec to use (the default preset's, or the current one)
    choice.message  one sentence for the panel ("" when nothing changed worth saying)

The rule: data of another kind get that kind's default model (``workflow.default_model_choice``:
tables -> MLP, text -> the IMDB network (bag of words) or an Embedding model for sequences,
images -> a pretrained network or a CNN by size and count, sounds -> the audio CNN). A model the
user chose or edited (``explicit``) is kept while the data stay of the same kind and the model
fits them; a suggested one follows the suggestion for the new data. Every sentence names what
to do next.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from workbench.core.errors import WorkbenchError

KIND_WORDS = {"table": "a table", "text": "texts", "image": "images", "audio": "sounds", "sequence": "sequences"}


@dataclass
class ModelChoice:
    action: str  # "keep" | "default"
    name: str  # the model's name (the preset's for "default")
    spec: Any
    message: str = ""
    why: str = ""


def fit_error(spec, input_shape, output_shape, head=None) -> str | None:
    """None when ``spec`` builds for these shapes, else the builder's sentence."""
    from workbench.core.models import summarize_model

    if spec is None or not spec.layers:
        return "The model has no layers."
    try:
        summarize_model(spec, tuple(input_shape), tuple(output_shape), head)
    except WorkbenchError as e:
        return str(e)
    return None


SEQUENCE_TEXT_MODEL = ("imdb-gru", "Text read as token sequences: an Embedding and a GRU read the words in order.")


def default_for(kind: str, input_shape, class_counts=None, text_mode: str | None = None) -> tuple[str, str]:
    """(preset name, why) of the default model; text set to be read as sequences gets an Embedding model."""
    from workbench.core.workflow import default_model_choice

    if kind == "text" and text_mode == "sequence":
        return SEQUENCE_TEXT_MODEL
    return default_model_choice(kind, tuple(input_shape), class_counts)


def follow_data(spec, *, made_for: str | None, explicit: bool, kind: str, input_shape, output_shape,
                head=None, class_counts=None, text_mode: str | None = None) -> ModelChoice:
    """Keep ``spec`` or propose the default model for data of ``kind`` (see the module docstring).
    ``made_for`` is the kind of data the current model was chosen for (None: unknown, e.g. a
    project just opened: kept while it fits)."""
    from workbench.core.workflow import default_model

    name, why = default_for(kind, input_shape, class_counts, text_mode)
    head_word, sep, rest = why.partition(": ")
    if sep and len(head_word.split()) <= 2:  # "Tables: a multilayer perceptron ..." -> "a multilayer ..."
        why = rest
    current = getattr(spec, "name", "") or "your model"
    has_layers = spec is not None and bool(spec.layers)
    same_kind = made_for is None or made_for == kind
    if has_layers and same_kind and (explicit or current == name):
        err = fit_error(spec, input_shape, output_shape, head) if output_shape else None
        if err is None:
            return ModelChoice("keep", current, spec)
        reason = f"Your model {current} does not fit these {KIND_WORDS.get(kind, kind)} ({_first(err)})"
    elif has_layers and not same_kind:
        reason = f"The model {current} was chosen for {KIND_WORDS.get(made_for, made_for)}"
    elif has_layers:
        reason = ""  # a suggestion follows the suggestion for the new data
    else:
        reason = None
    _, new = default_model(kind, tuple(input_shape), tuple(output_shape) if output_shape else None, class_counts,
                           name=name)
    if reason is None:
        message = f"Model {name} suggested for {KIND_WORDS.get(kind, kind)}: {why}"
    elif reason:
        message = (f"{reason}; for {KIND_WORDS.get(kind, kind)} the model is now {name}: {why} "
                   "Choose another in Presets, or edit the layers.")
    else:
        message = (f"Model {name} suggested for these {KIND_WORDS.get(kind, kind)} (was {current}): {why}"
                   if name != current else "")
    return ModelChoice("default", name, new, message, why)


def _first(sentence: str) -> str:
    s = sentence.strip().rstrip(".")
    return s[0].lower() + s[1:] if s else s
