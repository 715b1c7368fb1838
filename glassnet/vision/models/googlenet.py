"""GoogLeNet / Inception v1 (Szegedy et al. 2014) with torchvision's names and
semantics (batch-normalised BasicConv2d, ``aux_logits``, ``transform_input``), and the
Inception module usable on its own."""
from __future__ import annotations

import warnings
from collections import namedtuple

import glassnet
from glassnet import nn
from glassnet.nn import functional as F
from glassnet.nn.norm import batch_norm_relu
from glassnet.vision.models._pretrained import GoogLeNet_Weights
from glassnet.models._registry import register_model
from glassnet.vision.models._api import load_weights, prepare_weights

__all__ = ["GoogLeNet", "GoogLeNetOutputs", "Inception", "InceptionAux", "BasicConv2d",
           "googlenet", "GoogLeNet_Weights"]

GoogLeNetOutputs = namedtuple("GoogLeNetOutputs", ["logits", "aux_logits2", "aux_logits1"])


class BasicConv2d(nn.Module):
    """Conv (no bias) -> BatchNorm (eps 0.001) -> ReLU."""

    def __init__(self, in_channels, out_channels, **kwargs):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, bias=False, **kwargs)
        self.bn = nn.BatchNorm2d(out_channels, eps=0.001)

    def forward(self, x):
        return batch_norm_relu(self.bn, self.conv(x))


