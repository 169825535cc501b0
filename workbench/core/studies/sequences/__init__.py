"""Sequences & shots: the course's remaining kinds of learning, each on generated data and on the
user's own, each scored on held-out data beside a baseline and stored as a run.

    from workbench.core.studies.sequences.trees import train_tree_parser      # sentence -> syntax tree
    out = train_tree_parser("arithmetic", attention=True); out.test["exact"]; out.length_curve
    from workbench.core.studies.sequences.captions import train_captioner    # image -> caption
    out = train_captioner(); out.test["seen"]["exact"], out.test["unseen"]["bleu4"]
    from workbench.core.studies.sequences.zeroshot import run_zero_shot      # classes never seen
    out = run_zero_shot(); out.scores["zsl_unseen"], out.scores["plain_unseen"], out.scores["gzsl_unseen"]
    from workbench.core.studies.sequences.fewshot import run_few_shot        # 1, 5, 10 examples per class
    out = run_few_shot("builtin:mnist"); out.curve

Here only the defaults (so the panel and the command line read them without importing torch).
They were chosen on validation data to run in about two to four CPU-minutes each.
"""

TREE_DEFAULTS = {
    "arithmetic": {"n_train": 8000, "n_test": 600, "train_sizes": [1, 2, 3, 4, 5], "test_sizes": [6, 7, 8],
                   "epochs": 8, "hidden": 128},
    "english": {"n_train": 6000, "n_test": 600, "train_sizes": [0, 1, 2], "test_sizes": [3, 4],
                "epochs": 10, "hidden": 128},
}
# captions: 8,000 scenes, 30 epochs with a cosine learning-rate schedule reached 98.0 % exact on
# seen pairs in 225 CPU-seconds (16 epochs on 5,000 scenes at a constant rate: 69 %)
CAPTION_DEFAULTS = {"n": 8000, "size": 48, "epochs": 30, "hidden": 128, "width": 96, "encoder": "small-cnn",
                    "beam": 3, "held_out_pairs": 3, "schedule": "cosine"}
ZERO_SHOT_DEFAULTS = {"n_per_class": 150, "size": 32, "epochs": 8, "held_out": 3}
FEW_SHOT_DEFAULTS = {"data": "builtin:mnist", "shots": [1, 5, 10], "episodes": 10, "queries": 30, "size": 64,
                     "scratch_epochs": 40, "embedding": "base", "base_epochs": 8}
