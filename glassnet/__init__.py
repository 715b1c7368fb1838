"""glassnet: a deep-learning framework you can see through.

Tensors with reverse-mode autograd on NumPy, with PyTorch's names and semantics.
"""
from __future__ import annotations

__version__ = "0.1.0"

from glassnet.backend import (  # noqa: F401
    Generator, bool_, device, float16, float32, float64, int8, int16, int32, int64, uint8,
    layout, strided,
    get_default_dtype, manual_seed, get_rng_state, set_rng_state,
)
from glassnet.autograd import (  # noqa: F401
    enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled,
)
from glassnet.tensor import (  # noqa: F401
    Size, Tensor, arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,
    is_tensor, linspace, normal, ones, ones_like, rand, rand_like, randint, randn, randn_like,
    randperm, numel, bernoulli, multinomial,
    tensor, zeros, zeros_like,
)
from glassnet import ops as _ops  # noqa: F401  (binds Tensor methods)
from glassnet.ops.elementwise import *  # noqa: F401,F403
from glassnet.ops.reduce import *  # noqa: F401,F403
from glassnet.ops.shape import *  # noqa: F401,F403
from glassnet.ops.linalg import *  # noqa: F401,F403
from glassnet.ops.inplace import index_put  # noqa: F401
from glassnet.ops.activation import log_softmax, relu, sigmoid, softmax, tanh  # noqa: F401

bool = bool_  # noqa: A001  (glassnet.bool, like torch.bool)
long = int64
float = float32  # noqa: A001
double = float64
half = float16
short = int16
int = int32  # noqa: A001


def __getattr__(name):
    # Lazy subpackages keep ``import glassnet`` light.
    import importlib

    if name in ("nn", "optim", "utils", "models", "vision", "train", "inspect", "testing",
                "serialization", "cuda", "cv", "accelerator", "backends", "multiprocessing"):
        return importlib.import_module(f"glassnet.{name}")
    if name in ("save", "load"):
        from glassnet import serialization

        return getattr(serialization, name)
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
