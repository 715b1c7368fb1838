"""``compression``: Deep Compression (Han, Mao and Dally, ICLR 2016, Table 1) reproduced on
LeNet-300-100 and Caffe's LeNet-5, plus int8 quantisation and the cost of 1x1 and
depthwise-separable designs.

For each network:

1. train the float reference (Adam, cosine decay, random 2-pixel shifts);
2. int8 post-training quantisation (min-max and percentile calibration; integer Linear
   and Conv2d with int32 accumulation) and its test accuracy;
3. sensitivity analysis (the paper's Fig. 5 of Han et al. 2015): test accuracy when a
   single layer is pruned to each sparsity, without retraining;
4. iterative magnitude pruning with retraining, k-means weight sharing with centroid
   fine-tuning, Huffman coding (:func:`glassnet.quantization.deep_compression.deep_compress`),
   with every stage's compression ratio and test error, beside the paper's.

The storage counts every parameter: the compressed layers' entries (codebook indices and
relative-index differences, padding entries included, Huffman-coded), their codebooks and
Huffman tables, and every bias at 32 bits.  The design section measures, with
:func:`glassnet.inspect.summary`, a standard 3x3 convolution against a 1x1 bottleneck and a
depthwise-separable one (cost ``1/N + 1/k^2``, Howard et al. 2017).

Measured (``glassnet experiment compression --data-dir <MNIST folder>``, seed 0, 10,000
MNIST test images; 1,189 s on a 2-core CPU shared with other jobs):

==============  =========  ===============  ============  ==============
network         stage      error (paper)    ratio (paper) time (s)
==============  =========  ===============  ============  ==============
LeNet-5 Caffe   reference  0.67% (0.80%)    1x            690
LeNet-5 Caffe   pruned     0.69%            10.5x (12x)   309
LeNet-5 Caffe   quantized  0.66%            36.3x (33x)   37
LeNet-5 Caffe   huffman    0.66% (0.74%)    40.8x (39x)   2
LeNet-300-100   reference  1.12% (1.64%)    1x            34
LeNet-300-100   pruned     1.50%            9.9x (12x)    55
LeNet-300-100   quantized  1.49%            34.2x (32x)   7
LeNet-300-100   huffman    1.49% (1.58%)    41.9x (40x)   0.1
==============  =========  ===============  ============  ==============

Int8 (min-max calibration, per-channel weights): LeNet-5 99.32% vs 99.33% float,
LeNet-300-100 98.86% vs 98.88%.  The references train with random 2-pixel shifts
(the paper's baselines do not), and glassnet prunes more (LeNet-5 fc1 to 6.5%,
LeNet-300-100 fc1 to 7%) and uses 5-6 bit codebooks where the paper uses 8 for some layers.
"""
from __future__ import annotations

import copy
import json
import time

import numpy as np

import glassnet as gn

NAME = "compression"
SUMMARY = ("Deep Compression on LeNet-300-100 and LeNet-5 (prune, share weights, Huffman) "
           "vs the paper; int8 inference; layer sensitivity; 1x1/depthwise costs")

# Han et al. 2016, Tables 1-3: test error before/after and the compression of each stage.
PAPER = {
    "lenet_300_100": {"reference_error": 0.0164, "compressed_error": 0.0158,
                      "pruned_ratio": 12.0, "pq_ratio": 32.0, "pqh_ratio": 40.0,
                      "params": 266_610},
    "lenet5_caffe": {"reference_error": 0.0080, "compressed_error": 0.0074,
                     "pruned_ratio": 12.0, "pq_ratio": 33.0, "pqh_ratio": 39.0,
                     "params": 431_080},
}

_MEAN, _STD = 0.1307, 0.3081


