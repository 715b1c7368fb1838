"""Winograd F(2x2,3x3) / F(4x4,3x3) convolution: the three passes against a float64
direct (einsum) reference, against torch in float32, by central differences, and the
transform matrices and their ufunc programs against their definitions."""
from __future__ import annotations

import numpy as np
import pytest

from glassnet.ops import _conv_winograd as wg
from glassnet.ops._conv_winograd import (
    winograd_conv2d,
    winograd_conv2d_input_grad,
    winograd_conv2d_weight_grad,
    winograd_matrices,
)

M_VALUES = (2, 4)

# (N, C, O, H, W, padding, groups): batch 1, odd and even sizes, a 1x1 input with
# padding 1, paddings 0/1/2/3 (3 crops gy in the input gradient), groups 1/2/4, channel
# counts that are multiples of nothing in particular.
SHAPES = [
    (1, 3, 5, 7, 9, 1, 1),
    (2, 3, 4, 5, 5, 0, 1),
    (1, 1, 1, 1, 1, 1, 1),
    (3, 4, 6, 1, 1, 1, 2),
    (2, 6, 10, 6, 8, 2, 2),
    (1, 8, 4, 9, 7, 1, 4),
    (2, 5, 7, 3, 4, 0, 1),
    (1, 4, 8, 4, 6, (2, 0), 4),
    (2, 3, 2, 5, 6, 3, 1),
    (1, 2, 3, 13, 11, (1, 2), 1),
]


# -----------------------------------------------------------------------------
# A direct reference: float64 einsum over 3x3 windows, and its two adjoints
# -----------------------------------------------------------------------------
def _pads(padding):
    return (padding, padding) if isinstance(padding, int) else tuple(padding)


def _windows(x, padding):
    ph, pw = _pads(padding)
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    return np.lib.stride_tricks.sliding_window_view(xp, (3, 3), axis=(2, 3))


