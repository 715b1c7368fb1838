"""Int8 inference for Linear and Conv2d, and post-training quantisation (PTQ) of a model.

Integer arithmetic of one layer (as ``torch.ao.nn.quantized.Linear``/``Conv2d`` with the
fbgemm scheme): the input is quint8 with ``(s_x, z_x)``, the weight qint8 symmetric per
output channel ``o`` with ``(s_w[o], 0)``, the bias int32 with scale ``s_x * s_w[o]``, and

    acc[o] = sum_k (q_x[k] - z_x) * q_w[o, k] + q_b[o]                 (int32)
    q_y[o] = clamp(rint(acc[o] * s_x * s_w[o] / s_y) + z_y, 0, 255)     (quint8)

The sum is accumulated exactly: the products are integers below 2**15 in magnitude and
a float64 GEMM adds integers exactly while the sum stays below 2**53, so BLAS computes the
int32 accumulator bit for bit (``int8_matmul`` checks the int32 range and raises rather
than wrap).  The requantisation multiplier is applied in float64 (hardware uses a
fixed-point multiplier and shift; the two agree except at exact rounding ties).

glassnet has no quantised tensor type, so :class:`QuantizedLinear` and
:class:`QuantizedConv2d` take and return float Tensors: ``forward`` quantises the input
with the calibrated input parameters (PyTorch's ``QuantStub``), runs the integer path
:meth:`forward_int`, and dequantises its quint8 output (``DeQuantStub``).  Chained
layers therefore see exactly the int8 values an integer pipeline would produce; ReLU and
max-pooling between them commute with the monotone (de)quantisation.

:func:`quantize_model` calibrates observers on sample inputs and swaps every Linear and
Conv2d (``groups=1``) for its quantised counterpart.
"""
from __future__ import annotations

import copy

import numpy as np

from glassnet.nn.module import Module
from glassnet.quantization.observer import (
    MinMaxObserver, PercentileObserver, PerChannelMinMaxObserver, per_channel_symmetric,
    per_tensor_symmetric, qint8, quint8,
)
from glassnet.tensor import Tensor

__all__ = ["quantize_per_tensor", "quantize_per_channel", "dequantize", "int8_matmul",
           "QuantizedLinear", "QuantizedConv2d", "quantize_model"]

_INT32 = (-2 ** 31, 2 ** 31 - 1)


def _arr(x):
    return x._data if isinstance(x, Tensor) else np.asarray(x)


def quantize_per_tensor(x, scale: float, zero_point: int, dtype: str = quint8) -> np.ndarray:
    """``clamp(rint(x / scale) + zero_point)`` as uint8 (quint8), int8 (qint8) or int32."""
    lo, hi, np_dtype = {"quint8": (0, 255, np.uint8), "qint8": (-128, 127, np.int8),
                        "qint32": (*_INT32, np.int32)}[dtype]
    x = _arr(x).astype(np.float32)
    inv = np.float32(1.0) / np.float32(scale)
    return np.clip(np.rint(x * inv) + int(zero_point), lo, hi).astype(np_dtype)


def quantize_per_channel(x, scales, zero_points, axis: int, dtype: str = qint8) -> np.ndarray:
    """Per-slice :func:`quantize_per_tensor` along ``axis``."""
    x = _arr(x).astype(np.float32)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    s = np.asarray(_arr(scales), np.float32).reshape(shape)
    z = np.asarray(_arr(zero_points), np.int64).reshape(shape)
    lo, hi, np_dtype = {"quint8": (0, 255, np.uint8), "qint8": (-128, 127, np.int8)}[dtype]
    return np.clip(np.rint(x * (np.float32(1.0) / s)) + z, lo, hi).astype(np_dtype)


def dequantize(q, scale, zero_point, axis: int | None = None) -> np.ndarray:
    """``(q - zero_point) * scale`` in float32 (per channel along ``axis`` if given)."""
    q = np.asarray(q).astype(np.int64)
    if axis is not None:
        shape = [1] * q.ndim
        shape[axis] = q.shape[axis]
        scale = np.broadcast_to(np.asarray(scale, np.float32).reshape(-1),
                                (q.shape[axis],)).reshape(shape)
        zero_point = np.broadcast_to(np.asarray(zero_point, np.int64).reshape(-1),
                                     (q.shape[axis],)).reshape(shape)
    return ((q - zero_point) * np.asarray(scale, np.float32)).astype(np.float32)


