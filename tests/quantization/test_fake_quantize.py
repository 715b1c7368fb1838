"""Fake quantisation: forward and straight-through backward equal torch's, FakeQuantize
equals torch.ao.quantization.FakeQuantize over several batches, and a net with fake-quant
modules trains (quantisation-aware training)."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.nn import functional as F
from glassnet.quantization.fake_quantize import (
    FakeQuantize, default_fake_quant, default_per_channel_weight_fake_quant,
    fake_quantize_per_channel_affine, fake_quantize_per_tensor_affine,
)
from glassnet.quantization.observer import MinMaxObserver

torch = pytest.importorskip("torch")
tq = pytest.importorskip("torch.ao.quantization")


def test_ste_gradient_is_one_inside_and_zero_where_clamped():
    x = gn.tensor(np.array([-3.0, -0.26, 0.0, 0.24, 0.5, 3.0], np.float32), requires_grad=True)
    # scale 0.1, zero point 0, range [-3, 3] in codes: +-0.3 in values
    y = fake_quantize_per_tensor_affine(x, 0.1, 0, -3, 3)
    y.backward(gn.ones(6))
    np.testing.assert_allclose(y.detach().numpy(), [-0.3, -0.3, 0.0, 0.2, 0.3, 0.3], atol=1e-7)
    np.testing.assert_array_equal(x.grad.numpy(), [0, 1, 1, 1, 0, 0])


def test_rounding_ties_go_to_even_as_torch():
    x = np.array([0.5, 1.5, 2.5, -0.5, -1.5], np.float32)
    ours = fake_quantize_per_tensor_affine(gn.tensor(x), 1.0, 0, -128, 127).numpy()
    theirs = torch.fake_quantize_per_tensor_affine(torch.tensor(x), 1.0, 0, -128, 127).numpy()
    np.testing.assert_array_equal(ours, theirs)
    np.testing.assert_array_equal(ours, [0, 2, 2, -0, -2])


def test_per_channel_validation():
    x = gn.randn(3, 4)
    with pytest.raises(ValueError, match="axis"):
        fake_quantize_per_channel_affine(x, np.ones(4), np.zeros(4), -1, 0, 255)
    with pytest.raises(ValueError, match="entries"):
        fake_quantize_per_channel_affine(x, np.ones(3), np.zeros(3), 1, 0, 255)
    with pytest.raises(ValueError, match="scale must be > 0"):
        fake_quantize_per_tensor_affine(x, 0.0, 0, 0, 255)
    with pytest.raises(TypeError, match="floating"):
        fake_quantize_per_tensor_affine(gn.tensor(np.arange(3)), 0.1, 0, 0, 255)


@pytest.mark.parametrize("per_channel", [False, True])
def test_fake_quantize_module_equals_torch(per_channel):
    if per_channel:
        ours = default_per_channel_weight_fake_quant()
        theirs = tq.default_per_channel_weight_fake_quant()
    else:
        ours = default_fake_quant()
        theirs = tq.default_fake_quant()
    rng = np.random.default_rng(0)
    for i in range(4):
        x = (rng.standard_normal((6, 5)) * (1 + i)).astype(np.float32)
        xg = gn.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        yg, yt = ours(xg), theirs(xt)
        np.testing.assert_allclose(ours.scale.numpy(), theirs.scale.numpy(), rtol=1e-6)
        np.testing.assert_array_equal(ours.zero_point.numpy(),
                                      theirs.zero_point.numpy().astype(np.int64))
        np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), atol=1e-6)
        yg.sum().backward()
        yt.sum().backward()
        np.testing.assert_array_equal(xg.grad.numpy(), xt.grad.numpy())
    ours.disable_fake_quant()
    x = gn.randn(6, 5)
    np.testing.assert_array_equal(ours(x).numpy(), x.numpy())
    ours.disable_observer()
    before = ours.scale.numpy().copy()
    ours(gn.randn(6, 5) * 100)
    np.testing.assert_array_equal(ours.scale.numpy(), before)


def test_quantization_aware_training_reduces_the_loss():
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.standard_normal((64, 10)).astype(np.float32))
    y = gn.tensor((rng.standard_normal((64, 10)) @ rng.standard_normal(10) > 0).astype(np.int64))
    model = nn.Sequential(FakeQuantize(MinMaxObserver, quant_min=0, quant_max=15),
                          nn.Linear(10, 16), nn.ReLU(),
                          FakeQuantize(MinMaxObserver, quant_min=0, quant_max=15),
                          nn.Linear(16, 2))
    opt = optim.Adam(model.parameters(), lr=0.02)
    losses = []
    for _ in range(60):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
    # the activations really are on the 16-level grid
    h = model[3](model[2](model[1](model[0](x)))).detach().numpy()
    assert np.unique(h).size <= 16
