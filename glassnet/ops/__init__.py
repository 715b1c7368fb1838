"""Differentiable ops, one file per family, and the Tensor methods that call them.

Importing this package attaches operators (``+ - * / ** @``, comparisons, indexing) and
methods (``x.exp()``, ``x.sum(dim)``, ``x.max(dim=1)`` ...) to :class:`Tensor`.
"""
from __future__ import annotations

from glassnet.ops import activation as _act
from glassnet.ops import elementwise as _ew
from glassnet.ops import indexing as _ix
from glassnet.ops import inplace as _ip
from glassnet.ops import linalg as _la
from glassnet.ops import reduce as _rd
from glassnet.ops import shape as _sh
from glassnet.tensor import Tensor


def _r(fn):
    """Reflected binary operator: ``other (op) self``."""
    return lambda self, other: fn(other, self)


def _where_method(self, condition, other):
    """``x.where(condition, y)`` is ``glassnet.where(condition, x, y)``."""
    return _ew.where(condition, self, other)


def _polygamma_method(self, n):
    """``x.polygamma(n)`` is ``glassnet.polygamma(n, x)``."""
    return _ew.polygamma(n, self)


# Tensor methods with the same name and signature as a glassnet function.
_ELEMENTWISE = (
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "pow",
    "float_power", "fmod", "remainder", "floor_divide", "atan2", "arctan2", "hypot",
    "logaddexp", "logaddexp2", "xlogy", "copysign", "heaviside", "clamp", "clip",
    "clamp_min", "clamp_max", "maximum", "minimum", "fmax", "fmin", "lerp", "addcmul",
    "addcdiv", "masked_fill", "neg", "negative", "positive", "abs", "absolute", "sign",
    "sgn", "floor", "ceil", "round", "trunc", "fix", "frac", "exp", "exp2", "expm1", "log",
    "log2", "log10", "log1p", "sqrt", "rsqrt", "square", "reciprocal", "sin", "cos", "tan",
    "asin", "acos", "atan", "sinh", "cosh", "asinh", "acosh", "atanh", "arcsin", "arccos",
    "arctan", "arcsinh", "arccosh", "arctanh", "erf", "erfc", "erfinv", "logit", "sinc",
    "deg2rad", "rad2deg", "lgamma", "digamma", "i0", "nan_to_num", "eq", "ne", "lt", "le",
    "gt", "ge", "greater", "greater_equal", "less", "less_equal", "not_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "isnan", "isinf", "isfinite", "isposinf",
    "isneginf", "isreal", "signbit", "allclose", "isclose", "equal",
)
_REDUCE = (
    "sum", "mean", "prod", "max", "min", "amax", "amin", "aminmax", "var", "std",
    "logsumexp", "argmax", "argmin", "cumsum", "cumprod", "cummax", "cummin",
    "logcumsumexp", "norm", "all", "any", "count_nonzero", "sort", "argsort", "topk",
    "unique", "bincount", "median", "nanmedian", "mode", "nansum", "nanmean", "quantile",
    "nanquantile", "kthvalue", "diff", "histc",
)
_SHAPE = (
    "reshape", "permute", "transpose", "swapaxes", "movedim", "flatten", "unflatten",
    "squeeze", "unsqueeze", "repeat_interleave", "tile", "split", "chunk", "unbind", "flip",
    "roll", "narrow", "t", "broadcast_to", "tril", "triu", "gather", "scatter_add",
    "index_select", "masked_select", "nonzero", "take_along_dim", "take",
    "view", "view_as", "reshape_as", "expand", "expand_as", "repeat",
)
_LINALG = (
    "matmul", "mm", "bmm", "dot", "outer", "mv", "trace", "diag", "diagonal",
    "diag_embed", "cross", "kron", "addmm", "addmv", "baddbmm", "addbmm", "inner",
)
_ACTIVATION = ("relu", "sigmoid", "tanh", "softmax", "log_softmax")

