"""``regularization``: an MLP that memorises 1,000 training images, and what L2, L1,
dropout, max-norm, data augmentation and early stopping do to its train-test gap.

The same two-hidden-layer ReLU MLP is trained for a fixed number of epochs on a small
class-stratified training set (MNIST: 1,000 images; ``--quick``: a few hundred 8x8
digits) with SGD and momentum 0.9, once per regulariser:

- ``none``;
- ``L2``: ``weight_decay`` in the optimizer (the gradient of ``wd/2 * |w|^2``);
- ``L1``: ``lam * l1_penalty(weights)`` added to the loss (biases unpenalised);
- ``dropout``: ``Dropout(p)`` after each hidden ReLU (Srivastava et al. 2014);
- ``max-norm + dropout``: dropout plus ``max_norm_`` on every weight row after each step
  (section 5.1 of the same paper);
- ``augmentation``: each batch is shifted by a random integer translation per image (in
  NumPy, vectorised; zero fill);
- ``early stopping``: the unregularised net, stopped when the validation accuracy has not
  improved for ``patience`` epochs and restored to the epoch of its best validation
  accuracy.

Train accuracy is measured on the (clean) training set in eval mode, test accuracy on the
test set; the gap is their difference after the last epoch.
"""
from __future__ import annotations

import copy

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.nn import functional as F



def evaluate(model, x, y, batch_size: int = 1000):
    """``(accuracy, mean cross-entropy)`` of ``model`` on ``(x, y)`` in eval mode."""
    model.eval()
    hits, total = 0, 0.0
    with gn.no_grad():
        for i in range(0, len(x), batch_size):
            logits = model(gn.tensor(x[i:i + batch_size]))
            hits += int((logits._data.argmax(1) == y[i:i + batch_size]).sum())
            total += float(F.cross_entropy(logits, gn.tensor(y[i:i + batch_size]),
                                           reduction="sum").item())
    model.train()
    return hits / len(x), total / len(x)

NAME = "regularization"
SUMMARY = ("train/test gap of an MLP on 1,000 images with none, L2, L1, dropout, max-norm + "
           "dropout, augmentation and early stopping")

METHODS = ("none", "L2", "L1", "dropout", "max-norm + dropout", "augmentation",
           "early stopping")


def _settings(quick: bool) -> dict:
    if quick:
        return {"train": 200, "val": 200, "test_limit": None, "extra_test": True,
                "width": 256, "epochs": 60, "batch_size": 20, "lr": 0.02,
                "weight_decay": 0.01, "l1": 3e-4, "dropout": 0.5, "max_norm": 1.0,
                "shift": 1.0, "patience": 10}
    return {"train": 1000, "val": 1000, "test_limit": None, "extra_test": False,
            "width": 256, "epochs": 100, "batch_size": 50, "lr": 0.02,
            "weight_decay": 0.01, "l1": 3e-5, "dropout": 0.5, "max_norm": 2.0,
            "shift": 2.0, "patience": 15}


def random_shift(x, max_shift: float, rng):
    """Translate every image of ``x`` ``(N, C, H, W)`` by its own random offset, drawn
    uniformly from ``[-max_shift, max_shift]`` pixels along each axis (sub-pixel offsets
    by bilinear interpolation), filling with zeros; vectorised over the batch."""
    if isinstance(max_shift, bool) or not isinstance(max_shift, (int, float)) \
            or not max_shift >= 0:
        raise ValueError(f"random_shift: max_shift must be a number >= 0, got {max_shift!r}")
    if x.ndim != 4:
        raise ValueError(f"random_shift: x must be (N, C, H, W), got shape {x.shape}")
    if max_shift == 0:
        return x
    n, c, h, w = x.shape
    k = int(np.ceil(max_shift)) + 1
    padded = np.pad(x, ((0, 0), (0, 0), (k, k), (k, k)))
    # output pixel (i, j) samples the input at (i - dy, j - dx)
    dy, dx = rng.uniform(-max_shift, max_shift, (2, n))
    y0, x0 = np.floor(-dy), np.floor(-dx)
    fy, fx = (-dy - y0).astype(x.dtype), (-dx - x0).astype(x.dtype)
    ni, ci = np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None]
    out = np.zeros_like(x)
    for oy, wy in ((0, 1 - fy), (1, fy)):
        rows = (k + y0.astype(int) + oy)[:, None] + np.arange(h)
        for ox, wx in ((0, 1 - fx), (1, fx)):
            cols = (k + x0.astype(int) + ox)[:, None] + np.arange(w)
            out += ((wy * wx)[:, None, None, None]
                    * padded[ni, ci, rows[:, None, :, None], cols[:, None, None, :]])
    return out


