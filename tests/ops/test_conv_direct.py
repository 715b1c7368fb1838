"""The direct dense convolution kernels (glassnet.ops.kernels.dense, numba), run directly
through ``use_algorithm("direct")``: float64 central differences and float32 parity with
torch (forward, input and weight gradients) on batch 1, odd sizes, odd channel counts,
padding (asymmetric, zero, up to the reach), dilation, stride (2, 3, per dimension),
3x3 / 5x5 / 7x7 / other kernels and conv1d; the dispatcher's choice; results independent
of tiles, chunks and threads.
"""
import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.ops.conv import Window, choose_algorithm, use_algorithm
from glassnet.ops.kernels import _threads, dense
from glassnet.testing.gradcheck import gradcheck

pytestmark = pytest.mark.skipif(not dense.available(), reason="numba not installed")

# (n, c, o, kernel, padding, dilation, size)
CONFIGS = [
    (1, 3, 5, (3, 3), (1, 1), (1, 1), (7, 9)),     # batch 1, odd sizes, O % 4 != 0
    (2, 4, 7, (3, 3), (0, 0), (1, 1), (8, 8)),     # valid
    (3, 2, 3, (3, 3), (2, 2), (2, 2), (9, 7)),     # dilation 2, padding = reach
    (2, 3, 4, (3, 3), (1, 2), (1, 1), (6, 6)),     # padding differs per dim
    (2, 1, 6, (5, 5), (2, 2), (1, 1), (12, 11)),   # LeNet's first layer: C = 1, 5x5
    (2, 6, 5, (5, 5), (0, 0), (1, 1), (10, 9)),    # 5x5 valid
    (1, 3, 2, (3, 2), (1, 0), (1, 1), (6, 7)),     # one tap per pass (6 taps)
    (2, 2, 3, (1, 3), (0, 1), (1, 2), (5, 8)),     # 1x3, dilation, padding
    (2, 2, 3, (3, 1), (3, 2), (1, 1), (8, 9)),     # padding beyond the reach
]
# strided layers run on their stride phases: (..., stride)
STRIDED = [
    (2, 3, 5, (3, 3), (1, 1), (1, 1), (8, 8), (2, 2)),    # ResNet's downsampling conv
    (1, 2, 3, (3, 3), (1, 1), (1, 1), (9, 7), (2, 2)),    # batch 1, odd sizes
    (2, 3, 4, (7, 7), (3, 3), (1, 1), (13, 12), (2, 2)),  # ResNet's 7x7 stem
    (2, 2, 3, (3, 3), (2, 1), (2, 1), (10, 9), (3, 2)),   # stride 3 x 2, dilation
    (1, 2, 2, (2, 2), (0, 0), (1, 1), (7, 6), (2, 2)),    # 2x2: one tap per phase
    (2, 1, 3, (1, 3), (0, 0), (1, 1), (6, 7), (3, 3)),    # phases that no tap reads
    (1, 2, 3, (3, 3), (4, 0), (1, 1), (5, 6), (2, 2)),    # padding beyond the reach
]
CONFIGS = CONFIGS + STRIDED
IDS = [f"n{c[0]}c{c[1]}o{c[2]}k{'x'.join(map(str, c[3]))}p{c[4]}d{c[5]}"
       + (f"s{c[7]}" if len(c) > 7 else "") for c in CONFIGS]


def _arrays(cfg, dtype, seed):
    n, c, o, k, p, d, size = cfg[:7]
    rng = np.random.default_rng(seed)
    stride = cfg[7] if len(cfg) > 7 else 1
    return (rng.standard_normal((n, c) + size).astype(dtype),
            rng.standard_normal((o, c) + k).astype(dtype),
            rng.standard_normal(o).astype(dtype),
            dict(padding=p, dilation=d, stride=stride))


