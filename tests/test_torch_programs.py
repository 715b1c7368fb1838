"""PyTorch programs run unchanged on glassnet (issue 9's acceptance test).

Each file in ``tests/torch_programs/`` is a program written the way PyTorch users write
them, starting with its import lines.  The harness (``torch_programs/harness.py``) runs it
twice: as written, with torch (and, where it imports torchvision, the real torchvision if
installed, else the small stand-in in ``torch_programs/torchvision_standin.py``), and
with only its import lines rewritten by the import map of DESIGN.md section 2 (``import
torch`` -> ``import glassnet as torch``, ``torchvision`` -> ``glassnet.vision``).  With
the same initial weights (torch's, copied across) and the same data order, losses must
agree step by step within float32 tolerance, and so must final parameters and printed
metrics.  Where a program's point is a torchvision API the stand-in does not have, only
the glassnet run is checked, against closed forms.
"""
from __future__ import annotations

import importlib.util
import math
import re
from pathlib import Path

import numpy as np
import pytest

import glassnet

torch = pytest.importorskip("torch", reason="torch is the oracle of these tests")

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


def _load_harness():
    path = Path(__file__).resolve().parent / "torch_programs" / "harness.py"
    spec = importlib.util.spec_from_file_location("torch_programs_harness", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_harness = _load_harness()
PROGRAMS, PROGRAM_NAMES = _harness.PROGRAMS, _harness.PROGRAM_NAMES
port, assert_only_imports_differ = _harness.port, _harness.assert_only_imports_differ
copy_weights, to_glassnet, both = _harness.copy_weights, _harness.to_glassnet, _harness.both
assert_same, assert_same_params = _harness.assert_same, _harness.assert_same_params
assert_same_text = _harness.assert_same_text
reference_grid, to_png = _harness.reference_grid, _harness.to_png


@pytest.fixture
def load(monkeypatch):
    """``load(name)`` -> (the program run with torch, the program run with glassnet)."""
    return lambda name: tuple(_harness.run_program(name, lib, monkeypatch)
                              for lib in ("torch", "glassnet"))


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # torch's intra-op threads on a shared 2-core machine make these small programs 20x
    # slower; one thread also keeps torch's reductions in a fixed order.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def mnist_root(tmp_path_factory):
    """A torchvision-layout root (``MNIST/raw``) with the first 1024 training and 256 test
    images of the real MNIST files, uncompressed as torchvision keeps them."""
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST files not found in {MNIST_DIR}")
    root = tmp_path_factory.mktemp("mnist_root")
    raw = root / "MNIST" / "raw"
    raw.mkdir(parents=True)
    read = _harness.read_idx_prefix
    for split, count in (("train", 1024), ("t10k", 256)):
        images = read(MNIST_DIR / f"{split}-images-idx3-ubyte.gz", count, 784)
        labels = read(MNIST_DIR / f"{split}-labels-idx1-ubyte.gz", count, 1)
        _harness.write_idx(raw / f"{split}-images-idx3-ubyte", images.reshape(count, 28, 28))
        _harness.write_idx(raw / f"{split}-labels-idx1-ubyte", labels)
    return root


@pytest.fixture(scope="module")
def digits():
    """scikit-learn's 8x8 digits (always available offline): images (N, 8, 8) in 0..16."""
    sklearn_datasets = pytest.importorskip("sklearn.datasets")
    data = sklearn_datasets.load_digits()
    return data.images.astype(np.float32), data.target.astype(np.int64)


# ---------------------------------------------------------------------------
# The harness itself
# ---------------------------------------------------------------------------
@pytest.mark.parametrize("name", PROGRAM_NAMES)
def test_porting_a_program_rewrites_only_its_torch_import_lines(name):
    source = (PROGRAMS / f"{name}.py").read_text()
    ported = port(source)
    assert_only_imports_differ(source, ported)
    assert re.search(r"^(import|from) torch", ported, re.M) is None
    assert re.search(r"^import glassnet as torch$", ported, re.M) or "torch." not in source


def test_port_follows_the_import_map_for_each_import_form():
    lines = {
        "import torch": "import glassnet as torch",
        "import torch.nn as nn": "import glassnet.nn as nn",
        "from torch.utils.data import DataLoader, Dataset":
            "from glassnet.utils.data import DataLoader, Dataset",
        "import torch.utils.data": "import glassnet as torch; import glassnet.utils.data",
        "import torchvision": "import glassnet.vision as torchvision",
        "from torchvision import datasets, transforms":
            "from glassnet.vision import datasets, transforms",
        "from torchvision.models import resnet18": "from glassnet.vision.models import resnet18",
        "import torchvision.utils as vutils": "import glassnet.vision.utils as vutils",
        "import numpy as np": "import numpy as np",
        "    x = torch.zeros(3)  # import torch": "    x = torch.zeros(3)  # import torch",
    }
    for line, expected in lines.items():
        assert port(line) == expected



# ---------------------------------------------------------------------------
# The programs
# ---------------------------------------------------------------------------
def test_mnist_example_matches_torch_step_by_step(load, mnist_root, tmp_path, monkeypatch,
                                                  capsys):
    tp, gp = load("mnist")
    order = np.random.default_rng(0).permutation(1024)[:512].tolist()
    torch.manual_seed(1)
    init = tp.Net().state_dict()
    argv = ["--data", str(mnist_root), "--dropout", "0", "--save-model"]
    results, logs = [], []
    for lib, program, state in (("torch", tp, init), ("glassnet", gp, to_glassnet(init))):
        (tmp_path / lib).mkdir()
        monkeypatch.chdir(tmp_path / lib)
        results.append(program.main(argv, order, state))
        logs.append(capsys.readouterr().out)
    (tmodel, tlosses, tevals, tlr), (gmodel, glosses, gevals, glr) = results
    assert len(glosses) == 16
    np.testing.assert_allclose(glosses, tlosses, rtol=2e-4, atol=2e-5)
    assert_same(gevals, tevals, "evals", rtol=1e-3)
    assert_same(glr, tlr, "get_last_lr")
    assert_same_text(logs[1], logs[0])
    assert_same_params(gmodel, tmodel)
    saved = glassnet.load(tmp_path / "glassnet" / "mnist_cnn.pt")
    assert list(saved) == list(gmodel.state_dict())
    for key, value in gmodel.state_dict().items():
        np.testing.assert_array_equal(saved[key].numpy(), value.numpy(), err_msg=key)


def test_dcgan_matches_torch_and_saves_torchvisions_grid(load, mnist_root, tmp_path, capsys):
    from PIL import Image

    tp, gp = load("dcgan")
    torch.manual_seed(0)
    tG, tD = tp.build()
    gG, gD = gp.build()
    # weights_init reached glassnet's layers through .data: N(0, 0.02) convs, N(1, 0.02)
    # batch-norm scales, zero batch-norm shifts.
    modules = list(gG.modules()) + list(gD.modules())
    conv = np.concatenate([m.weight.detach().numpy().ravel() for m in modules
                           if "Conv" in type(m).__name__])
    bn = [m for m in modules if "BatchNorm" in type(m).__name__]
    scale = np.concatenate([m.weight.detach().numpy() for m in bn])
    assert conv.size == (16 * 16 + 16 * 8 + 8 * 1) * 16 + (8 * 1 + 16 * 8 + 1 * 16) * 16
    assert abs(conv.mean()) < 1e-3 and abs(conv.std() - 0.02) < 1e-3
    assert abs(scale.mean() - 1.0) < 0.015 and 0.01 < scale.std() < 0.03
    assert all(np.all(m.bias.detach().numpy() == 0) for m in bn)
    copy_weights(tG, gG)
    copy_weights(tD, gD)

    rng = np.random.default_rng(0)
    noises = rng.standard_normal((4, 16, 16, 1, 1)).astype(np.float32)
    fixed = rng.standard_normal((10, 16, 1, 1)).astype(np.float32)  # 10: a partial grid row
    runs = []
    for lib, program, G, D, tensor in (("torch", tp, tG, tD, torch.from_numpy),
                                       ("glassnet", gp, gG, gD, glassnet.from_numpy)):
        (tmp_path / lib).mkdir()
        history, fake, grid = program.main(G, D, str(mnist_root), [tensor(n) for n in noises],
                                           tensor(fixed), str(tmp_path / lib))
        png = np.asarray(Image.open(tmp_path / lib / "fake_samples.png"))
        runs.append((history, fake, grid, png, capsys.readouterr().out))
    (thist, tfake, tgrid, tpng, tlog), (ghist, gfake, ggrid, gpng, glog) = runs
    assert_same(ghist, thist, "history", rtol=1e-4)
    assert_same(gfake, tfake, "fake", atol=1e-5)
    assert_same_text(glog, tlog)
    assert_same_params(gG, tG)
    assert_same_params(gD, tD)
    assert_same(ggrid, tgrid, "make_grid", atol=1e-5)
    np.testing.assert_allclose(ggrid.numpy(), reference_grid(gfake.detach().numpy()),
                               atol=1e-6)
    expected = to_png(reference_grid(gfake.detach().numpy()))
    assert gpng.shape == expected.shape == (2 * 18 + 2, 8 * 18 + 2, 3)
    assert np.abs(gpng.astype(int) - expected).max() <= 1
    assert np.abs(gpng.astype(int) - tpng).max() <= 1
    # the padding, and the 6 empty cells of the second row (10 images in rows of 8)
    assert (gpng[:2] == 0).all() and (gpng[20:, 2 * 18 + 2:] == 0).all()


def test_data_idioms_match_torch(load, digits):
    tp, gp = load("data_idioms")
    images, labels = digits
    x = images[:128].reshape(128, 64) / 16
    torch.manual_seed(0)
    tmodel, gmodel = tp.Classifier(), gp.Classifier()
    copy_weights(tmodel, gmodel)
    tx, gx = both(x)
    ty, gy = both(labels[:128])
    ref = tp.train_by_hand(tmodel, tx, ty)
    ours = gp.train_by_hand(gmodel, gx, gy)
    assert_same(ours, ref, "train_by_hand", rtol=2e-4)
    assert_same_params(gmodel, tmodel)


def test_wgan_weight_clipping_through_data_matches_torch(load, digits):
    tp, gp = load("data_idioms")
    x = digits[0][:16].reshape(16, 64) / 16
    fake = np.random.default_rng(1).uniform(0, 1, (16, 64)).astype(np.float32)
    torch.manual_seed(2)
    tcritic, gcritic = tp.Critic(), gp.Critic()
    copy_weights(tcritic, gcritic)
    (treal, greal), (tfake, gfake) = both(x), both(fake)
    ref = tp.train_wgan_critic(tcritic, treal, tfake)
    ours = gp.train_wgan_critic(gcritic, greal, gfake)
    assert_same(ours, ref, "wgan critic", rtol=1e-4, atol=1e-7)
    assert ours[1] is True


def test_lazy_modules_materialise_like_torch_and_train_the_same(load, digits):
    tp, gp = load("lazy_modules")
    images, labels = digits
    timages, gimages = both(images[:96, None] / 16)
    tlabels, glabels = both(labels[:96])
    torch.manual_seed(0)
    tmodel, topt, tlazy = tp.build()
    gmodel, gopt, glazy = gp.build()
    assert glazy == tlazy == [True] * 8
    assert_same(gp.describe(gmodel), tp.describe(tmodel), "after the dry run")
    assert gp.describe(gmodel)["classes"][:2] == ["Conv2d", "BatchNorm2d"]
    copy_weights(tmodel, gmodel)
    assert_same(gp.train(gmodel, gopt, gimages, glabels),
                tp.train(tmodel, topt, timages, tlabels), "losses", rtol=1e-4)
    assert_same_params(gmodel, tmodel)
    ref = tp.restore(tmodel.state_dict(), timages[:8])
    ours = gp.restore(gmodel.state_dict(), gimages[:8])
    assert_same(ours, ref, "restored", rtol=1e-4)


def test_whole_model_save_and_load_round_trips_like_torch(load, digits, tmp_path):
    tp, gp = load("whole_model")
    images, labels = digits
    tx, gx = both(images[:64].reshape(64, 64))
    ty, gy = both(labels[:64])
    torch.manual_seed(0)
    tmodel, gmodel = tp.Net(), gp.Net()
    copy_weights(tmodel, gmodel)
    topt, gopt = tp.make_optimizer(tmodel), gp.make_optimizer(gmodel)
    assert_same(gp.train(gmodel, gopt, gx, gy), tp.train(tmodel, topt, tx, ty), "losses",
                rtol=1e-4)
    # a general checkpoint: training resumes with the optimizer's momentum buffers
    ref = tp.checkpoint_and_resume(tmodel, topt, tx, ty, tmp_path / "torch.tar", 4, 0.5)
    ours = gp.checkpoint_and_resume(gmodel, gopt, gx, gy, tmp_path / "glassnet.tar", 4, 0.5)
    assert_same(ours, ref, "resumed from a checkpoint", rtol=1e-4)
    # the same model trained on without the checkpoint's momentum: other losses
    fresh = gp.Net()
    fresh.load_state_dict(gmodel.state_dict())
    assert not np.allclose(gp.train(fresh, gp.make_optimizer(fresh), gx, gy), ours[2])

    ref = tp.save_and_load(tmodel, tmp_path / "torch.pt", tx)
    ours = gp.save_and_load(gmodel, tmp_path / "glassnet.pt", gx)
    assert np.array_equal(ours["after"].numpy(), ours["before"].numpy())
    tloaded, gloaded = ref.pop("loaded"), ours.pop("loaded")
    assert_same(ours, ref, "save_and_load", rtol=1e-4)
    assert ours["training"] is False and ours["type"] == "Net" and ours["on_cpu"]
    assert type(gloaded) is gp.Net and type(gloaded.blocks[1]) is gp.Block
    assert_same_params(gloaded, gmodel, rtol=0, atol=0)
    # training goes on from the loaded model as from the saved one
    assert_same(gp.train(gloaded, gp.make_optimizer(gloaded), gx, gy),
                tp.train(tloaded, tp.make_optimizer(tloaded), tx, ty), "resumed", rtol=1e-4)


def test_d2l_lenet_and_resnet_blocks_match_torch(load, mnist_root, digits, capsys):
    tp, gp = load("d2l_cnn")
    torch.manual_seed(0)
    tnet, gnet = tp.lenet(), gp.lenet()
    tnet.apply(tp.init_cnn)
    copy_weights(tnet, gnet)
    ref = tp.train_ch6(tnet, str(mnist_root))
    tlog = capsys.readouterr().out
    ours = gp.train_ch6(gnet, str(mnist_root))
    assert_same(ours, ref, "lenet losses", rtol=1e-4)
    assert_same_text(capsys.readouterr().out, tlog)
    assert_same_params(gnet, tnet)

    images, labels = digits
    tx, gx = both(images[:32, None] / 16)
    ty, gy = both(labels[:32])
    tres, gres = tp.small_resnet(), gp.small_resnet()
    # the lazy layers became Conv2d etc., so init_cnn's type test picked them: xavier bounds
    w = gres[3].conv1.weight.detach().numpy()
    assert type(gres[3].conv1).__name__ == "Conv2d" and w.shape == (8, 8, 3, 3)
    assert np.abs(w).max() <= math.sqrt(6 / 144) and np.abs(w).max() > 1.5 / math.sqrt(72)
    copy_weights(tres, gres)
    assert_same(gp.train_resnet(gres, gx, gy), tp.train_resnet(tres, tx, ty), "resnet",
                rtol=1e-4)
    assert_same_params(gres, tres)


def test_d2l_batch_norm_from_scratch_matches_nn_batchnorm2d_and_torch(load, digits):
    tp, gp = load("d2l_regularization")
    images, labels = digits
    tx, gx = both(images[:64, None] / 16)
    ty, gy = both(labels[:64])
    torch.manual_seed(0)
    nets = {}
    for lib, program in (("torch", tp), ("glassnet", gp)):
        scratch, builtin = program.bn_net(True), program.bn_net(False)
        if lib == "torch":
            reference = builtin
        else:
            copy_weights(reference, builtin)
        for k in (0, 4):
            scratch[k].load_state_dict(builtin[k].state_dict())
        nets[lib] = scratch, builtin
    results = {lib: [program.train_steps(net, x, y) for net in nets[lib]]
               for lib, program, x, y in (("torch", tp, tx, ty), ("glassnet", gp, gx, gy))}
    (ts, tb), (gs, gb) = results["torch"], results["glassnet"]
    assert_same(gs, ts, "scratch", rtol=1e-4)
    assert_same(gb, tb, "nn.BatchNorm2d", rtol=1e-4)
    np.testing.assert_allclose(gs[0], gb[0], rtol=1e-5)  # same batch statistics in training
    scratch, builtin = nets["glassnet"]
    np.testing.assert_allclose(scratch[1].moving_mean.numpy().ravel(),
                               builtin[1].running_mean.numpy(), rtol=1e-5, atol=1e-7)


def test_d2l_dropout_from_scratch_is_deterministic_at_zero_and_unbiased(load, digits):
    tp, gp = load("d2l_regularization")
    x = glassnet.ones(2000, 50)
    out = gp.dropout_layer(x, 0.3).numpy()
    assert abs((out == 0).mean() - 0.3) < 0.01
    np.testing.assert_allclose(out[out != 0], 1 / 0.7, rtol=1e-6)
    assert (gp.dropout_layer(x, 1).numpy() == 0).all()
    np.testing.assert_array_equal(gp.dropout_layer(x, 0).numpy(), x.numpy())

    images, labels = digits
    tx, gx = both(images[:64, None] / 16)
    ty, gy = both(labels[:64])
    torch.manual_seed(0)
    tnet, gnet = tp.DropoutMLP(10, 32, 16, 0.0, 0.0), gp.DropoutMLP(10, 32, 16, 0.0, 0.0)
    tnet(tx[:2])
    gnet(gx[:2])
    copy_weights(tnet, gnet)
    assert_same(gp.train_steps(gnet, gx, gy), tp.train_steps(tnet, tx, ty), "mlp", rtol=1e-4)
    noisy = gp.DropoutMLP(10, 32, 16, 0.5, 0.5)
    noisy(gx[:4])
    first, second = noisy(gx[:4]).detach().numpy(), noisy(gx[:4]).detach().numpy()
    assert not np.allclose(first, second)
    noisy.eval()
    np.testing.assert_array_equal(noisy(gx[:4]).detach().numpy(), noisy(gx[:4]).detach().numpy())


def test_d2l_weight_decay_by_hand_and_by_param_group_match_torch(load):
    tp, gp = load("d2l_regularization")
    rng = np.random.default_rng(0)
    features = rng.standard_normal((20, 10)).astype(np.float32)
    labels = (features.sum(1) * 0.01 + 0.05 + rng.normal(0, 0.01, 20)).astype(np.float32)
    w0 = rng.normal(0, 1, (10, 1)).astype(np.float32)
    b0 = np.zeros(1, np.float32)  # d2l's b = torch.zeros(1, requires_grad=True)
    tdata, gdata = zip(*(both(a) for a in (features, labels, w0)))
    norms = []
    for lambd in (0.0, 3.0):
        ref = tp.train_weight_decay(*tdata, lambd)
        ours = gp.train_weight_decay(*gdata, lambd)
        assert_same(ours, ref, f"scratch lambd={lambd}", rtol=1e-4)
        norms.append(ours[1])
        nets = []
        for lib in (torch, glassnet):
            net = lib.nn.Sequential(lib.nn.Linear(10, 1))
            net.load_state_dict({"0.weight": lib.tensor(w0.T.copy()),
                                 "0.bias": lib.tensor(b0)})
            nets.append(net)
        ref = tp.train_concise(nets[0], *tdata[:2], lambd)
        ours = gp.train_concise(nets[1], *gdata[:2], lambd)
        assert_same(ours, ref, f"concise wd={lambd}", rtol=1e-4)
    assert norms[1] < norms[0]  # the penalty shrinks the weights


def test_d2l_optimizers_and_schedulers_match_torch(load):
    tp, gp = load("d2l_optimizers")
    rng = np.random.default_rng(0)
    features = rng.standard_normal((40, 5)).astype(np.float32)
    labels = (features @ rng.standard_normal(5) + 0.3).astype(np.float32)
    w0 = rng.normal(0, 0.01, (1, 5)).astype(np.float32)

    def make_net(lib):
        def make():
            net = lib.nn.Sequential(lib.nn.Linear(5, 1))
            net.load_state_dict({"0.weight": lib.tensor(w0), "0.bias": lib.zeros(1)})
            return net
        return make

    ref = tp.run_all(torch.from_numpy(features), torch.from_numpy(labels), make_net(torch))
    ours = gp.run_all(glassnet.from_numpy(features), glassnet.from_numpy(labels),
                      make_net(glassnet))
    for k, (trainer_fn, hyperparams, _) in enumerate(tp.OPTIMIZERS):
        name = f"{trainer_fn.__name__}{hyperparams}"
        assert_same(ours[0][k], ref[0][k], f"{name} path", rtol=1e-4, atol=1e-5)
        assert_same(ours[1][k], ref[1][k], f"{name} regression", rtol=1e-4, atol=1e-6)


def test_inplace_ops_and_views_inside_graphs_match_torch(load):
    tp, gp = load("inplace_views")
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 255, (2, 3, 8, 8)).astype(np.float32)
    style = rng.uniform(0, 255, (1, 3, 8, 8)).astype(np.float32)
    torch.manual_seed(0)
    tnet, gnet = tp.TransformerNet(), gp.TransformerNet()
    copy_weights(tnet, gnet)
    (timages, gimages), (tstyle, gstyle) = both(images), both(style)
    ref = tp.train_style(tnet, timages, tstyle)
    ours = gp.train_style(gnet, gimages, gstyle)
    assert_same(ours, ref, "style losses", rtol=1e-4)
    # conv1's bias feeds an InstanceNorm, which removes it: its gradient is zero up to
    # rounding, and Adam turns rounding noise into +-lr steps (that change no output).
    assert_same_params(gnet, tnet, skip=("conv1.conv2d.bias",))

    assert_same(gp.view_writes([1.0, 2.0, 3.0, 4.0]), tp.view_writes([1.0, 2.0, 3.0, 4.0]),
                "view writes")
    x = rng.standard_normal((2, 3, 4)).astype(np.float32).tolist()
    w = rng.standard_normal((4, 3)).astype(np.float32).tolist()
    ours = gp.indexing_and_masks(x, w)
    assert tuple(ours[0].shape) == (3, 2)
    assert_same(ours, tp.indexing_and_masks(x, w), "indexing and masks")
    values = rng.uniform(-0.9, 0.9, (3, 4)).astype(np.float32).tolist()
    assert_same(gp.elementwise(values), tp.elementwise(values), "elementwise")


