"""Porting PyTorch programs by changing imports (DESIGN.md section 2): the quickstart
tutorial, a tensor-op program, a custom model with checkpoints and "Learning PyTorch with
Examples" (pytorch/examples' MNIST and the other programs are in
``tests/test_torch_programs.py``).

Each program below is written once, the way people write PyTorch (pytorch/examples,
the official tutorials), and executed twice from the same source text: with ``torch``,
``nn``, ``F``, ``optim``... bound to PyTorch, and bound to glassnet.  Where the
program is deterministic (same initial weights, copied across; no shuffling or
dropout) the results must agree within float32 tolerance; otherwise the glassnet run
must at least run and learn.

torchvision is not a test dependency: where it is not installed the torch run gets a
small stand-in for the three transforms the programs use (``Compose``, ``ToTensor``,
``Normalize``), written from torchvision's documented semantics.
"""
from __future__ import annotations

import gzip
import math
from pathlib import Path

import numpy as np
import pytest

import glassnet

torch = pytest.importorskip("torch", reason="torch is the oracle of these tests")

MNIST_DIR = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist"


# ---------------------------------------------------------------------------
# Harness
# ---------------------------------------------------------------------------
class _TorchTransforms:
    """``torchvision.transforms`` stand-in: Compose, ToTensor, Normalize."""

    class Compose:
        def __init__(self, transforms):
            self.transforms = transforms

        def __call__(self, x):
            for t in self.transforms:
                x = t(x)
            return x

    class ToTensor:
        def __call__(self, pic):
            arr = np.asarray(pic)
            if arr.ndim == 2:
                arr = arr[:, :, None]
            out = torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
            return out.float().div(255) if arr.dtype == np.uint8 else out

    class Normalize:
        def __init__(self, mean, std):
            self.mean, self.std = mean, std

        def __call__(self, x):
            mean = torch.tensor(self.mean, dtype=x.dtype).view(-1, 1, 1)
            std = torch.tensor(self.std, dtype=x.dtype).view(-1, 1, 1)
            return (x - mean) / std


def _namespace(lib: str) -> dict:
    """The names a ported script imports, from PyTorch or from glassnet."""
    if lib == "torch":
        import torch.nn as nn
        import torch.nn.functional as F
        import torch.optim as optim
        from torch.optim.lr_scheduler import StepLR
        from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split

        try:  # the real torchvision where it is installed, else the stand-in
            import torchvision.transforms as transforms
        except ImportError:
            transforms = _TorchTransforms
    else:
        import glassnet.nn as nn
        import glassnet.nn.functional as F
        import glassnet.optim as optim
        from glassnet.utils.data import DataLoader, Dataset, TensorDataset, random_split
        from glassnet.vision import transforms
        from glassnet.optim.lr_scheduler import StepLR

        torch_ = glassnet
    return {
        "torch": torch if lib == "torch" else torch_, "nn": nn, "F": F, "optim": optim,
        "StepLR": StepLR, "DataLoader": DataLoader, "Dataset": Dataset,
        "TensorDataset": TensorDataset, "random_split": random_split,
        "transforms": transforms, "math": math, "np": np, "__name__": f"port_{lib}",
    }


def _load(program: str, lib: str) -> dict:
    """Execute ``program`` with ``lib``'s names bound; return its namespace."""
    ns = _namespace(lib)
    exec(compile(program, f"<program:{lib}>", "exec"), ns)
    return ns


def _copy_weights(src, dst) -> None:
    """Load a torch module's state_dict into the glassnet module (strict)."""
    state = {k: glassnet.tensor(v.detach().numpy()) for k, v in src.state_dict().items()}
    dst.load_state_dict(state)


def _as_numpy(value):
    if isinstance(value, (torch.Tensor, glassnet.Tensor)):
        return value.detach().numpy()
    return value


