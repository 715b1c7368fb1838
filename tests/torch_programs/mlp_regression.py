"""A small MLP regression in the style of the PyTorch recipes: ``nn.init.kaiming_uniform_``
and ``zeros_`` through ``model.apply``, ``clip_grad_norm_`` before each step and a
``OneCycleLR`` schedule stepped every batch.  (The word-language model would come here, but
glassnet has no recurrent layers yet.)

Both runs (torch and glassnet); the test copies torch's initial weights.
"""
import torch
import torch.nn as nn
from torch.utils.data import DataLoader, TensorDataset


class MLP(nn.Module):
    def __init__(self, in_features=8, hidden=32):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Linear(in_features, hidden), nn.ReLU(),
            nn.Linear(hidden, hidden), nn.ReLU(),
            nn.Linear(hidden, 1))
        self.apply(self._init_weights)

    @staticmethod
    def _init_weights(m):
        if isinstance(m, nn.Linear):
            nn.init.kaiming_uniform_(m.weight, nonlinearity='relu')
            nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.layers(x).squeeze(-1)


def fit(model, x, y, epochs=3, batch_size=16, max_lr=0.05):
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=False)
    optimizer = torch.optim.AdamW(model.parameters(), lr=max_lr / 25, weight_decay=1e-2)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=max_lr, epochs=epochs, steps_per_epoch=len(loader))
    criterion = nn.MSELoss()
    losses, norms, lrs = [], [], []
    for epoch in range(epochs):
        model.train()
        for xb, yb in loader:
            optimizer.zero_grad(set_to_none=True)
            loss = criterion(model(xb), yb)
            loss.backward()
            norms.append(nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0).item())
            optimizer.step()
            scheduler.step()
            losses.append(loss.item())
            lrs.append(scheduler.get_last_lr()[0])
    model.eval()
    with torch.no_grad():
        mse = criterion(model(x), y).item()
    return losses, norms, lrs, mse