def test_resnet18_train_step_matches_torch(load):
    tp, gp = load("vision_models")
    images = np.random.default_rng(0).standard_normal((4, 3, 32, 32))
    tlabels, glabels = both(np.array([0, 3, 9, 3], np.int64))
    torch.manual_seed(0)
    tmodel, gmodel = tp.build(), gp.build()
    copy_weights(tmodel, gmodel)  # torchvision's state_dict keys, strict
    # float32: the first forward. Training is compared in float64: with 4 images, layer4's
    # batch norm sees 4 values per channel, and its backward cancels so much that float32
    # gradients agree with torch's only to ~5e-4 (float64: 1e-12).
    timages, gimages = both(images.astype(np.float32))
    tmodel.eval()  # (a forward in training mode would update the running statistics)
    gmodel.eval()
    with torch.no_grad(), glassnet.no_grad():
        assert_same(gmodel(gimages), tmodel(timages), "float32 forward", rtol=1e-4, atol=1e-4)
    tmodel.double()
    gmodel.double()
    timages, gimages = both(images)
    ref = tp.train_step(tmodel, timages, tlabels)
    ours = gp.train_step(gmodel, gimages, glabels)
    assert_same(ours, ref, "resnet18", rtol=1e-7, atol=1e-9)
    assert_same_params(gmodel, tmodel, rtol=1e-7, atol=1e-9)


