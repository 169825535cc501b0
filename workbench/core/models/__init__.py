"""Model specs, output heads, the builder and presets.

    spec = get_preset("digits-cnn")                      # or load_spec("imdb" | "spec.json")
    task = infer_task(y, class_names)                     # "binary", "multiclass", ...
    head = default_head(task)                             # or Head(task, "softmax", "bce"); check_head(...)
    model = build_model(spec, input_shape, head.output_shape(y, n_classes), head)
    raw = model(x); loss = head.loss(raw, y) + model.penalty(); probs = head.activate(raw)
    print(summarize_model(spec, input_shape, head.output_shape(y), head).to_text())

Text as token sequences (workbench.core.data.text): a spec that starts with an Embedding
(``wants_token_ids(spec)``) reads (L,) token ids; ``with_token_count(spec, vec.token_count)`` sizes
its Embedding for the data's vocabulary before building. Presets "imdb-gru" and "imdb-conv1d".
"""
from workbench.core.models.builder import (
    DEFAULT_TOKEN_IDS,
    LayerSummary,
    ModelSummary,
    PlannedLayer,
    SpecModel,
    build_model,
    format_shape,
    plan_model,
    summarize_model,
    wants_token_ids,
    with_token_count,
)
from workbench.core.models.heads import (
    HEAD_ACTIVATIONS, LOSSES, TASKS, Head, TermHead, check_head, default_head, infer_task, reconstruction_head,
)
from workbench.core.models.presets import PRESETS, Preset, get_preset, list_presets, load_spec
from workbench.core.models.spec import ACTIVATIONS, LAYER_TYPES, LayerSpec, LayerType, ModelSpec, ParamInfo

__all__ = [
    "ACTIVATIONS", "HEAD_ACTIVATIONS", "LAYER_TYPES", "LOSSES", "PRESETS", "TASKS",
    "Head", "LayerSpec", "LayerSummary", "LayerType", "ModelSpec", "ModelSummary", "ParamInfo", "PlannedLayer",
    "Preset", "SpecModel", "TermHead",
    "build_model", "check_head", "default_head", "format_shape", "get_preset", "infer_task", "list_presets",
    "load_spec", "plan_model", "reconstruction_head", "summarize_model",
    "DEFAULT_TOKEN_IDS", "wants_token_ids", "with_token_count",
]
