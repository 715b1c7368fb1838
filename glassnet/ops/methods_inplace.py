"""The Tensor's in-place methods (``x.add_(y)``, ``x += y``, ``x[i] = v``, ``x.t_()``) and
the composite ones (``x.index_add_``, ``x.select``), one mixin class each, listed in
``glassnet.Tensor``'s class statement beside those of :mod:`glassnet.ops.methods`.
"""
from __future__ import annotations

from glassnet.ops import activation as _act
from glassnet.ops import comparison as _cmp
from glassnet.ops import composite as _cmpo
from glassnet.ops import elementwise as _ew
from glassnet.ops import indexing as _ix
from glassnet.ops import inplace as _ip
from glassnet.ops import linalg as _la
from glassnet.ops import order as _ord
from glassnet.ops import random as _rand
from glassnet.ops import scan as _scan
from glassnet.ops import shape as _sh
from glassnet.ops import unary as _un
from glassnet.ops.methods import _polygamma_method

__all__ = ["InplaceMethods", "CompositeMethods"]


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
