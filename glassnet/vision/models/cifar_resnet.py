"""Residual networks for CIFAR-sized inputs, which torchvision lacks.

- ``resnet20/32/44/56/110/1202`` (He et al. 2015, section 4.2): a 3x3 conv with 16
  filters, three stages of ``n`` basic blocks at 16/32/64 filters (32x32, 16x16, 8x8),
  global average pooling, a linear classifier; depth ``6n + 2``. ``shortcut='A'``:
  identity with strided subsampling and zero-padded channels (parameter-free); ``'B'``:
  1x1 projections only where the shape changes; ``'C'``: projections on every block.
- ``plain20/32/44/56/110``: the same networks without shortcuts (the degradation
  experiment).
- Pre-activation ResNets (He et al. 2016, "Identity Mappings in Deep Residual
  Networks"): BN-ReLU-conv ordering and a clean identity path, for CIFAR
  (``preact_resnet20/56/110``, ``preact_resnet164`` with bottlenecks) and ImageNet depths
  (``preact_resnet18/34/50``).
- Wide ResNets WRN-d-k (Zagoruyko & Komodakis 2016): ``wide_resnet_cifar(depth,
  widen_factor, dropout_rate)``, ``wrn_16_8``, ``wrn_28_10``, ``wrn_40_4``.
- ``residual_net``: a configurable builder (stages, blocks per stage, base width, basic or
  bottleneck blocks, shortcut option, pre-activation), e.g. MATLAB's example layout of
  three stages at 32/16/8 with ``N`` units per stage, ``netWidth`` filters doubling at
  each downsampling.
- ``resnext29_8x64d`` / ``resnext29_16x64d`` (Xie et al. 2017, CIFAR): cardinality as
  grouped 3x3 convolutions.
"""
from __future__ import annotations

from glassnet import nn
from glassnet.nn import functional as F
from glassnet.nn.norm import batch_norm_relu
from glassnet.models._registry import register_model

__all__ = ["CifarResNet", "residual_net", "wide_resnet_cifar", "ShortcutA"]


class ShortcutA(nn.Module):
    """Option A: subsample spatially by ``stride`` and zero-pad the new channels."""

    def __init__(self, in_planes: int, planes: int, stride: int):
        super().__init__()
        self.stride, self.pad = stride, planes - in_planes
        if self.pad < 0:
            raise ValueError(f"ShortcutA: cannot reduce channels ({in_planes} -> {planes})")

    def forward(self, x):
        if self.stride > 1:
            x = x[:, :, ::self.stride, ::self.stride]
        if self.pad:
            lo = self.pad // 2
            x = F.pad(x, (0, 0, 0, 0, lo, self.pad - lo))
        return x

    def extra_repr(self):
        return f"stride={self.stride}, pad_channels={self.pad}"


def _preact_input(block, x):
    """Pre-activate ``x`` (BN-ReLU) and compute the shortcut branch of a pre-activation
    block. NOTE: a projection shortcut takes the pre-activated input, an identity
    shortcut the raw input (He et al. 2016)."""
    out = batch_norm_relu(block.bn1, x)
    sc = block.shortcut
    if sc is None:
        return out, None
    return out, sc(out) if isinstance(sc, nn.Conv2d) else sc(x)


def _shortcut(option, in_planes, out_planes, stride, preact):
    changes = stride != 1 or in_planes != out_planes
    if option == "none":
        return None
    if option == "A" and changes:
        return ShortcutA(in_planes, out_planes, stride)
    if option == "A" or (option == "B" and not changes):
        return nn.Identity()
    conv = nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)
    return conv if preact else nn.Sequential(conv, nn.BatchNorm2d(out_planes))


class BasicBlock(nn.Module):
    """conv3x3-BN-ReLU-conv3x3-BN (+shortcut) -ReLU; pre-activation: BN-ReLU-conv x2."""

    expansion = 1

    def __init__(self, in_planes, planes, stride=1, shortcut="A", preact=False,
                 dropout_rate=0.0, groups=1, width=None):
        super().__init__()
        self.preact = preact
        if preact:
            self.bn1 = nn.BatchNorm2d(in_planes)
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        if not preact:
            self.bn1, self.bn2 = self.bn2, nn.BatchNorm2d(planes)
        self.dropout = nn.Dropout(dropout_rate) if dropout_rate > 0 else None
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.shortcut = _shortcut(shortcut, in_planes, planes, stride, preact)

    def forward(self, x):
        if self.preact:
            out, sc = _preact_input(self, x)
            out = self.conv1(out)
            out = batch_norm_relu(self.bn2, out)
            if self.dropout is not None:
                out = self.dropout(out)
            out = self.conv2(out)
            return out if sc is None else out + sc
        out = batch_norm_relu(self.bn1, self.conv1(x))
        if self.dropout is not None:
            out = self.dropout(out)
        out = self.bn2(self.conv2(out))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return F.relu(out)


