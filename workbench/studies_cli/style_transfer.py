"""``workbench style``: neural style transfer from the command line.

    workbench style run CONTENT STYLE --out result.png [--size 256 --steps 100 --backbone mobilenet_v2
                        --content-weight 1 --style-weight 1e5 --tv-weight 1 --init content --optimizer lbfgs
                        --keep-colors --mask mask.png --weights vgg19.pth --content-layer L --style-layers A,B]
    workbench style samples                      list bundled photos, style textures and backbone layers
    workbench style texture NAME OUT.png [--size 512 --seed 0]

CONTENT and STYLE are image files, ``sample:<photo>`` (astronaut, chelsea, coffee, rocket, china,
flower) or ``style:<texture>`` (swirls, mosaic, brush, stripes, dots). ``--out`` gets the PNG and a
JSON file with the settings and final losses next to it.
"""
from __future__ import annotations

import argparse
import sys

from workbench.core.errors import WorkbenchError
from workbench.studies_cli import study_parser
from workbench.core import params as P

NAME = "style"


def register(subparsers) -> argparse.ArgumentParser:
    p, sub = study_parser(subparsers, NAME, "Case study style transfer: run Gatys' method on two images.", __doc__,
                          ["run", "samples", "texture"])
    r = sub.add_parser("run", help="stylize CONTENT with STYLE and save a PNG + settings JSON")
    r.add_argument("content", help="image file, sample:<photo> or style:<texture>")
    r.add_argument("style", help="image file, sample:<photo> or style:<texture>")
    r.add_argument("--out", required=True, help="output PNG path (a .json with the settings goes next to it)")
    r.add_argument("--size", type=P.IMAGE_SIDE.arg_type, default=256, help="long side of the working image in pixels (default 256)")
    r.add_argument("--steps", type=P.STEPS.arg_type, default=100, help="iterations (default 100)")
    r.add_argument("--backbone", default="mobilenet_v2", choices=["mobilenet_v2", "efficientnet_lite0", "vgg19"])
    r.add_argument("--weights", default="", help="VGG-19: torchvision vgg19 weights file")
    r.add_argument("--content-layer", default="", help="default: the backbone's (see `workbench style samples`)")
    r.add_argument("--style-layers", default="", help="comma-separated layer names")
    r.add_argument("--content-weight", type=P.param(P.WEIGHT, label="content weight").arg_type, default=1.0)
    r.add_argument("--style-weight", type=P.param(P.WEIGHT_OR_AUTO, label="style weight").arg_type, default=None,
                   help="default per backbone: 1e5 MobileNetV2, 10 EfficientNet-Lite0, 1e6 VGG-19")
    r.add_argument("--tv-weight", type=P.param(P.WEIGHT, label="tv weight").arg_type, default=1.0)
    r.add_argument("--init", default="content", choices=["content", "noise", "style"])
    r.add_argument("--optimizer", default="lbfgs", choices=["lbfgs", "adam"])
    r.add_argument("--lr", type=P.LR_OR_AUTO.arg_type, default=0.0, help="0: 1.0 for L-BFGS, 0.02 for Adam")
    r.add_argument("--keep-colors", action="store_true", help="keep the content image's colours (luminance transfer)")
    r.add_argument("--mask", default="", help="grey image: style only where it is white")
    r.add_argument("--seed", type=P.SEED.arg_type, default=0)
    r.add_argument("--report-every", type=P.param(P.REPORT_EVERY, label="report every").arg_type, default=10, help="print the losses every N iterations")
    r.add_argument("--threads", type=P.THREADS.arg_type, default=None, help="torch CPU threads")
    sub.add_parser("samples", help="list bundled photos, style textures and each backbone's layers")
    t = sub.add_parser("texture", help="write a generated style texture as PNG")
    t.add_argument("name")
    t.add_argument("out")
    t.add_argument("--size", type=P.IMAGE_SIDE.arg_type, default=512)
    t.add_argument("--seed", type=P.SEED.arg_type, default=0)
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    try:
        return _run(args)
    except WorkbenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2


def _run(args) -> int:
    from workbench.core.studies import style_transfer as stm

    if args.style_cmd == "samples":
        print("photos:   " + ", ".join(f"sample:{n}" for n in stm.SAMPLE_PHOTOS))
        print("textures: " + ", ".join(f"style:{n}" for n in stm.STYLE_NAMES))
        for name in ("mobilenet_v2", "efficientnet_lite0"):
            info = stm.get_backbone(name)
            print(f"{name}: layers {', '.join(info.layer_names)}; default content {info.default_content}, "
                  f"style {','.join(info.default_style)}")
        print("vgg19: needs --weights (torchvision vgg19 file); layers relu1_1..relu5_4, pool1..pool5")
        return 0
    if args.style_cmd == "texture":
        p = stm.save_png(args.out, stm.generate_style(args.name, args.size, args.seed))
        print(p)
        return 0

    import numpy as np

    from workbench.core.studies.style_transfer.transfer import check_result_target

    check_result_target(args.out)  # before minutes of work: a JSON of that name that is not ours is kept
    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    content = stm.resolve_image(args.content, size=max(args.size, 256), seed=args.seed)
    style = stm.resolve_image(args.style, size=max(args.size, 256), seed=args.seed)
    mask = None
    if args.mask:
        mask = stm.load_image(args.mask).astype(np.float32).mean(-1) / 255
    extra = {} if args.style_weight is None else {"style_weight": args.style_weight}
    settings = stm.StyleSettings.for_backbone(
        args.backbone, weights_path=args.weights, content_layer=args.content_layer,
        style_layers=[s for s in args.style_layers.split(",") if s], content_weight=args.content_weight,
        tv_weight=args.tv_weight, init=args.init, optimizer=args.optimizer,
        lr=args.lr, size=args.size, keep_colors=args.keep_colors, seed=args.seed,
        report_every=max(1, args.report_every), **extra)
    st = stm.StyleTransfer(content, style, settings, mask=mask)

    shown = set()

    def show(p):
        if p.iteration in shown:
            return
        shown.add(p.iteration)
        print(f"iter {p.iteration:5d}  total {p.total:.4g}  content {p.content:.4g}  style {p.style:.4g}  "
              f"tv {p.tv:.4g}  {p.its_per_s:.2f} it/s", flush=True)

    st.add_callback(show)
    try:
        st.run(args.steps)
    except KeyboardInterrupt:  # keep what we have
        print("interrupted; saving the current image", file=sys.stderr)
    png, js = st.save(args.out, {"content_source": args.content, "style_source": args.style,
                                 "mask_source": args.mask})
    print(f"saved {png} and {js}")
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="workbench")
    register(ap.add_subparsers(dest="cmd"))
    args = ap.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
