"""``workbench sequences``: captions, syntax trees, zero-shot and few-shot from the command line
(the Sequences & Shots panel calls the same core).

    workbench sequences trees --grammar arithmetic [--no-attention] [--epochs 8] [--project P]
    workbench sequences trees --grammar english --parse "the big dog saw a cat"
    workbench sequences captions [--held-out 3] [--no-attention] [--beam 3]
    workbench sequences captions --captions my/captions.csv          # the user's images (image,caption)
    workbench sequences zeroshot                                    # generated colour x shape classes
    workbench sequences zeroshot --data my_folders --attributes attributes.csv [--unseen zebra]
    workbench sequences fewshot --data builtin:mnist --shots 1,5,10

Every command takes ``--json`` (one JSON object on the last line) and ``--project DIR`` (the run is
stored there beside the other runs).
"""
from __future__ import annotations

import argparse
import sys

from workbench import cli_args
from workbench.core.errors import WorkbenchError

NAME = "sequences"


_emit = cli_args.emit


def _store(args):
    if not getattr(args, "project", None):
        return None
    from workbench.core.runs import RunStore, check_project_writable

    check_project_writable(args.project)
    return RunStore(args.project)


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--epochs", type=cli_args.bounded_int(1, 1000))
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--project", help="store the run in this project folder")
    p.add_argument("--threads", type=cli_args.bounded_int(1, 256), help="CPU threads for training")
    p.add_argument("--json", action="store_true", help="print one JSON object on the last line")


def _pct(v) -> str:
    return "n/a" if v is None else f"{100 * v:.1f} %"


def run_trees(args) -> int:
    from workbench.core.studies.sequences.trees import train_tree_parser

    out = train_tree_parser(args.grammar, attention=not args.no_attention, n_train=args.n_train, epochs=args.epochs,
                            hidden=args.hidden, seed=args.seed, beam=args.beam, run_store=_store(args),
                            threads=args.threads)
    res = out.summary()
    if args.parse:
        res["parse"] = " ".join(out.parse(args.parse, beam=max(1, args.beam)))
    t, b = out.test, out.baseline
    lines = [f"Syntax trees ({args.grammar}, {'attention' if out.attention else 'no attention'}), held-out sentences "
             f"of the trained sizes: exact {_pct(t['exact'])}, bracket F1 {t['bracket_f1']:.3f} "
             f"(baseline {b.get('strategy', 'rule') if isinstance(b.get('strategy'), str) else 'rule'}: exact "
             f"{_pct(b['exact'])}, F1 {b['bracket_f1']:.3f}).",
             "Length curve (size: exact / F1, * = trained size):"]
    lines += [f"  {r['size']}{'*' if r['trained'] else ' '}  {_pct(r['exact'])} / {r['bracket_f1']:.3f}  "
              f"(baseline {_pct(r['baseline_exact'])})" for r in out.length_curve]
    if out.beam_test:
        lines.append(f"Beam search ({args.beam}): exact {_pct(out.beam_test['exact'])}.")
    if args.parse:
        lines.append(f"{args.parse} -> {res['parse']}")
    if out.run_id:
        lines.append(f"Run {out.run_id} saved in {args.project}.")
    return _emit(args, res, lines)


def run_captions(args) -> int:
    from workbench.core.studies.sequences.captions import train_captioner

    ds = None
    if args.captions:
        from workbench.core.studies.detection.captions import load_captions_csv

        ds = load_captions_csv(args.captions, size=args.size or 48)
    out = train_captioner(ds, n=args.n, size=args.size, held_out=args.held_out, attention=not args.no_attention,
                          encoder=args.encoder, epochs=args.epochs, beam=args.beam, seed=args.seed,
                          run_store=_store(args), threads=args.threads)
    lines = []
    for part, s in out.test.items():
        nb = out.baselines[part]
        lines.append(f"{part} {'combinations' if part != 'seen' or not ds else 'images'} ({s['n']} images): exact "
                     f"{_pct(s['exact'])}, BLEU-4 {s['bleu4']:.3f}"
                     + (f"; beam {_pct(s['beam']['exact'])}" if "beam" in s else "")
                     + f". Baselines: nearest image {_pct(nb['nearest']['exact'])} (BLEU-4 {nb['nearest']['bleu4']:.3f}), "
                     f"most frequent caption {_pct(nb['most_frequent']['exact'])}.")
    if out.held_out:
        lines.append("Held-out pairs: " + ", ".join(f"{c} {s}" for c, s in out.held_out)
                     + (f"; {_pct(out.swapped)} of the wrong unseen captions name only trained pairs." if out.swapped
                        is not None else ""))
    lines += [f"  {g['part']:6} truth: {g['truth']:40} greedy: {g['greedy']}" for g in out.gallery[:6]]
    if out.run_id:
        lines.append(f"Run {out.run_id} saved in {args.project}.")
    return _emit(args, out.summary(), lines)


