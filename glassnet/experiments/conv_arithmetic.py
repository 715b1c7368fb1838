"""``conv-arithmetic``: what kernel, stride, padding, dilation and groups do to a
convolution's output size, parameters and multiply-accumulates (MACs).

Every number is measured on real ``nn.Conv2d`` modules with
:func:`glassnet.inspect.summary` (per-layer output shape, parameters, MACs) and the output
shape is checked once more by running the module forward; the formulas are only the
yardstick:

- output size ``floor((n + 2p - d(k - 1) - 1) / s) + 1`` over a grid of input sizes,
  kernels, strides, paddings and dilations (Dumoulin & Visin 2016, "A guide to convolution
  arithmetic for deep learning");
- groups ``g`` divide the weights and MACs by ``g`` (the bias stays), down to depthwise;
- a ResNet bottleneck (1x1 reduce, 3x3, 1x1 expand; He et al. 2016) against one direct
  3x3 convolution of the same width;
- a depthwise-separable convolution (depthwise ``k x k`` then pointwise ``1 x 1``;
  MobileNet, Howard et al. 2017) costs ``1/N + 1/k^2`` of a standard one with ``N``
  output channels.

No training and no data: quick and full runs differ only in the sizes of the grids.
"""
from __future__ import annotations

import itertools

import numpy as np

import glassnet as gn

NAME = "conv-arithmetic"
SUMMARY = ("output shape, parameters and MACs of nn.Conv2d as kernel, stride, padding, "
           "dilation and groups change; 1x1 bottleneck vs 3x3; depthwise-separable savings")


def _settings(quick: bool) -> dict:
    if quick:
        return {"grid_n": [7, 8, 15, 16], "grid_k": [1, 2, 3, 5], "grid_s": [1, 2, 3],
                "grid_p": [0, 1, 2], "grid_d": [1, 2, 3], "sweep_n": 32, "sweep_max": 9,
                "group_channels": 64, "group_hw": 16, "bottleneck_channels": 256,
                "bottleneck_mid": 64, "bottleneck_hw": 8, "separable_in": 32,
                "separable_n": [8, 16, 32, 64, 128, 256], "separable_k": [1, 3, 5, 7],
                "separable_hw": 8}
    return {"grid_n": [5, 7, 8, 15, 16, 28, 31], "grid_k": [1, 2, 3, 4, 5, 7],
            "grid_s": [1, 2, 3, 4], "grid_p": [0, 1, 2, 3], "grid_d": [1, 2, 3],
            "sweep_n": 64, "sweep_max": 15, "group_channels": 256, "group_hw": 28,
            "bottleneck_channels": 256, "bottleneck_mid": 64, "bottleneck_hw": 56,
            "separable_in": 64, "separable_n": [8, 16, 32, 64, 128, 256, 512],
            "separable_k": [1, 3, 5, 7, 9], "separable_hw": 14}


def formula_output_size(n, k, s=1, p=0, d=1) -> int:
    """``floor((n + 2p - d(k - 1) - 1) / s) + 1`` (the yardstick; may be <= 0)."""
    return (n + 2 * p - d * (k - 1) - 1) // s + 1


def _measure(model, input_size):
    """(summary, forward output shape without batch) of ``model`` on ``input_size``."""
    from glassnet.inspect import summary

    s = summary(model, input_size)
    x = gn.tensor(np.zeros((1,) + tuple(input_size), np.float32))
    with gn.no_grad():
        y = model(x)
    return s, tuple(int(v) for v in y.shape[1:])


def _conv_shape(n, k, s, p, d, channels=1):
    m = gn.nn.Conv2d(channels, channels, k, stride=s, padding=p, dilation=d)
    summ, fwd = _measure(m, (channels, n, n))
    return summ.rows[0].output_shape, fwd


