"""Padding layers against torch: values and gradients for every class (batched and
unbatched, batch 1, odd sizes, asymmetric padding), repr, and the input-rank checks."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn

KINDS = ["ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"]
PADDINGS = {1: [2, (0, 3), (3, 1), (-1, 2)], 2: [1, (2, 0, 1, 3), (0, 1, 2, 2), (-1, 2, 1, -2)],
            3: [1, (1, 0, 2, 1, 0, 2), (0, -1, 1, 1, -1, 1)]}
# spatial sizes: odd, and large enough for reflect (padding < size) and circular
SPATIAL = {1: (5,), 2: (5, 4), 3: (3, 4, 5)}


def _make(lib, kind, nd, padding):
    cls = getattr(lib, f"{kind}{nd}d")
    return cls(padding, -1.5) if kind == "ConstantPad" else cls(padding)


CASES = [(kind, nd, padding, lead)
         for kind in KINDS for nd in (1, 2, 3) for padding in PADDINGS[nd]
         for lead in ((1, 3), (2, 1), (3,))]


@pytest.mark.parametrize("kind,nd,padding,lead", CASES)
def test_padding_layer_matches_torch(kind, nd, padding, lead):
    rng = np.random.default_rng(abs(hash((kind, nd, str(padding), lead))) % 2**32)
    g, t = _make(nn, kind, nd, padding), _make(tnn, kind, nd, padding)
    assert repr(g) == repr(t)
    assert g.padding == t.padding
    x = rng.standard_normal(lead + SPATIAL[nd]).astype(np.float32)
    gx = glassnet.tensor(x, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    gy, ty = g(gx), t(tx)
    assert tuple(gy.shape) == tuple(ty.shape)
    np.testing.assert_array_equal(gy.detach().numpy(), ty.detach().numpy())
    grad = rng.standard_normal(tuple(ty.shape)).astype(np.float32)
    gy.backward(glassnet.tensor(grad))
    ty.backward(torch.tensor(grad))
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_constant_padding_takes_any_rank_with_at_least_nd_dims(nd):
    g, t = _make(nn, "ConstantPad", nd, 1), _make(tnn, "ConstantPad", nd, 1)
    for rank in (nd, nd + 3):
        x = np.arange(2 ** rank, dtype=np.float32).reshape((2,) * rank)
        np.testing.assert_array_equal(g(glassnet.tensor(x)).numpy(),
                                      t(torch.tensor(x)).numpy())
    with pytest.raises(ValueError, match=f"ZeroPad{nd}d: expected an input with at least "
                                         f"{nd} dimensions, got {nd - 1}D"):
        _make(nn, "ZeroPad", nd, 1)(glassnet.ones(*(3,) * (nd - 1)))


@pytest.mark.parametrize("kind", ["ReflectionPad", "ReplicationPad", "CircularPad"])
@pytest.mark.parametrize("nd", [1, 2, 3])
def test_non_constant_padding_rejects_wrong_input_rank(kind, nd):
    layer = _make(nn, kind, nd, 1)
    for rank in (nd, nd + 3):
        with pytest.raises(ValueError, match=rf"{kind}{nd}d: expected {nd + 1}D or "
                                             rf"{nd + 2}D input \(got {rank}D"):
            layer(glassnet.ones(*(3,) * rank))


def test_reflection_padding_must_be_smaller_than_the_dimension():
    with pytest.raises(ValueError, match="padding size should be less than"):
        nn.ReflectionPad1d((3, 0))(glassnet.ones(1, 1, 3))


def test_circular_padding_may_not_wrap_more_than_once():
    x = glassnet.arange(3.0).reshape(1, 1, 3)
    np.testing.assert_array_equal(nn.CircularPad1d(3)(x).numpy()[0, 0],
                                  [0, 1, 2, 0, 1, 2, 0, 1, 2])
    with pytest.raises(ValueError, match="wraps around more than once"):
        nn.CircularPad1d((4, 0))(x)


def test_negative_padding_removing_a_whole_dimension_is_refused():
    with pytest.raises(ValueError, match=r"ZeroPad1d: padding \(-2, -1\) removes the whole"):
        nn.ZeroPad1d((-2, -1))(glassnet.ones(1, 3))


def test_padding_constructor_rejects_bad_arguments():
    with pytest.raises(ValueError, match=r"ZeroPad2d: padding must be an int or a tuple of 4"):
        nn.ZeroPad2d((1, 2))
    with pytest.raises(TypeError, match="ReflectionPad1d: padding must be an int"):
        nn.ReflectionPad1d(1.5)
    with pytest.raises(TypeError, match="ConstantPad1d: value must be a real number"):
        nn.ConstantPad1d(1, "0")


def test_padding_layer_in_a_model_trains():
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(1, 2, 3), nn.Flatten(),
                          nn.Linear(2 * 5 * 5, 1))
    opt = glassnet.optim.SGD(model.parameters(), lr=0.05)
    x, y = glassnet.randn(4, 1, 5, 5), glassnet.randn(4, 1)
    losses = []
    for _ in range(5):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
