"""Every public callable is tied to a registry row (gradcheck + torch parity) or to an
explicit non-differentiable entry with a reason (glassnet/testing/nondifferentiable.py).

If this test fails after you add an op: add a row for it in
glassnet/testing/registry/<family>.py (its name = the public name), or, if it is a second
name for an existing row, an entry in ALIASES, or, if it has no gradient, an entry in
NON_DIFFERENTIABLE with the reason (and a probe below for the op categories).
"""
from __future__ import annotations

import inspect

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.testing.nondifferentiable import ALIASES, CATEGORIES, NON_DIFFERENTIABLE
from glassnet.testing.op_registry import all_ops

ROWS = {row.name for row in all_ops()}


def _is_function(obj):
    return callable(obj) and not inspect.isclass(obj) and not inspect.ismodule(obj)


def _public_module_functions():
    return {n for n in dir(gn) if not n.startswith("_") and _is_function(getattr(gn, n))}


def _public_tensor_methods():
    out = set()
    for n in dir(gn.Tensor):
        if n.startswith("_") or isinstance(inspect.getattr_static(gn.Tensor, n), property):
            continue
        if callable(getattr(gn.Tensor, n)):
            out.add(n)
    return out


def _public_functional():
    return {n for n in dir(F) if not n.startswith("_") and _is_function(getattr(F, n))}


def _public_linalg():
    return {f"linalg.{n}" for n in gn.linalg.__all__}


def _covered(name):
    if name in ROWS or name in NON_DIFFERENTIABLE or ALIASES.get(name) in ROWS:
        return True
    # x.<op>_() writes <op>'s values into x: covered where <op> is.
    return name.endswith("_") and len(name) > 1 and _covered(name[:-1])


@pytest.mark.parametrize("where,names", [
    ("glassnet", _public_module_functions), ("Tensor", _public_tensor_methods),
    ("glassnet.nn.functional", _public_functional), ("glassnet.linalg", _public_linalg)])
def test_every_public_callable_has_a_registry_row_or_a_reason(where, names):
    missing = sorted(n for n in names() if not _covered(n))
    assert not missing, (
        f"{len(missing)} public callables of {where} are neither in the op registry nor "
        f"in NON_DIFFERENTIABLE: {missing}. Add a row (name = public name) in "
        f"glassnet/testing/registry/<family>.py, an alias in ALIASES, or a reason in "
        f"glassnet/testing/nondifferentiable.py.")


def test_no_name_is_both_a_row_and_non_differentiable():
    both = sorted((ROWS | set(ALIASES)) & set(NON_DIFFERENTIABLE))
    assert not both, f"names both in the registry/ALIASES and NON_DIFFERENTIABLE: {both}"


def test_aliases_point_to_existing_rows():
    dangling = sorted(n for n, row in ALIASES.items() if row not in ROWS)
    assert not dangling, f"ALIASES entries without a registry row: {dangling}"


def test_every_reason_starts_with_a_category():
    bad = sorted(n for n, r in NON_DIFFERENTIABLE.items() if not r.startswith(CATEGORIES))
    assert not bad, f"NON_DIFFERENTIABLE reasons without a category {CATEGORIES}: {bad}"


def test_non_differentiable_entries_name_real_callables():
    known = (_public_module_functions() | _public_tensor_methods() | _public_functional()
             | _public_linalg())
    stale = sorted(set(NON_DIFFERENTIABLE) - known)
    assert not stale, f"NON_DIFFERENTIABLE names no public callable: {stale}"