def test_weights_api_and_preset_transforms_follow_torchvision(load):
    from PIL import Image

    tp, gp = load("vision_models")
    img = Image.new("RGB", (300, 260), (200, 100, 50))
    out = gp.weights_api(img)
    if _harness.REAL_TV:  # the same program on torchvision itself gives the same answers
        ref = tp.weights_api(img)
        for key in ("default_is_v1", "by_name", "enum", "categories", "fc", "none_ok",
                    "listed"):
            assert out[key] == ref[key], key
        np.testing.assert_allclose(out["batch"].numpy(), ref["batch"].numpy(), atol=1e-6)
    assert out["default_is_v1"] and out["by_name"] and out["enum"]
    assert out["categories"] == 1000 and out["fc"] == (512, 10)
    assert out["none_ok"] and out["listed"]
    # ImageClassification preset: resize 256, centre crop 224, ToTensor, ImageNet mean/std;
    # a uniform image stays uniform, so every pixel is (value / 255 - mean) / std.
    expected = (np.array([200, 100, 50]) / 255 - [0.485, 0.456, 0.406]) / [0.229, 0.224, 0.225]
    batch = out["batch"].numpy()
    assert batch.shape == (1, 3, 224, 224) and batch.dtype == np.float32
    np.testing.assert_allclose(batch, np.broadcast_to(expected[None, :, None, None],
                                                      batch.shape), atol=1e-5)
    prediction = out["prediction"].numpy()
    assert prediction.shape == (10,) and prediction.sum() == pytest.approx(1.0, rel=1e-5)


