"""Observers: modules that record the range of the tensors passing through them and turn
it into quantisation parameters (``torch.ao.quantization.observer``'s names, defaults and
``calculate_qparams`` arithmetic).

Quantised dtypes and schemes are strings (glassnet has no quantised tensor type):
``quint8`` (0..255), ``qint8`` (-128..127), ``qint32``; ``per_tensor_affine``,
``per_tensor_symmetric``, ``per_channel_affine``, ``per_channel_symmetric``.

An affine quantiser maps ``x`` to ``q = clamp(round(x / scale) + zero_point, qmin, qmax)``
and back to ``(q - zero_point) * scale``.  From the observed ``[min, max]`` (widened to
contain 0, so that 0 is exact):

- affine: ``scale = (max - min) / (qmax - qmin)``,
  ``zero_point = clamp(qmin - round(min / scale), qmin, qmax)``;
- symmetric: ``scale = max(-min, max) / ((qmax - qmin) / 2)``, ``zero_point`` 0 for qint8
  and 128 for quint8;

``scale`` is at least ``eps`` (float32's machine epsilon), all in float32, as PyTorch.
"""
from __future__ import annotations

import numpy as np

from glassnet.nn.module import Module
from glassnet.tensor import Tensor

__all__ = ["quint8", "qint8", "qint32", "per_tensor_affine", "per_tensor_symmetric",
           "per_channel_affine", "per_channel_symmetric", "ObserverBase", "MinMaxObserver",
           "MovingAverageMinMaxObserver", "PerChannelMinMaxObserver",
           "MovingAveragePerChannelMinMaxObserver", "PercentileObserver",
           "default_qrange"]

quint8, qint8, qint32 = "quint8", "qint8", "qint32"
per_tensor_affine, per_tensor_symmetric = "per_tensor_affine", "per_tensor_symmetric"
per_channel_affine, per_channel_symmetric = "per_channel_affine", "per_channel_symmetric"
_QSCHEMES = (per_tensor_affine, per_tensor_symmetric, per_channel_affine,
             per_channel_symmetric)
_EPS = np.float32(np.finfo(np.float32).eps)


def default_qrange(dtype: str, reduce_range: bool = False) -> tuple:
    """``(quant_min, quant_max)`` of a quantised dtype (``reduce_range`` drops one bit)."""
    if dtype == quint8:
        return (0, 127) if reduce_range else (0, 255)
    if dtype == qint8:
        return (-64, 63) if reduce_range else (-128, 127)
    if dtype == qint32:
        return (-2 ** 31, 2 ** 31 - 1)
    raise ValueError(f"observer: dtype must be 'quint8', 'qint8' or 'qint32', got {dtype!r}")


def _arr(x) -> np.ndarray:
    return x._data if isinstance(x, Tensor) else np.asarray(x)


class ObserverBase(Module):
    """Common arguments and ``calculate_qparams`` of the min/max observers.

    Parameters
    ----------
    dtype : {'quint8', 'qint8', 'qint32'}
    qscheme : str
        One of the four schemes above (per-channel ones only for per-channel observers).
    reduce_range : bool
        Use 7 bits of the 8 (for backends whose int16 accumulators could overflow).
    quant_min, quant_max : int, optional
        A custom range (within the dtype's); both or neither.
    eps : float
        Smallest scale.
    """

    def __init__(self, dtype: str = quint8, qscheme: str = per_tensor_affine,
                 reduce_range: bool = False, quant_min: int | None = None,
                 quant_max: int | None = None, eps: float = float(_EPS)):
        super().__init__()
        name = type(self).__name__
        if qscheme not in _QSCHEMES:
            raise ValueError(f"{name}: qscheme must be one of {_QSCHEMES}, got {qscheme!r}")
        default_qrange(dtype)  # validates dtype
        if qscheme == per_tensor_symmetric and reduce_range and dtype == quint8:
            raise NotImplementedError(f"{name}: cannot reduce range for symmetric quantization "
                                      f"for quint8 (as PyTorch)")
        self.has_customized_qrange = quant_min is not None or quant_max is not None
        if self.has_customized_qrange:
            if quant_min is None or quant_max is None:
                raise ValueError(f"{name}: quant_min and quant_max must be given together, "
                                 f"got {quant_min} and {quant_max}")
            # PyTorch's checks: the range holds 0 and at most 2**8 values for 8-bit types
            span = 2 ** 32 if dtype == qint32 else 256
            if not (quant_min <= 0 <= quant_max and quant_min < quant_max
                    and quant_max - quant_min + 1 <= span):
                raise ValueError(f"{name}: quant_min, quant_max must satisfy quant_min <= 0 <= "
                                 f"quant_max, quant_min < quant_max and span at most {span} "
                                 f"values for {dtype}, got {quant_min}, {quant_max}")
            lo, hi = int(quant_min), int(quant_max)
            if reduce_range:
                lo, hi = lo // 2, hi // 2
        else:
            lo, hi = default_qrange(dtype, reduce_range)
        self.dtype = dtype
        self.qscheme = qscheme
        self.reduce_range = reduce_range
        self.quant_min, self.quant_max = lo, hi
        self.eps = np.float32(eps)

    def _calculate_qparams(self, min_val: np.ndarray, max_val: np.ndarray):
        min_val = np.asarray(min_val, np.float32)
        max_val = np.asarray(max_val, np.float32)
        if np.all(np.isposinf(min_val)) and np.all(np.isneginf(max_val)):
            # nothing observed yet: PyTorch's default (scale 1, zero point 0)
            return (Tensor._wrap(np.ones(1, np.float32)), Tensor._wrap(np.zeros(1, np.int64)))
        qmin, qmax = self.quant_min, self.quant_max
        min_neg = np.minimum(min_val, np.float32(0))
        max_pos = np.maximum(max_val, np.float32(0))
        zero_point = np.zeros(min_neg.shape, np.int64)
        if self.qscheme in (per_tensor_symmetric, per_channel_symmetric):
            max_pos = np.maximum(-min_neg, max_pos)
            scale = (max_pos / np.float32((qmax - qmin) / 2)).astype(np.float32)
            scale = np.maximum(scale, self.eps)
            if self.dtype == quint8:
                zero_point[...] = (qmin + qmax) // 2 if self.has_customized_qrange else 128
        else:
            scale = ((max_pos - min_neg) / np.float32(qmax - qmin)).astype(np.float32)
            scale = np.maximum(scale, self.eps)
            zero_point = qmin - np.round(min_neg / scale).astype(np.int64)
            zero_point = np.clip(zero_point, qmin, qmax)
        scale = np.atleast_1d(scale).astype(np.float32)
        zero_point = np.atleast_1d(zero_point).astype(np.int64)
        return Tensor._wrap(scale), Tensor._wrap(zero_point)

    def calculate_qparams(self):
        """``(scale, zero_point)``: float32 and int64 Tensors, shape ``(1,)`` per tensor or
        ``(C,)`` per channel."""
        return self._calculate_qparams(self.min_val._data, self.max_val._data)

    def reset_min_max_vals(self) -> None:
        self.min_val._data[...] = np.inf
        self.max_val._data[...] = -np.inf

    def extra_repr(self) -> str:
        return f"min_val={self.min_val._data}, max_val={self.max_val._data}"


