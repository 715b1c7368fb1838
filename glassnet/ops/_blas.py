"""Direct calls to the BLAS that NumPy already loaded: ``C = alpha op(A) op(B) + beta C``.

NumPy's ``matmul`` cannot accumulate into its output (no ``beta``) and copies operands
whose rows are not contiguous. The shifted-GEMM convolution (:mod:`glassnet.ops.conv`)
needs both: each kernel tap multiplies a *window* of a wider array (rows with a pitch
larger than their length) and adds into the same output. This module finds NumPy's BLAS
library (OpenBLAS, MKL, BLIS: whichever ``threadpoolctl`` reports) and binds its
``cblas_sgemm`` / ``cblas_dgemm`` with :mod:`ctypes`, which releases the GIL during the
call.

When no BLAS with a CBLAS interface is found, :data:`AVAILABLE` is False and
:func:`gemm` raises; callers then use their NumPy-only path.

Every argument is checked in Python before the call (shapes, unit inner strides, pitches,
dtypes, writability), because a wrong pointer or pitch here is a crash, not an exception.
"""
from __future__ import annotations

import ctypes
import glob
import os
import site
import sys

import numpy as np

__all__ = ["AVAILABLE", "IS_MKL", "gemm", "matmul", "library"]

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112

# (symbol, 64-bit integers?) in the order tried. NumPy's wheels ship OpenBLAS built with
# 64-bit integers and a ``scipy_`` symbol prefix; other builds use the plain names.
_CANDIDATES = {
    np.float32: (("scipy_cblas_sgemm64_", True), ("cblas_sgemm64_", True),
                 ("cblas_sgemm_64", True), ("cblas_sgemm", False)),
    np.float64: (("scipy_cblas_dgemm64_", True), ("cblas_dgemm64_", True),
                 ("cblas_dgemm_64", True), ("cblas_dgemm", False)),
}

_FUNCS: dict = {}
library: str | None = None


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
            found[np.dtype(dtype)] = fn
            break
    return found if len(found) == 2 else {}


def _mkl():
    """Intel MKL from the ``mkl`` wheel when ``GLASSNET_BLAS=mkl`` (and it is installed),
    loaded with its OpenMP runtime; else None (NumPy's BLAS).

    Opt-in because it only wins on one thread. Measured here, GFLOPS OpenBLAS / MKL:
    1 thread (e.g. each rank of ``train --nproc``): the conv engine's thin products
    16 x 16 x 139264 40 / 77, 32 x 32 x 34816 64 / 110, 64 x 64 x 11520 91 / 128, an MLP
    layer 117 / 134; 2 threads: 79 / 77, 118 / 77, 171 / 107, 209 / 213 (MKL's threads,
    which must sleep at once so as not to take the cores from numba's, wake too slowly).
    """
    if os.environ.get("GLASSNET_BLAS", "").lower() != "mkl":
        return None
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix, site.getuserbase())):
        hits = sorted(glob.glob(os.path.join(prefix, "lib", "libmkl_rt.so*")))
        if not hits:
            continue
        # NOTE: OpenMP threads that idle spin would take the cores from numba's and
        # OpenBLAS's threads, which run next; 0 makes them sleep at once.
        os.environ.setdefault("KMP_BLOCKTIME", "0")
        try:
            for omp in glob.glob(os.path.join(prefix, "lib", "libiomp5.so")):
                ctypes.CDLL(omp, mode=ctypes.RTLD_GLOBAL)
            return hits[0], ctypes.CDLL(hits[0], mode=ctypes.RTLD_GLOBAL)
        except OSError:  # pragma: no cover - a broken install: use NumPy's BLAS
            return None
    return None


def _bind():
    global library
    mkl = _mkl()
    if mkl is not None and _functions(mkl[1]):
        _FUNCS.update(_functions(mkl[1]))
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
            _FUNCS.update(found)
            library = info["filepath"]
            return


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


def gemm(a, b, c, *, trans_a: bool = False, trans_b: bool = False, alpha: float = 1.0,
         beta: float = 0.0) -> None:
    """In place ``c[...] = alpha * op(a) @ op(b) + beta * c`` on 2-D float views.

    ``op(a)`` is ``a.T`` when ``trans_a``. All three arrays must share one dtype (float32 or
    float64) and have unit-stride rows with any pitch; ``c`` must be writable and must
    not overlap ``a`` or ``b``. With ``beta == 0`` the old contents of ``c`` are ignored.
    """
    fn = _FUNCS.get(c.dtype)
    if fn is None:
        raise TypeError(f"gemm: no BLAS routine for dtype {c.dtype} (found: "
                        f"{sorted(str(d) for d in _FUNCS) or 'none'})")
    if a.dtype != c.dtype or b.dtype != c.dtype:
        raise TypeError(f"gemm: dtypes must match, got {a.dtype}, {b.dtype}, {c.dtype}")
    if not c.flags.writeable:
        raise ValueError("gemm: c must be writable")
    m, n = c.shape
    am, ak = (a.shape[1], a.shape[0]) if trans_a else a.shape
    bk, bn = (b.shape[1], b.shape[0]) if trans_b else b.shape
    if am != m or bn != n or ak != bk:
        raise ValueError(f"gemm: shapes do not chain: op(a) {(am, ak)} @ op(b) {(bk, bn)} "
                         f"-> c {c.shape}")
    lda, ldb, ldc = _pitch(a, "a"), _pitch(b, "b"), _pitch(c, "c")
    if m == 0 or n == 0:
        return
    if ak == 0:
        if beta == 0:
            c[...] = 0
        else:
            c *= beta
        return
    fn(_ROW_MAJOR, _TRANS if trans_a else _NO_TRANS, _TRANS if trans_b else _NO_TRANS,
       m, n, ak, alpha, a.ctypes.data, lda, b.ctypes.data, ldb, beta, c.ctypes.data, ldc)


_MIN_MNK = 1 << 18


def matmul(a, b, *, trans_a: bool = False, trans_b: bool = False):
    """``op(a) @ op(b)`` as a new array through the bound GEMM when that is MKL (see
    :func:`_mkl`), or None: then the caller uses NumPy's ``matmul`` (NumPy's own BLAS,
    small products, other dtypes, arrays the binding cannot take)."""
    if (not IS_MKL or type(a) is not np.ndarray or type(b) is not np.ndarray
            or a.ndim != 2 or b.ndim != 2 or a.dtype != b.dtype or a.dtype not in _FUNCS
            or a.strides[1] != a.itemsize or b.strides[1] != b.itemsize):
        return None
    m = a.shape[1] if trans_a else a.shape[0]
    n = b.shape[0] if trans_b else b.shape[1]
    if m * n * (a.shape[0] if trans_a else a.shape[1]) < _MIN_MNK:
        return None  # a call through ctypes costs ~9 us; NumPy's matmul ~1 us
    c = np.empty((m, n), dtype=a.dtype)
    gemm(a, b, c, trans_a=trans_a, trans_b=trans_b)
    return c
