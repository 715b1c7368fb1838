"""Running-statistics parity with PyTorch, known answers and errors for nn.functional
normalisation (the registry covers gradcheck and forward/backward parity)."""
from __future__ import annotations

import contextlib

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F


def _t(a, requires_grad=False):
    return gn.tensor(np.asarray(a), dtype=np.asarray(a).dtype, requires_grad=requires_grad)


# ---------------------------------------------------------------------------
# Running statistics against PyTorch
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape,momentum", [((8, 3), 0.1), ((4, 3, 5), 0.3),
                                            ((2, 4, 3, 3), 0.1), ((1, 2, 3, 2), 1.0)])
def test_batch_norm_running_stats_match_torch_over_several_steps(shape, momentum):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    c = shape[1]
    rm, rv = gn.zeros(c), gn.ones(c)
    trm, trv = torch.zeros(c), torch.ones(c)
    w = rng.uniform(0.5, 1.5, c).astype(np.float32)
    b = rng.standard_normal(c).astype(np.float32)
    mean_array = rm._data
    for step in range(5):
        x = (rng.standard_normal(shape) * (step + 1) + step).astype(np.float32)
        y = F.batch_norm(_t(x), rm, rv, _t(w), _t(b), training=True, momentum=momentum)
        ty = torch.nn.functional.batch_norm(torch.from_numpy(x), trm, trv, torch.from_numpy(w),
                                            torch.from_numpy(b), training=True,
                                            momentum=momentum)
        np.testing.assert_allclose(y.numpy(), ty.numpy(), atol=1e-5, rtol=1e-4)
        np.testing.assert_allclose(rm.numpy(), trm.numpy(), atol=1e-6, rtol=1e-5)
        np.testing.assert_allclose(rv.numpy(), trv.numpy(), atol=1e-6, rtol=1e-5)
    assert rm._data is mean_array  # updated in place, not rebound
    assert rm._version == 5
    # Eval with the accumulated statistics.
    x = rng.standard_normal(shape).astype(np.float32)
    y = F.batch_norm(_t(x), rm, rv, _t(w), _t(b), training=False)
    ty = torch.nn.functional.batch_norm(torch.from_numpy(x), trm, trv, torch.from_numpy(w),
                                        torch.from_numpy(b), training=False)
    np.testing.assert_allclose(y.numpy(), ty.numpy(), atol=1e-5, rtol=1e-4)


def test_instance_norm_running_stats_match_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    rm, rv = gn.zeros(3), gn.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    for step in range(3):
        x = (rng.standard_normal((4, 3, 5, 2)) * (step + 2) - step).astype(np.float32)
        y = F.instance_norm(_t(x), rm, rv, momentum=0.2)
        ty = torch.nn.functional.instance_norm(torch.from_numpy(x), trm, trv, momentum=0.2)
        np.testing.assert_allclose(y.numpy(), ty.numpy(), atol=1e-5, rtol=1e-4)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-5, atol=1e-6)


def test_batch_norm_without_running_stats_in_training():
    # Seeded input (the global RNG state depends on test order); the normalised variance
    # is v / (v + eps), not exactly 1.
    x = np.random.default_rng(3).standard_normal((6, 4)).astype(np.float32)
    y = F.batch_norm(_t(x), None, None, training=True).numpy()
    v = x.var(0)
    np.testing.assert_allclose(y.mean(0), 0, atol=1e-6)
    np.testing.assert_allclose(y.var(0), v / (v + 1e-5), rtol=1e-4)


def test_batch_norm_float64_input_with_float32_buffers():
    rm, rv = gn.zeros(2), gn.ones(2)
    x = gn.tensor(np.random.default_rng(0).standard_normal((5, 2)), dtype=gn.float64)
    y = F.batch_norm(x, rm, rv, training=True)
    assert y.dtype == gn.float64 and rm.dtype == gn.float32
    assert F.batch_norm(x, rm, rv).dtype == gn.float64


def test_batch_norm_float32_parity_on_a_conv_sized_batch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    x = (rng.standard_normal((8, 16, 12, 12)) * 3 + 2).astype(np.float32)
    w = rng.uniform(0.5, 1.5, 16).astype(np.float32)
    cot = rng.standard_normal(x.shape).astype(np.float32)
    gx, gw = _t(x, True), _t(w, True)
    F.batch_norm(gx, None, None, gw, None, training=True).backward(_t(cot))
    tx = torch.from_numpy(x).requires_grad_()
    tw = torch.from_numpy(w).requires_grad_()
    torch.nn.functional.batch_norm(tx, None, None, tw, None, training=True).backward(
        torch.from_numpy(cot))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-4, rtol=1e-3)
    np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy(), atol=1e-3, rtol=1e-4)


