"""Op registry rows: scans (cumprod with zeros, cummax/cummin, logcumsumexp, diff)."""
from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.testing.op_registry import OpInfo, Sample


def _distinct(rng, *shape):
    n = int(np.prod(shape)) if shape else 1
    return (rng.permutation(n).reshape(shape) - n / 2) * 0.1 + rng.random(shape) * 0.01


def _dims(rng, make):
    return [Sample((make(rng, 3, 4),), {"dim": 1}), Sample((make(rng, 3, 4),), {"dim": 0}),
            Sample((make(rng, 1, 5),), {"dim": -1}, desc="batch 1"),
            Sample((make(rng, 2, 3, 5),), {"dim": 1}, desc="odd 3-D"),
            Sample((make(rng, 7),), {"dim": 0}, desc="vector")]


def _cumprod(rng):
    normal = lambda r, *s: r.standard_normal(s)  # noqa: E731
    one = rng.standard_normal((3, 4))
    one[1, 1] = 0.0
    two = rng.standard_normal((2, 5))
    two[0, 1] = two[0, 3] = 0.0
    first = rng.standard_normal((4,))
    first[0] = 0.0
    return _dims(rng, normal) + [
        Sample((one,), {"dim": 1}, desc="one zero"),
        Sample((two,), {"dim": 1}, desc="two zeros in a row"),
        Sample((first,), {"dim": 0}, desc="zero first")]


def _diff(rng):
    x = rng.standard_normal
    return [Sample((x((3, 5)),), {}), Sample((x((4, 3)),), {"dim": 0, "n": 2}),
            Sample((x((1, 6)),), {"n": 3, "dim": -1}, desc="batch 1, n = 3"),
            Sample((x((2, 4)), x((2, 1)), x((2, 2))), {"dim": 1},
                   desc="prepend and append"),
            Sample((x((7,)),), {"n": 0}, desc="n = 0"),
            Sample((x((2, 3, 4)),), {"dim": 1})]


def _gdiff(x, prepend=None, append=None, **k):
    return gn.diff(x, prepend=prepend, append=append, **k)


def _tdiff(torch, x, prepend=None, append=None, **k):
    return torch.diff(x, prepend=prepend, append=append, **k)


ROWS = [
    OpInfo("cumprod", gn.cumprod, lambda t, x, dim: t.cumprod(x, dim), _cumprod),
    OpInfo("cummax", gn.cummax, lambda t, x, dim: t.cummax(x, dim),
           lambda r: _dims(r, _distinct)),
    OpInfo("cummin", gn.cummin, lambda t, x, dim: t.cummin(x, dim),
           lambda r: _dims(r, _distinct)),
    OpInfo("logcumsumexp", gn.logcumsumexp, lambda t, x, dim: t.logcumsumexp(x, dim),
           lambda r: _dims(r, lambda rr, *s: rr.standard_normal(s) * 3)),
    OpInfo("diff", _gdiff, _tdiff, _diff),
]
