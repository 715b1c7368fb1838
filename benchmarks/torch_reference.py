"""The torch side of ``glassnet bench``: plain-PyTorch definitions of the benchmarked
architectures (torchvision is not needed) and each workload's torch step.

It lives outside the package because glassnet never imports torch (torch is a test and
benchmark oracle): ``glassnet.bench.reference`` loads this file by path from a source
checkout, only inside a benchmark run and only when torch is installed. Every module and
parameter name lines up with
glassnet's model of the same name, so ``load_state_dict(glassnet_state, strict=True)``
copies glassnet's initial weights into these models (``from_glassnet``), and both
frameworks then run the same numbers.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from glassnet.bench.workloads import LR, MOMENTUM, _dropout_off

__all__ = ["build", "from_glassnet", "BUILDERS", "torch_side"]


# -- CIFAR ResNet (He et al. 2015, section 4.2), shortcut option A -----------------------
class ShortcutA(nn.Module):
    """Subsample by ``stride`` and zero-pad the new channels (no parameters)."""

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.stride, self.pad = stride, planes - in_planes

    def forward(self, x):
        if self.stride > 1:
            x = x[:, :, ::self.stride, ::self.stride]
        if self.pad:
            lo = self.pad // 2
            x = F.pad(x, (0, 0, 0, 0, lo, self.pad - lo))
        return x


class CifarBasicBlock(nn.Module):
    def __init__(self, in_planes, planes, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        changes = stride != 1 or in_planes != planes
        self.shortcut = ShortcutA(in_planes, planes, stride) if changes else nn.Identity()

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + self.shortcut(x))


class CifarResNet(nn.Module):
    def __init__(self, depth, num_classes=10, in_channels=3):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        in_planes, stages = 16, []
        for i, w in enumerate((16, 32, 64)):
            blocks = []
            for j in range(n):
                blocks.append(CifarBasicBlock(in_planes, w, 2 if (i > 0 and j == 0) else 1))
                in_planes = w
            stages.append(nn.Sequential(*blocks))
        self.layers = nn.Sequential(*stages)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(64, num_classes)

    def forward(self, x):
        x = self.layers(F.relu(self.bn1(self.conv1(x))))
        return self.fc(self.avgpool(x).flatten(1))


# -- LeNet-5 (classic: tanh, average pooling), small CNN, MLP ----------------------------
def lenet5(num_classes=10, in_channels=1):
    features = nn.Sequential(
        nn.Conv2d(in_channels, 6, 5, padding=2), nn.Tanh(), nn.AvgPool2d(2, 2),
        nn.Conv2d(6, 16, 5), nn.Tanh(), nn.AvgPool2d(2, 2),
        nn.Conv2d(16, 120, 5), nn.Tanh())
    classifier = nn.Sequential(nn.Flatten(), nn.Linear(120, 84), nn.Tanh(),
                               nn.Linear(84, num_classes))
    return _Chain(features, classifier)


def small_cnn(num_classes=10, in_channels=1, width=32, dropout=0.1):
    w = width
    features = nn.Sequential(
        nn.Conv2d(in_channels, w, 3, padding=1, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
        nn.Conv2d(w, 2 * w, 3, padding=1, bias=False), nn.BatchNorm2d(2 * w), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(2 * w, 4 * w, 3, padding=1, bias=False), nn.BatchNorm2d(4 * w), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1))
    classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout), nn.Linear(4 * w, num_classes))
    return _Chain(features, classifier)


class _Chain(nn.Module):
    """``classifier(features(x))`` with glassnet's attribute names."""

    def __init__(self, features, classifier):
        super().__init__()
        self.features, self.classifier = features, classifier

    def forward(self, x):
        return self.classifier(self.features(x))


class MLP(nn.Module):
    def __init__(self, in_features=784, hidden=(512, 512), num_classes=10):
        super().__init__()
        layers, width = [nn.Flatten()], in_features
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers.append(nn.Linear(width, num_classes))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


# -- ResNet-18 (torchvision's names) -----------------------------------------------------
class BasicBlock(nn.Module):
    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


