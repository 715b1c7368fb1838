"""torch functions that glassnet composes from other ops (glassnet/ops/composite.py) and
the in-place / with-indices forms of nn.functional: values and gradients against torch."""
import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


def _pair(shape, seed=0, requires_grad=True):
    x = np.random.default_rng(seed).standard_normal(shape).astype(np.float32)
    return (torch.tensor(x, requires_grad=requires_grad),
            gn.tensor(x, requires_grad=requires_grad))


def _check(fn, *shapes):
    pairs = [_pair(s, seed=i) for i, s in enumerate(shapes)]
    outs = [fn(torch, *[p[0] for p in pairs]), fn(gn, *[p[1] for p in pairs])]
    for o in outs:
        (o * o).sum().backward()
    np.testing.assert_allclose(outs[1].detach().numpy(), outs[0].detach().numpy(), rtol=1e-5,
                               atol=1e-5)
    for t, g in pairs:
        if t.grad is None:
            assert g.grad is None or not g.grad.numpy().any()
        else:
            np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-5)


CASES = {
    "moveaxis": (lambda m, x: x.moveaxis(0, 2) + m.moveaxis(x, 1, 0).sum(), (2, 3, 4)),
    "swapdims": (lambda m, x: m.swapdims(x, 0, 1), (3, 1, 2)),
    "ravel": (lambda m, x: x.ravel() * 2, (2, 3)),
    "fliplr": (lambda m, x: m.fliplr(x) * m.arange(4.0), (3, 4)),
    "flipud": (lambda m, x: x.flipud() * m.arange(3.0)[:, None], (3, 4)),
    "select": (lambda m, x: x.select(1, -1) * 3, (2, 5, 3)),
    "det": (lambda m, x: m.det(x + 3 * m.eye(3)), (2, 3, 3)),
    "inverse": (lambda m, x: (x + 3 * m.eye(3)).inverse(), (3, 3)),
    "slogdet": (lambda m, x: m.slogdet(x + 3 * m.eye(2))[1], (4, 2, 2)),
    "index_add": (lambda m, x, s: x.index_add(1, m.tensor([0, 2, 0]), s, alpha=2), (3, 4),
                  (3, 3)),
    "index_copy": (lambda m, x, s: x.index_copy(0, m.tensor([2, 0]), s), (3, 4), (2, 4)),
    "index_fill": (lambda m, x: x.index_fill(1, m.tensor([1, 3]), -1.5), (2, 4)),
    "scatter": (lambda m, x, s: x.scatter(1, m.tensor([[2], [0], [3]]), s), (3, 4), (3, 1)),
    "index_add_": (lambda m, x, s: (x * 1).index_add_(0, m.tensor([1, 1]), s), (3, 2), (2, 2)),
    "F.relu_": (lambda m, x: m.nn.functional.relu_(x * 1), (3, 4)),
    "F.leaky_relu_": (lambda m, x: m.nn.functional.leaky_relu_(x * 1, 0.2), (3, 4)),
    "F.elu_": (lambda m, x: m.nn.functional.elu_(x * 1), (5,)),
    "F.hardtanh_": (lambda m, x: m.nn.functional.hardtanh_(x * 2, -1.0, 0.5), (5,)),
    "max_pool2d_with_indices": (
        lambda m, x: m.nn.functional.max_pool2d_with_indices(x, 2)[0], (1, 2, 4, 5)),
    "adaptive_max_pool1d_with_indices": (
        lambda m, x: m.nn.functional.adaptive_max_pool1d_with_indices(x, 3)[0], (2, 7)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_composite_op_matches_torch_values_and_gradients(name):
    fn, *shapes = CASES[name]
    _check(fn, *shapes)


def test_argwhere_matches_torch():
    x = np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]], np.float32)
    np.testing.assert_array_equal(gn.argwhere(gn.tensor(x)).numpy(),
                                  torch.argwhere(torch.tensor(x)).numpy())


def test_with_indices_returns_torchs_indices():
    t, g = _pair((1, 3, 5, 6), requires_grad=False)
    np.testing.assert_array_equal(
        gn.nn.functional.max_pool2d_with_indices(g, 2, 2)[1].numpy(),
        torch.nn.functional.max_pool2d_with_indices(t, 2, 2)[1].numpy())


def test_composite_errors_name_the_function():
    with pytest.raises(ValueError, match="fliplr: input must be at least 2-D"):
        gn.fliplr(gn.zeros(3))
    with pytest.raises(TypeError, match="index_add: index must be a 1-D integer tensor"):
        gn.zeros(3).index_add(0, gn.tensor([0.5]), gn.ones(1))
