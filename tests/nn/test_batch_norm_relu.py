"""The fused batch norm + ReLU (glassnet.nn.norm.batch_norm_relu, nn.Sequential's
BatchNorm -> ReLU): bit for bit the values, gradients and running statistics of the two
ops it replaces, on the compiled kernels and on the NumPy reference, in training and
eval; not fused where a hook or a tracer could see the intermediate result. Its
gradcheck and torch parity rows are in glassnet.testing.registry.norm."""
from __future__ import annotations

import copy

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import autograd, nn
from glassnet.nn.norm import batch_norm_relu
from glassnet.ops.kernels import _threads

_BN = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d, 5: nn.BatchNorm3d}


def _pair(shape, dtype, **kw):
    gn.manual_seed(0)
    bn = _BN[len(shape)](shape[1], dtype=dtype, **kw)
    if bn.weight is not None:
        rng = np.random.default_rng(1)
        bn.weight.data[...] = rng.uniform(0.5, 1.5, shape[1])
        bn.bias.data[...] = rng.standard_normal(shape[1])
    return bn, copy.deepcopy(bn)


def _run(fn, x, g):
    x = x.detach().requires_grad_()
    y = fn(x)
    y.backward(g)
    return y.grad_fn.name, y.detach(), x.grad


def _same(a, b):
    assert a.dtype == b.dtype and a.shape == b.shape
    assert np.array_equal(a, b, equal_nan=True)


CASES = [((1, 3, 5, 7), {}), ((4, 16, 8, 8), {}), ((3, 5, 6), {"momentum": None}),
         ((6, 4), {"affine": False}), ((2, 3, 4, 3, 2), {"track_running_stats": False}),
         ((5, 8, 3, 3), {"momentum": 0.3})]


@pytest.mark.parametrize("kernels", [True, False], ids=["kernels", "numpy"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape,kw", CASES, ids=[str(c[0]) for c in CASES])
@pytest.mark.parametrize("training", [True, False], ids=["train", "eval"])
def test_fused_is_the_two_ops_bit_for_bit(shape, kw, dtype, training, kernels):
    rng = np.random.default_rng(2)
    fused_bn, plain_bn = _pair(shape, dtype, **kw)
    for m in (fused_bn, plain_bn):
        m.train(training)
        if m.running_mean is not None:  # eval on non-trivial running statistics
            m.running_mean.data[...] = rng.standard_normal(shape[1]) * 0.1
            m.running_var.data[...] = rng.uniform(0.5, 2.0, shape[1])
        rng = np.random.default_rng(2)
    x = gn.tensor(rng.standard_normal(shape) * 2 + 0.5, dtype=dtype)
    g = gn.tensor(rng.standard_normal(shape), dtype=dtype)
    ctx = _threads.disabled() if not kernels else _nothing()
    with ctx:
        for step in range(2):  # twice: the running statistics feed the next call
            nf, yf, gxf = _run(lambda t: batch_norm_relu(fused_bn, t), x, g)
            np_, yp, gxp = _run(lambda t: F.relu(plain_bn(t)), x, g)
            assert (nf, np_) == ("StatNormBackward", "ReLUBackward")
            _same(yf.numpy(), yp.numpy())
            assert (yf.numpy() == 0).any() and (yf.numpy() > 0).any()
            _same(gxf.numpy(), gxp.numpy())
            for name in ("weight", "bias"):
                a, b = getattr(fused_bn, name), getattr(plain_bn, name)
                if a is not None:
                    _same(a.grad.numpy(), b.grad.numpy())
                    a.grad = b.grad = None
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                a, b = getattr(fused_bn, name), getattr(plain_bn, name)
                if a is not None:
                    _same(a.numpy(), b.numpy())


class _nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("kernels", [True, False], ids=["kernels", "numpy"])
def test_a_pre_activation_of_exactly_zero_gets_no_gradient(kernels):
    # eval: x equal to the running mean gives (x - mean) * scale + 0 = 0 exactly; the
    # ReLU's gradient there is 0 (torch: threshold_backward on the output <= 0), and NaN
    # passes through as the ReLU lets it.
    bn, plain = _pair((2, 3, 4, 4), np.float32)
    for m in (bn, plain):
        m.eval()
        m.bias.data[...] = 0
        m.running_mean.data[...] = [0.5, -1.0, 2.0]
    x = np.random.default_rng(3).standard_normal((2, 3, 4, 4)).astype(np.float32)
    x[:, :, :2] = np.array([0.5, -1.0, 2.0], np.float32)[None, :, None, None]
    x[1, 2, 3, 3] = np.nan
    g = gn.ones(2, 3, 4, 4)
    with (_threads.disabled() if not kernels else _nothing()):
        _, yf, gxf = _run(lambda t: batch_norm_relu(bn, t), gn.tensor(x), g)
        _, yp, gxp = _run(lambda t: F.relu(plain(t)), gn.tensor(x), g)
    assert (yf.numpy()[:, :, :2] == 0).all() and (gxf.numpy()[:, :, :2] == 0).all()
    assert np.isnan(yf.numpy()[1, 2, 3, 3])
    _same(yf.numpy(), yp.numpy())
    _same(gxf.numpy(), gxp.numpy())


def test_sequential_fuses_batch_norm_then_relu_and_matches_torch():
    torch = pytest.importorskip("torch")
    gn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.Conv2d(8, 4, 3), nn.BatchNorm2d(4), nn.ReLU(inplace=True))
    tmodel = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1),
                                 torch.nn.BatchNorm2d(8), torch.nn.ReLU(),
                                 torch.nn.Conv2d(8, 4, 3), torch.nn.BatchNorm2d(4),
                                 torch.nn.ReLU())
    with torch.no_grad():
        for (_, p), (_, tp) in zip(model.named_parameters(), tmodel.named_parameters()):
            tp.copy_(torch.from_numpy(p.detach().numpy()))
    x = np.random.default_rng(4).standard_normal((3, 3, 9, 7)).astype(np.float32)
    for train in (True, False):
        model.train(train)
        tmodel.train(train)
        gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
        y, ty = model(gx), tmodel(tx)
        assert y.grad_fn.name == "StatNormBackward"  # fused
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), atol=1e-5,
                                   rtol=1e-4)
        (y * y).sum().backward()
        (ty * ty).sum().backward()
        np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), atol=1e-4, rtol=1e-3)
        for (_, p), (_, tp) in zip(model.named_parameters(), tmodel.named_parameters()):
            np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), atol=1e-4,
                                       rtol=1e-3)
            p.grad, tp.grad = None, None
        np.testing.assert_allclose(model[1].running_var.numpy(),
                                   tmodel[1].running_var.numpy(), rtol=1e-5)


