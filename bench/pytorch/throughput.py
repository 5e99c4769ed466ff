"""PyTorch CPU throughput of the MedSymmFlow-TS UNet: classification and training images per second.

Loads a model folder written by core-flow (`model.json` + float32 shards) into the reference network of
unet_reference.py (check it first with parity.mjs) and measures, with `torch.set_num_threads(threads)`:

- classify: one batch of `batch` images, mask noise drawn, `steps` Euler steps from t = 1 to t = 0, the mean
  per-pixel L2 distance to every class colour and the argmin (what core-flow's `classify()` does), under
  `torch.inference_mode()`;
- train: one optimizer step on `batch` images: rgb-palette masks with dequantisation noise, xi_x, xi_m, t,
  the SFM loss (w = 0.7, sigma = 1e-4), backward, AdamW (lr 4e-4, betas 0.9/0.999, eps 1e-8, no weight
  decay, as core-flow's trainer defaults) and the ramped EMA update min(0.999, (1 + s) / (10 + s)). The whole
  batch goes through in one pass (core-flow's wasm engine needs micro-batches of 32; PyTorch does not).

Each measurement runs `warmup` untimed iterations, then `runs` timed ones; img/s = batch / median time.

OpenMP waiting: unless the environment sets OMP_WAIT_POLICY (ACTIVE, PASSIVE, or DEFAULT for libgomp's
own spin-then-sleep), this sets OMP_WAIT_POLICY=PASSIVE before torch loads. When another process keeps one
of the 2 cores busy, spinning OpenMP threads stall at every barrier while one of them is descheduled (see
README.md for the measurements).

Prints one JSON object:
  {torch_version, threads, classify_img_s, train_img_s, peak_rss_mb, ...details}

    /usr/bin/python3 throughput.py --model-dir DIR [--batch 64] [--steps 1] [--threads 2] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time

# libgomp reads OMP_WAIT_POLICY once, when torch loads it: settle it before `import torch`.
OMP_WAIT_POLICY = os.environ.get("OMP_WAIT_POLICY", "").strip().upper() or "PASSIVE"
if OMP_WAIT_POLICY == "DEFAULT":
    os.environ.pop("OMP_WAIT_POLICY", None)
else:
    os.environ["OMP_WAIT_POLICY"] = OMP_WAIT_POLICY

import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from unet_reference import (  # noqa: E402
    build_reference,
    classify_distances,
    encode_masks,
    load_model_folder,
    palette_targets,
    sfm_loss,
)


def timed(fn, warmup: int, runs: int) -> list[float]:
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def measure_classify(model, config, batch: int, steps: int, warmup: int, runs: int) -> list[float]:
    size, image_channels = int(config["imageSize"]), int(config["imageChannels"])
    targets, _ = palette_targets(config)
    images = torch.rand(batch, image_channels, size, size) * 2 - 1
    model.eval()

    def step():
        with torch.inference_mode():
            noise = torch.randn(batch, targets.shape[1], size, size)
            distances = classify_distances(model, images, noise, targets, steps)
            distances.argmin(dim=1)

    return timed(step, warmup, runs)


def measure_train(model, config, batch: int, warmup: int, runs: int, lr: float) -> tuple[list[float], float]:
    size, image_channels = int(config["imageSize"]), int(config["imageChannels"])
    num_classes = int(config["numClasses"])
    targets, noise_width = palette_targets(config)
    model.train()
    params = list(model.parameters())
    optimizer = torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0)
    ema = [p.detach().clone() for p in params]
    pool = torch.randint(0, 256, (4 * batch, image_channels, size, size), dtype=torch.uint8)
    state = {"step": 0, "loss": float("nan")}

    def step():
        s = state["step"]
        index = torch.randint(0, pool.shape[0], (batch,))
        images = pool[index].to(torch.float32) / 127.5 - 1
        labels = torch.randint(0, num_classes, (batch,))
        masks = encode_masks(labels, targets, noise_width, size)
        xi_x = torch.randn_like(images)
        xi_m = torch.randn_like(masks)
        t = torch.rand(batch)
        loss, _, _ = sfm_loss(model, images, masks, xi_x, xi_m, t)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        decay = min(0.999, (1 + s) / (10 + s))
        with torch.no_grad():
            for e, p in zip(ema, params):
                e.mul_(decay).add_(p, alpha=1 - decay)
        state["step"] = s + 1
        state["loss"] = loss.item()

    times = timed(step, warmup, runs)
    return times, state["loss"]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--model-dir", required=True, help="folder written by core-flow's model.save()")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--steps", type=int, default=1, help="Euler steps per classification")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--measure", default="classify,train", help="comma list: classify, train")
    parser.add_argument("--lr", type=float, default=4e-4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    measures = {m.strip() for m in args.measure.split(",") if m.strip()}
    unknown = measures - {"classify", "train"}
    if unknown or not measures:
        parser.error(f"--measure {args.measure!r}: use a comma list of classify, train")
    for name in ("batch", "steps", "threads", "runs"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be >= 1; got {getattr(args, name)}")

    default_threads = torch.get_num_threads()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    config, weights = load_model_folder(args.model_dir)
    model = build_reference(config, weights)
    out = {
        "torch_version": torch.__version__,
        "threads": torch.get_num_threads(),
        "default_threads": default_threads,
        "omp_wait_policy": OMP_WAIT_POLICY,
        "batch": args.batch,
        "euler_steps": args.steps,
        "warmup": args.warmup,
        "runs": args.runs,
        "parameters": int(sum(p.numel() for p in model.parameters())),
        "classify_img_s": None,
        "train_img_s": None,
    }
    if "classify" in measures:
        times = measure_classify(model, config, args.batch, args.steps, args.warmup, args.runs)
        out["classify_img_s"] = round(args.batch / statistics.median(times), 2)
        out["classify_run_s"] = [round(t, 4) for t in times]
    if "train" in measures:
        times, loss = measure_train(model, config, args.batch, args.warmup, args.runs, args.lr)
        out["train_img_s"] = round(args.batch / statistics.median(times), 2)
        out["train_run_s"] = [round(t, 4) for t in times]
        out["train_last_loss"] = round(loss, 5)
    out["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    out["load_avg"] = [round(v, 2) for v in os.getloadavg()]
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
