"""Activation layers (``torch.nn`` names, arguments and reprs), plus ``Swish``.

Each layer validates its hyperparameters and calls one function of
:mod:`glassnet.nn.functional`; the formulas, their derivatives and the notes on their
traps live there.  Every layer maps ``input: (*)`` to ``output: (*)`` of the same
shape, except ``GLU`` (halves ``dim``).  The ``inplace`` arguments are accepted for
PyTorch compatibility; glassnet always returns a new tensor.
"""
from __future__ import annotations

import numbers

import numpy as np

from glassnet._checks import check_choice
from glassnet.nn import functional as F
from glassnet.nn import init
from glassnet.nn._layer_checks import _check_int, _factory_dtype
from glassnet.nn.module import Module, Parameter
from glassnet._creation import zeros
from glassnet.tensor import Tensor

__all__ = [
    "ReLU", "ReLU6", "LeakyReLU", "PReLU", "RReLU", "ELU", "SELU", "CELU", "GELU",
    "Sigmoid", "Hardsigmoid", "Tanh", "Hardtanh", "Softplus", "SiLU", "Swish", "Hardswish",
    "Mish", "Softsign", "Tanhshrink", "LogSigmoid", "Threshold", "Softmax", "LogSoftmax",
    "Softmin", "GLU", "Hardshrink", "Softshrink", "Softmax2d",
]


def _number(value, name: str, fn: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{fn}: {name} must be a real number, got {type(value).__name__}")
    return value


def _inplace(inplace: bool, leading: bool) -> str:
    if not inplace:
        return ""
    return ", inplace=True" if leading else "inplace=True"


class _Inplace(Module):
    """An activation with only an ``inplace`` flag."""

    _fn = None

    def __init__(self, inplace: bool = False):
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input)

    def extra_repr(self) -> str:
        return _inplace(self.inplace, False)


class _Plain(Module):
    """An activation without hyperparameters."""

    _fn = None

    def forward(self, input):
        return type(self)._fn(input)


class ReLU(_Inplace):
    """``max(0, x)``.  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.relu)
    _fuses_after_norm = True  # nn.Sequential fuses BatchNorm -> ReLU (this class only)


class ReLU6(_Inplace):
    """``min(max(0, x), 6)`` (Krizhevsky 2010; MobileNet).  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.relu6)


class SELU(_Inplace):
    """``scale * elu(x, alpha)`` with the self-normalising constants (Klambauer et al.
    2017, arXiv:1706.02515).  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.selu)


class SiLU(_Inplace):
    """``x * sigmoid(x)`` (Hendrycks & Gimpel 2016; Elfwing et al. 2017).
    Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.silu)


class Mish(_Inplace):
    """``x * tanh(softplus(x))`` (Misra 2019, arXiv:1908.08681).  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.mish)


class Hardsigmoid(_Inplace):
    """``clamp(x / 6 + 1/2, 0, 1)`` (MobileNetV3).  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.hardsigmoid)

    def extra_repr(self) -> str:
        return ""


class Hardswish(_Inplace):
    """``x * hardsigmoid(x)`` (MobileNetV3, arXiv:1905.02244).  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.hardswish)

    def extra_repr(self) -> str:
        return ""


class Sigmoid(_Plain):
    """``1 / (1 + exp(-x))``.  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.sigmoid)


class Tanh(_Plain):
    """Hyperbolic tangent.  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.tanh)


class Softsign(_Plain):
    """``x / (1 + |x|)``.  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.softsign)


class Tanhshrink(_Plain):
    """``x - tanh(x)``.  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.tanhshrink)


class LogSigmoid(_Plain):
    """``log(sigmoid(x))``, computed stably.  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.logsigmoid)


