"""Ready-made model specs. The output layer is added by `build_model` unless a preset ends with
an explicit one (the IMDB family and trigger-word do, to mirror the course)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from workbench.core.errors import SpecError
from workbench.core.models.spec import LayerSpec, ModelSpec

L = LayerSpec.make


@dataclass(frozen=True)
class Preset:
    name: str
    spec: ModelSpec
    description: str
    input_kind: str  # "text", "table", "image", "sequence"
    example_input_shape: tuple  # a typical per-sample input shape (what the tests build it for)
    example_output_shape: tuple
    task: str  # the task it was designed for
    text_mode: str = "bag"  # text inputs: "bag" (multi-hot) or "sequence" (token ids for an Embedding)


def _imdb(name: str, units: int, description: str, l2: float = 0.0, dropout: float = 0.0) -> Preset:
    layers = []
    for _ in range(2):
        layers.append(L("Dense", units=units, activation="relu", l2=l2))
        if dropout:
            layers.append(L("Dropout", rate=dropout))
    layers.append(L("Dense", units=1, activation="sigmoid"))
    spec = ModelSpec(layers, name=name, description=description)
    return Preset(name, spec, description, "text", (10000,), (1,), "binary")


def _imdb_sequence(name: str, body: list, description: str) -> Preset:
    layers = [L("Embedding", dim=32)] + body + [L("Dense", units=1, activation="sigmoid")]
    spec = ModelSpec(layers, name=name, description=description)
    return Preset(name, spec, description, "text", (200,), (1,), "binary", text_mode="sequence")


def trigger_word_spec(filters: int = 64, units: int = 64, dropout: float = 0.3, *, kernel: int = 15, stride: int = 4,
                      name: str = "trigger-word", description: str = "") -> ModelSpec:
    """The trigger-word layer stack (the one definition; the presets and the study's small
    models are sizes of it): Conv1D (stride) + BatchNorm + ReLU + Dropout, 2 x (GRU + Dropout +
    BatchNorm), Dropout, per-step Dense 1 sigmoid."""
    layers = [
        L("Conv1D", filters=filters, kernel=kernel, stride=stride),
        L("BatchNorm", activation="relu"),
        L("Dropout", rate=dropout),
        L("GRU", units=units, return_sequences=True),
        L("Dropout", rate=dropout),
        L("BatchNorm"),
        L("GRU", units=units, return_sequences=True),
        L("Dropout", rate=dropout),
        L("BatchNorm"),
        L("Dropout", rate=dropout),
        L("TimeDense", units=1, activation="sigmoid"),
    ]
    return ModelSpec(layers, name=name, description=description)


def _trigger(name: str, filters: int, units: int, dropout: float, description: str) -> Preset:
    spec = trigger_word_spec(filters, units, dropout, name=name, description=description)
    return Preset(name, spec, description, "sequence", (5511, 101), (1375, 1), "sequence_binary")


def _make_presets() -> dict[str, Preset]:
    ps = [
        _imdb("imdb", 16, "IMDB reviews network from Chollet's book: Dense 16 relu, Dense 16 relu, Dense 1 sigmoid."),
        _imdb("imdb-smaller", 4, "Smaller IMDB network (Dense 4, Dense 4): overfits later, learns less."),
        _imdb("imdb-bigger", 512, "Bigger IMDB network (Dense 512, Dense 512): overfits almost at once."),
        _imdb("imdb-l2", 16, "IMDB network with L2 (0.001) weight penalties on both hidden layers.", l2=0.001),
        _imdb("imdb-dropout", 16, "IMDB network with Dropout 0.5 after each hidden layer.", dropout=0.5),
        _imdb_sequence("imdb-gru", [L("GRU", units=32)],
                       "IMDB reviews as token sequences: Embedding 32, GRU 32, Dense 1 sigmoid (reads word order)."),
        _imdb_sequence("imdb-conv1d", [L("Conv1D", filters=64, kernel=5, activation="relu"), L("GlobalMaxPool"),
                                       L("Dropout", rate=0.3)],
                       "IMDB reviews as token sequences: Embedding 32, Conv1D 64 (5 words) relu, global max pool, "
                       "Dropout 0.3, Dense 1 sigmoid (finds telling phrases anywhere in the review)."),
        Preset("shallow-cnn", ModelSpec([
            L("Conv2D", filters=16, kernel=3, padding="same", activation="relu"),
            L("MaxPool", size=2),
            L("Conv2D", filters=32, kernel=3, padding="same", activation="relu"),
            L("MaxPool", size=2),
            L("Conv2D", filters=64, kernel=3, padding="same", activation="relu"),
            L("GlobalAvgPool"),
            L("Dense", units=64, activation="relu"),
        ], name="shallow-cnn", description="Shallow CNN for 64x64 RGB photos (any resolution: it ends in a "
                                           "global average pool)."),
            "Shallow CNN for 64x64x3 images: 3 conv blocks, global average pool, Dense 64.",
            "image", (3, 64, 64), (1,), "binary"),
        Preset("digits-cnn", ModelSpec([
            # BatchNorm after each conv: 10 epochs reach ~0.99 on sklearn digits whatever the input
            # scaling (0..16 raw, 0..1 or standardized); without it ~0.96 and seed-dependent.
            L("Conv2D", filters=32, kernel=3, padding="same"),
            L("BatchNorm", activation="relu"),
            L("Conv2D", filters=32, kernel=3, padding="same"),
            L("BatchNorm", activation="relu"),
            L("MaxPool", size=2),
            L("Conv2D", filters=64, kernel=3, padding="same"),
            L("BatchNorm", activation="relu"),
            L("MaxPool", size=2),
            L("Flatten"),
            L("Dropout", rate=0.3),
            L("Dense", units=64, activation="relu"),
        ], name="digits-cnn", description="Small CNN for handwritten digits (8x8 sklearn digits or 28x28 MNIST)."),
            "Small CNN for digits (8x8x1 or 28x28x1): >= 0.95 test accuracy on sklearn digits in 10 epochs.",
            "image", (1, 8, 8), (10,), "multiclass"),
        Preset("mlp", ModelSpec([
            L("Dense", units=64, activation="relu"),
            L("Dropout", rate=0.2),
            L("Dense", units=64, activation="relu"),
        ], name="mlp", description="Default multilayer perceptron for tables: Dense 64, Dropout 0.2, Dense 64."),
            "Default table MLP: Dense 64 relu, Dropout 0.2, Dense 64 relu.", "table", (30,), (1,), "binary"),
        _trigger("trigger-word", 64, 64, 0.3,
                 "Trigger-word detector sized for CPU: Conv1D 64 (kernel 15, stride 4) + BatchNorm + ReLU + Dropout, "
                 "2 x (GRU 64 + Dropout + BatchNorm), per-step Dense 1 sigmoid. 5511 frames -> 1375 steps."),
        _trigger("trigger-word-course", 196, 128, 0.5,
                 "Trigger-word detector as in the course (Conv1D 196, GRU 128 x 2; dropout 0.5 instead of the "
                 "course's 0.8, which needs much more data). Slow on CPU."),
    ]
    ps += _transfer_and_audio_presets()
    from workbench.core.models.self_supervised import autoencoder_spec, forecaster_spec

    ps += [
        Preset("autoencoder-dense", autoencoder_spec("dense", (1, 28, 28), 16),
               "Dense autoencoder (784 -> 128 -> code 16 -> 128 -> 784) for 28x28 digits; the Explore panel "
               "builds it for any input shape and code size.", "image", (1, 28, 28), (1, 28, 28), "reconstruction"),
        Preset("autoencoder-conv", autoencoder_spec("conv", (1, 28, 28), 16),
               "Convolutional autoencoder (two stride-2 convs -> code 16 -> two transposed convs) for 28x28 "
               "digits.", "image", (1, 28, 28), (1, 28, 28), "reconstruction"),
        Preset("forecast-gru", forecaster_spec(32, "GRU"),
               "Next-value forecaster: GRU 32 over a window of past values, one value ahead.", "sequence",
               (24, 1), (1,), "regression"),
    ]
    return {p.name: p for p in ps}


def _transfer_and_audio_presets() -> list[Preset]:
    def pretrained(name: str, backbone: str, description: str, **kw) -> Preset:
        spec = ModelSpec([L("Pretrained", backbone=backbone, **kw), L("Dropout", rate=0.2)], name=name,
                         description=description)
        return Preset(name, spec, description, "image", (3, 64, 64), (3,), "multiclass")

    audio_cnn = ModelSpec([
        L("AsImage"),
        L("Conv2D", filters=16, kernel=3, padding="same"), L("BatchNorm", activation="relu"), L("MaxPool", size=2),
        L("Conv2D", filters=32, kernel=3, padding="same"), L("BatchNorm", activation="relu"), L("MaxPool", size=2),
        L("Conv2D", filters=64, kernel=3, padding="same"), L("BatchNorm", activation="relu"),
        L("GlobalAvgPool"), L("Dropout", rate=0.3),
    ], name="audio-cnn", description="Small Conv2D network over a log-mel spectrogram (time x mel bands).")
    audio_gru = ModelSpec([
        L("Conv1D", filters=64, kernel=5, stride=2), L("BatchNorm", activation="relu"), L("Dropout", rate=0.2),
        # every step's GRU output averaged: the word may sit anywhere in the clip, with silence after it
        L("GRU", units=64, return_sequences=True), L("GlobalAvgPool"), L("Dropout", rate=0.3),
    ], name="audio-gru", description="Conv1D over time, then a GRU whose outputs are averaged over time, on a "
                                     "log-mel spectrogram.")
    return [
        pretrained("pretrained-small", "mobilenet_v2",
                   "Pretrained + small head: frozen ImageNet MobileNetV2 (features cached), Dropout, Dense. "
                   "Trains in seconds and works with a few images per class."),
        pretrained("pretrained-efficientnet", "efficientnet_lite0",
                   "Frozen ImageNet EfficientNet-Lite0 (features cached), Dropout, Dense."),
        pretrained("pretrained-finetune", "mobilenet_v2",
                   "MobileNetV2 with its last stages (15 on) fine-tuned, Dropout, Dense: for a few hundred "
                   "images per class.", fine_tune_from=15),
        Preset("audio-cnn", audio_cnn, "Small Conv2D over the log-mel spectrogram (3 conv blocks, global "
               "average pool).", "sequence", (98, 40), (3,), "multiclass"),
        Preset("audio-gru", audio_gru, "Conv1D + GRU over the log-mel spectrogram.", "sequence", (98, 40), (3,),
               "multiclass"),
    ]


PRESETS: dict[str, Preset] = _make_presets()


def list_presets(input_kind: str | None = None) -> list[Preset]:
    """Presets (optionally only those meant for "text", "table", "image" or "sequence" inputs)."""
    return [p for p in PRESETS.values() if input_kind is None or p.input_kind == input_kind]


def get_preset(name: str) -> ModelSpec:
    """A fresh copy of a preset's spec (edit it freely). Unknown name -> SpecError listing them."""
    p = PRESETS.get(name) or PRESETS.get(str(name).strip().lower())
    if p is None:
        raise SpecError(f"There is no model preset {name!r}; choose one of {', '.join(PRESETS)}.")
    return p.spec.copy()


def load_spec(name_or_path: str | os.PathLike) -> ModelSpec:
    """A preset by name, or a spec from a JSON file."""
    s = str(name_or_path)
    if s in PRESETS or s.strip().lower() in PRESETS:
        return get_preset(s)
    path = Path(s)
    if path.suffix.lower() == ".json" or path.exists():
        if not path.is_file():
            raise SpecError(f"The model spec file {s} does not exist; give a preset ({', '.join(PRESETS)}) or "
                            f"an existing JSON file.")
        return ModelSpec.load(path)
    raise SpecError(f"{s!r} is neither a model preset nor a JSON file; choose one of {', '.join(PRESETS)}, or give "
                    f"the path of a spec .json file.")