def _assert_same(ours, ref, name, atol=1e-5, rtol=1e-4):
    """Compare one result: tensors by dtype, shape and values; scalars by type and value."""
    if isinstance(ref, torch.Tensor):
        assert isinstance(ours, glassnet.Tensor), f"{name}: got {type(ours).__name__}"
        assert str(ours.dtype) == str(ref.dtype).replace("torch.", ""), (
            f"{name}: dtype {ours.dtype} != torch {ref.dtype}")
        assert tuple(ours.shape) == tuple(ref.shape), (
            f"{name}: shape {tuple(ours.shape)} != torch {tuple(ref.shape)}")
        np.testing.assert_allclose(_as_numpy(ours), _as_numpy(ref), atol=atol, rtol=rtol,
                                   err_msg=name)
    elif isinstance(ref, (tuple, list)):
        assert isinstance(ours, (tuple, list)) and len(ours) == len(ref), name
        for k, (o, r) in enumerate(zip(ours, ref)):
            _assert_same(o, r, f"{name}[{k}]", atol, rtol)
    elif isinstance(ref, float):
        assert type(ours) is float, f"{name}: {type(ours).__name__} is not float"
        assert ours == pytest.approx(ref, rel=rtol, abs=atol), name
    else:
        assert type(ours) is type(ref), f"{name}: {type(ours).__name__} != {type(ref).__name__}"
        assert ours == ref, f"{name}: {ours!r} != torch {ref!r}"


def _read_idx(name: str) -> np.ndarray:
    with gzip.open(MNIST_DIR / name, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape)


@pytest.fixture(scope="module")
def mnist():
    if not (MNIST_DIR / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"MNIST files not found in {MNIST_DIR}")
    images = _read_idx("train-images-idx3-ubyte.gz")
    labels = _read_idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    return images[:256].copy(), labels[:256].copy(), images[-128:].copy(), labels[-128:].copy()


# ---------------------------------------------------------------------------
# Program 1: pytorch/examples mnist/main.py (smaller layers, two short epochs)
# ---------------------------------------------------------------------------
QUICKSTART_PROGRAM = '''
classes = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(28 * 28, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


def train(dataloader, model, loss_fn, optimizer, device, log):
    size = len(dataloader.dataset)
    model.train()
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        loss, current = loss.item(), (batch + 1) * len(X)
        log.append(f"loss: {loss:>7f}  [{current:>5d}/{size:>5d}]")


def test(dataloader, model, loss_fn, device):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    return f"Accuracy: {(100 * correct):>0.1f}%, Avg loss: {test_loss:>8f}"


def per_class_accuracy(model, loader):
    correct_pred = {classname: 0 for classname in classes}
    total_pred = {classname: 0 for classname in classes}
    with torch.no_grad():
        for images, labels in loader:
            outputs = model(images)
            _, predictions = torch.max(outputs, 1)
            for label, prediction in zip(labels, predictions):
                if label == prediction:
                    correct_pred[classes[label]] += 1
                total_pred[classes[label]] += 1
    return {c: correct_pred[c] / max(total_pred[c], 1) for c in classes}


def main(model, train_images, train_labels, test_images, test_labels, path):
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    X = torch.tensor(train_images, dtype=torch.float32).unsqueeze(1) / 255
    Xt = torch.tensor(test_images, dtype=torch.float32).unsqueeze(1) / 255
    train_dataloader = DataLoader(TensorDataset(X, torch.from_numpy(train_labels)),
                                  batch_size=32)
    test_dataloader = DataLoader(TensorDataset(Xt, torch.from_numpy(test_labels)),
                                 batch_size=32)
    model = model.to(device)
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-1, momentum=0.9)
    log, results = [], []
    for t in range(2):
        train(train_dataloader, model, loss_fn, optimizer, device, log)
        results.append(test(test_dataloader, model, loss_fn, device))
    torch.save(model.state_dict(), path)
    model = NeuralNetwork().to(device)
    model.load_state_dict(torch.load(path, weights_only=True))
    model.eval()
    x, y = Xt[0], test_labels[0]
    with torch.no_grad():
        x = x.to(device)
        pred = model(x)
        predicted, actual = classes[pred[0].argmax(0)], classes[y]
    return {"log": log, "results": results, "predicted": predicted, "actual": actual,
            "per_class": per_class_accuracy(model, test_dataloader)}
'''


