"""Op registry rows: unary maths (trigonometric, hyperbolic, special, rounding)."""
from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.testing.op_registry import OpInfo, Sample

_SHAPES = [((3, 4), ""), ((1,), "batch 1"), ((2, 3, 5), "odd 3-D"), ((), "0-d"),
           ((7,), "vector")]


def _samples(transform, extra=()):
    """Five shapes (batch 1, odd sizes, 0-d) of ``transform(standard normal)``."""
    def gen(rng):
        out = [Sample((transform(rng.standard_normal(s), rng),), desc=d) for s, d in _SHAPES]
        return out + [Sample((np.asarray(a, dtype=np.float64),), dict(k), desc=d)
                      for a, k, d in extra]
    return gen


def _open_unit(x, rng):
    """Values in (-0.9, 0.9): inside the domain of asin, acos, atanh, erfinv."""
    return np.tanh(x) * 0.9


def _away_from_integers(x, rng):
    """Values whose fractional part is in (0.2, 0.8): away from the kinks of frac."""
    return np.floor(x * 3) + 0.2 + 0.6 * rng.random(x.shape)


def _t(name):
    return lambda torch, x, **k: getattr(torch, name)(x, **k)


_ID = lambda x, rng: x  # noqa: E731


ROWS = [
    OpInfo("tan", gn.tan, _t("tan"), _samples(lambda x, r: np.tanh(x) * 1.2)),
    OpInfo("asin", gn.asin, _t("asin"), _samples(_open_unit)),
    OpInfo("acos", gn.acos, _t("acos"), _samples(_open_unit)),
    OpInfo("sinh", gn.sinh, _t("sinh"), _samples(_ID)),
    OpInfo("cosh", gn.cosh, _t("cosh"), _samples(_ID)),
    OpInfo("asinh", gn.asinh, _t("asinh"), _samples(_ID)),
    OpInfo("acosh", gn.acosh, _t("acosh"), _samples(lambda x, r: np.abs(x) + 1.2)),
    OpInfo("atanh", gn.atanh, _t("atanh"), _samples(_open_unit)),
    OpInfo("exp2", gn.exp2, _t("exp2"), _samples(_ID)),
    OpInfo("erf", gn.erf, _t("erf"), _samples(_ID)),
    OpInfo("erfc", gn.erfc, _t("erfc"), _samples(_ID)),
    OpInfo("erfinv", gn.erfinv, _t("erfinv"), _samples(_open_unit), atol=1e-4),
    OpInfo("sinc", gn.sinc, _t("sinc"),
           _samples(_ID, extra=[([0.0, 0.5, -1.5], {}, "zero: sinc'(0) = 0")])),
    OpInfo("deg2rad", gn.deg2rad, _t("deg2rad"), _samples(lambda x, r: x * 90)),
    OpInfo("rad2deg", gn.rad2deg, _t("rad2deg"), _samples(_ID), atol=1e-4),
    OpInfo("frac", gn.frac, _t("frac"), _samples(_away_from_integers)),
    OpInfo("logit", gn.logit, _t("logit"),
           _samples(lambda x, r: 1 / (1 + np.exp(-x)),
                    extra=[([0.05, 0.3, 0.5, 0.97], {"eps": 0.1}, "eps clamps both ends"),
                           ([0.2, 0.6], {"eps": 1e-6}, "tiny eps")]), atol=1e-4),
    OpInfo("lgamma", gn.lgamma, _t("lgamma"), _samples(lambda x, r: np.abs(x) * 2 + 0.3),
           atol=1e-4),
    OpInfo("digamma", gn.digamma, _t("digamma"),
           _samples(lambda x, r: np.abs(x) * 2 + 0.3), atol=1e-4, rtol=1e-3),
    OpInfo("polygamma", lambda x, n: gn.polygamma(n, x),
           lambda torch, x, n: torch.polygamma(n, x),
           lambda rng: [Sample((np.abs(rng.standard_normal(s)) + 0.5,), {"n": n}, desc=d)
                        for (s, d), n in zip(_SHAPES, (0, 1, 2, 1, 3))],
           atol=1e-3, rtol=1e-3, grad_atol=1e-2, grad_rtol=1e-3),
    OpInfo("i0", gn.i0, _t("i0"), _samples(_ID), atol=1e-4),
    OpInfo("nan_to_num", gn.nan_to_num, _t("nan_to_num"),
           _samples(_ID, extra=[([np.nan, 1.5, np.inf, -np.inf, -0.5],
                                  {"posinf": 5.0, "neginf": -4.0},
                                 "non-finite: zero gradient"),
                                ([np.nan, np.inf, 2.0], {"nan": 1.0, "posinf": 9.0},
                                 "replacement values")])),
    OpInfo("floor", gn.floor, _t("floor"), _samples(_away_from_integers)),
    OpInfo("ceil", gn.ceil, _t("ceil"), _samples(_away_from_integers)),
    OpInfo("trunc", gn.trunc, _t("trunc"), _samples(_away_from_integers)),
    OpInfo("round", gn.round, _t("round"),
           _samples(_away_from_integers, extra=[([0.123, -2.567], {"decimals": 1}, "")])),
    OpInfo("sgn", gn.sgn, _t("sgn"), _samples(lambda x, r: x + np.sign(x) * 0.1)),
]
