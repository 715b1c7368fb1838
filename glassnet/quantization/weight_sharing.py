"""Weight sharing by k-means clustering (Han, Mao and Dally, "Deep Compression", ICLR 2016,
section 3, arXiv:1510.00149).

The nonzero weights of a layer are clustered (1-D k-means) into at most ``2**bits - 1``
shared values (centroids); every weight then stores only the index of its centroid, and
index 0 of the codebook is reserved for an exact zero (the pruned weights and the
padding entries of the relative-index format, :mod:`glassnet.quantization.storage`), so
``bits`` bits address the whole codebook.

:func:`apply_weight_sharing` re-parametrises ``module.weight`` as
``shared_weight(weight_centroids, weight_labels)``: ``weight_centroids`` is a Parameter of
shape ``(K,)`` and ``weight_labels`` an int64 buffer of the weight's shape (``-1`` marks an
exact zero).  A forward pre-hook recomputes ``module.weight`` before each call, and the
gradient of a centroid is the sum of the gradients of the weights in its cluster (the
paper's centroid fine-tuning, eq. 3), computed with one ``bincount``.
"""
from __future__ import annotations

import numpy as np

from glassnet.autograd import Function
from glassnet.backend import default_generator
from glassnet.nn.parameter import Parameter
from glassnet.tensor import Tensor

__all__ = ["kmeans_1d", "shared_weight", "SharedWeight", "WeightSharing",
           "apply_weight_sharing", "remove_weight_sharing", "is_weight_shared", "INITS"]

INITS = ("linear", "density", "random")


# -- k-means -------------------------------------------------------------------------------
def _init_centroids(values: np.ndarray, k: int, init: str, generator) -> np.ndarray:
    lo, hi = float(values.min()), float(values.max())
    if init == "linear":
        # equally spaced between the smallest and the largest weight
        return np.linspace(lo, hi, k)
    if init == "density":
        # equally spaced on the y-axis of the weights' CDF (the quantiles)
        return np.quantile(values, (np.arange(k) + 0.5) / k)
    # "random" (Forgy): k distinct weights drawn at random
    take = generator.choice(values.size, size=min(k, values.size), replace=False)
    return np.sort(values[take])


def kmeans_1d(values, n_clusters: int, init: str = "linear", max_iter: int = 100,
              tol: float = 1e-7, generator=None):
    """Lloyd's k-means on scalars.

    Parameters
    ----------
    values : array-like
        The weights (any shape; flattened).
    n_clusters : int
        Number of centroids ``K`` (at most the number of distinct values is used).
    init : {'linear', 'density', 'random'}
        Centroid initialisation (section 3.2 of the paper): linearly spaced over
        ``[min, max]``, spaced by the CDF (quantiles), or Forgy (random weights).
    max_iter : int
    tol : float
        Stop when no centroid moves more than ``tol``.
    generator : numpy Generator, optional
        For ``init='random'`` (default: glassnet's default generator).

    Returns
    -------
    centroids : ndarray ``(K,)`` float64, sorted
    labels : ndarray, int64, shape of ``values``: the nearest centroid of each value

    Notes
    -----
    In 1-D the nearest centroid is found with ``searchsorted`` on the midpoints of the
    sorted centroids, and the update is one ``bincount``: O(n log K) per iteration, no
    ``(n, K)`` distance matrix.  An empty cluster keeps its centroid.
    """
    if init not in INITS:
        raise ValueError(f"kmeans_1d: init must be one of {INITS}, got {init!r}")
    if not isinstance(n_clusters, (int, np.integer)) or n_clusters < 1:
        raise ValueError(f"kmeans_1d: n_clusters must be a positive int, got {n_clusters!r}")
    v = np.asarray(values._data if isinstance(values, Tensor) else values, np.float64)
    shape = v.shape
    v = v.reshape(-1)
    if v.size == 0:
        raise ValueError("kmeans_1d: values is empty")
    gen = generator if generator is not None else default_generator()
    c = np.sort(_init_centroids(v, int(n_clusters), init, gen))
    labels = np.zeros(v.size, np.int64)
    for _ in range(max_iter):
        labels = np.searchsorted((c[1:] + c[:-1]) / 2, v)
        counts = np.bincount(labels, minlength=c.size)
        sums = np.bincount(labels, weights=v, minlength=c.size)
        new = np.where(counts > 0, sums / np.maximum(counts, 1), c)
        order = np.argsort(new, kind="stable")
        moved = np.abs(new[order] - c).max()
        c = new[order]
        if moved <= tol:
            break
    labels = np.searchsorted((c[1:] + c[:-1]) / 2, v)
    return c, labels.reshape(shape)


# -- the shared-weight op -------------------------------------------------------------------
class SharedWeight(Function):
    """``out[i] = centroids[labels[i]]`` (0 where ``labels[i] == -1``); the gradient of
    each centroid is the sum of the gradients of its weights."""

    def forward(self, centroids, labels):
        self.meta = (labels, centroids.shape[0])
        safe = np.where(labels >= 0, labels, 0)
        return np.where(labels >= 0, centroids[safe], 0).astype(centroids.dtype)

    def backward(self, g):
        labels, k = self.meta
        keep = labels.reshape(-1) >= 0
        grad = np.bincount(labels.reshape(-1)[keep], weights=g.reshape(-1)[keep],
                           minlength=k).astype(g.dtype)
        return grad, None


