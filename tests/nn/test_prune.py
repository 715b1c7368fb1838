"""glassnet.nn.utils.prune against torch.nn.utils.prune on the same (tie-free) weights:
identical masks for the deterministic methods, equal counts for the random ones, the same
state_dict keys, iterative pruning, remove, and masks surviving save/load and retraining."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.nn import functional as F
from glassnet.nn.utils import prune

torch = pytest.importorskip("torch")
tprune = pytest.importorskip("torch.nn.utils.prune")


def _pair_linear(rng, in_f=7, out_f=5):
    # tie-free magnitudes: a permutation of distinct values with random signs
    w = (rng.permutation(in_f * out_f) + 1.0).reshape(out_f, in_f) / (in_f * out_f)
    w *= rng.choice([-1.0, 1.0], size=w.shape)
    b = rng.standard_normal(out_f)
    g = nn.Linear(in_f, out_f)
    g.weight._data[...] = w
    g.bias._data[...] = b
    t = torch.nn.Linear(in_f, out_f)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w))
        t.bias.copy_(torch.tensor(b))
    return g, t


def _pair_conv(rng, cin=3, cout=6, k=3):
    n = cout * cin * k * k
    w = ((rng.permutation(n) + 1.0) / n * rng.choice([-1.0, 1.0], size=n)).reshape(
        cout, cin, k, k)
    g = nn.Conv2d(cin, cout, k)
    g.weight._data[...] = w
    t = torch.nn.Conv2d(cin, cout, k)
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w))
        t.bias.copy_(torch.tensor(g.bias.detach().numpy()))
    return g, t


def _mask(m, name="weight"):
    buf = getattr(m, name + "_mask")
    return buf.detach().numpy() if isinstance(buf, gn.Tensor) else buf.detach().numpy()


@pytest.mark.parametrize("amount", [0.3, 0.5, 7, 0.9, 0.0])
def test_l1_unstructured_mask_equals_torch(amount):
    rng = np.random.default_rng(0)
    g, t = _pair_linear(rng)
    prune.l1_unstructured(g, "weight", amount)
    tprune.l1_unstructured(t, "weight", amount)
    np.testing.assert_array_equal(_mask(g), _mask(t))
    np.testing.assert_allclose(g.weight.detach().numpy(), t.weight.detach().numpy(), atol=1e-7)
    assert list(g.state_dict()) == list(t.state_dict())


def test_rounding_of_the_amount_is_half_to_even_as_torch():
    # 0.5 * 5 = 2.5 -> 2 entries (Python's round), 0.7 * 5 = 3.5 -> 4
    for amount, expect in ((0.5, 2), (0.7, 4)):
        g = nn.Linear(5, 1)
        g.weight._data[...] = np.arange(1.0, 6.0)
        prune.l1_unstructured(g, "weight", amount)
        assert int((g.weight_mask.detach().numpy() == 0).sum()) == expect
        t = torch.nn.Linear(5, 1)
        with torch.no_grad():
            t.weight.copy_(torch.arange(1.0, 6.0)[None])
        tprune.l1_unstructured(t, "weight", amount)
        np.testing.assert_array_equal(_mask(g), _mask(t))


@pytest.mark.parametrize("n,dim,amount", [(1, 0, 0.5), (2, 1, 2), (2, 0, 0.34),
                                          (float("inf"), -1, 0.5), (3, 0, 1)])
def test_ln_structured_mask_equals_torch(n, dim, amount):
    rng = np.random.default_rng(1)
    g, t = _pair_conv(rng)
    prune.ln_structured(g, "weight", amount, n=n, dim=dim)
    tprune.ln_structured(t, "weight", amount, n=n, dim=dim)
    np.testing.assert_array_equal(_mask(g), _mask(t))


def test_random_methods_prune_the_same_amounts_as_torch():
    rng = np.random.default_rng(2)
    g, t = _pair_conv(rng, cout=8)
    gn.manual_seed(0)
    prune.random_unstructured(g, "weight", 0.35)
    tprune.random_unstructured(t, "weight", 0.35)
    assert (_mask(g) == 0).sum() == (_mask(t) == 0).sum() == round(0.35 * g.weight.numel())
    g2, t2 = _pair_conv(rng, cout=8)
    prune.random_structured(g2, "weight", 0.25, dim=0)
    tprune.random_structured(t2, "weight", 0.25, dim=0)
    kept_g = _mask(g2).reshape(8, -1).max(1)
    kept_t = _mask(t2).reshape(8, -1).max(1)
    assert kept_g.sum() == kept_t.sum() == 6
    # whole channels: every filter is all ones or all zeros
    per = _mask(g2).reshape(8, -1)
    assert set(per.min(1)) | set(per.max(1)) <= {0.0, 1.0}
    np.testing.assert_array_equal(per.min(1), per.max(1))


def test_random_unstructured_is_reproducible_with_manual_seed():
    masks = []
    for _ in range(2):
        gn.manual_seed(123)
        m = prune.random_unstructured(nn.Linear(10, 10), "weight", 0.4)
        masks.append(m.weight_mask.detach().numpy().copy())
    np.testing.assert_array_equal(masks[0], masks[1])


def test_iterative_pruning_container_equals_torch():
    rng = np.random.default_rng(3)
    g, t = _pair_conv(rng, cout=6)
    steps = [("l1", 0.3), ("ln", 0.34), ("l1", 0.5), ("l1", 5)]
    for kind, amount in steps:
        if kind == "l1":
            prune.l1_unstructured(g, "weight", amount)
            tprune.l1_unstructured(t, "weight", amount)
        else:
            prune.ln_structured(g, "weight", amount, n=1, dim=0)
            tprune.ln_structured(t, "weight", amount, n=1, dim=0)
        np.testing.assert_array_equal(_mask(g), _mask(t))
    hooks = [h for h in g._forward_pre_hooks.values()
             if isinstance(h, prune.BasePruningMethod)]
    assert len(hooks) == 1 and isinstance(hooks[0], prune.PruningContainer)
    assert len(hooks[0]) == len(steps)


def test_global_unstructured_equals_torch():
    rng = np.random.default_rng(4)
    g1, t1 = _pair_linear(rng, 6, 4)
    g2, t2 = _pair_conv(rng)
    # distinct magnitudes across both tensors: rescale the second
    g2.weight._data *= 1.37
    with torch.no_grad():
        t2.weight.mul_(1.37)
    prune.l1_unstructured(g1, "weight", 0.2)  # an existing mask is respected
    tprune.l1_unstructured(t1, "weight", 0.2)
    prune.global_unstructured([(g1, "weight"), (g2, "weight")], prune.L1Unstructured,
                              amount=0.6)
    tprune.global_unstructured([(t1, "weight"), (t2, "weight")], tprune.L1Unstructured,
                               amount=0.6)
    np.testing.assert_array_equal(_mask(g1), _mask(t1))
    np.testing.assert_array_equal(_mask(g2), _mask(t2))
    with pytest.raises(TypeError, match="unstructured"):
        prune.global_unstructured([(g1, "weight")], prune.LnStructured, amount=0.1, n=1,
                                  dim=0)


def test_importance_scores_and_custom_from_mask_equal_torch():
    rng = np.random.default_rng(5)
    g, t = _pair_linear(rng)
    scores = rng.permutation(35).reshape(5, 7).astype(np.float64)
    prune.l1_unstructured(g, "weight", 0.4, importance_scores=gn.tensor(scores))
    tprune.l1_unstructured(t, "weight", 0.4, importance_scores=torch.tensor(scores))
    np.testing.assert_array_equal(_mask(g), _mask(t))
    mask = (rng.random((5, 7)) > 0.5).astype(np.float32)
    prune.custom_from_mask(g, "weight", gn.tensor(mask))
    tprune.custom_from_mask(t, "weight", torch.tensor(mask))
    np.testing.assert_array_equal(_mask(g), _mask(t))


def test_remove_makes_pruning_permanent_as_torch():
    rng = np.random.default_rng(6)
    g, t = _pair_linear(rng)
    w_orig = g.weight  # the Parameter object survives as weight_orig, then weight again
    prune.l1_unstructured(g, "weight", 0.5)
    tprune.l1_unstructured(t, "weight", 0.5)
    assert g.weight_orig is w_orig
    assert prune.is_pruned(g) and not prune.is_pruned(nn.Linear(2, 2))
    prune.remove(g, "weight")
    tprune.remove(t, "weight")
    assert not prune.is_pruned(g)
    assert isinstance(g.weight, nn.Parameter) and g.weight is w_orig
    assert list(g.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    np.testing.assert_allclose(g.weight.detach().numpy(), t.weight.detach().numpy(), atol=1e-7)
    with pytest.raises(ValueError, match="has to be pruned"):
        prune.remove(g, "weight")


def test_invalid_amounts_raise_like_torch():
    with pytest.raises(ValueError, match="amount=1.5"):
        prune.l1_unstructured(nn.Linear(3, 3), "weight", 1.5)
    with pytest.raises(ValueError, match="amount=-1"):
        prune.l1_unstructured(nn.Linear(3, 3), "weight", -1)
    with pytest.raises(TypeError, match="amount"):
        prune.l1_unstructured(nn.Linear(3, 3), "weight", "half")
    m = nn.Linear(3, 3)
    with pytest.raises(ValueError, match="smaller than"):
        prune.l1_unstructured(m, "weight", 10)
    # a failed pruning restores the parameter (re-registered last, as torch does)
    t = torch.nn.Linear(3, 3)
    with pytest.raises(ValueError):
        tprune.l1_unstructured(t, "weight", 10)
    assert list(m.state_dict()) == list(t.state_dict()) == ["bias", "weight"]
    assert not prune.is_pruned(m) and isinstance(m.weight, nn.Parameter)
    with pytest.raises(ValueError, match="multidimensional"):
        prune.ln_structured(nn.Linear(3, 3), "bias", 0.5, n=1, dim=0)


def test_forward_pre_hook_applies_the_mask_and_retraining_keeps_zeros():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))
    prune.l1_unstructured(model[0], "weight", 0.75)
    mask = model[0].weight_mask.detach().numpy().copy()
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.standard_normal((32, 8)).astype(np.float32))
    y = gn.tensor(rng.integers(0, 3, 32))
    losses = []
    for _ in range(20):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.8 * losses[0]
    # the gradient reaching weight_orig is zero where the mask is zero
    np.testing.assert_array_equal(model[0].weight_orig.grad.detach().numpy()[mask == 0], 0.0)
    model(x)  # the pre-hook recomputes weight from the trained weight_orig
    np.testing.assert_array_equal(model[0].weight.detach().numpy()[mask == 0], 0.0)
    np.testing.assert_array_equal(model[0].weight_mask.detach().numpy(), mask)
    expect = model[0].weight_orig.detach().numpy() * mask
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), expect)


def test_masks_survive_save_and_load(tmp_path):
    gn.manual_seed(1)
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 9, 2))
    prune.l1_unstructured(model[0], "weight", 0.5)
    prune.ln_structured(model[3], "weight", 0.5, n=2, dim=0)
    path = tmp_path / "pruned.safetensors"
    gn.save(model.state_dict(), path)
    fresh = nn.Sequential(nn.Conv2d(1, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 9, 2))
    with pytest.raises(ValueError, match="weight_orig"):
        fresh.load_state_dict(gn.load(path))
    prune.identity(fresh[0], "weight")
    prune.identity(fresh[3], "weight")
    fresh.load_state_dict(gn.load(path))
    x = gn.randn(2, 1, 5, 5)
    np.testing.assert_array_equal(_mask(fresh[0]), _mask(model[0]))
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())
    # and torch reads the same file into a torch model pruned the same way
    st = pytest.importorskip("safetensors.torch")
    sd = st.load_file(str(path))
    tmodel = torch.nn.Sequential(torch.nn.Conv2d(1, 4, 3), torch.nn.ReLU(), torch.nn.Flatten(),
                                 torch.nn.Linear(36, 2))
    tprune.identity(tmodel[0], "weight")
    tprune.identity(tmodel[3], "weight")
    tmodel.load_state_dict(sd)
    out = tmodel(torch.tensor(x.detach().numpy())).detach().numpy()
    np.testing.assert_allclose(out, model(x).detach().numpy(), rtol=1e-5, atol=1e-6)


def test_a_whole_pruned_module_saved_and_loaded_keeps_its_pruning(tmp_path):
    """glassnet.save(model) stores weight_orig and weight_mask; load rebuilds the hook
    (torch pickles it), so the loaded model computes with the masked weight, is_pruned,
    and training keeps the pruned entries at zero."""
    import glassnet
    from glassnet import nn
    from glassnet.nn.utils import prune

    glassnet.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 5), nn.ReLU(), nn.Linear(5, 3))
    prune.l1_unstructured(model[0], "weight", amount=0.6)
    x = glassnet.randn(4, 6)
    want = model(x).detach().numpy()
    path = tmp_path / "pruned.safetensors"
    glassnet.save(model, path)
    back = glassnet.load(path)
    assert prune.is_pruned(back)
    np.testing.assert_array_equal(back[0].weight_mask.numpy(), model[0].weight_mask.numpy())
    np.testing.assert_allclose(back(x).detach().numpy(), want, rtol=1e-6, atol=1e-7)
    opt = glassnet.optim.SGD(back.parameters(), lr=0.5)
    for _ in range(3):
        opt.zero_grad()
        back(x).sum().backward()
        opt.step()
    back(x)  # the pre-hook recomputes weight = weight_orig * weight_mask
    w = back[0].weight.detach().numpy()
    assert (w[back[0].weight_mask.numpy() == 0] == 0).all()
    assert "weight_orig" in dict(back[0].named_parameters())
