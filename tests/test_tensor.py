"""Tensor construction, dtype inference, metadata, conversion and indexing."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def test_dtype_inference_matches_torch():
    assert gn.tensor([1.0, 2.0]).dtype == gn.float32
    assert gn.tensor([1, 2]).dtype == gn.int64
    assert gn.tensor([True]).dtype == gn.bool
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
    assert gn.eye(3).numpy().trace() == 3
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
        gn.nn.functional.pad(x, (1, 1), mode="bogus")
    with pytest.raises(ValueError, match="expand: cannot expand"):
        x.expand(4, 3)


def test_linalg_errors():
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be"):
        gn.zeros(2, 3) @ gn.zeros(4, 5)
    with pytest.raises(ValueError, match=r"linear: input must have shape \(\*, 3\)"):
        gn.nn.functional.linear(gn.zeros(2, 4), gn.zeros(5, 3))
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


def test_torch_tensor_constructor_makes_float_tensors():
    assert gn.Tensor(2, 3).shape == (2, 3) and gn.Tensor(2, 3).dtype == gn.float32
    assert gn.Tensor(gn.Size([4])).shape == (4,)
    t = gn.Tensor([1, 2])
    assert t.dtype == gn.float32 and t.tolist() == [1.0, 2.0]
    assert gn.Tensor().shape == (0,)
    p = gn.nn.Parameter(gn.Tensor(3, 4))  # the classic custom-layer idiom
    assert p.requires_grad and p.shape == (3, 4)
    with pytest.raises(TypeError, match="Tensor: expected a shape"):
        gn.Tensor([1.0], [2.0])


@pytest.mark.skipif(gn.cuda.is_available(), reason="checks the answers without a GPU")
def test_device_objects_and_device_keywords_are_accepted():
    dev = gn.device("cuda" if gn.cuda.is_available() else "cpu")
    assert dev == "cpu" and str(dev) == "cpu" and dev == gn.device("cpu")
    assert gn.device("cuda:1").index == 1 and gn.device("cuda", 1) == "cuda:1"
    x = gn.ones(2, 3, device=dev)
    assert x.device == dev and x.device.type == "cpu"
    assert x.to(dev) is x and x.to(dev, non_blocking=True) is x
    assert x.to(dev, gn.float64).dtype == gn.float64
    assert x.to("cpu", copy=True) is not x
    for make in (lambda: gn.zeros(2, device="cpu"), lambda: gn.arange(3, device=dev),
                 lambda: gn.tensor([1.0], device=dev), lambda: gn.randn(2, device="cpu"),
                 lambda: gn.full((2,), 1.0, device=dev), lambda: gn.zeros_like(x, device=dev)):
        assert make().device == "cpu"
    model = gn.nn.Linear(2, 2).to(dev)
    assert model.weight.dtype == gn.float32
    with pytest.raises(ValueError, match="device: invalid"):
        gn.zeros(2, device="cuda:x")
    with pytest.raises(TypeError, match="Tensor.to: unexpected keyword"):
        x.to(dtype=gn.float64, stream=1)
    assert not gn.cuda.is_available() and gn.cuda.device_count() == 0
    gn.cuda.manual_seed_all(0)


def test_generator_objects_reseed_like_torch():
    g = gn.Generator().manual_seed(42)
    a = gn.randn(2, 3, generator=g)
    g.manual_seed(42)
    assert gn.equal(a, gn.randn(2, 3, generator=g)) and g.initial_seed() == 42
    # A fresh generator starts from PyTorch's fixed default seed, so two agree.
    assert gn.equal(gn.rand(3, generator=gn.Generator()), gn.rand(3, generator=gn.Generator()))
    perm = gn.randperm(10, generator=gn.Generator().manual_seed(0))
    assert perm.dtype == gn.int64 and sorted(perm.tolist()) == list(range(10))
    state = g.get_state()
    b = gn.rand(2, generator=g)
    assert gn.equal(b, gn.rand(2, generator=g.set_state(state)))
    ds = gn.utils.data.TensorDataset(gn.arange(10))
    parts = gn.utils.data.random_split(ds, [7, 3], generator=gn.Generator().manual_seed(1))
    assert [len(p) for p in parts] == [7, 3]
    with pytest.raises(TypeError, match="manual_seed: seed must be an int"):
        g.manual_seed(1.5)


def test_randint_with_high_and_size_only():
    t = gn.randint(10, (3, 2))
    assert t.shape == (3, 2) and t.dtype == gn.int64 and int(t.max()) < 10


def test_new_factories_keep_dtype():
    x = gn.zeros(2, dtype=gn.float64)
    assert x.new_zeros(3).dtype == gn.float64 and x.new_zeros((2, 3)).shape == (2, 3)
    assert x.new_ones(2, 2).tolist() == [[1.0, 1.0], [1.0, 1.0]]
    assert x.new_full((2,), 7).dtype == gn.float64
    assert x.new_tensor([1, 2]).dtype == gn.float64
    assert x.new_empty(4, dtype=gn.int64).dtype == gn.int64
    assert gn.tensor([1, 2]).type_as(x).dtype == gn.float64


def test_inplace_methods_follow_torch_dtype_and_shape_rules():
    t = gn.tensor([1, 2])
    t += 1
    assert t.tolist() == [2, 3] and t.dtype == gn.int64
    with pytest.raises(RuntimeError, match="can't be cast"):
        t += 0.5
    with pytest.raises(RuntimeError, match="doesn't match the broadcast shape"):
        gn.zeros(3).add_(gn.ones(2, 3))
    x = gn.tensor([-1.0, 4.0])
    assert x.abs_().sqrt_().tolist() == [1.0, 2.0] and x.tolist() == [1.0, 2.0]
    assert gn.tensor([-1.0, 1.0]).relu_().tolist() == [0.0, 1.0]
    assert gn.tensor([2.0]).pow_(3).tolist() == [8.0]
    m = gn.zeros(2, 2).masked_fill_(gn.tensor([True, False]), 5.0)  # broadcast mask
    assert m.tolist() == [[5.0, 0.0], [5.0, 0.0]]


def test_scatter_inplace_matches_torch_semantics():
    labels = gn.tensor([2, 0])
    one_hot = gn.zeros(2, 3).scatter_(1, labels.unsqueeze(1), 1.0)
    assert one_hot.tolist() == [[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]
    src = gn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    out = gn.zeros(3, 3).scatter_(0, gn.tensor([[0, 1, 2], [2, 0, 1]]), src)
    assert out.tolist() == [[1.0, 5.0, 0.0], [0.0, 2.0, 6.0], [4.0, 0.0, 3.0]]
    added = gn.ones(3).scatter_(0, gn.tensor([0, 0, 2]), gn.tensor([1.0, 2.0, 3.0]),
                                reduce="add")
    assert added.tolist() == [4.0, 1.0, 4.0]
    with pytest.raises(ValueError, match="index must have 2 dimensions"):
        gn.zeros(2, 3).scatter_(1, gn.tensor([0, 1]), 1.0)
    with pytest.raises(TypeError, match="index must be an int64 tensor"):
        gn.zeros(2, 3).scatter_(1, gn.zeros(2, 1), 1.0)


def test_index_helpers_match_torch():
    x = gn.tensor([[0, 3], [2, 0]])
    assert x.nonzero().tolist() == [[0, 1], [1, 0]] and x.nonzero().dtype == gn.int64
    rows, cols = gn.nonzero(x, as_tuple=True)
    assert rows.tolist() == [0, 1] and cols.tolist() == [1, 0]
    assert gn.zeros(2, 2).nonzero().shape == (0, 2)
    values, inverse, counts = gn.unique(gn.tensor([3, 1, 3, 2]), return_inverse=True,
                                        return_counts=True)
    assert values.tolist() == [1, 2, 3] and inverse.tolist() == [2, 0, 2, 1]
    assert counts.tolist() == [1, 1, 2]
    assert gn.tensor([[1, 2], [1, 2], [0, 1]]).unique(dim=0).tolist() == [[0, 1], [1, 2]]
    assert gn.bincount(gn.tensor([0, 1, 1, 3])).tolist() == [1, 2, 0, 1]
    w = gn.bincount(gn.tensor([0, 1, 1]), weights=gn.tensor([0.5, 1.0, 2.0]), minlength=3)
    assert w.tolist() == [0.5, 3.0, 0.0] and w.dtype == gn.float32
    assert gn.isclose(gn.tensor([1.0, 2.0]), gn.tensor([1.0, 2.1])).tolist() == [True, False]
    assert gn.numel(gn.ones(2, 3)) == 6
    assert gn.ones(2, 3).view_as(gn.ones(3, 2)).shape == (3, 2)
    with pytest.raises(ValueError, match="bincount: input must be a 1-D integer"):
        gn.bincount(gn.tensor([0.5]))


def test_triangles_masked_select_and_meshgrid():
    a = gn.ones(3, 3)
    assert gn.tril(a).tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert a.triu(diagonal=1).tolist() == [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
    with pytest.raises(ValueError, match="tril: input must have at least 2 dimensions"):
        gn.tril(gn.ones(3))
    x = gn.tensor([[1.0, -2.0], [3.0, -4.0]], requires_grad=True)
    sel = x.masked_select(x > 0)
    assert sel.tolist() == [1.0, 3.0]
    sel.sum().backward()
    assert x.grad.tolist() == [[1.0, 0.0], [1.0, 0.0]]
    with pytest.raises(TypeError, match="masked_select: mask must be a bool"):
        x.masked_select(gn.ones(2, 2))
    gi, gj = gn.meshgrid(gn.arange(3), gn.arange(2), indexing="ij")
    assert gi.shape == (3, 2) and gj.tolist() == [[0, 1], [0, 1], [0, 1]]
    gx, gy = gn.meshgrid(gn.arange(3), gn.arange(2), indexing="xy")
    assert gx.shape == (2, 3) and gx.tolist() == [[0, 1, 2], [0, 1, 2]]


def test_random_sampling_functions():
    gn.manual_seed(0)
    b = gn.bernoulli(gn.tensor([0.0, 1.0, 0.0, 1.0]))
    assert b.tolist() == [0.0, 1.0, 0.0, 1.0] and b.dtype == gn.float32
    idx = gn.multinomial(gn.tensor([[0.0, 1.0, 3.0], [1.0, 0.0, 0.0]]), 2, replacement=True)
    assert idx.shape == (2, 2) and idx.dtype == gn.int64 and idx[1].tolist() == [0, 0]
    assert 0 not in idx[0].tolist()
    distinct = gn.multinomial(gn.tensor([1.0, 1.0, 1.0]), 3)
    assert sorted(distinct.tolist()) == [0, 1, 2]
    with pytest.raises(ValueError, match="cannot sample 3"):
        gn.multinomial(gn.tensor([1.0, 0.0, 1.0]), 3)


def test_zero_dim_tensor_formats_as_a_number():
    loss = gn.tensor(0.123456)
    assert f"loss: {loss:>7f}" == "loss: 0.123456" and "{:.2f}".format(loss) == "0.12"
    with pytest.raises(TypeError):
        f"{gn.ones(2):.2f}"


def test_size_slices_and_aliases():
    x = gn.ones(2, 3, 4)
    assert isinstance(x.size()[1:], gn.Size) and x.shape[1:] == (3, 4)
    assert x.nelement() == 24 and x.ndimension() == 3 and x.data_ptr() > 0
    assert gn.tensor([3.0, -3.0]).fmod(2).tolist() == [1.0, -1.0]
    assert gn.tensor([3.0, -3.0]).remainder(2).tolist() == [1.0, 1.0]


def test_cat_and_stack_promote_like_torch():
    ints, floats = gn.tensor([1, 2]), gn.tensor([1.5, 2.5])
    assert gn.cat([ints, floats]).dtype == gn.float32  # NumPy would give float64
    assert gn.stack([ints, floats]).dtype == gn.float32
    assert gn.cat([gn.tensor([True]), ints]).dtype == gn.int64
    assert gn.cat([floats, floats.double()]).dtype == gn.float64


def test_repeat_interleave():
    x = gn.tensor([[1, 2], [3, 4]])
    assert x.repeat_interleave(2).tolist() == [1, 1, 2, 2, 3, 3, 4, 4]
    assert x.repeat_interleave(gn.tensor([1, 2]), dim=0).tolist() == [[1, 2], [3, 4], [3, 4]]
    with pytest.raises(ValueError, match="repeats must be an int or a 1-D int tensor of "
                                         "length 2"):
        x.repeat_interleave(gn.tensor([1, 2, 3]), dim=1)
