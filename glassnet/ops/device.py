"""Moving a tensor between devices as a differentiable op: ``ToDevice``, behind
``Tensor.to(device)``, ``.cuda()`` and ``.cpu()``.

The copy is recorded by autograd as torch's ``ToCopyBackward``: the gradient flows back
to the device the tensor came from.
"""
from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import device_of, resolve_device, to_device as _move

__all__ = ["to_device"]


class ToDevice(Function):
    """Copy the input to ``device``; the gradient is copied back to the input's device."""

    def forward(self, x, device):
        self.source = device_of(x)
        return _move(x, device, "Tensor.to")

    def backward(self, grad_out):
        return (_move(grad_out, self.source, "Tensor.to (backward)"),)


def to_device(input, device, fn: str = "Tensor.to"):
    """``input`` on ``device``: ``input`` itself when it is there already, else a copy
    recorded by autograd."""
    dst = resolve_device(device, fn)
    if device_of(input._data) == dst:
        return input
    return ToDevice.apply(input, device=dst)