def _direct(x, w, b, **kw):
    with use_algorithm("direct"):
        y = F.conv2d(x, w, b, **kw)
    assert y.grad_fn is None or y.grad_fn.algo == "direct"
    return y


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_gradcheck_float64(cfg):
    x, w, b, kw = _arrays(cfg, np.float64, 0)
    assert gradcheck(lambda x, w, b: _direct(x, w, b, **kw),
                     [gn.tensor(a, requires_grad=True) for a in (x, w, b)])


@pytest.mark.parametrize("cfg", CONFIGS, ids=IDS)
def test_float32_matches_torch(cfg):
    torch = pytest.importorskip("torch")
    x, w, b, kw = _arrays(cfg, np.float32, 1)
    ours = [gn.tensor(a, requires_grad=True) for a in (x, w, b)]
    ref = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    y = _direct(*ours, **kw)
    ty = torch.nn.functional.conv2d(*ref, **kw)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    cot = np.random.default_rng(2).standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(gn.tensor(cot))
    ty.backward(torch.tensor(cot))
    for a, t in zip(ours, ref):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)


def test_conv1d_runs_the_direct_kernels_and_matches_torch(monkeypatch):
    torch = pytest.importorskip("torch")
    calls = []
    for name in ("forward", "backward"):
        fn = getattr(dense, name)
        monkeypatch.setattr(dense, name, lambda *a, _f=fn, _n=name: calls.append(_n) or _f(*a))
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4, 17)).astype(np.float32)
    w = rng.standard_normal((5, 4, 3)).astype(np.float32)
    ours = [gn.tensor(a, requires_grad=True) for a in (x, w)]
    ref = [torch.tensor(a, requires_grad=True) for a in (x, w)]
    with use_algorithm("direct"):
        y = F.conv1d(*ours, padding=2, dilation=2)
    ty = torch.nn.functional.conv1d(*ref, padding=2, dilation=2)
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-4)
    y.sum().backward()
    ty.sum().backward()
    for a, t in zip(ours, ref):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-4, atol=1e-4)
    assert calls == ["forward", "backward"]


def _win(h, w, k, p):
    return Window((h, w), (h + 2 * p - k + 1, w + 2 * p - k + 1), (k, k), (1, 1), (p, p),
                  (1, 1))


# (vendor, MKL?) -> the algorithm of 16 -> 16 at 32x32, 64 -> 64 at 8x8, 128 -> 128 at
# 8x8, 64 -> 128 at 4x4
_REGIMES = {("GenuineIntel", False): ("direct", "shift", "winograd", "shift"),
            ("GenuineIntel", True): ("shift", "shift", "winograd", "shift"),
            ("AuthenticAMD", True): ("direct", "direct", "winograd", "direct"),
            ("AuthenticAMD", False): ("direct", "direct", "winograd", "direct"),
            ("", False): ("direct", "shift", "winograd", "shift")}


