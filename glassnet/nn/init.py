"""Weight initialisation (``torch.nn.init``), plus ``lecun_normal_`` / ``lecun_uniform_``.

Every function fills its tensor in place, outside autograd, and returns it.  Samples
are drawn in float64 from a ``numpy.random.Generator`` (``generator=``, or glassnet's
default generator seeded by ``glassnet.manual_seed``) and then cast to the tensor's
dtype.

Fans follow PyTorch: for a weight of shape ``(out, in, *kernel)``,
``fan_in = in * prod(kernel)`` and ``fan_out = out * prod(kernel)``.

References
----------
- Glorot & Bengio (2010), "Understanding the difficulty of training deep feedforward
  neural networks", AISTATS (xavier_*).
- He et al. (2015), "Delving deep into rectifiers", ICCV, arXiv:1502.01852 (kaiming_*).
- LeCun et al. (1998), "Efficient BackProp" (lecun_*); Klambauer et al. (2017),
  "Self-normalizing neural networks", arXiv:1706.02515 (the SELU gain 3/4).
- Saxe et al. (2013), "Exact solutions to the nonlinear dynamics of learning in deep
  linear neural networks", arXiv:1312.6120 (orthogonal_).
- Martens (2010), "Deep learning via Hessian-free optimization", ICML (sparse_).
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from glassnet.backend import default_generator
from glassnet.tensor import Tensor

__all__ = [
    "calculate_gain", "uniform_", "normal_", "trunc_normal_", "constant_", "ones_",
    "zeros_", "eye_", "dirac_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_",
    "kaiming_normal_", "orthogonal_", "sparse_", "lecun_normal_", "lecun_uniform_",
]


def _check(tensor, fn: str) -> Tensor:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{fn}: tensor must be a glassnet Tensor, got {type(tensor).__name__}")
    return tensor


def _rng(generator):
    return default_generator() if generator is None else generator


def _fill(tensor: Tensor, values) -> Tensor:
    """Write ``values`` into ``tensor`` in place (no autograd), casting to its dtype."""
    tensor._data[...] = np.asarray(values).astype(tensor.dtype, copy=False)
    tensor._bump()
    return tensor


def calculate_gain(nonlinearity: str, param=None) -> float:
    """The recommended gain for a nonlinearity (``torch.nn.init.calculate_gain``).

    ============================ =================================
    nonlinearity                 gain
    ============================ =================================
    linear, conv*, sigmoid       1
    tanh                         5/3
    relu                         sqrt(2)
    leaky_relu                   sqrt(2 / (1 + negative_slope**2))
    selu                         3/4
    ============================ =================================

    Parameters
    ----------
    nonlinearity : str
    param : float, optional
        The negative slope of ``leaky_relu`` (default 0.01).
    """
    linear_fns = ["linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d",
                  "conv_transpose2d", "conv_transpose3d"]
    if nonlinearity in linear_fns or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif not isinstance(param, bool) and isinstance(param, (int, float)):
            negative_slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope ** 2))
    if nonlinearity == "selu":
        # NOTE: 3/4 is PyTorch's empirical value (issue #24991), not from the SELU paper,
        # which uses gain 1 with lecun_normal_.
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}")


def _calculate_fan_in_and_fan_out(tensor):
    """``(fan_in, fan_out)``: ``(shape[1], shape[0])`` times the receptive field size
    ``prod(shape[2:])``."""
    if tensor.ndim < 2:
        raise ValueError(f"Fan in and fan out can not be computed for tensor with fewer "
                         f"than 2 dimensions, got shape {tuple(tensor.shape)}")
    receptive_field = 1
    for s in tensor.shape[2:]:
        receptive_field *= s
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _calculate_correct_fan(tensor, mode: str) -> int:
    mode = mode.lower()
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"Mode {mode} not supported, please use one of fan_in, fan_out")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _sample_dtype(tensor):
    # NOTE: float32 tensors are sampled directly in float32 (same law, ~3x faster and half
    # the memory for 100M-parameter layers such as VGG's classifier); others in float64.
    return np.float32 if tensor.dtype == np.float32 else np.float64


def uniform_(tensor, a: float = 0.0, b: float = 1.0, generator=None) -> Tensor:
    """Fill with samples of U(a, b)."""
    _check(tensor, "uniform_")
    if tensor._data.dtype in (np.float32, np.float64) and tensor._data.flags.c_contiguous:
        # Sample straight into the parameter's memory: no temporary, no copy.
        u = tensor._data
        _rng(generator).random(out=u, dtype=u.dtype)
        u *= (b - a)
        u += a
        tensor._bump()
        return tensor
    u = _rng(generator).random(tensor.shape, dtype=_sample_dtype(tensor))
    return _fill(tensor, u * (b - a) + a)


def normal_(tensor, mean: float = 0.0, std: float = 1.0, generator=None) -> Tensor:
    """Fill with samples of N(mean, std**2)."""
    _check(tensor, "normal_")
    if tensor._data.dtype in (np.float32, np.float64) and tensor._data.flags.c_contiguous:
        z = tensor._data
        _rng(generator).standard_normal(out=z, dtype=z.dtype)
        z *= std
        z += mean
        tensor._bump()
        return tensor
    z = _rng(generator).standard_normal(tensor.shape, dtype=_sample_dtype(tensor))
    return _fill(tensor, z * std + mean)


def _norm_cdf(x: float) -> float:
    return (1.0 + math.erf(x / math.sqrt(2.0))) / 2.0


def trunc_normal_(tensor, mean: float = 0.0, std: float = 1.0, a: float = -2.0,
                  b: float = 2.0, generator=None) -> Tensor:
    """Fill with samples of N(mean, std**2) truncated to [a, b] (absolute bounds).

    Samples outside [a, b] are redrawn (rejection sampling, exact).  When less than 5%
    of the mass lies inside [a, b], PyTorch's inverse-CDF method is used instead.
    """
    _check(tensor, "trunc_normal_")
    if not a < b:
        raise ValueError(f"trunc_normal_: a must be < b, got a={a}, b={b}")
    rng = _rng(generator)
    n = tensor.numel()
    lo, hi = _norm_cdf((a - mean) / std), _norm_cdf((b - mean) / std)
    if hi - lo >= 0.05:
        out = rng.normal(mean, std, n)
        bad = (out < a) | (out > b)
        while bad.any():
            out[bad] = rng.normal(mean, std, int(bad.sum()))
            bad = (out < a) | (out > b)
    else:
        out = mean + std * _ndtri(rng.uniform(lo, hi, n))
    return _fill(tensor, np.clip(out, a, b).reshape(tensor.shape))


def _ndtri(p):
    """Inverse standard-normal CDF (Acklam's rational approximation, rel. error 1e-9)."""
    a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
         1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
    b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
         6.680131188771972e+01, -1.328068155288572e+01]
    c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
         -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
    d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
         3.754408661907416e+00]
    p = np.clip(np.asarray(p, np.float64), 1e-300, 1 - 1e-16)
    out = np.empty_like(p)
    low, high = p < 0.02425, p > 1 - 0.02425
    mid = ~(low | high)
    q = p[mid] - 0.5
    r = q * q
    out[mid] = ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
                (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1))
    for mask, sign, pp in ((low, 1.0, p[low]), (high, -1.0, 1 - p[high])):
        q = np.sqrt(-2 * np.log(pp))
        out[mask] = sign * ((((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q
                             + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1))
    return out


def constant_(tensor, val: float) -> Tensor:
    """Fill with ``val``."""
    _check(tensor, "constant_")
    return _fill(tensor, np.full(tensor.shape, val))


def ones_(tensor) -> Tensor:
    return constant_(tensor, 1.0)


def zeros_(tensor) -> Tensor:
    return constant_(tensor, 0.0)


def eye_(tensor) -> Tensor:
    """Fill a 2-D tensor with the identity matrix (ones on the main diagonal)."""
    _check(tensor, "eye_")
    if tensor.ndim != 2:
        raise ValueError(f"eye_: only tensors with 2 dimensions are supported, got shape "
                         f"{tuple(tensor.shape)}")
    return _fill(tensor, np.eye(*tensor.shape))


def dirac_(tensor, groups: int = 1) -> Tensor:
    """Fill a 3-, 4- or 5-D conv weight with the Dirac delta: the convolution is the
    identity on the first ``min(out/groups, in)`` channels of each group."""
    _check(tensor, "dirac_")
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: only tensors with 3, 4, or 5 dimensions are supported, "
                         f"got shape {tuple(tensor.shape)}")
    sizes = tensor.shape
    if sizes[0] % groups != 0:
        raise ValueError(f"dirac_: dim 0 must be divisible by groups, got "
                         f"{sizes[0]} and groups={groups}")
    out_per_group = sizes[0] // groups
    min_dim = min(out_per_group, sizes[1])
    out = np.zeros(sizes)
    centre = tuple(s // 2 for s in sizes[2:])
    for g in range(groups):
        for d in range(min_dim):
            out[(g * out_per_group + d, d) + centre] = 1
    return _fill(tensor, out)


def xavier_uniform_(tensor, gain: float = 1.0, generator=None) -> Tensor:
    """U(-a, a) with ``a = gain * sqrt(6 / (fan_in + fan_out))`` (Glorot & Bengio 2010)."""
    _check(tensor, "xavier_uniform_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    a = math.sqrt(3.0) * std
    return uniform_(tensor, -a, a, generator=generator)


def xavier_normal_(tensor, gain: float = 1.0, generator=None) -> Tensor:
    """N(0, std**2) with ``std = gain * sqrt(2 / (fan_in + fan_out))``."""
    _check(tensor, "xavier_normal_")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    std = gain * math.sqrt(2.0 / float(fan_in + fan_out))
    return normal_(tensor, 0.0, std, generator=generator)


def _kaiming_std(tensor, a, mode, nonlinearity) -> float:
    fan = _calculate_correct_fan(tensor, mode)
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def kaiming_uniform_(tensor, a: float = 0, mode: str = "fan_in",
                     nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """U(-bound, bound) with ``bound = gain * sqrt(3 / fan)`` (He et al. 2015).

    ``a`` is the negative slope used by ``calculate_gain`` for ``leaky_relu``.

    Examples
    --------
    >>> import glassnet
    >>> from glassnet.nn import init
    >>> w = init.kaiming_uniform_(glassnet.zeros(64, 27), nonlinearity="relu")
    >>> bool(abs(w).max() <= (6 / 27) ** 0.5)
    True
    """
    _check(tensor, "kaiming_uniform_")
    if 0 in tensor.shape:
        warnings.warn("kaiming_uniform_: initializing zero-element tensors is a no-op")
        return tensor
    bound = math.sqrt(3.0) * _kaiming_std(tensor, a, mode, nonlinearity)
    return uniform_(tensor, -bound, bound, generator=generator)


def kaiming_normal_(tensor, a: float = 0, mode: str = "fan_in",
                    nonlinearity: str = "leaky_relu", generator=None) -> Tensor:
    """N(0, std**2) with ``std = gain / sqrt(fan)`` (He et al. 2015)."""
    _check(tensor, "kaiming_normal_")
    if 0 in tensor.shape:
        warnings.warn("kaiming_normal_: initializing zero-element tensors is a no-op")
        return tensor
    return normal_(tensor, 0.0, _kaiming_std(tensor, a, mode, nonlinearity),
                   generator=generator)


def lecun_uniform_(tensor, generator=None) -> Tensor:
    """U(-sqrt(3 / fan_in), sqrt(3 / fan_in)): variance 1 / fan_in (LeCun et al. 1998)."""
    _check(tensor, "lecun_uniform_")
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0 / fan_in)
    return uniform_(tensor, -bound, bound, generator=generator)


def lecun_normal_(tensor, generator=None) -> Tensor:
    """N(0, 1 / fan_in), the initialisation of self-normalising (SELU) networks
    (LeCun et al. 1998; Klambauer et al. 2017)."""
    _check(tensor, "lecun_normal_")
    fan_in, _ = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, 1.0 / math.sqrt(fan_in), generator=generator)


def orthogonal_(tensor, gain: float = 1, generator=None) -> Tensor:
    """A (semi-)orthogonal matrix from the QR decomposition of a Gaussian matrix,
    scaled by ``gain``; dimensions after the first are flattened (Saxe et al. 2013)."""
    _check(tensor, "orthogonal_")
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: only tensors with 2 or more dimensions are "
                         f"supported, got shape {tuple(tensor.shape)}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = _rng(generator).normal(0.0, 1.0, (rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    # NOTE: multiply by the signs of diag(r) so that Q is uniform over the orthogonal
    # group (Mezzadri 2007), as PyTorch does.
    q = q * np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def sparse_(tensor, sparsity: float, std: float = 0.01, generator=None) -> Tensor:
    """A 2-D matrix with N(0, std**2) entries and a fraction ``sparsity`` of each
    column set to zero (Martens 2010)."""
    _check(tensor, "sparse_")
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: only tensors with 2 dimensions are supported, got "
                         f"shape {tuple(tensor.shape)}")
    rng = _rng(generator)
    rows, cols = tensor.shape
    num_zeros = int(math.ceil(sparsity * rows))
    out = rng.normal(0.0, std, (rows, cols))
    for col in range(cols):
        out[rng.permutation(rows)[:num_zeros], col] = 0
    return _fill(tensor, out)
