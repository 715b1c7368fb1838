"""The ONNX op handlers of :func:`glassnet.onnx.load`, part 1: values, elementwise ops,
activations, linear algebra, convolution, pooling and normalisation (part 2, shapes and
resampling, is :mod:`glassnet.onnx._load_shape`).

A handler ``handler(node, inputs, attrs) -> list of outputs`` runs one ONNX node with
glassnet ops; inputs are Tensors (data) or ndarrays (constants, shapes), and a node whose
inputs are all ndarrays is folded on NumPy.
"""
from __future__ import annotations

import math

import numpy as np

from glassnet.onnx._export import UnsupportedOperatorError

__all__: list = []

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


@_op("InstanceNormalization")
def _instance_norm(node, ins, attrs):
    import glassnet.nn.functional as F

    x, scale, bias = (_tensor(v) for v in ins[:3])
    return [F.instance_norm(x, weight=scale, bias=bias, eps=attrs.get("epsilon", 1e-5))]


@_op("LayerNormalization")
def _layer_norm(node, ins, attrs):
    import glassnet.nn.functional as F

    if len(node.output) > 1 and any(node.output[1:]):
        raise UnsupportedOperatorError(f"load: LayerNormalization node {node.name!r}: the "
                                       f"Mean and InvStdDev outputs are not supported")
    x, scale = _tensor(ins[0]), _tensor(ins[1])
    bias = _tensor(ins[2]) if len(ins) > 2 and ins[2] is not None else None
    axis = attrs.get("axis", -1) % x.ndim
    shape = tuple(x.shape[axis:])
    if tuple(scale.shape) != shape:
        scale = scale.expand(*shape)
    if bias is not None and tuple(bias.shape) != shape:
        bias = bias.expand(*shape)
    return [F.layer_norm(x, shape, scale, bias, eps=attrs.get("epsilon", 1e-5))]


@_op("LRN")
def _lrn(node, ins, attrs):
    import glassnet.nn.functional as F

    size = int(attrs["size"])
    if size % 2 == 0:
        raise UnsupportedOperatorError(f"load: LRN node {node.name!r}: even sizes center "
                                       f"the window differently from glassnet's; got {size}")
    return [F.local_response_norm(_tensor(ins[0]), size, attrs.get("alpha", 1e-4),
                                  attrs.get("beta", 0.75), attrs.get("bias", 1.0))]


