"""One converter per glassnet op: a recorded :class:`~glassnet.jit.Node` as ONNX nodes.

A converter ``convert(ctx, node) -> str`` reads the node's attributes, emits ONNX nodes
through ``ctx`` (:class:`glassnet.onnx._export.Builder`) and returns the name of the
ONNX value that holds the node's output.  Geometry (padding after the input, pooling
divisors, adaptive bins, resampling indices) is recomputed from the recorded attributes
so that the exported graph computes the same numbers as glassnet.
"""
from __future__ import annotations

import numpy as np

from glassnet.ops import activation as A
from glassnet.ops import conv as C
from glassnet.ops import elementwise as E
from glassnet.ops import indexing as I
from glassnet.ops import linalg as L
from glassnet.ops import norm as N
from glassnet.ops import pool as P
from glassnet.ops import reduce as R
from glassnet.ops import sampling as S
from glassnet.ops import shape as SH
from glassnet.ops import unary as U
from glassnet.ops._coerce import Cast
from glassnet.ops.dropout import Dropout

__all__ = ["CONVERTERS", "converts"]

CONVERTERS: dict = {}
_INT64_MAX = np.iinfo(np.int64).max


def converts(*classes):
    def register(fn):
        for cls in classes:
            CONVERTERS[cls] = fn
        return fn

    return register


# -- geometry ------------------------------------------------------------------------
def _end_pads(win) -> list:
    """Padding after the input per spatial dim: the window's implied padding, symmetric
    (as PyTorch) when that gives the same output size, else just what the last window
    reads."""
    ends = []
    for n, o, k, s, p, d in zip(win.in_size, win.out_size, win.kernel, win.stride, win.pad,
                                win.dilation):
        reach = d * (k - 1) + 1
        if (n + 2 * p - reach) // s + 1 == o:
            ends.append(p)
        else:
            ends.append(max(0, (o - 1) * s + reach - n - p))
    return ends


def _window_attrs(win) -> dict:
    return dict(kernel_shape=list(win.kernel), strides=list(win.stride),
                pads=list(win.pad) + _end_pads(win), dilations=list(win.dilation))


# -- convolution and pooling -----------------------------------------------------------
@converts(C.Conv2d)
def _conv(ctx, node):
    return ctx.emit("Conv", ctx.inputs(node), group=node.attrs["groups"],
                    **_window_attrs(node.attrs["window"]))


@converts(C.ConvTranspose2d)
def _conv_transpose(ctx, node):
    win = node.attrs["window"]  # the forward conv from the output back to the input
    begins, ends, extra = list(win.pad), [], []
    for n_out, n_in, k, s, p, d in zip(win.in_size, win.out_size, win.kernel, win.stride,
                                       win.pad, win.dilation):
        end = s * (n_in - 1) + d * (k - 1) + 1 - p - n_out
        ends.append(max(end, 0))
        extra.append(max(-end, 0))
    attrs = dict(kernel_shape=list(win.kernel), strides=list(win.stride),
                 pads=begins + ends, dilations=list(win.dilation),
                 group=node.attrs["groups"])
    if any(extra):
        attrs["output_padding"] = extra
    return ctx.emit("ConvTranspose", ctx.inputs(node), **attrs)


@converts(P.MaxPool2d)
def _max_pool(ctx, node):
    if node.attrs.get("side") is not None:
        ctx.unsupported(node, "max pooling with return_indices=True")
    return ctx.emit("MaxPool", ctx.inputs(node), **_window_attrs(node.attrs["window"]))


@converts(P.AvgPool2d)
def _avg_pool(ctx, node):
    # Zero padding made explicit, then a plain window mean, then the divisor glassnet
    # used (count_include_pad, ceil_mode's clipped windows, divisor_override).
    win, divisor = node.attrs["window"], node.attrs["divisor"]
    x = ctx.input(node, 0)
    pads = list(win.pad) + [max(0, (o - 1) * s + k - n - p) for n, o, k, s, p in zip(
        win.in_size, win.out_size, win.kernel, win.stride, win.pad)]
    nd = len(win.kernel)
    if any(pads):
        x = ctx.emit("Pad", [x, ctx.const(np.array([0, 0] + pads[:nd] + [0, 0] + pads[nd:],
                                                   np.int64))])
    y = ctx.emit("AveragePool", [x], kernel_shape=list(win.kernel), strides=list(win.stride))
    factor = np.prod(win.kernel) / np.asarray(divisor, np.float64)
    if np.all(factor == 1):
        return y
    return ctx.emit("Mul", [y, ctx.const(factor.astype(ctx.dtype(node.output)))])