def run_zeroshot(args) -> int:
    from workbench.core.studies.sequences.zeroshot import run_zero_shot

    unseen = [u.strip() for u in args.unseen.split(",")] if args.unseen else None
    if args.data and not args.attributes:
        raise WorkbenchError("Zero-shot on your folders needs --attributes FILE.csv (class, attribute columns).")
    out = run_zero_shot(args.data, attributes=args.attributes, unseen=unseen, n_per_class=args.n_per_class,
                        epochs=args.epochs, seed=args.seed, run_store=_store(args), threads=args.threads)
    s = out.scores
    lines = [f"Unseen classes: {', '.join(out.unseen)} (chance among them {_pct(s['chance_unseen'])}).",
             f"Zero-shot by attributes, unseen classes only: {_pct(s['zsl_unseen'])}.",
             f"Plain classifier on the unseen images: {_pct(s['plain_unseen'])} (it only knows the seen classes; "
             f"{_pct(s['plain_seen'])} on held-out seen images).",
             f"All {len(out.classes)} classes competing: unseen {_pct(s['gzsl_unseen'])}, seen {_pct(s['gzsl_seen'])}; "
             f"{_pct(s['gzsl_unseen_called_seen'])} of the unseen images are called a trained class."]
    if out.run_id:
        lines.append(f"Run {out.run_id} saved in {args.project}.")
    return _emit(args, out.summary(), lines)


def run_fewshot(args) -> int:
    from workbench.core.studies.sequences.fewshot import run_few_shot

    try:
        shots = [int(s) for s in args.shots.split(",")] if args.shots else None
    except ValueError:
        raise WorkbenchError(f"--shots {args.shots!r} is not a list of numbers like 1,5,10.") from None
    out = run_few_shot(args.data, shots=shots, episodes=args.episodes, scratch_epochs=args.epochs, seed=args.seed,
                       embedding=args.embedding,
                       run_store=_store(args), threads=args.threads,
                       progress=lambda d, t, s="": sys.stderr.write(f"{s}\n") if sys.stderr.isatty() else None)
    lines = [f"{out.data}: {len(out.classes)} classes, chance {_pct(1 / len(out.classes))}.",
             f"shots  {out.settings['embedding_label']}  small CNN from scratch  (± 95 % interval of the mean over "
             f"{out.settings['episodes']} draws)"]
    lines += [f"{r['shots']:>5}  {_pct(r['prototype']):>10} ± {100 * r['prototype_ci']:.1f}   "
              f"{_pct(r['scratch']):>10} ± {100 * r['scratch_ci']:.1f}" for r in out.curve]
    if out.run_id:
        lines.append(f"Run {out.run_id} saved in {args.project}.")
    return _emit(args, out.summary(), lines)


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="Captions, syntax trees, zero-shot and few-shot learning.",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="sequences_command", metavar="WHAT", required=True)

    q = sub.add_parser("trees", help="sentence -> syntax tree with a GRU encoder-decoder")
    q.add_argument("--grammar", choices=("arithmetic", "english"), default="arithmetic")
    q.add_argument("--no-attention", action="store_true", help="the decoder without attention (the lesson's contrast)")
    q.add_argument("--n-train", type=cli_args.bounded_int(50, 1_000_000))
    q.add_argument("--hidden", type=cli_args.bounded_int(8, 1024))
    q.add_argument("--beam", type=cli_args.bounded_int(0, 16), default=0, help="also score beam search of this width")
    q.add_argument("--parse", help="a sentence to parse with the trained model")
    _common(q)
    q.set_defaults(func=run_trees)

    q = sub.add_parser("captions", help="image -> caption with a CNN encoder and an attention decoder")
    q.add_argument("--captions", help="a CSV with image,caption columns (paths relative to the CSV)")
    q.add_argument("--n", type=cli_args.bounded_int(20, 1_000_000), help="generated scenes")
    q.add_argument("--size", type=cli_args.bounded_int(32, 256))
    q.add_argument("--held-out", type=cli_args.bounded_int(0, 3), help="colour-shape pairs never seen in training")
    q.add_argument("--encoder", choices=("small-cnn", "mobilenet_v2"))
    q.add_argument("--no-attention", action="store_true")
    q.add_argument("--beam", type=cli_args.bounded_int(0, 16))
    _common(q)
    q.set_defaults(func=run_captions)

    q = sub.add_parser("zeroshot", help="recognise classes never seen in training from their attributes")
    q.add_argument("--data", help="a folder with one subfolder per class (default: generated colour x shape)")
    q.add_argument("--attributes", help="CSV: class, one column per attribute, optional unseen column")
    q.add_argument("--unseen", help="comma-separated classes to hold out (default: the CSV's unseen column)")
    q.add_argument("--n-per-class", type=cli_args.bounded_int(4, 100_000))
    _common(q)
    q.set_defaults(func=run_zeroshot)

    q = sub.add_parser("fewshot", help="1, 5, 10 examples per class: prototypes beside a CNN from scratch")
    q.add_argument("--data", default="builtin:mnist", help="builtin:mnist, builtin:digits or an image folder")
    q.add_argument("--shots", help="comma-separated shot counts (default 1,5,10)")
    q.add_argument("--episodes", type=cli_args.bounded_int(1, 100))
    q.add_argument("--embedding", choices=("base", "imagenet"),
                   help="base: a CNN trained on half of the classes embeds the other half (default); imagenet: "
                        "the shipped MobileNetV2 on every class")
    _common(q)
    q.set_defaults(func=run_fewshot)
    return p
