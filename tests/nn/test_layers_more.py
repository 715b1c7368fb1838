"""Torch parity (repr, state_dict keys, outputs, input and parameter gradients, buffers)
for the layers added for issue 9: shrink activations, Softmax2d, ChannelShuffle,
ConvTranspose1d, Fold/Unfold, unpooling, adaptive 1-D and Lp pools, instance / RMS /
cross-map norms, 3-D dropout and the extra losses."""
import importlib.util
import pathlib

import numpy as np
import pytest

import glassnet
import glassnet.nn as nn

torch = pytest.importorskip("torch")
tnn = torch.nn

_spec = importlib.util.spec_from_file_location(
    "_layer_parity", pathlib.Path(__file__).with_name("test_layers.py"))
_parity = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_parity)
check_parity = _parity.check_parity

RNG = np.random.default_rng(11)


def _x(*shape, scale=1.0):
    return (RNG.standard_normal(shape) * scale).astype(np.float32)


def _pos(*shape):
    return RNG.uniform(0.2, 3.0, shape).astype(np.float32)


def _gt(v):
    return glassnet.tensor(np.asarray(v, np.float32))


def _tt(v):
    return torch.tensor(np.asarray(v, np.float32))


def _away(x, kinks, margin=0.05):
    for k in kinks:
        near = np.abs(x - k) < margin
        x = np.where(near, k + np.where(x >= k, margin, -margin), x).astype(np.float32)
    return x


