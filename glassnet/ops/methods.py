"""The Tensor's op methods, one mixin class per op family (the in-place and composite
families are in :mod:`glassnet.ops.methods_inplace`).

``glassnet.Tensor`` is ``TensorBase`` (storage, metadata, autograd state; no op) plus the
mixins below, listed in its class statement, so that a reader (and an IDE) finds every
method here: ``x.exp`` is :func:`glassnet.exp`, ``x + y`` is :func:`glassnet.add`,
``x.sum(axis=1)`` is :func:`glassnet.sum`.  Each method is the op's one validated public
function; nothing here computes.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.backend import device_of, to_device, to_dtype, to_host
from glassnet.ops import activation as _act
from glassnet.ops import comparison as _cmp
from glassnet.ops import device as _device
from glassnet.ops import elementwise as _ew
from glassnet.ops import indexing as _ix
from glassnet.ops import linalg as _la
from glassnet.ops import order as _ord
from glassnet.ops import reduce as _rd
from glassnet.ops import scan as _scan
from glassnet.ops import shape as _sh
from glassnet.ops import softmax as _smx
from glassnet.ops import unary as _un
from glassnet._tensor_base import TensorBase, _infer_array, _shape
from glassnet._tensor_device import parse_to_args

if TYPE_CHECKING:
    from glassnet.tensor import Tensor

__all__ = ["ArithmeticMethods", "ConversionMethods", "ElementwiseMethods", "ReduceMethods",
           "ShapeMethods", "LinalgMethods", "ActivationMethods"]


_LEGACY_NAMES = {np.dtype(k): v for k, v in (
    (np.float32, "FloatTensor"), (np.float64, "DoubleTensor"), (np.float16, "HalfTensor"),
    (np.int64, "LongTensor"), (np.int32, "IntTensor"), (np.int16, "ShortTensor"),
    (np.int8, "CharTensor"), (np.uint8, "ByteTensor"), (np.bool_, "BoolTensor"))}


def _reflected(fn):
    """``other (op) self`` for the reflected operators (``2 - x``)."""

    def method(self, other):
        return fn(other, self)

    method.__name__ = f"__r{fn.__name__}__"
    return method


def _logical_or_bitwise(logical, bitwise):
    """``&``, ``|``, ``^``: logical on bool tensors, bitwise on integer ones (torch)."""

    def method(self, other):
        return logical(self, other) if self.dtype == np.bool_ else bitwise(self, other)

    return method


def _where_method(self, condition, other):
    """``x.where(condition, y)`` is ``glassnet.where(condition, x, y)``."""
    return _ew.where(condition, self, other)


def _polygamma_method(self, n):
    """``x.polygamma(n)`` is ``glassnet.polygamma(n, x)``."""
    return _ew.polygamma(n, self)


class ArithmeticMethods:
    """Python operators: ``+ - * / // % ** @``, comparisons, ``& | ^ ~``, indexing,
    ``x.T`` and ``x.mT``."""

    __add__ = _ew.add
    __radd__ = _reflected(_ew.add)
    __sub__ = _ew.sub
    __rsub__ = _reflected(_ew.sub)
    __mul__ = _ew.mul
    __rmul__ = _reflected(_ew.mul)
    __truediv__ = _ew.div
    __rtruediv__ = _reflected(_ew.div)
    __floordiv__ = _ew.floor_divide
    __rfloordiv__ = _reflected(_ew.floor_divide)
    __mod__ = _ew.remainder
    __rmod__ = _reflected(_ew.remainder)
    __pow__ = _ew.pow
    __rpow__ = _reflected(_ew.pow)
    __matmul__ = _la.matmul
    __rmatmul__ = _reflected(_la.matmul)
    __neg__ = _ew.neg
    __abs__ = _ew.abs
    __eq__ = _ew.eq
    __ne__ = _ew.ne
    __lt__ = _ew.lt
    __le__ = _ew.le
    __gt__ = _ew.gt
    __ge__ = _ew.ge
    __and__ = _logical_or_bitwise(_ew.logical_and, _ew.bitwise_and)
    __or__ = _logical_or_bitwise(_ew.logical_or, _ew.bitwise_or)
    __xor__ = _logical_or_bitwise(_ew.logical_xor, _ew.bitwise_xor)
    __getitem__ = _ix.getitem
    # NOTE: defining __eq__ removes the inherited __hash__; tensors hash by identity, as
    # in torch (so they can key dicts, e.g. optimizer state).
    __hash__ = object.__hash__

    def __pos__(self):
        return self

    def __invert__(self):
        return _ew.logical_not(self) if self.dtype == np.bool_ else _ew.bitwise_not(self)

    @property
    def T(self):
        """The tensor with its dimensions reversed."""
        return _sh.permute(self, *reversed(range(self.ndim)))

    @property
    def mT(self):
        """The last two dimensions swapped (a batch of transposed matrices)."""
        return _sh.transpose(self, -2, -1)

    where = _where_method
    polygamma = _polygamma_method

    @property
    def H(self):
        """The conjugate transpose of a matrix (real tensors: the transpose)."""
        if self.ndim not in (0, 2):
            raise ValueError(f"Tensor.H: expects a matrix (or a 0-D tensor), got {self.ndim}-D")
        return _sh.permute(self, *reversed(range(self.ndim)))

    @property
    def mH(self):
        """The last two dimensions swapped (real tensors: ``mT``)."""
        return _sh.transpose(self, -2, -1)

class ConversionMethods:
    """dtype conversion, copies and factories with this tensor's dtype: ``x.to(...)``,
    ``x.float()``, ``x.clone()``, ``x.new_zeros(...)``."""

    def to(self, *args, **kwargs) -> "Tensor":
        """This tensor on a device and/or with a dtype, as torch's ``Tensor.to``:
        ``x.to(dtype)``, ``x.to(device)``, ``x.to(device, dtype)``, ``x.to(other)``
        (``other``'s device and dtype), with ``non_blocking=`` and ``copy=``.

        Returns ``self`` when neither the device nor the dtype changes, unless
        ``copy=True``; otherwise a new tensor, recorded by autograd (the gradient goes
        back to this tensor's device and dtype).  Moving to ``"cuda"`` needs CuPy and a
        GPU (RuntimeError otherwise, see :func:`glassnet.cuda.is_available`).

        Examples
        --------
        >>> import glassnet
        >>> x = glassnet.ones(2)
        >>> x.to("cpu") is x, x.to(glassnet.float64).dtype, x.to("cpu", copy=True) is x
        (True, dtype('float64'), False)
        """
        where, dtype, _, copy = parse_to_args(args, kwargs, "Tensor.to")
        out = self
        if where is not None:
            out = _device.to_device(out, where, "Tensor.to")
        if dtype is not None and dtype != out.dtype:
            out = _ew.cast(out, dtype)
        if copy and out is self:
            out = self.clone()
        return out

    def type(self, dtype=None):
        """Without an argument, the type name (``'glassnet.FloatTensor'``); else this tensor
        cast to ``dtype`` (a dtype, a legacy type such as ``glassnet.LongTensor``, or its
        name ``'torch.LongTensor'``)."""
        if dtype is None:
            return f"glassnet.{_LEGACY_NAMES.get(self.dtype, str(self.dtype))}"
        if isinstance(dtype, str):
            name = dtype.rsplit(".", 1)[-1]
            matches = [dt for dt, n in _LEGACY_NAMES.items() if n == name]
            if not matches:
                raise ValueError(f"Tensor.type: unknown type name {dtype!r}")
            dtype = matches[0]
        return self.to(getattr(dtype, "dtype", dtype))

    def type_as(self, other: "Tensor") -> "Tensor":
        """This tensor cast to ``other``'s dtype."""
        return self.to(other.dtype)

    def float(self):
        return self.to(np.float32)

    def double(self):
        return self.to(np.float64)

    def long(self):
        return self.to(np.int64)

    def int(self):
        return self.to(np.int32)

    def bool(self):
        return self.to(np.bool_)

    def half(self):
        return self.to(np.float16)

    def short(self):
        return self.to(np.int16)

    def byte(self):
        return self.to(np.uint8)

    def char(self):
        return self.to(np.int8)


    def clone(self) -> "Tensor":
        """A copy with its own storage (differentiable, as torch)."""
        return _ew.clone(self)

    def contiguous(self) -> "Tensor":
        """This tensor if its elements are in row-major order, else a row-major copy."""
        return self if self.is_contiguous() else self.clone()

    # -- factories with this tensor's dtype and device (``x.new_zeros(...)``) -----------
    def new_tensor(self, data, dtype=None, device=None,
                   requires_grad: bool = False) -> "Tensor":
        """A copy of ``data`` with this tensor's dtype and device (unless given)."""
        arr = np.array(_infer_array(_host(data), dtype or self.dtype), copy=True)
        return self._new(arr, requires_grad, device, "Tensor.new_tensor")

    def new_zeros(self, *size, dtype=None, device=None,
                  requires_grad: bool = False) -> "Tensor":
        return self._new(np.zeros(_shape(size), to_dtype(dtype) or self.dtype), requires_grad,
                         device, "Tensor.new_zeros")

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> "Tensor":
        return self._new(np.ones(_shape(size), to_dtype(dtype) or self.dtype), requires_grad,
                         device, "Tensor.new_ones")

    def new_empty(self, *size, dtype=None, device=None,
                  requires_grad: bool = False) -> "Tensor":
        return self._new(np.zeros(_shape(size), to_dtype(dtype) or self.dtype), requires_grad,
                         device, "Tensor.new_empty")

    def new_full(self, size, fill_value, dtype=None, device=None,
                 requires_grad: bool = False) -> "Tensor":
        arr = np.full(_shape((size,)), fill_value, to_dtype(dtype) or self.dtype)
        return self._new(arr, requires_grad, device, "Tensor.new_full")

    def _new(self, arr, requires_grad: bool, device=None, fn: str = "Tensor.new") -> "Tensor":
        """Wrap host array ``arr`` on ``device`` (default: this tensor's device)."""
        where = device_of(self._data) if device is None else device
        return TensorBase._wrap(to_device(arr, where, fn)).requires_grad_(requires_grad)


def _host(data):
    """``data`` with a device Tensor's values brought to host memory (a copy source)."""
    return to_host(data._data) if isinstance(data, TensorBase) else data


class ElementwiseMethods:
    """Elementwise maths, comparisons and logic: ``x.exp()``, ``x.clamp(0, 1)``, ``x.eq(y)``."""

    add = _ew.add
    sub = _ew.sub
    subtract = _ew.subtract
    mul = _ew.mul
    multiply = _ew.multiply
    div = _ew.div
    divide = _ew.divide
    true_divide = _ew.true_divide
    pow = _ew.pow
    float_power = _ew.float_power
    fmod = _ew.fmod
    remainder = _ew.remainder
    floor_divide = _ew.floor_divide
    atan2 = _ew.atan2
    arctan2 = _ew.arctan2
    hypot = _ew.hypot
    logaddexp = _ew.logaddexp
    logaddexp2 = _ew.logaddexp2
    xlogy = _ew.xlogy
    copysign = _ew.copysign
    heaviside = _ew.heaviside
    clamp = _ew.clamp
    clip = _ew.clip
    clamp_min = _ew.clamp_min
    clamp_max = _ew.clamp_max
    maximum = _ew.maximum
    minimum = _ew.minimum
    fmax = _ew.fmax
    fmin = _ew.fmin
    lerp = _ew.lerp
    addcmul = _ew.addcmul
    addcdiv = _ew.addcdiv
    masked_fill = _ew.masked_fill
    neg = _un.neg
    negative = _un.negative
    positive = _un.positive
    abs = _un.abs
    absolute = _un.absolute
    sign = _un.sign
    sgn = _un.sgn
    floor = _un.floor
    ceil = _un.ceil
    round = _un.round
    trunc = _un.trunc
    fix = _un.fix
    frac = _un.frac
    exp = _un.exp
    exp2 = _un.exp2
    expm1 = _un.expm1
    log = _un.log
    log2 = _un.log2
    log10 = _un.log10
    log1p = _un.log1p
    sqrt = _un.sqrt
    rsqrt = _un.rsqrt
    square = _un.square
    reciprocal = _un.reciprocal
    sin = _un.sin
    cos = _un.cos
    tan = _un.tan
    asin = _un.asin
    acos = _un.acos
    atan = _un.atan
    sinh = _un.sinh
    cosh = _un.cosh
    asinh = _un.asinh
    acosh = _un.acosh
    atanh = _un.atanh
    arcsin = _un.arcsin
    arccos = _un.arccos
    arctan = _un.arctan
    arcsinh = _un.arcsinh
    arccosh = _un.arccosh
    arctanh = _un.arctanh
    erf = _un.erf
    erfc = _un.erfc
    erfinv = _un.erfinv
    logit = _un.logit
    sinc = _un.sinc
    deg2rad = _un.deg2rad
    rad2deg = _un.rad2deg
    lgamma = _un.lgamma
    digamma = _un.digamma
    i0 = _un.i0
    nan_to_num = _un.nan_to_num
    eq = _cmp.eq
    ne = _cmp.ne
    lt = _cmp.lt
    le = _cmp.le
    gt = _cmp.gt
    ge = _cmp.ge
    greater = _cmp.greater
    greater_equal = _cmp.greater_equal
    less = _cmp.less
    less_equal = _cmp.less_equal
    not_equal = _cmp.not_equal
    logical_and = _cmp.logical_and
    logical_or = _cmp.logical_or
    logical_xor = _cmp.logical_xor
    logical_not = _cmp.logical_not
    bitwise_and = _cmp.bitwise_and
    bitwise_or = _cmp.bitwise_or
    bitwise_xor = _cmp.bitwise_xor
    bitwise_not = _cmp.bitwise_not
    isnan = _cmp.isnan
    isinf = _cmp.isinf
    isfinite = _cmp.isfinite
    isposinf = _cmp.isposinf
    isneginf = _cmp.isneginf
    isreal = _cmp.isreal
    signbit = _cmp.signbit
    allclose = _cmp.allclose
    isclose = _cmp.isclose
    equal = _cmp.equal


class ReduceMethods:
    """Reductions, scans and order statistics: ``x.sum(dim)``, ``x.max(dim=1)``, ``x.sort()``."""

    sum = _rd.sum
    mean = _rd.mean
    prod = _rd.prod
    max = _rd.max
    min = _rd.min
    amax = _rd.amax
    amin = _rd.amin
    aminmax = _rd.aminmax
    var = _rd.var
    std = _rd.std
    logsumexp = _rd.logsumexp
    argmax = _rd.argmax
    argmin = _rd.argmin
    cumsum = _scan.cumsum
    cumprod = _scan.cumprod
    cummax = _scan.cummax
    cummin = _scan.cummin
    logcumsumexp = _scan.logcumsumexp
    norm = _rd.norm
    all = _rd.all
    any = _rd.any
    count_nonzero = _rd.count_nonzero
    sort = _ord.sort
    argsort = _ord.argsort
    topk = _ord.topk
    unique = _ord.unique
    bincount = _ord.bincount
    median = _ord.median
    nanmedian = _ord.nanmedian
    mode = _ord.mode
    nansum = _rd.nansum
    nanmean = _rd.nanmean
    quantile = _ord.quantile
    nanquantile = _ord.nanquantile
    kthvalue = _ord.kthvalue
    diff = _scan.diff
    histc = _ord.histc


class ShapeMethods:
    """Shape, movement and indexing ops: ``x.view(2, -1)``, ``x.permute(...)``, ``x.gather(...)``."""

    reshape = _sh.reshape
    permute = _sh.permute
    transpose = _sh.transpose
    swapaxes = _sh.swapaxes
    movedim = _sh.movedim
    flatten = _sh.flatten
    unflatten = _sh.unflatten
    squeeze = _sh.squeeze
    unsqueeze = _sh.unsqueeze
    repeat_interleave = _sh.repeat_interleave
    tile = _sh.tile
    split = _sh.split
    chunk = _sh.chunk
    unbind = _sh.unbind
    flip = _sh.flip
    roll = _sh.roll
    narrow = _sh.narrow
    t = _sh.t
    broadcast_to = _sh.broadcast_to
    tril = _sh.tril
    triu = _sh.triu
    gather = _ix.gather
    scatter_add = _ix.scatter_add
    index_select = _ix.index_select
    masked_select = _ix.masked_select
    nonzero = _ix.nonzero
    take_along_dim = _ix.take_along_dim
    take = _ix.take
    view = _sh.view
    view_as = _sh.view_as
    reshape_as = _sh.reshape_as
    expand = _sh.expand
    expand_as = _sh.expand_as
    repeat = _sh.repeat


class LinalgMethods:
    """Products and linear algebra: ``x.matmul(y)``, ``x @ y``, ``x.trace()``."""

    matmul = _la.matmul
    mm = _la.mm
    bmm = _la.bmm
    dot = _la.dot
    outer = _la.outer
    mv = _la.mv
    trace = _la.trace
    diag = _la.diag
    diagonal = _la.diagonal
    diag_embed = _la.diag_embed
    cross = _la.cross
    kron = _la.kron
    addmm = _la.addmm
    addmv = _la.addmv
    baddbmm = _la.baddbmm
    addbmm = _la.addbmm
    inner = _la.inner


class ActivationMethods:
    """The activations torch has as Tensor methods: ``x.relu()``, ``x.softmax(dim)``."""

    relu = _act.relu
    sigmoid = _act.sigmoid
    tanh = _act.tanh
    softmax = _smx.softmax
    log_softmax = _smx.log_softmax
