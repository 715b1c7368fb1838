"""Winograd F(2x2,3x3) / F(4x4,3x3) against glassnet's im2col conv and PyTorch, per pass.

Run ``python benchmarks/bench_winograd.py`` (options: ``--threads 1,2``, ``--repeat R``,
``--nets resnet20,resnet18``, ``--json PATH``, ``--no-accuracy``). For every 3x3
stride-1 padding-1 layer shape of ResNet-20 (CIFAR, N=128) and ResNet-18 (ImageNet,
N=8) it times, in milliseconds (median of ``repeat`` calls, taken in alternating blocks
so that outside load hits every method alike):

- ``fwd``   the forward,
- ``dx``    the input gradient,
- ``dw``    the weight gradient,

for ``im2col`` (glassnet/ops/conv.py's ``_conv_apply`` / ``_conv_adjoint`` /
``_conv_weight_grad`` on a ``Window``, including the grid and canvas copies around
them), ``wino2`` / ``wino4`` (glassnet/ops/_conv_winograd.py with m=2 / m=4) and
``torch`` (``conv2d`` under no_grad, ``aten.convolution_backward`` with one output
mask each), at each requested thread count (numpy's BLAS through threadpoolctl, and
``torch.set_num_threads``). The winner of each row is marked. A second table gives the
float32 error of each method, max |err| / max |ref| against a float64 reference
(torch float64, else im2col in float64), on the same shapes with unit-scale data.

A benchmark, not a test: it asserts nothing. torch is optional (absent: its column is
empty and the accuracy reference is glassnet's im2col in float64).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from glassnet.ops import _conv_winograd as wg  # noqa: E402

try:
    import torch
except ImportError:  # torch is optional
    torch = None

NETS = {
    # name: (batch, [(channels, size), ...]); every layer is 3x3, stride 1, padding 1,
    # C_in = C_out
    "resnet20": (128, [(16, 32), (32, 16), (64, 8)]),
    "resnet18": (8, [(64, 56), (128, 28), (256, 14), (512, 7)]),
}
PASSES = ("fwd", "dx", "dw")
METHODS = ("im2col", "wino2", "wino4", "torch")


def set_threads(n):
    """Set numpy's BLAS and torch to ``n`` threads; return a limiter to keep alive."""
    limiter = None
    try:
        from threadpoolctl import threadpool_limits
        limiter = threadpool_limits(limits=n, user_api="blas")
    except ImportError:
        print("threadpoolctl not installed: numpy's BLAS threads left as they are")
    if torch is not None:
        torch.set_num_threads(n)
    return limiter


# -----------------------------------------------------------------------------
# The passes of each method, as zero-argument callables
# -----------------------------------------------------------------------------
def im2col_passes(x, w, gy, padding=1):
    """glassnet's current conv engine, called below its Function (None if unavailable)."""
    try:
        from glassnet.ops.conv import (Window, _conv_adjoint, _conv_apply,
                                       _conv_weight_grad, _nchw, _output)
    except ImportError as err:  # the conv engine is being rewritten
        print(f"im2col column skipped: {err}")
        return None
    n, c, h, wd = x.shape
    ho, wo = gy.shape[2:]
    win = Window((h, wd), (ho, wo), (3, 3), (1, 1), (padding, padding), (1, 1))
    xq = win.to_grid(x)  # what Conv2d.forward saves for the weight gradient

    def fwd():
        return _output(_nchw(win.crop(_conv_apply(win.to_grid(x), w, win, 1))))

    def dx():
        return win.from_grid(_conv_adjoint(win.pad_canvas(_nchw(gy)), w, win, 1, c))

    def dw():
        return _conv_weight_grad(win.pad_canvas(_nchw(gy)), xq, w.shape, win, 1)

    return {"fwd": fwd, "dx": dx, "dw": dw}


def winograd_passes(x, w, gy, m, padding=1):
    return {
        "fwd": lambda: wg.winograd_conv2d(x, w, padding, m),
        "dx": lambda: wg.winograd_conv2d_input_grad(gy, w, x.shape, padding, m),
        "dw": lambda: wg.winograd_conv2d_weight_grad(gy, x, w.shape, padding, m),
    }


def torch_passes(x, w, gy, padding=1):
    if torch is None:
        return None
    tx, tw, tg = torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(gy)
    back = torch.ops.aten.convolution_backward

    def fwd():
        with torch.no_grad():
            return torch.nn.functional.conv2d(tx, tw, padding=padding).numpy()

    def grad(mask):
        with torch.no_grad():
            out = back(tg, tx, tw, None, [1, 1], [padding, padding], [1, 1], False, [0, 0], 1,
                       mask)
        return out[0].numpy() if mask[0] else out[1].numpy()

    return {"fwd": fwd, "dx": lambda: grad([True, False, False]),
            "dw": lambda: grad([False, True, False])}


def all_passes(x, w, gy):
    return {"im2col": im2col_passes(x, w, gy), "wino2": winograd_passes(x, w, gy, 2),
            "wino4": winograd_passes(x, w, gy, 4), "torch": torch_passes(x, w, gy)}


def layer_data(n, c, size, rng, dtype=np.float32):
    x = rng.standard_normal((n, c, size, size)).astype(dtype)
    w = (rng.standard_normal((c, c, 3, 3)) / np.sqrt(9 * c)).astype(dtype)
    gy = rng.standard_normal((n, c, size, size)).astype(dtype)
    return x, w, gy


