"""Tests of glassnet.nn.init: gains and fans vs torch, sample distributions, exact fills."""
import math

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn
from glassnet.nn import init

torch = pytest.importorskip("torch")

SHAPES = [(30, 20), (16, 8, 3, 3), (4, 6, 5), (2, 3, 2, 2, 2), (7, 1)]


def _t(*shape, dtype=None):
    return glassnet.zeros(*shape, dtype=dtype)


def _uniform_ok(x, lo, hi):
    """Bounds, mean and std of many U(lo, hi) samples vs theory."""
    x = np.asarray(x, np.float64).ravel()
    n = x.size
    assert x.min() >= lo and x.max() <= hi
    width = hi - lo
    assert x.min() < lo + 0.01 * width and x.max() > hi - 0.01 * width
    std = width / math.sqrt(12)
    assert abs(x.mean() - (lo + hi) / 2) < 5 * std / math.sqrt(n)
    assert abs(x.std() / std - 1) < 0.02


def _normal_ok(x, mean, std):
    x = np.asarray(x, np.float64).ravel()
    n = x.size
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(n)
    assert abs(x.std() / std - 1) < 0.02
    # Gaussian kurtosis is 3
    z = (x - x.mean()) / x.std()
    assert abs((z ** 4).mean() - 3) < 0.15


@pytest.mark.parametrize("nonlinearity,param", [
    ("linear", None), ("conv1d", None), ("conv2d", None), ("conv3d", None),
    ("conv_transpose1d", None), ("conv_transpose2d", None), ("conv_transpose3d", None),
    ("sigmoid", None), ("tanh", None), ("relu", None), ("leaky_relu", None),
    ("leaky_relu", 0.2), ("leaky_relu", 1), ("selu", None)])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-12)


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("softmax")
    with pytest.raises(ValueError, match="negative_slope"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", SHAPES)
def test_fan_in_and_fan_out_match_torch(shape):
    assert init._calculate_fan_in_and_fan_out(_t(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(shape))


def test_fan_requires_two_dims_and_mode_is_checked():
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        init._calculate_fan_in_and_fan_out(_t(5))
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(_t(3, 3), mode="fan_avg")


def test_uniform_normal_constant_ones_zeros():
    _uniform_ok(init.uniform_(_t(200, 500), -2.0, 3.0).data, -2.0, 3.0)
    _normal_ok(init.normal_(_t(200, 500), 1.5, 0.5).data, 1.5, 0.5)
    np.testing.assert_array_equal(init.constant_(_t(3, 4), 0.7).data, np.float32(0.7))
    np.testing.assert_array_equal(init.ones_(_t(3)).data, 1.0)
    np.testing.assert_array_equal(init.zeros_(glassnet.ones(3)).data, 0.0)


@pytest.mark.parametrize("shape", [(300, 400), (64, 32, 5, 5)])
def test_xavier_distributions(shape):
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(_t(*shape))
    std = 0.8 * math.sqrt(2.0 / (fan_in + fan_out))
    _uniform_ok(init.xavier_uniform_(_t(*shape), gain=0.8).data, -std * math.sqrt(3),
                std * math.sqrt(3))
    _normal_ok(init.xavier_normal_(_t(*shape), gain=0.8).data, 0.0, std)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
@pytest.mark.parametrize("nonlinearity,a", [("relu", 0), ("leaky_relu", 0.1),
                                            ("leaky_relu", math.sqrt(5)), ("tanh", 0)])
def test_kaiming_distributions(mode, nonlinearity, a):
    w = _t(128, 64, 3, 3)
    fan = init._calculate_correct_fan(w, mode)
    std = torch.nn.init.calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3) * std
    _uniform_ok(init.kaiming_uniform_(w, a=a, mode=mode, nonlinearity=nonlinearity).data,
                -bound, bound)
    _normal_ok(init.kaiming_normal_(_t(128, 64, 3, 3), a=a, mode=mode,
                                    nonlinearity=nonlinearity).data, 0.0, std)


def test_kaiming_on_empty_tensor_warns_and_is_noop():
    with pytest.warns(UserWarning):
        init.kaiming_uniform_(_t(0, 3))


def test_lecun_distributions():
    w = _t(256, 100, 3, 3)
    fan_in = 900
    _normal_ok(init.lecun_normal_(w).data, 0.0, 1 / math.sqrt(fan_in))
    b = math.sqrt(3 / fan_in)
    _uniform_ok(init.lecun_uniform_(_t(256, 100, 3, 3)).data, -b, b)


def _truncnorm_moments(mean, std, a, b):
    """Mean and std of N(mean, std) truncated to [a, b] (closed form)."""
    alpha, beta = (a - mean) / std, (b - mean) / std
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    cdf = lambda z: (1 + math.erf(z / math.sqrt(2))) / 2  # noqa: E731
    zmass = cdf(beta) - cdf(alpha)
    m = mean + std * (pdf(alpha) - pdf(beta)) / zmass
    var = std ** 2 * (1 + (alpha * pdf(alpha) - beta * pdf(beta)) / zmass
                      - ((pdf(alpha) - pdf(beta)) / zmass) ** 2)
    return m, math.sqrt(var)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (1.0, 0.5, 0.0, 3.0),
                                          (0.0, 1.0, 2.5, 4.0)])