@pytest.mark.parametrize("vendor,mkl", list(_REGIMES), ids=lambda v: str(v) or "unknown")
def test_dispatcher_picks_direct_for_narrow_layers_only(monkeypatch, vendor, mkl):
    from glassnet.ops import _blas

    monkeypatch.setattr(_blas, "cpu_vendor", lambda: vendor)
    monkeypatch.setattr(_blas, "IS_MKL", mkl)
    x8 = np.zeros((2, 8, 32, 32), np.float32)
    w8 = np.zeros((16, 8, 3, 3), np.float32)
    assert choose_algorithm(x8, w8, 1, _win(32, 32, 3, 1)) == "direct"
    x1 = np.zeros((2, 1, 28, 28), np.float32)
    assert choose_algorithm(x1, np.zeros((6, 1, 5, 5), np.float32), 1,
                            _win(28, 28, 5, 2)) == "direct"   # LeNet-5's first layer
    for (c, o, size), want in zip([(16, 16, 32), (64, 64, 8), (128, 128, 8), (64, 128, 4)],
                                  _REGIMES[vendor, mkl]):
        got = choose_algorithm(np.zeros((2, c, size, size), np.float32),
                               np.zeros((o, c, 3, 3), np.float32), 1,
                               _win(size, size, 3, 1))
        assert got == want, (c, o, size)
    s2 = Window((32, 32), (16, 16), (3, 3), (2, 2), (1, 1), (1, 1))
    assert (choose_algorithm(x8, w8, 1, s2) == "direct") == (vendor == "AuthenticAMD")
    s2_wide = Window((14, 14), (7, 7), (3, 3), (2, 2), (1, 1), (1, 1))
    assert choose_algorithm(np.zeros((2, 256, 14, 14), np.float32),
                            np.zeros((512, 256, 3, 3), np.float32), 1,
                            s2_wide) != "direct"              # strided: <= 128 inputs
    assert choose_algorithm(x8, np.zeros((16, 4, 3, 3), np.float32), 2,
                            _win(32, 32, 3, 1)) != "direct"   # groups
    assert choose_algorithm(x8, w8, 1, _win(32, 32, 3, 1), transposed=True) != "direct"
    assert choose_algorithm(x8.astype(np.int32), w8.astype(np.int32), 1,
                            _win(32, 32, 3, 1)) != "direct"
    with _threads.disabled():
        assert choose_algorithm(x8, w8, 1, _win(32, 32, 3, 1)) != "direct"


def test_cpu_vendor_and_model_read_the_processor():
    from glassnet.ops import _blas

    try:
        with open("/proc/cpuinfo") as f:
            lines = f.read().splitlines()
    except OSError:
        lines = []
    for field, got in (("vendor_id", _blas.cpu_vendor()),
                       ("model name", _blas.cpu_model())):
        want = [ln.split(":", 1)[1].strip() for ln in lines if ln.startswith(field)]
        assert got == (want[0] if want else "")


def test_forcing_direct_on_a_layer_it_cannot_run_names_it():
    x = gn.zeros(1, 4, 8, 8)
    with use_algorithm("direct"), pytest.raises(ValueError, match="'direct' needs"):
        F.conv2d(x, gn.zeros(4, 2, 3, 3), groups=2)
    with use_algorithm("direct"), pytest.raises(ValueError, match="'direct' needs"):
        F.conv_transpose2d(x, gn.zeros(4, 4, 3, 3))


@pytest.mark.parametrize("k,p,s", [(3, 1, 1), (5, 0, 1), (3, 1, 2)],
                         ids=["same-3x3", "valid-5x5-rows-skipped", "stride-2"])
