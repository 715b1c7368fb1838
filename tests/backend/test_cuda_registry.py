"""Every op-registry row on a CUDA device (CuPy) against the same call on the CPU (NumPy).

For each sample of each row (``glassnet/testing/op_registry.py``), float32 inputs are
built on the host, copied to the GPU with ``Tensor.to("cuda")``, and the op is run on
both devices with the same cotangent; outputs and input gradients must agree to float32
tolerance (different summation orders, so not bit for bit).  Random ops are reseeded
before each run: glassnet draws on the host and copies, so both devices see the same
numbers.  Runs only where CuPy finds a GPU; skipped in CI.
"""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

if not gn.cuda.is_available():
    pytest.skip("CUDA is not available (CuPy not installed or no GPU): the CUDA registry "
                "parity tests run only on a GPU machine", allow_module_level=True)

from glassnet.testing.op_registry import all_ops  # noqa: E402

ROWS = all_ops()
CASES = [(row, i) for row in ROWS for i in range(len(row.samples(np.random.default_rng(0))))]
IDS = [f"{row.name}-{i}" for row, i in CASES]
RTOL = ATOL = 1e-4  # float32, reduction order differs between NumPy and CUDA kernels


def _inputs(sample, where):
    args = []
    for pos, a in enumerate(sample.args):
        if isinstance(a, np.generic):
            a = np.asarray(a)
        if isinstance(a, np.ndarray):
            t = gn.tensor(a.astype(np.float32) if a.dtype.kind == "f" else a.copy())
            t = t.to(where)
            if a.dtype.kind == "f" and pos not in sample.nondiff:
                t.requires_grad_(True)
            args.append(t)
        else:
            args.append(a)
    return args


def _run(row, sample, where):
    gn.manual_seed(0)
    args = _inputs(sample, where)
    out = row.fn(*args, **sample.kwargs)
    if isinstance(out, tuple):
        out = out[0]
    assert out.device.type == gn.device(where).type, (
        f"{row.name}: output on {out.device}, inputs on {where}")
    grads = []
    if out.requires_grad:
        cot = np.random.default_rng(7).standard_normal(out.shape).astype(out.dtype)
        out.backward(gn.tensor(cot).to(where))
        grads = [None if not isinstance(a, gn.Tensor) or a.grad is None
                 else a.grad.cpu().numpy() for a in args]
    return out.detach().cpu().numpy(), grads


@pytest.mark.parametrize("row,i", CASES, ids=IDS)
def test_op_on_cuda_matches_cpu(row, i):
    sample = row.samples(np.random.default_rng(1234))[i]
    ref, ref_grads = _run(row, sample, "cpu")
    out, grads = _run(row, sample, "cuda")
    assert out.dtype == ref.dtype and out.shape == ref.shape
    np.testing.assert_allclose(out, ref, rtol=RTOL, atol=ATOL, equal_nan=True,
                               err_msg=f"{row.name}: forward on CUDA differs from the CPU")
    for k, (g, r) in enumerate(zip(grads, ref_grads)):
        assert (g is None) == (r is None), f"{row.name}: gradient of input {k} missing"
        if r is not None:
            np.testing.assert_allclose(g, r, rtol=RTOL, atol=ATOL, equal_nan=True,
                                       err_msg=f"{row.name}: gradient of input {k} on CUDA "
                                               f"differs from the CPU")
