"""Tests of glassnet.nn.utils vs torch.nn.utils, plus max_norm_ and l1_penalty."""
import math

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from glassnet.nn.utils import (clip_grad_norm_, clip_grad_value_, l1_penalty, max_norm_,
                               parameters_to_vector, vector_to_parameters)

torch = pytest.importorskip("torch")

SHAPES = [(3, 4), (5,), (2, 3, 2), ()]


def _pairs(scale=1.0, seed=0):
    """Parameters with gradients, as glassnet and torch twins."""
    rng = np.random.default_rng(seed)
    gs, ts = [], []
    for shape in SHAPES:
        w = rng.standard_normal(shape).astype(np.float32)
        g = (rng.standard_normal(shape) * scale).astype(np.float32)
        gp = nn.Parameter(glassnet.tensor(w))
        gp.grad = glassnet.tensor(g)
        tp = torch.nn.Parameter(torch.tensor(w))
        tp.grad = torch.tensor(g)
        gs.append(gp)
        ts.append(tp)
    return gs, ts


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e6])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    gs, ts = _pairs(scale=2.0)
    total = clip_grad_norm_(gs, max_norm, norm_type=norm_type)
    ttotal = torch.nn.utils.clip_grad_norm_(ts, max_norm, norm_type=norm_type)
    assert isinstance(total, glassnet.Tensor) and total.shape == ()
    assert total.dtype == np.float32
    np.testing.assert_allclose(total.item(), ttotal.item(), rtol=1e-6)
    for g, t in zip(gs, ts):
        np.testing.assert_allclose(g.grad.data, t.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_clip_grad_norm_single_tensor_skips_missing_grads_and_empty():
    gs, _ = _pairs()
    gs[1].grad = None
    clip_grad_norm_(gs[0], 0.1)
    assert np.linalg.norm(gs[0].grad.data) <= 0.1 + 1e-6
    clip_grad_norm_(gs, 0.1)
    assert gs[1].grad is None
    assert clip_grad_norm_([nn.Parameter(glassnet.zeros(2))], 1.0).item() == 0.0


def test_clip_grad_norm_nonfinite():
    gs, ts = _pairs()
    gs[0].grad.data[0, 0] = np.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(gs, 1.0, error_if_nonfinite=True)
    assert math.isinf(clip_grad_norm_(gs, 1.0).item())


def test_clip_grad_value_matches_torch():
    gs, ts = _pairs(scale=3.0)
    clip_grad_value_(gs, 1.5)
    torch.nn.utils.clip_grad_value_(ts, 1.5)
    for g, t in zip(gs, ts):
        np.testing.assert_array_equal(g.grad.data, t.grad.numpy())
    with pytest.raises(ValueError, match="clip_value must be >= 0"):
        clip_grad_value_(gs, -1)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        clip_grad_value_(3, 1.0)


def test_parameters_to_vector_and_back_match_torch():
    gs, ts = _pairs()
    vec = parameters_to_vector(gs)
    np.testing.assert_array_equal(vec.data, torch.nn.utils.parameters_to_vector(ts)
                                  .detach().numpy())
    # differentiable, like torch's
    (vec * 2).sum().backward()
    new = np.arange(vec.numel(), dtype=np.float32)
    vector_to_parameters(glassnet.tensor(new), gs)
    torch.nn.utils.vector_to_parameters(torch.tensor(new), ts)
    for g, t in zip(gs, ts):
        np.testing.assert_array_equal(g.data, t.detach().numpy())
    with pytest.raises(ValueError, match="must have 30 elements"):
        vector_to_parameters(glassnet.zeros(5), gs)
    with pytest.raises(TypeError, match="expected vec to be a Tensor"):
        vector_to_parameters(new, gs)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_max_norm_matches_torch_renorm(dim):
    rng = np.random.default_rng(2)
    w = (rng.standard_normal((6, 4, 3, 3)) * 2).astype(np.float32)
    p = nn.Parameter(glassnet.tensor(w))
    max_norm_([p], 3.0, dim=dim)
    expected = torch.renorm(torch.tensor(w), p=2, dim=dim, maxnorm=3.0).numpy()
    np.testing.assert_allclose(p.data, expected, rtol=1e-5, atol=1e-6)


def test_max_norm_constrains_each_output_unit_and_skips_biases():
    lin = nn.Linear(10, 5)
    with glassnet.no_grad():
        lin.weight.data[...] *= 10
        lin.weight.data[0] = 0.01
        lin.bias.data[...] = 100.0
    before_row0 = lin.weight.detach().numpy()[0].copy()
    max_norm_(lin, 1.0)
    norms = np.linalg.norm(lin.weight.data, axis=1)
    assert np.all(norms <= 1.0 + 1e-5)
    np.testing.assert_allclose(norms[1:], 1.0, rtol=1e-5)
    np.testing.assert_array_equal(lin.weight.data[0], before_row0)  # under the bound
    np.testing.assert_array_equal(lin.bias.data, 100.0)
    with pytest.raises(ValueError, match="max_norm must be > 0"):
        max_norm_(lin, 0.0)


def test_l1_penalty_value_and_gradient():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    pen = l1_penalty(model.parameters())
    expected = sum(np.abs(p.data).sum() for p in model.parameters())
    assert pen.shape == () and pen.item() == pytest.approx(float(expected), rel=1e-6)
    pen.backward()
    for p in model.parameters():
        np.testing.assert_array_equal(p.grad.data, np.sign(p.data))
    assert l1_penalty(model).item() == pytest.approx(float(expected), rel=1e-6)
    with pytest.raises(ValueError, match="empty"):
        l1_penalty([])
