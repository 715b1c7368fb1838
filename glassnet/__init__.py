"""glassnet: a deep-learning framework you can see through.

Tensors with reverse-mode autograd on NumPy, with PyTorch's names and semantics.
"""
__version__ = "0.1.0"

from glassnet.backend import (  # noqa: F401
    Generator, bool_ as _bool, device, float16, float32, float64, int8, int16, int32, int64, uint8,
    layout, strided,
    get_default_dtype, manual_seed, get_rng_state, set_rng_state,
)
from glassnet.autograd import (  # noqa: F401
    enable_grad, inference_mode, is_anomaly_check_nan_enabled, is_anomaly_enabled,
    is_grad_enabled, no_grad, set_grad_enabled,
)
from glassnet.tensor import Size, Tensor  # noqa: F401
from glassnet._tensor_base import is_tensor, numel  # noqa: F401
from glassnet._creation import *  # noqa: F401,F403
from glassnet.ops.elementwise import *  # noqa: F401,F403
from glassnet.ops.reduce import *  # noqa: F401,F403
from glassnet.ops.shape import *  # noqa: F401,F403
from glassnet.ops.linalg import *  # noqa: F401,F403
from glassnet.ops.inplace import index_put  # noqa: F401
from glassnet.ops.random import *  # noqa: F401,F403
from glassnet.ops.composite import *  # noqa: F401,F403
from glassnet.ops.activation import relu, sigmoid, tanh  # noqa: F401
from glassnet.ops.softmax import log_softmax, softmax  # noqa: F401
from glassnet.ops.kernels._threads import get_num_threads, set_num_threads  # noqa: F401

# NOTE: importing the submodules above bound them as attributes; ``glassnet.backend`` is
# not a torch name, so it leaves the namespace (``import glassnet.backend`` still works).
del backend  # noqa: F821

bool = _bool  # noqa: A001  (glassnet.bool, like torch.bool)
long = int64
float = float32  # noqa: A001
double = float64
half = float16
short = int16
int = int32  # noqa: A001


# Subpackages that load on first use (``glassnet.nn``...), so ``import glassnet`` is light.
_SUBMODULES = ("nn", "optim", "utils", "models", "vision", "train", "inspect", "testing",
               "serialization", "cuda", "cv", "accelerator", "backends", "multiprocessing",
               "linalg", "hub", "distributed", "jit", "onnx")


def __getattr__(name):
    # Lazy subpackages keep ``import glassnet`` light.
    import importlib

    if name in _SUBMODULES:
        return importlib.import_module(f"glassnet.{name}")
    if name in ("save", "load"):
        from glassnet import serialization

        return getattr(serialization, name)
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
