"""``glassnet.cuda``: the part of ``torch.cuda`` that device-agnostic scripts call.

glassnet computes on the CPU, so no CUDA device is ever available: a script's
``torch.device("cuda" if torch.cuda.is_available() else "cpu")`` picks the CPU, and
the seeding calls are accepted and do nothing, as in PyTorch on a machine without a GPU.
"""
from __future__ import annotations

import numpy as np

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize",
           "empty_cache"]


def is_available() -> bool:
    """Always False: glassnet tensors live on the CPU."""
    return False


def device_count() -> int:
    return 0


def _check_seed(seed, fn: str) -> None:
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"{fn}: seed must be an int, got {type(seed).__name__}")


def manual_seed(seed: int) -> None:
    """Accepted and ignored (no CUDA generator); seed with ``glassnet.manual_seed``."""
    _check_seed(seed, "cuda.manual_seed")


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored (no CUDA generator); seed with ``glassnet.manual_seed``."""
    _check_seed(seed, "cuda.manual_seed_all")


def synchronize(device=None) -> None:
    """Nothing to wait for on the CPU."""


def empty_cache() -> None:
    """No CUDA cache to free."""
