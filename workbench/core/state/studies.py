"""One state section per case study (and the Explore panel), saved in project.json under its key.

Adding a study's section is one class with one registration line, the decorator::

    @study_section("rl", "reinforcement learning")
    class RLSection(Section):
        env: str = "CartPole-v1"
        episodes: int = 200

and its panel says ``state_section = "rl"`` (its ``state()`` gives these fields, its
``restore(d)`` takes them). Numeric bounds go in ``workbench.core.state.bounds``.
Files a study keeps (generated data, trained models, recordings) live in the project folder under
``studies/<key>/`` and the section names them relative to the project (see ``ProjectState``).
"""
from __future__ import annotations

from dataclasses import field
from typing import Any

from workbench.core.state.base import Section, section

STUDY_SECTIONS: dict[str, type[Section]] = {}


def study_section(key: str, title: str = ""):
    """``@section(key)`` and registered as a study's section of ``ProjectState``."""

    def wrap(cls):
        cls = section(key, title)(cls)
        STUDY_SECTIONS[key] = cls
        return cls

    return wrap


@study_section("daynight", "Day & Night")
class DayNightSection(Section):
    n: int = 600
    seed: int = 0
    balance: float = 0.5
    hard_share: float = 0.0
    val: float = 0.2
    test: float = 0.2
    epochs: int = 8
    batch_size: int = 32
    lr: float = 0.001
    patience: int = 3
    threshold: float = 0.5
    size: int = 32
    tint: str = ""
    groups: list[str] = field(default_factory=list)
    source: str = ""
    page: int = 0
    sweep: list[dict[str, Any]] = field(default_factory=list)
    data_source: dict[str, Any] = field(default_factory=dict)  # {"generated": kwargs} | {"folder": path}
    model_dir: str = ""  # the model in use, copied into the project folder (relative path)


@section("faces_training", "Faces encoder training")
class FacesTrainingSection(Section):
    data: str | None = None
    eval_data: str | None = None
    backbone: str | None = None
    shots: int = 5
    people: int = 20
    epochs: int = 10
    mining: str = ""
    margin: float = 0.2
    dim: int = 64
    image_size: str = ""
    lr: float = 0.001


@study_section("faces", "Faces")
class FacesSection(Section):
    source: str = ""
    encoder: str | None = None
    detector: str | None = None
    encoder_in_use: str | None = None
    threshold: float = 0.6
    k: int = 1
    train: FacesTrainingSection = field(default_factory=FacesTrainingSection)
    tab: int = 0  # the gallery itself lives in the project folder (faces/gallery), copied on "Save as"


@study_section("trigger_word", "Trigger word")
class TriggerWordSection(Section):
    trigger_word: str = "activate"
    tts_words: str = ""
    tts_count: int = 8
    record_seconds: int = 10
    n_clips: int = 1000
    n_val: int = 200
    seed: int = 0
    clip_seconds: float = 10.0
    n_fft: int = 400
    hop: int = 160
    n_mels: int = 40
    preset: str = ""
    epochs: int = 10
    batch_size: int = 32
    lr: float = 0.003
    train_seed: int = 0
    recipe_word: str = "activate"
    recipe_size: str = ""
    recipe_target: str = ""
    recipe_cache: str = ""
    threshold: float = 0.5
    smoothing: int = 1
    min_duration: float = 0.08
    refractory: float = 2.0
    source: str = ""
    eval_on: str = ""
    eval_clips: int = 200
    eval_hours: float = 1.0
    material_source: str = ""  # "demo" | "synthetic": material remade on reopen (not copied)
    material_dir: str = ""  # else the recordings and clips in use, copied into the project folder (relative path)
    model_dir: str = ""  # the model in use, copied into the project folder (relative path)


@study_section("style_transfer", "Style transfer")
class StyleTransferSection(Section):
    backbone: str = ""
    weights_path: str = ""
    content_layer: str = ""
    style_layers: list[str] = field(default_factory=list)
    content_weight: float = 1.0
    style_weight: float = 1.0
    tv_weight: float = 0.0
    init: str = ""
    optimizer: str = ""
    size: int = 256
    keep_colors: bool = False
    seed: int = 0
    report_every: int = 10
    steps: int = 100
    content_source: str = ""
    style_source: str = ""


