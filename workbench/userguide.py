"""The user guide: built from ``docs/`` with MkDocs (Material theme, offline) and shipped with the app.

    python -m workbench.userguide [--strict] [--out DIR]     # build it (scripts/setup.sh does)

Where the built guide is looked for, first found wins: ``$WORKBENCH_GUIDE``; ``resources/guide``
(the frozen app's bundle, or the source tree after set-up); the user's cache folder (built there at
the first Help when neither exists and MkDocs is installed). Pages are addressed by their Markdown
path (``panels/data.md``); the built page is ``panels/data.html`` (no directory URLs: pages open
from the disk without a web server, and the Material theme's offline plugin makes its search work
there too).
"""
from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from workbench.resources import resources_dir

ROOT = Path(__file__).resolve().parent.parent


def project_root() -> Path:
    """The folder with ``mkdocs.yml`` and ``docs/`` (the source tree or the frozen app's bundle)."""
    if getattr(sys, "frozen", False):
        return resources_dir().parent
    return ROOT


def docs_dir() -> Path:
    return project_root() / "docs"


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "workbench" / "guide"


def candidate_sites() -> list[Path]:
    env = os.environ.get("WORKBENCH_GUIDE")
    out = [Path(env)] if env else []
    return out + [resources_dir() / "guide", _cache_dir()]


def build_target() -> Path:
    """Where the first Help builds the guide: $WORKBENCH_GUIDE, else the user's cache folder."""
    env = os.environ.get("WORKBENCH_GUIDE")
    return Path(env) if env else _cache_dir()


def _newest_source() -> float:
    """The newest change to the guide's sources (0 in the frozen app: its guide is built in)."""
    if getattr(sys, "frozen", False) or not docs_dir().is_dir():
        return 0.0
    files = [project_root() / "mkdocs.yml", *docs_dir().rglob("*.md")]
    return max((f.stat().st_mtime for f in files if f.is_file()), default=0.0)


def find_site() -> Path | None:
    """The built guide's folder (with ``index.html``), or None when none was built or the pages
    changed since (a source tree: the first Help builds it again)."""
    newest = _newest_source()
    for d in candidate_sites():
        index = d / "index.html"
        if index.is_file() and index.stat().st_mtime >= newest:
            return d
    return None


def page_html(site: Path, page: str) -> Path:
    """The built file of a Markdown page (``panels/data.md`` -> ``site/panels/data.html``)."""
    page = page.split("#", 1)[0] or "index.md"
    return site / (page[:-3] + ".html" if page.endswith(".md") else page)


def page_exists(page: str) -> bool:
    """Whether ``docs/<page>`` exists (the "?" buttons' pages)."""
    return (docs_dir() / page.split("#", 1)[0]).is_file()


class _Warnings(logging.Handler):
    """Collects MkDocs' warnings, so a failed build says which pages and links are wrong."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage().replace("\n", " "))


def build_guide(out: str | Path | None = None, strict: bool = False) -> Path:
    """Build the guide with MkDocs into ``out`` (default: the user's cache folder); returns it.

    Written to a temporary folder beside ``out`` and renamed into place, so a reader never sees a
    half-built guide. Raises ``workbench.core.errors.WorkbenchError`` when MkDocs is missing or the
    build fails (strict: any warning, e.g. a broken link, fails it)."""
    from workbench.core.errors import WorkbenchError

    try:
        from mkdocs.commands.build import build
        from mkdocs.config import load_config
        from mkdocs.exceptions import MkDocsException
    except ImportError as e:
        raise WorkbenchError("The user guide is not built and MkDocs is not installed; run scripts/setup.sh "
                             "(it installs MkDocs and builds the guide).") from e
    out = Path(out) if out is not None else build_target()
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".guide-", dir=out.parent))
    warnings = _Warnings()
    logging.getLogger("mkdocs").addHandler(warnings)
    try:
        cfg = load_config(str(project_root() / "mkdocs.yml"), site_dir=str(tmp), strict=strict)
        cfg.plugins.on_startup(command="build", dirty=False)
        try:
            build(cfg)
        finally:
            cfg.plugins.on_shutdown()
    except (MkDocsException, SystemExit, OSError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise WorkbenchError(f"The user guide could not be built ({e}): " + " ".join(warnings.messages[:5])
                             + " Fix the pages in docs/ and build again.") from e
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        logging.getLogger("mkdocs").removeHandler(warnings)
    if out.exists():
        old = out.with_name(out.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)
    return out


def main(argv: list[str] | None = None) -> int:
    import argparse

    from workbench.core.errors import WorkbenchError

    ap = argparse.ArgumentParser(description="Build the user guide from docs/ with MkDocs.")
    ap.add_argument("--out", default=str(resources_dir() / "guide"), help="where to write it (default: %(default)s)")
    ap.add_argument("--strict", action="store_true", help="fail on any warning (broken links included)")
    args = ap.parse_args(argv)
    try:
        site = build_guide(args.out, strict=args.strict)
    except WorkbenchError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"user guide built in {site}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
