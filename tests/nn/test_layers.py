"""Layer tests: torch parity (forward, backward, buffers, repr) for every layer type,
default-init distributions, BatchNorm running statistics, dropout, validation errors."""
import math

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn

RNG = np.random.default_rng(0)


def _x(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _labels(n, classes):
    return RNG.integers(0, classes, n).astype(np.int64)


def _signs(*shape):
    return np.where(RNG.random(shape) < 0.5, -1.0, 1.0).astype(np.float32)


def _probs(*shape):
    return RNG.uniform(0.05, 0.95, shape).astype(np.float32)


def _gt(v):
    return glassnet.tensor(np.asarray(v, np.float32))


def _tt(v):
    return torch.tensor(np.asarray(v, np.float32))


# Each case: id, constructor taking (nn module namespace, tensor factory), inputs.
# Float inputs require grad unless wrapped in a ("const", array) tuple.
CASES = [
    ("linear", lambda m, T: m.Linear(5, 3), [_x(4, 5)]),
    ("linear_nobias_3d", lambda m, T: m.Linear(5, 3, bias=False), [_x(2, 4, 5)]),
    ("bilinear", lambda m, T: m.Bilinear(3, 4, 5), [_x(6, 3), _x(6, 4)]),
    ("bilinear_nobias_3d", lambda m, T: m.Bilinear(2, 3, 4, bias=False),
     [_x(2, 5, 2), _x(2, 5, 3)]),
    ("identity", lambda m, T: m.Identity(3, k=1), [_x(2, 3)]),
    ("flatten", lambda m, T: m.Flatten(), [_x(2, 3, 4, 5)]),
    ("flatten_0_1", lambda m, T: m.Flatten(0, 1), [_x(2, 3, 4)]),
    ("unflatten", lambda m, T: m.Unflatten(1, (2, 3)), [_x(4, 6, 5)]),
    ("conv1d", lambda m, T: m.Conv1d(3, 4, 3, stride=2, padding=1), [_x(2, 3, 9)]),
    ("conv1d_groups_circular", lambda m, T: m.Conv1d(4, 6, 3, padding=2, dilation=2,
                                                     groups=2, padding_mode="circular"),
     [_x(2, 4, 10)]),
    ("conv1d_same", lambda m, T: m.Conv1d(2, 3, 4, padding="same"), [_x(1, 2, 7)]),
    ("conv2d", lambda m, T: m.Conv2d(3, 4, 3), [_x(2, 3, 7, 7)]),
    ("conv2d_mixed", lambda m, T: m.Conv2d(4, 6, (3, 2), stride=(2, 1), padding=(1, 0),
                                           dilation=(1, 2), groups=2), [_x(1, 4, 9, 8)]),
    ("conv2d_same_reflect", lambda m, T: m.Conv2d(3, 4, 3, padding="same",
                                                  padding_mode="reflect"), [_x(2, 3, 6, 5)]),
    ("conv2d_replicate", lambda m, T: m.Conv2d(2, 3, 3, padding=(1, 2),
                                               padding_mode="replicate"), [_x(1, 2, 5, 5)]),
    ("conv2d_circular", lambda m, T: m.Conv2d(2, 3, 3, padding=1, padding_mode="circular",
                                              bias=False), [_x(1, 2, 5, 4)]),
    ("conv2d_same_even", lambda m, T: m.Conv2d(3, 5, 4, padding="same"), [_x(1, 3, 6, 6)]),
    ("conv2d_valid_unbatched", lambda m, T: m.Conv2d(3, 2, 2, padding="valid"),
     [_x(3, 5, 5)]),
    ("convtranspose2d", lambda m, T: m.ConvTranspose2d(4, 6, 3, stride=2, padding=1,
                                                       output_padding=1, groups=2),
     [_x(2, 4, 5, 5)]),
    ("convtranspose2d_dilated", lambda m, T: m.ConvTranspose2d(3, 2, (3, 2), stride=(2, 3),
                                                               dilation=2, bias=False),
     [_x(1, 3, 4, 4)]),
    ("maxpool2d", lambda m, T: m.MaxPool2d(2), [_x(2, 3, 6, 7)]),
    ("maxpool2d_ceil", lambda m, T: m.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
     [_x(2, 3, 7, 8)]),
    ("maxpool2d_dilated", lambda m, T: m.MaxPool2d((2, 3), stride=1, dilation=(2, 1)),
     [_x(1, 2, 6, 6)]),
    ("maxpool1d", lambda m, T: m.MaxPool1d(3, stride=2, padding=1), [_x(2, 3, 9)]),
    ("avgpool2d", lambda m, T: m.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
     [_x(2, 3, 7, 7)]),
    ("avgpool2d_ceil_divisor", lambda m, T: m.AvgPool2d(2, ceil_mode=True,
                                                        divisor_override=3),
     [_x(1, 2, 5, 5)]),
    ("avgpool1d", lambda m, T: m.AvgPool1d(4, stride=3, padding=2), [_x(2, 3, 10)]),
    ("adaptiveavgpool2d", lambda m, T: m.AdaptiveAvgPool2d((3, 4)), [_x(2, 3, 7, 9)]),
    ("adaptiveavgpool2d_1", lambda m, T: m.AdaptiveAvgPool2d(1), [_x(2, 3, 5, 5)]),
    ("adaptiveavgpool2d_none", lambda m, T: m.AdaptiveAvgPool2d((None, 2)), [_x(1, 2, 3, 5)]),
    ("adaptivemaxpool2d", lambda m, T: m.AdaptiveMaxPool2d((2, 3)), [_x(2, 3, 7, 8)]),
    ("batchnorm1d_2d", lambda m, T: m.BatchNorm1d(4), [_x(8, 4, scale=3)]),
    ("batchnorm1d_3d", lambda m, T: m.BatchNorm1d(4, momentum=0.3), [_x(5, 4, 6)]),
    ("batchnorm2d", lambda m, T: m.BatchNorm2d(3), [_x(4, 3, 5, 5, scale=2)]),
    ("batchnorm2d_noaffine", lambda m, T: m.BatchNorm2d(3, affine=False, eps=1e-3),
     [_x(2, 3, 4, 4)]),
    ("batchnorm2d_nobias", lambda m, T: m.BatchNorm2d(3, bias=False), [_x(2, 3, 4, 4)]),
    ("batchnorm2d_notrack", lambda m, T: m.BatchNorm2d(3, track_running_stats=False),
     [_x(2, 3, 4, 4)]),
    ("layernorm", lambda m, T: m.LayerNorm(5), [_x(3, 4, 5, scale=2)]),
    ("layernorm_noaffine", lambda m, T: m.LayerNorm([4, 5], elementwise_affine=False),
     [_x(3, 4, 5)]),
    ("layernorm_nobias", lambda m, T: m.LayerNorm(5, bias=False, eps=1e-3), [_x(2, 5)]),
    ("groupnorm", lambda m, T: m.GroupNorm(2, 6), [_x(3, 6, 4, 4)]),
    ("groupnorm_noaffine", lambda m, T: m.GroupNorm(3, 6, affine=False), [_x(2, 6, 5)]),
    ("instancenorm2d", lambda m, T: m.InstanceNorm2d(3), [_x(2, 3, 5, 5)]),
    ("instancenorm2d_affine_track", lambda m, T: m.InstanceNorm2d(
        3, affine=True, track_running_stats=True), [_x(2, 3, 5, 4)]),
    ("instancenorm2d_unbatched", lambda m, T: m.InstanceNorm2d(3), [_x(3, 4, 4)]),
    ("localresponsenorm", lambda m, T: m.LocalResponseNorm(3), [_x(2, 6, 4, 4, scale=3)]),
    ("localresponsenorm_params", lambda m, T: m.LocalResponseNorm(2, 1e-2, 0.5, 2.0),
     [_x(2, 5, 3)]),
    ("upsample_nearest", lambda m, T: m.Upsample(scale_factor=2), [_x(1, 2, 3, 4)]),
    ("upsample_nearest_size", lambda m, T: m.Upsample(size=(5, 7)), [_x(1, 2, 3, 4)]),
    ("upsample_bilinear", lambda m, T: m.Upsample(size=(5, 7), mode="bilinear"),
     [_x(1, 2, 3, 4)]),
    ("upsample_bilinear_ac", lambda m, T: m.Upsample(scale_factor=2, mode="bilinear",
                                                     align_corners=True), [_x(2, 1, 3, 3)]),
    ("upsample_nearest_exact", lambda m, T: m.Upsample(scale_factor=1.5,
                                                       mode="nearest-exact"),
     [_x(1, 2, 4, 4)]),
    ("upsample_area", lambda m, T: m.Upsample(size=(2, 3), mode="area"), [_x(1, 2, 5, 7)]),
    ("upsample_linear", lambda m, T: m.Upsample(scale_factor=3, mode="linear"),
     [_x(1, 2, 4)]),
    ("upsamplingnearest2d", lambda m, T: m.UpsamplingNearest2d(scale_factor=2),
     [_x(1, 1, 2, 3)]),
    ("upsamplingbilinear2d", lambda m, T: m.UpsamplingBilinear2d(size=(4, 5)),
     [_x(1, 1, 2, 3)]),
    ("pixelshuffle", lambda m, T: m.PixelShuffle(2), [_x(1, 8, 3, 3)]),
    ("pixelunshuffle", lambda m, T: m.PixelUnshuffle(2), [_x(1, 2, 4, 6)]),
]

_ACT_X = [_x(4, 6, scale=3)]
ACTIVATIONS = [
    ("relu", lambda m, T: m.ReLU(), _ACT_X),
    ("relu6", lambda m, T: m.ReLU6(), [_x(4, 6, scale=5)]),
    ("leakyrelu", lambda m, T: m.LeakyReLU(0.2), _ACT_X),
    ("prelu", lambda m, T: m.PReLU(), _ACT_X),
    ("prelu_channels", lambda m, T: m.PReLU(3, init=0.1), [_x(2, 3, 4)]),
    ("rrelu_eval", lambda m, T: m.RReLU(0.1, 0.3), _ACT_X),
    ("elu", lambda m, T: m.ELU(0.5), _ACT_X),
    ("selu", lambda m, T: m.SELU(), _ACT_X),
    ("celu", lambda m, T: m.CELU(1.5), _ACT_X),
    ("gelu", lambda m, T: m.GELU(), _ACT_X),
    ("gelu_tanh", lambda m, T: m.GELU("tanh"), _ACT_X),
    ("sigmoid", lambda m, T: m.Sigmoid(), _ACT_X),
    ("hardsigmoid", lambda m, T: m.Hardsigmoid(), _ACT_X),
    ("tanh", lambda m, T: m.Tanh(), _ACT_X),
    ("hardtanh", lambda m, T: m.Hardtanh(-2.0, 1.5), _ACT_X),
    ("softplus", lambda m, T: m.Softplus(beta=2, threshold=5), _ACT_X),
    ("silu", lambda m, T: m.SiLU(), _ACT_X),
    ("hardswish", lambda m, T: m.Hardswish(), _ACT_X),
    ("mish", lambda m, T: m.Mish(), _ACT_X),
    ("softsign", lambda m, T: m.Softsign(), _ACT_X),
    ("tanhshrink", lambda m, T: m.Tanhshrink(), _ACT_X),
    ("logsigmoid", lambda m, T: m.LogSigmoid(), _ACT_X),
    ("threshold", lambda m, T: m.Threshold(0.1, 20.0), _ACT_X),
    ("softmax", lambda m, T: m.Softmax(dim=1), _ACT_X),
    ("logsoftmax", lambda m, T: m.LogSoftmax(dim=-1), _ACT_X),
    ("softmin", lambda m, T: m.Softmin(0), _ACT_X),
    ("glu", lambda m, T: m.GLU(), _ACT_X),
    ("glu_dim0", lambda m, T: m.GLU(0), _ACT_X),
    ("dropout_eval", lambda m, T: m.Dropout(0.3).eval(), _ACT_X),
    ("dropout1d_eval", lambda m, T: m.Dropout1d(0.3).eval(), [_x(2, 3, 4)]),
    ("dropout2d_eval", lambda m, T: m.Dropout2d(0.3).eval(), [_x(2, 3, 4, 4)]),
    ("alphadropout_eval", lambda m, T: m.AlphaDropout(0.3).eval(), _ACT_X),
]

LOSSES = [
    ("mse", lambda m, T: m.MSELoss(), [_x(4, 3), ("const", _x(4, 3))]),
    ("mse_sum", lambda m, T: m.MSELoss(reduction="sum"), [_x(4, 3), ("const", _x(4, 3))]),
    ("l1_none", lambda m, T: m.L1Loss(reduction="none"), [_x(4, 3), ("const", _x(4, 3))]),
    ("smoothl1", lambda m, T: m.SmoothL1Loss(beta=0.5), [_x(5, 2), ("const", _x(5, 2))]),
    ("huber", lambda m, T: m.HuberLoss(delta=0.7), [_x(5, 2), ("const", _x(5, 2))]),
    ("crossentropy", lambda m, T: m.CrossEntropyLoss(), [_x(5, 4), _labels(5, 4)]),
    ("crossentropy_full", lambda m, T: m.CrossEntropyLoss(
        weight=T([1.0, 2.0, 0.5, 1.5]), ignore_index=1, label_smoothing=0.1),
     [_x(6, 4), np.array([0, 1, 2, 3, 1, 2])]),
    ("crossentropy_2d_none", lambda m, T: m.CrossEntropyLoss(reduction="none"),
     [_x(2, 3, 4, 4), _labels(32, 3).reshape(2, 4, 4)]),
    ("crossentropy_probs", lambda m, T: m.CrossEntropyLoss(label_smoothing=0.2),
     [_x(4, 3), ("const", _probs(4, 3))]),
    ("nll", lambda m, T: m.NLLLoss(weight=T([0.5, 1.0, 2.0]), ignore_index=0),
     [_x(6, 3), np.array([0, 1, 2, 2, 1, 1])]),
    ("bce", lambda m, T: m.BCELoss(weight=T(_probs(4, 3))), [_probs(4, 3),
                                                             ("const", _probs(4, 3))]),
    ("bcewithlogits", lambda m, T: m.BCEWithLogitsLoss(pos_weight=T([1.0, 2.0, 3.0])),
     [_x(4, 3, scale=3), ("const", _probs(4, 3))]),
    ("bcewithlogits_weight", lambda m, T: m.BCEWithLogitsLoss(weight=T([0.5, 1.0, 2.0]),
                                                              reduction="sum"),
     [_x(4, 3), ("const", _probs(4, 3))]),
    ("kldiv_batchmean", lambda m, T: m.KLDivLoss(reduction="batchmean"),
     [np.log(_probs(4, 3)), ("const", _probs(4, 3))]),
    ("kldiv_logtarget", lambda m, T: m.KLDivLoss(log_target=True),
     [np.log(_probs(4, 3)), ("const", np.log(_probs(4, 3)))]),
    ("triplet", lambda m, T: m.TripletMarginLoss(), [_x(4, 5), _x(4, 5), _x(4, 5)]),
    ("triplet_swap", lambda m, T: m.TripletMarginLoss(margin=0.5, p=1, swap=True),
     [_x(4, 5), _x(4, 5), _x(4, 5)]),
    ("marginranking", lambda m, T: m.MarginRankingLoss(0.2),
     [_x(6), _x(6), ("const", _signs(6))]),
    ("cosineembedding", lambda m, T: m.CosineEmbeddingLoss(0.1),
     [_x(4, 5), _x(4, 5), ("const", _signs(4))]),
    ("hingeembedding", lambda m, T: m.HingeEmbeddingLoss(0.5),
     [_x(6), ("const", _signs(6))]),
    ("softmargin", lambda m, T: m.SoftMarginLoss(), [_x(6), ("const", _signs(6))]),
    ("cosinesimilarity", lambda m, T: m.CosineSimilarity(), [_x(4, 5), _x(4, 5)]),
    ("pairwisedistance", lambda m, T: m.PairwiseDistance(p=3, keepdim=True),
     [_x(4, 5), _x(4, 5)]),
]


def _inputs(raw, lib):
    out = []
    for item in raw:
        const = isinstance(item, tuple)
        arr = item[1] if const else item
        if lib is torch:
            t = torch.tensor(arr)
            if arr.dtype.kind == "f" and not const:
                t.requires_grad_(True)
        else:
            t = glassnet.tensor(arr, requires_grad=arr.dtype.kind == "f" and not const)
        out.append(t)
    return out


def check_parity(make, raw_inputs, train=True, rtol=1e-5, atol=1e-5):
    """Build both modules, copy torch's state into glassnet, compare the repr, the
    output, the input and parameter gradients and the buffers afterwards."""
    torch.manual_seed(0)
    t = make(tnn, _tt)
    g = make(nn, _gt)
    assert repr(g) == repr(t)
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    t.train(train)
    g.train(train)
    tx, gx = _inputs(raw_inputs, torch), _inputs(raw_inputs, glassnet)
    tout, gout = t(*tx), g(*gx)
    assert tuple(gout.shape) == tuple(tout.shape)
    assert gout.dtype == np.float32
    np.testing.assert_allclose(gout.data, tout.detach().numpy(), rtol=rtol, atol=atol)
    if tout.requires_grad:
        grad = RNG.standard_normal(tuple(tout.shape)).astype(np.float32)
        tout.backward(torch.tensor(grad))
        gout.backward(glassnet.tensor(grad))
        for a, b in zip(gx, tx):
            if b.grad is not None:
                np.testing.assert_allclose(a.grad.data, b.grad.numpy(), rtol=rtol, atol=atol)
        tparams = dict(t.named_parameters())
        for name, p in g.named_parameters():
            np.testing.assert_allclose(p.grad.data, tparams[name].grad.numpy(), rtol=rtol,
                                       atol=atol, err_msg=name)
    tstate = t.state_dict()
    for name, b in g.state_dict().items():
        np.testing.assert_allclose(b.data, tstate[name].numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name,make,inputs", CASES + ACTIVATIONS + LOSSES,
                         ids=[c[0] for c in CASES + ACTIVATIONS + LOSSES])
def test_layer_matches_torch(name, make, inputs):
    check_parity(make, inputs, train="_eval" not in name)


@pytest.mark.parametrize("name", ["batchnorm1d_2d", "batchnorm2d", "batchnorm2d_notrack",
                                  "instancenorm2d_affine_track"])
def test_norm_eval_mode_matches_torch(name):
    make, inputs = {c[0]: (c[1], c[2]) for c in CASES}[name]
    check_parity(make, inputs, train=False)


def test_maxpool_return_indices_and_convtranspose_output_size_match_torch():
    x = _x(2, 3, 7, 7)
    gout, gidx = nn.MaxPool2d(3, 2, 1, return_indices=True)(glassnet.tensor(x))
    tout, tidx = tnn.MaxPool2d(3, 2, 1, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(gout.data, tout.numpy())
    np.testing.assert_array_equal(gidx.data, tidx.numpy())
    g = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    t = tnn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = _x(1, 3, 4, 4)
    for size in [(7, 7), (8, 8), (1, 2, 8, 7)]:
        np.testing.assert_allclose(g(glassnet.tensor(x), output_size=size).data,
                                   t(torch.tensor(x), output_size=size).detach().numpy(),
                                   rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="valid sizes range from"):
        g(glassnet.tensor(x), output_size=(10, 10))


# ---------------------------------------------------------------------------
# Swish (no torch module; compare with the torch expression)
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("learnable", [False, True])
def test_swish_matches_torch_expression(learnable):
    x = _x(4, 5, scale=3)
    g = nn.Swish(beta=1.7, learnable=learnable)
    gx = glassnet.tensor(x, requires_grad=True)
    out = g(gx)
    tx = torch.tensor(x, requires_grad=True)
    tb = torch.tensor(1.7, requires_grad=True)
    tout = tx * torch.sigmoid(tb * tx)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-5, atol=1e-6)
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(gx.grad.data, tx.grad.numpy(), rtol=1e-5, atol=1e-6)
    if learnable:
        assert [n for n, _ in g.named_parameters()] == ["beta"]
        np.testing.assert_allclose(g.beta.grad.data, tb.grad.numpy(), rtol=1e-5)
        assert repr(g) == "Swish(beta=1.7, learnable=True)"
    else:
        assert list(g.parameters()) == [] and repr(g) == "Swish(beta=1.7)"


# ---------------------------------------------------------------------------
# Default initialisation
# ---------------------------------------------------------------------------
def _check_uniform(x, bound, mean_tol=5.0):
    x = np.asarray(x, np.float64).ravel()
    assert np.abs(x).max() <= bound * (1 + 1e-6)
    assert np.abs(x).max() > 0.98 * bound
    std = bound / math.sqrt(3)
    assert abs(x.mean()) < mean_tol * std / math.sqrt(x.size)
    assert abs(x.std() / std - 1) < (0.02 if x.size > 5000 else 0.15)


@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.Linear(100, 20000), 100),
    (lambda: nn.Conv2d(8, 10000, 3), 72),
    (lambda: nn.Conv1d(5, 10000, 4, groups=5), 4),
    (lambda: nn.ConvTranspose2d(4, 10000, 3), 10000 * 9),
    (lambda: nn.ConvTranspose2d(12000, 4, 3, groups=2), 2 * 9),
])
def test_default_init_of_linear_and_conv_is_uniform_one_over_sqrt_fan_in(make, fan_in):
    layer = make()
    bound = 1 / math.sqrt(fan_in)
    _check_uniform(layer.weight.data, bound)
    if layer.bias.numel() > 1000:
        _check_uniform(layer.bias.data, bound, mean_tol=6.0)
    else:
        assert np.abs(layer.bias.data).max() <= bound


