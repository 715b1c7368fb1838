"""``Parameter``: a Tensor that a Module registers as trainable (``torch.nn.Parameter``)."""
from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor

__all__ = ["Parameter"]


class Parameter(Tensor):
    """A Tensor that a :class:`Module` registers as trainable when assigned to it.

    Parameters
    ----------
    data : Tensor or np.ndarray, optional
        Initial values; the array is shared, not copied (as ``torch.nn.Parameter``).
        Defaults to an empty float32 tensor.
    requires_grad : bool
        Default True.

    Notes
    -----
    Ops on a Parameter return plain Tensors (``Function.apply`` wraps outputs with
    ``Tensor._wrap``), and ``detach()`` returns a plain Tensor.
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            arr = np.empty((0,), np.float32)
        elif isinstance(data, Tensor):
            arr = data._data
        elif isinstance(data, np.ndarray):
            arr = data
        else:
            raise TypeError(f"Parameter: data must be a Tensor or np.ndarray, got "
                            f"{type(data).__name__}")
        self._data = arr
        self.grad = None
        self._ctx = None
        self._version = 0
        self._hooks = {}
        self._retains_grad = False
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