def build_net(d_in: int, width: int, dropout: float = 0.0, num_classes: int = 10):
    layers = []
    for d in (d_in, width):
        layers += [nn.Linear(d, width), nn.ReLU()]
        if dropout:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def _train(ctx, method, data, s, offset):
    """Train one net; per-epoch train/val/test accuracy and training loss."""
    x, y, xv, yv, xt, yt, (mean, std) = data
    flat = lambda a: ((a.reshape(len(a), -1) - mean) / std).astype(np.float32)  # noqa: E731
    fx, fv, ft = flat(x), flat(xv), flat(xt)
    ctx.manual_seed(offset)
    dropout = s["dropout"] if "dropout" in method else 0.0
    model = build_net(fx.shape[1], s["width"], dropout)
    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    opt = optim.SGD(model.parameters(), lr=s["lr"], momentum=0.9,
                    weight_decay=s["weight_decay"] if method == "L2" else 0.0)
    rng = ctx.rng(offset)
    curves = {"train_accuracy": [], "val_accuracy": [], "test_accuracy": [], "batch_loss": [],
              "train_loss": [], "test_loss": []}
    best = {"epoch": None, "val": -1.0, "state": None}
    stopped_at = None
    for epoch in range(1, s["epochs"] + 1):
        model.train()
        order = rng.permutation(len(x))
        losses = []
        for i in range(0, len(order), s["batch_size"]):
            idx = order[i:i + s["batch_size"]]
            xb = flat(random_shift(x[idx], s["shift"], rng)) if method == "augmentation" \
                else fx[idx]
            opt.zero_grad()
            loss = F.cross_entropy(model(gn.tensor(xb)), gn.tensor(y[idx]))
            losses.append(float(loss.item()))
            if method == "L1":
                loss = loss + s["l1"] * nn.utils.l1_penalty(weights)
            loss.backward()
            opt.step()
            if method == "max-norm + dropout":
                nn.utils.max_norm_(weights, s["max_norm"])
        curves["batch_loss"].append(float(np.mean(losses)))
        for key, (a, b) in (("train", (fx, y)), ("val", (fv, yv)), ("test", (ft, yt))):
            acc, loss = evaluate(model, a, b)
            curves[f"{key}_accuracy"].append(acc)
            if key != "val":
                curves[f"{key}_loss"].append(loss)
        if method == "early stopping":
            if curves["val_accuracy"][-1] > best["val"]:
                best = {"epoch": epoch, "val": curves["val_accuracy"][-1],
                        "state": copy.deepcopy(model.state_dict())}
            elif epoch - best["epoch"] >= s["patience"]:
                stopped_at = epoch
                break
    out = dict(curves)
    if method == "early stopping":
        model.load_state_dict(best["state"])
        out.update(best_epoch=best["epoch"], stopped_at=stopped_at or s["epochs"])
    (tr_acc, tr_loss), (te_acc, te_loss) = evaluate(model, fx, y), evaluate(model, ft, yt)
    out.update(final_train_accuracy=tr_acc, final_test_accuracy=te_acc,
               final_val_accuracy=evaluate(model, fv, yv)[0], final_train_loss=tr_loss,
               final_test_loss=te_loss, gap=tr_acc - te_acc, loss_gap=te_loss - tr_loss)
    return out


