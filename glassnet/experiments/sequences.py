"""``sequences``: why an LSTM or GRU trains where a plain RNN's gradient vanishes.

Three parts, each a classic demonstration:

(a) **Gradient per time step.** ``||dL/dx_t||`` (the loss is the prediction at the last
    step) for every step of a 150-step sequence, for a tanh RNN, an LSTM and a GRU, at
    torch's default initialisation (plus an LSTM whose forget-gate bias starts at 1,
    Gers et al. 2000 / Jozefowicz et al. 2015) and after training on the adding problem.
    Back-propagating through ``t`` steps multiplies by ``t`` Jacobians ``dh_k/dh_{k-1}``;
    a plain RNN's is ``diag(tanh') W_hh``, whose norm sits below 1, so the signal decays
    geometrically. The LSTM's cell state is updated additively, ``c_t = f c_{t-1} + i g``,
    so ``dc_t/dc_{t-1} = f``: once training pushes ``f`` towards 1 the gradient crosses
    hundreds of steps (the constant error carousel, Hochreiter & Schmidhuber 1997); the
    GRU's ``h_t = (1 - z) n + z h_{t-1}`` does the same with ``z``.
(b) **The adding problem** (Hochreiter & Schmidhuber 1997, experiment 4): each step
    carries a value in [0, 1) and a marker; two steps are marked, one in each half, and
    the target is the sum of their values. Predicting the mean (1) gives MSE 1/6 ~ 0.167;
    "solved" means a test MSE below 0.01. Sequence lengths 50, 100, 200; Adam with
    ``clip_grad_norm_(max_norm=1)`` (the table reports how often the clip was active).
(c) **Sequential MNIST**, row by row: 28 steps of 28 pixels, classified from the last
    hidden state (``glassnet.models.lstm_mnist`` and its GRU/RNN twins), test accuracy.

The quick mode (tests) uses length-30 adding problems and the 8x8 digits.
"""
from __future__ import annotations

import time

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.nn import functional as F

NAME = "sequences"
SUMMARY = ("RNN vs LSTM vs GRU: gradient per time step, the adding problem at T=50/100/200, "
           "row-by-row sequential MNIST")

CELLS = ("rnn", "lstm", "gru")
_CORES = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}
SOLVED_MSE = 0.01
BASELINE_MSE = 1.0 / 6.0  # Var(u1 + u2) for u ~ U(0, 1): predicting the mean, 1


def _settings(quick: bool) -> dict:
    if quick:
        return {"probe_steps": 100, "probe_batch": 32, "hidden": 32,
                "adding_lengths": [30], "adding_steps": 800, "adding_batch": 64,
                "adding_lr": 1e-2, "adding_eval": 512, "probe_trained_length": 30,
                "mnist_hidden": 32, "mnist_epochs": 6, "mnist_batch": 32, "mnist_lr": 1e-2,
                "mnist_train_limit": None}
    return {"probe_steps": 150, "probe_batch": 64, "hidden": 64,
            "adding_lengths": [50, 100, 200], "adding_steps": 3000, "adding_batch": 64,
            "adding_lr": 5e-3, "adding_eval": 2000, "probe_trained_length": 100,
            "mnist_hidden": 128, "mnist_epochs": 5, "mnist_batch": 128, "mnist_lr": 2e-3,
            "mnist_train_limit": None}


