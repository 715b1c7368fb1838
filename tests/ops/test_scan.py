"""Scans: cumprod's gradient with zeros, cummax/cummin ties, logcumsumexp, diff."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("x", [[2.0, 0.0, 3.0, 4.0], [0.0, 0.0, 1.5], [1.0, 2.0, 0.0],
                               [0.0], [-1.5, 2.0, 0.5]])
def test_cumprod_gradient_matches_torch_also_with_zeros(x):
    x = np.array(x)
    cot = np.arange(1.0, len(x) + 1)
    g, t = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gn.cumprod(g, 0).backward(gn.tensor(cot))
    torch.cumprod(t, 0).backward(torch.tensor(cot))
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy())
    assert np.isfinite(g.grad.numpy()).all()


def test_cumprod_is_no_longer_detached():
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    assert gn.cumprod(x, 0).requires_grad


def test_cummax_and_cummin_ties_take_the_latest_index_as_torch():
    x = np.array([[1.0, 3.0, 3.0, 2.0, 3.0, 5.0], [3.0, 1.0, 1.0, 2.0, 1.0, 0.0]])
    for name in ("cummax", "cummin"):
        out = getattr(gn, name)(gn.tensor(x), 1)
        ref = getattr(torch, name)(torch.tensor(x), 1)
        np.testing.assert_array_equal(out.values.numpy(), ref.values.numpy())
        np.testing.assert_array_equal(out.indices.numpy(), ref.indices.numpy())


def test_cummax_gradient_accumulates_at_the_returned_index_as_torch():
    x = np.array([1.0, 3.0, 2.0, 2.5])
    g, t = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gn.cummax(g, 0).values.sum().backward()
    torch.cummax(t, 0).values.sum().backward()
    np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())


def test_logcumsumexp_is_stable_for_large_values():
    x = np.array([1000.0, 1000.0, -1000.0])
    out = gn.logcumsumexp(gn.tensor(x), 0).numpy()
    np.testing.assert_allclose(out, torch.logcumsumexp(torch.tensor(x), 0).numpy())


def test_diff_of_bool_is_not_equal_as_torch():
    x = np.array([True, True, False, True])
    assert gn.diff(gn.tensor(x)).tolist() == torch.diff(torch.tensor(x)).tolist()
