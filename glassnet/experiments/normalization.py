"""``normalization``: what batch norm does to training speed and to the largest learning
rate that still trains, where to put it, and why small batches call for LayerNorm or
GroupNorm instead.

One small CNN throughout: two ``Conv2d(3x3) -> [norm] -> ReLU -> MaxPool2d(2)`` stages
and a hidden ``Linear -> [norm] -> ReLU`` layer before the linear classifier, trained with
SGD and momentum 0.9 on random batches of standardised images (Ioffe & Szegedy 2015 for
batch norm; Ba et al. 2016 for layer norm; Wu & He 2018 for group norm).

1. With and without batch norm at a grid of learning rates: loss curves, the number of
   steps until the running-mean loss drops below a threshold, and the largest learning
   rate that is *stable* -- no non-finite loss and a final loss below half the initial
   one (a net that blows up its ReLUs and sits at ln 10 is not stable either).
2. Batch norm before vs after the ReLU.
3. BatchNorm vs LayerNorm vs GroupNorm trained with batch 2 and with a normal batch: batch
   norm's statistics of two samples are noise (in the hidden Linear layer each feature is
   normalised over two numbers), so it trains badly and its eval-mode (running
   statistics) accuracy falls, while layer and group norm do not depend on the batch.
"""
from __future__ import annotations

import numpy as np

from glassnet import nn

from glassnet.experiments._mlp import accuracy, running_mean, train_sgd

NAME = "normalization"
SUMMARY = ("small CNN with/without batch norm over a learning-rate grid (speed, largest stable "
           "lr), BN before/after ReLU, BatchNorm vs LayerNorm vs GroupNorm at batch 2")

NORMS = ("batch", "layer", "group")


def _settings(quick: bool) -> dict:
    if quick:
        return {"channels": [8, 16], "hidden": 32, "groups": 4, "lrs": [0.01, 0.03, 0.1, 0.3, 1.0],
                "steps": 150, "batch_size": 32, "threshold": 0.5, "common_lr": 0.03,
                "place_lr": 0.1, "place_steps": 250, "small_batches": [2, 32],
                "small_steps": 500, "small_lr": 0.01, "test_limit": None}
    return {"channels": [16, 32], "hidden": 64, "groups": 4, "lrs": [0.01, 0.03, 0.1, 0.3, 1.0],
            "steps": 300, "batch_size": 64, "threshold": 0.3, "common_lr": 0.03,
            "place_lr": 0.1, "place_steps": 400, "small_batches": [2, 64],
            "small_steps": 800, "small_lr": 0.01, "test_limit": 2000}


def _norm(kind, channels, hw=None, groups=4):
    """A normalisation layer of ``kind`` for ``channels`` features (``hw``: spatial size of
    a conv feature map, None for a Linear layer's output)."""
    if kind == "batch":
        return nn.BatchNorm2d(channels) if hw is not None else nn.BatchNorm1d(channels)
    if kind == "layer":
        return nn.LayerNorm([channels, hw, hw] if hw is not None else channels)
    if kind == "group":
        return nn.GroupNorm(groups, channels)
    raise ValueError(f"normalization._norm: kind must be 'batch', 'layer' or 'group', "
                     f"got {kind!r}")


def build_cnn(norm, size: int, channels=(8, 16), hidden: int = 32, where: str = "before",
              groups: int = 4, num_classes: int = 10):
    """The experiment's CNN for ``size x size`` single-channel images.

    ``norm``: None, ``'batch'``, ``'layer'`` or ``'group'``; ``where``: ``'before'`` or
    ``'after'`` the ReLU.
    """
    if norm is not None and norm not in NORMS:
        raise ValueError(f"build_cnn: norm must be None, 'batch', 'layer' or 'group', got "
                         f"{norm!r}")
    if where not in ("before", "after"):
        raise ValueError(f"build_cnn: where must be 'before' or 'after', got {where!r}")
    if size % (2 ** len(channels)):
        raise ValueError(f"build_cnn: size must be divisible by {2 ** len(channels)}, got "
                         f"{size}")

    def block(layer, features, hw):
        out = [layer]
        n = [] if norm is None else [_norm(norm, features, hw, groups)]
        out += n + [nn.ReLU()] if where == "before" else [nn.ReLU()] + n
        return out

    layers, c_in, hw = [], 1, size
    for c in channels:
        layers += block(nn.Conv2d(c_in, c, 3, padding=1), c, hw) + [nn.MaxPool2d(2)]
        c_in, hw = c, hw // 2
    layers += [nn.Flatten()] + block(nn.Linear(c_in * hw * hw, hidden), hidden, None)
    layers.append(nn.Linear(hidden, num_classes))
    return nn.Sequential(*layers)


def steps_to(loss, threshold: float, window: int = 20):
    """First step at which the trailing ``window``-step mean loss is below ``threshold``
    (None if never)."""
    below = np.flatnonzero(running_mean(loss, window) < threshold)
    return int(below[0]) if below.size else None