def _settings(quick: bool) -> dict:
    if quick:
        common = {"train_limit": 600, "test_limit": 300, "batch_size": 64, "shift": 0,
                  "prune_steps": 2, "retrain_epochs": 1, "finetune_epochs": 1,
                  "sparsities": [0.5, 0.9], "calibration": 200}
        return {**common, "models": {
            "lenet_300_100": {"kwargs": {"input_size": 8}, "epochs": 3,
                              "amounts": {"fc1": 0.9, "fc2": 0.9, "fc3": 0.7},
                              "bits": {"fc1": 5, "fc2": 5, "fc3": 5}},
            "lenet5_caffe": {"kwargs": {}, "epochs": 1, "upsample": True,
                             "amounts": {"conv1": 0.3, "conv2": 0.8, "fc1": 0.9, "fc2": 0.8},
                             "bits": {"conv1": 6, "conv2": 6, "fc1": 5, "fc2": 6}}}}
    # NOTE: sized for a shared 2-core CPU (LeNet-5 costs ~30 s per MNIST epoch there when
    # the machine is quiet, several times more when it is not): LeNet-5 runs first.
    common = {"train_limit": None, "test_limit": None, "batch_size": 128, "shift": 2,
              "prune_steps": 4, "retrain_epochs": 1, "finetune_epochs": 1,
              "sparsities": [0.5, 0.8, 0.9, 0.95], "sensitivity_limit": 5000,
              "calibration": 2000}
    return {**common, "models": {
        "lenet5_caffe": {"kwargs": {}, "epochs": 8, "retrain_epochs": 2,
                         "amounts": {"conv1": 0.34, "conv2": 0.88, "fc1": 0.935, "fc2": 0.81},
                         "bits": {"conv1": 6, "conv2": 6, "fc1": 5, "fc2": 6}},
        "lenet_300_100": {"kwargs": {}, "epochs": 20, "prune_steps": 5, "retrain_epochs": 3,
                          "finetune_epochs": 2,
                          "amounts": {"fc1": 0.93, "fc2": 0.92, "fc3": 0.75},
                          "bits": {"fc1": 5, "fc2": 6, "fc3": 6}}}}


def _jsonable(v):
    if isinstance(v, np.generic):
        return v.item()
    raise TypeError(f"compression: cannot store a {type(v).__name__}")


def _data(ctx, s):
    xtr, ytr = ctx.images(train=True, limit=s["train_limit"])
    xte, yte = ctx.images(train=False, limit=s["test_limit"])
    return ((xtr - _MEAN) / _STD).astype(np.float32), ytr, \
        ((xte - _MEAN) / _STD).astype(np.float32), yte


def _to28(x):
    """8x8 digits -> 28x28 (3x nearest upsampling, 2-pixel border) for LeNet-5 in quick
    runs without MNIST."""
    if x.shape[-1] == 28:
        return x
    up = np.repeat(np.repeat(x, 3, axis=2), 3, axis=3)
    return np.pad(up, ((0, 0), (0, 0), (2, 2), (2, 2)), mode="edge")


def _sensitivity(model, layers, sparsities, xte, yte):
    from glassnet.nn.utils import prune
    from glassnet.quantization.deep_compression import evaluate

    out = {}
    for name in layers:
        accs = []
        for sp in sparsities:
            m = copy.deepcopy(model)
            prune.l1_unstructured(m.get_submodule(name), "weight", sp)
            accs.append(evaluate(m, xte, yte))
        out[name] = accs
    return out


