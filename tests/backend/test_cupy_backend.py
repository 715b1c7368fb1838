"""The same ops on CuPy arrays (GPU) as on NumPy: forward and gradients agree.

Runs only where CuPy and a GPU are present (the lent GPU machine); skipped in CI. Each
case builds float32 inputs on the host, runs the op once on CPU tensors and once on
tensors moved with ``.to("cuda")`` (CuPy arrays), and compares outputs and input
gradients.
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
    where = "cuda" if xp is cp else "cpu"
    ts = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            t = gn.tensor(a).to(where)
            if grad and a.dtype.kind == "f":
                t.requires_grad_(True)
            ts.append(t)
        else:
            ts.append(a)
    out = fn(*ts)
    assert out.device.type == where
    if grad and out.requires_grad:
        cot = np.random.default_rng(1).standard_normal(out.shape).astype(out.dtype)
        out.backward(gn.tensor(cot).to(where))
    grads = [t.grad.cpu().numpy() if isinstance(t, gn.Tensor) and t.grad is not None else None
             for t in ts]
    return out.detach().cpu().numpy(), grads


rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3, 9, 9)).astype(np.float32)
W = rng.standard_normal((6, 3, 3, 3)).astype(np.float32)
M = rng.standard_normal((8, 5)).astype(np.float32)
Y = np.array([0, 1, 2, 0, 1, 2, 0, 1])

# Inputs for the loss / norm / activation / dropout cases (block at the end of CASES),
# from their own generator so the draws of the cases above stay as they were.
rng_l = np.random.default_rng(1)
C3W = rng_l.uniform(0.5, 2.0, 3).astype(np.float32)  # per-class weights, C = 3
PR = rng_l.dirichlet(np.ones(5), 8).astype(np.float32)  # (8, 5) probabilities
P01 = rng_l.uniform(0.05, 0.95, (8, 5)).astype(np.float32)  # (8, 5) in (0, 1)
PM1 = np.where(rng_l.random((8, 5)) < 0.5, -1.0, 1.0).astype(np.float32)  # +1 / -1 labels

CASES = {
    "elementwise": (lambda a: ((a * 2 + 1).exp() / (a * a + 1)).log(), [M]),
    "matmul": (lambda a: a @ a.T, [M]),
    "linear": (lambda a, w: F.linear(a, w), [M, rng.standard_normal((3, 5)).astype("f4")]),
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
    "conv2d_dilated_bias": (lambda a, w, b: F.conv2d(a, w, b, padding=2, dilation=2),
                            [X, W, rng.standard_normal(6).astype("f4")]),
    "conv2d_depthwise": (lambda a, w: F.conv2d(a, w, padding=1, groups=3),
                         [X, W[:3, :1].copy()]),
    "conv_transpose2d_groups": (lambda a, w: F.conv_transpose2d(a, w, stride=2, padding=1,
                                                                groups=3),
                                [X, W[:3].copy()]),
    "conv1d": (lambda a, w: F.conv1d(a, w, padding=1), [X[:, :, 0], W[:, :, 0]]),
    "unfold_fold": (lambda a: F.fold(F.unfold(a, 3, padding=1, stride=2), (9, 9), 3,
                                     padding=1, stride=2), [X]),
    "max_pool2d_tiled": (lambda a: F.max_pool2d(a, 2), [X]),
    "max_pool2d_ties_inf": (lambda a: F.max_pool2d(a, 3, 1, 1, dilation=2),
                            [np.where(X > 0.5, np.float32(-np.inf), np.round(X))]),
    "max_unpool2d": (lambda a: F.max_unpool2d(*F.max_pool2d(a, 2, return_indices=True), 2,
                                              output_size=(9, 9)), [X]),
    "avg_pool2d_pad": (lambda a: F.avg_pool2d(a, 3, 2, 1, ceil_mode=True,
                                              count_include_pad=False), [X]),
    "adaptive_avg_pool2d_1x1": (lambda a: F.adaptive_avg_pool2d(a, 1), [X]),
    "adaptive_max_pool2d": (lambda a: F.adaptive_max_pool2d(a, (4, 5)), [X]),
    "interpolate_nearest": (lambda a: F.interpolate(a, size=(13, 5), mode="nearest"), [X]),
    "interpolate_bilinear_down": (lambda a: F.interpolate(a, size=(4, 7), mode="bilinear",
                                                          align_corners=True), [X]),
    "interpolate_linear": (lambda a: F.interpolate(a, scale_factor=3.5, mode="linear"),
                           [X[:, :, 0]]),
    "pixel_shuffle": (lambda a: F.pixel_unshuffle(F.pixel_shuffle(a, 2), 2),
                      [rng.standard_normal((2, 8, 3, 3)).astype("f4")]),
    "batch_norm": (lambda a: F.batch_norm(a, None, None, training=True), [X]),
    "layer_norm": (lambda a: F.layer_norm(a, (9, 9)), [X]),
    "dropout_eval": (lambda a: F.dropout(a, 0.5, training=False), [X]),
    # --- losses, norms, activations and dropout (ops/loss, norm, activation, dropout) ---
    "nll_loss_weight_ignore": (lambda a, w, y: F.nll_loss(a, y, weight=w, ignore_index=1),
                               [M[:, :3].copy(), C3W, Y]),
    "cross_entropy_smooth_weight": (
        lambda a, w, y: F.cross_entropy(a, y, weight=w, label_smoothing=0.1),
        [M[:, :3].copy(), C3W, Y]),
    "cross_entropy_probs": (lambda a, t: F.cross_entropy(a, t, label_smoothing=0.2),
                            [M, PR]),
    "cross_entropy_spatial": (lambda a, y: F.cross_entropy(a, y, reduction="sum"),
                              [X, rng_l.integers(0, 3, (4, 9, 9))]),
    "binary_cross_entropy": (lambda a, t: F.binary_cross_entropy(a, t), [P01, PR]),
    "bce_with_logits": (lambda a, t, pw: F.binary_cross_entropy_with_logits(
        a, t, pos_weight=pw), [M, PR, rng_l.uniform(0.5, 2, 5).astype("f4")]),
    "kl_div": (lambda a, t: F.kl_div(F.log_softmax(a, dim=1), t, reduction="batchmean"),
               [M, PR]),
    "kl_div_log_target": (lambda a, t: F.kl_div(a, t, reduction="sum", log_target=True),
                          [M, M[::-1].copy()]),
    "l1_smooth_l1_huber": (lambda a, b: F.l1_loss(a, b) + F.smooth_l1_loss(a, b, beta=0.5)
                           + F.huber_loss(a, b, delta=0.7), [M, M[::-1].copy()]),
    "margin_losses": (lambda a, b, t: F.soft_margin_loss(a, t)
                      + F.hinge_embedding_loss(a, t) + F.margin_ranking_loss(a, b, t),
                      [M, M[::-1].copy(), PM1]),
    "cosine_embedding": (lambda a, b, t: F.cosine_embedding_loss(a, b, t, margin=0.1),
                         [M, M[::-1].copy(), PM1[:, 0].copy()]),
    "multi_margin": (lambda a, y: F.multi_margin_loss(a, y, p=2), [M[:, :3].copy(), Y]),
    "pairwise_cosine": (lambda a, b: F.pairwise_distance(a, b)
                        + F.pairwise_distance(a, b, p=1)
                        + F.cosine_similarity(a, b, dim=1), [M, M[::-1].copy()]),
    "one_hot": (lambda y: F.one_hot(y), [Y]),
    "group_norm": (lambda a, w, b: F.group_norm(a, 3, w, b),
                   [X, rng_l.standard_normal(3).astype("f4"),
                    rng_l.standard_normal(3).astype("f4")]),
    "instance_norm": (lambda a: F.instance_norm(a), [X]),
    "local_response_norm": (lambda a: F.local_response_norm(a, 2, alpha=0.1), [X]),
    "normalize": (lambda a: F.normalize(a, p=2, dim=1) + F.normalize(a, p=3, dim=1), [M]),
    "log_softmax_softmin": (lambda a: F.log_softmax(a, dim=1) + F.softmin(a, dim=0), [M]),
    "leaky_relu_elu_family": (lambda a: F.leaky_relu(a, 0.1) + F.elu(a) + F.selu(a)
                              + F.celu(a, 0.5), [M]),
    "softplus_mish_hardswish": (lambda a: F.softplus(a, beta=2) + F.mish(a)
                                + F.hardswish(a), [M]),
    "prelu_glu_swish": (lambda a, w: F.prelu(a, w) + F.glu(gn.cat([a, a * 2], 1), 1)
                        + F.swish(a, 1.5), [M, rng_l.uniform(0, 1, 5).astype("f4")]),
    "rrelu_train": (lambda a: F.rrelu(a, training=True,
                                      generator=np.random.default_rng(3)), [M]),
    "dropout_train": (lambda a: F.dropout(a, 0.3, generator=np.random.default_rng(5)),
                      [X]),
    "dropout2d_train": (lambda a: F.dropout2d(a, 0.5, generator=np.random.default_rng(6)),
                        [X]),
    "alpha_dropout_train": (lambda a: F.alpha_dropout(
        a, 0.2, training=True, generator=np.random.default_rng(7)), [X]),
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
