"""``glassnet.models``: every model constructor of glassnet, by name.

``list_models()`` names every registered constructor, ``get_model(name, **kwargs)``
builds one and ``register_model`` adds one; the CLI (``glassnet train --model NAME``)
goes through them.  The constructors themselves live with their domain (the vision
models in :mod:`glassnet.vision.models`, torchvision's counterpart) and are re-exported
here by name, so ``glassnet.models.resnet20(num_classes=10)`` works; they load on first
use, so ``import glassnet.models`` stays light.

Examples
--------
>>> import glassnet.models
>>> "resnet18" in glassnet.models.list_models()
True
>>> glassnet.models.get_model("lenet5").__class__.__name__
'LeNet5'
"""
from glassnet.models._registry import get_model, get_model_builder, list_models, register_model

__all__ = ["get_model", "get_model_builder", "list_models", "register_model"]


def __getattr__(name):
    # A registered constructor, by name (importing the model families on first use).
    from glassnet.models import _registry

    fn = _registry.registered().get(name)
    if fn is None:
        raise AttributeError(f"module 'glassnet.models' has no attribute {name!r} (the "
                             f"registered models are listed by glassnet.models.list_models())")
    return fn


def __dir__():
    from glassnet.models import _registry

    return sorted(set(globals()) | set(_registry.registered()))
