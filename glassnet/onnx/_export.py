"""``glassnet.onnx.export``: a traced :class:`~glassnet.jit.Graph` written as an ONNX model.

The model is traced with :func:`glassnet.jit.trace` (in eval mode, as
``torch.onnx.export``'s default), then each recorded node becomes one or a few ONNX nodes
(:mod:`glassnet.onnx._converters`); parameters, buffers and constants become
initializers.  ``onnx`` is imported here only, so ``import glassnet`` stays light.
"""
from __future__ import annotations

import io
import os

import numpy as np

__all__ = ["export", "Builder", "UnsupportedOperatorError", "require_onnx"]

MIN_OPSET, MAX_OPSET = 13, 21


class UnsupportedOperatorError(RuntimeError):
    """An op that the ONNX exporter or loader cannot translate."""


def require_onnx(fn: str):
    """The ``onnx`` module, or an ImportError that says how to install it."""
    try:
        import onnx
    except ImportError:
        raise ImportError(f"{fn}: needs the optional 'onnx' package: pip install "
                          f"'glassnet[onnx]' (onnx and onnxruntime)") from None
    return onnx


class Builder:
    """Collects ONNX nodes and initializers while converting a Graph."""

    def __init__(self, graph, opset: int, batch_inputs: set):
        self.graph = graph
        self.opset = opset
        self.nodes: list = []
        self.initializers: dict = {}  # name -> array
        self.names: dict = {}  # value index -> ONNX name
        self._used: set = set()
        self._counter = 0
        self._node = None
        # Values whose dim 0 follows a dynamic batch: the inputs named in dynamic_axes
        # with axis 0, and every node output computed from one of them.
        self._batch = set(batch_inputs)

    # -- names -----------------------------------------------------------------------
    def unique(self, hint: str) -> str:
        base = name = hint or "v"
        k = 1
        while name in self._used:
            name = f"{base}_{k}"
            k += 1
        self._used.add(name)
        return name

    def const(self, array, hint: str = "") -> str:
        array = np.asarray(array)
        name = self.unique(hint or f"const_{len(self.initializers)}")
        self.initializers[name] = np.asarray(array, order="C")  # NOTE: keeps 0-d arrays 0-d
        return name

    # -- reading the node being converted -------------------------------------------
    def input(self, node, i: int) -> str:
        return self.names[node.inputs[i]]

    def inputs(self, node, same_dtype: bool = False) -> list:
        names = [self.names[i] for i in node.inputs]
        if not same_dtype:
            return names
        # ONNX's elementwise ops need one dtype: constants are cast at export time,
        # other values by a Cast node, to the dtype glassnet's result has.
        want = self.dtype(node.output)
        out = []
        for i, name in zip(node.inputs, names):
            if self.dtype(i) == want:
                out.append(name)
            elif name in self.initializers and self.graph.values[i].kind == "const":
                out.append(self.const(self.initializers[name].astype(want)))
            else:
                out.append(self.emit("Cast", [name], to=self.onnx_dtype(want)))
        return out

    def attr_input(self, node, name: str, dtype=None) -> str:
        """An array attribute as an ONNX input: the bound value's name (see
        :class:`glassnet.jit.Node`) or an initializer of the traced array."""
        if name in node.bound:
            return self.names[node.bound[name]]
        array = np.asarray(node.attrs[name])
        return self.const(array if dtype is None else array.astype(dtype))

    def shape(self, value: int) -> tuple:
        return self.graph.values[value].shape

    def dtype(self, value: int) -> np.dtype:
        return np.dtype(self.graph.values[value].dtype)

    @staticmethod
    def onnx_dtype(dtype) -> int:
        from onnx import helper

        return helper.np_dtype_to_tensor_dtype(np.dtype(dtype))

    def dynamic_batch(self, value: int) -> bool:
        return value in self._batch

    # -- emitting ----------------------------------------------------------------------
    def emit(self, op_type: str, inputs, **attrs) -> str:
        from onnx import helper

        node = self._node
        base = node.name if node is not None else op_type.lower()
        out = self.unique(f"{base}/{op_type}")
        prefix = f"{node.scope}/" if node is not None and node.scope else ""
        self._counter += 1
        self.nodes.append(helper.make_node(op_type, list(inputs), [out],
                                           name=f"{prefix}{op_type}_{self._counter}",
                                           **attrs))
        return out

    def unsupported(self, node, what: str):
        where = f" in module '{node.scope}'" if node.scope else ""
        raise UnsupportedOperatorError(
            f"export: cannot export {what}: op {node.op.__name__} (node {node.name}{where}, "
            f"{node.where[0]}:{node.where[1]})")

    def convert(self, converters) -> None:
        for node in self.graph.nodes:
            fn = converters.get(node.op)
            if fn is None:
                self.unsupported(node, f"the op {node.op.__name__} (no ONNX converter)")
            self._node = node
            self.names[node.output] = fn(self, node)
            if any(i in self._batch for i in tuple(node.inputs) + tuple(node.bound.values())):
                self._batch.add(node.output)
        self._node = None


