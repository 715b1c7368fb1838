"""``vanishing-gradients``: gradient norm per layer against depth for sigmoid, tanh and
ReLU MLPs, plain, with batch norm and with residual connections; exploding gradients
under a large initialisation and what gradient clipping (by norm and by value) does.

Every net has ``depth`` Linear layers (20 by default) and is initialised the way its
activation asks for: Xavier-uniform (Glorot & Bengio 2010) for sigmoid and tanh,
He-normal (He et al. 2015) for ReLU, zero biases. Residual nets use pre-activation blocks
``h + Linear(act(h))`` (He et al. 2016) whose branch weights are scaled by
``1/sqrt(blocks)`` so that the activations keep their scale at any depth. A Linear
layer's gradient norm is that of its weight and bias together (GradientStats), averaged
over a few batches of the cross-entropy loss at initialisation.
"""
from __future__ import annotations

import math

import numpy as np

from glassnet import nn

from glassnet.experiments._mlp import (ACTIVATIONS, INITS, accuracy, build_mlp, flat_data,
                                       gradient_norms_at_init, init_linear_, running_mean,
                                       train_sgd)

NAME = "vanishing-gradients"
SUMMARY = ("gradient norm per layer vs depth for sigmoid/tanh/ReLU MLPs (plain, batch norm, "
           "residual); exploding gradients and clipping")

VARIANTS = ("plain", "batchnorm", "residual")
MATCHED_INIT = {"sigmoid": "Xavier", "tanh": "Xavier", "relu": "He"}


def _settings(quick: bool) -> dict:
    if quick:
        return {"width": 64, "depth": 20, "probe_batch": 128, "probe_batches": 2,
                "sweep_depths": [5, 10, 20, 30], "train_steps": 100, "batch_size": 64,
                "lr": 0.05, "explode_steps": 100, "explode_lr": 0.01, "explode_gain": 1.5}
    return {"width": 256, "depth": 20, "probe_batch": 256, "probe_batches": 4,
            "sweep_depths": [5, 10, 20, 30, 40, 50], "train_steps": 600, "batch_size": 64,
            "lr": 0.05, "explode_steps": 600, "explode_lr": 0.01, "explode_gain": 1.5}


def _net(ctx, activation, variant, depth, width, d_in, offset):
    ctx.manual_seed(offset)
    model = build_mlp(activation, depth, width, d_in, variant)
    init_linear_(model, INITS[MATCHED_INIT[activation]], scale_residual=True)
    return model


