"""The Tensor's op methods, one mixin class per op family.

``glassnet.Tensor`` is ``TensorBase`` (storage, metadata, autograd state; no op) plus the
mixins below, listed in its class statement, so that a reader (and an IDE) finds every
method here: ``x.exp`` is :func:`glassnet.exp`, ``x + y`` is :func:`glassnet.add`,
``x.sum(axis=1)`` is :func:`glassnet.sum`.  Each method is the op's one validated public
function; nothing here computes.
"""
from __future__ import annotations

import numpy as np

from glassnet.backend import to_dtype
from glassnet.ops import activation as _act
from glassnet.ops import comparison as _cmp
from glassnet.ops import composite as _cmpo
from glassnet.ops import random as _rand
from glassnet.ops import elementwise as _ew
from glassnet.ops import indexing as _ix
from glassnet.ops import inplace as _ip
from glassnet.ops import linalg as _la
from glassnet.ops import order as _ord
from glassnet.ops import reduce as _rd
from glassnet.ops import scan as _scan
from glassnet.ops import shape as _sh
from glassnet.ops import unary as _un
from glassnet._tensor_base import TensorBase, _infer_array, _shape, parse_to_args

__all__ = ["ArithmeticMethods", "ConversionMethods", "ElementwiseMethods", "ReduceMethods",
           "ShapeMethods", "LinalgMethods", "ActivationMethods", "InplaceMethods",
           "CompositeMethods"]


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


class CompositeMethods:
    """torch methods that are other ops under another name or short compositions:
    ``x.moveaxis``, ``x.ravel()``, ``x.select(dim, i)``, ``x.index_add_(...)``,
    ``x.det()``, ``x.bernoulli()``."""

    moveaxis = _cmpo.moveaxis
    swapdims = _cmpo.swapdims
    swapdims_ = _ip.restride_method(_cmpo.swapdims, "swapdims_")
    ravel = _cmpo.ravel
    fliplr = _cmpo.fliplr
    flipud = _cmpo.flipud
    select = _cmpo.select
    argwhere = _cmpo.argwhere
    det = _cmpo.det
    inverse = _cmpo.inverse
    slogdet = _cmpo.slogdet
    msort = _ord.msort
    index_add = _cmpo.index_add
    index_add_ = _ip.inplace_method(_cmpo.index_add, "index_add_")
    index_copy = _cmpo.index_copy
    index_copy_ = _ip.inplace_method(_cmpo.index_copy, "index_copy_")
    index_fill = _cmpo.index_fill
    index_fill_ = _ip.inplace_method(_cmpo.index_fill, "index_fill_")
    scatter = _cmpo.scatter
    bernoulli = _rand.bernoulli
    multinomial = _rand.multinomial


class ConversionMethods:
    """dtype conversion, copies and factories with this tensor's dtype: ``x.to(...)``,
    ``x.float()``, ``x.clone()``, ``x.new_zeros(...)``."""

    def to(self, *args, **kwargs) -> "Tensor":
        """Cast to a dtype, as ``Tensor.to(dtype)``, ``.to(device, dtype)``, ``.to(other)``.

        Devices (``"cpu"``, ``glassnet.device(...)``) are accepted and ignored, since
        glassnet computes on the CPU.  Returns ``self`` when nothing changes, unless
        ``copy=True``.
        """
        dtype, copy = parse_to_args(args, kwargs, "Tensor.to")
        if dtype is None or dtype == self.dtype:
            return self.clone() if copy else self
        return _ew.cast(self, dtype)

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

    # -- factories with this tensor's dtype (``x.new_zeros(...)``) -------------------
    def new_tensor(self, data, dtype=None, requires_grad: bool = False) -> "Tensor":
        """A copy of ``data`` with this tensor's dtype (unless ``dtype``)."""
        arr = np.array(_infer_array(data, dtype or self.dtype), copy=True)
        return TensorBase._wrap(arr).requires_grad_(requires_grad)

    def new_zeros(self, *size, dtype=None, requires_grad: bool = False) -> "Tensor":
        return self._new(np.zeros(_shape(size), to_dtype(dtype) or self.dtype), requires_grad)

    def new_ones(self, *size, dtype=None, requires_grad: bool = False) -> "Tensor":
        return self._new(np.ones(_shape(size), to_dtype(dtype) or self.dtype), requires_grad)

    def new_empty(self, *size, dtype=None, requires_grad: bool = False) -> "Tensor":
        return self._new(np.zeros(_shape(size), to_dtype(dtype) or self.dtype), requires_grad)

    def new_full(self, size, fill_value, dtype=None, requires_grad: bool = False) -> "Tensor":
        arr = np.full(_shape((size,)), fill_value, to_dtype(dtype) or self.dtype)
        return self._new(arr, requires_grad)

    @staticmethod
    def _new(arr, requires_grad: bool) -> "Tensor":
        return TensorBase._wrap(arr).requires_grad_(requires_grad)


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
    softmax = _act.softmax
    log_softmax = _act.log_softmax


