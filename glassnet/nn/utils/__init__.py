"""Utilities on parameters (``torch.nn.utils``), plus ``max_norm_`` and ``l1_penalty``."""
from __future__ import annotations

from glassnet.nn.utils.clip_grad import clip_grad_norm_, clip_grad_value_  # noqa: F401
from glassnet.nn.utils.convert_parameters import (  # noqa: F401
    parameters_to_vector, vector_to_parameters,
)
from glassnet.nn.utils.regularization import l1_penalty, max_norm_  # noqa: F401
from glassnet.nn.utils import prune  # noqa: F401,E402
from glassnet.nn.utils import rnn  # noqa: F401,E402

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector",
           "vector_to_parameters", "max_norm_", "l1_penalty", "prune", "rnn"]
