"""``torch.backends.cudnn`` flags: accepted, no effect (glassnet has no cuDNN)."""
from __future__ import annotations

__all__ = ["is_available", "version", "enabled", "benchmark", "deterministic", "allow_tf32"]

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: glassnet does not use cuDNN."""
    return False


def version():
    """None: no cuDNN library is loaded."""
    return None
