"""Convert a PyTorch/torchvision state_dict (a mapping, a ``.pth`` file written by
``torch.save``, or a safetensors file) into a glassnet state_dict of arrays, without
importing torch and without running code from the file."""
from __future__ import annotations

import os
from collections.abc import Mapping

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


def _is_torch_checkpoint(path) -> bool:
    """Whether ``path`` looks like a ``torch.save`` file (zip or legacy pickle)."""
    if str(path).endswith(".safetensors"):
        return False
    with open(path, "rb") as f:
        head = f.read(4)
    return head == b"PK\x03\x04" or head[:1] == b"\x80"


def load_torch_weights(model, source, strict: bool = True):
    """Load ``source`` into ``model``: a mapping, a ``.pth``/``.pt`` path (read by
    :func:`glassnet._pth.load_pth`, which executes nothing from the file) or a
    ``.safetensors`` path.

    Keys and shapes are checked by ``Module.load_state_dict``, which names every
    missing or unexpected key and every shape mismatch.
    """
    if isinstance(source, (str, bytes)) or hasattr(source, "__fspath__"):
        path = os.fsdecode(source)
        if _is_torch_checkpoint(path):
            from glassnet._pth import load_pth

            source = load_pth(path)
            if not isinstance(source, Mapping):
                raise ValueError(f"load_torch_weights: {path} holds a "
                                 f"{type(source).__name__}, expected a state_dict mapping")
        else:
            from safetensors.numpy import load_file

            source = load_file(path)
    return model.load_state_dict(from_torch_state_dict(source), strict=strict)
