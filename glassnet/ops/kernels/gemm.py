"""Matrix products on numba's threads: one thread pool for every hot path.

A multi-threaded BLAS keeps its own threads, which spin for a while after each product
(OpenBLAS: ~2^28 cycles) and take the cores from the compiled kernels that run next
(numba's pool), and vice versa. So glassnet runs NumPy's BLAS on one thread (see
:func:`glassnet.ops.kernels._threads.configure`) and spreads each large product over
numba's pool instead: :func:`spread` cuts it (or a batch of products) into blocks of rows
or columns of C and makes one single-threaded BLAS call per block from numba's threads.
Measured on 2 cores (float32, GFLOPS, one thread / spread on two / OpenBLAS's own two):
128x784 @ 784x512 144 / 259 / 248, 64x576 @ 576x8192 114 / 224 / 221,
256x256 @ 256x1024 151 / 281 / 295.

The blocks are cut by the shapes alone (:func:`plan`), never by the thread count, and a
product is spread even on one thread, so a result does not depend on the number of
threads; each block is one BLAS call (the reference the tests compare with bit for bit:
the same calls in a loop).
"""
from __future__ import annotations

import os

from glassnet.ops.kernels import _threads as pool

__all__ = ["MIN_MNK", "available", "spread"]

_build = pool.loader("_gemm_numba")

# Products below this many multiply-adds take one BLAS call on the caller's thread: at
# ~15 us (150 GFLOPS) the launch and the cost of cutting them into blocks eat the gain.
MIN_MNK = 1 << 21
_MIN_BLOCK = 64  # rows or columns per block, at least


def _machine_blocks() -> int:
    """Blocks per large product: twice the machine's cores as a power of two, at least 4
    (a property of the machine, not of the thread count in use, so results stay the same
    under ``set_num_threads``). Fewer, larger blocks run faster per call: MLP training
    on 2 cores 42600 img/s with 8 blocks, 44600 with 4; LSTM 9190 / 9540 (alternating
    steps, one process)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # pragma: no cover - not on every platform
        cores = os.cpu_count() or 1
    return max(4, 1 << (2 * cores - 1).bit_length())


_BLOCKS = _machine_blocks()  # a large product is cut into (up to) this many blocks



def available() -> bool:
    """True when numba imports (the kernel compiles on first call)."""
    return _build() is not None


def plan(m: int, n: int, count: int, blocks: int | None = None) -> tuple[bool, int, int]:
    """``(by_rows, step, blocks)``: how :func:`spread` cuts ``count`` products whose C is
    ``m x n``: along the longer side of C, in blocks of ``step`` (a multiple of 16, at
    least ``_MIN_BLOCK``) so that there are about ``blocks`` (default: the machine's
    ``_BLOCKS``) calls in all; fixed by the shapes alone, never by the thread count."""
    by_rows = m > n
    dim = m if by_rows else n
    want = max(1, -(-(blocks or _BLOCKS) // count))
    step = max(_MIN_BLOCK, -(-dim // want))
    step = -(-step // 16) * 16
    return by_rows, step, -(-dim // step)


def spread(fn, wide, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc,
           itemsize, count=1) -> bool:
    """Run ``count`` products ``C_i = alpha op(A_i) op(B_i) + beta C_i`` on the pool; the
    arrays are byte addresses (``arr.ctypes.data``) with batch strides ``sa, sb, sc`` in
    bytes (0: one shared matrix), ``fn`` the address of a CBLAS ``?gemm`` with 64-bit
    (``wide``) or 32-bit integers, ``alpha``/``beta`` of the arrays' float type,
    ``ta``/``tb`` CBLAS transpose codes. Returns False, having done nothing, when the pool
    would not help (numba missing or disabled, a small product); the caller then makes
    the BLAS call itself. The caller has checked every argument."""
    if pool.is_disabled() or m * n * k * count < MIN_MNK or not available():
        return False
    by_rows, step, blocks = plan(m, n, count)
    if count * blocks < 2:
        return False
    with pool.LOCK:
        _build().batched(fn, bool(wide), ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb,
                         beta, c, ldc, sc, itemsize, count, by_rows, step, blocks)
    return True



def taps(fn, wide, ta, tb, m, n, k, alpha, a, lda, aoffs, b, ldb, boffs, c, ldc, coffs,
         betas, cols, itemsize, split_k, step, total, phases=1) -> bool:
    """Run the lists of products of ``_gemm_numba.taps`` (the shifted-GEMM convolution:
    one product per kernel tap and group, accumulated per block of columns) on the pool
    in one launch per phase: ``phases=2`` runs the even blocks, then the odd ones (a
    block's items then may write up to ``step`` columns past it). False, having done
    nothing, when numba is missing or disabled."""
    if pool.is_disabled() or not available():
        return False
    blocks = -(-total // step)
    with pool.LOCK:
        for p in range(min(phases, blocks)):
            _build().taps(fn, bool(wide), ta, tb, m, n, k, alpha, a, lda, aoffs, b, ldb,
                          boffs, c, ldc, coffs, betas, cols, itemsize, bool(split_k), step,
                          total, p, phases, len(range(p, blocks, phases)))
    return True