class ResNet18(nn.Module):
    def __init__(self, num_classes=1000, in_channels=3):
        super().__init__()
        self.inplanes = 64
        self.conv1 = nn.Conv2d(in_channels, 64, 7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, stride=2, padding=1)
        self.layer1 = self._make_layer(64, 2)
        self.layer2 = self._make_layer(128, 2, 2)
        self.layer3 = self._make_layer(256, 2, 2)
        self.layer4 = self._make_layer(512, 2, 2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512, num_classes)

    def _make_layer(self, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes:
            downsample = nn.Sequential(nn.Conv2d(self.inplanes, planes, 1, stride, bias=False),
                                       nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


# -- MobileNetV2 (Sandler et al. 2018; torchvision's names) ------------------------------
def _make_divisible(v, divisor=8):
    new_v = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class ConvBNAct(nn.Sequential):
    def __init__(self, cin, cout, kernel_size=3, stride=1, groups=1):
        super().__init__(nn.Conv2d(cin, cout, kernel_size, stride, (kernel_size - 1) // 2,
                                   groups=groups, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU6(inplace=True))


class InvertedResidual(nn.Module):
    def __init__(self, inp, oup, stride, expand_ratio):
        super().__init__()
        hidden = int(round(inp * expand_ratio))
        self.use_res_connect = stride == 1 and inp == oup
        layers = [ConvBNAct(inp, hidden, 1)] if expand_ratio != 1 else []
        layers += [ConvBNAct(hidden, hidden, stride=stride, groups=hidden),
                   nn.Conv2d(hidden, oup, 1, 1, 0, bias=False), nn.BatchNorm2d(oup)]
        self.conv = nn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


class MobileNetV2(nn.Module):
    def __init__(self, num_classes=1000, in_channels=3, dropout=0.2):
        super().__init__()
        setting = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
                   [6, 160, 3, 2], [6, 320, 1, 1]]
        cin = _make_divisible(32)
        features = [ConvBNAct(in_channels, cin, stride=2)]
        for t, c, n, s in setting:
            cout = _make_divisible(c)
            for i in range(n):
                features.append(InvertedResidual(cin, cout, s if i == 0 else 1, t))
                cin = cout
        features.append(ConvBNAct(cin, 1280, 1))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(1280, num_classes))

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1)).flatten(1)
        return self.classifier(x)


# -- VGG-11 (configuration A; torchvision's names) ---------------------------------------
class VGG11(nn.Module):
    def __init__(self, num_classes=1000, in_channels=3, dropout=0.5):
        super().__init__()
        layers = []
        for v in [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
            else:
                layers += [nn.Conv2d(in_channels, v, 3, padding=1), nn.ReLU(inplace=True)]
                in_channels = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(dropout),
            nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(self.avgpool(self.features(x)).flatten(1))


# -- sequential-MNIST LSTM (glassnet.models.sequence.RowRNNClassifier) ------------------
class RowLSTM(nn.Module):
    def __init__(self, num_classes=10, in_channels=1, input_size=28, hidden_size=128,
                 num_layers=1, dropout=0.0):
        super().__init__()
        self.rnn = nn.LSTM(in_channels * input_size, hidden_size, num_layers=num_layers,
                           batch_first=True, dropout=dropout)
        self.fc = nn.Linear(hidden_size, num_classes)

    def forward(self, x):
        n, c, h, w = x.shape
        out, _ = self.rnn(x.permute(0, 2, 1, 3).reshape(n, h, c * w))
        return self.fc(out[:, -1])


# glassnet model name -> constructor(**glassnet kwargs) of the torch twin.
BUILDERS = {
    "resnet20": lambda num_classes=10, in_channels=3: CifarResNet(20, num_classes, in_channels),
    "resnet56": lambda num_classes=10, in_channels=3: CifarResNet(56, num_classes, in_channels),
    "lenet5": lenet5,
    "small_cnn": small_cnn,
    "mlp": lambda in_features=784, hidden=(512, 512), num_classes=10: MLP(in_features, hidden,
                                                                          num_classes),
    "resnet18": ResNet18,
    "mobilenet_v2": MobileNetV2,
    "vgg11": VGG11,
    "lstm_mnist": RowLSTM,
}


def build(name: str, **kwargs) -> nn.Module:
    """The torch twin of glassnet's model ``name`` (same architecture, same names)."""
    if name not in BUILDERS:
        raise ValueError(f"bench: no torch definition for model {name!r}; known: "
                         f"{', '.join(BUILDERS)}")
    return BUILDERS[name](**kwargs)


def from_glassnet(name: str, gn_model, **kwargs) -> nn.Module:
    """Build the torch twin of ``gn_model`` and copy its parameters and buffers into it
    (``strict=True``: every name must line up)."""
    model = build(name, **kwargs)
    state = {k: torch.from_numpy(np.array(v.cpu().numpy(), copy=True))
             for k, v in gn_model.state_dict().items()}
    model.load_state_dict(state, strict=True)
    return model


# -- each workload's torch step ---------------------------------------------------------
class _TorchModel:
    def __init__(self, case, gn_side):
        self.case, self.torch = case, torch
        dev = _device(gn_side)
        self.model = from_glassnet(case.spec["model"], gn_side.model,
                                   **case.spec["kwargs"]).to(dev)
        self.x = torch.from_numpy(gn_side.x_np.copy()).to(dev)
        self.y = torch.from_numpy(gn_side.y_np.copy()).to(dev)
        if case.kind == "train":
            self.model.train()
            self.opt = torch.optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)
        else:
            self.model.eval()

    def step(self):
        torch = self.torch
        if self.case.kind == "infer":
            with torch.no_grad():
                self.model(self.x)
            return
        loss = torch.nn.functional.cross_entropy(self.model(self.x), self.y)
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()

    def check(self):
        torch = self.torch
        with torch.no_grad(), _dropout_off(self.model):
            out = self.model(self.x)
            if self.case.kind == "infer":
                return {"output": out.cpu().numpy()}
            return {"loss": torch.nn.functional.cross_entropy(out, self.y).cpu().numpy()}