def _exact_int32(out: np.ndarray) -> np.ndarray:
    if out.size and (out.min() < _INT32[0] or out.max() > _INT32[1]):
        raise OverflowError("int8_matmul: the int32 accumulator overflows")
    return out.astype(np.int32)


def int8_matmul(a, b) -> np.ndarray:
    """Exact ``a @ b`` of integer matrices (entries of magnitude <= 255), as int32.

    NOTE: computed by a float64 GEMM, exact because every partial sum is an integer of
    magnitude < 2**53 (guaranteed: K * 255 * 255 < 2**53 for K < 1.3e11).  Raises
    OverflowError if a result leaves the int32 range instead of wrapping.
    """
    a = np.asarray(a)
    b = np.asarray(b)
    if not (np.issubdtype(a.dtype, np.integer) and np.issubdtype(b.dtype, np.integer)):
        raise TypeError(f"int8_matmul: a and b must be integer arrays, got {a.dtype}, {b.dtype}")
    return _exact_int32(np.matmul(a.astype(np.float64), b.astype(np.float64)))


def _requantize(acc, multiplier, zero_point) -> np.ndarray:
    return np.clip(np.rint(acc.astype(np.float64) * multiplier) + int(zero_point), 0,
                   255).astype(np.uint8)


class _QuantizedBase(Module):
    """Shared state: int8 weight with per-channel scales, float bias (quantised to int32 on
    the fly with the input scale), input and output qparams."""

    def _init_qparams(self, out_channels, weight_shape):
        self.register_buffer("weight_int8", Tensor._wrap(np.zeros(weight_shape, np.int8)))
        self.register_buffer("weight_scale", Tensor._wrap(np.ones(out_channels, np.float32)))
        self.register_buffer("bias_float", Tensor._wrap(np.zeros(out_channels, np.float32)))
        self.register_buffer("input_scale", Tensor._wrap(np.ones(1, np.float32)))
        self.register_buffer("input_zero_point", Tensor._wrap(np.zeros(1, np.int64)))
        self.register_buffer("scale", Tensor._wrap(np.ones(1, np.float32)))
        self.register_buffer("zero_point", Tensor._wrap(np.zeros(1, np.int64)))

    def _set_from(self, mod, input_qparams, output_qparams, per_channel: bool):
        w = mod.weight._data.astype(np.float32)
        if per_channel:
            obs = PerChannelMinMaxObserver(ch_axis=0, dtype=qint8,
                                           qscheme=per_channel_symmetric)
        else:
            obs = MinMaxObserver(dtype=qint8, qscheme=per_tensor_symmetric)
        obs(w)
        scale, _ = obs.calculate_qparams()
        scale = np.broadcast_to(scale._data, (w.shape[0],)).astype(np.float32)
        self.weight_scale._data = scale.copy()
        self.weight_int8._data = quantize_per_channel(w, scale, np.zeros(w.shape[0]), 0, qint8)
        if mod.bias is not None:
            self.bias_float._data = mod.bias._data.astype(np.float32).copy()
        self.input_scale._data = np.asarray(_arr(input_qparams[0]), np.float32).reshape(1)
        self.input_zero_point._data = np.asarray(_arr(input_qparams[1]), np.int64).reshape(1)
        self.scale._data = np.asarray(_arr(output_qparams[0]), np.float32).reshape(1)
        self.zero_point._data = np.asarray(_arr(output_qparams[1]), np.int64).reshape(1)

    def _bias_int32(self) -> np.ndarray:
        s = np.float64(self.input_scale._data[0]) * self.weight_scale._data.astype(np.float64)
        return np.clip(np.rint(self.bias_float._data / s), *_INT32).astype(np.int32)

    def _multiplier(self) -> np.ndarray:
        return (np.float64(self.input_scale._data[0]) * self.weight_scale._data.astype(np.float64)
                / np.float64(self.scale._data[0]))

    def quantize_input(self, x) -> np.ndarray:
        """The quint8 codes of a float input under the calibrated input qparams."""
        return quantize_per_tensor(x, float(self.input_scale._data[0]),
                                   int(self.input_zero_point._data[0]), quint8)

    def forward(self, input):
        q_y = self.forward_int(self.quantize_input(input))
        return Tensor._wrap(dequantize(q_y, self.scale._data[0], self.zero_point._data[0]))


