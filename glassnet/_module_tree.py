"""Saving and rebuilding a whole :class:`~glassnet.nn.Module` without pickle (the module
part of :mod:`glassnet.serialization`).

``glassnet.save(model, f)`` writes a safetensors file whose tensors are the model's
``state_dict()`` and whose metadata entry ``"glassnet.module"`` is a JSON description
of the module *tree*::

    {"version": 1, "root": 0, "state_keys": [...], "aliases": {key: key},
     "lazy_keys": [...],
     "modules": [{"class": "glassnet.nn.linear.Linear",   # type(module), importable path
                  "init_class": "glassnet.nn.lazy.LazyLinear",  # only if different
                  "args": [...], "kwargs": [[name, value], ...],
                  "training": true,
                  "children": [[name, index or null], ...],
                  "parameters": [[name, requires_grad or null], ...],
                  "buffers": [[name, persistent, present], ...]}, ...]}

``args``/``kwargs`` are the constructor arguments that ``Module`` recorded when the
module was built (the outermost ``__init__`` call); they are encoded as the structure
nodes of :mod:`glassnet.serialization` plus ``{"$module": index}`` for a Module,
``{"$class": path}`` for a Module class and ``{"$dtype": name}`` for a dtype.  Each
module appears once in ``modules`` (shared modules stay shared).

``glassnet.load`` rebuilds each module from its class and arguments, then replaces its
children with the recorded ones (so a head replaced after construction, such as
``model.fc = nn.Linear(512, 3)``, comes back), restores its parameter and buffer names,
``requires_grad`` flags and tied parameters, loads the state dict with
``strict=True`` and sets each ``training`` flag.  Every class is checked against the
allow-list (glassnet's own Module classes and the classes registered with
``glassnet.serialization.add_safe_globals``) *before* anything is imported; only
glassnet's own modules are ever imported.
"""
from __future__ import annotations

import importlib
import inspect
import json
import sys
from collections import OrderedDict
from collections.abc import Mapping

import numpy as np

from glassnet.backend import get_rng_state, set_rng_state
# NOTE: names are taken from the glassnet.nn package, not its submodules: pytest's doctest
# collection (--import-mode=importlib) may re-execute a submodule such as
# glassnet/nn/module.py under the same name, and isinstance checks against that copy's
# classes would fail for every model.
from glassnet.nn import (Module, ModuleDict, ModuleList, Parameter, ParameterDict,
                         ParameterList, Sequential)
from glassnet.nn import lazy as _lazy
from glassnet.nn import parameter as _parameter
from glassnet.serialization import (ModuleSerializationError, _corrupt, _decode,
                                    _dtype_code, _Encoder)
from glassnet.tensor import Tensor

MODULE_KEY = "glassnet.module"
_VERSION = 1
# Containers are described completely by their children and parameters: they are rebuilt
# empty, so their constructor arguments (possibly a consumed generator) are not needed.
_CHILDREN_ONLY = (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict)
_SUPPORTED = "None, bool, int, float, str, list, tuple, dict, dtype, Tensor, ndarray, " \
             "a Module or a Module class"


def class_path(cls) -> str:
    """The importable path of a class: ``'glassnet.nn.linear.Linear'``."""
    return f"{cls.__module__}.{cls.__qualname__}"


def _advice(cls_name: str = "MyModel") -> str:
    return (f"Save model.state_dict() instead and load it into a model built in code, or "
            f"register the class before loading with "
            f"glassnet.serialization.add_safe_globals([{cls_name}])")


