"""The model registry: ``register_model``, ``list_models``, ``get_model``."""
from __future__ import annotations

import difflib

__all__ = ["register_model", "list_models", "get_model"]

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


def list_models() -> list:
    """Sorted names of every registered model constructor."""
    import glassnet.models  # noqa: F401  (imports every family)

    return sorted(_MODELS)


def get_model(name: str, **kwargs):
    """Build the model ``name`` with constructor keyword arguments ``kwargs``."""
    import glassnet.models  # noqa: F401

    if name not in _MODELS:
        close = difflib.get_close_matches(name, list(_MODELS), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ValueError(f"get_model: unknown model {name!r}{hint} (see glassnet.models."
                         f"list_models())")
    return _MODELS[name](**kwargs)