class QuantizedLinear(_QuantizedBase):
    """Int8 ``Linear`` (``torch.ao.nn.quantized.Linear``): see the module docstring.

    Shape
    -----
    input: ``(*, in_features)`` float (``forward``) or quint8 (``forward_int``);
    output: ``(*, out_features)``, float or quint8.
    """

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        self._init_qparams(out_features, (out_features, in_features))

    @classmethod
    def from_float(cls, mod, input_qparams, output_qparams, per_channel: bool = True):
        """Quantise a float ``Linear`` given ``(scale, zero_point)`` of its input and
        output (from calibrated observers)."""
        q = cls(mod.in_features, mod.out_features)
        q._set_from(mod, input_qparams, output_qparams, per_channel)
        return q

    def accumulate(self, q_x) -> np.ndarray:
        """The int32 accumulators ``(*, out_features)`` of the quint8 input ``q_x``."""
        q_x = np.asarray(q_x)
        if q_x.shape[-1:] != (self.in_features,):
            raise ValueError(f"QuantizedLinear: input must have shape (*, {self.in_features}), "
                             f"got {q_x.shape}")
        lead = q_x.shape[:-1]
        centered = q_x.reshape(-1, self.in_features).astype(np.int32) - np.int32(
            self.input_zero_point._data[0])
        acc = int8_matmul(centered, self.weight_int8._data.T) + self._bias_int32()
        return acc.reshape(*lead, self.out_features)

    def forward_int(self, q_x) -> np.ndarray:
        """quint8 input codes -> quint8 output codes (integer arithmetic throughout but
        the final rescale)."""
        return _requantize(self.accumulate(q_x), self._multiplier(), self.zero_point._data[0])

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"scale={float(self.scale._data[0]):.6g}, "
                f"zero_point={int(self.zero_point._data[0])}")


