"""``workbench trigger``: demo set, clip generation, training, detection and evaluation.

    workbench trigger make-demo [--out FOLDER]                  (needs espeak-ng)
    workbench trigger generate OUT.npz [--n 2000] [--material demo|synthetic|FOLDER] [--seed 0]
    workbench trigger train --out MODEL [--clips CLIPS.npz | --n 1000] [--val-n 200] [--epochs 10]
                            [--preset trigger-word|tiny] [--material demo] [--minutes M]
    workbench trigger recipe --out MODEL [--word activate] [--quick] [--cache DIR] [--rounds 4] [--json]
    workbench trigger detect MODEL FILE.wav|mic [--threshold T --smoothing K --min-duration S --refractory S]
    workbench trigger evaluate MODEL [--cache DIR] [--json]            (held-out recipe material)
    workbench trigger evaluate MODEL --material demo [--n 200] [--hours 1] [--json]

``recipe`` is the training that targets false accepts (core.studies.trigger_word.recipe): speech
at scale (piper + espeak-ng reading IMDB reviews), sound-alike hard negatives, noise and rooms,
rounds that raise the negative-class weight and mine false accepts, a second-stage verifier,
and the operating point chosen on validation material, stored in the model folder. ``detect``
uses that operating point unless told otherwise. ``evaluate`` without ``--material`` measures
FRR and false accepts per hour on held-out material (texts, speeds, voices, noise and rooms kept
apart from training, see ``corpus.HOLDOUT``). Generated material is cached in ``--cache``
(default $WORKBENCH_TRIGGER_CACHE or ~/.cache/workbench/trigger_word).

MATERIAL is ``demo`` (the bundled set), ``synthetic`` (chirps and noise, no files needed),
``heldout-tts`` (new espeak-ng renditions, other negative words and new noise: evaluate on
recordings the model never saw) or a folder with positives/, negatives/ and backgrounds/
subfolders of WAV files.
``register(subparsers)`` adds the subcommand to the main CLI; ``run(args)`` returns the exit
status (2 with the message on a user error).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from workbench.core import params as P


NAME = "trigger"


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="Case study trigger word: make demo set, generate clips, train, detect, "
                                         "evaluate.", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="trigger_cmd", metavar="{make-demo,generate,train,recipe,detect,evaluate}")
    sub.required = True

    def common(q):
        q.add_argument("--material", default="demo", help="demo | synthetic | heldout-tts | FOLDER (default demo)")
        q.add_argument("--seed", type=P.SEED.arg_type, default=0)
        q.add_argument("--threads", type=P.THREADS.arg_type, default=None, help="torch CPU threads")
        q.add_argument("--device", default="auto")

    d = sub.add_parser("make-demo", help="(re)make the bundled demo set with espeak-ng")
    d.add_argument("--out", default=None, help="folder (default resources/trigger_word)")

    g = sub.add_parser("generate", help="generate training clips (features + labels) into an .npz file")
    g.add_argument("out")
    g.add_argument("--n", type=P.param(P.SAMPLES, label="number of samples").arg_type, default=2000)
    g.add_argument("--clip-seconds", type=P.param(P.CLIP_SECONDS, label="clip seconds").arg_type, default=10.0)
    common(g)

    t = sub.add_parser("train", help="train the trigger-word model")
    t.add_argument("--out", required=True, help="model folder to write")
    t.add_argument("--clips", default=None, help="training clips .npz (default: generate --n clips)")
    t.add_argument("--n", type=P.param(P.SAMPLES, label="number of samples").arg_type, default=1000)
    t.add_argument("--val-n", type=P.param(P.SAMPLES, label="val n").arg_type, default=200)
    t.add_argument("--clip-seconds", type=P.param(P.CLIP_SECONDS, label="clip seconds").arg_type, default=10.0)
    t.add_argument("--epochs", type=P.EPOCHS.arg_type, default=10)
    t.add_argument("--batch-size", type=P.BATCH_SIZE.arg_type, default=32)
    t.add_argument("--lr", type=P.LR.arg_type, default=3e-3)
    t.add_argument("--preset", default="trigger-word", help="trigger-word | trigger-word-course | tiny")
    t.add_argument("--minutes", type=P.param(P.MINUTES, label="minutes").arg_type, default=None, help="stop after this many minutes of training")
    common(t)

    r = sub.add_parser("recipe", help="train with the recipe that targets false accepts (minutes to hours)")
    r.add_argument("--out", required=True, help="model folder to write")
    r.add_argument("--word", default=None, help="the trigger word (default activate)")
    r.add_argument("--quick", action="store_true", help="less material and fewer rounds (minutes)")
    r.add_argument("--cache", default=None, help="folder for generated material")
    r.add_argument("--settings", default=None, help="JSON file with RecipeSettings fields")
    r.add_argument("--rounds", type=P.ROUNDS.arg_type, default=None)
    r.add_argument("--clips", type=P.param(P.OPTIONAL_COUNT, label="clips").arg_type, default=None, help="training clips per round")
    r.add_argument("--model", default=None, help="small | tiny | trigger-word | trigger-word-course")
    r.add_argument("--verifier", default=None, choices=("model", "pocketsphinx", "none"))
    r.add_argument("--evaluate", action="store_true", help="also measure on the held-out material")
    r.add_argument("--round-dir", default=None, help="save the model after every round here")
    r.add_argument("--json", action="store_true")
    common(r)

    x = sub.add_parser("detect", help="stream a WAV file (or the microphone: 'mic') through the detector")
    x.add_argument("model")
    x.add_argument("source", help="FILE.wav or mic")
    x.add_argument("--threshold", type=P.param(P.THRESHOLD, label="threshold").arg_type, default=None, help="default: the model's stored operating point")
    x.add_argument("--smoothing", type=P.param(P.SMOOTHING, label="smoothing").arg_type, default=None, help="output steps averaged (default: stored)")
    x.add_argument("--min-duration", type=P.param(P.SECONDS, label="min duration").arg_type, default=None)
    x.add_argument("--refractory", type=P.param(P.SECONDS, label="refractory").arg_type, default=None)
    x.add_argument("--no-verifier", action="store_true", help="first stage only")
    x.add_argument("--seconds", type=P.param(P.STREAM_SECONDS, label="seconds").arg_type, default=None, help="stop after this much audio (mic)")
    x.add_argument("--realtime", action="store_true", help="pace a file like a live device")
    x.add_argument("--threads", type=P.THREADS.arg_type, default=None)
    x.add_argument("--json", action="store_true")

    e = sub.add_parser("evaluate", help="FRR and false accepts per hour on held-out material, over the threshold")
    e.add_argument("model")
    e.add_argument("--cache", default=None, help="folder for generated material")
    e.add_argument("--n", type=P.param(P.SAMPLES, label="number of samples").arg_type, default=200, help="held-out clips")
    e.add_argument("--hours", type=P.param(P.HOURS, label="hours").arg_type, default=1.0, help="length of the negative-only stream")
    e.add_argument("--min-duration", type=P.param(P.SECONDS, label="min duration").arg_type, default=0.08)
    e.add_argument("--refractory", type=P.param(P.SECONDS, label="refractory").arg_type, default=2.0)
    e.add_argument("--json", action="store_true")
    common(e)
    e.set_defaults(seed=1000, material=None)
    p.set_defaults(func=run)  # errors are reported by workbench.cli.main
    return p



def load_material(spec: str, sample_rate: int = 16000):
    from workbench.core.studies import trigger_word as tw

    if spec == "demo":
        return tw.load_demo(sample_rate)
    if spec == "synthetic":
        return tw.synthetic_material(sample_rate)
    if spec == "heldout-tts":
        from workbench.core.studies.trigger_word.material import heldout_tts_material

        return heldout_tts_material(sample_rate)
    return tw.Material.from_folder(spec, sample_rate)


def _progress(done, total, text=""):
    print(f"\r  {text or f'{done}/{total}'}   ", end="", file=sys.stderr, flush=True)
    if done >= total:
        print(file=sys.stderr)


def _threads(args) -> None:
    if getattr(args, "threads", None):
        import torch

        torch.set_num_threads(int(args.threads))


def run(args) -> int:
    from workbench.core.studies import trigger_word as tw

    cmd = args.trigger_cmd
    _threads(args)
    if cmd == "make-demo":
        print(tw.make_demo_set(args.out))
        return 0
    if cmd == "generate":
        m = load_material(args.material)
        cfg = tw.TriggerConfig(sample_rate=m.sample_rate, clip_seconds=args.clip_seconds)
        cs = tw.generate_clips(m, args.n, cfg, seed=args.seed, device=args.device, progress=_progress)
        cs.save(args.out)
        print(f"{len(cs)} clips ({cs.stats['positives']} positives) -> {args.out} "
              f"({cs.stats['clips_per_s']:.0f} clips/s)")
        return 0
    if cmd == "train":
        return _train(args, tw)
    if cmd == "detect":
        return _detect(args, tw)
    if cmd == "recipe":
        return _recipe(args)
    if cmd == "evaluate" and args.material is None:
        return _evaluate_heldout(args, tw)
    if cmd == "evaluate":
        model = tw.TriggerModel.load(args.model)
        m = load_material(args.material, model.config.sample_rate)
        held = tw.generate_clips(m, args.n, model.config, seed=args.seed, progress=_progress)
        rep = tw.evaluate(model, held, m, hours=args.hours, min_duration=args.min_duration,
                          refractory=args.refractory, progress=_progress)
        if args.json:
            print(json.dumps({**rep.to_dict(), "recommended_threshold": rep.recommended_threshold()}))
        else:
            print(rep.to_text())
        return 0
    raise AssertionError(cmd)  # pragma: no cover


def _train(args, tw) -> int:
    from workbench.core.training import Callback, Trainer

    if args.clips:
        train = tw.ClipSet.load(args.clips)
        m = load_material(args.material, train.config.sample_rate)
    else:
        m = load_material(args.material)
        cfg = tw.TriggerConfig(sample_rate=m.sample_rate, clip_seconds=args.clip_seconds)
        print(f"material: {m.summary()}", file=sys.stderr)
        train = tw.generate_clips(m, args.n, cfg, seed=args.seed, device=args.device, progress=_progress)
    val = tw.generate_clips(m, args.val_n, train.config, seed=args.seed + 1, device=args.device, progress=_progress)
    spec = tw.tiny_spec() if args.preset == "tiny" else tw.default_spec(args.preset)
    deadline = None if args.minutes is None else time.monotonic() + 60 * args.minutes

    class Report(Callback):
        def on_batch_end(self, trainer, info):
            if deadline is not None and time.monotonic() > deadline:
                trainer.stop("stopped", f"Stopped after the {args.minutes} minute budget.")

        def on_epoch_end(self, trainer, epoch, logs):
            print(f"epoch {logs.get('epoch')}: loss {logs.get('loss', float('nan')):.4f} "
                  f"val_loss {logs.get('val_loss', float('nan')):.4f} ({logs.get('time', 0):.0f} s)", flush=True)

    trainer = Trainer(callbacks=[Report()], device=args.device)
    model, res = tw.train_model(train, val_clips=val, spec=spec, epochs=args.epochs, batch_size=args.batch_size,
                                lr=args.lr, seed=args.seed, trainer=trainer)
    model.metrics["material"] = m.source
    model.save(args.out)
    print(f"{(res.message or res.stop_reason).rstrip('.')}; best epoch {res.best_epoch}; model saved to {args.out}")
    return 0


def _detect(args, tw) -> int:
    from workbench.core.capture.audio import WavFileSource, open_microphone

    model = tw.TriggerModel.load(args.model)
    sr = model.config.sample_rate
    if args.source == "mic":
        src = open_microphone(sample_rate=sr, start=False)
    else:
        src = WavFileSource(args.source, sample_rate=sr, realtime=args.realtime)
    det = tw.StreamingDetector.from_model(model, use_verifier=not args.no_verifier, threshold=args.threshold,
                                          smoothing=args.smoothing, min_duration=args.min_duration,
                                          refractory=args.refractory)
    shown = {"n": 0}

    def show(d, new):
        for ev in d.candidates[shown["n"]:]:
            print(f"  first stage at {ev.time:7.2f} s (p = {ev.probability:.2f}), verifier "
                  f"{'confirms' if ev.verified else 'rejects'} ({ev.verifier_score:.2f})", flush=True)
        shown["n"] = len(d.candidates)
        for ev in new:
            print(f"TRIGGER at {ev.time:7.2f} s (p = {ev.probability:.2f})", flush=True)

    r = det.rule
    if not args.json:
        print(f"threshold {r.threshold:.3f}, smoothing {r.smoothing}, min. duration {r.min_steps} steps, refractory "
              f"{r.refractory:g} s, second stage: {'on' if det.verifier is not None else 'off'}", file=sys.stderr)
    res = det.run(src, max_seconds=args.seconds, on_block=None if args.json else show)
    if args.json:
        print(json.dumps({"events": [[e.time, e.probability] for e in res.events], "audio_seconds": res.audio_seconds,
                          "real_time_factor": res.real_time_factor,
                          "candidates": [[e.time, e.probability, e.verified] for e in res.candidates],
                          "threshold": r.threshold, "smoothing": r.smoothing,
                          "verifier": det.verifier is not None}))
    else:
        print(f"{len(res.events)} trigger(s) in {res.audio_seconds:.1f} s of audio; real-time factor "
              f"{res.real_time_factor:.3f}")
    return 0


def _recipe(args) -> int:
    from workbench.core.jsonio import read_json
    from workbench.core.studies.trigger_word.heldout import evaluate_heldout
    from workbench.core.studies.trigger_word.recipe import RecipeSettings, run_recipe

    if args.settings:
        s = RecipeSettings.from_dict(read_json(args.settings, kind="recipe settings"))
    else:
        s = RecipeSettings.quick() if args.quick else RecipeSettings()
    for k, v in (("trigger_word", args.word), ("rounds", args.rounds), ("train_clips", args.clips), ("model", args.model),
                 ("verifier", args.verifier), ("threads", args.threads)):
        if v is not None:
            setattr(s, k, v)
    s.seed = args.seed
    res = run_recipe(s, cache=args.cache, progress=None if args.json else _progress,
                     log=lambda t: print(t, file=sys.stderr, flush=True), round_dir=args.round_dir)
    if res is None:
        return 1
    res.model.save(args.out)
    op = res.model.operating_point
    out = {"model": args.out, "operating_point": op.to_dict(), "rounds": res.rounds, "seconds": res.seconds}
    if args.evaluate:
        rep = evaluate_heldout(res.model, s, cache=args.cache)
        out["heldout"] = rep.to_dict()
        res.model.metrics["heldout"] = {"at_operating_point": rep.at_operating_point,
                                        "first_stage_only": rep.first_stage_only}
        res.model.save(args.out)
        if not args.json:
            print(rep.to_text())
    print(json.dumps(out) if args.json else f"model saved to {args.out}; operating point threshold "
          f"{op.threshold:.3f}, smoothing {op.smoothing}, verifier {op.verifier_threshold}")
    return 0


def _evaluate_heldout(args, tw) -> int:
    from workbench.core.studies.trigger_word.heldout import evaluate_heldout

    model = tw.TriggerModel.load(args.model)
    rep = evaluate_heldout(model, cache=args.cache, progress=None if args.json else _progress)
    print(json.dumps(rep.to_dict()) if args.json else rep.to_text())
    return 0


def main(argv=None) -> int:
    """Run this subcommand on its own: ``python -m workbench.studies_cli.trigger_word train ...``."""
    from workbench.cli import main as cli_main

    return cli_main([NAME, *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
