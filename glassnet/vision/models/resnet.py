"""ResNet, ResNeXt and Wide ResNet for ImageNet, with torchvision's module names,
state_dict keys and forward semantics (He et al. 2015, "Deep Residual Learning for Image
Recognition"; Xie et al. 2017 (ResNeXt); Zagoruyko & Komodakis 2016 (Wide ResNet)).

A torchvision state_dict converted to arrays loads with ``strict=True``
(:func:`glassnet.vision.models.convert.from_torch_state_dict`).
"""
from __future__ import annotations

from glassnet import nn
from glassnet.nn.norm import batch_norm_relu
from glassnet.vision.models._pretrained import (ResNet18_Weights, ResNet34_Weights, ResNet50_Weights,
                                         ResNet101_Weights, ResNet152_Weights,
                                         ResNeXt50_32X4D_Weights, ResNeXt101_32X8D_Weights,
                                         ResNeXt101_64X4D_Weights, Wide_ResNet50_2_Weights,
                                         Wide_ResNet101_2_Weights)
from glassnet.models._registry import register_model
from glassnet.vision.models._api import load_weights, prepare_weights

__all__ = ["ResNet", "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50",
           "resnet101", "resnet152", "resnext50_32x4d", "resnext101_32x8d",
           "resnext101_64x4d", "wide_resnet50_2", "wide_resnet101_2", "ResNet18_Weights",
           "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights",
           "ResNeXt50_32X4D_Weights", "ResNeXt101_32X8D_Weights", "ResNeXt101_64X4D_Weights",
           "Wide_ResNet50_2_Weights", "Wide_ResNet101_2_Weights"]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=dilation, groups=groups,
                     bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, 1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    """Two 3x3 convolutions with an identity (or projected) shortcut."""

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock: only supports groups=1 and base_width=64")
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = batch_norm_relu(self.bn1, self.conv1(x), self.relu)
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class Bottleneck(nn.Module):
    """1x1 reduce, 3x3 (grouped for ResNeXt; stride here, as torchvision's "v1.5"),
    1x1 expand by 4."""

    expansion = 4

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = norm_layer or nn.BatchNorm2d
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = batch_norm_relu(self.bn1, self.conv1(x), self.relu)
        out = batch_norm_relu(self.bn2, self.conv2(out), self.relu)
        out = self.bn3(self.conv3(out))
        return self.relu(out + identity)


class ResNet(nn.Module):
    """torchvision's ResNet: 7x7/2 stem, 3x3/2 max-pool, four stages, global average pool.

    Shape: input ``(N, 3, H, W)`` (224x224 for ImageNet); output ``(N, num_classes)``.
    Initialisation as torchvision: kaiming_normal_(fan_out, relu) for convs, BN weight 1
    and bias 0, optional zero-init of each block's last BN.
    """

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1,
                 width_per_group=64, in_channels=3, norm_layer=None):
        super().__init__()
        self._norm_layer = norm_layer or nn.BatchNorm2d
        self.inplanes = 64
        self.dilation = 1
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(in_channels, self.inplanes, 7, stride=2, padding=3, bias=False)
        self.bn1 = self._norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], stride=2)
        self.layer3 = self._make_layer(block, 256, layers[2], stride=2)
        self.layer4 = self._make_layer(block, 512, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, Bottleneck):
                    nn.init.constant_(m.bn3.weight, 0)
                elif isinstance(m, BasicBlock):
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        norm_layer = self._norm_layer
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups,
                        self.base_width, self.dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(batch_norm_relu(self.bn1, self.conv1(x), self.relu))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        x = self.avgpool(x).flatten(1)
        return self.fc(x)


def _resnet(fn, enum_cls, weights, progress, block, layers, num_classes, in_channels,
            **kwargs):
    """Build ResNet ``fn``; with ``weights``, load them (torchvision's ``_resnet``)."""
    weights, num_classes = prepare_weights(fn, enum_cls, weights, kwargs, num_classes,
                                           in_channels)
    model = ResNet(block, layers, num_classes=num_classes, in_channels=in_channels, **kwargs)
    return load_weights(model, weights, progress)