def _grid(s):
    rows = []
    for n, k, st, p, d in itertools.product(s["grid_n"], s["grid_k"], s["grid_s"],
                                            s["grid_p"], s["grid_d"]):
        want = formula_output_size(n, k, st, p, d)
        if want < 1:
            continue  # empty output: the module refuses it
        shape, fwd = _conv_shape(n, k, st, p, d)
        rows.append({"n": n, "k": k, "s": st, "p": p, "d": d, "formula": want,
                     "summary": list(shape), "forward": list(fwd)})
    mism = [r for r in rows if not (r["summary"] == [1, r["formula"], r["formula"]]
                                    == r["forward"])]
    return {"configs": len(rows), "mismatches": len(mism), "mismatch_rows": mism,
            "rows": rows}


def _sweeps(s):
    """Output size vs one hyper-parameter at a time (the others at k3 s1 p0 d1)."""
    n, top = s["sweep_n"], s["sweep_max"]
    base = {"k": 3, "s": 1, "p": 0, "d": 1}
    ranges = {"k": range(1, top + 1), "s": range(1, top + 1), "p": range(0, top),
              "d": range(1, top + 1)}
    out = {}
    for key, vals in ranges.items():
        xs, meas, form = [], [], []
        for v in vals:
            cfg = dict(base, **{key: v})
            want = formula_output_size(n, **cfg)
            if want < 1:
                continue
            shape, fwd = _conv_shape(n, cfg["k"], cfg["s"], cfg["p"], cfg["d"])
            if shape[1] != fwd[1]:
                raise RuntimeError(f"conv-arithmetic: summary {shape} != forward {fwd}")
            xs.append(v)
            meas.append(shape[1])
            form.append(want)
        out[key] = {"values": xs, "measured": meas, "formula": form}
    return out


def _groups(s):
    c, hw = s["group_channels"], s["group_hw"]
    gs = [g for g in (1, 2, 4, 8, 16, 32, 64, 128, 256) if g <= c and c % g == 0]
    rows = {}
    for g in gs:
        r = {}
        for bias in (False, True):
            m = gn.nn.Conv2d(c, c, 3, padding=1, groups=g, bias=bias)
            summ, fwd = _measure(m, (c, hw, hw))
            if tuple(summ.rows[0].output_shape) != fwd:
                raise RuntimeError("conv-arithmetic: summary and forward shapes differ")
            r["params_bias" if bias else "params"] = summ.total_params
            r["macs"] = summ.total_macs
        rows[g] = r
    p1, m1 = rows[1]["params"], rows[1]["macs"]
    for g, r in rows.items():
        r["params_ratio"] = r["params"] / p1
        r["macs_ratio"] = r["macs"] / m1
        r["params_bias_predicted"] = (rows[1]["params_bias"] - c) // g + c
    return {"channels": c, "hw": hw, "kernel": 3, "groups": gs,
            "per_groups": {str(g): r for g, r in rows.items()}}


def _bottleneck(s):
    c, mid, hw = s["bottleneck_channels"], s["bottleneck_mid"], s["bottleneck_hw"]
    direct = gn.nn.Sequential(gn.nn.Conv2d(c, c, 3, padding=1, bias=False))
    bott = gn.nn.Sequential(gn.nn.Conv2d(c, mid, 1, bias=False), gn.nn.ReLU(),
                            gn.nn.Conv2d(mid, mid, 3, padding=1, bias=False), gn.nn.ReLU(),
                            gn.nn.Conv2d(mid, c, 1, bias=False))
    sd, fd = _measure(direct, (c, hw, hw))
    sb, fb = _measure(bott, (c, hw, hw))
    if fd != fb or fd != (c, hw, hw):
        raise RuntimeError(f"conv-arithmetic: bottleneck output {fb} vs direct {fd}")
    predicted = 9 * c * c / (2 * c * mid + 9 * mid * mid)
    return {"channels": c, "mid": mid, "hw": hw, "output_shape": list(fb),
            "direct": {"params": sd.total_params, "macs": sd.total_macs},
            "bottleneck": {"params": sb.total_params, "macs": sb.total_macs,
                           "per_layer": [{"name": r.name, "params": r.trainable,
                                          "macs": r.macs} for r in sb.rows if r.macs]},
            "params_factor": sd.total_params / sb.total_params,
            "macs_factor": sd.total_macs / sb.total_macs,
            "predicted_factor": predicted}