def _scaled_he(gain):
    """He-normal times ``gain``: std ``gain * sqrt(2 / fan_in)``."""
    def init(w):
        nn.init.normal_(w, 0.0, gain * math.sqrt(2.0 / w.shape[1]))
    return init


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    from glassnet.inspect import plot_gradient_norms

    s = _settings(ctx.quick)
    x, y, norm = flat_data(ctx, train=True)
    xt, yt, _ = flat_data(ctx, train=False, limit=2000, mean=norm[0], std=norm[1])
    d_in, depth, width = x.shape[1], s["depth"], s["width"]
    probe = x[:s["probe_batch"] * s["probe_batches"]], y[:s["probe_batch"] * s["probe_batches"]]

    # -- 1. gradient norm per layer at init, depth 20 ------------------------------------
    at_init = {}
    combos = [(a, v) for v in VARIANTS for a in ACTIVATIONS]
    for k, (act, variant) in enumerate(ctx.track(combos, "gradients at init")):
        model = _net(ctx, act, variant, depth, width, d_in, k)
        g = gradient_norms_at_init(model, *probe, s["probe_batch"], s["probe_batches"])
        at_init[f"{act}/{variant}"] = {"layer_grad_norm": g.tolist(),
                                       "first_over_last": float(g[0] / g[-1])}
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), sharey=True)
    for ax, variant in zip(axes, VARIANTS):
        plot_gradient_norms({f"{a} ({MATCHED_INIT[a]} init)":
                             at_init[f"{a}/{variant}"]["layer_grad_norm"]
                             for a in ACTIVATIONS}, ax=ax,
                            title=f"{variant}: {depth} Linear layers at init")
    axes[0].set_ylabel("gradient L2 norm of each Linear layer")
    fig.suptitle(f"Gradient norm per layer at initialisation ({ctx.dataset_name}, width "
                 f"{width})")
    fig.tight_layout()
    ctx.savefig(fig, "gradient_norm_vs_depth.png")

    # -- 2. first/last ratio against depth -----------------------------------------------
    sweep = {f"{a}/{v}": [] for v in VARIANTS for a in ACTIVATIONS}
    jobs = [(d, a, v) for d in s["sweep_depths"] for v in VARIANTS for a in ACTIVATIONS]
    for k, (d, act, variant) in enumerate(ctx.track(jobs, "depth sweep")):
        model = _net(ctx, act, variant, d, width, d_in, 100 + k)
        g = gradient_norms_at_init(model, *probe, s["probe_batch"], 1)
        sweep[f"{act}/{variant}"].append(float(g[0] / g[-1]))
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.6), sharey=True)
    for ax, act in zip(axes, ACTIVATIONS):
        for variant in VARIANTS:
            ax.plot(s["sweep_depths"], sweep[f"{act}/{variant}"], marker="o", label=variant)
        ax.set_yscale("log")
        ax.axhspan(0.1, 10, color="green", alpha=0.08, label="within 10x")
        ax.set_xlabel("number of Linear layers")
        ax.set_title(f"{act} ({MATCHED_INIT[act]} init)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    axes[0].set_ylabel("first-layer / last-layer gradient norm")
    fig.suptitle("How the gradient reaching the first layer scales with depth")
    fig.tight_layout()
    ctx.savefig(fig, "ratio_vs_depth.png")

    # -- 3. what it does to training: 20-layer sigmoid nets ------------------------------
    training = {}
    for k, variant in enumerate(ctx.track(VARIANTS, "training sigmoid nets")):
        model = _net(ctx, "sigmoid", variant, depth, width, d_in, 200 + k)
        first = next(m for m in model.modules() if type(m).__name__ == "Linear")
        r = train_sgd(model, x, y, s["train_steps"], s["batch_size"], s["lr"],
                      ctx.rng(200 + k), watch=first)
        training[variant] = {"loss": r["loss"], "first_layer_grad_norm": r["watched_grad_norm"],
                             "final_loss": float(np.mean(r["loss"][-20:])),
                             "test_accuracy": accuracy(model, xt, yt)}
    fig, (a, b) = plt.subplots(1, 2, figsize=(13, 4.4))
    for variant, r in training.items():
        a.plot(running_mean(r["loss"]), label=f"{variant} (test acc {r['test_accuracy']:.2f})",
               lw=1.2)
        b.plot(r["first_layer_grad_norm"], label=variant, lw=1)
    a.set_xlabel("SGD step")
    a.set_ylabel("training loss (running mean of 20 batches)")
    a.set_title(f"{depth}-layer sigmoid MLPs: training loss")
    a.legend(fontsize=8)
    b.set_yscale("log")
    b.set_xlabel("SGD step")
    b.set_ylabel("first Linear layer's weight-gradient norm")
    b.set_title("Gradient reaching the first layer during training")
    b.legend(fontsize=8)
    for ax in (a, b):
        ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    ctx.savefig(fig, "sigmoid_training.png")

    # -- 4. exploding gradients and clipping ---------------------------------------------
    gain = s["explode_gain"]
    explode_init = {}
    for k, g_ in enumerate((1.0, gain)):
        ctx.manual_seed(300)
        model = build_mlp("relu", depth, width, d_in, "plain")
        init_linear_(model, _scaled_he(g_))
        explode_init[f"He x {g_:g}"] = gradient_norms_at_init(
            model, *probe, s["probe_batch"], s["probe_batches"]).tolist()
    runs = {}
    clips = {"no clipping": None, "clip_grad_norm_(max_norm=1)": ("norm", 1.0),
             "clip_grad_value_(0.01)": ("value", 0.01)}
    for label, clip in ctx.track(list(clips.items()), "exploding gradients"):
        ctx.manual_seed(301)
        model = build_mlp("relu", depth, width, d_in, "plain")
        init_linear_(model, _scaled_he(gain))
        r = train_sgd(model, x, y, s["explode_steps"], s["batch_size"], s["explode_lr"],
                      ctx.rng(301), clip=clip)
        runs[label] = {"loss": r["loss"], "grad_norm": r["grad_norm"],
                       "diverged_at": r["diverged_at"],
                       "final_loss": (None if r["diverged_at"] is not None
                                      else float(np.mean(r["loss"][-20:]))),
                       "test_accuracy": accuracy(model, xt, yt)}
    fig, axes = plt.subplots(1, 3, figsize=(17, 4.6))
    plot_gradient_norms(explode_init, ax=axes[0],
                        title=f"ReLU, {depth} layers: gradient norm at init")
    for label, r in runs.items():
        end = "" if r["diverged_at"] is None else f", NaN at step {r['diverged_at']}"
        axes[1].plot(running_mean(r["loss"]), lw=1.2, label=f"{label}{end}")
        axes[2].plot(r["grad_norm"], lw=1, label=label)
    axes[1].set_yscale("log")
    axes[1].set_xlabel("SGD step")
    axes[1].set_ylabel("training loss (running mean of 20 batches)")
    axes[1].set_title(f"Init He x {gain:g}: training loss")
    axes[2].set_yscale("log")
    axes[2].set_xlabel("SGD step")
    axes[2].set_ylabel("global gradient norm (before clipping)")
    axes[2].set_title("Gradient norm during training")
    for ax in axes[1:]:
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    ctx.savefig(fig, "exploding_and_clipping.png")

    results = {"settings": s, "init": MATCHED_INIT, "at_init": at_init,
               "depth_sweep": {"depths": s["sweep_depths"], "first_over_last": sweep},
               "sigmoid_training": training,
               "exploding": {"gain": gain, "layer_grad_norm_at_init": explode_init,
                             "first_over_last_at_init": {
                                 k: v[0] / v[-1] for k, v in explode_init.items()},
                             "mean_grad_norm_ratio_vs_he": float(
                                 np.mean(explode_init[f"He x {gain:g}"])
                                 / np.mean(explode_init["He x 1"])),
                             "runs": runs}}
    return ctx.finish(results, _findings(results), "Vanishing and exploding gradients")["results"]


def _fmt_ratio(r: float) -> str:
    return f"{r:.2g}" if 1e-3 <= abs(r) < 1e3 else f"{r:.1e}"


def _findings(r: dict) -> str:
    s, a = r["settings"], r["at_init"]
    d = s["depth"]
    lines = [f"**{d}-layer MLPs at initialisation** (width {s['width']}): the ratio of the "
             "first Linear layer's gradient norm to the last one's.", "",
             "| activation (init) | plain | batch norm | residual |", "|---|---|---|---|"]
    for act in ACTIVATIONS:
        cells = " | ".join(_fmt_ratio(a[f"{act}/{v}"]["first_over_last"]) for v in VARIANTS)
        lines.append(f"| {act} ({r['init'][act]}) | {cells} |")
    sp = a["sigmoid/plain"]["first_over_last"]
    sb = a["sigmoid/batchnorm"]["first_over_last"]
    sr = a["sigmoid/residual"]["first_over_last"]
    within = [name for name, v in (("batch norm", sb), ("residual connections", sr))
              if 0.1 <= v <= 10]
    verdict = {2: "both keep the gradient within a factor 10 of the output layer's",
               1: f"only {within[0] if within else ''} keeps it within a factor 10",
               0: "neither keeps it within a factor 10"}[len(within)]
    lines += ["", f"- **Sigmoid gradients {'vanish' if sp < 1e-3 else 'shrink'}**: in the "
              f"plain {d}-layer sigmoid net the first layer gets {_fmt_ratio(sp)} times the "
              "last layer's gradient (the sigmoid's slope is at most 1/4 and its outputs are "
              f"not centred). With batch norm the ratio is {_fmt_ratio(sb)}, with residual "
              f"connections {_fmt_ratio(sr)}: {verdict}."]
    sw = r["depth_sweep"]
    plain = sw["first_over_last"]["sigmoid/plain"]
    per_layer = (plain[-1] / plain[0]) ** (1.0 / (sw["depths"][-1] - sw["depths"][0]))
    lines.append(f"- **Depth**: over {sw['depths'][0]}..{sw['depths'][-1]} layers the plain "
                 f"sigmoid ratio falls from {_fmt_ratio(plain[0])} to "
                 f"{_fmt_ratio(plain[-1])}, a factor {per_layer:.2f} per added layer; the "
                 "residual sigmoid net's stays between "
                 f"{_fmt_ratio(min(sw['first_over_last']['sigmoid/residual']))} and "
                 f"{_fmt_ratio(max(sw['first_over_last']['sigmoid/residual']))}.")
    t = r["sigmoid_training"]
    lines.append(f"- **Training** ({s['train_steps']} SGD steps, lr {s['lr']}, momentum 0.9): "
                 + ", ".join(f"{v} final loss {t[v]['final_loss']:.3f} / test accuracy "
                             f"{t[v]['test_accuracy']:.3f}" for v in VARIANTS) + ".")
    e = r["exploding"]
    runs = e["runs"]
    ratios = e["first_over_last_at_init"]
    big = f"He x {e['gain']:g}"
    none = runs["no clipping"]
    fate = (f"its loss became NaN at step {none['diverged_at']}" if none["diverged_at"]
            is not None else f"its final loss is {none['final_loss']:.3g}")
    lines.append(f"- **Exploding gradients**: a {d}-layer ReLU net initialised with {big} "
                 f"(std {e['gain']:g} x sqrt(2/fan_in)) has gradients "
                 f"{e['mean_grad_norm_ratio_vs_he']:.3g} times larger than with He init, at "
                 f"every layer alike (first/last {_fmt_ratio(ratios[big])}): the forward "
                 f"activations grow by {e['gain']:g} per layer and the backward signal too, so "
                 f"each weight gradient is scaled by about {e['gain']:g}^{d} = "
                 f"{e['gain'] ** d:.3g}. Its initial loss is {none['loss'][0]:.3g}. SGD (lr "
                 f"{s['explode_lr']}, momentum 0.9, {s['explode_steps']} steps) without clipping: "
                 f"{fate}; "
                 + "; ".join(f"with {k} the loss reaches {v['final_loss']:.3g} "
                             f"(test accuracy {v['test_accuracy']:.3f})"
                             if v["final_loss"] is not None else f"with {k} it diverged at "
                             f"step {v['diverged_at']}"
                             for k, v in runs.items() if k != "no clipping") + ".")
    return "\n".join(lines)