# -----------------------------------------------------------------------------
# Timing
# -----------------------------------------------------------------------------
def compare(fns: dict, repeat: int, rounds: int = 3) -> dict:
    """Median milliseconds of each ``fns[name]()``, the methods taking turns in
    ``rounds`` blocks (each block warmed up), so a burst of outside load hits all."""
    times = {name: [] for name in fns}
    per_block = max(1, -(-repeat // rounds))
    for _ in range(rounds):
        for name, fn in fns.items():
            fn()
            for _ in range(per_block):
                start = time.perf_counter()
                fn()
                times[name].append(time.perf_counter() - start)
    return {name: 1e3 * float(np.median(t)) for name, t in times.items()}


def bench(nets, threads, repeat, rng):
    """``rows``: dicts with net, layer, threads, pass and one time per method."""
    rows = []
    for net in nets:
        n, layers = NETS[net]
        for c, size in layers:
            x, w, gy = layer_data(n, c, size, rng)
            passes = all_passes(x, w, gy)
            for p in PASSES:
                fns = {mth: fs[p] for mth, fs in passes.items() if fs is not None}
                ms = compare(fns, repeat)
                row = {"net": net, "layer": f"N{n} {c}ch {size}x{size}", "threads": threads,
                       "pass": p, **{mth: ms.get(mth) for mth in METHODS}}
                rows.append(row)
                print_row(row, flush=True)
    return rows


def print_header():
    print(f"{'net':<9}{'layer':<20}{'thr':>4} {'pass':<5}"
          + "".join(f"{m:>10}" for m in METHODS) + "  winner (vs im2col / vs torch)")


def print_row(row, flush=False):
    vals = {m: row[m] for m in METHODS if row[m] is not None}
    ours = {m: v for m, v in vals.items() if m != "torch"}
    best_ours = min(ours, key=ours.get)
    winner = min(vals, key=vals.get)
    cells = "".join(f"{row[m]:10.2f}" if row[m] is not None else f"{'-':>10}"
                    for m in METHODS)
    note = f"  {winner:<7}"
    if best_ours != "im2col" and "im2col" in vals:
        note += f" {best_ours} {vals['im2col'] / ours[best_ours]:.2f}x im2col"
    if "torch" in vals:
        note += f", glassnet best/torch {vals['torch'] / ours[best_ours]:.2f}x"
    print(f"{row['net']:<9}{row['layer']:<20}{row['threads']:>4} {row['pass']:<5}{cells}{note}",
          flush=flush)


def print_totals(rows):
    """Sum of the three passes over each net's layer shapes (one layer of each)."""
    print("\nper-net sums of fwd+dx+dw over the layer shapes above (ms; one layer each):")
    keys = sorted({(r["net"], r["threads"]) for r in rows}, key=lambda k: (k[0], k[1]))
    for net, thr in keys:
        sel = [r for r in rows if r["net"] == net and r["threads"] == thr]
        sums = {m: sum(r[m] for r in sel) for m in METHODS if all(r[m] is not None for r in sel)}
        best = sum(min(r[k] for k in ("im2col", "wino2", "wino4") if r[k] is not None)
                   for r in sel)
        print(f"  {net:<9} threads={thr}: "
              + ", ".join(f"{m} {v:.1f}" for m, v in sums.items())
              + f", best-of-glassnet per pass {best:.1f}")


# -----------------------------------------------------------------------------
# Accuracy
# -----------------------------------------------------------------------------
def accuracy(nets, rng):
    print("\nfloat32 error, max|err| / max|ref| against float64 "
          + ("torch" if torch is not None else "im2col") + " (unit-scale data):")
    print(f"{'layer':<22}{'pass':<6}" + "".join(f"{m:>10}" for m in METHODS))
    out = []
    for net in nets:
        n, layers = NETS[net]
        for c, size in layers:
            x, w, gy = layer_data(n, c, size, rng)
            w = (w * np.sqrt(9 * c)).astype(np.float32)  # unit-scale weights too
            ref = (torch_passes if torch is not None else im2col_passes)(
                *(a.astype(np.float64) for a in (x, w, gy)))
            passes = all_passes(x, w, gy)
            for p in PASSES:
                r = ref[p]()
                errs = {m: (float(np.abs(fs[p]() - r).max() / np.abs(r).max())
                            if fs is not None else None) for m, fs in passes.items()}
                out.append({"layer": f"N{n} {c}ch {size}x{size}", "pass": p, **errs})
                print(f"{out[-1]['layer']:<22}{p:<6}"
                      + "".join(f"{e:10.1e}" if e is not None else f"{'-':>10}"
                                for e in errs.values()), flush=True)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", default="1,2", help="comma-separated thread counts")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--nets", default="resnet20,resnet18")
    parser.add_argument("--json", default=None, help="write the results here")
    parser.add_argument("--no-accuracy", action="store_true")
    args = parser.parse_args(argv)
    nets = [s for s in args.nets.split(",") if s]
    rng = np.random.default_rng(0)
    print(f"numpy {np.__version__}, torch {torch.__version__ if torch else 'absent'}, "
          f"{os.cpu_count()} CPUs; chunk budget {wg._CHUNK_ELEMENTS} values, "
          f">= {wg._MIN_COLUMNS} GEMM columns")
    rows = []
    print_header()
    for thr in (int(t) for t in args.threads.split(",")):
        limiter = set_threads(thr)
        rows += bench(nets, thr, args.repeat, rng)
        del limiter
    print_totals(rows)
    acc = [] if args.no_accuracy else accuracy(nets, rng)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"times_ms": rows, "rel_error": acc}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