# ---------------------------------------------------------------------------
# Saving
# ---------------------------------------------------------------------------
class _TreeEncoder(_Encoder):
    """The structure encoder of glassnet.serialization, plus Modules, Module classes and
    dtypes, and an error that names the module and argument it could not encode."""

    def __init__(self):
        super().__init__()
        self.nodes: list = []
        self.index: dict = {}
        self.where = ""
        self.label = ""

    def encode(self, obj, path: str = ""):
        if isinstance(obj, Module):
            return {"$module": self.module(obj)}
        if isinstance(obj, type) and issubclass(obj, Module):
            return {"$class": class_path(obj)}
        if isinstance(obj, np.dtype) or (isinstance(obj, type) and issubclass(obj, np.generic)):
            return {"$dtype": np.dtype(obj).name}
        if not (obj is None or isinstance(obj, (bool, int, float, str, list, tuple, Mapping,
                                                Tensor, np.ndarray, np.generic))):
            raise ModuleSerializationError(
                f"save: cannot save the module {self.where}: its constructor argument "
                f"{self.label} is a {type(obj).__name__} ({obj!r:.60}), which cannot be stored "
                f"without pickle (supported: {_SUPPORTED}). Save model.state_dict() "
                f"instead and rebuild the model in code")
        return super().encode(obj, path)

    def module(self, m: Module) -> int:
        if id(m) in self.index:
            return self.index[id(m)]
        idx = len(self.nodes)
        self.index[id(m)] = idx
        self.nodes.append(None)
        record = m.__dict__.get("_init_args") or (type(m), (), {})
        init_cls, args, kwargs = record
        if type(m) in _CHILDREN_ONLY and init_cls is type(m):
            args, kwargs = (), {}
        outer = self.where, self.label
        self.where = f"{type(m).__name__} ({class_path(type(m))})"
        node = {"class": class_path(type(m))}
        if init_cls is not type(m):
            node["init_class"] = class_path(init_cls)
        prefix = f"$init.{idx}"
        names = _positional_names(init_cls)
        node["args"] = []
        for i, a in enumerate(args):
            self.label = repr(names[i]) if i < len(names) else f"#{i}"
            node["args"].append(self.encode(a, f"{prefix}.{i}"))
        node["kwargs"] = []
        for k, v in kwargs.items():
            self.label = repr(k)
            node["kwargs"].append([k, self.encode(v, f"{prefix}.{k}")])
        self.where, self.label = outer
        node["training"] = bool(m.training)
        node["children"] = [[name, None if c is None else self.module(c)]
                            for name, c in m._modules.items()]
        node["parameters"] = [[name, None if p is None else bool(p.requires_grad)]
                              for name, p in m._parameters.items()]
        node["buffers"] = [[name, name not in m._non_persistent_buffers_set, b is not None]
                           for name, b in m._buffers.items()]
        self.nodes[idx] = node
        return idx


def _positional_names(cls) -> list:
    """The names of ``cls.__init__``'s positional parameters after ``self`` (for errors)."""
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return []
    return [p.name for p in params
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]


def encode_module(model: Module):
    """Return ``(tensors, metadata)`` for ``glassnet.save(model)``."""
    state = model.state_dict(keep_vars=True)
    enc = _TreeEncoder()
    first, aliases, lazy_keys, state_keys = {}, {}, [], []
    for key, t in state.items():
        if _parameter.is_lazy(t):
            lazy_keys.append(key)
        elif id(t) in first:
            aliases[key] = first[id(t)]
        else:
            first[id(t)] = key
            state_keys.append(key)
            _dtype_code(t._data, key)
            enc.tensors[key] = t._data
    root = enc.module(model)
    doc = {"version": _VERSION, "root": root, "modules": enc.nodes, "state_keys": state_keys,
           "aliases": aliases, "lazy_keys": lazy_keys}
    return enc.tensors, {"format": "pt", MODULE_KEY: json.dumps(doc, separators=(",", ":"),
                                                                allow_nan=False)}


# ---------------------------------------------------------------------------
# The allow-list
# ---------------------------------------------------------------------------
def _resolve_glassnet(path: str):
    """The glassnet Module class at ``path``, importing only glassnet's own modules."""
    parts = path.split(".")
    if any(not p.isidentifier() or p.startswith("__") for p in parts):
        return None
    for i in range(len(parts) - 1, 0, -1):
        modname = ".".join(parts[:i])
        module = sys.modules.get(modname)
        if module is None:
            try:
                module = importlib.import_module(modname)
            except ImportError:
                continue
        obj = module
        for attr in parts[i:]:
            obj = getattr(obj, attr, None)
        if isinstance(obj, type) and issubclass(obj, Module) and class_path(obj) == path:
            return obj
        return None
    return None


