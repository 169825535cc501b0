"""Figures per held-out engine, and the table of operating points measured on unseen engines that
is saved with a model (the panel shows it beside the sensitivity; nothing is computed there).

``engine_figures`` splits a held-out measurement by engine, ``worst_engine`` names the engine
furthest from the goal (<= 5 % false rejects at <= 0.5 false accepts an hour), ``unseen_table``
turns a ``HeldoutReport`` into the small JSON table stored in ``model.metrics["unseen_engines"]``
and ``expected_at`` reads the row for a threshold from it.
"""
from __future__ import annotations

from workbench.core.studies.trigger_word.engines import ENGINES, engine_of

FRR_GOAL, FA_GOAL = 0.05, 0.5


def engine_figures(pos, speech, point) -> dict:
    """{engine: {frr, positives, false_accepts, hours, fa_per_hour}} at ``point`` (an
    operating.Point): FRR over the engine's positives said in a pause or over speech (the
    positives followed by speech are a group of their own), false accepts on its speech."""
    counts: dict[str, int] = {}
    for st in pos:
        for lab in st.labels:
            e = engine_of(lab)
            if e in ENGINES:
                counts[e] = counts.get(e, 0) + 1
    out = {}
    for st in speech:  # stream names are "<split> <engine> speech"
        parts = st.name.split(" ")
        e = parts[1] if len(parts) > 2 else st.name
        f = point.fa_by_stream.get(st.name, {"false_accepts": 0, "hours": 0.0, "per_hour": 0.0})
        out[e] = {"frr": float(point.frr_by_label.get(e, float("nan"))), "positives": counts.get(e, 0),
                  "false_accepts": int(f["false_accepts"]), "hours": float(f["hours"]),
                  "fa_per_hour": float(f["per_hour"])}
    for e, n in counts.items():
        out.setdefault(e, {"frr": float(point.frr_by_label.get(e, float("nan"))), "positives": n,
                           "false_accepts": 0, "hours": 0.0, "fa_per_hour": 0.0})
    for e, d in out.items():  # which of the engine's voices are missed
        d["frr_by_voice"] = {v.split(" ", 1)[1]: float(f) for v, f in getattr(point, "frr_by_voice", {}).items()
                             if engine_of(v) == e and " " in v}
    return out


def goal_gap(d: dict) -> float:
    """How far one engine's figures are from the goal: the larger of FRR / 5 % and FA/h / 0.5
    (<= 1 means the goal is met)."""
    frr = d["frr"] if d["frr"] == d["frr"] else 0.0
    return max(frr / FRR_GOAL, d["fa_per_hour"] / FA_GOAL if d.get("hours") else 0.0)


def worst_engine(by_engine: dict) -> str | None:
    """The engine furthest from the goal."""
    return max(by_engine, key=lambda e: goal_gap(by_engine[e])) if by_engine else None


def unseen_table(report) -> dict:
    """What a model keeps of its measurement on unseen engines (``HeldoutReport``): the engines,
    hours and positives, the figures at its operating point and the curve over the threshold
    (with the verifier when it has one, at the stored smoothing)."""
    op = report.operating_point
    rows = []
    for r in report.curve:
        frr, fa = (r["frr_v"], r["fa_speech_v"]) if "frr_v" in r else (r["frr"], r["fa_speech"])
        rows.append({"threshold": float(r["threshold"]), "frr": float(frr), "fa_per_hour": float(fa),
                     "by_engine": r.get("by_engine", {})})
    a = report.at_operating_point
    hours = sum(d["hours"] for d in report.by_engine.values())
    return {"engines": sorted(report.by_engine), "speech_hours": hours, "positives": int(a.get("positives", 0)),
            "smoothing": op["smoothing"], "verifier_threshold": op.get("verifier_threshold"),
            "chosen_on": op.get("chosen_on", ""), "at_operating_point": {
                "threshold": op["threshold"], "frr": float(a["frr"]),
                "fa_per_hour": float(sum(d["false_accepts"] for d in report.by_engine.values()) / hours)
                if hours else 0.0},
            "by_engine": report.by_engine, "worst_engine": report.worst_engine,
            "missing_engines": report.missing_engines, "rows": rows}


def expected_at(table: dict | None, threshold: float) -> dict | None:
    """The stored row nearest ``threshold`` ({threshold, frr, fa_per_hour, by_engine}), or None
    when the model has no measurement on unseen engines."""
    rows = (table or {}).get("rows") or []
    if not rows:
        return None
    return min(rows, key=lambda r: (abs(r["threshold"] - float(threshold)), r["threshold"]))


def describe(table: dict | None, threshold: float) -> str:
    """One line for the panel: expected false accepts an hour and false rejects at ``threshold``,
    on which engines and how much speech."""
    r = expected_at(table, threshold)
    if r is None:
        return "No measurement on unseen speech engines is saved with this model."
    engines = ", ".join(table.get("engines", []))
    near = "" if abs(r["threshold"] - float(threshold)) < 1e-6 else f" (measured at {r['threshold']:.2f})"
    how = f"smoothing {table.get('smoothing', 1)}" + (", second stage on" if table.get("verifier_threshold")
                                                      is not None else "")
    return (f"Expected on speech engines it never heard ({engines}; {table.get('speech_hours', 0):.1f} h of speech, "
            f"{table.get('positives', 0)} words; {how}){near}: {r['fa_per_hour']:.2f} false accepts an hour, "
            f"{100 * r['frr']:.1f} % false rejects.")


def sensitivity_choices(table: dict | None) -> list[tuple[str, float]]:
    """[(text, threshold)] for the panel's sensitivity list, most sensitive first: each stored
    threshold with its expected false accepts an hour and false rejects on unseen engines."""
    rows = sorted((table or {}).get("rows") or [], key=lambda r: r["threshold"])
    return [(f"{r['threshold']:.2f}: {r['fa_per_hour']:.2f} false accepts/h, {100 * r['frr']:.1f} % missed",
             float(r["threshold"])) for r in rows]
