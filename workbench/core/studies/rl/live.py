"""What the live charts of a training draw, kept from the session's payloads (plain Python; the panel
holds one, feeds it the payloads as they arrive and reads ``series()`` on its GUI timer).

Episode returns, their moving average over the last ``window`` episodes, episode lengths, the
evaluation returns, the random agent's return and the loss terms, each thinned to at most
``max_points`` points for drawing.
"""
from __future__ import annotations

from collections import deque


class LiveCurves:
    def __init__(self, window: int = 100):
        self.window = int(window)
        self.clear()

    def clear(self) -> None:
        self.steps: list[int] = []
        self.returns: list[float] = []
        self.lengths: list[int] = []
        self.moving: list[float] = []
        self._recent: deque = deque(maxlen=self.window)
        self.evals: list[tuple[int, float]] = []
        self.losses: dict[str, list[tuple[int, float]]] = {}
        self.random: float | None = None
        self.target: float | None = None
        self.last_step = 0
        self.steps_per_s = 0.0
        self.best: float | None = None
        self.paused = False
        self.version = 0

    def add(self, p: dict) -> None:
        kind = p.get("kind")
        if kind == "random":
            self.random, self.target = p.get("mean"), p.get("target")
        elif kind == "progress":
            for step, ret, length in p.get("episodes") or ():
                self.steps.append(int(step))
                self.returns.append(float(ret))
                self.lengths.append(int(length))
                self._recent.append(float(ret))
                self.moving.append(sum(self._recent) / len(self._recent))
            for k, v in (p.get("losses") or {}).items():
                pts = self.losses.setdefault(k, [])
                if not pts or pts[-1][0] != p["step"]:
                    pts.append((int(p["step"]), float(v)))
            self.last_step = int(p.get("step", self.last_step))
            self.steps_per_s = float(p.get("steps_per_s") or 0.0)
            self.paused = False
        elif kind == "eval":
            self.evals.append((int(p["step"]), float(p["mean"])))
            self.best = p.get("best")
        elif kind == "paused":
            self.paused = True
        else:
            return
        self.version += 1

    @property
    def moving_average(self) -> float | None:
        return self.moving[-1] if self.moving else None

    def series(self, max_points: int = 2000) -> dict:
        def thin(xs, ys):
            step = max(1, len(xs) // max_points)
            return list(xs[::step]), list(ys[::step])

        out = {"episodes": thin(self.steps, self.returns), "moving": thin(self.steps, self.moving),
               "lengths": thin(self.steps, self.lengths),
               "evals": ([s for s, _ in self.evals], [r for _, r in self.evals]),
               "losses": {k: thin([s for s, _ in v], [y for _, y in v]) for k, v in self.losses.items()},
               "random": self.random, "target": self.target}
        return out

    def summary(self) -> str:
        """One line for the status bar."""
        parts = [f"step {self.last_step:,}", f"{len(self.returns):,} episodes"]
        if self.moving:
            parts.append(f"average of the last {min(len(self.returns), self.window)}: {self.moving[-1]:.1f}")
        if self.evals:
            parts.append(f"evaluation {self.evals[-1][1]:.1f} (best {self.best:.1f})" if self.best is not None
                         else f"evaluation {self.evals[-1][1]:.1f}")
        if self.random is not None:
            parts.append(f"random agent {self.random:.1f}")
        if self.steps_per_s:
            parts.append(f"{self.steps_per_s:,.0f} steps/s")
        return "; ".join(parts) + (" (paused)" if self.paused else "")
