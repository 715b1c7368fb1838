"""Read PyTorch ``.pth``/``.pt`` checkpoints (``torch.save`` files) without torch and
without running any code from the file.

A ``torch.save`` file is a pickle, and unpickling executes whatever callables the file
names. This reader resolves only an allow-list of globals, so a checkpoint can hold
containers, numbers, strings and tensors, and nothing else:

==========================================  =================================================
global in the pickle                        what it becomes here
==========================================  =================================================
``collections.OrderedDict``                 ``collections.OrderedDict``
``torch._utils._rebuild_tensor_v2``,        a numpy array (the tensor's dtype, shape, strides
``_rebuild_tensor``, ``_rebuild_parameter``  and storage offset; a Parameter is its data)
``torch.FloatStorage`` ... ``BoolStorage``  the storage's element type (a marker only)
``torch.float32`` ... ``torch.bool``        the numpy dtype
==========================================  =================================================

Anything else (``os.system``, ``builtins.eval``, ``subprocess.Popen``, even torch's own
``torch.storage._load_from_bytes``) raises ``ValueError`` naming the global, before it
could be called.

Formats
-------
- **zip** (``torch.save`` since PyTorch 1.6): ``<archive>/data.pkl`` is the pickle, each
  storage is the record ``<archive>/data/<key>`` (raw bytes, ``<archive>/byteorder``
  says little- or big-endian; little when absent).
- **legacy** (``_use_new_zipfile_serialization=False`` and PyTorch < 1.6, e.g. the
  2017 VGG files on download.pytorch.org): five pickles in a row (magic number,
  protocol version, system info, the object, the storage keys) followed by each
  storage as an int64 element count and its raw bytes, in key order.
- the legacy **tar** format (PyTorch < 0.1.10) is refused with a clear error.

Tensors come back as numpy arrays: float32/float64/float16/int64/int32/int16/int8/uint8/
bool keep their dtype; bfloat16 (which numpy lacks) is widened exactly to float32. A
contiguous tensor is a view of its storage, so two tensors over one storage share
memory as they do in torch; a strided one (e.g. a transpose) is copied out through
``as_strided`` after its extent is checked against the storage, so a crafted stride can
never read outside the file's data.
"""
from __future__ import annotations

import _compat_pickle
import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy as np

__all__ = ["load_pth"]

# Storage type name -> numpy dtype string. "bfloat16" is decoded by hand (numpy has none).
_STORAGE_DTYPES = {
    "FloatStorage": "float32", "DoubleStorage": "float64", "HalfStorage": "float16",
    "BFloat16Storage": "bfloat16", "LongStorage": "int64", "IntStorage": "int32",
    "ShortStorage": "int16", "CharStorage": "int8", "ByteStorage": "uint8",
    "BoolStorage": "bool",
}
_TORCH_DTYPES = {
    "float32": "float32", "float": "float32", "float64": "float64", "double": "float64",
    "float16": "float16", "half": "float16", "bfloat16": "bfloat16", "int64": "int64",
    "long": "int64", "int32": "int32", "int": "int32", "int16": "int16", "short": "int16",
    "int8": "int8", "uint8": "uint8", "bool": "bool",
}
_LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
_LEGACY_PROTOCOL = 1001
# What a damaged file raises from zipfile, pickle or struct (our own errors are ValueError).
_CORRUPT = (zipfile.BadZipFile, zipfile.LargeZipFile, pickle.UnpicklingError, EOFError,
            KeyError, IndexError, TypeError, AttributeError, struct.error, UnicodeDecodeError,
            OverflowError)


class _StorageType:
    """What a ``torch.<X>Storage`` global resolves to: just its element type."""

    __slots__ = ("dtype",)

    def __init__(self, dtype: str):
        self.dtype = dtype


class _Storage:
    """One storage of the file: its element type, element count and (once read) data."""

    __slots__ = ("dtype", "key", "numel", "array")

    def __init__(self, dtype: str, key: str, numel: int):
        self.dtype, self.key, self.numel, self.array = dtype, key, numel, None


class _TensorRef:
    """A tensor seen while unpickling; becomes an array once every storage is read.

    It has no ``__dict__`` and no ``__setstate__``, so a pickle cannot BUILD on it.
    """

    __slots__ = ("storage", "offset", "size", "stride")

    def __init__(self, storage, offset, size, stride):
        self.storage, self.offset, self.size, self.stride = storage, offset, size, stride