def test_quickstart_tutorial_matches_torch(mnist, tmp_path):
    tns, gns = _load(QUICKSTART_PROGRAM, "torch"), _load(QUICKSTART_PROGRAM, "glassnet")
    torch.manual_seed(0)
    tmodel, gmodel = tns["NeuralNetwork"](), gns["NeuralNetwork"]()
    _copy_weights(tmodel, gmodel)
    ref = tns["main"](tmodel, *mnist, str(tmp_path / "model.pth"))
    ours = gns["main"](gmodel, *mnist, str(tmp_path / "model.safetensors"))
    ref_losses = [float(line.split()[1]) for line in ref["log"]]
    losses = [float(line.split()[1]) for line in ours["log"]]
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-4, atol=1e-5)
    assert [line[16:] for line in ours["log"]] == [line[16:] for line in ref["log"]]
    assert [r.split(",")[0] for r in ours["results"]] == [r.split(",")[0] for r in ref["results"]]
    assert ours["predicted"] == ref["predicted"] and ours["actual"] == ref["actual"]
    assert ours["per_class"] == ref["per_class"]
    assert float(ours["results"][-1].split()[1][:-2]) > 50  # accuracy in percent


# ---------------------------------------------------------------------------
# Program 2: tensor manipulation, as found in model and metric code
# ---------------------------------------------------------------------------
TENSOR_PROGRAM = '''
def main(x_np, y_np, labels_np):
    out = {}
    x = torch.from_numpy(x_np)
    y = torch.tensor(y_np)
    labels = torch.tensor(labels_np)
    n = x.size(0)

    # joining and reshaping
    out["cat"] = torch.cat([x, y], dim=1)
    out["cat_last"] = torch.cat((x, y), -1)
    out["stack"] = torch.stack([x, y])
    out["stack_dim"] = torch.stack([x, y], dim=1)
    out["view"] = x.view(-1, 5)
    out["view_batch"] = x.view(n, -1)
    out["view_tuple"] = x.view((4, 15))
    out["reshape"] = x.reshape(4, -1)
    out["permute"] = x.permute(0, 2, 1).contiguous().view(4, -1)
    out["transpose"] = x.transpose(1, 2)
    out["flatten"] = torch.flatten(x, start_dim=1)
    out["squeeze"] = x[:, :1].squeeze(1)
    out["unsqueeze"] = labels.unsqueeze(-1)
    out["none"] = labels.float()[:, None] * labels.float()[None, :]
    out["ellipsis"] = x[..., 0]
    out["index_list"] = x[[0, 2]]
    out["index_tensor"] = x[labels]
    out["T"] = x[0].T
    out["chunk"] = torch.chunk(x, 2, dim=2)
    out["split"] = x.split(2, dim=-1)
    out["expand"] = torch.arange(5).unsqueeze(0).expand(n, -1)
    out["expand_as"] = x.mean(1, keepdim=True).expand_as(x)
    out["repeat"] = labels.repeat(2)

    # creation
    out["new_zeros"] = x.new_zeros(x.shape)
    out["new_zeros_tuple"] = x.new_zeros((2, 3))
    out["new_ones"] = x.new_ones(3)
    out["new_full"] = x.new_full((2,), 7.0)
    out["new_tensor"] = x.new_tensor([1, 2])
    out["new_empty"] = x.new_empty(2, 3).shape
    out["zeros_like"] = torch.zeros_like(x) + 1
    out["ones_like"] = torch.ones_like(labels)
    out["full"] = torch.full((2, 2), 3.0)
    out["full_int"] = torch.full((2,), 3)
    out["zeros_tuple"] = torch.zeros((2, 3))
    out["ones_long"] = torch.ones(2, 3, dtype=torch.long)
    out["eye"] = torch.eye(3)
    out["arange"] = torch.arange(0, 1, 0.25)
    out["linspace"] = torch.linspace(0, 1, steps=5)
    out["tensor_float64"] = torch.tensor([1.5, 2.5], dtype=torch.float64)

    # reductions
    out["sum_dims"] = x.sum(dim=(1, 2))
    out["sum_keep"] = x.sum(-1, keepdim=True)
    out["mean_keep"] = x.mean(1, keepdim=True)
    out["mean_dims"] = x.mean(dim=[0, 2])
    out["std"] = x.std()
    out["std_dim"] = x.std(dim=1)
    out["var_biased"] = x.var(0, unbiased=False)
    out["max_all"] = x.max()
    out["max1_idx"] = x.max(1)[1]
    values, indices = x.max(dim=-1)
    out["max_values"] = values
    out["max_indices"] = indices
    out["max_named"] = x.max(dim=2).indices
    out["min_keep"] = x.min(dim=1, keepdim=True)[0]
    out["max_binary"] = torch.max(x, y)
    out["argmax"] = torch.argmax(x, dim=1)
    topv, topi = x.view(n, -1).topk(3, dim=1)
    out["topk"] = (topv, topi)
    out["topk_smallest"] = torch.topk(x.view(-1), 2, largest=False).values
    sorted_x, order = torch.sort(x.view(-1), descending=True)
    out["sort"] = (sorted_x, order)
    out["argsort"] = labels.argsort()
    out["cumsum"] = x.cumsum(dim=1)
    out["norm"] = x.norm(dim=-1)
    out["norm_p1"] = torch.norm(x, p=1)
    out["prod"] = labels.prod()
    out["any_all"] = ((x > 0).any().item(), (x > -10).all().item())
    out["unique"] = torch.unique(labels)

    # elementwise and masks
    mask = x > 0.5
    out["masked_fill"] = x.masked_fill(mask, 0.0)
    out["masked_fill_inf"] = x.masked_fill(x < -1.0, float("-inf")).softmax(dim=-1)
    out["where_scalar"] = torch.where(x > 0, x, 0.0)
    out["where_tensor"] = torch.where(mask, x, torch.zeros_like(x))
    out["bool_ops"] = (mask & (x < 0.8)) | ~mask
    out["bool_index"] = x[mask]
    out["nonzero"] = (labels > 1).nonzero()
    out["clamp"] = x.clamp(min=0)
    out["clamp_max"] = torch.clamp(x, max=0.2)
    c = x.clone()
    c.clamp_(min=0.0, max=0.5)
    out["clamp_"] = c
    out["float"] = labels.float() / 2
    out["long"] = (x * 10).long()
    out["int_div"] = labels // 2
    out["true_div"] = labels / 2
    out["type_as"] = labels.type_as(x)
    out["to_dtype"] = labels.to(torch.float64)
    out["to_like"] = labels.to(x)
    out["add_alpha"] = torch.add(x, y, alpha=2)
    out["pow_sqrt"] = x.pow(2).sqrt()
    out["exp_log"] = torch.log(torch.exp(x))
    out["sigmoid"] = torch.sigmoid(x)
    out["softmax"] = F.softmax(x, dim=-1)
    out["one_hot"] = F.one_hot(labels, num_classes=4)
    out["scatter_one_hot"] = torch.zeros(n, 4).scatter_(1, labels.unsqueeze(1), 1.0)
    out["gather"] = x[:, 0].gather(1, labels.view(-1, 1))
    out["matmul"] = x @ y.transpose(-1, -2)
    out["bmm"] = torch.bmm(x, y.transpose(1, 2))
    out["tril"] = torch.tril(torch.ones(3, 3))
    out["triu"] = torch.ones(3, 3).triu(diagonal=1)
    out["isclose"] = torch.isclose(x, x + 1e-9)
    out["eq_count"] = (labels == 1).sum().item()
    out["cat_mixed"] = torch.cat([labels, x[:, 0, 0]])
    out["repeat_interleave"] = labels.repeat_interleave(2)
    out["masked_select"] = x.masked_select(mask)
    out["bincount"] = torch.bincount(labels, minlength=5)
    gy, gx = torch.meshgrid(torch.arange(3), torch.arange(4), indexing="ij")
    out["meshgrid"] = (gy, gx)
    out["fmod"] = x.fmod(0.5)

    # in-place on tensors that do not require grad
    acc = torch.zeros(5)
    for i in range(n):
        acc += x[i, 0]
    acc *= 0.5
    acc -= 1
    acc /= 2
    out["inplace_ops"] = acc
    w = x.clone()
    with torch.no_grad():
        w[w < 0] = 0
        w[:, 0] = 1.5
    out["setitem"] = w
    m = x.clone()
    m.masked_fill_(mask, -1.0)
    m.mul_(2).add_(1)
    out["masked_fill_"] = m
    d = x.clone()
    d.data = d.data * 2
    out["data_assign"] = d

    # python values
    out["numel"] = x.numel()
    out["nelement"] = sum(p.nelement() for p in (x, y))
    out["size_slice"] = x.size()[1:]
    out["format"] = f"{x.sum():.3f} {x.mean():>8.4f}"
    out["legacy_ctor"] = tuple(torch.Tensor(2, 3).shape)
    out["legacy_data"] = torch.Tensor([1, 2])
    out["size0"] = x.size(0)
    out["size_tuple"] = tuple(x.size())
    out["shape_last"] = x.shape[-1]
    out["dim"] = x.dim()
    out["len"] = len(x)
    out["item_float"] = x.sum().item()
    out["item_int"] = labels[0].item()
    out["tolist"] = labels.tolist()
    out["float_cast"] = float(x[0, 0, 0])
    out["is_float"] = x.is_floating_point()
    out["dtype_eq"] = x.dtype == torch.float32
    out["labels_dtype_eq"] = labels.dtype == torch.int64
    out["numpy"] = x.detach().numpy().sum(axis=0)

    # randomness: same seed, same numbers
    torch.manual_seed(0)
    r1 = torch.randn(2, 3)
    torch.manual_seed(0)
    r2 = torch.randn(2, 3)
    g = torch.Generator().manual_seed(42)
    r3 = torch.randn(2, 3, generator=g)
    g.manual_seed(42)
    r4 = torch.randn(2, 3, generator=g)
    perm = torch.randperm(10, generator=g)
    out["random"] = (torch.equal(r1, r2), torch.equal(r3, r4), tuple(r3.shape),
                     sorted(perm.tolist()) == list(range(10)))
    out["randint_dtype"] = torch.randint(0, 10, (3,)).dtype == torch.int64
    out["randint_high"] = tuple(torch.randint(10, (3, 2)).shape)
    with torch.inference_mode():
        out["inference_mode"] = (x.requires_grad_() * 2).requires_grad
    x.requires_grad_(False)
    out["rand_like"] = tuple(torch.rand_like(x).shape)
    return out
'''


