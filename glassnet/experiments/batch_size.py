"""``batch-size``: batch size, learning rate and generalisation.

One small ReLU MLP (same initial weights every time) is trained with plain SGD (no
momentum) for the same number of epochs at every combination of a batch size (8 to
512) and a learning rate on a log grid. A fixed epoch budget means a batch of 512 takes
64 times fewer steps than a batch of 8, so it needs a larger learning rate to get as far
(Goyal et al. 2017's linear scaling rule: multiply the lr by k when the batch grows by
k, as long as the lr stays below the divergence limit). Recorded per run: test and train
accuracy (and their gap), final training loss, and whether the loss became non-finite.
"""
from __future__ import annotations

import math

import numpy as np

import glassnet as gn
from glassnet import optim
from glassnet.experiments._mlp import accuracy, build_mlp, flat_data
from glassnet.nn import functional as F

NAME = "batch-size"
SUMMARY = ("test accuracy over a batch size x learning rate grid at a fixed epoch budget: "
           "the best lr grows with the batch (linear scaling), train-test gap per batch")


def _settings(quick: bool) -> dict:
    if quick:
        return {"batch_sizes": [8, 32, 128, 512], "lrs": [0.003, 0.01, 0.03, 0.1, 0.3, 1.0,
                                                          3.0],
                "epochs": 10, "width": 64, "train_limit": None, "test_limit": None,
                "fixed_lr": 0.03}
    return {"batch_sizes": [8, 16, 32, 64, 128, 256, 512],
            "lrs": [0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0], "epochs": 3, "width": 128,
            "train_limit": 20000, "test_limit": 5000, "fixed_lr": 0.03}


def train(model, x, y, batch_size: int, lr: float, epochs: int, rng) -> tuple:
    """Plain SGD over ``epochs`` shuffled passes. Returns the per-epoch mean loss, the
    step of the first non-finite loss (None when it stays finite; training stops there)
    and the number of steps taken."""
    opt = optim.SGD(model.parameters(), lr=lr)
    model.train()
    epoch_loss, diverged_at, step = [], None, 0
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            perm = rng.permutation(len(x))
            total, n = 0.0, 0
            for i in range(0, len(x), batch_size):
                idx = perm[i:i + batch_size]
                opt.zero_grad()
                loss = F.cross_entropy(model(gn.tensor(x[idx])), gn.tensor(y[idx]))
                v = float(loss.item())
                if not math.isfinite(v):
                    diverged_at = step
                    break
                loss.backward()
                opt.step()
                total += v * len(idx)
                n += len(idx)
                step += 1
            if diverged_at is not None:
                break
            epoch_loss.append(total / n)
    return epoch_loss, diverged_at, step


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    s = _settings(ctx.quick)
    x, y, norm = flat_data(ctx, train=True, limit=s["train_limit"])
    xt, yt, _ = flat_data(ctx, train=False, limit=s["test_limit"], mean=norm[0], std=norm[1])
    probe = ctx.rng(1).permutation(len(x))[:len(xt)]  # train accuracy on as many images
    ctx.manual_seed(0)
    init = {k: v.detach().numpy().copy()
            for k, v in build_mlp("relu", 2, s["width"], x.shape[1]).state_dict().items()}
    B, L = s["batch_sizes"], s["lrs"]
    test_acc = np.zeros((len(B), len(L)))
    train_acc = np.zeros((len(B), len(L)))
    final_loss = np.full((len(B), len(L)), np.nan)
    diverged = np.zeros((len(B), len(L)), bool)
    runs = {}
    jobs = [(i, j) for i in range(len(B)) for j in range(len(L))]
    for i, j in ctx.track(jobs, "batch size x lr grid"):
        model = build_mlp("relu", 2, s["width"], x.shape[1])
        model.load_state_dict({k: gn.tensor(v) for k, v in init.items()})
        losses, div, steps = train(model, x, y, B[i], L[j], s["epochs"], ctx.rng(10))
        diverged[i, j] = div is not None
        if div is None:
            test_acc[i, j] = accuracy(model, xt, yt)
            train_acc[i, j] = accuracy(model, x[probe], y[probe])
            final_loss[i, j] = losses[-1]
        else:  # NaN weights predict nothing: count them as chance
            test_acc[i, j] = train_acc[i, j] = 0.1
        runs[f"batch {B[i]} / lr {L[j]:g}"] = {"epoch_loss": losses, "diverged_at": div,
                                               "steps": steps}
    best_j = test_acc.argmax(1)
    best = {str(b): {"lr": L[best_j[i]], "test_accuracy": float(test_acc[i, best_j[i]]),
                     "train_accuracy": float(train_acc[i, best_j[i]]),
                     "gap": float(train_acc[i, best_j[i]] - test_acc[i, best_j[i]]),
                     "steps": runs[f"batch {b} / lr {L[best_j[i]]:g}"]["steps"]}
            for i, b in enumerate(B)}
    jf = L.index(s["fixed_lr"])
    fixed = {str(b): float(test_acc[i, jf]) for i, b in enumerate(B)}
    # the largest lr that still learns (test accuracy above 0.5) per batch
    max_stable = {str(b): max([L[j] for j in range(len(L)) if test_acc[i, j] > 0.5],
                              default=None)
                  for i, b in enumerate(B)}

    _plot_heatmap(ctx, plt, s, test_acc, diverged, best_j)
    _plot_best(ctx, plt, s, test_acc, train_acc, best_j, jf)

    results = {"settings": {**s, "train_size": len(x), "test_size": len(xt),
                            "optimizer": "SGD (no momentum)"},
               "test_accuracy": test_acc.tolist(), "train_accuracy": train_acc.tolist(),
               "final_train_loss": [[None if math.isnan(v) else float(v) for v in row]
                                    for row in final_loss],
               "diverged": diverged.tolist(), "best_per_batch": best,
               "test_accuracy_at_fixed_lr": fixed, "max_learning_lr": max_stable,
               "runs": runs}
    return ctx.finish(results, _findings(results, ctx), "Batch size vs learning rate")[
        "results"]


