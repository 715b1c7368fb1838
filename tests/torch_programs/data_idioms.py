"""The ``.data`` idioms of older PyTorch code: hand-written SGD on ``p.data``/``p.grad.data``,
``torch.max(outputs.data, 1)``, ``.data.numpy()``, assigning ``.data``, and WGAN's weight
clipping ``p.data.clamp_(-c, c)`` (Arjovsky et al.'s reference code).

Both runs (torch and glassnet) from the same initial weights, no shuffling.
"""
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset


class Classifier(nn.Module):
    def __init__(self):
        super(Classifier, self).__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        return self.fc2(F.relu(self.fc1(x)))


def train_by_hand(model, images, labels, lr=0.05, epochs=2):
    loader = DataLoader(TensorDataset(images, labels), batch_size=32, shuffle=False)
    criterion = nn.CrossEntropyLoss()
    model.fc2.weight.data = model.fc2.weight.data * 0.5  # replace storage through .data
    losses, accuracy, grad_norms = [], [], []
    for epoch in range(epochs):
        correct = 0
        total = 0
        for inputs, targets in loader:
            outputs = model(inputs)
            loss = criterion(outputs, targets)
            loss.backward()
            total_norm = 0.0
            for p in model.parameters():
                total_norm += p.grad.data.norm(2).item() ** 2
                p.data.add_(p.grad.data, alpha=-lr)
                p.grad.data.zero_()
            grad_norms.append(total_norm ** 0.5)
            _, predicted = torch.max(outputs.data, 1)
            total += targets.size(0)
            correct += (predicted == targets).sum().item()
            losses.append(loss.data.item())
        accuracy.append(100.0 * correct / total)
    weights = model.fc1.weight.data.numpy().copy()
    return losses, accuracy, grad_norms, weights


class Critic(nn.Module):
    def __init__(self):
        super(Critic, self).__init__()
        self.main = nn.Sequential(nn.Linear(64, 32), nn.LeakyReLU(0.2, inplace=True),
                                  nn.Linear(32, 1))

    def forward(self, input):
        return self.main(input).mean(0).view(1)


def train_wgan_critic(netD, real, fake, clamp_lower=-0.01, clamp_upper=0.01, n_critic=5):
    optimizerD = torch.optim.RMSprop(netD.parameters(), lr=5e-5)
    one = torch.FloatTensor([1])
    mone = one * -1
    errors = []
    for step in range(n_critic):
        for p in netD.parameters():
            p.data.clamp_(clamp_lower, clamp_upper)
        netD.zero_grad()
        errD_real = netD(real)
        errD_real.backward(one)
        errD_fake = netD(fake)
        errD_fake.backward(mone)
        errD = errD_real - errD_fake
        optimizerD.step()
        errors.append(errD.data[0].item())
    clipped = all(p.data.abs().max().item() <= 0.01 + 1e-3 for p in netD.parameters())
    return errors, clipped, netD(real).data.numpy()
