"""Time glassnet's conv2d and a small-CNN training step against PyTorch in the same run.

Run ``python benchmarks/bench_conv.py`` (options: ``--threads N``, ``--repeat R``,
``--stat min|median``). Prints a table of milliseconds and the glassnet / torch ratio;
asserts nothing (a benchmark, not a test). Needs torch; threadpoolctl (a scikit-learn
dependency) is used, when installed, to read and set the number of BLAS threads numpy
uses, and torch is set to the same number.

(a) conv2d forward and forward+backward (input, weight and bias gradients) on a few
    shapes: 3x3 stride 1, stride 2, depthwise, a deeper 14x14 layer and a 1x1 conv.
(b) one SGD step of a small CNN on 64 MNIST images (from ``../shared/data/mnist`` or
    ``$GLASSNET_DATA/mnist``; random images if absent): conv(1->32, 3x3, pad 1)-relu-
    maxpool(2) -> conv(32->64, 3x3, pad 1)-relu-maxpool(2) -> linear(3136->10) ->
    cross-entropy, with leaf tensors and a manual update ``p -= lr * grad``.

The frameworks take turns in blocks of runs (each block warmed up), never call by call,
so that one library's spinning worker threads do not steal cycles from the other's,
while a burst of outside load still hits both.
"""
from __future__ import annotations

import argparse
import gzip
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import glassnet as gn  # noqa: E402
from glassnet.nn import functional as F  # noqa: E402

CONV_CASES = [
    # name, N, C_in, C_out, H, k, stride, padding, groups
    ("3x3 s1  N32 16->32 28x28", 32, 16, 32, 28, 3, 1, 1, 1),
    ("3x3 s2  N32 16->32 28x28", 32, 16, 32, 28, 3, 2, 1, 1),
    ("dw3x3   N32 32->32 28x28", 32, 32, 32, 28, 3, 1, 1, 32),
    ("3x3 s1  N64 32->64 14x14", 64, 32, 64, 14, 3, 1, 1, 1),
    ("1x1     N32 64->128 14x14", 32, 64, 128, 14, 1, 1, 0, 1),
]