def test_hooks_and_tracers_see_the_two_ops():
    gn.manual_seed(0)
    model = nn.Sequential(nn.BatchNorm2d(3), nn.ReLU())
    x = gn.randn(2, 3, 4, 4)
    seen = []
    handle = model[1].register_forward_hook(lambda m, args, out: seen.append(args[0]))
    y = model(x)
    assert y.grad_fn.name == "ReLUBackward" and len(seen) == 1
    assert (seen[0].detach().numpy() < 0).any()  # the hook got batch norm's output, before the ReLU
    handle.remove()
    handle = model[0].register_forward_pre_hook(lambda m, args: seen.append(args[0]))
    assert model(x).grad_fn.name == "ReLUBackward" and len(seen) == 2
    handle.remove()
    assert model(x).grad_fn.name == "StatNormBackward"
    autograd._tracers += 1  # as ONNX export and glassnet.jit do while they record
    try:
        assert model(x).grad_fn.name == "ReLUBackward"
    finally:
        autograd._tracers -= 1


def test_an_overridden_forward_or_another_activation_is_not_fused():
    class Shifted(nn.BatchNorm2d):
        def forward(self, input):
            return super().forward(input) + 1

    class MyReLU(nn.ReLU):
        pass

    x = gn.randn(2, 3, 4, 4)
    y = nn.Sequential(Shifted(3), nn.ReLU())(x)
    assert y.grad_fn.name == "ReLUBackward"
    assert (y.detach().numpy() > 0).mean() > 0.7  # the + 1 happened before the ReLU
    y = nn.Sequential(nn.BatchNorm2d(3), MyReLU())(x)
    assert y.grad_fn.name == "ReLUBackward"
    y = nn.Sequential(nn.BatchNorm2d(3), nn.ReLU6())(x)
    assert y.grad_fn.name != "StatNormBackward"


def test_the_model_zoo_helper_fuses_only_a_plain_relu():
    bn, x = nn.BatchNorm2d(3), gn.randn(2, 3, 4, 4)
    assert batch_norm_relu(bn, x).grad_fn.name == "StatNormBackward"
    assert batch_norm_relu(bn, x, nn.ReLU(inplace=True)).grad_fn.name == "StatNormBackward"
    y = batch_norm_relu(bn, x * 10, nn.ReLU6())  # a block whose relu was swapped
    assert y.grad_fn.name != "StatNormBackward" and y.detach().numpy().max() <= 6
    y = batch_norm_relu(nn.GroupNorm(1, 3), x)  # another norm: the two calls
    assert y.grad_fn.name == "ReLUBackward"
