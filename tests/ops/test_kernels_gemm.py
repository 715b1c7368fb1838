"""The matrix products on numba's pool (glassnet.ops.kernels.gemm, through
glassnet.ops._blas.gemm / gemm_batched / product): each block is the BLAS call a serial
loop makes, bit for bit, whatever the thread count; batches share a matrix through a
zero stride; both integer widths of CBLAS work; and the thread policy (one pool, NumPy's
BLAS on one thread, glassnet.set_num_threads)."""
import ctypes

import numpy as np
import pytest

import glassnet as gn
from glassnet.ops import _blas
from glassnet.ops.kernels import _threads, gemm as G

pytestmark = pytest.mark.skipif(not (_blas.AVAILABLE and G.available()),
                                reason="needs numba and a CBLAS")

NO, T = 111, 112


def _blocks_by_hand(fn, a, b, c, ta, tb, alpha, beta, m, n, k):
    """The calls :func:`G.spread` makes, one after the other, with NumPy views."""
    by_rows, step, blocks = G.plan(m, n, 1)
    t = c.dtype.type
    for j in range(blocks):
        s = j * step
        if by_rows:
            e = min(m, s + step)
            ab = a[:, s:e] if ta else a[s:e]
            fn(101, T if ta else NO, T if tb else NO, e - s, n, k, t(alpha), ab.ctypes.data,
               a.shape[1], b.ctypes.data, b.shape[1], t(beta), c[s:e].ctypes.data, n)
        else:
            e = min(n, s + step)
            bb = b[s:e] if tb else b[:, s:e]
            fn(101, T if ta else NO, T if tb else NO, m, e - s, k, t(alpha), a.ctypes.data,
               a.shape[1], bb.ctypes.data, b.shape[1], t(beta), c[:, s:e].ctypes.data, n)


def _operands(rng, dtype, m, k, n, ta, tb):
    a = rng.standard_normal((k, m) if ta else (m, k)).astype(dtype)
    b = rng.standard_normal((n, k) if tb else (k, n)).astype(dtype)
    return a, b, (a.T if ta else a).astype(np.float64) @ (b.T if tb else b)


SHAPES = [(128, 784, 512, False, False), (512, 128, 784, True, False),
          (300, 200, 101, False, True), (64, 576, 2049, True, True),
          (3000, 64, 17, False, False), (33, 1100, 97, False, False)]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("m,k,n,ta,tb", SHAPES)
def test_gemm_on_the_pool_is_the_serial_blocks_bit_for_bit(dtype, m, k, n, ta, tb):
    rng = np.random.default_rng(m + n)
    a, b, ref = _operands(rng, dtype, m, k, n, ta, tb)
    assert m * n * k >= G.MIN_MNK
    c0 = rng.standard_normal((m, n)).astype(dtype)
    got, want = c0.copy(), c0.copy()
    _blas.gemm(a, b, got, trans_a=ta, trans_b=tb, alpha=0.5, beta=2.0)
    _blocks_by_hand(_blas._FUNCS[np.dtype(dtype)], a, b, want, ta, tb, 0.5, 2.0, m, n, k)
    assert np.array_equal(got, want)
    exact = 0.5 * ref + 2.0 * c0
    tol = 1e-5 if dtype == np.float32 else 1e-12
    assert np.abs(got - exact).max() <= tol * np.abs(exact).max()


def test_the_result_does_not_depend_on_the_thread_count():
    import numba

    if numba.config.NUMBA_NUM_THREADS < 2:
        pytest.skip("one core: nothing to compare")
    rng = np.random.default_rng(3)
    a, b, _ = _operands(rng, np.float32, 256, 300, 700, False, True)
    before = numba.get_num_threads()
    out = []
    try:
        for t in (1, numba.config.NUMBA_NUM_THREADS):
            numba.set_num_threads(t)
            c = np.empty((256, 700), np.float32)
            _blas.gemm(a, b, c, trans_b=True)
            out.append(c)
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(out[0], out[1])


def test_plan_cuts_by_the_shapes_only():
    assert G.plan(128, 512, 1, 8) == (False, 64, 8)     # columns, 8 blocks
    assert G.plan(1000, 17, 1, 8) == (True, 128, 8)     # rows when C is tall
    assert G.plan(64, 100, 1, 8) == (False, 64, 2)      # at least 64 per block
    assert G.plan(3000, 17, 1, 8) == (True, 384, 8)
    assert G.plan(32, 4096, 16, 8) == (False, 4096, 1)  # a batch of 16: one block each
    assert G.plan(128, 512, 1, 4) == (False, 128, 4)
    assert G.plan(128, 512, 1) == G.plan(128, 512, 1, G._BLOCKS)


def test_blocks_follow_the_machine_not_the_thread_count(monkeypatch):
    # twice the cores, as a power of two, at least 4
    for cores, want in ((1, 4), (2, 4), (3, 8), (4, 8), (6, 16), (16, 32)):
        monkeypatch.setattr(G.os, "sched_getaffinity", lambda pid, c=cores: set(range(c)))
        assert G._machine_blocks() == want