def _stratified(y, n, rng):
    """``n`` indices of ``y`` (about ``n/10`` per class), in random order."""
    per = [rng.permutation(np.flatnonzero(y == c)) for c in range(10)]
    take = np.concatenate([p[:-(-n // 10)] for p in per])[:n]
    return rng.permutation(take)


def _data(ctx, s):
    """Class-stratified train and validation sets from the training split; the test set is
    the test split (``extra_test``: plus the training split's unused images, so that the
    small digits test set gives less noisy accuracies)."""
    x, y = ctx.images(train=True)
    xt, yt = ctx.images(train=False, limit=s["test_limit"])
    rng = ctx.rng(1)
    tr = _stratified(y, s["train"], rng)
    rest = np.setdiff1d(np.arange(len(y)), tr)
    va = rest[_stratified(y[rest], s["val"], rng)]
    if s["extra_test"]:
        unused = np.setdiff1d(rest, va)
        xt, yt = np.concatenate([xt, x[unused]]), np.concatenate([yt, y[unused]])
    mean, std = float(x[tr].mean()), float(x[tr].std())
    return x[tr], y[tr], x[va], y[va], xt, yt, (mean, std)


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    s = _settings(ctx.quick)
    data = _data(ctx, s)
    runs = {}
    for k, method in enumerate(ctx.track(METHODS, "regularisers")):
        # early stopping starts from the very same net and batches as "none"
        runs[method] = _train(ctx, method, data, s, 0 if method == "early stopping" else k)

    fig, axes = plt.subplots(2, 4, figsize=(18, 8), sharex=True, sharey=True)
    for ax, method in zip(axes.flat, METHODS):
        r = runs[method]
        ep = np.arange(1, len(r["train_accuracy"]) + 1)
        ax.plot(ep, r["train_accuracy"], label="train")
        ax.plot(ep, r["val_accuracy"], label="validation", lw=1, alpha=0.8)
        ax.plot(ep, r["test_accuracy"], label="test")
        if method == "early stopping":
            ax.axvline(r["best_epoch"], color="k", ls=":", label=f"best val: epoch "
                       f"{r['best_epoch']}")
        ax.set_title(f"{method}: gap {r['gap']:.3f}")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8, loc="lower right")
    for ax in axes[1]:
        ax.set_xlabel("epoch")
    for ax in axes[:, 0]:
        ax.set_ylabel("accuracy")
    axes.flat[-1].axis("off")
    fig.suptitle(f"MLP on {s['train']} {ctx.dataset_name} training images: train / validation "
                 "/ test accuracy per epoch")
    fig.tight_layout()
    ctx.savefig(fig, "accuracy_curves.png")

    fig, (a, c, b) = plt.subplots(1, 3, figsize=(20, 4.8))
    for method in METHODS:
        r = runs[method]
        gap = np.array(r["train_accuracy"]) - np.array(r["test_accuracy"])
        a.plot(np.arange(1, gap.size + 1), gap, label=method, lw=1.2)
        c.plot(np.arange(1, gap.size + 1), r["test_loss"], label=method, lw=1.2)
    a.set_xlabel("epoch")
    a.set_ylabel("train accuracy - test accuracy")
    a.set_title("Generalisation gap (accuracy) per epoch")
    c.set_xlabel("epoch")
    c.set_yscale("log")
    c.set_ylabel("test cross-entropy (log scale)")
    c.set_title("Test loss per epoch (overconfidence shows as a rise)")
    for ax in (a, c):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    pos = np.arange(len(METHODS))
    tr = [runs[m]["final_train_accuracy"] for m in METHODS]
    te = [runs[m]["final_test_accuracy"] for m in METHODS]
    b.bar(pos - 0.2, tr, 0.4, label="train")
    bars = b.bar(pos + 0.2, te, 0.4, label="test")
    b.bar_label(bars, fmt="%.3f", fontsize=7)
    b.set_xticks(pos, METHODS, rotation=25, ha="right")
    b.set_ylim(min(te + tr) - 0.05, 1.01)
    b.set_ylabel("final accuracy")
    b.set_title("Final train and test accuracy")
    b.legend(fontsize=8, loc="lower left")
    fig.tight_layout()
    ctx.savefig(fig, "gap_summary.png")

    results = {"settings": s, "runs": runs,
               "table": {m: {k: runs[m][k] for k in ("final_train_accuracy",
                                                      "final_test_accuracy", "gap")}
                         for m in METHODS}}
    return ctx.finish(results, _findings(results, ctx.dataset_name), "Regularisation")["results"]


def _findings(r: dict, data: str) -> str:
    s, runs = r["settings"], r["runs"]
    lines = [f"**An MLP (2 hidden ReLU layers of {s['width']}) on {s['train']} {data} training "
             f"images**, {s['epochs']} epochs of SGD (lr {s['lr']}, momentum 0.9, batch "
             f"{s['batch_size']}). L2: weight_decay {s['weight_decay']:g}; L1: "
             f"{s['l1']:g} x sum|w|; dropout p = {s['dropout']}; max-norm {s['max_norm']:g} per "
             f"unit; augmentation: random shifts of up to {s['shift']:g} pixel(s); early "
             f"stopping: patience {s['patience']} epochs on {s['val']} validation images. "
             "Accuracy gap = train - test accuracy; loss gap = test - train cross-entropy "
             "(both in eval mode, after the last epoch).", "",
             "| regulariser | train accuracy | test accuracy | accuracy gap | train loss | "
             "test loss | loss gap |", "|---|---|---|---|---|---|---|"]
    for m in METHODS:
        t = runs[m]
        lines.append(f"| {m} | {t['final_train_accuracy']:.3f} | {t['final_test_accuracy']:.3f} "
                     f"| {t['gap']:.3f} | {t['final_train_loss']:.4f} | "
                     f"{t['final_test_loss']:.3f} | {t['loss_gap']:.3f} |")
    none = runs["none"]
    smaller = [m for m in METHODS[1:] if runs[m]["gap"] < none["gap"]]
    smaller_loss = [m for m in METHODS[1:] if runs[m]["loss_gap"] < none["loss_gap"]]
    best = max(METHODS, key=lambda m: runs[m]["final_test_accuracy"])
    es = runs["early stopping"]
    lines += ["", f"- **Overfitting**: unregularised, the net fits its training set to "
              f"{none['final_train_accuracy']:.3f} (loss {none['final_train_loss']:.4f}) but "
              f"reaches {none['final_test_accuracy']:.3f} on the test set (loss "
              f"{none['final_test_loss']:.3f}): an accuracy gap of {none['gap']:.3f}.",
              f"- **Smaller accuracy gap** than none's with: {', '.join(smaller) or 'none of them'}"
              f"; **smaller loss gap** with: {', '.join(smaller_loss) or 'none of them'}. The "
              f"best test accuracy is {best}'s ({runs[best]['final_test_accuracy']:.3f}). With "
              "this little data every net still fits its training set, so most of the effect "
              "is on the test loss (less overconfident wrong answers) rather than on accuracy.",
              f"- **Early stopping** stopped at epoch {es['stopped_at']} and restored epoch "
              f"{es['best_epoch']}, the best validation accuracy "
              f"({es['final_val_accuracy']:.3f}); its test accuracy then is "
              f"{es['final_test_accuracy']:.3f}."]
    return "\n".join(lines)