def _rebuild_tensor(storage, storage_offset, size, stride, *_flags):
    """``torch._utils._rebuild_tensor(_v2)``: record the tensor, read it later."""
    if not isinstance(storage, _Storage):
        raise ValueError(f"load_pth: a tensor must be built on a storage of the file, got "
                         f"{type(storage).__name__}")
    return _TensorRef(storage, storage_offset, size, stride)


def _rebuild_parameter(data, *_flags):
    """``torch._utils._rebuild_parameter``: a Parameter is read as its data."""
    if not isinstance(data, _TensorRef):
        raise ValueError(f"load_pth: a Parameter must wrap a tensor, got "
                         f"{type(data).__name__}")
    return data


def _allowed_global(module: str, name: str):
    if (module, name) == ("collections", "OrderedDict"):
        return OrderedDict
    if module == "torch._utils" and name in ("_rebuild_tensor_v2", "_rebuild_tensor"):
        return _rebuild_tensor
    if module == "torch._utils" and name == "_rebuild_parameter":
        return _rebuild_parameter
    if module == "torch" and name in _STORAGE_DTYPES:
        return _StorageType(_STORAGE_DTYPES[name])
    if module == "torch" and name in _TORCH_DTYPES:
        return _TORCH_DTYPES[name]
    return None


class _RestrictedUnpickler(pickle.Unpickler):
    """An Unpickler that resolves only :func:`_allowed_global` and the file's storages."""

    def __init__(self, file, source: str, storage_for):
        super().__init__(file, encoding="utf-8")
        self._source = source
        self._storage_for = storage_for

    def find_class(self, module, name):
        # Python 2 names (protocol <= 2 pickles) as the default Unpickler maps them.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        found = _allowed_global(module, name)
        if found is None:
            raise ValueError(f"load_pth: {self._source}: refusing the global "
                             f"'{module}.{name}': a checkpoint may only hold tensors, "
                             f"storages and containers (this one would run code)")
        return found

    def persistent_load(self, pid):
        return self._storage_for(pid)


def _name(f) -> str:
    if isinstance(f, (str, bytes, os.PathLike)):
        return os.fsdecode(f)
    return getattr(f, "name", type(f).__name__)


def _parse_pid(pid, source: str, legacy: bool):
    """``('storage', storage_type, key, location, numel[, view_metadata])`` -> parts."""
    want = 6 if legacy else 5
    if not isinstance(pid, tuple) or len(pid) != want:
        raise ValueError(f"load_pth: {source}: unsupported persistent id {pid!r}")
    kind = pid[0].decode("ascii") if isinstance(pid[0], bytes) else pid[0]
    if kind != "storage":
        raise ValueError(f"load_pth: {source}: unsupported persistent record {kind!r} "
                         f"(only tensor storages are read; save the state_dict instead)")
    storage_type, key, numel = pid[1], pid[2], pid[4]
    key = key.decode("ascii") if isinstance(key, bytes) else key
    if not isinstance(storage_type, _StorageType):
        raise ValueError(f"load_pth: {source}: storage type {storage_type!r} is not one of "
                         f"torch's {sorted(_STORAGE_DTYPES)}")
    if not isinstance(key, str) or isinstance(numel, bool) or not isinstance(numel, int) \
            or numel < 0:
        raise ValueError(f"load_pth: {source}: malformed storage record {pid!r}")
    view = pid[5] if legacy else None
    return storage_type.dtype, key, numel, view


def _decode(raw, dtype: str, big_endian: bool) -> np.ndarray:
    """Raw storage bytes (a writable buffer) -> a 1-d native-endian array."""
    if dtype == "bfloat16":
        # NOTE: bfloat16 is the top half of a float32, so widening is exact.
        bits = np.frombuffer(raw, ">u2" if big_endian else "<u2").astype(np.uint32)
        return (bits << 16).view(np.float32)
    arr = np.frombuffer(raw, np.dtype(dtype).newbyteorder(">" if big_endian else "<"))
    return arr if arr.dtype.isnative else arr.astype(arr.dtype.newbyteorder("="))


