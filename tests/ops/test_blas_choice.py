"""Which GEMM library glassnet.ops._blas binds: NumPy's own by default; Intel MKL only
when asked (GLASSNET_BLAS=mkl) and installed; either computes the same products."""
import glob
import os
import site
import subprocess
import sys

import pytest

PROBE = ("import numpy as np, glassnet.ops._blas as b; "
         "a = np.random.default_rng(0).standard_normal((128, 96), dtype=np.float32); "
         "w = np.random.default_rng(1).standard_normal((64, 96), dtype=np.float32); "
         "ref = a.astype(np.float64) @ w.T.astype(np.float64); "
         "c = np.empty((128, 64), np.float32); b.gemm(a, w, c, trans_b=True); "
         "print(b.IS_MKL, float(np.abs(c - ref).max() / np.abs(ref).max()), "
         "float(np.abs(b.product(a, w.T) - ref).max() / np.abs(ref).max()))")


def _probe(env):
    out = subprocess.run([sys.executable, "-c", PROBE], env={**os.environ, **env},
                         capture_output=True, text=True, timeout=120, check=True)
    return out.stdout.split()


def test_numpys_blas_by_default():
    env = {k: v for k, v in os.environ.items() if k != "GLASSNET_BLAS"}
    is_mkl, err, err_product = _probe({**env, "GLASSNET_BLAS": ""})
    assert is_mkl == "False" and float(err) < 1e-6 and float(err_product) < 1e-6


def _mkl_installed():
    prefixes = {sys.prefix, sys.base_prefix, site.getuserbase()}
    return any(glob.glob(os.path.join(p, "lib", "libmkl_rt.so*")) for p in prefixes)


@pytest.mark.skipif(not _mkl_installed(), reason="the mkl wheel is not installed")
def test_mkl_when_asked_computes_the_same_products():
    is_mkl, err, err_product = _probe({"GLASSNET_BLAS": "mkl"})
    assert is_mkl == "True" and float(err) < 1e-6 and float(err_product) < 1e-6
