"""Lazy modules as torch.nn.modules.lazy documents them: the optimizer is built before the
first forward, a dry run materialises the parameters in place, and a state_dict loads
into a model that has never run (its parameters take the stored shapes).

Both runs (torch and glassnet); the test copies torch's weights after the dry run.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


def build():
    model = nn.Sequential(
        nn.LazyConv2d(8, 3),
        nn.LazyBatchNorm2d(),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.LazyLinear(32),
        nn.ReLU(),
        nn.LazyLinear(10),
    )
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    uninitialized = [isinstance(p, nn.parameter.UninitializedParameter)
                     for p in model.parameters()]
    with torch.no_grad():
        model(torch.zeros(2, 1, 8, 8))  # dry run
    return model, optimizer, uninitialized


def describe(model):
    return {
        "classes": [type(m).__name__ for m in model],
        "shapes": {name: tuple(p.shape) for name, p in model.named_parameters()},
        "in_features": model[5].in_features,
        "num_features": model[1].num_features,
        "uninitialized": [isinstance(p, nn.parameter.UninitializedParameter)
                          for p in model.parameters()],
    }


def train(model, optimizer, images, labels, steps=6):
    losses = []
    model.train()
    for step in range(steps):
        batch = slice(16 * step, 16 * (step + 1))
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images[batch]), labels[batch])
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def restore(state_dict, images):
    fresh = nn.Sequential(
        nn.LazyConv2d(8, 3), nn.LazyBatchNorm2d(), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.LazyLinear(32), nn.ReLU(), nn.LazyLinear(10))
    fresh.load_state_dict(state_dict)
    fresh.eval()
    with torch.no_grad():
        return fresh(images), [type(m).__name__ for m in fresh]