def _adaptive_matrix(n_in, n_out, dtype):
    """``(n_out, n_in)`` averaging matrix of PyTorch's adaptive bins
    ``[floor(i * n_in / n_out), ceil((i + 1) * n_in / n_out))``."""
    m = np.zeros((n_out, n_in), np.float64)
    for i in range(n_out):  # geometry only: a loop over output bins at export time
        lo, hi = (i * n_in) // n_out, -((-(i + 1) * n_in) // n_out)
        m[i, lo:hi] = 1.0 / (hi - lo)
    return m.astype(dtype)


@converts(P.AdaptiveAvgPool2d)
def _adaptive_avg_pool(ctx, node):
    out_size = tuple(node.attrs["output_size"])
    x = ctx.input(node, 0)
    in_shape = ctx.shape(node.inputs[0])
    spatial = in_shape[len(in_shape) - len(out_size):]
    if all(o == 1 for o in out_size) and len(in_shape) == 2 + len(out_size):
        return ctx.emit("GlobalAveragePool", [x])
    if len(out_size) != 2:
        ctx.unsupported(node, f"adaptive average pooling to {out_size} (3-D)")
    # y = A_h @ x @ A_w^T: two MatMuls with the bins' averaging matrices (exact for any
    # input and output size, including output > input).
    dtype = ctx.dtype(node.output)
    a_h = _adaptive_matrix(spatial[0], out_size[0], dtype)
    a_w = _adaptive_matrix(spatial[1], out_size[1], dtype)
    y = ctx.emit("MatMul", [ctx.const(a_h), x])
    return ctx.emit("MatMul", [y, ctx.const(np.ascontiguousarray(a_w.T))])


@converts(P.AdaptiveMaxPool2d)
def _adaptive_max_pool(ctx, node):
    out_size = tuple(node.attrs["output_size"])
    in_shape = ctx.shape(node.inputs[0])
    if node.attrs.get("side") is None and all(o == 1 for o in out_size) \
            and len(in_shape) == 2 + len(out_size):
        return ctx.emit("GlobalMaxPool", [ctx.input(node, 0)])
    ctx.unsupported(node, f"adaptive max pooling to {out_size} (only to 1x1)")


# -- normalisation ------------------------------------------------------------------
@converts(N.StatNorm)
def _stat_norm(ctx, node):
    a = node.attrs
    if a.get("stats") is not None:
        return _fixed_stats_norm(ctx, node)
    if tuple(a["stat_axes"]) == (2,) and tuple(a["param_view"]) == (1, a["affine_view"][1], 1):
        return _group_norm(ctx, node)
    if tuple(a["stat_axes"]) == (1,) and len(a["stat_view"]) == 2:
        return _layer_norm(ctx, node)
    ctx.unsupported(node, "normalisation with batch statistics (batch norm in training "
                    "mode); export in eval mode")


def _affine_inputs(ctx, node, count, shape):
    """(scale, bias) names: the node's weight and bias inputs, or ones and zeros."""
    a = node.attrs
    dtype = ctx.dtype(node.output)
    ins = ctx.inputs(node)
    scale = ins[1] if a["has_weight"] else ctx.const(np.ones(shape, dtype))
    bias = ins[1 + a["has_weight"]] if a["has_bias"] else ctx.const(np.zeros(shape, dtype))
    return ins[0], scale, bias


