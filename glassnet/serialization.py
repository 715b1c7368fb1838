"""``glassnet.save`` / ``glassnet.load``: checkpoints as safetensors files, never pickle.

File format
-----------
Every file is a standard safetensors file (https://github.com/huggingface/safetensors),
written and read here with NumPy alone:

- 8 bytes: ``N``, the header length, unsigned little-endian;
- ``N`` bytes: a UTF-8 JSON header, padded with spaces to a multiple of 8, mapping each
  tensor name to ``{"dtype": "F32", "shape": [...], "data_offsets": [begin, end]}``
  plus an optional ``"__metadata__"`` map of strings to strings;
- the raw little-endian bytes of the tensors, back to back, in the header's order.

A **state dict** (a mapping of ``str`` to Tensor or ndarray, e.g.
``model.state_dict()``) is stored as exactly those tensors under exactly those names,
with metadata ``{"format": "pt"}``: ``safetensors.torch.load_file`` reads it as a
PyTorch state dict, and a file written by ``safetensors.torch.save_file`` loads here
as an ``OrderedDict`` of name -> Tensor.

**Any other object** (a training checkpoint such as ``{"model": ..., "optimizer":
..., "epoch": 3, "rng": np.random.default_rng().bit_generator.state}``) is split in
two.  Its arrays go into the safetensors body under flattened keys
(``"model.conv1.weight"``, ``"optimizer.state.0.exp_avg"``; a suffix ``~1``, ``~2``
... makes a key unique).  Everything else is the JSON document in
``__metadata__["glassnet.structure"]``, where each value is encoded as:

==========================  =================================================
Python value                JSON node
==========================  =================================================
None, bool, int, str        the JSON literal (ints of any size)
float                       a JSON number; ``{"$float": "nan" | "inf" | "-inf"}``
list                        a JSON array of nodes
tuple                       ``{"$tuple": [nodes]}``
dict / OrderedDict          ``{"$dict": [[key, value], ...]}`` / ``{"$odict": ...}``
                            (keys are nodes too, so int keys survive)
glassnet Tensor             ``{"$tensor": "<safetensors key>"}``
numpy ndarray               ``{"$ndarray": "<safetensors key>"}``
numpy scalar                ``{"$npscalar": "<safetensors key>"}`` (0-d array)
==========================  =================================================

A JSON object is always one of these tags, so user strings can never be mistaken
for structure.  ``load`` rebuilds the object with the same container types; arrays
saved as Tensors come back as Tensors and ndarrays as ndarrays.

A **Module** (``glassnet.save(model, f)``) is stored as its state dict plus a JSON
description of the module tree in ``__metadata__["glassnet.module"]``: each module's
class path, the constructor arguments it was built with, its children, parameter
names and ``training`` flag (see :mod:`glassnet._module_tree`).  ``glassnet.load``
rebuilds it only from an allow-list: glassnet's own Module classes and the classes
registered with :func:`add_safe_globals` (or inside ``with safe_globals([...])``), the
names torch uses for its ``weights_only`` allow-list.  A class path is checked against
the allow-list before anything is imported, and nothing is ever unpickled.

Safety: writes are atomic (a temporary file in the target's directory, flushed and
fsync'ed, then ``os.replace``), so a crash leaves either the old file or the new one.
A truncated or corrupt file raises ``ValueError`` naming the file.
"""
from __future__ import annotations

import contextlib
import json
import math
import os
import stat
import struct
import tempfile
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from glassnet.tensor import Tensor
from glassnet._map_location import check_map_location, host_tensors, relocate, saved_locations

__all__ = ["save", "load", "ModuleSerializationError", "add_safe_globals", "get_safe_globals",
           "clear_safe_globals", "safe_globals"]

_STRUCTURE_KEY = "glassnet.structure"
_FORMAT_VERSION = "1"

_DTYPES = {
    "F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
    "I8": "i1", "U64": "<u8", "U32": "<u4", "U16": "<u2", "U8": "u1", "BOOL": "?",
}
_CODES = {(np.dtype(v).kind, np.dtype(v).itemsize): k for k, v in _DTYPES.items()}


# ---------------------------------------------------------------------------
# Raw safetensors reading and writing
# ---------------------------------------------------------------------------
def _dtype_code(arr: np.ndarray, where: str) -> str:
    code = _CODES.get((arr.dtype.kind, arr.dtype.itemsize))
    if code is None:
        raise TypeError(f"save: unsupported dtype {arr.dtype} for {where!r}; supported: "
                        f"float16/32/64, int8/16/32/64, uint8/16/32/64, bool")
    return code