def _materialize(ref: _TensorRef, source: str) -> np.ndarray:
    """The array of ``ref``: a view of its storage if contiguous, else a checked copy."""
    flat = ref.storage.array
    if flat is None:
        raise ValueError(f"load_pth: {source}: storage {ref.storage.key} was never written")
    size, stride, offset = ref.size, ref.stride, ref.offset
    if not (isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride)
            and all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                    for v in size + stride + (offset,))):
        raise ValueError(f"load_pth: {source}: malformed tensor (size {size!r}, stride "
                         f"{stride!r}, offset {offset!r})")
    if 0 in size:
        return np.zeros(size, flat.dtype)
    extent = offset + sum((n - 1) * s for n, s in zip(size, stride))
    if extent >= flat.size:
        raise ValueError(f"load_pth: {source}: tensor of size {size} and stride {stride} at "
                         f"offset {offset} reaches element {extent} of a storage of "
                         f"{flat.size} elements")
    contiguous, expected = True, 1
    for n, s in zip(reversed(size), reversed(stride)):
        if n != 1 and s != expected:
            contiguous = False
        expected *= n
    if contiguous:
        return flat[offset:offset + expected].reshape(size)
    # Bounds were checked above, so this view stays inside ``flat``; copy it out so the
    # result is an ordinary contiguous array and overlapping strides cannot alias.
    item = flat.itemsize
    view = np.lib.stride_tricks.as_strided(flat[offset:], shape=size,
                                           strides=tuple(s * item for s in stride),
                                           writeable=False)
    return np.array(view, copy=True, order="C")


def _resolve(obj, source: str):
    """Replace every tensor placeholder in the unpickled object by its array."""
    if isinstance(obj, _TensorRef):
        return _materialize(obj, source)
    if isinstance(obj, (_Storage, _StorageType)):
        raise ValueError(f"load_pth: {source}: bare storages are not supported (save "
                         f"tensors)")
    if isinstance(obj, dict):
        out = type(obj)() if type(obj) in (dict, OrderedDict) else {}
        for k, v in obj.items():
            out[k] = _resolve(v, source)
        return out
    if isinstance(obj, list):
        return [_resolve(v, source) for v in obj]
    if isinstance(obj, tuple):
        return tuple(_resolve(v, source) for v in obj)
    return obj


def _read_exact(stream, nbytes: int, what: str, source: str) -> bytearray:
    buf = bytearray(nbytes)
    view, got = memoryview(buf), 0
    while got < nbytes:
        n = stream.readinto(view[got:])
        if not n:
            raise ValueError(f"load_pth: {source}: {what} is truncated ({got} of {nbytes} "
                             f"bytes)")
        got += n
    return buf


def _load_zip(zf: zipfile.ZipFile, source: str):
    names = zf.namelist()
    pickles = [n for n in names if n.endswith("/data.pkl") and n.count("/") == 1]
    if len(pickles) != 1:
        raise ValueError(f"load_pth: {source}: a zip checkpoint must contain exactly one "
                         f"'<archive>/data.pkl', found {len(pickles)}")
    prefix = pickles[0][:-len("data.pkl")]
    order = zf.read(prefix + "byteorder").decode() if prefix + "byteorder" in names \
        else "little"
    if order not in ("little", "big"):
        raise ValueError(f"load_pth: {source}: unknown byteorder {order!r}")
    storages: dict = {}

    def storage_for(pid):
        dtype, key, numel, _ = _parse_pid(pid, source, legacy=False)
        if key not in storages:
            record = f"{prefix}data/{key}"
            if record not in names:
                raise ValueError(f"load_pth: {source}: storage record {record!r} is missing")
            storages[key] = _Storage(dtype, key, numel)
        return storages[key]

    result = _RestrictedUnpickler(io.BytesIO(zf.read(pickles[0])), source,
                                  storage_for).load()
    for st in storages.values():
        record = f"{prefix}data/{st.key}"
        itemsize = 2 if st.dtype == "bfloat16" else np.dtype(st.dtype).itemsize
        nbytes = zf.getinfo(record).file_size
        if nbytes != st.numel * itemsize:
            raise ValueError(f"load_pth: {source}: storage {st.key} holds {nbytes} bytes, "
                             f"expected {st.numel} x {itemsize}")
        with zf.open(record) as stream:
            raw = _read_exact(stream, nbytes, f"storage {st.key}", source)
        st.array = _decode(raw, st.dtype, order == "big")
    return _resolve(result, source)