def ref_conv(x, w, padding, groups):
    xw = _windows(x, padding)  # (N, C, Ho, Wo, 3, 3)
    n, c, ho, wo = xw.shape[:4]
    o, cg = w.shape[:2]
    xw = xw.reshape(n, groups, cg, ho, wo, 3, 3)
    wr = w.reshape(groups, o // groups, cg, 3, 3)
    return np.einsum("ngcijuv,gocuv->ngoij", xw, wr).reshape(n, o, ho, wo)


def ref_weight_grad(gy, x, w_shape, padding, groups):
    xw = _windows(x, padding)
    n, c, ho, wo = xw.shape[:4]
    o, cg = w_shape[:2]
    xw = xw.reshape(n, groups, cg, ho, wo, 3, 3)
    g = gy.reshape(n, groups, o // groups, ho, wo)
    return np.einsum("ngoij,ngcijuv->gocuv", g, xw).reshape(w_shape)


def ref_input_grad(gy, w, x_shape, padding, groups):
    n, c, h, wd = x_shape
    ph, pw = _pads(padding)
    o, cg = w.shape[:2]
    ho, wo = gy.shape[2:]
    g = gy.reshape(n, groups, o // groups, ho, wo)
    wr = w.reshape(groups, o // groups, cg, 3, 3)
    gxp = np.zeros((n, groups, cg, h + 2 * ph, wd + 2 * pw))
    for u in range(3):  # 9 taps: a test reference, not a hot path
        for v in range(3):
            gxp[..., u:u + ho, v:v + wo] += np.einsum("ngoij,goc->ngcij", g, wr[..., u, v])
    return gxp[..., ph:ph + h, pw:pw + wd].reshape(x_shape)


def _data(shape, dtype=np.float64, seed=0):
    n, c, o, h, w, padding, groups = shape
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((o, c // groups, 3, 3)).astype(dtype)
    ph, pw = _pads(padding)
    gy = rng.standard_normal((n, o, h + 2 * ph - 2, w + 2 * pw - 2)).astype(dtype)
    return x, wt, gy, padding, groups


def _rel(a, b):
    """max |a - b| / max |b|."""
    return float(np.abs(a - b).max() / np.abs(b).max())


# -----------------------------------------------------------------------------
# Transform matrices and the ufunc programs that apply them
# -----------------------------------------------------------------------------
@pytest.mark.parametrize("m", M_VALUES)
def test_winograd_matrices_compute_a_1d_correlation(m):
    bt, g, at = winograd_matrices(m)
    a = m + 2
    assert bt.shape == (a, a) and g.shape == (a, 3) and at.shape == (m, a)
    rng = np.random.default_rng(1)
    for _ in range(5):
        d, k = rng.standard_normal(a), rng.standard_normal(3)
        expected = np.array([d[i:i + 3] @ k for i in range(m)])
        np.testing.assert_allclose(at @ ((g @ k) * (bt @ d)), expected, rtol=1e-12, atol=1e-12)


def _apply_program(program, mat, scratch):
    """Run a ufunc program on the basis vectors: returns the matrix it applies."""
    rows, cols = mat.shape
    src = np.eye(cols)[:, :, None] * np.ones((1, 1, 3))  # src[k] = e_k, 3 copies
    dst = np.full((rows, cols, 3), np.nan)
    tmp = [np.empty((cols, 3)) for _ in range(scratch)]
    program(lambda k: src[k], lambda k: dst[k], tmp)
    assert np.allclose(dst[..., 0], dst[..., 2])
    return dst[..., 0]


@pytest.mark.parametrize("m", M_VALUES)
def test_ufunc_programs_apply_their_matrices(m):
    bt, _, at = winograd_matrices(m)
    prog_bt, prog_at, prog_a = wg._PROGRAMS[m]
    n_bt, n_at, n_a = wg._SCRATCH[m]
    np.testing.assert_array_equal(_apply_program(prog_bt, bt, n_bt), bt)
    np.testing.assert_array_equal(_apply_program(prog_at, at, n_at), at)
    np.testing.assert_array_equal(_apply_program(prog_a, at.T, n_a), at.T)


# -----------------------------------------------------------------------------
# The three passes against the float64 direct reference
# -----------------------------------------------------------------------------
@pytest.mark.parametrize("m", M_VALUES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_winograd_passes_match_float64_direct_reference(shape, m):
    x, w, gy, padding, groups = _data(shape)
    y = winograd_conv2d(x, w, padding, m, groups=groups)
    y_ref = ref_conv(x, w, padding, groups)
    assert y.shape == y_ref.shape and y.dtype == np.float64
    np.testing.assert_allclose(y, y_ref, rtol=1e-11, atol=1e-11)
    gx = winograd_conv2d_input_grad(gy, w, x.shape, padding, m, groups=groups)
    np.testing.assert_allclose(gx, ref_input_grad(gy, w, x.shape, padding, groups),
                               rtol=1e-11, atol=1e-11)
    gw = winograd_conv2d_weight_grad(gy, x, w.shape, padding, m, groups=groups)
    np.testing.assert_allclose(gw, ref_weight_grad(gy, x, w.shape, padding, groups),
                               rtol=1e-11, atol=1e-10)


@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("m", M_VALUES)
def test_winograd_batch_chunks_and_threads_give_the_same_result(m, threads, monkeypatch):
    """Several chunks, the last one smaller, spread over worker threads: buffers are
    reused, nothing leaks across chunks, the weight gradient sums every worker's part."""
    shape = (7, 3, 5, 10, 9, 1, 1)
    x, w, gy, padding, groups = _data(shape)
    monkeypatch.setattr(wg, "_CHUNK_ELEMENTS", 1)
    monkeypatch.setattr(wg, "_MIN_COLUMNS", 2 * 5 * 6)  # two samples per chunk for m=2
    kw = {"threads": threads}
    np.testing.assert_allclose(winograd_conv2d(x, w, padding, m, **kw), ref_conv(x, w, 1, 1),
                               rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(winograd_conv2d_input_grad(gy, w, x.shape, padding, m, **kw),
                               ref_input_grad(gy, w, x.shape, 1, 1), rtol=1e-11, atol=1e-11)
    np.testing.assert_allclose(winograd_conv2d_weight_grad(gy, x, w.shape, padding, m, **kw),
                               ref_weight_grad(gy, x, w.shape, 1, 1), rtol=1e-11, atol=1e-10)


def test_winograd_accepts_non_contiguous_inputs():
    x, w, gy, padding, groups = _data((2, 3, 4, 6, 5, 1, 1))
    xt = np.ascontiguousarray(x.transpose(0, 1, 3, 2)).transpose(0, 1, 3, 2)
    assert not xt.flags.c_contiguous
    np.testing.assert_allclose(winograd_conv2d(xt, w[:, :, ::-1], 1),
                               ref_conv(x, np.ascontiguousarray(w[:, :, ::-1]), 1, 1),
                               rtol=1e-11, atol=1e-11)
    gyt = gy[:, ::-1]
    np.testing.assert_allclose(winograd_conv2d_weight_grad(gyt, xt, w.shape, 1),
                               ref_weight_grad(np.ascontiguousarray(gyt), x, w.shape, 1, 1),
                               rtol=1e-11, atol=1e-10)


# -----------------------------------------------------------------------------
# Float64 central differences of the three functions composed as a conv
# -----------------------------------------------------------------------------
@pytest.mark.parametrize("m", M_VALUES)
@pytest.mark.parametrize("shape", [(2, 3, 4, 5, 4, 1, 1), (1, 4, 2, 3, 3, 2, 2),
                                   (1, 2, 2, 1, 1, 1, 2)], ids=str)
def test_winograd_gradients_match_central_differences(shape, m):
    x, w, r, padding, groups = _data(shape, seed=3)

    def loss(x_, w_):
        return float(np.sum(winograd_conv2d(x_, w_, padding, m, groups=groups) * r))

    gx = winograd_conv2d_input_grad(r, w, x.shape, padding, m, groups=groups)
    gw = winograd_conv2d_weight_grad(r, x, w.shape, padding, m, groups=groups)
    eps = 1e-6
    for arr, grad, which in ((x, gx, "x"), (w, gw, "w")):
        numeric = np.empty_like(arr)
        for idx in np.ndindex(arr.shape):
            old = arr[idx]
            arr[idx] = old + eps
            up = loss(x, w)
            arr[idx] = old - eps
            down = loss(x, w)
            arr[idx] = old
            numeric[idx] = (up - down) / (2 * eps)
        np.testing.assert_allclose(grad, numeric, rtol=1e-3, atol=1e-5, err_msg=which)


# -----------------------------------------------------------------------------
# float32 parity with torch
# -----------------------------------------------------------------------------
# Bounds on max|err| / max|ref| in float32 for unit-scale data. Measured maxima over the
# ResNet-20/-18 layer shapes (all three passes, against float64): 7e-7 (m=2) and 1.1e-5
# (m=4); torch's own float32 conv reaches 1.2e-5 in its weight gradient there. The bounds
# leave a 5-7x margin.
F32_BOUND = {2: 5e-6, 4: 5e-5}


@pytest.mark.parametrize("m", M_VALUES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_winograd_float32_matches_torch(shape, m):
    torch = pytest.importorskip("torch")
    x, w, gy, padding, groups = _data(shape, dtype=np.float32, seed=5)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    ty = torch.nn.functional.conv2d(tx, tw, padding=padding, groups=groups)
    tgx, tgw = torch.autograd.grad(ty, (tx, tw), torch.tensor(gy))
    y = winograd_conv2d(x, w, padding, m, groups=groups)
    gx = winograd_conv2d_input_grad(gy, w, x.shape, padding, m, groups=groups)
    gw = winograd_conv2d_weight_grad(gy, x, w.shape, padding, m, groups=groups)
    for ours, theirs in ((y, ty.detach()), (gx, tgx), (gw, tgw)):
        assert ours.dtype == np.float32 and ours.shape == tuple(theirs.shape)
        assert _rel(ours, theirs.numpy()) < F32_BOUND[m]


@pytest.mark.parametrize("m", M_VALUES)
@pytest.mark.parametrize("shape", [(4, 16, 16, 32, 32, 1, 1), (2, 64, 64, 8, 8, 1, 1),
                                   (1, 128, 128, 7, 7, 1, 1)], ids=str)
def test_winograd_float32_error_on_resnet_shapes(shape, m):
    """Unit-scale data on ResNet-like layers: float32 error against float64 direct."""
    x, w, gy, padding, groups = _data(shape, dtype=np.float32, seed=7)
    x64, w64, gy64 = (a.astype(np.float64) for a in (x, w, gy))
    assert _rel(winograd_conv2d(x, w, 1, m), ref_conv(x64, w64, 1, 1)) < F32_BOUND[m]
    assert _rel(winograd_conv2d_input_grad(gy, w, x.shape, 1, m),
                ref_input_grad(gy64, w64, x.shape, 1, 1)) < F32_BOUND[m]
    assert _rel(winograd_conv2d_weight_grad(gy, x, w.shape, 1, m),
                ref_weight_grad(gy64, x64, w.shape, 1, 1)) < F32_BOUND[m]


# -----------------------------------------------------------------------------
# Errors
# -----------------------------------------------------------------------------
def test_winograd_rejects_bad_arguments():
    x = np.zeros((1, 4, 5, 5), np.float32)
    w = np.zeros((6, 2, 3, 3), np.float32)
    with pytest.raises(ValueError, match="winograd_conv2d: m must be 2"):
        winograd_conv2d(x, w, 1, 3, groups=2)
    with pytest.raises(TypeError, match="winograd_conv2d: arrays must share one dtype"):
        winograd_conv2d(x, w.astype(np.float64), 1, groups=2)
    with pytest.raises(TypeError, match="winograd_conv2d: x dtype must be float32 or float64"):
        winograd_conv2d(x.astype(np.int64), w, 1, groups=2)
    with pytest.raises(ValueError, match="winograd_conv2d: padding must be >= 0"):
        winograd_conv2d(x, w, -1, groups=2)
    with pytest.raises(TypeError, match="winograd_conv2d: padding must be an int"):
        winograd_conv2d(x, w, 1.5, groups=2)
    with pytest.raises(ValueError, match="C/groups=4 input channels"):
        winograd_conv2d(x, w, 1)
    with pytest.raises(ValueError, match="divisible by groups=3"):
        winograd_conv2d(x, w, 1, groups=3)
    with pytest.raises(ValueError, match="weight must be \\(O, C/groups, 3, 3\\)"):
        winograd_conv2d(x, np.zeros((6, 2, 5, 5), np.float32), 1, groups=2)
    with pytest.raises(ValueError, match="smaller than the 3x3 kernel"):
        winograd_conv2d(x[:, :, :2, :2], w, 0, groups=2)
    with pytest.raises(ValueError, match="x must be 4-D"):
        winograd_conv2d(x[0], w, 1, groups=2)
    with pytest.raises(ValueError, match="groups must be a positive int"):
        winograd_conv2d(x, w, 1, groups=0)
    with pytest.raises(ValueError, match="winograd_conv2d: threads must be a positive int"):
        winograd_conv2d(x, w, 1, groups=2, threads=0)
    gy = np.zeros((1, 6, 5, 5), np.float32)
    with pytest.raises(ValueError, match="winograd_conv2d_input_grad: gy must have shape"):
        winograd_conv2d_input_grad(gy[:, :5], w, x.shape, 1, groups=2)
    with pytest.raises(ValueError, match="winograd_conv2d_weight_grad: gy must have shape"):
        winograd_conv2d_weight_grad(gy, x, w.shape, 0, groups=2)
    with pytest.raises(ValueError, match="w_shape must be"):
        winograd_conv2d_weight_grad(gy, x, (6, 2, 3), 1, groups=2)