# One call per non-differentiable op, written once for both libraries: ``m`` is glassnet
# or torch, ``x`` a (2, 3) float tensor that requires grad, ``i`` a (2, 3) int64 tensor.
PROBES = {
    "eq": lambda m, x, i: m.eq(x, 0.5), "ne": lambda m, x, i: m.ne(x, 0.5),
    "lt": lambda m, x, i: m.lt(x, 0.5), "le": lambda m, x, i: m.le(x, 0.5),
    "gt": lambda m, x, i: m.gt(x, 0.5), "ge": lambda m, x, i: m.ge(x, 0.5),
    "greater": lambda m, x, i: m.greater(x, 0.5),
    "greater_equal": lambda m, x, i: m.greater_equal(x, 0.5),
    "less": lambda m, x, i: m.less(x, 0.5), "less_equal": lambda m, x, i: m.less_equal(x, 0.5),
    "not_equal": lambda m, x, i: m.not_equal(x, 0.5),
    "isclose": lambda m, x, i: m.isclose(x, x),
    "logical_and": lambda m, x, i: m.logical_and(x, x),
    "logical_or": lambda m, x, i: m.logical_or(x, x),
    "logical_xor": lambda m, x, i: m.logical_xor(x, x),
    "logical_not": lambda m, x, i: m.logical_not(x),
    "all": lambda m, x, i: m.all(x), "any": lambda m, x, i: m.any(x, 1),
    "isnan": lambda m, x, i: m.isnan(x), "isinf": lambda m, x, i: m.isinf(x),
    "isfinite": lambda m, x, i: m.isfinite(x), "isposinf": lambda m, x, i: m.isposinf(x),
    "isneginf": lambda m, x, i: m.isneginf(x), "isreal": lambda m, x, i: m.isreal(x),
    "signbit": lambda m, x, i: m.signbit(x),
    "allclose": lambda m, x, i: m.allclose(x, x), "equal": lambda m, x, i: m.equal(x, x),
    "bitwise_and": lambda m, x, i: m.bitwise_and(i, i),
    "bitwise_or": lambda m, x, i: m.bitwise_or(i, 3),
    "bitwise_xor": lambda m, x, i: m.bitwise_xor(i, i),
    "bitwise_not": lambda m, x, i: m.bitwise_not(i),
    "argmax": lambda m, x, i: m.argmax(x, 1), "argmin": lambda m, x, i: m.argmin(x),
    "argsort": lambda m, x, i: m.argsort(x, 1), "nonzero": lambda m, x, i: m.nonzero(x),
    "searchsorted": lambda m, x, i: m.searchsorted(m.sort(x, 1).values, x),
    "bucketize": lambda m, x, i: m.bucketize(x, m.sort(x.reshape(-1)).values),
    "count_nonzero": lambda m, x, i: m.count_nonzero(x),
    "bincount": lambda m, x, i: m.bincount(i.reshape(-1)),
    "unique": lambda m, x, i: m.unique(i),
    "numel": lambda m, x, i: m.numel(x),
    "one_hot": lambda m, x, i: (m.nn.functional.one_hot(i, 4)),
    "histc": lambda m, x, i: m.histc(x.detach(), bins=4),
    "argwhere": lambda m, x, i: m.argwhere(x > 0.5),
    "long": lambda m, x, i: x.long(), "int": lambda m, x, i: x.int(),
    "bool": lambda m, x, i: x.bool(), "short": lambda m, x, i: x.short(),
    "char": lambda m, x, i: (x * 10).char(), "byte": lambda m, x, i: (x * 10).abs().byte(),
}
RAISING = {"floor_divide": lambda m, x, i: m.floor_divide(x, 0.3),
           "unique": lambda m, x, i: m.unique(x),
           "bincount": lambda m, x, i: m.bincount(i.reshape(-1), weights=x.reshape(-1)),
           "heaviside": lambda m, x, i: m.heaviside(x, m.ones_like(x))}
_OP_CATEGORIES = ("boolean output", "integer output", "constant")


def _inputs(m):
    x = m.tensor([[0.1, 0.5, -2.0], [3.0, 0.0, 0.7]], requires_grad=True)
    i = m.tensor([[0, 1, 2], [3, 1, 1]])
    return x, i


def _detached_or_not_float(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    for o in outs:
        if isinstance(o, (bool, int)):
            continue
        if o.dtype.is_floating_point if hasattr(o.dtype, "is_floating_point") else \
                np.dtype(o.dtype).kind == "f":
            if o.requires_grad:
                return False
    return True


def test_every_op_category_entry_has_a_probe():
    ops = {n for n, r in NON_DIFFERENTIABLE.items() if r.startswith(_OP_CATEGORIES)}
    ops |= {n for n, r in NON_DIFFERENTIABLE.items() if r.startswith("no derivative")}
    missing = sorted(ops - set(PROBES) - set(RAISING))
    assert not missing, f"non-differentiable ops without a probe in this test: {missing}"


@pytest.mark.parametrize("name", sorted(PROBES))
def test_non_differentiable_op_is_detached_or_not_float_as_torch(name):
    torch = pytest.importorskip("torch")
    ours = PROBES[name](gn, *_inputs(gn))
    theirs = PROBES[name](torch, *_inputs(torch))
    assert _detached_or_not_float(theirs), f"{name}: torch's result is differentiable"
    assert _detached_or_not_float(ours), f"{name}: glassnet's result requires grad"
    # Same values as torch (the probes are deterministic).
    ours_t = ours if isinstance(ours, (tuple, list)) else (ours,)
    theirs_t = theirs if isinstance(theirs, (tuple, list)) else (theirs,)
    for a, b in zip(ours_t, theirs_t):
        a = a.numpy() if hasattr(a, "numpy") else np.asarray(a)
        b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
        np.testing.assert_allclose(a, b, err_msg=name)


@pytest.mark.parametrize("name", sorted(RAISING))
def test_op_without_derivative_raises_at_backward_as_torch(name):
    torch = pytest.importorskip("torch")
    for m in (torch, gn):
        out = RAISING[name](m, *_inputs(m))
        assert out.requires_grad
        with pytest.raises(RuntimeError, match="derivative"):
            out.sum().backward()
