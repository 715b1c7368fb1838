"""``glassnet.cuda``: ``torch.cuda`` on CuPy.

Where CuPy is installed and finds a GPU, ``is_available()`` is True, tensors go to the
GPU with ``x.cuda()`` / ``x.to("cuda")`` / ``device="cuda"``, and the memory functions
read CuPy's default memory pool (the allocator glassnet's CUDA arrays come from).
Elsewhere every function gives torch's answer on a machine without a GPU
(``is_available() == False``, ``device_count() == 0``, ``memory_allocated() == 0``, the
seeding calls accepted), so that device-agnostic scripts run unchanged; the calls that
need a device (``current_device``, ``set_device``, ``get_device_name``) raise
RuntimeError saying why CUDA cannot be used.

Random numbers: glassnet draws every random tensor from the host generator seeded by
:func:`glassnet.manual_seed` and copies it to the device, so one seed gives the same
numbers on the CPU and on the GPU.  :func:`manual_seed` and :func:`manual_seed_all` are
accepted (they record the seed returned by :func:`initial_seed`) and change no draw.
"""
from __future__ import annotations

import numpy as np

from glassnet import backend as _backend

__all__ = ["is_available", "device_count", "current_device", "set_device", "device",
           "get_device_name", "is_initialized", "manual_seed", "manual_seed_all",
           "initial_seed", "synchronize", "memory_allocated", "max_memory_allocated",
           "memory_reserved", "max_memory_reserved", "reset_peak_memory_stats",
           "empty_cache"]


def _cuda():
    return _backend.device_backend("cuda", "glassnet.cuda")


def is_available() -> bool:
    """True when CuPy is installed and finds at least one CUDA device."""
    return _cuda().is_available()


def device_count() -> int:
    """The number of CUDA devices CuPy sees (0 without CuPy or a GPU)."""
    return _cuda().device_count() if is_available() else 0


def is_initialized() -> bool:
    """True once CUDA is usable in this process (glassnet initialises it lazily)."""
    return is_available()


def _index(where, fn: str) -> int:
    """The CUDA ordinal that ``where`` (None, int, str or device) names."""
    if where is None:
        return current_device()
    dev = _backend.device(where)
    if dev.type != "cuda":
        raise ValueError(f"{fn}: device must be a cuda device, got {dev}")
    return _backend.resolve_device(dev, fn).index


def current_device() -> int:
    """The ordinal of the current CUDA device (RuntimeError without CUDA)."""
    return _cuda().current_index("cuda.current_device")


def set_device(device) -> None:
    """Make ``device`` (int, str or glassnet.device) the current CUDA device."""
    index = _index(device, "cuda.set_device")
    _cuda().require("cuda.set_device").cuda.Device(index).use()


class device:
    """Context manager that makes ``device`` the current CUDA device, as
    ``torch.cuda.device``."""

    def __init__(self, device):
        self.index = _index(device, "cuda.device")
        self._prev = None

    def __enter__(self):
        self._prev = current_device()
        set_device(self.index)
        return self

    def __exit__(self, *exc):
        set_device(self._prev)
        return False


def get_device_name(device=None) -> str:
    """The name of a CUDA device (e.g. ``'NVIDIA H100'``)."""
    index = _index(device, "cuda.get_device_name")
    props = _cuda().require("cuda.get_device_name").cuda.runtime.getDeviceProperties(index)
    name = props["name"]
    return name.decode() if isinstance(name, bytes) else str(name)


# ---------------------------------------------------------------------------
# Seeds (recorded; draws come from the host generator, see the module docstring)
# ---------------------------------------------------------------------------
_SEEDS = {}


def _check_seed(seed, fn: str) -> int:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"{fn}: seed must be an int, got {type(seed).__name__} {seed!r}")
    return int(seed) % 2 ** 64


def manual_seed(seed: int) -> None:
    """Record ``seed`` for the current CUDA device (glassnet draws on the host: seed the
    draws with :func:`glassnet.manual_seed`)."""
    seed = _check_seed(seed, "cuda.manual_seed")
    if is_available():
        _SEEDS[current_device()] = seed


def manual_seed_all(seed: int) -> None:
    """Record ``seed`` for every CUDA device (see :func:`manual_seed`)."""
    seed = _check_seed(seed, "cuda.manual_seed_all")
    for index in range(device_count()):
        _SEEDS[index] = seed


def initial_seed() -> int:
    """The seed last recorded for the current CUDA device."""
    index = current_device()
    return _SEEDS.get(index, _backend._DEFAULT_GENERATOR_SEED)


# ---------------------------------------------------------------------------
# Synchronisation and memory (CuPy's default memory pool)
# ---------------------------------------------------------------------------
def synchronize(device=None) -> None:
    """Wait for the work queued on a CUDA device; nothing to wait for without one."""
    if not is_available():
        return
    index = _index(device, "cuda.synchronize")
    _cuda().require("cuda.synchronize").cuda.Device(index).synchronize()


def _pool_bytes(device, fn: str, what: str) -> int:
    if not is_available():
        return 0
    index = _index(device, fn)
    cp = _cuda().require(fn)
    with cp.cuda.Device(index):
        pool = cp.get_default_memory_pool()
        return int(pool.used_bytes() if what == "used" else pool.total_bytes())


def memory_allocated(device=None) -> int:
    """Bytes held by live CUDA arrays on ``device`` (CuPy pool's used bytes); 0 without
    CUDA."""
    return _pool_bytes(device, "cuda.memory_allocated", "used")


def memory_reserved(device=None) -> int:
    """Bytes CuPy's pool holds from the driver on ``device`` (used + cached)."""
    return _pool_bytes(device, "cuda.memory_reserved", "total")


def max_memory_allocated(device=None) -> int:
    """The peak of :func:`memory_allocated` since the start or the last
    :func:`reset_peak_memory_stats` (tracked at each allocation); 0 without CUDA."""
    if not is_available():
        return 0
    index = _index(device, "cuda.max_memory_allocated")
    now = memory_allocated(index)
    return max(now, _peak_tracker().peak.get(index, 0))


def max_memory_reserved(device=None) -> int:
    """The peak of :func:`memory_reserved` (glassnet tracks it at each allocation)."""
    if not is_available():
        return 0
    index = _index(device, "cuda.max_memory_reserved")
    return max(memory_reserved(index), _peak_tracker().peak_reserved.get(index, 0))


def reset_peak_memory_stats(device=None) -> None:
    """Restart the peaks of :func:`max_memory_allocated` / :func:`max_memory_reserved`
    from the current values."""
    if not is_available():
        return
    index = _index(device, "cuda.reset_peak_memory_stats")
    tracker = _peak_tracker()
    tracker.peak[index] = memory_allocated(index)
    tracker.peak_reserved[index] = memory_reserved(index)


def empty_cache() -> None:
    """Return the cached, unused blocks of CuPy's pools to the driver."""
    if not is_available():
        return
    cp = _cuda().require("cuda.empty_cache")
    cp.get_default_memory_pool().free_all_blocks()
    cp.get_default_pinned_memory_pool().free_all_blocks()


def _peak_tracker():
    """The allocation-peak recorder of the CUDA backend (see ``backend._PeakTracker``)."""
    return _cuda().tracker