def _fixed_stats_norm(ctx, node):
    # Batch norm in eval mode (and instance norm with running statistics): one mean and
    # variance per channel.
    a = node.attrs
    c = int(np.prod(a["param_view"]))
    if tuple(a["param_view"]) != (1, a["stat_view"][1], 1) or any(
            np.size(s) != c for s in a["stats"]):
        ctx.unsupported(node, "normalisation with fixed statistics that are not per channel")
    dtype = ctx.dtype(node.output)
    x, scale, bias = _affine_inputs(ctx, node, c, c)
    mean, var = (ctx.const(np.asarray(s).reshape(c).astype(dtype), f"{node.scope}.{n}")
                 for s, n in zip(a["stats"], ("running_mean", "running_var")))
    return ctx.emit("BatchNormalization", [x, scale, bias, mean, var],
                    epsilon=float(a["eps"]))


def _group_norm(ctx, node):
    # Group norm (instance norm: one group per channel): normalise (N, G, -1) with
    # InstanceNormalization, reshape back, then the per-channel affine map.
    a = node.attrs
    groups, c = a["stat_view"][1], a["affine_view"][1]
    dtype = ctx.dtype(node.output)
    x = ctx.input(node, 0)
    ndim = len(ctx.shape(node.inputs[0]))
    xg = ctx.emit("Reshape", [x, ctx.const(np.array([0, groups, -1], np.int64))])
    y = ctx.emit("InstanceNormalization", [xg, ctx.const(np.ones(groups, dtype)),
                                           ctx.const(np.zeros(groups, dtype))],
                 epsilon=float(a["eps"]))
    y = ctx.emit("Reshape", [y, ctx.emit("Shape", [x])])
    per_channel = np.array([c] + [1] * (ndim - 2), np.int64)
    ins = ctx.inputs(node)
    if a["has_weight"]:
        y = ctx.emit("Mul", [y, ctx.emit("Reshape", [ins[1], ctx.const(per_channel)])])
    if a["has_bias"]:
        y = ctx.emit("Add", [y, ctx.emit("Reshape", [ins[1 + a["has_weight"]],
                                                     ctx.const(per_channel)])])
    return y


def _layer_norm(ctx, node):
    a = node.attrs
    shape = ctx.shape(node.inputs[0])
    d = a["stat_view"][1]
    k = next((k for k in range(1, len(shape) + 1) if int(np.prod(shape[-k:])) == d), None)
    if k is None or ctx.opset < 17:
        ctx.unsupported(node, "layer norm (needs opset >= 17)" if k is not None
                        else "normalisation over non-trailing axes")
    x, scale, bias = _affine_inputs(ctx, node, d, shape[-k:])
    ins = ctx.inputs(node)
    if a["has_weight"] and ctx.shape(node.inputs[1]) != tuple(shape[-k:]):
        scale = ctx.emit("Reshape", [ins[1], ctx.const(np.array(shape[-k:], np.int64))])
    if a["has_bias"] and ctx.shape(node.inputs[1 + a["has_weight"]]) != tuple(shape[-k:]):
        bias = ctx.emit("Reshape", [ins[1 + a["has_weight"]],
                                    ctx.const(np.array(shape[-k:], np.int64))])
    return ctx.emit("LayerNormalization", [x, scale, bias], axis=len(shape) - k,
                    epsilon=float(a["eps"]))


@converts(N.LocalResponseNorm)
def _lrn(ctx, node):
    a = node.attrs
    if a["size"] % 2 == 0:
        # NOTE: ONNX centres an even window one channel later than PyTorch does.
        ctx.unsupported(node, f"local response norm with an even size ({a['size']})")
    return ctx.emit("LRN", [ctx.input(node, 0)], size=int(a["size"]), alpha=float(a["alpha"]),
                    beta=float(a["beta"]), bias=float(a["k"]))


# -- linear algebra -----------------------------------------------------------------
@converts(L.Linear)
def _linear(ctx, node):
    ins = ctx.inputs(node)
    if len(ctx.shape(node.inputs[0])) == 2:
        return ctx.emit("Gemm", ins, transB=1)
    y = ctx.emit("MatMul", [ins[0], ctx.emit("Transpose", [ins[1]], perm=[1, 0])])
    return ctx.emit("Add", [y, ins[2]]) if len(ins) == 3 else y


