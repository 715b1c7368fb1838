"""NumPy's spellings axis=/keepdims= on every reduction, in functions, methods and when
NumPy calls the Tensor (np.mean(t), np.any(t))."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")

X = np.random.default_rng(0).standard_normal((3, 4))

REDUCTIONS = ["sum", "mean", "prod", "amax", "amin", "std", "var", "logsumexp", "nansum",
              "nanmean", "argmax", "argmin", "median", "nanmedian", "count_nonzero",
              "cumsum", "cumprod", "cummax", "logcumsumexp", "sort", "argsort", "all", "any",
              "max", "min", "mode", "diff"]


def _first(out):
    out = out[0] if isinstance(out, tuple) else out
    return out.detach().numpy() if hasattr(out, "detach") else np.asarray(out)


@pytest.mark.parametrize("name", REDUCTIONS)
def test_axis_is_dim_for_functions_and_methods_as_torch(name):
    kw = {"axis": 1}
    if name not in ("count_nonzero", "cumsum", "cumprod", "cummax", "logcumsumexp", "sort",
                    "argsort", "diff"):
        kw["keepdims"] = True
    x = gn.tensor(X) if name not in ("all", "any") else gn.tensor(X > 0)
    tx = torch.tensor(X) if name not in ("all", "any") else torch.tensor(X > 0)
    ref = _first(getattr(torch, name)(tx, **kw))
    np.testing.assert_allclose(_first(getattr(gn, name)(x, **kw)), ref)
    np.testing.assert_allclose(_first(getattr(x, name)(**kw)), ref)


def test_tuple_dims_where_torch_accepts_them():
    x, tx = gn.tensor(X), torch.tensor(X)
    for name in ("sum", "mean", "amax", "std", "logsumexp", "nansum", "count_nonzero"):
        np.testing.assert_allclose(getattr(x, name)(dim=(0, 1)).numpy(),
                                   getattr(tx, name)(dim=(0, 1)).numpy(), err_msg=name)
    assert (x > 0).all(dim=(0, 1)).item() == bool((tx > 0).all(dim=(0, 1)))


def test_numpy_functions_call_the_tensor_methods():
    x = gn.tensor(X)
    np.testing.assert_allclose(float(np.mean(x)), X.mean())
    np.testing.assert_allclose(np.sum(x, axis=0).numpy(), X.sum(0))
    np.testing.assert_allclose(float(np.max(x)), X.max())
    assert bool(np.any(x > 0)) and np.argmax(x, axis=1).tolist() == X.argmax(1).tolist()
    np.testing.assert_allclose(float(np.std(x)), X.std())  # ddof=0 from NumPy


def test_both_dim_and_axis_is_an_error():
    with pytest.raises(TypeError, match="sum: got both dim= and its alias axis="):
        gn.tensor(X).sum(dim=0, axis=1)


def test_out_other_than_none_is_refused():
    with pytest.raises(TypeError, match="out="):
        gn.sum(gn.tensor(X), out=gn.zeros(4))


def test_argmax_keepdim_without_dim_keeps_every_dim_as_torch():
    out = gn.tensor(X).argmax(keepdim=True)
    assert tuple(out.shape) == tuple(torch.tensor(X).argmax(keepdim=True).shape)
