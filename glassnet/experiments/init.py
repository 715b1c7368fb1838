"""``init``: how the initialisation shapes each layer's activations, and what one epoch
of training does with it.

10-layer tanh and ReLU MLPs (ten hidden ``Linear`` + activation layers and a linear
output layer) are initialised with zeros, N(0, 0.02), N(0, 1), Xavier-uniform (Glorot &
Bengio 2010) and He-normal (He et al. 2015), biases zero. ActivationStats measures every
activation layer on a probe batch at initialisation and after training: the std per
layer (collapse to 0 or explosion), the share of saturated tanh units (``|y| > 0.99``) and
of dead ReLU units (zero for every probe image). Each net is then trained for one epoch
of MNIST (``--quick``: a few passes over the 8x8 digits) with SGD and momentum.
"""
from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.experiments._mlp import (INITS, accuracy, build_mlp, flat_data, init_linear_,
                                       running_mean, train_sgd)

NAME = "init"
SUMMARY = ("activation histograms per layer of 10-layer tanh/ReLU MLPs under zeros, "
           "N(0,0.02), N(0,1), Xavier and He init, and one epoch of training with each")

ACTS = ("tanh", "relu")


def _settings(quick: bool) -> dict:
    if quick:
        return {"width": 64, "hidden_layers": 10, "probe": 512, "epochs": 5,
                "batch_size": 64, "lr": 0.01}
    return {"width": 256, "hidden_layers": 10, "probe": 1000, "epochs": 1, "batch_size": 64,
            "lr": 0.01}


def _measure(model, x, hist_range):
    """ActivationStats of one forward pass over ``x``, keyed ``'layer 1'``..."""
    from glassnet.inspect import ActivationStats

    model.eval()
    with ActivationStats(model, hist_range=hist_range) as st, gn.no_grad(), \
            np.errstate(all="ignore"):
        model(gn.tensor(x))
    model.train()
    return {f"layer {k + 1}": st.stats[name] for k, name in enumerate(st.layers)}


def _per_layer(stats, key):
    return [np.nan if s[key] is None else s[key] for s in stats.values()]


def _mean(v):
    v = np.asarray(v, np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else None


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    from glassnet.inspect import plot_activation_histograms

    s = _settings(ctx.quick)
    x, y, norm = flat_data(ctx, train=True)
    xt, yt, _ = flat_data(ctx, train=False, limit=2000, mean=norm[0], std=norm[1])
    probe = x[ctx.rng(1).permutation(len(x))[:s["probe"]]]
    steps = s["epochs"] * (len(x) // s["batch_size"])
    nets = {}
    jobs = [(a, i) for a in ACTS for i in INITS]
    for k, (act, init) in enumerate(ctx.track(jobs, "init + one epoch per net")):
        ctx.manual_seed(k)
        model = build_mlp(act, s["hidden_layers"] + 1, s["width"], x.shape[1])
        init_linear_(model, INITS[init])
        hist_range = (-1.0, 1.0) if act == "tanh" else None
        before = _measure(model, probe, hist_range)
        r = train_sgd(model, x, y, steps, s["batch_size"], s["lr"], ctx.rng(10 + k))
        after = _measure(model, probe, hist_range)
        if r["diverged_at"] is not None:  # NaN weights: nothing left to measure
            after = {ln: dict(v, **{k: None for k in _NUMBERS}) for ln, v in after.items()}
        nets[f"{act}/{init}"] = {
            "before": before, "after": after, "loss": r["loss"],
            "diverged_at": r["diverged_at"],
            "test_accuracy": accuracy(model, xt, yt),
            "final_loss": (None if r["diverged_at"] is not None
                           else float(np.mean(r["loss"][-20:]))),
        }

    summary = {}
    for key, n in nets.items():
        b, a = n["before"], n["after"]
        summary[key] = {
            "std_per_layer_at_init": _per_layer(b, "std"),
            "first_layer_std": _per_layer(b, "std")[0],
            "last_layer_std": _per_layer(b, "std")[-1],
            "saturated_fraction_at_init": _mean(_per_layer(b, "saturated_fraction")),
            "saturated_fraction_after": _mean(_per_layer(a, "saturated_fraction")),
            "dead_fraction_at_init": _mean(_per_layer(b, "dead_fraction")),
            "dead_fraction_after": _mean(_per_layer(a, "dead_fraction")),
            "zero_fraction_at_init": _mean(_per_layer(b, "zero_fraction")),
            "test_accuracy": n["test_accuracy"], "final_loss": n["final_loss"],
            "initial_loss": n["loss"][0] if n["loss"] else None,
            "diverged_at": n["diverged_at"],
        }

    _plot_std(ctx, plt, nets, s)
    _plot_saturation(ctx, plt, nets)
    for act in ACTS:
        rows = {init: nets[f"{act}/{init}"]["before"] for init in INITS}
        # quick runs draw 5 of the 10 layers (matplotlib, not the nets, is their bottleneck)
        fig = plot_activation_histograms(
            rows, max_layers=5 if ctx.quick else None,
            title=f"{act} MLP at initialisation: activation histogram per layer "
            f"(rows: init; {ctx.dataset_name} probe batch)")
        ctx.savefig(fig, f"{act}_histograms_at_init.png")
    _plot_training(ctx, plt, nets, s, steps)

    results = {"settings": {**s, "steps": steps}, "nets": summary,
               "per_layer": {k: {"before": {ln: _slim(v) for ln, v in n["before"].items()},
                                 "after": {ln: _slim(v) for ln, v in n["after"].items()}}
                             for k, n in nets.items()},
               "loss_curves": {k: n["loss"] for k, n in nets.items()}}
    return ctx.finish(results, _findings(results, ctx), "Initialisation and activations")[
        "results"]


_NUMBERS = ("mean", "std", "zero_fraction", "dead_fraction", "saturated_fraction")


def _slim(stats):
    return {k: stats[k] for k in _NUMBERS + ("percentiles", "nonfinite_fraction")}


def _plot_std(ctx, plt, nets, s):
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.6))
    layers = np.arange(1, s["hidden_layers"] + 1)
    for ax, act in zip(axes, ACTS):
        for init in INITS:
            std = np.array(_per_layer(nets[f"{act}/{init}"]["before"], "std"), np.float64)
            label = init if np.any(std > 0) else f"{init} (std 0 everywhere: not drawn)"
            ax.plot(layers, np.where(std > 0, std, np.nan), marker="o", ms=4, label=label)
        ax.set_yscale("log")
        ax.set_xlabel("hidden layer (1 = input side)")
        ax.set_ylabel("std of the activations")
        ax.set_title(f"{act}: activation std per layer at init")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    ctx.savefig(fig, "activation_std_per_layer.png")


