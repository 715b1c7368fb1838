"""Op registry rows: order statistics (median, kthvalue, mode, quantile) and NaN-aware
reductions. Samples use distinct values (ties make finite differences meaningless);
tie behaviour is tested in tests/ops/test_order.py."""
from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.testing.op_registry import OpInfo, Sample


def _distinct(rng, *shape):
    n = int(np.prod(shape)) if shape else 1
    return rng.permutation(n).reshape(shape) * 0.1 + rng.random(shape) * 0.01


def _with_nan(rng, *shape, frac=0.3):
    x = _distinct(rng, *shape)
    x[rng.random(shape) < frac] = np.nan
    return x


def _dim_cases(rng, make, extra=()):
    return [Sample((make(rng, 3, 5),), {"dim": 1}, desc="odd length"),
            Sample((make(rng, 4, 6),), {"dim": 0, "keepdim": True}, desc="even, keepdim"),
            Sample((make(rng, 1, 7),), {"dim": -1}, desc="batch 1, negative dim"),
            Sample((make(rng, 2, 3, 4),), {"dim": 1}, desc="3-D"),
            Sample((make(rng, 6),), {"dim": 0}, desc="vector")] + list(extra)


def _median(rng):
    return _dim_cases(rng, _distinct, [Sample((_distinct(rng, 3, 4),), {}, desc="global"),
                                       Sample((_distinct(rng, 5),), {}, desc="global odd")])


def _nanmedian(rng):
    # (An all-NaN slice gives NaN, which finite differences cannot check: see
    # tests/ops/test_order.py.)
    return _dim_cases(rng, _with_nan, [Sample((_with_nan(rng, 3, 4),), {}, desc="global")])


def _kthvalue(rng):
    return [Sample((_distinct(rng, 3, 5),), {"k": 2, "dim": 1}),
            Sample((_distinct(rng, 4, 3),), {"k": 4, "dim": 0, "keepdim": True}),
            Sample((_distinct(rng, 1, 6),), {"k": 1}, desc="batch 1, default dim"),
            Sample((_distinct(rng, 2, 3, 4),), {"k": 3, "dim": -2}),
            Sample((_distinct(rng, 5),), {"k": 5, "dim": 0}, desc="k = n")]


def _mode(rng):
    def repeated(*shape):
        return rng.integers(0, 3, shape).astype(np.float64) * 0.5

    return [Sample((repeated(3, 5),), {"dim": 1}), Sample((repeated(4, 3),), {"dim": 0}),
            Sample((repeated(1, 6),), {}, desc="batch 1"),
            Sample((repeated(2, 3, 4),), {"dim": -1, "keepdim": True}),
            Sample((np.array([2.0, 1.0, 1.0, 2.0, 3.0]),), {"dim": 0},
                   desc="tie in counts: smallest value, last index")]


def _quantile(rng, make=_distinct):
    q = np.array([0.0, 0.3, 0.5, 1.0])
    return [Sample((make(rng, 3, 5),), {"q": 0.3, "dim": 1}),
            Sample((make(rng, 4, 6),), {"q": q, "dim": 0, "keepdim": True}, desc="q tensor"),
            Sample((make(rng, 2, 7),), {"q": 0.75}, desc="all elements"),
            Sample((make(rng, 1, 5),), {"q": q, "dim": -1}, desc="batch 1"),
            Sample((make(rng, 2, 3, 4),), {"q": 0.4, "dim": 1, "interpolation": "midpoint"}),
            Sample((make(rng, 3, 4),), {"q": 0.35, "dim": 1, "interpolation": "lower"}),
            Sample((make(rng, 3, 4),), {"q": 0.35, "dim": 1, "interpolation": "higher"}),
            Sample((make(rng, 3, 4),), {"q": q, "dim": 1, "interpolation": "nearest"})]


def _tq(name):
    def fn(torch, x, q, **k):
        if isinstance(q, np.ndarray):
            q = torch.from_numpy(q.astype(np.float32 if x.dtype == torch.float32 else
                                          np.float64))
        return getattr(torch, name)(x, q, **k)

    return fn


def _gq(name):
    def fn(x, q, **k):
        if isinstance(q, np.ndarray):
            q = gn.tensor(q.astype(x.dtype))
        return getattr(gn, name)(x, q, **k)

    return fn


def _nan_reduce(rng):
    return [Sample((_with_nan(rng, 3, 4),), {}), Sample((_with_nan(rng, 3, 4),), {"dim": 1}),
            Sample((_with_nan(rng, 2, 3, 5),), {"dim": (0, 2), "keepdim": True}),
            Sample((_with_nan(rng, 1, 5),), {"dim": -1}),
            Sample((_distinct(rng, 6),), {"dim": 0}, desc="no NaN")]


def _t(name):
    return lambda torch, x, **k: getattr(torch, name)(x, **k)


def _stack_pair(name):
    def fn(x, **k):
        return gn.stack(list(getattr(gn, name)(x, **k)))

    return fn


def _tstack_pair(name):
    def fn(torch, x, **k):
        return torch.stack(list(getattr(torch, name)(x, **k)))

    return fn


def _var_mean(rng):
    x = rng.standard_normal
    return [Sample((x((3, 4)),), {}), Sample((x((3, 4)),), {"dim": 1, "correction": 0}),
            Sample((x((2, 3, 5)),), {"dim": (0, 2), "keepdim": True}),
            Sample((x((1, 5)),), {"dim": -1, "unbiased": False}),
            Sample((x((4, 3)),), {"dim": 0, "correction": 2})]


def _aminmax(rng):
    return [Sample((_distinct(rng, 3, 4),), {}), Sample((_distinct(rng, 3, 4),), {"dim": 1}),
            Sample((_distinct(rng, 2, 3, 5),), {"dim": 0, "keepdim": True}),
            Sample((_distinct(rng, 1, 5),), {"dim": -1}),
            Sample((np.array([1.0, 3.0, 3.0, 1.0]),), {}, desc="ties share the gradient")]


ROWS = [
    OpInfo("median", gn.median, _t("median"), _median),
    OpInfo("nanmedian", gn.nanmedian, _t("nanmedian"), _nanmedian),
    OpInfo("kthvalue", gn.kthvalue, _t("kthvalue"), _kthvalue),
    OpInfo("mode", gn.mode, _t("mode"), _mode, gradcheck=False,
           notes="piecewise constant in the counts: a perturbation changes which value "
                 "is the mode, so finite differences do not apply"),
    OpInfo("quantile", _gq("quantile"), _tq("quantile"), _quantile),
    OpInfo("nanquantile", _gq("nanquantile"), _tq("nanquantile"),
           lambda r: _quantile(r, _with_nan)),
    OpInfo("nansum", gn.nansum, _t("nansum"), _nan_reduce),
    OpInfo("nanmean", gn.nanmean, _t("nanmean"), _nan_reduce),
    OpInfo("aminmax", _stack_pair("aminmax"), _tstack_pair("aminmax"), _aminmax),
    OpInfo("var_mean", _stack_pair("var_mean"), _tstack_pair("var_mean"), _var_mean),
    OpInfo("std_mean", _stack_pair("std_mean"), _tstack_pair("std_mean"), _var_mean),
]
