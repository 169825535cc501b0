"""How fast Stop acts, for a task run by the one task runner (Day'n'Night at its defaults).

    python benchmarks/stop_latency.py [--n 10000] [--size 64]

Stop is pressed (``Trainer.request_stop`` from another thread, as the GUI's Stop button does)
1. while the data are being prepared (1 s after the call), and
2. during training (3 s after the first batch).
Printed: seconds from Stop to the call's return, beside the duration of one training batch (the
fair reference: a cooperative stop cannot act faster than the batch that is running). Target:
<= 2 s from Stop to return on an idle machine at the defaults; say the machine's load with the figure.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def measure(ds, size: int, when: str) -> dict:
    from workbench.core.errors import Cancelled
    from workbench.core.studies.daynight.model import train_daynight
    from workbench.core.training import Callback, Trainer

    fit_started = threading.Event()
    t: dict = {"batches": []}

    class Watch(Callback):
        def on_fit_start(self, trainer):
            fit_started.set()

        def on_batch_end(self, trainer, info):
            t["batches"].append(time.perf_counter())

    trainer = Trainer([Watch()])

    def press_stop():
        if when == "prepare":
            time.sleep(1.0)
        else:
            fit_started.wait()
            time.sleep(3.0)
        t["stop"] = time.perf_counter()
        trainer.request_stop()

    threading.Thread(target=press_stop, daemon=True).start()
    try:
        out = train_daynight(ds, size, trainer=trainer)
        ended = f"{len(out.fit.history)} epoch(s), {out.fit.stop_reason}"
    except Cancelled as e:
        ended = str(e)
    back = time.perf_counter()
    b = t["batches"]
    batch_s = (b[-1] - b[0]) / (len(b) - 1) if len(b) > 1 else None
    return {"stop_pressed": when, "stop_to_return_s": round(back - t["stop"], 2),
            "one_batch_s": round(batch_s, 3) if batch_s else None, "ended": ended}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=10_000)
    ap.add_argument("--size", type=int, default=64)
    args = ap.parse_args(argv)
    from workbench.core.studies.daynight.data import generate_dataset

    ds = generate_dataset(n=args.n, size=args.size, seed=0)
    rows = [measure(ds, args.size, w) for w in ("prepare", "prepare", "train")]  # the first pays cold imports
    print(json.dumps({"load_average": os.getloadavg()[0], "n": args.n, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