@section("detection_data", "detection scenes")
class DetectionDataSection(Section):
    n: int = 300
    size: int = 128
    max_objects: int = 3
    overlap: float = 0.0
    clutter: int = 0
    seed: int = 0
    format: str = "yolo"
    source: dict[str, Any] = field(default_factory=dict)  # {"generated": kwargs} | {"folder": path}


@section("detection_training", "detector training")
class DetectionTrainingSection(Section):
    backbone: str = "small-cnn"
    output: str = "conv"
    S: int = 7
    B: int = 2
    lambda_coord: float = 5.0
    lambda_noobj: float = 0.5
    sqrt_wh: bool = True
    epochs: int = 10
    batch_size: int = 16
    lr: float = 0.001
    seed: int = 0
    detector_dir: str = ""  # the detector in use, copied into the project folder (relative path)


@section("detection_segment", "segmentation")
class DetectionSegmentSection(Section):
    size: int = 64
    epochs: int = 10
    dice: float = 0.5
    balanced: bool = False
    model_dir: str = ""  # the U-Net in use, copied into the project folder (relative path)


@study_section("detection", "Detection")
class DetectionSection(Section):
    tab: int = 0
    data: DetectionDataSection = field(default_factory=DetectionDataSection)
    train: DetectionTrainingSection = field(default_factory=DetectionTrainingSection)
    segment: DetectionSegmentSection = field(default_factory=DetectionSegmentSection)
    evaluate_conf: float = 0.25
    live_source: str = ""
    live_conf: float = 0.25
    editor_folder: str | None = None


@section("projector", "projection")
class ProjectorSection(Section):
    method: str | None = None
    max_points: int = 2000
    perplexity: float = 30.0
    neighbors: int = 15
    min_dist: float = 0.1
    metric: str = "euclidean"


@section("autoencoder")
class AutoencoderSection(Section):
    kind: str | None = None
    code_size: int = 16
    noise: float = 0.0
    epochs: int = 10
    batch_size: int = 64
    lr: float = 0.001
    loss: str | None = None
    max_samples: int = 5000


@study_section("explore", "Explore")
class ExploreSection(Section):
    data: str | None = None
    tab: int = 0
    projector: ProjectorSection = field(default_factory=ProjectorSection)
    autoencoder: AutoencoderSection = field(default_factory=AutoencoderSection)


@section("rl_settings", "reinforcement-learning settings")
class RLSettingsSection(Section):
    env: str = ""
    algo: str = ""
    preset: str | None = None
    layers: str = ""
    seed: int = 0
    target_on: bool = False
    target: float = 0.0
    steps: int = 50_000
    episodes_on: bool = False
    episodes: int = 100


@study_section("rl", "Reinforcement learning")
class RLSection(Section):
    settings: RLSettingsSection = field(default_factory=RLSettingsSection)
    tab: int = 0


@section("seq_trees", "syntax trees")
class SeqTreesSection(Section):
    grammar: str = ""
    attention: bool = True
    epochs: int = 10
    sentence: str = ""


@section("seq_captions", "captions")
class SeqCaptionsSection(Section):
    source: int = 0
    csv: str = ""
    held_out: int = 0
    attention: bool = True
    epochs: int = 10
    beam: int = 1


@section("seq_zeroshot", "zero-shot")
class SeqZeroShotSection(Section):
    source: int = 0
    folder: str = ""
    attributes: str = ""
    unseen: str = ""
    epochs: int = 10


@section("seq_fewshot", "one-shot")
class SeqFewShotSection(Section):
    data: str = ""
    folder: str = ""
    shots: str = ""
    episodes: int = 10


@study_section("sequences", "Sequences & Shots")
class SequencesSection(Section):
    """Field names are the panel's tab classes (its ``state()`` keys)."""

    tab: int = 0
    TreesTab: SeqTreesSection = field(default_factory=SeqTreesSection)
    CaptionsTab: SeqCaptionsSection = field(default_factory=SeqCaptionsSection)
    ZeroShotTab: SeqZeroShotSection = field(default_factory=SeqZeroShotSection)
    FewShotTab: SeqFewShotSection = field(default_factory=SeqFewShotSection)
