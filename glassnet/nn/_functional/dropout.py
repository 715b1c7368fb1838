"""nn.functional: dropout, with ``torch.nn.functional``'s names, arguments and defaults.

Randomness comes from ``glassnet.backend.default_generator()`` (seeded by
``glassnet.manual_seed``) or from the glassnet-only ``generator=`` argument, a
``numpy.random.Generator``; two runs after the same seed draw the same masks.  The
``inplace=`` arguments are accepted and ignored: a new tensor is always returned.
With ``training=False`` or ``p=0`` the input itself is returned, as in PyTorch.
"""
from __future__ import annotations

import numbers

import numpy as np

from glassnet._checks import check_float
from glassnet.backend import default_generator
from glassnet.ops.dropout import AlphaDropout, Dropout, keep_mask
from glassnet.tensor import Tensor

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]


def _check(input, p, generator, fn):
    check_float(input, "input", fn)
    if isinstance(p, bool) or not isinstance(p, numbers.Real):
        raise TypeError(f"{fn}: p must be a real number, got {type(p).__name__}")
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{fn}: dropout probability p has to be between 0 and 1, but got "
                         f"{p}")
    if generator is None:
        return default_generator()
    if not isinstance(generator, np.random.Generator):
        raise TypeError(f"{fn}: generator must be a numpy.random.Generator, got "
                        f"{type(generator).__name__}")
    return generator


def _feature_shape(shape: tuple, batched: bool) -> tuple:
    """Mask shape that keeps or drops whole channels: 1 on every spatial dim."""
    lead = 2 if batched else 1
    return tuple(shape[:lead]) + (1,) * (len(shape) - lead)