def _separable(s):
    m_in, hw = s["separable_in"], s["separable_hw"]
    rows = []
    for k, n in itertools.product(s["separable_k"], s["separable_n"]):
        p = k // 2
        std = gn.nn.Sequential(gn.nn.Conv2d(m_in, n, k, padding=p, bias=False))
        sep = gn.nn.Sequential(gn.nn.Conv2d(m_in, m_in, k, padding=p, groups=m_in, bias=False),
                               gn.nn.Conv2d(m_in, n, 1, bias=False))
        ss, fs = _measure(std, (m_in, hw, hw))
        sp, fp = _measure(sep, (m_in, hw, hw))
        if fs != fp:
            raise RuntimeError(f"conv-arithmetic: separable output {fp} vs standard {fs}")
        rows.append({"k": k, "N": n, "standard_params": ss.total_params,
                     "separable_params": sp.total_params, "standard_macs": ss.total_macs,
                     "separable_macs": sp.total_macs,
                     "params_ratio": sp.total_params / ss.total_params,
                     "macs_ratio": sp.total_macs / ss.total_macs,
                     "formula": 1.0 / n + 1.0 / k ** 2})
    err = max(max(abs(r["macs_ratio"] - r["formula"]), abs(r["params_ratio"] - r["formula"]))
              for r in rows)
    return {"in_channels": m_in, "hw": hw, "rows": rows, "max_abs_error": err}


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    s = _settings(ctx.quick)
    steps = ["grid", "sweeps", "groups", "bottleneck", "separable"]
    res = {}
    for step in ctx.track(steps, "measuring convolutions"):
        res[step] = {"grid": _grid, "sweeps": _sweeps, "groups": _groups,
                     "bottleneck": _bottleneck, "separable": _separable}[step](s)
    _plot_sweeps(ctx, plt, res["sweeps"], s)
    _plot_groups(ctx, plt, res["groups"])
    _plot_bottleneck(ctx, plt, res["bottleneck"])
    _plot_separable(ctx, plt, res["separable"])
    _plot_windows(ctx, plt)
    results = {"settings": s, **res}
    return ctx.finish(results, _findings(results), "Convolution arithmetic",
                      data="none (shapes and counts)")["results"]


_LABELS = {"k": "kernel size k", "s": "stride s", "p": "padding p", "d": "dilation d"}


def _plot_sweeps(ctx, plt, sw, s):
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.2))
    for ax, key in zip(axes, ("k", "s", "p", "d")):
        v = sw[key]
        ax.plot(v["values"], v["measured"], "o", ms=7, label="measured (summary + forward)")
        ax.plot(v["values"], v["formula"], "-", lw=1.2, color="C1",
                label="floor((n+2p-d(k-1)-1)/s)+1")
        ax.set_xlabel(_LABELS[key])
        ax.set_ylabel("output height = width")
        others = ", ".join(f"{o}={b}" for o, b in (("k", 3), ("s", 1), ("p", 0), ("d", 1))
                           if o != key)
        ax.set_title(f"n={s['sweep_n']}, {others}")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Conv2d output size as one hyper-parameter changes (input "
                 f"{s['sweep_n']}x{s['sweep_n']})")
    fig.tight_layout()
    ctx.savefig(fig, "output_size.png")


def _plot_groups(ctx, plt, g):
    gs = g["groups"]
    rows = [g["per_groups"][str(x)] for x in gs]
    idx = np.arange(len(gs))
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.4))
    for ax, key, what in ((axes[0], "params", "parameters"), (axes[1], "macs", "MACs")):
        vals = [r[key] for r in rows]
        bars = ax.bar(idx, vals, color="C0", label=f"measured {what} (no bias)")
        ax.bar_label(bars, labels=[f"{v:,}" for v in vals], fontsize=7, rotation=90,
                     padding=8)
        ax.plot(idx, [vals[0] / x for x in gs], "k--", marker="x", label=f"{what}(g=1) / g")
        ax.set_yscale("log")
        ax.set_ylim(min(vals) / 3, max(vals) * 30)
        ax.set_xticks(idx, [f"{x}" + (" (depthwise)" if x == g["channels"] else "")
                            for x in gs], fontsize=8)
        ax.set_xlabel("groups g")
        ax.set_ylabel(f"{what} (log)")
        ax.set_title(f"{what} of a 3x3 Conv2d {g['channels']}->{g['channels']} on "
                     f"{g['hw']}x{g['hw']}")
        ax.legend(fontsize=8)
    fig.tight_layout()
    ctx.savefig(fig, "groups.png")


