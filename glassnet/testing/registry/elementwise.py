"""Op registry rows: elementwise ops (broadcasting, scalars, edge values)."""
from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.testing.op_registry import OpInfo, Sample


def _binary(rng, positive_b=False):
    def b(shape):
        x = rng.standard_normal(shape)
        return np.abs(x) + 0.5 if positive_b else x

    return [
        Sample((rng.standard_normal((3, 4)), b((3, 4))), desc="same shape"),
        Sample((rng.standard_normal((2, 3, 4)), b((4,))), desc="broadcast trailing"),
        Sample((rng.standard_normal((1, 5)), b((3, 1))), desc="broadcast both"),
        Sample((rng.standard_normal(()), b((2, 3))), desc="0-d with matrix"),
        Sample((rng.standard_normal((1,)), b((1,))), desc="batch 1"),
        Sample((rng.standard_normal((2, 1, 3)), b((1, 3, 1))), desc="3-D broadcast"),
    ]


def _unary(rng, low=None, shift=0.0):
    def x(shape):
        v = rng.standard_normal(shape) + shift
        return np.abs(v) + low if low is not None else v

    return [Sample((x((3, 4)),)), Sample((x((1,)),), desc="batch 1"),
            Sample((x((2, 3, 5)),), desc="odd 3-D"), Sample((x(()),), desc="0-d"),
            Sample((x((7,)),), desc="vector")]


def _away_from_zero(rng):
    return [Sample((s.args[0] + np.sign(s.args[0]) * 0.1,), desc=s.desc) for s in _unary(rng)]


def _pow_scalar(rng):
    pos = lambda shape: np.abs(rng.standard_normal(shape)) + 0.5  # noqa: E731
    return [Sample((pos((3, 4)),), {"exponent": 2.0}), Sample((pos((5,)),), {"exponent": 0.5}),
            Sample((pos((1,)),), {"exponent": -1.5}), Sample((pos((2, 3)),), {"exponent": 3}),
            Sample((rng.standard_normal((2, 2)),), {"exponent": 2}),
            Sample((pos((2, 2)),), {"exponent": 0})]


def _clamp(rng):
    def x(shape):
        v = rng.standard_normal(shape)
        v[np.abs(np.abs(v) - 0.5) < 0.05] += 0.2  # keep away from the kinks
        return v

    return [Sample((x((3, 4)),), {"min": -0.5, "max": 0.5}),
            Sample((x((5,)),), {"min": -0.5}), Sample((x((1,)),), {"max": 0.5}),
            Sample((x((2, 3, 4)),), {"min": -0.5, "max": 0.5}),
            Sample((x(()),), {"min": 0.5, "max": 1.5})]


def _minmax(rng):
    return [Sample((rng.standard_normal((3, 4)), rng.standard_normal((3, 4)))),
            Sample((rng.standard_normal((2, 3)), rng.standard_normal((3,))), desc="broadcast"),
            Sample((rng.standard_normal((1,)), rng.standard_normal((4, 1)))),
            Sample((rng.standard_normal((2, 1, 3)), rng.standard_normal((1, 2, 1)))),
            Sample((rng.standard_normal(()), rng.standard_normal((5,))))]


def _where(rng):
    out = []
    for sa, sb, sc in [((3, 4), (3, 4), (3, 4)), ((2, 3), (3,), (2, 1)), ((1,), (4,), (4,)),
                       ((2, 1, 3), (1, 2, 1), (2, 2, 3)), ((), (5,), (5,))]:
        out.append(Sample((rng.standard_normal(sa), rng.standard_normal(sb),
                           rng.random(sc) > 0.5)))
    return out


def _where_fn(a, b, c):
    return gn.where(c, a, b)


ROWS = [
    OpInfo("add", gn.add, lambda t, a, b: t.add(a, b), _binary),
    OpInfo("sub", gn.sub, lambda t, a, b: t.sub(a, b), _binary),
    OpInfo("mul", gn.mul, lambda t, a, b: t.mul(a, b), _binary),
    OpInfo("div", gn.div, lambda t, a, b: t.div(a, b), lambda r: _binary(r, True)),
    OpInfo("pow", gn.pow, lambda t, a, b: t.pow(a, b),
           lambda r: [Sample((np.abs(s.args[0]) + 0.5, s.args[1]), desc=s.desc)
                      for s in _binary(r)]),
    OpInfo("pow_scalar", lambda x, exponent: x ** exponent,
           lambda t, x, exponent: x ** exponent, _pow_scalar),
    OpInfo("rpow_scalar", lambda x: 2.5 ** x, lambda t, x: 2.5 ** x, _unary),
    OpInfo("neg", gn.neg, lambda t, x: t.neg(x), _unary),
    OpInfo("exp", gn.exp, lambda t, x: t.exp(x), _unary),
    OpInfo("expm1", gn.expm1, lambda t, x: t.expm1(x), _unary),
    OpInfo("log", gn.log, lambda t, x: t.log(x), lambda r: _unary(r, low=0.3)),
    OpInfo("log2", gn.log2, lambda t, x: t.log2(x), lambda r: _unary(r, low=0.3)),
    OpInfo("log10", gn.log10, lambda t, x: t.log10(x), lambda r: _unary(r, low=0.3)),
    OpInfo("log1p", gn.log1p, lambda t, x: t.log1p(x), lambda r: _unary(r, low=0.0)),
    OpInfo("sqrt", gn.sqrt, lambda t, x: t.sqrt(x), lambda r: _unary(r, low=0.3)),
    OpInfo("rsqrt", gn.rsqrt, lambda t, x: t.rsqrt(x), lambda r: _unary(r, low=0.3)),
    OpInfo("abs", gn.abs, lambda t, x: t.abs(x), _away_from_zero),
    OpInfo("sign", gn.sign, lambda t, x: t.sign(x), _away_from_zero),
    OpInfo("sin", gn.sin, lambda t, x: t.sin(x), _unary),
    OpInfo("cos", gn.cos, lambda t, x: t.cos(x), _unary),
    OpInfo("atan", gn.atan, lambda t, x: t.atan(x), _unary),
    OpInfo("square", gn.square, lambda t, x: t.square(x), _unary),
    OpInfo("reciprocal", gn.reciprocal, lambda t, x: t.reciprocal(x),
           lambda r: _unary(r, low=0.3)),
    OpInfo("clamp", gn.clamp, lambda t, x, **k: t.clamp(x, **k), _clamp),
    OpInfo("maximum", gn.maximum, lambda t, a, b: t.maximum(a, b), _minmax),
    OpInfo("minimum", gn.minimum, lambda t, a, b: t.minimum(a, b), _minmax),
    OpInfo("where", _where_fn, lambda t, a, b, c: t.where(c, a, b), _where),
    OpInfo("clone", gn.clone, lambda t, x: t.clone(x), _unary),
]
