"""``glassnet.utils``: the ``torch.utils`` counterpart; ``glassnet.utils.data`` loads on use.

Examples
--------
>>> import glassnet as torch
>>> torch.utils.data.TensorDataset(torch.zeros(3, 2))[1][0].tolist()
[0.0, 0.0]
"""
from __future__ import annotations

__all__ = ["data", "hooks"]


def __getattr__(name):
    # Subpackages import on first use, so ``import glassnet.utils`` costs nothing.
    import importlib

    # tensorboard is lazy but not in __all__: it needs the optional 'tensorboard' package
    if name in __all__ or name == "tensorboard":
        return importlib.import_module(f"glassnet.utils.{name}")
    raise AttributeError(f"module 'glassnet.utils' has no attribute {name!r}")