def _one_model(ctx, name, spec, s, data, log):
    from glassnet.models import get_model
    from glassnet.quantization.deep_compression import deep_compress, evaluate, fit
    from glassnet.quantization.quantized import quantize_model

    xtr, ytr, xte, yte = data
    if spec.get("upsample"):
        xtr, xte = _to28(xtr), _to28(xte)
    ctx.manual_seed(1)
    model = get_model(name, **spec["kwargs"])
    times = {}
    t0 = time.perf_counter()
    fit(model, xtr, ytr, spec["epochs"], 1e-3, s["batch_size"], max_shift=s["shift"],
        seed=ctx.seed, log=log, desc=f"{name} float")
    times["train_float"] = time.perf_counter() - t0
    float_acc = evaluate(model, xte, yte)

    t0 = time.perf_counter()
    int8 = {}
    for obs in ("minmax", "percentile"):
        q = quantize_model(model, xtr[:s["calibration"]], observer=obs)
        int8[obs] = evaluate(q, xte, yte)
    times["int8_ptq"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    n_sens = s.get("sensitivity_limit") or len(xte)
    sens = _sensitivity(model, list(spec["amounts"]), s["sparsities"], xte[:n_sens],
                        yte[:n_sens])
    dense = evaluate(model, xte[:n_sens], yte[:n_sens])
    times["sensitivity"] = time.perf_counter() - t0

    r = deep_compress(model, (xtr, ytr), (xte, yte), spec["amounts"], spec["bits"],
                      index_bits=5, prune_steps=spec.get("prune_steps", s["prune_steps"]),
                      retrain_epochs=spec.get("retrain_epochs", s["retrain_epochs"]),
                      finetune_epochs=spec.get("finetune_epochs", s["finetune_epochs"]),
                      retrain_lr=1e-3, finetune_lr=1e-4, batch_size=s["batch_size"],
                      max_shift=s["shift"], seed=ctx.seed, log=log)
    for st in r["stages"][1:]:
        times[st["name"]] = st["seconds"]
    gn.save(model.state_dict(), ctx.out / f"{name}_compressed.safetensors")
    return {"params": int(sum(p.numel() for p in get_model(name, **spec["kwargs"])
                              .parameters())),
            "float_accuracy": float_acc, "int8_accuracy": int8,
            "int8_drop_pp": {k: 100 * (float_acc - v) for k, v in int8.items()},
            "sensitivity": {"sparsities": s["sparsities"], "accuracy": sens,
                            "dense_accuracy": dense, "test_images": n_sens},
            "stages": r["stages"], "pruning": r["pruning"], "layers": r["layers"],
            "storage": {k: v for k, v in r["storage"].items() if k != "layers"},
            "amounts": spec["amounts"], "bits": spec["bits"],
            "seconds": {k: round(v, 1) for k, v in times.items()},
            "total_seconds": round(sum(times.values()), 1)}


def _designs(quick: bool) -> list:
    """Params and MACs (inspect.summary) of a 3x3 convolution and cheaper designs."""
    from glassnet import nn
    from glassnet.inspect import summary

    c, n, hw, k, mid = (32, 64, 8, 3, 8) if quick else (128, 256, 28, 3, 32)
    designs = {
        "standard 3x3": nn.Conv2d(c, n, k, padding=1, bias=False),
        "1x1 bottleneck (reduce, 3x3, expand)": nn.Sequential(
            nn.Conv2d(c, mid, 1, bias=False), nn.Conv2d(mid, mid, k, padding=1, bias=False),
            nn.Conv2d(mid, n, 1, bias=False)),
        "depthwise-separable": nn.Sequential(
            nn.Conv2d(c, c, k, padding=1, groups=c, bias=False), nn.Conv2d(c, n, 1, bias=False)),
    }
    rows = []
    for label, m in designs.items():
        sm = summary(m, (c, hw, hw))
        rows.append({"design": label, "params": sm.total_params, "macs": sm.total_macs})
    base = rows[0]["macs"]
    for r in rows:
        r["macs_vs_standard"] = r["macs"] / base
    rows[2]["formula"] = 1 / n + 1 / k ** 2
    rows[0].update(channels_in=c, channels_out=n, size=hw, kernel=k, bottleneck=mid)
    return rows


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    s = _settings(ctx.quick)
    data = _data(ctx, s)
    lines = []

    def log(msg):
        lines.append(msg)
        if ctx.progress:
            print(msg, flush=True)

    t_all = time.perf_counter()
    models = {}
    for name, spec in s["models"].items():
        models[name] = _one_model(ctx, name, spec, s, data, log)
        # each network's numbers as soon as they exist (a long run can be read midway)
        (ctx.out / f"{name}.json").write_text(json.dumps(models[name], indent=2,
                                                         default=_jsonable), encoding="utf-8")
    results = {"settings": s, "models": models, "designs": _designs(ctx.quick),
               "paper": PAPER, "total_seconds": round(time.perf_counter() - t_all, 1)}
    _plot_sensitivity(ctx, plt, models)
    _plot_stages(ctx, plt, models)
    (ctx.out / "log.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return ctx.finish(results, _findings(results), "Deep Compression on LeNet")["results"]


def _plot_sensitivity(ctx, plt, models):
    fig, axes = plt.subplots(1, len(models), figsize=(6 * len(models), 4.2), squeeze=False)
    for ax, (name, r) in zip(axes[0], models.items()):
        sp = [0.0] + list(r["sensitivity"]["sparsities"])
        base = r["sensitivity"].get("dense_accuracy", r["float_accuracy"])
        for layer, accs in r["sensitivity"]["accuracy"].items():
            ax.plot(sp, [100 * base] + [100 * a for a in accs], "o-",
                    label=layer)
        ax.set_xlabel("fraction of the layer's weights pruned (no retraining)")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(f"{name}: sensitivity of each layer")
        ax.legend()
        ax.grid(alpha=0.3)
    ctx.savefig(fig, "sensitivity.png")


def _plot_stages(ctx, plt, models):
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, r in models.items():
        ratios = [st["ratio"] for st in r["stages"]]
        errors = [100 * st["error"] for st in r["stages"]]
        ax.plot(ratios, errors, "o-", label=f"{name} (glassnet)")
        for i, (st, x, y) in enumerate(zip(r["stages"], ratios, errors)):
            # alternate above/below: the last two stages lie close together
            ax.annotate(st["name"], (x, y), textcoords="offset points",
                        xytext=(4, 5 if i % 2 == 0 else -11), fontsize=8)
        p = PAPER[name]
        ax.plot([1, p["pqh_ratio"]], [100 * p["reference_error"], 100 * p["compressed_error"]],
                "x--", alpha=0.6, label=f"{name} (paper)")
    ax.set_xscale("log")
    ax.set_xlabel("compression ratio (original / compressed bits)")
    ax.set_ylabel("test error (%)")
    ax.set_title("Deep Compression stages")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    ctx.savefig(fig, "stages.png")


def _findings(res) -> str:
    out = ["| network | stage | glassnet error | glassnet ratio | paper error | paper ratio | "
           "time (s) |", "|---|---|---|---|---|---|---|"]
    for name, r in res["models"].items():
        p = PAPER[name]
        paper = {"reference": (p["reference_error"], 1.0), "pruned": (None, p["pruned_ratio"]),
                 "quantized": (None, p["pq_ratio"]),
                 "huffman": (p["compressed_error"], p["pqh_ratio"])}
        for st in r["stages"]:
            pe, pr = paper[st["name"]]
            pe_s = f"{100 * pe:.2f}%" if pe is not None else "-"
            t = r["seconds"].get("train_float" if st["name"] == "reference" else st["name"], 0)
            out.append(f"| {name} | {st['name']} | {100 * st['error']:.2f}% | "
                       f"{st['ratio']:.1f}x | {pe_s} | {pr:.0f}x | {t:.0f} |")
    out.append("")
    for name, r in res["models"].items():
        out.append(f"- {name}: float test accuracy {100 * r['float_accuracy']:.2f}%, int8 "
                   f"(min-max) {100 * r['int8_accuracy']['minmax']:.2f}% "
                   f"({r['int8_drop_pp']['minmax']:+.2f} pp drop), int8 (percentile) "
                   f"{100 * r['int8_accuracy']['percentile']:.2f}%; layer densities "
                   + ", ".join(f"{k} {100 * v['density']:.1f}% ({v['bits']} bits)"
                               for k, v in r["layers"].items())
                   + f"; total {r['total_seconds']:.0f} s.")
    out.append("")
    out.append("| design | params | MACs | MACs vs standard |")
    out.append("|---|---|---|---|")
    for d in res["designs"]:
        extra = f" (formula 1/N + 1/k^2 = {d['formula']:.3f})" if "formula" in d else ""
        out.append(f"| {d['design']} | {d['params']:,} | {d['macs']:,} | "
                   f"{d['macs_vs_standard']:.3f}{extra} |")
    out.append("")
    out.append(f"Whole run: {res['total_seconds']:.0f} s.  Storage counts biases and codebooks "
               f"at 32 bits and the Huffman tables; stages' ratios are original/compressed "
               f"bits.")
    return "\n".join(out)
