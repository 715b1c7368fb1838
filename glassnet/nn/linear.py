"""Affine and reshaping layers: ``Identity``, ``Linear``, ``Bilinear``, ``Flatten``,
``Unflatten``, and the ``bilinear`` functional."""
from __future__ import annotations

import math

import numpy as np

from glassnet._checks import check_float, check_tensor
from glassnet.nn import functional as F
from glassnet.nn import init
from glassnet.nn._layer_checks import _check_int, _factory_dtype
from glassnet.nn.module import Module, Parameter
from glassnet.ops.linalg import einsum
from glassnet._creation import zeros
from glassnet.tensor import Tensor

__all__ = ["Identity", "Linear", "Bilinear", "Flatten", "Unflatten", "bilinear"]


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None
             ) -> Tensor:
    """``y_k = x1^T W_k x2 + b_k`` (``torch.nn.functional.bilinear``).

    Parameters
    ----------
    input1, input2 : Tensor
        Floating tensors with the same leading dimensions.
    weight : Tensor
        ``(out_features, in1_features, in2_features)``.
    bias : Tensor, optional
        ``(out_features,)``.

    Shape
    -----
    - input1: ``(*, in1_features)``, input2: ``(*, in2_features)``
    - output: ``(*, out_features)``
    """
    fn = "bilinear"
    for name, t in (("input1", input1), ("input2", input2), ("weight", weight)):
        check_float(t, name, fn)
    if weight.ndim != 3:
        raise ValueError(f"{fn}: weight must have shape (out_features, in1_features, "
                         f"in2_features), got {tuple(weight.shape)}")
    out_f, in1, in2 = weight.shape
    if input1.ndim == 0 or input1.shape[-1] != in1:
        raise ValueError(f"{fn}: input1 must have shape (*, {in1}) (from weight), got "
                         f"{tuple(input1.shape)}")
    if input2.ndim == 0 or input2.shape[-1] != in2:
        raise ValueError(f"{fn}: input2 must have shape (*, {in2}) (from weight), got "
                         f"{tuple(input2.shape)}")
    if tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise ValueError(f"{fn}: input1 and input2 must have the same leading dimensions, "
                         f"got {tuple(input1.shape)} and {tuple(input2.shape)}")
    if bias is not None:
        check_tensor(bias, "bias", fn)
        if tuple(bias.shape) != (out_f,):
            raise ValueError(f"{fn}: bias must have shape ({out_f},), got "
                             f"{tuple(bias.shape)}")
    lead = tuple(input1.shape[:-1])
    out = einsum("bi,oij,bj->bo", input1.reshape(-1, in1), weight, input2.reshape(-1, in2))
    if bias is not None:
        out = out + bias
    return out.reshape(*lead, out_f)


class Identity(Module):
    """Return the input unchanged; any constructor arguments are ignored.

    Shape
    -----
    input: ``(*)``; output: ``(*)``, the same tensor.
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """``y = x W^T + b`` (``torch.nn.Linear``).

    Parameters
    ----------
    in_features, out_features : int
    bias : bool
        Learn an additive bias (default True).
    device, dtype : optional
        Factory keywords; parameters are float32 unless ``dtype`` is given.

    Attributes
    ----------
    weight : Parameter ``(out_features, in_features)``
        Default init ``kaiming_uniform_(a=sqrt(5))``, i.e. U(-1/sqrt(in), 1/sqrt(in)).
    bias : Parameter ``(out_features,)``
        Default init U(-1/sqrt(in_features), 1/sqrt(in_features)).

    Shape
    -----
    - input: ``(*, in_features)``
    - output: ``(*, out_features)``

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> nn.Linear(4, 3)(glassnet.randn(2, 4)).shape
    glassnet.Size([2, 3])
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None):
        super().__init__()
        dt = _factory_dtype(dtype, device, "Linear")
        self.in_features = _check_int(in_features, "in_features", "Linear", 0)
        self.out_features = _check_int(out_features, "out_features", "Linear", 0)
        self.weight = Parameter(zeros(out_features, in_features, dtype=dt))
        if bias:
            self.bias = Parameter(zeros(out_features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        # NOTE: a=sqrt(5) gives bound = 1/sqrt(fan_in): PyTorch's legacy default kept
        # for reproducibility (pytorch/pytorch#57109).
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """``y_k = x1^T W_k x2 + b_k`` (``torch.nn.Bilinear``).

    Parameters
    ----------
    in1_features, in2_features, out_features : int
    bias : bool
        Default True.
    device, dtype : optional
        Factory keywords.

    Attributes
    ----------
    weight : Parameter ``(out_features, in1_features, in2_features)``
    bias : Parameter ``(out_features,)``
        Both U(-1/sqrt(in1_features), 1/sqrt(in1_features)), PyTorch's default.

    Shape
    -----
    - input1: ``(*, in1_features)``, input2: ``(*, in2_features)``
    - output: ``(*, out_features)``
    """

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        dt = _factory_dtype(dtype, device, "Bilinear")
        self.in1_features = _check_int(in1_features, "in1_features", "Bilinear")
        self.in2_features = _check_int(in2_features, "in2_features", "Bilinear")
        self.out_features = _check_int(out_features, "out_features", "Bilinear")
        self.weight = Parameter(zeros(out_features, in1_features, in2_features, dtype=dt))
        if bias:
            self.bias = Parameter(zeros(out_features, dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        bound = 1 / math.sqrt(self.weight.shape[1])
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        return bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Flatten(Module):
    """Flatten dimensions ``start_dim..end_dim`` into one.

    Parameters
    ----------
    start_dim : int
        Default 1 (keep the batch dimension).
    end_dim : int
        Default -1.

    Shape
    -----
    - input: ``(*, S_start, ..., S_end, *)``
    - output: ``(*, S_start * ... * S_end, *)``
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1):
        super().__init__()
        self.start_dim = _check_int(start_dim, "start_dim", "Flatten", None)
        self.end_dim = _check_int(end_dim, "end_dim", "Flatten", None)

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expand dimension ``dim`` into ``unflattened_size``.

    Parameters
    ----------
    dim : int
    unflattened_size : tuple of int
        Its product must equal the size of ``dim`` (one entry may be -1).

    Shape
    -----
    - input: ``(*, S_dim, *)``
    - output: ``(*, U_1, ..., U_n, *)``
    """

    def __init__(self, dim: int, unflattened_size):
        super().__init__()
        self.dim = _check_int(dim, "dim", "Unflatten", None)
        if not isinstance(unflattened_size, (tuple, list)) or not all(
                isinstance(s, (int, np.integer)) and not isinstance(s, bool)
                for s in unflattened_size):
            raise TypeError(f"Unflatten: unflattened_size must be a tuple of ints, got "
                            f"{unflattened_size!r}")
        self.unflattened_size = unflattened_size

    def forward(self, input):
        return input.unflatten(self.dim, tuple(self.unflattened_size))

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