def test_data_pipeline_matches_torch(load, digits):
    tp, gp = load("data_pipeline")
    images, labels = digits
    ref = tp.splits(images[:101], labels[:101])
    ours = gp.splits(images[:101], labels[:101])
    for out in (ours, ref):
        train, val = out.pop("indices")
        assert sorted(train + val) == list(range(101))
    # random_split: floor(101 * fraction) each, the remainder to the first split
    assert ours["sizes"] == ref["sizes"] == (76, 25)
    # DistributedSampler(shuffle=False): range(N) padded to a multiple of num_replicas by
    # wrapping around, then every num_replicas-th index from rank
    assert ours["rank0"] == list(range(0, 101, 2)) and ours["rank1"] == list(
        range(1, 101, 2)) + [0]
    assert_same(ours, ref, "splits")

    tx, gx = both(images[90:110] / 16)
    ty, gy = both(labels[90:110])
    torch.manual_seed(0)
    tmodel, gmodel = tp.build(), gp.build()
    copy_weights(tmodel, gmodel)
    ref = tp.train(images[:90], labels[:90], tx, ty, tmodel)
    ours = gp.train(images[:90], labels[:90], gx, gy, gmodel)
    assert ours[1] == [(24, 64)] * 8 and ours[2:] == (4, 110)  # drop_last dropped 14
    assert_same(ours, ref, "training", rtol=1e-4)


