"""Tensor construction, dtype inference, metadata, conversion and indexing."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def test_dtype_inference_matches_torch():
    assert gn.tensor([1.0, 2.0]).dtype == gn.float32
    assert gn.tensor([1, 2]).dtype == gn.int64
    assert gn.tensor([True]).dtype == gn.bool_
    assert gn.tensor(np.zeros(2, np.float64)).dtype == gn.float64
    assert gn.from_numpy(np.zeros(2, np.float64)).dtype == gn.float64
    assert gn.zeros(2, 3).dtype == gn.float32
    assert gn.arange(5).dtype == gn.int64
    assert gn.arange(0.0, 1.0, 0.25).dtype == gn.float32


def test_from_numpy_shares_memory_and_tensor_copies():
    a = np.zeros(3, np.float32)
    t = gn.from_numpy(a)
    c = gn.tensor(a)
    a[0] = 5
    assert t.data[0] == 5 and c.data[0] == 0


def test_metadata_and_conversion():
    t = gn.ones(2, 3, 4)
    assert t.shape == (2, 3, 4) and t.ndim == 3 and t.numel() == 24
    assert t.size() == (2, 3, 4) and t.size(1) == 3 and t.dim() == 3
    assert t.T.shape == (4, 3, 2)
    assert gn.tensor(3.5).item() == 3.5
    assert gn.tensor([[1, 2]]).tolist() == [[1, 2]]
    assert isinstance(t.numpy(), np.ndarray)
    with pytest.raises(RuntimeError, match="requires grad"):
        gn.ones(2, requires_grad=True).numpy()
    with pytest.raises(ValueError, match="item: only one element"):
        t.item()


def test_only_float_tensors_can_require_grad():
    with pytest.raises(RuntimeError, match="floating point"):
        gn.tensor([1, 2], requires_grad=True)


def test_operators_and_scalar_promotion():
    x = gn.tensor([1.0, 2.0])
    np.testing.assert_allclose((2 - x).data, [1.0, 0.0])
    np.testing.assert_allclose((1 / x).data, [1.0, 0.5])
    np.testing.assert_allclose((2 ** x).data, [2.0, 4.0])
    assert (x * 2).dtype == gn.float32
    assert (gn.tensor([1, 2]) * 0.5).dtype == gn.float32
    assert (gn.tensor([1, 2]) * 2).dtype == gn.int64
    assert ((x > 1).data == [False, True]).all()
    assert (x == gn.tensor([1.0, 3.0])).tolist() == [True, False]


def test_max_with_dim_returns_values_and_indices():
    x = gn.tensor([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]], requires_grad=True)
    values, indices = x.max(dim=1)
    assert values.tolist() == [5.0, 7.0]
    assert indices.tolist() == [1, 0]
    values.sum().backward()
    # NOTE: with dim, the tie's gradient goes to the returned index (PyTorch's rule)
    np.testing.assert_allclose(x.grad.data, [[0, 1, 0], [1, 0, 0]])


def test_full_max_splits_gradient_among_ties_like_torch():
    torch = pytest.importorskip("torch")
    a = np.array([[1.0, 5.0, 5.0], [7.0, 0.0, 7.0]], np.float32)
    x = gn.tensor(a, requires_grad=True)
    x.max().backward()
    tx = torch.tensor(a, requires_grad=True)
    tx.max().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy())


def test_indexing_forms():
    x = gn.arange(24).reshape(2, 3, 4)
    assert x[0].shape == (3, 4)
    assert x[..., 1].shape == (2, 3)
    assert x[:, None, 1:3].shape == (2, 1, 2, 4)
    assert x[x > 20].tolist() == [21, 22, 23]
    assert x[gn.tensor([1, 1, 0])].shape == (3, 3, 4)
    y = gn.zeros(3)
    y[1] = 4.0
    assert y.tolist() == [0.0, 4.0, 0.0]


def test_split_chunk_and_cat_roundtrip():
    x = gn.arange(10.0)
    parts = x.split(3)
    assert [p.shape[0] for p in parts] == [3, 3, 3, 1]
    assert gn.cat(parts).tolist() == x.tolist()
    assert [c.shape[0] for c in x.chunk(4)] == [3, 3, 3, 1]


def test_creation_functions_and_seed():
    gn.manual_seed(0)
    a = gn.randn(3, 2)
    gn.manual_seed(0)
    b = gn.randn(3, 2)
    assert np.array_equal(a.data, b.data)
    assert gn.full((2, 2), 7).dtype == gn.int64
    assert gn.linspace(0, 1, 5).tolist() == [0.0, 0.25, 0.5, 0.75, 1.0]
    assert gn.eye(3).data.trace() == 3
    assert gn.randint(0, 5, (100,)).data.max() < 5


def test_shape_op_errors_name_function_and_values():
    x = gn.zeros(2, 3)
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4, 2\] is invalid for input of size 6"):
        x.reshape(4, 2)
    with pytest.raises(ValueError, match="cat: tensor 1 has shape"):
        gn.cat([x, gn.zeros(2, 4)], dim=0)
    with pytest.raises(ValueError, match="stack: expects each tensor to be equal size"):
        gn.stack([x, gn.zeros(3, 2)])
    with pytest.raises(IndexError, match="transpose: dim 5 out of range"):
        x.transpose(0, 5)
    with pytest.raises(ValueError, match="pad: mode must be"):
        gn.pad(x, (1, 1), mode="bogus")
    with pytest.raises(ValueError, match="expand: cannot expand"):
        x.expand(4, 3)


def test_linalg_errors():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be"):
        gn.zeros(2, 3) @ gn.zeros(4, 5)
    with pytest.raises(ValueError, match=r"linear: input must have shape \(\*, 3\)"):
        gn.linear(gn.zeros(2, 4), gn.zeros(5, 3))
    with pytest.raises(ValueError, match="bmm: expects 3-D"):
        gn.bmm(gn.zeros(2, 3), gn.zeros(3, 2))
    with pytest.raises(ValueError, match="einsum: equation has 2 operands"):
        gn.einsum("ij,jk->ik", gn.zeros(2, 2))


def test_reduction_errors():
    with pytest.raises(TypeError, match="mean: input dtype must be floating point"):
        gn.arange(4).mean()
    with pytest.raises(IndexError, match="sum: dim 3 out of range"):
        gn.zeros(2, 2).sum(3)
    with pytest.raises(ValueError, match="norm: p must be"):
        gn.zeros(2).norm(p=-1)


def test_elementwise_errors():
    with pytest.raises(ValueError, match="clamp: at least one"):
        gn.clamp(gn.zeros(2))
    with pytest.raises(TypeError, match="where: condition must be a bool tensor"):
        gn.where(gn.zeros(2), gn.zeros(2), gn.ones(2))


def test_var_std_correction_matches_numpy():
    a = np.random.default_rng(0).standard_normal((4, 5))
    x = gn.tensor(a)
    np.testing.assert_allclose(x.var(dim=1).data, a.var(axis=1, ddof=1))
    np.testing.assert_allclose(x.std(dim=0, correction=0).data, a.std(axis=0))
    np.testing.assert_allclose(x.var(unbiased=False).data, a.var())