@converts(L.MatMul)
def _matmul(ctx, node):
    return ctx.emit("MatMul", ctx.inputs(node, same_dtype=True))


# -- elementwise ------------------------------------------------------------------------
_BINARY = {E.Add: "Add", E.Sub: "Sub", E.Mul: "Mul", E.Div: "Div", E.Pow: "Pow"}
_UNARY = {U.Exp: "Exp", U.Log: "Log", U.Sqrt: "Sqrt", U.Neg: "Neg", U.Abs: "Abs",
          U.Reciprocal: "Reciprocal", U.Sin: "Sin", U.Cos: "Cos", U.Tan: "Tan",
          U.Asin: "Asin", U.Acos: "Acos", U.Atan: "Atan", U.Sinh: "Sinh", U.Cosh: "Cosh",
          U.Asinh: "Asinh", U.Acosh: "Acosh", U.Atanh: "Atanh", U.Erf: "Erf",
          A.ReLU: "Relu", A.Sigmoid: "Sigmoid", A.Tanh: "Tanh", A.Softsign: "Softsign",
          A.Hardswish: "HardSwish", E.Clone: "Identity"}


def _binary(ctx, node):
    return ctx.emit(_BINARY[node.op], ctx.inputs(node, same_dtype=True))


def _unary(ctx, node):
    return ctx.emit(_UNARY[node.op], [ctx.input(node, 0)])


for _cls in _BINARY:
    CONVERTERS[_cls] = _binary
for _cls, _name in _UNARY.items():
    if _name is not None:
        CONVERTERS[_cls] = _unary


@converts(U.Square)
def _square(ctx, node):
    x = ctx.input(node, 0)
    return ctx.emit("Mul", [x, x])


@converts(U.Rsqrt)
def _rsqrt(ctx, node):
    return ctx.emit("Reciprocal", [ctx.emit("Sqrt", [ctx.input(node, 0)])])


@converts(E.PowScalar)
def _pow_scalar(ctx, node):
    dtype = ctx.dtype(node.output)
    return ctx.emit("Pow", [ctx.input(node, 0),
                            ctx.const(np.asarray(node.attrs["exponent"], dtype))])


def _clip(ctx, node, lo, hi):
    dtype = ctx.dtype(node.output)
    bounds = [ctx.const(np.asarray(b, dtype)) if b is not None else "" for b in (lo, hi)]
    while bounds and bounds[-1] == "":
        bounds.pop()
    return ctx.emit("Clip", [ctx.input(node, 0)] + bounds)


@converts(E.Clamp)
def _clamp(ctx, node):
    lo, hi = node.attrs["min"], node.attrs["max"]
    if any(b is not None and np.ndim(b) for b in (lo, hi)):
        ctx.unsupported(node, "clamp with tensor bounds")
    return _clip(ctx, node, lo, hi)


@converts(A.Hardtanh)
def _hardtanh(ctx, node):
    return _clip(ctx, node, node.attrs["min_val"], node.attrs["max_val"])


@converts(E.Maximum)
def _maximum(ctx, node):
    return ctx.emit("Max" if node.attrs["take_max"] else "Min",
                    ctx.inputs(node, same_dtype=True))


@converts(E.Where)
def _where(ctx, node):
    a, b = ctx.inputs(node, same_dtype=True)
    return ctx.emit("Where", [ctx.attr_input(node, "condition", bool), a, b])


@converts(I.Gather)
def _gather_elements(ctx, node):
    index = ctx.attr_input(node, "index", np.int64)
    if "index" in node.bound and ctx.dtype(node.bound["index"]) != np.int64:
        index = ctx.emit("Cast", [index], to=ctx.onnx_dtype(np.int64))
    return ctx.emit("GatherElements", [ctx.input(node, 0), index],
                    axis=int(node.attrs["axis"]))


@converts(R.GatherMax)
def _max_along(ctx, node):
    reduce = node.info.get("reduce")
    if reduce is None:
        ctx.unsupported(node, "values at indices computed outside the graph")
    op = "ReduceMax" if reduce == "max" else "ReduceMin"
    axes = [int(node.attrs["axis"])]
    keep = int(bool(node.attrs["keepdim"]))
    if ctx.opset >= 18:
        return ctx.emit(op, [ctx.input(node, 0), ctx.const(np.array(axes, np.int64))],
                        keepdims=keep)
    return ctx.emit(op, [ctx.input(node, 0)], axes=axes, keepdims=keep)


