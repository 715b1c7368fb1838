"""The autograd engine: accumulation, deep graphs, retain_graph, hooks, grad mode, errors."""
from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd import Function, sum_to


def test_deep_chain_of_10000_ops_backpropagates_without_recursion():
    x = gn.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(10_000):
        y = y * 1.0001
    y.backward()
    assert np.isclose(x.grad.item(), 1.0001 ** 10_000, rtol=1e-3)


def test_graph_used_twice_accumulates_like_torch():
    torch = pytest.importorskip("torch")
    a = np.array([0.5, -1.0, 2.0], dtype=np.float32)
    x = gn.tensor(a, requires_grad=True)
    y = x * x
    z = (y * 3 + y.exp()).sum()
    z.backward()
    tx = torch.tensor(a, requires_grad=True)
    ty = tx * tx
    (ty * 3 + ty.exp()).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-6)
    # a second backward on a new graph accumulates into .grad
    (x * 2).sum().backward()
    (tx * 2).sum().backward()
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-6)


def test_retain_graph_allows_second_backward_and_accumulates():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = (x ** 2).sum()
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(x.grad.data, [4.0, 8.0])


def test_backward_twice_through_freed_graph_raises():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


def test_backward_on_non_scalar_requires_gradient():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="only for scalar outputs"):
        (x * 2).backward()
    (x * 2).backward(gn.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.data, [2.0, 20.0])


def test_inplace_change_of_saved_tensor_is_detected():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0  # non-leaf
    z = (y * y).sum()  # saves y
    with gn.no_grad():
        y[0] = 5.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        z.backward()


def test_inplace_on_leaf_requiring_grad_raises():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable"):
        x[0] = 3.0
    with gn.no_grad():
        x[0] = 3.0
    assert x.data[0] == 3.0


def test_no_grad_and_enable_grad_as_context_and_decorator():
    x = gn.tensor([1.0], requires_grad=True)
    with gn.no_grad():
        assert not (x * 2).requires_grad
        with gn.enable_grad():
            assert (x * 2).requires_grad
    assert gn.is_grad_enabled()

    @gn.no_grad()
    def f(t):
        return t * 2

    @gn.no_grad
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert gn.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ValueError):
        with gn.no_grad():
            raise ValueError("boom")
    assert gn.is_grad_enabled()


def test_detach_and_leaf_flags():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert x.is_leaf and not y.is_leaf and y.grad_fn is not None
    d = y.detach()
    assert d.is_leaf and not d.requires_grad and d._data is y._data
    assert "grad_fn=<MulBackward>" in repr(y)


def test_non_leaf_grad_is_not_kept_unless_retain_grad():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    z = x * 4
    (y.sum() + z.sum()).backward()
    np.testing.assert_allclose(y.grad.data, [1.0, 1.0])
    assert z.grad is None


def test_tensor_hook_modifies_gradient():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    h = y.register_hook(lambda g: g * 10)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [20.0, 20.0])
    h.remove()
    x.grad = None
    y = x * 2
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, [2.0, 2.0])


def test_engine_checks_gradient_shapes():
    class Bad(Function):
        def forward(self, a):
            return a * 2

        def backward(self, g):
            return g.sum(keepdims=True)

    x = gn.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="gradient of shape"):
        Bad.apply(x).sum().backward()


def test_sum_to_reduces_broadcast_dims():
    g = np.ones((2, 3, 4))
    assert sum_to(g, (3, 1)).shape == (3, 1)
    assert sum_to(g, (3, 1))[0, 0] == 8
    assert sum_to(g, ()).item() == 24
    with pytest.raises(RuntimeError):
        sum_to(g, (5,))


def test_gradient_only_flows_to_inputs_that_require_it():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    c = gn.tensor([3.0, 4.0])
    (x * c).sum().backward()
    assert c.grad is None
    np.testing.assert_allclose(x.grad.data, [3.0, 4.0])


