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


# ---------------------------------------------------------------------------
# Binary maths, fmod/remainder, fmax/fmin, add* forms
# ---------------------------------------------------------------------------
def _positive(rng):
    return [Sample((np.abs(s.args[0]) + 0.3, np.abs(s.args[1]) + 0.3), desc=s.desc)
            for s in _binary(rng)]


def _modulo(rng):
    """``a = b * (k + u)`` with u in (0.2, 0.8): away from the jumps of fmod/remainder,
    with negative a and b."""
    out = []
    for s in _binary(rng):
        a, b = s.args
        b = np.sign(b) * (np.abs(b) + 0.5)
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
        k = rng.integers(-3, 3, shape)
        u = 0.2 + 0.6 * rng.random(shape)
        out.append(Sample((b * (k + u), b), desc=s.desc))
    return out


def _xlogy(rng):
    out = [Sample((s.args[0], np.abs(s.args[1]) + 0.3), desc=s.desc) for s in _binary(rng)]
    out.append(Sample((np.array([0.0, 1.5, 0.0, -2.0]), np.array([0.5, 2.0, 3.0, 0.7])),
                      desc="x == 0: the value is 0, the gradient log(y)"))
    return out


def _copysign(rng):
    return [Sample((s.args[0] + np.sign(s.args[0]) * 0.1, s.args[1] + np.sign(s.args[1]) * 0.1),
                   desc=s.desc) for s in _binary(rng)]


def _fmax(rng):
    out = _minmax(rng)
    # (Ties send the whole gradient to input, which finite differences cannot check:
    # see tests/ops/test_elementwise.py.)
    out.append(Sample((np.array([1.0, np.nan, 2.0, -1.0]), np.array([np.nan, 3.0, 2.5, 0.5])),
                      desc="NaN is ignored"))
    return out


def _ternary(rng, positive_c=False):
    def c(shape):
        v = rng.standard_normal(shape)
        return np.abs(v) + 0.5 if positive_c else v

    return [Sample((rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), c((3, 4))),
                   {"value": 0.5}),
            Sample((rng.standard_normal((4,)), rng.standard_normal((2, 1)), c((1, 4))),
                   desc="broadcast"),
            Sample((rng.standard_normal((1,)), rng.standard_normal((1,)), c((1,))),
                   {"value": -2}, desc="batch 1"),
            Sample((rng.standard_normal(()), rng.standard_normal((2, 3)), c((3,)))),
            Sample((rng.standard_normal((2, 3, 5)), rng.standard_normal((2, 3, 5)),
                    c((2, 3, 5))), {"value": 3.0}, desc="odd 3-D")]


def _float_power(rng):
    return [Sample((np.abs(s.args[0]) + 0.5, s.args[1]), desc=s.desc) for s in _binary(rng)]


def _clamp_one(rng, key):
    other = "max" if key == "min" else "min"
    return [Sample(s.args, {key: s.kwargs[key] if key in s.kwargs else s.kwargs[other]},
                   desc=s.desc) for s in _clamp(rng)]


ROWS += [
    OpInfo("atan2", gn.atan2, lambda t, a, b: t.atan2(a, b), _binary),
    OpInfo("hypot", gn.hypot, lambda t, a, b: t.hypot(a, b), _binary),
    OpInfo("logaddexp", gn.logaddexp, lambda t, a, b: t.logaddexp(a, b), _binary),
    OpInfo("logaddexp2", gn.logaddexp2, lambda t, a, b: t.logaddexp2(a, b), _binary),
    OpInfo("xlogy", gn.xlogy, lambda t, a, b: t.xlogy(a, b), _xlogy),
    OpInfo("copysign", gn.copysign, lambda t, a, b: t.copysign(a, b), _copysign),
    OpInfo("fmod", gn.fmod, lambda t, a, b: t.fmod(a, b), _modulo),
    OpInfo("remainder", gn.remainder, lambda t, a, b: t.remainder(a, b), _modulo),
    OpInfo("fmax", gn.fmax, lambda t, a, b: t.fmax(a, b), _fmax),
    OpInfo("fmin", gn.fmin, lambda t, a, b: t.fmin(a, b), _fmax),
    OpInfo("float_power", gn.float_power, lambda t, a, b: t.float_power(a, b), _float_power),
    OpInfo("addcmul", gn.addcmul, lambda t, a, b, c, **k: t.addcmul(a, b, c, **k), _ternary),
    OpInfo("addcdiv", gn.addcdiv, lambda t, a, b, c, **k: t.addcdiv(a, b, c, **k),
           lambda r: _ternary(r, positive_c=True)),
    OpInfo("clamp_min", gn.clamp_min, lambda t, x, **k: t.clamp_min(x, **k),
           lambda r: _clamp_one(r, "min")),
    OpInfo("clamp_max", gn.clamp_max, lambda t, x, **k: t.clamp_max(x, **k),
           lambda r: _clamp_one(r, "max")),
    OpInfo("lerp", gn.lerp, lambda t, a, b, w: t.lerp(a, b, w),
           lambda r: [Sample(s.args + (r.random(np.shape(s.args[1])),), desc=s.desc)
                      for s in _binary(r)]),
]


def _casts(rng):
    return [Sample((rng.standard_normal(s),), desc=d) for s, d in
            [((3, 4), ""), ((1,), "batch 1"), ((2, 3, 5), "odd 3-D"), ((), "0-d"),
             ((7,), "vector")]]


ROWS += [
    OpInfo("to", lambda x: x.to(gn.float64), lambda t, x: x.to(t.float64), _casts),
    OpInfo("double", lambda x: x.double(), lambda t, x: x.double(), _casts),
    OpInfo("float", lambda x: x.float(), lambda t, x: x.float(), _casts, gradcheck=False,
           notes="float32 output: a float64 finite difference cannot resolve it"),
    OpInfo("type_as", lambda x, y: x.type_as(y), lambda t, x, y: x.type_as(y),
           lambda r: [Sample((s.args[0], s.args[0].astype(np.float32)), nondiff=(1,))
                      for s in _casts(r)]),
    OpInfo("half", lambda x: x.half(), lambda t, x: x.half(), _casts, gradcheck=False,
           atol=1e-2, rtol=1e-3, grad_atol=1e-2, notes="float16 rounding: no float64 check"),
    OpInfo("positive", gn.positive, lambda t, x: t.positive(x), _casts),
    OpInfo("contiguous", lambda x: x.contiguous(), lambda t, x: x.contiguous(), _casts),
    OpInfo("cpu", lambda x: x.cpu(), lambda t, x: x.cpu(), _casts),
]
