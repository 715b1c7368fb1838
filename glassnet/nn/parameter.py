"""``Parameter`` and the lazy placeholders ``UninitializedParameter`` /
``UninitializedBuffer`` (``torch.nn.parameter``).

An uninitialised tensor knows its dtype and ``requires_grad`` but has no values and no
shape yet: a lazy module (:mod:`glassnet.nn.lazy`) creates them in ``__init__`` and
calls :meth:`UninitializedTensorMixin.materialize` on the first forward, which gives the
*same object* an array and turns its class into :class:`Parameter` (or ``Tensor``), so an
optimizer that already holds the object keeps working.  Any other use of its values
(an op, ``.numpy()``, ``.shape``) raises :class:`ValueError` saying to run a forward pass
first.
"""
from __future__ import annotations

import numpy as np

from glassnet.backend import FLOAT_DTYPES, get_default_dtype, to_dtype
from glassnet.tensor import Tensor

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer",
           "UninitializedTensorMixin", "is_lazy"]


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


def _uninitialised_error(t, what: str) -> ValueError:
    return ValueError(f"{type(t).__name__}: cannot {what}: the tensor has not been "
                      f"initialised; run a forward pass first (with a dummy batch) so that "
                      f"the lazy module materialises its parameters, or call "
                      f"materialize(shape)")


class _UninitialisedData:
    """Data descriptor that shadows the instance's ``_data`` array until materialised.

    NOTE: a data descriptor on the class wins over the instance ``__dict__``, so every
    internal access to ``t._data`` (every op, ``numpy()``, ``shape``) raises the clear
    error below instead of computing on a placeholder.
    """

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        raise _uninitialised_error(obj, "use its values")

    def __set__(self, obj, value):
        raise _uninitialised_error(obj, "assign its data")


class UninitializedTensorMixin:
    """Shared behaviour of :class:`UninitializedParameter` and :class:`UninitializedBuffer`.

    Subclasses set ``cls_to_become``, the class the object takes on materialisation.
    """

    cls_to_become = None
    _uninitialized_tensor = True
    _data = _UninitialisedData()

    def _init_uninitialised(self, requires_grad: bool, dtype) -> None:
        dt = to_dtype(dtype) if dtype is not None else get_default_dtype()
        d = self.__dict__
        d["_lazy_dtype"] = np.dtype(dt)
        self.grad = None
        self._ctx = None
        self._version = 0
        self._hooks = {}
        self._retains_grad = False
        self.requires_grad = bool(requires_grad)

    def materialize(self, shape, device=None, dtype=None) -> None:
        """Give this tensor an uninitialised (empty) array of ``shape`` and turn it into
        ``cls_to_become``, in place (the object keeps its identity).

        Parameters
        ----------
        shape : int or tuple of int
        device : None or 'cpu'
        dtype : dtype, optional
            Default: the dtype given at construction.
        """
        if device is not None and str(device) != "cpu":
            raise ValueError(f"materialize: device must be None or 'cpu', got {device!r}")
        if isinstance(shape, (int, np.integer)):
            shape = (int(shape),)
        shape = tuple(int(s) for s in shape)
        if any(s < 0 for s in shape):
            raise ValueError(f"materialize: shape must have non-negative sizes, got {shape}")
        dt = self.__dict__["_lazy_dtype"] if dtype is None else np.dtype(to_dtype(dtype))
        arr = np.empty(shape, dtype=dt)
        del self.__dict__["_lazy_dtype"]
        self.__class__ = self.cls_to_become
        self._data = arr

    # -- what works before materialisation (torch allows the same) ------------------
    @property
    def dtype(self):
        return self.__dict__["_lazy_dtype"]

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. "
                           "This usually happens in load_state_dict when loading an "
                           "uninitialized parameter into an initialized one. Run a forward "
                           "pass to initialise the parameters first.")

    def requires_grad_(self, requires_grad: bool = True):
        if requires_grad and self.dtype not in FLOAT_DTYPES:
            raise RuntimeError(f"requires_grad_: only floating point tensors can require "
                               f"gradients, got dtype {self.dtype}")
        self.requires_grad = bool(requires_grad)
        return self

    def _set_lazy_dtype(self, dtype) -> None:
        """Change the dtype the tensor will have (``Module.to`` before materialising)."""
        self.__dict__["_lazy_dtype"] = np.dtype(to_dtype(dtype))

    def __hash__(self):
        return id(self)

    def __repr__(self):
        return f"<{type(self).__name__}>"


class UninitializedParameter(UninitializedTensorMixin, Parameter):
    """A :class:`Parameter` whose shape is not known yet (``torch.nn.UninitializedParameter``).

    Parameters
    ----------
    requires_grad : bool
        Default True.
    device : None or 'cpu'
    dtype : dtype, optional
        Default float32.

    Examples
    --------
    >>> from glassnet.nn import UninitializedParameter, Parameter
    >>> p = UninitializedParameter()
    >>> p
    <UninitializedParameter>
    >>> p.materialize((2, 3))
    >>> type(p) is Parameter, tuple(p.shape)
    (True, (2, 3))
    """

    cls_to_become = Parameter

    def __init__(self, requires_grad: bool = True, device=None, dtype=None):
        if device is not None and str(device) != "cpu":
            raise ValueError(f"UninitializedParameter: device must be None or 'cpu', got "
                             f"{device!r}")
        self._init_uninitialised(requires_grad, dtype)


class UninitializedBuffer(UninitializedTensorMixin, Tensor):
    """A buffer whose shape is not known yet (``torch.nn.UninitializedBuffer``); it
    becomes a plain ``Tensor`` when materialised.

    Parameters
    ----------
    requires_grad : bool
        Default False.
    device : None or 'cpu'
    dtype : dtype, optional
        Default float32.
    """

    cls_to_become = Tensor

    def __init__(self, requires_grad: bool = False, device=None, dtype=None):
        if device is not None and str(device) != "cpu":
            raise ValueError(f"UninitializedBuffer: device must be None or 'cpu', got "
                             f"{device!r}")
        self._init_uninitialised(requires_grad, dtype)


def is_lazy(t) -> bool:
    """True for an :class:`UninitializedParameter` or :class:`UninitializedBuffer`."""
    # NOTE: a class marker rather than isinstance, so that the answer does not depend on
    # which copy of this module a caller imported (pytest's doctest collection may
    # execute a second one).
    return getattr(type(t), "_uninitialized_tensor", False)
