"""Order statistics with ties and NaN, compared with torch."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")

TIES = np.array([[3.0, 1.0, 2.0, 1.0, 3.0, 2.0], [1.0, 2.0, 2.0, 1.0, 5.0, 0.0]])


def test_median_is_the_lower_middle_value_as_torch():
    for x in (TIES, TIES[:, :5]):
        out, ref = gn.median(gn.tensor(x), dim=1), torch.median(torch.tensor(x), dim=1)
        np.testing.assert_array_equal(out.values.numpy(), ref.values.numpy())
        np.testing.assert_array_equal(x[np.arange(2), out.indices.numpy()], out.values.numpy())


@pytest.mark.parametrize("k", [1, 2, 3, 4, 5, 6])
def test_kthvalue_with_ties_matches_torch_values_and_points_at_them(k):
    out = gn.kthvalue(gn.tensor(TIES), k, dim=1)
    ref = torch.kthvalue(torch.tensor(TIES), k, dim=1)
    np.testing.assert_array_equal(out.values.numpy(), ref.values.numpy())
    np.testing.assert_array_equal(TIES[np.arange(2), out.indices.numpy()], out.values.numpy())


def test_mode_with_tied_counts_is_the_smallest_value_at_its_last_index_as_torch():
    for x in (TIES, np.array([[2.0, 1.0, 1.0, 2.0, 3.0]]), np.array([[4.0, 4.0, 4.0]])):
        out, ref = gn.mode(gn.tensor(x), 1), torch.mode(torch.tensor(x), 1)
        np.testing.assert_array_equal(out.values.numpy(), ref.values.numpy())
        np.testing.assert_array_equal(out.indices.numpy(), ref.indices.numpy())


def test_global_median_shares_the_gradient_among_ties_as_torch():
    x = np.array([1.0, 2.0, 2.0, 3.0, np.nan])
    for name, data in (("median", x[:4]), ("nanmedian", x)):
        g, t = gn.tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
        getattr(gn, name)(g).backward()
        getattr(torch, name)(t).backward()
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy())


def test_median_with_nan_is_nan_nanmedian_ignores_it_as_torch():
    x = np.array([[1.0, np.nan, 0.5], [np.nan, np.nan, np.nan], [2.0, 1.0, 3.0]])
    for name in ("median", "nanmedian"):
        out = getattr(gn, name)(gn.tensor(x), dim=1)
        ref = getattr(torch, name)(torch.tensor(x), dim=1)
        np.testing.assert_array_equal(out.values.numpy(), ref.values.numpy())
    np.testing.assert_array_equal(gn.median(gn.tensor(x), dim=1).indices.numpy()[:2], [1, 0])


@pytest.mark.parametrize("interpolation", ["linear", "lower", "higher", "midpoint",
                                           "nearest"])
def test_quantile_interpolations_match_torch(interpolation):
    x = np.random.default_rng(0).standard_normal((3, 8))
    q = np.array([0.0, 0.1, 0.5, 0.55, 1.0])
    out = gn.quantile(gn.tensor(x), gn.tensor(q), dim=1, interpolation=interpolation)
    ref = torch.quantile(torch.tensor(x), torch.tensor(q), dim=1,
                         interpolation=interpolation)
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-12)


def test_nanquantile_of_an_all_nan_slice_is_nan_as_torch():
    x = np.array([[1.0, np.nan, 3.0], [np.nan] * 3])
    out = gn.nanquantile(gn.tensor(x), 0.5, dim=1)
    np.testing.assert_array_equal(out.numpy(), torch.nanquantile(torch.tensor(x), 0.5,
                                                                 dim=1).numpy())


def test_quantile_rejects_q_outside_0_1():
    with pytest.raises(ValueError, match="quantile: q"):
        gn.quantile(gn.tensor([1.0, 2.0]), 1.5)


def test_histc_searchsorted_bucketize_match_torch():
    x = np.array([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, -1.0], dtype=np.float32)
    for kw in ({"bins": 4, "min": 0, "max": 2}, {"bins": 3}):
        np.testing.assert_array_equal(gn.histc(gn.tensor(x), **kw).numpy(),
                                      torch.histc(torch.tensor(x), **kw).numpy())
    b = np.array([0.0, 1.0, 2.0])
    for right in (False, True):
        np.testing.assert_array_equal(
            gn.bucketize(gn.tensor(x), gn.tensor(b), right=right).numpy(),
            torch.bucketize(torch.tensor(x), torch.tensor(b), right=right).numpy())
        seq = np.array([[0.0, 1.0, 2.0], [-1.0, 0.5, 1.5]])
        v = np.array([[1.0, 0.2], [1.5, -3.0]])
        np.testing.assert_array_equal(
            gn.searchsorted(gn.tensor(seq), gn.tensor(v), right=right).numpy(),
            torch.searchsorted(torch.tensor(seq), torch.tensor(v), right=right).numpy())


def test_sort_and_topk_put_nan_as_the_largest_value_as_torch():
    x = np.array([1.0, np.nan, 3.0, 1.0, np.nan, -2.0])
    for desc in (False, True):
        out = gn.sort(gn.tensor(x), descending=desc)
        ref = torch.sort(torch.tensor(x), descending=desc, stable=True)
        np.testing.assert_array_equal(out.values.numpy(), ref.values.numpy())
        np.testing.assert_array_equal(out.indices.numpy(), ref.indices.numpy())
    out, ref = gn.topk(gn.tensor(x), 3), torch.topk(torch.tensor(x), 3)
    np.testing.assert_array_equal(out.indices.numpy(), ref.indices.numpy())


def test_descending_sort_keeps_the_order_of_ties_as_torch_stable():
    x = np.array([[2.0, 1.0, 2.0, 3.0, 1.0]])
    out = gn.argsort(gn.tensor(x), dim=1, descending=True)
    ref = torch.argsort(torch.tensor(x), dim=1, descending=True, stable=True)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