class MinMaxObserver(ObserverBase):
    """Running minimum and maximum of every tensor observed
    (``torch.ao.quantization.MinMaxObserver``).

    ``forward(x)`` records and returns ``x`` unchanged.

    Examples
    --------
    >>> import glassnet
    >>> obs = MinMaxObserver()
    >>> _ = obs(glassnet.tensor([-1.0, 0.5, 3.0]))
    >>> [round(float(v), 6) for v in obs.calculate_qparams()[0]], obs.calculate_qparams()[1]
    ([0.015686], tensor([64]))
    """

    def __init__(self, dtype: str = quint8, qscheme: str = per_tensor_affine,
                 reduce_range: bool = False, quant_min: int | None = None,
                 quant_max: int | None = None, eps: float = float(_EPS)):
        if qscheme in (per_channel_affine, per_channel_symmetric):
            raise ValueError(f"MinMaxObserver: qscheme must be per-tensor, got {qscheme!r} "
                             f"(use PerChannelMinMaxObserver)")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, eps)
        self.register_buffer("min_val", Tensor._wrap(np.array(np.inf, np.float32)))
        self.register_buffer("max_val", Tensor._wrap(np.array(-np.inf, np.float32)))

    def _update(self, lo, hi):
        self.min_val._data[...] = np.minimum(self.min_val._data, lo)
        self.max_val._data[...] = np.maximum(self.max_val._data, hi)

    def forward(self, x_orig):
        x = _arr(x_orig)
        if x.size == 0:
            return x_orig
        x = x.astype(np.float32, copy=False)
        self._update(x.min(), x.max())
        return x_orig


class MovingAverageMinMaxObserver(MinMaxObserver):
    """Exponential moving average of the per-batch min and max (the default observer of
    :class:`~glassnet.quantization.fake_quantize.FakeQuantize` for activations):
    ``min <- min + c * (batch_min - min)``, the first batch taken as is."""

    def __init__(self, averaging_constant: float = 0.01, dtype: str = quint8,
                 qscheme: str = per_tensor_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 eps: float = float(_EPS)):
        if not 0 < averaging_constant <= 1:
            raise ValueError(f"MovingAverageMinMaxObserver: averaging_constant must be in "
                             f"(0, 1], got {averaging_constant}")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, eps)
        self.averaging_constant = np.float32(averaging_constant)

    def _update(self, lo, hi):
        c = self.averaging_constant
        if np.isposinf(self.min_val._data) and np.isneginf(self.max_val._data):
            self.min_val._data[...] = lo
            self.max_val._data[...] = hi
        else:
            self.min_val._data[...] = self.min_val._data + c * (lo - self.min_val._data)
            self.max_val._data[...] = self.max_val._data + c * (hi - self.max_val._data)


