"""In-place ops, views and grad mode with torch's semantics, checked against torch.

Each program is written once against a library ``lib`` (torch or glassnet) and run
with both; values and gradients must agree.
"""
import threading

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


def _np(t):
    return None if t is None else t.detach().numpy()


def _both(program):
    """Run ``program(lib)`` with torch and glassnet; return (torch result, ours)."""
    return program(torch), program(gn)


def _assert_same(ref, ours):
    assert len(ref) == len(ours)
    for r, o in zip(ref, ours):
        if isinstance(r, (torch.Tensor, gn.Tensor)) or isinstance(o, (torch.Tensor, gn.Tensor)):
            np.testing.assert_allclose(_np(o), _np(r), rtol=1e-6, atol=1e-6)
        else:
            assert o == r


# ---------------------------------------------------------------------------
# In-place ops on non-leaf tensors are recorded
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["mul_", "add_", "sub_", "div_", "clamp_", "exp_", "sigmoid_",
                                "tanh_", "relu_", "pow_", "masked_fill_", "copy_", "fill_",
                                "zero_", "abs_", "neg_", "sqrt_"])
def test_inplace_op_on_a_non_leaf_is_recorded_like_torch(op):
    def program(lib):
        x = lib.tensor([[0.5, -1.5, 2.0], [1.0, 3.0, -0.25]], requires_grad=True)
        w = lib.tensor([[2.0, 0.5, -1.0], [1.5, -2.0, 0.75]], requires_grad=True)
        y = x * 1.5 + 0.25
        if op == "sqrt_":
            y = y * y + 0.1
        args = {"mul_": (w,), "add_": (w,), "sub_": (w,), "div_": (w,),
                "clamp_": (-0.5, 1.0), "pow_": (2,),
                "masked_fill_": (lib.tensor([[True, False, True], [False, False, True]]), 0.5),
                "copy_": (w,), "fill_": (2.0,)}.get(op, ())
        out = getattr(y, op)(*args)
        assert out is y
        (y * w).sum().backward()
        return y, x.grad, w.grad

    ref, ours = _both(program)
    _assert_same(ref, ours)


def test_division_of_a_batch_in_place_inside_a_graph():
    # pytorch/examples' fast neural style: batch.div_(255.0) on a tensor in the graph.
    def program(lib):
        x = lib.tensor([[10.0, 200.0], [30.0, 40.0]], requires_grad=True)
        batch = x * 1.0
        batch.div_(255.0)
        (batch ** 2).sum().backward()
        return batch, x.grad

    _assert_same(*_both(program))


def test_augmented_assignment_mutates_the_tensor_seen_through_another_name():
    def program(lib):
        x = lib.tensor([1.0, -2.0, 3.0], requires_grad=True)
        y = x * 3
        alias = y
        y += x
        y *= x
        assert alias is y
        y.sum().backward()
        return alias, x.grad

    _assert_same(*_both(program))


def test_writes_through_views_are_seen_by_autograd():
    # The examples: b[0:2][0] = 100 and b.view(2, 2)[0][0] = 5.
    def program(lib):
        a = lib.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
        b = a * 2
        b[0:2][0] = 100
        b.view(2, 2)[1][1] = 5
        c = b.view(2, 2)
        c[0, 1] *= 3
        (b * b).sum().backward()
        return b, a.grad

    _assert_same(*_both(program))


def test_view_sees_a_write_into_its_base_and_gradients_follow():
    def program(lib):
        x = lib.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], requires_grad=True)
        base = x * 1.0
        v = base[2:5]
        t = base.view(2, 3).t()
        base.mul_(x)  # the base changes; v and t are views of it
        out = (v * lib.tensor([1.0, 10.0, 100.0])).sum() + (t * t).sum()
        out.backward()
        return v, t, x.grad

    _assert_same(*_both(program))


def test_value_requiring_grad_assigned_into_a_plain_tensor():
    def program(lib):
        w = lib.tensor([3.0, -1.0], requires_grad=True)
        buf = lib.zeros(4)
        buf[1:3] = w * 2
        buf[0] = w[0]
        (buf * lib.tensor([1.0, 2.0, 3.0, 4.0])).sum().backward()
        return buf, w.grad, buf.requires_grad, buf.is_leaf

    _assert_same(*_both(program))


def test_advanced_index_assignment_in_a_graph():
    def program(lib):
        x = lib.tensor([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]], requires_grad=True)
        v = lib.tensor([10.0, 20.0], requires_grad=True)
        y = x * 1.0
        y[lib.tensor([0, 2])] = v
        y[y > 3.5] = 0.0
        (y * y).sum().backward()
        return y, x.grad, v.grad

    _assert_same(*_both(program))


def test_overwriting_a_tensor_saved_for_backward_raises_at_backward():
    for lib in (torch, gn):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1.0
        z = (y * y).sum()  # saves y
        y.add_(1)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.backward()


def test_overwriting_a_saved_view_bumps_the_shared_version_counter():
    for lib in (torch, gn):
        x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
        base = x * 1.0
        v = base[:2]
        z = (v * v).sum()  # saves the view
        base[2] = 0.0      # writes the base elsewhere: same storage, same counter
        assert v._version == base._version == 1
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            z.backward()


def test_inplace_on_a_leaf_or_a_view_of_a_leaf_requiring_grad_raises():
    for lib in (torch, gn):
        w = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            w.add_(1)
        with pytest.raises(RuntimeError, match="leaf Variable"):
            w[0:1].mul_(2)
        with lib.no_grad():
            w[0:1].mul_(2)
        assert w.tolist() == [2.0, 2.0]