# ---------------------------------------------------------------------------
# Known answers
# ---------------------------------------------------------------------------
def _naive_lrn(x, size, alpha, beta, k):
    out = np.empty_like(x)
    c = x.shape[1]
    for ch in range(c):
        lo, hi = max(0, ch - size // 2), min(c - 1, ch + (size - 1) // 2)
        s = (x[:, lo:hi + 1] ** 2).sum(axis=1)
        out[:, ch] = x[:, ch] / (k + alpha / size * s) ** beta
    return out


@pytest.mark.parametrize("size", [1, 2, 3, 4, 5, 9])
def test_local_response_norm_matches_a_naive_loop(size):
    x = np.random.default_rng(size).standard_normal((2, 6, 3, 2))
    y = F.local_response_norm(_t(x), size, alpha=0.7, beta=0.6, k=1.5).numpy()
    np.testing.assert_allclose(y, _naive_lrn(x, size, 0.7, 0.6, 1.5), rtol=1e-12)


def test_group_norm_with_bias_only_equals_unit_weight():
    # PyTorch's group_norm backward fails for bias without weight, so the registry
    # cannot check this case against it; a unit weight is the closed-form reference.
    rng = np.random.default_rng(0)
    xa, ba = rng.standard_normal((2, 4, 3)), rng.standard_normal(4)
    x1, b1 = _t(xa, True), _t(ba, True)
    x2, b2, w2 = _t(xa, True), _t(ba, True), _t(np.ones(4), True)
    cot = _t(rng.standard_normal(xa.shape))
    F.group_norm(x1, 2, None, b1).backward(cot)
    F.group_norm(x2, 2, w2, b2).backward(cot)
    np.testing.assert_allclose(x1.grad.numpy(), x2.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b1.grad.numpy(), b2.grad.numpy(), rtol=1e-12)


def test_group_norm_extremes_equal_layer_and_instance_norm():
    x = gn.tensor(np.random.default_rng(0).standard_normal((2, 4, 5)), dtype=gn.float64)
    np.testing.assert_allclose(F.group_norm(x, 1).numpy(), F.layer_norm(x, (4, 5)).numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(F.group_norm(x, 4).numpy(), F.instance_norm(x).numpy(),
                               rtol=1e-12)


def test_layer_norm_output_has_zero_mean_unit_variance():
    y = F.layer_norm(gn.randn(3, 4, 50) * 5 + 3, 50).numpy()
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-5)
    np.testing.assert_allclose(y.var(-1), 1, rtol=1e-3)


def test_normalize_max_norm_ties_match_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[3.0, -3.0, 1.0], [0.5, 2.0, -2.0]])
    x = _t(a, True)
    F.normalize(x, p=float("inf"), dim=1).backward(_t(np.arange(6.0).reshape(2, 3)))
    tx = torch.tensor(a, requires_grad=True)
    torch.nn.functional.normalize(tx, p=float("inf"), dim=1).backward(
        torch.arange(6.0, dtype=torch.float64).reshape(2, 3))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)


def test_normalize_gives_unit_norm_and_handles_zero_vectors():
    y = F.normalize(gn.tensor([[3.0, 4.0], [0.0, 0.0]]), dim=1).numpy()
    np.testing.assert_allclose(y, [[0.6, 0.8], [0.0, 0.0]])