def _plot_heatmap(ctx, plt, s, acc, diverged, best_j):
    B, L = s["batch_sizes"], s["lrs"]
    fig, ax = plt.subplots(figsize=(1.3 * len(L) + 3, 0.7 * len(B) + 2.5))
    im = ax.imshow(acc, cmap="viridis", vmin=0, vmax=1, aspect="auto")
    for i in range(len(B)):
        for j in range(len(L)):
            txt = "NaN" if diverged[i, j] else f"{acc[i, j]:.2f}"
            ax.text(j, i, txt, ha="center", va="center", fontsize=8,
                    color="white" if acc[i, j] < 0.6 else "black",
                    fontweight="bold" if j == best_j[i] else None)
        ax.add_patch(plt.Rectangle((best_j[i] - 0.5, i - 0.5), 1, 1, fill=False,
                                   ec="red", lw=2))
    ax.set_xticks(range(len(L)), [f"{v:g}" for v in L])
    ax.set_yticks(range(len(B)), [str(b) for b in B])
    ax.set_xlabel("learning rate (SGD, no momentum)")
    ax.set_ylabel("batch size")
    ax.set_title(f"Test accuracy after {s['epochs']} epochs on {ctx.dataset_name} "
                 "(red box: best lr per batch size)")
    fig.colorbar(im, ax=ax, label="test accuracy")
    fig.tight_layout()
    ctx.savefig(fig, "accuracy_heatmap.png")


