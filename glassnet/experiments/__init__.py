"""One-command reproductions of the classic phenomena of deep learning.

Each experiment is a module of this package with three names:

- ``NAME``: the command-line name (``glassnet experiment NAME``);
- ``SUMMARY``: one line for ``glassnet experiment --list``;
- ``run(ctx) -> dict``: runs it with a :class:`~glassnet.experiments._context.Context`
  (output folder, ``quick`` flag, seed, data, progress, figure saving) and returns the
  measured numbers (JSON-able); ``ctx.finish(results, findings)`` writes
  ``results.json`` and ``README.md``.

:data:`EXPERIMENTS` lists the modules in the order ``--list`` and ``all`` use.
"""
from __future__ import annotations

import importlib

__all__ = ["EXPERIMENTS", "get", "names"]

# name -> module (relative to this package)
EXPERIMENTS = {
    "init": "init",
    "vanishing-gradients": "vanishing_gradients",
    "degradation": "degradation",
    "shattered-gradients": "shattered_gradients",
    "optimizers": "optimizers",
    "normalization": "normalization",
    "regularization": "regularization",
    "activations": "activations",
    "batch-size": "batch_size",
    "conv-arithmetic": "conv_arithmetic",
    "edges": "edges",
    "transfer": "transfer",
    "sequences": "sequences",
    "compression": "compression",
    "style-transfer": "style_transfer",
    "detection": "detection",
}


def names() -> list:
    """Names of the experiments whose module exists, in :data:`EXPERIMENTS` order."""
    out = []
    for name, mod in EXPERIMENTS.items():
        if importlib.util.find_spec(f"{__name__}.{mod}") is not None:
            out.append(name)
    return out


def get(name: str):
    """The module of experiment ``name``; ValueError naming the known ones otherwise."""
    if name not in EXPERIMENTS or name not in names():
        raise ValueError(f"glassnet experiment: unknown experiment {name!r}; expected one "
                         f"of {', '.join(names())}")
    return importlib.import_module(f"{__name__}.{EXPERIMENTS[name]}")