class PerChannelMinMaxObserver(ObserverBase):
    """Running min and max per slice along ``ch_axis`` (weights: one scale per output
    channel; ``torch.ao.quantization.PerChannelMinMaxObserver``)."""

    def __init__(self, ch_axis: int = 0, dtype: str = quint8,
                 qscheme: str = per_channel_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 eps: float = float(_EPS)):
        if qscheme not in (per_channel_affine, per_channel_symmetric):
            raise ValueError(f"PerChannelMinMaxObserver: qscheme must be per-channel, got "
                             f"{qscheme!r}")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, eps)
        self.ch_axis = int(ch_axis)
        self.register_buffer("min_val", Tensor._wrap(np.zeros(0, np.float32)))
        self.register_buffer("max_val", Tensor._wrap(np.zeros(0, np.float32)))

    def forward(self, x_orig):
        x = _arr(x_orig)
        if x.size == 0:
            return x_orig
        if not -x.ndim <= self.ch_axis < x.ndim:
            raise ValueError(f"PerChannelMinMaxObserver: ch_axis={self.ch_axis} is out of "
                             f"range for an input of shape {x.shape}")
        y = np.moveaxis(x.astype(np.float32, copy=False), self.ch_axis, 0).reshape(
            x.shape[self.ch_axis], -1)
        lo, hi = y.min(1), y.max(1)
        if self.min_val._data.size == 0:
            self.min_val._data = lo
            self.max_val._data = hi
        else:
            if self.min_val._data.shape != lo.shape:
                raise ValueError(f"PerChannelMinMaxObserver: expected {self.min_val._data.size}"
                                 f" channels along axis {self.ch_axis}, got {lo.size}")
            self.min_val._data = np.minimum(self.min_val._data, lo)
            self.max_val._data = np.maximum(self.max_val._data, hi)
        return x_orig

    def calculate_qparams(self):
        if self.min_val._data.size == 0:
            return self._calculate_qparams(np.float32(np.inf), np.float32(-np.inf))
        return self._calculate_qparams(self.min_val._data, self.max_val._data)

    def reset_min_max_vals(self) -> None:
        self.min_val._data = np.zeros(0, np.float32)
        self.max_val._data = np.zeros(0, np.float32)


class MovingAveragePerChannelMinMaxObserver(PerChannelMinMaxObserver):
    """Per-channel exponential moving average of the min and max
    (``torch.ao.quantization.MovingAveragePerChannelMinMaxObserver``)."""

    def __init__(self, averaging_constant: float = 0.01, ch_axis: int = 0,
                 dtype: str = quint8, qscheme: str = per_channel_affine,
                 reduce_range: bool = False, quant_min: int | None = None,
                 quant_max: int | None = None, eps: float = float(_EPS)):
        if not 0 < averaging_constant <= 1:
            raise ValueError(f"MovingAveragePerChannelMinMaxObserver: averaging_constant must "
                             f"be in (0, 1], got {averaging_constant}")
        super().__init__(ch_axis, dtype, qscheme, reduce_range, quant_min, quant_max, eps)
        self.averaging_constant = np.float32(averaging_constant)

    def forward(self, x_orig):
        old_lo, old_hi = self.min_val._data, self.max_val._data
        super().forward(x_orig)  # validates and takes the running min/max
        if old_lo.size:
            x = np.moveaxis(_arr(x_orig).astype(np.float32), self.ch_axis, 0)
            x = x.reshape(x.shape[0], -1)
            c = self.averaging_constant
            self.min_val._data = old_lo + c * (x.min(1) - old_lo)
            self.max_val._data = old_hi + c * (x.max(1) - old_hi)
        return x_orig


class PercentileObserver(MinMaxObserver):
    """Clip outliers: the range is the mean over observed batches of the
    ``percentile``-th and ``(100 - percentile)``-th percentiles of each batch (a glassnet
    extra; PyTorch's counterpart for outlier-robust ranges is ``HistogramObserver``).

    Parameters
    ----------
    percentile : float
        In (50, 100]; 100 gives the mean of the per-batch min/max.
    """

    def __init__(self, percentile: float = 99.99, dtype: str = quint8,
                 qscheme: str = per_tensor_affine, reduce_range: bool = False,
                 quant_min: int | None = None, quant_max: int | None = None,
                 eps: float = float(_EPS)):
        if not 50 < percentile <= 100:
            raise ValueError(f"PercentileObserver: percentile must be in (50, 100], got "
                             f"{percentile}")
        super().__init__(dtype, qscheme, reduce_range, quant_min, quant_max, eps)
        self.percentile = float(percentile)
        self.register_buffer("num_batches", Tensor._wrap(np.zeros((), np.int64)))

    def forward(self, x_orig):
        x = _arr(x_orig)
        if x.size == 0:
            return x_orig
        lo, hi = np.percentile(x.astype(np.float64).reshape(-1),
                               [100 - self.percentile, self.percentile])
        n = int(self.num_batches._data)
        if n == 0:
            self.min_val._data[...] = lo
            self.max_val._data[...] = hi
        else:
            self.min_val._data[...] = (self.min_val._data * n + lo) / (n + 1)
            self.max_val._data[...] = (self.max_val._data * n + hi) / (n + 1)
        self.num_batches._data[...] = n + 1
        return x_orig