class Inception(nn.Module):
    """The four-branch Inception module: 1x1; 1x1 -> 3x3; 1x1 -> "5x5"; 3x3 max-pool ->
    1x1; concatenated along channels.

    NOTE: like torchvision, the "5x5" branch uses a 3x3 kernel (a known quirk kept for
    weight compatibility).

    Shape: input ``(N, in_channels, H, W)``; output
    ``(N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W)``.
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(in_channels, ch1x1, kernel_size=1)
        self.branch2 = nn.Sequential(BasicConv2d(in_channels, ch3x3red, kernel_size=1),
                                     BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1))
        self.branch3 = nn.Sequential(BasicConv2d(in_channels, ch5x5red, kernel_size=1),
                                     BasicConv2d(ch5x5red, ch5x5, kernel_size=3, padding=1))
        self.branch4 = nn.Sequential(
            nn.MaxPool2d(kernel_size=3, stride=1, padding=1, ceil_mode=True),
            BasicConv2d(in_channels, pool_proj, kernel_size=1))

    def forward(self, x):
        return glassnet.cat([self.branch1(x), self.branch2(x), self.branch3(x),
                             self.branch4(x)], 1)


class InceptionAux(nn.Module):
    """Auxiliary classifier: 4x4 adaptive average pool, 1x1 conv to 128, FC 1024, FC."""

    def __init__(self, in_channels, num_classes, dropout: float = 0.7):
        super().__init__()
        self.conv = BasicConv2d(in_channels, 128, kernel_size=1)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(p=dropout)

    def forward(self, x):
        x = self.conv(F.adaptive_avg_pool2d(x, (4, 4))).flatten(1)
        x = self.dropout(F.relu(self.fc1(x)))
        return self.fc2(x)


class GoogLeNet(nn.Module):
    """GoogLeNet; in training mode with ``aux_logits`` returns ``GoogLeNetOutputs``.

    Shape: input ``(N, 3, 224, 224)``; output ``(N, num_classes)``.
    """

    def __init__(self, num_classes: int = 1000, aux_logits: bool = True,
                 transform_input: bool = False, init_weights: bool = True,
                 dropout: float = 0.2, dropout_aux: float = 0.7, in_channels: int = 3):
        super().__init__()
        self.aux_logits = aux_logits
        self.transform_input = transform_input
        self.conv1 = BasicConv2d(in_channels, 64, kernel_size=7, stride=2, padding=3)
        self.maxpool1 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64, kernel_size=1)
        self.conv3 = BasicConv2d(64, 192, kernel_size=3, padding=1)
        self.maxpool2 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception3a = Inception(192, 64, 96, 128, 16, 32, 32)
        self.inception3b = Inception(256, 128, 128, 192, 32, 96, 64)
        self.maxpool3 = nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.inception4a = Inception(480, 192, 96, 208, 16, 48, 64)
        self.inception4b = Inception(512, 160, 112, 224, 24, 64, 64)
        self.inception4c = Inception(512, 128, 128, 256, 24, 64, 64)
        self.inception4d = Inception(512, 112, 144, 288, 32, 64, 64)
        self.inception4e = Inception(528, 256, 160, 320, 32, 128, 128)
        self.maxpool4 = nn.MaxPool2d(2, stride=2, ceil_mode=True)
        self.inception5a = Inception(832, 256, 160, 320, 32, 128, 128)
        self.inception5b = Inception(832, 384, 192, 384, 48, 128, 128)
        if aux_logits:
            self.aux1 = InceptionAux(512, num_classes, dropout=dropout_aux)
            self.aux2 = InceptionAux(528, num_classes, dropout=dropout_aux)
        else:
            self.aux1 = None
            self.aux2 = None
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.dropout = nn.Dropout(p=dropout)
        self.fc = nn.Linear(1024, num_classes)
        if init_weights:
            for m in self.modules():
                if isinstance(m, (nn.Conv2d, nn.Linear)):
                    nn.init.trunc_normal_(m.weight, mean=0.0, std=0.01, a=-2, b=2)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)

    def _transform_input(self, x):
        if not self.transform_input:
            return x
        # NOTE: maps ImageNet-normalised input to the (x - 0.5) / 0.5 scaling the original
        # weights were trained with (torchvision's constants).
        x0 = x[:, 0:1] * (0.229 / 0.5) + (0.485 - 0.5) / 0.5
        x1 = x[:, 1:2] * (0.224 / 0.5) + (0.456 - 0.5) / 0.5
        x2 = x[:, 2:3] * (0.225 / 0.5) + (0.406 - 0.5) / 0.5
        return glassnet.cat([x0, x1, x2], 1)

    def forward(self, x):
        x = self._transform_input(x)
        x = self.maxpool1(self.conv1(x))
        x = self.maxpool2(self.conv3(self.conv2(x)))
        x = self.maxpool3(self.inception3b(self.inception3a(x)))
        x = self.inception4a(x)
        aux1 = self.aux1(x) if self.aux1 is not None and self.training else None
        x = self.inception4d(self.inception4c(self.inception4b(x)))
        aux2 = self.aux2(x) if self.aux2 is not None and self.training else None
        x = self.maxpool4(self.inception4e(x))
        x = self.inception5b(self.inception5a(x))
        x = self.fc(self.dropout(self.avgpool(x).flatten(1)))
        if self.training and self.aux_logits:
            return GoogLeNetOutputs(x, aux2, aux1)
        return x


@register_model
def googlenet(num_classes: int = 1000, in_channels: int = 3, aux_logits: bool | None = None,
              transform_input: bool | None = None, *,
              weights: GoogLeNet_Weights | None = None, progress: bool = True, **kwargs):
    """GoogLeNet (6,624,904 parameters without the auxiliary classifiers).

    ``aux_logits`` and ``transform_input`` default to True and False, or, with
    ``weights``, to False and True (torchvision's defaults): the checkpoint's auxiliary
    heads are not trained, so they are dropped after loading unless ``aux_logits=True``.
    """
    weights, num_classes = prepare_weights("googlenet", GoogLeNet_Weights, weights, kwargs,
                                           num_classes, in_channels)
    if weights is None:
        aux = True if aux_logits is None else aux_logits
        return GoogLeNet(num_classes, aux, bool(transform_input), in_channels=in_channels,
                         **kwargs)
    transform_input = True if transform_input is None else transform_input
    kwargs["init_weights"] = False
    model = load_weights(GoogLeNet(num_classes, True, transform_input, in_channels=in_channels,
                                   **kwargs), weights, progress)
    if aux_logits:
        warnings.warn("googlenet: the auxiliary heads of the pretrained weights are NOT "
                      "trained; train them before use", UserWarning, stacklevel=2)
    else:
        model.aux_logits = False
        model.aux1 = None
        model.aux2 = None
    return model
