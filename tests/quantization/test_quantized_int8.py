"""Int8 Linear/Conv2d: the int32 accumulators equal a reference computed in int64 exactly
(odd sizes, batch 1, stride, padding, dilation), the requantised outputs follow the
formula, the dequantised outputs are close to the float layer's, and quantize_model keeps a
trained net's accuracy."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.quantization.observer import MinMaxObserver
from glassnet.quantization.quantized import (
    QuantizedConv2d, QuantizedLinear, dequantize, int8_matmul, quantize_model,
    quantize_per_tensor,
)


def _qparams(x):
    obs = MinMaxObserver()
    obs(gn.tensor(x))
    return obs.calculate_qparams()


def _linear_reference_int64(q_x, zx, w_int8, b_int32):
    # sum_k (q_x - z_x) * q_w, accumulated one k at a time in int64 (no BLAS, no float)
    cx = q_x.astype(np.int64) - zx
    acc = np.zeros((q_x.shape[0], w_int8.shape[0]), np.int64)
    for k in range(q_x.shape[1]):
        acc += cx[:, k:k + 1] * w_int8[:, k].astype(np.int64)[None]
    return acc + b_int32.astype(np.int64)


@pytest.mark.parametrize("n,fin,fout", [(1, 7, 3), (5, 33, 17), (4, 800, 500)])
def test_linear_accumulator_equals_int64_reference(n, fin, fout):
    rng = np.random.default_rng(fin)
    lin = nn.Linear(fin, fout)
    x = rng.standard_normal((n, fin)).astype(np.float32) * 2
    y = lin(gn.tensor(x)).detach().numpy()
    q = QuantizedLinear.from_float(lin, _qparams(x), _qparams(y))
    q_x = q.quantize_input(x)
    acc = q.accumulate(q_x)
    assert acc.dtype == np.int32
    ref = _linear_reference_int64(q_x, int(q.input_zero_point.numpy()[0]),
                                  q.weight_int8.numpy(), q._bias_int32())
    np.testing.assert_array_equal(acc.astype(np.int64), ref)
    # requantisation: clamp(rint(acc * s_x s_w / s_y) + z_y)
    mult = (float(q.input_scale.numpy()[0]) * q.weight_scale.numpy().astype(np.float64)
            / float(q.scale.numpy()[0]))
    expect = np.clip(np.rint(ref * mult) + int(q.zero_point.numpy()[0]), 0, 255)
    np.testing.assert_array_equal(q.forward_int(q_x), expect)
    # and the dequantised output is the float output up to a few quantisation steps
    step = float(q.scale.numpy()[0])
    assert np.abs(q(gn.tensor(x)).numpy() - y).max() < 3 * step + 1e-6


def _conv_reference_int64(q_x, zx, w, b, stride, padding, dilation):
    n, c, h, wd = q_x.shape
    o, _, kh, kw = w.shape
    cx = np.pad(q_x.astype(np.int64) - zx, ((0, 0), (0, 0), (padding,) * 2, (padding,) * 2))
    ho = (h + 2 * padding - dilation * (kh - 1) - 1) // stride + 1
    wo = (wd + 2 * padding - dilation * (kw - 1) - 1) // stride + 1
    acc = np.zeros((n, o, ho, wo), np.int64)
    for i in range(kh):
        for j in range(kw):
            patch = cx[:, :, i * dilation:i * dilation + stride * ho:stride,
                       j * dilation:j * dilation + stride * wo:stride]
            acc += np.einsum("nchw,oc->nohw", patch, w[:, :, i, j].astype(np.int64))
    return acc + b.astype(np.int64)[None, :, None, None]


@pytest.mark.parametrize("n,c,o,k,s,p,d,hw", [(1, 1, 4, 5, 1, 0, 1, 12), (3, 5, 7, 3, 2, 1, 1, 9),
                                              (2, 3, 6, 3, 1, 2, 2, 11),
                                              (2, 20, 50, 5, 1, 0, 1, 12)])
def test_conv2d_accumulator_equals_int64_reference(n, c, o, k, s, p, d, hw):
    rng = np.random.default_rng(o)
    conv = nn.Conv2d(c, o, k, stride=s, padding=p, dilation=d)
    x = rng.standard_normal((n, c, hw, hw)).astype(np.float32)
    y = conv(gn.tensor(x)).detach().numpy()
    q = QuantizedConv2d.from_float(conv, _qparams(x), _qparams(y))
    q_x = q.quantize_input(x)
    acc = q.accumulate(q_x)
    ref = _conv_reference_int64(q_x, int(q.input_zero_point.numpy()[0]), q.weight_int8.numpy(),
                                q._bias_int32(), s, p, d)
    assert acc.dtype == np.int32 and acc.shape == y.shape
    np.testing.assert_array_equal(acc.astype(np.int64), ref)
    assert np.abs(q(gn.tensor(x)).numpy() - y).max() < 3 * float(q.scale.numpy()[0]) + 1e-6


def test_weights_are_symmetric_int8_per_channel():
    conv = nn.Conv2d(3, 4, 3)
    conv.weight._data[2] *= 10  # one channel with a much larger range
    q = QuantizedConv2d.from_float(conv, (np.float32(0.1), 0), (np.float32(0.1), 0))
    w = conv.weight.detach().numpy()
    np.testing.assert_allclose(q.weight_scale.numpy(),
                               np.abs(w).reshape(4, -1).max(1) / 127.5, rtol=1e-6)
    back = dequantize(q.weight_int8.numpy(), q.weight_scale.numpy(), 0, axis=0)
    assert np.abs(back - w).max() <= q.weight_scale.numpy().max() / 2 + 1e-7


def test_quantize_per_tensor_and_overflow_guard():
    x = np.array([-1.0, 0.0, 0.26, 10.0], np.float32)
    np.testing.assert_array_equal(quantize_per_tensor(x, 0.1, 10, "quint8"), [0, 10, 13, 110])
    np.testing.assert_array_equal(quantize_per_tensor(x, 0.05, 0, "qint8"), [-20, 0, 5, 127])
    big = np.full((1, 70000), 255, np.int64)
    with pytest.raises(OverflowError, match="int32"):
        int8_matmul(big, np.full((70000, 1), 127, np.int64))
    with pytest.raises(TypeError, match="integer"):
        int8_matmul(np.ones((2, 2)), np.ones((2, 2), np.int64))


def test_quantize_model_keeps_accuracy_of_a_trained_net():
    from glassnet.experiments._context import load_images
    from glassnet.quantization.deep_compression import evaluate, fit

    x, y = load_images(None, train=True)
    xt, yt = load_images(None, train=False)
    gn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(8 * 16, 10))
    fit(model, x, y, 4, 3e-3, 32)
    acc = evaluate(model, xt, yt)
    q = quantize_model(model, x[:300])
    assert isinstance(q[0], QuantizedConv2d) and isinstance(q[4], QuantizedLinear)
    assert isinstance(model[0], nn.Conv2d)  # the float model is unchanged
    assert acc > 0.85
    assert abs(evaluate(q, xt, yt) - acc) <= 0.01
    with pytest.raises(ValueError, match="observer"):
        quantize_model(model, x[:10], observer="histogram")
