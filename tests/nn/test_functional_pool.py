"""Pooling tests beyond the op registry: known answers, return_indices and ceil_mode
shapes against PyTorch, tie-breaking, unpooling and error messages."""
from __future__ import annotations

import itertools

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import functional as F


def test_max_and_avg_pool2d_known_answers():
    x = gn.arange(16.).reshape(1, 1, 4, 4)
    assert F.max_pool2d(x, 2).tolist() == [[[[5.0, 7.0], [13.0, 15.0]]]]
    assert F.avg_pool2d(x, 2).tolist() == [[[[2.5, 4.5], [10.5, 12.5]]]]
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    assert idx.dtype == gn.int64 and idx.tolist() == [[[[5, 7], [13, 15]]]]
    # padding 1, count_include_pad: the corner window holds x[0, 0] and three zeros
    assert F.avg_pool2d(x, 2, padding=1).data[0, 0, 0, 0] == 0.0
    assert F.avg_pool2d(x, 2, padding=1, count_include_pad=False).data[0, 0, 0, 1] == 1.5


def test_adaptive_bins_known_answer():
    # H=5 -> 3 bins: [0, 2), [1, 4), [3, 5)
    x = gn.tensor([[[0., 1., 2., 3., 4.]]])
    assert F.adaptive_avg_pool1d(x, 3).tolist() == [[[0.5, 2.0, 3.5]]]
    out, idx = F.adaptive_max_pool1d(x, 3, return_indices=True)
    assert out.tolist() == [[[1.0, 3.0, 4.0]]] and idx.tolist() == [[[1, 3, 4]]]


def test_max_pool2d_ties_route_gradient_to_first_max():
    x = gn.zeros(1, 1, 2, 2, requires_grad=True)
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    out.sum().backward()
    assert idx.item() == 0
    assert x.grad.tolist() == [[[[1.0, 0.0], [0.0, 0.0]]]]


def test_max_pool2d_float32_and_grad_dtype():
    x = gn.randn(2, 3, 8, 8, requires_grad=True)
    out = F.max_pool2d(x, 3, 2, 1)
    assert out.dtype == gn.float32
    out.sum().backward()
    assert x.grad.dtype == gn.float32
    # every window has exactly one max: the gradient sums to the number of windows
    assert x.grad.sum().item() == pytest.approx(out.numel())


def test_max_unpool2d_inverts_max_pool2d_on_the_maxima():
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.permutation(2 * 3 * 6 * 7).reshape(2, 3, 6, 7).astype(np.float32))
    out, idx = F.max_pool2d(x, 2, return_indices=True)
    up = F.max_unpool2d(out, idx, 2, output_size=(6, 7))
    assert up.shape == (2, 3, 6, 7)
    mask = up.data != 0
    np.testing.assert_array_equal(up.data[mask], x.data[mask])
    assert mask.sum() == out.numel() - (out.data == 0).sum()


# -----------------------------------------------------------------------------
# Against PyTorch
# -----------------------------------------------------------------------------
def _configs():
    for k, s, p, d, ceil in itertools.product((2, 3), (1, 2, 3), (0, 1), (1, 2),
                                              (False, True)):
        if p <= ((k - 1) * d + 1) // 2:
            yield k, s, p, d, ceil


def test_max_pool2d_indices_and_ceil_shapes_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    for (k, s, p, d, ceil), (h, w) in itertools.product(_configs(), ((5, 7), (6, 6), (9, 4))):
        if (h + 2 * p - d * (k - 1) - 1) < 0 or (w + 2 * p - d * (k - 1) - 1) < 0:
            continue
        # small integers: many ties, so the tie rule is exercised too
        x = rng.integers(0, 4, (2, 2, h, w)).astype(np.float32)
        kwargs = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil,
                      return_indices=True)
        out, idx = F.max_pool2d(gn.tensor(x), **kwargs)
        tout, tidx = torch.nn.functional.max_pool2d(torch.tensor(x), **kwargs)
        assert tuple(out.shape) == tuple(tout.shape), kwargs
        np.testing.assert_array_equal(out.data, tout.numpy(), err_msg=str(kwargs))
        np.testing.assert_array_equal(idx.data, tidx.numpy(), err_msg=str(kwargs))


def test_max_pool2d_tie_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(2).integers(0, 3, (2, 3, 7, 7)).astype(np.float32)
    gx = gn.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    F.max_pool2d(gx, 3, 2, 1).sum().backward()
    torch.nn.functional.max_pool2d(tx, 3, 2, 1).sum().backward()
    np.testing.assert_array_equal(gx.grad.data, tx.grad.numpy())


def test_avg_pool2d_ceil_shapes_and_divisors_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    for k, s, p, ceil, cip in itertools.product((2, 3), (1, 2, 3), (0, 1), (False, True),
                                                (False, True)):
        if p > k // 2:
            continue
        x = rng.standard_normal((1, 2, 7, 8)).astype(np.float32)
        kwargs = dict(kernel_size=k, stride=s, padding=p, ceil_mode=ceil,
                      count_include_pad=cip)
        out = F.avg_pool2d(gn.tensor(x), **kwargs)
        tout = torch.nn.functional.avg_pool2d(torch.tensor(x), **kwargs)
        assert tuple(out.shape) == tuple(tout.shape), kwargs
        np.testing.assert_allclose(out.data, tout.numpy(), atol=1e-6, err_msg=str(kwargs))


def test_adaptive_max_pool2d_indices_match_torch():
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(4).integers(0, 3, (2, 2, 7, 9)).astype(np.float32)
    for size in ((3, 4), (7, 9), (2, 10), 1):
        out, idx = F.adaptive_max_pool2d(gn.tensor(x), size, return_indices=True)
        tout, tidx = torch.nn.functional.adaptive_max_pool2d(torch.tensor(x), size,
                                                             return_indices=True)
        np.testing.assert_array_equal(out.data, tout.numpy())
        np.testing.assert_array_equal(idx.data, tidx.numpy())


# -----------------------------------------------------------------------------
# Errors
# -----------------------------------------------------------------------------
def test_pool_errors():
    x = gn.ones(1, 2, 6, 6)
    with pytest.raises(ValueError, match=r"max_pool2d: padding should be at most half of "
                                         r"the kernel size, got padding=\(2, 2\)"):
        F.max_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match=r"avg_pool2d: padding should be at most half of "
                                         r"the kernel size"):
        F.avg_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"max_pool2d: input must have shape \(N, C, H, W\) "
                                         r"or \(C, H, W\)"):
        F.max_pool2d(gn.ones(6, 6), 2)
    with pytest.raises(ValueError, match=r"max_pool2d: output size \(0, 0\) is too small"):
        F.max_pool2d(gn.ones(1, 1, 2, 2), 3)
    with pytest.raises(ValueError, match=r"avg_pool2d: divisor_override must be a non-zero "
                                         r"int, got 0"):
        F.avg_pool2d(x, 2, divisor_override=0)
    with pytest.raises(ValueError, match=r"adaptive_avg_pool2d: output_size must be >= 1"):
        F.adaptive_avg_pool2d(x, (0, 2))
    with pytest.raises(ValueError, match=r"max_unpool2d: indices must lie in \[0, 16\)"):
        F.max_unpool2d(gn.ones(1, 1, 2, 2), gn.tensor([[[[0, 1], [2, 99]]]]), 2)
    with pytest.raises(TypeError, match=r"max_pool1d: input dtype must be float32 or "
                                        r"float64, got int64"):
        F.max_pool1d(gn.zeros(1, 2, 5, dtype=gn.int64), 2)