def test_view_made_under_no_grad_cannot_be_modified_with_grad_mode_on():
    for lib in (torch, gn):
        x = lib.tensor([1.0, 2.0], requires_grad=True) * 1.0
        with lib.no_grad():
            v = x[:1]
        with pytest.raises(RuntimeError, match="no_grad mode"):
            v.mul_(2)


def test_detach_shares_the_version_counter_and_data_does_not():
    for lib in (torch, gn):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()  # saves its output
        d = y.detach()
        d.zero_()
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
        x2 = lib.tensor([1.0, 2.0], requires_grad=True)
        y2 = x2.exp()
        y2.data.zero_()  # .data: invisible to autograd, as torch documents
        y2.sum().backward()
        np.testing.assert_allclose(_np(x2.grad), [0.0, 0.0])


def test_inplace_outside_autograd_changes_storage_and_version():
    for lib in (torch, gn):
        t = lib.zeros(2, 3)
        v = t[1]
        v.fill_(7.0)
        t.view(6)[0] = 1.0
        assert t.tolist() == [[1.0, 0.0, 0.0], [7.0, 7.0, 7.0]]
        assert t._version == v._version == 2


def test_grad_mode_is_per_thread():
    errors, seen = [], []
    stop = threading.Event()
    started = threading.Event()

    def no_grad_thread():
        with gn.no_grad():
            started.set()
            stop.wait(5)

    th = threading.Thread(target=no_grad_thread)
    th.start()
    started.wait(5)
    try:
        x = gn.tensor([1.0, 2.0], requires_grad=True)
        y = (x * x).sum()  # the other thread is inside no_grad right now
        seen.append(gn.is_grad_enabled())
        y.backward()
        np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    except Exception as e:  # pragma: no cover - reported below
        errors.append(e)
    finally:
        stop.set()
        th.join()
    assert not errors and seen == [True]


def test_two_threads_train_two_models_independently():
    def train(seed, results):
        rng = np.random.default_rng(seed)
        w = gn.tensor(rng.standard_normal(3).astype(np.float32), requires_grad=True)
        xs = gn.tensor(rng.standard_normal((20, 3)).astype(np.float32))
        target = xs @ gn.tensor([1.0, -2.0, 0.5])
        for _ in range(100):
            loss = ((xs @ w - target) ** 2).mean()
            loss.backward()
            with gn.no_grad():  # the other thread records meanwhile
                w -= 0.05 * w.grad
                w.grad.zero_()
        results[seed] = w.detach().numpy().copy()

    alone, threaded = {}, {}
    for seed in range(2):
        train(seed, alone)
    threads = [threading.Thread(target=train, args=(seed, threaded)) for seed in range(2)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    for seed in range(2):
        np.testing.assert_array_equal(threaded[seed], alone[seed])
        assert not np.allclose(alone[seed], alone[1 - seed])


# ---------------------------------------------------------------------------
# Divergences found by fuzzing against torch (each a minimal reproducer)
# ---------------------------------------------------------------------------
def test_one_element_index_is_a_view_like_torch():
    def program(lib):
        y = lib.tensor([1.0, 2.0, 3.0], dtype=lib.float64, requires_grad=True) * 1
        v = y[0]
        y[1].mul_(10)
        y.mul_(2)
        return v, y

    _assert_same(*_both(program))


def test_inplace_edit_of_an_operand_no_gradient_needs_does_not_fail_backward():
    def program(lib):
        x = lib.tensor([0.5, 2.0], dtype=lib.float64, requires_grad=True)
        w = lib.tensor([[1.0, 2.0], [3.0, 4.0]], dtype=lib.float64, requires_grad=True)
        y, z, m = x * 1, x / 3, w @ x
        with lib.no_grad():
            x.exp_()  # Mul/Div/MatMul of x by a constant never needed x itself
        (y.sum() + z.sum()).backward()
        return x.grad, m

    _assert_same(*_both(program))


def test_view_of_a_no_grad_view_is_not_tracked_either():
    for lib in (torch, gn):
        y = lib.tensor([1.0, 2.0], requires_grad=True) * 1
        with lib.no_grad():
            v = y[0:2]
        assert v.requires_grad  # as torch: a view of a tensor that requires grad
        with pytest.raises(RuntimeError, match="no_grad mode"):
            v[0:1].mul_(2)


def test_view_to_the_same_shape_is_a_new_view_like_torch():
    for lib in (torch, gn):
        y = lib.ones(2, requires_grad=True) * 1
        v = y.view(2)
        assert v is not y
        v.mul_(3)
        assert y.tolist() == [3.0, 3.0]


def test_view_follows_its_base_into_the_graph_after_an_inplace_op():
    def program(lib):
        x = lib.tensor([1.0, 2.0], dtype=lib.float64, requires_grad=True)
        b = lib.zeros(2, dtype=lib.float64)
        v = b[0:2]
        b.add_(x)
        ((v * 3).sum() + x.sum()).backward()
        return v, x.grad

    _assert_same(*_both(program))


def test_write_through_a_view_of_a_0d_tensor_gives_torchs_gradient():
    def program(lib):
        x = lib.tensor([0.5, 0.5, 0.5], dtype=lib.float64, requires_grad=True)
        s = x.sum(0)
        s.unsqueeze(0).mul_(2)
        (s * 0.5).backward()
        return s, x.grad

    _assert_same(*_both(program))
