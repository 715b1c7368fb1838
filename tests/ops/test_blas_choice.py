"""Which GEMM library glassnet.ops._blas binds: Intel MKL (sequential) when the mkl wheel
and numba are installed, NumPy's own BLAS when asked (GLASSNET_BLAS=numpy) or without
them; either computes the same products."""
import glob
import importlib.util
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
         "big = np.random.default_rng(2).standard_normal((256, 512), dtype=np.float32); "
         "bref = big.astype(np.float64) @ big.T.astype(np.float64); "
         "print(b.IS_MKL, float(np.abs(c - ref).max() / np.abs(ref).max()), "
         "float(np.abs(b.product(a, w.T) - ref).max() / np.abs(ref).max()), "
         "float(np.abs(b.product(big, big.T) - bref).max() / np.abs(bref).max()))")


def _probe(env):
    env = {**{k: v for k, v in os.environ.items() if k != "GLASSNET_BLAS"}, **env}
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True,
                         text=True, timeout=120, check=True)
    is_mkl, *errors = out.stdout.split()
    return is_mkl, [float(e) for e in errors]


def _mkl_installed():
    prefixes = {sys.prefix, sys.base_prefix, site.getuserbase()}
    return any(glob.glob(os.path.join(p, "lib", "libmkl_rt.so*")) for p in prefixes)


def test_numpys_blas_when_asked():
    is_mkl, errors = _probe({"GLASSNET_BLAS": "numpy"})
    assert is_mkl == "False" and max(errors) < 1e-6


@pytest.mark.skipif(not _mkl_installed() or importlib.util.find_spec("numba") is None,
                    reason="the mkl wheel or numba is not installed")
def test_mkl_by_default_computes_the_same_products():
    # the last product (256x512 @ 512x256) runs on the pool, one MKL call per block
    is_mkl, errors = _probe({})
    assert is_mkl == "True" and max(errors) < 1e-6


@pytest.mark.skipif(not _mkl_installed() or importlib.util.find_spec("numba") is None,
                    reason="the mkl wheel or numba is not installed")
def test_mkl_is_set_to_its_sequential_layer():
    # the pool's threads make the calls; MKL's own threads would compete with them
    code = ("import ctypes, glassnet.ops._blas as b; "
            "print(b.IS_MKL, ctypes.CDLL(b.library).MKL_Get_Max_Threads())")
    env = {k: v for k, v in os.environ.items() if k != "GLASSNET_BLAS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    assert out == ["True", "1"]
