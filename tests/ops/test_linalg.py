"""einsum forms, glassnet.linalg and the add* forms against torch."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


@pytest.mark.parametrize("eq,shapes", [
    ("ii->i", [(3, 3)]), ("ii", [(4, 4)]), ("iji->j", [(2, 3, 2)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]), ("b...,b->...", [(2, 3, 4), (2,)]),
    ("...ii->...i", [(2, 3, 3)]), ("ij,jk", [(2, 3), (3, 4)]), ("i,j->ij", [(2,), (3,)]),
    ("...j,...j->...", [(2, 1, 3), (4, 3)]),
])
def test_einsum_matches_torch_values_and_gradients(eq, shapes):
    arrays = [RNG.standard_normal(s) for s in shapes]
    g = [gn.tensor(a, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    out, ref = gn.einsum(eq, *g), torch.einsum(eq, *t)
    np.testing.assert_allclose(out.detach().numpy(), ref.detach().numpy(), rtol=1e-10)
    cot = RNG.standard_normal(tuple(ref.shape))
    out.backward(gn.tensor(cot))
    ref.backward(torch.tensor(cot))
    for a, b in zip(g, t):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_linalg_namespace_is_reachable_as_torch_linalg():
    import glassnet as torch_like

    assert torch_like.linalg.vector_norm(torch_like.tensor([3.0, 4.0])).item() == 5.0
    a = RNG.standard_normal((3, 3)) + 3 * np.eye(3)
    np.testing.assert_allclose(gn.linalg.inv(gn.tensor(a)).numpy(), np.linalg.inv(a))


def test_addmm_with_beta_zero_ignores_nan_in_input_as_torch():
    m = np.full((2, 2), np.nan)
    a, b = RNG.standard_normal((2, 3)), RNG.standard_normal((3, 2))
    out = gn.addmm(gn.tensor(m), gn.tensor(a), gn.tensor(b), beta=0)
    ref = torch.addmm(torch.tensor(m), torch.tensor(a), torch.tensor(b), beta=0)
    np.testing.assert_allclose(out.numpy(), ref.numpy())


def test_cdist_gradient_at_zero_distance_is_zero_as_torch():
    x = np.array([[0.0, 1.0], [2.0, 2.0]])
    g, t = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    gn.cdist(g, g).sum().backward()
    torch.cdist(t, t).sum().backward()
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy())


def test_cross_needs_a_dimension_of_size_3():
    with pytest.raises(ValueError, match="cross: no dimension of size 3"):
        gn.cross(gn.zeros(2, 2), gn.zeros(2, 2))
