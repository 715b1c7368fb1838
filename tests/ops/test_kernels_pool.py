"""2-D max pooling through the compiled kernels (glassnet.ops.kernels.pool) gives the
NumPy reference's (and torch's) values, NaN, infinities and signed zeros included, and
its taps, indices and gradients."""
import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.ops.kernels import _threads, pool as P

pytestmark = pytest.mark.skipif(not P.available(), reason="numba not installed")


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", [
    dict(kernel_size=3, stride=2, padding=1),                  # ResNet's stem pool
    dict(kernel_size=2, stride=2),                             # tiled
    dict(kernel_size=3, stride=1, padding=1, dilation=2),
    dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True),
])
def test_inference_max_pool_is_the_reference_bit_for_bit(dtype, kw):
    rng = np.random.default_rng(11)
    x = rng.standard_normal((1, 3, 9, 11)).astype(dtype)
    x.ravel()[:6] = [np.nan, -np.inf, np.inf, -0.0, 0.0, -np.inf]
    x[0, 1, :4, :4] = -np.inf  # windows with nothing but -inf
    x[0, 2, 5, :] = 0.5  # ties
    t = gn.tensor(x)
    with gn.no_grad():
        fast = F.max_pool2d(t, **kw).numpy()
        with _threads.disabled():
            ref = F.max_pool2d(t, **kw).numpy()
    assert fast.shape == ref.shape and fast.dtype == ref.dtype
    assert np.array_equal(fast, ref, equal_nan=True)
    assert np.array_equal(np.signbit(fast), np.signbit(ref))
    torch = pytest.importorskip("torch")
    want = torch.nn.functional.max_pool2d(torch.tensor(x), **kw).numpy()
    assert np.array_equal(fast, want, equal_nan=True)


