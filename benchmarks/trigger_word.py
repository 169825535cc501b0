#!/usr/bin/env python
"""Trigger-word benchmarks on one CPU core (torch.set_num_threads(1)).

    python benchmarks/trigger_word.py [--model MODEL_DIR] [--seconds 120] [--clips 200] [--json]

1. Real-time factor of live detection: compute time / audio time of the StreamingDetector
   (2.56 s window, inference every 0.32 s) on a stream with words in it. Goal <= 0.05.
   Measured with the full-size "trigger-word" preset (Conv1D 64, GRU 64 x 2); the weights do
   not change the cost, so an untrained model is used unless --model is given.
2. Detection latency from the end of each trigger word to the event, on a stream with known
   word times: "model" latency (event step time - word end) and "live" latency (audio received
   when the event was produced - word end + that inference's compute time). Needs a trained
   model: --model, else the bundled tiny chirp detector on a chirp stream.
3. Clip generation throughput: clips/s for synthesis alone and with log-mel features.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def real_time_factor(model, material, seconds: float) -> dict:
    from workbench.core.capture.audio import ArrayAudioSource
    from workbench.core.studies.trigger_word import StreamingDetector
    from workbench.core.studies.trigger_word.synthesis import demo_stream

    audio, _, _ = demo_stream(material, model.config, seconds, seed=1)
    det = StreamingDetector(model, window_seconds=2.56, hop_seconds=0.32)
    det.feed(audio[: model.config.sample_rate * 4])  # warm-up (first calls allocate)
    det.reset()
    times = []
    t_prev = 0.0

    def on_block(d, new):
        nonlocal t_prev
        times.append(d.compute_seconds - t_prev)
        t_prev = d.compute_seconds

    res = det.run(ArrayAudioSource(audio, model.config.sample_rate, block_size=det.hop), on_block=on_block)
    per = np.array([t for t in times if t > 0]) * 1000
    return {"audio_seconds": res.audio_seconds, "compute_seconds": res.compute_seconds,
            "real_time_factor": res.real_time_factor, "inferences": res.inferences,
            "inference_ms_p50": float(np.percentile(per, 50)), "inference_ms_p99": float(np.percentile(per, 99)),
            "goal": 0.05, "meets_goal": bool(res.real_time_factor <= 0.05)}


def latency(model, material, seconds: float, threshold: float = 0.5) -> dict:
    from workbench.core.capture.audio import ArrayAudioSource
    from workbench.core.studies.trigger_word import StreamingDetector, match_events
    from workbench.core.studies.trigger_word.synthesis import demo_stream

    audio, ends, negs = demo_stream(material, model.config, seconds, seed=2)
    det = StreamingDetector(model, threshold=threshold, window_seconds=2.56, hop_seconds=0.32)
    res = det.run(ArrayAudioSource(audio, model.config.sample_rate, block_size=det.hop))
    caught, false, lat = match_events(res.events, ends, max_latency=model.config.label_steps * model.config.step_seconds)
    live = []
    for ev in res.events:
        prior = [e for e in ends if e - 0.3 <= ev.time]
        if prior and ev.time - prior[-1] <= model.config.label_steps * model.config.step_seconds:
            live.append(ev.heard_at - prior[-1] + ev.compute_seconds)
    return {"words": len(ends), "caught": caught, "false_accepts": false, "negatives": len(negs),
            "model_latency_median_s": float(np.median(lat)) if lat else None,
            "model_latency_max_s": float(np.max(lat)) if lat else None,
            "live_latency_median_s": float(np.median(live)) if live else None,
            "live_latency_max_s": float(np.max(live)) if live else None}


def generation(material, config, n: int) -> dict:
    from workbench.core.studies.trigger_word import generate_clips, synthesize_clip

    t0 = time.perf_counter()
    for i in range(n):
        synthesize_clip(material, config, (5, i))
    synth = n / (time.perf_counter() - t0)
    cs = generate_clips(material, n, config, seed=5)
    return {"clips": n, "clip_seconds": config.clip_seconds, "synthesis_clips_per_s": synth,
            "with_features_clips_per_s": cs.stats["clips_per_s"]}


def main(argv=None) -> int:
    import torch

    from workbench.core.studies import trigger_word as tw

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default=None, help="a trained trigger-word model folder")
    ap.add_argument("--seconds", type=float, default=120.0, help="stream length for RTF / latency")
    ap.add_argument("--clips", type=int, default=200, help="clips for the generation throughput")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)

    demo = tw.load_demo()
    out = {"torch_threads": torch.get_num_threads()}
    full = tw.TriggerModel.load(args.model) if args.model else tw.TriggerModel.build(tw.TriggerConfig())
    out["rtf"] = real_time_factor(full, demo, args.seconds)
    if args.model:
        out["latency"] = latency(full, demo, args.seconds)
    else:
        tiny = tw.TriggerModel.load(tw.test_model_dir())
        out["latency"] = latency(tiny, tw.synthetic_material(seed=7), args.seconds)
        out["latency"]["note"] = "bundled tiny chirp detector (pass --model for a trained word model)"
    out["generation"] = generation(demo, tw.TriggerConfig(), args.clips)
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        r, l, g = out["rtf"], out["latency"], out["generation"]
        print(f"real-time factor (1 thread): {r['real_time_factor']:.4f} (goal <= 0.05: "
              f"{'met' if r['meets_goal'] else 'NOT met'}); {r['inferences']} inferences, "
              f"p50 {r['inference_ms_p50']:.1f} ms, p99 {r['inference_ms_p99']:.1f} ms per 2.56 s window")
        print(f"latency: {l['caught']}/{l['words']} words caught, {l['false_accepts']} false accepts; "
              f"model latency median {l['model_latency_median_s']} s (max {l['model_latency_max_s']}); "
              f"live latency median {l['live_latency_median_s']} s (max {l['live_latency_max_s']})")
        print(f"generation: {g['synthesis_clips_per_s']:.0f} clips/s synthesis only, "
              f"{g['with_features_clips_per_s']:.0f} clips/s with log-mel features (10 s clips)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