def test_default_init_of_bilinear_uses_in1_features():
    layer = nn.Bilinear(50, 20, 2000)
    _check_uniform(layer.weight.data, 1 / math.sqrt(50))
    _check_uniform(layer.bias.data, 1 / math.sqrt(50), mean_tol=6.0)


def test_default_init_of_norms_and_prelu():
    for layer in (nn.BatchNorm1d(5), nn.BatchNorm2d(5), nn.GroupNorm(5, 5),
                  nn.LayerNorm(5), nn.InstanceNorm2d(5, affine=True)):
        np.testing.assert_array_equal(layer.weight.data, 1.0)
        np.testing.assert_array_equal(layer.bias.data, 0.0)
    bn = nn.BatchNorm2d(5)
    np.testing.assert_array_equal(bn.running_mean.data, 0.0)
    np.testing.assert_array_equal(bn.running_var.data, 1.0)
    assert bn.num_batches_tracked.item() == 0 and bn.num_batches_tracked.dtype == np.int64
    np.testing.assert_array_equal(nn.PReLU(4).weight.data, 0.25)
    assert nn.Linear(3, 2, dtype=glassnet.float64).weight.dtype == np.float64


# ---------------------------------------------------------------------------
# BatchNorm running statistics
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("momentum", [None, 0.1, 0.5])
def test_batchnorm_running_stats_over_several_steps_match_torch(momentum):
    g, t = nn.BatchNorm2d(3, momentum=momentum), tnn.BatchNorm2d(3, momentum=momentum)
    for step in range(5):
        x = _x(4, 3, 5, 5, scale=step + 1) + step
        g(glassnet.tensor(x))
        t(torch.tensor(x))
    np.testing.assert_allclose(g.running_mean.data, t.running_mean.numpy(), rtol=1e-5,
                               atol=1e-6)
    np.testing.assert_allclose(g.running_var.data, t.running_var.numpy(), rtol=1e-5)
    assert g.num_batches_tracked.item() == int(t.num_batches_tracked) == 5
    if momentum is None:  # the cumulative average of the 5 batch means
        assert g.momentum is None
    g.eval()
    t.eval()
    x = _x(2, 3, 5, 5)
    np.testing.assert_allclose(g(glassnet.tensor(x)).data, t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-5)


