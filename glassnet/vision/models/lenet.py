"""LeNet-5 (LeCun et al. 1998, "Gradient-based learning applied to document
recognition"), classic and modern variants."""
from __future__ import annotations

from glassnet import nn
from glassnet.models._registry import register_model

__all__ = ["LeNet5", "lenet5", "lenet5_modern"]


class LeNet5(nn.Module):
    """LeNet-5.

    ``variant='classic'``: tanh activations and average ("subsampling") pooling as in the
    paper (the trainable subsampling coefficients and the sparse C3 connection table are
    simplified to plain average pooling and full connections, as in most reproductions);
    ``variant='modern'``: ReLU and max pooling.

    Shape: input ``(N, in_channels, 28, 28)`` (padded by 2 to the paper's 32x32 in C1) or
    ``(N, in_channels, 32, 32)`` with ``input_size=32``; output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, variant: str = "classic",
                 input_size: int = 28):
        super().__init__()
        if variant not in ("classic", "modern"):
            raise ValueError(f"LeNet5: variant must be 'classic' or 'modern', got {variant!r}")
        if input_size not in (28, 32):
            raise ValueError(f"LeNet5: input_size must be 28 or 32, got {input_size}")
        act = nn.Tanh if variant == "classic" else nn.ReLU
        pool = (lambda: nn.AvgPool2d(2, 2)) if variant == "classic" else (
            lambda: nn.MaxPool2d(2, 2))
        pad = 2 if input_size == 28 else 0
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=pad), act(), pool(),   # C1, S2
            nn.Conv2d(6, 16, 5), act(), pool(),                         # C3, S4
            nn.Conv2d(16, 120, 5), act(),                               # C5
        )
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(120, 84), act(),  # F6
                                        nn.Linear(84, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x))


@register_model
def lenet5(num_classes: int = 10, in_channels: int = 1, variant: str = "classic",
           input_size: int = 28):
    """LeNet-5, classic (tanh, average pooling) by default."""
    return LeNet5(num_classes, in_channels, variant, input_size)


@register_model
def lenet5_modern(num_classes: int = 10, in_channels: int = 1, input_size: int = 28):
    """LeNet-5 with ReLU and max pooling."""
    return LeNet5(num_classes, in_channels, "modern", input_size)
