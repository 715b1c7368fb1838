"""sigmoid_focal_loss: closed-form values, gradients, errors, and torchvision parity."""
from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.testing import gradcheck
from glassnet.vision.ops import sigmoid_focal_loss


def _closed_form(x, t, alpha, gamma):
    p = 1 / (1 + np.exp(-x))
    ce = -(t * np.log(p) + (1 - t) * np.log(1 - p))
    p_t = p * t + (1 - p) * (1 - t)
    a_t = alpha * t + (1 - alpha) * (1 - t) if alpha >= 0 else 1.0
    return a_t * ce * (1 - p_t) ** gamma


def test_focal_loss_known_value_at_zero_logit():
    out = sigmoid_focal_loss(gn.tensor([0.0, 0.0]), gn.tensor([1.0, 0.0]))
    np.testing.assert_allclose(out.data, [0.25 * math.log(2) / 4, 0.75 * math.log(2) / 4],
                               rtol=1e-6)


@pytest.mark.parametrize("alpha,gamma", [(0.25, 2.0), (-1, 0.0), (0.7, 1.5), (0.5, 3.0)])
def test_focal_loss_matches_closed_form(alpha, gamma):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 6)) * 3
    t = rng.integers(0, 2, (4, 6)).astype(np.float64)
    out = sigmoid_focal_loss(gn.tensor(x, dtype=gn.float64), gn.tensor(t, dtype=gn.float64),
                             alpha, gamma)
    np.testing.assert_allclose(out.data, _closed_form(x, t, alpha, gamma), rtol=1e-10)


def test_focal_loss_is_stable_for_large_logits():
    x = gn.tensor([-200.0, 200.0, 90.0], requires_grad=True)
    out = sigmoid_focal_loss(x, gn.tensor([1.0, 0.0, 1.0]), reduction="sum")
    out.backward()
    assert np.isfinite(out.item()) and np.all(np.isfinite(x.grad.data))


def test_focal_loss_gradcheck_inputs_and_soft_targets():
    rng = np.random.default_rng(1)
    x = gn.tensor(rng.standard_normal((3, 4)), dtype=gn.float64, requires_grad=True)
    t = gn.tensor(rng.uniform(0.1, 0.9, (3, 4)), dtype=gn.float64, requires_grad=True)
    gradcheck(lambda a, b: sigmoid_focal_loss(a, b, 0.3, 2.5, "mean"), [x, t])


def test_focal_loss_errors():
    x = gn.zeros(3)
    with pytest.raises(ValueError, match=r"alpha must be in \[0, 1\] or -1"):
        sigmoid_focal_loss(x, x, alpha=1.5)
    with pytest.raises(ValueError, match="reduction must be 'none', 'mean' or 'sum'"):
        sigmoid_focal_loss(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"targets must have the shape of inputs \(3,\)"):
        sigmoid_focal_loss(x, gn.zeros(2))


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("alpha,gamma", [(0.25, 2), (-1, 1.0), (0.9, 0)])
def test_focal_loss_matches_torchvision(reduction, alpha, gamma):
    tv = pytest.importorskip("torchvision", reason="torchvision not installed")
    import torch

    rng = np.random.default_rng(2)
    x = (rng.standard_normal((5, 7)) * 4).astype(np.float32)
    t = rng.integers(0, 2, (5, 7)).astype(np.float32)
    t[0] = rng.uniform(0, 1, 7)  # a row of soft targets
    gx, gt = gn.tensor(x, requires_grad=True), gn.tensor(t, requires_grad=True)
    tx, tt = torch.tensor(x, requires_grad=True), torch.tensor(t, requires_grad=True)
    out = sigmoid_focal_loss(gx, gt, alpha, gamma, reduction)
    ref = tv.ops.sigmoid_focal_loss(tx, tt, alpha, gamma, reduction)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=1e-6, rtol=1e-6)
    cot = rng.standard_normal(out.shape).astype(np.float32)
    out.backward(gn.tensor(cot))
    ref.backward(torch.tensor(cot))
    np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), atol=1e-6, rtol=1e-5)
    np.testing.assert_allclose(gt.grad.data, tt.grad.numpy(), atol=1e-6, rtol=1e-5)
