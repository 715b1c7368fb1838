"""The tutorial "Saving and loading models": a whole model with ``torch.save(model, PATH)``
and ``torch.load(PATH, weights_only=False)``, the user's classes allow-listed by
``torch.serialization.add_safe_globals`` (glassnet rebuilds only allow-listed classes and
never unpickles; torch accepts the same call), and a general checkpoint (epoch, model and
optimizer state_dicts, loss) from which training resumes with its momentum buffers.

Both runs (torch and glassnet); training goes on from what was loaded.
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


def make_optimizer(model):
    return torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)


def train(model, optimizer, x, y, steps=4):
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


def checkpoint_and_resume(model, optimizer, x, y, path, epoch, loss):
    torch.save({
        'epoch': epoch,
        'model_state_dict': model.state_dict(),
        'optimizer_state_dict': optimizer.state_dict(),
        'loss': loss,
    }, path)

    model = Net()
    optimizer = make_optimizer(model)
    checkpoint = torch.load(path, weights_only=True)
    model.load_state_dict(checkpoint['model_state_dict'])
    optimizer.load_state_dict(checkpoint['optimizer_state_dict'])
    epoch = checkpoint['epoch']
    loss = checkpoint['loss']
    model.train()
    return epoch, loss, train(model, optimizer, x, y)
