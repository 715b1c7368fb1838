"""Optimizers and learning-rate schedulers with ``torch.optim``'s names and semantics.

Every optimizer follows PyTorch's single-tensor (for-loop) implementation, and its
docstring writes its update rule.  :class:`Newton` is a glassnet extra.
"""
from __future__ import annotations

from glassnet.optim import lr_scheduler  # noqa: F401
from glassnet.optim.adadelta import Adadelta
from glassnet.optim.adagrad import Adagrad
from glassnet.optim.adam import Adam, AdamW
from glassnet.optim.adamax import Adamax
from glassnet.optim.lbfgs import LBFGS
from glassnet.optim.nadam import NAdam
from glassnet.optim.newton import Newton
from glassnet.optim.optimizer import Optimizer
from glassnet.optim.rmsprop import RMSprop
from glassnet.optim.sgd import SGD

__all__ = ["Optimizer", "SGD", "Adagrad", "RMSprop", "Adadelta", "Adam", "AdamW", "NAdam",
           "Adamax", "LBFGS", "Newton", "lr_scheduler"]
