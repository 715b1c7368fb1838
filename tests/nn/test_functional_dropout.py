"""Statistical and known-answer tests for nn.functional dropout (PyTorch's masks come from
its own generator, so there is no elementwise parity test)."""
from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F

ALPHA = 1.7580993408473766  # SELU's -scale * alpha, PyTorch's alpha_dropout constant


def _ones(*shape, requires_grad=False):
    return gn.ones(*shape, requires_grad=requires_grad)


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_fraction_p_and_preserves_the_mean(p):
    gn.manual_seed(0)
    x = gn.full((200, 500), 2.0)
    y = F.dropout(x, p).numpy()
    zeroed = (y == 0).mean()
    assert abs(zeroed - p) < 0.01
    np.testing.assert_allclose(y[y != 0], 2.0 / (1 - p), rtol=1e-6)
    assert abs(y.mean() - 2.0) < 0.05


def test_dropout_backward_reuses_the_forward_mask():
    x = gn.randn(30, 40, requires_grad=True)
    y = F.dropout(x, 0.3, generator=np.random.default_rng(5))
    cot = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
    y.backward(gn.tensor(cot))
    mask = y.detach().numpy() / x.detach().numpy()
    np.testing.assert_allclose(x.grad.numpy(), cot * mask, rtol=1e-5, atol=1e-6)
    kept = mask != 0
    np.testing.assert_allclose(mask[kept], 1 / 0.7, rtol=1e-5)
    assert 0.2 < 1 - kept.mean() < 0.4


def test_dropout_identity_cases_return_the_input():
    x = gn.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert F.dropout2d(gn.randn(2, 3, 4, 4), 0.5, training=False).shape == (2, 3, 4, 4)
    assert F.alpha_dropout(x, 0.5) is x  # PyTorch's default training=False


@pytest.mark.parametrize("fn", [F.dropout, F.alpha_dropout, F.feature_alpha_dropout,
                                F.dropout1d])
def test_p_one_gives_zeros_and_zero_gradient(fn):
    x = _ones(2, 3, 4, requires_grad=True)
    y = fn(x, 1.0, training=True)
    assert not y.detach().numpy().any()
    y.sum().backward()
    assert not x.grad.numpy().any()


def test_manual_seed_and_generator_give_identical_masks():
    x = gn.ones(50, 50)
    gn.manual_seed(123)
    a = F.dropout(x, 0.4).numpy()
    gn.manual_seed(123)
    b = F.dropout(x, 0.4).numpy()
    np.testing.assert_array_equal(a, b)
    c = F.dropout(x, 0.4, generator=np.random.default_rng(9)).numpy()
    d = F.dropout(x, 0.4, generator=np.random.default_rng(9)).numpy()
    np.testing.assert_array_equal(c, d)
    assert not np.array_equal(a, F.dropout(x, 0.4).numpy())


@pytest.mark.parametrize("fn,shape,lead", [
    (F.dropout1d, (8, 16, 5), 2), (F.dropout1d, (16, 5), 1),
    (F.dropout2d, (8, 16, 3, 4), 2), (F.dropout2d, (16, 3, 4), 1),
    (F.dropout3d, (4, 16, 2, 3, 2), 2), (F.dropout3d, (16, 2, 3, 2), 1),
])
def test_channel_dropout_drops_whole_channels(fn, shape, lead):
    gn.manual_seed(1)
    y = fn(gn.ones(*shape), 0.5).numpy()
    flat = y.reshape(shape[:lead] + (-1,))
    # Every channel is either all zero or all 2.
    assert np.all((flat == flat[..., :1]).all(axis=-1))
    assert set(np.unique(flat)) == {0.0, 2.0}


def test_alpha_dropout_keeps_zero_mean_unit_variance():
    gn.manual_seed(0)
    x = gn.randn(400, 500)
    for p in (0.1, 0.5):
        y = F.alpha_dropout(x, p, training=True).numpy()
        assert abs(y.mean()) < 0.02 and abs(y.var() - 1) < 0.02


def test_alpha_dropout_values_match_torch_constants():
    torch = pytest.importorskip("torch")
    p, c = 0.3, 0.7
    ours = np.unique(F.alpha_dropout(gn.full((2000,), c), p, training=True).numpy())
    torch.manual_seed(0)
    ref = np.unique(torch.nn.functional.alpha_dropout(torch.full((2000,), c), p,
                                                      training=True).numpy())
    a = 1 / math.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    np.testing.assert_allclose(ours, ref, rtol=1e-6)
    np.testing.assert_allclose(sorted(ours), sorted([a * c + a * ALPHA * p, a * ALPHA * (p - 1)]),
                               rtol=1e-6)


def test_alpha_dropout_gradient_is_a_on_kept_units():
    p = 0.4
    x = gn.randn(100, requires_grad=True)
    y = F.alpha_dropout(x, p, training=True, generator=np.random.default_rng(0))
    y.sum().backward()
    a = 1 / math.sqrt((ALPHA ** 2 * p + 1) * (1 - p))
    dropped = np.isclose(y.detach().numpy(), a * ALPHA * (p - 1))
    np.testing.assert_allclose(x.grad.numpy()[~dropped], a, rtol=1e-6)
    np.testing.assert_array_equal(x.grad.numpy()[dropped], 0)


def test_feature_alpha_dropout_drops_whole_channels():
    gn.manual_seed(2)
    y = F.feature_alpha_dropout(gn.ones(6, 8, 3, 3), 0.5, training=True).numpy()
    flat = y.reshape(6, 8, -1)
    assert np.all((flat == flat[..., :1]).all(axis=-1))
    assert len(np.unique(flat)) == 2


def test_dropout_keeps_float32_and_float64():
    for dt in (gn.float32, gn.float64):
        assert F.dropout(gn.ones(4, 4, dtype=dt), 0.5).dtype == dt
        assert F.alpha_dropout(gn.ones(4, 4, dtype=dt), 0.5, True).dtype == dt


@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.dropout(gn.ones(3), 1.5), ValueError,
     "dropout: dropout probability p has to be between 0 and 1, but got 1.5"),
    (lambda: F.dropout(gn.ones(3), -0.1), ValueError, "dropout: dropout probability"),
    (lambda: F.alpha_dropout(gn.ones(3), 2.0, True), ValueError, "alpha_dropout: dropout"),
    (lambda: F.dropout(gn.ones(3), "a"), TypeError, "dropout: p must be a real number, got str"),
    (lambda: F.dropout(gn.ones(3), generator=0), TypeError,
     "dropout: generator must be a numpy.random.Generator, got int"),
    (lambda: F.dropout(gn.tensor([1, 2]), 0.5), TypeError,
     "dropout: input dtype must be float32 or float64, got int64"),
    (lambda: F.dropout1d(gn.ones(2, 3, 4, 5)), ValueError,
     r"dropout1d: input must be 2-D or 3-D \(an optional batch dim, a channel dim and 1 "
     r"spatial dim\), got shape \(2, 3, 4, 5\)"),
    (lambda: F.dropout2d(gn.ones(2, 3)), ValueError, "dropout2d: input must be 3-D or 4-D"),
    (lambda: F.dropout3d(gn.ones(2, 3, 4)), ValueError, "dropout3d: input must be 4-D or 5-D"),
    (lambda: F.feature_alpha_dropout(gn.ones(3), 0.5, True), ValueError,
     r"feature_alpha_dropout: input must have shape \(N, C, \*\) with at least 2 dimensions"),
])
def test_errors_name_function_argument_and_values(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
