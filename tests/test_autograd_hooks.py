"""Post-accumulate-grad hooks and queued engine callbacks (torch's semantics), which
DistributedDataParallel uses to start its all-reduces during backward."""
import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
from glassnet import autograd

torch = pytest.importorskip("torch")


def _mlp(lib):
    lib.manual_seed(0)
    return lib.nn.Sequential(lib.nn.Linear(3, 4), lib.nn.Tanh(), lib.nn.Linear(4, 4),
                             lib.nn.Tanh(), lib.nn.Linear(4, 2))


def test_post_accumulate_hooks_fire_during_backward_in_torchs_layer_order():
    orders = {}
    for lib in (gn, torch):
        model, order = _mlp(lib), []
        for name, p in model.named_parameters():
            p.register_post_accumulate_grad_hook(
                lambda t, name=name: order.append((name, t.grad is not None)))
        model(lib.ones(5, 3)).sum().backward()
        assert all(has_grad for _, has_grad in order)
        orders[lib.__name__] = [n for n, _ in order]
    # Layer by layer from the output, as torch (within a layer torch runs the bias's
    # AccumulateGrad first, glassnet the weight's: the order of Linear's inputs).
    layers = {k: [n.split(".")[0] for n in v] for k, v in orders.items()}
    assert layers["glassnet"] == layers["torch"] == ["4", "4", "2", "2", "0", "0"]
    assert sorted(orders["glassnet"]) == sorted(orders["torch"])


def test_a_hook_sees_the_complete_accumulated_gradient_once():
    w = gn.tensor(np.array([1.0, 2.0]), requires_grad=True)
    w.grad = gn.tensor(np.array([10.0, 10.0]))
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    ((w * w).sum() + (3 * w).sum()).backward()  # two paths into w: one accumulation
    assert len(seen) == 1
    np.testing.assert_array_equal(seen[0], [10 + 2 + 3, 10 + 4 + 3])


def test_queued_callback_runs_after_every_leaf_is_accumulated():
    model = _mlp(gn)
    events = []

    def on_last_layer(t):
        autograd.queue_callback(lambda: events.append(
            ("end", all(p.grad is not None for p in model.parameters()))))
    model[4].weight.register_post_accumulate_grad_hook(on_last_layer)
    model[0].weight.register_post_accumulate_grad_hook(lambda t: events.append("first"))
    model(gn.ones(2, 3)).sum().backward()
    assert events == ["first", ("end", True)]
    model.zero_grad()
    model(gn.ones(2, 3)).sum().backward()  # the queue was emptied: one callback per backward
    assert events[-1] == ("end", True) and len(events) == 4


def test_hook_and_callback_errors():
    with pytest.raises(RuntimeError, match="queue_callback: no backward pass is running"):
        autograd.queue_callback(lambda: None)
    x = gn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="cannot be registered on non-leaf tensors"):
        (x * 2).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="doesn't require gradient"):
        gn.ones(2).register_post_accumulate_grad_hook(lambda t: None)
    handle = x.register_post_accumulate_grad_hook(lambda t: 1 / 0)
    handle.remove()
    (x * 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [2.0, 2.0])