class BottleneckBlock(nn.Module):
    """1x1 reduce - 3x3 (grouped for ResNeXt) - 1x1 expand by 4."""

    expansion = 4

    def __init__(self, in_planes, planes, stride=1, shortcut="B", preact=False,
                 dropout_rate=0.0, groups=1, width=None):
        super().__init__()
        self.preact = preact
        width = width or planes
        out_planes = planes * self.expansion
        self.conv1 = nn.Conv2d(in_planes, width, 1, bias=False)
        self.conv2 = nn.Conv2d(width, width, 3, stride=stride, padding=1, groups=groups,
                               bias=False)
        self.conv3 = nn.Conv2d(width, out_planes, 1, bias=False)
        if preact:
            self.bn1, self.bn2, self.bn3 = (nn.BatchNorm2d(in_planes), nn.BatchNorm2d(width),
                                            nn.BatchNorm2d(width))
        else:
            self.bn1, self.bn2, self.bn3 = (nn.BatchNorm2d(width), nn.BatchNorm2d(width),
                                            nn.BatchNorm2d(out_planes))
        self.shortcut = _shortcut(shortcut, in_planes, out_planes, stride, preact)

    def forward(self, x):
        if self.preact:
            out, sc = _preact_input(self, x)
            out = self.conv1(out)
            out = self.conv2(batch_norm_relu(self.bn2, out))
            out = self.conv3(batch_norm_relu(self.bn3, out))
            return out if sc is None else out + sc
        out = batch_norm_relu(self.bn1, self.conv1(x))
        out = batch_norm_relu(self.bn2, self.conv2(out))
        out = self.bn3(self.conv3(out))
        if self.shortcut is not None:
            out = out + self.shortcut(x)
        return F.relu(out)


