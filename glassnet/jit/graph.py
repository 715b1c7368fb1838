"""``Graph``: a static graph of recorded ops, its listing, its Graphviz drawing, and its
execution on raw arrays with a memory plan.

A graph is a list of :class:`Value` (edges: arrays with a shape and dtype) and a list of
:class:`Node` in execution order (an op, the :class:`~glassnet.autograd.Function`
subclass, with its attributes, the keyword arguments of ``apply``).  Running it calls
each op's ``forward`` on arrays, with no autograd bookkeeping, and drops each
intermediate array as soon as its last reader has run.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Value", "Node", "Graph"]


@dataclass
class Value:
    """One array of the graph.

    ``kind`` is ``'input'`` (a graph input), ``'param'`` (a parameter or buffer of the
    traced module, ``ref`` the live tensor), ``'const'`` (``ref`` the frozen array) or
    ``'node'`` (the output of a node).
    """

    index: int
    kind: str
    name: str
    shape: tuple
    dtype: np.dtype
    ref: object = field(default=None, repr=False)

    def array(self):
        """The current array of a parameter or constant."""
        if self.kind == "param":
            return self.ref._data
        return self.ref


@dataclass
class Node:
    """One recorded ``Function.apply``: ``op`` (the Function class), ``attrs`` (its keyword
    arguments), ``inputs`` (value indices), ``output`` (a value index), ``scope`` (the
    qualified name of the module that ran it) and ``where`` (the source line)."""

    index: int
    op: type
    attrs: dict
    inputs: tuple
    output: int
    name: str
    scope: str = ""
    where: tuple = ("", 0)
    # attribute name -> value index: an attribute that is a traced value's array (a
    # gather index, a where condition that is a graph input), read from that value when
    # the graph runs
    bound: dict = field(default_factory=dict)
    # 'reduce': 'max' or 'min' for GatherMax (max/min along dim), whose argmax indices are
    # recomputed from its input when the graph runs
    info: dict = field(default_factory=dict)


def live_attrs(node, env) -> dict:
    """The attributes ``node``'s forward gets in a run: the recorded ones, with bound
    attributes read from ``env`` and data-dependent indices recomputed."""
    if not node.bound and not node.info:
        return node.attrs
    attrs = dict(node.attrs)
    for k, v in node.bound.items():
        attrs[k] = env[v]
    reduce = node.info.get("reduce")
    if reduce is not None:
        x = env[node.inputs[0]]
        fn = np.argmax if reduce == "max" else np.argmin
        attrs["indices"] = fn(x, axis=attrs["axis"])
    return attrs


def _fmt_attr(v) -> str:
    if isinstance(v, np.ndarray):
        return f"array{tuple(v.shape)}" if v.size > 4 else np.array2string(
            v, precision=4, separator=",")
    if isinstance(v, (tuple, list)) and any(isinstance(e, np.ndarray) for e in v):
        return "(" + ", ".join(_fmt_attr(e) for e in v) + ")"
    if type(v).__name__ == "Window":
        parts = [f"k={v.kernel}", f"s={v.stride}", f"p={v.pad}"]
        if any(d != 1 for d in v.dilation):
            parts.append(f"d={v.dilation}")
        return "Window(" + " ".join(parts) + ")"
    if isinstance(v, float):
        return f"{v:.6g}"
    if callable(v):
        return getattr(v, "__name__", type(v).__name__)
    text = repr(v)
    return text if len(text) <= 40 else text[:37] + "..."


class _Ref(str):
    """An attribute read from a value (or recomputed) when the graph runs, listed as
    ``<name>``."""

    def __repr__(self):
        return f"<{str(self)}>"


def _fmt_attrs(attrs: dict) -> str:
    return ", ".join(f"{k}={_fmt_attr(v)}" for k, v in attrs.items() if v is not None)


class Graph:
    """A traced call as a static graph; made by :func:`glassnet.jit.trace`.

    Attributes
    ----------
    values : list of Value
    nodes : list of Node
        In execution order.
    inputs, outputs : tuple of int
        Value indices of the graph's inputs and outputs.

    ``graph(*inputs)`` runs it (Tensors in, Tensors out without grad; ndarrays in,
    ndarrays out); ``print(graph)`` lists it; :meth:`to_dot` draws it.
    """

    def __init__(self, values, nodes, inputs, outputs, rebuild, module=None):
        self.values = list(values)
        self.nodes = list(nodes)
        self.inputs = tuple(inputs)
        self.outputs = tuple(outputs)
        self._rebuild = rebuild
        self.module = module
        self._plan = self._free_plan()

    # -- memory plan -------------------------------------------------------------
    def _free_plan(self):
        """For each node, the values whose last reader it is (freed after it runs)."""
        last = {}
        for node in self.nodes:
            for i in tuple(node.inputs) + tuple(node.bound.values()):
                last[i] = node.index
        keep = set(self.outputs)
        plan = [[] for _ in self.nodes]
        for v, n in last.items():
            if self.values[v].kind == "node" and v not in keep:
                plan[n].append(v)
        return plan

    def memory_plan(self) -> dict:
        """Bytes of node outputs alive at once when the graph runs.

        Returns ``{'peak_bytes': ..., 'total_bytes': ...}``: the largest sum of the
        output buffers alive together (a buffer is freed once the last reader of every
        value sharing it has run) and the sum of all node output buffers (what keeping
        every one of them, as a recorded autograd graph does, would hold).  Outputs of
        view ops (``Function.is_view``: reshape, permute, basic indexing) share their
        input's buffer.  Workspaces inside an op (im2col columns, padded grids) are not
        counted.
        """
        vals, nodes = self.values, self.nodes
        buffer = {}  # value -> the value owning its storage
        for node in nodes:
            src = node.inputs[0] if node.op.is_view and node.inputs else None
            buffer[node.output] = buffer.get(src, src) if src is not None else node.output
        last = {}
        for node in nodes:
            for i in tuple(node.inputs) + tuple(node.bound.values()):
                last[buffer.get(i, i)] = node.index
        for i in self.outputs:
            last[buffer.get(i, i)] = len(nodes)
        frees = [[] for _ in nodes]
        for b, n in last.items():
            if n < len(nodes) and vals[b].kind == "node":
                frees[n].append(b)
        size = {v.index: int(np.prod(v.shape)) * np.dtype(v.dtype).itemsize for v in vals}
        live = peak = total = 0
        for node, done in zip(nodes, frees):
            if buffer[node.output] == node.output:
                live += size[node.output]
                total += size[node.output]
            peak = max(peak, live)
            live -= sum(size[b] for b in done)
        return {"peak_bytes": peak, "total_bytes": total}

    # -- execution -------------------------------------------------------------------
    def run(self, *arrays):
        """Run the recorded forwards on ``arrays`` (one per graph input); returns the list
        of output arrays."""
        if len(arrays) != len(self.inputs):
            raise TypeError(f"Graph: expected {len(self.inputs)} inputs, got {len(arrays)}")
        env = [None] * len(self.values)
        for i, (idx, a) in enumerate(zip(self.inputs, arrays)):
            v = self.values[idx]
            if tuple(a.shape) != v.shape:
                raise ValueError(f"Graph: input {i} ({v.name}) must have the traced shape "
                                 f"{v.shape}, got {tuple(a.shape)}")
            if a.dtype != v.dtype:
                raise TypeError(f"Graph: input {i} ({v.name}) must have the traced dtype "
                                f"{v.dtype}, got {a.dtype}")
            env[idx] = a
        for v in self.values:
            if v.kind in ("param", "const"):
                env[v.index] = v.array()
        for node, frees in zip(self.nodes, self._plan):
            fn = node.op()
            fn.needs_input_grad = (False,) * len(node.inputs)
            env[node.output] = fn.forward(*[env[i] for i in node.inputs],
                                          **live_attrs(node, env))
            for v in frees:
                env[v] = None
        return [env[i] for i in self.outputs]

    def __call__(self, *inputs):
        from glassnet._tensor_base import TensorBase

        as_tensor = any(isinstance(x, TensorBase) for x in inputs)
        arrays = [x._data if isinstance(x, TensorBase) else np.asarray(x) for x in inputs]
        outs = self.run(*arrays)
        if as_tensor:
            outs = [TensorBase._wrap(o) for o in outs]
        return self._rebuild(outs)

    # -- listing -------------------------------------------------------------------
    def tabular(self) -> list:
        """One row per input, parameter, constant, node and output:
        ``(kind, name, op, inputs, attrs, shape, dtype)``, as torch.fx's print_tabular."""
        rows = []
        vals = self.values
        for v in vals:
            if v.kind != "node":
                rows.append((v.kind, v.name, "", "", "", str(v.shape), str(v.dtype)))
        for n in self.nodes:
            out = vals[n.output]
            args = ", ".join(vals[i].name for i in n.inputs)
            op = n.op.__name__ + (f" [{n.scope}]" if n.scope else "")
            attrs = {k: _Ref(vals[n.bound[k]].name) if k in n.bound else v
                     for k, v in n.attrs.items()}
            if n.info.get("reduce"):
                attrs["indices"] = _Ref(f"arg{n.info['reduce']}({vals[n.inputs[0]].name})")
            rows.append(("op", n.name, op, args, _fmt_attrs(attrs), str(out.shape),
                         str(out.dtype)))
        rows.append(("output", "output", "", ", ".join(vals[i].name for i in self.outputs),
                     "", "", ""))
        return rows

    def __str__(self) -> str:
        header = ("kind", "name", "op [module]", "inputs", "attrs", "shape", "dtype")
        rows = [header] + self.tabular()
        widths = [min(max(len(r[c]) for r in rows), 60) for c in range(len(header))]

        def line(r):
            cells = [c if len(c) <= w else c[:w - 3] + "..." for c, w in zip(r, widths)]
            return "  ".join(c.ljust(w) for c, w in zip(cells, widths)).rstrip()

        out = [line(header), "  ".join("-" * w for w in widths)]
        out += [line(r) for r in rows[1:]]
        return "\n".join(out)

    def __repr__(self) -> str:
        counts = {}
        for v in self.values:
            counts[v.kind] = counts.get(v.kind, 0) + 1
        return (f"Graph(inputs={len(self.inputs)}, params={counts.get('param', 0)}, "
                f"consts={counts.get('const', 0)}, nodes={len(self.nodes)}, "
                f"outputs={len(self.outputs)})")

    # -- drawing -------------------------------------------------------------------
    def to_dot(self, filename: str | os.PathLike | None = None) -> str:
        """Graphviz text of the graph (ops as boxes, inputs and outputs as ellipses,
        edges labelled with shapes; parameters and constants are folded into their op's
        label).

        With ``filename``, the text is written to ``filename`` (``.dot``/``.gv``); a
        ``.png``/``.svg``/``.pdf`` name is rendered with Graphviz's ``dot`` program,
        which must be on PATH (RuntimeError otherwise).
        """
        vals = self.values
        lines = ["digraph G {", '  rankdir=TB;', '  node [fontname="Helvetica", fontsize=10];']
        for idx in self.inputs:
            v = vals[idx]
            lines.append(f'  v{idx} [shape=ellipse, label="{v.name}\\n{v.shape}"];')
        for n in self.nodes:
            side = [vals[i].name for i in n.inputs if vals[i].kind in ("param", "const")]
            label = n.op.__name__
            if n.scope:
                label += f"\\n{n.scope}"
            attrs = _fmt_attrs(n.attrs)
            if attrs:
                label += "\\n" + attrs.replace('"', "'")[:60]
            if side:
                label += "\\n(" + ", ".join(side)[:60] + ")"
            lines.append(f'  v{n.output} [shape=box, label="{label}"];')
            for i in n.inputs:
                if vals[i].kind in ("input", "node"):
                    lines.append(f'  v{i} -> v{n.output} [label="{vals[i].shape}"];')
        for k, idx in enumerate(self.outputs):
            lines.append(f'  out{k} [shape=ellipse, label="output {k}"];')
            lines.append(f'  v{idx} -> out{k} [label="{vals[idx].shape}"];')
        lines.append("}")
        text = "\n".join(lines) + "\n"
        if filename is not None:
            path = os.fspath(filename)
            ext = os.path.splitext(path)[1].lower().lstrip(".")
            if ext in ("png", "svg", "pdf"):
                dot = shutil.which("dot")
                if dot is None:
                    raise RuntimeError(f"Graph.to_dot: rendering {path!r} needs Graphviz's "
                                       f"'dot' program on PATH; it was not found")
                subprocess.run([dot, f"-T{ext}", "-o", path], input=text.encode(),
                               check=True)
            else:
                with open(path, "w", encoding="utf-8") as f:
                    f.write(text)
        return text
