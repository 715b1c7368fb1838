"""Saving and loading a whole model: ``torch.save(model, PATH)`` then
``torch.load(PATH, weights_only=False)`` (the tutorial "Saving and loading models"), with the
user's classes allow-listed by ``torch.serialization.add_safe_globals`` (glassnet rebuilds
only allow-listed classes and never unpickles; torch accepts the same call).

Both runs (torch and glassnet); training goes on from the loaded model.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, features, p=0.0):
        super().__init__()
        self.norm = nn.LayerNorm(features)
        self.fc = nn.Linear(features, features)
        self.drop = nn.Dropout(p)

    def forward(self, x):
        return x + self.drop(F.gelu(self.fc(self.norm(x))))


class Net(nn.Module):
    def __init__(self, in_features=64, hidden=32, num_classes=10, depth=2):
        super().__init__()
        self.stem = nn.Linear(in_features, hidden)
        self.blocks = nn.Sequential(*[Block(hidden) for _ in range(depth)])
        self.head = nn.Linear(hidden, num_classes)
        self.register_buffer("scale", torch.tensor(1.0 / 16))

    def forward(self, x):
        return self.head(self.blocks(self.stem(x * self.scale)))


def train(model, x, y, steps=4):
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model.train()
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def save_and_load(model, path, x):
    model.eval()
    with torch.no_grad():
        before = model(x)
    torch.save(model, path)
    torch.serialization.add_safe_globals([Net, Block])
    loaded = torch.load(path, weights_only=False)
    with torch.no_grad():
        after = loaded(x)
    return {
        "before": before,
        "after": after,
        "type": type(loaded).__name__,
        "block_type": type(loaded.blocks[0]).__name__,
        "training": loaded.training,
        "depth": len(loaded.blocks),
        "keys": list(loaded.state_dict().keys()),
        "is_new_object": loaded is not model,
        "on_cpu": not next(loaded.parameters()).is_cuda,
        "loaded": loaded,
    }
