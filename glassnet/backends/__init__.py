"""``glassnet.backends``: the flags of ``torch.backends`` that training scripts set.

glassnet has no cuDNN, MPS or MKL-DNN backend: their ``is_available()`` is False and
their flags (``torch.backends.cudnn.benchmark = True``) are accepted and change
nothing.  glassnet's CPU kernels are deterministic whatever the flags say.
"""
from glassnet.backends import cudnn, mps  # noqa: F401

__all__ = ["cudnn", "mps"]
