"""Every convolution algorithm of glassnet/ops/conv.py, run directly (not only through the
dispatcher): float64 central-difference gradients and float32 parity with PyTorch on
convolutions and transposed convolutions of 1, 2 and 3 dims, with batch 1, odd sizes,
stride, padding, dilation and groups.
"""
import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.ops import _blas
from glassnet.ops.conv import ALGORITHMS, choose_algorithm, use_algorithm
from glassnet.ops.kernels import depthwise as dw_kernels
from glassnet.testing.gradcheck import gradcheck

GENERAL = [a for a in ALGORITHMS
           if a not in ("depthwise", "winograd", "pointwise", "direct")]
if not _blas.AVAILABLE:  # pragma: no cover - numpy without a CBLAS
    GENERAL.remove("shift")

# (nd, n, groups, c_per_group, o_per_group, kernel, stride, padding, dilation, size)
CONFIGS = [
    (2, 1, 1, 3, 4, (3, 3), (1, 1), (1, 1), (1, 1), (7, 9)),    # batch 1, odd sizes
    (2, 2, 1, 2, 3, (3, 3), (2, 2), (1, 1), (1, 1), (9, 8)),    # stride 2
    (2, 3, 2, 2, 3, (3, 2), (2, 1), (2, 0), (2, 1), (8, 7)),    # groups, dilation
    (2, 2, 3, 1, 2, (1, 1), (1, 1), (0, 0), (1, 1), (5, 5)),    # 1x1, groups
    (2, 1, 1, 4, 2, (5, 3), (3, 2), (2, 1), (1, 2), (11, 10)),  # big kernel, stride 3
    (2, 2, 1, 2, 2, (3, 1), (1, 1), (3, 2), (1, 1), (8, 9)),    # padding beyond the reach
    (1, 2, 2, 2, 2, (3,), (2,), (1,), (2,), (13,)),             # 1-D
    (3, 1, 1, 2, 2, (3, 2, 3), (1, 2, 1), (1, 0, 1), (1, 1, 2), (5, 6, 7)),  # 3-D
]
IDS = [f"{c[0]}d-n{c[1]}-g{c[2]}-k{'x'.join(map(str, c[5]))}-s{c[6]}-p{c[7]}-d{c[8]}"
       for c in CONFIGS]

_CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
_CONVT = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}


def _arrays(cfg, transposed, dtype, seed=0):
    nd, n, g, cg, og, k, s, p, d, size = cfg
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, cg * g) + size).astype(dtype)
    if transposed:
        w = rng.standard_normal((cg * g, og) + k).astype(dtype)
    else:
        w = rng.standard_normal((og * g, cg) + k).astype(dtype)
    b = rng.standard_normal(og * g).astype(dtype)
    return x, w, b, dict(stride=s, padding=p, dilation=d, groups=g)


def _agrees_with_torch(y, ty, ours, ref, rng):
    """glassnet's output ``y`` and torch's ``ty``, then the gradients of the inputs
    ``ours`` / ``ref`` for one random cotangent from ``rng``: equal at 1e-4 (float32)."""
    import torch

    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    cot = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(gn.tensor(cot))
    ty.backward(torch.tensor(cot))
    for a, t in zip(ours, ref):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "convT"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
@pytest.mark.parametrize("algo", GENERAL)
def test_gradcheck_float64(algo, cfg, transposed):
    x, w, b, kw = _arrays(cfg, transposed, np.float64)
    fn = (_CONVT if transposed else _CONV)[cfg[0]]
    tensors = [gn.tensor(a, requires_grad=True) for a in (x, w, b)]

    def f(x, w, b):
        with use_algorithm(algo):
            return fn(x, w, b, **kw)

    assert gradcheck(f, tensors)


