"""Fake quantisation for quantisation-aware training (``torch.fake_quantize_per_tensor_affine``,
``torch.fake_quantize_per_channel_affine`` and ``torch.ao.quantization.FakeQuantize``).

The forward pass rounds to the quantisation grid and back, in float:
``out = (clamp(zero_point + rint(x * (1 / scale)), qmin, qmax) - zero_point) * scale``
(PyTorch's arithmetic: multiplication by the float32 reciprocal, round half to even).
The backward pass is the straight-through estimator (Bengio et al. 2013,
arXiv:1308.3432): the gradient passes unchanged where the rounded value lies inside
``[qmin, qmax]`` and is 0 where it was clamped.
"""
from __future__ import annotations

import numpy as np

from glassnet.autograd import Function
from glassnet.nn.module import Module
from glassnet.quantization.observer import (
    MovingAverageMinMaxObserver, MovingAveragePerChannelMinMaxObserver, per_channel_affine,
    per_channel_symmetric, per_tensor_symmetric, qint8,
)
from glassnet.tensor import Tensor

__all__ = ["fake_quantize_per_tensor_affine", "fake_quantize_per_channel_affine",
           "FakeQuantize", "default_fake_quant", "default_weight_fake_quant",
           "default_per_channel_weight_fake_quant"]


def _rounded(x, scale, zero_point):
    # NOTE: rint is round-half-to-even, as std::nearbyint in PyTorch's kernel; the
    # reciprocal is taken in float32 as there.
    inv = (np.float32(1.0) / scale.astype(np.float32)).astype(x.dtype)
    return np.rint(x * inv) + zero_point


class _FakeQuantize(Function):
    def forward(self, x, scale, zero_point, quant_min, quant_max):
        q = _rounded(x, scale, zero_point)
        self.mask = (q >= quant_min) & (q <= quant_max)
        return ((np.clip(q, quant_min, quant_max) - zero_point) * scale).astype(x.dtype)

    def backward(self, g):
        # straight-through estimator inside the range, 0 where clamped
        return g * self.mask, None, None


def _check(input, quant_min, quant_max, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(input).__name__}")
    if not np.issubdtype(input._data.dtype, np.floating):
        raise TypeError(f"{fn}: input must be floating, got {input._data.dtype}")
    if not (isinstance(quant_min, (int, np.integer)) and isinstance(quant_max, (int, np.integer))
            and quant_min <= quant_max):
        raise ValueError(f"{fn}: quant_min and quant_max must be ints with quant_min <= "
                         f"quant_max, got {quant_min!r} and {quant_max!r}")


def _as_array(v, dtype):
    return np.asarray(v._data if isinstance(v, Tensor) else v).astype(dtype)


def fake_quantize_per_tensor_affine(input: Tensor, scale, zero_point, quant_min: int,
                                    quant_max: int) -> Tensor:
    """Quantise and dequantise ``input`` with one ``scale`` and ``zero_point``.

    Parameters
    ----------
    input : Tensor, floating
    scale : float or Tensor of one element
    zero_point : int or Tensor of one element
    quant_min, quant_max : int
        e.g. 0, 255 (quint8) or -128, 127 (qint8).

    Shape
    -----
    output: the shape of ``input``.
    """
    fn = "fake_quantize_per_tensor_affine"
    _check(input, quant_min, quant_max, fn)
    s = _as_array(scale, np.float32).reshape(-1)
    z = _as_array(zero_point, np.int64).reshape(-1)
    if s.size != 1 or z.size != 1:
        raise ValueError(f"{fn}: scale and zero_point must have one element, got {s.size} and "
                         f"{z.size}")
    if not s[0] > 0:
        raise ValueError(f"{fn}: scale must be > 0, got {s[0]}")
    return _FakeQuantize.apply(input, Tensor._wrap(s.reshape(())), Tensor._wrap(z.reshape(())),
                               quant_min=int(quant_min), quant_max=int(quant_max))


def fake_quantize_per_channel_affine(input: Tensor, scale, zero_point, axis: int,
                                     quant_min: int, quant_max: int) -> Tensor:
    """Quantise and dequantise each slice of ``input`` along ``axis`` with its own scale
    and zero point.

    Shape
    -----
    input: ``(*)`` with ``C`` entries along ``axis``; scale, zero_point: ``(C,)``;
    output: the shape of ``input``.
    """
    fn = "fake_quantize_per_channel_affine"
    _check(input, quant_min, quant_max, fn)
    nd = input.ndim
    # NOTE: as PyTorch, a negative axis is refused
    if not isinstance(axis, (int, np.integer)) or not 0 <= axis < nd:
        raise ValueError(f"{fn}: axis must be an int in [0, {nd}) (input.ndim), got {axis!r}")
    s = _as_array(scale, np.float32).reshape(-1)
    z = _as_array(zero_point, np.int64).reshape(-1)
    c = input.shape[axis]
    if s.size != c or z.size != c:
        raise ValueError(f"{fn}: scale and zero_point must have {c} entries (input.shape[{axis}]"
                         f"), got {s.size} and {z.size}")
    if not (s > 0).all():
        raise ValueError(f"{fn}: every scale must be > 0, got min {s.min()}")
    shape = [1] * nd
    shape[axis] = c
    return _FakeQuantize.apply(input, Tensor._wrap(s.reshape(shape)),
                               Tensor._wrap(z.reshape(shape)), quant_min=int(quant_min),
                               quant_max=int(quant_max))


