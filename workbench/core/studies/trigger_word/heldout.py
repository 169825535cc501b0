"""The held-out measurement of a trigger-word model: FRR and false accepts an hour on material that
took no part in training or in any choice (the test engines, see ``engines.ENGINE_SPLITS``), per
engine and per voice, at the model's operating point and over the threshold; and the recipe
followed by that measurement (what the panel's Recipe tab runs).
"""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

from workbench.core.studies.trigger_word.corpus import HOLDOUT
from workbench.core.studies.trigger_word.recipe import (
    RecipeSettings, _negative_streams, _positive_streams, build_pools, run_recipe,
)


@dataclass
class HeldoutReport:
    """FRR and false accepts per hour on material that took no part in training or in any choice."""

    operating_point: dict
    at_operating_point: dict  # with the stored operating point (both stages)
    first_stage_only: dict  # same threshold and smoothing, no verifier
    curve: list  # per threshold at the stored smoothing (first stage, and with the verifier)
    material: dict  # what was measured on
    seconds: float = 0.0
    # per held-out engine at the operating point: {engine: {frr, positives, false_accepts, hours, fa_per_hour}}
    by_engine: dict = field(default_factory=dict)
    worst_engine: str | None = None  # the engine furthest from the goal
    missing_engines: dict = field(default_factory=dict)  # test engines not installed -> one sentence

    def to_dict(self) -> dict:
        return asdict(self)

    def to_text(self) -> str:
        a, f = self.at_operating_point, self.first_stage_only
        op = self.operating_point
        lines = [f"held-out material: {self.material.get('summary', '')}",
                 f"operating point (chosen on validation): threshold {op['threshold']:.3f}, smoothing "
                 f"{op['smoothing']} steps, verifier {op.get('verifier_threshold')}",
                 f"FRR {100 * a['frr']:.1f}% on {a['positives']} held-out positives "
                 + ", ".join(f"{k} {100 * v:.1f}%" for k, v in sorted(a.get("frr_by_label", {}).items())),
                 "FRR by positive stream: " + ", ".join(f"{k} {100 * v:.1f}%"
                                                       for k, v in a.get("frr_by_stream", {}).items()),
                 "false accepts per hour: " + ", ".join(f"{k} {v['per_hour']:.2f} ({v['false_accepts']} in "
                                                      f"{v['hours']:.2f} h)" for k, v in a["fa_by_stream"].items()),
                 f"first stage alone: FRR {100 * f['frr']:.1f}% ("
                 + ", ".join(f"{k} {100 * v:.1f}%" for k, v in f.get("frr_by_stream", {}).items()) + "), " + ", ".join(
                     f"{k} {v['per_hour']:.2f}/h" for k, v in f["fa_by_stream"].items()),
                 *[f"engine {e}: FRR {100 * d['frr']:.1f}% of {d['positives']} positives, {d['fa_per_hour']:.2f} false "
                   f"accepts an hour ({d['false_accepts']} in {d['hours']:.2f} h of speech)"
                   + ("; FRR by voice: " + ", ".join(f"{v} {100 * f:.1f}%" for v, f in d["frr_by_voice"].items())
                      if d.get("frr_by_voice") else "")
                   for e, d in self.by_engine.items()],
                 *([f"worst held-out engine: {self.worst_engine}"] if self.worst_engine else []),
                 *self.missing_engines.values(),
                 "", " thr    FRR%  FA/h speech (stage 1)  FRR%  FA/h speech (with verifier)"]
        for row in self.curve:
            lines.append(f"{row['threshold']:5.3f}  {100 * row['frr']:5.1f}  {row['fa_speech']:8.2f}             "
                         f"{100 * row.get('frr_v', float('nan')):5.1f}  {row.get('fa_speech_v', float('nan')):8.2f}")
        return "\n".join(lines)


