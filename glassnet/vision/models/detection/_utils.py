"""Pieces shared by the detectors: a small convolutional backbone, a feature pyramid
(torchvision's ``FeaturePyramidNetwork``), and input checks."""
from __future__ import annotations

from collections import OrderedDict

import numpy as np

from glassnet import nn
from glassnet.nn import functional as F
from glassnet.ops.shape import stack
from glassnet.tensor import Tensor

__all__ = ["SmallBackbone", "FeaturePyramidNetwork", "BackboneWithFPN", "images_to_batch",
           "check_targets"]


def _conv_bn(cin: int, cout: int, stride: int) -> list:
    return [nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
            nn.BatchNorm2d(cout), nn.ReLU(inplace=True)]


class SmallBackbone(nn.Module):
    """A VGG-style backbone for small images: pairs of 3x3 conv + BatchNorm + ReLU, the
    first of each pair with stride 2.

    Parameters
    ----------
    in_channels : int
    widths : tuple of int
        Channels of the stages, whose outputs have strides 2, 4, 8, 16, ...

    Shape
    -----
    input ``(N, in_channels, H, W)``; output an OrderedDict ``{"c<k>": (N, widths[k-1],
    H / 2**k, W / 2**k)}`` of the last two stages (strides 8 and 16 with 4 widths).
    """

    def __init__(self, in_channels: int = 1, widths=(16, 32, 64, 128)):
        super().__init__()
        stages, c = [], in_channels
        for k, w in enumerate(widths):
            layers = _conv_bn(c, w, 2)
            if k > 0:  # the stem is a single strided conv
                layers += _conv_bn(w, w, 1)
            stages.append(nn.Sequential(*layers))
            c = w
        self.stages = nn.ModuleList(stages)
        self.out_channels_list = list(widths[-2:])
        self.returned = [f"c{len(widths) - 1}", f"c{len(widths)}"]

    def forward(self, x: Tensor) -> OrderedDict:
        out = OrderedDict()
        for k, stage in enumerate(self.stages):
            x = stage(x)
            name = f"c{k + 1}"
            if name in self.returned:
                out[name] = x
        return out


class FeaturePyramidNetwork(nn.Module):
    """Feature pyramid (Lin et al. 2017, arXiv:1612.03144), torchvision's module names:
    a 1x1 lateral conv per input map (``inner_blocks``), top-down nearest upsampling and
    addition, and a 3x3 conv per output (``layer_blocks``).

    Shape
    -----
    input an OrderedDict of maps, finest first; output an OrderedDict with the same keys
    of ``(N, out_channels, H_l, W_l)`` maps.
    """

    def __init__(self, in_channels_list, out_channels: int):
        super().__init__()
        if not in_channels_list or any(c <= 0 for c in in_channels_list):
            raise ValueError(f"FeaturePyramidNetwork: in_channels_list must be positive "
                             f"ints, got {in_channels_list}")
        self.inner_blocks = nn.ModuleList(nn.Conv2d(c, out_channels, 1)
                                          for c in in_channels_list)
        self.layer_blocks = nn.ModuleList(nn.Conv2d(out_channels, out_channels, 3, padding=1)
                                          for _ in in_channels_list)
        for m in self.modules():  # torchvision: kaiming_uniform_(a=1), zero bias
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_uniform_(m.weight, a=1)
                nn.init.constant_(m.bias, 0)

    def forward(self, x) -> OrderedDict:
        names = list(x.keys())
        feats = list(x.values())
        last = self.inner_blocks[-1](feats[-1])
        results = [self.layer_blocks[-1](last)]
        for idx in range(len(feats) - 2, -1, -1):
            lateral = self.inner_blocks[idx](feats[idx])
            top_down = F.interpolate(last, size=tuple(lateral.shape[-2:]), mode="nearest")
            last = lateral + top_down
            results.insert(0, self.layer_blocks[idx](last))
        return OrderedDict(zip(names, results))


class BackboneWithFPN(nn.Module):
    """``body`` (a backbone returning an OrderedDict) followed by an FPN; has
    ``out_channels`` as torchvision's."""

    def __init__(self, body, out_channels: int = 64):
        super().__init__()
        self.body = body
        self.fpn = FeaturePyramidNetwork(body.out_channels_list, out_channels)
        self.out_channels = out_channels

    def forward(self, x: Tensor) -> OrderedDict:
        return self.fpn(self.body(x))


def images_to_batch(images, fn: str) -> Tensor:
    """A list of ``(C, H, W)`` Tensors of one size, or an ``(N, C, H, W)`` Tensor, as one
    batch Tensor."""
    if isinstance(images, Tensor):
        if images.ndim != 4:
            raise ValueError(f"{fn}: images must be a list of (C, H, W) Tensors or an "
                             f"(N, C, H, W) Tensor, got shape {tuple(images.shape)}")
        return images
    if not isinstance(images, (list, tuple)) or not images:
        raise TypeError(f"{fn}: images must be a non-empty list of (C, H, W) Tensors, got "
                        f"{type(images).__name__}")
    shapes = {tuple(im.shape) for im in images}
    if len(shapes) != 1 or len(next(iter(shapes))) != 3:
        raise ValueError(f"{fn}: images must be (C, H, W) Tensors of one size (no resizing "
                         f"transform here), got shapes {sorted(shapes)}")
    return stack(list(images), 0)


def check_targets(targets, n: int, fn: str) -> list:
    """Targets as a list of (boxes float32 ``(G, 4)``, labels int64 ``(G,)``) arrays."""
    if targets is None:
        raise ValueError(f"{fn}: targets must be given in training mode")
    if len(targets) != n:
        raise ValueError(f"{fn}: targets must hold one dict per image ({n}), got "
                         f"{len(targets)}")
    out = []
    for i, t in enumerate(targets):
        if "boxes" not in t or "labels" not in t:
            raise ValueError(f"{fn}: targets[{i}] must have 'boxes' and 'labels', got keys "
                             f"{sorted(t)}")
        b = np.asarray(getattr(t["boxes"], "_data", t["boxes"]), np.float32).reshape(-1, 4)
        lab = np.asarray(getattr(t["labels"], "_data", t["labels"]), np.int64).reshape(-1)
        if len(b) != len(lab):
            raise ValueError(f"{fn}: targets[{i}] has {len(b)} boxes and {len(lab)} labels")
        if len(b) and ((b[:, 2] <= b[:, 0]) | (b[:, 3] <= b[:, 1])).any():
            raise ValueError(f"{fn}: targets[{i}]['boxes'] must have positive width and "
                             f"height (x1 < x2, y1 < y2), got {b.tolist()}")
        out.append((b, lab))
    return out
