"""nn.functional: activations, with ``torch.nn.functional``'s names, arguments and defaults.

Every function validates its arguments and calls one ``Function`` of
:mod:`glassnet.ops.activation`.  Float16/32/64 inputs keep their dtype.  The ``inplace=``
arguments are accepted for PyTorch compatibility and ignored: glassnet always returns a
new tensor (in-place activations would break the saved-array checks of autograd).
"""
from __future__ import annotations

import numbers

import numpy as np

from glassnet._checks import check_choice, check_float, check_tensor
from glassnet.backend import default_generator, get_array_module
from glassnet.ops import activation as _act
from glassnet.ops import inplace as _inplace
from glassnet.ops.activation import SELU_ALPHA, SELU_SCALE
from glassnet.ops.activation import relu, sigmoid, tanh  # noqa: F401  (the one wrapper)
from glassnet.ops.elementwise import cast
from glassnet.tensor import Tensor

__all__ = [
    "sigmoid", "hardsigmoid", "tanh", "relu", "relu6", "leaky_relu", "prelu", "rrelu",
    "elu", "selu", "celu", "gelu", "softplus", "silu", "swish", "hardswish", "mish",
    "softsign", "hardtanh", "tanhshrink", "logsigmoid", "threshold", "relu_", "elu_",
    "leaky_relu_", "hardtanh_", "threshold_", "selu_", "celu_", "rrelu_",
]


def _float(input, fn: str) -> Tensor:
    return check_float(input, "input", fn)


