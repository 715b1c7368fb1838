"""``Module.to`` / ``.cuda()`` / ``.cpu()`` / ``.double()``: moving and casting a module's
parameters and buffers in place (torch's ``Module._apply``)."""
from __future__ import annotations

import itertools

from glassnet.backend import FLOAT_DTYPES, resolve_device, to_device, to_dtype
from glassnet.nn.parameter import is_lazy


def place_module(module, dtype, where, fn: str):
    """Cast the floating parameters and buffers of ``module`` (and its submodules) to
    ``dtype`` and move all of them, with their ``.grad``, to device ``where``, in place
    (either may be None).  Returns ``module``."""
    dtype = to_dtype(dtype)
    if dtype is not None and dtype not in FLOAT_DTYPES:
        raise TypeError(f"{fn}: only floating point dtypes are accepted, got {dtype}")
    if where is not None:
        where = resolve_device(where, fn)
    for m in module.modules():
        for t in itertools.chain(m._parameters.values(), m._buffers.values()):
            if t is None:
                continue
            if is_lazy(t):
                if dtype is not None:
                    t._set_lazy_dtype(dtype)
                continue
            # NOTE: assign the array so that Parameter objects keep their identity (an
            # optimizer created before .to() still holds the same objects), as torch.
            t._data = _converted(t._data, dtype, where, fn)
            if t.grad is not None:
                t.grad._data = _converted(t.grad._data, dtype, where, fn)
    return module


def _converted(array, dtype, where, fn: str):
    """``array`` on device ``where`` (if given) with floating dtype ``dtype`` (if given and
    the array is floating)."""
    if where is not None:
        array = to_device(array, where, fn)
    if dtype is not None and array.dtype in FLOAT_DTYPES and array.dtype != dtype:
        array = array.astype(dtype)
    return array