def _load_legacy(f, source: str):
    def plain_load():
        return _RestrictedUnpickler(f, source, _no_storages).load()

    def _no_storages(pid):
        raise ValueError(f"load_pth: {source}: unexpected storage in the file header")

    magic = plain_load()
    if magic != _LEGACY_MAGIC:
        raise ValueError(f"load_pth: {source}: not a PyTorch checkpoint (a pickle without "
                         f"torch's magic number)")
    protocol = plain_load()
    if protocol != _LEGACY_PROTOCOL:
        raise ValueError(f"load_pth: {source}: unsupported legacy protocol {protocol!r}")
    sys_info = plain_load()
    little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
    storages: dict = {}
    views: dict = {}

    def storage_for(pid):
        dtype, key, numel, view = _parse_pid(pid, source, legacy=True)
        if key not in storages:
            storages[key] = _Storage(dtype, key, numel)
        if view is None:
            return storages[key]
        # A view of the root storage: (view_key, offset, view_size), in elements.
        view_key, view_offset, view_size = view
        views.setdefault(view_key, (storages[key], view_offset, view_size))
        return _Storage(dtype, view_key, view_size)

    result = _RestrictedUnpickler(f, source, storage_for).load()
    keys = plain_load()
    here = f.tell()
    end = f.seek(0, os.SEEK_END)
    f.seek(here)
    if not isinstance(keys, list):
        raise ValueError(f"load_pth: {source}: malformed storage key list")
    for key in keys:
        key = key.decode("ascii") if isinstance(key, bytes) else key
        if key not in storages:
            raise ValueError(f"load_pth: {source}: storage {key!r} listed but never used")
        st = storages[key]
        itemsize = 2 if st.dtype == "bfloat16" else np.dtype(st.dtype).itemsize
        head = f.read(8)
        if len(head) != 8:
            raise ValueError(f"load_pth: {source}: storage {key} is truncated")
        (numel,) = struct.unpack("<q" if little else ">q", head)
        if numel != st.numel or numel * itemsize > end - f.tell():
            raise ValueError(f"load_pth: {source}: storage {key} claims {numel} elements, "
                             f"expected {st.numel} within the file's remaining bytes")
        raw = _read_exact(f, numel * itemsize, f"storage {key}", source)
        st.array = _decode(raw, st.dtype, not little)
    _attach_views(result, storages, views, source)
    return _resolve(result, source)


def _attach_views(obj, storages, views, source):
    """Point tensors built on legacy storage views at their root storage's data."""
    if not views:
        return
    stack = [obj]
    while stack:
        item = stack.pop()
        if isinstance(item, _TensorRef) and item.storage.array is None:
            root, offset, _ = views.get(item.storage.key, (None, 0, 0))
            if root is None or root.array is None:
                raise ValueError(f"load_pth: {source}: storage {item.storage.key} was never "
                                 f"written")
            item.storage, item.offset = root, item.offset + offset
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def load_pth(f):
    """Read a ``torch.save`` checkpoint into numpy arrays, executing nothing from it.

    Parameters
    ----------
    f : str, path-like or binary file object
        A ``.pth``/``.pt`` file written by ``torch.save`` (zip or legacy format).

    Returns
    -------
    object
        The saved object with every tensor as a numpy array: for a state dict, an
        ``OrderedDict`` of name -> array.

    Raises
    ------
    ValueError
        If the file names a global outside the allow-list (the message names it), is
        truncated or corrupt, or is not a PyTorch checkpoint.

    Examples
    --------
    >>> import io, zipfile
    >>> buf = io.BytesIO()
    >>> with zipfile.ZipFile(buf, "w") as z:
    ...     z.writestr("archive/data.pkl", b"c" + b"os\\nsystem\\n(S'true'\\ntR.")
    >>> load_pth(io.BytesIO(buf.getvalue()))  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ValueError: load_pth: BytesIO: refusing the global 'os.system': a checkpoint may ...
    """
    source = _name(f)
    opened = isinstance(f, (str, bytes, os.PathLike))
    stream = open(f, "rb") if opened else f
    try:
        start = stream.tell()
        head = stream.read(512)
        stream.seek(start)
        if head[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(stream) as zf:
                return _load_zip(zf, source)
        if len(head) > 262 and head[257:262] == b"ustar":
            raise ValueError(f"load_pth: {source}: the legacy tar checkpoint format (PyTorch "
                             f"< 0.1.10) is not supported; re-save it with a recent torch")
        if head[:1] == b"\x80":
            return _load_legacy(stream, source)
        raise ValueError(f"load_pth: {source}: not a PyTorch checkpoint (neither a zip nor a "
                         f"pickle; first bytes {head[:8]!r})")
    except _CORRUPT as exc:
        raise ValueError(f"load_pth: {source}: corrupt or truncated checkpoint "
                         f"({type(exc).__name__}: {exc})") from None
    finally:
        if opened:
            stream.close()
