"""``activations``: ten activation functions training the same MLP, their dead units, and
each function with its derivative.

The activations are those of :mod:`glassnet.nn`: ``Sigmoid``, ``Tanh``, ``ReLU``,
``LeakyReLU`` (slope 0.01), ``PReLU`` (one learnt slope per layer, starting at 0.25; He et
al. 2015), ``ELU`` (Clevert et al. 2015), ``SELU`` (Klambauer et al. 2017), ``SiLU`` (Swish
with beta 1; Ramachandran et al. 2017), ``Mish`` (Misra 2019) and ``Hardswish`` (Howard
et al. 2019). Every one trains the same MLP (four hidden layers) for the same SGD steps
from the initialisation its activation asks for: Xavier-uniform for sigmoid and tanh,
LeCun-normal for SELU (its self-normalising fixed point), He-normal (with the leaky slope
where there is one) for the rest; biases zero.

A unit is *dead* when it outputs exactly 0 for every probe image (ActivationStats'
``dead_fraction``): it then passes no gradient and never recovers. Only ReLU and Hardswish
(0 for ``x <= -3``) can die. A second run trains ReLU, LeakyReLU, ELU and Hardswish with a
large learning rate, 0.2 (gradients clipped to norm 5, so that nothing overflows), the
classic way to kill ReLUs. The full (MNIST) run uses lr 0.02 for the main comparison: at
0.05 its PReLU and SELU nets blow up. The derivative curves come from glassnet's autograd.
"""
from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import nn

from glassnet.experiments._mlp import accuracy, flat_data, running_mean, train_sgd

NAME = "activations"
SUMMARY = ("sigmoid, tanh, ReLU, LeakyReLU, PReLU, ELU, SELU, SiLU, Mish, Hardswish: the "
           "same MLP trained with each, dead units, each function and its derivative")

# name -> module class (its initialiser: init_for)
ACTIVATIONS = {
    "Sigmoid": nn.Sigmoid, "Tanh": nn.Tanh, "ReLU": nn.ReLU, "LeakyReLU": nn.LeakyReLU,
    "PReLU": nn.PReLU, "ELU": nn.ELU, "SELU": nn.SELU, "SiLU": nn.SiLU, "Mish": nn.Mish,
    "Hardswish": nn.Hardswish,
}
DEAD_DEMO = ("ReLU", "LeakyReLU", "ELU", "Hardswish")
CHECK_POINTS = (-2.0, -0.5, 0.5, 2.0)


def _settings(quick: bool) -> dict:
    if quick:
        return {"width": 64, "hidden_layers": 4, "steps": 300, "batch_size": 64, "lr": 0.05,
                "large_lr": 0.2, "clip_norm": 5.0, "probe": 512}
    return {"width": 256, "hidden_layers": 4, "steps": 1000, "batch_size": 64, "lr": 0.02,
            "large_lr": 0.2, "clip_norm": 5.0, "probe": 2000}


def init_for(name: str):
    """The weight initialiser used with activation ``name``."""
    if name not in ACTIVATIONS:
        raise ValueError(f"init_for: name must be one of {', '.join(ACTIVATIONS)}, got "
                         f"{name!r}")
    if name in ("Sigmoid", "Tanh"):
        return "Xavier-uniform", nn.init.xavier_uniform_
    if name == "SELU":
        return "LeCun-normal", nn.init.lecun_normal_
    slope = {"LeakyReLU": 0.01, "PReLU": 0.25}.get(name, 0.0)

    def he(w):
        nn.init.kaiming_normal_(w, a=slope, nonlinearity="leaky_relu")
    return ("He-normal" if not slope else f"He-normal (a={slope:g})"), he


def build_net(name: str, in_features: int, width: int, hidden_layers: int):
    """``hidden_layers`` x (Linear, activation ``name``), then Linear(width, 10)."""
    _, weight_init = init_for(name)
    layers, d = [], in_features
    for _ in range(hidden_layers):
        layers += [nn.Linear(d, width), ACTIVATIONS[name]()]
        d = width
    layers.append(nn.Linear(d, 10))
    model = nn.Sequential(*layers)
    for m in model.modules():
        if isinstance(m, nn.Linear):
            weight_init(m.weight)
            nn.init.zeros_(m.bias)
    return model


