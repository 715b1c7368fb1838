"""Array backend: the array module, dtypes and the default random generator.

Every op obtains its array module from its inputs through :func:`get_array_module`
instead of a bare global ``numpy``, so that a CuPy array flows through the same code
when CuPy is installed.  The default floating dtype is float32.
"""
from __future__ import annotations

import builtins

import numpy as np

__all__ = [
    "get_array_module", "float32", "float64", "float16", "int64", "int32", "uint8",
    "bool_", "FLOAT_DTYPES", "get_default_dtype", "manual_seed", "default_generator",
    "get_rng_state", "set_rng_state", "to_dtype", "Generator", "device", "int8", "int16",
    "strided", "layout",
]

float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
bool_ = np.dtype(np.bool_)
FLOAT_DTYPES = (float16, float32, float64)


class layout:
    """A tensor's memory layout, as ``torch.layout``; glassnet has only ``strided``."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self):
        return f"glassnet.{self.name}"


strided = layout("strided")

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


class device:
    """Where a tensor lives, as ``torch.device``: ``device("cpu")``, ``device("cuda", 0)``.

    glassnet computes on the CPU; a device is accepted wherever PyTorch takes one
    (``tensor.to(device)``, ``model.to(device)``) so that scripts port unchanged, and
    compares equal to its string form (``device("cpu") == "cpu"``).

    Parameters
    ----------
    type : str or device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``...
    index : int, optional
        Device ordinal.
    """

    def __init__(self, type, index: int | None = None):
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if not isinstance(type, str):
            raise TypeError(f"device: type must be a str, got {builtins.type(type).__name__}")
        if ":" in type:
            if index is not None:
                raise ValueError(f"device: type {type!r} already holds an index, got "
                                 f"index={index}")
            type, _, ordinal = type.partition(":")
            if not ordinal.isdigit():
                raise ValueError(f"device: invalid device string {type + ':' + ordinal!r}")
            index = int(ordinal)
        if not type.isidentifier():
            raise ValueError(f"device: invalid device type {type!r}")
        if index is not None and (not isinstance(index, int) or index < 0):
            raise ValueError(f"device: index must be a non-negative int, got {index!r}")
        self.type = type
        self.index = index

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{idx})"

    def __eq__(self, other):
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash(str(self))


_device = device  # Generator's ``device`` argument shadows the class

# PyTorch's default seed of a new ``torch.Generator()`` (c10/core/GeneratorImpl.h).
_DEFAULT_GENERATOR_SEED = 67280421310721


class Generator(np.random.Generator):
    """A random number generator for ``generator=`` arguments, as ``torch.Generator``.

    It *is* a ``numpy.random.Generator`` (PCG64), so every glassnet function that takes
    ``generator=`` accepts it, and adds PyTorch's seeding methods.  Like PyTorch, a new
    generator starts from a fixed seed (67280421310721) until ``manual_seed`` is called.

    Examples
    --------
    >>> import glassnet
    >>> g = glassnet.Generator().manual_seed(0)
    >>> a = glassnet.randn(3, generator=g)
    >>> bool((a == glassnet.randn(3, generator=g.manual_seed(0))).all())
    True
    """

    def __init__(self, device="cpu"):
        super().__init__(np.random.PCG64(_DEFAULT_GENERATOR_SEED))
        self._initial_seed = _DEFAULT_GENERATOR_SEED
        self.device = _device(device)

    def manual_seed(self, seed: int) -> "Generator":
        """Reset the generator to ``seed``; returns the generator (for chaining)."""
        if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
            raise TypeError(f"Generator.manual_seed: seed must be an int, got "
                            f"{type(seed).__name__}")
        # NOTE: PyTorch accepts negative seeds (taken modulo 2**64); PCG64 needs >= 0.
        self._initial_seed = int(seed) % 2 ** 64
        self.bit_generator.state = np.random.PCG64(self._initial_seed).state
        return self

    def seed(self) -> int:
        """Seed from fresh entropy and return the seed used."""
        return self.manual_seed(int(np.random.SeedSequence().entropy) % 2 ** 63)._initial_seed

    def initial_seed(self) -> int:
        return self._initial_seed

    def get_state(self) -> dict:
        """The bit generator's state (a dict; ``torch`` returns a ByteTensor)."""
        return self.bit_generator.state

    def set_state(self, state: dict) -> "Generator":
        self.bit_generator.state = state
        return self


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
