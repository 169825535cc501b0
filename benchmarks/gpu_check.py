"""The GPU figures in one short run (under 5 minutes on one GPU); without a CUDA GPU it says so and exits.

1. training overhead: ``Trainer.fit`` against a plain hand-written PyTorch loop, both with the data
   on the GPU (same model, initialization, batches and epochs; median ratio, target <= 1.05);
2. mixed precision: the same CNN trained with ``amp`` on and off (epoch time and accuracy);
3. style transfer: seconds per L-BFGS iteration of the app's ``StyleTransfer`` on the GPU
   against the same problem on the CPU;
4. trigger word: the streaming detector's real-time factor on the GPU (compute seconds per
   second of audio; goal <= 0.05) against the CPU.

    .venv/bin/python benchmarks/gpu_check.py [--repeats 5]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

DEV = "cuda"  # --dry-run-on-cpu runs every step on the CPU to check the script itself


def _sync():
    import torch

    if DEV == "cuda":
        torch.cuda.synchronize()


def training_overhead(repeats: int) -> dict:
    """Trainer.fit vs a plain loop on the GPU, alternated; digits as 8x8 images, a small CNN."""
    import torch
    from sklearn.datasets import load_digits
    from torch import nn

    from workbench.core.models import build_model, default_head, get_preset
    from workbench.core.training import TrainConfig, Trainer

    X, y = load_digits(return_X_y=True)
    X = torch.as_tensor((X / 16.0).reshape(-1, 1, 8, 8), dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.int64)
    head = default_head("multiclass")
    spec = get_preset("digits-cnn")
    epochs, bs = 3, 64

    def make(seed):
        torch.manual_seed(seed)
        return build_model(spec, (1, 8, 8), (10,), head)

    def plain(model, seed):
        dev = torch.device(DEV)
        model.to(dev)
        Xd, yd = X.to(dev), y.to(dev)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)
        gen = torch.Generator().manual_seed(seed)
        for _ in range(epochs):
            model.train()
            perm = torch.randperm(len(Xd), generator=gen).to(dev)
            for i in range(0, len(Xd), bs):
                idx = perm[i:i + bs]
                loss = nn.functional.cross_entropy(model(Xd[idx]), yd[idx])
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
        _sync()

    def ours(model, seed):
        Trainer(device=DEV).fit(model, head, train=(X, y), config=TrainConfig(epochs=epochs, batch_size=bs,
                                                                                  seed=seed, amp=False))
        _sync()

    ours(make(0), 0)  # warm-up: CUDA context, kernels, allocator
    plain(make(0), 0)
    ratios, tt, tp = [], [], []
    for r in range(repeats):
        t = {}
        for who in (("ours", "plain") if r % 2 == 0 else ("plain", "ours")):
            m = make(r)
            t0 = time.perf_counter()
            (ours if who == "ours" else plain)(m, r)
            t[who] = time.perf_counter() - t0
        tt.append(t["ours"])
        tp.append(t["plain"])
        ratios.append(t["ours"] / t["plain"])
    return {"trainer_s": statistics.median(tt), "plain_s": statistics.median(tp), "ratio": statistics.median(ratios)}


def mixed_precision(repeats: int) -> dict:
    """A CNN on 64x64 RGB images (synthetic, learnable) with amp on and off."""
    import torch

    from workbench.core.models import build_model, default_head, get_preset
    from workbench.core.training import TrainConfig, Trainer

    g = torch.Generator().manual_seed(0)
    n = 4096
    y = torch.randint(0, 2, (n,), generator=g)
    X = torch.rand((n, 3, 64, 64), generator=g) * 0.5
    X[y == 1, 0, 16:48, 16:48] += 0.5  # a red square for class 1
    head = default_head("binary")
    spec = get_preset("shallow-cnn")
    out = {}
    for amp in (False, True, False, True)[: 2 * max(1, min(repeats, 2))]:
        torch.manual_seed(0)
        model = build_model(spec, (3, 64, 64), (1,), head)
        cfg = TrainConfig(epochs=3, batch_size=128, lr=1e-3, amp=amp, seed=0)
        t0 = time.perf_counter()
        fit = Trainer(device=DEV).fit(model, head, train=(X[:3584], y[:3584]), val=(X[3584:], y[3584:]),
                                         config=cfg)
        _sync()
        row = out.setdefault("on" if amp else "off", {"s": [], "val_accuracy": None})
        row["s"].append((time.perf_counter() - t0) / cfg.epochs)
        row["val_accuracy"] = fit.history[-1].get("val_accuracy")
    for v in out.values():
        v["s_per_epoch"] = statistics.median(v.pop("s"))
    out["speed_up"] = out["off"]["s_per_epoch"] / out["on"]["s_per_epoch"]
    return out


def _style_to(st, device) -> None:
    """Move the app's StyleTransfer (built on the CPU) to ``device``: network, targets, image, optimizer."""
    import torch

    st.extractor.to(device)
    st.content_img = st.content_img.to(device)
    st.content_target = st.content_target.to(device)
    st.style_targets = [t.to(device) for t in st.style_targets]
    if st.mask is not None:
        st.mask = st.mask.to(device)
    st.x = st.x.detach().to(device).requires_grad_(True)
    lr = st.settings.lr or (1.0 if st.settings.optimizer == "lbfgs" else 0.02)
    st.optimizer = (torch.optim.LBFGS([st.x], lr=lr, max_iter=1, history_size=100)
                    if st.settings.optimizer == "lbfgs" else torch.optim.Adam([st.x], lr=lr))


