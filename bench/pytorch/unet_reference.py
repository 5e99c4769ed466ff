"""PyTorch CPU reference of the MedSymmFlow-TS velocity network, loss and classifier.

Written from the TypeScript sources of @medsymmflow/core-flow (src/model/unet.ts, src/ops/ops.ts,
src/engines/tfjs/tfjs-ops.ts, src/flow/sfm.ts, src/flow/classify.ts, src/flow/solvers.ts) and
@medsymmflow/conditioning-masks (src/palette.ts, src/rgb-palette.ts, src/distances.ts). It exists so the
benchmarks can time "the same network with the same weights" in PyTorch; bench/pytorch/parity.mjs checks
that it computes what core-flow computes before any timing is trusted.

What must match core-flow exactly (and why each piece looks the way it does):
- Parameter names are core-flow's (`input.1.res.in.norm.gamma`, …). The torch module tree mirrors them, so a
  state-dict key is the core-flow name with its last part renamed (`kernel`/`gamma` -> `weight`,
  `beta` -> `bias`). Canonical layouts are converted at load: conv HWIO -> OIHW, linear [in, out] -> [out, in].
- Time embedding: `[cos(t f), sin(t f)]` (cos first), `f_i = timeScale * maxPeriod^(-i / half)`, width = base.
- GroupNorm: groups = largest count <= normGroups dividing the channels; contiguous channel groups.
- Stride-2 convs use TensorFlow 'SAME' padding: the extra row/column goes at the end (pad right/bottom only),
  which differs from PyTorch's symmetric `padding=1`.
- Attention: heads split before q/k/v ("legacy" order: qkv channel = head*3c + j*c + i), logits scaled by
  1/sqrt(c) after the product, output channels head-major.
- Upsampling: nearest x2 then a 3x3 conv.

The module is importable (`UNetReference`, `load_model_folder`, `sfm_loss`, `classify_distances`) and also
a command-line tool used by parity.mjs:

    /usr/bin/python3 unet_reference.py parity --model-dir DIR --data-dir DIR

reads the .npy inputs parity.mjs wrote into --data-dir and writes the reference outputs next to them.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

MODEL_JSON = "model.json"
# Last part of a core-flow parameter name -> torch's (linear 'weight' and every 'bias' keep theirs).
TORCH_PARAM_NAMES = {"kernel": "weight", "gamma": "weight", "beta": "bias"}
FLOW_MODEL_FORMAT = "medsymmflow-flow-model"
FLOW_MODEL_FORMAT_VERSION = 1


# --------------------------------------------------------------------------------------------------
# Model folder


def load_model_folder(model_dir: str) -> tuple[dict, dict[str, np.ndarray]]:
    """Reads a folder written by core-flow's `model.save()`.

    Returns the resolved model config (`model.json`'s `config`) and the weights by core-flow parameter name,
    as float32 numpy arrays in core-flow's canonical layouts.
    """
    path = os.path.join(model_dir, MODEL_JSON)
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except FileNotFoundError:
        raise SystemExit(
            f"No {MODEL_JSON} in {model_dir}. Point --model-dir at a folder written by model.save()."
        )
    if doc.get("format") != FLOW_MODEL_FORMAT:
        raise SystemExit(f'{path} is not a MedSymmFlow model (expected "format": "{FLOW_MODEL_FORMAT}").')
    if doc.get("formatVersion") != FLOW_MODEL_FORMAT_VERSION:
        raise SystemExit(
            f"{path} has formatVersion {doc.get('formatVersion')!r}; this reference reads "
            f"version {FLOW_MODEL_FORMAT_VERSION}."
        )
    weights: dict[str, np.ndarray] = {}
    for g, group in enumerate(doc["weightsManifest"]):
        chunks = []
        for name in group["paths"]:
            if "/" in name or "\\" in name:
                raise SystemExit(f"{path}: shard name {name!r} is not a plain file name.")
            with open(os.path.join(model_dir, name), "rb") as f:
                chunks.append(f.read())
        blob = b"".join(chunks)
        offset = 0
        for entry in group["weights"]:
            if entry.get("dtype") != "float32":
                raise SystemExit(f"{path}: weight {entry['name']!r} has dtype {entry.get('dtype')!r}; only float32.")
            shape = tuple(int(d) for d in entry["shape"])
            count = int(np.prod(shape)) if shape else 1
            end = offset + 4 * count
            if end > len(blob):
                raise SystemExit(
                    f"{path}: shards of group {g + 1} hold {len(blob)} bytes, weight {entry['name']!r} needs {end}."
                )
            weights[entry["name"]] = np.frombuffer(blob, dtype="<f4", count=count, offset=offset).reshape(shape).copy()
            offset = end
        if offset != len(blob):
            raise SystemExit(
                f"{path}: shards of group {g + 1} hold {len(blob)} bytes, the manifest describes {offset}."
            )
    return doc["config"], weights


# --------------------------------------------------------------------------------------------------
# Architecture plan (mirrors buildPlan() in core-flow's src/model/unet.ts)


def groups_for(channels: int, max_groups: int) -> int:
    """Largest group count <= max_groups that divides channels (1 if none > 1 does)."""
    for g in range(min(max_groups, channels), 1, -1):
        if channels % g == 0:
            return g
    return 1


def heads_for(arch: dict, channels: int) -> int:
    head_channels = int(arch["numHeadChannels"])
    if head_channels > 0:
        if channels % head_channels:
            raise ValueError(f"{channels} attention channels are not divisible by numHeadChannels {head_channels}.")
        return channels // head_channels
    heads = int(arch["numHeads"])
    if channels % heads:
        raise ValueError(f"{channels} attention channels are not divisible by numHeads {heads}.")
    return heads


def build_plan(arch: dict) -> dict:
    """Stages of layers, each layer a dict with kind 'res' | 'attn' | 'down' | 'up' and its channel counts."""
    base = int(arch["baseChannels"])
    mults = [int(m) for m in arch["channelMults"]]
    blocks = int(arch["numResBlocks"])
    attn_at = {int(r) for r in arch["attentionResolutions"]}
    levels = len(mults)
    ch = mults[0] * base
    skips = [ch]
    size = int(arch["imageSize"])
    inputs: list[list[dict]] = []
    for level in range(levels):
        width = mults[level] * base
        for _ in range(blocks):
            stage = [{"kind": "res", "cin": ch, "cout": width}]
            ch = width
            if size in attn_at:
                stage.append({"kind": "attn", "ch": ch, "heads": heads_for(arch, ch)})
            inputs.append(stage)
            skips.append(ch)
        if level < levels - 1:
            inputs.append([{"kind": "down", "ch": ch}])
            skips.append(ch)
            size //= 2
    middle = [
        {"kind": "res", "cin": ch, "cout": ch, "name": "res1"},
        {"kind": "attn", "ch": ch, "heads": heads_for(arch, ch), "name": "attn"},
        {"kind": "res", "cin": ch, "cout": ch, "name": "res2"},
    ]
    outputs: list[list[dict]] = []
    for level in range(levels - 1, -1, -1):
        width = mults[level] * base
        for b in range(blocks + 1):
            stage = [{"kind": "res", "cin": ch + skips.pop(), "cout": width}]
            ch = width
            if size in attn_at:
                stage.append({"kind": "attn", "ch": ch, "heads": heads_for(arch, ch)})
            if level > 0 and b == blocks:
                stage.append({"kind": "up", "ch": ch})
                size *= 2
            outputs.append(stage)
    return {
        "time_dim": 4 * base,
        "stem": mults[0] * base,
        "input": inputs,
        "middle": middle,
        "output": outputs,
        "final": ch,
    }


# --------------------------------------------------------------------------------------------------
# Layers


def timestep_embedding(t: torch.Tensor, dim: int, max_period: float, time_scale: float) -> torch.Tensor:
    """[n] -> [n, dim] as [cos(t f), sin(t f)], f_i = time_scale * max_period^(-i / (dim / 2))."""
    half = dim // 2
    freqs = torch.tensor(
        [time_scale * math.exp(-math.log(max_period) * i / half) for i in range(half)], dtype=torch.float32
    )
    args = t.reshape(-1, 1).to(torch.float32) * freqs.reshape(1, half)
    return torch.cat([torch.cos(args), torch.sin(args)], dim=1)


class SameConv2d(nn.Conv2d):
    """Square k x k conv with TensorFlow 'SAME' padding (extra row/column at the end), as core-flow's conv2d."""

    def __init__(self, cin: int, cout: int, k: int, stride: int = 1):
        super().__init__(cin, cout, k, stride=stride, padding=0, bias=True)
        self.k = k

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k, s = self.k, self.stride[0]
        if k == 1:
            return F.conv2d(x, self.weight, self.bias, stride=s)
        if s == 1:
            # Symmetric (k - 1) / 2 padding is exactly 'SAME' for odd k at stride 1.
            return F.conv2d(x, self.weight, self.bias, padding=(k - 1) // 2)
        h, w = x.shape[-2:]
        pad_h = max((math.ceil(h / s) - 1) * s + k - h, 0)
        pad_w = max((math.ceil(w / s) - 1) * s + k - w, 0)
        x = F.pad(x, (pad_w // 2, pad_w - pad_w // 2, pad_h // 2, pad_h - pad_h // 2))
        return F.conv2d(x, self.weight, self.bias, stride=s)


def norm_layer(channels: int, arch: dict) -> nn.GroupNorm:
    return nn.GroupNorm(groups_for(channels, int(arch["normGroups"])), channels, eps=float(arch["normEps"]))


class ResBlock(nn.ModuleDict):
    """GroupNorm -> SiLU -> conv, + time embedding (added, or FiLM scale/shift), GroupNorm -> SiLU -> conv, + skip.

    A ModuleDict so its keys ('in', 'emb', 'out', 'skip') are core-flow's parameter prefixes.
    """

    def __init__(self, cin: int, cout: int, time_dim: int, arch: dict):
        scale_shift = bool(arch["useScaleShiftNorm"])
        parts = {
            "in": nn.ModuleDict({"norm": norm_layer(cin, arch), "conv": SameConv2d(cin, cout, 3)}),
            "emb": nn.Linear(time_dim, 2 * cout if scale_shift else cout),
            "out": nn.ModuleDict({"norm": norm_layer(cout, arch), "conv": SameConv2d(cout, cout, 3)}),
        }
        if cin != cout:
            parts["skip"] = SameConv2d(cin, cout, 1)
        super().__init__(parts)
        self.scale_shift = scale_shift
        self.dropout = float(arch["dropout"])

    def forward(self, x: torch.Tensor, emb_act: torch.Tensor) -> torch.Tensor:
        h = self["in"]["conv"](F.silu(self["in"]["norm"](x)))
        emb = self["emb"](emb_act)[:, :, None, None]
        if self.scale_shift:
            scale, shift = torch.chunk(emb, 2, dim=1)
            h = self["out"]["norm"](h) * (1 + scale) + shift
        else:
            h = self["out"]["norm"](h + emb)
        h = F.silu(h)
        if self.dropout > 0:
            h = F.dropout(h, self.dropout, training=self.training)
        h = self["out"]["conv"](h)
        skip = self["skip"](x) if "skip" in self else x
        return skip + h


class Attention(nn.Module):
    """Multi-head self-attention over positions; qkv channels ordered head-major (guided-diffusion legacy)."""

    def __init__(self, channels: int, heads: int, arch: dict):
        super().__init__()
        self.heads = heads
        self.norm = norm_layer(channels, arch)
        self.qkv = SameConv2d(channels, 3 * channels, 1)
        self.proj = SameConv2d(channels, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n, c, h, w = x.shape
        head_channels = c // self.heads
        qkv = self.qkv(self.norm(x)).reshape(n, self.heads, 3 * head_channels, h * w)
        q, k, v = torch.split(qkv, head_channels, dim=2)  # each [n, heads, c, L]
        logits = torch.einsum("bhcl,bhcm->bhlm", q, k) * (1.0 / math.sqrt(head_channels))
        a = torch.einsum("bhlm,bhcm->bhcl", torch.softmax(logits, dim=-1), v)
        return x + self.proj(a.reshape(n, c, h, w))


class Down(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = SameConv2d(channels, channels, 3, stride=2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(x)


class Up(nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.conv = SameConv2d(channels, channels, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv(F.interpolate(x, scale_factor=2, mode="nearest"))


def make_layer(layer: dict, time_dim: int, arch: dict) -> nn.Module:
    kind = layer["kind"]
    if kind == "res":
        return ResBlock(layer["cin"], layer["cout"], time_dim, arch)
    if kind == "attn":
        return Attention(layer["ch"], layer["heads"], arch)
    return Down(layer["ch"]) if kind == "down" else Up(layer["ch"])


class UNetReference(nn.Module):
    """core-flow's UNet in PyTorch (NCHW). `forward(x [n, C, H, W], t [n]) -> velocity [n, C_out, H, W]`."""

    def __init__(self, arch: dict):
        super().__init__()
        self.arch = dict(arch)
        plan = build_plan(arch)
        self.plan = plan
        base, time_dim = int(arch["baseChannels"]), plan["time_dim"]
        self.time = nn.ModuleDict({"linear1": nn.Linear(base, time_dim), "linear2": nn.Linear(time_dim, time_dim)})
        stages = [nn.ModuleDict({"conv": SameConv2d(int(arch["inChannels"]), plan["stem"], 3)})]
        for stage in plan["input"]:
            stages.append(nn.ModuleDict({layer["kind"]: make_layer(layer, time_dim, arch) for layer in stage}))
        self.input = nn.ModuleList(stages)
        self.middle = nn.ModuleDict({layer["name"]: make_layer(layer, time_dim, arch) for layer in plan["middle"]})
        self.output = nn.ModuleList(
            nn.ModuleDict({layer["kind"]: make_layer(layer, time_dim, arch) for layer in stage})
            for stage in plan["output"]
        )
        self.out = nn.ModuleDict(
            {"norm": norm_layer(plan["final"], arch), "conv": SameConv2d(plan["final"], int(arch["outChannels"]), 3)}
        )

    @staticmethod
    def _run_stage(stage: nn.ModuleDict, h: torch.Tensor, emb_act: torch.Tensor) -> torch.Tensor:
        for module in stage.values():  # insertion order = plan order: res, attn, down/up
            h = module(h, emb_act) if isinstance(module, ResBlock) else module(h)
        return h

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        arch = self.arch
        emb = timestep_embedding(
            t, int(arch["baseChannels"]), float(arch["timeEmbedMaxPeriod"]), float(arch["timeScale"])
        )
        emb = self.time["linear2"](F.silu(self.time["linear1"](emb)))
        emb_act = F.silu(emb)
        h = self.input[0]["conv"](x)
        skips = [h]
        for stage in self.input[1:]:
            h = self._run_stage(stage, h, emb_act)
            skips.append(h)
        h = self._run_stage(self.middle, h, emb_act)
        for stage in self.output:
            h = self._run_stage(stage, torch.cat([h, skips.pop()], dim=1), emb_act)
        return self.out["conv"](F.silu(self.out["norm"](h)))

    # ---- weights in core-flow names and canonical layouts ----

    @staticmethod
    def torch_key(name: str) -> str:
        """State-dict key of a core-flow parameter name."""
        head, _, last = name.rpartition(".")
        return head + "." + TORCH_PARAM_NAMES.get(last, last)

    def load_canonical(self, weights: dict[str, np.ndarray]) -> None:
        """Loads core-flow weights (canonical layouts) strictly: every parameter once, shapes checked."""
        state = self.state_dict()
        loaded: dict[str, torch.Tensor] = {}
        problems = []
        for name, value in weights.items():
            key = self.torch_key(name)
            if key not in state:
                problems.append(f"unexpected weight {name!r} (no parameter {key!r} in the reference)")
                continue
            tensor = torch.from_numpy(np.ascontiguousarray(value, dtype=np.float32))
            if tensor.ndim == 4:
                tensor = tensor.permute(3, 2, 0, 1)  # HWIO -> OIHW
            elif tensor.ndim == 2:
                tensor = tensor.t()  # [in, out] -> [out, in]
            if tuple(tensor.shape) != tuple(state[key].shape):
                problems.append(
                    f"weight {name!r} maps to shape {tuple(tensor.shape)}, {key!r} is {tuple(state[key].shape)}"
                )
                continue
            loaded[key] = tensor.contiguous()
        missing = sorted(set(state) - set(loaded))
        if missing:
            problems.append(f"missing weights for {missing[:5]}{' …' if len(missing) > 5 else ''}")
        if problems:
            raise ValueError("Weights do not match the reference UNet: " + "; ".join(problems[:8]))
        self.load_state_dict(loaded, strict=True)

    def canonical_names(self) -> list[str]:
        """core-flow parameter names in core-flow's paramSpecs order, derived from the module tree."""
        return list(self._canonical_order())

    def _canonical_order(self):
        # core-flow declares: time, stem, input stages, middle, output stages, out; inside a res block:
        # in.norm, in.conv, emb, out.norm, out.conv, skip; attention: norm, qkv, proj.
        def lin(prefix):
            return [f"{prefix}.weight", f"{prefix}.bias"]

        def conv(prefix):
            return [f"{prefix}.kernel", f"{prefix}.bias"]

        def norm(prefix):
            return [f"{prefix}.gamma", f"{prefix}.beta"]

        def layer(prefix, module):
            if isinstance(module, ResBlock):
                names = norm(f"{prefix}.in.norm") + conv(f"{prefix}.in.conv") + lin(f"{prefix}.emb")
                names += norm(f"{prefix}.out.norm") + conv(f"{prefix}.out.conv")
                return names + (conv(f"{prefix}.skip") if "skip" in module else [])
            if isinstance(module, Attention):
                return norm(f"{prefix}.norm") + conv(f"{prefix}.qkv") + conv(f"{prefix}.proj")
            return conv(f"{prefix}.conv")

        yield from lin("time.linear1") + lin("time.linear2") + conv("input.0.conv")
        for i, stage in enumerate(self.input[1:], start=1):
            for kind, module in stage.items():
                yield from layer(f"input.{i}.{kind}", module)
        for kind, module in self.middle.items():
            yield from layer(f"middle.{kind}", module)
        for i, stage in enumerate(self.output):
            for kind, module in stage.items():
                yield from layer(f"output.{i}.{kind}", module)
        yield from norm("out.norm") + conv("out.conv")

    def canonical_grads(self) -> np.ndarray:
        """Gradients of all parameters, converted to canonical layouts and concatenated in paramSpecs order."""
        params = dict(self.named_parameters())
        parts = []
        for name in self.canonical_names():
            g = params[self.torch_key(name)].grad
            if g.ndim == 4:
                g = g.permute(2, 3, 1, 0)  # OIHW -> HWIO
            elif g.ndim == 2:
                g = g.t()
            parts.append(g.contiguous().reshape(-1))
        return torch.cat(parts).detach().numpy()


def build_reference(config: dict, weights: dict[str, np.ndarray]) -> UNetReference:
    """A UNetReference for a resolved core-flow model config, with its weights loaded."""
    arch = config["architecture"]
    if arch.get("type", "unet") != "unet":
        raise ValueError(f"Unknown architecture type {arch.get('type')!r}; the reference implements 'unet'.")
    model = UNetReference(arch)
    model.load_canonical(weights)
    return model


# --------------------------------------------------------------------------------------------------
# Conditioning (rgb-palette, as @medsymmflow/conditioning-masks) and the flow


def palette_targets(config: dict) -> tuple[torch.Tensor, float]:
    """Class colours in [-1, 1] ([numClasses, 3]) and the mask noise width of an 'rgb-palette' model."""
    cond = config["conditioning"]
    if cond.get("name") != "rgb-palette":
        raise ValueError(
            f"The PyTorch reference implements the 'rgb-palette' mask only; this model uses {cond.get('name')!r}."
        )
    options = cond.get("options", {})
    levels, step, beta = int(options.get("levels", 4)), int(options.get("step", 75)), float(options.get("beta", 4))
    n = int(config["numClasses"])
    size = levels**3
    rows = []
    for k in range(n):
        i = (k * (size - 1)) // (n - 1)  # floor(linspace(0, size - 1, n)[k]), exactly
        colour = [step * (i // (levels * levels)), step * ((i // levels) % levels), step * (i % levels)]
        rows.append([c / 127.5 - 1 for c in colour])
    return torch.tensor(rows, dtype=torch.float32), beta / 127.5


def encode_masks(labels: torch.Tensor, targets: torch.Tensor, noise_width: float, size: int) -> torch.Tensor:
    """Training masks [n, 3, size, size]: class colour + noise_width * (U - 0.5) on every element."""
    colour = targets[labels][:, :, None, None]
    return colour + noise_width * (torch.rand(labels.shape[0], targets.shape[1], size, size) - 0.5)


def sfm_loss(
    model: UNetReference,
    images: torch.Tensor,
    masks: torch.Tensor,
    xi_x: torch.Tensor,
    xi_m: torch.Tensor,
    t: torch.Tensor,
    image_weight: float = 0.7,
    sigma_min: float = 1e-4,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Symmetrical flow matching loss (w * MSE_img + (1 - w) * MSE_mask), its image and mask parts."""
    tt = t.reshape(-1, 1, 1, 1)
    keep = 1 - (1 - sigma_min) * tt
    xt = keep * xi_x + tt * images
    mt = keep * masks + tt * xi_m
    vx = images - (1 - sigma_min) * xi_x
    vm = xi_m - (1 - sigma_min) * masks
    pred = model(torch.cat([xt, mt], dim=1), t)
    c = images.shape[1]
    image_loss = torch.mean((pred[:, :c] - vx) ** 2)
    mask_loss = torch.mean((pred[:, c:] - vm) ** 2)
    return image_weight * image_loss + (1 - image_weight) * mask_loss, image_loss, mask_loss


def classify_distances(
    model: UNetReference, images: torch.Tensor, noise: torch.Tensor, targets: torch.Tensor, steps: int = 1
) -> torch.Tensor:
    """Euler from t = 1 ([x, xi_m]) to t = 0, then the mean per-pixel L2 distance of the mask to each class colour.

    Returns [n, numClasses]; the predicted class is the argmin of each row.
    """
    x = torch.cat([images, noise], dim=1)
    n = x.shape[0]
    h = -1.0 / steps
    for i in range(steps):
        t = torch.full((n,), 1.0 + i * h, dtype=torch.float32)
        x = x + h * model(x, t)
    mask = x[:, images.shape[1] :]
    diff = mask[:, None, :, :, :] - targets[None, :, :, None, None]  # [n, K, 3, H, W]
    return torch.sqrt(torch.sum(diff * diff, dim=2)).mean(dim=(2, 3))


def nhwc_to_nchw(a: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).permute(0, 3, 1, 2).contiguous()


def nchw_to_nhwc(t: torch.Tensor) -> np.ndarray:
    return t.permute(0, 2, 3, 1).contiguous().detach().numpy()


# --------------------------------------------------------------------------------------------------
# Parity command (driven by parity.mjs)


def run_parity(model_dir: str, data_dir: str) -> dict:
    """Reads the inputs parity.mjs wrote (NHWC .npy) and writes the reference outputs next to them."""
    config, weights = load_model_folder(model_dir)
    model = build_reference(config, weights)
    model.eval()
    names = model.canonical_names()
    if sorted(names) != sorted(weights):
        raise ValueError("The reference's parameter list differs from the model's manifest.")

    def load(name):
        return np.load(os.path.join(data_dir, f"{name}.npy"))

    def save(name, value):
        np.save(os.path.join(data_dir, f"{name}.out.npy"), np.ascontiguousarray(value, dtype=np.float32))

    report = {"torch_version": torch.__version__, "parameters": int(sum(p.numel() for p in model.parameters()))}
    with torch.no_grad():
        velocity = model(nhwc_to_nchw(load("x")), torch.from_numpy(load("t")))
        save("forward", nchw_to_nhwc(velocity))
        if os.path.exists(os.path.join(data_dir, "images.npy")):
            targets, _ = palette_targets(config)
            distances = classify_distances(model, nhwc_to_nchw(load("images")), nhwc_to_nchw(load("noise")), targets)
            save("distances", distances.numpy())
    if os.path.exists(os.path.join(data_dir, "loss_images.npy")):
        model.zero_grad(set_to_none=True)
        loss, image_loss, mask_loss = sfm_loss(
            model,
            nhwc_to_nchw(load("loss_images")),
            nhwc_to_nchw(load("loss_masks")),
            nhwc_to_nchw(load("loss_xi_x")),
            nhwc_to_nchw(load("loss_xi_m")),
            torch.from_numpy(load("loss_t")),
        )
        loss.backward()
        save("loss", np.array([loss.item(), image_loss.item(), mask_loss.item()]))
        save("grads", model.canonical_grads())
    return report


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description="PyTorch reference of the MedSymmFlow-TS UNet.")
    sub = parser.add_subparsers(dest="command", required=True)
    parity = sub.add_parser("parity", help="compute reference outputs for parity.mjs")
    parity.add_argument("--model-dir", required=True)
    parity.add_argument("--data-dir", required=True)
    parity.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    print(json.dumps(run_parity(args.model_dir, args.data_dir)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
