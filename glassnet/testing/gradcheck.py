"""Float64 central-difference gradient checking (PyTorch's ``gradcheck`` defaults)."""
from __future__ import annotations

import numpy as np

from glassnet.tensor import Tensor

__all__ = ["gradcheck", "numerical_grad", "GradcheckError"]


class GradcheckError(AssertionError):
    """Raised when analytical and numerical gradients disagree."""


def _as_output(out):
    if isinstance(out, (tuple, list)):
        out = out[0]
    if not isinstance(out, Tensor):
        raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
    return out


def numerical_grad(fn, inputs, index, cotangent, eps=1e-6):
    """d(sum(fn(*inputs) * cotangent)) / d(inputs[index]) by central differences."""
    x = inputs[index]
    grad = np.zeros_like(x._data)
    flat = x._data.reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        orig = flat[i]
        flat[i] = orig + eps
        plus = float((_as_output(fn(*inputs))._data * cotangent).sum())
        flat[i] = orig - eps
        minus = float((_as_output(fn(*inputs))._data * cotangent).sum())
        flat[i] = orig
        gflat[i] = (plus - minus) / (2 * eps)
    return grad


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              seed: int = 0, raise_exception: bool = True) -> bool:
    """Compare autograd gradients with central finite differences in float64.

    Parameters
    ----------
    fn : callable
        Takes the tensors in ``inputs`` and returns a Tensor (or a tuple whose first
        element is the differentiated output).
    inputs : sequence of Tensor
        Inputs; those with ``requires_grad=True`` (float64) are checked.
    eps, atol, rtol : float
        Step and tolerances (PyTorch's defaults).

    Returns
    -------
    bool
        True when every checked gradient agrees; raises :class:`GradcheckError`
        otherwise (unless ``raise_exception=False``).
    """
    inputs = list(inputs)
    for i, x in enumerate(inputs):
        if isinstance(x, Tensor) and x.requires_grad and x.dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} must be float64, got {x.dtype}")
    rng = np.random.default_rng(seed)
    out = _as_output(fn(*inputs))
    cot = rng.standard_normal(out.shape)
    for x in inputs:
        if isinstance(x, Tensor):
            x.grad = None
    out.backward(Tensor._wrap(cot.astype(out.dtype)))
    for i, x in enumerate(inputs):
        if not (isinstance(x, Tensor) and x.requires_grad):
            continue
        analytic = np.zeros_like(x._data) if x.grad is None else x.grad._data
        from glassnet.autograd import no_grad

        with no_grad():
            numeric = numerical_grad(fn, inputs, i, cot, eps)
        if not np.allclose(analytic, numeric, atol=atol, rtol=rtol):
            err = np.abs(analytic - numeric)
            msg = (f"gradcheck: gradient of input {i} (shape {tuple(x.shape)}) differs: "
                   f"max abs err {err.max():.3e}, max rel err "
                   f"{(err / (np.abs(numeric) + 1e-12)).max():.3e}\nanalytic:\n{analytic}"
                   f"\nnumeric:\n{numeric}")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True