def _dynamic_dims(dynamic_axes, names) -> dict:
    """{name: {axis: dim_param}} from torch's dynamic_axes forms (list or dict)."""
    out = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in names:
            raise ValueError(f"export: dynamic_axes names {name!r}, which is neither an input "
                             f"nor an output name; names are {sorted(names)}")
        if isinstance(axes, dict):
            out[name] = {int(a): str(d) for a, d in axes.items()}
        elif isinstance(axes, (list, tuple)):
            out[name] = {int(a): f"{name}_dynamic_axes_{k + 1}" for k, a in enumerate(axes)}
        else:
            raise TypeError(f"export: dynamic_axes[{name!r}] must be a list of axes or a dict "
                            f"axis -> name, got {type(axes).__name__}")
    return out


def _value_info(name, value, dims, onnx_dtype):
    from onnx import helper

    shape = [dims.get(a, s) for a, s in enumerate(value.shape)]
    return helper.make_tensor_value_info(name, onnx_dtype(value.dtype), shape)


def _check_names(names, count, what):
    if names is None:
        return None
    names = list(names)
    if len(names) > count or len(set(names)) != len(names) or not all(
            isinstance(n, str) and n for n in names):
        raise ValueError(f"export: {what} must be at most {count} distinct non-empty "
                         f"strings, got {names!r}")
    return names


