"""Array backend: the array module, dtypes and the default random generator.

Every op obtains its array module from its inputs through :func:`get_array_module`
instead of a bare global ``numpy``, so that a CuPy array flows through the same code
when CuPy is installed.  The default floating dtype is float32.
"""
from __future__ import annotations

import numpy as np

__all__ = [
    "get_array_module", "float32", "float64", "float16", "int64", "int32", "uint8",
    "bool_", "FLOAT_DTYPES", "get_default_dtype", "manual_seed", "default_generator",
    "get_rng_state", "set_rng_state", "to_dtype",
]

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
FLOAT_DTYPES = (float16, float32, float64)

_DEFAULT_DTYPE = float32


def get_default_dtype() -> np.dtype:
    """Return the default floating dtype (float32)."""
    return _DEFAULT_DTYPE


def to_dtype(dtype) -> np.dtype | None:
    """Normalise a dtype-like (``glassnet.float32``, ``np.float32``, ``'float32'``)."""
    if dtype is None:
        return None
    return np.dtype(dtype)


def get_array_module(*arrays):
    """Return the array module (numpy or cupy) that owns ``arrays``.

    Falls back to numpy when none of the arguments is a CuPy array.
    """
    for a in arrays:
        mod = type(a).__module__
        if mod.startswith("cupy"):
            import cupy  # pragma: no cover - only on GPU machines

            return cupy
    return np


class _Generator:
    """Holder of the process-wide default ``numpy.random.Generator``."""

    def __init__(self, seed: int | None = None):
        self.seed = seed
        self.rng = np.random.default_rng(seed)


_DEFAULT = _Generator(None)


def manual_seed(seed: int) -> None:
    """Seed the default random generator (as ``torch.manual_seed``)."""
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"manual_seed: seed must be an int, got {type(seed).__name__}")
    _DEFAULT.seed = int(seed)
    _DEFAULT.rng = np.random.default_rng(int(seed))


def default_generator() -> np.random.Generator:
    """Return the default ``numpy.random.Generator`` used when no ``generator=`` is given."""
    return _DEFAULT.rng


def get_rng_state() -> dict:
    """Return the default generator's state as a JSON-serialisable dict."""
    return _DEFAULT.rng.bit_generator.state


def set_rng_state(state: dict) -> None:
    """Restore the default generator's state from :func:`get_rng_state`."""
    _DEFAULT.rng.bit_generator.state = state