def _scipy_lp64_sgemm():
    """scipy's own OpenBLAS binds CBLAS with 32-bit integers (NumPy's with 64-bit)."""
    from threadpoolctl import threadpool_info

    import scipy.linalg  # noqa: F401  (loads it)

    for info in threadpool_info():
        path = info.get("filepath") or ""
        if info.get("user_api") == "blas" and "openblas" in path and "64" not in path:
            fn = getattr(ctypes.CDLL(path), "scipy_cblas_sgemm", None)
            if fn is not None:
                return fn
    return None


def test_cblas_with_32_bit_integers():
    fn = _scipy_lp64_sgemm()
    if fn is None:
        pytest.skip("no CBLAS with 32-bit integers loaded")
    i, p, f = ctypes.c_int, ctypes.c_void_p, ctypes.c_float
    fn.argtypes = [i, i, i, i, i, i, f, p, i, p, i, f, p, i]
    fn.restype = None
    rng = np.random.default_rng(4)
    m, k, n = 200, 300, 900
    a, b, ref = _operands(rng, np.float32, m, k, n, False, False)
    got, want = np.zeros((m, n), np.float32), np.zeros((m, n), np.float32)
    addr = ctypes.cast(fn, ctypes.c_void_p).value
    f32 = np.float32
    assert G.spread(addr, False, NO, NO, m, n, k, f32(1), a.ctypes.data, k, 0,
                    b.ctypes.data, n, 0, f32(0), got.ctypes.data, n, 0, 4)
    _blocks_by_hand(fn, a, b, want, False, False, 1.0, 0.0, m, n, k)
    assert np.array_equal(got, want)
    assert np.abs(got - ref).max() <= 1e-5 * np.abs(ref).max()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_batched_products_share_a_matrix_through_a_zero_stride(dtype):
    rng = np.random.default_rng(5)
    w = rng.standard_normal((1, 24, 40)).astype(dtype)
    x = rng.standard_normal((9, 40, 700)).astype(dtype)
    fn = _blas._FUNCS[np.dtype(dtype)]
    for a, b in ((w, x), (x.transpose(0, 2, 1)[:, :24].copy(), x[:1, :, :300].copy())):
        count, m, k, n = 9, a.shape[1], a.shape[2], b.shape[2]
        assert G.plan(m, n, count)[2] == 1  # a batch of 9: one BLAS call per matrix
        c = np.empty((count, m, n), dtype)
        assert _blas.gemm_batched(a, b, c)
        for i in range(count):
            ai, bi = a[min(i, len(a) - 1)], b[min(i, len(b) - 1)]
            want = np.empty((m, n), dtype)
            fn(101, NO, NO, m, n, k, dtype(1), ai.ctypes.data, k, bi.ctypes.data, n,
               dtype(0), want.ctypes.data, n)
            assert np.array_equal(c[i], want)
        ref = a.astype(np.float64) @ b
        tol = 1e-5 if dtype == np.float32 else 1e-12
        assert np.abs(c - ref).max() <= tol * np.abs(ref).max()


def test_gemm_batched_refuses_overlapping_or_unbroadcastable_batches():
    a = np.ones((4, 64, 64), np.float32)
    with pytest.raises(ValueError, match="must not overlap"):
        _blas.gemm_batched(a, a, np.lib.stride_tricks.as_strided(
            np.empty((64, 64), np.float32), (4, 64, 64), (4, 256, 4), writeable=True))
    with pytest.raises(ValueError, match="do not broadcast"):
        _blas.gemm_batched(a[:3], a, np.empty((4, 64, 64), np.float32))
    with pytest.raises(ValueError, match="must be 3-D"):
        _blas.gemm_batched(a[0], a, np.empty((4, 64, 64), np.float32))


@pytest.mark.parametrize("case", ["2d", "views", "batch-shared", "batch-2d-right", "out",
                                  "small", "int", "4d"])
def test_product_computes_numpys_matmul(case):
    rng = np.random.default_rng(6)
    f = np.float32
    r = lambda *s: rng.standard_normal(s).astype(f)  # noqa: E731
    a, b, out = {
        "2d": (r(200, 300), r(300, 400), None),
        "views": (r(300, 200).T, r(400, 300).T, None),
        "batch-shared": (r(64, 48), r(7, 48, 900), None),
        "batch-2d-right": (r(7, 300, 48), r(48, 64), None),
        "out": (r(5, 64, 96), r(5, 96, 300), np.empty((5, 64, 300), f)),
        "small": (r(3, 4), r(4, 5), None),
        "int": (np.arange(12).reshape(3, 4), np.arange(8).reshape(4, 2), None),
        "4d": (r(2, 3, 64, 96), r(2, 3, 96, 128), None),
    }[case]
    got = _blas.product(a, b, out=out)
    if out is not None:
        assert got is out
    assert got.shape == np.broadcast_shapes(a.shape[:-2], b.shape[:-2]) + (a.shape[-2],
                                                                          b.shape[-1])
    assert got.dtype == a.dtype
    # an independent reference: float64 sums of products, no BLAS
    want = (a[..., :, :, None].astype(np.float64) * b[..., None, :, :]).sum(axis=-2)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-4)


