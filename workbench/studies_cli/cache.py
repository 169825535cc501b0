"""``workbench cache``: how much disk the image cache takes, and clearing it.

    workbench cache [show] [--json]
    workbench cache clear [--json]

Image folders too large for memory are decoded once into this cache and streamed from it during
training (see ``workbench.core.data.image_cache``); the Data panel shows the same figure and
clears it with the same call. ``$WORKBENCH_CACHE`` moves the cache to another folder.
"""
from __future__ import annotations

import argparse
import json

NAME = "cache"


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(NAME, help="show or clear the on-disk cache of image folders too large for memory",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("action", nargs="?", choices=("show", "clear"), default="show")
    p.add_argument("--json", action="store_true", help="print the result as one JSON object")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from workbench.core.data.image_cache import cache_size, clear_cache
    from workbench.core.memory import format_bytes

    if args.action == "clear":
        freed = clear_cache()
        out = {"cleared": True, "freed_bytes": freed["bytes"], "entries": freed["entries"], "path": freed["path"]}
        text = f"Cleared {freed['entries']} cached image folder(s), {format_bytes(freed['bytes'])} freed ({freed['path']})."
    else:
        out = cache_size()
        text = f"{out['entries']} cached image folder(s), {format_bytes(out['bytes'])} in {out['path']}."
    print(json.dumps(out) if args.json else text)
    return 0