def test_mlp_regression_with_kaiming_init_clipping_and_one_cycle_matches_torch(load):
    tp, gp = load("mlp_regression")
    gmodel = gp.MLP()
    for layer in (gmodel.layers[0], gmodel.layers[2]):
        w = layer.weight.detach().numpy()
        bound = math.sqrt(6 / w.shape[1])  # kaiming_uniform_, gain sqrt(2) for relu
        assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
        assert w.std() == pytest.approx(bound / math.sqrt(3), rel=0.2)
        assert (layer.bias.detach().numpy() == 0).all()
    rng = np.random.default_rng(0)
    x = rng.standard_normal((64, 8)).astype(np.float32)
    y = np.sin(x @ rng.standard_normal(8)).astype(np.float32)
    torch.manual_seed(0)
    tmodel = tp.MLP()
    copy_weights(tmodel, gmodel)
    (tx, gx), (ty, gy) = both(x), both(y)
    ref = tp.fit(tmodel, tx, ty)
    ours = gp.fit(gmodel, gx, gy)
    assert_same(ours, ref, "fit", rtol=1e-4)
    assert 0.04 < max(ours[2]) <= 0.05 and ours[2][-1] < 0.05 / 25  # up to max_lr, then down
    assert_same_params(gmodel, tmodel)


