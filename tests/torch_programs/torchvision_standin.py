"""A tiny ``torchvision`` for the torch run of the programs in this folder.

torchvision is not a test dependency (only torch is), so where it is not installed the
torch run of a program that imports torchvision gets this stand-in, put into
``sys.modules`` for that run only.  It holds just what the programs use, written from
torchvision's documented semantics:
``transforms`` (Compose, ToTensor, Normalize, CenterCrop), ``datasets`` (MNIST from the
IDX files in ``root/MNIST/raw``, and ImageFolder; samples are PIL images), ``utils``
(make_grid, save_image) and ``models`` (resnet18 with torchvision's module names, so that
its state_dict loads into glassnet's ``resnet18`` with ``strict=True``).
"""
from __future__ import annotations

import math
import sys
import types
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

__all__ = ["install"]


# ---------------------------------------------------------------------------
# transforms
# ---------------------------------------------------------------------------
class Compose:
    def __init__(self, transforms):
        self.transforms = transforms

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img


class ToTensor:
    """PIL image or (H, W[, C]) uint8 array -> float (C, H, W) in [0, 1]."""

    def __call__(self, pic):
        arr = np.array(pic)  # a writable copy, as torchvision's
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


class CenterCrop:
    """Crop the centre; offsets ``int(round((H - h) / 2))`` as torchvision."""

    def __init__(self, size):
        self.size = (size, size) if isinstance(size, int) else tuple(size)

    def __call__(self, img):
        h, w = self.size
        top = int(round((img.height - h) / 2.0))
        left = int(round((img.width - w) / 2.0))
        return img.crop((left, top, left + w, top + h))


# ---------------------------------------------------------------------------
# datasets
# ---------------------------------------------------------------------------
def _read_idx(path: Path) -> np.ndarray:
    raw = path.read_bytes()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * ndim).reshape(shape).copy()


class MNIST(torch.utils.data.Dataset):
    """torchvision.datasets.MNIST over ``root/MNIST/raw``; ``download`` must be False."""

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        if download:
            raise RuntimeError("MNIST stand-in: download=True is not supported")
        raw = Path(root) / "MNIST" / "raw"
        prefix = "train" if train else "t10k"
        self.data = torch.from_numpy(_read_idx(raw / f"{prefix}-images-idx3-ubyte"))
        self.targets = torch.from_numpy(
            _read_idx(raw / f"{prefix}-labels-idx1-ubyte").astype(np.int64))
        self.transform, self.target_transform = transform, target_transform

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        img = Image.fromarray(img.numpy(), mode="L")
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)


class ImageFolder(torch.utils.data.Dataset):
    """``root/<class>/<image>``: classes and files in sorted order, RGB PIL samples."""

    def __init__(self, root, transform=None, target_transform=None):
        root = Path(root)
        self.classes = sorted(d.name for d in root.iterdir() if d.is_dir())
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}
        self.samples = [(str(f), self.class_to_idx[c]) for c in self.classes
                        for f in sorted((root / c).iterdir())
                        if f.suffix.lower() in (".png", ".jpg", ".jpeg")]
        self.targets = [t for _, t in self.samples]
        self.transform, self.target_transform = transform, target_transform

    def __getitem__(self, index):
        path, target = self.samples[index]
        with open(path, "rb") as f:
            img = Image.open(f).convert("RGB")
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.samples)


# ---------------------------------------------------------------------------
# utils
# ---------------------------------------------------------------------------
def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None,
              scale_each=False, pad_value=0.0):
    if tensor.dim() == 3:
        tensor = tensor.unsqueeze(0)
    if tensor.size(1) == 1:
        tensor = torch.cat((tensor, tensor, tensor), 1)
    if normalize:
        tensor = tensor.clone()
        imgs = tensor if scale_each else [tensor]
        for img in imgs:
            low, high = value_range if value_range is not None else (
                float(img.min()), float(img.max()))
            img.clamp_(min=low, max=high)
            img.sub_(low).div_(max(high - low, 1e-5))
    if tensor.size(0) == 1:
        return tensor.squeeze(0)
    nmaps = tensor.size(0)
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = int(tensor.size(2) + padding), int(tensor.size(3) + padding)
    grid = tensor.new_full((tensor.size(1), height * ymaps + padding,
                            width * xmaps + padding), pad_value)
    k = 0
    for y in range(ymaps):
        for x in range(xmaps):
            if k >= nmaps:
                break
            grid.narrow(1, y * height + padding, height - padding).narrow(
                2, x * width + padding, width - padding).copy_(tensor[k])
            k += 1
    return grid


def save_image(tensor, fp, format=None, **kwargs):
    grid = make_grid(tensor, **kwargs)
    ndarr = grid.mul(255).add_(0.5).clamp_(0, 255).permute(1, 2, 0).to(torch.uint8).numpy()
    Image.fromarray(ndarr).save(fp, format=format)


# ---------------------------------------------------------------------------
# models
# ---------------------------------------------------------------------------
class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    def __init__(self, layers, num_classes=1000):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], 2)
        self.layer3 = self._make_layer(256, layers[2], 2)
        self.layer4 = self._make_layer(512, layers[3], 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, 1, stride, bias=False), nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def resnet18(*, weights=None, progress=True, **kwargs):
    if weights is not None:
        raise ValueError("resnet18 stand-in: only weights=None (no pretrained weights)")
    return ResNet([2, 2, 2, 2], **kwargs)


# ---------------------------------------------------------------------------
def _module(name: str, **attrs) -> types.ModuleType:
    module = types.ModuleType(name)
    module.__dict__.update(attrs)
    return module


def install(monkeypatch) -> None:
    """Put the stand-in into ``sys.modules`` until ``monkeypatch`` undoes it."""
    transforms = _module("torchvision.transforms", Compose=Compose, ToTensor=ToTensor,
                         Normalize=Normalize, CenterCrop=CenterCrop)
    datasets = _module("torchvision.datasets", MNIST=MNIST, ImageFolder=ImageFolder)
    utils = _module("torchvision.utils", make_grid=make_grid, save_image=save_image)
    models = _module("torchvision.models", resnet18=resnet18, ResNet=ResNet)
    root = _module("torchvision", transforms=transforms, datasets=datasets, utils=utils,
                   models=models, __path__=[])
    for module in (root, transforms, datasets, utils, models):
        monkeypatch.setitem(sys.modules, module.__name__, module)
