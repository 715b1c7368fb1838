"""Convert a PyTorch/torchvision state_dict (or a safetensors file of one) into a
glassnet state_dict of float32 arrays, without importing torch."""
from __future__ import annotations

import numpy as np

__all__ = ["from_torch_state_dict", "load_torch_weights"]


def _to_numpy(v):
    if isinstance(v, np.ndarray):
        return v
    if hasattr(v, "detach"):  # a torch tensor passed in by the caller
        return v.detach().cpu().numpy()
    if hasattr(v, "data") and isinstance(v.data, np.ndarray):
        return v.data
    return np.asarray(v)


def from_torch_state_dict(state_dict) -> dict:
    """name -> ndarray, keys unchanged (glassnet models use torchvision's names)."""
    return {k: _to_numpy(v) for k, v in state_dict.items()}


def load_torch_weights(model, source, strict: bool = True):
    """Load ``source`` (a mapping or a ``.safetensors`` path) into ``model``.

    Keys and shapes are checked by ``Module.load_state_dict``, which names every
    missing or unexpected key and every shape mismatch.
    """
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        from safetensors.numpy import load_file

        source = load_file(str(source))
    return model.load_state_dict(from_torch_state_dict(source), strict=strict)
