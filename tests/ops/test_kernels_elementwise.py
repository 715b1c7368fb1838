"""The elementwise kernels (ReLU and clip forward/backward, tanh and sigmoid backward,
same-shape add) equal the NumPy reference bit for bit, NaN, infinities and signed zeros
included, and the ops fall back to NumPy for what the kernels do not take (small,
strided, mixed-dtype, broadcast)."""
import numpy as np
import pytest

import glassnet as gn
from glassnet.ops.kernels import _threads, elementwise as E

pytestmark = pytest.mark.skipif(not E.available(), reason="numba not installed")

SPECIAL = [np.nan, -0.0, 0.0, np.inf, -np.inf, 1e-45, -1e-45]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_kernels_equal_numpy_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    shape = (3, E.MIN_SIZE // 2 + 17)  # several chunks, and a ragged last one
    x = rng.standard_normal(shape).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)
    x.ravel()[:len(SPECIAL)] = SPECIAL
    g.ravel()[len(SPECIAL):2 * len(SPECIAL)] = SPECIAL
    y = np.maximum(x, 0)
    with np.errstate(invalid="ignore"):  # inf * 0 in the reference
        want_grad = g * (y > 0)
        want_clip_grad = g * ((x > -0.5) & (x < 6))
    cases = [(E.relu(x), y), (E.relu_grad(g, y), want_grad), (E.add(x, g), x + g),
             (E.clip(x, -0.5, 6), np.clip(x, dtype(-0.5), dtype(6))),
             (E.clip_grad(g, x, -0.5, 6), want_clip_grad)]
    t, sg = np.tanh(x), 1 / (1 + np.exp(-x))
    with np.errstate(invalid="ignore"):
        cases += [(E.tanh_grad(g, t), g * (1 - t * t)), (E.sigmoid_grad(g, sg), g * sg * (1 - sg))]
    for got, want in cases:
        assert got.dtype == want.dtype and got.shape == want.shape
        assert np.array_equal(got, want, equal_nan=True)
        assert np.array_equal(np.signbit(got), np.signbit(want))


def test_what_the_kernels_do_not_take_returns_none():
    big = np.ones(E.MIN_SIZE, np.float32)
    assert E.relu(np.ones(E.MIN_SIZE - 1, np.float32)) is None          # small
    assert E.relu(np.ones(2 * E.MIN_SIZE, np.float32)[::2]) is None     # strided
    assert E.add(big, big.astype(np.float64)) is None                   # mixed dtypes
    assert E.relu(np.ones(E.MIN_SIZE, np.int32)) is None                # integers
    with _threads.disabled():
        assert E.relu(big) is None


def test_relu_add_tanh_sigmoid_ops_use_them_and_match_the_reference():
    rng = np.random.default_rng(1)
    a = gn.tensor(rng.standard_normal((4, 16, 32, 32)).astype(np.float32), requires_grad=True)
    b = gn.tensor(rng.standard_normal((4, 16, 32, 32)).astype(np.float32), requires_grad=True)
    cot = rng.standard_normal((4, 16, 32, 32)).astype(np.float32)

    def run():
        for t in (a, b):
            t.grad = None
        y = gn.relu(a + b)
        y.backward(gn.tensor(cot))
        return y.detach().numpy(), a.grad.numpy(), b.grad.numpy()

    def run_squashing():
        a.grad = None
        (gn.tanh(a) * gn.sigmoid(a)).backward(gn.tensor(cot))
        return a.grad.numpy()

    fast_squashing = run_squashing()
    with _threads.disabled():
        assert np.array_equal(fast_squashing, run_squashing())
    t, sg = np.tanh(a.detach().numpy()), 1 / (1 + np.exp(-a.detach().numpy()))
    np.testing.assert_allclose(fast_squashing, cot * sg * (1 - t * t) + cot * t * sg * (1 - sg),
                               rtol=1e-5, atol=1e-6)

    fast = run()
    with _threads.disabled():
        ref = run()
    for f, r in zip(fast, ref):
        assert np.array_equal(f, r)
    s = a.detach().numpy() + b.detach().numpy()
    assert np.array_equal(fast[0], np.maximum(s, 0))
    assert np.array_equal(fast[1], cot * (s > 0))


@pytest.mark.parametrize("opts", [
    dict(momentum=0.9), dict(momentum=0.9, dampening=0.1, weight_decay=1e-3),
    dict(momentum=0.8, nesterov=True, weight_decay=5e-4), dict(momentum=0.9, maximize=True)],
    ids=["plain", "dampening-wd", "nesterov", "maximize"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sgd_momentum_kernel_equals_the_numpy_steps_bit_for_bit(opts, dtype):
    """Five steps of glassnet.optim.SGD on a large and a small parameter, with the
    kernel (large one) and with every kernel disabled: the same bits."""
    rng = np.random.default_rng(2)
    init = [rng.standard_normal(s).astype(dtype) for s in ((300, 400), (7,))]
    grads = [[rng.standard_normal(a.shape).astype(dtype) for a in init] for _ in range(5)]

    def run():
        params = [gn.nn.Parameter(gn.tensor(a.copy())) for a in init]
        opt = gn.optim.SGD(params, lr=0.05, **opts)
        for step in grads:
            for p, g in zip(params, step):
                p.grad = gn.tensor(g)
            opt.step()
        return [p.detach().numpy() for p in params]

    fast = run()
    with _threads.disabled():
        ref = run()
    for f, r in zip(fast, ref):
        assert np.array_equal(f, r)
    assert not np.array_equal(fast[0], init[0])
