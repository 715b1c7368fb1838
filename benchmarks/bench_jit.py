"""Traced (``glassnet.jit.trace_train_step``) vs eager training steps, same process.

Run ``python benchmarks/bench_jit.py`` (options: ``--steps N``, ``--batch N``,
``--quick``, ``--only NAMES``). For LeNet-5 (1x28x28, batch 128), the small CNN on 8x8 digits (batch 32) and
the CIFAR ResNet-20 (3x32x32, batch 32) it times one step (forward, cross-entropy,
backward, SGD momentum 0.9) eagerly and traced, alternating the two step by step, and
prints the medians and their ratio (eager time / traced time: above 1 means the traced
step is faster), the peak memory each step allocates (``jit.measure_peak``,
tracemalloc) and whether the two runs ended with identical parameters. Inputs are
random except the digits (scikit-learn's 8x8 digits when installed). Asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import glassnet as gn  # noqa: E402
import glassnet.nn as nn  # noqa: E402
from glassnet import jit, models  # noqa: E402
from glassnet.backend import default_generator  # noqa: E402

WORKLOADS = {  # name -> (model, per-sample input shape, batch)
    "lenet5": ("lenet5", (1, 28, 28), 128),
    "smallcnn-digits": ("small_cnn", (1, 8, 8), 32),
    "resnet20": ("resnet20", (3, 32, 32), 32),
}


def _data(shape, batch, steps, digits):
    rng = np.random.default_rng(0)
    if digits:
        try:
            from sklearn.datasets import load_digits

            d = load_digits()
            x = (d.images.astype(np.float32) / 16.0 - 0.5)[:, None]
            idx = rng.permutation(len(x))[:batch * steps].reshape(steps, batch)
            return [(gn.from_numpy(x[i]), gn.from_numpy(d.target[i].astype(np.int64)))
                    for i in idx]
        except ImportError:
            pass
    return [(gn.from_numpy(rng.standard_normal((batch,) + shape).astype(np.float32)),
             gn.from_numpy(rng.integers(0, 10, batch))) for _ in range(steps)]


def _model(name):
    gn.manual_seed(0)
    model = models.get_model(name, num_classes=10).train()
    return model, gn.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)


def run(name, steps, batch=None):
    model_name, shape, default_batch = WORKLOADS[name]
    batch = batch or default_batch
    data = _data(shape, batch, steps, name.endswith("digits"))
    loss_fn = nn.CrossEntropyLoss()
    (m1, o1), (m2, o2) = _model(model_name), _model(model_name)

    def eager(x, y):
        o1.zero_grad()
        loss = loss_fn(m1(x), y)
        loss.backward()
        o1.step()
        return loss

    traced = jit.trace_train_step(m2, loss_fn, o2, data[0])
    t_eager, t_traced = [], []
    gn.manual_seed(1)
    state = default_generator().bit_generator.state
    for k, (x, y) in enumerate(data):  # alternate: eager step k, then traced step k
        default_generator().bit_generator.state = state
        t = time.perf_counter()
        eager(x, y)
        t_eager.append(time.perf_counter() - t)
        default_generator().bit_generator.state = state
        t = time.perf_counter()
        traced(x, y)
        t_traced.append(time.perf_counter() - t)
        state = default_generator().bit_generator.state
    same = all(np.array_equal(a.detach().numpy(), b.detach().numpy())
               for a, b in zip(m1.state_dict().values(), m2.state_dict().values()))
    _, peak_e = jit.measure_peak(eager, *data[0])
    _, peak_t = jit.measure_peak(traced, *data[0])
    # the first step of each warms caches and allocates optimizer state
    me, mt = np.median(t_eager[1:]), np.median(t_traced[1:])
    return dict(name=name, batch=batch, eager_ms=me * 1e3, traced_ms=mt * 1e3,
                ratio=me / mt, peak_eager_mib=peak_e / 2**20, peak_traced_mib=peak_t / 2**20,
                identical=same)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=21)
    p.add_argument("--quick", action="store_true", help="4 steps, batch 4")
    p.add_argument("--only", default=",".join(WORKLOADS))
    p.add_argument("--batch", type=int, help="one batch size for every workload")
    args = p.parse_args(argv)
    steps = 4 if args.quick else args.steps
    print(f"{'workload':<18}{'batch':>6}{'eager ms':>10}{'traced ms':>11}{'ratio':>7}"
          f"{'peak MiB eager/traced':>24}{'identical':>11}")
    for name in args.only.split(","):
        r = run(name, steps, 4 if args.quick else args.batch)
        print(f"{r['name']:<18}{r['batch']:>6}{r['eager_ms']:>10.2f}{r['traced_ms']:>11.2f}"
              f"{r['ratio']:>7.2f}{r['peak_eager_mib']:>12.2f} / {r['peak_traced_mib']:<9.2f}"
              f"{str(r['identical']):>11}")
    print("ratio = eager median time / traced median time (> 1: the traced step is faster)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
