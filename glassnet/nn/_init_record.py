"""Recording of each Module's constructor arguments, used by ``glassnet.save(model)``
to rebuild a whole module without pickle (see :mod:`glassnet._module_tree`).

``Module.__init_subclass__`` wraps every subclass's ``__init__`` with
:func:`_recording_init`.  Only the outermost call records, so ``LazyLinear(3)`` records
``(LazyLinear, (3,), {})`` and not the ``Linear.__init__(0, 3, False)`` it makes through
``super()``.
"""
from __future__ import annotations

import functools


def _recording_init(init):
    """Wrap a subclass's ``__init__`` so that the outermost call (not the ``super()``
    chain) records ``(class, args, kwargs)`` in ``_init_args``, which
    ``glassnet.save(model)`` stores to rebuild the module without pickle."""
    @functools.wraps(init)
    def __init__(self, *args, **kwargs):
        if "_init_args" in self.__dict__:
            return init(self, *args, **kwargs)
        object.__setattr__(self, "_init_args", None)
        try:
            init(self, *args, **kwargs)
        except BaseException:
            self.__dict__.pop("_init_args", None)
            raise
        where = _device_argument(init, args, kwargs)
        if where is not None:
            # NOTE: the record leaves the device out: a saved module is rebuilt on the
            # CPU, and load() places its tensors (where they were saved, or map_location).
            args, kwargs = _without_device(init, args, kwargs)
        object.__setattr__(self, "_init_args", (type(self), args, kwargs))
        if where is not None:
            _place_on(self, where)
    __init__._records_init_args = True
    return __init__


_DEVICE_POSITION: dict = {}


def _device_argument(init, args, kwargs):
    """The ``device=`` a layer was constructed with (torch's factory keyword), if any."""
    if "device" in kwargs:
        return kwargs["device"]
    if init not in _DEVICE_POSITION:
        import inspect

        names = list(inspect.signature(init).parameters)[1:]  # without self
        _DEVICE_POSITION[init] = names.index("device") if "device" in names else None
    pos = _DEVICE_POSITION[init]
    return args[pos] if pos is not None and len(args) > pos else None


def _without_device(init, args, kwargs):
    """``(args, kwargs)`` with the ``device`` argument removed (or None if positional)."""
    kwargs = {k: v for k, v in kwargs.items() if k != "device"}
    pos = _DEVICE_POSITION.get(init)
    if pos is not None and len(args) > pos:
        args = args[:pos] + (None,) + args[pos + 1:]
    return args, kwargs


def _place_on(module, where) -> None:
    """Move a new layer's parameters and buffers to a non-CPU ``device=`` (they are built
    in host memory, as torch's factory keywords promise them on the device)."""
    from glassnet.backend import device
    from glassnet.nn._placement import place_module

    if isinstance(where, (str, int, device)) and device(where).type != "cpu":
        place_module(module, None, where, type(module).__name__)