@pytest.mark.parametrize("call", [
    lambda x: F.layer_norm(x, (5,)), lambda x: F.group_norm(x, 2),
    lambda x: F.instance_norm(x), lambda x: F.local_response_norm(x, 3),
    lambda x: F.normalize(x), lambda x: F.batch_norm(x, None, None, training=True),
])
def test_norms_keep_float32(call):
    x = gn.randn(2, 4, 5, requires_grad=True)
    y = call(x)
    assert y.dtype == gn.float32
    y.sum().backward()
    assert x.grad.dtype == gn.float32


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.batch_norm(gn.ones(1, 3), gn.zeros(3), gn.ones(3), training=True), ValueError,
     r"batch_norm: Expected more than 1 value per channel when training, got input size "
     r"\(1, 3\)"),
    (lambda: F.batch_norm(gn.ones(2, 3), None, None), ValueError,
     "batch_norm: running_mean and running_var must be given when training=False"),
    (lambda: F.batch_norm(gn.ones(2, 3), gn.zeros(4), gn.ones(4)), ValueError,
     r"batch_norm: running_mean must have shape \(3,\) \(C from input\), got \(4,\)"),
    (lambda: F.batch_norm(gn.ones(2, 3), None, None, gn.ones(2), training=True), ValueError,
     r"batch_norm: weight must have shape \(3,\), got \(2,\)"),
    (lambda: F.batch_norm(gn.ones(3), None, None, training=True), ValueError,
     r"batch_norm: input must have shape \(N, C\), \(N, C, L\) or \(N, C, H, W\), got \(3,\)"),
    (lambda: F.batch_norm(gn.ones(2, 3), gn.zeros(3), None), ValueError,
     "batch_norm: running_mean and running_var must both be given or both be None"),
    (lambda: F.batch_norm(gn.tensor([[1, 2], [3, 4]]), None, None, training=True), TypeError,
     "batch_norm: input dtype must be float32 or float64, got int64"),
    (lambda: F.batch_norm(gn.ones(2, 3), None, None, training=True, momentum=None), TypeError,
     "batch_norm: momentum must be a real number, got NoneType"),
    (lambda: F.instance_norm(gn.ones(2, 3, 1)), ValueError,
     r"instance_norm: Expected more than 1 spatial element when training, got input size "
     r"\(2, 3, 1\)"),
    (lambda: F.instance_norm(gn.ones(2, 3)), ValueError,
     r"instance_norm: input must have shape \(N, C, L\), \(N, C, H, W\) or \(N, C, D, H, W\)"),
    (lambda: F.instance_norm(gn.ones(2, 3, 4), use_input_stats=False), ValueError,
     "instance_norm: running_mean and running_var must be given when use_input_stats=False"),
    (lambda: F.layer_norm(gn.ones(2, 4), (3,)), ValueError,
     r"layer_norm: input must have shape \(\*, 3\) to match normalized_shape=\(3,\), "
     r"got \(2, 4\)"),
    (lambda: F.layer_norm(gn.ones(2, 4), 4, gn.ones(3)), ValueError,
     r"layer_norm: weight must have shape \(4,\), got \(3,\)"),
    (lambda: F.layer_norm(gn.ones(2, 4), "a"), TypeError,
     "layer_norm: normalized_shape must be an int or a tuple of ints, got 'a'"),
    (lambda: F.group_norm(gn.ones(2, 4, 3), 3), ValueError,
     "group_norm: num_groups must be positive and divide the number of channels C=4, got "
     "num_groups=3"),
    (lambda: F.group_norm(gn.ones(2, 4, 3), 2.0), TypeError,
     "group_norm: num_groups must be an int, got float"),
    (lambda: F.local_response_norm(gn.ones(2, 3), 2), ValueError,
     r"local_response_norm: input must have shape \(N, C, \*\) with at least 3 dimensions, "
     r"got \(2, 3\)"),
    (lambda: F.local_response_norm(gn.ones(2, 3, 4), 0), ValueError,
     "local_response_norm: size must be > 0, got 0"),
    (lambda: F.normalize(gn.ones(2, 3), p=0), ValueError, "normalize: p must be > 0, got 0"),
    (lambda: F.normalize(gn.ones(2, 3), dim=3), IndexError,
     r"normalize: dim must be in \[-2, 1\] for a 2-D input, got 3"),
    (lambda: F.batch_norm(gn.ones(2, 3), None, None, training=True, eps=-1.0), ValueError,
     "batch_norm: eps must be >= 0.0, got -1.0"),
])
def test_errors_name_function_argument_and_values(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("path", ["kernels", "numpy"])
@pytest.mark.parametrize("shape", [(4, 3, 5, 7), (1, 2, 3, 3), (5, 4, 6)])
def test_batch_norm_training_paths_match_torch_with_a_large_mean(shape, path):
    """The compiled batch-norm kernels (glassnet.ops.kernels.batchnorm, where numba is
    installed) and the NumPy reference, against torch: output, running statistics and
    all three gradients in float32 on data with mean 100 and std 3 (where computing
    x * scale - mean * scale would lose digits)."""
    torch = pytest.importorskip("torch")
    from glassnet.ops.kernels import batchnorm as bk

    if path == "kernels" and not bk.available():
        pytest.skip("numba not installed")
    rng = np.random.default_rng(11)
    x = (rng.standard_normal(shape) * 3 + 100).astype(np.float32)
    w, b = (rng.standard_normal(shape[1]).astype(np.float32) for _ in range(2))
    cot = rng.standard_normal(shape).astype(np.float32)
    ours = [gn.tensor(a, requires_grad=True) for a in (x, w, b)]
    rm, rv = gn.zeros(shape[1]), gn.ones(shape[1])
    ctx = bk.disabled() if path == "numpy" else contextlib.nullcontext()
    with ctx:
        y = F.batch_norm(ours[0], rm, rv, ours[1], ours[2], training=True, momentum=0.3)
        y.backward(gn.tensor(cot))
    ref = [torch.tensor(a, requires_grad=True) for a in (x, w, b)]
    trm, trv = torch.zeros(shape[1]), torch.ones(shape[1])
    ty = torch.nn.functional.batch_norm(ref[0], trm, trv, ref[1], ref[2], training=True,
                                        momentum=0.3)
    ty.backward(torch.tensor(cot))
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-4, atol=2e-5)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-4)
    for a, t in zip(ours, ref):
        np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-3, atol=2e-4)
