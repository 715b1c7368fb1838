"""x[index] follows PyTorch's indexing rules (values and gradients), compared with torch."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.ops.indexing import normalize_index

torch = pytest.importorskip("torch")

_RNG = np.random.default_rng(0)
X = _RNG.standard_normal((2, 3, 4))
MASK3 = np.array([True, False, True])
MASK34 = _RNG.random((3, 4)) > 0.5


def _both(spec):
    """The index ``spec`` for glassnet and for torch (arrays become tensors; ("t", v)
    becomes a 0-d int64 tensor)."""
    def conv(item, lib):
        if isinstance(item, tuple) and len(item) == 2 and item[0] == "t":
            return lib.tensor(item[1])
        if isinstance(item, np.ndarray):
            return lib.from_numpy(item.copy()) if lib is torch else gn.from_numpy(item.copy())
        return item

    items = spec if isinstance(spec, list) else [spec]
    g = tuple(conv(i, gn) for i in items)
    t = tuple(conv(i, torch) for i in items)
    return (g, t) if isinstance(spec, list) else (g[0], t[0])


CASES = {
    "int": 1, "negative int": -1, "slice with step": [slice(None), slice(2, None, -1 + 2)],
    "step 2": [slice(None, None, 2), slice(1, 3)], "None": [None, 0],
    "ellipsis": [Ellipsis, 1], "int, slice, list (torch keeps the slice dim first)":
        [0, slice(None), [1, 2]],
    "0-d tensor as int": [("t", 0), slice(None), [1, 2]],
    "list, int": [[0, 1], 0, [1, 2]], "list, slice, int": [[0, 1], slice(None), 0],
    "adjacent advanced": [slice(None), np.array([0, 2, 2]), np.array([1, 3, 0])],
    "separated advanced": [np.array([0, 1]), slice(None), np.array([3, 0])],
    "advanced separated by None": [0, [0, 1], None, [1, 2]],
    "None before int": [None, 0, slice(None), [1, 2]],
    "ellipsis and list": [0, Ellipsis, [1, 2]], "list, ellipsis, int": [[0, 1], Ellipsis, 0],
    "bool mask on one dim": [0, MASK3, [1, 2]], "bool mask, int": [slice(None), MASK3, 1],
    "2-D bool mask": [1, MASK34], "bool mask all dims": X > 0,
    "broadcast index arrays": [np.array([[0], [1]]), slice(None), np.array([1, 2, 3])],
    "repeated indices": [[1, 1, 0, 1]], "int tensor": np.array([1, 0, 1]),
    "negative in list": [slice(None), [-1, 0, -1]],
    "python bool": [True], "0-d tensor only": ("t", 1),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_getitem_values_and_gradients_match_torch(name):
    gi, ti = _both(CASES[name])
    x = gn.tensor(X, requires_grad=True)
    tx = torch.tensor(X, requires_grad=True)
    out, tout = x[gi], tx[ti]
    assert tuple(out.shape) == tuple(tout.shape), name
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy())
    cot = np.random.default_rng(1).standard_normal(tuple(tout.shape))
    out.backward(gn.tensor(cot))
    tout.backward(torch.tensor(cot))
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), err_msg=name)


def test_repeated_integer_indices_accumulate_their_gradients():
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]


@pytest.mark.parametrize("name", ["int, slice, list (torch keeps the slice dim first)",
                                  "list, int", "separated advanced", "bool mask on one dim",
                                  "advanced separated by None", "ellipsis and list"])
def test_normalize_index_contract_a_basic_rest_is_torch_setitem(name):
    """``a[basic][rest] = v`` writes what torch's ``x[index] = v`` writes (the contract
    Tensor.__setitem__ can use)."""
    gi, ti = _both(CASES[name])
    a = X.copy()
    t = torch.tensor(X)
    shape = tuple(t[ti].shape)
    v = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    t[ti] = torch.tensor(v)
    basic, rest = normalize_index(gi, a.ndim)
    view = a if basic is None else a[basic]
    view[rest] = v
    np.testing.assert_array_equal(a, t.numpy())


def test_normalize_index_leaves_indices_without_ints_to_numpy():
    basic, rest = normalize_index((slice(None), np.array([0, 1])), 2)
    assert basic is None and rest[0] == slice(None)


def test_getitem_rejects_two_ellipses():
    with pytest.raises(IndexError, match="ellipsis"):
        gn.zeros(2, 3)[0, ..., ...]