def export(model, args, f, *, input_names=None, output_names=None, dynamic_axes=None,
           opset_version: int | None = 17, verbose: bool = False, export_params: bool = True,
           keep_initializers_as_inputs: bool = False, training=None,
           do_constant_folding: bool = True, dynamo: bool = False):
    """Export ``model`` to an ONNX file, as ``torch.onnx.export``.

    The model is traced on ``args`` with :func:`glassnet.jit.trace` in eval mode (the
    model's train/eval modes are restored afterwards), so the file computes the call's
    ops for inputs of the traced shapes, except the axes named in ``dynamic_axes``.
    Supported ops: convolution and transposed convolution, max/average/adaptive
    pooling, batch norm (eval), instance/group/layer norm, LRN, every activation,
    linear/matmul, elementwise arithmetic, reshape/flatten/permute/concat/stack/pad/
    slicing, interpolate, softmax/log_softmax; dropout is the identity in eval mode.
    Others raise
    :class:`UnsupportedOperatorError` naming the op and the module.

    Parameters
    ----------
    model : Module or callable
        What to export.
    args : Tensor or tuple of Tensors
        Example inputs.
    f : str, PathLike or binary file object
        Where to write the model.
    input_names, output_names : list of str, optional
        Names of the graph's inputs and outputs (default ``input``/``input_0``...,
        ``output``/``output_0``...).
    dynamic_axes : dict, optional
        ``{name: [axis, ...]}`` or ``{name: {axis: "dim_name"}}`` for inputs and outputs
        whose size may change (usually the batch axis 0).  A dynamic axis 0 of an input
        is followed through reshapes and flattens.
    opset_version : int
        ONNX opset, 13 to 21 (None: 17).
    verbose : bool
        Print the traced graph (:class:`glassnet.jit.Graph`'s listing).
    export_params : bool
        Store the parameters and buffers in the file (default); False makes them extra
        graph inputs, after the model's inputs, named by their state_dict keys.
    keep_initializers_as_inputs : bool
        Also list the stored parameters as graph inputs (for old runtimes).
    training : None or str
        ``None``/``"eval"`` (default): export in eval mode; ``"preserve"``: keep the
        modules' modes (training-mode batch norm and dropout then fail to export).
    do_constant_folding, dynamo : bool
        Accepted for ``torch.onnx.export`` compatibility; glassnet always traces and its
        graphs hold no foldable constant subgraphs.

    Returns
    -------
    onnx.ModelProto
        Glassnet extra (``torch.onnx.export`` returns None): the exported model.

    Examples
    --------
    >>> import io, glassnet, glassnet.nn as nn, glassnet.onnx
    >>> buf = io.BytesIO()
    >>> proto = glassnet.onnx.export(nn.Linear(3, 2), glassnet.randn(1, 3), buf)
    >>> [n.op_type for n in proto.graph.node]
    ['Gemm', 'Identity']
    """
    onnx = require_onnx("export")
    from onnx import helper, numpy_helper

    from glassnet._tensor_base import TensorBase
    from glassnet.jit import trace
    from glassnet.nn.module import Module
    from glassnet.onnx._converters import CONVERTERS

    fn = "export"
    opset_version = 17 if opset_version is None else opset_version
    if training not in (None, "eval", "preserve"):
        raise ValueError(f"{fn}: training must be None, 'eval' or 'preserve', got "
                         f"{training!r}")
    if isinstance(opset_version, bool) or not isinstance(opset_version, int) \
            or not MIN_OPSET <= opset_version <= MAX_OPSET:
        raise ValueError(f"{fn}: opset_version must be an int in [{MIN_OPSET}, {MAX_OPSET}], "
                         f"got {opset_version!r}")
    inputs = tuple(args) if isinstance(args, (tuple, list)) else (args,)
    for i, x in enumerate(inputs):
        if not isinstance(x, TensorBase):
            raise TypeError(f"{fn}: args[{i}] must be a Tensor, got {type(x).__name__}")
    modes = None
    if isinstance(model, Module) and training != "preserve":
        modes = [(m, m.training) for m in model.modules()]
        model.eval()
    try:
        graph = trace(model, inputs)
    finally:
        for m, mode in modes or ():
            m.training = mode

    in_names = _check_names(input_names, len(inputs), "input_names") or []
    in_names += [f"input_{i}" if len(inputs) > 1 else "input"
                 for i in range(len(in_names), len(inputs))]
    n_out = len(graph.outputs)
    out_names = _check_names(output_names, n_out, "output_names") or []
    out_names += [f"output_{i}" if n_out > 1 else "output" for i in range(len(out_names), n_out)]
    dims = _dynamic_dims(dynamic_axes, set(in_names) | set(out_names))

    if verbose:
        print(graph)
    batch_inputs = {idx for idx, name in zip(graph.inputs, in_names) if 0 in dims.get(name, {})}
    b = Builder(graph, opset_version, batch_inputs)
    for name in in_names + out_names:
        b._used.add(name)
    for idx, name in zip(graph.inputs, in_names):
        b.names[idx] = name
    param_inputs = []
    for v in graph.values:
        if v.kind == "param" and not export_params:
            b.names[v.index] = b.unique(v.name)
            param_inputs.append(v)
        elif v.kind in ("param", "const"):
            b.names[v.index] = b.const(v.array(), v.name)
    stored = [v for v in graph.values if v.kind == "param" and export_params]
    b.convert(CONVERTERS)
    for idx, name in zip(graph.outputs, out_names):
        b.nodes.append(helper.make_node("Identity", [b.names[idx]], [name],
                                        name=f"output/{name}"))

    values = graph.values
    onnx_graph = helper.make_graph(
        b.nodes, "glassnet",
        [_value_info(n, values[i], dims.get(n, {}), b.onnx_dtype)
         for i, n in zip(graph.inputs, in_names)]
        + [_value_info(b.names[v.index], v, {}, b.onnx_dtype)
           for v in param_inputs + (stored if keep_initializers_as_inputs else [])],
        [_value_info(n, values[i], dims.get(n, {}), b.onnx_dtype)
         for i, n in zip(graph.outputs, out_names)],
        initializer=[numpy_helper.from_array(a, name) for name, a in b.initializers.items()])
    opset = [helper.make_opsetid("", opset_version)]
    proto = helper.make_model(onnx_graph, opset_imports=opset, producer_name="glassnet")
    proto.ir_version = helper.find_min_ir_version_for(opset)
    onnx.checker.check_model(proto)
    data = proto.SerializeToString()
    if isinstance(f, (str, os.PathLike)):
        with open(f, "wb") as fh:
            fh.write(data)
    elif isinstance(f, io.IOBase) or hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"{fn}: f must be a path or a binary file object, got "
                        f"{type(f).__name__}")
    return proto
