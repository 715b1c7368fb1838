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


@pytest.mark.skipif(gn.cuda.is_available(), reason="a CUDA device is the accelerator here")
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


def test_strides_contiguity_and_storage_offset_of_views_match_torch():
    def program(lib):
        x = lib.arange(24.0).reshape(2, 3, 4)
        views = [x, x.transpose(0, 2), x[1:, ::2], x.permute(2, 0, 1), x[:, 1]]
        return [(v.stride(), v.is_contiguous(), v.storage_offset(), v.contiguous().stride(),
                 v.nbytes, v.itemsize, v.element_size()) for v in views]

    assert program(gn) == program(torch)


@pytest.mark.parametrize("method", ["short", "byte", "char", "half", "int", "long", "bool",
                                    "float", "double"])
def test_dtype_conversion_methods_match_torch(method):
    values = [[-1.5, 0.0, 2.7], [3.0, -0.2, 250.0]]
    ours = getattr(gn.tensor(values), method)()
    ref = getattr(torch.tensor(values), method)()
    assert str(ours.dtype) == str(ref.dtype).replace("torch.", "")
    if method != "byte":  # negative floats to uint8 are undefined behaviour in C
        np.testing.assert_array_equal(ours.numpy(), ref.numpy())


def test_dtype_aliases_and_flags_match_torch():
    for name in ("half", "short", "int", "long", "float", "double", "bool", "int8", "int16",
                 "uint8"):
        assert str(getattr(gn, name)) == str(getattr(torch, name)).replace("torch.", "")
    t, r = gn.tensor([1, -2]), torch.tensor([1, -2])
    assert (t.is_signed(), t.is_complex(), t.is_floating_point()) == \
        (r.is_signed(), r.is_complex(), r.is_floating_point())
    assert gn.tensor([3.0]).is_nonzero() and not gn.tensor([0.0]).is_nonzero()
    with pytest.raises(RuntimeError, match="ambiguous"):
        gn.ones(2).is_nonzero()
    assert gn.ones(2, 3).is_same_size(gn.zeros(2, 3))
    assert repr(gn.zeros(1).layout) == "glassnet.strided"


def test_apply_and_map_in_place_like_torch():
    for lib in (torch, gn):
        x = lib.tensor([1.0, 2.0, 3.0])
        x.apply_(lambda v: v * 10 + 1)
        x.map_(lib.tensor([1.0, 0.0, -1.0]), lambda a, b: a * b)
        assert x.tolist() == [11.0, 0.0, -31.0]


def test_cuda_raises_without_a_cuda_backend_and_memory_methods_are_identities():
    x = gn.ones(2)
    with pytest.raises(RuntimeError, match="cuda.is_available"):
        x.cuda()
    assert x.pin_memory() is x and x.share_memory_() is x and not x.is_pinned()
    y = gn.ones(2, requires_grad=True) * 2
    y.retain_grad()
    assert y.retains_grad and not x.retains_grad


def test_glassnet_namespace_holds_only_torch_names():
    # What a user sees after a fresh ``import glassnet`` (other tests import subpackages
    # such as glassnet.cv or glassnet.train, which then appear as attributes).
    import subprocess
    import sys

    code = "import glassnet; print(' '.join(n for n in dir(glassnet) if n[0] != '_'))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert sorted(n for n in out if not hasattr(torch, n)) == []
    assert {"Tensor", "tensor", "no_grad", "float32", "sinh", "index_put"} <= set(out)


def test_tensor_methods_are_declared_in_the_class_statement_mixins():
    from glassnet.ops import methods, methods_inplace

    modules = (methods.__name__, methods_inplace.__name__)
    mixins = [c for c in gn.Tensor.__mro__ if c.__module__ in modules]
    assert len(mixins) == len(methods.__all__) + len(methods_inplace.__all__)
    for name in ("exp", "sum", "view", "matmul", "relu", "add_", "__setitem__", "to"):
        assert any(name in vars(c) for c in mixins), name


@pytest.mark.parametrize("name", ["FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor",
                                  "IntTensor", "ShortTensor", "CharTensor", "ByteTensor",
                                  "BoolTensor"])
def test_legacy_typed_constructors_match_torch(name):
    ours, ref = getattr(gn, name)([1, 0, 2]), getattr(torch, name)([1, 0, 2])
    assert str(ours.dtype) == str(ref.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.numpy(), ref.numpy())
    assert isinstance(ours, getattr(gn, name)) and isinstance(ref, getattr(torch, name))
    assert not isinstance(gn.zeros(1, dtype=gn.float64 if name != "DoubleTensor" else
                                   gn.float32), getattr(gn, name))
    assert tuple(getattr(gn, name)(2, 3).shape) == (2, 3)
    assert ours.type() == ref.type().replace("torch.", "glassnet.")
    assert gn.ones(2).type(getattr(gn, name)).dtype == ours.dtype
    assert gn.ones(2).type(f"torch.{name}").dtype == ours.dtype


def test_distributed_reports_an_uninitialised_group_like_torch():
    import importlib.util

    # The MPI backend is there when the mpi extra (mpi4py) is installed.
    assert gn.distributed.is_available() is (importlib.util.find_spec("mpi4py") is not None)
    assert gn.distributed.is_initialized() is torch.distributed.is_initialized() is False
    for fn in ("get_rank", "get_world_size"):
        with pytest.raises(ValueError, match="has not been initialized"):
            getattr(gn.distributed, fn)()
        with pytest.raises(ValueError, match="has not been initialized"):
            getattr(torch.distributed, fn)()
    with pytest.raises(ValueError, match="backend must be 'mpi'"):
        gn.distributed.init_process_group("gloo")
