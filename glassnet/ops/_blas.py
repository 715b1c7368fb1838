"""Direct calls to a CBLAS: ``C = alpha op(A) op(B) + beta C``.

NumPy's ``matmul`` cannot accumulate into its output (no ``beta``) and copies operands
whose rows are not contiguous. The shifted-GEMM convolution (:mod:`glassnet.ops.conv`)
needs both: each kernel tap multiplies a *window* of a wider array (rows with a pitch
larger than their length) and adds into the same output. This module binds
``cblas_sgemm`` / ``cblas_dgemm`` with :mod:`ctypes` (which releases the GIL during the
call) from Intel MKL when the ``mkl`` wheel and numba are installed (see :func:`_mkl`),
else from the BLAS NumPy already loaded (OpenBLAS, MKL, BLIS: whichever
``threadpoolctl`` reports).

When no BLAS with a CBLAS interface is found, :data:`AVAILABLE` is False and
:func:`gemm` raises; callers then use their NumPy-only path.

Every argument is checked in Python before the call (shapes, unit inner strides, pitches,
dtypes, writability), because a wrong pointer or pitch here is a crash, not an exception.
"""
from __future__ import annotations

import ctypes
import glob
import importlib.util
import os
import site
import sys

import numpy as np

__all__ = ["AVAILABLE", "IS_MKL", "gemm", "gemm_batched", "product", "library",
           "cpu_vendor", "cpu_model"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_MKL_SEQUENTIAL = 1  # MKL_THREADING_SEQUENTIAL of mkl_types.h

# (symbol, 64-bit integers?) in the order tried. NumPy's wheels ship OpenBLAS built with
# 64-bit integers and a ``scipy_`` symbol prefix; other builds use the plain names.
_CANDIDATES = {
    np.float32: (("scipy_cblas_sgemm64_", True), ("cblas_sgemm64_", True),
                 ("cblas_sgemm_64", True), ("cblas_sgemm", False)),
    np.float64: (("scipy_cblas_dgemm64_", True), ("cblas_dgemm64_", True),
                 ("cblas_dgemm_64", True), ("cblas_dgemm", False)),
}

_FUNCS: dict = {}
_WIDE: dict = {}  # dtype -> whether the bound routine takes 64-bit integers
library: str | None = None


_CPUINFO: dict = {}


def _cpuinfo(field: str) -> str:
    """The first ``field`` line of ``/proc/cpuinfo`` (``""`` where it cannot be read)."""
    if not _CPUINFO:
        _CPUINFO["read"] = True
        try:
            with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
                for line in f:
                    key, _, value = line.partition(":")
                    _CPUINFO.setdefault(key.strip(), value.strip())
                    if not line.strip():  # the first processor's block is enough
                        break
        except OSError:
            pass
    return _CPUINFO.get(field, "")


def cpu_vendor() -> str:
    """The CPU's vendor string as the processor reports it (``"GenuineIntel"``,
    ``"AuthenticAMD"``; from ``/proc/cpuinfo``), ``""`` where it cannot be read. MKL runs
    its fastest kernels on Intel CPUs only, so which convolution algorithm wins depends
    on it (``glassnet.ops._conv_engine._direct_limits``)."""
    return _cpuinfo("vendor_id")


def cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo``), ``""`` where it cannot be read."""
    return _cpuinfo("model name")


def _functions(lib):
    """``{dtype: cblas_?gemm}`` bound from a loaded library (empty if it lacks them)."""
    found = {}
    for dtype, cands in _CANDIDATES.items():
        for name, wide in cands:
            fn = getattr(lib, name, None)
            if fn is None:
                continue
            i = ctypes.c_int64 if wide else ctypes.c_int
            f = ctypes.c_float if dtype is np.float32 else ctypes.c_double
            p = ctypes.c_void_p
            fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i, i, i, f, p, i,
                           p, i, f, p, i]
            fn.restype = None
            found[np.dtype(dtype)] = (fn, wide)
            break
    return found if len(found) == 2 else {}


def _mkl():
    """Intel MKL from the ``mkl`` wheel (in ``glassnet[fast]`` on Linux x86-64) set to its
    sequential layer, unless ``GLASSNET_BLAS=numpy`` asks for NumPy's own BLAS; None when
    it or numba (the pool) is not installed: then NumPy's BLAS.

    Sequential because every large product runs on glassnet's own thread pool, one
    single-threaded call per block (:mod:`glassnet.ops.kernels.gemm`); there MKL beats
    NumPy's OpenBLAS on every product of the benchmark's models (GFLOPS on 2 cores, pool
    with OpenBLAS / MKL: 128x784 @ 784x512 187-214 / 254-280, 512x128 @ 128x784 182-219 /
    244-319; MLP training 32400 -> 40100 img/s, LSTM 6300 -> 7700, ResNet-18 inference
    33.7 -> 38.5). The layer is set through this copy's ``MKL_Set_Threading_Layer``, not
    the environment, which another MKL in the process would read too.

    NOTE: MKL's libraries load one another with global symbols. A torch imported *after*
    this binds its own (statically linked) MKL's calls to these, sequential layer
    included; import torch first when both run in one process (``glassnet bench`` does).
    """
    if (os.environ.get("GLASSNET_BLAS", "").lower() in ("numpy", "openblas")
            or importlib.util.find_spec("numba") is None):  # no pool: NumPy's threaded BLAS
        return None
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix, site.getuserbase())):
        hits = sorted(glob.glob(os.path.join(prefix, "lib", "libmkl_rt.so*")))
        if not hits:
            continue
        try:
            lib = ctypes.CDLL(hits[0], mode=ctypes.RTLD_LOCAL)
            set_layer = lib.MKL_Set_Threading_Layer
        except (OSError, AttributeError):  # pragma: no cover - a broken install
            return None
        if set_layer(_MKL_SEQUENTIAL) != _MKL_SEQUENTIAL:  # pragma: no cover - refused
            return None
        return hits[0], lib
    return None


def _bind():
    global library
    mkl = _mkl()
    if mkl is not None and _functions(mkl[1]):
        _store(_functions(mkl[1]))
        library = mkl[0]
        return
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - scikit-learn (a dependency) brings it
        return
    for info in threadpool_info():
        if info.get("user_api") != "blas" or not info.get("filepath"):
            continue
        try:
            lib = ctypes.CDLL(info["filepath"])
        except OSError:  # pragma: no cover
            continue
        found = _functions(lib)
        if found:
            _store(found)
            library = info["filepath"]
            return


def _store(found):
    for dtype, (fn, wide) in found.items():
        _FUNCS[dtype] = fn
        _WIDE[dtype] = wide


_bind()
AVAILABLE = bool(_FUNCS)
IS_MKL = bool(library) and "libmkl" in os.path.basename(library)


def _pitch(a, name):
    """Row pitch (in elements) of a 2-D array whose rows are unit-stride."""
    if a.ndim != 2:
        raise ValueError(f"gemm: {name} must be 2-D, got shape {a.shape}")
    item = a.itemsize
    if a.shape[1] > 1 and a.strides[1] != item:
        raise ValueError(f"gemm: {name} must have unit-stride rows, got strides {a.strides}")
    if a.shape[0] == 1:
        return max(a.shape[1], 1)
    s = a.strides[0]
    if s % item or s // item < a.shape[1]:
        raise ValueError(f"gemm: {name} rows must not overlap, got shape {a.shape} and "
                         f"strides {a.strides}")
    return s // item


def _check(a, b, c, trans_a, trans_b, fn_name):
    """``(cblas function, m, n, k, lda, ldb, ldc)`` of ``c = op(a) @ op(b)`` on the last
    two axes, after checking what a wrong pointer would turn into a crash."""
    fn = _FUNCS.get(c.dtype)
    if fn is None:
        raise TypeError(f"{fn_name}: no BLAS routine for dtype {c.dtype} (found: "
                        f"{sorted(str(d) for d in _FUNCS) or 'none'})")
    if a.dtype != c.dtype or b.dtype != c.dtype:
        raise TypeError(f"{fn_name}: dtypes must match, got {a.dtype}, {b.dtype}, {c.dtype}")
    if not c.flags.writeable:
        raise ValueError(f"{fn_name}: c must be writable")
    m, n = c.shape[-2:]
    am, ak = (a.shape[-1], a.shape[-2]) if trans_a else a.shape[-2:]
    bk, bn = (b.shape[-1], b.shape[-2]) if trans_b else b.shape[-2:]
    if am != m or bn != n or ak != bk:
        raise ValueError(f"{fn_name}: shapes do not chain: op(a) {(am, ak)} @ op(b) "
                         f"{(bk, bn)} -> c {c.shape[-2:]}")
    lda, ldb, ldc = (_pitch(x[(0,) * (x.ndim - 2)], name)
                     for x, name in ((a, "a"), (b, "b"), (c, "c")))
    return fn, m, n, ak, lda, ldb, ldc


def cblas(dtype):
    """``(address, 64-bit integers?)`` of the bound CBLAS ``?gemm`` for ``dtype``."""
    dtype = np.dtype(dtype)
    return ctypes.cast(_FUNCS[dtype], ctypes.c_void_p).value, _WIDE[dtype]


def _spread(a, b, c, m, n, k, lda, ldb, ldc, trans_a, trans_b, alpha, beta, count=1,
            strides=(0, 0, 0)):
    """The product(s) on the thread pool (:mod:`glassnet.ops.kernels.gemm`); False when
    the pool does not take them."""
    from glassnet.ops.kernels import gemm as pooled

    t = c.dtype.type
    fn, wide = cblas(c.dtype)
    return pooled.spread(fn, wide, _TRANS if trans_a else _NO_TRANS,
                         _TRANS if trans_b else _NO_TRANS, m, n, k, t(alpha),
                         a.ctypes.data, lda, strides[0], b.ctypes.data, ldb, strides[1],
                         t(beta), c.ctypes.data, ldc, strides[2], c.itemsize, count)


def gemm(a, b, c, *, trans_a: bool = False, trans_b: bool = False, alpha: float = 1.0,
         beta: float = 0.0) -> None:
    """In place ``c[...] = alpha * op(a) @ op(b) + beta * c`` on 2-D float views.

    ``op(a)`` is ``a.T`` when ``trans_a``. All three arrays must share one dtype (float32 or
    float64) and have unit-stride rows with any pitch; ``c`` must be writable and must
    not overlap ``a`` or ``b``. With ``beta == 0`` the old contents of ``c`` are ignored.
    A large product runs on glassnet's thread pool (:mod:`glassnet.ops.kernels.gemm`).
    """
    for x, name in ((a, "a"), (b, "b"), (c, "c")):
        if x.ndim != 2:
            raise ValueError(f"gemm: {name} must be 2-D, got shape {x.shape}")
    fn, m, n, ak, lda, ldb, ldc = _check(a, b, c, trans_a, trans_b, "gemm")
    if m == 0 or n == 0:
        return
    if ak == 0:
        if beta == 0:
            c[...] = 0
        else:
            c *= beta
        return
    if _spread(a, b, c, m, n, ak, lda, ldb, ldc, trans_a, trans_b, alpha, beta):
        return
    fn(_ROW_MAJOR, _TRANS if trans_a else _NO_TRANS, _TRANS if trans_b else _NO_TRANS,
       m, n, ak, alpha, a.ctypes.data, lda, b.ctypes.data, ldb, beta, c.ctypes.data, ldc)


def gemm_batched(a, b, c, *, trans_a: bool = False, trans_b: bool = False) -> bool:
    """``c[i] = op(a[i]) @ op(b[i])`` for 3-D float arrays (a batch of 1 in ``a`` or
    ``b`` is shared by every ``c[i]``) on the thread pool; False, having done nothing,
    when the pool does not take them (numba missing, a small batch of products): then the
    caller uses NumPy's ``matmul``. Same conditions as :func:`gemm` on each matrix."""
    for x, name in ((a, "a"), (b, "b"), (c, "c")):
        if x.ndim != 3:
            raise ValueError(f"gemm_batched: {name} must be 3-D, got shape {x.shape}")
    count = c.shape[0]
    if a.shape[0] not in (1, count) or b.shape[0] not in (1, count):
        raise ValueError(f"gemm_batched: batch sizes {a.shape[0]}, {b.shape[0]} do not "
                         f"broadcast to c's {count}")
    if min(x.size for x in (a, b, c)) == 0:
        return False
    fn, m, n, k, lda, ldb, ldc = _check(a, b, c, trans_a, trans_b, "gemm_batched")
    strides = tuple(x.strides[0] if x.shape[0] > 1 else 0 for x in (a, b, c))
    if count > 1 and strides[2] < ((m - 1) * ldc + n) * c.itemsize:
        raise ValueError(f"gemm_batched: the matrices of c must not overlap, got shape "
                         f"{c.shape} and strides {c.strides}")
    if min(strides) < 0:
        return False
    return _spread(a, b, c, m, n, k, lda, ldb, ldc, trans_a, trans_b, 1.0, 0.0, count,
                   strides)


