"""VGG (Simonyan & Zisserman 2014) with torchvision's module names and initialisation."""
from __future__ import annotations

from glassnet import nn
from glassnet.models._registry import register_model

__all__ = ["VGG", "make_layers", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
           "vgg16_bn", "vgg19", "vgg19_bn"]

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


def _vgg(cfg, batch_norm, num_classes, in_channels, **kwargs):
    return VGG(make_layers(CFGS[cfg], batch_norm, in_channels), num_classes, **kwargs)


@register_model
def vgg11(num_classes: int = 1000, in_channels: int = 3, **kwargs):
    """VGG-11 (configuration A)."""
    return _vgg("A", False, num_classes, in_channels, **kwargs)


@register_model
def vgg11_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs):
    """VGG-11 with batch normalisation."""
    return _vgg("A", True, num_classes, in_channels, **kwargs)


@register_model
def vgg13(num_classes: int = 1000, in_channels: int = 3, **kwargs):
    """VGG-13 (configuration B)."""
    return _vgg("B", False, num_classes, in_channels, **kwargs)


@register_model
def vgg13_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs):
    """VGG-13 with batch normalisation."""
    return _vgg("B", True, num_classes, in_channels, **kwargs)


@register_model
def vgg16(num_classes: int = 1000, in_channels: int = 3, **kwargs):
    """VGG-16 (configuration D, 138,357,544 parameters)."""
    return _vgg("D", False, num_classes, in_channels, **kwargs)


@register_model
def vgg16_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs):
    """VGG-16 with batch normalisation."""
    return _vgg("D", True, num_classes, in_channels, **kwargs)


@register_model
def vgg19(num_classes: int = 1000, in_channels: int = 3, **kwargs):
    """VGG-19 (configuration E)."""
    return _vgg("E", False, num_classes, in_channels, **kwargs)


@register_model
def vgg19_bn(num_classes: int = 1000, in_channels: int = 3, **kwargs):
    """VGG-19 with batch normalisation."""
    return _vgg("E", True, num_classes, in_channels, **kwargs)
