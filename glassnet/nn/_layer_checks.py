"""Checks shared by the layers' constructors (PyTorch's factory keywords, integer
hyperparameters) and the nested-repr helper of containers."""
from __future__ import annotations

import numpy as np

from glassnet.backend import FLOAT_DTYPES, device as _device, resolve_device, to_dtype

__all__: list = []


def _factory_dtype(dtype, device, fn: str) -> np.dtype:
    """The dtype of a layer's new parameters (float32 unless ``dtype``), after checking
    PyTorch's factory keyword ``device`` (a CUDA device must be available).

    NOTE: layers build their parameters in host memory; a non-CPU ``device`` moves them
    once the constructor returns (``glassnet.nn._init_record``).
    """
    if device is not None and device_type(device, fn) != "cpu":
        resolve_device(device, fn)  # RuntimeError now if CUDA is not available
    if dtype is None:
        return np.dtype(np.float32)
    dt = to_dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"{fn}: dtype must be a floating dtype, got {dt}")
    return dt


def device_type(where, fn: str) -> str:
    """The type (``"cpu"``, ``"cuda"``...) of a ``device=`` argument."""
    if isinstance(where, bool) or not isinstance(where, (str, int, _device)):
        raise TypeError(f"{fn}: device must be a str, an int or a glassnet.device, got "
                        f"{type(where).__name__} {where!r}")
    return _device(where).type


def _check_int(value, name: str, fn: str, minimum: int | None = 1) -> int:
    """Validate an integer hyperparameter ``>= minimum`` (any int when None)."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{fn}: {name} must be an int, got {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{fn}: {name} must be >= {minimum}, got {value}")
    return int(value)


def _addindent(s: str, num_spaces: int) -> str:
    """Indent every line but the first (PyTorch's helper for nested reprs)."""
    lines = s.split("\n")
    if len(lines) == 1:
        return s
    first = lines.pop(0)
    return first + "\n" + "\n".join(num_spaces * " " + line for line in lines)
