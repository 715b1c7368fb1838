"""``degradation``: a deeper plain network trains worse than a shallower one; the same
depth with identity shortcuts does not (He et al. 2015, figures 1 and 6).

Four CIFAR-style networks from the model zoo (``residual_net``: a 3x3 stem conv, three
stages of ``n`` basic blocks with the width doubling and the resolution halving at each
new stage, global average pooling, a linear classifier; depth ``6n + 2``) are trained
with exactly the same SGD (momentum 0.9, same learning rate, same steps, same batches):
plain-20 and plain-56 (no shortcuts) and ResNet-20 and ResNet-56 (option-A identity
shortcuts, parameter-free, so each ResNet has exactly its plain twin's parameters). All
use batch norm after every convolution, so the plain-56's trouble is not vanishing
gradients at initialisation but an optimisation difficulty. The curves are the training
loss and training error of each mini-batch, smoothed with a running mean.
"""
from __future__ import annotations

import math
import time

import numpy as np

import glassnet as gn
from glassnet import optim
from glassnet.nn import functional as F

from glassnet.experiments._mlp import accuracy, running_mean

NAME = "degradation"
SUMMARY = ("plain-20 vs plain-56 vs ResNet-20 vs ResNet-56: the deeper plain net trains "
           "worse, the deeper ResNet does not (He et al. 2015)")

# label -> (depth, shortcut)
NETS = {"plain-20": (20, "none"), "plain-56": (56, "none"),
        "ResNet-20": (20, "A"), "ResNet-56": (56, "A")}
COLORS = {"plain-20": "tab:orange", "plain-56": "tab:red",
          "ResNet-20": "tab:cyan", "ResNet-56": "tab:blue"}


def _settings(quick: bool) -> dict:
    if quick:
        return {"base_width": 4, "steps": 150, "batch_size": 32, "lr": 0.1,
                "weight_decay": 0.0, "train_limit": None, "downsample": 1,
                "smooth": 25, "final_window": 40, "eval_limit": 1000}
    return {"base_width": 4, "steps": 600, "batch_size": 64, "lr": 0.1,
            "weight_decay": 0.0, "train_limit": 20000, "downsample": 2,
            "smooth": 50, "final_window": 100, "eval_limit": 5000}


def _data(ctx, s):
    """Training images (downsampled by average pooling when asked), standardised."""
    x, y = ctx.images(train=True, limit=s["train_limit"])
    k = s["downsample"]
    if k > 1:
        n, c, h, w = x.shape
        x = x[:, :, :h - h % k, :w - w % k].reshape(n, c, h // k, k, w // k, k).mean((3, 5))
    x = ((x - x.mean()) / x.std()).astype(np.float32)
    return x, y


def build(depth: int, shortcut: str, base_width: int, in_channels: int = 1):
    """The CIFAR-style net of ``depth = 6n + 2`` layers: ``residual_net(n, 3, base_width)``
    with option-A shortcuts (``'A'``) or none (``'none'``)."""
    from glassnet.vision.models.cifar_resnet import residual_net

    if not isinstance(depth, int) or depth < 8 or (depth - 2) % 6:
        raise ValueError(f"degradation.build: depth must be an int 6n+2 >= 8, got {depth!r}")
    return residual_net((depth - 2) // 6, 3, base_width, "basic", shortcut,
                        in_channels=in_channels)


def train(model, x, y, steps, batch_size, lr, rng, weight_decay=0.0, track=None) -> dict:
    """SGD with momentum 0.9 at a constant learning rate; per step the batch's
    cross-entropy and error rate."""
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9, weight_decay=weight_decay)
    loss_curve, err_curve = [], []
    model.train()
    it = range(steps) if track is None else track(range(steps))
    for _ in it:
        idx = rng.integers(0, len(x), batch_size)
        yb = y[idx]
        opt.zero_grad()
        logits = model(gn.tensor(x[idx]))
        loss = F.cross_entropy(logits, gn.tensor(yb))
        value = float(loss.item())
        if not math.isfinite(value):
            break
        loss.backward()
        opt.step()
        loss_curve.append(value)
        err_curve.append(float(np.mean(logits._data.argmax(1) != yb)))
    return {"loss": loss_curve, "error": err_curve}


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    s = _settings(ctx.quick)
    x, y = _data(ctx, s)
    s["image_size"] = list(x.shape[2:])
    s["train_images"] = len(x)
    w = s["final_window"]
    runs = {}
    for k, (label, (depth, shortcut)) in enumerate(NETS.items()):
        ctx.manual_seed(k)
        model = build(depth, shortcut, s["base_width"], x.shape[1])
        n_params = sum(p.numel() for p in model.parameters())
        # same batches for every net: the same generator seed
        t0 = time.perf_counter()
        r = train(model, x, y, s["steps"], s["batch_size"], s["lr"], ctx.rng(1000),
                  s["weight_decay"], track=lambda it: ctx.track(it, f"training {label}"))
        seconds = time.perf_counter() - t0
        ev = min(len(x), s["eval_limit"])
        runs[label] = {"depth": depth, "shortcut": shortcut, "parameters": int(n_params),
                       "loss": r["loss"], "error": r["error"],
                       "final_loss": float(np.mean(r["loss"][-w:])),
                       "final_error": float(np.mean(r["error"][-w:])),
                       "train_error_eval": 1.0 - accuracy(model, x[:ev], y[:ev]),
                       "seconds": round(seconds, 2)}

    fig, (a, b) = plt.subplots(1, 2, figsize=(13.5, 4.6))
    for label, r in runs.items():
        style = "--" if r["shortcut"] == "none" else "-"
        lw = 2.0 if r["depth"] == 56 else 1.3
        a.plot(100 * running_mean(r["error"], s["smooth"]), style, color=COLORS[label], lw=lw,
               label=f"{label} (final {100 * r['final_error']:.1f}%)")
        b.plot(running_mean(r["loss"], s["smooth"]), style, color=COLORS[label], lw=lw,
               label=f"{label} (final {r['final_loss']:.3f})")
    a.set_ylabel(f"training error, % (running mean of {s['smooth']} batches)")
    b.set_ylabel(f"training loss (running mean of {s['smooth']} batches)")
    b.set_yscale("log")
    for ax, what in ((a, "error"), (b, "loss")):
        ax.set_xlabel("SGD step")
        ax.set_title(f"Training {what}: plain (dashed) vs residual (solid)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=9)
    fig.suptitle(f"Degradation on {ctx.dataset_name.split(' ')[0]} at {s['image_size'][0]}x"
                 f"{s['image_size'][1]}: base width {s['base_width']}, SGD lr {s['lr']}, "
                 f"momentum 0.9, batch {s['batch_size']}")
    fig.tight_layout()
    ctx.savefig(fig, "training_curves.png")

    fig, ax = plt.subplots(figsize=(6.5, 4.4))
    for kind, marker in (("none", "o"), ("A", "s")):
        labels = [k for k, r in runs.items() if r["shortcut"] == kind]
        ax.plot([runs[k]["depth"] for k in labels], [runs[k]["final_loss"] for k in labels],
                marker=marker, ms=8, lw=2,
                label="plain (no shortcuts)" if kind == "none" else "ResNet (identity shortcuts)")
        for k in labels:
            ax.annotate(f"{runs[k]['final_loss']:.3f}", (runs[k]["depth"], runs[k]["final_loss"]),
                        textcoords="offset points", xytext=(6, 4), fontsize=9)
    ax.set_xticks([20, 56])
    ax.set_xlabel("depth (weighted layers)")
    ax.set_ylabel(f"final training loss (mean of last {w} steps)")
    ax.set_title("Deeper: worse for plain nets, not for ResNets")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=9)
    fig.tight_layout()
    ctx.savefig(fig, "final_loss_vs_depth.png")

    results = {"settings": s, "runs": runs,
               "plain_56_over_20": runs["plain-56"]["final_loss"] / runs["plain-20"]["final_loss"],
               "resnet_56_over_20": (runs["ResNet-56"]["final_loss"]
                                     / runs["ResNet-20"]["final_loss"]),
               "depth_penalty": {  # final loss of the 56-layer net minus the 20-layer one's
                   "plain": runs["plain-56"]["final_loss"] - runs["plain-20"]["final_loss"],
                   "resnet": runs["ResNet-56"]["final_loss"] - runs["ResNet-20"]["final_loss"]}}
    return ctx.finish(results, _findings(results), "Degradation: deeper plain nets train worse")[
        "results"]


