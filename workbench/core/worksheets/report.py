"""A worksheet question's HTML report: the question, every answer's score over seeds, its charts and
pictures, the verdict and the explanation. Self-contained like the lessons' reports (charts as
inline SVG, pictures as inline PNG), built with the lessons' report pieces."""
from __future__ import annotations

import base64
import datetime as _dt
import html
import os
from pathlib import Path

import numpy as np

from workbench.core.experiments.report import CSS, chart_svg, save_report, table_html
from workbench.core.worksheets.base import QuestionResult, choice_sentence

EXTRA_CSS = """.answers{display:flex;flex-wrap:wrap;gap:1em}.answer{border:1px solid #ddd;padding:.5em 1em;flex:1 1 420px}
.right{border-color:#2ca02c;border-width:2px}.chosen{background:#fffbe6}img.pic{max-width:100%;image-rendering:pixelated}"""


def png_data_uri(image: np.ndarray) -> str:
    """An image (uint8 HxWx3 RGB or HxW) as a data: URI holding a PNG."""
    import cv2

    img = np.ascontiguousarray(np.asarray(image, np.uint8))
    if img.ndim == 3 and img.shape[2] == 3:
        img = np.ascontiguousarray(img[..., ::-1])
    ok, buf = cv2.imencode(".png", img)
    if not ok:  # pragma: no cover - only for impossible images
        return ""
    return "data:image/png;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def question_report_html(results: list[QuestionResult], title: str | None = None) -> str:
    from workbench import __version__

    title = title or (f"{results[0].topic}: {results[0].text}" if len(results) == 1 else "Workbench worksheet")
    out = [f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
           f"<style>{CSS}\n{EXTRA_CSS}</style></head><body>", f"<h1>{html.escape(title)}</h1>",
           f"<p class='meta'>Made with Workbench {__version__} on {_dt.datetime.now():%Y-%m-%d %H:%M}.</p>"]
    for r in results:
        out.append(f"<h2>{html.escape(r.question_id)} — {html.escape(r.topic)}: {html.escape(r.text)} "
                   f"<span class='meta'>({r.mode} mode, seeds {', '.join(map(str, r.seeds))}, {r.seconds:.0f} s)</span></h2>")
        choice = choice_sentence(r)
        if choice:
            out.append(f"<p><b>{html.escape(choice)}</b></p>")
        cls = {"contradicts": "conclusion contradicts", "inconclusive": "conclusion inconclusive"}.get(
            r.outcome, "conclusion")
        out.append(f"<div class='{cls}'><b>Computed from these runs:</b> {html.escape(r.conclusion)}</div>")
        better = "higher" if r.higher_is_better else "lower"
        rows = [{"answer": a.label, "right": "yes" if a.correct else "", f"{r.metric} (mean, {better} is better)": a.mean,
                 "spread": a.spread, "per seed": ", ".join(f"{s:.4g}" for s in a.scores),
                 "seconds per seed": a.seconds, **{k: v for k, v in a.details.items() if isinstance(v, (int, float))}}
                for a in r.answers]
        out.append(table_html(rows))
        if r.parts:
            prow = [{"term": p["text"], "your answer": p.get("chosen") or "—", "right answer": ", ".join(p["correct"]),
                     "right?": {True: "yes", False: "no", None: "—"}[p.get("right")]} for p in r.parts]
            out.append(table_html(prow))
        out.append("<div class='answers'>")
        for a in r.answers:
            klass = "answer" + (" right" if a.correct else "") + (" chosen" if a.key == r.chosen else "")
            out.append(f"<div class='{klass}'><h3>{html.escape(a.label)}{' ✔ the slide’s answer' if a.correct else ''}"
                       f"</h3><p>{html.escape(a.summary)}</p>")
            for c in a.charts:
                out.append(f"<p>{chart_svg(c, 440, 260)}</p>")
            for p in a.pictures:
                if getattr(p.image, "size", 0):
                    out.append(f"<p class='meta'>{html.escape(p.title)}</p>"
                               f"<img class='pic' alt='{html.escape(p.title)}' src='{png_data_uri(p.image)}'/>")
            out.append("</div>")
        out.append("</div>")
        out.append(f"<h3>Why</h3><p>{html.escape(r.explanation)}</p>")
    out.append("</body></html>")
    return "\n".join(out)


def write_question_report(path: str | os.PathLike, results: list[QuestionResult]) -> Path:
    """Write the report: ``path`` ending in .html is the file, anything else a folder that gets
    ``<question id>.html``. Returns the file written."""
    p = Path(path)
    if p.suffix.lower() not in (".html", ".htm"):
        from workbench.core.safety import sanitize_name

        p.mkdir(parents=True, exist_ok=True)
        p = p / (sanitize_name(results[0].question_id if len(results) == 1 else "worksheet") + ".html")
    save_report(p, question_report_html(results))
    return p
