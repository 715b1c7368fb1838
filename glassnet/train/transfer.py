"""Transfer learning helpers: freeze parameters by name pattern, replace a model's head."""
from __future__ import annotations

import fnmatch

__all__ = ["freeze", "unfreeze", "replace_head", "trainable_parameters"]


def _match(name, patterns):
    return any(fnmatch.fnmatchcase(name, p) or name.startswith(p.rstrip("*").rstrip(".") + ".")
               or name == p for p in patterns)


def freeze(model, patterns) -> list:
    """Set ``requires_grad=False`` on parameters whose dotted name matches any pattern.

    Patterns are shell-style (``'features.*'``, ``'*.bn*'``) or a module prefix
    (``'layer1'`` freezes ``layer1.*``). Returns the frozen names; raises ValueError
    if a pattern matches nothing (a typo would otherwise silently train everything).
    """
    if isinstance(patterns, str):
        patterns = [p for p in patterns.split(",") if p]
    frozen = []
    for pattern in patterns:
        hits = [n for n, _ in model.named_parameters() if _match(n, [pattern])]
        if not hits:
            names = [n for n, _ in model.named_parameters()]
            raise ValueError(f"freeze: pattern {pattern!r} matches no parameter; parameter "
                             f"names look like {', '.join(names[:4])}")
        frozen += hits
    for name, p in model.named_parameters():
        if name in frozen:
            p.requires_grad_(False)
    return sorted(set(frozen))


def unfreeze(model, patterns=("*",)) -> list:
    if isinstance(patterns, str):
        patterns = [patterns]
    names = []
    for name, p in model.named_parameters():
        if _match(name, patterns):
            p.requires_grad_(True)
            names.append(name)
    return names


def trainable_parameters(model):
    """Parameters that require grad (pass these to the optimizer after freezing)."""
    return [p for p in model.parameters() if p.requires_grad]


def replace_head(model, num_classes: int, attr: str | None = None):
    """Replace the final Linear layer by a fresh one with ``num_classes`` outputs.

    ``attr`` names the layer (``'fc'``, ``'classifier.6'``); by default the last
    ``Linear`` found in ``named_modules()`` order is replaced.
    """
    from glassnet import nn

    if attr is None:
        linears = [n for n, m in model.named_modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError("replace_head: the model has no Linear layer to replace")
        attr = linears[-1]
    parent = model
    parts = attr.split(".")
    for p in parts[:-1]:
        parent = parent[int(p)] if p.isdigit() else getattr(parent, p)
    old = parent[int(parts[-1])] if parts[-1].isdigit() else getattr(parent, parts[-1])
    if not isinstance(old, nn.Linear):
        raise ValueError(f"replace_head: {attr!r} is a {type(old).__name__}, not Linear")
    new = nn.Linear(old.in_features, num_classes, bias=old.bias is not None)
    if parts[-1].isdigit():
        parent[int(parts[-1])] = new
    else:
        setattr(parent, parts[-1], new)
    return new
