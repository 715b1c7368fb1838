"""Array backend: the array module, dtypes and the default random generator.

Every op obtains its array module from its inputs through :func:`get_array_module`
instead of a bare global ``numpy``, so that a CuPy array flows through the same code
when CuPy is installed.  The default floating dtype is float32.
"""
from __future__ import annotations

import builtins
import re

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


# The device types torch's parser knows (c10/core/DeviceType.cpp), in its order: a device
# of any of them can be named; glassnet places tensors on "cpu" and "cuda" (CuPy).
_DEVICE_TYPES = ("cpu", "cuda", "ipu", "xpu", "mkldnn", "opengl", "opencl", "ideep", "hip",
                 "ve", "fpga", "maia", "xla", "lazy", "vulkan", "mps", "meta", "hpu", "mtia",
                 "privateuseone")
_DEVICE_STRING = re.compile(r"([A-Za-z_]+)(?::(0|[1-9][0-9]*))?")


class device:
    """Where a tensor lives, as ``torch.device``: ``device("cpu")``, ``device("cuda")``,
    ``device("cuda:1")``, ``device("cuda", 0)``; an int ``n`` is ``cuda:n``.

    ``.type`` is the device type and ``.index`` its ordinal (None when not given).  A
    device compares equal to an equal device and (glassnet extra: torch answers False) to
    its string form, ``device("cuda", 0) == "cuda:0"``.  ``cuda`` tensors are CuPy arrays
    (see :mod:`glassnet.cuda`); the other types torch knows can be named but hold no
    glassnet tensor.

    Parameters
    ----------
    type : str, int or device
        ``"cpu"``, ``"cuda"``, ``"cuda:1"``..., a CUDA ordinal, or a device to copy.
    index : int, optional
        Device ordinal (not allowed when ``type`` already holds one).

    Raises
    ------
    ValueError
        For a malformed string, an unknown type or a negative index (torch raises
        RuntimeError); TypeError for arguments of the wrong type.

    Examples
    --------
    >>> import glassnet
    >>> glassnet.device("cuda:1")
    device(type='cuda', index=1)
    >>> glassnet.device("cpu").type, glassnet.device("cuda", 0).index
    ('cpu', 0)
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):
        if index is not None and (isinstance(index, bool)
                                  or not isinstance(index, (int, np.integer))):
            raise TypeError(f"device: index must be an int, got "
                            f"{builtins.type(index).__name__} {index!r}")
        if isinstance(type, device):
            if index is not None:
                raise TypeError(f"device: no index may be given with a device, got "
                                f"{type!r} and index={index!r}")
            type, index = type.type, type.index
        elif isinstance(type, (int, np.integer)) and not isinstance(type, bool):
            if index is not None:
                raise TypeError(f"device: an ordinal takes no index, got {type!r} and "
                                f"index={index!r}")
            type, index = "cuda", int(type)
        elif isinstance(type, str):
            type, index = _parse_device_string(type, index)
        else:
            raise TypeError(f"device: expected a str, an int or a glassnet.device, got "
                            f"{builtins.type(type).__name__} {type!r}")
        if index is not None and index < 0:
            raise ValueError(f"device: index must not be negative, got {index}")
        object.__setattr__(self, "type", type)
        object.__setattr__(self, "index", None if index is None else int(index))

    def __setattr__(self, name, value):
        raise AttributeError(f"device: attribute {name!r} is read-only")

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        idx = "" if self.index is None else f", index={self.index}"
        return f"device(type={self.type!r}{idx})"

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = device(other)
            except ValueError:
                return False
        if not isinstance(other, device):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash(str(self))

    def __reduce__(self):
        return (device, (self.type, self.index))


def _parse_device_string(text: str, index):
    """``"cuda:1"`` -> ``("cuda", 1)``, with torch's rules and glassnet's messages."""
    if not text:
        raise ValueError("device: device string must not be empty, got ''")
    m = _DEVICE_STRING.fullmatch(text)
    if m is None:
        raise ValueError(f"device: invalid device string {text!r} (expected 'TYPE' or "
                         f"'TYPE:INDEX' with TYPE one of {', '.join(_DEVICE_TYPES)})")
    kind, ordinal = m.group(1), m.group(2)
    if kind not in _DEVICE_TYPES:
        raise ValueError(f"device: invalid device type {kind!r} in {text!r}: expected one "
                         f"of {', '.join(_DEVICE_TYPES)}")
    if ordinal is not None:
        if index is not None:
            raise ValueError(f"device: invalid device string {text!r} with index={index}: "
                             f"the string must not include an index when index is passed")
        index = int(ordinal)
    return kind, index


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


# ---------------------------------------------------------------------------
# Placement: which device an array is on, and moving arrays between devices.
# A device type other than "cpu" is served by a backend object (CUDA: CuPy, loaded on
# first use); tests swap in a fake one to check the moves and the checks without a GPU.
# ---------------------------------------------------------------------------
class _CupyCuda:
    """The ``"cuda"`` device type on CuPy: arrays are ``cupy.ndarray``.

    Every method but ``owns`` imports CuPy, so nothing is loaded until a tensor is put on
    (or asked about) a CUDA device.
    """

    type = "cuda"

    def __init__(self):
        self._cupy = None
        self._why = None  # why CUDA is unavailable, once known
        self._count = 0
        self.tracker = None

    def _load(self):
        if self._cupy is None and self._why is None:
            try:
                import cupy
            except Exception as e:  # ImportError, or a CuPy that finds no CUDA libraries
                self._why = (f"CuPy is not installed or cannot load ({type(e).__name__}: "
                             f"{e}); install the CuPy wheel for your CUDA version: "
                             f"pip install 'glassnet[cuda]' (cupy-cuda12x) or cupy-cuda13x")
                return None
            try:
                count = cupy.cuda.runtime.getDeviceCount()
            except Exception as e:  # no driver, no device
                self._why = f"CuPy found no CUDA device ({type(e).__name__}: {e})"
                return None
            if count < 1:
                self._why = "CuPy found no CUDA device"
                return None
            self._count = int(count)  # fixed for the process (CUDA_VISIBLE_DEVICES)
            self._cupy = cupy
            self.tracker = _PeakTracker(cupy)
        return self._cupy

    def is_available(self) -> bool:
        return self._load() is not None

    def device_count(self) -> int:
        return 0 if self._load() is None else self._count

    def require(self, fn: str):
        """CuPy, or RuntimeError naming ``fn`` and why CUDA cannot be used."""
        cp = self._load()
        if cp is None:
            # NOTE: torch raises AssertionError("Torch not compiled with CUDA enabled") on
            # a CPU build and RuntimeError on a CUDA build without a GPU; glassnet raises
            # RuntimeError in both cases (never an assert for a user's request).
            raise RuntimeError(f"{fn}: CUDA is not available: {self._why}; use "
                               f"glassnet.cuda.is_available() to choose the device")
        return cp

    def current_index(self, fn: str) -> int:
        return int(self.require(fn).cuda.runtime.getDevice())

    def owns(self, array) -> bool:
        return type(array).__module__.startswith("cupy")

    def index_of(self, array) -> int:
        return int(array.device.id)

    def from_host(self, array, index: int, fn: str):
        cp = self.require(fn)
        with cp.cuda.Device(index):
            return cp.asarray(array)

    def to_host(self, array):
        return array.get()

    def move(self, array, index: int, fn: str):
        """A copy of a device array on device ``index`` (peer copy)."""
        cp = self.require(fn)
        with cp.cuda.Device(index):
            return cp.copy(array)  # allocated on the current device, copied across


class _PeakTracker:
    """CuPy's pool allocator, wrapped to record the pool's used and total bytes after
    every allocation, per device (CuPy keeps no peak; frees only lower the count, so the
    maximum over allocations is the peak).  Read by ``glassnet.cuda.max_memory_*``."""

    def __init__(self, cp):
        self.pool = cp.get_default_memory_pool()
        self.peak = {}
        self.peak_reserved = {}
        cp.cuda.set_allocator(self.malloc)

    def malloc(self, size: int):
        mem = self.pool.malloc(size)
        index = mem.device_id
        used, total = self.pool.used_bytes(), self.pool.total_bytes()
        if used > self.peak.get(index, 0):
            self.peak[index] = used
        if total > self.peak_reserved.get(index, 0):
            self.peak_reserved[index] = total
        return mem


_BACKENDS = {"cuda": _CupyCuda()}
_CPU = device("cpu")


def device_backend(kind: str, fn: str):
    """The backend that holds arrays of device type ``kind`` (RuntimeError if none)."""
    backend = _BACKENDS.get(kind)
    if backend is None:
        raise RuntimeError(f"{fn}: glassnet cannot place tensors on {kind!r} devices; the "
                           f"supported device types are 'cpu' and 'cuda' (through CuPy)")
    return backend


def device_of(array) -> device:
    """The :class:`device` that holds ``array``: ``cpu`` for NumPy arrays."""
    if type(array) is np.ndarray:
        return _CPU
    for backend in _BACKENDS.values():
        if backend.owns(array):
            return device(backend.type, backend.index_of(array))
    return _CPU


def resolve_device(where, fn: str) -> device:
    """``where`` (str, int or device) as a concrete device: ``cuda`` gets the current
    CUDA ordinal, ``cpu:N`` becomes ``cpu``; raises if the device cannot hold tensors."""
    dev = where if isinstance(where, device) else device(where)
    if dev.type == "cpu":
        return _CPU
    backend = device_backend(dev.type, fn)
    if dev.index is None:
        return device(dev.type, backend.current_index(fn))
    count = backend.device_count() if backend.is_available() else 0
    if dev.index >= count:
        backend.require(fn)  # no device at all: say why
        raise RuntimeError(f"{fn}: invalid device ordinal: {dev} requested, "
                           f"{count} {dev.type} device(s) available")
    return dev


def to_device(array, where, fn: str = "to", copy: bool = False):
    """``array`` on device ``where``: the array itself when it is already there (a copy
    with ``copy=True``), else a copy on that device."""
    dst = resolve_device(where, fn)
    src = device_of(array)
    if src == dst:
        return array.copy() if copy else array
    if src.type == "cpu":
        return device_backend(dst.type, fn).from_host(array, dst.index, fn)
    if src.type == dst.type:
        return device_backend(dst.type, fn).move(array, dst.index, fn)
    host = device_backend(src.type, fn).to_host(array)
    if dst.type == "cpu":
        return host
    return device_backend(dst.type, fn).from_host(host, dst.index, fn)


def to_host(array):
    """``array`` as a NumPy array (a copy when it lives on a device)."""
    if isinstance(array, np.ndarray) and device_of(array) == _CPU:
        return array
    return to_device(array, _CPU)


def same_device(fn: str, arrays, movable=None):
    """Check that ``arrays`` (the inputs of op ``fn``) share one device.

    As torch, a 0-d CPU array may join arrays on another device: it is copied there
    when ``movable[i]`` (default: all) allows it.  Returns the arrays to compute with;
    raises RuntimeError naming both devices otherwise.
    """
    devices = [device_of(a) for a in arrays]
    target = next((d for d in devices if d != _CPU), _CPU)
    out = list(arrays)
    for i, (a, d) in enumerate(zip(arrays, devices)):
        if d == target:
            continue
        if d == _CPU and a.ndim == 0 and (movable is None or movable[i]):
            out[i] = to_device(a, target, fn)
            continue
        raise RuntimeError(f"{fn}: expected all tensors to be on the same device, but "
                           f"found at least two devices, {target} and {d} (move them "
                           f"with .to(device) first)")
    return out