def derivative(name: str, x) -> tuple:
    """``(f(x), f'(x))`` of activation ``name`` (a fresh module) on the array ``x``, the
    derivative from autograd."""
    xt = gn.tensor(np.asarray(x, np.float64), requires_grad=True)
    y = ACTIVATIONS[name]()(xt)
    y.sum().backward()
    return y.detach().numpy().astype(np.float64), xt.grad.numpy().astype(np.float64)


def dead_fractions(model, x) -> list:
    """Per hidden layer, the share of units that output 0 for every row of ``x``."""
    from glassnet.inspect import ActivationStats

    model.eval()
    with ActivationStats(model) as st, gn.no_grad(), np.errstate(all="ignore"):
        model(gn.tensor(x))
    model.train()
    return [float(st.stats[n]["dead_fraction"] or 0.0) for n in st.layers]


def _train(ctx, name, s, data, lr, clip, offset):
    x, y, xt, yt, probe = data
    ctx.manual_seed(offset)
    model = build_net(name, x.shape[1], s["width"], s["hidden_layers"])
    r = train_sgd(model, x, y, s["steps"], s["batch_size"], lr, ctx.rng(offset), clip=clip)
    dead = dead_fractions(model, probe)
    out = {"loss": r["loss"], "diverged_at": r["diverged_at"],
           "final_loss": float(np.mean(r["loss"][-20:])) if r["loss"] else None,
           "test_accuracy": accuracy(model, xt, yt), "dead_fraction_per_layer": dead,
           "dead_fraction": float(np.mean(dead))}
    if name == "PReLU":
        out["learnt_slopes"] = [float(m.weight.detach().numpy()[0]) for m in model.modules()
                                if isinstance(m, nn.PReLU)]
    return out


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    s = _settings(ctx.quick)
    x, y, norm = flat_data(ctx, train=True)
    xt, yt, _ = flat_data(ctx, train=False, limit=2000, mean=norm[0], std=norm[1])
    probe = x[ctx.rng(1).permutation(len(x))[:s["probe"]]]
    data = (x, y, xt, yt, probe)

    # -- 1. each function and its derivative ---------------------------------------------
    grid = np.linspace(-4.0, 4.0, 801)
    curves, checks = {}, {}
    for name in ACTIVATIONS:
        f, df = derivative(name, grid)
        curves[name] = (f, df)
        _, dc = derivative(name, np.array(CHECK_POINTS))
        checks[name] = {"x": list(CHECK_POINTS), "dfdx": dc.tolist()}
    fig, axes = plt.subplots(2, 5, figsize=(18, 7), sharex=True)
    for ax, name in zip(axes.flat, ACTIVATIONS):
        f, df = curves[name]
        ax.plot(grid, f, color="tab:blue", label="f(x)")
        ax.plot(grid, df, color="tab:orange", ls="--", label="f'(x) (autograd)")
        ax.axhline(0, color="k", lw=0.5)
        ax.axvline(0, color="k", lw=0.5)
        ax.set_title(name)
        ax.set_ylim(-1.5, 3.0)
        ax.grid(True, alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("x")
    for ax in axes[:, 0]:
        ax.set_ylabel("value")
    axes[0, 0].legend(fontsize=8, loc="upper left")
    fig.suptitle("Activation functions (solid) and their derivatives from autograd (dashed)")
    fig.tight_layout()
    ctx.savefig(fig, "functions_and_derivatives.png")

    # -- 2. the same MLP with each activation ---------------------------------------------
    nets = {}
    for k, name in enumerate(ctx.track(list(ACTIVATIONS), "training one net per activation")):
        nets[name] = _train(ctx, name, s, data, s["lr"], None, 10 + k)
        nets[name]["init"] = init_for(name)[0]
    fig, (a, b) = plt.subplots(1, 2, figsize=(15, 5), gridspec_kw={"width_ratios": [3, 2]})
    colors = plt.cm.tab10(np.arange(len(nets)))
    for c, (name, r) in zip(colors, nets.items()):
        a.plot(running_mean(r["loss"]), color=c, lw=1.2,
               label=f"{name} ({r['test_accuracy']:.3f})")
    a.set_xlabel("SGD step")
    a.set_ylabel("training loss (running mean of 20 batches)")
    a.set_yscale("log")
    a.set_title(f"{s['hidden_layers']} hidden layers x {s['width']}, lr {s['lr']}, momentum "
                f"0.9 (legend: test accuracy)")
    a.grid(True, which="both", alpha=0.3)
    a.legend(fontsize=8, ncol=2)
    names = list(nets)
    acc = [nets[n]["test_accuracy"] for n in names]
    bars = b.barh(names, acc, color=colors)
    for bar, n in zip(bars, names):
        b.text(bar.get_width() + 0.005, bar.get_y() + bar.get_height() / 2,
               f"{nets[n]['test_accuracy']:.3f}  dead {100 * nets[n]['dead_fraction']:.1f}%",
               va="center", fontsize=8)
    b.axvline(0.1, color="k", ls=":", label="chance")
    b.set_xlim(0, 1.25)
    b.invert_yaxis()
    b.set_xlabel(f"test accuracy ({ctx.dataset_name}); text: share of dead units")
    b.set_title("Final test accuracy")
    b.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    ctx.savefig(fig, "training.png")

    # -- 3. a large learning rate kills ReLUs ---------------------------------------------
    large = {}
    for k, name in enumerate(ctx.track(DEAD_DEMO, "large learning rate")):
        large[name] = _train(ctx, name, s, data, s["large_lr"], ("norm", s["clip_norm"]),
                             100 + k)
    fig, (a, b) = plt.subplots(1, 2, figsize=(14, 4.8))
    layer_ids = np.arange(1, s["hidden_layers"] + 1)
    wbar = 0.8 / (2 * len(DEAD_DEMO))
    for j, name in enumerate(DEAD_DEMO):
        c = colors[names.index(name)]
        a.plot(running_mean(large[name]["loss"]), color=c, lw=1.2,
               label=f"{name} (test acc {large[name]['test_accuracy']:.3f})")
        for i, (runs, hatch) in enumerate(((nets, ""), (large, "//"))):
            pos = layer_ids - 0.4 + wbar * (2 * j + i + 0.5)
            b.bar(pos, runs[name]["dead_fraction_per_layer"], width=wbar, color=c,
                  hatch=hatch, edgecolor="k", lw=0.4,
                  label=f"{name}, lr {s['lr'] if i == 0 else s['large_lr']}")
    a.set_xlabel("SGD step")
    a.set_ylabel("training loss (running mean of 20 batches)")
    a.set_title(f"lr {s['large_lr']} (clip_grad_norm_ {s['clip_norm']:g}): training loss")
    a.set_yscale("log")
    a.grid(True, which="both", alpha=0.3)
    a.legend(fontsize=8)
    b.set_xticks(layer_ids)
    b.set_xlabel("hidden layer")
    b.set_ylabel("dead units (0 for every probe image)")
    b.set_ylim(0, 1.05)
    b.set_title("Dead units after training")
    b.grid(True, axis="y", alpha=0.3)
    b.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    ctx.savefig(fig, "dead_units.png")

    results = {"settings": s, "derivative_checks": checks, "nets": nets,
               "large_lr": large,
               "test_accuracy": {n: r["test_accuracy"] for n, r in nets.items()},
               "dead_fraction": {n: r["dead_fraction"] for n, r in nets.items()},
               "large_lr_dead_fraction": {n: r["dead_fraction"] for n, r in large.items()}}
    return ctx.finish(results, _findings(results, ctx.dataset_name),
                      "Activation functions")["results"]


def _analytic(name, x):
    """Closed-form derivatives, to report how far autograd is from them."""
    x = np.asarray(x, np.float64)
    s = 1.0 / (1.0 + np.exp(-x))
    if name == "Sigmoid":
        return s * (1 - s)
    if name == "Tanh":
        return 1 - np.tanh(x) ** 2
    if name == "ReLU":
        return (x > 0).astype(np.float64)
    if name == "LeakyReLU":
        return np.where(x > 0, 1.0, 0.01)
    if name == "ELU":
        return np.where(x > 0, 1.0, np.exp(x))
    if name == "SiLU":
        return s * (1 + x * (1 - s))
    return None


def _findings(r: dict, data: str) -> str:
    s, nets = r["settings"], r["nets"]
    errs = {}
    for name, c in r["derivative_checks"].items():
        a = _analytic(name, c["x"])
        if a is not None:
            errs[name] = float(np.max(np.abs(np.array(c["dfdx"]) - a)))
    lines = [f"**The same MLP** ({s['hidden_layers']} hidden layers of {s['width']}, "
             f"{s['steps']} SGD steps, batch {s['batch_size']}, lr {s['lr']}, momentum 0.9) "
             f"on {data}:", "",
             "| activation | init | final loss | test accuracy | dead units |",
             "|---|---|---|---|---|"]
    for name, n in nets.items():
        loss = "diverged" if n["final_loss"] is None else f"{n['final_loss']:.3g}"
        lines.append(f"| {name} | {n['init']} | {loss} | {n['test_accuracy']:.3f} | "
                     f"{100 * n['dead_fraction']:.1f}% |")
    acc = r["test_accuracy"]
    best = max(acc, key=acc.get)
    worst = min(acc, key=acc.get)
    others = {k: v for k, v in acc.items() if k != "Sigmoid"}
    lines += ["",
              f"- **Accuracy**: best {best} ({acc[best]:.3f}), worst {worst} "
              f"({acc[worst]:.3f}); every activation but sigmoid reaches at least "
              f"{min(others.values()):.3f} (chance is 0.100). Sigmoid reaches "
              f"{acc['Sigmoid']:.3f}"
              + (": its slope is at most 1/4 and its outputs are not centred, so a deep "
                 "sigmoid net learns slowest." if worst == "Sigmoid" else ".")]
    failed = [n for n in nets if acc[n] < 0.2]
    if failed:
        lines.append("- **Did not learn** (test accuracy below 0.2): "
                     + ", ".join(f"{n} (final loss {nets[n]['final_loss']:.3g})"
                                 for n in failed) + ".")
    if "learnt_slopes" in nets["PReLU"]:
        sl = ", ".join(f"{v:.3f}" for v in nets["PReLU"]["learnt_slopes"])
        lines.append(f"- **PReLU** learnt negative slopes {sl} (from 0.25), layer by layer.")
    lg = r["large_lr"]
    dead = r["large_lr_dead_fraction"]
    lines.append(f"- **Dead units**: at lr {s['lr']} ReLU has "
                 f"{100 * r['dead_fraction']['ReLU']:.1f}% dead units, Hardswish "
                 f"{100 * r['dead_fraction']['Hardswish']:.1f}%, the others none (they are "
                 f"never exactly 0). At lr {s['large_lr']} (gradients clipped to norm "
                 f"{s['clip_norm']:g}) ReLU has {100 * dead['ReLU']:.1f}% dead units and "
                 f"test accuracy {lg['ReLU']['test_accuracy']:.3f}; LeakyReLU "
                 f"{100 * dead['LeakyReLU']:.1f}% (accuracy "
                 f"{lg['LeakyReLU']['test_accuracy']:.3f}), ELU {100 * dead['ELU']:.1f}% "
                 f"({lg['ELU']['test_accuracy']:.3f}), Hardswish "
                 f"{100 * dead['Hardswish']:.1f}% ({lg['Hardswish']['test_accuracy']:.3f}). "
                 "So large a step upsets training whatever the activation, but only the "
                 "functions that are exactly 0 on a half-line are left with dead units: a "
                 "step that pushes a ReLU's pre-activation below 0 for every input leaves it "
                 "no gradient to come back with, while a leaky slope always keeps one.")
    lines.append("- **Derivatives** from autograd at x = "
                 + ", ".join(f"{v:g}" for v in CHECK_POINTS) + " agree with the closed forms "
                 "(sigmoid' = s(1 - s), tanh' = 1 - tanh^2, ReLU' = step, LeakyReLU' = 1 or "
                 "0.01, ELU' = 1 or e^x, SiLU' = s(1 + x(1 - s))) to "
                 f"{max(errs.values()):.1e} at most.")
    return "\n".join(lines)