# In-place variants ``x.<name>_(...)`` that torch has (same values, written into x, with
# torch's autograd semantics: see ops/inplace.py).
_INPLACE = (
    "add", "sub", "mul", "div", "clamp", "clip", "maximum", "minimum", "masked_fill",
    "subtract", "multiply", "divide", "true_divide", "pow", "float_power", "fmod",
    "remainder", "floor_divide", "atan2", "arctan2", "hypot", "xlogy", "copysign",
    "heaviside", "clamp_min", "clamp_max", "lerp", "addcmul", "addcdiv", "neg", "negative",
    "abs", "absolute", "sign", "sgn", "floor", "ceil", "round", "trunc", "fix", "frac",
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "square",
    "reciprocal", "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "asinh",
    "acosh", "atanh", "arcsin", "arccos", "arctan", "arcsinh", "arccosh", "arctanh", "erf",
    "erfc", "erfinv", "logit", "sinc", "deg2rad", "rad2deg", "lgamma", "digamma",
    "polygamma", "i0", "nan_to_num", "eq", "ne", "lt", "le", "gt", "ge", "greater",
    "greater_equal", "less", "less_equal", "not_equal", "logical_and", "logical_or",
    "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "relu", "sigmoid", "tanh", "cumsum", "cumprod", "tril", "triu",
    "scatter_add", "addmm", "addmv", "baddbmm", "addbmm",
)
_RESTRIDE = ("t", "transpose", "swapaxes", "squeeze", "unsqueeze")


def _bind():
    T = Tensor
    T.__add__ = lambda s, o: _ew.add(s, o)
    T.__radd__ = _r(_ew.add)
    T.__sub__ = lambda s, o: _ew.sub(s, o)
    T.__rsub__ = _r(_ew.sub)
    T.__mul__ = lambda s, o: _ew.mul(s, o)
    T.__rmul__ = _r(_ew.mul)
    T.__truediv__ = lambda s, o: _ew.div(s, o)
    T.__rtruediv__ = _r(_ew.div)
    T.__floordiv__ = lambda s, o: _ew.floor_divide(s, o)
    T.__rfloordiv__ = _r(_ew.floor_divide)
    T.__mod__ = lambda s, o: _ew.remainder(s, o)
    T.__rmod__ = _r(_ew.remainder)
    T.__pow__ = lambda s, o: _ew.pow(s, o)
    T.__rpow__ = _r(_ew.pow)
    T.__matmul__ = lambda s, o: _la.matmul(s, o)
    T.__rmatmul__ = _r(_la.matmul)
    T.__neg__ = lambda s: _ew.neg(s)
    T.__pos__ = lambda s: s
    T.__abs__ = lambda s: _ew.abs(s)
    T.__eq__ = lambda s, o: _ew.eq(s, o)
    T.__ne__ = lambda s, o: _ew.ne(s, o)
    T.__lt__ = lambda s, o: _ew.lt(s, o)
    T.__le__ = lambda s, o: _ew.le(s, o)
    T.__gt__ = lambda s, o: _ew.gt(s, o)
    T.__ge__ = lambda s, o: _ew.ge(s, o)
    T.__and__ = lambda s, o: _ew.logical_and(s, o) if s.dtype == bool else \
        _ew.bitwise_and(s, o)
    T.__or__ = lambda s, o: _ew.logical_or(s, o) if s.dtype == bool else \
        _ew.bitwise_or(s, o)
    T.__xor__ = lambda s, o: _ew.logical_xor(s, o) if s.dtype == bool else \
        _ew.bitwise_xor(s, o)
    T.__invert__ = lambda s: _ew.logical_not(s) if s.dtype == bool else _ew.bitwise_not(s)
    T.__getitem__ = lambda s, i: _ix.getitem(s, i)
    T.__hash__ = object.__hash__

    methods = {}
    for module, names in ((_ew, _ELEMENTWISE), (_rd, _REDUCE), (_sh, _SHAPE),
                          (_la, _LINALG), (_act, _ACTIVATION)):
        for name in names:
            methods[name] = getattr(module, name)
    methods["where"] = _where_method
    methods["polygamma"] = _polygamma_method
    for name, fn in methods.items():
        setattr(T, name, fn)
    for name in _INPLACE:
        setattr(T, name + "_", _ip.inplace_method(methods[name], name + "_"))
    for name in _RESTRIDE:
        setattr(T, name + "_", _ip.restride_method(methods[name], name + "_"))
    for name in ("copy_", "fill_", "zero_", "masked_fill_", "scatter_", "uniform_",
                 "normal_", "bernoulli_", "exponential_", "log_normal_", "random_"):
        setattr(T, name, getattr(_ip, name))
    T.__setitem__ = _ip.setitem
    T.index_put = _ip.index_put
    T.index_put_ = _ip.inplace_method(_ip.index_put, "index_put_")
    for name, method in _ip.AUGMENTED.items():
        setattr(T, name, method)
    T.T = property(lambda s: _sh.permute(s, *reversed(range(s.ndim))))
    T.mT = property(lambda s: _sh.transpose(s, -2, -1))


_bind()

# NOTE: ``glassnet.linalg`` as an attribute of ``glassnet`` (torch.linalg); the lead may
# move this import into glassnet/__init__.py.
import glassnet.linalg  # noqa: E402,F401
