"""``torch.backends.mps``: Apple's Metal backend is not part of glassnet."""
from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """False: glassnet has no MPS backend."""
    return False


def is_built() -> bool:
    """False: glassnet was not built with MPS."""
    return False
