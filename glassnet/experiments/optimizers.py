"""``optimizers``: how the classic optimizers move on four 2-D test functions, and how
they train a small CNN.

A 2-parameter float64 tensor with ``requires_grad`` is optimized through the real
``glassnet.optim`` classes on an ill-conditioned quadratic (condition number 25),
Rosenbrock's valley, a saddle (``x^2 + y^4/4 - y^2/2``, minima at ``y = +-1``) started
next to its saddle point, and Beale's function: gradient descent (``SGD``), SGD with
Gaussian noise added to the gradient, Momentum and Nesterov (``SGD(momentum=0.9)``),
AdaGrad, RMSProp, AdaDelta, Adam, NAdam, Newton (finite-difference Hessian) and L-BFGS
(one iteration per step, strong-Wolfe line search). The first-order methods of one
family share a learning rate per function (GD, noisy SGD, Momentum and Nesterov the
same; the adaptive ones their own), so the comparison is of the update rule.

Then the minibatch optimizers (all but GD, Newton and L-BFGS) train the same small CNN
(two conv + max-pool layers, a linear head; same initial weights) for a fixed number of
steps: loss curves and final test accuracy.
"""
from __future__ import annotations

import math

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.experiments._mlp import accuracy, running_mean
from glassnet.nn import functional as F

NAME = "optimizers"
SUMMARY = ("GD, SGD, Momentum, Nesterov, AdaGrad, RMSProp, AdaDelta, Adam, NAdam, Newton and "
           "L-BFGS on 2-D test functions (paths, loss vs step), and training a small CNN")

TOL = 1e-3  # "converged": f - f* below this


# -- the 2-D test functions (glassnet ops on the two entries of a tensor) ----------------
def _quadratic(p):
    return 0.5 * (p[0] ** 2 + 25.0 * p[1] ** 2)


def _rosenbrock(p):
    return (1.0 - p[0]) ** 2 + 100.0 * (p[1] - p[0] ** 2) ** 2


def _saddle(p):
    return p[0] ** 2 + 0.25 * p[1] ** 4 - 0.5 * p[1] ** 2 + 0.25


def _beale(p):
    x, y = p[0], p[1]
    return ((1.5 - x + x * y) ** 2 + (2.25 - x + x * y ** 2) ** 2
            + (2.625 - x + x * y ** 3) ** 2)


# name -> (function, start, minimum (f* = 0 for all), plot box, gd lr, adaptive lr,
#          gradient-noise std)
FUNCTIONS = {
    "ill-conditioned quadratic": dict(f=_quadratic, start=(-4.0, 1.0), minimum=(0.0, 0.0),
                                      box=(-4.5, 4.5, -1.6, 1.6), lr=0.035, alr=0.1,
                                      noise=1.0),
    "Rosenbrock": dict(f=_rosenbrock, start=(-1.2, 1.0), minimum=(1.0, 1.0),
                       box=(-2.0, 2.0, -1.0, 3.0), lr=1e-3, alr=0.1, noise=5.0),
    "saddle": dict(f=_saddle, start=(2.0, 1e-3), minimum=(0.0, 1.0),
                   box=(-2.2, 2.2, -1.6, 1.6), lr=0.05, alr=0.05, noise=0.3),
    "Beale": dict(f=_beale, start=(1.0, 1.4), minimum=(3.0, 0.5),
                  box=(-0.5, 4.0, -1.0, 2.0), lr=0.008, alr=0.1, noise=1.0),
}

OPTIMIZERS = ("GD", "SGD (noisy)", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta",
              "Adam", "NAdam", "Newton", "L-BFGS")


