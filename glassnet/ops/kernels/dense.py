"""Direct dense 2-D convolution, compiled with numba (all three passes), for layers
where a GEMM has too little to do per byte it streams (few channels; on AMD CPUs, where
MKL runs its generic paths, most layers: see ``glassnet.ops._conv_engine``).

At ResNet-20's widths (16-64 channels) every GEMM formulation of a convolution is
memory-bound: the shifted GEMMs of ``glassnet.ops._conv_engine`` multiply a 16 x 16
tap matrix into each column of the batch, nine times, and OpenBLAS packs and streams
every column each time (about 30 GFLOPS on this machine's 2 cores); im2col writes and
reads a column buffer nine times the input. These kernels instead keep a tile of output
rows in L1 and run all taps and input channels over it:

    forward      y[n, o, oh, ow] = b[o] + sum_{c,i,j} w[o, c, i, j] xpad[n, c, oh + i*dh, ow + j*dw]
    input grad   the forward of the padded output gradient with the flipped, transposed
                 weight ``w[:, :, ::-1, ::-1].swapaxes(0, 1)`` and padding (k-1)*d - p
    weight grad  gw[o, c, i, j] = sum_{n,oh,ow} gy[n, o, oh, ow] xpad[n, c, oh + i*dh, ow + j*dw]

The input is copied once into flat zero-padded planes whose rows share their padding
(pitch ``wq = W + max(pad_left, pad_right)``, as ``Window.to_cgrid`` does), so tap
``(i, j)`` of a run of output rows is one contiguous slice at offset ``i*dh*wq + j*dw``.
Work is split into runs of output positions (forward) and fixed chunks (weight gradient,
partial sums added in a fixed order), so nothing races and the result does not depend on
the number of threads. Strided layers run on their stride phases (see the section
below). Only ``groups == 1``; :func:`supports` says whether a layer qualifies.
``tests/ops/test_conv_direct.py`` checks these kernels against torch and by finite
differences, on strides, paddings, dilations and kernel sizes.
"""
from __future__ import annotations

import functools

import numpy as np

from glassnet.ops.kernels import _threads as pool
from glassnet.ops.kernels._threads import LOCK as _LOCK

__all__ = ["available", "supports", "forward", "backward", "input_grad", "weight_grad"]

_build = pool.loader("_dense_numba")

_TILE = 2048        # output positions per forward task (4 channels x 2048: 32 KiB)
_CHUNK = 2048       # positions per partial sum of the weight gradient ...
_MAX_CHUNKS = 64    # ... at most this many partial sums


def available() -> bool:
    """True when numba imports (the kernels compile on first call)."""
    return _build() is not None


def supports(x, w, groups, win) -> bool:
    """Whether these kernels run this layer: 2-D, ``groups == 1``, NumPy float32/float64
    (any stride, padding and dilation)."""
    return (not pool.is_disabled() and win is not None and win.nd == 2 and groups == 1
            and type(x) is np.ndarray
            and type(w) is np.ndarray and x.dtype == w.dtype
            and x.dtype in (np.float32, np.float64) and available())


def _geometry(win):
    """``(wq, rows, reach, offs)`` of the input's flat planes: row pitch (the input row
    plus the larger of its two paddings, since rows share their zeros; at least the
    output row), rows per plane, flat offset of the last tap and of each tap (row-major
    ``(i, j)``).

    Images share their padding rows the same way: the bottom padding of image n is the
    top padding of image n + 1 (the last image's is the planes' zero tail), so a plane
    has ``pt + H`` rows plus what the bottom padding needs beyond ``pt`` (and at least
    the output's rows). At ResNet's 8x8 planes that is 81 canvas positions per 64
    outputs instead of 90."""
    (h, w), (ho, wo) = win.in_size, win.out_size
    (pt, pl), (kh, kw), (dh, dw) = win.pad, win.kernel, win.dilation
    pr = max(0, wo + dw * (kw - 1) - pl - w)
    pb = max(0, ho + dh * (kh - 1) - pt - h)
    wq = max(w + max(pl, pr), wo)
    offs = np.array([i * dh * wq + j * dw for i in range(kh) for j in range(kw)],
                    dtype=np.int64)
    return wq, max(pt + h + max(0, pb - pt), ho), int(offs[-1]), offs