def resolve_class(path, safe_globals: dict, fn: str = "load"):
    """The allowed Module class named ``path``, or ModuleSerializationError."""
    if not isinstance(path, str):
        raise ModuleSerializationError(f"{fn}: a class in the module tree is {path!r}, not a "
                                       f"class path")
    cls = safe_globals.get(path)
    if cls is None and (path == "glassnet" or path.startswith("glassnet.")):
        cls = _resolve_glassnet(path)
    if cls is None or not (isinstance(cls, type) and issubclass(cls, Module)):
        name = path.rpartition(".")[2] or "MyModel"
        raise ModuleSerializationError(
            f"{fn}: the file asks for the class {path!r}, which is not allowed: glassnet "
            f"rebuilds only its own Module classes and classes registered with "
            f"glassnet.serialization.add_safe_globals (or the safe_globals context "
            f"manager); nothing was imported. If you trust the file, register the class "
            f"(add_safe_globals([{name}])); otherwise load a state_dict into a model "
            f"built in code.")
    return cls


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------
class _TreeDecoder:
    def __init__(self, doc, tensors, path, safe_globals):
        self.doc, self.tensors, self.path, self.safe = doc, tensors, path, safe_globals
        self.nodes = doc["modules"]
        self.built: dict = {}
        self.building: set = set()

    def value(self, node):
        if isinstance(node, list):
            return [self.value(v) for v in node]
        if isinstance(node, dict) and len(node) == 1:
            (tag, value), = node.items()
            if tag == "$module":
                return self.build(value)
            if tag == "$class":
                return resolve_class(value, self.safe)
            if tag == "$dtype":
                try:
                    return np.dtype(str(value))
                except TypeError:
                    raise _corrupt(self.path, f"unknown dtype {value!r}") from None
            if tag == "$tuple":
                return tuple(self.value(v) for v in value)
            if tag in ("$dict", "$odict"):
                out = OrderedDict() if tag == "$odict" else {}
                for k, v in value:
                    out[self.value(k)] = self.value(v)
                return out
        return _decode(node, self.tensors, self.path)

    def check_classes(self) -> None:
        """Resolve every class in the tree before building (and importing) anything."""
        for node in self.nodes:
            if not isinstance(node, dict) or "class" not in node:
                raise _corrupt(self.path, f"bad module node {node!r:.80}")
            resolve_class(node["class"], self.safe)
            resolve_class(node.get("init_class", node["class"]), self.safe)
        self._check_class_tags(self.nodes)

    def _check_class_tags(self, node) -> None:
        if isinstance(node, list):
            for v in node:
                self._check_class_tags(v)
        elif isinstance(node, dict):
            if set(node) == {"$class"}:
                resolve_class(node["$class"], self.safe)
            for v in node.values():
                self._check_class_tags(v)

    def build(self, idx):
        if not isinstance(idx, int) or not 0 <= idx < len(self.nodes):
            raise _corrupt(self.path, f"bad module index {idx!r}")
        if idx in self.built:
            return self.built[idx]
        if idx in self.building:
            raise _corrupt(self.path, f"the module tree has a cycle through module {idx}")
        self.building.add(idx)
        node = self.nodes[idx]
        cls = resolve_class(node.get("init_class", node["class"]), self.safe)
        args = self.value(node.get("args", []))
        kwargs = {k: self.value(v) for k, v in node.get("kwargs", [])}
        if cls in (ParameterList, ParameterDict) and not args and not kwargs:
            # placeholders under the recorded names; _restore_members gives them the saved
            # shapes and load_state_dict their values
            names = [name for name, rg in node.get("parameters", []) if rg is not None]
            placeholders = [(name, Parameter(np.zeros(0, np.float32))) for name in names]
            args = ([p for _, p in placeholders] if cls is ParameterList
                    else OrderedDict(placeholders),)
        try:
            m = cls(*args, **kwargs)
        except Exception as e:
            raise ModuleSerializationError(
                f"load: rebuilding {class_path(cls)} from its recorded constructor arguments "
                f"failed ({type(e).__name__}: {e}); {_advice(cls.__name__)}") from e
        self.built[idx] = m
        children = OrderedDict((name, None if c is None else self.build(c))
                               for name, c in node.get("children", []))
        m._modules.clear()
        m._modules.update(children)
        self.building.discard(idx)
        return m


def _restore_members(m: Module, node: dict, prefix: str, state: dict, path) -> None:
    """Parameter and buffer names as recorded (some may be added or removed after
    construction), with their requires_grad flags."""
    recorded = OrderedDict((name, rg) for name, rg in node.get("parameters", []))
    for name in list(m._parameters):
        if name not in recorded:
            del m._parameters[name]
    for name, rg in recorded.items():
        key = prefix + name
        current = m._parameters.get(name)
        if rg is None:
            m._parameters[name] = None
            continue
        if current is None or (isinstance(m, (ParameterList, ParameterDict))
                               and key in state and tuple(current.shape) != state[key].shape):
            if key not in state:
                raise _corrupt(path, f"parameter {key!r} is missing from the tensors")
            current = Parameter(np.zeros(state[key].shape, state[key].dtype))
        m._parameters[name] = current
        if not _parameter.is_lazy(current):
            current.requires_grad_(bool(rg))
    m._parameters.update((k, m._parameters.pop(k)) for k in list(recorded))
    buffers = node.get("buffers", [])
    names = {name for name, _, _ in buffers}
    for name in list(m._buffers):
        if name not in names:
            del m._buffers[name]
            m._non_persistent_buffers_set.discard(name)
    for name, persistent, present in buffers:
        key = prefix + name
        if not present:
            m._buffers[name] = None
        elif m._buffers.get(name) is None:
            if not persistent or key not in state:
                raise ModuleSerializationError(
                    f"load: the buffer {key!r} was added after construction and is not "
                    f"saved (non-persistent); {_advice(type(m).__name__)}")
            m._buffers[name] = Tensor._wrap(np.zeros(state[key].shape, state[key].dtype))
        if persistent:
            m._non_persistent_buffers_set.discard(name)
        else:
            m._non_persistent_buffers_set.add(name)
    m._buffers.update((n, m._buffers.pop(n)) for n, _, _ in buffers)


