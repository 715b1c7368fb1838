"""Highway networks (Srivastava, Greff & Schmidhuber 2015, "Training Very Deep
Networks"): ``y = H(x) * T(x) + x * (1 - T(x))`` with a transform gate
``T = sigmoid(W_T x + b_T)``; ``b_T`` starts negative so that layers first carry."""
from __future__ import annotations

from glassnet import nn
from glassnet.nn import functional as F
from glassnet.models._registry import register_model

__all__ = ["HighwayLayer", "HighwayConv2d", "HighwayMLP", "highway_mlp"]


class HighwayLayer(nn.Module):
    """Fully connected highway layer. Shape: ``(N, features) -> (N, features)``."""

    def __init__(self, features: int, gate_bias: float = -2.0, activation=F.relu):
        super().__init__()
        self.transform = nn.Linear(features, features)
        self.gate = nn.Linear(features, features)
        self.activation = activation
        nn.init.constant_(self.gate.bias, gate_bias)

    def forward(self, x):
        h = self.activation(self.transform(x))
        t = F.sigmoid(self.gate(x))
        return h * t + x * (1 - t)


class HighwayConv2d(nn.Module):
    """Convolutional highway block with ``kernel_size`` (odd) same-size convolutions.

    Shape: ``(N, C, H, W) -> (N, C, H, W)``.
    """

    def __init__(self, channels: int, kernel_size: int = 3, gate_bias: float = -2.0):
        super().__init__()
        if kernel_size % 2 == 0:
            raise ValueError(f"HighwayConv2d: kernel_size must be odd, got {kernel_size}")
        pad = kernel_size // 2
        self.transform = nn.Conv2d(channels, channels, kernel_size, padding=pad)
        self.gate = nn.Conv2d(channels, channels, kernel_size, padding=pad)
        nn.init.constant_(self.gate.bias, gate_bias)

    def forward(self, x):
        h = F.relu(self.transform(x))
        t = F.sigmoid(self.gate(x))
        return h * t + x * (1 - t)


class HighwayMLP(nn.Module):
    """Flatten, project to ``hidden``, ``depth`` highway layers, linear classifier."""

    def __init__(self, in_features: int = 784, hidden: int = 50, depth: int = 10,
                 num_classes: int = 10, gate_bias: float = -2.0):
        super().__init__()
        self.flatten = nn.Flatten()
        self.input = nn.Linear(in_features, hidden)
        self.layers = nn.Sequential(*[HighwayLayer(hidden, gate_bias) for _ in range(depth)])
        self.fc = nn.Linear(hidden, num_classes)

    def forward(self, x):
        x = F.relu(self.input(self.flatten(x)))
        return self.fc(self.layers(x))


@register_model
def highway_mlp(in_features: int = 784, hidden: int = 50, depth: int = 10,
                num_classes: int = 10, gate_bias: float = -2.0):
    """A deep highway MLP (the paper trains such nets up to 100 layers deep)."""
    return HighwayMLP(in_features, hidden, depth, num_classes, gate_bias)
