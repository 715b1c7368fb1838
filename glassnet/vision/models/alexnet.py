"""AlexNet: torchvision's single-tower variant, and glassnet's ``alexnet_lrn``, the
original network (Krizhevsky et al. 2012) in one tower with LocalResponseNorm and
overlapping max-pooling."""
from __future__ import annotations

from glassnet import nn
from glassnet.vision.models._pretrained import AlexNet_Weights
from glassnet.models._registry import register_model
from glassnet.vision.models._api import load_weights, prepare_weights

__all__ = ["AlexNet", "alexnet", "AlexNet_Weights", "AlexNetLRN", "alexnet_lrn"]


class AlexNet(nn.Module):
    """torchvision's AlexNet (the "one weird trick" channel counts 64-192-384-256-256).

    Shape: input ``(N, 3, 224, 224)``; output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, in_channels: int = 3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x)).flatten(1)
        return self.classifier(x)


@register_model
def alexnet(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5, *,
            weights: AlexNet_Weights | None = None, progress: bool = True, **kwargs):
    """torchvision's AlexNet (61,100,840 parameters)."""
    weights, num_classes = prepare_weights("alexnet", AlexNet_Weights, weights, kwargs,
                                           num_classes, in_channels)
    if kwargs:
        raise TypeError(f"alexnet: unexpected keyword arguments {sorted(kwargs)}")
    return load_weights(AlexNet(num_classes, dropout, in_channels), weights, progress)


class AlexNetLRN(AlexNet):
    """The 2012 AlexNet in one tower: 96-256-384-384-256 channels, ReLU, local response
    normalisation after conv1 and conv2 (size 5, alpha 1e-4, beta 0.75, k 2) and
    overlapping 3x3/2 max-pooling, dropout 0.5 in the two 4096-unit layers (the
    classifier and pooling are AlexNet's).

    Shape: input ``(N, 3, 227, 227)`` (224 with padding 2 in conv1 gives the same 55x55);
    output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, in_channels: int = 3):
        super().__init__(num_classes, dropout, in_channels)
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 96, kernel_size=11, stride=4, padding=2), nn.ReLU(True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(96, 256, kernel_size=5, padding=2), nn.ReLU(True),
            nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(256, 384, kernel_size=3, padding=1), nn.ReLU(True),
            nn.Conv2d(384, 384, kernel_size=3, padding=1), nn.ReLU(True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )


@register_model
def alexnet_lrn(num_classes: int = 1000, in_channels: int = 3, dropout: float = 0.5):
    """The original AlexNet with LocalResponseNorm (one tower)."""
    return AlexNetLRN(num_classes, dropout, in_channels)
