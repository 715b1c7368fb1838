"""LeNet-5 (LeCun et al. 1998, "Gradient-based learning applied to document
recognition"), classic and modern variants, and the two LeNets of Deep Compression (Han,
Mao and Dally, ICLR 2016, Table 1): the fully connected LeNet-300-100 and LeNet-5 as Caffe
defines it (``examples/mnist/lenet_train_test.prototxt``)."""
from __future__ import annotations

from glassnet import nn
from glassnet.models._registry import register_model

__all__ = ["LeNet5", "lenet5", "lenet5_modern", "LeNet300100", "lenet_300_100",
           "LeNet5Caffe", "lenet5_caffe"]


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


class LeNet300100(nn.Module):
    """LeNet-300-100: a fully connected net 784-300-100-10 with ReLU (LeCun et al. 1998;
    266,610 parameters), the first network of Deep Compression's Table 1.

    Shape: input ``(N, in_channels, 28, 28)`` (flattened) or ``(N, 784 * in_channels)``;
    output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1, input_size: int = 28):
        super().__init__()
        if input_size < 1:
            raise ValueError(f"LeNet300100: input_size must be >= 1, got {input_size}")
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(in_channels * input_size * input_size, 300)
        self.relu1 = nn.ReLU()
        self.fc2 = nn.Linear(300, 100)
        self.relu2 = nn.ReLU()
        self.fc3 = nn.Linear(100, num_classes)

    def forward(self, x):
        return self.fc3(self.relu2(self.fc2(self.relu1(self.fc1(self.flatten(x))))))


class LeNet5Caffe(nn.Module):
    """LeNet-5 as Caffe's MNIST example defines it: conv 20 5x5, max-pool 2, conv 50 5x5,
    max-pool 2, fc 500 + ReLU, fc 10 (431,080 parameters; no activation after the
    convolutions, as in the prototxt).

    Shape: input ``(N, in_channels, 28, 28)``; output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, 20, 5)
        self.pool1 = nn.MaxPool2d(2, 2)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.pool2 = nn.MaxPool2d(2, 2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(50 * 4 * 4, 500)
        self.relu = nn.ReLU()
        self.fc2 = nn.Linear(500, num_classes)

    def forward(self, x):
        x = self.pool2(self.conv2(self.pool1(self.conv1(x))))
        return self.fc2(self.relu(self.fc1(self.flatten(x))))


@register_model
def lenet_300_100(num_classes: int = 10, in_channels: int = 1, input_size: int = 28):
    """LeNet-300-100 (784-300-100-10 fully connected, ReLU)."""
    return LeNet300100(num_classes, in_channels, input_size)


@register_model
def lenet5_caffe(num_classes: int = 10, in_channels: int = 1):
    """LeNet-5 in Caffe's layout (conv 20, conv 50, fc 500, fc 10; 431K parameters)."""
    return LeNet5Caffe(num_classes, in_channels)