def test_data_attribute_is_a_detached_tensor_sharing_storage_like_torch():
    program = (
        "def init(m):\n"
        "    m.bias.data.fill_(0.01)\n"
        "    m.weight.data.mul_(0.0).add_(2.0)\n"
        "    return m\n")
    for name in ("torch", "glassnet"):
        lib = torch if name == "torch" else glassnet
        m = _load(program, name)["init"](lib.nn.Linear(2, 2))
        assert m.bias.data.requires_grad is False and m.bias.data.grad_fn is None
        np.testing.assert_allclose(_as_numpy(m.bias), [0.01, 0.01], rtol=1e-6)
        np.testing.assert_allclose(_as_numpy(m.weight), np.full((2, 2), 2.0))


def test_tensor_program_matches_torch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3, 5)).astype(np.float32)
    y = rng.standard_normal((4, 3, 5)).astype(np.float32)
    labels = np.array([1, 3, 0, 1], np.int64)
    ref = _load(TENSOR_PROGRAM, "torch")["main"](x.copy(), y.copy(), labels.copy())
    ours = _load(TENSOR_PROGRAM, "glassnet")["main"](x.copy(), y.copy(), labels.copy())
    assert ours.keys() == ref.keys()
    for name in ref:
        if isinstance(ref[name], np.ndarray):
            np.testing.assert_allclose(ours[name], ref[name], rtol=1e-5, err_msg=name)
        elif isinstance(ref[name], torch.Size):
            assert tuple(ours[name]) == tuple(ref[name]), name
        else:
            _assert_same(ours[name], ref[name], name)


