"""``glassnet.onnx.load``: an ONNX model (from any exporter) as a glassnet Module.

Each ONNX node runs as glassnet ops (``glassnet.nn.functional`` and Tensor methods), so
the loaded module is differentiable and can be fine-tuned: float initializers become
its parameters.  Integer initializers and the shape arithmetic exporters emit
(``Shape -> Gather -> Unsqueeze -> Concat -> Reshape``) stay NumPy arrays, folded as
constants when the module runs.  An op outside :data:`SUPPORTED_OPS` raises one
:class:`~glassnet.onnx.UnsupportedOperatorError` naming the op type and the node, at
load time.
"""
from __future__ import annotations

import os

from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.onnx import _load_shape  # noqa: F401  (registers the shape handlers)
from glassnet.onnx._export import UnsupportedOperatorError, require_onnx
from glassnet.onnx._load_ops import _HANDLERS, _tensor

__all__ = ["load", "OnnxModule", "SUPPORTED_OPS"]

SUPPORTED_OPS = tuple(sorted(_HANDLERS))


# -- the module -------------------------------------------------------------------------
def _attrs(node) -> dict:
    from onnx import helper

    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        if isinstance(v, bytes):
            v = v.decode()
        elif isinstance(v, list):
            v = [x.decode() if isinstance(x, bytes) else x for x in v]
        out[a.name] = v
    return out


class _Node:
    """An ONNX node with its attributes decoded once."""

    __slots__ = ("op_type", "name", "input", "output", "attrs", "opset")

    def __init__(self, proto, opset):
        self.op_type = proto.op_type
        self.name = proto.name or f"{proto.op_type}({', '.join(proto.output)})"
        self.input = list(proto.input)
        self.output = list(proto.output)
        self.attrs = _attrs(proto)
        self.opset = opset


class OnnxModule(Module):
    """An ONNX graph run with glassnet ops; made by :func:`glassnet.onnx.load`.

    ``forward(*inputs)`` takes one Tensor per graph input (in the graph's order) and
    returns a Tensor, or a tuple for several outputs.  Float initializers are
    parameters (their ONNX names with ``.``/``/``/``:`` made ``_``, in
    ``onnx_names``); others are constants.
    """

    def __init__(self, proto):
        super().__init__()
        from onnx import numpy_helper

        opset = 1
        for imp in proto.opset_import:
            if imp.domain in ("", "ai.onnx"):
                opset = imp.version
        graph = proto.graph
        self.opset = opset
        self._consts: dict = {}
        self.onnx_names: dict = {}
        for init in graph.initializer:
            arr = numpy_helper.to_array(init)
            if arr.dtype.kind == "f" and arr.ndim > 0:
                attr = _attr_name(init.name, self.onnx_names)
                self.register_parameter(attr, Parameter(_tensor(arr.copy())))
                self.onnx_names[attr] = init.name
            else:
                self._consts[init.name] = arr.copy()
        init_names = set(self._consts) | set(self.onnx_names.values())
        self.input_names = [i.name for i in graph.input if i.name not in init_names]
        self.output_names = [o.name for o in graph.output]
        self._nodes = [_Node(n, opset) for n in graph.node]
        bad = [n for n in self._nodes if n.op_type not in _HANDLERS]
        domains = [n for n in graph.node if n.domain not in ("", "ai.onnx")]
        if domains:
            n = domains[0]
            raise UnsupportedOperatorError(
                f"load: unsupported ONNX op {n.domain}::{n.op_type} (node {n.name!r}): "
                f"only the default ONNX domain is supported")
        if bad:
            others = sorted({n.op_type for n in bad} - {bad[0].op_type})
            more = f" (also unsupported: {', '.join(others)})" if others else ""
            raise UnsupportedOperatorError(
                f"load: unsupported ONNX op {bad[0].op_type!r} (node {bad[0].name!r}){more}"
                f"; supported ops: {', '.join(SUPPORTED_OPS)}")

    def forward(self, *inputs):
        if len(inputs) != len(self.input_names):
            raise TypeError(f"OnnxModule: expected {len(self.input_names)} inputs "
                            f"({', '.join(self.input_names)}), got {len(inputs)}")
        env = dict(self._consts)
        for attr, name in self.onnx_names.items():
            env[name] = getattr(self, attr)
        for name, x in zip(self.input_names, inputs):
            env[name] = _tensor(x)
        for node in self._nodes:
            ins = [env[i] if i else None for i in node.input]
            outs = _HANDLERS[node.op_type](node, ins, node.attrs)
            for name, v in zip(node.output, outs):
                if name:
                    env[name] = v
        outs = [_tensor(env[n]) for n in self.output_names]
        return outs[0] if len(outs) == 1 else tuple(outs)

    def extra_repr(self) -> str:
        return (f"opset={self.opset}, nodes={len(self._nodes)}, "
                f"inputs={self.input_names}, outputs={self.output_names}")



def _attr_name(name: str, taken: dict) -> str:
    attr = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    if not attr or attr[0].isdigit():
        attr = "p_" + attr
    base, k = attr, 1
    while attr in taken:
        attr = f"{base}_{k}"
        k += 1
    return attr


def load(path):
    """Load an ONNX model (a path, bytes or a ``ModelProto``) as a glassnet Module.

    The module runs the graph with glassnet ops (differentiable; float initializers are
    parameters).  Supported op types are :data:`SUPPORTED_OPS`; any other raises
    :class:`~glassnet.onnx.UnsupportedOperatorError` naming the op type and the node.

    Parameters
    ----------
    path : str, PathLike, bytes or onnx.ModelProto

    Returns
    -------
    Module
        ``module(*inputs)``: one Tensor per graph input, in order.

    Examples
    --------
    >>> import io, glassnet, glassnet.nn as nn, glassnet.onnx
    >>> buf = io.BytesIO()
    >>> _ = glassnet.onnx.export(nn.Linear(3, 2), glassnet.randn(1, 3), buf)
    >>> m = glassnet.onnx.load(buf.getvalue())
    >>> tuple(m(glassnet.randn(4, 3)).shape)
    (4, 2)
    """
    onnx = require_onnx("load")
    if isinstance(path, onnx.ModelProto):
        proto = path
    elif isinstance(path, (bytes, bytearray)):
        proto = onnx.load_from_string(bytes(path))
    elif isinstance(path, (str, os.PathLike)):
        if not os.path.exists(path):
            raise FileNotFoundError(f"load: ONNX file not found: {os.fspath(path)}")
        proto = onnx.load(os.fspath(path))
    else:
        raise TypeError(f"load: path must be a path, bytes or an onnx.ModelProto, got "
                        f"{type(path).__name__}")
    return OnnxModule(proto)
