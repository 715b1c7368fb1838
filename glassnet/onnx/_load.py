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

import math
import os

import numpy as np

from glassnet.nn.module import Module
from glassnet.nn.parameter import Parameter
from glassnet.onnx._export import UnsupportedOperatorError

__all__ = ["load", "OnnxModule", "SUPPORTED_OPS"]

_HANDLERS: dict = {}


def _op(*names):
    def register(fn):
        for n in names:
            _HANDLERS[n] = fn
        return fn

    return register


# -- values: Tensors (data) or ndarrays (constants, shapes) -----------------------------
def _tensor(v):
    import glassnet
    from glassnet._tensor_base import TensorBase

    if isinstance(v, TensorBase):
        return v
    return glassnet.from_numpy(np.ascontiguousarray(np.asarray(v)))


def _is_const(v) -> bool:
    return isinstance(v, (np.ndarray, np.generic))


def _array(v, what: str, node) -> np.ndarray:
    """A constant input (shape, axes, pads...) as an ndarray."""
    if _is_const(v):
        return np.asarray(v)
    from glassnet._tensor_base import TensorBase

    if isinstance(v, TensorBase):  # a parameter-like tensor used as a constant
        return v.detach().numpy()
    raise UnsupportedOperatorError(f"load: {node.op_type} node {node.name!r}: {what} must be a "
                                   f"constant, got a computed value")


def _ints(v, what, node) -> list:
    return [int(i) for i in _array(v, what, node).reshape(-1)]


def _shape_of(v) -> tuple:
    return tuple(v.shape)


# -- elementwise ---------------------------------------------------------------------
_NUMPY_BINARY = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": None,
                 "Pow": np.power, "Max": np.maximum, "Min": np.minimum,
                 "Equal": np.equal, "Greater": np.greater, "Less": np.less,
                 "GreaterOrEqual": np.greater_equal, "LessOrEqual": np.less_equal,
                 "And": np.logical_and, "Or": np.logical_or}


def _binary_tensor(op, a, b):
    import glassnet

    a, b = _tensor(a), _tensor(b)
    if b.dtype != a.dtype and b.dtype.kind == a.dtype.kind or (
            a.dtype.kind == "f" and b.dtype.kind != "f"):
        b = b.to(a.dtype)
    if op == "Add":
        return a + b
    if op == "Sub":
        return a - b
    if op == "Mul":
        return a * b
    if op == "Div":
        return a / b
    if op == "Pow":
        return a ** b
    if op == "Max":
        return glassnet.maximum(a, b)
    if op == "Min":
        return glassnet.minimum(a, b)
    # comparisons are not differentiable: evaluate on the arrays
    return glassnet.from_numpy(np.asarray(_NUMPY_BINARY[op](a.detach().numpy(),
                                                            b.detach().numpy())))


@_op(*_NUMPY_BINARY)
def _binary(node, ins, attrs):
    if len(ins) > 2 and node.op_type in ("Max", "Min"):  # variadic
        out = ins[0]
        for b in ins[1:]:
            out = _binary_tensor(node.op_type, out, b)
        return [out]
    a, b = ins
    if _is_const(a) and _is_const(b):
        if node.op_type == "Div":
            if np.asarray(a).dtype.kind in "iu" and np.asarray(b).dtype.kind in "iu":
                return [np.asarray(np.trunc(np.asarray(a) / np.asarray(b))).astype(a.dtype)]
            return [np.asarray(np.divide(a, b))]
        return [np.asarray(_NUMPY_BINARY[node.op_type](a, b))]
    return [_binary_tensor(node.op_type, a, b)]


@_op("Sum", "Mean")
def _sum(node, ins, attrs):
    out = _tensor(ins[0])
    for b in ins[1:]:
        out = out + _tensor(b)
    return [out / len(ins) if node.op_type == "Mean" else out]


_UNARY_T = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Exp": "exp", "Log": "log",
            "Sqrt": "sqrt", "Neg": "neg", "Abs": "abs", "Erf": "erf", "Reciprocal": "reciprocal",
            "Sin": "sin", "Cos": "cos", "Floor": "floor", "Ceil": "ceil"}


@_op(*_UNARY_T)
def _unary(node, ins, attrs):
    (x,) = ins
    if _is_const(x):
        np_name = {"Relu": None, "Neg": "negative", "Abs": "absolute", "Erf": None,
                   "Sigmoid": None, "Tanh": "tanh"}.get(node.op_type, _UNARY_T[node.op_type])
        if np_name is not None:
            return [np.asarray(getattr(np, np_name)(x))]
    return [getattr(_tensor(x), _UNARY_T[node.op_type])()]


