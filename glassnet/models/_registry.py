"""The model registry: ``register_model``, ``list_models``, ``get_model_builder``,
``get_model`` (torchvision's names and semantics, plus glassnet's extra models)."""
from __future__ import annotations

import difflib
import fnmatch
import importlib
import inspect

__all__ = ["register_model", "list_models", "get_model_builder", "get_model"]

# The packages whose modules register their constructors when imported.
_FAMILIES = ("glassnet.vision.models", "glassnet.vision.models.detection",
             "glassnet.models.sequence")

_MODELS: dict = {}


def register_model(fn=None, *, name: str | None = None):
    """Decorator adding a constructor to the registry under its function name."""

    def wrap(f):
        key = name or f.__name__
        if key in _MODELS and _MODELS[key] is not f:
            raise ValueError(f"register_model: a model named {key!r} is already registered")
        _MODELS[key] = f
        return f

    return wrap(fn) if fn is not None else wrap


def registered() -> dict:
    """name -> constructor of every registered model (imports every family first)."""
    for package in _FAMILIES:
        importlib.import_module(package)
    return _MODELS


def list_models(module=None, include=None, exclude=None) -> list:
    """Sorted names of the registered model constructors.

    Parameters
    ----------
    module : module, optional
        Keep only the builders defined in this package (e.g. ``glassnet.vision.models``), as
        torchvision's ``list_models(module=...)``.
    include, exclude : str or list of str, optional
        Unix shell-style patterns (``"resnet*"``) to keep or drop.
    """
    names = {k for k, v in registered().items()
             if module is None or v.__module__.rsplit(".", 1)[0] == module.__name__}
    if include is not None:
        patterns = [include] if isinstance(include, str) else include
        names = set().union(*(fnmatch.filter(names, p) for p in patterns))
    if exclude is not None:
        patterns = [exclude] if isinstance(exclude, str) else exclude
        for p in patterns:
            names -= set(fnmatch.filter(names, p))
    return sorted(names)


def get_model_builder(name: str):
    """The constructor registered as ``name`` (case-insensitive, as torchvision)."""
    models = registered()
    key = name.lower() if isinstance(name, str) and name not in models else name
    if key not in models:
        close = difflib.get_close_matches(str(name), list(models), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"get_model: unknown model {name!r}{hint} (see glassnet.models."
                         f"list_models())")
    return models[key]


def get_model(name: str, **config):
    """Build the model ``name`` with constructor keyword arguments ``config``.

    ``weights=None`` (and ``progress=``) are accepted for every model, as torchvision
    code passes them; a model without pretrained weights refuses any other ``weights``.
    """
    fn = get_model_builder(name)
    if "weights" in config and "weights" not in inspect.signature(fn).parameters:
        if config["weights"] is not None:
            raise ValueError(f"get_model: model {name!r} has no pretrained weights, got "
                             f"weights={config['weights']!r}")
        config = {k: v for k, v in config.items() if k not in ("weights", "progress")}
    return fn(**config)