def _write(f, tensors: dict, metadata: dict) -> None:
    """Write ``tensors`` (name -> ndarray) and ``metadata`` in safetensors layout."""
    tensors, metadata = host_tensors(tensors, metadata)  # device arrays: host copies
    header = {"__metadata__": metadata} if metadata else {}
    arrays, offset = [], 0
    for name, arr in tensors.items():
        code = _dtype_code(arr, name)
        # NOTE: not np.ascontiguousarray, which turns a 0-d array into shape (1,).
        arr = np.asarray(arr, dtype=np.dtype(_DTYPES[code]))
        if not arr.flags.c_contiguous:
            arr = arr.copy(order="C")
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + arr.nbytes]}
        offset += arr.nbytes
        arrays.append(arr)
    raw = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    f.write(struct.pack("<Q", len(raw)))
    f.write(raw)
    for arr in arrays:
        f.write(arr.reshape(-1).view(np.uint8).data)


def _corrupt(path, why: str) -> ValueError:
    return ValueError(f"load: {path} is not a valid safetensors file (truncated or "
                      f"corrupt): {why}")


def _int_list(v) -> bool:
    # NOTE: JSON true/false arrive as bool, a subclass of int: refused, as safetensors does
    return isinstance(v, list) and all(isinstance(x, int) and not isinstance(x, bool)
                                       for x in v)


def _short(v) -> str:
    r = repr(v)
    return r if len(r) <= 80 else r[:77] + "..."


def _bf16_to_f32(raw: np.ndarray) -> np.ndarray:
    # NOTE: NumPy has no bfloat16; a bfloat16 is the top 16 bits of a float32.
    return (raw.astype(np.uint32) << 16).view(np.float32)