class _TorchConv:
    def __init__(self, case, gn_side):
        self.g, self.torch = case.spec, torch
        dev = _device(gn_side)
        self.x = torch.tensor(gn_side.x_np, requires_grad=True, device=dev)
        self.w = torch.tensor(gn_side.w_np, requires_grad=True, device=dev)
        self.grad = torch.from_numpy(gn_side.g_np.copy()).to(dev)

    def _forward(self):
        g = self.g
        return self.torch.nn.functional.conv2d(self.x, self.w, None, g["stride"], g["padding"],
                                               g["dilation"], g["groups"])

    def step(self):
        self.x.grad = self.w.grad = None
        self._forward().backward(self.grad)

    def check(self):
        self.x.grad = self.w.grad = None
        out = self._forward()
        out.backward(self.grad)
        return {"output": out.detach().cpu().numpy(), "grad_input": self.x.grad.cpu().numpy(),
                "grad_weight": self.w.grad.cpu().numpy()}


class _TorchOp:
    def __init__(self, case, gn_side):
        self.torch, self.op, self.calls = torch, gn_side.op, gn_side.calls
        dev = _device(gn_side)
        self.a = torch.tensor(gn_side.a_np, requires_grad=True, device=dev)
        self.b = torch.tensor(gn_side.b_np, requires_grad=True, device=dev)
        self.linear = None
        if self.op == "linear":
            self.linear = torch.nn.Linear(16, 16)
            with torch.no_grad():
                self.linear.weight.copy_(torch.from_numpy(
                    gn_side.linear.weight.detach().cpu().numpy()))
                self.linear.bias.copy_(torch.from_numpy(
                    gn_side.linear.bias.detach().cpu().numpy()))
            self.linear.to(dev)
        self.g = torch.from_numpy(gn_side.g.cpu().numpy().copy()).to(dev)

    def _once(self):
        self.a.grad = self.b.grad = None
        if self.op == "add":
            y = self.a + self.b
        elif self.op == "relu":
            y = self.torch.relu(self.a)
        else:
            y = self.linear(self.a)
        y.backward(self.g)
        return y

    def step(self):
        for _ in range(self.calls):
            self._once()

    def check(self):
        if self.linear is not None:
            self.linear.zero_grad()
        out = {"output": self._once().detach().cpu().numpy(), "grad_a": self.a.grad.cpu().numpy()}
        if self.linear is not None:
            out["grad_weight"] = self.linear.weight.grad.cpu().numpy()
        return out


def _device(gn_side) -> str:
    """The torch device of the run: the glassnet side's (``cpu``, ``cuda:0``...)."""
    return str(getattr(gn_side, "device", "cpu"))


def synchronize(device) -> None:
    """Wait for torch's queued GPU work (timing CUDA steps); nothing on the CPU."""
    if str(device).startswith("cuda"):
        torch.cuda.synchronize()


def torch_side(case, gn_side):
    """torch's step for ``case``, from ``gn_side``'s initial weights and inputs."""
    if case.kind in ("train", "infer"):
        return _TorchModel(case, gn_side)
    if case.kind == "conv":
        return _TorchConv(case, gn_side)
    return _TorchOp(case, gn_side)
