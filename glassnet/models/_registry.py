"""The model registry: ``register_model``, ``list_models``, ``get_model``."""
from __future__ import annotations

import difflib
import importlib

__all__ = ["register_model", "list_models", "get_model"]

# The packages whose modules register their constructors when imported.
_FAMILIES = ("glassnet.vision.models",)

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


def list_models() -> list:
    """Sorted names of every registered model constructor."""
    return sorted(registered())


def get_model(name: str, **kwargs):
    """Build the model ``name`` with constructor keyword arguments ``kwargs``."""
    models = registered()
    if name not in models:
        close = difflib.get_close_matches(name, list(models), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"get_model: unknown model {name!r}{hint} (see glassnet.models."
                         f"list_models())")
    return models[name](**kwargs)
