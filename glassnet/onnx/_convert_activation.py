"""ONNX converters of the activations and softmax (see :mod:`glassnet.onnx._converters`,
which imports this module at its end, once ``converts`` exists)."""
from __future__ import annotations

import math

import numpy as np

from glassnet.onnx._converters import converts
from glassnet.ops import activation as A
from glassnet.ops import softmax as SM

__all__: list = []


# -- activations ----------------------------------------------------------------------
@converts(A.LeakyReLU)
def _leaky_relu(ctx, node):
    return ctx.emit("LeakyRelu", [ctx.input(node, 0)],
                    alpha=float(node.attrs["negative_slope"]))


@converts(A.PReLU)
def _prelu(ctx, node):
    x, w = ctx.inputs(node)
    xs, ws = ctx.shape(node.inputs[0]), ctx.shape(node.inputs[1])
    if int(np.prod(ws)) > 1 and len(xs) > 2:
        # per-channel slopes (C,) broadcast over (N, C, *): make them (C, 1, ..., 1)
        w = ctx.emit("Reshape", [w, ctx.const(np.array([-1] + [1] * (len(xs) - 2),
                                                       np.int64))])
    return ctx.emit("PRelu", [x, w])


@converts(A.ELU)
def _elu(ctx, node):
    a = node.attrs
    alpha, scale, input_scale = float(a["alpha"]), float(a["scale"]), float(a["input_scale"])
    x = ctx.input(node, 0)
    if scale == 1.0 and input_scale == 1.0:
        return ctx.emit("Elu", [x], alpha=alpha)
    if input_scale == 1.0:
        return ctx.emit("Selu", [x], alpha=alpha, gamma=scale)
    if scale == 1.0 and math.isclose(input_scale * alpha, 1.0, rel_tol=1e-12):
        return ctx.emit("Celu", [x], alpha=alpha)
    ctx.unsupported(node, f"ELU with scale={scale}, input_scale={input_scale}")


@converts(A.GELU)
def _gelu(ctx, node):
    x = ctx.input(node, 0)
    dtype = ctx.dtype(node.output)

    def c(v):
        return ctx.const(np.asarray(v, dtype))

    if node.attrs["approximate"] == "tanh":
        # 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))  (Hendrycks & Gimpel, 2016)
        cube = ctx.emit("Mul", [ctx.emit("Mul", [x, x]), x])
        inner = ctx.emit("Add", [x, ctx.emit("Mul", [cube, c(0.044715)])])
        t = ctx.emit("Tanh", [ctx.emit("Mul", [inner, c(math.sqrt(2 / math.pi))])])
    else:
        t = ctx.emit("Erf", [ctx.emit("Mul", [x, c(1 / math.sqrt(2))])])
    half_x = ctx.emit("Mul", [x, c(0.5)])
    return ctx.emit("Mul", [half_x, ctx.emit("Add", [t, c(1.0)])])


def _softplus_of(ctx, x, beta, dtype):
    if beta == 1.0:
        return ctx.emit("Softplus", [x])
    b = ctx.const(np.asarray(beta, dtype))
    return ctx.emit("Div", [ctx.emit("Softplus", [ctx.emit("Mul", [x, b])]), b])


@converts(A.Softplus)
def _softplus(ctx, node):
    # NOTE: glassnet returns x where beta * x > threshold; ONNX's Softplus there differs
    # by log1p(exp(-threshold)) / beta (2e-9 for the default threshold 20).
    return _softplus_of(ctx, ctx.input(node, 0), float(node.attrs["beta"]),
                        ctx.dtype(node.output))


@converts(A.Mish)
def _mish(ctx, node):
    x = ctx.input(node, 0)
    sp = _softplus_of(ctx, x, 1.0, ctx.dtype(node.output))
    return ctx.emit("Mul", [x, ctx.emit("Tanh", [sp])])


@converts(A.SiLU)
def _silu(ctx, node):
    x = ctx.input(node, 0)
    return ctx.emit("Mul", [x, ctx.emit("Sigmoid", [x])])


@converts(A.Swish)
def _swish(ctx, node):
    x, beta = ctx.inputs(node, same_dtype=True)
    return ctx.emit("Mul", [x, ctx.emit("Sigmoid", [ctx.emit("Mul", [x, beta])])])


@converts(A.Hardsigmoid)
def _hardsigmoid(ctx, node):
    return ctx.emit("HardSigmoid", [ctx.input(node, 0)], alpha=1.0 / 6.0, beta=0.5)


@converts(A.LogSigmoid)
def _logsigmoid(ctx, node):
    x = ctx.input(node, 0)
    return ctx.emit("Neg", [ctx.emit("Softplus", [ctx.emit("Neg", [x])])])


@converts(A.Tanhshrink)
def _tanhshrink(ctx, node):
    x = ctx.input(node, 0)
    return ctx.emit("Sub", [x, ctx.emit("Tanh", [x])])


@converts(A.Hardshrink)
def _hardshrink(ctx, node):
    return ctx.emit("Shrink", [ctx.input(node, 0)], lambd=float(node.attrs["lambd"]), bias=0.0)


@converts(A.Softshrink)
def _softshrink(ctx, node):
    lam = float(node.attrs["lambd"])
    return ctx.emit("Shrink", [ctx.input(node, 0)], lambd=lam, bias=lam)


@converts(A.Threshold)
def _threshold(ctx, node):
    x = ctx.input(node, 0)
    dtype = ctx.dtype(node.output)
    above = ctx.emit("Greater", [x, ctx.const(np.asarray(node.attrs["threshold"], dtype))])
    return ctx.emit("Where", [above, x, ctx.const(np.asarray(node.attrs["value"], dtype))])


@converts(SM.Softmax)
def _softmax(ctx, node):
    x = ctx.input(node, 0)
    if node.attrs.get("sign", 1) != 1:
        x = ctx.emit("Neg", [x])
    return ctx.emit("Softmax", [x], axis=int(node.attrs["dim"]))


@converts(SM.LogSoftmax)
def _log_softmax(ctx, node):
    return ctx.emit("LogSoftmax", [ctx.input(node, 0)], axis=int(node.attrs["dim"]))
