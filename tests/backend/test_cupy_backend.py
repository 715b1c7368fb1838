"""The same ops on CuPy arrays (GPU) as on NumPy: forward and gradients agree.

Runs only where CuPy and a GPU are present (the lent GPU machine); skipped in CI. Each
case builds float32 inputs on the host, runs the op once with NumPy-backed tensors and
once with CuPy-backed tensors, and compares outputs and input gradients.
"""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import functional as F

cp = pytest.importorskip("cupy", reason="CuPy not installed: GPU backend tests skipped")
try:
    cp.cuda.runtime.getDeviceCount()
except Exception:  # pragma: no cover - CuPy without a device
    pytest.skip("no CUDA device", allow_module_level=True)


def _run(fn, arrays, xp, grad=True):
    ts = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            t = gn.Tensor._wrap(xp.asarray(a))
            if grad and a.dtype.kind == "f":
                t.requires_grad_(True)
            ts.append(t)
        else:
            ts.append(a)
    out = fn(*ts)
    if grad and out.requires_grad:
        cot = xp.asarray(np.random.default_rng(1).standard_normal(out.shape).astype(
            out.dtype))
        out.backward(gn.Tensor._wrap(cot))
    host = (lambda v: cp.asnumpy(v)) if xp is cp else (lambda v: v)
    grads = [host(t.grad.data) if isinstance(t, gn.Tensor) and t.grad is not None else None
             for t in ts]
    return host(out.data), grads


rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3, 9, 9)).astype(np.float32)
W = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
M = rng.standard_normal((8, 5)).astype(np.float32)
Y = np.array([0, 1, 2, 0, 1, 2, 0, 1])

CASES = {
    "elementwise": (lambda a: ((a * 2 + 1).exp() / (a * a + 1)).log(), [M]),
    "matmul": (lambda a: a @ a.T, [M]),
    "linear": (lambda a, w: gn.linear(a, w), [M, rng.standard_normal((3, 5)).astype("f4")]),
    "sum_mean_var": (lambda a: a.sum(0) + a.mean(0) + a.var(0), [M]),
    "max_dim": (lambda a: a.max(dim=1)[0], [M]),
    "softmax": (lambda a: F.softmax(a, dim=1), [M]),
    "relu_sigmoid_gelu": (lambda a: F.relu(a) + F.sigmoid(a) + F.gelu(a), [M]),
    "getitem_advanced": (lambda a: a[np.array([0, 0, 3])], [M]),
    "getitem_slice": (lambda a: a[1:5, ::2], [M]),
    "reshape_permute_cat": (lambda a: gn.cat([a.reshape(5, 8).permute(1, 0), a], 1), [M]),
    "pad_reflect": (lambda a: F.pad(a, (1, 2, 2, 1), mode="reflect"), [X]),
    "gather": (lambda a, i: a.gather(1, i), [M, np.array([[0, 4, 4]] * 8)]),
    "cross_entropy": (lambda a, y: F.cross_entropy(a, y), [M[:, :3].copy(), Y]),
    "mse_loss": (lambda a, b: F.mse_loss(a, b), [M, M[::-1].copy()]),
    "conv2d": (lambda a, w: F.conv2d(a, w, padding=1, stride=2), [X, W]),
    "conv2d_groups": (lambda a, w: F.conv2d(a, w, groups=3), [X, W[:, :1].copy()]),
    "conv_transpose2d": (lambda a, w: F.conv_transpose2d(a, w, stride=2),
                         [X, W.transpose(1, 0, 2, 3).copy()]),
    "max_pool2d": (lambda a: F.max_pool2d(a, 3, 2, 1), [X]),
    "avg_pool2d": (lambda a: F.avg_pool2d(a, 2), [X]),
    "adaptive_avg_pool2d": (lambda a: F.adaptive_avg_pool2d(a, (4, 3)), [X]),
    "interpolate_bilinear": (lambda a: F.interpolate(a, scale_factor=2, mode="bilinear",
                                                     align_corners=False), [X]),
    "batch_norm": (lambda a: F.batch_norm(a, None, None, training=True), [X]),
    "layer_norm": (lambda a: F.layer_norm(a, (9, 9)), [X]),
    "dropout_eval": (lambda a: F.dropout(a, 0.5, training=False), [X]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_op_on_cupy_matches_numpy(name):
    fn, arrays = CASES[name]
    ref, ref_grads = _run(fn, arrays, np)
    out, grads = _run(fn, arrays, cp)
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-4)
    for g, r in zip(grads, ref_grads):
        if r is not None:
            np.testing.assert_allclose(g, r, rtol=1e-4, atol=1e-4)
