"""Time from launch to the main window shown, for the source install and the frozen app (target < 2 s).

    .venv/bin/python benchmarks/startup.py [--runs 5] [--frozen dist/workbench/workbench] [--importtime]

Each run starts a fresh process with ``WORKBENCH_STARTUP_PROBE=1``: the app prints
``workbench-window-painted <wall clock>`` at the main window's first paint and
``workbench-window-ready <wall clock>`` once ``MainWindow.start()`` has built the first panel
(see ``workbench.ui.startup_probe.install_startup_probe``), then quits. Times are those wall clocks minus
the wall clock just before the process was spawned, so they include interpreter start-up (or the
frozen app's bootloader), imports, the QApplication and the window. "shown" is the first paint. Settings
go to a fresh temporary folder each run (a first launch). Runs offscreen unless --display.

``--importtime`` runs the source start once under ``python -X importtime`` and prints the modules
that cost most before the window showed (cumulative), to find what is imported eagerly.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 2.0
PAINTED = "workbench-window-painted"
READY = "workbench-window-ready"
LAST_CPU: list[float] = []


def launch_once(cmd: list[str], display: bool, timeout: float = 120.0) -> tuple[float, float, list[str]]:
    """(seconds to the first paint, seconds to the first panel, output lines before the paint).
    The CPU seconds the app had used when its first panel was ready go to ``LAST_CPU`` (on a busy
    machine they say more than the wall clock)."""
    with tempfile.TemporaryDirectory(prefix="workbench-startup-") as cfg:
        env = dict(os.environ, WORKBENCH_STARTUP_PROBE="1", WORKBENCH_CONFIG_DIR=cfg, PYTHONUNBUFFERED="1")
        if not display:
            env["QT_QPA_PLATFORM"] = "offscreen"
        t0 = time.time()
        # One pipe for both streams keeps their order: what -X importtime printed before the marker
        # was imported before the window showed (the device probe imports torch afterwards).
        p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                             cwd=str(ROOT))
        painted = ready = None
        before: list[str] = []
        try:
            for line in p.stdout:
                if line.startswith(PAINTED):
                    painted = float(line.split()[1]) - t0
                elif line.startswith(READY):
                    ready = float(line.split()[1]) - t0
                    parts = line.split()
                    LAST_CPU[:] = [float(parts[2])] if len(parts) > 2 else []
                    break
                elif painted is None:
                    before.append(line)
            p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
        if painted is None or ready is None:
            raise RuntimeError(f"{' '.join(cmd)} never showed its window (exit {p.returncode}):\n"
                               + "".join(before[-40:]))
        return painted, ready, before


def measure(label: str, cmd: list[str], runs: int, display: bool) -> dict:
    shown, ready, cpu = [], [], []
    for _ in range(runs):
        s, r, _ = launch_once(cmd, display)
        shown.append(s)
        ready.append(r)
        cpu.extend(LAST_CPU)
    med = statistics.median(shown)
    verdict = "ok" if med < TARGET_S else f"over the {TARGET_S:.0f} s target"
    gap = statistics.median(r - s for r, s in zip(ready, shown))
    print(f"{label:<8} window shown: median {med:.2f} s (min {min(shown):.2f}, max {max(shown):.2f}); "
          f"first panel ready: median {statistics.median(ready):.2f} s ({gap:.2f} s after the window showed"
          + (f"; {statistics.median(cpu):.2f} CPU-s used by then" if cpu else "") + f"); {runs} runs  {verdict}")
    print(f"         {' '.join(cmd)}")
    return {"label": label, "shown_median": med, "ready_median": statistics.median(ready), "runs": runs}


def importtime_report(display: bool, top: int = 25) -> None:
    """Which modules were imported before the window showed, and what they cost (cumulative, self)."""
    cmd = [sys.executable, "-X", "importtime", "-m", "workbench"]
    _, _, before = launch_once(cmd, display)
    rows = []
    for line in before:
        if not line.startswith("import time:") or "|" not in line:
            continue
        parts = line[len("import time:"):].split("|")
        try:
            self_us, cum_us = int(parts[0]), int(parts[1])
        except ValueError:
            continue
        name = parts[2].rstrip()
        rows.append((cum_us, self_us, len(name) - len(name.lstrip()), name.strip()))
    total = sum(r[1] for r in rows) / 1e6
    print(f"\n-X importtime: {len(rows)} modules imported before the window showed, {total:.2f} s in imports")
    heavy = ("torch", "sklearn", "scipy", "cv2", "skimage", "pyqtgraph", "numpy", "pandas", "sounddevice", "PIL")
    tops = {r[3].split(".")[0] for r in rows}
    print("heavy packages loaded eagerly: " + (", ".join(h for h in heavy if h in tops) or "none"))
    print(f"top {top} by cumulative time (top-level imports, depth 1-2):")
    for cum, self_, depth, name in sorted(rows, reverse=True)[:top]:
        print(f"  {cum / 1e6:7.3f} s cum  {self_ / 1e6:7.3f} s self  {'  ' * max(0, (depth - 1) // 2)}{name}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--frozen", default=str(ROOT / "dist" / "workbench" / ("workbench.exe" if os.name == "nt" else "workbench")),
                    help="the frozen app's executable (skipped when it does not exist)")
    ap.add_argument("--display", action="store_true", help="use the real display instead of offscreen")
    ap.add_argument("--importtime", action="store_true", help="also list the imports before the window shows")
    args = ap.parse_args()

    print(f"startup time to the main window (target < {TARGET_S:.0f} s), machine load {os.getloadavg()[0]:.1f} "
          f"on {os.cpu_count()} CPUs")
    results = [measure("source", [sys.executable, "-m", "workbench"], args.runs, args.display)]
    if Path(args.frozen).is_file():
        results.append(measure("frozen", [args.frozen], args.runs, args.display))
    else:
        print(f"frozen   skipped: {args.frozen} not built (packaging/build_linux.sh)")
    if args.importtime:
        importtime_report(args.display)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