class QuantizedConv2d(_QuantizedBase):
    """Int8 ``Conv2d`` (``torch.ao.nn.quantized.Conv2d``, ``groups=1``): im2col of the
    centred input codes (padding contributes the zero point, i.e. the real value 0) and
    one exact integer GEMM.

    Shape
    -----
    input: ``(N, C_in, H, W)``; output: ``(N, C_out, H_out, W_out)`` with ``H_out`` as
    :class:`~glassnet.nn.Conv2d`.
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1):
        super().__init__()
        pair = (lambda v: (int(v), int(v)) if np.isscalar(v) else tuple(int(a) for a in v))
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size, self.stride = pair(kernel_size), pair(stride)
        self.padding, self.dilation = pair(padding), pair(dilation)
        self._init_qparams(out_channels, (out_channels, in_channels, *self.kernel_size))

    @classmethod
    def from_float(cls, mod, input_qparams, output_qparams, per_channel: bool = True):
        if mod.groups != 1 or mod.padding_mode != "zeros" or isinstance(mod.padding, str):
            raise ValueError(f"QuantizedConv2d.from_float: only groups=1, zero padding given "
                             f"as ints is supported, got groups={mod.groups}, "
                             f"padding={mod.padding!r}, padding_mode={mod.padding_mode!r}")
        q = cls(mod.in_channels, mod.out_channels, mod.kernel_size, mod.stride, mod.padding,
                mod.dilation)
        q._set_from(mod, input_qparams, output_qparams, per_channel)
        return q

    def accumulate(self, q_x) -> np.ndarray:
        """The int32 accumulators ``(N, C_out, H_out, W_out)`` of quint8 input codes."""
        from glassnet.nn import functional as F

        q_x = np.asarray(q_x)
        if q_x.ndim != 4 or q_x.shape[1] != self.in_channels:
            raise ValueError(f"QuantizedConv2d: input must have shape (N, {self.in_channels}, "
                             f"H, W), got {q_x.shape}")
        n, _, h, w = q_x.shape
        (kh, kw), (sh, sw), (ph, pw), (dh, dw) = (self.kernel_size, self.stride, self.padding,
                                                  self.dilation)
        ho = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
        wo = (w + 2 * pw - dw * (kw - 1) - 1) // sw + 1
        # centred codes are small integers: float64 holds them (and their im2col) exactly
        centered = q_x.astype(np.float64) - np.float64(self.input_zero_point._data[0])
        cols = F.unfold(Tensor._wrap(centered), self.kernel_size, self.dilation, self.padding,
                        self.stride)._data                              # (N, C*kh*kw, L)
        wmat = self.weight_int8._data.reshape(self.out_channels, -1).astype(np.float64)
        # the integer GEMM of int8_matmul, on the float64 columns directly (exact, see there)
        acc = _exact_int32(np.matmul(wmat[None], cols)) + self._bias_int32()[None, :, None]
        return acc.reshape(n, self.out_channels, ho, wo)

    def forward_int(self, q_x) -> np.ndarray:
        mult = self._multiplier()[None, :, None, None]
        return _requantize(self.accumulate(q_x), mult, self.zero_point._data[0])

    def extra_repr(self) -> str:
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, padding={self.padding}, "
                f"scale={float(self.scale._data[0]):.6g}, "
                f"zero_point={int(self.zero_point._data[0])}")


_OBSERVERS = {"minmax": MinMaxObserver, "percentile": PercentileObserver}


def quantize_model(model, calibration_data, observer: str = "minmax",
                   per_channel: bool = True, batch_size: int = 500, percentile: float = 99.99):
    """Post-training int8 quantisation: a copy of ``model`` whose Linear and Conv2d layers
    are :class:`QuantizedLinear` / :class:`QuantizedConv2d`.

    Parameters
    ----------
    model : Module
        A float model (unchanged).
    calibration_data : array ``(N, *input shape)``
        Inputs whose activations set each layer's input and output ranges.
    observer : {'minmax', 'percentile'}
        Activation observer (quint8, affine).
    per_channel : bool
        Per-output-channel weight scales (else one per layer); weights are qint8
        symmetric.

    Returns
    -------
    Module
    """
    import glassnet as gn
    from glassnet import nn

    if observer not in _OBSERVERS:
        raise ValueError(f"quantize_model: observer must be one of {tuple(_OBSERVERS)}, got "
                         f"{observer!r}")
    qmodel = copy.deepcopy(model)
    qmodel.eval()
    targets = [(n, m) for n, m in qmodel.named_modules()
               if isinstance(m, (nn.Linear, nn.Conv2d))]
    if not targets:
        raise ValueError("quantize_model: the model has no Linear or Conv2d layer")
    kw = {"percentile": percentile} if observer == "percentile" else {}
    observers, handles = {}, []
    for name, m in targets:
        obs_in = _OBSERVERS[observer](dtype=quint8, **kw)
        obs_out = _OBSERVERS[observer](dtype=quint8, **kw)
        observers[name] = (obs_in, obs_out)

        def hook(mod, args, out, obs_in=obs_in, obs_out=obs_out):
            obs_in(args[0])
            obs_out(out)

        handles.append(m.register_forward_hook(hook))
    data = _arr(calibration_data)
    with gn.no_grad():
        for i in range(0, len(data), batch_size):
            qmodel(gn.tensor(data[i:i + batch_size]))
    for h in handles:
        h.remove()
    for name, m in targets:
        obs_in, obs_out = observers[name]
        cls = QuantizedLinear if isinstance(m, nn.Linear) else QuantizedConv2d
        q = cls.from_float(m, obs_in.calculate_qparams(), obs_out.calculate_qparams(),
                           per_channel)
        parent_name, _, child = name.rpartition(".")
        setattr(qmodel.get_submodule(parent_name), child, q)
    return qmodel