@pytest.fixture(scope="module")
def image_folder(tmp_path_factory, digits):
    """``root/val/<class>/<n>.png``: 12 digits, 4 per class, as 32x32 RGB PNG files."""
    from PIL import Image

    images, labels = digits
    root = tmp_path_factory.mktemp("imagenet")
    for cls in ("n01", "n02", "n03"):
        (root / "val" / cls).mkdir(parents=True)
    for k in range(12):
        pixels = np.kron(images[k] * 15, np.ones((4, 4))).astype(np.uint8)
        Image.fromarray(pixels, mode="L").convert("RGB").save(
            root / "val" / ("n01", "n02", "n03")[k % 3] / f"{k:03d}.png")
    return root


@pytest.mark.filterwarnings("ignore:'pin_memory' argument is set as true")
def test_imagenet_example_resumes_validates_and_checkpoints_like_torch(
        load, image_folder, tmp_path, monkeypatch, capsys):
    tp, gp = load("imagenet")
    assert "resnet18" in gp.model_names and "resnet18" in tp.model_names
    torch.manual_seed(0)
    outputs, logs = [], []
    for lib, program, reference in (("torch", tp, None), ("glassnet", gp, "torch")):
        module = torch if lib == "torch" else glassnet
        (tmp_path / lib).mkdir()
        monkeypatch.chdir(tmp_path / lib)
        model = program.models.resnet18()
        if reference is not None:
            copy_weights(tmodel, model)
        else:
            tmodel = model
        optimizer = module.optim.SGD(model.parameters(), 0.1, momentum=0.9, weight_decay=1e-4)
        scheduler = program.StepLR(optimizer, step_size=30, gamma=0.1)
        for _ in range(3):  # three epochs with nothing to learn (no gradients yet)
            optimizer.step()
            scheduler.step()
        module.save({"epoch": 3, "arch": "resnet18", "state_dict": model.state_dict(),
                     "best_acc1": 0.0, "optimizer": optimizer.state_dict(),
                     "scheduler": scheduler.state_dict()}, "init.pth.tar")
        outputs.append(program.main([str(image_folder), "--resume", "init.pth.tar", "-b", "5",
                                     "-p", "1"]))
        logs.append(capsys.readouterr().out)
    ref, ours = outputs
    assert_same(ours, ref, "validate", rtol=1e-4)
    assert ours[2:] == (["n01", "n02", "n03"], 12)
    assert_same_text(logs[1], logs[0].replace("fork", glassnet.multiprocessing.get_start_method()))
    assert logs[1].count("Test: [") == 3  # 12 images in batches of 5
    checkpoint = glassnet.load("checkpoint.pth.tar")
    assert checkpoint["epoch"] == 4 and checkpoint["arch"] == "resnet18"
    assert checkpoint["scheduler"]["last_epoch"] == 3
    restored = gp.models.resnet18()
    restored.load_state_dict(checkpoint["state_dict"])
    assert_same_params(restored, tmodel, rtol=0, atol=0)
    assert (tmp_path / "glassnet" / "model_best.pth.tar").exists() == (
        tmp_path / "torch" / "model_best.pth.tar").exists()


def test_imagenet_distributed_import_resolves_and_reports_no_process_group():
    # pytorch/examples imagenet imports torch.distributed at the top and only uses it
    # when --world-size > 1.
    namespace = {}
    exec(port("import torch.distributed as dist"), namespace)
    dist = namespace["dist"]
    assert callable(dist.init_process_group) and dist.is_initialized() is False


def test_word_language_model_onnx_import_resolves():
    # word_language_model and super_resolution import torch.onnx (issue 13)
    namespace = {}
    exec(port("import torch.onnx"), namespace)
    assert callable(namespace["torch"].onnx.export)
    assert callable(namespace["torch"].onnx.load)
