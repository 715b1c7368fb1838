"""Generic op tests driven by the op registry: float64 gradcheck and float32 parity with
PyTorch (forward and backward) for every sample of every row."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.testing import gradcheck
from glassnet.testing.op_registry import all_ops

ROWS = all_ops()
CASES = [(row, i) for row in ROWS for i in range(len(row.samples(np.random.default_rng(0))))]
IDS = [f"{row.name}-{i}" for row, i in CASES]


def _sample(row, i):
    return row.samples(np.random.default_rng(1234))[i]


def _to_glassnet(sample, dtype):
    args = []
    for pos, a in enumerate(sample.args):
        if isinstance(a, np.generic):
            a = np.asarray(a)
        if isinstance(a, np.ndarray):
            if a.dtype.kind == "f":
                t = gn.tensor(a.astype(dtype), dtype=dtype)
                if pos not in sample.nondiff:
                    t.requires_grad_(True)
            else:
                t = gn.from_numpy(a.copy())
            args.append(t)
        else:
            args.append(a)
    return args


def test_registry_rows_have_five_samples():
    for row in ROWS:
        n = len(row.samples(np.random.default_rng(0)))
        assert n >= 5, f"{row.name} has only {n} samples"


@pytest.mark.parametrize("row,i", CASES, ids=IDS)
def test_gradcheck(row, i):
    if not row.gradcheck:
        pytest.skip(f"{row.name}: gradcheck disabled ({row.notes})")
    sample = _sample(row, i)
    args = _to_glassnet(sample, np.float64)
    if not any(isinstance(a, gn.Tensor) and a.requires_grad for a in args):
        pytest.skip("no differentiable input")
    gradcheck(lambda *xs: row.fn(*xs, **sample.kwargs), args, eps=row.gradcheck_eps,
              atol=row.gradcheck_atol, rtol=row.gradcheck_rtol)


def _report(name, what, ours, ref, atol, rtol):
    ours = np.asarray(ours, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    assert ours.shape == ref.shape, f"{name}: {what} shape {ours.shape} != torch {ref.shape}"
    if not np.allclose(ours, ref, atol=atol, rtol=rtol, equal_nan=True):
        err = np.abs(ours - ref)
        rel = err / (np.abs(ref) + 1e-12)
        pytest.fail(f"{name}: {what} differs from torch: max abs err {np.nanmax(err):.3e}, "
                    f"max rel err {np.nanmax(rel):.3e} (atol {atol}, rtol {rtol})")


@pytest.mark.parametrize("row,i", CASES, ids=IDS)
def test_torch_parity(row, i):
    torch = pytest.importorskip("torch", reason="torch not installed: parity test skipped")
    if row.torch_fn is None:
        pytest.skip(f"{row.name}: no PyTorch equivalent ({row.notes})")
    sample = _sample(row, i)
    args = _to_glassnet(sample, np.float32)
    targs = []
    for a in args:
        if isinstance(a, gn.Tensor):
            t = torch.from_numpy(np.array(a.data))
            if a.requires_grad:
                t.requires_grad_(True)
            targs.append(t)
        else:
            targs.append(a)
    kwargs = dict(sample.kwargs)
    tkwargs = row.parity_kwargs(dict(kwargs)) if row.parity_kwargs else kwargs
    out = row.fn(*args, **kwargs)
    tout = row.torch_fn(torch, *targs, **tkwargs)
    if isinstance(out, tuple):
        out, tout = out[0], tout[0]
    assert out.dtype == np.dtype(str(tout.dtype).replace("torch.", "")), (
        f"{row.name}: dtype {out.dtype} != torch {tout.dtype}")
    _report(row.name, "forward", out.data, tout.detach().numpy(), row.atol, row.rtol)
    if not out.requires_grad:
        return
    cot = np.random.default_rng(7).standard_normal(out.shape).astype(np.float32)
    out.backward(gn.tensor(cot))
    tout.backward(torch.from_numpy(cot))
    for k, (a, t) in enumerate(zip(args, targs)):
        if isinstance(a, gn.Tensor) and a.requires_grad:
            # NOTE: force=True also reads torch's ZeroTensor gradients (sgn, ...).
            ref = np.zeros(a.shape) if t.grad is None else t.grad.numpy(force=True)
            ours = np.zeros(a.shape) if a.grad is None else a.grad.data
            _report(row.name, f"grad of input {k}", ours, ref, row.grad_atol, row.grad_rtol)
