"""Convolution tests beyond the op registry: a naive loop reference, adjoint identities,
dtype contract, error messages, and a randomized parity sweep against PyTorch."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import functional as F


def _naive_conv2d(x, w, b, stride, padding, dilation, groups):
    """The textbook 7-loop convolution (plus a loop over groups)."""
    n, c_in, h, wd = x.shape
    c_out, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.zeros((n, c_in, h + 2 * ph, wd + 2 * pw))
    xp[:, :, ph:ph + h, pw:pw + wd] = x
    ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    og = c_out // groups
    out = np.zeros((n, c_out, ho, wo))
    for b_ in range(n):
        for o in range(c_out):
            g = o // og
            for i in range(ho):
                for j in range(wo):
                    acc = 0.0 if b is None else b[o]
                    for c in range(cg):
                        for p in range(kh):
                            for q in range(kw):
                                acc += (w[o, c, p, q]
                                        * xp[b_, g * cg + c, i * sh + p * dh, j * sw + q * dw])
                    out[b_, o, i, j] = acc
    return out


@pytest.mark.parametrize("stride,padding,dilation,groups,bias", [
    ((1, 1), (1, 1), (1, 1), 1, True),
    ((2, 3), (1, 2), (2, 1), 2, False),
    ((2, 2), (0, 1), (1, 2), 4, True),
])
def test_conv2d_matches_naive_loops(stride, padding, dilation, groups, bias):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 4, 7, 6))
    w = rng.standard_normal((4, 4 // groups, 3, 2))
    b = rng.standard_normal(4) if bias else None
    out = F.conv2d(gn.tensor(x, dtype=gn.float64), gn.tensor(w, dtype=gn.float64),
                   None if b is None else gn.tensor(b, dtype=gn.float64), stride=stride,
                   padding=padding, dilation=dilation, groups=groups)
    ref = _naive_conv2d(x, w, b, stride, padding, dilation, groups)
    np.testing.assert_allclose(out.data, ref, rtol=1e-12, atol=1e-12)


def test_conv1d_equals_conv2d_with_height_one():
    rng = np.random.default_rng(1)
    x = gn.tensor(rng.standard_normal((2, 3, 11)), dtype=gn.float64)
    w = gn.tensor(rng.standard_normal((4, 3, 3)), dtype=gn.float64)
    a = F.conv1d(x, w, stride=2, padding=1, dilation=2)
    b = F.conv2d(x.reshape(2, 3, 1, 11), w.reshape(4, 3, 1, 3), stride=(1, 2),
                 padding=(0, 1), dilation=(1, 2))
    np.testing.assert_allclose(a.data, b.data.reshape(a.shape), atol=1e-12)


@pytest.mark.parametrize("stride,padding,dilation,groups,output_padding", [
    (1, 0, 1, 1, 0), (2, 1, 1, 2, 1), (3, 2, 2, 1, 2), (2, 1, 1, 4, 0),
])
def test_conv_transpose2d_is_adjoint_of_conv2d(stride, padding, dilation, groups,
                                               output_padding):
    # <conv2d(x, w), y> == <x, conv_transpose2d(y, w)> for every x, y.
    rng = np.random.default_rng(2)
    w = rng.standard_normal((4, 4 // groups, 3, 3))
    y = rng.standard_normal((2, 4, 4, 5))
    xt = F.conv_transpose2d(gn.tensor(y, dtype=gn.float64), gn.tensor(w, dtype=gn.float64),
                            stride=stride, padding=padding, output_padding=output_padding,
                            groups=groups, dilation=dilation)
    x = rng.standard_normal(xt.shape)
    cx = F.conv2d(gn.tensor(x, dtype=gn.float64), gn.tensor(w, dtype=gn.float64),
                  stride=stride, padding=padding, dilation=dilation, groups=groups)
    assert cx.shape == y.shape
    np.testing.assert_allclose(float((cx.data * y).sum()), float((x * xt.data).sum()),
                               rtol=1e-10)


def test_fold_of_unfold_multiplies_by_window_count():
    rng = np.random.default_rng(3)
    x = gn.tensor(rng.standard_normal((2, 3, 7, 6)), dtype=gn.float64)
    kw = dict(kernel_size=(3, 2), stride=(2, 1), padding=1, dilation=(1, 2))
    back = F.fold(F.unfold(x, **kw), output_size=(7, 6), **kw)
    counts = F.fold(F.unfold(gn.ones(1, 1, 7, 6, dtype=gn.float64), **kw), (7, 6), **kw)
    np.testing.assert_allclose(back.data, x.data * counts.data, atol=1e-12)


def test_conv2d_keeps_float32_everywhere():
    x = gn.randn(2, 3, 8, 8, requires_grad=True)
    w = gn.randn(4, 3, 3, 3, requires_grad=True)
    b = gn.randn(4, requires_grad=True)
    out = F.conv2d(x, w, b, padding=1)
    assert out.dtype == gn.float32
    out.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == gn.float32
    # ... and the float32 values are those of the float64 computation, to float32 accuracy
    x64, w64, b64 = (gn.tensor(t.detach().numpy().astype(np.float64), requires_grad=True)
                     for t in (x, w, b))
    out64 = F.conv2d(x64, w64, b64, padding=1)
    out64.sum().backward()
    np.testing.assert_allclose(out.detach().numpy(), out64.detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    for g32, g64 in ((x.grad, x64.grad), (w.grad, w64.grad), (b.grad, b64.grad)):
        np.testing.assert_allclose(g32.numpy(), g64.numpy(), rtol=1e-5, atol=1e-4)


def test_conv2d_grad_only_for_weight_matches_naive_correlation():
    # d sum(g * conv(x, w)) / d w[o, c, p, q] = sum_{n, i, j} g[n, o, i, j] *
    # x[n, c, 2i + p, 2j + q]: the weight gradient is itself a (strided) correlation.
    rng = np.random.default_rng(6)
    x = rng.standard_normal((2, 3, 7, 6))
    g = rng.standard_normal((2, 4, 3, 2))
    gx = gn.tensor(x, dtype=gn.float64)
    w = gn.tensor(rng.standard_normal((4, 3, 3, 3)), dtype=gn.float64, requires_grad=True)
    F.conv2d(gx, w, stride=2).backward(gn.tensor(g, dtype=gn.float64))
    ref = np.zeros((4, 3, 3, 3))
    for p in range(3):
        for q in range(3):
            patch = x[:, :, p:p + 5:2, q:q + 3:2]  # (N, C, 3, 2)
            ref[:, :, p, q] = np.einsum("noij,ncij->oc", g, patch)
    assert gx.grad is None
    np.testing.assert_allclose(w.grad.numpy(), ref, rtol=1e-12, atol=1e-12)


def test_depthwise_conv2d_matches_grouped_reference():
    # Depthwise runs a dedicated tap loop; compare it with the naive loops.
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, 3, 6, 7))
    w = rng.standard_normal((6, 1, 3, 3))
    out = F.conv2d(gn.tensor(x, dtype=gn.float64), gn.tensor(w, dtype=gn.float64),
                   stride=2, padding=1, groups=3)
    ref = _naive_conv2d(x, w, None, (2, 2), (1, 1), (1, 1), 3)
    np.testing.assert_allclose(out.data, ref, atol=1e-12)


# -----------------------------------------------------------------------------
# Errors
# -----------------------------------------------------------------------------
def _err(exc, match, fn, *args, **kwargs):
    with pytest.raises(exc, match=match):
        fn(*args, **kwargs)


def test_conv2d_channel_mismatch_message():
    _err(ValueError, r"conv2d: input has 4 channels but weight expects 3 \(weight.shape\[1\]"
         r"=3 x groups=1\)", F.conv2d, gn.ones(8, 4, 32, 32), gn.ones(16, 3, 3, 3))


def test_conv2d_errors():
    x = gn.ones(2, 4, 8, 8)
    _err(ValueError, r"conv2d: input must have shape \(N, C_in, H, W\)", F.conv2d,
         gn.ones(4, 8), gn.ones(2, 4, 3, 3))
    _err(ValueError, r"conv2d: weight must have shape \(C_out, C_in/groups, kH, kW\)",
         F.conv2d, x, gn.ones(2, 4, 3))
    _err(TypeError, r"conv2d: weight dtype float64 does not match input dtype float32",
         F.conv2d, x, gn.ones(2, 4, 3, 3, dtype=gn.float64))
    _err(TypeError, r"conv2d: input dtype must be float32 or float64, got int64", F.conv2d,
         gn.zeros(1, 4, 5, 5, dtype=gn.int64), gn.ones(2, 4, 3, 3))
    _err(ValueError, r"conv2d: out_channels \(weight.shape\[0\]=3\) must be divisible by "
         r"groups=2", F.conv2d, x, gn.ones(3, 2, 3, 3), groups=2)
    _err(ValueError, r"conv2d: kernel size after dilation \(9, 9\) is larger than the "
         r"padded input \(8, 8\)", F.conv2d, x, gn.ones(2, 4, 5, 5), dilation=2)
    _err(ValueError, r"conv2d: padding='same' is not supported for strided", F.conv2d, x,
         gn.ones(2, 4, 3, 3), stride=2, padding="same")
    _err(ValueError, r"conv2d: padding must be an int, a tuple of ints, 'same' or 'valid', "
         r"got 'full'", F.conv2d, x, gn.ones(2, 4, 3, 3), padding="full")
    _err(ValueError, r"conv2d: bias must have shape \(C_out,\)=\(2,\), got \(3,\)",
         F.conv2d, x, gn.ones(2, 4, 3, 3), gn.ones(3))
    _err(ValueError, r"conv2d: stride must be > 0, got \(0, 0\)", F.conv2d, x,
         gn.ones(2, 4, 3, 3), stride=0)
    _err(ValueError, r"conv2d: padding must be >= 0", F.conv2d, x, gn.ones(2, 4, 3, 3),
         padding=-1)
    _err(TypeError, r"conv2d: input must be a Tensor, got ndarray", F.conv2d,
         np.ones((1, 4, 5, 5)), gn.ones(2, 4, 3, 3))


def test_conv_transpose2d_and_fold_errors():
    _err(ValueError, r"conv_transpose2d: output_padding must be smaller than either stride "
         r"or dilation", F.conv_transpose2d, gn.ones(1, 2, 4, 4), gn.ones(2, 3, 3, 3),
         stride=2, output_padding=2)
    _err(ValueError, r"conv_transpose2d: input has 3 channels but weight expects 2",
         F.conv_transpose2d, gn.ones(1, 3, 4, 4), gn.ones(2, 3, 3, 3))
    _err(ValueError, r"fold: input.shape\[-1\] must be the number of sliding blocks 3 x 3 = 9",
         F.fold, gn.ones(1, 4, 10), (4, 4), 2)
    _err(ValueError, r"fold: input.shape\[-2\]=5 must be divisible by kH \* kW = 4", F.fold,
         gn.ones(1, 5, 9), (4, 4), 2)
    _err(ValueError, r"unfold: kernel_size \(5, 5\) with dilation \(1, 1\) is larger than "
         r"the padded input \(4, 4\)", F.unfold, gn.ones(1, 1, 4, 4), 5)


# -----------------------------------------------------------------------------
# Randomized parity sweep against PyTorch (float32 forward and backward)
# -----------------------------------------------------------------------------
def test_conv2d_random_configs_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    for _ in range(25):
        groups = int(rng.choice([1, 2, 3]))
        cg = int(rng.integers(1, 3))
        og = int(rng.integers(1, 3))
        kh, kw = (int(v) for v in rng.integers(1, 4, 2))
        stride = tuple(int(v) for v in rng.integers(1, 4, 2))
        dilation = tuple(int(v) for v in rng.integers(1, 3, 2))
        padding = tuple(int(v) for v in rng.integers(0, 3, 2))
        h = int(rng.integers(dilation[0] * (kh - 1) + 1, 10))
        w = int(rng.integers(dilation[1] * (kw - 1) + 1, 10))
        n = int(rng.integers(1, 3))
        x = rng.standard_normal((n, cg * groups, h, w)).astype(np.float32)
        wt = rng.standard_normal((og * groups, cg, kh, kw)).astype(np.float32)
        b = rng.standard_normal(og * groups).astype(np.float32)
        kwargs = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
        gx, gw, gb = (gn.tensor(a, requires_grad=True) for a in (x, wt, b))
        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, wt, b))
        out = F.conv2d(gx, gw, gb, **kwargs)
        tout = torch.nn.functional.conv2d(tx, tw, tb, **kwargs)
        np.testing.assert_allclose(out.data, tout.detach().numpy(), atol=1e-5, rtol=1e-4,
                                   err_msg=str(kwargs))
        cot = rng.standard_normal(out.shape).astype(np.float32)
        out.backward(gn.tensor(cot))
        tout.backward(torch.tensor(cot))
        for ours, ref in ((gx, tx), (gw, tw), (gb, tb)):
            np.testing.assert_allclose(ours.grad.data, ref.grad.numpy(), atol=1e-4,
                                       rtol=1e-4, err_msg=str(kwargs))
