"""The convolution engine behind :mod:`glassnet.ops.conv`: the shifted-GEMM kernels
and the choice of algorithm per layer (``ALGORITHMS``, :class:`use_algorithm`,
:func:`choose_algorithm`; re-exported by ``glassnet.ops.conv``)."""
from __future__ import annotations

import math

import numpy as np


def _is_depthwise(w, groups):
    return w.shape[1] == 1 and groups > 1


# -----------------------------------------------------------------------------
# The shifted-GEMM engine: no column buffer. On the channel-major grid, tap t of the
# whole batch is the 2-D window g[:, phase_t, off_t : off_t + M] (M = N * cplane), so
#   output      y          = sum_t W_t @ window_t            (C/G -> O/G rows per group)
#   input grad  window_t  += W_t^T @ gy
#   weight grad gW_t       = gy @ window_t^T
# each a GEMM that accumulates in place (BLAS beta = 1, see glassnet.ops._blas). The
# batch axis is cut into column chunks so that the accumulated block stays in cache
# across the taps.
# -----------------------------------------------------------------------------
_CHUNK_BYTES = 4 << 20


def _chunks(m, rows, itemsize):
    step = max(4096, _CHUNK_BYTES // max(1, rows * itemsize))
    return [(s, min(m, s + step)) for s in range(0, m, step)]


def _tap_weights(w, groups, ntaps):
    """``(O, C/G, *k)`` -> contiguous ``(T, O, C/G)``: tap t's ``(O, C/G)`` matrix."""
    o, cg = w.shape[:2]
    return np.ascontiguousarray(w.reshape(o, cg, ntaps).transpose(2, 0, 1))


def _shift_apply(g, w, win, groups, n):
    """Output canvas ``(O, N*cplane)`` of the convolution of channel-major grid ``g``."""
    c = g.shape[0]
    o = w.shape[0]
    cg, og = c // groups, o // groups
    m = win.ccols(n)
    wt = _tap_weights(w, groups, win.ntaps)
    y = np.empty((o, m), dtype=g.dtype)
    if _on_pool("apply", wt, g, y, win, groups, cg, og, m) is not None:
        return y
    gemm = _gemm()
    for s, e in _chunks(m, cg + og, g.itemsize):
        for gi in range(groups):
            gc, go = slice(gi * cg, (gi + 1) * cg), slice(gi * og, (gi + 1) * og)
            for t, (ph, off) in enumerate(win.ctaps):
                gemm(wt[t, go], g[gc, ph, s + off:e + off], y[go, s:e],
                     beta=0.0 if t == 0 else 1.0)
    return y


def _shift_adjoint(yc, w, win, groups, in_channels, n):
    """Channel-major input-grid gradient of :func:`_shift_apply` for canvas ``yc``."""
    o = w.shape[0]
    cg, og = in_channels // groups, o // groups
    m = win.ccols(n)
    wt = _tap_weights(w, groups, win.ntaps)
    gq = np.zeros((in_channels, win.nphase, m + win.maxoff), dtype=yc.dtype)
    if _on_pool("adjoint", wt, yc, gq, win, groups, cg, og, m) is not None:
        return gq
    gemm = _gemm()
    for s, e in _chunks(m, cg + og, yc.itemsize):
        for gi in range(groups):
            gc, go = slice(gi * cg, (gi + 1) * cg), slice(gi * og, (gi + 1) * og)
            for t, (ph, off) in enumerate(win.ctaps):
                gemm(wt[t, go], yc[go, s:e], gq[gc, ph, s + off:e + off], trans_a=True,
                     beta=1.0)
    return gq


def _shift_weight_grad(yc, g, w_shape, win, groups, n):
    """Weight gradient of :func:`_shift_apply`: ``gW_t = gy @ window_t^T``."""
    o, cg = w_shape[:2]
    og = o // groups
    m = win.ccols(n)
    # NOTE: the garbage canvas positions of the windows hold real pixels, but ``yc`` is
    # zero there, so they add nothing.
    gw = _on_pool("weight", yc, g, None, win, groups, cg, og, m)
    if gw is None:
        gemm = _gemm()
        gw = np.zeros((win.ntaps, o, cg), dtype=yc.dtype)
        for s, e in _chunks(m, cg + og, yc.itemsize):
            for gi in range(groups):
                gc, go = slice(gi * cg, (gi + 1) * cg), slice(gi * og, (gi + 1) * og)
                for t, (ph, off) in enumerate(win.ctaps):
                    gemm(yc[go, s:e], g[gc, ph, s + off:e + off], gw[t, go], trans_b=True,
                         beta=1.0)
    return np.ascontiguousarray(gw.transpose(1, 2, 0)).reshape(w_shape)


# The pool version of the three loops above (glassnet.ops.kernels.gemm.taps): one launch
# runs every tap and group of a block of canvas columns in order, blocks in parallel.
# Blocks are cut by the shapes alone (about _POOL_BLOCKS of them, at least 256 columns
# and, for the adjoint, whose taps write up to maxoff columns past their block, at least
# maxoff: its even blocks run, then its odd ones); the weight gradient sums one partial
# gradient per block.
_POOL_BLOCKS = 8


def _on_pool(kind, a, b, c, win, groups, cg, og, m):
    """Run ``kind`` ('apply', 'adjoint', 'weight') on the pool and return its result
    (``c``, the output written in place; for 'weight' the new gradient ``(T, O, C/G)``),
    or None when the pool does not take it."""
    from glassnet.ops import _blas
    from glassnet.ops.kernels import gemm as pooled

    if not pooled.available() or type(a) is not np.ndarray or type(b) is not np.ndarray:
        return None
    dt = a.dtype
    isz = dt.itemsize
    fn, wide = _blas.cblas(dt)
    taps = win.ctaps
    ntaps, o = len(taps), og * groups
    step = max(256, win.maxoff if kind == "adjoint" else 0, -(-m // _POOL_BLOCKS))
    step = -(-step // 16) * 16
    items = [(gi, t, ph, off) for gi in range(groups) for t, (ph, off) in enumerate(taps)]
    gi_, t_, ph_, off_ = (np.array(v, dtype=np.int64) for v in zip(*items))
    trans, none = 112, 111
    if kind == "apply":  # y[go, s:e] (+)= W_t[go] @ g[gc, ph, s+off : e+off]
        wt, g, y = a, b, c
        args = dict(ta=none, tb=none, m=og, n=0, k=cg, a=wt, lda=cg,
                    aoffs=(t_ * o + gi_ * og) * cg * isz, b=g, ldb=g.strides[0] // isz,
                    boffs=gi_ * cg * g.strides[0] + ph_ * g.strides[1] + off_ * isz,
                    c=y, ldc=m, coffs=gi_ * og * m * isz,
                    betas=np.where(t_ == 0, 0, 1).astype(dt), cols=(0, isz, isz, 0),
                    split_k=False, phases=1)
    elif kind == "adjoint":  # gq[gc, ph, s+off : e+off] += W_t[go]^T @ yc[go, s:e]
        wt, yc, gq = a, b, c
        args = dict(ta=trans, tb=none, m=cg, n=0, k=og, a=wt, lda=cg,
                    aoffs=(t_ * o + gi_ * og) * cg * isz, b=yc, ldb=yc.strides[0] // isz,
                    boffs=gi_ * og * yc.strides[0], c=gq, ldc=gq.strides[0] // isz,
                    coffs=gi_ * cg * gq.strides[0] + ph_ * gq.strides[1] + off_ * isz,
                    betas=np.ones(len(items), dt), cols=(0, isz, isz, 0), split_k=False,
                    phases=2)
    else:  # partial[j, t, go] = yc[go, s:e] @ g[gc, ph, s+off : e+off]^T
        yc, g = a, b
        blocks = -(-m // step)
        c = np.empty((blocks, ntaps, o, cg), dtype=dt)
        args = dict(ta=none, tb=trans, m=og, n=cg, k=0, a=yc, lda=yc.strides[0] // isz,
                    aoffs=gi_ * og * yc.strides[0], b=g, ldb=g.strides[0] // isz,
                    boffs=gi_ * cg * g.strides[0] + ph_ * g.strides[1] + off_ * isz,
                    c=c, ldc=cg, coffs=(t_ * o + gi_ * og) * cg * isz,
                    betas=np.zeros(len(items), dt), cols=(isz, isz, 0, ntaps * o * cg * isz),
                    split_k=True, phases=1)
    for name in ("a", "b", "c"):
        x = args[name]
        if not (x.flags.c_contiguous or (x.ndim == 3 and x.strides[2] == isz)):
            return None
        args[name] = x.ctypes.data
    ok = pooled.taps(fn, wide, args["ta"], args["tb"], args["m"], args["n"], args["k"],
                     dt.type(1), args["a"], args["lda"], args["aoffs"], args["b"],
                     args["ldb"], args["boffs"], args["c"], args["ldc"], args["coffs"],
                     args["betas"], np.array(args["cols"], dtype=np.int64), isz,
                     args["split_k"], step, m, args["phases"])
    if not ok:
        return None
    return c.sum(axis=0) if kind == "weight" else c


def _gemm():
    from glassnet.ops._blas import gemm

    return gemm


# -----------------------------------------------------------------------------
# Choosing the algorithm
# -----------------------------------------------------------------------------
ALGORITHMS = ("shift", "winograd", "im2col", "depthwise", "pointwise", "direct")
_forced: list = []

# Winograd F(2x2, 3x3) wins over the shifted GEMM once both channel counts per group are
# large enough for its 16 GEMMs of K = C/G to run near BLAS peak; below that its extra
# transform passes over memory cost more than the 2.25x fewer multiplies save
# (benchmarks/bench_winograd.py; measured on ResNet-20/-18 layer shapes).
WINOGRAD_MIN_CHANNELS = 128

# The direct kernels (glassnet.ops.kernels.dense) beat the shifted GEMMs on narrow
# stride-1 layers; how wide depends on the machine (forward + both gradients, batch 128,
# direct vs shift, ms):
# (The Intel numbers: the earlier benchmark machine, whose model was not recorded; MKL
# beat OpenBLAS on every product there, as it does on Intel CPUs.)
# - Intel CPU, NumPy's OpenBLAS, 1 thread: both channel counts at most 32 (16 -> 16 at
#   32x32 33 vs 55, 32 -> 32 at 16x16 34 vs 40, but 64 -> 64 at 8x8 37 vs 32; LeNet's
#   5x5 layers 4.7 vs 11 and 8 vs 17).
# - Intel CPU, Intel MKL making the products (glassnet.ops._blas.IS_MKL), 2 threads: the
#   shifted GEMMs win from 16 input channels on (16 -> 16 at 32x32 19.0 vs 16.1, 32 -> 32
#   at 16x16 16.8 vs 11.7, 64 -> 64 at 8x8 16.8 vs 10.8; but 3 -> 16 at 32x32 5.0 vs 8.9,
#   LeNet's 1 -> 6 and 6 -> 16 5x5 2.4 vs 2.9 and 3.1 vs 4.3).
# - AMD CPU (Zen 4), MKL or OpenBLAS, 2 threads: MKL takes its slower generic paths on
#   AMD, and the direct kernels beat the shifted GEMMs at every width measured, up to
#   512 channels (16 -> 16 at 32x32 18.9 vs 30.2, 32 -> 32 at 16x16 14.4 vs 17.4,
#   64 -> 64 at 8x8 15.3 vs 16.9, 64 -> 128 at 4x4, batch 32: 3.0 vs 4.3; ResNet-20
#   training about 250 -> 360 img/s; inference, batch 8: 64 -> 64 at 56x56 14.5 vs 20.2,
#   512 -> 512 at 7x7 19.0 vs 22.4); Winograd, tried first, keeps the layers of 128 or
#   more channels on both sides.
#   Strided layers run on their stride phases (glassnet.ops.kernels.dense); measured on
#   AMD only (stride 2, direct vs shift vs im2col, ms): training, batch 128, 16 -> 32 at
#   32x32 13.3 / 16.0 / 30.9, 32 -> 64 at 16x16 11.3 / 13.1 / 20.5; inference, batch 8,
#   64 -> 128 at 56x56 8.5 / 10.2 / 10.6, 128 -> 256 at 28x28 7.4 / 8.2 / 7.9, the
#   stems 3 -> 32 3x3 at 224x224 3.1 / 6.1 / 7.4 and 3 -> 64 7x7 18.0 (11.5 with the
#   eight-tap loops) / 26.5 / 25.1; but
#   256 -> 512 at 14x14 9.8 / 9.1 / 8.4: up to 128 input channels.
# (max input channels, max output channels) per case:
DIRECT_MAX_CHANNELS = 32
DIRECT_MAX_INPUT_CHANNELS_MKL = 8
DIRECT_MAX_CHANNELS_AMD = 512
DIRECT_MAX_INPUT_CHANNELS_AMD_STRIDED = 128


class use_algorithm:
    """Context manager forcing the convolution algorithm (tests, benchmarks).

    ``with use_algorithm("im2col"): ...`` runs every conv / conv-transpose built inside
    with that algorithm; an algorithm that cannot run a given layer (``"shift"`` without
    a CBLAS, ``"winograd"`` on anything but a stride-1, dilation-1, symmetrically padded
    3x3 2-D convolution, ``"depthwise"`` on a non-depthwise layer, ``"pointwise"`` on
    anything but an ungrouped, unpadded 1x1 (or whole-input) convolution, ``"direct"`` on
    anything but an ungrouped 2-D convolution on NumPy float arrays with numba installed)
    raises ValueError.
    """

    def __init__(self, name: str):
        if name not in ALGORITHMS:
            raise ValueError(f"use_algorithm: name must be one of {ALGORITHMS}, got "
                             f"{name!r}")
        self.name = name

    def __enter__(self):
        _forced.append(self.name)
        return self

    def __exit__(self, *exc):
        _forced.pop()


def _shift_ok(x, w):
    from glassnet.ops._blas import AVAILABLE

    return (AVAILABLE and isinstance(x, np.ndarray) and isinstance(w, np.ndarray)
            and x.dtype == w.dtype and x.dtype in (np.float32, np.float64))


def _winograd_ok(x, w, win):
    """A 2-D (not 1-D) stride-1, dilation-1 3x3 conv with the same padding on both sides."""
    if win is None or win.nd != 2:
        return False
    return (isinstance(x, np.ndarray) and isinstance(w, np.ndarray) and x.dtype == w.dtype
            and x.dtype in (np.float32, np.float64) and win.kernel == (3, 3)
            and win.stride == (1, 1) and win.dilation == (1, 1)
            and all(o == i + 2 * p - 2 for o, i, p in zip(win.out_size, win.in_size, win.pad)))


def choose_algorithm(x, w, groups, win=None, transposed=False) -> str:
    """The algorithm a convolution of array ``x`` with weight ``w`` runs with.

    ``win`` is the layer's :class:`Window` (needed to consider Winograd, which only the
    forward convolution uses, not the transposed one).
    """
    depthwise = _is_depthwise(w, groups)
    if _forced:
        name = _forced[-1]
        if name == "depthwise" and not depthwise:
            raise ValueError(f"use_algorithm: 'depthwise' needs a depthwise layer (one "
                             f"input channel per group), got weight {w.shape} with "
                             f"groups={groups}")
        if name == "shift" and not _shift_ok(x, w):
            raise ValueError("use_algorithm: 'shift' needs NumPy float32/float64 arrays and "
                             "a CBLAS (glassnet.ops._blas.AVAILABLE)")
        if name == "winograd" and (transposed or not _winograd_ok(x, w, win)):
            raise ValueError("use_algorithm: 'winograd' needs a 2-D stride-1, dilation-1 "
                             "3x3 convolution (not transposed) padded equally on both "
                             "sides, on NumPy float32/float64 arrays")
        if name == "pointwise" and (transposed or not _pointwise_ok(x, w, groups, win)):
            raise ValueError(f"use_algorithm: 'pointwise' needs an ungrouped, unpadded 1x1 "
                             f"convolution or one whose single window is the whole input "
                             f"(not transposed), got weight {w.shape} with groups={groups}")
        if name == "direct" and (transposed or not _direct_ok(x, w, groups, win)):
            raise ValueError(f"use_algorithm: 'direct' needs an ungrouped 2-D convolution "
                             f"(not transposed) on NumPy float32/float64 arrays, "
                             f"with numba installed; got weight {w.shape} with "
                             f"groups={groups}")
        return name
    if depthwise:
        return "depthwise"
    if not transposed and _pointwise_ok(x, w, groups, win):
        return "pointwise"
    if (not transposed and _winograd_ok(x, w, win) and w.shape[1] >= WINOGRAD_MIN_CHANNELS
            and w.shape[0] // groups >= WINOGRAD_MIN_CHANNELS):
        return "winograd"
    max_in, max_out = _direct_limits(win)
    if (not transposed and w.shape[1] <= max_in and w.shape[0] <= max_out
            and not _mostly_garbage(win) and _direct_ok(x, w, groups, win)):
        return "direct"
    if not transposed and (_few_input_channels(w, groups) or _mostly_garbage(win)):
        return "im2col"
    return "shift" if _shift_ok(x, w) else "im2col"


def _direct_limits(win) -> tuple[int, int]:
    """``(max input channels, max output channels)`` of the layers the direct kernels
    take on this machine (see DIRECT_MAX_CHANNELS); strided layers only on AMD, the
    one machine they were measured on against the shifted GEMMs."""
    from glassnet.ops import _blas

    strided = win is not None and any(s != 1 for s in win.stride)
    if _blas.cpu_vendor() == "AuthenticAMD":
        if strided:
            return DIRECT_MAX_INPUT_CHANNELS_AMD_STRIDED, DIRECT_MAX_CHANNELS_AMD
        return DIRECT_MAX_CHANNELS_AMD, DIRECT_MAX_CHANNELS_AMD
    if strided:
        return 0, 0
    if _blas.IS_MKL:
        return DIRECT_MAX_INPUT_CHANNELS_MKL, DIRECT_MAX_CHANNELS
    return DIRECT_MAX_CHANNELS, DIRECT_MAX_CHANNELS


def _mostly_garbage(win) -> bool:
    """The shifted GEMMs compute every canvas position of the padded plane; when the
    output is much smaller (a valid convolution with a large kernel: LeNet's last 5x5
    conv maps 5x5 to 1x1, 25 columns computed per useful one) im2col wins."""
    return win is not None and win.cplane > 2 * int(math.prod(win.out_size))


def _pointwise_ok(x, w, groups, win) -> bool:
    """An ungrouped convolution without padding that is one matrix product on NCHW: a
    1x1 kernel (a GEMM per image), or one window over the whole input (LeNet's last
    conv: a linear layer on the flattened image)."""
    return (win is not None and groups == 1 and not any(win.pad)
            and (whole_window(win) or (
                all(k == 1 for k in win.kernel)
                and all(o == (i - 1) // s + 1
                        for o, i, s in zip(win.out_size, win.in_size, win.stride)))))


def whole_window(win) -> bool:
    """One output position whose window, undilated and unpadded, is the whole input."""
    return (all(o == 1 for o in win.out_size) and tuple(win.kernel) == tuple(win.in_size)
            and all(d == 1 for d in win.dilation) and not any(win.pad))


def _direct_ok(x, w, groups, win) -> bool:
    from glassnet.ops.kernels import dense

    return dense.supports(x, w, groups, win)


# NOTE: the shifted GEMMs have K = C_in/groups; with one or two input channels (the first
# layer of a grey-image net), or a few channels under a large kernel (LeNet's 5x5), they
# are too thin to run near peak, and one im2col GEMM with K = C_in * taps wins (measured,
# 1 thread: 1x28x28 5x5 -> 6: 23 vs 13 ms; 6x14x14 5x5 -> 16: 20 vs 14 ms; 1x8x8 3x3 -> 32:
# 2.1 vs 1.0 ms; but 3x32x32 3x3 -> 16: shift 26 vs 29 ms and 16 channels: 48 vs 105 ms).
def _few_input_channels(w, groups) -> bool:
    cin = w.shape[1]
    taps = int(math.prod(w.shape[2:]))
    return cin <= 2 or (cin <= 8 and taps > 9)


def _winograd():
    from glassnet.ops import _conv_winograd

    return _conv_winograd
