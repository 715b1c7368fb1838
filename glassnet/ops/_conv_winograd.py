"""Winograd minimal-filtering convolution F(m x m, 3 x 3), stride 1, on plain arrays.

Pure NumPy array functions (no Tensor, no autograd) for the three passes of a stride-1,
dilation-1, 3x3 convolution with zero padding and groups; the conv dispatcher in
:mod:`glassnet.ops.conv` chooses when to call them.

- :func:`winograd_conv2d`: ``(N, C, H, W), (O, C/G, 3, 3) -> (N, O, Ho, Wo)``.
- :func:`winograd_conv2d_input_grad`: the forward itself, run on ``gy`` with the flipped,
  transposed kernel and padding ``2 - p`` (a stride-1 conv's adjoint is a stride-1 conv).
- :func:`winograd_conv2d_weight_grad`: the Winograd algorithm F(3 x 3, m x m), which
  correlates input tiles with output-gradient tiles in the same transform domain.

The algorithm (Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks",
CVPR 2016, arXiv:1509.09308). The output is cut into ``m x m`` tiles. Each tile needs an
``a x a`` input tile (``a = m + 2``); neighbouring input tiles overlap by 2. With the
1-D matrices ``B^T (a x a)``, ``G (a x 3)`` and ``A^T (m x a)``,

    Y = A^T [ (G g G^T) .* (B^T d B) ] A,

so one output tile costs ``a*a`` products instead of ``9 m*m``: 16 instead of 36
(2.25x fewer) for F(2x2, 3x3), 36 instead of 144 (4x fewer) for F(4x4, 3x3). Summed
over input channels, the ``a*a`` elementwise products become ``a*a`` GEMMs (one per
transform position, batched by ``np.matmul``):

    M[p] = U[p] @ V[p],   U: (a*a*G, O/G, C/G),   V: (a*a*G, C/G, N*tiles).

Layout. The padded input is copied channel-major, ``(C, N, Hp, Wp)``, and transformed
rows first, then columns, each a short fixed sequence of whole-array ufunc calls on
strided views (``np.subtract(d0, d2, out=v0)`` ...; no Python loop over batch, channels
or pixels), straight into ``V`` laid out ``(a, a, C, N, tiles_h, tiles_w)``, which *is*
the GEMM operand. The output transform reads ``M`` the same way and writes the tiles
into the NCHW output through a strided view. The batch is processed in chunks of
samples, sized so that one chunk's transform buffers stay in cache; the buffers are
allocated once per call and reused by every chunk.

Weight gradient. The forward is the trilinear form ``T(gy, g, d) = sum_i gy_i g_k
d_{i+k} = sum_p (A gy)_p (G g)_p (B^T d)_p`` (1-D; 2-D is the tensor product). Its
derivative in ``g`` is ``dT/dg = G^T [(A gy) .* (B^T d)]``: transform the ``m x m``
output-gradient tiles with ``A`` (``a x m``), the input tiles with the forward's ``B^T``,
reduce their product over batch and tiles with one GEMM per position,

    P[p] = W[p] @ V[p]^T,   W: (a*a*G, O/G, N*tiles),

and map ``P`` back with ``G^T``: ``gw = G^T P G``. (This is Winograd's F(3, m) derived
by transposition; tiles beyond the output hold zero gradient, so the garbage input
they read contributes nothing.)

Accuracy (float32 data of unit scale, max |error| / max |reference| against a float64
direct conv, on the ResNet-20/-18 layer shapes; benchmarks/bench_winograd.py prints it):

- F(2x2, 3x3), points 0, +-1, inf (entries 0, +-1, +-1/2): 2e-7 to 7e-7 in all three
  passes, as accurate as the direct method (torch's float32 conv: 5e-7 to 1e-5 here).
- F(4x4, 3x3), points 0, +-1, +-2, inf (entries up to 8 in A^T, 1/24 in G): 4e-6 to
  1.1e-5, about 15x the F(2x2) error, growing slowly with the channel count. The points
  0, +-1, +-1/2, inf were measured too: 20% lower max error, the same RMS error
  (2e-6), so the standard matrices stay.

The tests bound the error at 5e-6 (m=2) and 5e-5 (m=4).
"""
from __future__ import annotations

import numpy as np

from glassnet.ops._blas import product
from glassnet.ops._winograd_transforms import (  # noqa: F401  (winograd_matrices re-exported)
    _MATRICES, _PROGRAMS, _SCRATCH, _Workspace, winograd_matrices)

