"""nn.Embedding / F.embedding against torch: init, padding_idx, max_norm (in-place
renormalisation), scale_grad_by_freq, from_pretrained, state_dict, errors. (The float64
gradcheck and float32 parity rows are in glassnet/testing/registry/recurrent.py.)"""
from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

torch = pytest.importorskip("torch", reason="torch is the parity oracle")


def _pair(**kw):
    torch.manual_seed(0)
    t = torch.nn.Embedding(12, 4, **kw)
    g = nn.Embedding(12, 4, **kw)
    g.load_state_dict({"weight": gn.tensor(t.weight.detach().numpy())}, strict=True)
    return g, t


def _fwd_bwd(g, t, idx, seed=0):
    go, to = g(gn.tensor(idx)), t(torch.tensor(idx))
    c = np.random.default_rng(seed).standard_normal(tuple(to.shape)).astype(np.float32)
    (go * gn.tensor(c)).sum().backward()
    (to * torch.tensor(c)).sum().backward()
    return go, to


def test_default_init_is_standard_normal_with_a_zero_padding_row():
    gn.manual_seed(0)
    e = nn.Embedding(1000, 16, padding_idx=-1)
    w = e.weight.detach().numpy()
    assert e.padding_idx == 999 and np.all(w[999] == 0)
    rest = w[:999].ravel()
    assert abs(rest.mean()) < 4 / math.sqrt(rest.size)
    assert abs(rest.std() - 1) < 0.02
    assert repr(e) == repr(torch.nn.Embedding(1000, 16, padding_idx=-1))


@pytest.mark.parametrize("kw", [{}, {"padding_idx": 3}, {"scale_grad_by_freq": True},
                                {"padding_idx": 0, "scale_grad_by_freq": True}])
def test_outputs_and_weight_gradient_match_torch(kw):
    g, t = _pair(**kw)
    idx = np.array([[3, 1, 3, 0], [11, 3, 1, 7], [0, 0, 5, 3]])
    go, to = _fwd_bwd(g, t, idx)
    np.testing.assert_array_equal(go.detach().numpy(), to.detach().numpy())
    np.testing.assert_allclose(g.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-6,
                               atol=1e-6)
    if "padding_idx" in kw:
        assert np.all(g.weight.grad.numpy()[kw["padding_idx"]] == 0)


@pytest.mark.parametrize("kw", [{"max_norm": 1.0}, {"max_norm": 0.7, "norm_type": 1.0},
                                {"max_norm": 1.5, "padding_idx": 2}])
def test_max_norm_renormalises_the_looked_up_rows_in_place_as_torch(kw):
    g, t = _pair(**kw)
    with torch.no_grad():
        t.weight.mul_(3)
    with gn.no_grad():
        g.weight.mul_(3)
    before = g.weight.detach().numpy().copy()
    idx = np.array([[1, 2, 2], [9, 1, 4]])
    go, to = _fwd_bwd(g, t, idx)
    after = g.weight.detach().numpy()
    np.testing.assert_allclose(after, t.weight.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(go.detach().numpy(), to.detach().numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(g.weight.grad.numpy(), t.weight.grad.numpy(), rtol=1e-6)
    untouched = [r for r in range(12) if r not in idx]
    np.testing.assert_array_equal(after[untouched], before[untouched])
    norms = np.linalg.norm(after[np.unique(idx)], ord=kw.get("norm_type", 2.0), axis=1)
    assert np.all(norms <= kw["max_norm"] * (1 + 1e-5))


def test_from_pretrained_freezes_by_default_and_keeps_the_padding_row():
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    e = nn.Embedding.from_pretrained(gn.tensor(w), padding_idx=1)
    assert not e.weight.requires_grad
    np.testing.assert_array_equal(e.weight.numpy(), w)  # the padding row keeps its values
    np.testing.assert_array_equal(e(gn.tensor([1, 3])).numpy(), w[[1, 3]])
    trainable = nn.Embedding.from_pretrained(gn.tensor(w), freeze=False)
    trainable(gn.tensor([[0, 0]])).sum().backward()
    np.testing.assert_array_equal(trainable.weight.grad.numpy()[0], [2.0, 2.0, 2.0])
    assert repr(e) == repr(torch.nn.Embedding.from_pretrained(torch.tensor(w), padding_idx=1))


def test_functional_embedding_matches_torch_for_int32_and_scalar_indices():
    w = np.random.default_rng(0).standard_normal((5, 2)).astype(np.float32)
    for idx in (np.array([4, 0, 4], dtype=np.int32), np.array(3)):
        ours = F.embedding(gn.tensor(idx), gn.tensor(w)).numpy()
        theirs = torch.nn.functional.embedding(torch.tensor(idx), torch.tensor(w)).numpy()
        np.testing.assert_array_equal(ours, theirs)


def test_state_dict_round_trip_and_a_train_step_lowers_the_loss():
    gn.manual_seed(1)
    e = nn.Embedding(6, 3)
    f = nn.Embedding(6, 3)
    f.load_state_dict(e.state_dict())
    np.testing.assert_array_equal(f.weight.detach().numpy(), e.weight.detach().numpy())
    opt = gn.optim.SGD(e.parameters(), lr=0.5)
    idx, target = gn.tensor([0, 2, 2, 5]), gn.zeros(4, 3)
    losses = []
    for _ in range(5):
        loss = F.mse_loss(e(idx), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    assert losses[-1] < 0.5 * losses[0]
    np.testing.assert_array_equal(e.weight.detach().numpy()[[1, 3, 4]],
                                  f.weight.detach().numpy()[[1, 3, 4]])  # unused rows


def test_errors_name_the_function_argument_and_values():
    w = gn.zeros(4, 2)
    with pytest.raises(TypeError, match="embedding: input must be an integer tensor"):
        F.embedding(gn.zeros(3), w)
    with pytest.raises(ValueError, match=r"embedding: input indices must be in \[0, 4\) "
                                         r"\(num_embeddings\), got 4"):
        F.embedding(gn.tensor([0, 4]), w)
    with pytest.raises(ValueError, match="embedding: weight must have shape"):
        F.embedding(gn.tensor([0]), gn.zeros(4))
    with pytest.raises(ValueError, match="sparse=True is not supported"):
        nn.Embedding(4, 2, sparse=True)
    with pytest.raises(ValueError, match=r"padding_idx must be within num_embeddings \(4\), "
                                         r"got 4"):
        nn.Embedding(4, 2, padding_idx=4)
    with pytest.raises(ValueError, match="max_norm must be a positive number"):
        F.embedding(gn.tensor([0]), w, max_norm=-1.0)