def _plot_bottleneck(ctx, plt, b):
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    c, m = b["channels"], b["mid"]
    for ax, key, what in ((axes[0], "params", "parameters"), (axes[1], "macs", "MACs")):
        d = b["direct"][key]
        ax.bar([0], [d], color="C3", label=f"direct 3x3 {c}->{c}")
        bottom = 0
        for j, layer in enumerate(b["bottleneck"]["per_layer"]):
            lab = ["1x1 reduce", "3x3", "1x1 expand"][j] if j < 3 else layer["name"]
            ax.bar([1], [layer[key]], bottom=bottom, color=f"C{j}", label=f"bottleneck {lab}")
            bottom += layer[key]
        ax.text(0, d, f"{d:,}", ha="center", va="bottom", fontsize=8)
        ax.text(1, bottom, f"{bottom:,}\n({d / bottom:.2f}x fewer)", ha="center", va="bottom",
                fontsize=8)
        ax.set_xticks([0, 1], [f"direct 3x3\n{c}->{c}", f"bottleneck\n{c}->{m}->{m}->{c}"])
        ax.set_ylim(0, d * 1.15)
        ax.set_ylabel(what)
        ax.set_title(f"{what} on {b['hw']}x{b['hw']} input")
        ax.legend(fontsize=8)
    fig.suptitle("1x1 bottleneck vs one direct 3x3 convolution (same input and output shape)")
    fig.tight_layout()
    ctx.savefig(fig, "bottleneck.png")


def _plot_separable(ctx, plt, sep):
    fig, ax = plt.subplots(figsize=(8, 5))
    ks = sorted({r["k"] for r in sep["rows"]})
    for j, k in enumerate(ks):
        rs = [r for r in sep["rows"] if r["k"] == k]
        ns = np.array([r["N"] for r in rs])
        fine = np.geomspace(ns.min(), ns.max(), 100)
        ax.plot(fine, 1 / fine + 1 / k ** 2, "-", color=f"C{j}", lw=1)
        ax.plot(ns, [r["macs_ratio"] for r in rs], "o", color=f"C{j}",
                label=f"k={k}: measured MACs ratio; line 1/N + 1/{k * k}")
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xlabel("output channels N")
    ax.set_ylabel("separable / standard MACs")
    ax.set_title(f"Depthwise-separable vs standard conv ({sep['in_channels']} input channels); "
                 f"max |measured - formula| = {sep['max_abs_error']:.1e}", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    ctx.savefig(fig, "depthwise_separable.png")


def _plot_windows(ctx, plt):
    """Where one output pixel looks on a 7x7 input for four settings."""
    import matplotlib.patches as patches

    n = 7
    cases = [("k=3 s=1 p=0 d=1", 3, 1, 0, 1), ("k=3 s=2 p=1 d=1", 3, 2, 1, 1),
             ("k=3 s=1 p=0 d=2", 3, 1, 0, 2), ("k=5 s=2 p=2 d=1", 5, 2, 2, 1)]
    fig, axes = plt.subplots(1, 4, figsize=(16, 4.4))
    for ax, (title, k, s, p, d) in zip(axes, cases):
        size = n + 2 * p
        out = formula_output_size(n, k, s, p, d)
        for i in range(size):
            for j in range(size):
                pad = not (p <= i < p + n and p <= j < p + n)
                ax.add_patch(patches.Rectangle((j, i), 1, 1, fill=True,
                                               fc="0.85" if pad else "white", ec="0.5"))
        for (oi, oj), col in (((0, 0), "C0"), ((out - 1, out - 1), "C3")):
            for a in range(k):
                for b in range(k):
                    ax.add_patch(patches.Rectangle((oj * s + b * d + 0.1, oi * s + a * d + 0.1),
                                                   0.8, 0.8, fc=col, alpha=0.55, ec="none"))
        ax.set_xlim(0, size)
        ax.set_ylim(size, 0)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"{title}: output {out}x{out}\n(blue: output (0,0), red: "
                     f"({out - 1},{out - 1}); grey: padding)", fontsize=9)
    fig.suptitle(f"Sliding window on a {n}x{n} input: the input pixels one output pixel sees")
    fig.tight_layout(rect=(0, 0, 1, 0.94))
    ctx.savefig(fig, "sliding_window.png")