def _number(value, name: str, fn: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {type(value).__name__}")
    return float(value)


# ---------------------------------------------------------------------------
# Sigmoid family
# ---------------------------------------------------------------------------
def hardsigmoid(input: Tensor, inplace: bool = False) -> Tensor:
    """Piecewise-linear sigmoid ``clamp(x / 6 + 1/2, 0, 1)`` (MobileNetV3).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    inplace : bool
        Ignored (see the module docstring).

    Returns
    -------
    Tensor
        Gradient ``1/6`` on ``(-3, 3)`` and 0 elsewhere, including at -3 and 3.

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    return _act.Hardsigmoid.apply(_float(input, "hardsigmoid"))


def logsigmoid(input: Tensor) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``, stable for large ``|x|``.

    Parameters
    ----------
    input : Tensor
        Floating tensor.

    Returns
    -------
    Tensor
        Values in ``(-inf, 0]``.

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    return _act.LogSigmoid.apply(_float(input, "logsigmoid"))


def silu(input: Tensor, inplace: bool = False) -> Tensor:
    """Sigmoid linear unit ``x * sigmoid(x)`` (Hendrycks & Gimpel, arXiv:1606.08415).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    inplace : bool
        Ignored (see the module docstring).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    return _act.SiLU.apply(_float(input, "silu"))


def swish(input: Tensor, beta=1.0) -> Tensor:
    """Swish ``x * sigmoid(beta * x)`` (Ramachandran et al., arXiv:1710.05941).

    A glassnet extra (PyTorch has only ``silu``, the case ``beta = 1``).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    beta : float or Tensor
        A number, or a tensor (e.g. a learnt ``Parameter``) broadcastable against
        ``input``, which then receives its own gradient.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; beta: ``()`` or broadcastable to ``(*)``; output: ``(*)``.
    """
    input = _float(input, "swish")
    if isinstance(beta, Tensor):
        check_float(beta, "beta", "swish")
        try:
            np.broadcast_shapes(beta.shape, input.shape)
        except ValueError:
            raise ValueError(f"swish: beta must broadcast to the input shape "
                             f"{tuple(input.shape)}, got {tuple(beta.shape)}") from None
        if beta.dtype != input.dtype:
            beta = cast(beta, input.dtype)
        return _act.Swish.apply(input, beta)
    beta = _number(beta, "beta", "swish")
    if beta == 1.0:
        return _act.SiLU.apply(input)
    xp = get_array_module(input._data)
    return _act.Swish.apply(input, Tensor._wrap(xp.asarray(beta, dtype=input.dtype)))


def tanhshrink(input: Tensor) -> Tensor:
    """``x - tanh(x)``.

    Parameters
    ----------
    input : Tensor
        Floating tensor.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    return _act.Tanhshrink.apply(_float(input, "tanhshrink"))


def softsign(input: Tensor) -> Tensor:
    """``x / (1 + |x|)``.

    Parameters
    ----------
    input : Tensor
        Floating tensor.

    Returns
    -------
    Tensor
        Values in ``(-1, 1)``.

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    return _act.Softsign.apply(_float(input, "softsign"))


# ---------------------------------------------------------------------------
# Rectifier family
# ---------------------------------------------------------------------------
def hardtanh(input: Tensor, min_val: float = -1.0, max_val: float = 1.0,
             inplace: bool = False) -> Tensor:
    """Clamp to ``[min_val, max_val]``; the gradient is 0 at and beyond both bounds.

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    min_val, max_val : float
        The bounds, ``min_val <= max_val``.
    inplace : bool
        Ignored (see the module docstring).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    input = _float(input, "hardtanh")
    lo = _number(min_val, "min_val", "hardtanh")
    hi = _number(max_val, "max_val", "hardtanh")
    if lo > hi:
        raise ValueError(f"hardtanh: min_val must be <= max_val, got min_val={min_val} and "
                         f"max_val={max_val}")
    return _act.Hardtanh.apply(input, min_val=lo, max_val=hi)


def relu6(input: Tensor, inplace: bool = False) -> Tensor:
    """``min(max(x, 0), 6)`` = ``hardtanh(x, 0, 6)`` (zero gradient at 0 and 6).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    inplace : bool
        Ignored (see the module docstring).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    return _act.Hardtanh.apply(_float(input, "relu6"), min_val=0.0, max_val=6.0)


def threshold(input: Tensor, threshold: float, value: float, inplace: bool = False) -> Tensor:
    """``x if x > threshold else value``.

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    threshold : float
        Values ``<= threshold`` are replaced (and get zero gradient).
    value : float
        The replacement.
    inplace : bool
        Ignored (see the module docstring).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    input = _float(input, "threshold")
    t = _number(threshold, "threshold", "threshold")
    v = _number(value, "value", "threshold")
    return _act.Threshold.apply(input, threshold=t, value=v)


def leaky_relu(input: Tensor, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """``x if x > 0 else negative_slope * x`` (Maas et al., 2013).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    negative_slope : float
        Slope for ``x <= 0`` (the gradient at 0 is ``negative_slope``, as in PyTorch).
    inplace : bool
        Ignored (see the module docstring).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    input = _float(input, "leaky_relu")
    slope = _number(negative_slope, "negative_slope", "leaky_relu")
    return _act.LeakyReLU.apply(input, negative_slope=slope)


def prelu(input: Tensor, weight: Tensor) -> Tensor:
    """Parametric ReLU ``x if x > 0 else weight * x`` (He et al., arXiv:1502.01852).

    Parameters
    ----------
    input : Tensor
        Floating tensor; dim 1 is the channel dim (an input of fewer than 2 dims has one
        channel).
    weight : Tensor
        Learnt slopes, 1 element (shared) or ``C`` elements (one per channel).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(N, C, *)``; weight: ``(1,)`` or ``(C,)``; output: ``(N, C, *)``.
    """
    input = _float(input, "prelu")
    check_float(weight, "weight", "prelu")
    channels = input.shape[1] if input.ndim >= 2 else 1
    if weight.ndim > 1 or weight.numel() not in (1, channels):
        raise ValueError(f"prelu: weight must have shape (1,) or (C,) with C={channels} "
                         f"(input channels), got {tuple(weight.shape)}")
    if weight.dtype != input.dtype:
        weight = cast(weight, input.dtype)
    if weight.numel() > 1:
        weight = weight.reshape((channels,) + (1,) * (input.ndim - 2))
    return _act.PReLU.apply(input, weight)


def rrelu(input: Tensor, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
          training: bool = False, inplace: bool = False, *, generator=None) -> Tensor:
    """Randomised leaky ReLU (Xu et al., arXiv:1505.00853).

    In training every element ``x <= 0`` gets a slope drawn from ``U(lower, upper)``; in
    eval the slope is ``(lower + upper) / 2``.

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    lower, upper : float
        Range of the random slope, ``lower <= upper``.
    training : bool
        Draw random slopes (True) or use the mean slope (False).
    inplace : bool
        Ignored (see the module docstring).
    generator : numpy.random.Generator, optional
        Glassnet extra; defaults to ``glassnet.backend.default_generator()``.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    input = _float(input, "rrelu")
    lo = _number(lower, "lower", "rrelu")
    hi = _number(upper, "upper", "rrelu")
    if lo > hi:
        raise ValueError(f"rrelu: lower must be <= upper, got lower={lower} and "
                         f"upper={upper}")
    if not training:
        return _act.LeakyReLU.apply(input, negative_slope=(lo + hi) / 2)
    rng = _generator(generator, "rrelu")
    return _act.RReLUTrain.apply(input, lower=lo, upper=hi, rng=rng)


def _generator(generator, fn):
    if generator is None:
        return default_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{fn}: generator must be a numpy.random.Generator, got "
                        f"{type(generator).__name__}")
    return generator


# ---------------------------------------------------------------------------
# Exponential family
# ---------------------------------------------------------------------------
def elu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``x if x > 0 else alpha * (exp(x) - 1)`` (Clevert et al., arXiv:1511.07289).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    alpha : float
        Saturation value for negative inputs.
    inplace : bool
        Ignored (see the module docstring).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    input = _float(input, "elu")
    a = _number(alpha, "alpha", "elu")
    return _act.ELU.apply(input, alpha=a, scale=1.0, input_scale=1.0)


def selu(input: Tensor, inplace: bool = False) -> Tensor:
    """``scale * elu(x, alpha)`` with Klambauer et al.'s constants (arXiv:1706.02515).

    ``alpha = 1.6732632423543772``, ``scale = 1.0507009873554805``.

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    inplace : bool
        Ignored (see the module docstring).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    input = _float(input, "selu")
    return _act.ELU.apply(input, alpha=SELU_ALPHA, scale=SELU_SCALE, input_scale=1.0)


def celu(input: Tensor, alpha: float = 1.0, inplace: bool = False) -> Tensor:
    """``max(0, x) + min(0, alpha * (exp(x / alpha) - 1))`` (Barron, arXiv:1704.07483).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    alpha : float
        Nonzero.
    inplace : bool
        Ignored (see the module docstring).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    input = _float(input, "celu")
    a = _number(alpha, "alpha", "celu")
    if a == 0:
        raise ValueError("celu: alpha must be nonzero, got 0")
    return _act.ELU.apply(input, alpha=a, scale=1.0, input_scale=1.0 / a)


def gelu(input: Tensor, approximate: str = "none") -> Tensor:
    """Gaussian error linear unit ``x * Phi(x)`` (Hendrycks & Gimpel, arXiv:1606.08415).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    approximate : {'none', 'tanh'}
        ``'none'``: exact, with ``Phi(x) = (1 + erf(x / sqrt(2))) / 2``; ``'tanh'``:
        ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))``.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    input = _float(input, "gelu")
    check_choice(approximate, ("none", "tanh"), "approximate", "gelu")
    return _act.GELU.apply(input, approximate=approximate)


