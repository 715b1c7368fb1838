"""``glassnet.accelerator``: torch's device-agnostic accelerator API (``torch.accelerator``).

The accelerator is CUDA through CuPy when :func:`glassnet.cuda.is_available`; otherwise
there is none and ``torch.accelerator.current_accelerator() if
torch.accelerator.is_available() else torch.device("cpu")`` picks the CPU, as PyTorch
does on a machine without one.
"""
from __future__ import annotations

__all__ = ["is_available", "current_accelerator", "device_count", "synchronize"]


def is_available() -> bool:
    """True when a CUDA device is usable (CuPy installed and a GPU present)."""
    from glassnet import cuda

    return cuda.is_available()


def current_accelerator(check_available: bool = False):
    """``device(type='cuda')`` when CUDA is available, else None."""
    from glassnet.backend import device

    return device("cuda") if is_available() else None


def device_count() -> int:
    """The number of accelerator devices (CUDA devices; 0 without one)."""
    from glassnet import cuda

    return cuda.device_count()


def synchronize(device=None) -> None:
    """Wait for the accelerator's queued work (nothing to wait for without one)."""
    from glassnet import cuda

    cuda.synchronize(device)