KWS = [dict(kernel_size=3, stride=2, padding=1), dict(kernel_size=2, stride=2),
       dict(kernel_size=3, stride=1, padding=1, dilation=2),
       dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", KWS)
def test_training_max_pool_taps_indices_and_gradient_match_the_reference(dtype, kw):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 9, 11)).astype(dtype)
    x[0, 1, :4, :4] = -np.inf  # windows with nothing but -inf
    x[1, 2, 5, :] = 0.5  # ties
    x[1, 0, 2, 3] = np.nan
    cot = rng.standard_normal(F.max_pool2d(gn.tensor(x), **kw).shape).astype(dtype)

    def run():
        t = gn.tensor(x, requires_grad=True)
        y, idx = F.max_pool2d(t, return_indices=True, **kw)
        y.backward(gn.tensor(cot))
        return y.detach().numpy(), idx.numpy(), t.grad.numpy()

    fast = run()
    with _threads.disabled():
        ref = run()
    assert np.array_equal(fast[0], ref[0], equal_nan=True)
    assert np.array_equal(fast[1], ref[1])
    # several windows may pick one input: the kernel adds them in output order
    np.testing.assert_allclose(fast[2], ref[2], rtol=1e-6, atol=1e-6)
    torch = pytest.importorskip("torch")
    tx = torch.tensor(x, requires_grad=True)
    ty, tidx = torch.nn.functional.max_pool2d(tx, return_indices=True, **kw)
    ty.backward(torch.tensor(cot))
    assert np.array_equal(fast[1], tidx.numpy())
    np.testing.assert_allclose(fast[2], tx.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_each_pass_takes_its_kernel():
    calls = []
    orig = P.max_pool, P.max_pool_arg, P.max_pool_grad
    P.max_pool = lambda *a: calls.append("infer") or orig[0](*a)
    P.max_pool_arg = lambda *a: calls.append("train") or orig[1](*a)
    P.max_pool_grad = lambda *a: calls.append("grad") or orig[2](*a)
    try:
        x = gn.randn(2, 3, 8, 8, requires_grad=True)
        F.max_pool2d(x, 2).sum().backward()
        with gn.no_grad():
            F.max_pool2d(x, 2)
    finally:
        P.max_pool, P.max_pool_arg, P.max_pool_grad = orig
    assert calls == ["train", "grad", "infer"]


def test_tiling_avg_windows_take_the_tiled_kernels():
    from glassnet.ops.kernels import _pool_numba as K

    calls = []
    orig = K.avg_pool, K.avg_pool_tiled, K.avg_pool_grad, K.avg_pool_tiled_grad
    K.avg_pool = lambda *a: calls.append("general") or orig[0](*a)
    K.avg_pool_tiled = lambda *a: calls.append("tiled") or orig[1](*a)
    K.avg_pool_grad = lambda *a: calls.append("general grad") or orig[2](*a)
    K.avg_pool_tiled_grad = lambda *a: calls.append("tiled grad") or orig[3](*a)
    try:
        x = gn.randn(2, 3, 9, 8, requires_grad=True)
        F.avg_pool2d(x, 2).sum().backward()                  # 9 rows: the last one left
        F.avg_pool2d(x, 2, ceil_mode=True).sum().backward()  # a window over the edge
        F.avg_pool2d(x, 3, stride=2).sum().backward()        # overlapping
    finally:
        K.avg_pool, K.avg_pool_tiled, K.avg_pool_grad, K.avg_pool_tiled_grad = orig
    assert calls == ["tiled", "tiled grad", "general", "general grad", "general",
                     "general grad"]


AVG_KWS = [dict(kernel_size=2, stride=2),                                  # LeNet's, tiled
           dict(kernel_size=(3, 2), stride=(3, 2)),                         # tiled, rest
           dict(kernel_size=2, stride=2, ceil_mode=True),                   # not tiled
           dict(kernel_size=2, stride=2, divisor_override=3),               # tiled
           dict(kernel_size=3, stride=2, padding=1),
           dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
           dict(kernel_size=(3, 2), stride=(2, 1), padding=(1, 0), ceil_mode=True),
           dict(kernel_size=3, stride=1, padding=1, divisor_override=5),
           dict(kernel_size=(2, 3), stride=(3, 2), ceil_mode=True, count_include_pad=False)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kw", AVG_KWS)
def test_avg_pool_and_its_gradient_are_the_reference_bit_for_bit(dtype, kw):
    rng = np.random.default_rng(12)
    x = rng.standard_normal((2, 3, 9, 11)).astype(dtype)
    x[0, 0, :3, :3] = -0.0  # signed zeros next to the padding
    x[1, 2, 4, 4] = np.inf
    t = gn.tensor(x, requires_grad=True)
    y = F.avg_pool2d(t, **kw)
    g = rng.standard_normal(y.shape).astype(dtype)
    y.backward(gn.tensor(g))
    fast, fast_gx = y.detach().numpy(), t.grad.numpy()
    with _threads.disabled():
        t2 = gn.tensor(x, requires_grad=True)
        y2 = F.avg_pool2d(t2, **kw)
        y2.backward(gn.tensor(g))
    ref, ref_gx = y2.detach().numpy(), t2.grad.numpy()
    assert fast.shape == ref.shape and fast.dtype == ref.dtype
    assert np.array_equal(fast, ref, equal_nan=True)
    assert np.array_equal(np.signbit(fast), np.signbit(ref))
    assert np.array_equal(fast_gx, ref_gx)
    torch = pytest.importorskip("torch")
    rx = torch.tensor(x, requires_grad=True)
    ry = torch.nn.functional.avg_pool2d(rx, **kw)
    ry.backward(torch.tensor(g))
    finite = np.isfinite(fast)
    np.testing.assert_allclose(fast[finite], ry.detach().numpy()[finite], rtol=1e-5,
                               atol=1e-6)
    assert np.array_equal(np.isfinite(fast), np.isfinite(ry.detach().numpy()))
    np.testing.assert_allclose(fast_gx, rx.grad.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("width", [10, 11])
@pytest.mark.parametrize("kw", [dict(kernel_size=3, stride=2, padding=1),
                                dict(kernel_size=2, stride=2), dict(kernel_size=3, stride=2)])
def test_stride_2_rows_split_into_even_and_odd_columns_give_the_reference(kw, width):
    # the stride-2 path reads each input row's even and odd columns as two rows
    rng = np.random.default_rng(13)
    x = rng.standard_normal((2, 3, 7, width)).astype(np.float32)
    x[0, 0, 2, :4] = [np.nan, 1.0, 1.0, -np.inf]
    t = gn.tensor(x, requires_grad=True)
    y = F.max_pool2d(t, **kw)
    with gn.no_grad():
        y_infer = F.max_pool2d(t, **kw).numpy()
    g = rng.standard_normal(y.shape).astype(np.float32)
    y.backward(gn.tensor(g))
    with _threads.disabled():
        t2 = gn.tensor(x, requires_grad=True)
        y2 = F.max_pool2d(t2, **kw)
        y2.backward(gn.tensor(g))
    ref = y2.detach().numpy()
    assert np.array_equal(y.detach().numpy(), ref, equal_nan=True)
    assert np.array_equal(y_infer, ref, equal_nan=True)
    np.testing.assert_allclose(t.grad.numpy(), t2.grad.numpy(), rtol=1e-6, atol=1e-7)
