"""Multi-layer perceptrons and a small CNN: the quick models of ``glassnet train``."""
from __future__ import annotations

from glassnet import nn
from glassnet.models._registry import register_model

__all__ = ["MLP", "mlp", "SmallCNN", "small_cnn"]

_ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
                "elu": nn.ELU, "selu": nn.SELU, "leaky_relu": nn.LeakyReLU, "silu": nn.SiLU}


class MLP(nn.Module):
    """Flatten, then ``Linear -> [BatchNorm1d] -> activation -> [Dropout]`` per hidden
    layer, then a Linear classifier.

    Shape: input ``(N, *)`` with ``prod(*) == in_features``; output ``(N, num_classes)``.
    """

    def __init__(self, in_features: int = 64, hidden=(256, 128), num_classes: int = 10,
                 activation: str = "relu", dropout: float = 0.0, batch_norm: bool = False):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"MLP: activation must be one of {', '.join(_ACTIVATIONS)}, got "
                             f"{activation!r}")
        layers = [nn.Flatten()]
        width = in_features
        for h in hidden:
            layers.append(nn.Linear(width, h))
            if batch_norm:
                layers.append(nn.BatchNorm1d(h))
            layers.append(_ACTIVATIONS[activation]())
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


@register_model
def mlp(in_features: int = 64, hidden=(256, 128), num_classes: int = 10,
        activation: str = "relu", dropout: float = 0.0, batch_norm: bool = False):
    """A multi-layer perceptron (default sized for 8x8 digits)."""
    return MLP(in_features, tuple(hidden), num_classes, activation, dropout, batch_norm)


class SmallCNN(nn.Module):
    """Three 3x3 conv-BN-ReLU stages (one max-pool), global average pooling, a linear
    classifier. Works for any input size (8x8 digits, 28x28 MNIST, 32x32 CIFAR).

    Shape: input ``(N, in_channels, H, W)``; output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, width: int = 32,
                 dropout: float = 0.1):
        super().__init__()
        w = width
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
            nn.Conv2d(w, 2 * w, 3, padding=1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(2 * w, 4 * w, 3, padding=1, bias=False), nn.BatchNorm2d(4 * w), nn.ReLU(),
            nn.AdaptiveAvgPool2d(1),
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout),
                                        nn.Linear(4 * w, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


@register_model
def small_cnn(num_classes: int = 10, in_channels: int = 1, width: int = 32,
              dropout: float = 0.1):
    """A small all-conv network for quick experiments (the default of ``glassnet train``)."""
    return SmallCNN(num_classes, in_channels, width, dropout)
