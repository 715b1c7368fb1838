"""Per-sample random streams for data augmentation.

Random transforms draw their numbers from :func:`get_sample_generator`.  Outside a
:class:`~glassnet.utils.data.DataLoader` that is glassnet's default generator, so
``glassnet.manual_seed`` makes a pipeline reproducible.  Inside a loader, the loader
wraps every ``dataset[i]`` call in :func:`sample_generator`, which installs a
generator keyed by ``(base_seed, position)``: ``base_seed`` is drawn once per epoch
from the loader's generator and ``position`` is the sample's place in the epoch's
order.  The augmentation of a sample therefore depends only on the seed and on where
the sample sits in the epoch, never on which worker thread ran it or when, so
``num_workers=0`` and ``num_workers=2`` give identical batches and an interrupted
epoch can be resumed exactly.

The per-sample generator is a counter-based Philox generator (Salmon et al., "Parallel
random numbers: as easy as 1, 2, 3", SC 2011, doi:10.1145/2063384.2063405) whose
128-bit key is ``(base_seed, position)``: distinct keys give independent streams, and
setting a key costs a few microseconds, so one generator per thread is re-keyed per
sample instead of constructing a new one.
"""
from __future__ import annotations

import contextlib
import contextvars
import threading

import numpy as np

from glassnet.backend import default_generator

__all__ = ["get_sample_generator", "sample_generator", "call_with_sample_key"]

# The key of the sample being loaded in this thread/context, or None outside a loader.
_CURRENT = contextvars.ContextVar("glassnet_sample_key", default=None)
_THREAD = threading.local()
_MASK64 = (1 << 64) - 1


class _SampleKey:
    """The ``(base_seed, position)`` key of one sample; keys the generator lazily."""

    __slots__ = ("seed", "position", "generator")

    def __init__(self, seed: int, position: int):
        self.seed = int(seed) & _MASK64
        self.position = int(position) & _MASK64
        self.generator = None

    def get(self) -> np.random.Generator:
        if self.generator is None:
            if getattr(_THREAD, "owner", None) is not None:
                # NOTE: an enclosing sample in this thread is still using the shared
                # generator (nested sample_generator blocks); give this key its own.
                self.generator = np.random.Generator(
                    np.random.Philox(key=self.seed | (self.position << 64)))
                return self.generator
            self.generator = _rekeyed_thread_generator(self.seed, self.position)
            _THREAD.owner = self
        return self.generator

    def release(self) -> None:
        if getattr(_THREAD, "owner", None) is self:
            _THREAD.owner = None


def _rekeyed_thread_generator(seed: int, position: int) -> np.random.Generator:
    """This thread's Philox generator, re-keyed to ``(seed, position)``, counter 0."""
    cached = getattr(_THREAD, "philox", None)
    if cached is None:
        bit_generator = np.random.Philox(0)
        state = bit_generator.state
        state["state"]["counter"] = np.zeros(4, np.uint64)
        state["state"]["key"] = np.zeros(2, np.uint64)
        cached = (bit_generator, np.random.Generator(bit_generator), state)
        _THREAD.philox = cached
    bit_generator, generator, state = cached
    # Philox's key words are (low, high) = (seed, position); equal to
    # Philox(key=seed | position << 64), as used for nested samples above.  The setter
    # copies the values, so one state dict is reused; buffer_pos=4 empties the buffer.
    state["state"]["key"][0] = seed
    state["state"]["key"][1] = position
    state["buffer_pos"] = 4
    state["has_uint32"] = 0
    bit_generator.state = state
    return generator


def get_sample_generator() -> np.random.Generator:
    """Return the generator random transforms should draw from.

    Inside a :class:`~glassnet.utils.data.DataLoader` (or a :func:`sample_generator` block)
    this is the current sample's own stream; elsewhere it is
    ``glassnet.backend.default_generator()``.

    Returns
    -------
    numpy.random.Generator
    """
    key = _CURRENT.get()
    if key is None:
        return default_generator()
    return key.get()


@contextlib.contextmanager
def sample_generator(seed: int, position: int = 0):
    """Make random transforms draw from the stream keyed by ``(seed, position)``.

    This is what the DataLoader wraps around each ``dataset[i]`` call; use it directly
    to reproduce the augmentation a loader gave to one sample.

    Parameters
    ----------
    seed : int
        The epoch's base seed (any int; taken modulo 2**64).
    position : int
        The sample's position in the epoch's order.

    Yields
    ------
    numpy.random.Generator
        The sample's generator (created lazily; drawing from it advances it).

    Examples
    --------
    >>> from glassnet.utils.data import get_sample_generator, sample_generator
    >>> with sample_generator(1234, 5):
    ...     a = get_sample_generator().random()
    >>> with sample_generator(1234, 5):
    ...     b = get_sample_generator().random()
    >>> a == b
    True
    """
    key = _SampleKey(seed, position)
    token = _CURRENT.set(key)
    try:
        yield _LazyGenerator(key)
    finally:
        key.release()
        _CURRENT.reset(token)


class _LazyGenerator:
    """Proxy that keys the sample generator on first use (most samples never need one)."""

    __slots__ = ("_key",)

    def __init__(self, key: _SampleKey):
        self._key = key

    def __getattr__(self, name):
        return getattr(self._key.get(), name)


def call_with_sample_key(seed: int, position: int, fn, *args):
    """Call ``fn(*args)`` with the sample stream ``(seed, position)`` installed.

    The loader's fast path: :func:`sample_generator` without the context-manager
    overhead.
    """
    key = _SampleKey(seed, position)
    token = _CURRENT.set(key)
    try:
        return fn(*args)
    finally:
        key.release()
        _CURRENT.reset(token)
