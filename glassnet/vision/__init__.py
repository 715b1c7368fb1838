"""``glassnet.vision``: the torchvision counterpart (``import glassnet.vision as torchvision``).

Subpackages, with torchvision's names: ``models`` (the model zoo), ``transforms``,
``datasets`` (MNIST, CIFAR, ImageFolder, ...), ``ops`` (boxes, NMS, RoI pooling, focal
loss, detection helpers), ``utils`` (``make_grid``, ``save_image``) and ``io`` (image
files as uint8 Tensors).  They load on first use, so ``import glassnet.vision`` stays light.
Classical computer vision with OpenCV's semantics lives in :mod:`glassnet.cv`.

Examples
--------
>>> import glassnet
>>> import glassnet.vision as torchvision
>>> torchvision.ops.box_area(glassnet.tensor([[0.0, 0.0, 2.0, 3.0]])).tolist()
[6.0]
"""
from __future__ import annotations

import importlib

__all__ = ["datasets", "io", "models", "ops", "transforms", "utils"]

_SUBMODULES = ("datasets", "io", "models", "ops", "transforms", "utils")


def __getattr__(name):
    # Subpackages import on first use (models pull in nn, transforms and datasets Pillow).
    if name in _SUBMODULES:
        return importlib.import_module(f"glassnet.vision.{name}")
    raise AttributeError(f"module 'glassnet.vision' has no attribute {name!r}")


def __dir__():
    return sorted(list(globals()) + list(_SUBMODULES))
