"""``glassnet.accelerator``: torch's device-agnostic accelerator API (``torch.accelerator``).

glassnet computes on the CPU (a GPU backend through CuPy is a later step), so there is
no accelerator: ``torch.accelerator.current_accelerator() if
torch.accelerator.is_available() else torch.device("cpu")`` picks the CPU, as PyTorch
does on a machine without one.
"""
from __future__ import annotations

__all__ = ["is_available", "current_accelerator", "device_count", "synchronize"]


def is_available() -> bool:
    """False: no accelerator is available to glassnet."""
    return False


def current_accelerator(check_available: bool = False):
    """The accelerator device type, or None when there is none (always None here)."""
    return None


def device_count() -> int:
    """The number of accelerator devices: 0."""
    return 0


def synchronize(device=None) -> None:
    """Wait for the accelerator's queued work: nothing is queued on the CPU."""
