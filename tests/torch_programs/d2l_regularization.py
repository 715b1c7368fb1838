"""Dive into Deep Learning, chapters 3.7 (weight decay), 5.6 (dropout) and 8.5 (batch
normalization) from scratch and concisely, as the book's PyTorch code writes them: moving
statistics updated in place under ``torch.no_grad()``, ``(torch.rand(X.shape) >
dropout).float()`` masks, ``torch.sum(w.pow(2)) / 2`` and per-group ``weight_decay``.

Both runs (torch and glassnet); the test passes the data and initial weights.
"""
import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset


def batch_norm(X, gamma, beta, moving_mean, moving_var, eps, momentum):
    if not torch.is_grad_enabled():
        X_hat = (X - moving_mean) / torch.sqrt(moving_var + eps)
    else:
        assert len(X.shape) in (2, 4)
        if len(X.shape) == 2:
            mean = X.mean(dim=0)
            var = ((X - mean) ** 2).mean(dim=0)
        else:
            mean = X.mean(dim=(0, 2, 3), keepdim=True)
            var = ((X - mean) ** 2).mean(dim=(0, 2, 3), keepdim=True)
        X_hat = (X - mean) / torch.sqrt(var + eps)
        with torch.no_grad():
            moving_mean.mul_(1.0 - momentum).add_(momentum * mean)
            moving_var.mul_(1.0 - momentum).add_(momentum * var)
    Y = gamma * X_hat + beta
    return Y


class BatchNorm(nn.Module):
    def __init__(self, num_features, num_dims):
        super().__init__()
        shape = (1, num_features) if num_dims == 2 else (1, num_features, 1, 1)
        self.gamma = nn.Parameter(torch.ones(shape))
        self.beta = nn.Parameter(torch.zeros(shape))
        self.moving_mean = torch.zeros(shape)
        self.moving_var = torch.ones(shape)

    def forward(self, X):
        if self.moving_mean.device != X.device:
            self.moving_mean = self.moving_mean.to(X.device)
            self.moving_var = self.moving_var.to(X.device)
        return batch_norm(X, self.gamma, self.beta, self.moving_mean, self.moving_var,
                          eps=1e-5, momentum=0.1)


def bn_net(scratch):
    norm = BatchNorm(6, num_dims=4) if scratch else nn.BatchNorm2d(6)
    return nn.Sequential(nn.Conv2d(1, 6, kernel_size=3), norm, nn.Sigmoid(),
                         nn.Flatten(), nn.Linear(6 * 6 * 6, 10))


def train_steps(net, X, y, steps=4, lr=0.5):
    optimizer = torch.optim.SGD(net.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        optimizer.zero_grad()
        l = F.cross_entropy(net(X[16 * step:16 * step + 16]), y[16 * step:16 * step + 16])
        l.backward()
        optimizer.step()
        losses.append(l.item())
    net.eval()
    with torch.no_grad():
        return losses, net(X)


def dropout_layer(X, dropout):
    assert 0 <= dropout <= 1
    if dropout == 1:
        return torch.zeros_like(X)
    mask = (torch.rand(X.shape) > dropout).float()
    return mask * X / (1.0 - dropout)


class DropoutMLP(nn.Module):
    def __init__(self, num_outputs, num_hiddens_1, num_hiddens_2, dropout_1, dropout_2):
        super().__init__()
        self.lin1 = nn.LazyLinear(num_hiddens_1)
        self.lin2 = nn.LazyLinear(num_hiddens_2)
        self.lin3 = nn.LazyLinear(num_outputs)
        self.relu = nn.ReLU()
        self.dropout_1, self.dropout_2 = dropout_1, dropout_2

    def forward(self, X):
        H1 = self.relu(self.lin1(X.reshape((X.shape[0], -1))))
        if self.training:
            H1 = dropout_layer(H1, self.dropout_1)
        H2 = self.relu(self.lin2(H1))
        if self.training:
            H2 = dropout_layer(H2, self.dropout_2)
        return self.lin3(H2)


def l2_penalty(w):
    return torch.sum(w.pow(2)) / 2


def train_weight_decay(features, labels, w, lambd, num_epochs=3, lr=0.003):
    w = w.clone().requires_grad_(True)
    b = torch.zeros(1, requires_grad=True)
    loader = DataLoader(TensorDataset(features, labels), batch_size=5, shuffle=False)
    losses = []
    for epoch in range(num_epochs):
        for X, y in loader:
            l = (torch.matmul(X, w) + b - y.reshape(-1, 1)) ** 2 / 2 + lambd * l2_penalty(w)
            l.sum().backward()
            with torch.no_grad():
                for param in (w, b):
                    param -= lr * param.grad / X.shape[0]
                    param.grad.zero_()
        losses.append(l.mean().item())
    return losses, w.norm().item()


def train_concise(net, features, labels, wd, num_epochs=3, lr=0.003):
    loader = DataLoader(TensorDataset(features, labels), batch_size=5, shuffle=False)
    loss = nn.MSELoss(reduction='none')
    trainer = torch.optim.SGD([
        {"params": net[0].weight, 'weight_decay': wd},
        {"params": net[0].bias}], lr=lr)
    for epoch in range(num_epochs):
        for X, y in loader:
            trainer.zero_grad()
            l = loss(net(X), y.reshape(-1, 1))
            l.mean().backward()
            trainer.step()
    return l.mean().item(), net[0].weight.norm().item()
