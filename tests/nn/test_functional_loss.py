"""Known answers, PyTorch edge cases and error messages for the losses and distances.

Gradient checks and float32 parity on ordinary inputs come from the op registry
(``glassnet/testing/registry/loss.py``); this file covers what the registry cannot.
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn import functional as F


def _t(a, grad=False, dtype=np.float32):
    return gn.tensor(np.asarray(a, dtype=dtype), requires_grad=grad)


def _idx(a):
    return gn.tensor(np.asarray(a, dtype=np.int64))


# ---------------------------------------------------------------------------
# Known answers
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 7), (2, 7, 3, 3), (7,)])
def test_cross_entropy_of_uniform_logits_is_log_c(shape):
    target = np.zeros(shape[:1] + shape[2:] if len(shape) > 1 else (), dtype=np.int64)
    out = F.cross_entropy(gn.zeros(*shape), gn.tensor(target))
    assert out.dtype == np.float32
    assert out.item() == pytest.approx(math.log(7), rel=1e-6)


def test_cross_entropy_gradient_is_softmax_minus_onehot():
    x = _t([[1.0, 2.0, 3.0]], grad=True)
    F.cross_entropy(x, _idx([2]), reduction="sum").backward()
    p = np.exp([1.0, 2.0, 3.0]) / np.exp([1.0, 2.0, 3.0]).sum()
    np.testing.assert_allclose(x.grad.data, [p - [0, 0, 1]], rtol=1e-6)


def test_cross_entropy_label_smoothing_gradient_is_softmax_minus_smoothed_target():
    x = _t([[0.5, -1.0, 2.0, 0.0]], grad=True)
    F.cross_entropy(x, _idx([1]), label_smoothing=0.2).backward()
    z = np.array([0.5, -1.0, 2.0, 0.0])
    p = np.exp(z) / np.exp(z).sum()
    smoothed = 0.8 * np.eye(4)[1] + 0.2 / 4
    np.testing.assert_allclose(x.grad.data, [p - smoothed], rtol=1e-5, atol=1e-7)


def test_cross_entropy_index_and_onehot_probability_targets_agree():
    rng = np.random.default_rng(0)
    x = _t(rng.standard_normal((5, 4)))
    t = rng.integers(0, 4, 5)
    w = _t(rng.uniform(0.5, 2, 4))
    a = F.cross_entropy(x, _idx(t), label_smoothing=0.1, reduction="sum")
    b = F.cross_entropy(x, _t(np.eye(4)[t]), label_smoothing=0.1, reduction="sum")
    assert a.item() == pytest.approx(b.item(), rel=1e-5)
    a = F.cross_entropy(x, _idx(t), weight=w, reduction="none")
    b = F.cross_entropy(x, _t(np.eye(4)[t]), weight=w, reduction="none")
    np.testing.assert_allclose(a.data, b.data, rtol=1e-5)


def test_nll_loss_weighted_mean_divides_by_target_weights():
    logp = _t([[-1.0, -2.0, -3.0], [-4.0, -5.0, -6.0], [-7.0, -8.0, -9.0]])
    w = _t([1.0, 2.0, 3.0])
    out = F.nll_loss(logp, _idx([0, 2, -100]), weight=w)
    # (1 * 1 + 3 * 6) / (1 + 3); the ignored third row counts nowhere.
    assert out.item() == pytest.approx(19 / 4)
    out = F.nll_loss(logp, _idx([0, 2, 1]), weight=w, ignore_index=1, reduction="none")
    np.testing.assert_allclose(out.data, [1.0, 18.0, 0.0])


@pytest.mark.parametrize("kwargs", [{}, {"label_smoothing": 0.1}, {"weight": [1.0, 2, 3, 4]}])
def test_all_ignored_targets_give_nan_mean_and_zero_grad(kwargs):
    kwargs = {k: (_t(v) if k == "weight" else v) for k, v in kwargs.items()}
    x = _t(np.ones((3, 4)), grad=True)
    t = _idx([-100, -100, -100])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from 0 / 0
        out = F.cross_entropy(x, t, **kwargs)
        assert math.isnan(out.item())
        out.backward()
    np.testing.assert_array_equal(x.grad.data, 0)
    assert F.cross_entropy(x, t, reduction="sum", **kwargs).item() == 0
    assert math.isnan(F.nll_loss(x, t).item())


def test_regression_losses_known_values():
    x, t = _t([0.0, 0.5, 3.0]), _t([0.0, 0.0, 0.0])
    assert F.mse_loss(x, t).item() == pytest.approx((0.25 + 9) / 3)
    assert F.l1_loss(x, t, reduction="sum").item() == pytest.approx(3.5)
    np.testing.assert_allclose(F.smooth_l1_loss(x, t, reduction="none").data,
                               [0.0, 0.125, 2.5])
    np.testing.assert_allclose(F.smooth_l1_loss(x, t, beta=0.0, reduction="none").data,
                               [0.0, 0.5, 3.0])
    np.testing.assert_allclose(F.huber_loss(x, t, reduction="none", delta=2.0).data,
                               [0.0, 0.125, 4.0])


def test_weighted_mse_mean_divides_by_weight_sum_but_huber_by_count():
    x, t, w = _t([1.0, 2.0]), _t([0.0, 0.0]), _t([1.0, 3.0])
    assert F.mse_loss(x, t, weight=w).item() == pytest.approx((1 + 12) / 4)
    assert F.huber_loss(x, t, weight=w).item() == pytest.approx((0.5 + 4.5) / 2)


def test_l1_subgradient_at_zero_is_zero():
    x = _t([1.0, 2.0], grad=True)
    F.l1_loss(x, _t([1.0, 0.0])).backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 0.5])


def test_binary_cross_entropy_clamps_log_at_minus_100():
    out = F.binary_cross_entropy(_t([0.0, 1.0]), _t([1.0, 0.0]), reduction="none")
    np.testing.assert_allclose(out.data, [100.0, 100.0])
    x = _t([0.0, 1.0], grad=True)
    F.binary_cross_entropy(x, _t([0.0, 1.0])).backward()
    assert np.isfinite(x.grad.data).all()


def test_bce_with_logits_known_values_and_no_overflow():
    assert F.binary_cross_entropy_with_logits(gn.zeros(3), gn.ones(3)).item() == \
        pytest.approx(math.log(2))
    x = _t([-1000.0, 1000.0], grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = F.binary_cross_entropy_with_logits(x, _t([1.0, 0.0]), reduction="none")
        out.sum().backward()
    np.testing.assert_allclose(out.data, [1000.0, 1000.0])
    np.testing.assert_allclose(x.grad.data, [-1.0, 1.0])


def test_bce_with_logits_pos_weight_scales_positive_term():
    x, t = _t([0.3, -0.2]), _t([1.0, 1.0])
    plain = F.binary_cross_entropy_with_logits(x, t, reduction="none")
    weighted = F.binary_cross_entropy_with_logits(x, t, reduction="none",
                                                  pos_weight=_t([3.0, 3.0]))
    np.testing.assert_allclose(weighted.data, 3 * plain.data, rtol=1e-6)


def test_kl_div_of_equal_distributions_is_zero_and_batchmean():
    p = _t([[0.25, 0.75], [0.5, 0.5]])
    assert F.kl_div(p.log(), p, reduction="batchmean").item() == pytest.approx(0, abs=1e-7)
    q = _t([[0.5, 0.5], [0.5, 0.5]])
    expected = (0.25 * math.log(0.5) + 0.75 * math.log(1.5)) / 2
    assert F.kl_div(q.log(), p, reduction="batchmean").item() == pytest.approx(expected,
                                                                               rel=1e-5)
    assert F.kl_div(q.log(), p.log(), reduction="batchmean", log_target=True).item() == \
        pytest.approx(expected, rel=1e-5)
    # NOTE: 0 * log 0 counts as 0 (xlogy).
    assert F.kl_div(_t([[0.5, 0.5]]).log(), _t([[0.0, 1.0]]), reduction="sum").item() == \
        pytest.approx(-math.log(0.5), rel=1e-6)


def test_distances_known_values():
    a, b = _t([[0.0, 0.0], [1.0, 1.0]]), _t([[3.0, 4.0], [1.0, 1.0]])
    np.testing.assert_allclose(F.pairwise_distance(a, b, eps=0.0).data, [5.0, 0.0])
    np.testing.assert_allclose(F.pairwise_distance(a, b, p=1, eps=0.0).data, [7.0, 0.0])
    np.testing.assert_allclose(F.pairwise_distance(a, b, p=float("inf"), eps=0.0).data,
                               [4.0, 0.0])
    np.testing.assert_allclose(F.pairwise_distance(a, b, p=0, eps=0.0).data, [2.0, 0.0])
    assert F.pairwise_distance(a, b, keepdim=True).shape == (2, 1)
    cos = F.cosine_similarity(_t([[1.0, 0.0], [1.0, 1.0]]), _t([[0.0, 2.0], [-3.0, -3.0]]))
    np.testing.assert_allclose(cos.data, [0.0, -1.0], atol=1e-7)


def test_triplet_margin_loss_known_value_and_swap():
    a, p, n = _t([[0.0, 0.0]]), _t([[3.0, 4.0]]), _t([[6.0, 8.0]])
    out = F.triplet_margin_loss(a, p, n, margin=1.0, eps=0.0)
    assert out.item() == 0.0  # 1 + 5 - 10 < 0
    out = F.triplet_margin_loss(a, p, n, margin=6.0, eps=0.0)
    assert out.item() == pytest.approx(1.0)
    # swap: d(p, n) = 5 < d(a, n) = 10 is used as the negative distance.
    out = F.triplet_margin_loss(a, p, n, margin=6.0, eps=0.0, swap=True)
    assert out.item() == pytest.approx(6.0)


def test_margin_losses_known_values():
    x = _t([0.5, 2.0])
    np.testing.assert_allclose(
        F.hinge_embedding_loss(x, _t([1.0, -1.0]), reduction="none").data, [0.5, 0.0])
    np.testing.assert_allclose(
        F.hinge_embedding_loss(x, _idx([-1, 1]), reduction="none").data, [0.5, 2.0])
    assert F.soft_margin_loss(gn.zeros(3), _t([1.0, -1.0, 1.0])).item() == \
        pytest.approx(math.log(2))
    np.testing.assert_allclose(F.margin_ranking_loss(
        _t([1.0, 1.0]), _t([0.0, 0.0]), _t([1.0, -1.0]), margin=0.5, reduction="none").data,
        [0.0, 1.5])
    out = F.cosine_embedding_loss(_t([[1.0, 0.0], [1.0, 0.0]]), _t([[1.0, 0.0], [1.0, 1.0]]),
                                  _idx([1, -1]), reduction="none")
    np.testing.assert_allclose(out.data, [0.0, math.sqrt(0.5)], atol=1e-6)
    out = F.multi_margin_loss(_t([[0.0, 1.0, 0.5]]), _idx([1]))
    assert out.item() == pytest.approx((0.0 + 0.5) / 3)


def test_one_hot():
    out = F.one_hot(_idx([[0, 2], [1, 1]]))
    assert out.dtype == np.int64 and out.shape == (2, 2, 3)
    np.testing.assert_array_equal(out.data[0], [[1, 0, 0], [0, 0, 1]])
    assert F.one_hot(_idx([1]), num_classes=4).shape == (1, 4)
    assert F.one_hot(_idx(np.zeros(0, np.int64)), num_classes=3).shape == (0, 3)


# ---------------------------------------------------------------------------
# PyTorch edge-case parity that the registry cannot express
# ---------------------------------------------------------------------------
def test_cosine_similarity_clamps_each_norm_like_torch():
    torch = pytest.importorskip("torch")
    x1 = np.array([[1e-9, 2e-9, 0.0], [0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], np.float64)
    x2 = np.array([[1.0, 0.5, 0.3], [1.0, 0.5, 0.3], [-1.0, 0.5, 2.0]], np.float64)
    a, b = _t(x1, True, np.float64), _t(x2, True, np.float64)
    out = F.cosine_similarity(a, b)
    out.backward(gn.tensor(np.array([1.0, 2.0, 3.0])).double())
    ta = torch.tensor(x1, requires_grad=True)
    tb = torch.tensor(x2, requires_grad=True)
    tout = torch.nn.functional.cosine_similarity(ta, tb)
    tout.backward(torch.tensor([1.0, 2.0, 3.0], dtype=torch.float64))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-10, atol=1e-12)


def test_pairwise_distance_identical_inputs_have_finite_gradient():
    torch = pytest.importorskip("torch")
    x = np.ones((2, 3))
    for p in (2.0, 1.0, 3.0, float("inf")):
        a, b = _t(x, True), _t(x, True)
        F.pairwise_distance(a, b, p=p).sum().backward()
        ta, tb = (torch.tensor(x, dtype=torch.float32, requires_grad=True) for _ in range(2))
        torch.nn.functional.pairwise_distance(ta, tb, p=p).sum().backward()
        np.testing.assert_allclose(a.grad.data, ta.grad.numpy(), rtol=1e-5)
        np.testing.assert_allclose(b.grad.data, tb.grad.numpy(), rtol=1e-5)


def test_mse_with_float64_target_promotes_like_torch():
    out = F.mse_loss(_t([1.0, 2.0]), _t([0.0, 0.0], dtype=np.float64))
    assert out.dtype == np.float64
    assert F.mse_loss(_t([1.0, 2.0]), _idx([0, 0])).dtype == np.float32


def test_broadcast_target_warns():
    with pytest.warns(UserWarning, match="mse_loss: using a target size"):
        F.mse_loss(gn.zeros(3, 4), gn.zeros(4))


def test_legacy_size_average_and_reduce():
    x, t = _t([1.0, 3.0]), _t([0.0, 0.0])
    with pytest.warns(DeprecationWarning):
        assert F.mse_loss(x, t, size_average=False).item() == pytest.approx(10.0)
    with pytest.warns(DeprecationWarning):
        assert F.mse_loss(x, t, reduce=False).shape == (2,)


def test_no_graph_under_no_grad():
    x = _t(np.zeros((2, 3)), grad=True)
    with gn.no_grad():
        out = F.cross_entropy(x, _idx([0, 1]))
    assert not out.requires_grad


# ---------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------
def test_cross_entropy_target_errors():
    x = gn.zeros(3, 4)
    msg = ("cross_entropy: target must be int64 class indices of shape (N,) or "
           "probabilities of shape (N, C), got float32 (3, 5)")
    with pytest.raises(ValueError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        F.cross_entropy(x, gn.zeros(3, 5))
    with pytest.raises(TypeError, match="got int32 \\(3,\\)"):
        F.cross_entropy(x, gn.tensor(np.array([0, 1, 2], np.int32)))
    with pytest.raises(TypeError, match="got float32 \\(3,\\)"):
        F.cross_entropy(x, gn.zeros(3))
    with pytest.raises(ValueError, match="target must be int64 class indices of shape "
                                         "\\(N, d1, ...\\)"):
        F.cross_entropy(gn.zeros(2, 4, 3), _idx([[0, 1], [1, 2]]))
    with pytest.raises(ValueError, match="target class index 7 is out of range \\[0, 4\\)"):
        F.cross_entropy(x, _idx([0, 7, 1]))
    with pytest.raises(ValueError, match="target class index -1 is out of range"):
        F.nll_loss(x, _idx([0, -1, 1]))
    with pytest.raises(ValueError, match="ignore_index is not supported for probability"):
        F.cross_entropy(x, gn.zeros(3, 4), ignore_index=0)
    with pytest.raises(TypeError, match="probability target dtype must be input's dtype"):
        F.cross_entropy(x, gn.zeros(3, 4, dtype=gn.float64))


def test_cross_entropy_argument_errors():
    x, t = gn.zeros(3, 4), _idx([0, 1, 2])
    with pytest.raises(ValueError, match="cross_entropy: reduction must be one of 'none', "
                                         "'mean', 'sum', got 'avg'"):
        F.cross_entropy(x, t, reduction="avg")
    with pytest.raises(ValueError, match="weight must have shape \\(C,\\) = \\(4,\\)"):
        F.cross_entropy(x, t, weight=gn.ones(3))
    with pytest.raises(ValueError, match="label_smoothing must be in \\[0, 1\\], got 1.5"):
        F.cross_entropy(x, t, label_smoothing=1.5)
    with pytest.raises(TypeError, match="cross_entropy: input dtype must be float32 or "
                                        "float64, got int64"):
        F.cross_entropy(_idx([[0, 1]]), _idx([0]))
    with pytest.raises(TypeError, match="cross_entropy: target must be a Tensor"):
        F.cross_entropy(x, [0, 1, 2])


def test_other_loss_errors():
    with pytest.raises(ValueError, match="binary_cross_entropy: target must have the shape "
                                         "of input \\(3, 4\\), got \\(4,\\)"):
        F.binary_cross_entropy(gn.zeros(3, 4), gn.zeros(4))
    with pytest.raises(ValueError, match="input must hold probabilities in \\[0, 1\\]"):
        F.binary_cross_entropy(_t([0.5, 1.5]), _t([0.0, 1.0]))
    with pytest.raises(ValueError, match="pos_weight must broadcast to the input shape"):
        F.binary_cross_entropy_with_logits(gn.zeros(3, 4), gn.zeros(3, 4),
                                           pos_weight=gn.ones(5))
    with pytest.raises(ValueError, match="mse_loss: target must have the shape of input"):
        F.mse_loss(gn.zeros(3, 4), gn.zeros(5))
    with pytest.raises(ValueError, match="mse_loss: weight must have the shape of input"):
        F.mse_loss(gn.zeros(3), gn.zeros(3), weight=gn.ones(1))
    with pytest.raises(ValueError, match="smooth_l1_loss: beta must be >= 0, got -1"):
        F.smooth_l1_loss(gn.zeros(3), gn.zeros(3), beta=-1.0)
    with pytest.raises(ValueError, match="huber_loss: delta must be > 0, got 0"):
        F.huber_loss(gn.zeros(3), gn.zeros(3), delta=0.0)
    with pytest.raises(ValueError, match="kl_div: reduction must be one of 'none', 'mean', "
                                         "'sum', 'batchmean', got 'bad'"):
        F.kl_div(gn.zeros(3), gn.zeros(3), reduction="bad")
    with pytest.raises(ValueError, match="multi_margin_loss: p must be 1 or 2, got 3"):
        F.multi_margin_loss(gn.zeros(3, 4), _idx([0, 1, 2]), p=3)
    with pytest.raises(ValueError, match="multi_margin_loss: target class index 4"):
        F.multi_margin_loss(gn.zeros(3, 4), _idx([0, 4, 2]))
    with pytest.raises(ValueError, match="triplet_margin_loss: anchor, positive and "
                                         "negative must have the same number"):
        F.triplet_margin_loss(gn.zeros(3, 4), gn.zeros(4), gn.zeros(3, 4))
    with pytest.raises(ValueError, match="margin_ranking_loss: input1, input2 and target "
                                         "must have the same number of dimensions"):
        F.margin_ranking_loss(gn.zeros(3), gn.zeros(3), gn.zeros(1, 3))
    with pytest.raises(ValueError, match="cosine_embedding_loss: target must have shape"):
        F.cosine_embedding_loss(gn.zeros(3, 4), gn.zeros(3, 4), _idx([1, 1]))
    with pytest.raises(ValueError, match="cosine_similarity: dim must be in \\[-2, 2\\)"):
        F.cosine_similarity(gn.zeros(3, 4), gn.zeros(3, 4), dim=2)
    with pytest.raises(ValueError, match="pairwise_distance: p must be >= 0"):
        F.pairwise_distance(gn.zeros(3, 4), gn.zeros(3, 4), p=-1)


def test_one_hot_errors():
    with pytest.raises(TypeError, match="one_hot: tensor must hold int64 class indices, "
                                        "got float32"):
        F.one_hot(gn.zeros(3))
    with pytest.raises(ValueError, match="one_hot: class values must be >= 0, got -1"):
        F.one_hot(_idx([-1, 2]))
    with pytest.raises(ValueError, match="class values must be < num_classes=2, got 2"):
        F.one_hot(_idx([1, 2]), num_classes=2)
    with pytest.raises(ValueError, match="cannot infer num_classes from an empty tensor"):
        F.one_hot(_idx(np.zeros(0, np.int64)))