# ---------------------------------------------------------------------------
# Program 3: a custom model, param groups, clipping, scheduling, checkpoints
# ---------------------------------------------------------------------------
CUSTOM_PROGRAM = '''
class ResidualMLP(nn.Module):
    def __init__(self, in_features, hidden, num_classes, depth=2, p=0.1):
        super().__init__()
        self.stem = nn.Linear(in_features, hidden)
        self.blocks = nn.ModuleList([
            nn.Sequential(nn.Linear(hidden, hidden, bias=False), nn.BatchNorm1d(hidden),
                          nn.ReLU(), nn.Dropout(p))
            for _ in range(depth)
        ])
        self.scale = nn.Parameter(torch.ones(1))
        self.head = nn.Linear(hidden, num_classes)
        self.register_buffer("input_mean", torch.zeros(in_features))
        nn.init.kaiming_normal_(self.stem.weight, mode="fan_out", nonlinearity="relu")
        nn.init.zeros_(self.stem.bias)

    def forward(self, x):
        x = F.relu(self.stem(x - self.input_mean))
        for block in self.blocks:
            x = x + self.scale * block(x)
        return self.head(x)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.xavier_uniform_(m.weight)
        if m.bias is not None:
            with torch.no_grad():
                m.bias.fill_(0.01)
    elif isinstance(m, nn.BatchNorm1d):
        nn.init.constant_(m.weight, 1)
        nn.init.constant_(m.bias, 0)


def build(p=0.1):
    model = ResidualMLP(6, 16, 3, p=p)
    model.apply(init_weights)
    return model


def main(model, x_np, y_np, ckpt_path):
    x = torch.from_numpy(x_np)
    y = torch.from_numpy(y_np)
    model.input_mean.copy_(x.mean(0))
    dataset = TensorDataset(x, y)
    loader = DataLoader(dataset, batch_size=16, shuffle=False)
    criterion = nn.CrossEntropyLoss()
    head_params = list(model.head.parameters())
    other_params = [p for n, p in model.named_parameters() if not n.startswith("head.")]
    optimizer = optim.Adam([
        {"params": other_params},
        {"params": head_params, "lr": 3e-3, "weight_decay": 1e-4},
    ], lr=1e-2, betas=(0.9, 0.99))
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    n_params = sum(p.numel() for p in model.parameters() if p.requires_grad)

    losses, norms, lrs = [], [], []
    for epoch in range(4):
        model.train()
        running_loss = 0.0
        for inputs, targets in loader:
            optimizer.zero_grad()
            logits = model(inputs)
            loss = criterion(logits, targets)
            loss.backward()
            total_norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
            optimizer.step()
            running_loss += loss.item() * inputs.size(0)
            losses.append(loss.item())
            norms.append(float(total_norm))
        scheduler.step()
        lrs.append([group["lr"] for group in optimizer.param_groups])

    model.eval()
    with torch.no_grad():
        logits = model(x)
        probs = F.softmax(logits, dim=1)
        _, predicted = torch.max(logits.data, 1)
        correct = (predicted == y).sum().item()

    torch.save(model.state_dict(), ckpt_path)
    restored = build()
    restored.load_state_dict(torch.load(ckpt_path))
    restored.eval()
    with torch.no_grad():
        same = torch.allclose(restored(x), logits)
    return {"losses": losses, "norms": norms, "lrs": lrs, "correct": correct,
            "probs": probs, "n_params": n_params, "restored_same": same,
            "keys": list(model.state_dict().keys()),
            "running_mean": model.blocks[0][1].running_mean}
'''