def evaluate_heldout(model, settings: RecipeSettings | None = None, *, cache: str | Path | None = None,
                     operating_point=None, verifier="stored", progress: Callable | None = None,
                     should_cancel: Callable[[], bool] | None = None, scored: dict | None = None) -> HeldoutReport | None:
    """FRR on held-out positives (held-out espeak voices, piper at held-out speeds, new noise and
    rooms) and false accepts per hour on held-out natural speech (other texts, speeds, voices),
    on held-out sound-alikes and on noise; at the model's stored operating point and over the
    threshold. With ``scored`` (a dict, empty at first) the scored material is kept there and
    read again by the next call for the same model (another operating point, no second scoring)."""
    from workbench.core.studies.trigger_word.operating import THRESHOLDS, evaluate_point, score_verifier
    from workbench.core.studies.trigger_word.unseen import engine_figures, worst_engine

    t0 = time.perf_counter()
    s = settings or (RecipeSettings.from_dict(model.metrics["recipe"]) if model.metrics.get("recipe")
                     else RecipeSettings())
    op = operating_point or model.operating_point
    if op is None:
        from workbench.core.studies.trigger_word.model import OperatingPoint

        op = OperatingPoint(chosen_on="default (the model has no stored operating point)")
    ver = model.verifier if verifier == "stored" else verifier
    if ver is None:
        op_v = None
    else:
        op_v = op.verifier_threshold if op.verifier_threshold is not None else getattr(ver, "threshold", 0.5)

    def sub(done, total, text=""):
        if progress is not None:
            progress(0, 0, text)

    if scored and (ver is None or scored.get("windows")):  # the same model on the same material, scored before
        pools, neg, pos = scored["pools"], scored["neg"], scored["pos"]
    else:
        pools = build_pools("test", s, cache=cache, sample_rate=model.config.sample_rate, progress=sub,
                            should_cancel=should_cancel)
        neg = _negative_streams(model, pools, s, "test", keep_windows=ver is not None, should_cancel=should_cancel)
        pos = _positive_streams(model, pools, s, "test", keep_windows=ver is not None, should_cancel=should_cancel)
        if neg is None or pos is None:
            return None
        if scored is not None:
            scored.update(pools=pools, neg=neg, pos=pos, windows=ver is not None)
    streams_neg = [st for st, _ in neg]
    # the speech streams apart: espeak and piper
    if ver is not None:
        score_verifier(pos + streams_neg, ver)
    kw = dict(min_duration=op.min_duration, refractory=op.refractory)
    at = evaluate_point(pos, streams_neg, op.threshold, op.smoothing, op_v, **kw)
    first = evaluate_point(pos, streams_neg, op.threshold, op.smoothing, None, **kw)
    speech = [st for st in streams_neg if st.name.endswith("speech")]
    rows = []
    for th in THRESHOLDS:
        a = evaluate_point(pos, speech, th, op.smoothing, None, **kw)
        row = {"threshold": th, "frr": a.frr, "fa_speech": a.fa_per_hour, "frr_by_stream": a.frr_by_stream}
        if ver is not None:
            b = evaluate_point(pos, speech, th, op.smoothing, op_v, **kw)
            row.update(frr_v=b.frr, fa_speech_v=b.fa_per_hour, frr_by_stream_v=b.frr_by_stream)
        rows.append(row)
    by_engine = engine_figures(pos, speech, at)
    for row in rows:  # per engine over the threshold too (with the verifier when there is one)
        row["by_engine"] = {e: {"frr": d["frr"], "fa_per_hour": d["fa_per_hour"]} for e, d in engine_figures(
            pos, speech, evaluate_point(pos, speech, row["threshold"], op.smoothing, op_v, **kw)).items()}
    sp = pools.speech
    material = {"summary": pools.summary(), "positives": sum(p.positives for p in pos),
                "engines": sorted(by_engine), "missing_engines": dict(pools.missing_engines),
                "positives_by_stream": {p.name: p.positives for p in pos},
                "speech_voices": sorted(set(sp.voices)) if sp is not None else [],
                "speech_hours": sp.seconds / 3600 if sp is not None else 0.0,
                "held_out": HOLDOUT, "soundalikes": sorted(set(pools.hard_texts))}
    n_pos = sum(p.positives for p in pos)
    d_at = {**at.to_dict(), "positives": n_pos}
    d_first = {**first.to_dict(), "positives": n_pos}
    return HeldoutReport(op.to_dict(), d_at, d_first, rows, material, time.perf_counter() - t0, by_engine,
                         worst_engine(by_engine), dict(pools.missing_engines))


def run_and_evaluate(settings: RecipeSettings, *, cache: str | Path | None = None, material=None, trainer=None,
                     run_store=None, progress: Callable | None = None,
                     should_cancel: Callable[[], bool] | None = None) -> dict | None:
    """The recipe, then the held-out measurement of its model (what the panel's Recipe tab runs):
    {"result": RecipeResult, "report": HeldoutReport}; None when cancelled."""
    res = run_recipe(settings, cache=cache, material=material, trainer=trainer, run_store=run_store,
                     progress=progress, should_cancel=should_cancel,
                     log=None if progress is None else (lambda text: progress(0, 0, text)))
    if res is None:
        return None
    if progress is not None:
        progress(0, 0, "measuring on held-out material")
    rep = evaluate_heldout(res.model, settings, cache=cache, progress=progress, should_cancel=should_cancel)
    if rep is None:
        return None
    from workbench.core.studies.trigger_word.unseen import unseen_table

    res.model.metrics["heldout"] = {"at_operating_point": rep.at_operating_point,
                                    "first_stage_only": rep.first_stage_only}
    res.model.metrics["unseen_engines"] = unseen_table(rep)  # the panel shows it beside the sensitivity
    return {"result": res, "report": rep}
