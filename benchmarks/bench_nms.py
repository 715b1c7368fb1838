"""Time glassnet.vision.ops NMS, RoIAlign and RoIPool against torchvision in the same run.

Run ``python benchmarks/bench_nms.py`` (options: ``--threads N``, ``--repeat R``,
``--boxes N``). Prints median milliseconds and the glassnet / torchvision ratio; asserts
nothing (a benchmark, not a test). torchvision is optional: without it only glassnet's
times are printed. torch is set to the same number of threads as numpy's BLAS
(threadpoolctl, when installed, reads and sets the latter).

(a) ``nms`` on N random boxes (default 10,000: corners uniform in a 1000 x 1000 image,
    sides 10..100, uniform scores) at IoU thresholds 0.5 and 0.7, ``batched_nms`` with
    80 categories, and a worst case for the blockwise algorithm: a chain of boxes in
    which each overlaps the next (IoU 0.5) but not the one after.
(b) ``roi_align`` on a Faster R-CNN-like workload: a (2, 256, 50, 68) stride-16 feature
    map (an 800 x 1088 batch), 512 proposals with sides 16..400 px, 7x7 output,
    sampling_ratio 2 and adaptive (-1); forward under no_grad, and forward+backward.
    ``roi_pool`` on the same workload.

Each library's timings run as one block (warm-up, then ``repeat`` runs).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import glassnet as gn  # noqa: E402
from glassnet.vision import ops as gops  # noqa: E402


def median_ms(fn, repeat: int) -> float:
    """Median wall time of ``fn()`` in milliseconds over ``repeat`` runs (after warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def blas_threads(requested):
    """Set (if requested) and return the number of threads numpy's BLAS uses."""
    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        return requested or os.cpu_count(), None
    limiter = threadpool_limits(limits=requested, user_api="blas") if requested else None
    infos = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    return (infos[0]["num_threads"] if infos else os.cpu_count()), limiter


# -----------------------------------------------------------------------------
# Workloads
# -----------------------------------------------------------------------------
def random_boxes(rng, n, span=1000.0, lo=10.0, hi=100.0):
    xy = rng.uniform(0, span, (n, 2))
    wh = rng.uniform(lo, hi, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(np.float32)


def nms_cases(n, rng):
    boxes = random_boxes(rng, n)
    scores = rng.uniform(0, 1, n).astype(np.float32)
    cats = rng.integers(0, 80, n)
    x = np.arange(n, dtype=np.float32)
    chain = np.stack([x, np.zeros(n), x + 3, np.full(n, 10.0)], 1).astype(np.float32)
    chain_scores = np.linspace(1, 0, n, dtype=np.float32)
    return [(f"nms        N={n} iou 0.5", "nms", (boxes, scores, 0.5)),
            (f"nms        N={n} iou 0.7", "nms", (boxes, scores, 0.7)),
            (f"batched    N={n} 80 cls", "batched_nms", (boxes, scores, cats, 0.5)),
            (f"nms chain  N={n} iou 0.4", "nms", (chain, chain_scores, 0.4))]


def roi_workload(rng):
    x = rng.standard_normal((2, 256, 50, 68)).astype(np.float32)
    k = 512
    xy = rng.uniform(0, 800, (k, 2))
    wh = rng.uniform(16, 400, (k, 2))
    rois = np.concatenate([rng.integers(0, 2, (k, 1)), xy, xy + wh], 1).astype(np.float32)
    return x, rois


def run_lib(lib, n_boxes, repeat):
    """Times (ms) of every case for ``lib`` in {'glassnet', 'torchvision'}."""
    rng = np.random.default_rng(0)
    if lib == "glassnet":
        to_t, ops, no_grad = gn.tensor, gops, gn.no_grad

        def ones(o):
            return gn.ones(*o.shape)
    else:
        import torch
        import torchvision

        to_t, ops, no_grad = torch.tensor, torchvision.ops, torch.no_grad

        def ones(o):
            return torch.ones(o.shape)
    times = {}
    for name, fn, args in nms_cases(n_boxes, rng):
        targs = [to_t(a) if isinstance(a, np.ndarray) else a for a in args]
        times[name] = median_ms(lambda: getattr(ops, fn)(*targs), repeat)
    x, rois = roi_workload(rng)
    tx, trois = to_t(x), to_t(rois)
    tx.requires_grad_(True)
    for ratio in (2, -1):
        def fwd():
            return ops.roi_align(tx, trois, 7, 1 / 16, ratio)

        with no_grad():
            times[f"roi_align  ratio {ratio:2d} fwd"] = median_ms(fwd, repeat)

        def fwd_bwd():
            tx.grad = None
            o = fwd()
            o.backward(ones(o))

        times[f"roi_align  ratio {ratio:2d} fwd+bwd"] = median_ms(fwd_bwd, repeat)

    def pool():
        return ops.roi_pool(tx, trois, 7, 1 / 16)

    with no_grad():
        times["roi_pool   fwd"] = median_ms(pool, repeat)

    def pool_bwd():
        tx.grad = None
        o = pool()
        o.backward(ones(o))

    times["roi_pool   fwd+bwd"] = median_ms(pool_bwd, repeat)
    return times


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS / torch threads (default: library defaults)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--boxes", type=int, default=10_000)
    args = parser.parse_args(argv)
    threads, _limiter = blas_threads(args.threads)
    try:
        import torch
        import torchvision  # noqa: F401

        torch.set_num_threads(threads)
        have_tv = True
    except ImportError:
        have_tv = False
    print(f"numpy BLAS threads: {threads}; torchvision: "
          f"{'yes' if have_tv else 'not installed'}")
    ours = run_lib("glassnet", args.boxes, args.repeat)
    ref = run_lib("torchvision", args.boxes, args.repeat) if have_tv else {}
    print(f"{'case':38s} {'glassnet ms':>12s} {'torchvision ms':>15s} {'ratio':>7s}")
    for name, t in ours.items():
        if name in ref:
            print(f"{name:38s} {t:12.1f} {ref[name]:15.1f} {t / ref[name]:7.2f}")
        else:
            print(f"{name:38s} {t:12.1f} {'-':>15s} {'-':>7s}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