def _findings(r) -> str:
    g, b, sep, gr = r["groups"], r["bottleneck"], r["separable"], r["grid"]
    pg = g["per_groups"]
    last = str(g["groups"][-1])
    sw = r["sweeps"]
    lines = [
        "No data and no training: every number below is measured on `nn.Conv2d` modules.",
        "",
        f"- **Output size**: over {gr['configs']} (n, k, s, p, d) configurations of "
        f"`nn.Conv2d`, the output shape reported by `glassnet.inspect.summary` and the one "
        f"produced by a forward pass both equal floor((n + 2p - d(k - 1) - 1) / s) + 1 in "
        f"{gr['configs'] - gr['mismatches']} of {gr['configs']} cases "
        f"({gr['mismatches']} mismatches). On a {r['settings']['sweep_n']}-pixel input a "
        f"3x3 kernel gives {sw['k']['measured'][2]}, stride {sw['s']['values'][-1]} gives "
        f"{sw['s']['measured'][-1]}, padding 1 keeps {sw['p']['measured'][1]} and dilation "
        f"{sw['d']['values'][-1]} leaves {sw['d']['measured'][-1]}.",
        f"- **Groups**: a 3x3 conv {g['channels']}->{g['channels']} has "
        f"{pg['1']['params']:,} weights with g=1 and {pg[last]['params']:,} with g={last} "
        f"(depthwise), i.e. {pg[last]['params_ratio']:.6f} = 1/{last} of them; MACs fall "
        f"from {pg['1']['macs']:,} to {pg[last]['macs']:,}. With bias every g has "
        f"(params(1) - C)/g + C parameters ({pg['1']['params_bias']:,} -> "
        f"{pg[last]['params_bias']:,}): the {g['channels']} biases do not shrink.",
        f"- **Bottleneck**: 1x1 {b['channels']}->{b['mid']}, 3x3 {b['mid']}->{b['mid']}, "
        f"1x1 {b['mid']}->{b['channels']} has {b['bottleneck']['params']:,} parameters and "
        f"{b['bottleneck']['macs']:,} MACs against {b['direct']['params']:,} and "
        f"{b['direct']['macs']:,} for one direct 3x3 {b['channels']}->{b['channels']} on "
        f"{b['hw']}x{b['hw']}: {b['params_factor']:.3f}x fewer parameters and "
        f"{b['macs_factor']:.3f}x fewer MACs, the computed factor 9C^2 / (2Cm + 9m^2) = "
        f"{b['predicted_factor']:.3f}.",
        f"- **Depthwise-separable**: with {sep['in_channels']} input channels, the measured "
        f"cost ratio (separable / standard, MACs and parameters) equals 1/N + 1/k^2 for all "
        f"{len(sep['rows'])} (N, k) pairs, max |error| {sep['max_abs_error']:.1e}:",
        "",
        "| k | N | standard MACs | separable MACs | measured ratio | 1/N + 1/k^2 |",
        "|---|---|---|---|---|---|",
    ]
    for row in sep["rows"]:
        lines.append(f"| {row['k']} | {row['N']} | {row['standard_macs']:,} | "
                     f"{row['separable_macs']:,} | {row['macs_ratio']:.6f} | "
                     f"{row['formula']:.6f} |")
    return "\n".join(lines)