class InplaceMethods:
    """In-place variants with torch's autograd semantics (:mod:`glassnet.ops.inplace`):
    ``x.add_(y)``, ``x += y``, ``x[i] = v``, ``x.copy_(y)``, ``x.normal_()``, ``x.t_()``."""

    add_ = _ip.inplace_method(_ew.add, "add_")
    sub_ = _ip.inplace_method(_ew.sub, "sub_")
    mul_ = _ip.inplace_method(_ew.mul, "mul_")
    div_ = _ip.inplace_method(_ew.div, "div_")
    clamp_ = _ip.inplace_method(_ew.clamp, "clamp_")
    clip_ = _ip.inplace_method(_ew.clip, "clip_")
    maximum_ = _ip.inplace_method(_ew.maximum, "maximum_")
    minimum_ = _ip.inplace_method(_ew.minimum, "minimum_")
    masked_fill_ = _ip.inplace_method(_ew.masked_fill, "masked_fill_")
    subtract_ = _ip.inplace_method(_ew.subtract, "subtract_")
    multiply_ = _ip.inplace_method(_ew.multiply, "multiply_")
    divide_ = _ip.inplace_method(_ew.divide, "divide_")
    true_divide_ = _ip.inplace_method(_ew.true_divide, "true_divide_")
    pow_ = _ip.inplace_method(_ew.pow, "pow_")
    float_power_ = _ip.inplace_method(_ew.float_power, "float_power_")
    fmod_ = _ip.inplace_method(_ew.fmod, "fmod_")
    remainder_ = _ip.inplace_method(_ew.remainder, "remainder_")
    floor_divide_ = _ip.inplace_method(_ew.floor_divide, "floor_divide_")
    atan2_ = _ip.inplace_method(_ew.atan2, "atan2_")
    arctan2_ = _ip.inplace_method(_ew.arctan2, "arctan2_")
    hypot_ = _ip.inplace_method(_ew.hypot, "hypot_")
    xlogy_ = _ip.inplace_method(_ew.xlogy, "xlogy_")
    copysign_ = _ip.inplace_method(_ew.copysign, "copysign_")
    heaviside_ = _ip.inplace_method(_ew.heaviside, "heaviside_")
    clamp_min_ = _ip.inplace_method(_ew.clamp_min, "clamp_min_")
    clamp_max_ = _ip.inplace_method(_ew.clamp_max, "clamp_max_")
    lerp_ = _ip.inplace_method(_ew.lerp, "lerp_")
    addcmul_ = _ip.inplace_method(_ew.addcmul, "addcmul_")
    addcdiv_ = _ip.inplace_method(_ew.addcdiv, "addcdiv_")
    neg_ = _ip.inplace_method(_un.neg, "neg_")
    negative_ = _ip.inplace_method(_un.negative, "negative_")
    abs_ = _ip.inplace_method(_un.abs, "abs_")
    absolute_ = _ip.inplace_method(_un.absolute, "absolute_")
    sign_ = _ip.inplace_method(_un.sign, "sign_")
    sgn_ = _ip.inplace_method(_un.sgn, "sgn_")
    floor_ = _ip.inplace_method(_un.floor, "floor_")
    ceil_ = _ip.inplace_method(_un.ceil, "ceil_")
    round_ = _ip.inplace_method(_un.round, "round_")
    trunc_ = _ip.inplace_method(_un.trunc, "trunc_")
    fix_ = _ip.inplace_method(_un.fix, "fix_")
    frac_ = _ip.inplace_method(_un.frac, "frac_")
    exp_ = _ip.inplace_method(_un.exp, "exp_")
    exp2_ = _ip.inplace_method(_un.exp2, "exp2_")
    expm1_ = _ip.inplace_method(_un.expm1, "expm1_")
    log_ = _ip.inplace_method(_un.log, "log_")
    log2_ = _ip.inplace_method(_un.log2, "log2_")
    log10_ = _ip.inplace_method(_un.log10, "log10_")
    log1p_ = _ip.inplace_method(_un.log1p, "log1p_")
    sqrt_ = _ip.inplace_method(_un.sqrt, "sqrt_")
    rsqrt_ = _ip.inplace_method(_un.rsqrt, "rsqrt_")
    square_ = _ip.inplace_method(_un.square, "square_")
    reciprocal_ = _ip.inplace_method(_un.reciprocal, "reciprocal_")
    sin_ = _ip.inplace_method(_un.sin, "sin_")
    cos_ = _ip.inplace_method(_un.cos, "cos_")
    tan_ = _ip.inplace_method(_un.tan, "tan_")
    asin_ = _ip.inplace_method(_un.asin, "asin_")
    acos_ = _ip.inplace_method(_un.acos, "acos_")
    atan_ = _ip.inplace_method(_un.atan, "atan_")
    sinh_ = _ip.inplace_method(_un.sinh, "sinh_")
    cosh_ = _ip.inplace_method(_un.cosh, "cosh_")
    asinh_ = _ip.inplace_method(_un.asinh, "asinh_")
    acosh_ = _ip.inplace_method(_un.acosh, "acosh_")
    atanh_ = _ip.inplace_method(_un.atanh, "atanh_")
    arcsin_ = _ip.inplace_method(_un.arcsin, "arcsin_")
    arccos_ = _ip.inplace_method(_un.arccos, "arccos_")
    arctan_ = _ip.inplace_method(_un.arctan, "arctan_")
    arcsinh_ = _ip.inplace_method(_un.arcsinh, "arcsinh_")
    arccosh_ = _ip.inplace_method(_un.arccosh, "arccosh_")
    arctanh_ = _ip.inplace_method(_un.arctanh, "arctanh_")
    erf_ = _ip.inplace_method(_un.erf, "erf_")
    erfc_ = _ip.inplace_method(_un.erfc, "erfc_")
    erfinv_ = _ip.inplace_method(_un.erfinv, "erfinv_")
    logit_ = _ip.inplace_method(_un.logit, "logit_")
    sinc_ = _ip.inplace_method(_un.sinc, "sinc_")
    deg2rad_ = _ip.inplace_method(_un.deg2rad, "deg2rad_")
    rad2deg_ = _ip.inplace_method(_un.rad2deg, "rad2deg_")
    lgamma_ = _ip.inplace_method(_un.lgamma, "lgamma_")
    digamma_ = _ip.inplace_method(_un.digamma, "digamma_")
    polygamma_ = _ip.inplace_method(_polygamma_method, "polygamma_")
    i0_ = _ip.inplace_method(_un.i0, "i0_")
    nan_to_num_ = _ip.inplace_method(_un.nan_to_num, "nan_to_num_")
    eq_ = _ip.inplace_method(_cmp.eq, "eq_")
    ne_ = _ip.inplace_method(_cmp.ne, "ne_")
    lt_ = _ip.inplace_method(_cmp.lt, "lt_")
    le_ = _ip.inplace_method(_cmp.le, "le_")
    gt_ = _ip.inplace_method(_cmp.gt, "gt_")
    ge_ = _ip.inplace_method(_cmp.ge, "ge_")
    greater_ = _ip.inplace_method(_cmp.greater, "greater_")
    greater_equal_ = _ip.inplace_method(_cmp.greater_equal, "greater_equal_")
    less_ = _ip.inplace_method(_cmp.less, "less_")
    less_equal_ = _ip.inplace_method(_cmp.less_equal, "less_equal_")
    not_equal_ = _ip.inplace_method(_cmp.not_equal, "not_equal_")
    logical_and_ = _ip.inplace_method(_cmp.logical_and, "logical_and_")
    logical_or_ = _ip.inplace_method(_cmp.logical_or, "logical_or_")
    logical_xor_ = _ip.inplace_method(_cmp.logical_xor, "logical_xor_")
    logical_not_ = _ip.inplace_method(_cmp.logical_not, "logical_not_")
    bitwise_and_ = _ip.inplace_method(_cmp.bitwise_and, "bitwise_and_")
    bitwise_or_ = _ip.inplace_method(_cmp.bitwise_or, "bitwise_or_")
    bitwise_xor_ = _ip.inplace_method(_cmp.bitwise_xor, "bitwise_xor_")
    bitwise_not_ = _ip.inplace_method(_cmp.bitwise_not, "bitwise_not_")
    relu_ = _ip.inplace_method(_act.relu, "relu_")
    sigmoid_ = _ip.inplace_method(_act.sigmoid, "sigmoid_")
    tanh_ = _ip.inplace_method(_act.tanh, "tanh_")
    cumsum_ = _ip.inplace_method(_scan.cumsum, "cumsum_")
    cumprod_ = _ip.inplace_method(_scan.cumprod, "cumprod_")
    tril_ = _ip.inplace_method(_sh.tril, "tril_")
    triu_ = _ip.inplace_method(_sh.triu, "triu_")
    scatter_add_ = _ip.inplace_method(_ix.scatter_add, "scatter_add_")
    addmm_ = _ip.inplace_method(_la.addmm, "addmm_")
    addmv_ = _ip.inplace_method(_la.addmv, "addmv_")
    baddbmm_ = _ip.inplace_method(_la.baddbmm, "baddbmm_")
    addbmm_ = _ip.inplace_method(_la.addbmm, "addbmm_")
    t_ = _ip.restride_method(_sh.t, "t_")
    transpose_ = _ip.restride_method(_sh.transpose, "transpose_")
    swapaxes_ = _ip.restride_method(_sh.swapaxes, "swapaxes_")
    squeeze_ = _ip.restride_method(_sh.squeeze, "squeeze_")
    unsqueeze_ = _ip.restride_method(_sh.unsqueeze, "unsqueeze_")
    clip_ = clamp_
    copy_ = _ip.copy_
    fill_ = _ip.fill_
    zero_ = _ip.zero_
    scatter_ = _ip.scatter_
    uniform_ = _ip.uniform_
    normal_ = _ip.normal_
    bernoulli_ = _ip.bernoulli_
    exponential_ = _ip.exponential_
    log_normal_ = _ip.log_normal_
    random_ = _ip.random_
    masked_fill_ = _ip.masked_fill_
    index_put = _ip.index_put
    index_put_ = _ip.inplace_method(_ip.index_put, "index_put_")
    __setitem__ = _ip.setitem
    __iadd__ = _ip.AUGMENTED["__iadd__"]
    __isub__ = _ip.AUGMENTED["__isub__"]
    __imul__ = _ip.AUGMENTED["__imul__"]
    __itruediv__ = _ip.AUGMENTED["__itruediv__"]
    __ifloordiv__ = _ip.AUGMENTED["__ifloordiv__"]
    __imod__ = _ip.AUGMENTED["__imod__"]
    __ipow__ = _ip.AUGMENTED["__ipow__"]