def _plot_best(ctx, plt, s, test_acc, train_acc, best_j, jf):
    B, L = s["batch_sizes"], s["lrs"]
    fig, axes = plt.subplots(1, 3, figsize=(18, 4.8))
    ax = axes[0]
    best_lr = [L[j] for j in best_j]
    ax.plot(B, best_lr, "o-", label="best lr (grid)")
    ref = best_lr[0] * np.asarray(B, float) / B[0]
    ax.plot(B, ref, "--", color="grey", label="linear scaling from the smallest batch")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_ylim(min(L) / 2, max(L) * 2)
    ax.set_xlabel("batch size")
    ax.set_ylabel("learning rate with the best test accuracy")
    ax.set_title("Best learning rate per batch size")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    ax = axes[1]
    idx = np.arange(len(B))
    tr = [train_acc[i, best_j[i]] for i in idx]
    te = [test_acc[i, best_j[i]] for i in idx]
    ax.plot(B, tr, "o-", label="train accuracy")
    ax.plot(B, te, "s-", label="test accuracy")
    for b, a, c in zip(B, tr, te):
        ax.annotate(f"gap {a - c:+.3f}", (b, c), textcoords="offset points", xytext=(0, -14),
                    ha="center", fontsize=7)
    ax.set_xscale("log", base=2)
    ax.margins(x=0.08, y=0.12)
    ax.set_xlabel("batch size")
    ax.set_ylabel("accuracy (at the best lr)")
    ax.set_title(f"Train vs test at the best lr, {s['epochs']} epochs")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    ax = axes[2]
    for j, lr in enumerate(L):
        ax.plot(B, test_acc[:, j], "o-", lw=2.5 if j == jf else 1,
                label=f"lr {lr:g}" + (" (fixed small lr)" if j == jf else ""))
    ax.axhline(0.1, color="grey", ls=":", label="chance")
    ax.set_xscale("log", base=2)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("batch size")
    ax.set_ylabel("test accuracy")
    ax.set_title("Test accuracy vs batch size at each lr (same epochs)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    ctx.savefig(fig, "best_lr_and_gap.png")


def _findings(r, ctx) -> str:
    s, best, fixed = r["settings"], r["best_per_batch"], r["test_accuracy_at_fixed_lr"]
    B = [str(b) for b in s["batch_sizes"]]
    lines = [f"A {s['width']}-unit ReLU MLP on {ctx.dataset_name} ({s['train_size']} training, "
             f"{s['test_size']} test images), plain SGD, {s['epochs']} epochs for every batch "
             f"size and lr {', '.join(f'{v:g}' for v in s['lrs'])}.", "",
             "| batch size | steps | best lr | test accuracy | train accuracy | gap | "
             f"test accuracy at lr {s['fixed_lr']:g} | largest lr with test accuracy > 0.5 |",
             "|---|---|---|---|---|---|---|---|"]
    for b in B:
        v = best[b]
        ms = r["max_learning_lr"][b]
        lines.append(f"| {b} | {v['steps']} | {v['lr']:g} | {v['test_accuracy']:.3f} | "
                     f"{v['train_accuracy']:.3f} | {v['gap']:+.3f} | {fixed[b]:.3f} | "
                     f"{'-' if ms is None else format(ms, 'g')} |")
    lo, hi = B[0], B[-1]
    ratio = best[hi]["lr"] / best[lo]["lr"]
    lines += [
        "",
        f"- **Best lr grows with the batch**: {best[lo]['lr']:g} for batch {lo}, "
        f"{best[hi]['lr']:g} for batch {hi} ({ratio:.3g}x for a {int(hi) // int(lo)}x larger "
        "batch; the linear scaling rule would give "
        f"{int(hi) // int(lo)}x, capped by the largest lr that still learns).",
        f"- **Same epochs, small lr: large batches underfit**: at lr {s['fixed_lr']:g} batch "
        f"{lo} reaches test accuracy {fixed[lo]:.3f}, batch {hi} only {fixed[hi]:.3f} "
        f"({best[hi]['steps']} vs {best[lo]['steps']} steps at the best lr).",
        f"- **Best achievable accuracy**: {best[lo]['test_accuracy']:.3f} (batch {lo}) vs "
        f"{best[hi]['test_accuracy']:.3f} (batch {hi}); train-test gap at the best lr "
        f"{best[lo]['gap']:+.3f} vs {best[hi]['gap']:+.3f}.",
    ]
    return "\n".join(lines)
