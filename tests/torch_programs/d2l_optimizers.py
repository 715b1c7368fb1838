"""Dive into Deep Learning, chapter 12 (optimization algorithms): each optimizer's path on
the book's 2-D quadratic f(x) = 0.1 x1^2 + 2 x2^2 and its concise training loop
``train_concise_ch11`` on a linear regression, with learning-rate schedulers.

Both runs (torch and glassnet); the test passes the data and initial weights.
"""
import math

import torch
from torch import nn
from torch.optim import lr_scheduler
from torch.utils.data import DataLoader, TensorDataset


def f_2d(x1, x2):
    return 0.1 * x1 ** 2 + 2 * x2 ** 2


def trace_2d(trainer_fn, hyperparams, steps=20):
    x = torch.tensor([-5.0, -2.0], requires_grad=True)
    optimizer = trainer_fn([x], **hyperparams)
    results = [tuple(x.tolist())]
    for _ in range(steps):
        optimizer.zero_grad()
        loss = f_2d(x[0], x[1])
        loss.backward()
        optimizer.step()
        results.append(tuple(x.tolist()))
    return results


def train_concise_ch11(trainer_fn, hyperparams, data_iter, net, scheduler_fn=None,
                       num_epochs=2):
    optimizer = trainer_fn(net.parameters(), **hyperparams)
    scheduler = scheduler_fn(optimizer) if scheduler_fn is not None else None
    loss = nn.MSELoss(reduction='none')
    losses, lrs = [], []
    for _ in range(num_epochs):
        for X, y in data_iter:
            optimizer.zero_grad()
            out = net(X)
            y = y.reshape(out.shape)
            l = loss(out, y)
            l.mean().backward()
            optimizer.step()
            losses.append(l.mean().item())
            if scheduler is not None:
                lrs.append(scheduler.get_last_lr()[0])
                scheduler.step()
    return losses, lrs


OPTIMIZERS = [
    (torch.optim.SGD, {'lr': 0.05, 'momentum': 0.9}, None),
    (torch.optim.SGD, {'lr': 0.1, 'momentum': 0.5, 'nesterov': True},
     lambda opt: lr_scheduler.StepLR(opt, step_size=5, gamma=0.5)),
    (torch.optim.Adagrad, {'lr': 0.1}, None),
    (torch.optim.RMSprop, {'lr': 0.01, 'alpha': 0.9},
     lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=12)),
    (torch.optim.Adadelta, {'rho': 0.9}, None),
    (torch.optim.Adam, {'lr': 0.01},
     lambda opt: lr_scheduler.LambdaLR(opt, lambda epoch: 1 / math.sqrt(epoch + 1))),
    (torch.optim.Adam, {'lr': 0.01, 'amsgrad': True, 'weight_decay': 1e-3},
     lambda opt: lr_scheduler.MultiStepLR(opt, milestones=[4, 8], gamma=0.3)),
]


def run_all(features, labels, make_net):
    data_iter = DataLoader(TensorDataset(features, labels), batch_size=10, shuffle=False)
    paths, curves = [], []
    for trainer_fn, hyperparams, scheduler_fn in OPTIMIZERS:
        paths.append(trace_2d(trainer_fn, hyperparams))
        curves.append(train_concise_ch11(trainer_fn, hyperparams, data_iter, make_net(),
                                         scheduler_fn))
    return paths, curves