def _masked(input: Tensor, p: float, rng, mask_shape: tuple) -> Tensor:
    if p == 1.0:
        # NOTE: 1 / (1 - p) is infinite at p = 1; PyTorch returns input * 0 (zero grad).
        mask = np.zeros(mask_shape, dtype=input.dtype)
    else:
        scale = input.dtype.type(1.0 / (1.0 - p))
        mask = keep_mask(rng, mask_shape, p).astype(input.dtype) * scale
    return Dropout.apply(input, mask=mask)


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
            generator: np.random.Generator | None = None) -> Tensor:
    """Inverted dropout (Srivastava et al., JMLR 15, 2014).

    Each element is zeroed with probability ``p`` and the survivors are scaled by
    ``1 / (1 - p)``, so the expectation is unchanged and eval needs no rescaling.

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    p : float
        Drop probability in ``[0, 1]`` (``p = 1`` gives zeros).
    training : bool
        Apply dropout (True) or return ``input`` unchanged (False).
    inplace : bool
        Ignored (see the module docstring).
    generator : numpy.random.Generator, optional
        Glassnet extra: the source of the mask (default: the global generator).

    Returns
    -------
    Tensor
        The backward pass multiplies by the same saved mask.

    Shape
    -----
    input: ``(*)``; output: ``(*)``.

    Examples
    --------
    >>> import glassnet, glassnet.nn.functional as F
    >>> F.dropout(glassnet.ones(4), p=0.5, training=False).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    rng = _check(input, p, generator, "dropout")
    if not training or p == 0:
        return input
    return _masked(input, p, rng, tuple(input.shape))


def _channel_dropout(input, p, training, generator, fn, ndims, spatial):
    rng = _check(input, p, generator, fn)
    if input.ndim not in ndims:
        lo, hi = ndims
        raise ValueError(f"{fn}: input must be {lo}-D or {hi}-D (an optional batch dim, a "
                         f"channel dim and {spatial} spatial dim{'s' if spatial > 1 else ''})"
                         f", got shape {tuple(input.shape)}")
    if not training or p == 0:
        return input
    return _masked(input, p, rng, _feature_shape(input.shape, input.ndim == ndims[1]))


def dropout1d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: np.random.Generator | None = None) -> Tensor:
    """Channel-wise dropout for 1-D feature maps: whole channels are zeroed.

    Parameters
    ----------
    input : Tensor
        Floating tensor, batched ``(N, C, L)`` or unbatched ``(C, L)``.
    p : float
        Probability of zeroing a channel, in ``[0, 1]``.
    training : bool
        Apply dropout (True) or return ``input`` unchanged (False).
    inplace : bool
        Ignored (see the module docstring).
    generator : numpy.random.Generator, optional
        Glassnet extra: the source of the mask.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(N, C, L)`` or ``(C, L)``; output: same as input.
    """
    return _channel_dropout(input, p, training, generator, "dropout1d", (2, 3), 1)


def dropout2d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: np.random.Generator | None = None) -> Tensor:
    """Channel-wise dropout for 2-D feature maps (Tompson et al., arXiv:1411.4280).

    Whole channels (feature maps) are zeroed and the rest scaled by ``1 / (1 - p)``.
    A 3-D input is read as unbatched ``(C, H, W)``: the behaviour PyTorch announces for
    a future release (PyTorch 2.x still warns and treats it as ``(N, C, L)``).  Inputs
    of other ranks raise ValueError (PyTorch warns that they are deprecated).

    Parameters
    ----------
    input : Tensor
        Floating tensor, ``(N, C, H, W)`` or ``(C, H, W)``.
    p : float
        Probability of zeroing a channel, in ``[0, 1]``.
    training : bool
        Apply dropout (True) or return ``input`` unchanged (False).
    inplace : bool
        Ignored (see the module docstring).
    generator : numpy.random.Generator, optional
        Glassnet extra: the source of the mask.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(N, C, H, W)`` or ``(C, H, W)``; output: same as input.
    """
    return _channel_dropout(input, p, training, generator, "dropout2d", (3, 4), 2)


def dropout3d(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False,
              generator: np.random.Generator | None = None) -> Tensor:
    """Channel-wise dropout for 3-D feature maps: whole channels are zeroed.

    Parameters
    ----------
    input : Tensor
        Floating tensor, ``(N, C, D, H, W)`` or ``(C, D, H, W)``.
    p : float
        Probability of zeroing a channel, in ``[0, 1]``.
    training : bool
        Apply dropout (True) or return ``input`` unchanged (False).
    inplace : bool
        Ignored (see the module docstring).
    generator : numpy.random.Generator, optional
        Glassnet extra: the source of the mask.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(N, C, D, H, W)`` or ``(C, D, H, W)``; output: same as input.
    """
    return _channel_dropout(input, p, training, generator, "dropout3d", (4, 5), 3)


def _alpha(input, p, training, generator, fn, mask_shape_of):
    rng = _check(input, p, generator, fn)
    mask_shape = mask_shape_of(input)
    if not training or p == 0:
        return input
    if p == 1.0:
        return _masked(input, p, rng, mask_shape)
    return AlphaDropout.apply(input, keep=keep_mask(rng, mask_shape, p), p=float(p))


def alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                  inplace: bool = False, generator: np.random.Generator | None = None) -> Tensor:
    """Alpha dropout for self-normalising networks (Klambauer et al., arXiv:1706.02515).

    Dropped units take SELU's negative saturation value and an affine correction keeps
    a zero-mean, unit-variance input at zero mean and unit variance: kept units become
    ``a * x + a * alpha' * p`` and dropped ones ``a * alpha' * (p - 1)``, with
    ``alpha' = 1.7580993408473766`` and ``a = ((alpha'^2 p + 1)(1 - p))^(-1/2)``.
    Note PyTorch's default ``training=False``.

    Parameters
    ----------
    input : Tensor
        Floating tensor.
    p : float
        Drop probability in ``[0, 1]`` (``p = 1`` gives zeros, as in PyTorch).
    training : bool
        Apply dropout (True) or return ``input`` unchanged (False, the default).
    inplace : bool
        Ignored (see the module docstring).
    generator : numpy.random.Generator, optional
        Glassnet extra: the source of the mask.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(*)``; output: ``(*)``.
    """
    return _alpha(input, p, training, generator, "alpha_dropout", lambda x: tuple(x.shape))


def feature_alpha_dropout(input: Tensor, p: float = 0.5, training: bool = False,
                          inplace: bool = False,
                          generator: np.random.Generator | None = None) -> Tensor:
    """Alpha dropout of whole channels: every element of a dropped ``input[n, c]`` gets
    the saturation value (see :func:`alpha_dropout` for the constants).

    Parameters
    ----------
    input : Tensor
        Floating tensor with at least 2 dims, read as ``(N, C, *)``.
    p : float
        Probability of dropping a channel, in ``[0, 1]``.
    training : bool
        Apply dropout (True) or return ``input`` unchanged (False, the default).
    inplace : bool
        Ignored (see the module docstring).
    generator : numpy.random.Generator, optional
        Glassnet extra: the source of the mask.

    Returns
    -------
    Tensor

    Shape
    -----
    input: ``(N, C, *)``; output: same as input.
    """

    def mask_shape(x):
        if x.ndim < 2:
            raise ValueError(f"feature_alpha_dropout: input must have shape (N, C, *) with "
                             f"at least 2 dimensions, got {tuple(x.shape)}")
        return _feature_shape(x.shape, batched=True)

    return _alpha(input, p, training, generator, "feature_alpha_dropout", mask_shape)