class LeakyReLU(Module):
    """``max(0, x) + negative_slope * min(0, x)`` (Maas et al. 2013).

    Parameters
    ----------
    negative_slope : float
        Default 0.01.
    inplace : bool

    Shape
    -----
    ``(*) -> (*)``.
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False):
        super().__init__()
        self.negative_slope = _number(negative_slope, "negative_slope", "LeakyReLU")
        self.inplace = inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace(self.inplace, True)}"


class PReLU(Module):
    """Leaky ReLU with a learnt slope (He et al. 2015, arXiv:1502.01852).

    Parameters
    ----------
    num_parameters : int
        1 (one slope shared by all channels) or the number of channels ``C``.
    init : float
        Initial slope, default 0.25.
    device, dtype : optional
        Factory keywords.

    Attributes
    ----------
    weight : Parameter ``(num_parameters,)``

    Shape
    -----
    ``(*) -> (*)``; with ``num_parameters = C`` the input is ``(N, C, *)`` or ``(C,)``.
    """

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None, dtype=None):
        super().__init__()
        dt = _factory_dtype(dtype, device, "PReLU")
        self.num_parameters = _check_int(num_parameters, "num_parameters", "PReLU")
        self.init = _number(init, "init", "PReLU")
        self.weight = Parameter(zeros(num_parameters, dtype=dt))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        init.constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """Randomised leaky ReLU: slopes ~ U(lower, upper) in training, their mean in eval
    (Xu et al. 2015, arXiv:1505.00853).

    Parameters
    ----------
    lower, upper : float
        Defaults 1/8 and 1/3.
    inplace : bool

    Shape
    -----
    ``(*) -> (*)``.
    """

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3, inplace: bool = False):
        super().__init__()
        self.lower = _number(lower, "lower", "RReLU")
        self.upper = _number(upper, "upper", "RReLU")
        if lower > upper:
            raise ValueError(f"RReLU: lower must be <= upper, got lower={lower}, "
                             f"upper={upper}")
        self.inplace = inplace

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}{_inplace(self.inplace, True)}"


class ELU(Module):
    """``x`` for ``x > 0``, else ``alpha (exp(x) - 1)`` (Clevert et al. 2015).

    Parameters
    ----------
    alpha : float
        Default 1.0.
    inplace : bool

    Shape
    -----
    ``(*) -> (*)``.
    """

    _fn = staticmethod(F.elu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__()
        self.alpha = _number(alpha, "alpha", type(self).__name__)
        self.inplace = inplace

    def forward(self, input):
        return type(self)._fn(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace(self.inplace, True)}"


class CELU(ELU):
    """``max(0, x) + min(0, alpha (exp(x / alpha) - 1))`` (Barron 2017).

    Parameters
    ----------
    alpha : float
        Default 1.0; must not be 0.
    inplace : bool

    Shape
    -----
    ``(*) -> (*)``.
    """

    _fn = staticmethod(F.celu)

    def __init__(self, alpha: float = 1.0, inplace: bool = False):
        super().__init__(alpha, inplace)
        if alpha == 0:
            raise ValueError("CELU: alpha must not be 0, got 0")


class GELU(Module):
    """``x * Phi(x)`` (Hendrycks & Gimpel 2016), exactly or with the tanh formula.

    Parameters
    ----------
    approximate : {'none', 'tanh'}

    Shape
    -----
    ``(*) -> (*)``.
    """

    def __init__(self, approximate: str = "none"):
        super().__init__()
        self.approximate = check_choice(approximate, ("none", "tanh"), "approximate", "GELU")

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class Hardtanh(Module):
    """``clamp(x, min_val, max_val)``.

    Parameters
    ----------
    min_val, max_val : float
        Defaults -1 and 1; ``max_val > min_val``.
    inplace : bool

    Shape
    -----
    ``(*) -> (*)``.
    """

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0, inplace: bool = False):
        super().__init__()
        self.min_val = _number(min_val, "min_val", "Hardtanh")
        self.max_val = _number(max_val, "max_val", "Hardtanh")
        if not max_val > min_val:
            raise ValueError(f"Hardtanh: max_val must be > min_val, got min_val={min_val}, "
                             f"max_val={max_val}")
        self.inplace = inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}{_inplace(self.inplace, True)}"


class Softplus(Module):
    """``log(1 + exp(beta x)) / beta``, linear where ``beta x > threshold``.

    Parameters
    ----------
    beta : float
        Default 1.0.
    threshold : float
        Default 20.0.

    Shape
    -----
    ``(*) -> (*)``.
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0):
        super().__init__()
        self.beta = _number(beta, "beta", "Softplus")
        self.threshold = _number(threshold, "threshold", "Softplus")

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Swish(Module):
    """``x * sigmoid(beta x)`` (Ramachandran et al. 2017, arXiv:1710.05941), a glassnet
    extra; ``beta = 1`` is :class:`SiLU`.

    Parameters
    ----------
    beta : float
        Default 1.0.
    learnable : bool
        Make ``beta`` a 0-d :class:`Parameter` trained with the rest of the model.

    Shape
    -----
    ``(*) -> (*)``.
    """

    def __init__(self, beta: float = 1.0, learnable: bool = False):
        super().__init__()
        beta = _number(beta, "beta", "Swish")
        self.learnable = bool(learnable)
        if self.learnable:
            self.beta = Parameter(Tensor._wrap(np.array(beta, np.float32)))
        else:
            self.beta = beta

    def forward(self, input):
        return F.swish(input, self.beta)

    def extra_repr(self) -> str:
        if self.learnable:
            return f"beta={float(self.beta._data):.4g}, learnable=True"
        return f"beta={self.beta}"


