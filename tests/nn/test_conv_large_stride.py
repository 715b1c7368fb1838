"""Convolutions whose stride exceeds the dilated kernel: only the rows the windows read are
gathered, so memory and time do not grow with the stride (issue 12); values and gradients
stay those of the plain convolution (float64 finite differences, float32 vs torch)."""
from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import functional as F
from glassnet.testing.gradcheck import gradcheck

torch = pytest.importorskip("torch")

# (input shape, weight shape, stride, padding, dilation, groups)
CASES = [
    ((1, 2, 9, 11), (3, 2, 3, 3), 4, 0, 1, 1),
    ((2, 4, 10, 7), (4, 2, 2, 3), (5, 3), (1, 2), 1, 2),
    ((1, 3, 13, 12), (6, 1, 3, 2), (7, 2), (2, 0), (2, 1), 3),  # stride 7 > 5 on rows only
    ((3, 2, 6, 6), (2, 2, 1, 1), 3, 1, 1, 1),  # 1x1 kernels with padding
]
IDS = ["stride4", "groups-pad", "dilated-one-axis", "1x1-pad"]


def _torch_conv(x, w, b, stride, padding, dilation, groups):
    return torch.nn.functional.conv2d(x, w, b, stride=stride, padding=padding,
                                      dilation=dilation, groups=groups)


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_large_stride_gradcheck_float64(case):
    xs, ws, stride, padding, dilation, groups = case
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.standard_normal(xs), requires_grad=True)
    w = gn.tensor(rng.standard_normal(ws), requires_grad=True)
    b = gn.tensor(rng.standard_normal(ws[0]), requires_grad=True)
    assert gradcheck(lambda x, w, b: F.conv2d(x, w, b, stride, padding, dilation, groups),
                     [x, w, b])


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_large_stride_matches_torch_float32(case):
    xs, ws, stride, padding, dilation, groups = case
    rng = np.random.default_rng(1)
    xn = rng.standard_normal(xs).astype(np.float32)
    wn = rng.standard_normal(ws).astype(np.float32)
    bn = rng.standard_normal(ws[0]).astype(np.float32)
    gn_in = [gn.tensor(a, requires_grad=True) for a in (xn, wn, bn)]
    th_in = [torch.tensor(a, requires_grad=True) for a in (xn, wn, bn)]
    y = F.conv2d(*gn_in, stride, padding, dilation, groups)
    yt = _torch_conv(*th_in, stride, padding, dilation, groups)
    gy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    y.backward(gn.tensor(gy))
    yt.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    for a, t in zip(gn_in, th_in):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("nd", [1, 3])
def test_large_stride_1d_and_3d_match_torch(nd):
    rng = np.random.default_rng(2)
    xn = rng.standard_normal((2, 2) + (11,) * nd).astype(np.float32)
    wn = rng.standard_normal((3, 2) + (2,) * nd).astype(np.float32)
    f = {1: (F.conv1d, torch.nn.functional.conv1d), 3: (F.conv3d, torch.nn.functional.conv3d)}
    x, w = gn.tensor(xn, requires_grad=True), gn.tensor(wn, requires_grad=True)
    xt, wt = torch.tensor(xn, requires_grad=True), torch.tensor(wn, requires_grad=True)
    y, yt = f[nd][0](x, w, stride=5, padding=1), f[nd][1](xt, wt, stride=5, padding=1)
    y.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_huge_stride_costs_no_memory():
    # torch returns the 1x1 output at once; the phase grid would need 50000^2 phases
    x = gn.randn(1, 1, 5, 5, requires_grad=True)
    w = gn.randn(1, 1, 3, 3, requires_grad=True)
    tracemalloc.start()
    try:
        y = F.conv2d(x, w, stride=50000)
        y.sum().backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert tuple(y.shape) == (1, 1, 1, 1)
    np.testing.assert_allclose(y.detach().numpy().item(), float((x.detach().numpy()[0, 0, :3, :3]
                                                         * w.detach().numpy()[0, 0]).sum()), rtol=1e-5)
    expected = np.zeros((5, 5), np.float32)
    expected[:3, :3] = w.detach().numpy()[0, 0]
    np.testing.assert_allclose(x.grad.numpy()[0, 0], expected, rtol=1e-6)
    assert peak < 1 << 20