def style_transfer(size: int, steps: int) -> dict:
    from workbench.core.studies.style_transfer import StyleSettings, StyleTransfer, generate_style, sample_photo

    content, style = sample_photo("chelsea"), generate_style("swirls", 512, 1)
    out = {}
    for where, n in (("cpu", max(2, steps // 5)), ("cuda", steps)):
        st = StyleTransfer(content, style, StyleSettings(size=size, channels_last=where == "cpu"))
        if where == "cuda":
            _style_to(st, DEV)
        st.step(2)  # warm-up
        if where == "cuda":
            _sync()
        t0 = time.perf_counter()
        done = st.step(n)
        if where == "cuda":
            _sync()
        out[where] = (time.perf_counter() - t0) / done
    out["speed_up"] = out["cpu"] / out["cuda"]
    return out


def trigger_word(seconds: float) -> dict:
    from workbench.core.capture.audio import ArrayAudioSource
    from workbench.core.studies import trigger_word as tw
    from workbench.core.studies.trigger_word import StreamingDetector
    from workbench.core.studies.trigger_word.synthesis import demo_stream

    demo = tw.load_demo()
    model = tw.TriggerModel.build(tw.TriggerConfig())
    audio, _, _ = demo_stream(demo, model.config, seconds, seed=1)
    out = {}
    for dev in ("cpu", "cuda"):
        det = StreamingDetector(model, window_seconds=2.56, hop_seconds=0.32, device=DEV if dev == "cuda" else dev)
        det.feed(audio[: model.config.sample_rate * 4])  # warm-up
        det.reset()
        res = det.run(ArrayAudioSource(audio, model.config.sample_rate, block_size=det.hop))
        out[dev] = res.real_time_factor
    out["meets_goal"] = out["cuda"] <= 0.05
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--style-size", type=int, default=512)
    ap.add_argument("--style-steps", type=int, default=20)
    ap.add_argument("--audio-seconds", type=float, default=60.0)
    ap.add_argument("--dry-run-on-cpu", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    import torch

    global DEV
    if args.dry_run_on_cpu:
        DEV = "cpu"
    elif not torch.cuda.is_available():
        why = "this torch build is CPU-only" if torch.version.cuda is None else "torch sees no CUDA device"
        print(f"gpu_check: no CUDA GPU here ({why}); nothing to measure. Run it on a machine with an NVIDIA GPU "
              "after scripts/setup.sh (which installs the CUDA build of torch there).")
        return 0
    t_start = time.perf_counter()
    name = torch.cuda.get_device_name(0) if DEV == "cuda" else "none (dry run on the CPU)"
    print(f"GPU: {name}, torch {torch.__version__} (CUDA {torch.version.cuda}); "
          f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPU cores", flush=True)
    r = training_overhead(args.repeats)
    print(f"1. training overhead on the GPU: Trainer.fit {r['trainer_s']:.3f} s vs plain loop {r['plain_s']:.3f} s, "
          f"median ratio {r['ratio']:.3f} (target <= 1.05: {'met' if r['ratio'] <= 1.05 else 'NOT met'})", flush=True)
    m = mixed_precision(args.repeats)
    print(f"2. mixed precision (shallow-cnn, 64x64, batch 128): {m['off']['s_per_epoch']:.3f} s/epoch off, "
          f"{m['on']['s_per_epoch']:.3f} s/epoch on: x{m['speed_up']:.2f}; validation accuracy "
          f"{m['off']['val_accuracy']:.3f} off, {m['on']['val_accuracy']:.3f} on", flush=True)
    s = style_transfer(args.style_size, args.style_steps)
    print(f"3. style transfer step ({args.style_size} px, mobilenet_v2, L-BFGS): {s['cuda'] * 1000:.1f} ms/iteration "
          f"on the GPU vs {s['cpu'] * 1000:.0f} ms on the CPU (x{s['speed_up']:.1f})", flush=True)
    t = trigger_word(args.audio_seconds)
    print(f"4. trigger word real-time factor: {t['cuda']:.4f} on the GPU vs {t['cpu']:.4f} on the CPU "
          f"(goal <= 0.05: {'met' if t['meets_goal'] else 'NOT met'})", flush=True)
    print(f"gpu_check finished in {time.perf_counter() - t_start:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
