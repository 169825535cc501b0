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
``RecipeSettings()`` defaults, seed 0, one CPU thread): hours of piper and espeak-ng speech of
IMDB reviews, sound-alikes of "activate" from the CMU dictionary spoken by every training voice,
noise (white, pink, brown, hum, babble, music, clicks) at 0-30 dB SNR, room reverberation,
rounds that raise the negative-class weight and mine false accepts, a second-stage verifier, and
the operating point chosen on validation material. The settings, the rounds' figures and what
was held out are stored in demo_model/trigger_model.json ("metrics"); with ``--evaluate`` the
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
    ap.add_argument("--clips", type=int, default=512)
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    if args.demo_model:
        from workbench.studies_cli import trigger_word as cli

        from workbench.core.studies.trigger_word.corpus import cache_dir

        rounds = cache_dir(args.cache) / "demo-rounds"  # the model after each round (benchmarks/trigger_word.py)
        return cli.main(["recipe", "--out", str(args.out / "demo_model"), "--threads", "1", "--seed", "0",
                         "--round-dir", str(rounds)] + (["--cache", args.cache] if args.cache else [])
                        + (["--evaluate"] if args.evaluate else []))
    if args.test_model:
        make_test_model(args.out, clips=args.clips, epochs=args.epochs)
    else:
        print(mat.make_demo_set(args.out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
