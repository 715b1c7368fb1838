"""Known-answer, stability and error tests for nn.functional activations (the registry
covers gradcheck and torch parity away from the kinks)."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.ops import activation as act
from glassnet.ops.activation import erf


def _grad(fn, values, dtype=np.float64, **kw):
    x = gn.tensor(np.array(values, dtype=dtype), requires_grad=True)
    fn(x, **kw).sum().backward()
    return x.grad.numpy()


def _torch_grad(torch, fn, values, **kw):
    x = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    fn(x, **kw).sum().backward()
    return x.grad.numpy()


# ---------------------------------------------------------------------------
# Gradients exactly at the kinks, against PyTorch
# ---------------------------------------------------------------------------
KINKS = [
    ("relu", [0.0, -1.0, 1.0], {}),
    ("relu6", [0.0, 6.0, 3.0, 7.0], {}),
    ("hardtanh", [-1.0, 1.0, 0.0], {}),
    ("hardtanh", [-0.5, 2.0], {"min_val": -0.5, "max_val": 2.0}),
    ("hardsigmoid", [-3.0, 3.0, 0.0], {}),
    ("hardswish", [-3.0, 3.0, 0.0, -4.0, 4.0], {}),
    ("leaky_relu", [0.0, -2.0], {}),
    ("leaky_relu", [0.0], {"negative_slope": 0.3}),
    ("elu", [0.0], {"alpha": 2.0}),
    ("selu", [0.0], {}),
    ("celu", [0.0], {"alpha": 2.0}),
    ("threshold", [1.0, 0.5, 2.0], {"threshold": 1.0, "value": 5.0}),
    ("rrelu", [0.0, -1.0], {}),
    ("softplus", [20.0, 10.0], {"beta": 2.0}),
    ("softsign", [0.0], {}),
    ("gelu", [0.0], {}),
    ("mish", [0.0], {}),
]


@pytest.mark.parametrize("name,values,kw", KINKS, ids=[f"{k[0]}-{i}" for i, k in
                                                      enumerate(KINKS)])
def test_gradient_at_kinks_matches_torch(name, values, kw):
    torch = pytest.importorskip("torch")
    ours = _grad(getattr(F, name), values, **kw)
    ref = _torch_grad(torch, getattr(torch.nn.functional, name), values, **kw)
    # torch rounds some constants (hardsigmoid 1/6) to float32 even in float64
    np.testing.assert_allclose(ours, ref, rtol=1e-7, atol=0)


def test_prelu_gradient_at_zero_matches_torch():
    torch = pytest.importorskip("torch")
    x = gn.tensor([[0.0, -1.0, 2.0]], dtype=gn.float64, requires_grad=True)
    w = gn.tensor([0.25], dtype=gn.float64, requires_grad=True)
    F.prelu(x, w).sum().backward()
    tx = torch.tensor([[0.0, -1.0, 2.0]], dtype=torch.float64, requires_grad=True)
    tw = torch.tensor([0.25], dtype=torch.float64, requires_grad=True)
    torch.nn.functional.prelu(tx, tw).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())


def test_relu_gradient_is_zero_at_zero():
    assert _grad(F.relu, [0.0]).tolist() == [0.0]


# ---------------------------------------------------------------------------
# Numerical stability
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_family_is_stable_for_large_inputs(dtype):
    x = np.array([-1000.0, -100.0, 0.0, 100.0, 1000.0], dtype=dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = F.sigmoid(gn.tensor(x)).numpy()
        ls = F.logsigmoid(gn.tensor(x)).numpy()
        sp = F.softplus(gn.tensor(x), threshold=1e9).numpy()
        g = _grad(F.sigmoid, x, dtype=dtype)
        m = F.mish(gn.tensor(x)).numpy()
    np.testing.assert_allclose(s, [0, 0, 0.5, 1, 1], atol=1e-30)
    np.testing.assert_allclose(ls, [-1000, -100, -math.log(2), 0, 0], rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(sp, [0, 0, math.log(2), 100, 1000], rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(m, [0, 0, 0, 100, 1000], rtol=1e-6, atol=1e-30)
    assert np.all(np.isfinite(g))
    assert s.dtype == dtype and ls.dtype == dtype


def test_softmax_and_log_softmax_are_stable_for_large_logits():
    x = gn.tensor([[1000.0, 0.0, -1000.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = F.softmax(x, dim=1).numpy()
        ls = F.log_softmax(x, dim=1).numpy()
    np.testing.assert_allclose(s, [[1, 0, 0]], atol=1e-30)
    np.testing.assert_allclose(ls, [[0, -1000, -2000]])


def test_softmax_rows_sum_to_one_and_softmin_reverses_order():
    x = gn.randn(4, 5, 3)
    for dim in (0, 1, 2, -1):
        np.testing.assert_allclose(F.softmax(x, dim).numpy().sum(axis=dim), 1, rtol=1e-6)
    a = gn.tensor([1.0, 2.0, 3.0])
    np.testing.assert_allclose(F.softmin(a, 0).numpy(), F.softmax(-a, 0).numpy())


def test_erf_matches_math_erf_to_one_ulp():
    x = np.concatenate([np.linspace(-8, 8, 4001), [0.46875, 4.0, 1e-200, np.inf, -np.inf]])
    ref = np.array([math.erf(v) for v in x])
    np.testing.assert_allclose(erf(x), ref, rtol=5e-16, atol=1e-300)
    assert erf(np.float32(0.5) * np.ones(3, np.float32)).dtype == np.float32


def test_gelu_known_values():
    x = gn.tensor([-1.0, 0.0, 1.0, 3.0], dtype=gn.float64)
    cdf = [0.5 * (1 + math.erf(v / math.sqrt(2))) for v in (-1.0, 0.0, 1.0, 3.0)]
    np.testing.assert_allclose(F.gelu(x).numpy(), x.numpy() * np.array(cdf), rtol=1e-15)


# ---------------------------------------------------------------------------
# Dtypes, tensor-level functions and extras
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["sigmoid", "hardsigmoid", "tanh", "relu", "relu6",
                                  "leaky_relu", "elu", "selu", "celu", "gelu", "softplus",
                                  "silu", "swish", "hardswish", "mish", "softsign",
                                  "hardtanh", "tanhshrink", "logsigmoid"])
def test_activations_keep_float32(name):
    x = gn.randn(3, 4, requires_grad=True)
    y = getattr(F, name)(x)
    assert y.dtype == gn.float32
    y.sum().backward()
    assert x.grad.dtype == gn.float32


def test_integer_inputs_follow_torch():
    i = gn.tensor([-2, 0, 3])
    assert F.relu(i).dtype == gn.int64 and F.relu(i).tolist() == [0, 0, 3]
    assert F.sigmoid(i).dtype == gn.float32
    assert F.tanh(i).dtype == gn.float32


def test_one_public_wrapper_per_op_behind_glassnet_tensor_and_functional():
    from glassnet.ops import softmax as smx

    assert set(act.__all__) == {"sigmoid", "tanh", "relu"}
    assert set(smx.__all__) == {"softmax", "log_softmax"}
    for name in ("sigmoid", "tanh", "relu", "softmax", "log_softmax"):
        assert getattr(F, name) is getattr(gn, name) is getattr(gn.Tensor, name)
    x = gn.tensor([[1.0, 2.0], [3.0, 5.0]])
    ref = np.exp(x.numpy()) / np.exp(x.numpy()).sum(1, keepdims=True)
    np.testing.assert_allclose(x.softmax(1).numpy(), ref, rtol=1e-6)
    np.testing.assert_allclose(gn.log_softmax(x, 0).numpy(),
                               np.log(np.exp(x.numpy()) / np.exp(x.numpy()).sum(0)), rtol=1e-6)
    assert smx.softmax(gn.tensor(3.0), 0).item() == 1.0


def test_softmax_implicit_dim_warns_and_follows_torch_rule():
    x = gn.randn(2, 3)
    with pytest.warns(UserWarning, match="implicit dimension"):
        y = F.softmax(x)
    np.testing.assert_allclose(y.numpy(), F.softmax(x, dim=1).numpy())
    x3 = gn.randn(2, 3, 4)
    with pytest.warns(UserWarning):
        np.testing.assert_allclose(F.log_softmax(x3).numpy(), F.log_softmax(x3, 0).numpy())


def test_softmax_dtype_argument_casts_first():
    x = gn.tensor([1.0, 2.0], dtype=gn.float32)
    assert F.softmax(x, 0, dtype=gn.float64).dtype == gn.float64


def test_swish_with_tensor_beta_matches_torch_and_beta_one_is_silu():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xa, ba = rng.standard_normal((2, 3, 4)), np.array([0.7])
    x = gn.tensor(xa, dtype=gn.float64, requires_grad=True)
    beta = gn.tensor(ba, dtype=gn.float64, requires_grad=True)
    F.swish(x, beta).sum().backward()
    tx = torch.tensor(xa, requires_grad=True)
    tb = torch.tensor(ba, requires_grad=True)
    (tx * torch.sigmoid(tb * tx)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(beta.grad.numpy(), tb.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(F.swish(x).data, F.silu(x).data)


def test_rrelu_training_draws_slopes_in_range_and_reuses_them_in_backward():
    gn.manual_seed(3)
    x = gn.tensor(np.linspace(-5, 5, 1001), requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True)
    y.sum().backward()
    xv, yv, g = x.data, y.data, x.grad.numpy()
    neg = xv < 0
    slopes = yv[neg] / xv[neg]
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6
    assert slopes.std() > 0.03  # really random, not one slope
    np.testing.assert_allclose(g[neg], slopes, rtol=1e-5)
    np.testing.assert_array_equal(yv[~neg], xv[~neg])
    gn.manual_seed(3)
    np.testing.assert_array_equal(F.rrelu(x.detach(), 0.1, 0.3, training=True).numpy(), yv)


def test_inplace_argument_is_ignored():
    x = gn.tensor([-1.0, 2.0])
    y = F.relu(x, inplace=True)
    assert x.tolist() == [-1.0, 2.0] and y.tolist() == [0.0, 2.0]


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("call,exc,match", [
    (lambda: F.relu(np.ones(3)), TypeError, "relu: input must be a Tensor, got ndarray"),
    (lambda: F.elu(gn.tensor([1, 2])), TypeError, "elu: input dtype must be float32"),
    (lambda: F.hardtanh(gn.ones(2), 2.0, 1.0), ValueError,
     "hardtanh: min_val must be <= max_val, got min_val=2.0 and max_val=1.0"),
    (lambda: F.celu(gn.ones(2), 0.0), ValueError, "celu: alpha must be nonzero"),
    (lambda: F.softplus(gn.ones(2), beta=0), ValueError, "softplus: beta must be nonzero"),
    (lambda: F.glu(gn.ones(2, 3), 1), ValueError, "glu: input size along dim 1 must be even, "
                                                  r"got 3 \(input shape \(2, 3\)\)"),
    (lambda: F.gelu(gn.ones(2), approximate="erf"), ValueError,
     "gelu: approximate must be one of 'none', 'tanh', got 'erf'"),
    (lambda: F.prelu(gn.ones(2, 3), gn.ones(2)), ValueError,
     r"prelu: weight must have shape \(1,\) or \(C,\) with C=3 \(input channels\), got \(2,\)"),
    (lambda: F.softmax(gn.ones(2, 3), dim=2), IndexError,
     r"softmax: dim must be in \[-2, 1\] for a 2-D input, got 2"),
    (lambda: F.leaky_relu(gn.ones(2), negative_slope="a"), TypeError,
     "leaky_relu: negative_slope must be a real number, got str"),
    (lambda: F.rrelu(gn.ones(2), 0.5, 0.1), ValueError, "rrelu: lower must be <= upper"),
    (lambda: F.rrelu(gn.ones(2), training=True, generator=1), TypeError,
     "rrelu: generator must be a numpy.random.Generator, got int"),
    (lambda: F.swish(gn.ones(2, 3), gn.ones(4)), ValueError,
     r"swish: beta must broadcast to the input shape \(2, 3\), got \(4,\)"),
    (lambda: F.threshold(gn.ones(2), None, 0.0), TypeError,
     "threshold: threshold must be a real number, got NoneType"),
])
def test_errors_name_function_argument_and_values(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