def shared_weight(centroids: Tensor, labels: Tensor) -> Tensor:
    """A weight tensor built from a codebook: ``centroids[labels]``, 0 where ``labels`` is
    -1 (differentiable w.r.t. ``centroids``).

    Parameters
    ----------
    centroids : Tensor ``(K,)``, floating
    labels : Tensor, integer, any shape, values in ``[-1, K)``

    Shape
    -----
    output: the shape of ``labels``, the dtype of ``centroids``.
    """
    fn = "shared_weight"
    if not isinstance(centroids, Tensor) or not isinstance(labels, Tensor):
        raise TypeError(f"{fn}: centroids and labels must be Tensors, got "
                        f"{type(centroids).__name__} and {type(labels).__name__}")
    if centroids.ndim != 1:
        raise ValueError(f"{fn}: centroids must have shape (K,), got {tuple(centroids.shape)}")
    if not np.issubdtype(centroids._data.dtype, np.floating):
        raise TypeError(f"{fn}: centroids must be floating, got {centroids._data.dtype}")
    if not np.issubdtype(labels._data.dtype, np.integer):
        raise TypeError(f"{fn}: labels must be an integer tensor, got {labels._data.dtype}")
    lab = labels._data
    if lab.size and (lab.min() < -1 or lab.max() >= centroids.shape[0]):
        raise ValueError(f"{fn}: labels must lie in [-1, {centroids.shape[0]}), got "
                         f"[{lab.min()}, {lab.max()}]")
    return SharedWeight.apply(centroids, labels)


# -- module re-parametrisation ----------------------------------------------------------------
class WeightSharing:
    """The forward pre-hook that rebuilds ``module.<name>`` from its codebook."""

    def __init__(self, name: str, bits: int):
        self._tensor_name = name
        self.bits = bits

    def __call__(self, module, inputs):
        setattr(module, self._tensor_name, self.shared(module))

    def shared(self, module) -> Tensor:
        name = self._tensor_name
        return shared_weight(getattr(module, name + "_centroids"),
                             getattr(module, name + "_labels"))


def is_weight_shared(module, name: str = "weight") -> bool:
    """True if ``module.<name>`` is re-parametrised by :func:`apply_weight_sharing`."""
    return any(isinstance(h, WeightSharing) and h._tensor_name == name
               for h in module._forward_pre_hooks.values())


def apply_weight_sharing(module, name: str = "weight", bits: int = 5, init: str = "linear",
                         max_iter: int = 100, generator=None):
    """Cluster the nonzero entries of ``module.<name>`` into ``2**bits - 1`` shared values.

    A pruned tensor (:mod:`glassnet.nn.utils.prune`) is made permanent first; its zeros
    (and any other exact zeros) get label -1 and stay zero.  Afterwards ``module`` has
    the Parameter ``<name>_centroids`` (trained by any optimizer built afterwards: the
    centroid fine-tuning) and the int64 buffer ``<name>_labels``.

    Parameters
    ----------
    module : Module
    name : str
    bits : int
        Bits per weight index, 1..16; the codebook has ``2**bits`` entries, entry 0 being
        the exact zero.
    init : {'linear', 'density', 'random'}
        See :func:`kmeans_1d` (the paper finds linear best: it keeps the large weights).

    Returns
    -------
    Module
    """
    from glassnet.nn.utils import prune

    if not isinstance(bits, (int, np.integer)) or not 1 <= bits <= 16:
        raise ValueError(f"apply_weight_sharing: bits must be an int in [1, 16], got {bits!r}")
    if init not in INITS:
        raise ValueError(f"apply_weight_sharing: init must be one of {INITS}, got {init!r}")
    if is_weight_shared(module, name):
        raise ValueError(f"apply_weight_sharing: {type(module).__name__}.{name} is already "
                         f"weight-shared; call remove_weight_sharing first")
    if any(isinstance(h, prune.BasePruningMethod) and h._tensor_name == name
           for h in module._forward_pre_hooks.values()):
        prune.remove(module, name)
    if name not in module._parameters or module._parameters[name] is None:
        raise ValueError(f"apply_weight_sharing: module {type(module).__name__} has no "
                         f"parameter {name!r}")
    weight = module._parameters[name]
    w = weight._data
    nonzero = w != 0
    labels = np.full(w.shape, -1, np.int64)
    k = 2 ** int(bits) - 1
    if nonzero.any():
        centroids, lab = kmeans_1d(w[nonzero], k, init=init, max_iter=max_iter,
                                   generator=generator)
        labels[nonzero] = lab
    else:
        centroids = np.zeros(1)
    module.register_parameter(name + "_centroids",
                              Parameter(Tensor._wrap(centroids.astype(w.dtype))))
    del module._parameters[name]
    module.register_buffer(name + "_labels", Tensor._wrap(labels))
    hook = WeightSharing(name, int(bits))
    setattr(module, name, hook.shared(module))
    module.register_forward_pre_hook(hook)
    return module


def remove_weight_sharing(module, name: str = "weight"):
    """Make the sharing permanent: ``<name>`` becomes a Parameter holding the shared values
    (codebook and labels are dropped); returns ``module``."""
    for k, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, WeightSharing) and hook._tensor_name == name:
            value = hook.shared(module).detach()._data.copy()
            del module._forward_pre_hooks[k]
            if name in module.__dict__:
                delattr(module, name)
            del module._parameters[name + "_centroids"]
            del module._buffers[name + "_labels"]
            setattr(module, name, Parameter(Tensor._wrap(value)))
            return module
    raise ValueError(f"remove_weight_sharing: {type(module).__name__}.{name} is not "
                     f"weight-shared")
