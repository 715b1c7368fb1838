"""Finding the torch side of the benchmark (``benchmarks/torch_reference.py``).

glassnet never imports torch: the torch models and steps live in the repository's
``benchmarks/`` folder, loaded here by file path when a run compares against torch. An
installed glassnet without that folder (or without torch) benchmarks glassnet alone.
"""
from __future__ import annotations

import importlib.util
import os

__all__ = ["load_reference", "REFERENCE_PATH"]

REFERENCE_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "benchmarks", "torch_reference.py")

_cache = {}


def load_reference():
    """``(module, None)`` with the torch reference (``module.torch`` is torch), or
    ``(None, why)`` when torch or the reference file is missing."""
    if "ref" in _cache:
        return _cache["ref"]
    if importlib.util.find_spec("torch") is None:
        result = (None, "torch is not installed: glassnet numbers only")
    elif not os.path.isfile(REFERENCE_PATH):
        result = (None, f"the torch reference {REFERENCE_PATH} is missing (it ships with a "
                        f"source checkout): glassnet numbers only")
    else:
        spec = importlib.util.spec_from_file_location("glassnet_torch_reference",
                                                      REFERENCE_PATH)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = (module, None)
    _cache["ref"] = result
    return result
