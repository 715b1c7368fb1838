"""Differentiable ops, one file per family, and the Tensor methods that call them.

Importing this package attaches operators (``+ - * / ** @``, comparisons, indexing) and
methods (``x.exp()``, ``x.sum(dim)``, ``x.max(dim=1)`` ...) to :class:`Tensor`.
"""
from __future__ import annotations

from glassnet.autograd import no_grad
from glassnet.ops import activation as _act
from glassnet.ops import elementwise as _ew
from glassnet.ops import indexing as _ix
from glassnet.ops import linalg as _la
from glassnet.ops import reduce as _rd
from glassnet.ops import shape as _sh
from glassnet.tensor import Tensor


def _r(fn):
    """Reflected binary operator: ``other (op) self``."""
    return lambda self, other: fn(other, self)


def _inplace_method(fn, name):
    """``x.<op>_(...)``: ``fn``'s result written into ``x`` (outside autograd, see
    ``Tensor._check_inplace``)."""

    def method(self, *args, **kwargs):
        with no_grad():
            new = fn(self, *args, **kwargs)
        other = args[0] if args else None
        return self._arith_inplace(name, new._data, other)

    method.__name__ = name
    method.__doc__ = f"In-place version of :meth:`Tensor.{name[:-1]}`."
    return method


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
    T.__mod__ = lambda s, o: _ew.remainder(s, o)
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
    T.__and__ = lambda s, o: _ew.logical_and(s, o)
    T.__or__ = lambda s, o: _ew.logical_or(s, o)
    T.__invert__ = lambda s: _ew.logical_not(s)
    T.__getitem__ = lambda s, i: _ix.getitem(s, i)
    T.__hash__ = object.__hash__

    methods = {
        # elementwise
        "add": _ew.add, "sub": _ew.sub, "mul": _ew.mul, "div": _ew.div, "pow": _ew.pow,
        "neg": _ew.neg, "exp": _ew.exp, "expm1": _ew.expm1, "log": _ew.log,
        "log2": _ew.log2, "log10": _ew.log10, "log1p": _ew.log1p, "sqrt": _ew.sqrt,
        "rsqrt": _ew.rsqrt, "abs": _ew.abs, "sign": _ew.sign, "clamp": _ew.clamp,
        "clip": _ew.clamp, "maximum": _ew.maximum, "minimum": _ew.minimum,
        "square": _ew.square, "reciprocal": _ew.reciprocal, "sin": _ew.sin, "cos": _ew.cos, "atan": _ew.atan,
        "eq": _ew.eq, "ne": _ew.ne, "lt": _ew.lt, "le": _ew.le, "gt": _ew.gt, "ge": _ew.ge,
        "floor": _ew.floor, "ceil": _ew.ceil, "round": _ew.round, "trunc": _ew.trunc,
        "fmod": _ew.fmod, "remainder": _ew.remainder, "floor_divide": _ew.floor_divide,
        "logical_and": _ew.logical_and, "logical_or": _ew.logical_or,
        "masked_fill": _ew.masked_fill, "lerp": _ew.lerp, "isnan": _ew.isnan,
        "isinf": _ew.isinf, "isfinite": _ew.isfinite, "logical_not": _ew.logical_not,
        "allclose": _ew.allclose, "isclose": _ew.isclose, "equal": _ew.equal,
        "nan_to_num": _ew.nan_to_num,
        # reductions
        "sum": _rd.sum, "mean": _rd.mean, "prod": _rd.prod, "max": _rd.max,
        "min": _rd.min, "amax": _rd.amax, "amin": _rd.amin, "var": _rd.var, "std": _rd.std,
        "logsumexp": _rd.logsumexp, "argmax": _rd.argmax, "argmin": _rd.argmin,
        "cumsum": _rd.cumsum, "cumprod": _rd.cumprod, "norm": _rd.norm, "all": _rd.all,
        "any": _rd.any, "sort": _rd.sort, "argsort": _rd.argsort, "topk": _rd.topk,
        "count_nonzero": _rd.count_nonzero, "unique": _rd.unique,
        "bincount": _rd.bincount,
        # shape
        "reshape": _sh.reshape, "view": _sh.view, "view_as": _sh.view_as,
        "reshape_as": _sh.reshape_as, "permute": _sh.permute,
        "transpose": _sh.transpose, "swapaxes": _sh.swapaxes, "movedim": _sh.movedim,
        "flatten": _sh.flatten, "unflatten": _sh.unflatten, "squeeze": _sh.squeeze,
        "unsqueeze": _sh.unsqueeze, "expand": _sh.expand, "expand_as": _sh.expand_as,
        "repeat": _sh.repeat, "repeat_interleave": _sh.repeat_interleave, "tile": _sh.tile,
        "split": _sh.split, "chunk": _sh.chunk,
        "unbind": _sh.unbind, "flip": _sh.flip, "roll": _sh.roll, "gather": _sh.gather,
        "scatter_add": _sh.scatter_add, "index_select": _sh.index_select,
        "narrow": _sh.narrow, "t": _sh.t, "broadcast_to": _sh.broadcast_to,
        "masked_select": _sh.masked_select,
        "tril": _sh.tril, "triu": _sh.triu, "nonzero": _sh.nonzero,
        # linalg
        "matmul": _la.matmul, "mm": _la.mm, "bmm": _la.bmm, "dot": _la.dot,
        "outer": _la.outer,
        # activations
        "relu": _act.relu, "sigmoid": _act.sigmoid, "tanh": _act.tanh,
        "softmax": _act.softmax, "log_softmax": _act.log_softmax,
    }
    for name, fn in methods.items():
        setattr(T, name, fn)
    for name in ("abs", "neg", "exp", "expm1", "log", "log1p", "log2", "sqrt", "rsqrt",
                 "sign", "floor", "ceil", "round", "trunc", "square", "reciprocal", "sin",
                 "cos", "pow", "lerp", "relu", "sigmoid", "tanh", "nan_to_num"):
        setattr(T, name + "_", _inplace_method(methods[name], name + "_"))
    T.clip_ = T.clamp_
    T.T = property(lambda s: _sh.permute(s, *reversed(range(s.ndim))))
    T.mT = property(lambda s: _sh.transpose(s, -2, -1))


_bind()