def _plot_saturation(ctx, plt, nets):
    fig, axes = plt.subplots(2, 2, figsize=(13, 8), sharex=True)
    for col, (act, key, what) in enumerate((("tanh", "saturated_fraction",
                                             "saturated (|y| > 0.99)"),
                                            ("relu", "dead_fraction",
                                             "dead units (0 for every probe image)"))):
        for row, when in enumerate(("before", "after")):
            ax = axes[row, col]
            for init in INITS:
                v = _per_layer(nets[f"{act}/{init}"][when], key)
                ax.plot(np.arange(1, len(v) + 1), v, marker="o", ms=4, label=init)
            ax.set_ylim(-0.03, 1.03)
            ax.set_ylabel(f"fraction {what.split(' (')[0]}")
            ax.set_title(f"{act}: {what}, {'at init' if when == 'before' else 'after training'}")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
    for ax in axes[1]:
        ax.set_xlabel("hidden layer (1 = input side)")
    fig.suptitle("Saturated tanh outputs and dead ReLU units per layer (a net whose loss "
                 "became NaN is not drawn after training)")
    fig.tight_layout()
    ctx.savefig(fig, "saturation_and_dead_units.png")


def _plot_training(ctx, plt, nets, s, steps):
    fig, axes = plt.subplots(1, 3, figsize=(18, 4.8))
    for ax, act in zip(axes[:2], ACTS):
        for init in INITS:
            n = nets[f"{act}/{init}"]
            end = "" if n["diverged_at"] is None else f" (NaN at step {n['diverged_at']})"
            ax.plot(running_mean(n["loss"]), lw=1.2,
                    marker="o" if len(n["loss"]) < 5 else None, label=f"{init}{end}")
        ax.set_yscale("log")
        ax.set_xlabel("SGD step")
        ax.set_ylabel("training loss (running mean of 20 batches)")
        ax.set_title(f"{act}: {steps} steps (lr {s['lr']}, momentum 0.9)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    ax = axes[2]
    width = 0.38
    idx = np.arange(len(INITS))
    for j, act in enumerate(ACTS):
        acc = [nets[f"{act}/{i}"]["test_accuracy"] for i in INITS]
        bars = ax.bar(idx + (j - 0.5) * width, acc, width, label=act)
        ax.bar_label(bars, fmt="%.2f", fontsize=7)
    ax.axhline(0.1, color="grey", ls=":", label="chance")
    ax.set_xticks(idx, list(INITS))
    ax.set_ylim(0, 1.05)
    ax.set_xlabel("initialisation")
    ax.set_ylabel("test accuracy")
    ax.set_title("Test accuracy after training")
    ax.legend(fontsize=8)
    fig.tight_layout()
    ctx.savefig(fig, "training_by_init.png")


def _pct(v):
    return "-" if v is None else f"{100 * v:.1f}%"


def _num(v, fmt=".3g"):
    return "NaN" if v is None else format(v, fmt)


def _findings(r, ctx) -> str:
    s, n = r["settings"], r["nets"]
    train = (f"one epoch of {ctx.dataset_name} ({r['settings']['steps']} SGD steps)"
             if s["epochs"] == 1 else f"{s['epochs']} passes over {ctx.dataset_name} "
             f"({s['steps']} SGD steps)")
    lines = [f"10-layer MLPs (width {s['width']}); statistics on {s['probe']} probe images; "
             f"training: {train}, batch {s['batch_size']}, lr {s['lr']}, momentum 0.9.", "",
             "| net | std layer 1 | std layer 10 | saturated (tanh) / dead (ReLU) at init | "
             "same after training | test accuracy |", "|---|---|---|---|---|---|"]
    for key, v in n.items():
        act = key.split("/")[0]
        k0, k1 = (("saturated_fraction_at_init", "saturated_fraction_after") if act == "tanh"
                  else ("dead_fraction_at_init", "dead_fraction_after"))
        acc = (f"{v['test_accuracy']:.3f}" if v["diverged_at"] is None
               else f"{v['test_accuracy']:.3f} (NaN at step {v['diverged_at']})")
        lines.append(f"| {key} | {_num(v['first_layer_std'])} | {_num(v['last_layer_std'])} | "
                     f"{_pct(v[k0])} | {_pct(v[k1])} | {acc} |")
    t, u = "tanh", "relu"

    def outcome(init):
        accs = [n[f"{a}/{init}"]["test_accuracy"] for a in (t, u)]
        verdict = ("both stay at chance" if max(accs) < 0.15 else
                   "both learn" if min(accs) >= 0.5 else "not both learn")
        return f"test accuracy {accs[0]:.3f} (tanh), {accs[1]:.3f} (ReLU): {verdict}"

    z, sm, big, xa, he = (f"{u}/{i}" for i in INITS)
    lines += [
        "",
        f"- **Zeros**: {_pct(n[t + '/zeros']['zero_fraction_at_init'])} (tanh) and "
        f"{_pct(n[z]['zero_fraction_at_init'])} (ReLU) of the activations are exactly 0. "
        "With zero weights downstream the hidden weights get no gradient, so after training "
        f"{_pct(n[z]['dead_fraction_after'])} of the ReLU units are still dead; "
        f"{outcome('zeros')}.",
        f"- **N(0, 0.02)**: the activations shrink layer by layer (tanh std "
        f"{_num(n[t + '/N(0, 0.02)']['first_layer_std'])} in layer 1, "
        f"{_num(n[t + '/N(0, 0.02)']['last_layer_std'])} in layer 10; ReLU "
        f"{_num(n[sm]['first_layer_std'])} to {_num(n[sm]['last_layer_std'])}), and the "
        f"backward signal with them; {outcome('N(0, 0.02)')}.",
        f"- **N(0, 1)**: {_pct(n[t + '/N(0, 1)']['saturated_fraction_at_init'])} of the tanh "
        f"outputs are saturated (|y| > 0.99) and the ReLU activations grow to std "
        f"{_num(n[big]['last_layer_std'])} in layer 10 (initial loss "
        f"{_num(n[big]['initial_loss'])}"
        + (f", NaN at step {n[big]['diverged_at']}" if n[big]["diverged_at"] is not None
           else "") + f"); {outcome('N(0, 1)')}.",
        f"- **Xavier / He**: tanh std {_num(n[t + '/Xavier']['last_layer_std'])} (Xavier) / "
        f"{_num(n[t + '/He']['last_layer_std'])} (He) in layer 10, ReLU "
        f"{_num(n[xa]['last_layer_std'])} / {_num(n[he]['last_layer_std'])} (with Xavier's "
        "variance 1/fan_avg each ReLU layer halves the signal's variance, He's 2/fan_in keeps "
        f"it); Xavier: {outcome('Xavier')}; He: {outcome('He')}.",
        f"- **Dead ReLUs**: the dead-unit fraction (mean over the 10 layers) is "
        f"{_pct(n[z]['dead_fraction_at_init'])} for zeros vs {_pct(n[he]['dead_fraction_at_init'])}"
        f" for He at init; after training {_pct(n[sm]['dead_fraction_after'])} for N(0, 0.02) "
        f"vs {_pct(n[he]['dead_fraction_after'])} for He.",
    ]
    return "\n".join(lines)
