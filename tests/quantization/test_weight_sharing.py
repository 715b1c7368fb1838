"""k-means weight sharing: Lloyd fixed point for every init, the paper's init rules,
pruned zeros stay zero, centroid gradients are the summed gradients of each cluster (vs
torch autograd), fine-tuning keeps the sharing, and state_dict round trips."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn, optim
from glassnet.nn import functional as F
from glassnet.nn.utils import prune
from glassnet.quantization.weight_sharing import (
    apply_weight_sharing, is_weight_shared, kmeans_1d, remove_weight_sharing, shared_weight,
)


@pytest.mark.parametrize("init", ["linear", "density", "random"])
def test_kmeans_reaches_a_lloyd_fixed_point(init):
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.normal(-1, 0.2, 300), rng.normal(0.5, 0.1, 500),
                        rng.normal(2, 0.3, 37)])
    c, lab = kmeans_1d(v, 8, init=init, generator=np.random.default_rng(1), max_iter=300)
    assert c.shape == (8,) and np.all(np.diff(c) >= 0)
    # every value is assigned to its nearest centroid
    nearest = np.abs(v[:, None] - c[None]).argmin(1)
    np.testing.assert_array_equal(np.abs(v - c[lab]), np.abs(v - c[nearest]))
    # every non-empty centroid is the mean of its cluster
    for k in np.unique(lab):
        np.testing.assert_allclose(c[k], v[lab == k].mean(), rtol=1e-9, atol=1e-12)


def test_initialisations_follow_the_paper():
    rng = np.random.default_rng(2)
    v = rng.standard_normal(1000)
    lin, _ = kmeans_1d(v, 4, init="linear", max_iter=0)
    np.testing.assert_allclose(lin, np.linspace(v.min(), v.max(), 4))
    dens, _ = kmeans_1d(v, 4, init="density", max_iter=0)
    np.testing.assert_allclose(dens, np.quantile(v, [0.125, 0.375, 0.625, 0.875]))
    rnd, _ = kmeans_1d(v, 4, init="random", max_iter=0, generator=np.random.default_rng(3))
    assert set(rnd.tolist()) <= set(v.tolist())
    with pytest.raises(ValueError, match="init"):
        kmeans_1d(v, 4, init="kmeans++")


def test_shared_weight_gradient_sums_each_cluster_as_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(4)
    c = rng.standard_normal(5)
    lab = rng.integers(-1, 5, (6, 7))
    g = rng.standard_normal((6, 7))
    cg = gn.tensor(c, requires_grad=True)
    out = shared_weight(cg, gn.from_numpy(lab))
    out.backward(gn.tensor(g))
    ct = torch.tensor(c, requires_grad=True)
    lt = torch.tensor(lab)
    tout = torch.where(lt >= 0, ct[lt.clamp(min=0)], torch.zeros((), dtype=ct.dtype))
    tout.backward(torch.tensor(g))
    np.testing.assert_allclose(out.detach().numpy(), tout.detach().numpy())
    np.testing.assert_allclose(cg.grad.numpy(), ct.grad.numpy(), rtol=1e-12)
    expect = [g[lab == k].sum() for k in range(5)]
    np.testing.assert_allclose(cg.grad.numpy(), expect, rtol=1e-12)
    with pytest.raises(ValueError, match="labels must lie"):
        shared_weight(cg, gn.from_numpy(np.array([5])))
    with pytest.raises(TypeError, match="integer"):
        shared_weight(cg, gn.tensor([0.0]))


def test_apply_weight_sharing_keeps_pruned_zeros_and_fine_tunes_centroids(tmp_path):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(12, 20), nn.ReLU(), nn.Linear(20, 3))
    prune.l1_unstructured(model[0], "weight", 0.6)
    zeros = model[0].weight.detach().numpy() == 0
    apply_weight_sharing(model[0], bits=3)
    assert is_weight_shared(model[0]) and not prune.is_pruned(model)
    assert list(model[0].state_dict()) == ["bias", "weight_centroids", "weight_labels"]
    w = model[0].weight.detach().numpy()
    np.testing.assert_array_equal(w[zeros], 0)
    assert np.unique(w[~zeros]).size <= 7  # 2**3 - 1 shared values (+ the zero)
    rng = np.random.default_rng(0)
    x = gn.tensor(rng.standard_normal((40, 12)).astype(np.float32))
    y = gn.tensor(rng.integers(0, 3, 40))
    before = model[0].weight_centroids.detach().numpy().copy()
    opt = optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(15):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0]
    after = model[0].weight_centroids.detach().numpy()
    assert not np.array_equal(before, after)
    model(x)
    w2 = model[0].weight.detach().numpy()
    lab = model[0].weight_labels.numpy()
    np.testing.assert_array_equal(w2[zeros], 0)
    np.testing.assert_array_equal(w2[lab >= 0], after[lab[lab >= 0]])
    # save / load into a model shared the same way
    gn.save(model.state_dict(), tmp_path / "shared.safetensors")
    fresh = nn.Sequential(nn.Linear(12, 20), nn.ReLU(), nn.Linear(20, 3))
    apply_weight_sharing(fresh[0], bits=3)
    fresh.load_state_dict(gn.load(tmp_path / "shared.safetensors"))
    np.testing.assert_array_equal(fresh(x).detach().numpy(), model(x).detach().numpy())
    remove_weight_sharing(model[0])
    assert isinstance(model[0].weight, nn.Parameter)
    np.testing.assert_array_equal(model[0].weight.detach().numpy(), w2)
    with pytest.raises(ValueError, match="not weight-shared"):
        remove_weight_sharing(model[0])
    with pytest.raises(ValueError, match="bits"):
        apply_weight_sharing(model[0], bits=0)