@converts(R.AMax)
def _amax(ctx, node):
    op = "ReduceMax" if node.attrs["take_max"] else "ReduceMin"
    return _reduce(ctx, node, op)


@converts(Cast)
def _cast(ctx, node):
    return ctx.emit("Cast", [ctx.input(node, 0)], to=ctx.onnx_dtype(node.attrs["dtype"]))


@converts(Dropout)
def _dropout(ctx, node):
    ctx.unsupported(node, "dropout in training mode (its mask is random); export in eval "
                    "mode, where dropout is the identity")


# -- reductions -----------------------------------------------------------------------
def _reduce(ctx, node, op):
    axes = node.attrs["axes"]
    x = ctx.input(node, 0)
    in_ndim = len(ctx.shape(node.inputs[0]))
    axes = list(range(in_ndim)) if axes is None else [int(a) for a in axes]
    keep = int(bool(node.attrs["keepdim"]))
    if op == "ReduceSum" or ctx.opset >= 18:
        return ctx.emit(op, [x, ctx.const(np.array(axes, np.int64))], keepdims=keep)
    return ctx.emit(op, [x], axes=axes, keepdims=keep)


@converts(R.Mean)
def _mean(ctx, node):
    return _reduce(ctx, node, "ReduceMean")


@converts(R.Sum)
def _sum(ctx, node):
    return _reduce(ctx, node, "ReduceSum")


# -- shape ----------------------------------------------------------------------------
@converts(SH.Reshape)
def _reshape(ctx, node):
    in_shape = ctx.shape(node.inputs[0])
    shape = list(ctx.shape(node.output))
    if ctx.dynamic_batch(node.inputs[0]):
        if shape and shape[0] == in_shape[0]:
            shape[0] = 0  # ONNX: copy the (dynamic) batch size from the input
        elif shape and in_shape[0] and shape[0] % in_shape[0] == 0:
            shape[0] = -1
    return ctx.emit("Reshape", [ctx.input(node, 0), ctx.const(np.array(shape, np.int64))])


@converts(SH.Permute)
def _permute(ctx, node):
    return ctx.emit("Transpose", [ctx.input(node, 0)], perm=[int(d) for d in node.attrs["dims"]])


@converts(SH.Expand)
def _expand(ctx, node):
    in_shape = ctx.shape(node.inputs[0])
    shape = list(node.attrs["shape"])
    k = len(shape) - len(in_shape)
    # dims the input already has keep their size with 1 (Expand broadcasts, as NumPy):
    # the exported graph then follows a dynamic batch.
    shape = [1 if i >= k and in_shape[i - k] == s else s for i, s in enumerate(shape)]
    return ctx.emit("Expand", [ctx.input(node, 0), ctx.const(np.array(shape, np.int64))])


@converts(SH.Cat)
def _cat(ctx, node):
    return ctx.emit("Concat", ctx.inputs(node, same_dtype=True), axis=int(node.attrs["axis"]))


@converts(SH.Stack)
def _stack(ctx, node):
    axis = int(node.attrs["axis"])
    axes = ctx.const(np.array([axis], np.int64))
    parts = [ctx.emit("Unsqueeze", [x, axes]) for x in ctx.inputs(node, same_dtype=True)]
    return ctx.emit("Concat", parts, axis=axis)


@converts(SH.ConstantPad)
def _pad(ctx, node):
    widths = node.attrs["widths"]
    pads = [int(lo) for lo, _ in widths] + [int(hi) for _, hi in widths]
    value = ctx.const(np.asarray(node.attrs["value"], ctx.dtype(node.output)))
    return ctx.emit("Pad", [ctx.input(node, 0), ctx.const(np.array(pads, np.int64)), value],
                    mode="constant")