def _train(ctx, x, y, xt, yt, s, offset, norm, lr, steps, batch_size, where="before"):
    ctx.manual_seed(offset)
    model = build_cnn(norm, x.shape[-1], s["channels"], s["hidden"], where, s["groups"])
    r = train_sgd(model, x, y, steps, batch_size, lr, ctx.rng(offset))
    loss = r["loss"]
    final = float(np.mean(loss[-20:])) if loss else None
    stable = (r["diverged_at"] is None and final is not None and final < 0.5 * loss[0])
    return {"loss": loss, "diverged_at": r["diverged_at"], "initial_loss": loss[0] if loss
            else None, "final_loss": final, "stable": bool(stable),
            "steps_to_threshold": steps_to(loss, s["threshold"]),
            "test_accuracy": accuracy(model, xt, yt)}


def _data(ctx, limit):
    x, y = ctx.images(train=True)
    xt, yt = ctx.images(train=False, limit=limit)
    mean, std = float(x.mean()), float(x.std())
    return ((x - mean) / std).astype(np.float32), y, ((xt - mean) / std).astype(np.float32), yt


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    s = _settings(ctx.quick)
    x, y, xt, yt = _data(ctx, s["test_limit"])

    # -- 1. with / without batch norm over a learning-rate grid --------------------------
    grid = {"none": {}, "batch": {}}
    jobs = [(v, lr) for v in grid for lr in s["lrs"]]
    for k, (variant, lr) in enumerate(ctx.track(jobs, "learning-rate grid")):
        grid[variant][f"{lr:g}"] = _train(ctx, x, y, xt, yt, s, k, None if variant == "none"
                                          else variant, lr, s["steps"], s["batch_size"])
    largest = {v: max([lr for lr in s["lrs"] if grid[v][f"{lr:g}"]["stable"]], default=None)
               for v in grid}
    fig, axes = plt.subplots(1, 2, figsize=(14, 4.6), sharey=True)
    for ax, variant in zip(axes, grid):
        for lr in s["lrs"]:
            r = grid[variant][f"{lr:g}"]
            ax.plot(running_mean(r["loss"]), lw=1.2,
                    label=f"lr {lr:g}" + ("" if r["stable"] else " (unstable)"))
        ax.axhline(s["threshold"], color="k", ls=":", lw=1, label=f"threshold {s['threshold']}")
        ax.set_yscale("log")
        ax.set_xlabel("SGD step (momentum 0.9)")
        ax.set_title(f"{'with batch norm' if variant == 'batch' else 'without normalisation'}: "
                     f"largest stable lr {largest[variant]}")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("training loss (running mean of 20 batches)")
    fig.suptitle(f"Small CNN on {ctx.dataset_name}, batch {s['batch_size']}: loss curves per "
                 "learning rate")
    fig.tight_layout()
    ctx.savefig(fig, "lr_grid_loss_curves.png")

    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.4))
    for variant, label in (("none", "no normalisation"), ("batch", "batch norm")):
        fl = [grid[variant][f"{lr:g}"]["final_loss"] for lr in s["lrs"]]
        st = [grid[variant][f"{lr:g}"]["steps_to_threshold"] for lr in s["lrs"]]
        a.plot(s["lrs"], fl, marker="o", label=label)
        b.plot(s["lrs"], [np.nan if v is None else v for v in st], marker="o", label=label)
    a.axhline(np.log(10), color="gray", ls="--", lw=1, label="ln 10 (chance)")
    a.set_yscale("log")
    a.set_ylabel("final training loss (mean of last 20 steps)")
    a.set_title("Final loss against learning rate")
    b.set_ylabel(f"steps until running loss < {s['threshold']} (missing: never)")
    b.set_title("Convergence speed against learning rate")
    for ax in (a, b):
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    ctx.savefig(fig, "lr_grid_summary.png")

    # -- 2. batch norm before vs after the ReLU ------------------------------------------
    placement = {}
    for k, where in enumerate(ctx.track(("before", "after"), "BN placement")):
        placement[where] = _train(ctx, x, y, xt, yt, s, 100 + k, "batch", s["place_lr"],
                                  s["place_steps"], s["batch_size"], where)
    fig, ax = plt.subplots(figsize=(7, 4.4))
    for where, r in placement.items():
        ax.plot(running_mean(r["loss"]), lw=1.2, label=f"Conv/Linear -> BN -> ReLU (test acc "
                f"{r['test_accuracy']:.3f})" if where == "before" else
                f"Conv/Linear -> ReLU -> BN (test acc {r['test_accuracy']:.3f})")
    ax.set_yscale("log")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("training loss (running mean of 20 batches)")
    ax.set_title(f"Batch norm before vs after the activation (lr {s['place_lr']})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    ctx.savefig(fig, "bn_before_after_relu.png")

    # -- 3. BatchNorm vs LayerNorm vs GroupNorm at small batch sizes ---------------------
    small = {}
    jobs = [(b, n) for b in s["small_batches"] for n in NORMS]
    for k, (bs, norm) in enumerate(ctx.track(jobs, "small batches")):
        small[f"{norm}/{bs}"] = _train(ctx, x, y, xt, yt, s, 200 + k, norm, s["small_lr"],
                                       s["small_steps"], bs)
    fig, (a, b) = plt.subplots(1, 2, figsize=(14, 4.6))
    bs2 = s["small_batches"][0]
    for norm in NORMS:
        r = small[f"{norm}/{bs2}"]
        a.plot(running_mean(r["loss"], 50), lw=1.2,
               label=f"{norm} norm (test acc {r['test_accuracy']:.3f})")
    a.set_xlabel("SGD step")
    a.set_ylabel("training loss (running mean of 50 batches)")
    a.set_title(f"Trained with batch size {bs2}")
    a.grid(True, alpha=0.3)
    a.legend(fontsize=8)
    w = 0.8 / len(s["small_batches"])
    for i, bs in enumerate(s["small_batches"]):
        acc = [small[f"{n}/{bs}"]["test_accuracy"] for n in NORMS]
        bars = b.bar(np.arange(len(NORMS)) + (i - 0.5 * (len(s["small_batches"]) - 1)) * w, acc,
                     w, label=f"batch size {bs}")
        b.bar_label(bars, fmt="%.2f", fontsize=8)
    b.set_xticks(np.arange(len(NORMS)), [f"{n} norm" for n in NORMS])
    b.set_ylim(0, 1.05)
    b.set_ylabel("test accuracy (eval mode)")
    b.set_title(f"Test accuracy after {s['small_steps']} steps (lr {s['small_lr']})")
    b.legend(fontsize=8)
    fig.tight_layout()
    ctx.savefig(fig, "small_batch_norms.png")

    results = {"settings": s, "lr_grid": grid, "largest_stable_lr": largest,
               "placement": placement, "small_batch": small}
    return ctx.finish(results, _findings(results), "Normalisation layers")["results"]


def _st(v) -> str:
    return "never" if v is None else f"{v} steps"


def _findings(r: dict) -> str:
    s, g, big = r["settings"], r["lr_grid"], r["largest_stable_lr"]
    lines = [f"**With and without batch norm** ({s['steps']} SGD steps, momentum 0.9, batch "
             f"{s['batch_size']}; stable = finite loss and final loss below half the initial "
             f"one; speed = steps until the 20-step running loss < {s['threshold']}).", "",
             "| learning rate | no norm: final loss | no norm: steps | batch norm: final loss "
             "| batch norm: steps |", "|---|---|---|---|---|"]
    for lr in s["lrs"]:
        a, b = g["none"][f"{lr:g}"], g["batch"][f"{lr:g}"]
        lines.append(f"| {lr:g} | {a['final_loss']:.3f}{'' if a['stable'] else ' (unstable)'} "
                     f"| {_st(a['steps_to_threshold'])} | {b['final_loss']:.3f}"
                     f"{'' if b['stable'] else ' (unstable)'} | {_st(b['steps_to_threshold'])} |")
    c = f"{s['common_lr']:g}"
    lines += ["", f"- **Largest stable learning rate**: {big['batch']} with batch norm against "
              f"{big['none']} without.",
              f"- **Speed**: at lr {c} batch norm reaches loss {s['threshold']} in "
              f"{_st(g['batch'][c]['steps_to_threshold'])}, the plain net in "
              f"{_st(g['none'][c]['steps_to_threshold'])} (test accuracy "
              f"{g['batch'][c]['test_accuracy']:.3f} vs {g['none'][c]['test_accuracy']:.3f})."]
    p = r["placement"]
    lines.append(f"- **Before or after the ReLU** (lr {s['place_lr']}, {s['place_steps']} steps): "
                 f"BN before the ReLU final loss {p['before']['final_loss']:.3f} / test accuracy "
                 f"{p['before']['test_accuracy']:.3f}; after it {p['after']['final_loss']:.3f} / "
                 f"{p['after']['test_accuracy']:.3f}.")
    sm = r["small_batch"]
    b2, bn = s["small_batches"]
    acc = {k: v["test_accuracy"] for k, v in sm.items()}
    lines.append(f"- **Small batches** ({s['small_steps']} steps, lr {s['small_lr']}): with batch "
                 f"{b2} the test accuracy (eval mode) is {acc[f'batch/{b2}']:.3f} with batch "
                 f"norm, {acc[f'layer/{b2}']:.3f} with layer norm and {acc[f'group/{b2}']:.3f} "
                 f"with group norm (final training loss {sm[f'batch/{b2}']['final_loss']:.3f}, "
                 f"{sm[f'layer/{b2}']['final_loss']:.3f}, {sm[f'group/{b2}']['final_loss']:.3f}); "
                 f"with batch {bn}: {acc[f'batch/{bn}']:.3f}, {acc[f'layer/{bn}']:.3f}, "
                 f"{acc[f'group/{bn}']:.3f}. Batch norm's mean and variance over {b2} samples are "
                 "noise (in the hidden Linear layer every feature is normalised over two numbers, "
                 "so only their order survives), and its running statistics differ from what "
                 "training saw; layer and group norm normalise each sample by itself.")
    return "\n".join(lines)
