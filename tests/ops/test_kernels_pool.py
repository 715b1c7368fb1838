"""2-D max pooling for inference through the compiled kernel (glassnet.ops.kernels.pool)
gives the NumPy reference's bits, NaN, infinities and signed zeros included; a pass that
needs the argmax keeps the NumPy code."""
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


def test_a_pass_that_needs_the_argmax_keeps_the_numpy_code():
    calls = []
    orig = P.max_pool
    P.max_pool = lambda *a: calls.append(1) or orig(*a)
    try:
        x = gn.randn(2, 3, 8, 8, requires_grad=True)
        F.max_pool2d(x, 2).sum().backward()
        assert not calls and x.grad is not None
        with gn.no_grad():
            F.max_pool2d(x, 2)
        assert calls
    finally:
        P.max_pool = orig
