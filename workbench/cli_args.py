"""Argument types shared by every ``workbench`` subcommand: a bad value is one sentence from
argparse (exit status 2) before any work starts, never a traceback or a 500 GB allocation."""
from __future__ import annotations

import argparse


def _number(text: str, kind, what: str):
    try:
        return kind(text)
    except (TypeError, ValueError):
        raise argparse.ArgumentTypeError(f"{text!r} is not {what}") from None


def positive_int(text: str) -> int:
    """A whole number >= 1 (epochs, batch size, threads, counts)."""
    v = _number(text, int, "a whole number")
    if v < 1:
        raise argparse.ArgumentTypeError(f"{v} is too small; give a whole number of at least 1")
    return v


def nonnegative_int(text: str) -> int:
    v = _number(text, int, "a whole number")
    if v < 0:
        raise argparse.ArgumentTypeError(f"{v} is negative; give 0 or more")
    return v


def positive_float(text: str) -> float:
    v = _number(text, float, "a number")
    if not (v > 0) or v == float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive number")
    return v


def fraction(text: str) -> float:
    """A number in [0, 1)."""
    v = _number(text, float, "a number")
    if not (0.0 <= v < 1.0):
        raise argparse.ArgumentTypeError(f"{text!r} must be a fraction between 0 and 1 (e.g. 0.2)")
    return v


def bounded_int(lo: int, hi: int):
    def parse(text: str) -> int:
        v = _number(text, int, "a whole number")
        if not lo <= v <= hi:
            raise argparse.ArgumentTypeError(f"{v} is out of range; give a whole number from {lo} to {hi}")
        return v

    parse.__name__ = f"int {lo}..{hi}"
    return parse


def image_size(text: str) -> tuple[int, int]:
    """'WIDTHxHEIGHT' (or one number for a square) -> (height, width), each side 4..4096."""
    from workbench.core.data.images import MAX_IMAGE_SIDE

    w, _, h = str(text).lower().partition("x")
    try:
        width, height = int(w), int(h or w)
    except ValueError:
        raise argparse.ArgumentTypeError(f"cannot read the image size {text!r}; write it as WIDTHxHEIGHT, "
                                         "e.g. 64x64") from None
    if min(width, height) < 4 or max(width, height) > MAX_IMAGE_SIDE:
        raise argparse.ArgumentTypeError(f"the image size {width}x{height} is out of range; each side must be "
                                         f"between 4 and {MAX_IMAGE_SIDE} pixels")
    return height, width


def split_plan(text: str) -> str:
    """A split plan ("holdout:0.2,0.2", "iterated-kfold:3x5", ...) checked before any data is read;
    the text itself is returned (the run parses it again with its seed)."""
    from workbench.core.data.splits import SplitPlan
    from workbench.core.errors import WorkbenchError

    try:
        SplitPlan.parse(text)
    except WorkbenchError as e:
        raise argparse.ArgumentTypeError(str(e).rstrip(".")) from None
    return text


def cluster_address(text: str) -> str:
    """'inline', 'local' or a Dask scheduler address (tcp://HOST:PORT), its form checked at once."""
    if text in ("inline", "local", ""):
        return text
    from workbench.core.errors import WorkbenchError
    from workbench.core.tuning.executors import check_address

    try:
        return check_address(text, probe=False)
    except WorkbenchError as e:
        raise argparse.ArgumentTypeError(str(e).rstrip(".")) from None


def emit(args, obj: dict, text) -> int:
    """Print a command's result: ``obj`` as one line of JSON with ``--json``, else ``text`` (a
    string or a list of lines). Returns the exit status 0."""
    if getattr(args, "json", False):
        from workbench.core.jsonio import to_json

        print(to_json(obj, indent=None))
    else:
        print(text if isinstance(text, str) else "\n".join(text))
    return 0