def test_linear_and_matmul_ops_on_the_pool_match_the_numpy_reference():
    rng = np.random.default_rng(7)
    x0 = rng.standard_normal((128, 784)).astype(np.float32)
    w0 = rng.standard_normal((512, 784)).astype(np.float32) * 0.05
    m0 = rng.standard_normal((4, 784, 96)).astype(np.float32)

    def run():
        x = gn.tensor(x0, requires_grad=True)
        w = gn.tensor(w0, requires_grad=True)
        m = gn.tensor(m0, requires_grad=True)
        y = gn.nn.functional.linear(x, w)
        z = gn.matmul(x.unsqueeze(0).expand(4, 128, 784), m)
        (y.square().sum() + z.square().sum()).backward()
        return [t.detach().numpy() for t in (y, z, x.grad, w.grad, m.grad)]

    fast = run()
    with _threads.disabled():
        ref = run()
    for a, b in zip(fast, ref):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-3 * np.abs(b).max())


def test_one_pool_numpys_blas_on_one_thread_and_set_num_threads():
    from threadpoolctl import threadpool_info

    _threads.configure()
    # the bound library (MKL or NumPy's) and NumPy's own BLAS: one thread each
    ours = [i for i in threadpool_info()
            if i.get("user_api") == "blas" and (i.get("filepath") == _blas.library
                                                or "numpy" in i.get("filepath", ""))]
    assert ours and all(i["num_threads"] == 1 for i in ours)
    assert any(i.get("filepath") == _blas.library for i in ours)
    before = gn.get_num_threads()
    try:
        gn.set_num_threads(1)
        assert gn.get_num_threads() == 1
    finally:
        gn.set_num_threads(before)
    assert gn.get_num_threads() == before
    with pytest.raises(ValueError, match="set_num_threads: n must be >= 1, got 0"):
        gn.set_num_threads(0)
    with pytest.raises(TypeError, match="set_num_threads: n must be an int, got float"):
        gn.set_num_threads(2.0)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cfg", [
    # (N, C, O, H, W, kernel, stride, pad, dilation, groups)
    (1, 3, 5, 7, 9, (3, 3), (1, 1), (1, 1), (1, 1), 1),
    (8, 16, 32, 16, 16, (3, 3), (2, 2), (1, 1), (1, 1), 1),
    (5, 12, 18, 11, 13, (3, 5), (1, 2), (2, 1), (2, 1), 3),
    (32, 64, 64, 8, 8, (3, 3), (1, 1), (1, 1), (1, 1), 1),
])
def test_shifted_gemms_on_the_pool_match_the_serial_loops(dtype, cfg):
    """The shift engine's three passes (forward, input and weight gradients) as one
    launch per pass on the pool against the reference loops of BLAS calls."""
    from glassnet.ops import _conv_engine as E
    from glassnet.ops.window import Window

    n, c, o, h, w, k, s, p, d, groups = cfg
    out = tuple((i + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                for i, pp, dd, kk, ss in zip((h, w), p, d, k, s))
    win = Window.cached((h, w), out, k, s, p, d)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    wt = rng.standard_normal((o, c // groups) + k).astype(dtype)
    gy = rng.standard_normal((n, o) + out).astype(dtype)

    def passes():
        g = win.to_cgrid(x)
        gp = win.cpad(gy)
        return (E._shift_apply(g, wt, win, groups, n),
                E._shift_adjoint(gp, wt, win, groups, c, n),
                E._shift_weight_grad(gp, g, wt.shape, win, groups, n))

    fast = passes()
    with _threads.disabled():
        ref = passes()
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(fast, ref):
        assert a.shape == b.shape and a.dtype == b.dtype
        assert np.abs(a - b).max() <= tol * np.abs(b).max()


def test_freed_memory_is_kept_for_the_next_step_unless_the_user_tuned_malloc():
    import os
    import subprocess
    import sys

    probe = ("from glassnet.ops.kernels import _threads as t; t.configure(); "
             "print(t._state.get('malloc'))")
    env = {k: v for k, v in os.environ.items()
           if not (k.startswith("MALLOC_") or k == "GLIBC_TUNABLES")}
    run = [sys.executable, "-c", probe]
    got = subprocess.run(run, env=env, capture_output=True, text=True, check=True,
                         timeout=120).stdout.strip()
    assert got == ("(1, 1)" if sys.platform.startswith("linux") else "None")
    got = subprocess.run(run, env={**env, "MALLOC_ARENA_MAX": "2"}, capture_output=True,
                         text=True, check=True, timeout=120).stdout.strip()
    assert got == "None"