def _index_items(ctx, node, x, items, shape):
    """Emit ONNX nodes for ``x[items]`` (a normalised index tuple), ``shape`` the traced
    shape of ``x``; returns ``(name, shape after)``."""
    if items is None:
        return x, shape
    if items is Ellipsis:
        return x, shape
    items = items if isinstance(items, tuple) else (items,)
    if any(i is Ellipsis for i in items):
        k = items.index(Ellipsis)
        fill = len(shape) - (len(items) - 1 - sum(i is None for i in items))
        items = items[:k] + (slice(None),) * fill + items[k + 1:]
    starts, ends, axes, steps = [], [], [], []
    gathers, unsqueeze, axis = [], [], 0
    out_axis = 0
    for it in items:
        if it is None:
            unsqueeze.append(out_axis)
            out_axis += 1
            continue
        n = shape[axis]
        if isinstance(it, slice):
            start, stop, step = it.indices(n)
            if (start, stop, step) != (0, n, 1):
                if step < 0:
                    ctx.unsupported(node, "indexing with a negative step")
                starts.append(start)
                ends.append(_INT64_MAX if stop >= n else stop)
                axes.append(axis)
                steps.append(step)
            out_axis += 1
        elif isinstance(it, (int, np.integer)):
            gathers.append((axis, np.asarray(int(it) % n, np.int64)))
        elif isinstance(it, np.ndarray) and it.ndim == 1 and it.dtype.kind in "iu":
            gathers.append((axis, np.where(it < 0, it + n, it).astype(np.int64)))
            out_axis += 1
        else:
            ctx.unsupported(node, f"indexing with {type(it).__name__} "
                            f"{getattr(it, 'shape', '')}")
        axis += 1
    if axes:
        x = ctx.emit("Slice", [x, ctx.const(np.array(starts, np.int64)),
                               ctx.const(np.array(ends, np.int64)),
                               ctx.const(np.array(axes, np.int64)),
                               ctx.const(np.array(steps, np.int64))])
    if sum(g.ndim for _, g in gathers) > 1:
        ctx.unsupported(node, "indexing with more than one integer array")
    for ax, idx in reversed(gathers):  # last axis first: earlier axes keep their number
        x = ctx.emit("Gather", [x, ctx.const(idx)], axis=ax)
    if unsqueeze:
        x = ctx.emit("Unsqueeze", [x, ctx.const(np.array(unsqueeze, np.int64))])
    return x, None


@converts(I.Index)
def _index(ctx, node):
    basic, rest = node.attrs["basic"], node.attrs["rest"]
    x = ctx.input(node, 0)
    shape = ctx.shape(node.inputs[0])
    x, after = _index_items(ctx, node, x, basic, shape)
    if basic is not None:
        after = np.empty(shape, bool)[basic].shape
    x, _ = _index_items(ctx, node, x, rest, after if after is not None else shape)
    return ctx.emit("Identity", [x]) if x == ctx.input(node, 0) else x


@converts(S.Resample)
def _resample(ctx, node):
    # Each plan is explicit source indices (and blending weights) along one axis: Gather
    # (+ weighted sum), exactly glassnet's (and PyTorch's) interpolate.
    x = ctx.input(node, 0)
    ndim = len(ctx.shape(node.inputs[0]))
    dtype = ctx.dtype(node.output)
    for axis, (w0, i0, w1, i1) in node.attrs["plans"]:
        shape = [1] * ndim
        shape[axis] = -1
        if w0 is None:
            x = ctx.emit("Gather", [x, ctx.const(np.asarray(i0, np.int64))], axis=axis)
            continue
        a = ctx.emit("Gather", [x, ctx.const(np.asarray(i0, np.int64))], axis=axis)
        b = ctx.emit("Gather", [x, ctx.const(np.asarray(i1, np.int64))], axis=axis)
        a = ctx.emit("Mul", [a, ctx.const(np.asarray(w0, dtype).reshape(shape))])
        b = ctx.emit("Mul", [b, ctx.const(np.asarray(w1, dtype).reshape(shape))])
        x = ctx.emit("Add", [a, b])
    return x


from glassnet.onnx import _convert_activation  # noqa: E402,F401  (registers its converters)
