"""Self-contained HTML reports (charts as inline SVG images; no scripts, no external files)."""
from __future__ import annotations

import datetime as _dt
import html
import math
from typing import Any, Iterable

from workbench.core.experiments.base import Chart, ExperimentResult

PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"]


def _finite(vals: Iterable[float]) -> list[float]:
    out = []
    for v in vals:
        try:
            f = float(v)
        except (TypeError, ValueError):
            continue
        if math.isfinite(f):
            out.append(f)
    return out


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step) + 1)]


def chart_svg(chart: Chart, width: int = 640, height: int = 320) -> str:
    """Render a Chart as a standalone SVG element (lines, dashed lines or points, axes, legend)."""
    ml, mr, mt, mb = 64, 16, 34, 46
    pw, ph = width - ml - mr, height - mt - mb
    xs = _finite(x for s in chart.series for x in s.x)
    ys = _finite(y for s in chart.series for y in s.y)
    if chart.log_y:
        ys = [y for y in ys if y > 0]
    if not xs or not ys:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">'
                f'<text x="20" y="40">{html.escape(chart.title)}: no data</text></svg>')
    x0, x1 = min(xs), max(xs)
    if x0 == x1:
        x0, x1 = x0 - 1, x1 + 1
    tf = (lambda v: math.log10(v)) if chart.log_y else (lambda v: v)
    y0, y1 = tf(min(ys)), tf(max(ys))
    if y0 == y1:
        y0, y1 = y0 - 0.5, y1 + 0.5
    pad = 0.05 * (y1 - y0)
    y0, y1 = y0 - pad, y1 + pad

    def px(x):
        return ml + (x - x0) / (x1 - x0) * pw

    def py(y):
        return mt + ph - (tf(y) - y0) / (y1 - y0) * ph

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
             f'<rect width="{width}" height="{height}" fill="white"/>',
             f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">{html.escape(chart.title)}</text>',
             f'<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>']
    for t in _ticks(x0, x1):
        parts.append(f'<line x1="{px(t):.1f}" y1="{mt + ph}" x2="{px(t):.1f}" y2="{mt + ph + 4}" stroke="#888"/>'
                     f'<text x="{px(t):.1f}" y="{mt + ph + 16}" text-anchor="middle">{t:g}</text>')
    for t in _ticks(y0, y1):
        val = 10 ** t if chart.log_y else t
        yy = mt + ph - (t - y0) / (y1 - y0) * ph
        parts.append(f'<line x1="{ml}" y1="{yy:.1f}" x2="{ml + pw}" y2="{yy:.1f}" stroke="#eee"/>'
                     f'<text x="{ml - 6}" y="{yy + 4:.1f}" text-anchor="end">{val:.3g}</text>')
    parts.append(f'<text x="{ml + pw / 2}" y="{height - 8}" text-anchor="middle">{html.escape(chart.xlabel)}</text>')
    parts.append(f'<text transform="translate(14 {mt + ph / 2}) rotate(-90)" text-anchor="middle">{html.escape(chart.ylabel)}</text>')
    for i, s in enumerate(chart.series):
        color = PALETTE[i % len(PALETTE)]
        pts = [(px(float(x)), py(float(y))) for x, y in zip(s.x, s.y)
               if _finite([x, y]) == [float(x), float(y)] and (not chart.log_y or float(y) > 0)]
        if s.style == "points" or len(pts) == 1:
            parts += [f'<circle cx="{a:.1f}" cy="{b:.1f}" r="4" fill="{color}"/>' for a, b in pts]
        elif pts:
            dash = ' stroke-dasharray="6 4"' if s.style == "dash" else ""
            d = " ".join(f"{a:.1f},{b:.1f}" for a, b in pts)
            parts.append(f'<polyline points="{d}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        ly = mt + 12 + 14 * i
        parts.append(f'<rect x="{ml + pw - 170}" y="{ly - 8}" width="10" height="10" fill="{color}"/>'
                     f'<text x="{ml + pw - 155}" y="{ly + 1}">{html.escape(s.label[:28])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _cell(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if math.isfinite(v) else "n/a"
    if v is None:
        return "—"
    return html.escape(str(v))


def table_html(rows: list[dict]) -> str:
    if not rows:
        return ""
    cols: list[str] = []
    for r in rows:
        cols += [c for c in r if c not in cols]
    head = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
    body = "".join("<tr>" + "".join(f"<td>{_cell(r.get(c))}</td>" for c in cols) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


CSS = """body{font-family:sans-serif;max-width:960px;margin:2em auto;color:#222;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:1.6em;border-bottom:1px solid #ddd}
.conclusion{background:#f3f8ff;border-left:4px solid #1f77b4;padding:.6em 1em}
.contradicts{background:#fff5f0;border-left-color:#d62728}
.inconclusive{background:#f6f6f6;border-left-color:#999}
table{border-collapse:collapse;margin:.6em 0;font-size:.9em}td,th{border:1px solid #ccc;padding:3px 8px;text-align:left}
th{background:#f4f4f4}.meta{color:#666;font-size:.85em}"""


def experiment_report_html(results: list[ExperimentResult], title: str | None = None, explanations: dict | None = None) -> str:
    """One self-contained HTML page for one or more experiment results."""
    from workbench import __version__

    title = title or (results[0].title if len(results) == 1 else "Workbench experiments")
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>{CSS}</style></head><body>",
           f"<h1>{html.escape(title)}</h1>",
           f"<p class='meta'>Made with Workbench {__version__} on {_dt.datetime.now():%Y-%m-%d %H:%M}.</p>"]
    for r in results:
        out.append(f"<h2>{html.escape(r.title)} <span class='meta'>({r.mode} mode, {r.seconds:.0f} s)</span></h2>")
        if explanations and r.name in explanations:
            out.append(f"<p>{html.escape(explanations[r.name])}</p>")
        cls = {"contradicts": "conclusion contradicts", "inconclusive": "conclusion inconclusive"}.get(
            r.outcome, "conclusion") if r.verdict is not None else "conclusion"
        out.append(f"<div class='{cls}'><b>Conclusion (computed from these runs):</b> {html.escape(r.conclusion)}</div>")
        for c in r.charts:
            out.append(f"<p>{chart_svg(c)}</p>")
        out.append(table_html(r.table))
        if r.settings:
            out.append("<p class='meta'>Settings: " + html.escape(", ".join(f"{k} = {v}" for k, v in r.settings.items())) + "</p>")
    out.append("</body></html>")
    return "\n".join(out)


def runs_report_html(runs: list[dict], title: str = "Run comparison") -> str:
    """Compare stored runs (run.json dicts): validation-loss overlay, settings and scores side by side."""
    from workbench.core.experiments.base import Series

    series = []
    rows = []
    for r in runs:
        hist = r.get("history") or (r.get("fit") or {}).get("history") or []
        label = str(r.get("name") or r.get("run_id") or r.get("id") or "run")
        xs = [float(h.get("epoch", i + 1)) for i, h in enumerate(hist)]
        ys = [h.get("val_loss") if h.get("val_loss") is not None else float("nan") for h in hist]
        series.append(Series(label, xs, ys))
        spec = r.get("spec") or r.get("model") or {}
        test = r.get("test_metrics") or r.get("test") or {}
        rows.append({"run": label, "model": spec.get("name", "") if isinstance(spec, dict) else str(spec),
                     "epochs": len(hist), **{f"test {k}": v for k, v in test.items() if isinstance(v, (int, float))}})
    chart = Chart("Validation loss", "epoch", "validation loss", series)
    res = ExperimentResult(name="runs", title=title, mode="runs", figures={}, charts=[chart], table=rows,
                           conclusion=_runs_conclusion(rows))
    return experiment_report_html([res], title=title)


def _runs_conclusion(rows: list[dict]) -> str:
    keys = [k for k in (rows[0] if rows else {}) if k.startswith("test ")]
    if not rows or not keys:
        return f"{len(rows)} runs compared; none has test metrics yet."
    k = "test accuracy" if "test accuracy" in keys else keys[0]
    lower_better = any(s in k for s in ("loss", "mae", "mse"))
    best = (min if lower_better else max)(rows, key=lambda r: r.get(k, float("inf") if lower_better else -float("inf")))
    return f"Best {k[5:]} on the test set: {best['run']} ({_cell(best.get(k))}) among {len(rows)} runs."


def save_report(path, html_text: str) -> None:
    from workbench.core.jsonio import atomic_write_text

    atomic_write_text(path, html_text)
