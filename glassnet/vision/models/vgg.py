"""VGG (Simonyan & Zisserman 2014) with torchvision's module names and initialisation."""
from __future__ import annotations

from glassnet import nn
from glassnet.vision.models._pretrained import (VGG11_BN_Weights, VGG11_Weights, VGG13_BN_Weights,
                                         VGG13_Weights, VGG16_BN_Weights, VGG16_Weights,
                                         VGG19_BN_Weights, VGG19_Weights)
from glassnet.models._registry import register_model
from glassnet.vision.models._api import load_weights, prepare_weights

__all__ = ["VGG", "make_layers", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
           "vgg16_bn", "vgg19", "vgg19_bn", "VGG11_Weights", "VGG11_BN_Weights",
           "VGG13_Weights", "VGG13_BN_Weights", "VGG16_Weights", "VGG16_BN_Weights",
           "VGG19_Weights", "VGG19_BN_Weights"]

CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
          "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512,
          512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm: bool = False, in_channels: int = 3):
    """3x3 convolutions (padding 1) with optional BatchNorm, ReLU; 'M' is a 2x2 max-pool."""
    layers = []
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
        else:
            layers.append(nn.Conv2d(in_channels, v, kernel_size=3, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU(inplace=True))
            in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """Shape: input ``(N, 3, 224, 224)``; output ``(N, num_classes)``."""

    def __init__(self, features, num_classes: int = 1000, init_weights: bool = True,
                 dropout: float = 0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x)).flatten(1)
        return self.classifier(x)


def _vgg(fn, enum_cls, weights, progress, cfg, batch_norm, num_classes, in_channels,
         **kwargs):
    """Build VGG ``fn``; with ``weights``, skip the initialisation and load them."""
    weights, num_classes = prepare_weights(fn, enum_cls, weights, kwargs, num_classes,
                                           in_channels)
    if weights is not None:
        kwargs["init_weights"] = False  # as torchvision: the values are overwritten
    model = VGG(make_layers(CFGS[cfg], batch_norm, in_channels), num_classes, **kwargs)
    return load_weights(model, weights, progress)


@register_model
def vgg11(num_classes: int = 1000, in_channels: int = 3, *,
          weights: VGG11_Weights | None = None, progress: bool = True, **kwargs):
    """VGG-11 (configuration A)."""
    return _vgg("vgg11", VGG11_Weights, weights, progress, "A", False, num_classes,
                in_channels, **kwargs)


@register_model
def vgg11_bn(num_classes: int = 1000, in_channels: int = 3, *,
             weights: VGG11_BN_Weights | None = None, progress: bool = True, **kwargs):
    """VGG-11 with batch normalisation."""
    return _vgg("vgg11_bn", VGG11_BN_Weights, weights, progress, "A", True, num_classes,
                in_channels, **kwargs)


@register_model
def vgg13(num_classes: int = 1000, in_channels: int = 3, *,
          weights: VGG13_Weights | None = None, progress: bool = True, **kwargs):
    """VGG-13 (configuration B)."""
    return _vgg("vgg13", VGG13_Weights, weights, progress, "B", False, num_classes,
                in_channels, **kwargs)


@register_model
def vgg13_bn(num_classes: int = 1000, in_channels: int = 3, *,
             weights: VGG13_BN_Weights | None = None, progress: bool = True, **kwargs):
    """VGG-13 with batch normalisation."""
    return _vgg("vgg13_bn", VGG13_BN_Weights, weights, progress, "B", True, num_classes,
                in_channels, **kwargs)


@register_model
def vgg16(num_classes: int = 1000, in_channels: int = 3, *,
          weights: VGG16_Weights | None = None, progress: bool = True, **kwargs):
    """VGG-16 (configuration D, 138,357,544 parameters)."""
    return _vgg("vgg16", VGG16_Weights, weights, progress, "D", False, num_classes,
                in_channels, **kwargs)


@register_model
def vgg16_bn(num_classes: int = 1000, in_channels: int = 3, *,
             weights: VGG16_BN_Weights | None = None, progress: bool = True, **kwargs):
    """VGG-16 with batch normalisation."""
    return _vgg("vgg16_bn", VGG16_BN_Weights, weights, progress, "D", True, num_classes,
                in_channels, **kwargs)


@register_model
def vgg19(num_classes: int = 1000, in_channels: int = 3, *,
          weights: VGG19_Weights | None = None, progress: bool = True, **kwargs):
    """VGG-19 (configuration E)."""
    return _vgg("vgg19", VGG19_Weights, weights, progress, "E", False, num_classes,
                in_channels, **kwargs)


@register_model
def vgg19_bn(num_classes: int = 1000, in_channels: int = 3, *,
             weights: VGG19_BN_Weights | None = None, progress: bool = True, **kwargs):
    """VGG-19 with batch normalisation."""
    return _vgg("vgg19_bn", VGG19_BN_Weights, weights, progress, "E", True, num_classes,
                in_channels, **kwargs)