def _findings(r: dict) -> str:
    s, runs = r["settings"], r["runs"]
    lines = [f"Four nets trained identically ({s['steps']} SGD steps, lr {s['lr']}, momentum "
             f"0.9, batch {s['batch_size']}, base width {s['base_width']}, images "
             f"{s['image_size'][0]}x{s['image_size'][1]}); final = mean of the last "
             f"{s['final_window']} steps.", "",
             "| net | parameters | final training loss | final training error | "
             "training-set error (eval mode) |", "|---|---|---|---|---|"]
    for label, x in runs.items():
        lines.append(f"| {label} | {x['parameters']} | {x['final_loss']:.3f} | "
                     f"{100 * x['final_error']:.1f}% | {100 * x['train_error_eval']:.1f}% |")
    p20, p56 = runs["plain-20"], runs["plain-56"]
    r20, r56 = runs["ResNet-20"], runs["ResNet-56"]
    worse = p56["final_loss"] > p20["final_loss"]
    lines += ["", f"- **Degradation{'' if worse else ' not reproduced'}**: the plain-56 "
              f"ends at training loss {p56['final_loss']:.3f} against the plain-20's "
              f"{p20['final_loss']:.3f} ({r['plain_56_over_20']:.2f}x), training error "
              f"{100 * p56['final_error']:.1f}% vs {100 * p20['final_error']:.1f}%"
              + (": the deeper plain net fits its own training data worse, although it could "
                 "represent the shallower one (extra layers as identities), so this is an "
                 "optimisation difficulty, not overfitting." if worse else "."),
              f"- **Residual nets**: the ResNet-56 reaches {r56['final_loss']:.3f} against the "
              f"ResNet-20's {r20['final_loss']:.3f} ({r['resnet_56_over_20']:.2f}x), "
              f"training error {100 * r56['final_error']:.1f}% vs "
              f"{100 * r20['final_error']:.1f}%"
              + (": with identity shortcuts the extra 36 layers only have to learn a residual "
                 "around the identity, and depth no longer hurts." if r["resnet_56_over_20"]
                 <= 1.1 else
                 f". The deeper ResNet is still behind after only {s['steps']} steps (it "
                 "starts more slowly), but adding the 36 layers costs it "
                 f"{r['depth_penalty']['resnet']:+.3f} in training loss against "
                 f"{r['depth_penalty']['plain']:+.3f} for the plain nets, and it ends far "
                 "below both plain nets.")]
    return "\n".join(lines)
