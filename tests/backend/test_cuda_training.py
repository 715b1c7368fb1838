"""Training on a CUDA device (CuPy) equals training on the CPU, end to end.

LeNet-5 and ResNet-20 take SGD-with-momentum steps from the same initial weights on the
same MNIST batch (the shared IDX files, else a seeded batch) on the CPU and on the GPU;
losses, parameters, buffers and optimizer state must agree to float32 tolerance.  Also:
``glassnet.cuda``'s real answers, checkpoints saved from the GPU, and
``glassnet train --device cuda``.  Runs only where CuPy finds a GPU; skipped in CI.
"""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn

if not gn.cuda.is_available():
    pytest.skip("CUDA is not available (CuPy not installed or no GPU): the CUDA training "
                "tests run only on a GPU machine", allow_module_level=True)

import glassnet.nn.functional as F  # noqa: E402
from glassnet.models import get_model  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
MNIST_DIR = REPO.parent / "shared" / "data" / "mnist"


def _batch(n=16):
    """n MNIST test images (N, 1, 28, 28) in [0, 1] and their labels."""
    if (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").is_file():
        from glassnet.vision.datasets import MNIST

        ds = MNIST(str(MNIST_DIR), train=False)
        x = ds.data.numpy()[:n].astype(np.float32)[:, None] / 255.0
        return x, ds.targets.numpy()[:n].astype(np.int64)
    rng = np.random.default_rng(0)
    return rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n)


def _train(model, where, x, y, steps=3):
    model = model.to(where)
    opt = gn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    xs, ys = gn.from_numpy(x).to(where), gn.from_numpy(y).to(where)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(model(xs), ys)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    state = {k: v.detach().cpu().numpy() for k, v in model.state_dict().items()}
    bufs = {n: opt.state[p]["momentum_buffer"].cpu().numpy()
            for n, p in model.named_parameters()}
    return losses, state, bufs


@pytest.mark.parametrize("name,kwargs", [("lenet5", {}), ("resnet20", {"in_channels": 1})])
def test_training_steps_on_cuda_equal_the_cpu_steps(name, kwargs):
    gn.manual_seed(0)
    model = get_model(name, **kwargs)
    x, y = _batch()
    cpu = _train(copy.deepcopy(model), "cpu", x, y)
    gpu = _train(model, "cuda", x, y)
    assert next(model.parameters()).is_cuda
    np.testing.assert_allclose(gpu[0], cpu[0], rtol=1e-4, atol=1e-5)
    for key, ref in cpu[1].items():
        np.testing.assert_allclose(gpu[1][key], ref, rtol=1e-3, atol=1e-4, err_msg=key)
    for key, ref in cpu[2].items():
        np.testing.assert_allclose(gpu[2][key], ref, rtol=1e-3, atol=1e-4, err_msg=key)


def test_cuda_memory_functions_follow_allocations():
    gn.cuda.synchronize()
    gn.cuda.reset_peak_memory_stats()
    before = gn.cuda.memory_allocated()
    x = gn.zeros(1 << 20, device="cuda")  # 4 MiB
    assert gn.cuda.memory_allocated() >= before + x.nbytes
    assert gn.cuda.max_memory_allocated() >= gn.cuda.memory_allocated()
    assert gn.cuda.memory_reserved() >= gn.cuda.memory_allocated()
    del x
    assert gn.cuda.memory_allocated() == before
    assert gn.cuda.max_memory_allocated() >= before + (4 << 20)
    gn.cuda.empty_cache()
    assert gn.cuda.device_count() >= 1 and 0 <= gn.cuda.current_device() < gn.cuda.device_count()
    assert isinstance(gn.cuda.get_device_name(), str)


def test_tensors_move_and_mixing_devices_raises():
    x = gn.arange(6.0, requires_grad=True)
    y = x.cuda()
    assert y.device == gn.device("cuda", gn.cuda.current_device()) and y.is_cuda
    (y * y).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.arange(6.0))
    with pytest.raises(RuntimeError, match="expected all tensors to be on the same device"):
        y + gn.ones(6)
    np.testing.assert_allclose((y * gn.tensor(2.0)).cpu().detach().numpy(), 2 * np.arange(6.0))
    assert "device='cuda:" in repr(y)


def test_checkpoint_saved_on_cuda_loads_back_and_maps_to_cpu(tmp_path):
    model = get_model("lenet5").cuda()
    gn.save(model.state_dict(), tmp_path / "m.safetensors")
    back = gn.load(tmp_path / "m.safetensors")
    assert all(v.is_cuda for v in back.values())
    host = gn.load(tmp_path / "m.safetensors", map_location="cpu")
    for k, v in model.state_dict().items():
        assert host[k].device == "cpu"
        np.testing.assert_array_equal(host[k].numpy(), v.detach().cpu().numpy())


def test_cli_train_on_cuda(tmp_path):
    from glassnet.cli.main import main

    rc = main(["train", "--device", "cuda", "--model", "small_cnn", "--epochs", "1",
               "--max-steps", "3", "--out", str(tmp_path / "run"), "--no-progress"])
    assert rc == 0 and (tmp_path / "run" / "last.ckpt").exists()