class FakeQuantize(Module):
    """Observe, then fake-quantise (``torch.ao.quantization.FakeQuantize``).

    Parameters
    ----------
    observer : type
        Observer class (default :class:`MovingAverageMinMaxObserver`).
    quant_min, quant_max : int, optional
    **observer_kwargs
        Passed to the observer (``dtype``, ``qscheme``, ``ch_axis``, ...).

    Attributes
    ----------
    scale, zero_point : Tensor buffers
        The current quantisation parameters (updated while the observer is enabled).
    activation_post_process : the observer

    Shape
    -----
    input: ``(*)``; output: the same shape.
    """

    def __init__(self, observer=MovingAverageMinMaxObserver, quant_min: int | None = None,
                 quant_max: int | None = None, **observer_kwargs):
        super().__init__()
        if quant_min is not None or quant_max is not None:
            observer_kwargs.update(quant_min=quant_min, quant_max=quant_max)
        self.activation_post_process = observer(**observer_kwargs)
        obs = self.activation_post_process
        self.quant_min, self.quant_max = obs.quant_min, obs.quant_max
        self.qscheme = obs.qscheme
        self.ch_axis = getattr(obs, "ch_axis", -1)
        self.is_per_channel = self.qscheme in (per_channel_affine, per_channel_symmetric)
        self.register_buffer("fake_quant_enabled", Tensor._wrap(np.ones(1, np.uint8)))
        self.register_buffer("observer_enabled", Tensor._wrap(np.ones(1, np.uint8)))
        self.register_buffer("scale", Tensor._wrap(np.ones(1, np.float32)))
        self.register_buffer("zero_point", Tensor._wrap(np.zeros(1, np.int64)))

    def enable_fake_quant(self, enabled: bool = True) -> "FakeQuantize":
        self.fake_quant_enabled._data[0] = 1 if enabled else 0
        return self

    def disable_fake_quant(self) -> "FakeQuantize":
        return self.enable_fake_quant(False)

    def enable_observer(self, enabled: bool = True) -> "FakeQuantize":
        self.observer_enabled._data[0] = 1 if enabled else 0
        return self

    def disable_observer(self) -> "FakeQuantize":
        return self.enable_observer(False)

    def calculate_qparams(self):
        return self.activation_post_process.calculate_qparams()

    def forward(self, X):
        if self.observer_enabled._data[0] == 1:
            self.activation_post_process(X.detach())
            scale, zero_point = self.calculate_qparams()
            self.scale._data = scale._data.copy()
            self.zero_point._data = zero_point._data.copy()
        if self.fake_quant_enabled._data[0] == 1:
            if self.is_per_channel:
                X = fake_quantize_per_channel_affine(X, self.scale, self.zero_point,
                                                     self.ch_axis, self.quant_min,
                                                     self.quant_max)
            else:
                X = fake_quantize_per_tensor_affine(X, self.scale, self.zero_point,
                                                    self.quant_min, self.quant_max)
        return X

    def extra_repr(self) -> str:
        return (f"fake_quant_enabled={int(self.fake_quant_enabled._data[0])}, "
                f"observer_enabled={int(self.observer_enabled._data[0])}, "
                f"quant_min={self.quant_min}, quant_max={self.quant_max}, "
                f"qscheme={self.qscheme}, ch_axis={self.ch_axis}")


def default_fake_quant() -> FakeQuantize:
    """Activations: quint8, moving-average min/max, affine, ``reduce_range=True`` (so codes
    0..127, as PyTorch's default)."""
    return FakeQuantize(MovingAverageMinMaxObserver, quant_min=0, quant_max=255,
                        reduce_range=True)


def default_weight_fake_quant() -> FakeQuantize:
    """Weights: qint8, symmetric per tensor (PyTorch's default weight fake-quant)."""
    return FakeQuantize(MovingAverageMinMaxObserver, quant_min=-128, quant_max=127,
                        dtype=qint8, qscheme=per_tensor_symmetric)


def default_per_channel_weight_fake_quant() -> FakeQuantize:
    """Weights: qint8, symmetric per output channel (axis 0), moving-average ranges."""
    return FakeQuantize(MovingAveragePerChannelMinMaxObserver, quant_min=-128, quant_max=127,
                        dtype=qint8, qscheme=per_channel_symmetric, ch_axis=0)