# ---------------------------------------------------------------------------------------
# The adding problem
# ---------------------------------------------------------------------------------------
def adding_batch(rng, length: int, batch: int):
    """``x (batch, length, 2)``: values U(0, 1) and a 0/1 marker on one step of each half;
    ``y (batch, 1)``: the sum of the two marked values."""
    values = rng.random((batch, length), dtype=np.float32)
    marks = np.zeros((batch, length), np.float32)
    rows = np.arange(batch)
    marks[rows, rng.integers(0, length // 2, batch)] = 1.0
    marks[rows, rng.integers(length // 2, length, batch)] = 1.0
    y = (values * marks).sum(axis=1, keepdims=True)
    return np.stack([values, marks], axis=2), y


class Regressor(nn.Module):
    """A recurrent core (batch_first) and a Linear read-out of its last output."""

    def __init__(self, cell: str, input_size: int, hidden: int, outputs: int):
        super().__init__()
        self.rnn = _CORES[cell](input_size, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, outputs)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


def _model(ctx, cell, input_size, hidden, outputs, offset, forget_bias=None):
    ctx.manual_seed(offset)
    m = Regressor(cell, input_size, hidden, outputs)
    if forget_bias is not None:
        with gn.no_grad():
            m.rnn.bias_ih_l0[hidden:2 * hidden].fill_(forget_bias)
            m.rnn.bias_hh_l0[hidden:2 * hidden].fill_(0.0)
    return m


def _eval_mse(model, rng, length, n):
    x, y = adding_batch(rng, length, n)
    with gn.no_grad():
        return float(F.mse_loss(model(gn.tensor(x)), gn.tensor(y)).item())


def train_adding(model, length, s, rng):
    """Adam + ``clip_grad_norm_(max_norm=1)``; stops early once solved."""
    opt = optim.Adam(model.parameters(), lr=s["adding_lr"])
    params = list(model.parameters())
    losses, clipped, solved_at = [], 0, None
    eval_rng = np.random.default_rng(rng.integers(1 << 31))
    t0 = time.perf_counter()
    check_every = 100
    step = 0
    for step in range(1, s["adding_steps"] + 1):
        x, y = adding_batch(rng, length, s["adding_batch"])
        loss = F.mse_loss(model(gn.tensor(x)), gn.tensor(y))
        opt.zero_grad()
        loss.backward()
        norm = float(nn.utils.clip_grad_norm_(params, 1.0))
        clipped += norm > 1.0
        opt.step()
        losses.append(float(loss.item()))
        if step % check_every == 0 and np.mean(losses[-check_every:]) < SOLVED_MSE:
            if _eval_mse(model, eval_rng, length, 500) < SOLVED_MSE:
                solved_at = step
                break
    return {"loss": losses, "steps": step, "solved_at": solved_at,
            "test_mse": _eval_mse(model, eval_rng, length, s["adding_eval"]),
            "clipped_fraction": clipped / step, "seconds": time.perf_counter() - t0}


# ---------------------------------------------------------------------------------------
# Gradient per time step
# ---------------------------------------------------------------------------------------
def gradient_per_step(model, x):
    """Mean over the batch of ``||dL/dx_t||`` for each step ``t``, ``L`` = the summed
    prediction at the last step."""
    xt = gn.tensor(x, requires_grad=True)
    model.zero_grad()
    model(xt).sum().backward()
    return np.linalg.norm(xt.grad.numpy().astype(np.float64), axis=2).mean(axis=0)


def _ratio(g):
    return float(g[0] / g[-1]) if g[-1] > 0 else 0.0


# ---------------------------------------------------------------------------------------
# Sequential MNIST
# ---------------------------------------------------------------------------------------
def train_rows(ctx, cell, s, data, offset):
    """Train a row-by-row classifier with Adam; returns accuracy and times."""
    from glassnet.models.sequence import RowRNNClassifier

    (x, y), (xt, yt) = data
    steps_per_row, width = x.shape[2], x.shape[3]
    ctx.manual_seed(offset)
    model = RowRNNClassifier(width, s["mnist_hidden"], 1, 10, cell)
    opt = optim.Adam(model.parameters(), lr=s["mnist_lr"])
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, s["mnist_epochs"])
    rng = ctx.rng(offset)
    params = list(model.parameters())
    epochs, t0 = [], time.perf_counter()
    for epoch in ctx.track(range(s["mnist_epochs"]), f"sequential digits: {cell}"):
        model.train()
        order = rng.permutation(len(y))
        losses = []
        for k in range(0, len(y), s["mnist_batch"]):
            idx = order[k:k + s["mnist_batch"]]
            loss = F.cross_entropy(model(gn.tensor(x[idx])), gn.tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            losses.append(float(loss.item()))
        sched.step()
        epochs.append({"train_loss": float(np.mean(losses)),
                       "test_accuracy": _accuracy(model, xt, yt),
                       "seconds": time.perf_counter() - t0})
    return {"epochs": epochs, "test_accuracy": epochs[-1]["test_accuracy"],
            "seconds": time.perf_counter() - t0, "steps": steps_per_row,
            "pixels_per_step": width}


def _accuracy(model, x, y, batch=1000):
    model.eval()
    correct = 0
    with gn.no_grad():
        for k in range(0, len(y), batch):
            correct += int((model(gn.tensor(x[k:k + batch])).argmax(1).numpy()
                            == y[k:k + batch]).sum())
    return correct / len(y)


# ---------------------------------------------------------------------------------------
# run
# ---------------------------------------------------------------------------------------
def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    s = _settings(ctx.quick)
    h = s["hidden"]
    probe_x, _ = adding_batch(ctx.rng(1), s["probe_steps"], s["probe_batch"])

    # -- (a) gradient per step at initialisation ------------------------------------------
    at_init = {}
    variants = [("rnn", None), ("lstm", None), ("lstm", 1.0), ("gru", None)]
    for k, (cell, fb) in enumerate(variants):
        label = cell if fb is None else f"{cell} (forget bias {fb:g})"
        g = gradient_per_step(_model(ctx, cell, 2, h, 1, 10 + k, fb), probe_x)
        at_init[label] = {"grad_norm": g.tolist(), "first_over_last": _ratio(g)}

    # -- (c) row-by-row sequential MNIST ------------------------------------------------
    x, y = ctx.images(train=True, limit=s["mnist_train_limit"])
    xt, yt = ctx.images(train=False)
    mean, std = float(x.mean()), float(x.std())
    data = (((x - mean) / std).astype(np.float32), y), (((xt - mean) / std).astype(np.float32),
                                                        yt)
    rows = {cell: train_rows(ctx, cell, s, data, 200 + k) for k, cell in enumerate(CELLS)}
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for cell, r in rows.items():
        ax.plot(range(1, len(r["epochs"]) + 1), [e["test_accuracy"] for e in r["epochs"]],
                marker="o", label=f"{cell} ({r['test_accuracy']:.4f})")
    ax.set_xlabel("epoch")
    ax.set_ylabel("test accuracy")
    ax.set_title(f"Row-by-row {ctx.dataset_name}: {x.shape[2]} steps of {x.shape[3]} pixels")
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    ctx.savefig(fig, "sequential_digits.png")

    # -- (b) the adding problem -------------------------------------------------------------
    adding, trained = {}, {}
    jobs = [(n, c) for n in s["adding_lengths"] for c in CELLS]
    for k, (length, cell) in enumerate(ctx.track(jobs, "adding problem")):
        model = _model(ctx, cell, 2, h, 1, 100 + k)
        r = train_adding(model, length, s, ctx.rng(100 + k))
        r["solved"] = r["test_mse"] < SOLVED_MSE
        adding[f"{cell}/T={length}"] = r
        if length == s["probe_trained_length"]:
            trained[cell] = model

    after = {}
    for cell, model in trained.items():
        g = gradient_per_step(model, probe_x)
        after[cell] = {"grad_norm": g.tolist(), "first_over_last": _ratio(g)}

    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6), sharey=True)
    steps = np.arange(s["probe_steps"])
    for label, r in at_init.items():
        axes[0].plot(steps, np.maximum(r["grad_norm"], 1e-45), label=label, lw=1.3)
    for cell, r in after.items():
        axes[1].plot(steps, np.maximum(r["grad_norm"], 1e-45), label=cell, lw=1.3)
    axes[0].set_title("at initialisation (torch's default init)")
    axes[1].set_title(f"after training on the adding problem (T={s['probe_trained_length']})")
    for ax in axes:
        ax.set_yscale("log")
        ax.set_xlabel("time step t (the loss reads the last step)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("||dL / dx_t|| (mean over the batch)")
    fig.suptitle(f"Gradient reaching each input step of a {s['probe_steps']}-step sequence "
                 f"(hidden {h})")
    fig.tight_layout()
    ctx.savefig(fig, "gradient_per_step.png")

    fig, axes = plt.subplots(1, len(s["adding_lengths"]),
                             figsize=(5.2 * len(s["adding_lengths"]), 4.2), squeeze=False)
    for ax, length in zip(axes[0], s["adding_lengths"]):
        for cell in CELLS:
            loss = np.asarray(adding[f"{cell}/T={length}"]["loss"])
            w = min(50, len(loss))
            ax.plot(np.convolve(loss, np.ones(w) / w, mode="valid"), label=cell, lw=1.2)
        ax.axhline(BASELINE_MSE, color="gray", ls="--", lw=1, label="predict the mean")
        ax.axhline(SOLVED_MSE, color="green", ls=":", lw=1, label="solved")
        ax.set_yscale("log")
        ax.set_title(f"adding problem, T={length}")
        ax.set_xlabel("Adam step (batch 64)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0][0].set_ylabel("training MSE (running mean of 50)")
    fig.tight_layout()
    ctx.savefig(fig, "adding_problem.png")

    results = {"settings": s, "gradient_at_init": at_init, "gradient_after_training": after,
               "adding": {k: {kk: vv for kk, vv in v.items() if kk != "loss"}
                          | {"final_train_mse": float(np.mean(v["loss"][-50:]))}
                          for k, v in adding.items()},
               "sequential": rows}
    return ctx.finish(results, _findings(results, ctx.dataset_name),
                      "Sequences: vanishing gradients in RNNs, and what LSTM/GRU gates buy"
                      )["results"]


def _fmt(v: float) -> str:
    if v == 0:
        return "0 (underflows float32)"
    return f"{v:.2g}" if 1e-3 <= abs(v) < 1e3 else f"{v:.1e}"


def _findings(r: dict, dataset: str) -> str:
    s = r["settings"]
    n = s["probe_steps"]
    a, b = r["gradient_at_init"], r["gradient_after_training"]
    lines = [f"**(a) Gradient per step** (||dL/dx_0|| / ||dL/dx_{n - 1}||, {n} steps, hidden "
             f"{s['hidden']}):", "",
             "| model | at init | after training on adding T="
             f"{s['probe_trained_length']} |", "|---|---|---|"]
    for label, v in a.items():
        cell = label.split()[0]
        trained = _fmt(b[cell]["first_over_last"]) if label == cell and cell in b else "-"
        lines.append(f"| {label} | {_fmt(v['first_over_last'])} | {trained} |")
    lines += ["", "At initialisation every model's gradient decays geometrically with the "
              "distance to the loss (the LSTM's default forget gate is sigmoid(0) = 0.5 per "
              "step, so it vanishes too; a forget bias of 1 slows the decay to "
              f"{_fmt(a['lstm (forget bias 1)']['first_over_last'])}). After training, the "
              "gated models have learnt to carry it: "
              + ", ".join(f"{c} {_fmt(b[c]['first_over_last'])}" for c in b) + ".", ""]
    lines += [f"**(b) Adding problem** (Adam lr {s['adding_lr']}, batch {s['adding_batch']}, "
              f"hidden {s['hidden']}, clip_grad_norm_(1); predicting the mean gives MSE "
              f"{BASELINE_MSE:.3f}; solved = test MSE < {SOLVED_MSE}):", "",
              "| T | " + " | ".join(CELLS) + " |", "|---|" + "---|" * len(CELLS)]
    for length in s["adding_lengths"]:
        cells = []
        for c in CELLS:
            v = r["adding"][f"{c}/T={length}"]
            tag = (f"solved at step {v['solved_at']}" if v["solved_at"] else
                   "solved" if v["solved"] else "not solved")
            cells.append(f"MSE {v['test_mse']:.4f} ({tag}, {v['steps']} steps, "
                         f"{v['seconds']:.0f} s, clipped {100 * v['clipped_fraction']:.0f}%)")
        lines.append(f"| {length} | " + " | ".join(cells) + " |")
    rows = r["sequential"]
    first = next(iter(rows.values()))
    lines += ["", f"**(c) Row-by-row {dataset}** ({first['steps']} steps of "
              f"{first['pixels_per_step']} pixels, hidden {s['mnist_hidden']}, Adam lr "
              f"{s['mnist_lr']} with cosine decay, {s['mnist_epochs']} epochs): "
              + ", ".join(f"{c} test accuracy {v['test_accuracy']:.4f} ({v['seconds']:.0f} s)"
                          for c, v in rows.items()) + "."]
    return "\n".join(lines)

