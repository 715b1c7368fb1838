"""Small torch APIs that device-agnostic scripts call, checked against torch."""
import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")


@pytest.mark.parametrize("attr", ["is_cuda", "is_xpu", "is_mps", "is_cpu", "is_sparse",
                                  "is_quantized", "is_meta"])
def test_cpu_tensor_device_flags_match_torch(attr):
    assert getattr(gn.zeros(2), attr) == getattr(torch.zeros(2), attr)


def test_get_device_of_a_cpu_tensor_is_minus_one():
    assert gn.ones(3).get_device() == torch.ones(3).get_device() == -1


def test_accelerator_api_picks_the_cpu_like_torch_without_an_accelerator():
    # pytorch/examples: device = current_accelerator() if is_available() else "cpu".
    device = (gn.accelerator.current_accelerator() if gn.accelerator.is_available()
              else gn.device("cpu"))
    assert device == "cpu" and gn.accelerator.device_count() == 0
    assert gn.accelerator.current_accelerator() is None
    gn.accelerator.synchronize()


def test_backends_flags_are_settable_and_report_no_cudnn():
    assert gn.backends.cudnn.is_available() is False and gn.backends.cudnn.version() is None
    old = gn.backends.cudnn.benchmark
    gn.backends.cudnn.benchmark = True
    gn.backends.cudnn.deterministic = True
    try:
        assert gn.backends.cudnn.benchmark is True
    finally:
        gn.backends.cudnn.benchmark = old
        gn.backends.cudnn.deterministic = False
    assert gn.backends.mps.is_available() is False and gn.backends.mps.is_built() is False


def test_multiprocessing_sharing_strategy_names_match_torch():
    assert gn.multiprocessing.get_all_sharing_strategies() == \
        torch.multiprocessing.get_all_sharing_strategies()
    gn.multiprocessing.set_sharing_strategy("file_system")
    try:
        assert gn.multiprocessing.get_sharing_strategy() == "file_system"
    finally:
        gn.multiprocessing.set_sharing_strategy("file_descriptor")
    with pytest.raises(ValueError, match="set_sharing_strategy: new_strategy"):
        gn.multiprocessing.set_sharing_strategy("shm")
    assert gn.multiprocessing.cpu_count() == torch.multiprocessing.cpu_count()


def _square_into(rank, queue):
    queue.put((rank, rank * rank))


def test_multiprocessing_spawn_runs_each_rank():
    ctx = gn.multiprocessing.get_context("spawn")
    queue = ctx.SimpleQueue()
    gn.multiprocessing.spawn(_square_into, args=(queue,), nprocs=2)
    assert sorted(queue.get() for _ in range(2)) == [(0, 0), (1, 1)]


@pytest.mark.parametrize("make", [
    lambda lib: lib.randn(2, 3, requires_grad=True),
    lambda lib: lib.rand(2, requires_grad=True),
    lambda lib: lib.zeros(2, requires_grad=True),
    lambda lib: lib.ones(2, requires_grad=True),
    lambda lib: lib.full((2,), 3.0, requires_grad=True),
    lambda lib: lib.normal(0.0, 1.0, size=(3,), requires_grad=True),
    lambda lib: lib.randn_like(lib.zeros(2), requires_grad=True),
    lambda lib: lib.rand_like(lib.zeros(2), requires_grad=True),
    lambda lib: lib.zeros_like(lib.zeros(2), requires_grad=True),
    lambda lib: lib.arange(3.0, requires_grad=True),
    lambda lib: lib.linspace(0, 1, 5, requires_grad=True),
    lambda lib: lib.eye(2, requires_grad=True),
    lambda lib: lib.empty(2, requires_grad=True),
    lambda lib: lib.tensor([1.0, 2.0], requires_grad=True),
])
def test_factories_accept_requires_grad_like_torch(make):
    ref, ours = make(torch), make(gn)
    assert ours.requires_grad and ref.requires_grad and ours.is_leaf
    assert tuple(ours.shape) == tuple(ref.shape)
    (ours * 2).sum().backward()
    np.testing.assert_allclose(ours.grad.numpy(), np.full(tuple(ref.shape), 2.0))


def test_integer_factories_refuse_requires_grad_like_torch():
    with pytest.raises(RuntimeError):
        torch.randint(0, 3, (2,), requires_grad=True)
    with pytest.raises(RuntimeError, match="only floating point"):
        gn.randint(0, 3, (2,), requires_grad=True)
