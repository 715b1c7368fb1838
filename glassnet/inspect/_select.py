"""Choosing the layers that activation and gradient statistics watch."""
from __future__ import annotations

__all__ = ["select_modules", "next_sibling"]


def _is_module_type(x) -> bool:
    from glassnet.nn.module import Module

    return isinstance(x, type) and issubclass(x, Module)


def select_modules(model, layers, default, fn: str) -> list:
    """``[(name, module), ...]`` of ``model`` in definition order.

    ``layers`` is None (then ``default(name, module) -> bool`` picks), a list of module
    names (as in ``named_modules()``), or a module class / tuple of classes.
    """
    from glassnet.nn.module import Module

    if not isinstance(model, Module):
        raise TypeError(f"{fn}: model must be a glassnet.nn.Module, got {type(model).__name__}")
    named = list(model.named_modules())
    if layers is None:
        return [(n, m) for n, m in named if default(n, m)]
    if _is_module_type(layers):
        layers = (layers,)
    layers = tuple(layers)
    if all(_is_module_type(t) for t in layers):
        return [(n, m) for n, m in named if isinstance(m, layers)]
    if all(isinstance(t, str) for t in layers):
        by_name = dict(model.named_modules())
        missing = [n for n in layers if n not in by_name]
        if missing:
            raise ValueError(f"{fn}: layers {missing} are not modules of the model; expected "
                             f"names from named_modules(), e.g. "
                             f"{[n for n, _ in named[:4]]}")
        return [(n, by_name[n]) for n in layers]
    raise TypeError(f"{fn}: layers must be None, a list of module names or module classes, "
                    f"got {layers!r}")


def next_sibling(model) -> dict:
    """``id(module) -> the module after it`` inside every Sequential of ``model``."""
    from glassnet.nn.container import Sequential

    follows = {}
    for m in model.modules():
        if isinstance(m, Sequential):
            kids = list(m.children())
            for a, b in zip(kids, kids[1:]):
                follows[id(a)] = b
    return follows