@register_model
def resnet18(num_classes: int = 1000, in_channels: int = 3, *,
             weights: ResNet18_Weights | None = None, progress: bool = True, **kwargs):
    """ResNet-18 (11,689,512 parameters with 1000 classes)."""
    return _resnet("resnet18", ResNet18_Weights, weights, progress, BasicBlock, [2, 2, 2, 2],
                   num_classes, in_channels, **kwargs)


@register_model
def resnet34(num_classes: int = 1000, in_channels: int = 3, *,
             weights: ResNet34_Weights | None = None, progress: bool = True, **kwargs):
    """ResNet-34."""
    return _resnet("resnet34", ResNet34_Weights, weights, progress, BasicBlock, [3, 4, 6, 3],
                   num_classes, in_channels, **kwargs)


@register_model
def resnet50(num_classes: int = 1000, in_channels: int = 3, *,
             weights: ResNet50_Weights | None = None, progress: bool = True, **kwargs):
    """ResNet-50 (25,557,032 parameters)."""
    return _resnet("resnet50", ResNet50_Weights, weights, progress, Bottleneck, [3, 4, 6, 3],
                   num_classes, in_channels, **kwargs)


@register_model
def resnet101(num_classes: int = 1000, in_channels: int = 3, *,
              weights: ResNet101_Weights | None = None, progress: bool = True, **kwargs):
    """ResNet-101."""
    return _resnet("resnet101", ResNet101_Weights, weights, progress, Bottleneck, [3, 4, 23, 3],
                   num_classes, in_channels, **kwargs)


@register_model
def resnet152(num_classes: int = 1000, in_channels: int = 3, *,
              weights: ResNet152_Weights | None = None, progress: bool = True, **kwargs):
    """ResNet-152."""
    return _resnet("resnet152", ResNet152_Weights, weights, progress, Bottleneck, [3, 8, 36, 3],
                   num_classes, in_channels, **kwargs)


@register_model
def resnext50_32x4d(num_classes: int = 1000, in_channels: int = 3, *,
                    weights: ResNeXt50_32X4D_Weights | None = None,
                    progress: bool = True, **kwargs):
    """ResNeXt-50 32x4d: cardinality 32 as grouped 3x3 convolutions."""
    return _resnet("resnext50_32x4d", ResNeXt50_32X4D_Weights, weights, progress, Bottleneck,
                   [3, 4, 6, 3], num_classes, in_channels, groups=32, width_per_group=4, **kwargs)


@register_model
def resnext101_32x8d(num_classes: int = 1000, in_channels: int = 3, *,
                     weights: ResNeXt101_32X8D_Weights | None = None,
                     progress: bool = True, **kwargs):
    """ResNeXt-101 32x8d."""
    return _resnet("resnext101_32x8d", ResNeXt101_32X8D_Weights, weights, progress, Bottleneck,
                   [3, 4, 23, 3], num_classes, in_channels, groups=32, width_per_group=8, **kwargs)


@register_model
def resnext101_64x4d(num_classes: int = 1000, in_channels: int = 3, *,
                     weights: ResNeXt101_64X4D_Weights | None = None,
                     progress: bool = True, **kwargs):
    """ResNeXt-101 64x4d."""
    return _resnet("resnext101_64x4d", ResNeXt101_64X4D_Weights, weights, progress, Bottleneck,
                   [3, 4, 23, 3], num_classes, in_channels, groups=64, width_per_group=4, **kwargs)


@register_model
def wide_resnet50_2(num_classes: int = 1000, in_channels: int = 3, *,
                    weights: Wide_ResNet50_2_Weights | None = None,
                    progress: bool = True, **kwargs):
    """Wide ResNet-50-2: bottleneck width doubled (68,883,240 parameters)."""
    return _resnet("wide_resnet50_2", Wide_ResNet50_2_Weights, weights, progress, Bottleneck,
                   [3, 4, 6, 3], num_classes, in_channels, width_per_group=128, **kwargs)


@register_model
def wide_resnet101_2(num_classes: int = 1000, in_channels: int = 3, *,
                     weights: Wide_ResNet101_2_Weights | None = None,
                     progress: bool = True, **kwargs):
    """Wide ResNet-101-2."""
    return _resnet("wide_resnet101_2", Wide_ResNet101_2_Weights, weights, progress, Bottleneck,
                   [3, 4, 23, 3], num_classes, in_channels, width_per_group=128, **kwargs)
