"""The device part of the Tensor: ``Tensor.device``, ``.is_cuda``, ``.get_device()``,
``.cpu()``, ``.cuda()`` and the CUDA array interface (the :class:`TensorDevice` mixin of
:class:`~glassnet._tensor_base.TensorBase`), and the parser of torch's ``.to(...)``
overloads shared by ``Tensor.to`` and ``Module.to``.

A tensor is on the device of its array (:func:`glassnet.backend.device_of`): NumPy
arrays are on the CPU, CuPy arrays on a CUDA device.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from glassnet.backend import _CPU, device, device_of, resolve_device, to_dtype

if TYPE_CHECKING:
    from glassnet.tensor import Tensor

__all__ = ["TensorDevice", "parse_to_args"]


class TensorDevice:
    """Where a tensor lives and moving it (``self._data`` is its array)."""

    @property
    def device(self) -> device:
        """The :class:`glassnet.device` holding this tensor: ``cpu``, or ``cuda:N`` for a
        tensor on a GPU (a CuPy array)."""
        return device_of(self._data)

    @property
    def is_cuda(self) -> bool:
        """True when the tensor is on a CUDA device."""
        return device_of(self._data).type == "cuda"

    @property
    def is_cpu(self) -> bool:
        """True when the tensor is in host memory."""
        return device_of(self._data).type == "cpu"

    # NOTE: torch's answers for devices glassnet has no backend for.
    is_xpu = property(lambda self: False, doc="False: the tensor is not on an XPU.")
    is_mps = property(lambda self: False, doc="False: the tensor is not on an MPS device.")
    is_sparse = property(lambda self: False, doc="False: glassnet tensors are dense.")
    is_quantized = property(lambda self: False, doc="False: not a quantized tensor.")
    is_meta = property(lambda self: False, doc="False: the tensor has real storage.")

    @property
    def __cuda_array_interface__(self) -> dict:
        """The CUDA array interface of a CUDA tensor (CuPy, Numba read it), as torch;
        AttributeError for a CPU tensor, RuntimeError for one that requires grad."""
        if device_of(self._data).type != "cuda":
            raise AttributeError(f"Can't get __cuda_array_interface__ on a non-CUDA tensor "
                                 f"(device {device_of(self._data)})")
        if self.requires_grad:
            raise RuntimeError("Can't get __cuda_array_interface__ on a tensor that requires "
                               "grad; use tensor.detach()")
        return self._data.__cuda_array_interface__

    def get_device(self) -> int:
        """The device ordinal: -1 for a CPU tensor, as torch."""
        index = device_of(self._data).index
        return -1 if index is None else index

    def cpu(self, memory_format=None) -> "Tensor":
        """This tensor in host memory: ``self`` when it is there, else a copy (recorded by
        autograd: the gradient goes back to the tensor's device)."""
        return self.to(_CPU)

    def cuda(self, device=None, non_blocking: bool = False, memory_format=None) -> "Tensor":
        """This tensor on a CUDA device (``self`` when it is there already), as torch.

        Parameters
        ----------
        device : int, str or glassnet.device, optional
            The CUDA device; default the current one (:func:`glassnet.cuda.current_device`).
        non_blocking : bool
            Accepted (CuPy copies from pageable host memory synchronously).

        Raises
        ------
        RuntimeError
            When CUDA is not available (CuPy not installed or no GPU), or ``device`` is
            not a CUDA device.
        """
        dev = resolve_device(_cuda_device(device, "Tensor.cuda"), "Tensor.cuda")
        return self.to(dev, non_blocking=non_blocking)


_TO_KEYWORDS = ("dtype", "device", "non_blocking", "copy", "memory_format")
_TO_SIGNATURES = ("to(device=None, dtype=None, non_blocking=False, copy=False), "
                  "to(dtype, non_blocking=False, copy=False) or "
                  "to(tensor, non_blocking=False, copy=False)")


def parse_to_args(args, kwargs, fn: str):
    """Read ``.to(...)``'s arguments with torch's three overloads, ``to(device, dtype,
    non_blocking, copy)``, ``to(dtype, non_blocking, copy)`` and ``to(tensor,
    non_blocking, copy)``, plus the keywords ``dtype``, ``device``, ``non_blocking``,
    ``copy`` and ``memory_format`` (accepted, ignored).

    Returns ``(device or None, dtype or None, non_blocking, copy)``.
    """
    unknown = set(kwargs) - set(_TO_KEYWORDS)
    if unknown:
        raise TypeError(f"{fn}: unexpected keyword arguments {sorted(unknown)}; expected "
                        f"{_TO_SIGNATURES}")
    from glassnet._tensor_base import TensorBase

    rest = list(args)
    where = dtype = None
    if rest and isinstance(rest[0], TensorBase):
        other = rest.pop(0)
        if "device" in kwargs or "dtype" in kwargs:
            raise TypeError(f"{fn}: to(tensor) takes its device and dtype from the tensor; "
                            f"got device= or dtype= as well")
        where, dtype = other.device, other.dtype
    elif rest and (rest[0] is None or _is_device_like(rest[0])):
        where = rest.pop(0)
        if rest and not isinstance(rest[0], bool) and not _is_device_like(rest[0]):
            dtype = rest.pop(0)
    elif rest and not isinstance(rest[0], bool):
        dtype = rest.pop(0)
    if len(rest) > 2 or not all(isinstance(a, bool) for a in rest):
        got = ", ".join(type(a).__name__ for a in args)
        raise TypeError(f"{fn}: expected {_TO_SIGNATURES}, got ({got})")
    flags = dict(zip(("non_blocking", "copy"), rest))
    for key in ("device", "dtype", "non_blocking", "copy"):
        if key not in kwargs:
            continue
        given = {"device": where, "dtype": dtype}.get(key, flags.get(key))
        if given is not None:
            raise TypeError(f"{fn}: got multiple values for argument {key!r}")
        if key == "device":
            where = kwargs[key]
        elif key == "dtype":
            dtype = kwargs[key]
        else:
            flags[key] = kwargs[key]
    if where is not None and not isinstance(where, device):
        if not _is_device_like(where):
            raise TypeError(f"{fn}: device must be a str, an int or a glassnet.device, got "
                            f"{type(where).__name__} {where!r}")
        where = device(where)
    if dtype is not None:
        try:
            legacy = getattr(dtype, "dtype", None)  # glassnet.LongTensor and the like
            dtype = to_dtype(legacy if isinstance(legacy, np.dtype) else dtype)
        except TypeError:
            raise TypeError(f"{fn}: dtype must be a glassnet dtype (glassnet.float32 ...), "
                            f"got {type(dtype).__name__} {dtype!r}") from None
    return where, dtype, bool(flags.get("non_blocking", False)), bool(flags.get("copy", False))


def _is_device_like(value) -> bool:
    return (isinstance(value, (str, device))
            or (isinstance(value, (int, np.integer)) and not isinstance(value, bool)))


def _cuda_device(where, fn: str) -> device:
    """The CUDA device that ``.cuda(device)`` names (None: the current one)."""
    if where is None:
        return device("cuda")
    dev = device(where)
    if dev.type != "cuda":
        raise RuntimeError(f"{fn}: invalid device, must be a cuda device, got {dev}")
    return dev