class CifarResNet(nn.Module):
    """Stem conv, ``len(widths)`` stages (stride 2 at the start of every stage but the
    first), global average pooling, linear classifier.

    Shape: input ``(N, in_channels, H, W)`` (32x32 for CIFAR); output
    ``(N, num_classes)``.
    """

    def __init__(self, block, blocks_per_stage, widths=(16, 32, 64), num_classes=10,
                 in_channels=3, shortcut="A", preact=False, dropout_rate=0.0, stem_width=None,
                 groups=1, inner_widths=None):
        super().__init__()
        stem = stem_width or widths[0]
        self.preact = preact
        self.conv1 = nn.Conv2d(in_channels, stem, 3, padding=1, bias=False)
        if not preact:
            self.bn1 = nn.BatchNorm2d(stem)
        in_planes = stem
        stages = []
        for i, (w, n) in enumerate(zip(widths, _as_list(blocks_per_stage, len(widths)))):
            blocks = []
            for j in range(n):
                stride = 2 if (i > 0 and j == 0) else 1
                inner = inner_widths[i] if inner_widths else None
                blocks.append(block(in_planes, w, stride, shortcut, preact, dropout_rate,
                                    groups, inner))
                in_planes = w * block.expansion
            stages.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*stages)
        if preact:
            self.bn_final = nn.BatchNorm2d(in_planes)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(in_planes, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = self.conv1(x)
        if not self.preact:
            x = batch_norm_relu(self.bn1, x)
        x = self.layers(x)
        if self.preact:
            x = batch_norm_relu(self.bn_final, x)
        return self.fc(self.avgpool(x).flatten(1))


def _as_list(n, k):
    return list(n) if isinstance(n, (list, tuple)) else [n] * k


def residual_net(blocks_per_stage=3, stages: int = 3, base_width: int = 16,
                 block: str = "basic", shortcut: str = "A", preact: bool = False,
                 num_classes: int = 10, in_channels: int = 3, dropout_rate: float = 0.0):
    """Configurable residual network: ``stages`` stages of ``blocks_per_stage`` blocks
    (an int or a list), ``base_width`` filters in the first stage, doubling (and halving
    the resolution) at each new stage. ``block`` is 'basic' or 'bottleneck'; ``shortcut``
    'A', 'B', 'C' or 'none' (a plain network)."""
    if block not in ("basic", "bottleneck"):
        raise ValueError(f"residual_net: block must be 'basic' or 'bottleneck', got {block!r}")
    if shortcut not in ("A", "B", "C", "none"):
        raise ValueError(f"residual_net: shortcut must be 'A', 'B', 'C' or 'none', got "
                         f"{shortcut!r}")
    if stages < 1 or base_width < 1:
        raise ValueError(f"residual_net: stages and base_width must be >= 1, got {stages}, "
                         f"{base_width}")
    cls = BasicBlock if block == "basic" else BottleneckBlock
    widths = tuple(base_width * 2 ** i for i in range(stages))
    return CifarResNet(cls, blocks_per_stage, widths, num_classes, in_channels, shortcut,
                       preact, dropout_rate)


def _cifar(depth, shortcut, num_classes, in_channels, preact=False):
    if (depth - 2) % 6:
        raise ValueError(f"CIFAR ResNet depth must be 6n+2, got {depth}")
    return residual_net((depth - 2) // 6, 3, 16, "basic", shortcut, preact, num_classes,
                        in_channels)


def _register_cifar(depth):
    def res(num_classes: int = 10, in_channels: int = 3, shortcut: str = "A"):
        return _cifar(depth, shortcut, num_classes, in_channels)

    res.__name__ = res.__qualname__ = f"resnet{depth}"
    res.__doc__ = f"CIFAR ResNet-{depth} (He et al. 2015), shortcut option A/B/C."
    register_model(res)

    def plain(num_classes: int = 10, in_channels: int = 3):
        return _cifar(depth, "none", num_classes, in_channels)

    plain.__name__ = plain.__qualname__ = f"plain{depth}"
    plain.__doc__ = f"Plain {depth}-layer CIFAR network: ResNet-{depth} without shortcuts."
    if depth != 1202:
        register_model(plain)
        globals()[plain.__name__] = plain
    globals()[res.__name__] = res


for _d in (20, 32, 44, 56, 110, 1202):
    _register_cifar(_d)


def _register_preact(depth, bottleneck=False):
    def fn(num_classes: int = 10, in_channels: int = 3):
        if bottleneck:
            n = (depth - 2) // 9
            return CifarResNet(BottleneckBlock, n, (16, 32, 64), num_classes, in_channels,
                               "B", True)
        return _cifar(depth, "B", num_classes, in_channels, preact=True)

    fn.__name__ = fn.__qualname__ = f"preact_resnet{depth}"
    fn.__doc__ = f"Pre-activation ResNet-{depth} for CIFAR (He et al. 2016)."
    register_model(fn)
    globals()[fn.__name__] = fn


for _d in (20, 56, 110):
    _register_preact(_d)
_register_preact(164, bottleneck=True)


def _register_preact_imagenet(name, block, layers):
    def fn(num_classes: int = 1000, in_channels: int = 3):
        model = CifarResNet(block, layers, (64, 128, 256, 512), num_classes, in_channels,
                            "B", True)
        # ImageNet stem: 7x7/2 conv and 3x3/2 max-pool instead of the CIFAR 3x3 conv.
        model.conv1 = nn.Sequential(nn.Conv2d(in_channels, 64, 7, stride=2, padding=3,
                                              bias=False),
                                    nn.BatchNorm2d(64), nn.ReLU(),
                                    nn.MaxPool2d(3, stride=2, padding=1))
        return model

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = f"Pre-activation {name[7:]} for ImageNet (He et al. 2016)."
    register_model(fn)
    globals()[name] = fn


_register_preact_imagenet("preact_resnet18", BasicBlock, [2, 2, 2, 2])
_register_preact_imagenet("preact_resnet34", BasicBlock, [3, 4, 6, 3])
_register_preact_imagenet("preact_resnet50", BottleneckBlock, [3, 4, 6, 3])


@register_model
def wide_resnet_cifar(depth: int = 28, widen_factor: int = 10, dropout_rate: float = 0.0,
                      num_classes: int = 10, in_channels: int = 3):
    """WRN-depth-k: pre-activation basic blocks, widths 16k/32k/64k, ``(depth-4)/6`` blocks
    per stage, 1x1 projections where the shape changes, dropout between the convolutions.
    """
    if (depth - 4) % 6:
        raise ValueError(f"wide_resnet_cifar: depth must be 6n+4, got {depth}")
    n = (depth - 4) // 6
    k = widen_factor
    return CifarResNet(BasicBlock, n, (16 * k, 32 * k, 64 * k), num_classes, in_channels,
                       "B", True, dropout_rate, stem_width=16)


@register_model
def wrn_16_8(num_classes: int = 10, in_channels: int = 3, dropout_rate: float = 0.0):
    """WRN-16-8 (about 11.0M parameters)."""
    return wide_resnet_cifar(16, 8, dropout_rate, num_classes, in_channels)


@register_model
def wrn_28_10(num_classes: int = 10, in_channels: int = 3, dropout_rate: float = 0.0):
    """WRN-28-10 (about 36.5M parameters)."""
    return wide_resnet_cifar(28, 10, dropout_rate, num_classes, in_channels)


@register_model
def wrn_40_4(num_classes: int = 10, in_channels: int = 3, dropout_rate: float = 0.0):
    """WRN-40-4 (about 8.9M parameters)."""
    return wide_resnet_cifar(40, 4, dropout_rate, num_classes, in_channels)


def _resnext29(cardinality, bottleneck_width, num_classes, in_channels):
    # Xie et al. 2017 CIFAR layout: stem 64, stage outputs 256/512/1024, inner grouped
    # width cardinality * bottleneck_width * 2**stage.
    inner = tuple(cardinality * bottleneck_width * 2 ** i for i in range(3))
    return CifarResNet(BottleneckBlock, 3, (64, 128, 256), num_classes, in_channels, "B",
                       False, stem_width=64, groups=cardinality, inner_widths=inner)


@register_model
def resnext29_8x64d(num_classes: int = 10, in_channels: int = 3):
    """ResNeXt-29 8x64d for CIFAR (about 34.4M parameters)."""
    return _resnext29(8, 64, num_classes, in_channels)


@register_model
def resnext29_16x64d(num_classes: int = 10, in_channels: int = 3):
    """ResNeXt-29 16x64d for CIFAR (about 68.1M parameters)."""
    return _resnext29(16, 64, num_classes, in_channels)
