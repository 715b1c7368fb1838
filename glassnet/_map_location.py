"""Devices in checkpoints: ``glassnet.save`` writes host arrays and records where each
non-CPU tensor lived; ``glassnet.load(..., map_location=)`` places the loaded tensors with
``torch.load``'s rules.

- ``map_location=None``: every tensor goes back to the device it was saved from (a CUDA
  tensor needs CUDA: RuntimeError otherwise, as torch).
- a str, int or :class:`glassnet.device`: every tensor goes there (``"cpu"``).
- a dict ``{saved location: new location}`` (``{"cuda:1": "cuda:0"}``): tensors saved on
  a listed location are moved, the others go back where they were saved.
- a callable ``f(tensor, location)``: ``tensor`` is the loaded host tensor and
  ``location`` its saved location (``"cpu"``, ``"cuda:0"``); ``f`` returns the tensor to
  use (for example ``tensor.cuda(1)``) or None for the saved location.
"""
from __future__ import annotations

import json

from glassnet.backend import device, device_of, to_device, to_host

DEVICES_KEY = "glassnet.devices"  # metadata: JSON {tensor name: saved location}


def host_tensors(tensors: dict, metadata: dict):
    """``(tensors with host arrays, metadata recording the non-CPU locations)``."""
    locations = {}
    host = {}
    for name, arr in tensors.items():
        where = device_of(arr)
        if where.type != "cpu":
            locations[name] = str(where)
            arr = to_host(arr)
        host[name] = arr
    if not locations:
        return tensors, metadata
    return host, {**metadata, DEVICES_KEY: json.dumps(locations, separators=(",", ":"))}


def check_map_location(map_location) -> None:
    """TypeError/ValueError for a ``map_location`` that ``load`` does not understand."""
    if map_location is None or callable(map_location):
        return
    if isinstance(map_location, dict):
        for k, v in map_location.items():
            for what, loc in (("key", k), ("value", v)):
                if not isinstance(loc, (str, device)):
                    raise TypeError(f"load: map_location dict {what}s must be device "
                                    f"strings or glassnet.device, got "
                                    f"{type(loc).__name__} {loc!r}")
                device(loc)
        return
    if isinstance(map_location, bool) or not isinstance(map_location, (str, int, device)):
        raise TypeError(f"load: map_location must be None, a device (str, int or "
                        f"glassnet.device), a dict or a callable, got "
                        f"{type(map_location).__name__} {map_location!r}")
    device(map_location)


def saved_locations(tensors: dict, metadata: dict, path, obj=None) -> dict:
    """``{id(host array): saved location}`` for the arrays of a loaded file; for a loaded
    Module ``obj``, the arrays of its parameters and buffers (copied from the file's
    tensors, which are named by the module's state-dict keys)."""
    raw = metadata.get(DEVICES_KEY)
    if raw is None:
        return {}
    try:
        by_name = json.loads(raw)
    except ValueError as e:
        raise ValueError(f"load: {path}: the {DEVICES_KEY!r} metadata is not valid JSON "
                         f"({e})") from None
    if not isinstance(by_name, dict):
        raise ValueError(f"load: {path}: the {DEVICES_KEY!r} metadata must map tensor "
                         f"names to devices, got {type(by_name).__name__}")
    arrays = {name: t for name, t in tensors.items()}
    state_dict = getattr(obj, "state_dict", None)
    if callable(state_dict):
        arrays.update((k, v._data) for k, v in state_dict(keep_vars=True).items())
    out = {}
    for name, loc in by_name.items():
        if name in arrays and isinstance(loc, str):
            out[id(arrays[name])] = str(device(loc))
    return out


def relocate(obj, locations: dict, map_location):
    """Move every Tensor inside ``obj`` (a Tensor, Module, dict, list or tuple, nested)
    in place to the device ``map_location`` picks; returns ``obj``."""
    from glassnet._tensor_base import TensorBase
    from glassnet.nn import Module

    if map_location is None and not locations:
        return obj  # all saved on the CPU, loaded there
    moved = {}  # id(source array) -> placed array: tensors that shared an array still do

    def place(t):
        src = t._data
        if id(src) not in moved:
            moved[id(src)] = _target_array(t, locations.get(id(src), "cpu"), map_location)
        t._data = moved[id(src)]

    seen = set()
    stack = [obj]
    while stack:
        o = stack.pop()
        if id(o) in seen:
            continue
        seen.add(id(o))
        if isinstance(o, TensorBase):
            place(o)
            if o.grad is not None:
                stack.append(o.grad)
        elif isinstance(o, Module):
            for m in o.modules():
                stack.extend(t for t in m._parameters.values() if t is not None)
                stack.extend(t for t in m._buffers.values() if t is not None)
        elif isinstance(o, dict):
            stack.extend(o.values())
        elif isinstance(o, (list, tuple)):
            stack.extend(o)
    return obj


def _target_array(t, location: str, map_location):
    """The array of loaded host tensor ``t`` (saved on ``location``) where it belongs."""
    if callable(map_location) and not isinstance(map_location, device):
        out = map_location(t, location)
        if out is None:
            return _to(t._data, location)
        data = getattr(out, "_data", None)
        if data is None:
            raise TypeError(f"load: map_location(tensor, {location!r}) must return a Tensor "
                            f"or None, got {type(out).__name__}")
        return data
    if isinstance(map_location, dict):
        table = {str(device(k)): v for k, v in map_location.items()}
        return _to(t._data, table.get(location, location))
    if map_location is not None:
        return _to(t._data, map_location)
    return _to(t._data, location)


def _to(array, where):
    dev = device(where)
    if dev.type == "cuda":
        from glassnet.backend import device_backend

        backend = device_backend("cuda", "load")
        if not backend.is_available():
            raise RuntimeError(
                "load: attempting to deserialize a tensor saved on a CUDA device but "
                "glassnet.cuda.is_available() is False. If you are running on a CPU-only "
                "machine, use glassnet.load(..., map_location='cpu') to map the tensors "
                "to the CPU")
    return to_device(array, dev, "load")