def _run(xg, wq, plane, offs, wt, bias, out, origin=(0, 0)):
    """The forward kernel on prepared planes; ``wt``: (O, C, T); ``origin``: the canvas
    row and column of ``out[..., 0, 0]``."""
    o, c, t = wt.shape
    o4 = -(-o // 4) * 4
    if o4 != o:
        wt = np.concatenate([wt, np.zeros((o4 - o, c, t), dtype=wt.dtype)])
    starts, lens, ptr = _runs(out.shape[0], plane, wq, origin[0],
                              origin[0] + out.shape[2], _TILE)
    k = _build()
    kernel = k.conv3x3 if t == 9 else k.conv_taps
    with _LOCK:
        kernel(xg, np.ascontiguousarray(wt), offs, bias, out, wq, plane, starts, lens, ptr,
               *origin)
    return out


@functools.lru_cache(maxsize=256)
def _runs(n, plane, wq, r0, r1, tile):
    """``(starts, lens, ptr)``: the canvas positions the forward kernel computes, as runs
    of at most ``tile`` positions, grouped into tasks (group g: runs ``ptr[g] ..
    ptr[g+1] - 1``). Output rows ``r0 .. r1 - 1`` of each of the ``n`` planes hold
    outputs; where the other rows are a quarter of the plane or more (a valid 5x5
    convolution: LeNet's 14x14 -> 10x10 computes 140 of 196 positions) each image's run
    of output rows is computed alone, a task taking as many whole runs as fill a tile;
    otherwise tiles cut the whole canvas, rows without outputs included."""
    m = n * plane
    first, last = r0 * wq, min(plane, r1 * wq)
    length = last - first
    if 4 * length > 3 * plane:
        starts = np.arange(0, m, tile, dtype=np.int64)
        lens = np.minimum(tile, m - starts)
        ptr = np.arange(len(starts) + 1, dtype=np.int64)
    else:
        pieces = -(-length // tile)  # runs per image
        offsets = np.arange(pieces, dtype=np.int64) * tile
        starts = (np.arange(n, dtype=np.int64)[:, None] * plane + first
                  + offsets[None, :]).ravel()
        lens = np.tile(np.minimum(tile, length - offsets), n)
        per = max(1, tile // length) if pieces == 1 else 1  # runs per task
        ptr = np.append(np.arange(0, len(starts), per, dtype=np.int64), len(starts))
    for a in (starts, lens, ptr):
        a.flags.writeable = False
    return starts, lens, ptr


def forward(x, w, b, win):
    """``(N, C, H, W)`` * ``(O, C, kh, kw)`` (+ ``b``) -> ``(y, xg)``: the contiguous
    ``(N, O, Ho, Wo)`` output and the padded planes that :func:`weight_grad` reads."""
    if win.stride != (1, 1):
        return _forward_strided(x, w, b, win)
    wq, rows, reach, offs = _geometry(win)
    xg = _planes(np.asarray(x), x.shape[1], 0, rows, wq, *win.pad, reach)
    o = w.shape[0]
    bias = (np.zeros(o, dtype=x.dtype) if b is None
            else np.ascontiguousarray(b, dtype=x.dtype))
    out = np.empty((x.shape[0], o) + win.out_size, dtype=x.dtype)
    _run(xg, wq, rows * wq, offs, w.reshape(o, w.shape[1], -1), bias, out)
    return out, xg


def input_grad(gy, w, x_shape, win):
    """Gradient with respect to the input: ``(N, C, H, W)``."""
    return backward(gy, w, None, x_shape, win, True, False)[0]


def weight_grad(gy, xg, w_shape, win):
    """Gradient with respect to the weight, from the planes ``xg`` of :func:`forward`."""
    return backward(gy, None, xg, None, win, False, True)[1]


def backward(gy, w, xg, x_shape, win, need_input, need_weight):
    """``(gx, gw)`` (None where not needed) for the output gradient ``gy``.

    ``gy`` is copied once, into canvases laid out like the input's planes (pitch ``wq``,
    ``plane`` per image, zero wherever the forward computed no output) after ``reach``
    leading zeros. The weight gradient reads them from ``reach`` on; the input gradient
    is the forward kernel over them with the taps flipped (position ``P`` of the input's
    planes gathers ``gy`` at ``P - offs[t]``, i.e. at ``reach - offs[t] = offs[T-1-t]``
    past the leading zeros), cropped to the unpadded input."""
    if win.stride != (1, 1):
        return _backward_strided(gy, w, xg, win, need_input, need_weight)
    n, o = gy.shape[:2]
    wq, rows, reach, offs = _geometry(win)
    plane = rows * wq
    o2 = o + (o & 1)
    gc = _planes(gy, o2, reach, rows, wq, 0, 0, reach)
    gx = gw = None
    if need_input:
        c = w.shape[1]
        wf = w.reshape(o, c, -1)[:, :, ::-1].transpose(1, 0, 2)  # (C, O, T), taps flipped
        gx = _run(gc, wq, plane, offs, wf, np.zeros(c, dtype=gy.dtype),
                  np.empty((n, c) + win.in_size, dtype=gy.dtype), win.pad)
    if need_weight:
        gw = _weight_grad(gc, reach, xg, offs, n * plane)
        gw = gw[:o].reshape((o, xg.shape[0]) + win.kernel)
    return gx, gw


def _weight_grad(gc, lead, xg, offs, m):
    """``(O2, C, T)``: the weight-gradient kernel over the ``m`` canvas positions of
    ``gc`` (from ``lead`` on), in equal chunks fixed by the shape alone (not the
    threads), the chunks' partial sums added in a fixed order."""
    chunks = min(_MAX_CHUNKS, -(-m // _CHUNK))
    part = np.empty((chunks, gc.shape[0], xg.shape[0], len(offs)), dtype=gc.dtype)
    k = _build()
    kernel = k.weight_grad3x3 if len(offs) == 9 else k.weight_grad_taps
    with _LOCK:
        kernel(gc, lead, m, xg, offs, part, gc.dtype.type(0))
    gw = part[0].copy()
    for k in range(1, chunks):
        gw += part[k]
    return gw


# -- stride > 1: the stride phases -----------------------------------------------------
# With stride s, tap (i, j) of output (oh, ow) reads xpad[s*oh + i*dh, s*ow + j*dw], that
# is phase ((i*dh) % s, (j*dw) % s) of the padded input (xpad[s*a + p, s*b + q]) at
# (oh + (i*dh) // s, ow + (j*dw) // s). With the phases laid out one after the other,
# each as planes of ``rows x wq`` per image over the whole batch (to_phase_planes), a
# tap is again one contiguous slice at a fixed offset (phase * N * plane + row shift *
# wq + column shift) from the output's canvas position, and the stride-1 kernels run
# unchanged: the forward and the weight gradient on all taps (sorted by offset, the
# largest last), the input gradient once per phase on that phase's taps only (the
# phase's input positions are a strided view of the gradient).
def _strided_geometry(win, n):
    """``(wq, rows, taps)`` of the phase planes: row pitch, rows per image (every output
    and every input position, plus the zero rows and columns that the largest tap shift
    reads past an image), and per tap ``(flat offset, phase, shift, tap index)`` sorted by
    offset."""
    (h, w), (ho, wo) = win.in_size, win.out_size
    (pt, pl), (kh, kw), (dh, dw), (sh, sw) = win.pad, win.kernel, win.dilation, win.stride
    amax, bmax = (kh - 1) * dh // sh, (kw - 1) * dw // sw
    rows = max(ho + amax, (h - 1 + pt) // sh + 1)
    wq = max(wo + bmax, (w - 1 + pl) // sw + 1)
    block = n * rows * wq
    taps = []
    for i in range(kh):
        for j in range(kw):
            phase = (i * dh % sh) * sw + j * dw % sw
            shift = (i * dh // sh) * wq + j * dw // sw
            taps.append((phase * block + shift, phase, shift, i * kw + j))
    taps.sort()
    return wq, rows, taps


def _phase_planes(x, win, rows, wq, tail):
    n, c = x.shape[:2]
    (sh, sw), (pt, pl) = win.stride, win.pad
    dst = np.empty((c, sh * sw * n * rows * wq + tail), dtype=x.dtype)
    with _LOCK:
        _build().to_phase_planes(np.ascontiguousarray(x), dst, sh, sw, rows, wq, pt, pl)
    return dst


def _forward_strided(x, w, b, win):
    n, c = x.shape[:2]
    o = w.shape[0]
    wq, rows, taps = _strided_geometry(win, n)
    offs = np.array([t[0] for t in taps], dtype=np.int64)
    order = [t[3] for t in taps]
    xg = _phase_planes(np.asarray(x), win, rows, wq, max(t[2] for t in taps))
    bias = (np.zeros(o, dtype=x.dtype) if b is None
            else np.ascontiguousarray(b, dtype=x.dtype))
    out = np.empty((n, o) + win.out_size, dtype=x.dtype)
    _run(xg, wq, rows * wq, offs, w.reshape(o, c, -1)[:, :, order], bias, out)
    return out, xg


def _backward_strided(gy, w, xg, win, need_input, need_weight):
    n, o = gy.shape[:2]
    wq, rows, taps = _strided_geometry(win, n)
    plane = rows * wq
    lead = max(t[2] for t in taps)
    o2 = o + (o & 1)
    gc = _planes(gy, o2, lead, rows, wq, 0, 0, lead)
    gx = gw = None
    if need_input:
        c = w.shape[1]
        (sh, sw), (pt, pl) = win.stride, win.pad
        gx = np.empty((n, c) + win.in_size, dtype=gy.dtype)
        wr = w.reshape(o, c, -1)
        for phase in range(sh * sw):
            p, q = divmod(phase, sw)
            h0, w0 = (p - pt) % sh, (q - pl) % sw  # first input row / column of the phase
            view = gx[:, :, h0::sh, w0::sw]
            if view.size == 0:
                continue
            mine = sorted((lead - t[2], t[3]) for t in taps if t[1] == phase)
            if not mine:  # no tap reads these positions
                view[...] = 0
                continue
            offs = np.array([m[0] for m in mine], dtype=np.int64)
            wf = wr[:, :, [m[1] for m in mine]].transpose(1, 0, 2)  # (C, O, taps)
            _run(gc, wq, plane, offs, wf, np.zeros(c, dtype=gy.dtype), view,
                 ((h0 + pt - p) // sh, (w0 + pl - q) // sw))
    if need_weight:
        offs = np.array([t[0] for t in taps], dtype=np.int64)
        gs = _weight_grad(gc, lead, xg, offs, n * plane)
        gw = np.empty_like(gs)
        gw[:, :, [t[3] for t in taps]] = gs
        gw = gw[:o].reshape((o, xg.shape[0]) + win.kernel)
    return gx, gw


def _planes(x, channels, lead, rows, wq, pt, pl, tail):
    """``x`` (N, C, H, W) on ``channels`` (>= C; the extra ones zero) flat planes of
    ``rows x wq`` values, ``x`` at row ``pt`` and column ``pl`` of each, after ``lead``
    and before ``tail`` zeros: one parallel pass (the kernel ``to_planes``)."""
    n, c, h, w = x.shape
    dst = np.empty((channels, lead + n * rows * wq + tail), dtype=x.dtype)
    with _LOCK:
        _build().to_planes(np.ascontiguousarray(x), dst, lead, rows, wq, pt, pl)
    return dst


def flat_planes(x, rows, wq, pt, pl, tail=0):
    """``x`` (N, C, H, W) as channel-major flat planes ``(C, N*rows*wq + tail)`` (see
    :func:`_planes`), or None when the kernels do not take ``x`` (the caller's NumPy
    code then runs): the layout of the shifted-GEMM engine's stride-1 grids too."""
    if not _plain(x):
        return None
    return _planes(x, x.shape[1], 0, rows, wq, pt, pl, tail)


def from_flat_planes(src, n, h, w, rows, wq, pt, pl, bias=None):
    """The adjoint of :func:`flat_planes`: ``(C, ...)`` flat planes -> a new ``(n, C, h,
    w)`` array (+ ``bias`` per channel; zero past a plane's edge), or None when the
    kernels do not take these arrays."""
    if not (_plain(src) and src.ndim == 2 and src.flags.c_contiguous
            and (bias is None or (_plain(bias) and bias.dtype == src.dtype))):
        return None
    out = np.empty((n, src.shape[0], h, w), dtype=src.dtype)
    b = np.zeros(1, src.dtype) if bias is None else np.ascontiguousarray(bias)
    with _LOCK:
        _build().from_planes(src, out, b, bias is not None, 0, rows, wq, pt, pl)
    return out


def _plain(x) -> bool:
    return (type(x) is np.ndarray and x.dtype in (np.float32, np.float64)
            and not pool.is_disabled() and available())