def softplus(input: Tensor, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """``log(1 + exp(beta * x)) / beta``, the identity where ``beta * x > threshold``.

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    beta : float
        Sharpness, nonzero.
    threshold : float
        Above ``beta * x > threshold`` the output is ``x`` (PyTorch's linear switch).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    input = _float(input, "softplus")
    b = _number(beta, "beta", "softplus")
    t = _number(threshold, "threshold", "softplus")
    if b == 0:
        raise ValueError("softplus: beta must be nonzero, got 0")
    return _act.Softplus.apply(input, beta=b, threshold=t)


def mish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * tanh(softplus(x))`` (Misra, arXiv:1908.08681).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    inplace : bool
        Ignored (see the module docstring).

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    return _act.Mish.apply(_float(input, "mish"))


def hardswish(input: Tensor, inplace: bool = False) -> Tensor:
    """``x * relu6(x + 3) / 6`` (Howard et al., MobileNetV3, arXiv:1905.02244).

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    inplace : bool
        Ignored (see the module docstring).

    Returns
    -------
    Tensor
        Gradient 0 for ``x <= -3``, ``x/3 + 1/2`` on ``(-3, 3)``, 1 for ``x >= 3``.

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    return _act.Hardswish.apply(_float(input, "hardswish"))


# In-place forms (``F.relu_(x)`` is ``x.relu_()``): the result is written into ``input``
# with torch's autograd semantics (glassnet/ops/inplace.py).
relu_ = _inplace.inplace_method(relu, "relu_")
elu_ = _inplace.inplace_method(elu, "elu_")
leaky_relu_ = _inplace.inplace_method(leaky_relu, "leaky_relu_")
hardtanh_ = _inplace.inplace_method(hardtanh, "hardtanh_")
threshold_ = _inplace.inplace_method(threshold, "threshold_")
selu_ = _inplace.inplace_method(selu, "selu_")
celu_ = _inplace.inplace_method(celu, "celu_")
rrelu_ = _inplace.inplace_method(rrelu, "rrelu_")