__all__ = [
    "winograd_matrices",
    "winograd_conv2d",
    "winograd_conv2d_input_grad",
    "winograd_conv2d_weight_grad",
]

# Batch chunking. One chunk's transform buffers (V, M and the row-transform buffer)
# stay near _CHUNK_ELEMENTS values (8 MiB of float32, L3-resident), but a chunk has at
# least _MIN_COLUMNS GEMM columns: with many channels the GEMMs dominate and want wide
# operands. Both measured on ResNet shapes in benchmarks/bench_winograd.py (2^20 to
# 2^22 were within noise of each other; 2^18 and whole-batch were 1.5-2x slower for
# 16-64 channels).
_CHUNK_ELEMENTS = 1 << 20
_MIN_COLUMNS = 256


# -----------------------------------------------------------------------------
# Stages. Arrays are phase-major, then channel-major, on a tile canvas: the tiles of
# one (channel, sample) plane are ``th`` rows of ``wq = tw + 1`` tiles, flattened to
# ``L = th * wq``. The last tile of each row is garbage (it reads into the next row),
# so that a tap over all tiles of all planes is ONE contiguous run and every ufunc
# call below runs over a few long blocks: numpy pays ~50 ns per inner-loop run, so a
# pass over runs of 16-256 values is 2-6x slower than over one contiguous block
# (measured). The garbage tiles cost wq/tw extra GEMM work and are never written to
# the output; in the weight gradient their output-gradient tiles are zero.
# -----------------------------------------------------------------------------
def _phase_copy(dst, src, pads, m):
    """Zero-padded, phase-split, channel-major copy of ``src``.

    ``dst[ri, rj, c, n, p, q] = src_padded[n, c, p*m + ri, q*m + rj]`` with
    ``dst: (m, m, C, n, Hq, Wq)``, ``src: (n, C, H, W)`` and ``pads = (top, left)`` (a
    negative pad drops leading rows/columns). Input tile ``(ti, tj)``, tap ``(k, l)`` is
    then ``dst[k % m, l % m, c, n, ti + k // m, tj + l // m]``. Entries outside the
    source are zeroed (only those); source rows/columns past ``Hq*m``, ``Wq*m`` are
    dropped.
    """
    pt, pl = pads
    hq, wq = dst.shape[4:]
    h, w = src.shape[2:]
    for ri in range(m):
        # padded rows p*m + ri inside [pt, pt + h): p in [p_lo, p_hi)
        p_lo = max(0, -(-(pt - ri) // m))
        p_hi = max(p_lo, min(hq, -(-(pt + h - ri) // m)))
        r_first = p_lo * m + ri - pt
        for rj in range(m):
            q_lo = max(0, -(-(pl - rj) // m))
            q_hi = max(q_lo, min(wq, -(-(pl + w - rj) // m)))
            c_first = q_lo * m + rj - pl
            plane = dst[ri, rj]
            plane[:, :, :p_lo] = 0
            plane[:, :, p_hi:] = 0
            plane[:, :, p_lo:p_hi, :q_lo] = 0
            plane[:, :, p_lo:p_hi, q_hi:] = 0
            if p_hi > p_lo and q_hi > q_lo:
                plane[:, :, p_lo:p_hi, q_lo:q_hi] = src[
                    :, :, r_first:r_first + m * (p_hi - p_lo - 1) + 1:m,
                    c_first:c_first + m * (q_hi - q_lo - 1) + 1:m].transpose(1, 0, 2, 3)


def _input_transform(xq, m, th, ws):
    """Phase-split padded input ``(m, m, C, n, th + 1, wq)`` -> ``V: (a, a, C, n, L)``,
    ``B^T d B`` per tile, ``L = th * wq``."""
    a = m + 2
    c, n = xq.shape[2:4]
    wq = xq.shape[5]
    L = th * wq
    block = c * n * L
    bt = _PROGRAMS[m][0]
    nscr = _SCRATCH[m][0]
    # Rows: T1[xi, rj, c, n, (ti, q)] = sum_k BT[xi, k] xq[k % m, rj, c, n, ti + k // m, q]
    # (runs of L values).
    t1_flat = ws.get("t1", (a * m * block + 1,))
    t1 = t1_flat[:-1].reshape(a, m, c, n, L)
    bt(lambda k: xq[k % m, :, :, :, k // m:k // m + th].reshape(m, c, n, L),
       lambda k: t1[k], ws.scratch("s_row", nscr, (m, c, n, L)))
    # Columns: V[xi, nu, c, n, (ti, tj)] = sum_l BT[nu, l] T1[xi, l % m, c, n, (ti, tj + l // m)]
    # The shift by l // m is a flat offset, so each tap is one run of C*n*L values per
    # xi; the very last one reads one spare value past T1.
    t1_flat[-1] = 0
    isz = t1_flat.itemsize

    def col(k):
        start = (k % m) * block + k // m
        return np.lib.stride_tricks.as_strided(t1_flat[start:], shape=(a, block),
                                               strides=(m * block * isz, isz))

    v = ws.get("v", (a, a, c, n, L))
    vb = v.reshape(a, a, block)
    bt(col, lambda k: vb[:, k], ws.scratch("s_col", nscr, (a, block)))
    return v


def _output_transform(mt, m, ws):
    """``M: (a, a, O, n, L)`` -> output tiles ``A^T M A``, ``(m, m, O, n, L)``."""
    a = m + 2
    o, n, L = mt.shape[2:]
    at = _PROGRAMS[m][1]
    nscr = _SCRATCH[m][1]
    # Columns first (over nu), then rows (over xi).
    z = ws.get("z", (a, m, o, n, L))
    at(lambda k: mt[:, k], lambda j: z[:, j], ws.scratch("s_out1", nscr, (a, o, n, L)))
    yt = ws.get("yt", (m, m, o, n, L))
    at(lambda k: z[k], lambda i: yt[i], ws.scratch("s_out2", nscr, (m, o, n, L)))
    return yt


def _scatter_tiles(y, yt, m, th, wq):
    """``y[n, o, ti*m + i, tj*m + j] = yt[i, j, o, n, (ti, tj)]``, cropped to ``y``:
    one strided copy per tile phase ``(i, j)``."""
    n, o, ho, wo = y.shape
    tiles = yt.reshape(m, m, o, n, th, wq)
    for i in range(m):
        rows = -(-(ho - i) // m)
        for j in range(m):
            cols = -(-(wo - j) // m)
            y[:, :, i::m, j::m] = tiles[i, j, :, :, :rows, :cols].transpose(1, 0, 2, 3)


def _grad_transform(gq, m, ws):
    """Phase-split output gradient ``(m, m, O, n, th, wq)`` (zero in the garbage tile
    column) -> ``W: (a, a, O, n, L)``, ``A gy A^T`` per tile."""
    a = m + 2
    o, n = gq.shape[2:4]
    L = gq.shape[4] * gq.shape[5]
    tr = _PROGRAMS[m][2]
    nscr = _SCRATCH[m][2]
    g4 = gq.reshape(m, m, o, n, L)
    r1 = ws.get("r1", (a, m, o, n, L))
    tr(lambda i: g4[i], lambda k: r1[k], ws.scratch("s_g1", nscr, (m, o, n, L)))
    wt = ws.get("w", (a, a, o, n, L))
    tr(lambda j: r1[:, j], lambda k: wt[:, k], ws.scratch("s_g2", nscr, (a, o, n, L)))
    return wt


def _kernel_transform(w, m, groups, dtype):
    """``U = G g G^T`` as the GEMM operand ``(a*a*G, O/G, C/G)``: one GEMM with the
    Kronecker product ``G (x) G`` (``(a*a, 9)``), in ``dtype`` (float64 took 4x as long
    for 512x512 channels, and rounding U once in float32 is harmless next to the
    float32 data transforms)."""
    _, g_mat, _ = _MATRICES[m]
    a = m + 2
    o, cg = w.shape[:2]
    gg = np.kron(g_mat, g_mat)  # gg[x*a + y, u*3 + v] = G[x, u] G[y, v]
    # (a*a, O*C/G); the transposed view needs no copy (on the pool: 3.5x numpy's matmul
    # over ResNet-18's layers)
    u = product(gg.astype(dtype), w.reshape(o * cg, 9).astype(dtype, copy=False).T)
    return u.reshape(a * a * groups, o // groups, cg)


def _geometry(h, w, pads, m):
    ho, wo = h + 2 * pads[0] - 2, w + 2 * pads[1] - 2
    th, tw = -(-ho // m), -(-wo // m)
    return ho, wo, th, tw


def _chunk(n, per_sample, columns, threads=1):
    """Samples per chunk: ``per_sample`` workspace values, ``columns`` GEMM columns each;
    with several worker threads, small enough that each worker gets a chunk."""
    nb = max(_CHUNK_ELEMENTS // per_sample, -(-_MIN_COLUMNS // columns))
    return max(1, min(nb, -(-n // max(1, threads))))


def _run_chunks(n, nb, threads, dtype, body):
    """Call ``body(ws, i0, i1)`` for every chunk ``[i0, i1)`` of ``nb`` samples.

    ``threads`` workers (each with its own workspace) take every ``threads``-th chunk;
    numpy's ufuncs and BLAS release the GIL, so the transforms, which run on one core
    otherwise, overlap. Returns the workspaces (the weight gradient keeps a partial sum
    in each).
    """
    starts = list(range(0, n, nb))
    workers = max(1, min(int(threads), len(starts)))
    spaces = [_Workspace(dtype) for _ in range(workers)]

    def work(tid):
        for i0 in starts[tid::workers]:
            body(spaces[tid], i0, min(n, i0 + nb))

    if workers == 1:
        work(0)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(work, range(workers)))  # list(): re-raise a worker's error
    return spaces


def _fast_tiles(x, m):
    """:mod:`glassnet.ops.kernels.winograd` when its kernels take array ``x`` (F(2x2,
    3x3), a NumPy float array, numba installed), else None (the NumPy stages)."""
    if m != 2:
        return None
    from glassnet.ops.kernels import winograd

    return winograd if winograd.takes(x) else None


def _forward(x, u, o, pads, m, groups, threads=1):
    """Core forward on a validated input; ``pads = (ph, pw)`` may be negative (crop)."""
    n, c, h, w = x.shape
    a = m + 2
    ho, wo, th, tw = _geometry(h, w, pads, m)
    wq = tw + 1
    L = th * wq
    y = np.empty((n, o, ho, wo), dtype=x.dtype)

    fast = _fast_tiles(x, m)

    def chunk(ws, i0, i1):
        k = i1 - i0
        if fast is not None:
            v = ws.get("v", (a, a, c, k, L))
            fast.input_tiles(x[i0:i1], v, pads, th, wq)
        else:
            xq = ws.get("xq", (m, m, c, k, th + 1, wq))
            _phase_copy(xq, x[i0:i1], pads, m)
            v = _input_transform(xq, m, th, ws)
        mt = ws.get("m", (a, a, o, k, L))
        product(u, v.reshape(a * a * groups, c // groups, k * L),
                out=mt.reshape(a * a * groups, o // groups, k * L))
        if fast is not None:
            fast.output_tiles(mt, y[i0:i1], wq)
        else:
            _scatter_tiles(y[i0:i1], _output_transform(mt, m, ws), m, th, wq)

    nb = _chunk(n, a * a * (c + o) * L + a * m * c * L, L, threads)
    _run_chunks(n, nb, threads, x.dtype, chunk)
    return y


# -----------------------------------------------------------------------------
# Validation
# -----------------------------------------------------------------------------
def _pair(value, fn, name):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        value = (int(value), int(value))
    if (not isinstance(value, (tuple, list)) or len(value) != 2
            or not all(isinstance(v, (int, np.integer)) and not isinstance(v, bool)
                       for v in value)):
        raise TypeError(f"{fn}: {name} must be an int or a pair of ints, got {value!r}")
    if value[0] < 0 or value[1] < 0:
        raise ValueError(f"{fn}: {name} must be >= 0, got {tuple(value)}")
    return int(value[0]), int(value[1])


def _check_array(arr, fn, name):
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{fn}: {name} must be a numpy.ndarray, got {type(arr).__name__}")
    if arr.dtype not in (np.float32, np.float64):
        raise TypeError(f"{fn}: {name} dtype must be float32 or float64, got {arr.dtype}")
    if arr.ndim != 4:
        raise ValueError(f"{fn}: {name} must be 4-D, got shape {arr.shape}")


def _check_common(fn, m, groups, dtypes, threads):
    if not isinstance(threads, (int, np.integer)) or isinstance(threads, bool) or threads < 1:
        raise ValueError(f"{fn}: threads must be a positive int, got {threads!r}")
    if m not in (2, 4):
        raise ValueError(f"{fn}: m must be 2 (F(2x2,3x3)) or 4 (F(4x4,3x3)), got {m!r}")
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{fn}: groups must be a positive int, got {groups!r}")
    if len(set(dtypes)) != 1:
        raise TypeError(f"{fn}: arrays must share one dtype, got {', '.join(map(str, dtypes))}")


def _check_shapes(fn, x_shape, w_shape, groups, padding):
    """Check an (N, C, H, W) input against an (O, C/G, 3, 3) weight; return (Ho, Wo)."""
    n, c, h, wd = x_shape
    o, cg, kh, kw = w_shape
    if (kh, kw) != (3, 3):
        raise ValueError(f"{fn}: weight must be (O, C/groups, 3, 3), got {tuple(w_shape)}")
    if c % groups or o % groups:
        raise ValueError(f"{fn}: in channels {c} and out channels {o} must be divisible by "
                         f"groups={groups}")
    if cg * groups != c:
        raise ValueError(f"{fn}: weight must have C/groups={c // groups} input channels "
                         f"(C={c}, groups={groups}), got shape {tuple(w_shape)}")
    ho, wo = h + 2 * padding[0] - 2, wd + 2 * padding[1] - 2
    if ho < 1 or wo < 1:
        raise ValueError(f"{fn}: input {h}x{wd} with padding {padding} is smaller than the "
                         f"3x3 kernel")
    return ho, wo


# -----------------------------------------------------------------------------
# Public functions
# -----------------------------------------------------------------------------
def winograd_conv2d(x: np.ndarray, w: np.ndarray, padding=0, m: int = 2, *,
                    groups: int = 1, threads: int = 1) -> np.ndarray:
    """3x3 stride-1 cross-correlation (``torch.nn.functional.conv2d``) by Winograd.

    Parameters
    ----------
    x : ndarray, float32 or float64
        Input.
    w : ndarray, same dtype
        Weight.
    padding : int or (int, int)
        Zero padding ``(ph, pw)`` on each side, >= 0.
    m : {2, 4}
        Output tile size: F(2x2, 3x3) (16 products per 4 outputs) or F(4x4, 3x3)
        (36 products per 16 outputs; less accurate in float32, see the module notes).
    groups : int
        Blocked connections; ``C`` and ``O`` divisible by ``groups``.
    threads : int
        Worker threads over batch chunks (default 1). numpy releases the GIL in ufuncs
        and BLAS, so the transforms of different chunks overlap; numpy's BLAS keeps its
        own thread count. The same keyword exists on the two gradients.

    Returns
    -------
    ndarray of the input's dtype, contiguous.

    Shape
    -----
    - x: ``(N, C, H, W)``, w: ``(O, C/groups, 3, 3)``
    - output: ``(N, O, Ho, Wo)`` with ``Ho = H + 2 ph - 2``, ``Wo = W + 2 pw - 2``.

    Examples
    --------
    >>> x = np.arange(16, dtype=np.float32).reshape(1, 1, 4, 4)
    >>> winograd_conv2d(x, np.ones((1, 1, 3, 3), np.float32))[0, 0]
    array([[45., 54.],
           [81., 90.]], dtype=float32)
    """
    fn = "winograd_conv2d"
    _check_array(x, fn, "x")
    _check_array(w, fn, "w")
    _check_common(fn, m, groups, (x.dtype, w.dtype), threads)
    padding = _pair(padding, fn, "padding")
    _check_shapes(fn, x.shape, w.shape, groups, padding)
    u = _kernel_transform(w, m, groups, x.dtype)
    return _forward(x, u, w.shape[0], padding, m, groups, threads)


def winograd_conv2d_input_grad(gy: np.ndarray, w: np.ndarray, x_shape, padding=0,
                               m: int = 2, *, groups: int = 1,
                               threads: int = 1) -> np.ndarray:
    """Gradient of :func:`winograd_conv2d` with respect to its input.

    A stride-1 convolution's adjoint is the stride-1 convolution of ``gy`` with the
    kernel flipped in space and transposed in (per-group) channels, with padding
    ``2 - p`` (a negative padding crops ``gy``), so this runs the forward.

    Shape
    -----
    - gy: ``(N, O, Ho, Wo)``, w: ``(O, C/groups, 3, 3)``, x_shape: ``(N, C, H, W)``
    - output: ``x_shape``.
    """
    fn = "winograd_conv2d_input_grad"
    _check_array(gy, fn, "gy")
    _check_array(w, fn, "w")
    _check_common(fn, m, groups, (gy.dtype, w.dtype), threads)
    padding = _pair(padding, fn, "padding")
    x_shape = tuple(int(v) for v in x_shape)
    if len(x_shape) != 4:
        raise ValueError(f"{fn}: x_shape must be (N, C, H, W), got {x_shape}")
    ho, wo = _check_shapes(fn, x_shape, w.shape, groups, padding)
    expected = (x_shape[0], w.shape[0], ho, wo)
    if gy.shape != expected:
        raise ValueError(f"{fn}: gy must have shape {expected} (from x_shape {x_shape}, "
                         f"weight {tuple(w.shape)}, padding {padding}), got {gy.shape}")
    o, cg = w.shape[:2]
    c = x_shape[1]
    og = o // groups
    # wt[g*Cg + c', o', u, v] = w[g*Og + o', c', 2-u, 2-v]
    wt = w.reshape(groups, og, cg, 3, 3)[..., ::-1, ::-1].transpose(0, 2, 1, 3, 4)
    u = _kernel_transform(wt.reshape(c, og, 3, 3), m, groups, gy.dtype)
    return _forward(gy, u, c, (2 - padding[0], 2 - padding[1]), m, groups, threads)


def winograd_conv2d_weight_grad(gy: np.ndarray, x: np.ndarray, w_shape, padding=0,
                                m: int = 2, *, groups: int = 1,
                                threads: int = 1) -> np.ndarray:
    """Gradient of :func:`winograd_conv2d` with respect to its weight, by F(3x3, m x m).

    Input tiles are transformed with the forward's ``B^T``, output-gradient tiles with
    ``A``; one GEMM per transform position reduces their product over batch and tiles,
    and ``G^T (.) G`` maps it back to the 3x3 kernel (see the module notes).

    Shape
    -----
    - gy: ``(N, O, Ho, Wo)``, x: ``(N, C, H, W)``, w_shape: ``(O, C/groups, 3, 3)``
    - output: ``w_shape``, the dtype of ``x``.
    """
    fn = "winograd_conv2d_weight_grad"
    _check_array(gy, fn, "gy")
    _check_array(x, fn, "x")
    _check_common(fn, m, groups, (gy.dtype, x.dtype), threads)
    padding = _pair(padding, fn, "padding")
    w_shape = tuple(int(v) for v in w_shape)
    if len(w_shape) != 4:
        raise ValueError(f"{fn}: w_shape must be (O, C/groups, 3, 3), got {w_shape}")
    ho, wo = _check_shapes(fn, x.shape, w_shape, groups, padding)
    n, c, h, wd = x.shape
    o, cg = w_shape[:2]
    expected = (n, o, ho, wo)
    if gy.shape != expected:
        raise ValueError(f"{fn}: gy must have shape {expected} (from x {x.shape}, w_shape "
                         f"{w_shape}, padding {padding}), got {gy.shape}")
    a = m + 2
    th, tw = _geometry(h, wd, padding, m)[2:]
    wq = tw + 1
    L = th * wq
    og = o // groups
    pshape = (a * a * groups, og, cg)

    fast = _fast_tiles(x, m) and _fast_tiles(gy, m)  # the kernels take both, or None

    def chunk(ws, i0, i1):
        k = i1 - i0
        if fast is not None:
            v = ws.get("v", (a, a, c, k, L))
            fast.input_tiles(x[i0:i1], v, padding, th, wq)
            wt = ws.get("w", (a, a, o, k, L))
            fast.grad_tiles(gy[i0:i1], wt, th, wq)
        else:
            xq = ws.get("xq", (m, m, c, k, th + 1, wq))
            _phase_copy(xq, x[i0:i1], padding, m)
            v = _input_transform(xq, m, th, ws)
            gq = ws.get("gq", (m, m, o, k, th, wq))
            _phase_copy(gq, gy[i0:i1], (0, 0), m)
            wt = _grad_transform(gq, m, ws)
        vv = v.reshape(a * a * groups, cg, k * L).transpose(0, 2, 1)
        # this worker's partial sum over its chunks, in its workspace
        first = "p" not in ws.extra
        acc = ws.extra.setdefault("p", np.empty(pshape, dtype=x.dtype))
        prod = acc if first else ws.get("p_chunk", pshape)
        product(wt.reshape(a * a * groups, og, k * L), vv, out=prod)
        if not first:
            acc += prod

    nb = _chunk(n, a * a * (c + o) * L + a * m * (c + o) * L, L, threads)
    spaces = _run_chunks(n, nb, threads, x.dtype, chunk)
    p = spaces[0].extra["p"]
    for ws in spaces[1:]:
        p += ws.extra["p"]
    # gw[oc, (u, v)] = sum_xy G[x, u] G[y, v] P[(x, y), oc]: one GEMM with G (x) G
    _, g_mat, _ = _MATRICES[m]
    gg = np.kron(g_mat, g_mat)
    gw = p.reshape(a * a, o * cg).T @ gg.astype(x.dtype)
    return gw.reshape(w_shape)