@pytest.mark.parametrize("transposed", [False, True], ids=["conv", "convT"])
@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
@pytest.mark.parametrize("algo", GENERAL)
def test_float32_matches_torch(algo, cfg, transposed):
    torch = pytest.importorskip("torch")
    x, w, b, kw = _arrays(cfg, transposed, np.float32, seed=1)
    fn = (_CONVT if transposed else _CONV)[cfg[0]]
    tfn = getattr(torch.nn.functional, fn.__name__)
    ours = [gn.tensor(a, requires_grad=True) for a in (x, w, b)]
    ref = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    with use_algorithm(algo):
        y = fn(*ours, **kw)
    ty = tfn(*ref, **kw)
    _agrees_with_torch(y, ty, ours, ref, np.random.default_rng(2))


DEPTHWISE = [  # (n, channels, multiplier, kernel, stride, padding, dilation, size)
    (1, 3, 1, (3, 3), (1, 1), (1, 1), (1, 1), (7, 9)),
    (2, 4, 2, (3, 3), (2, 2), (1, 1), (1, 1), (8, 7)),
    (3, 2, 1, (5, 3), (1, 2), (2, 1), (2, 1), (9, 9)),
    (2, 3, 3, (3, 5), (3, 1), (0, 2), (1, 2), (10, 11)),   # stride 3, multiplier 3
    (1, 2, 1, (1, 1), (1, 1), (0, 0), (1, 1), (4, 5)),     # 1x1 depthwise
    (2, 2, 2, (3, 3), (1, 1), (3, 2), (2, 1), (5, 6)),     # padding beyond the reach
    (2, 3, 1, (5, 5), (2, 2), (2, 2), (1, 1), (12, 10)),   # stride 2: even/odd columns
    (1, 2, 1, (3, 3), (2, 2), (0, 0), (1, 1), (6, 8)),     # stride 2, unpadded, even width
]
# The direct kernels (numba) where installed, and the NumPy reference in any case.
DW_PATHS = (["direct"] if dw_kernels.available() else []) + ["numpy"]


@pytest.mark.parametrize("path", DW_PATHS)
@pytest.mark.parametrize("cfg", DEPTHWISE, ids=lambda c: f"c{c[1]}m{c[2]}k{c[3]}s{c[4]}d{c[6]}")
def test_depthwise_gradcheck_and_torch(cfg, path):
    n, c, m, k, s, p, d, size = cfg
    rng = np.random.default_rng(3)
    x = rng.standard_normal((n, c) + size)
    w = rng.standard_normal((c * m, 1) + k)
    b = rng.standard_normal(c * m)
    kw = dict(stride=s, padding=p, dilation=d, groups=c)

    def f(x, w, b):
        with use_algorithm("depthwise"):
            if path == "numpy":
                with dw_kernels.disabled():
                    y = F.conv2d(x, w, b, **kw)
            else:
                y = F.conv2d(x, w, b, **kw)
        want = "depthwise-direct" if path == "direct" else "depthwise"
        assert y.grad_fn is None or y.grad_fn.algo == want
        return y

    assert gradcheck(f, [gn.tensor(a, requires_grad=True) for a in (x, w, b)])
    torch = pytest.importorskip("torch")
    ours = [gn.tensor(a.astype(np.float32), requires_grad=True) for a in (x, w, b)]
    ref = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in (x, w, b)]
    y = f(*ours)
    ty = torch.nn.functional.conv2d(*ref, **kw)
    _agrees_with_torch(y, ty, ours, ref, rng)