def _make_2d(name, params, fn):
    """The optimizer ``name`` on ``params`` with the learning rates of function ``fn``."""
    lr, alr = fn["lr"], fn["alr"]
    if name in ("GD", "SGD (noisy)"):
        return optim.SGD(params, lr=lr)
    if name == "Momentum":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "Nesterov":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if name == "AdaGrad":
        return optim.Adagrad(params, lr=10 * alr)
    if name == "RMSProp":
        return optim.RMSprop(params, lr=alr / 2)
    if name == "AdaDelta":
        return optim.Adadelta(params, lr=1.0)
    if name == "Adam":
        return optim.Adam(params, lr=alr)
    if name == "NAdam":
        return optim.NAdam(params, lr=alr)
    if name == "Newton":
        return optim.Newton(params, lr=1.0)
    if name == "L-BFGS":
        return optim.LBFGS(params, lr=1.0, max_iter=1, max_eval=25, history_size=10,
                           line_search_fn="strong_wolfe")
    raise ValueError(f"optimizers: unknown optimizer {name!r}; expected one of "
                     f"{', '.join(OPTIMIZERS)}")


def _lr_of(name, fn):
    return {"GD": fn["lr"], "SGD (noisy)": fn["lr"], "Momentum": fn["lr"],
            "Nesterov": fn["lr"], "AdaGrad": 10 * fn["alr"], "RMSProp": fn["alr"] / 2,
            "AdaDelta": 1.0, "Adam": fn["alr"], "NAdam": fn["alr"], "Newton": 1.0,
            "L-BFGS": 1.0}[name]


def trajectory(fn: dict, name: str, steps: int, rng) -> tuple:
    """Run optimizer ``name`` for ``steps`` steps on the test function ``fn`` (an entry of
    :data:`FUNCTIONS`); returns the points ``(steps + 1, 2)`` (start first) and
    ``f - f*`` at each (stops early when the loss leaves the float range)."""
    p = gn.tensor(list(fn["start"]), dtype=gn.float64, requires_grad=True)
    opt = _make_2d(name, [p], fn)
    f = fn["f"]

    def closure():
        opt.zero_grad()
        loss = f(p)
        loss.backward()
        return loss

    def value():
        with gn.no_grad():
            return float(f(p).item())

    path, losses = [p.detach().numpy().copy()], [value()]
    with np.errstate(all="ignore"):
        for _ in range(steps):
            if name in ("Newton", "L-BFGS"):
                opt.step(closure)
            else:
                closure()
                if name == "SGD (noisy)":
                    with gn.no_grad():
                        p.grad.add_(gn.tensor(rng.normal(0.0, fn["noise"], 2)))
                opt.step()
            v = value()
            path.append(p.detach().numpy().copy())
            losses.append(v)
            if not math.isfinite(v) or abs(v) > 1e12:
                break
    return np.array(path), np.array(losses)


def _steps_to(losses, tol=TOL):
    hit = np.flatnonzero(np.asarray(losses) < tol)
    return int(hit[0]) if hit.size else None


# -- the small CNN -----------------------------------------------------------------------
CNN_OPTIMIZERS = ("SGD", "Momentum", "Nesterov", "AdaGrad", "RMSProp", "AdaDelta", "Adam",
                  "NAdam")


