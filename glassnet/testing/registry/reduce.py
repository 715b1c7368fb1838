"""Op registry rows: reductions (dims, keepdim, ties handled by distinct values)."""
from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.testing.op_registry import OpInfo, Sample


def _distinct(rng, shape):
    """Values without ties, so that max/min are differentiable under finite differences."""
    n = int(np.prod(shape)) if shape else 1
    return (rng.permutation(n).reshape(shape) * 0.1 + rng.random(shape) * 0.01)


def _reduce(rng, distinct=False, dims=True):
    x = (lambda s: _distinct(rng, s)) if distinct else rng.standard_normal
    cases = [Sample((x((3, 4)),), {}, desc="all"),
             Sample((x((3, 4)),), {"dim": 1}, desc="dim 1"),
             Sample((x((2, 3, 5)),), {"dim": 0, "keepdim": True}, desc="keepdim"),
             Sample((x((1, 5)),), {"dim": -1}, desc="batch 1"),
             Sample((x((2, 3, 4)),), {"dim": (0, 2)}, desc="tuple dims"),
             Sample((x((7,)),), {"dim": 0}, desc="vector")]
    return cases if dims else [c for c in cases if not isinstance(c.kwargs.get("dim"), tuple)]


def _var(rng):
    return [Sample((rng.standard_normal((3, 4)),), {}),
            Sample((rng.standard_normal((3, 4)),), {"dim": 1, "correction": 0}),
            Sample((rng.standard_normal((2, 3, 5)),), {"dim": (0, 2), "keepdim": True}),
            Sample((rng.standard_normal((1, 5)),), {"dim": -1, "unbiased": False}),
            Sample((rng.standard_normal((4, 3)),), {"dim": 0, "correction": 2})]


def _cumsum(rng):
    return [Sample((rng.standard_normal((3, 4)),), {"dim": 1}),
            Sample((rng.standard_normal((3, 4)),), {"dim": 0}),
            Sample((rng.standard_normal((1, 5)),), {"dim": -1}),
            Sample((rng.standard_normal((2, 3, 5)),), {"dim": 1}),
            Sample((rng.standard_normal((7,)),), {"dim": 0})]


def _prod(rng):
    x = rng.standard_normal
    zero = x((3, 4))
    zero[1, 2] = 0.0
    return [Sample((x((3, 4)),), {}), Sample((x((3, 4)),), {"dim": 1}),
            Sample((x((2, 3, 5)),), {"dim": 0, "keepdim": True}),
            Sample((zero,), {"dim": 1}, desc="one zero"),
            Sample((x((1, 5)),), {"dim": -1})]


def _norm(rng):
    x = rng.standard_normal
    return [Sample((x((3, 4)),), {}), Sample((x((3, 4)),), {"p": 1, "dim": 1}),
            Sample((x((2, 3, 5)),), {"p": 3, "dim": (1, 2), "keepdim": True}),
            Sample((_distinct(rng, (4, 3)),), {"p": float("inf"), "dim": 0}),
            Sample((x((1, 5)),), {"p": 2, "dim": -1})]


def _torch_minmax(name):
    def fn(t, x, dim=None, keepdim=False):
        f = getattr(t, name)
        return f(x) if dim is None else f(x, dim=dim, keepdim=keepdim)[0]

    return fn


def _gn_minmax(name):
    def fn(x, dim=None, keepdim=False):
        out = getattr(gn, name)(x, dim=dim, keepdim=keepdim)
        return out if dim is None else out[0]

    return fn


def _tnorm(t, x, p="fro", dim=None, keepdim=False):
    return t.linalg.vector_norm(x, ord=2 if p == "fro" else p, dim=dim, keepdim=keepdim)


ROWS = [
    OpInfo("sum", gn.sum, lambda t, x, **k: t.sum(x, **k), _reduce),
    OpInfo("mean", gn.mean, lambda t, x, **k: t.mean(x, **k), _reduce),
    OpInfo("prod", gn.prod, lambda t, x, **k: t.prod(x, **k), _prod),
    OpInfo("max", _gn_minmax("max"), _torch_minmax("max"),
           lambda r: _reduce(r, distinct=True, dims=False)),
    OpInfo("min", _gn_minmax("min"), _torch_minmax("min"),
           lambda r: _reduce(r, distinct=True, dims=False)),
    OpInfo("amax", gn.amax, lambda t, x, dim=(), keepdim=False: t.amax(x, dim, keepdim),
           lambda r: _reduce(r, distinct=True)),
    OpInfo("amin", gn.amin, lambda t, x, dim=(), keepdim=False: t.amin(x, dim, keepdim),
           lambda r: _reduce(r, distinct=True)),
    OpInfo("var", gn.var, lambda t, x, **k: t.var(x, **k), _var),
    OpInfo("std", gn.std, lambda t, x, **k: t.std(x, **k), _var),
    OpInfo("logsumexp", gn.logsumexp,
           lambda t, x, dim, keepdim=False: t.logsumexp(x, dim, keepdim),
           lambda r: [s for s in _reduce(r) if "dim" in s.kwargs]),
    OpInfo("cumsum", gn.cumsum, lambda t, x, dim: t.cumsum(x, dim), _cumsum),
    OpInfo("norm", gn.norm, _tnorm, _norm),
]
