#!/usr/bin/env python
"""Make the trigger-word case study's bundled files in resources/trigger_word/.

    python scripts/make_trigger_demo.py                 # demo set: WAVs of "activate", other words, noise
    python scripts/make_trigger_demo.py --test-model    # tiny detector for rising chirps (used by tests)
    python scripts/make_trigger_demo.py --demo-model [--cache DIR]   # the demo model, made with the recipe

Demo set (16 kHz mono 16-bit WAV, < 3 MB): positives/ = espeak-ng saying "activate" at several
speeds, pitches and voices; negatives/ = other words (some close to the trigger, e.g.
"captivate", "relative") plus the real human speech in /usr/share/sounds/alsa/*.wav when
present; backgrounds/ = generated white, pink, brown, hum and babble noise.

Test model: trigger_word.synthetic_material (rising chirps are the trigger) -> 4 s clips ->
the same layer stack as the preset but small (Conv1D 16, GRU 16 x 2); saved as
test_model/trigger_model.json + weights.pt (loaded with weights_only=True).

Demo model: the recipe that targets false accepts (``workbench.core.studies.trigger_word.recipe``,
``DEMO_SETTINGS`` below over the ``RecipeSettings()`` defaults, seed 0): hours of piper and
espeak-ng speech of IMDB reviews, the trigger word said by every training espeak-ng voice
(``voices.positive_voices``) and the piper voice, sound-alikes of "activate" from the CMU
dictionary, noise (white, pink, brown, hum, babble, music, clicks) at 0-30 dB SNR, room
reverberation, vocal-tract warping and SpecAugment masks on the training clips' log-mel, rounds
that raise the negative-class weight and mine false accepts, a second-stage verifier (kept only
when it helps on validation), and the operating point chosen on 3 h of validation speech. With
``--init-from DIR`` the first round starts from that model's weights (the previous demo model;
its recipe is kept in "metrics.started_from"). The settings, the rounds' figures and what was
held out are stored in demo_model/trigger_model.json ("metrics"); with ``--evaluate`` the
held-out figures too. Generated material is cached in ``--cache`` (several hundred MB, outside
the repository; default $WORKBENCH_TRIGGER_CACHE or ~/.cache/workbench/trigger_word).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from workbench.core.studies.trigger_word import material as mat  # noqa: E402

OUT = ROOT / "resources" / "trigger_word"
SR = 16000
TEST_MODEL_CONFIG = dict(clip_seconds=4.0, max_positives=2, max_negatives=2)
# the demo model's recipe (RecipeSettings fields; the rest are the defaults): 3 h of validation
# speech, so that 0.5 false accepts per hour is resolvable (one false accept is 0.33/h); the
# held-out figures come from 2 h of piper and 1 h of held-out espeak-ng speech
DEMO_SETTINGS = dict(
    rounds=7, epochs_per_round=3, train_clips=8000, lr=1.5e-3, negative_weight=4.0,
    positive_reps={"train": 2, "val": 1, "test": 2},
    speech_hours={"train": {"piper": 0.5, "espeak": 1.0}, "val": {"piper": 1.5, "espeak": 1.5},
                  "test": {"piper": 2.0, "espeak": 1.0}},
)


def make_test_model(out: Path, *, clips: int = 512, epochs: int = 20, seed: int = 0) -> None:
    import torch

    from workbench.core.studies.trigger_word.config import TriggerConfig
    from workbench.core.studies.trigger_word.model import tiny_spec, train_model
    from workbench.core.studies.trigger_word.synthesis import generate_clips

    torch.set_num_threads(1)
    cfg = TriggerConfig(**TEST_MODEL_CONFIG)
    m = mat.synthetic_material(SR, seed=seed)
    tr = generate_clips(m, clips, cfg, seed=seed + 1)
    va = generate_clips(m, clips // 4, cfg, seed=seed + 2)

    from workbench.core.training import Callback

    class Print(Callback):
        def on_epoch_end(self, trainer, epoch, logs):
            print(f"epoch {logs.get('epoch')}: loss {logs.get('loss'):.4f} val_loss {logs.get('val_loss'):.4f} "
                  f"({logs.get('time', 0):.0f} s)", flush=True)

    tm, res = train_model(tr, val_clips=va, spec=tiny_spec(), epochs=epochs, lr=5e-3, seed=seed,
                          early_stopping=None, callbacks=[Print()], device="cpu")
    tm.metrics["note"] = "tiny test model: rising chirps are the trigger (synthetic_material)"
    tm.save(out / "test_model")
    print(f"saved {out / 'test_model'} (best epoch {res.best_epoch}, {res.stop_reason})")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--test-model", action="store_true", help="train the tiny test model instead of the demo set")
    ap.add_argument("--demo-model", action="store_true", help="train the demo model on the demo set")
    ap.add_argument("--cache", default=None, help="folder for the generated material (demo model)")
    ap.add_argument("--evaluate", action="store_true", help="also measure the demo model on held-out material")
    ap.add_argument("--init-from", type=Path, default=None,
                    help="start the demo model's first round from this trigger-word model's weights "
                         "(a copy of the previous demo model; recorded in the model file)")
    ap.add_argument("--threads", type=int, default=1, help="torch threads for the demo model's training")
    ap.add_argument("--rounds", type=int, default=None, help="rounds of the demo model's recipe (default: DEMO_SETTINGS)")
    ap.add_argument("--round-dir", type=Path, default=None,
                    help="folder for the model after each round (default <cache>/demo-rounds)")
    ap.add_argument("--clips", type=int, default=512)
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.demo_model:
        from workbench.studies_cli import trigger_word as cli

        from workbench.core.studies.trigger_word.corpus import cache_dir

        from workbench.core.jsonio import atomic_write_json
        from workbench.core.studies.trigger_word.recipe import RecipeSettings

        root = cache_dir(args.cache)
        rounds = args.round_dir or root / "demo-rounds"  # the model after each round (benchmarks/trigger_word.py)
        s = RecipeSettings(**{**DEMO_SETTINGS, **({"rounds": args.rounds} if args.rounds else {})},
                           threads=args.threads, init_from=str(args.init_from) if args.init_from else None)
        atomic_write_json(root / "demo-settings.json", s.to_dict())
        return cli.main(["recipe", "--out", str(args.out / "demo_model"), "--settings", str(root / "demo-settings.json"),
                         "--threads", str(args.threads), "--seed", "0", "--round-dir", str(rounds)]
                        + (["--cache", args.cache] if args.cache else []) + (["--evaluate"] if args.evaluate else []))
    if args.test_model:
        make_test_model(args.out, clips=args.clips, epochs=args.epochs)
    else:
        print(mat.make_demo_set(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
