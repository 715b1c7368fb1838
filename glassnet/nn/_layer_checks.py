"""Checks shared by the layers' constructors (PyTorch's factory keywords, integer
hyperparameters) and the nested-repr helper of containers."""
from __future__ import annotations

import numpy as np

from glassnet.backend import FLOAT_DTYPES, to_dtype

__all__: list = []


def _factory_dtype(dtype, device, fn: str) -> np.dtype:
    """The dtype of a layer's new parameters (float32 unless ``dtype``); ``device`` must
    be None or 'cpu' (layers accept PyTorch's factory keywords)."""
    if device is not None and str(device) != "cpu":
        raise ValueError(f"{fn}: device must be None or 'cpu', got {device!r}")
    if dtype is None:
        return np.dtype(np.float32)
    dt = to_dtype(dtype)
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"{fn}: dtype must be a floating dtype, got {dt}")
    return dt


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
