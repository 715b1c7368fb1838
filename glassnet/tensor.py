"""``Tensor``: an n-dimensional array with reverse-mode autograd and PyTorch's methods.

``Tensor`` is :class:`~glassnet._tensor_base.TensorBase` (the private array ``_data``,
``.data``, ``.grad``, ``requires_grad``, ``grad_fn``, shape/dtype metadata, conversion
and the in-place machinery) plus one mixin per op family, all listed in the class
statement below and defined in :mod:`glassnet.ops.methods` and
:mod:`glassnet.ops.methods_inplace`.  Creation functions
(``tensor``, ``zeros``, ``randn`` ...) are in :mod:`glassnet._creation`.
"""
from __future__ import annotations

from glassnet.ops.methods import (ActivationMethods, ArithmeticMethods, ConversionMethods,
                                  ElementwiseMethods, LinalgMethods, ReduceMethods,
                                  ShapeMethods)
from glassnet.ops.methods_inplace import CompositeMethods, InplaceMethods
from glassnet._tensor_base import Size, TensorBase, register_tensor_class

__all__ = ["Tensor", "Size"]


class Tensor(TensorBase, ArithmeticMethods, ConversionMethods, ElementwiseMethods,
             ReduceMethods, ShapeMethods, LinalgMethods, ActivationMethods, InplaceMethods,
             CompositeMethods):
    """A multi-dimensional array that records operations for autograd.

    As ``torch.Tensor``, the constructor makes a tensor of the default float dtype
    (float32): ``Tensor(2, 3)`` has shape ``(2, 3)`` (zero-filled; PyTorch leaves it
    uninitialised) and ``Tensor([1, 2])`` copies the data as float32.  Use
    :func:`glassnet.tensor` to infer the dtype from the data.

    Parameters
    ----------
    *args : ints, Size, or one array_like
        A shape, or the data to copy.
    requires_grad : bool
        Whether gradients should be accumulated into ``.grad`` by ``backward``.
    dtype : dtype, optional
        Glassnet extra: the dtype instead of float32.

    Examples
    --------
    >>> import glassnet
    >>> x = glassnet.Tensor([1.0, 2.0]).requires_grad_()
    >>> (x * x).sum().backward()
    >>> x.grad.tolist()
    [2.0, 4.0]
    """


register_tensor_class(Tensor)