def compare(fns: dict, repeat: int, stat: str, rounds: int = 3) -> dict:
    """Time each ``fns[lib]()`` ``repeat`` times in milliseconds; return ``stat`` per lib.

    The libraries take turns in ``rounds`` blocks (each block warms up first), so a
    burst of load from other processes hits both rather than one.
    """
    times = {lib: [] for lib in fns}
    per_block = max(1, -(-repeat // rounds))
    for _ in range(rounds):
        for lib, fn in fns.items():
            fn()
            for _ in range(per_block):
                start = time.perf_counter()
                fn()
                times[lib].append(time.perf_counter() - start)
    reduce = np.min if stat == "min" else np.median
    return {lib: 1e3 * float(reduce(t)) for lib, t in times.items()}


def blas_threads(requested):
    """Set (if requested) and return the number of threads numpy's BLAS uses."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return requested or os.cpu_count(), None
    limiter = threadpool_limits(limits=requested, user_api="blas") if requested else None
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return (infos[0]["num_threads"] if infos else os.cpu_count()), limiter


def load_mnist_batch(n: int, rng):
    """``n`` MNIST training images scaled to [0, 1] and their labels (random if absent)."""
    here = os.path.dirname(os.path.abspath(__file__))
    roots = [os.path.join(os.environ.get("GLASSNET_DATA", ""), "mnist"),
             os.path.join(here, "..", "..", "shared", "data", "mnist")]
    for root in roots:
        images = os.path.join(root, "train-images-idx3-ubyte.gz")
        labels = os.path.join(root, "train-labels-idx1-ubyte.gz")
        if os.path.exists(images) and os.path.exists(labels):
            with gzip.open(images, "rb") as f:
                x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
            with gzip.open(labels, "rb") as f:
                y = np.frombuffer(f.read(), np.uint8, offset=8)
            return (x[:n] / np.float32(255)).astype(np.float32), y[:n].astype(np.int64), "MNIST"
    x = rng.random((n, 1, 28, 28), dtype=np.float32)
    return x, rng.integers(0, 10, n).astype(np.int64), "random images (MNIST not found)"


# -----------------------------------------------------------------------------
# (a) conv2d
# -----------------------------------------------------------------------------
def conv_fns(lib, case):
    """``(forward, forward + backward)`` callables of one conv2d case."""
    _, n, c_in, c_out, h, k, stride, padding, groups = case
    rng = np.random.default_rng(0)
    x = rng.standard_normal((n, c_in, h, h)).astype(np.float32)
    w = (rng.standard_normal((c_out, c_in // groups, k, k)) * 0.1).astype(np.float32)
    b = np.zeros(c_out, np.float32)
    if lib == "glassnet":
        tx, tw, tb = (gn.tensor(a, requires_grad=True) for a in (x, w, b))

        def conv():
            return F.conv2d(tx, tw, tb, stride=stride, padding=padding, groups=groups)

        cot = gn.tensor(np.ones(conv().shape, np.float32))
        no_grad = gn.no_grad
    else:
        import torch

        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

        def conv():
            return torch.nn.functional.conv2d(tx, tw, tb, stride=stride, padding=padding,
                                              groups=groups)

        cot = torch.ones(conv().shape)
        no_grad = torch.no_grad

    def fwd():
        with no_grad():
            conv()

    def fwd_bwd():
        tx.grad = tw.grad = tb.grad = None
        conv().backward(cot)

    return fwd, fwd_bwd


# -----------------------------------------------------------------------------
# (b) small CNN training step
# -----------------------------------------------------------------------------
def init_cnn(rng):
    def uniform(shape, fan_in):
        bound = 1.0 / np.sqrt(fan_in)
        return rng.uniform(-bound, bound, shape).astype(np.float32)

    return {"w1": uniform((32, 1, 3, 3), 9), "b1": uniform((32,), 9),
            "w2": uniform((64, 32, 3, 3), 288), "b2": uniform((64,), 288),
            "w3": uniform((10, 64 * 7 * 7), 3136), "b3": uniform((10,), 3136)}


def glassnet_step(params, x, y, lr):
    def relu(t):
        return F.relu(t) if hasattr(F, "relu") else gn.maximum(t, 0)

    def cross_entropy(logits, target):
        if hasattr(F, "cross_entropy"):
            return F.cross_entropy(logits, target)
        logp = logits - logits.logsumexp(dim=1, keepdim=True)
        return -logp.gather(1, target.reshape(-1, 1)).mean()

    p = params
    h = F.max_pool2d(relu(F.conv2d(x, p["w1"], p["b1"], padding=1)), 2)
    h = F.max_pool2d(relu(F.conv2d(h, p["w2"], p["b2"], padding=1)), 2)
    loss = cross_entropy(F.linear(h.reshape(h.shape[0], -1), p["w3"], p["b3"]), y)
    for t in p.values():
        t.grad = None
    loss.backward()
    with gn.no_grad():
        for t in p.values():
            t.data -= lr * t.grad.data
    return loss


def torch_step(params, x, y, lr):
    import torch
    import torch.nn.functional as TF

    p = params
    h = TF.max_pool2d(TF.relu(TF.conv2d(x, p["w1"], p["b1"], padding=1)), 2)
    h = TF.max_pool2d(TF.relu(TF.conv2d(h, p["w2"], p["b2"], padding=1)), 2)
    loss = TF.cross_entropy(TF.linear(h.reshape(h.shape[0], -1), p["w3"], p["b3"]), y)
    for t in p.values():
        t.grad = None
    loss.backward()
    with torch.no_grad():
        for t in p.values():
            t -= lr * t.grad
    return loss


def cnn_fn(lib, x, y, lr=0.01):
    """``(step callable, loss of the first step)`` for one framework."""
    init = init_cnn(np.random.default_rng(0))
    if lib == "glassnet":
        params = {k: gn.tensor(v, requires_grad=True) for k, v in init.items()}
        xt, yt = gn.tensor(x), gn.tensor(y)
        step = glassnet_step
    else:
        import torch

        params = {k: torch.tensor(v, requires_grad=True) for k, v in init.items()}
        xt, yt = torch.tensor(x), torch.tensor(y)
        step = torch_step
    first = float(step(params, xt, yt, lr).item())
    return (lambda: step(params, xt, yt, lr)), first


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="threads for numpy's BLAS and torch (default: BLAS's current)")
    parser.add_argument("--repeat", type=int, default=30, help="timed runs per case")
    parser.add_argument("--stat", choices=("min", "median"), default="min",
                        help="statistic of the timed runs (default: min, as timeit)")
    args = parser.parse_args(argv)
    try:
        import torch
    except ImportError:
        print("bench_conv: torch is not installed; nothing to compare against")
        return 1
    threads, _limiter = blas_threads(args.threads)
    torch.set_num_threads(threads)
    print(f"numpy {np.__version__} (BLAS threads: {threads}), torch {torch.__version__} "
          f"(threads: {torch.get_num_threads()}), float32, {args.stat} of {args.repeat} "
          f"runs, in ms\n")

    header = f"{'case':42s} {'glassnet':>9s} {'torch':>9s} {'ratio':>7s}"
    print(header)
    print("-" * len(header))
    for case in CONV_CASES:
        fns = {lib: conv_fns(lib, case) for lib in ("glassnet", "torch")}
        for i, what in enumerate(("fwd", "fwd+bwd")):
            t = compare({lib: f[i] for lib, f in fns.items()}, args.repeat, args.stat)
            print(f"conv2d {case[0]:26s} {what:8s} {t['glassnet']:9.2f} {t['torch']:9.2f} "
                  f"{t['glassnet'] / t['torch']:7.2f}")

    x, y, source = load_mnist_batch(64, np.random.default_rng(0))
    steps = {lib: cnn_fn(lib, x, y) for lib in ("glassnet", "torch")}
    t = compare({lib: s[0] for lib, s in steps.items()}, args.repeat, args.stat)
    print(f"{'CNN SGD step, batch 64':42s} {t['glassnet']:9.2f} {t['torch']:9.2f} "
          f"{t['glassnet'] / t['torch']:7.2f}")
    print(f"\nCNN on {source}: first-step loss glassnet {steps['glassnet'][1]:.6f}, "
          f"torch {steps['torch'][1]:.6f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
