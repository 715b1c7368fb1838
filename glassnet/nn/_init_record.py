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
        object.__setattr__(self, "_init_args", (type(self), args, kwargs))
    __init__._records_init_args = True
    return __init__