@pytest.mark.skipif(not dw_kernels.available(), reason="numba not installed")
def test_depthwise_direct_kernels_equal_the_numpy_reference_on_a_mobilenet_block():
    """float32, 14x14 planes (the canvas loops) and a stride-2 layer (the row loops)."""
    rng = np.random.default_rng(5)
    for s in (1, 2):
        x = gn.tensor(rng.standard_normal((3, 24, 14, 14)).astype(np.float32),
                      requires_grad=True)
        w = gn.tensor(rng.standard_normal((24, 1, 3, 3)).astype(np.float32),
                      requires_grad=True)
        cot = gn.tensor(rng.standard_normal((3, 24, 14 // s, 14 // s)).astype(np.float32))
        results = []
        for off in (False, True):
            x.grad = w.grad = None
            if off:
                with dw_kernels.disabled():
                    y = F.conv2d(x, w, stride=s, padding=1, groups=24)
            else:
                y = F.conv2d(x, w, stride=s, padding=1, groups=24)
            y.backward(cot)
            results.append((y.detach().numpy(), x.grad.numpy(), w.grad.numpy()))
        for a, b in zip(*results):
            np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-4)


POINTWISE = [  # (nd, n, c, o, stride, size, bias)
    (2, 1, 3, 4, (1, 1), (7, 9), True),
    (2, 2, 5, 3, (2, 2), (8, 7), False),
    (2, 3, 2, 6, (3, 1), (10, 5), True),
    (1, 2, 4, 3, (2,), (9,), True),
    (3, 1, 2, 3, (1, 2, 2), (3, 5, 4), True),
]


@pytest.mark.parametrize("cfg", POINTWISE, ids=lambda c: f"{c[0]}d-n{c[1]}-s{c[4]}-b{c[6]}")
def test_pointwise_gradcheck_and_torch(cfg):
    nd, n, c, o, s, size, bias = cfg
    rng = np.random.default_rng(6)
    arrays = [rng.standard_normal((n, c) + size), rng.standard_normal((o, c) + (1,) * nd)]
    if bias:
        arrays.append(rng.standard_normal(o))
    fn = _CONV[nd]

    def f(*args):
        with use_algorithm("pointwise"):
            y = fn(*args, stride=s)
        return y

    assert gradcheck(f, [gn.tensor(a, requires_grad=True) for a in arrays])
    torch = pytest.importorskip("torch")
    ours = [gn.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    ref = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    y = f(*ours)
    ty = getattr(torch.nn.functional, fn.__name__)(*ref, stride=s)
    _agrees_with_torch(y, ty, ours, ref, rng)


WHOLE = [  # (nd, n, c, o, size, stride, bias): one window over the whole input
    (2, 1, 3, 4, (5, 5), 1, True),     # batch 1
    (2, 3, 16, 6, (5, 3), 2, False),   # LeNet's last conv, odd and uneven, stride
    (1, 2, 4, 3, (7,), 1, True),
    (3, 2, 2, 3, (2, 3, 2), 1, True),
]


@pytest.mark.parametrize("cfg", WHOLE, ids=lambda c: f"{c[0]}d-n{c[1]}-{c[4]}")
def test_whole_input_window_is_a_pointwise_product_gradcheck_and_torch(cfg):
    nd, n, c, o, size, s, bias = cfg
    rng = np.random.default_rng(9)
    arrays = [rng.standard_normal((n, c) + size), rng.standard_normal((o, c) + size)]
    if bias:
        arrays.append(rng.standard_normal(o))
    fn = _CONV[nd]

    def f(*args):
        return fn(*args, stride=s)

    assert gradcheck(f, [gn.tensor(a, requires_grad=True) for a in arrays])
    torch = pytest.importorskip("torch")
    ours = [gn.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    ref = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in arrays]
    y = f(*ours)
    if nd > 1:  # (conv1d is a conv2d between reshapes)
        assert y.grad_fn.algo == "pointwise"  # chosen, not forced
    ty = getattr(torch.nn.functional, fn.__name__)(*ref, stride=s)
    assert tuple(y.shape) == tuple(ty.shape) == (n, o) + (1,) * nd
    _agrees_with_torch(y, ty, ours, ref, rng)


def test_pointwise_is_chosen_for_1x1_and_refuses_other_layers():
    x = gn.randn(2, 4, 6, 6)
    y = F.conv2d(x.requires_grad_(), gn.randn(3, 4, 1, 1), stride=2)
    assert y.grad_fn.algo == "pointwise"
    for kw, w in ((dict(padding=1), gn.randn(3, 4, 1, 1)),   # padded
                  (dict(groups=2), gn.randn(4, 2, 1, 1)),    # grouped
                  ({}, gn.randn(3, 4, 3, 3)),                # not 1x1
                  (dict(padding=1), gn.randn(3, 4, 6, 6)),   # whole input, but padded
                  (dict(dilation=2), gn.randn(3, 4, 3, 3))):  # 1 output, dilated
        assert F.conv2d(x, w, **kw).grad_fn.algo != "pointwise"
        with use_algorithm("pointwise"), pytest.raises(ValueError, match="'pointwise' needs"):
            F.conv2d(x, w, **kw)
    with use_algorithm("pointwise"), pytest.raises(ValueError, match="not transposed"):
        F.conv_transpose2d(x, gn.randn(4, 3, 1, 1))


WINOGRAD = [  # (n, groups, c_per_group, o_per_group, padding, size): stride 1, 3x3
    (1, 1, 3, 4, (1, 1), (7, 9)),
    (2, 2, 2, 3, (0, 2), (6, 5)),
    (3, 1, 2, 2, (2, 0), (4, 8)),
]


@pytest.mark.parametrize("cfg", WINOGRAD, ids=lambda c: f"n{c[0]}g{c[1]}p{c[4]}{c[5]}")
def test_winograd_gradcheck_and_torch(cfg):
    n, g, cg, og, p, size = cfg
    rng = np.random.default_rng(4)
    x = rng.standard_normal((n, cg * g) + size)
    w = rng.standard_normal((og * g, cg, 3, 3))
    b = rng.standard_normal(og * g)
    kw = dict(padding=p, groups=g)

    def f(x, w, b):
        with use_algorithm("winograd"):
            y = F.conv2d(x, w, b, **kw)
        assert y.grad_fn is None or y.grad_fn.algo == "winograd"
        return y

    assert gradcheck(f, [gn.tensor(a, requires_grad=True) for a in (x, w, b)])
    torch = pytest.importorskip("torch")
    ours = [gn.tensor(a.astype(np.float32), requires_grad=True) for a in (x, w, b)]
    ref = [torch.tensor(a.astype(np.float32), requires_grad=True) for a in (x, w, b)]
    y = f(*ours)
    ty = torch.nn.functional.conv2d(*ref, **kw)
    _agrees_with_torch(y, ty, ours, ref, rng)


def test_winograd_refuses_layers_it_cannot_run():
    x = gn.randn(1, 2, 6, 6)
    for kw, w in ((dict(stride=2, padding=1), gn.randn(2, 2, 3, 3)),
                  (dict(dilation=2, padding=2), gn.randn(2, 2, 3, 3)),
                  (dict(padding=1), gn.randn(2, 2, 5, 5)),
                  (dict(padding="same"), gn.randn(2, 2, 4, 4))):
        with use_algorithm("winograd"), pytest.raises(ValueError, match="'winograd' needs"):
            F.conv2d(x, w, **kw)
    with use_algorithm("winograd"), pytest.raises(ValueError, match="not transposed"):
        F.conv_transpose2d(x, gn.randn(2, 2, 3, 3), padding=1)


def test_dispatcher_choices_and_forcing():
    x = np.zeros((1, 8, 5, 5), np.float32)
    dense = np.zeros((6, 4, 3, 3), np.float32)
    dw = np.zeros((8, 1, 3, 3), np.float32)
    # thin shifted GEMMs (K = C_in/groups): one or two input channels, or few under 5x5
    shift = "shift" if _blas.AVAILABLE else "im2col"
    assert choose_algorithm(x[:, :1], np.zeros((6, 1, 3, 3), np.float32), 1) == "im2col"
    assert choose_algorithm(x[:, :6], np.zeros((16, 6, 5, 5), np.float32), 1) == "im2col"
    assert choose_algorithm(x[:, :3], np.zeros((16, 3, 3, 3), np.float32), 1) == shift
    assert choose_algorithm(x, np.zeros((16, 8, 5, 5), np.float32), 1) == "im2col"
    assert choose_algorithm(x, np.zeros((16, 8, 3, 3), np.float32), 1) == shift
    assert choose_algorithm(x, dw, 8) == "depthwise"
    assert choose_algorithm(x, dense, 2) == ("shift" if _blas.AVAILABLE else "im2col")
    assert choose_algorithm(x.astype(np.float16), dense.astype(np.float16), 2) == "im2col"
    with use_algorithm("im2col"):
        assert choose_algorithm(x, dw, 8) == "im2col"
        with use_algorithm("depthwise"):
            assert choose_algorithm(x, dw, 8) == "depthwise"
            with pytest.raises(ValueError, match="'depthwise' needs a depthwise layer"):
                choose_algorithm(x, dense, 2)
        assert choose_algorithm(x, dense, 2) == "im2col"
    from glassnet.ops.conv import Window
    big_x = np.zeros((1, 128, 6, 6), np.float32)
    big_w = np.zeros((128, 128, 3, 3), np.float32)
    same = Window((6, 6), (6, 6), (3, 3), (1, 1), (1, 1), (1, 1))
    strided = Window((6, 6), (3, 3), (3, 3), (2, 2), (1, 1), (1, 1))
    assert choose_algorithm(big_x, big_w, 1, same) == "winograd"
    assert choose_algorithm(big_x, big_w, 1, strided) != "winograd"
    assert choose_algorithm(big_x, big_w, 1, same, transposed=True) != "winograd"
    assert choose_algorithm(x, dense, 2, same) != "winograd"  # too few channels
    # a valid 5x5 conv of a 5x5 plane (LeNet's last): one window, a linear layer
    valid = Window((5, 5), (1, 1), (5, 5), (1, 1), (0, 0), (1, 1))
    w16 = np.zeros((120, 16, 5, 5), np.float32)
    x16 = np.zeros((1, 16, 5, 5), np.float32)
    assert choose_algorithm(x16, w16, 1, valid) == "pointwise"
    assert choose_algorithm(x16, w16, 1, valid, transposed=True) == shift
    # of a 6x6 plane: 36 canvas columns for 4 outputs, im2col
    valid6 = Window((6, 6), (2, 2), (5, 5), (1, 1), (0, 0), (1, 1))
    assert choose_algorithm(np.zeros((1, 16, 6, 6), np.float32), w16, 1, valid6) == "im2col"
    with pytest.raises(ValueError, match="use_algorithm: name must be one of"):
        use_algorithm("fft")


def test_backward_uses_the_algorithm_of_its_forward():
    x = gn.randn(2, 3, 6, 6, dtype=gn.float64, requires_grad=True)
    w = gn.randn(4, 3, 3, 3, dtype=gn.float64, requires_grad=True)
    with use_algorithm("im2col"):
        y = F.conv2d(x, w, padding=1)
    assert y.grad_fn.algo == "im2col"
    y.sum().backward()  # outside the context: still the im2col backward
    gx = x.grad.numpy().copy()
    x.grad = None
    F.conv2d(x, w, padding=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), gx, rtol=1e-12, atol=1e-12)


# -----------------------------------------------------------------------------
# The BLAS binding the shifted-GEMM engine stands on
# -----------------------------------------------------------------------------
needs_blas = pytest.mark.skipif(not _blas.AVAILABLE, reason="no CBLAS found")


@needs_blas
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_gemm_on_pitched_windows(dtype, ta, tb):
    rng = np.random.default_rng(0)
    big_a = rng.standard_normal((9, 20)).astype(dtype)
    big_b = rng.standard_normal((11, 30)).astype(dtype)
    a = big_a[:5, 2:9] if not ta else big_a[:7, 3:8]      # op(a): (5, 7)
    b = big_b[:7, 4:10] if not tb else big_b[:6, 1:8]     # op(b): (7, 6)
    opa = a.T if ta else a
    opb = b.T if tb else b
    out = np.ones((8, 40), dtype)
    c = out[1:6, 5:11]
    _blas.gemm(a, b, c, trans_a=ta, trans_b=tb, alpha=2.0, beta=0.5)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(c, 2.0 * opa.astype(np.float64) @ opb + 0.5, rtol=tol, atol=tol)
    untouched = np.ones((8, 40), dtype)
    untouched[1:6, 5:11] = c
    np.testing.assert_array_equal(out, untouched)  # nothing written outside the window


@needs_blas
def test_gemm_rejects_what_would_crash():
    a = np.ones((3, 4), np.float32)
    b = np.ones((4, 5), np.float32)
    with pytest.raises(ValueError, match="shapes do not chain"):
        _blas.gemm(a, b, np.empty((3, 6), np.float32))
    with pytest.raises(TypeError, match="dtypes must match"):
        _blas.gemm(a, b.astype(np.float64), np.empty((3, 5), np.float32))
    with pytest.raises(ValueError, match="unit-stride rows"):
        _blas.gemm(a, np.ones((4, 10), np.float32)[:, ::2], np.empty((3, 5), np.float32))
    with pytest.raises(ValueError, match="writable"):
        c = np.empty((3, 5), np.float32)
        c.flags.writeable = False
        _blas.gemm(a, b, c)
    with pytest.raises(TypeError, match="no BLAS routine for dtype int64"):
        _blas.gemm(a, b, np.empty((3, 5), np.int64))


@pytest.mark.skipif(not dw_kernels.available(), reason="numba not installed")
def test_direct_kernels_called_from_two_threads_at_once():
    """The kernels' pool (numba's workqueue) must not be entered twice at once: calls
    from several Python threads are serialised and give the single-thread results."""
    import threading

    rng = np.random.default_rng(7)
    x = gn.tensor(rng.standard_normal((2, 8, 12, 12)).astype(np.float32))
    w = gn.tensor(rng.standard_normal((8, 1, 3, 3)).astype(np.float32))
    want = F.conv2d(x, w, padding=1, groups=8).numpy()
    bn_x = gn.tensor(rng.standard_normal((4, 3, 5, 5)).astype(np.float32))
    bn_want = F.batch_norm(bn_x, None, None, training=True).numpy()
    errors = []

    def work():
        try:
            for _ in range(20):
                np.testing.assert_array_equal(F.conv2d(x, w, padding=1, groups=8).numpy(),
                                              want)
                np.testing.assert_array_equal(
                    F.batch_norm(bn_x, None, None, training=True).numpy(), bn_want)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors


@pytest.mark.skipif(not dw_kernels.available(), reason="numba not installed")
def test_warm_up_loads_every_kernel_for_both_float_types():
    from glassnet.ops.kernels import (_batchnorm_numba, _dense_numba, _depthwise_numba,
                                      _elementwise_numba, _gemm_numba, _lstm_numba,
                                      _pool_numba, _winograd_numba, warm_up)

    warm_up()
    kernels = [getattr(_depthwise_numba, n) for n in
               ("fwd", "bwd_input", "bwd_weight", "fwd_s1", "bwd_input_s1", "bwd_weight_s1")]
    kernels += [getattr(_batchnorm_numba, n) for n in
                ("moments", "normalize", "grad_sums", "grad_input")]
    kernels += [_dense_numba.conv3x3, _dense_numba.conv_taps, _dense_numba.weight_grad3x3,
                _dense_numba.weight_grad_taps]
    kernels += [_dense_numba.to_phase_planes,
                _elementwise_numba.relu,
                _elementwise_numba.relu_grad, _elementwise_numba.add, _elementwise_numba.clip,
                _elementwise_numba.clip_grad, _elementwise_numba.sgd_momentum,
                _elementwise_numba.tanh_grad, _elementwise_numba.sigmoid_grad,
                _lstm_numba.cell_forward, _lstm_numba.cell_backward, _pool_numba.max_pool,
                _pool_numba.max_pool_arg, _pool_numba.max_pool_grad, _pool_numba.avg_pool,
                _pool_numba.avg_pool_grad, _pool_numba.avg_pool_tiled,
                _pool_numba.avg_pool_tiled_grad,
                _winograd_numba.input_tiles, _winograd_numba.output_tiles,
                _winograd_numba.grad_tiles]
    for k in kernels:
        dtypes = {str(sig[0].dtype) for sig in k.signatures}
        assert {"float32", "float64"} <= dtypes, (k.__name__, dtypes)
    # the products on the pool: the float type is alpha's (argument 7)
    for k in (_gemm_numba.batched, _gemm_numba.taps):
        dtypes = {str(sig[7]) for sig in k.signatures}
        assert {"float32", "float64"} <= dtypes, (k.__name__, dtypes)