# Below this many multiply-adds NumPy's matmul (~1 us to call) beats a call through
# ctypes (~9 us) and the pool's launch.
_MIN_MNK = 1 << 19


def _pool_ready() -> bool:
    from glassnet.ops.kernels import _threads, gemm as pooled

    return not _threads.is_disabled() and pooled.available()


def _as_rows(x):
    """``(rows-major view, transposed?)`` of a matrix (or batch of them) for a BLAS call:
    unit-stride rows as they are, unit-stride columns as the transpose, else a copy."""
    isz = x.itemsize
    if x.shape[-1] < 2 or x.strides[-1] == isz:
        return x, False
    if x.shape[-2] < 2 or x.strides[-2] == isz:
        return x.swapaxes(-1, -2), True
    return np.ascontiguousarray(x), False


def product(a, b, out=None):
    """``np.matmul(a, b, out=out)``, through the bound GEMM for large products of plain
    float arrays (2-D, or 3-D batches where one side may be a single matrix or 2-D;
    transposed views need no copy): on glassnet's thread pool (numba installed) or in
    MKL (see :func:`_mkl`); everything else through NumPy's ``matmul``."""
    if (a.size * b.shape[-1] < _MIN_MNK  # small: NumPy at once (a.size >= m*k)
            or type(a) is not np.ndarray or type(b) is not np.ndarray or a.dtype != b.dtype
            or a.dtype not in _FUNCS or not 2 <= a.ndim <= 3 or not 2 <= b.ndim <= 3
            or a.shape[-1] != b.shape[-2] or not (IS_MKL or _pool_ready())):
        return np.matmul(a, b, out=out)
    m, k, n = a.shape[-2], a.shape[-1], b.shape[-1]
    three = a.ndim == 3 or b.ndim == 3
    count = max(a.shape[0] if a.ndim == 3 else 1, b.shape[0] if b.ndim == 3 else 1)
    shape = (count, m, n) if three else (m, n)
    if (m * n * k * count < _MIN_MNK
            or any(x.ndim == 3 and x.shape[0] not in (1, count) for x in (a, b))
            or (out is not None and (type(out) is not np.ndarray or out.shape != shape
                                     or out.dtype != a.dtype or not out.flags.c_contiguous))):
        return np.matmul(a, b, out=out)
    (ar, ta), (br, tb) = _as_rows(a), _as_rows(b)
    c = np.empty(shape, dtype=a.dtype) if out is None else out
    if not three:
        gemm(ar, br, c, trans_a=ta, trans_b=tb)
        return c
    if not gemm_batched(ar if ar.ndim == 3 else ar[None], br if br.ndim == 3 else br[None],
                        c, trans_a=ta, trans_b=tb):
        return np.matmul(a, b, out=out)
    return c