@_op("Not")
def _not(node, ins, attrs):
    return [np.logical_not(_array(ins[0], "input", node))]


# -- activations ---------------------------------------------------------------------
@_op("LeakyRelu", "Elu", "Selu", "Celu", "HardSigmoid", "HardSwish", "Softplus", "Softsign",
     "PRelu", "Clip", "Gelu", "Shrink", "ThresholdedRelu", "Mish")
def _activation(node, ins, attrs):
    import glassnet.nn.functional as F

    x = _tensor(ins[0])
    op = node.op_type
    if op == "LeakyRelu":
        return [F.leaky_relu(x, attrs.get("alpha", 0.01))]
    if op == "Elu":
        return [F.elu(x, attrs.get("alpha", 1.0))]
    if op == "Selu":
        alpha, gamma = attrs.get("alpha", 1.67326319217681884765625), attrs.get(
            "gamma", 1.05070102214813232421875)
        neg = alpha * (x.clamp(max=0.0).exp() - 1)
        return [gamma * (x.clamp(min=0.0) + neg)]
    if op == "Celu":
        return [F.celu(x, attrs.get("alpha", 1.0))]
    if op == "HardSigmoid":
        alpha, beta = attrs.get("alpha", 0.2), attrs.get("beta", 0.5)
        return [(x * alpha + beta).clamp(0.0, 1.0)]
    if op == "HardSwish":
        return [F.hardswish(x)]
    if op == "Softplus":
        return [F.softplus(x)]
    if op == "Softsign":
        return [F.softsign(x)]
    if op == "Mish":
        return [F.mish(x)]
    if op == "PRelu":
        slope = _tensor(ins[1])
        return [x.clamp(min=0.0) + slope * x.clamp(max=0.0)]
    if op == "Clip":
        lo = attrs.get("min")
        hi = attrs.get("max")
        if len(ins) > 1 and ins[1] is not None:
            lo = float(_array(ins[1], "min", node))
        if len(ins) > 2 and ins[2] is not None:
            hi = float(_array(ins[2], "max", node))
        return [x.clamp(lo, hi)]
    if op == "Gelu":
        return [F.gelu(x, approximate=attrs.get("approximate", "none"))]
    if op == "Shrink":
        lambd, bias = attrs.get("lambd", 0.5), attrs.get("bias", 0.0)
        import glassnet

        return [glassnet.where(_tensor(np.asarray(x.detach().numpy() < -lambd)), x + bias,
                               glassnet.where(_tensor(np.asarray(x.detach().numpy() > lambd)),
                                              x - bias, x * 0.0))]
    if op == "ThresholdedRelu":
        return [F.threshold(x, attrs.get("alpha", 1.0), 0.0)]
    raise AssertionError(op)  # pragma: no cover


@_op("Softmax", "LogSoftmax")
def _softmax(node, ins, attrs):
    import glassnet.nn.functional as F

    x = _tensor(ins[0])
    fn = F.softmax if node.op_type == "Softmax" else F.log_softmax
    if node.opset >= 13:
        return [fn(x, dim=attrs.get("axis", -1))]
    # opset < 13: softmax over the flattened trailing dims from ``axis`` (default 1)
    axis = attrs.get("axis", 1) % x.ndim
    shape = x.shape
    flat = x.reshape(int(np.prod(shape[:axis])), -1)
    return [fn(flat, dim=1).reshape(*shape)]


# -- linear algebra -------------------------------------------------------------------
@_op("Gemm")
def _gemm(node, ins, attrs):
    import glassnet.nn.functional as F

    a, b = _tensor(ins[0]), _tensor(ins[1])
    c = _tensor(ins[2]) if len(ins) > 2 and ins[2] is not None else None
    alpha, beta = attrs.get("alpha", 1.0), attrs.get("beta", 1.0)
    if attrs.get("transA", 0):
        a = a.t()
    if attrs.get("transB", 0) and alpha == 1.0 and beta == 1.0 and (c is None or c.ndim == 1):
        return [F.linear(a, b, c)]
    if attrs.get("transB", 0):
        b = b.t()
    y = a @ b
    if alpha != 1.0:
        y = y * alpha
    if c is not None:
        y = y + (c * beta if beta != 1.0 else c)
    return [y]


@_op("MatMul")
def _matmul(node, ins, attrs):
    return [_tensor(ins[0]) @ _tensor(ins[1])]