def _blobs(seed=0, n=64):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = rng.standard_normal((3, 6)) * 2
    x = (centers[y] + rng.standard_normal((n, 6)) * 0.7).astype(np.float32)
    return x, y.astype(np.int64)


def test_custom_model_training_matches_torch(tmp_path):
    x, y = _blobs()
    tns, gns = _load(CUSTOM_PROGRAM, "torch"), _load(CUSTOM_PROGRAM, "glassnet")
    torch.manual_seed(0)
    tmodel = tns["build"](p=0.0)
    gmodel = gns["build"](p=0.0)
    _copy_weights(tmodel, gmodel)
    ref = tns["main"](tmodel, x, y, str(tmp_path / "torch.pt"))
    ours = gns["main"](gmodel, x, y, str(tmp_path / "glassnet.safetensors"))
    np.testing.assert_allclose(ours["losses"], ref["losses"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours["norms"], ref["norms"], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(ours["lrs"], ref["lrs"])
    _assert_same(ours["probs"], ref["probs"], "probs", atol=1e-5)
    _assert_same(ours["running_mean"], ref["running_mean"], "running_mean", atol=1e-5)
    for key in ("correct", "n_params", "restored_same", "keys"):
        _assert_same(ours[key], ref[key], key)
    assert ours["restored_same"] is True


def test_custom_model_with_dropout_learns(tmp_path):
    x, y = _blobs(1)
    gns = _load(CUSTOM_PROGRAM, "glassnet")
    glassnet.manual_seed(0)
    out = gns["main"](gns["build"](p=0.2), x, y, str(tmp_path / "model.safetensors"))
    assert out["losses"][-1] < 0.5 * out["losses"][0]
    assert out["correct"] >= 56 and out["restored_same"] is True


# ---------------------------------------------------------------------------
# Program 4: "Learning PyTorch with Examples": raw autograd, then nn + optim
# ---------------------------------------------------------------------------
POLY_PROGRAM = '''
def fit_raw(a, b, c, d, steps=200):
    x = torch.linspace(-math.pi, math.pi, 200)
    y = torch.sin(x)
    learning_rate = 1e-5
    losses = []
    for t in range(steps):
        y_pred = a + b * x + c * x ** 2 + d * x ** 3
        loss = (y_pred - y).pow(2).sum()
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            a -= learning_rate * a.grad
            b -= learning_rate * b.grad
            c -= learning_rate * c.grad
            d -= learning_rate * d.grad
            a.grad = None
            b.grad = None
            c.grad.zero_()
            d.grad.zero_()
    return losses, [a.item(), b.item(), c.item(), d.item()]


def fit_nn(model, steps=50):
    x = torch.linspace(-math.pi, math.pi, 200)
    y = torch.sin(x)
    p = torch.tensor([1, 2, 3])
    xx = x.unsqueeze(-1).pow(p)
    loss_fn = torch.nn.MSELoss(reduction="sum")
    learning_rate = 1e-6
    losses = []
    for t in range(steps):
        y_pred = model(xx)
        loss = loss_fn(y_pred, y)
        losses.append(loss.item())
        model.zero_grad()
        loss.backward()
        with torch.no_grad():
            for param in model.parameters():
                param -= learning_rate * param.grad
    linear_layer = model[0]
    return losses, [linear_layer.bias.item(), linear_layer.weight[:, 0].item(),
                    linear_layer.weight[:, 1].item(), linear_layer.weight[:, 2].item()]


def build():
    return torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
'''


def test_learning_pytorch_with_examples_matches_torch():
    tns, gns = _load(POLY_PROGRAM, "torch"), _load(POLY_PROGRAM, "glassnet")
    init = [0.1, -0.2, 0.3, 0.05]
    tparams = [torch.tensor(v, requires_grad=True) for v in init]
    gparams = [glassnet.tensor(v, requires_grad=True) for v in init]
    ref_losses, ref_coef = tns["fit_raw"](*tparams)
    losses, coef = gns["fit_raw"](*gparams)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-4)
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-4, atol=1e-6)
    assert losses[-1] < 0.5 * losses[0]
    assert all(p.is_leaf and p.requires_grad for p in gparams)

    torch.manual_seed(0)
    tmodel, gmodel = tns["build"](), gns["build"]()
    _copy_weights(tmodel, gmodel)
    ref_losses, ref_coef = tns["fit_nn"](tmodel)
    losses, coef = gns["fit_nn"](gmodel)
    np.testing.assert_allclose(losses, ref_losses, rtol=1e-4)
    np.testing.assert_allclose(coef, ref_coef, rtol=1e-4, atol=1e-6)