CASES = [
    # activations
    ("hardshrink", lambda m, T: m.Hardshrink(), [_away(_x(4, 6), (-0.5, 0.5))]),
    ("hardshrink_lambd", lambda m, T: m.Hardshrink(1.2), [_away(_x(3, 5, 2), (-1.2, 1.2))]),
    ("softshrink", lambda m, T: m.Softshrink(), [_away(_x(4, 6), (-0.5, 0.5))]),
    ("softshrink_zero", lambda m, T: m.Softshrink(0.0), [_away(_x(1, 7), (0.0,))]),
    ("softmax2d", lambda m, T: m.Softmax2d(), [_x(2, 3, 4, 5)]),
    ("softmax2d_unbatched", lambda m, T: m.Softmax2d(), [_x(3, 2, 5)]),
    ("channelshuffle", lambda m, T: m.ChannelShuffle(3), [_x(2, 6, 3, 2)]),
    ("channelshuffle_1d", lambda m, T: m.ChannelShuffle(2), [_x(1, 4, 5)]),
    # convolution and folding
    ("convtranspose1d", lambda m, T: m.ConvTranspose1d(4, 6, 3, stride=2, padding=1,
                                                       output_padding=1, groups=2),
     [_x(2, 4, 7)]),
    ("convtranspose1d_dilated", lambda m, T: m.ConvTranspose1d(3, 2, 2, stride=3, dilation=2,
                                                               bias=False), [_x(1, 3, 5)]),
    ("convtranspose1d_unbatched", lambda m, T: m.ConvTranspose1d(2, 3, 4), [_x(2, 5)]),
    ("unfold", lambda m, T: m.Unfold((2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     [_x(2, 3, 5, 6)]),
    ("unfold_unbatched", lambda m, T: m.Unfold(2), [_x(2, 3, 3)]),
    ("fold", lambda m, T: m.Fold((5, 6), (2, 3), dilation=(1, 2), padding=1, stride=(2, 1)),
     [_x(2, 18, 12)]),
    ("fold_unbatched", lambda m, T: m.Fold(4, 2, stride=2), [_x(8, 4)]),
    # pooling
    ("adaptiveavgpool1d", lambda m, T: m.AdaptiveAvgPool1d(3), [_x(2, 3, 7)]),
    ("adaptiveavgpool1d_unbatched", lambda m, T: m.AdaptiveAvgPool1d(4), [_x(2, 9)]),
    ("adaptivemaxpool1d", lambda m, T: m.AdaptiveMaxPool1d(4), [_x(1, 3, 9)]),
    ("lppool1d", lambda m, T: m.LPPool1d(2, 3, stride=2), [_x(2, 3, 9)]),
    ("lppool1d_p1", lambda m, T: m.LPPool1d(1, 2), [_pos(1, 2, 7)]),
    ("lppool2d", lambda m, T: m.LPPool2d(2, (3, 2), stride=(2, 1)), [_x(2, 3, 7, 6)]),
    ("lppool2d_ceil", lambda m, T: m.LPPool2d(1.5, 2, ceil_mode=True), [_pos(1, 2, 5, 5)]),
    # normalisation
    ("instancenorm1d", lambda m, T: m.InstanceNorm1d(3), [_x(2, 3, 7)]),
    ("instancenorm1d_affine_track", lambda m, T: m.InstanceNorm1d(
        3, affine=True, track_running_stats=True), [_x(4, 3, 5, scale=2)]),
    ("instancenorm1d_unbatched", lambda m, T: m.InstanceNorm1d(3, affine=True), [_x(3, 6)]),
    ("rmsnorm", lambda m, T: m.RMSNorm(5), [_x(3, 4, 5, scale=2)]),
    ("rmsnorm_2d_eps", lambda m, T: m.RMSNorm([4, 5], eps=1e-3), [_x(2, 4, 5)]),
    ("rmsnorm_noaffine", lambda m, T: m.RMSNorm(3, elementwise_affine=False), [_x(1, 3)]),
    ("crossmaplrn2d", lambda m, T: m.CrossMapLRN2d(3, 1e-2, 0.75, 2.0),
     [("const", _x(2, 6, 3, 3, scale=3))]),
    ("crossmaplrn2d_even", lambda m, T: m.CrossMapLRN2d(4), [("const", _x(1, 5, 2, 4))]),
    # dropout in eval mode is the identity
    ("dropout3d_eval", lambda m, T: m.Dropout3d(0.3).eval(), [_x(2, 3, 2, 2, 2)]),
    ("featurealphadropout_eval", lambda m, T: m.FeatureAlphaDropout(0.2).eval(),
     [_x(2, 3, 4)]),
]

CASES_3D = [
    ("conv3d", lambda m, T: m.Conv3d(2, 3, 3, padding=1), [_x(2, 2, 4, 5, 3)]),
    ("conv3d_mixed", lambda m, T: m.Conv3d(4, 6, (2, 3, 2), stride=(2, 1, 2),
                                           padding=(1, 0, 1), dilation=(1, 2, 1), groups=2),
     [_x(1, 4, 5, 6, 5)]),
    ("conv3d_unbatched_nobias", lambda m, T: m.Conv3d(2, 2, 2, bias=False), [_x(2, 3, 3, 4)]),
    ("convtranspose3d", lambda m, T: m.ConvTranspose3d(4, 2, 3, stride=2, padding=1,
                                                       output_padding=1, groups=2),
     [_x(1, 4, 2, 3, 2)]),
    ("maxpool3d", lambda m, T: m.MaxPool3d(2), [_x(2, 2, 4, 5, 4)]),
    ("maxpool3d_padded", lambda m, T: m.MaxPool3d(3, stride=2, padding=1, ceil_mode=True),
     [_x(1, 2, 5, 4, 5)]),
    ("avgpool3d", lambda m, T: m.AvgPool3d(3, stride=2, padding=1, count_include_pad=False),
     [_x(2, 2, 5, 5, 4)]),
    ("avgpool3d_unbatched", lambda m, T: m.AvgPool3d((2, 1, 2)), [_x(2, 4, 3, 4)]),
    ("adaptiveavgpool3d", lambda m, T: m.AdaptiveAvgPool3d((2, 3, None)),
     [_x(2, 2, 5, 7, 3)]),
    ("adaptivemaxpool3d", lambda m, T: m.AdaptiveMaxPool3d(2), [_x(1, 3, 5, 4, 5)]),
    ("lppool3d", lambda m, T: m.LPPool3d(2, 2, stride=1), [_x(1, 2, 3, 4, 3)]),
    ("batchnorm3d", lambda m, T: m.BatchNorm3d(3), [_x(2, 3, 3, 2, 4, scale=2)]),
    ("instancenorm3d_affine", lambda m, T: m.InstanceNorm3d(2, affine=True),
     [_x(2, 2, 3, 3, 2)]),
    ("instancenorm3d_unbatched", lambda m, T: m.InstanceNorm3d(2), [_x(2, 2, 3, 3)]),
]

LOSSES = [
    ("multimargin", lambda m, T: m.MultiMarginLoss(), [_x(5, 4), np.array([0, 3, 1, 2, 3])]),
    ("multimargin_p2_weight", lambda m, T: m.MultiMarginLoss(
        p=2, margin=0.7, weight=T([1.0, 2.0, 0.5, 1.5]), reduction="sum"),
     [_x(5, 4), np.array([0, 3, 1, 2, 3])]),
    ("multilabelmargin", lambda m, T: m.MultiLabelMarginLoss(),
     [_x(3, 5), np.array([[3, 0, -1, 1, 2], [1, 2, 3, 4, 0], [-1, 2, 1, 0, 0]])]),
    ("multilabelmargin_none_1d", lambda m, T: m.MultiLabelMarginLoss(reduction="none"),
     [_x(4), np.array([2, 1, -1, 3])]),
    ("multilabelsoftmargin", lambda m, T: m.MultiLabelSoftMarginLoss(),
     [_x(4, 3), ("const", (RNG.random((4, 3)) < 0.5).astype(np.float32))]),
    ("multilabelsoftmargin_weight", lambda m, T: m.MultiLabelSoftMarginLoss(
        weight=T([0.5, 1.0, 2.0]), reduction="none"),
     [_x(4, 3), ("const", (RNG.random((4, 3)) < 0.5).astype(np.float32))]),
    ("poissonnll", lambda m, T: m.PoissonNLLLoss(), [_x(4, 3), _pos(4, 3)]),
    ("poissonnll_rate_full", lambda m, T: m.PoissonNLLLoss(log_input=False, full=True,
                                                           reduction="sum"),
     [_pos(4, 3), ("const", np.array([[0, 1, 2], [3, 0.5, 7], [1.5, 4, 0], [2, 2, 9]],
                                     np.float32))]),
    ("gaussiannll", lambda m, T: m.GaussianNLLLoss(), [_x(4, 3), _x(4, 3), _pos(4, 3)]),
    ("gaussiannll_homoscedastic", lambda m, T: m.GaussianNLLLoss(full=True,
                                                                 reduction="none"),
     [_x(4, 3), _x(4, 3), _pos(4)]),
    ("gaussiannll_one_dim", lambda m, T: m.GaussianNLLLoss(eps=0.5, reduction="sum"),
     [_x(2, 3, 2), _x(2, 3, 2), _pos(2, 1, 2)]),
    ("tripletdistance", lambda m, T: m.TripletMarginWithDistanceLoss(),
     [_x(4, 5), _x(4, 5), _x(4, 5)]),
    ("tripletdistance_cos_swap", lambda m, T: m.TripletMarginWithDistanceLoss(
        distance_function=lambda a, b: 1.0 - m.functional.cosine_similarity(a, b),
        margin=0.5, swap=True, reduction="none"), [_x(4, 5), _x(4, 5), _x(4, 5)]),
]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name,make,inputs", CASES + CASES_3D + LOSSES,
                         ids=[c[0] for c in CASES + CASES_3D + LOSSES])
def test_new_layer_matches_torch(name, make, inputs):
    check_parity(make, inputs, train="_eval" not in name)


def test_instancenorm1d_eval_with_running_stats_matches_torch():
    make = lambda m, T: m.InstanceNorm1d(3, affine=True, track_running_stats=True)  # noqa
    check_parity(make, [_x(4, 3, 5)], train=False)


def test_maxunpool_inverts_maxpool_as_torch():
    for g_pool, t_pool, g_un, t_un, x, size in [
        (nn.MaxPool2d(2, return_indices=True), tnn.MaxPool2d(2, return_indices=True),
         nn.MaxUnpool2d(2), tnn.MaxUnpool2d(2), _x(2, 3, 5, 7), (5, 7)),
        (nn.MaxPool2d(3, 2, 1, return_indices=True), tnn.MaxPool2d(3, 2, 1,
                                                                   return_indices=True),
         nn.MaxUnpool2d(3, 2, 1), tnn.MaxUnpool2d(3, 2, 1), _x(1, 2, 6, 6), (6, 6)),
        (nn.MaxPool1d(3, 2, return_indices=True), tnn.MaxPool1d(3, 2, return_indices=True),
         nn.MaxUnpool1d(3, 2), tnn.MaxUnpool1d(3, 2), _x(2, 3, 9), None),
    ]:
        gy, gi = g_pool(glassnet.tensor(x))
        ty, ti = t_pool(torch.tensor(x))
        gy = glassnet.tensor(gy.numpy(), requires_grad=True)
        ty = ty.detach().requires_grad_(True)
        gout, tout = g_un(gy, gi, output_size=size), t_un(ty, ti, output_size=size)
        assert repr(g_un) == repr(t_un)
        np.testing.assert_array_equal(gout.detach().numpy(), tout.detach().numpy())
        cot = RNG.standard_normal(tuple(tout.shape)).astype(np.float32)
        gout.backward(glassnet.tensor(cot))
        tout.backward(torch.tensor(cot))
        np.testing.assert_array_equal(gy.grad.numpy(), ty.grad.numpy())


def test_batchnorm3d_eval_and_maxpool3d_indices_match_torch():
    check_parity(lambda m, T: m.BatchNorm3d(3, momentum=0.3), [_x(2, 3, 2, 3, 2)],
                 train=False)
    x = _x(2, 3, 5, 4, 6)
    gy, gi = nn.MaxPool3d(3, 2, 1, return_indices=True)(glassnet.tensor(x))
    ty, ti = tnn.MaxPool3d(3, 2, 1, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(gy.numpy(), ty.numpy())
    np.testing.assert_array_equal(gi.numpy(), ti.numpy())
    gu = nn.MaxUnpool3d(3, 2, 1)(gy, gi, output_size=x.shape[2:])
    tu = tnn.MaxUnpool3d(3, 2, 1)(ty, ti, output_size=x.shape[2:])
    np.testing.assert_array_equal(gu.numpy(), tu.numpy())
    with pytest.raises(ValueError, match="BatchNorm3d: expected 5D input"):
        nn.BatchNorm3d(3)(glassnet.ones(2, 3, 4, 4))


def test_adaptivemaxpool1d_return_indices_match_torch():
    x = _x(2, 3, 10)
    gy, gi = nn.AdaptiveMaxPool1d(4, return_indices=True)(glassnet.tensor(x))
    ty, ti = tnn.AdaptiveMaxPool1d(4, return_indices=True)(torch.tensor(x))
    np.testing.assert_array_equal(gy.numpy(), ty.numpy())
    np.testing.assert_array_equal(gi.numpy(), ti.numpy())


def test_crossmaplrn2d_gradient_is_exact_gradient_of_its_forward():
    # torch's backward is not the gradient of its own forward (see cross_map_window), so
    # the gradient is checked against central differences of glassnet's forward, whose
    # values match torch (test above).
    x = RNG.standard_normal((1, 5, 2, 3))
    layer = nn.CrossMapLRN2d(3, 0.1, 0.75, 1.5)
    gx = glassnet.tensor(x, dtype=glassnet.float64, requires_grad=True)
    w = RNG.standard_normal(x.shape)
    (layer(gx) * glassnet.tensor(w)).sum().backward()
    num = np.zeros_like(x)
    for idx in np.ndindex(*x.shape):
        d = np.zeros_like(x)
        d[idx] = 1e-6
        hi = (layer(glassnet.tensor(x + d)).numpy() * w).sum()
        lo = (layer(glassnet.tensor(x - d)).numpy() * w).sum()
        num[idx] = (hi - lo) / 2e-6
    np.testing.assert_allclose(gx.grad.numpy(), num, rtol=1e-6, atol=1e-8)


def test_dropout3d_and_feature_alpha_dropout_drop_whole_channels():
    glassnet.manual_seed(0)
    d3 = nn.Dropout3d(0.5)(glassnet.ones(20, 30, 2, 2, 2)).numpy().reshape(20, 30, 8)
    assert np.all((d3 == 0).all(-1) | (d3 == 2.0).all(-1))
    assert abs((d3[..., 0] == 0).mean() - 0.5) < 0.06
    fa = nn.FeatureAlphaDropout(0.3)(glassnet.randn(40, 50, 6)).numpy()
    # A dropped channel is constant (the saturation value after the affine correction).
    const = np.ptp(fa, axis=-1) == 0
    assert abs(const.mean() - 0.3) < 0.05
    alpha = 1.7580993408473766
    a = ((alpha ** 2 * 0.3 + 1) * 0.7) ** -0.5
    np.testing.assert_allclose(fa[const][:, 0], a * alpha * (0.3 - 1) * np.ones(const.sum()),
                               rtol=1e-5)


@pytest.mark.parametrize("make,exc,msg", [
    (lambda: nn.Softshrink(-0.1), ValueError, "Softshrink: lambd must be >= 0"),
    (lambda: nn.Hardshrink("a"), TypeError, "Hardshrink: lambd must be a real number"),
    (lambda: nn.ChannelShuffle(0), ValueError, "ChannelShuffle: groups must be >= 1"),
    (lambda: nn.Fold(4, 0), ValueError, "Fold: kernel_size must be > 0"),
    (lambda: nn.Unfold(2, stride=0), ValueError, "Unfold: stride must be > 0"),
    (lambda: nn.LPPool2d(0, 2), ValueError, "LPPool2d: norm_type must be a positive number"),
    (lambda: nn.MaxUnpool2d(0), ValueError, "MaxUnpool2d: kernel_size must be > 0"),
    (lambda: nn.AdaptiveAvgPool1d((2, 3)), ValueError, "AdaptiveAvgPool1d: output_size"),
    (lambda: nn.RMSNorm("x"), TypeError, "RMSNorm: normalized_shape"),
    (lambda: nn.CrossMapLRN2d(0), ValueError, "CrossMapLRN2d: size must be >= 1"),
    (lambda: nn.MultiMarginLoss(p=3), ValueError, "only p == 1 and p == 2"),
    (lambda: nn.TripletMarginWithDistanceLoss(margin=0), ValueError, "margin must be greater"),
    (lambda: nn.TripletMarginWithDistanceLoss(distance_function=3), TypeError, "callable"),
])
def test_new_constructors_reject_bad_hyperparameters(make, exc, msg):
    with pytest.raises(exc, match=msg.replace("(", r"\(").replace(")", r"\)")):
        make()


def test_new_layers_reject_bad_inputs():
    with pytest.raises(ValueError, match="Softmax2d: expected input to be 3D or 4D"):
        nn.Softmax2d()(glassnet.ones(3, 4))
    with pytest.raises(ValueError, match="channel_shuffle: number of channels \\(5\\)"):
        nn.ChannelShuffle(2)(glassnet.ones(1, 5, 4))
    with pytest.raises(ValueError, match="CrossMapLRN2d: expected input to be 4D"):
        nn.CrossMapLRN2d(3)(glassnet.ones(1, 5, 4))
    with pytest.raises(ValueError, match="InstanceNorm1d: expected 2D or 3D input"):
        nn.InstanceNorm1d(3)(glassnet.ones(1, 3, 4, 4))
    with pytest.raises(ValueError, match="var is of incorrect size"):
        nn.GaussianNLLLoss()(glassnet.ones(4, 3), glassnet.ones(4, 3), glassnet.ones(2, 3))
    with pytest.raises(ValueError, match="var has negative entry"):
        nn.GaussianNLLLoss()(glassnet.ones(4, 3), glassnet.ones(4, 3), -glassnet.ones(4, 3))
    with pytest.raises(ValueError, match="target values must lie in \\[-1, 3\\)"):
        nn.MultiLabelMarginLoss()(glassnet.ones(2, 3), glassnet.tensor([[0, 3, -1],
                                                                       [0, 1, 2]]))
    with pytest.raises(ValueError, match="rms_norm: input must have shape \\(\\*, 4\\)"):
        nn.RMSNorm(4)(glassnet.ones(2, 3))