POOLS = [  # (kwargs, nd): stride beyond the window, dilation, one axis only, ceil/padding
    (dict(kernel_size=3, stride=5), 2),
    (dict(kernel_size=(2, 3), stride=(7, 4), dilation=(2, 1)), 2),
    (dict(kernel_size=3, stride=5, ceil_mode=True), 2),  # last window past the end
    (dict(kernel_size=3, stride=6, padding=1), 2),  # padded axis: the general path
    (dict(kernel_size=2, stride=5), 1),
    (dict(kernel_size=2, stride=(5, 3, 4)), 3),
]


def _pool_fns(kind, nd):
    name = f"{kind}_pool{nd}d"
    return getattr(F, name), getattr(torch.nn.functional, name)


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("kwargs,nd", POOLS)
def test_large_stride_pools_match_torch(kind, kwargs, nd):
    if kind == "avg" and "dilation" in kwargs:
        pytest.skip("avg pools have no dilation")
    rng = np.random.default_rng(3)
    xn = rng.standard_normal((2, 3) + (17, 13, 11)[:nd]).astype(np.float32)
    ours, theirs = _pool_fns(kind, nd)
    x, xt = gn.tensor(xn, requires_grad=True), torch.tensor(xn, requires_grad=True)
    extra = {"return_indices": True} if kind == "max" else {}
    y, yt = ours(x, **kwargs, **extra), theirs(xt, **kwargs, **extra)
    if kind == "max":
        (y, idx), (yt, idxt) = y, yt
        np.testing.assert_array_equal(idx.numpy(), idxt.numpy())
    gy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    y.backward(gn.tensor(gy))
    yt.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("kind", ["max", "avg"])
def test_large_stride_pools_gradcheck_float64(kind):
    x = gn.tensor(np.random.default_rng(4).standard_normal((2, 2, 11, 9)), requires_grad=True)
    fn = F.max_pool2d if kind == "max" else F.avg_pool2d
    assert gradcheck(lambda x: fn(x, (2, 3), stride=(4, 5)), [x])


def test_huge_stride_pools_cost_no_memory():
    x = gn.tensor(np.arange(25, dtype=np.float32).reshape(1, 1, 5, 5), requires_grad=True)
    tracemalloc.start()
    try:
        y = F.max_pool2d(x, 3, stride=50000) + F.avg_pool2d(x, 3, stride=50000)
        y.sum().backward()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert y.detach().numpy().tolist() == [[[[12.0 + 6.0]]]]  # max 12, mean 6
    expected = np.zeros((5, 5), np.float32)
    expected[:3, :3] = 1 / 9
    expected[2, 2] += 1
    np.testing.assert_allclose(x.grad.numpy()[0, 0], expected, rtol=1e-6)
    assert peak < 1 << 20


def test_strided_1x1_conv_matches_torch():
    # ResNet's downsampling shortcut: the 1-wide windows are a strided view
    rng = np.random.default_rng(5)
    xn = rng.standard_normal((2, 4, 9, 8)).astype(np.float32)
    wn = rng.standard_normal((6, 4, 1, 1)).astype(np.float32)
    x, w = gn.tensor(xn, requires_grad=True), gn.tensor(wn, requires_grad=True)
    xt, wt = torch.tensor(xn, requires_grad=True), torch.tensor(wn, requires_grad=True)
    y, yt = F.conv2d(x, w, stride=2), torch.nn.functional.conv2d(xt, wt, stride=2)
    gy = rng.standard_normal(tuple(yt.shape)).astype(np.float32)
    y.backward(gn.tensor(gy))
    yt.backward(torch.tensor(gy))
    np.testing.assert_allclose(y.detach().numpy(), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(w.grad.numpy(), wt.grad.numpy(), rtol=1e-5, atol=1e-5)