def _read(path, f=None):
    """Return ``(OrderedDict name -> ndarray in file order, metadata dict)``, reading
    ``path`` (or the binary file object ``f``, ``path`` naming it in errors)."""
    if f is None:
        try:
            st = os.stat(path)
        except OSError:
            st = None  # open() below raises the usual FileNotFoundError/PermissionError
        if st is not None and not stat.S_ISREG(st.st_mode):
            raise ValueError(f"load: {path} is not a regular file (a device, FIFO, socket "
                             f"or folder); expected a safetensors file")
        with open(path, "rb") as fh:
            buf = bytearray(fh.read())
    else:
        buf = bytearray(f.read())
    if len(buf) < 8:
        raise _corrupt(path, f"the file has {len(buf)} bytes, fewer than the 8-byte header "
                             f"length")
    (n,) = struct.unpack("<Q", bytes(buf[:8]))
    if n > len(buf) - 8:
        raise _corrupt(path, f"the header length is {n} bytes but only {len(buf) - 8} "
                             f"bytes follow")
    try:
        header = json.loads(bytes(buf[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _corrupt(path, f"the header is not valid JSON ({e})") from None
    except RecursionError:
        raise _corrupt(path, "the header is nested too deeply") from None
    if not isinstance(header, dict):
        raise _corrupt(path, "the header is not a JSON object")
    metadata = header.pop("__metadata__", None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise _corrupt(path, "__metadata__ must map strings to strings")
    data_start = 8 + n
    data_len = len(buf) - data_start
    entries = []
    for name, info in header.items():
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= set(info):
            raise _corrupt(path, f"bad header entry for {name!r}: expected an object with "
                                 f"dtype, shape and data_offsets, got {_short(info)}")
        code, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
        if not _int_list(shape):
            raise _corrupt(path, f"the shape of {name!r} must be a list of integers, got "
                                 f"{_short(shape)}")
        if not _int_list(offsets) or len(offsets) != 2:
            raise _corrupt(path, f"the data_offsets of {name!r} must be two integers, got "
                                 f"{_short(offsets)}")
        begin, end = offsets
        if not isinstance(code, str) or (code not in _DTYPES and code != "BF16"):
            raise _corrupt(path, f"unsupported dtype {code!r} for {name!r}")
        itemsize = 2 if code == "BF16" else np.dtype(_DTYPES[code]).itemsize
        count = math.prod(shape)
        if any(s < 0 for s in shape) or end - begin != count * itemsize:
            raise _corrupt(path, f"tensor {name!r} of shape {shape} and dtype {code} does "
                                 f"not match its data_offsets [{begin}, {end}]")
        entries.append((begin, end, name, code, shape))
    entries.sort(key=lambda e: e[0])
    expected = 0
    for begin, end, name, _, _ in entries:
        if begin != expected:
            raise _corrupt(path, f"tensor {name!r} starts at byte {begin}, expected "
                                 f"{expected} (gap or overlap)")
        expected = end
    if expected != data_len:
        raise _corrupt(path, f"the tensors need {expected} data bytes but the file holds "
                             f"{data_len}")
    tensors = OrderedDict()
    for begin, end, name, code, shape in entries:
        dt = np.dtype("<u2" if code == "BF16" else _DTYPES[code])
        count = math.prod(shape)
        arr = np.frombuffer(buf, dtype=dt, count=count, offset=data_start + begin)
        if (data_start + begin) % dt.itemsize or not dt.isnative:
            arr = arr.astype(dt.newbyteorder("="))
        if code == "BF16":
            arr = _bf16_to_f32(arr)
        tensors[name] = arr.reshape(shape)
    return tensors, metadata


# ---------------------------------------------------------------------------
# Structure encoding
# ---------------------------------------------------------------------------
def _is_state_dict(obj) -> bool:
    return isinstance(obj, Mapping) and all(
        isinstance(k, str) and isinstance(v, (Tensor, np.ndarray)) for k, v in obj.items())


class _Encoder:
    def __init__(self):
        self.tensors: dict = {}

    def _key(self, path: str) -> str:
        base = path or "tensor"
        key, i = base, 0
        while key in self.tensors or key == "__metadata__":
            i += 1
            key = f"{base}~{i}"
        return key

    def _array(self, tag, arr, path):
        key = self._key(path)
        _dtype_code(arr, path)
        self.tensors[key] = arr
        return {tag: key}

    def encode(self, obj, path: str = ""):
        sub = (lambda k: f"{path}.{k}" if path else str(k))
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return int(obj)
        if isinstance(obj, float):
            if math.isfinite(obj):
                return float(obj)
            return {"$float": "nan" if math.isnan(obj) else ("inf" if obj > 0 else "-inf")}
        if isinstance(obj, Tensor):
            return self._array("$tensor", obj._data, path)
        if isinstance(obj, np.ndarray):
            return self._array("$ndarray", obj, path)
        if isinstance(obj, np.generic):
            return self._array("$npscalar", np.asarray(obj), path)
        if isinstance(obj, list):
            return [self.encode(v, sub(i)) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"$tuple": [self.encode(v, sub(i)) for i, v in enumerate(obj)]}
        if isinstance(obj, Mapping):
            tag = "$odict" if isinstance(obj, OrderedDict) else "$dict"
            items = []
            for k, v in obj.items():
                if not (k is None or isinstance(k, (bool, int, float, str, tuple))):
                    raise TypeError(f"save: dict keys must be None, bool, int, float, str or "
                                    f"tuple, got {type(k).__name__} at {path or 'the root'!r}")
                items.append([self.encode(k, sub("key")), self.encode(v, sub(k))])
            return {tag: items}
        if hasattr(obj, "state_dict") and hasattr(obj, "_modules"):
            raise TypeError(f"save: a Module can only be saved on its own "
                            f"(glassnet.save(model, f)); at {path or 'the root'!r} store "
                            f"its state_dict() instead")
        raise TypeError(f"save: cannot store an object of type {type(obj).__name__} at "
                        f"{path or 'the root'!r}; supported: Tensor, ndarray, numpy scalars, "
                        f"None, bool, int, float, str, list, tuple, dict")


def _decode(node, tensors, path):
    if node is None or isinstance(node, (bool, int, float, str)):
        return node
    if isinstance(node, list):
        return [_decode(v, tensors, path) for v in node]
    if not isinstance(node, dict) or len(node) != 1:
        raise _corrupt(path, f"bad structure node {node!r}")
    (tag, value), = node.items()
    if tag in ("$tensor", "$ndarray", "$npscalar"):
        if value not in tensors:
            raise _corrupt(path, f"the structure refers to a missing tensor {value!r}")
        arr = tensors[value]
        if tag == "$tensor":
            return Tensor._wrap(arr)
        return arr if tag == "$ndarray" else arr[()]
    if tag == "$float":
        return float(value)
    if tag == "$tuple":
        return tuple(_decode(v, tensors, path) for v in value)
    if tag in ("$dict", "$odict"):
        out = OrderedDict() if tag == "$odict" else {}
        for k, v in value:
            out[_decode(k, tensors, path)] = _decode(v, tensors, path)
        return out
    raise _corrupt(path, f"unknown structure tag {tag!r}")


# ---------------------------------------------------------------------------
# The allow-list of Module classes that load may rebuild
# ---------------------------------------------------------------------------
class ModuleSerializationError(TypeError):
    """A Module that cannot be saved or rebuilt without pickle (``save``/``load``)."""


_SAFE_GLOBALS: dict = {}


def _global_entry(item, fn: str):
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], str):
        cls, path = item
    else:
        cls, path = item, None
    if not isinstance(cls, type):
        raise TypeError(f"{fn}: expected classes or (class, 'module.path.Name') pairs, got "
                        f"{item!r}")
    return (path or f"{cls.__module__}.{cls.__qualname__}"), cls


def add_safe_globals(safe_globals) -> None:
    """Allow :func:`load` to rebuild the given classes (``torch.serialization``'s name).

    Parameters
    ----------
    safe_globals : list of classes, or of ``(class, path)`` pairs
        A pair names the class by ``path`` (e.g. the path it had when the file was
        saved); otherwise its ``module.qualname`` is used.  Only ``Module`` subclasses
        are ever rebuilt.

    Examples
    --------
    >>> import glassnet.nn as nn
    >>> from glassnet.serialization import add_safe_globals, get_safe_globals
    >>> class Net(nn.Module):
    ...     pass
    >>> add_safe_globals([Net])
    >>> Net in get_safe_globals()
    True
    """
    if isinstance(safe_globals, (type, str)):
        raise TypeError(f"add_safe_globals: safe_globals must be a list of classes, got "
                        f"{type(safe_globals).__name__}")
    for item in safe_globals:
        path, cls = _global_entry(item, "add_safe_globals")
        _SAFE_GLOBALS[path] = cls


def get_safe_globals() -> list:
    """The classes registered with :func:`add_safe_globals`."""
    return list(dict.fromkeys(_SAFE_GLOBALS.values()))


def clear_safe_globals() -> None:
    """Forget every class registered with :func:`add_safe_globals`."""
    _SAFE_GLOBALS.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Context manager: the given classes are allowed inside the ``with`` block only
    (``torch.serialization.safe_globals``)."""
    saved = dict(_SAFE_GLOBALS)
    add_safe_globals(safe_globals)
    try:
        yield
    finally:
        _SAFE_GLOBALS.clear()
        _SAFE_GLOBALS.update(saved)


# ---------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------
def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. Windows
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)


def save(obj, f) -> None:
    """Save ``obj`` to ``f`` as a safetensors file (see the module docstring).

    Parameters
    ----------
    obj : state dict, a Module, or a nested object of dicts, lists, tuples, Tensors,
        ndarrays, numpy scalars, None, bool, int, float and str.
    f : str, os.PathLike, or a binary file object
        A path is written atomically; a file object is written in place.

    Raises
    ------
    ModuleSerializationError
        (a TypeError) for a Module whose tree cannot be stored without pickle, e.g. a
        constructor argument that is a function; save its ``state_dict()`` instead.

    Examples
    --------
    >>> import os, tempfile, glassnet, glassnet.nn as nn
    >>> path = os.path.join(tempfile.mkdtemp(), "model.safetensors")
    >>> glassnet.save(nn.Linear(2, 3).state_dict(), path)
    >>> list(glassnet.load(path))
    ['weight', 'bias']
    >>> glassnet.save(nn.Sequential(nn.Linear(2, 3), nn.ReLU()), path)
    >>> glassnet.load(path)
    Sequential(
      (0): Linear(in_features=2, out_features=3, bias=True)
      (1): ReLU()
    )
    """
    import glassnet.nn

    if isinstance(obj, glassnet.nn.Module):
        from glassnet._module_tree import encode_module

        tensors, metadata = encode_module(obj)
    elif _is_state_dict(obj):
        tensors = OrderedDict((k, v._data if isinstance(v, Tensor) else v)
                              for k, v in obj.items())
        if "__metadata__" in tensors:
            raise ValueError("save: a state dict key may not be '__metadata__'")
        for k, v in tensors.items():
            _dtype_code(v, k)
        metadata = {"format": "pt"}
    else:
        enc = _Encoder()
        structure = enc.encode(obj)
        tensors = enc.tensors
        metadata = {"format": "pt", "glassnet.format": _FORMAT_VERSION,
                    _STRUCTURE_KEY: json.dumps(structure, separators=(",", ":"),
                                               allow_nan=False)}
    if hasattr(f, "write"):
        _write(f, tensors, metadata)
        return
    if not isinstance(f, (str, os.PathLike)):
        raise TypeError(f"save: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
    path = os.fspath(f)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=_tmp_prefix(path) + f"{os.getpid()}.", suffix=".tmp",
                               dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            _write(fh, tensors, metadata)
            fh.flush()
            os.fsync(fh.fileno())
        # mkstemp creates the file with mode 0600; give it the usual umask-based mode.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(directory)
    _remove_stale_temps(path)


def _tmp_prefix(path) -> str:
    return "." + os.path.basename(path) + "."


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's) or cannot tell: keep its file
    return True


def _remove_stale_temps(path) -> None:
    """Delete the temporary files that earlier saves of ``path`` left behind when they
    were killed mid-write (``.NAME.<pid>.<random>.tmp``, written by :func:`save`): those
    whose writing process no longer exists. A save in progress elsewhere is left alone."""
    directory = os.path.dirname(os.path.abspath(path))
    prefix = _tmp_prefix(path)
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        if not (name.startswith(prefix) and name.endswith(".tmp")):
            continue
        pid = name[len(prefix):].split(".", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _pid_alive(int(pid)):
            continue
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass


def load(f, map_location=None, weights_only=None):
    """Load an object saved by :func:`save`, or any safetensors file.

    Parameters
    ----------
    f : str, os.PathLike or a binary file object
    map_location : None, str, int, glassnet.device, dict or callable
        Where the tensors go, with ``torch.load``'s rules: None puts each back on the
        device it was saved from; a device puts all there (``"cpu"``); a dict maps saved
        locations to new ones (``{"cuda:1": "cuda:0"}``); a callable
        ``f(tensor, location)`` returns the tensor to use or None (see
        :mod:`glassnet._map_location`).
    weights_only : bool or None
        Accepted for ``torch.load`` compatibility; the load is *always* what torch calls
        weights-only: nothing is unpickled, and a saved Module is rebuilt only from
        glassnet's own classes and those registered with :func:`add_safe_globals`.
        ``weights_only=False`` does not lift that allow-list (there is no unsafe mode).

    Returns
    -------
    object
        The saved object; a plain state dict (or a file written by another
        safetensors writer) comes back as an ``OrderedDict`` of name -> Tensor, a saved
        Module as a rebuilt Module of the same class.

    Raises
    ------
    ValueError
        If the file is truncated or corrupt.
    ModuleSerializationError
        (a TypeError) if a saved Module names a class that is not allowed (nothing is
        imported for it) or cannot be rebuilt; the message says how to register it.
    """
    if weights_only is not None and not isinstance(weights_only, bool):
        raise TypeError(f"load: weights_only must be a bool or None, got "
                        f"{type(weights_only).__name__}")
    check_map_location(map_location)
    read = {}
    obj = _load(f, read)
    return relocate(obj, saved_locations(read["tensors"], read["metadata"], read["path"], obj),
                    map_location)


def _load(f, read: dict):
    """The object in ``f``, its tensors on the host; what was read goes into ``read``."""
    if hasattr(f, "read"):
        path = getattr(f, "name", "<file object>")
        tensors, metadata = _read(path, f)
    elif isinstance(f, (str, os.PathLike)):
        path = os.fspath(f)
        tensors, metadata = _read(path)
    else:
        raise TypeError(f"load: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
    read.update(tensors=tensors, metadata=metadata, path=path)
    if "glassnet.module" in metadata:
        from glassnet._module_tree import decode_module

        try:
            return decode_module(metadata["glassnet.module"], tensors, path, _SAFE_GLOBALS)
        except RecursionError:
            raise _corrupt(path, "the saved module tree is nested too deeply") from None
    if _STRUCTURE_KEY not in metadata:
        return OrderedDict((k, Tensor._wrap(v)) for k, v in tensors.items())
    try:
        structure = json.loads(metadata[_STRUCTURE_KEY])
    except ValueError as e:
        raise _corrupt(path, f"the glassnet structure is not valid JSON ({e})") from None
    except RecursionError:
        raise _corrupt(path, "the glassnet structure is nested too deeply") from None
    try:
        return _decode(structure, tensors, path)
    except RecursionError:
        raise _corrupt(path, "the glassnet structure is nested too deeply") from None
    except (TypeError, ValueError, KeyError) as e:
        if str(e).startswith("load: "):
            raise
        raise _corrupt(path, f"malformed glassnet structure ({type(e).__name__}: {e})") \
            from None
