"""Observers: qparams equal torch.ao.quantization's calculate_qparams on the same data, for
every dtype/scheme combination, reduced and custom ranges, per channel and moving average."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.quantization.observer import (
    MinMaxObserver, MovingAverageMinMaxObserver, PercentileObserver, PerChannelMinMaxObserver,
)

torch = pytest.importorskip("torch")
tq = pytest.importorskip("torch.ao.quantization")


def _batches(seed=0, n=3, shape=(4, 6), shift=0.7):
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal(shape) * (1 + i) + shift).astype(np.float32) for i in range(n)]


def _same(ours, theirs):
    s, z = ours
    ts, tz = theirs
    np.testing.assert_array_equal(s.numpy(), ts.numpy().astype(np.float32))
    np.testing.assert_array_equal(z.numpy(), tz.numpy().astype(np.int64))


@pytest.mark.parametrize("dtype", ["quint8", "qint8"])
@pytest.mark.parametrize("qscheme", ["per_tensor_affine", "per_tensor_symmetric"])
@pytest.mark.parametrize("reduce_range", [False, True])
def test_minmax_qparams_equal_torch(dtype, qscheme, reduce_range):
    if dtype == "quint8" and qscheme == "per_tensor_symmetric" and reduce_range:
        with pytest.raises(NotImplementedError):
            tq.MinMaxObserver(dtype=torch.quint8, qscheme=torch.per_tensor_symmetric,
                              reduce_range=True)
        with pytest.raises(NotImplementedError, match="reduce range"):
            MinMaxObserver(dtype=dtype, qscheme=qscheme, reduce_range=True)
        return
    ours = MinMaxObserver(dtype=dtype, qscheme=qscheme, reduce_range=reduce_range)
    theirs = tq.MinMaxObserver(dtype=getattr(torch, dtype), qscheme=getattr(torch, qscheme),
                               reduce_range=reduce_range)
    for x in _batches():
        ours(gn.tensor(x))
        theirs(torch.tensor(x))
    assert ours.min_val.item() == theirs.min_val.item()
    assert ours.max_val.item() == theirs.max_val.item()
    _same(ours.calculate_qparams(), theirs.calculate_qparams())


def test_custom_range_positive_only_data_and_empty_observer_equal_torch():
    x = np.abs(_batches(1)[0]) + 0.5  # all positive: the range is widened to contain 0
    for kw in ({"quant_min": 0, "quant_max": 15},
               {"quant_min": 0, "quant_max": 100, "qscheme": "per_tensor_symmetric"},
               {"quant_min": 0, "quant_max": 255, "reduce_range": True}):
        tkw = dict(kw)
        if "qscheme" in tkw:
            tkw["qscheme"] = getattr(torch, tkw["qscheme"])
        ours, theirs = MinMaxObserver(**kw), tq.MinMaxObserver(**tkw)
        ours(gn.tensor(x))
        theirs(torch.tensor(x))
        _same(ours.calculate_qparams(), theirs.calculate_qparams())
    s, z = MinMaxObserver().calculate_qparams()  # nothing observed: scale 1, zero point 0
    assert s.numpy().tolist() == [1.0] and z.numpy().tolist() == [0]


@pytest.mark.parametrize("qscheme", ["per_channel_affine", "per_channel_symmetric"])
@pytest.mark.parametrize("ch_axis", [0, 1])
def test_per_channel_qparams_equal_torch(qscheme, ch_axis):
    ours = PerChannelMinMaxObserver(ch_axis=ch_axis, dtype="qint8", qscheme=qscheme)
    theirs = tq.PerChannelMinMaxObserver(ch_axis=ch_axis, dtype=torch.qint8,
                                         qscheme=getattr(torch, qscheme))
    for x in _batches(2, shape=(5, 3, 7)):
        ours(gn.tensor(x))
        theirs(torch.tensor(x))
    np.testing.assert_array_equal(ours.min_val.numpy(), theirs.min_val.numpy())
    _same(ours.calculate_qparams(), theirs.calculate_qparams())


def test_moving_average_equals_torch():
    ours = MovingAverageMinMaxObserver(averaging_constant=0.1)
    theirs = tq.MovingAverageMinMaxObserver(averaging_constant=0.1)
    for x in _batches(3, n=5):
        ours(gn.tensor(x))
        theirs(torch.tensor(x))
    np.testing.assert_allclose(ours.min_val.item(), theirs.min_val.item(), rtol=1e-6)
    np.testing.assert_allclose(ours.max_val.item(), theirs.max_val.item(), rtol=1e-6)
    s, z = ours.calculate_qparams()
    ts, tz = theirs.calculate_qparams()
    np.testing.assert_allclose(s.numpy(), ts.numpy(), rtol=1e-6)
    assert abs(int(z.numpy()[0]) - int(tz.numpy()[0])) <= 1


def test_percentile_observer_clips_outliers():
    rng = np.random.default_rng(4)
    batches = [rng.standard_normal(10000).astype(np.float32) for _ in range(3)]
    batches[1][0] = 1000.0  # one outlier
    obs = PercentileObserver(percentile=99.0)
    mm = MinMaxObserver()
    for b in batches:
        obs(gn.tensor(b))
        mm(gn.tensor(b))
    lo = np.mean([np.percentile(b.astype(np.float64), 1.0) for b in batches])
    hi = np.mean([np.percentile(b.astype(np.float64), 99.0) for b in batches])
    np.testing.assert_allclose([obs.min_val.item(), obs.max_val.item()], [lo, hi], rtol=1e-5)
    assert mm.max_val.item() == 1000.0
    assert obs.calculate_qparams()[0].item() < mm.calculate_qparams()[0].item() / 50


def test_observer_arguments_are_validated():
    with pytest.raises(ValueError, match="qscheme"):
        MinMaxObserver(qscheme="per_channel_affine")
    with pytest.raises(ValueError, match="dtype"):
        MinMaxObserver(dtype="int4")
    with pytest.raises(ValueError, match="quant_min"):
        MinMaxObserver(quant_min=0)
    with pytest.raises(ValueError, match="quant_min <= 0 <= quant_max"):
        MinMaxObserver(quant_min=10, quant_max=100)  # torch: the range must hold 0
    with pytest.raises(ValueError, match="quant_min <= 0 <= quant_max"):
        MinMaxObserver(dtype="qint8", quant_min=-200, quant_max=100)
    with pytest.raises(ValueError, match="percentile"):
        PercentileObserver(percentile=20)