class Threshold(Module):
    """``x`` where ``x > threshold``, else ``value``.

    Parameters
    ----------
    threshold, value : float
    inplace : bool

    Shape
    -----
    ``(*) -> (*)``.
    """

    def __init__(self, threshold: float, value: float, inplace: bool = False):
        super().__init__()
        self.threshold = _number(threshold, "threshold", "Threshold")
        self.value = _number(value, "value", "Threshold")
        self.inplace = inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value)

    def extra_repr(self) -> str:
        return (f"threshold={self.threshold}, value={self.value}"
                f"{_inplace(self.inplace, True)}")


class _DimActivation(Module):
    _fn = None

    def __init__(self, dim: int | None = None):
        super().__init__()
        if dim is not None:
            _check_int(dim, "dim", type(self).__name__, None)
        self.dim = dim

    def forward(self, input):
        return type(self)._fn(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_DimActivation):
    """``exp(x_i) / sum_j exp(x_j)`` along ``dim`` (stable: the max is subtracted).

    Parameters
    ----------
    dim : int, optional
        None picks PyTorch's legacy implicit dimension (with a warning).

    Shape
    -----
    ``(*) -> (*)``, values along ``dim`` sum to 1.
    """

    _fn = staticmethod(F.softmax)


class LogSoftmax(_DimActivation):
    """``log(softmax(x))`` along ``dim``, computed as ``x - logsumexp(x)``.

    Shape: ``(*) -> (*)``.
    """

    _fn = staticmethod(F.log_softmax)


class Softmin(_DimActivation):
    """``softmax(-x)`` along ``dim``.  Shape: ``(*) -> (*)``."""

    _fn = staticmethod(F.softmin)


class GLU(Module):
    """Gated linear unit ``a * sigmoid(b)`` with ``a, b`` the halves of ``dim``
    (Dauphin et al. 2017, arXiv:1612.08083).

    Parameters
    ----------
    dim : int
        Default -1; its size must be even.

    Shape
    -----
    ``(*, 2M, *) -> (*, M, *)``.
    """

    def __init__(self, dim: int = -1):
        super().__init__()
        self.dim = _check_int(dim, "dim", "GLU", None)

    def forward(self, input):
        return F.glu(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Hardshrink(Module):
    """``x`` where ``|x| > lambd``, else 0.

    Parameters
    ----------
    lambd : float
        Default 0.5.

    Shape: ``(*) -> (*)``.
    """

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = _number(lambd, "lambd", "Hardshrink")

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return f"{self.lambd}"


class Softshrink(Module):
    """``x - lambd`` above ``lambd``, ``x + lambd`` below ``-lambd``, else 0.

    Parameters
    ----------
    lambd : float
        Default 0.5; must be >= 0.

    Shape: ``(*) -> (*)``.
    """

    def __init__(self, lambd: float = 0.5):
        super().__init__()
        self.lambd = _number(lambd, "lambd", "Softshrink")
        if lambd < 0:
            raise ValueError(f"Softshrink: lambd must be >= 0, got {lambd}")

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Softmax2d(Module):
    """Softmax over the channels at every spatial location (``dim=-3``).

    Shape
    -----
    ``(N, C, H, W)`` or ``(C, H, W)`` -> same; values along ``C`` sum to 1.
    """

    def forward(self, input):
        if not isinstance(input, Tensor):
            raise TypeError(f"Softmax2d: input must be a Tensor, got {type(input).__name__}")
        if input.ndim not in (3, 4):
            raise ValueError(f"Softmax2d: expected input to be 3D or 4D, got {input.ndim}D "
                             f"input of shape {tuple(input.shape)}")
        return F.softmax(input, -3)