# -- convolution and pooling ---------------------------------------------------------
def _spatial_pads(node, attrs, in_spatial, kernel, strides, dilations):
    """(begins, ends) per spatial dim from ``pads`` or ``auto_pad``."""
    nd = len(kernel)
    auto = attrs.get("auto_pad", "NOTSET")
    if isinstance(auto, bytes):
        auto = auto.decode()
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        begins, ends = [], []
        for n, k, s, d in zip(in_spatial, kernel, strides, dilations):
            total = max((math.ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)
            small = total // 2
            begins.append(small if auto == "SAME_UPPER" else total - small)
            ends.append(total - begins[-1])
        return begins, ends
    if auto == "VALID":
        return [0] * nd, [0] * nd
    pads = list(attrs.get("pads", [0] * (2 * nd)))
    return pads[:nd], pads[nd:]


def _geometry(node, attrs, x, kernel):
    nd = len(kernel)
    strides = list(attrs.get("strides", [1] * nd))
    dilations = list(attrs.get("dilations", [1] * nd))
    begins, ends = _spatial_pads(node, attrs, x.shape[2:], kernel, strides, dilations)
    return strides, dilations, begins, ends


def _explicit_pad(x, begins, ends, value=0.0):
    """Pad the spatial dims (F.pad takes the last dim first)."""
    import glassnet.nn.functional as F

    widths = []
    for b, e in zip(reversed(begins), reversed(ends)):
        widths += [int(b), int(e)]
    return F.pad(x, tuple(widths), value=value)


def _fn_nd(base: str, nd: int, node):
    import glassnet.nn.functional as F

    if nd not in (1, 2, 3):
        raise UnsupportedOperatorError(f"load: {node.op_type} node {node.name!r}: {nd}-D "
                                       f"windows are not supported")
    return getattr(F, f"{base}{nd}d")


@_op("Conv")
def _conv(node, ins, attrs):
    x, w = _tensor(ins[0]), _tensor(ins[1])
    b = _tensor(ins[2]) if len(ins) > 2 and ins[2] is not None else None
    kernel = list(attrs.get("kernel_shape", w.shape[2:]))
    strides, dilations, begins, ends = _geometry(node, attrs, x, kernel)
    if begins != ends:
        x, begins = _explicit_pad(x, begins, ends), [0] * len(kernel)
    conv = _fn_nd("conv", len(kernel), node)
    return [conv(x, w, b, stride=tuple(strides), padding=tuple(begins),
                 dilation=tuple(dilations), groups=attrs.get("group", 1))]


@_op("ConvTranspose")
def _conv_transpose(node, ins, attrs):
    x, w = _tensor(ins[0]), _tensor(ins[1])
    b = _tensor(ins[2]) if len(ins) > 2 and ins[2] is not None else None
    kernel = list(attrs.get("kernel_shape", w.shape[2:]))
    nd = len(kernel)
    strides = list(attrs.get("strides", [1] * nd))
    dilations = list(attrs.get("dilations", [1] * nd))
    out_pad = list(attrs.get("output_padding", [0] * nd))
    if "output_shape" in attrs or attrs.get("auto_pad", "NOTSET") not in ("NOTSET", b"NOTSET"):
        raise UnsupportedOperatorError(f"load: ConvTranspose node {node.name!r}: output_shape "
                                       f"and auto_pad are not supported; give pads")
    pads = list(attrs.get("pads", [0] * (2 * nd)))
    begins, ends = pads[:nd], pads[nd:]
    # glassnet (as PyTorch) pads symmetrically and adds output_padding at the end: an
    # end pad smaller than the begin pad is the same as extra output padding.
    extra = [bg - e for bg, e in zip(begins, ends)]
    if any(e < 0 for e in extra):
        raise UnsupportedOperatorError(f"load: ConvTranspose node {node.name!r}: end pads "
                                       f"larger than begin pads are not supported")
    fn = _fn_nd("conv_transpose", nd, node)
    return [fn(x, w, b, stride=tuple(strides), padding=tuple(begins),
               output_padding=tuple(o + e for o, e in zip(out_pad, extra)),
               groups=attrs.get("group", 1), dilation=tuple(dilations))]


@_op("MaxPool", "AveragePool")
def _pool(node, ins, attrs):
    x = _tensor(ins[0])
    kernel = list(attrs["kernel_shape"])
    strides, dilations, begins, ends = _geometry(node, attrs, x, kernel)
    ceil = bool(attrs.get("ceil_mode", 0))
    nd = len(kernel)
    if node.op_type == "MaxPool":
        if len(node.output) > 1 and node.output[1]:
            raise UnsupportedOperatorError(f"load: MaxPool node {node.name!r}: the Indices "
                                           f"output is not supported")
        if begins != ends or any(2 * p > (k - 1) * d + 1 for p, k, d in zip(begins, kernel,
                                                                           dilations)):
            x, begins = _explicit_pad(x, begins, ends, -math.inf), [0] * nd
        fn = _fn_nd("max_pool", nd, node)
        return [fn(x, tuple(kernel), tuple(strides), tuple(begins), tuple(dilations), ceil)]
    if any(d != 1 for d in dilations):
        raise UnsupportedOperatorError(f"load: AveragePool node {node.name!r}: dilations are "
                                       f"not supported")
    include = bool(attrs.get("count_include_pad", 0))
    if begins != ends or any(2 * p > k for p, k in zip(begins, kernel)):
        if not include and any(begins + ends):
            raise UnsupportedOperatorError(
                f"load: AveragePool node {node.name!r}: asymmetric padding with "
                f"count_include_pad=0 is not supported")
        x, begins = _explicit_pad(x, begins, ends), [0] * nd
    fn = _fn_nd("avg_pool", nd, node)
    return [fn(x, tuple(kernel), tuple(strides), tuple(begins), ceil, include)]


@_op("GlobalAveragePool", "GlobalMaxPool")
def _global_pool(node, ins, attrs):
    x = _tensor(ins[0])
    axes = tuple(range(2, x.ndim))
    if node.op_type == "GlobalAveragePool":
        return [x.mean(dim=axes, keepdim=True)]
    return [x.amax(dim=axes, keepdim=True)]


# -- normalisation ------------------------------------------------------------------
@_op("BatchNormalization")
def _batch_norm(node, ins, attrs):
    import glassnet.nn.functional as F

    if attrs.get("training_mode", 0):
        raise UnsupportedOperatorError(f"load: BatchNormalization node {node.name!r}: "
                                       f"training_mode=1 is not supported")
    x, scale, bias, mean, var = (_tensor(v) for v in ins[:5])
    return [F.batch_norm(x, mean.detach(), var.detach(), scale, bias, training=False,
                         eps=attrs.get("epsilon", 1e-5))]


@_op("LRN")
def _lrn(node, ins, attrs):
    import glassnet.nn.functional as F

    size = int(attrs["size"])
    if size % 2 == 0:
        raise UnsupportedOperatorError(f"load: LRN node {node.name!r}: even sizes center "
                                       f"the window differently from glassnet's; got {size}")
    return [F.local_response_norm(_tensor(ins[0]), size, attrs.get("alpha", 1e-4),
                                  attrs.get("beta", 0.75), attrs.get("bias", 1.0))]


# -- shape ------------------------------------------------------------------------------
@_op("Identity", "Dropout")
def _identity(node, ins, attrs):
    return [ins[0]]


@_op("Shape")
def _shape(node, ins, attrs):
    shape = np.array(_shape_of(ins[0]), np.int64)
    start, end = attrs.get("start", 0), attrs.get("end")
    return [shape[start:end]]


@_op("Constant")
def _constant(node, ins, attrs):
    from onnx import numpy_helper

    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in attrs:
            v = attrs[key]
            if key == "value":
                return [numpy_helper.to_array(v)]
            dtype = np.float32 if "float" in key else np.int64
            return [np.asarray(v, dtype)]
    raise UnsupportedOperatorError(f"load: Constant node {node.name!r}: only value, "
                                   f"value_float(s) and value_int(s) are supported")


@_op("ConstantOfShape")
def _constant_of_shape(node, ins, attrs):
    from onnx import numpy_helper

    value = numpy_helper.to_array(attrs["value"]) if "value" in attrs else np.zeros(
        1, np.float32)
    return [np.full(_ints(ins[0], "input", node), value.reshape(-1)[0], value.dtype)]


@_op("Cast")
def _cast(node, ins, attrs):
    from onnx import helper

    dtype = helper.tensor_dtype_to_np_dtype(attrs["to"])
    x = ins[0]
    if _is_const(x):
        return [np.asarray(x).astype(dtype)]
    return [x.to(dtype)] if x.dtype != dtype else [x]


@_op("Reshape")
def _reshape(node, ins, attrs):
    x = ins[0]
    shape = _ints(ins[1], "shape", node)
    if not attrs.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    if _is_const(x):
        return [np.asarray(x).reshape(shape)]
    return [x.reshape(*shape)]


@_op("Flatten")
def _flatten(node, ins, attrs):
    x = ins[0]
    axis = attrs.get("axis", 1) % max(len(x.shape), 1) if len(x.shape) else 0
    shape = (int(np.prod(x.shape[:axis])), -1)
    return [np.asarray(x).reshape(shape) if _is_const(x) else x.reshape(*shape)]


@_op("Transpose")
def _transpose(node, ins, attrs):
    x = ins[0]
    perm = attrs.get("perm", list(reversed(range(len(x.shape)))))
    return [np.transpose(x, perm) if _is_const(x) else x.permute(*perm)]


def _axes(node, ins, attrs, pos=1):
    if len(ins) > pos and ins[pos] is not None:
        return _ints(ins[pos], "axes", node)
    return attrs.get("axes")


@_op("Unsqueeze")
def _unsqueeze(node, ins, attrs):
    x = ins[0]
    axes = _axes(node, ins, attrs)
    nd = len(x.shape) + len(axes)
    shape = list(x.shape)
    for a in sorted(a % nd for a in axes):
        shape.insert(a, 1)
    return [np.asarray(x).reshape(shape) if _is_const(x) else x.reshape(*shape)]


@_op("Squeeze")
def _squeeze(node, ins, attrs):
    x = ins[0]
    axes = _axes(node, ins, attrs)
    nd = len(x.shape)
    drop = {a % nd for a in axes} if axes is not None else {
        i for i, s in enumerate(x.shape) if s == 1}
    shape = [s for i, s in enumerate(x.shape) if i not in drop]
    return [np.asarray(x).reshape(shape) if _is_const(x) else x.reshape(*shape)]


@_op("Concat")
def _concat(node, ins, attrs):
    import glassnet

    axis = attrs["axis"]
    if all(_is_const(v) for v in ins):
        return [np.concatenate([np.asarray(v) for v in ins], axis=axis)]
    return [glassnet.cat([_tensor(v) for v in ins], dim=axis)]


@_op("Gather")
def _gather(node, ins, attrs):
    x, idx = ins
    idx = _array(idx, "indices", node).astype(np.int64)
    axis = attrs.get("axis", 0)
    n = x.shape[axis]
    idx = np.where(idx < 0, idx + n, idx)
    if _is_const(x):
        return [np.take(np.asarray(x), idx, axis=axis)]
    index = [slice(None)] * len(x.shape)
    if idx.ndim == 0:
        index[axis] = int(idx)
        return [x[tuple(index)]]
    if idx.ndim != 1:
        raise UnsupportedOperatorError(f"load: Gather node {node.name!r}: indices of rank "
                                       f"{idx.ndim} are not supported")
    index[axis] = idx
    return [x[tuple(index)]]


@_op("Slice")
def _slice(node, ins, attrs):
    x = ins[0]
    if len(ins) == 1:  # opset < 10: attributes
        starts, ends, axes, steps = attrs["starts"], attrs["ends"], attrs.get("axes"), None
    else:
        starts, ends = _ints(ins[1], "starts", node), _ints(ins[2], "ends", node)
        axes = _ints(ins[3], "axes", node) if len(ins) > 3 and ins[3] is not None else None
        steps = _ints(ins[4], "steps", node) if len(ins) > 4 and ins[4] is not None else None
    nd = len(x.shape)
    axes = list(range(len(starts))) if axes is None else [a % nd for a in axes]
    steps = steps or [1] * len(starts)
    index = [slice(None)] * nd
    for a, s, e, st in zip(axes, starts, ends, steps):
        n = x.shape[a]
        s, e = (s + n if s < 0 else s), (e + n if e < 0 else e)
        if st > 0:
            index[a] = slice(min(max(s, 0), n), min(max(e, 0), n), st)
        elif _is_const(x):  # exporters reverse pad lists with a step of -1
            s, e = min(max(s, 0), n - 1), min(max(e, -1), n - 1)
            index[a] = slice(s, None if e < 0 else e, st)
        else:
            raise UnsupportedOperatorError(f"load: Slice node {node.name!r}: negative steps "
                                           f"are supported on constants only")
    return [np.asarray(x)[tuple(index)] if _is_const(x) else x[tuple(index)]]


@_op("Pad")
def _pad(node, ins, attrs):
    import glassnet.nn.functional as F

    x = _tensor(ins[0])
    mode = attrs.get("mode", "constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if len(ins) > 1:
        pads = _ints(ins[1], "pads", node)
        value = float(_array(ins[2], "constant_value", node)) if len(ins) > 2 and \
            ins[2] is not None else 0.0
    else:
        pads, value = list(attrs["pads"]), attrs.get("value", 0.0)
    nd = x.ndim
    if len(ins) > 3 and ins[3] is not None:
        raise UnsupportedOperatorError(f"load: Pad node {node.name!r}: the axes input is not "
                                       f"supported")
    widths = []
    for a in reversed(range(nd)):
        widths += [pads[a], pads[a + nd]]
    while len(widths) > 2 and widths[-1] == 0 and widths[-2] == 0:
        widths = widths[:-2]
    if mode != "constant":
        return [F.pad(x, tuple(widths), mode=mode)]
    return [F.pad(x, tuple(widths), value=value)]


@_op("Expand")
def _expand(node, ins, attrs):
    x = _tensor(ins[0])
    shape = _ints(ins[1], "shape", node)
    full = np.broadcast_shapes(tuple(x.shape), tuple(shape))
    return [x.expand(*full)]


@_op("Where")
def _where(node, ins, attrs):
    import glassnet

    cond = _array(ins[0], "condition", node).astype(bool)
    a, b = ins[1], ins[2]
    if _is_const(a) and _is_const(b):
        return [np.where(cond, a, b)]
    return [glassnet.where(_tensor(cond), _tensor(a), _tensor(b))]


@_op("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin")
def _reduce(node, ins, attrs):
    x = _tensor(ins[0])
    if node.op_type == "ReduceSum" or node.opset >= 18:
        axes = _ints(ins[1], "axes", node) if len(ins) > 1 and ins[1] is not None else None
    else:
        axes = attrs.get("axes")
    if not axes:
        if attrs.get("noop_with_empty_axes", 0):
            return [x]
        axes = list(range(x.ndim))
    keep = bool(attrs.get("keepdims", 1))
    dim = tuple(a % x.ndim for a in axes)
    method = {"ReduceMean": "mean", "ReduceSum": "sum", "ReduceMax": "amax",
              "ReduceMin": "amin"}[node.op_type]
    return [getattr(x, method)(dim=dim, keepdim=keep)]


@_op("Resize", "Upsample")
def _resize(node, ins, attrs):
    import glassnet.nn.functional as F

    x = _tensor(ins[0])
    mode = attrs.get("mode", "nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    ctm = attrs.get("coordinate_transformation_mode", "half_pixel")
    ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
    nearest_mode = attrs.get("nearest_mode", "round_prefer_floor")
    nearest_mode = nearest_mode.decode() if isinstance(nearest_mode, bytes) else nearest_mode
    if node.op_type == "Upsample":
        scales, sizes = _array(ins[1], "scales", node), None
        ctm, nearest_mode = "asymmetric", "floor"
    else:
        scales = _array(ins[2], "scales", node) if len(ins) > 2 and ins[2] is not None \
            and np.asarray(ins[2]).size else None
        sizes = _ints(ins[3], "sizes", node) if len(ins) > 3 and ins[3] is not None else None
    if sizes is None and scales is None:
        raise UnsupportedOperatorError(f"load: Resize node {node.name!r}: give scales or sizes")
    if scales is not None and np.any(np.asarray(scales)[:2] != 1):
        raise UnsupportedOperatorError(f"load: Resize node {node.name!r}: only the spatial "
                                       f"axes may be resized")
    kw = {}
    if sizes is not None:
        kw["size"] = tuple(sizes[2:])
    else:
        kw["scale_factor"] = tuple(float(s) for s in np.asarray(scales)[2:])
    nd = x.ndim - 2
    if mode == "nearest" and ctm == "asymmetric" and nearest_mode == "floor":
        return [F.interpolate(x, mode="nearest", **kw)]
    if mode == "linear" and ctm in ("half_pixel", "pytorch_half_pixel", "align_corners"):
        return [F.interpolate(x, mode="linear" if nd == 1 else "bilinear",
                              align_corners=ctm == "align_corners", **kw)]
    raise UnsupportedOperatorError(
        f"load: Resize node {node.name!r}: mode={mode!r} with coordinate_transformation_mode="
        f"{ctm!r} (nearest_mode={nearest_mode!r}) is not supported; supported: nearest with "
        f"asymmetric/floor, linear with half_pixel, pytorch_half_pixel or align_corners")


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
    import onnx

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