def decode_module(doc_text: str, tensors: dict, path, safe_globals: dict) -> Module:
    """Rebuild the module saved by :func:`encode_module` (``glassnet.load``)."""
    try:
        doc = json.loads(doc_text)
        root_idx, nodes = doc["root"], doc["modules"]
        state_keys, aliases = list(doc["state_keys"]), dict(doc["aliases"])
        lazy_keys = list(doc.get("lazy_keys", []))
        if not isinstance(nodes, list):
            raise TypeError("modules is not a list")
    except (ValueError, KeyError, TypeError) as e:
        raise _corrupt(path, f"the module tree is not valid ({e})") from None
    if doc.get("version") != _VERSION:
        raise _corrupt(path, f"unsupported module tree version {doc.get('version')!r}")
    dec = _TreeDecoder(doc, tensors, path, safe_globals)
    dec.check_classes()
    for key in state_keys + list(aliases.values()):
        if key not in tensors:
            raise _corrupt(path, f"the state dict entry {key!r} is missing from the tensors")
    state = OrderedDict((k, tensors[k]) for k in state_keys)
    state.update((k, tensors[v]) for k, v in aliases.items())
    # NOTE: constructors draw their default init from glassnet's generator; loading a
    # file must not change the caller's random stream.
    rng_state = get_rng_state()
    try:
        root = dec.build(root_idx)
        named = {}
        for idx, m in dec.built.items():
            named.setdefault(id(m), (idx, m))
        prefixes = {id(m): name + "." if name else ""
                    for name, m in root.named_modules(remove_duplicate=False)}
        for idx, m in named.values():
            _restore_members(m, dec.nodes[idx], prefixes.get(id(m), ""), state, path)
    finally:
        set_rng_state(rng_state)
    for key, target in aliases.items():
        owner, _, name = key.rpartition(".")
        src_owner, _, src_name = target.rpartition(".")
        src = root.get_submodule(src_owner)
        tied = src._parameters.get(src_name, src._buffers.get(src_name))
        mod = root.get_submodule(owner)
        store = mod._parameters if name in mod._parameters else mod._buffers
        store[name] = tied
    own = root.state_dict(keep_vars=True)
    for key in lazy_keys:
        if key in own:
            state[key] = own[key]
    root.load_state_dict(state, strict=True)
    for idx, m in named.values():
        node = dec.nodes[idx]
        if isinstance(m, _lazy.LazyModuleMixin) and class_path(type(m)) != node["class"]:
            if m.has_uninitialized_params() or class_path(m.cls_to_become) != node["class"]:
                raise _corrupt(path, f"{class_path(type(m))} cannot become {node['class']}")
            m._finish_lazy_init()
        elif class_path(type(m)) != node["class"]:
            raise _corrupt(path, f"{node.get('init_class')} built a {class_path(type(m))}, "
                                 f"not the recorded {node['class']}")
        m.training = bool(node.get("training", True))
    _reattach_pruning(root)
    return root


def _reattach_pruning(root: Module) -> None:
    """Modules saved while pruned (torch.nn.utils.prune's ``<name>_orig`` Parameter and
    ``<name>_mask`` buffer, no ``<name>``) get their pruning hook back."""
    for m in root.modules():
        for pname in list(m._parameters):
            name = pname[:-len("_orig")]
            if (pname.endswith("_orig") and name + "_mask" in m._buffers
                    and name not in m._parameters and name not in m._buffers):
                from glassnet.nn.utils import prune

                prune._reattach(m, name)


__all__ = ["ModuleSerializationError", "class_path", "encode_module", "decode_module",
           "resolve_class", "MODULE_KEY"]