def _cnn(side: int):
    return nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Flatten(), nn.Linear(16 * (side // 4) ** 2, 10))


_CNN_LR = {"SGD": 0.05, "Momentum": 0.05, "Nesterov": 0.05, "AdaGrad": 0.03,
           "RMSProp": 1e-3, "AdaDelta": 1.0, "Adam": 2e-3, "NAdam": 2e-3}


def _make_cnn_opt(name, params):
    lr = _CNN_LR[name]
    if name == "SGD":
        return optim.SGD(params, lr=lr)
    if name == "Momentum":
        return optim.SGD(params, lr=lr, momentum=0.9)
    if name == "Nesterov":
        return optim.SGD(params, lr=lr, momentum=0.9, nesterov=True)
    if name == "AdaGrad":
        return optim.Adagrad(params, lr=lr)
    if name == "RMSProp":
        return optim.RMSprop(params, lr=lr)
    if name == "AdaDelta":
        return optim.Adadelta(params, lr=lr)
    if name == "Adam":
        return optim.Adam(params, lr=lr)
    if name == "NAdam":
        return optim.NAdam(params, lr=lr)
    raise ValueError(f"optimizers: unknown CNN optimizer {name!r}; expected one of "
                     f"{', '.join(CNN_OPTIMIZERS)}")


def _settings(quick: bool) -> dict:
    if quick:
        return {"steps_2d": 300, "cnn_steps": 150, "batch_size": 32, "train_limit": None,
                "test_limit": None}
    return {"steps_2d": 300, "cnn_steps": 800, "batch_size": 64, "train_limit": 20000,
            "test_limit": 5000}


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    s = _settings(ctx.quick)
    # 2-D functions
    paths, fres = {}, {}
    jobs = [(fname, o) for fname in FUNCTIONS for o in OPTIMIZERS]
    for k, (fname, oname) in enumerate(ctx.track(jobs, "2-D test functions")):
        path, losses = trajectory(FUNCTIONS[fname], oname, s["steps_2d"], ctx.rng(100 + k))
        paths[(fname, oname)] = (path, losses)
        fin = losses[np.isfinite(losses)]
        fres.setdefault(fname, {})[oname] = {
            "lr": _lr_of(oname, FUNCTIONS[fname]),
            "steps_to_tol": _steps_to(losses),
            "final_loss": float(losses[-1]) if math.isfinite(losses[-1]) else None,
            "best_loss": float(fin.min()) if fin.size else None,
            "final_point": [float(v) for v in path[-1]],
            "diverged": bool(not math.isfinite(losses[-1]) or abs(losses[-1]) > 1e12),
        }

    # CNN
    x, y = ctx.images(train=True, limit=s["train_limit"])
    xt, yt = ctx.images(train=False, limit=s["test_limit"])
    mean, std = float(x.mean()), float(x.std())
    x, xt = (x - mean) / std, (xt - mean) / std
    ctx.manual_seed(0)
    init_state = {k: v.detach().numpy().copy() for k, v in _cnn(x.shape[-1]).state_dict().items()}
    cnn = {}
    for k, oname in enumerate(ctx.track(CNN_OPTIMIZERS, "small CNN per optimizer")):
        model = _cnn(x.shape[-1])
        model.load_state_dict({kk: gn.tensor(v) for kk, v in init_state.items()})
        opt = _make_cnn_opt(oname, model.parameters())
        rng = ctx.rng(7)  # the same batches for every optimizer
        losses = []
        model.train()
        with np.errstate(all="ignore"):
            for step in range(s["cnn_steps"]):
                idx = rng.integers(0, len(x), s["batch_size"])
                opt.zero_grad()
                loss = F.cross_entropy(model(gn.tensor(x[idx])), gn.tensor(y[idx]))
                losses.append(float(loss.item()))
                if not math.isfinite(losses[-1]):
                    break
                loss.backward()
                opt.step()
        tail = max(1, min(20, len(losses) // 5))
        cnn[oname] = {"lr": _CNN_LR[oname], "loss": losses, "initial_loss": losses[0],
                      "final_loss": float(np.mean(losses[-tail:])),
                      "test_accuracy": accuracy(model, xt, yt)}

    _plot_paths(ctx, plt, paths)
    _plot_losses(ctx, plt, paths, s)
    _plot_cnn(ctx, plt, cnn, s)

    results = {"settings": {**s, "tol": TOL,
                            "functions": {k: {kk: v for kk, v in fn.items() if kk != "f"}
                                          for k, fn in FUNCTIONS.items()},
                            "train_size": len(x), "test_size": len(xt)},
               "functions": fres,
               "cnn": {k: {kk: v for kk, v in c.items() if kk != "loss"} for k, c in cnn.items()},
               "cnn_loss_curves": {k: c["loss"] for k, c in cnn.items()},
               "loss_curves_2d": {f"{a} / {b}": v[1] for (a, b), v in paths.items()}}
    return ctx.finish(results, _findings(results, ctx), "Optimizers")["results"]


_COLORS = dict(zip(OPTIMIZERS, [f"C{i}" for i in range(10)] + ["black"]))
_CNN_COLORS = dict(zip(CNN_OPTIMIZERS, ["C0", "C2", "C3", "C4", "C5", "C6", "C7", "C8"]))


def _grid(fn, n=200):
    x0, x1, y0, y1 = fn["box"]
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    with gn.no_grad():
        z = fn["f"](gn.tensor(np.stack([gx, gy]))).numpy()
    return gx, gy, z


def _plot_paths(ctx, plt, paths):
    fig, axes = plt.subplots(2, 2, figsize=(15, 11))
    for ax, (fname, fn) in zip(axes.ravel(), FUNCTIONS.items()):
        gx, gy, z = _grid(fn)
        levels = np.logspace(-2, math.log10(max(z.max(), 1.0)), 25)
        ax.contour(gx, gy, z + 1e-12, levels=levels, cmap="Greys", linewidths=0.6,
                   alpha=0.7)
        for oname in OPTIMIZERS:
            path, _ = paths[(fname, oname)]
            ok = np.all(np.isfinite(path), axis=1)
            ax.plot(path[ok, 0], path[ok, 1], "-", color=_COLORS[oname], lw=1.3,
                    marker="." if len(path) < 30 else None, ms=4, label=oname, alpha=0.9)
        ax.plot(*fn["start"], "o", color="black", ms=7, mfc="white", label="start")
        ax.plot(*fn["minimum"], "*", color="gold", mec="black", ms=14, label="minimum")
        if fname == "saddle":
            ax.plot(0.0, 0.0, "X", color="red", ms=9, label="saddle point")
        x0, x1, y0, y1 = fn["box"]
        ax.set_xlim(x0, x1)
        ax.set_ylim(y0, y1)
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title(f"{fname}: paths (GD-family lr {fn['lr']}, Adam lr {fn['alr']})")
        ax.legend(fontsize=7, ncol=2, loc="best")
    fig.suptitle("Optimizer trajectories on 2-D test functions (contours of f, log-spaced)")
    fig.tight_layout()
    ctx.savefig(fig, "trajectories.png")


def _plot_losses(ctx, plt, paths, s):
    fig, axes = plt.subplots(2, 2, figsize=(15, 10))
    for ax, fname in zip(axes.ravel(), FUNCTIONS):
        for oname in OPTIMIZERS:
            _, losses = paths[(fname, oname)]
            v = np.where(np.isfinite(losses), np.maximum(losses, 1e-16), np.nan)
            ax.plot(np.arange(len(v)), v, color=_COLORS[oname], lw=1.3,
                    marker="o" if len(v) < 30 else None, ms=3, label=oname)
        ax.axhline(TOL, color="grey", ls=":", label=f"f - f* = {TOL:g}")
        ax.set_yscale("log")
        ax.set_ylim(1e-16, None)
        ax.set_xlabel("step")
        ax.set_ylabel("f(x, y) - f* (log)")
        ax.set_title(f"{fname}: loss vs step ({s['steps_2d']} steps)")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    ctx.savefig(fig, "loss_vs_step.png")


def _plot_cnn(ctx, plt, cnn, s):
    fig, (a, b) = plt.subplots(1, 2, figsize=(15, 5), gridspec_kw={"width_ratios": [3, 2]})
    for oname, c in cnn.items():
        a.plot(running_mean(c["loss"], 10), color=_CNN_COLORS[oname], lw=1.3,
               label=f"{oname} (lr {c['lr']:g})")
    a.set_yscale("log")
    a.set_xlabel("step")
    a.set_ylabel("training loss (running mean of 10 batches, log)")
    a.set_title(f"Small CNN on {ctx.dataset_name}: {s['cnn_steps']} steps, batch "
                f"{s['batch_size']}, same init and batches")
    a.grid(True, which="both", alpha=0.3)
    a.legend(fontsize=8)
    names = list(cnn)
    bars = b.bar(names, [cnn[n]["test_accuracy"] for n in names],
                 color=[_CNN_COLORS[n] for n in names])
    b.bar_label(bars, fmt="%.3f", fontsize=8)
    b.axhline(0.1, color="grey", ls=":", label="chance")
    b.set_ylim(0, 1.05)
    b.set_xlabel("optimizer")
    b.set_ylabel("test accuracy")
    b.set_title("Final test accuracy")
    b.tick_params(axis="x", labelrotation=30)
    b.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    ctx.savefig(fig, "cnn_training.png")


def _st(v):
    return "never" if v is None else str(v)


def _fl(v):
    return "diverged" if v is None else f"{v:.2e}"


def _findings(r, ctx) -> str:
    s, fr, cn = r["settings"], r["functions"], r["cnn"]
    lines = [f"Each optimizer runs {s['steps_2d']} steps from the same start on each function "
             f"(f* = 0 everywhere); 'steps' is the first step with f - f* < {TOL:g}.", "",
             "| optimizer | " + " | ".join(f"{f}: steps / final f - f*" for f in FUNCTIONS)
             + " |", "|---|" + "---|" * len(FUNCTIONS)]
    for o in OPTIMIZERS:
        lines.append(f"| {o} | " + " | ".join(
            f"{_st(fr[f][o]['steps_to_tol'])} / {_fl(fr[f][o]['final_loss'])}"
            for f in FUNCTIONS) + " |")
    q, ro, sa = fr["ill-conditioned quadratic"], fr["Rosenbrock"], fr["saddle"]
    lines += [
        "",
        f"- **Ill-conditioned quadratic** (curvatures 1 and 25, lr {q['GD']['lr']:g}): GD needs "
        f"{_st(q['GD']['steps_to_tol'])} steps, Momentum {_st(q['Momentum']['steps_to_tol'])}"
        f" and Nesterov {_st(q['Nesterov']['steps_to_tol'])} at the same lr, because momentum "
        "accumulates speed along the flat direction; noisy SGD ends at "
        f"{_fl(q['SGD (noisy)']['final_loss'])} (its noise floor). Newton needs "
        f"{_st(q['Newton']['steps_to_tol'])} step(s) (the Hessian undoes the conditioning), "
        f"L-BFGS {_st(q['L-BFGS']['steps_to_tol'])}.",
        f"- **Rosenbrock**: GD crawls along the curved valley (f - f* = "
        f"{_fl(ro['GD']['final_loss'])} after {s['steps_2d']} steps), Adam ends at "
        f"{_fl(ro['Adam']['final_loss'])}; Newton reaches {TOL:g} in "
        f"{_st(ro['Newton']['steps_to_tol'])} steps and L-BFGS in "
        f"{_st(ro['L-BFGS']['steps_to_tol'])}.",
        f"- **Saddle** (started at y = 0.001, next to the saddle point at the origin where "
        f"f - f* = 0.25): Newton converges to the saddle point (final point "
        f"({sa['Newton']['final_point'][0]:.2g}, {sa['Newton']['final_point'][1]:.2g}), f - f* "
        f"{_fl(sa['Newton']['final_loss'])}), as it seeks any zero of the gradient; GD escapes "
        f"after {_st(sa['GD']['steps_to_tol'])} steps, noisy SGD after "
        f"{_st(sa['SGD (noisy)']['steps_to_tol'])}, Adam after "
        f"{_st(sa['Adam']['steps_to_tol'])} (its per-coordinate normalisation blows up "
        "the tiny y-gradient).",
        "",
        f"**Small CNN** on {ctx.dataset_name} ({s['train_size']} training images, "
        f"{s['cnn_steps']} steps of batch {s['batch_size']}, same initial weights and batches; "
        f"test set {s['test_size']} images):", "",
        "| optimizer | lr | initial loss | final loss | test accuracy |", "|---|---|---|---|---|"]
    for o, c in cn.items():
        lines.append(f"| {o} | {c['lr']:g} | {c['initial_loss']:.3f} | {c['final_loss']:.3f} | "
                     f"{c['test_accuracy']:.3f} |")
    best = max(cn, key=lambda k: cn[k]["test_accuracy"])
    lines += ["", f"Best test accuracy: {best} ({cn[best]['test_accuracy']:.3f}); plain SGD "
              f"{cn['SGD']['test_accuracy']:.3f}, Momentum {cn['Momentum']['test_accuracy']:.3f}, "
              f"Adam {cn['Adam']['test_accuracy']:.3f}."]
    return "\n".join(lines)