def test_batchnorm_momentum_none_is_cumulative_average_of_batch_means():
    bn = nn.BatchNorm1d(2, momentum=None, affine=False)
    means = []
    for k in range(4):
        x = _x(6, 2) + 3 * k
        means.append(x.mean(0))
        bn(glassnet.tensor(x))
    np.testing.assert_allclose(bn.running_mean.data, np.mean(means, 0), rtol=1e-5)


def test_batchnorm_eval_uses_running_stats_and_does_not_update_them():
    bn = nn.BatchNorm2d(2)
    bn.running_mean.data[...] = [1.0, -2.0]
    bn.running_var.data[...] = [4.0, 0.25]
    bn.weight.data[...] = [2.0, 1.0]
    bn.bias.data[...] = [0.5, 0.0]
    bn.eval()
    x = _x(3, 2, 4, 4)
    out = bn(glassnet.tensor(x)).detach().numpy()
    rm = np.array([1.0, -2.0]).reshape(1, 2, 1, 1)
    rv = np.array([4.0, 0.25]).reshape(1, 2, 1, 1)
    w = np.array([2.0, 1.0]).reshape(1, 2, 1, 1)
    b = np.array([0.5, 0.0]).reshape(1, 2, 1, 1)
    np.testing.assert_allclose(out, (x - rm) / np.sqrt(rv + 1e-5) * w + b, rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_array_equal(bn.running_mean.data, [1.0, -2.0])
    assert bn.num_batches_tracked.item() == 0


def test_batchnorm_input_dim_errors():
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.BatchNorm1d(3)(glassnet.zeros(2, 3, 4, 5))
    with pytest.raises(ValueError, match="expected 4D input"):
        nn.BatchNorm2d(3)(glassnet.zeros(2, 3))
    with pytest.raises(ValueError, match="InstanceNorm2d: expected input's size at dim=1"):
        nn.InstanceNorm2d(3, affine=True)(glassnet.zeros(2, 4, 5, 5))


# ---------------------------------------------------------------------------
# Dropout in training mode
# ---------------------------------------------------------------------------
def test_dropout_training_statistics_and_eval_identity():
    x = glassnet.ones(200, 500)
    drop = nn.Dropout(0.3)
    out = drop(x).numpy()
    assert abs((out == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)
    assert drop.eval()(x) is x
    d2 = nn.Dropout2d(0.5)(glassnet.ones(20, 30, 4, 4)).detach().numpy()
    per_channel = d2.reshape(20, 30, 16)
    assert np.all((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1))
    a = nn.AlphaDropout(0.2)(glassnet.randn(400, 500)).detach().numpy()
    assert abs(a.mean()) < 0.02 and abs(a.std() - 1) < 0.02
    gen = np.random.default_rng(5)
    m1 = nn.Dropout(0.5, generator=gen)(glassnet.ones(50)).detach().numpy()
    m2 = nn.Dropout(0.5, generator=np.random.default_rng(5))(glassnet.ones(50)).detach().numpy()
    np.testing.assert_array_equal(m1, m2)


def test_rrelu_training_slopes_within_bounds():
    x = -glassnet.rand(1000) - 0.1
    out = nn.RReLU(0.1, 0.3)(x).detach().numpy()
    slopes = out / x.data
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6
    assert slopes.std() > 0.03


# ---------------------------------------------------------------------------
# Validation of hyperparameters
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("make,exc,msg", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), ValueError,
     "Conv2d: in_channels must be divisible by groups, got in_channels=3, groups=2"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), ValueError, "out_channels must be divisible"),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), ValueError, "strided"),
    (lambda: nn.Conv2d(3, 4, 3, padding="full"), ValueError, "padding must be one of"),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode="mirror"), ValueError, "padding_mode"),
    (lambda: nn.Conv2d(3, 4, 0), ValueError, "kernel_size must be > 0"),
    (lambda: nn.Conv1d(3, 4, (3, 3)), ValueError, "kernel_size must be an int or a tuple"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"), ValueError, "zeros"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, output_padding=2), ValueError,
     "output_padding must be smaller"),
    (lambda: nn.Linear(-1, 3), ValueError, "Linear: in_features must be >= 0"),
    (lambda: nn.Linear(2.5, 3), TypeError, "Linear: in_features must be an int"),
    (lambda: nn.Linear(2, 3, device="gpu"), ValueError, "invalid device type 'gpu'"),
    (lambda: nn.Linear(2, 3, dtype=glassnet.int64), TypeError, "floating dtype"),
    (lambda: nn.MaxPool2d(3, padding=2), ValueError, "pad should be at most half"),
    (lambda: nn.AvgPool2d(2, stride=0), ValueError, "stride must be > 0"),
    (lambda: nn.AdaptiveAvgPool2d((2, 0)), ValueError, "output_size"),
    (lambda: nn.BatchNorm2d(0), ValueError, "num_features must be >= 1"),
    (lambda: nn.GroupNorm(4, 6), ValueError, "num_channels must be divisible by num_groups"),
    (lambda: nn.LayerNorm("x"), TypeError, "normalized_shape"),
    (lambda: nn.Dropout(1.5), ValueError, "between 0 and 1"),
    (lambda: nn.Dropout(0.5, generator=3), TypeError, "generator"),
    (lambda: nn.PReLU(0), ValueError, "num_parameters must be >= 1"),
    (lambda: nn.Hardtanh(1.0, -1.0), ValueError, "max_val must be > min_val"),
    (lambda: nn.RReLU(0.5, 0.1), ValueError, "lower must be <= upper"),
    (lambda: nn.GELU("fast"), ValueError, "approximate"),
    (lambda: nn.LeakyReLU("a"), TypeError, "negative_slope must be a real number"),
    (lambda: nn.Softmax(dim=1.0), TypeError, "dim must be an int"),
    (lambda: nn.CrossEntropyLoss(reduction="avg"), ValueError, "reduction must be one of"),
    (lambda: nn.CrossEntropyLoss(label_smoothing=1.5), ValueError, "label_smoothing"),
    (lambda: nn.TripletMarginLoss(margin=0), ValueError, "margin must be > 0"),
    (lambda: nn.KLDivLoss(reduction="batchmean2"), ValueError, "reduction"),
    (lambda: nn.Upsample(size=4, scale_factor=2), ValueError, "exactly one of"),
    (lambda: nn.Upsample(scale_factor=2, align_corners=True), ValueError, "align_corners"),
    (lambda: nn.PixelShuffle(0), ValueError, "upscale_factor must be >= 1"),
    (lambda: nn.Unflatten(1, 6), TypeError, "unflattened_size"),
])
def test_constructors_reject_bad_hyperparameters(make, exc, msg):
    with pytest.raises(exc, match=msg.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_legacy_size_average_and_reduce_map_to_reduction():
    with pytest.warns(DeprecationWarning):
        assert nn.MSELoss(size_average=False).reduction == "sum"
    with pytest.warns(DeprecationWarning):
        assert nn.NLLLoss(None, None, -100, False).reduction == "none"
    assert list(nn.CrossEntropyLoss(weight=glassnet.ones(3)).state_dict()) == ["weight"]
    assert list(nn.BCEWithLogitsLoss(pos_weight=glassnet.ones(3)).state_dict()) == \
        ["pos_weight"]


# ---------------------------------------------------------------------------
# A small model learns
# ---------------------------------------------------------------------------
def test_train_step_smoke_loss_decreases():
    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Flatten(), nn.Dropout(0.1),
                          nn.Linear(4 * 4 * 4, 3))
    loss_fn = nn.CrossEntropyLoss()
    x = glassnet.randn(12, 1, 8, 8)
    y = glassnet.tensor(np.arange(12) % 3)
    losses = []
    for _ in range(30):
        loss = loss_fn(model(x), y)
        model.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        with glassnet.no_grad():
            for p in model.parameters():
                p.data -= 0.1 * p.grad.data
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]