def test_trunc_normal_bounds_and_moments(mean, std, a, b):
    x = init.trunc_normal_(_t(400, 500, dtype=glassnet.float64), mean, std, a, b).numpy()
    assert x.min() >= a and x.max() <= b
    m, s = _truncnorm_moments(mean, std, a, b)
    assert abs(x.mean() - m) < 5 * s / math.sqrt(x.size)
    assert abs(x.std() / s - 1) < 0.02
    with pytest.raises(ValueError, match="a must be < b"):
        init.trunc_normal_(_t(2), a=1.0, b=1.0)


@pytest.mark.parametrize("shape", [(6, 10), (10, 6), (8, 3, 2, 2), (5, 5)])
def test_orthogonal_rows_or_columns_are_orthonormal(shape):
    w = init.orthogonal_(_t(*shape, dtype=glassnet.float64), gain=2.0).detach().numpy()
    flat = w.reshape(shape[0], -1)
    rows, cols = flat.shape
    gram = flat @ flat.T if rows <= cols else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(min(rows, cols)), atol=1e-10)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        init.orthogonal_(_t(3))


def test_eye_and_dirac_match_torch_exactly():
    for shape in [(3, 5), (5, 3), (4, 4)]:
        np.testing.assert_array_equal(init.eye_(_t(*shape)).data,
                                      torch.nn.init.eye_(torch.empty(shape)).numpy())
    for shape, groups in [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 3, 3), 2),
                          ((2, 2, 3, 3, 3), 1), ((6, 2, 2, 4), 3)]:
        np.testing.assert_array_equal(
            init.dirac_(_t(*shape), groups=groups).data,
            torch.nn.init.dirac_(torch.empty(shape), groups=groups).numpy())
    with pytest.raises(ValueError, match="divisible by groups"):
        init.dirac_(_t(5, 2, 3), groups=2)
    with pytest.raises(ValueError, match="2 dimensions"):
        init.eye_(_t(2, 2, 2))


def test_dirac_conv_is_identity():
    conv = nn.Conv2d(3, 3, 3, padding=1, bias=False)
    init.dirac_(conv.weight)
    x = glassnet.randn(2, 3, 5, 5)
    try:
        y = conv(x)
    except (AttributeError, NotImplementedError):  # pragma: no cover - conv not ready
        pytest.skip("F.conv2d not available")
    np.testing.assert_allclose(y.data, x.data, atol=1e-6)


def test_sparse_zeros_per_column_and_std():
    w = init.sparse_(_t(200, 300), sparsity=0.3, std=0.05).numpy()
    zeros_per_col = (w == 0).sum(0)
    assert np.all(zeros_per_col == math.ceil(0.3 * 200))
    _normal_ok(w[w != 0], 0.0, 0.05)


def test_generator_and_manual_seed_reproducibility():
    a = init.kaiming_normal_(_t(10, 10), generator=np.random.default_rng(3)).numpy().copy()
    b = init.kaiming_normal_(_t(10, 10), generator=np.random.default_rng(3)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    glassnet.manual_seed(7)
    c = nn.Linear(5, 5).weight.detach().numpy().copy()
    glassnet.manual_seed(7)
    d = nn.Linear(5, 5).weight.detach().numpy().copy()
    np.testing.assert_array_equal(c, d)


def test_init_is_in_place_on_parameters_without_recording_and_keeps_dtype():
    p = nn.Parameter(glassnet.zeros(4, 4, dtype=glassnet.float64))
    out = init.xavier_uniform_(p)
    assert out is p and p.dtype == np.float64 and p.grad_fn is None and p.requires_grad
    assert bool((p.data != 0).any())
    with pytest.raises(TypeError, match="must be a glassnet Tensor"):
        init.ones_(np.zeros(3))
