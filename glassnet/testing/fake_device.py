"""A fake CUDA device for tests on machines without a GPU.

``with fake_cuda(device_count=2):`` replaces the CuPy backend of the ``"cuda"`` device
type by one whose "device arrays" are host arrays of a NumPy subclass,
:class:`FakeCudaArray`, that carry a device ordinal.  Everything glassnet decides about
devices (``Tensor.device``, ``.to("cuda:1")``, ``.cuda()``, ``device=`` on factories,
``Module.to``, the same-device check of every op, checkpoint ``map_location``) then runs
as it would on a GPU, so it can be tested in CI; the arithmetic is NumPy's, so only ops
whose results keep the subclass (elementwise, matmul) stay "on the device".
"""
from __future__ import annotations

import contextlib

import numpy as np

from glassnet import backend

__all__ = ["FakeCudaArray", "FakeCuda", "fake_cuda"]


class FakeCudaArray(np.ndarray):
    """A host array that glassnet takes for an array on CUDA device ``device_index``."""

    device_index = 0

    def __array_finalize__(self, obj):
        self.device_index = getattr(obj, "device_index", 0)


class FakeCuda:
    """The fake ``"cuda"`` backend: ``device_count`` devices, moves recorded in
    ``moves`` as ``(source, destination)`` device strings."""

    type = "cuda"

    def __init__(self, device_count: int = 2):
        self.count = device_count
        self.current = 0
        self.moves = []
        self.tracker = None

    def is_available(self) -> bool:
        return self.count > 0

    def device_count(self) -> int:
        return self.count

    def require(self, fn: str):
        if self.count < 1:
            raise RuntimeError(f"{fn}: CUDA is not available: the fake CUDA backend has "
                               f"no device")
        return np

    def current_index(self, fn: str) -> int:
        self.require(fn)
        return self.current

    def owns(self, array) -> bool:
        return isinstance(array, FakeCudaArray)

    def index_of(self, array) -> int:
        return int(array.device_index)

    def _on(self, array, index: int) -> FakeCudaArray:
        out = np.array(array, copy=True).view(FakeCudaArray)
        out.device_index = index
        return out

    def from_host(self, array, index: int, fn: str) -> FakeCudaArray:
        self.require(fn)
        self.moves.append(("cpu", f"cuda:{index}"))
        return self._on(array, index)

    def to_host(self, array) -> np.ndarray:
        self.moves.append((f"cuda:{array.device_index}", "cpu"))
        return np.array(array.view(np.ndarray), copy=True)

    def move(self, array, index: int, fn: str) -> FakeCudaArray:
        self.moves.append((f"cuda:{array.device_index}", f"cuda:{index}"))
        return self._on(array.view(np.ndarray), index)


@contextlib.contextmanager
def fake_cuda(device_count: int = 2):
    """Run the block with :class:`FakeCuda` as the CUDA backend; yields it."""
    fake = FakeCuda(device_count)
    saved = backend._BACKENDS["cuda"]
    backend._BACKENDS["cuda"] = fake
    try:
        yield fake
    finally:
        backend._BACKENDS["cuda"] = saved