def test_float32_stays_float32_through_graph():
    x = gn.randn(3, 4, requires_grad=True)
    y = ((x * 2.5 + 1) ** 2).mean()
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_repeated_integer_index_gradient_accumulates():
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[np.array([0, 0, 2, 0])].sum().backward()
    np.testing.assert_allclose(x.grad.data, [3.0, 0.0, 1.0])


def test_inplace_change_of_saved_output_is_detected():
    x = gn.tensor([0.5, -1.0], requires_grad=True)
    y = x.exp()  # saves its output
    with gn.no_grad():
        y[0] = 0.0
    with pytest.raises(RuntimeError, match="output of ExpBackward"):
        y.sum().backward()


def test_inference_mode_as_context_and_decorator():
    x = gn.tensor([1.0], requires_grad=True)
    with gn.inference_mode():
        assert not (x * 2).requires_grad
    with gn.no_grad():
        with gn.inference_mode(False):  # a no-op: does not re-enable grad
            assert not gn.is_grad_enabled()

    @gn.inference_mode()
    def f(t):
        return t * 2

    @gn.inference_mode
    def g(t):
        return t * 2

    assert not f(x).requires_grad and not g(x).requires_grad
    assert gn.is_grad_enabled()


def test_augmented_assignment_under_no_grad_updates_the_leaf_in_place():
    # "Learning PyTorch with Examples": w -= lr * w.grad inside no_grad.
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    alias = w
    with gn.no_grad():
        w -= 0.25 * w.grad
        w *= 2
    assert w is alias and w.is_leaf and w.requires_grad
    np.testing.assert_allclose(w.data, [1.0, 2.0])
    with pytest.raises(RuntimeError, match="leaf Variable"):
        w += 1


def test_augmented_assignment_in_graph_records_out_of_place():
    # torchvision's ResNet: out += identity, on tensors inside the graph.
    x = gn.tensor([1.0, -2.0], requires_grad=True)
    out = x * 3
    out += x
    out *= x
    out.sum().backward()
    np.testing.assert_allclose(x.grad.data, 8 * x.data)  # d(4x * x)/dx
    acc = gn.zeros(2)
    acc += x  # a plain tensor accumulating a graph tensor joins the graph
    assert acc.requires_grad


def test_first_gradient_is_taken_when_unshared_and_copied_when_shared():
    """AccumulateGrad keeps an unshared first gradient as it is (no copy), and copies
    one that another leaf, a view or the caller also holds."""
    import numpy as np

    from glassnet import _engine

    a = gn.ones(4, requires_grad=True)
    b = gn.ones(4, requires_grad=True)
    (a + b).sum().backward()  # Add's backward sends one array to both leaves
    a.grad._data[0] = 7.0
    assert b.grad.tolist() == [1.0] * 4 and not np.shares_memory(a.grad._data, b.grad._data)

    user = gn.tensor([1.0, 2.0, 3.0])
    y = gn.ones(3, requires_grad=True)
    (y * 1).backward(user)
    y.grad._data[0] = 9.0
    assert user.tolist() == [1.0, 2.0, 3.0]

    seen = []
    w = gn.ones(5, requires_grad=True)
    w.register_hook(lambda g: seen.append(g) or g)  # the hook keeps a reference
    (w * 3).sum().backward()
    assert not np.shares_memory(w.grad._data, seen[0]._data)
    w.grad._data[:] = 0
    assert seen[0].tolist() == [3.0] * 5

    import weakref

    v = gn.ones(3, requires_grad=True)
    pending = {0: np.full(3, 2.0)}
    ref = weakref.ref(pending[0])
    _engine._accumulate(v, pending.pop(0))  # an array nothing else holds: taken
    assert ref() is not None and v.grad._data is ref()
    kept = np.full(3, 2.0)
    u = gn.ones(3, requires_grad=True)
    _engine._accumulate(u, kept)  # held by this test: copied
    kept[0] = 5.0
    assert u.grad.tolist() == [2.0] * 3 and v.grad.tolist() == [2.0] * 3