def test_results_do_not_depend_on_tiles_chunks_or_threads(monkeypatch, k, p, s):
    """Bit for bit: the default tiles vs tiles of 7 positions (tiles end mid-row and
    mid-image; with a valid 5x5 each image's output rows are cut into several runs),
    weight-gradient chunks of 16 positions, and 1 vs 2 threads."""
    import numba

    rng = np.random.default_rng(5)
    ho, wo = (11 + 2 * p - k) // s + 1, (10 + 2 * p - k) // s + 1
    x = rng.standard_normal((3, 5, 11, 10)).astype(np.float32)
    w = rng.standard_normal((6, 5, k, k)).astype(np.float32)
    gy = rng.standard_normal((3, 6, ho, wo)).astype(np.float32)
    win = Window((11, 10), (ho, wo), (k, k), (s, s), (p, p), (1, 1))

    def run():
        y, xg = dense.forward(x, w, None, win)
        return y, dense.input_grad(gy, w, x.shape, win), dense.weight_grad(gy, xg, w.shape, win)

    base = run()
    prev = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run()
    finally:
        numba.set_num_threads(prev)
    for a, b in zip(base, one):
        assert np.array_equal(a, b)
    monkeypatch.setattr(dense, "_TILE", 7)
    small = run()
    for a, b in zip(base[:2], small[:2]):
        assert np.array_equal(a, b)   # the same sums, only split differently
    monkeypatch.setattr(dense, "_CHUNK", 16)
    monkeypatch.setattr(dense, "_MAX_CHUNKS", 5)
    chunked = run()[2]
    # more partial sums: equal up to float32 rounding, against the float64 product
    ref = dense.weight_grad(gy.astype(np.float64),
                            dense.forward(x.astype(np.float64), w.astype(np.float64), None,
                                          win)[1], w.shape, win)
    np.testing.assert_allclose(chunked, ref, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(base[2], ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("cfg", [
    # (N, C, H, W, kernel, stride, pad, dilation)
    (1, 3, 7, 9, (3, 3), (1, 1), (1, 1), (1, 1)),
    (4, 5, 8, 8, (3, 3), (1, 1), (0, 0), (1, 1)),
    (3, 2, 11, 6, (5, 3), (1, 1), (2, 2), (2, 1)),
    (2, 4, 9, 9, (3, 3), (2, 2), (1, 1), (1, 1)),  # strided: cpad and coutput only
])
def test_channel_major_layouts_are_the_numpy_reference_bit_for_bit(dtype, cfg):
    """Window.to_cgrid / from_cgrid / cpad / coutput through the compiled layout kernels
    (stride-1 2-D grids, any canvas) against their NumPy code."""
    from glassnet.ops.kernels import _threads
    from glassnet.ops.window import Window

    n, c, h, w, k, s, p, d = cfg
    out = tuple((i + 2 * pp - dd * (kk - 1) - 1) // ss + 1
                for i, pp, dd, kk, ss in zip((h, w), p, d, k, s))
    win = Window.cached((h, w), out, k, s, p, d)
    rng = np.random.default_rng(10)
    x = rng.standard_normal((n, c, h, w)).astype(dtype)
    gy = rng.standard_normal((n, 6) + out).astype(dtype)
    bias = rng.standard_normal(6).astype(dtype)

    def layouts():
        g = win.to_cgrid(x)
        canvas = win.cpad(gy)
        return [g, win.from_cgrid(g * 2, n), canvas, win.coutput(canvas, n),
                win.coutput(canvas, n, bias)]

    fast = layouts()
    with _threads.disabled():
        ref = layouts()
    for a, b in zip(fast, ref):
        assert a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b)
    assert np.array_equal(fast[4], gy + bias.reshape(-1, 1, 1))
    if s == (1, 1):
        assert np.array_equal(fast[1], 2 * x)  # every input pixel lies in the grid


def test_the_inner_loops_get_contiguous_slices():
    """The helpers that hand the inner loops their slices must return arrays numba types
    as contiguous ('C'): a row of a 2-D slice (``gyc[o:o + 2, a:b][0]``) is typed 'A',
    and then the sums no longer vectorise (the weight gradient ran 6x slower while every
    value stayed right)."""
    numba = pytest.importorskip("numba")
    from glassnet.ops.kernels import _dense_numba as k

    def returned(helper, *args):
        f = numba.njit(helper.py_func)  # a fresh, uncached compile: its types are visible
        f(*args)
        ty = f.nopython_signatures[0].return_type
        return [t for t in getattr(ty, "types", (ty,)) if isinstance(t, numba.types.Array)]

    for dt in (np.float32, np.float64):
        rows = np.zeros((4, 64), dtype=dt)
        runs = np.zeros(2, dtype=np.int64), np.full(2, 16, dtype=np.int64)
        arrays = (returned(k._wgrad_chunk, rows, 3, 2, 1, 20, 50)
                  + returned(k._cleared, rows, *runs, 1)
                  + returned(k._slices9, rows[1], np.arange(9, dtype=np.int64), 8))
        assert len(arrays) == 2 + 4 + 9
        assert [a.layout for a in arrays] == ["C"] * len(arrays)
        assert {a.dtype for a in arrays} == {numba.from_dtype(dt)}
