"""The error-input registry: bad calls, the exception they raise and a fragment of its
message, as PyTorch's OpInfo ``error_inputs``.

Each :class:`ErrorInput` row holds ``call(m, F)``, which makes the bad call with the
library ``m`` and its functional module ``F``: the test passes ``glassnet`` and
``glassnet.nn.functional``, and, for rows with ``torch_raises=True``, also ``torch`` and
``torch.nn.functional`` as the oracle that this input is refused by PyTorch too.  Rows
with ``torch_raises=False`` are inputs torch accepts that glassnet refuses on purpose
(the ``reason`` says why); rows for glassnet-only APIs (torchvision, cv2 semantics) have
``torch_raises=None``.  ``tests/test_error_inputs.py`` turns every row into one test.

PyTorch is never imported here.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable

__all__ = ["ErrorInput", "ERROR_INPUTS", "families"]


@dataclass(frozen=True)
class ErrorInput:
    """One bad call of ``op``."""

    op: str
    desc: str
    call: Callable  # call(m, F) with m = glassnet or torch, F = its nn.functional
    exc: type
    match: str  # a fragment of glassnet's message (plain text, not a regex)
    torch_raises: bool | None = True
    family: str = "tensor"
    reason: str = ""

    @property
    def id(self) -> str:
        return f"{self.op}: {self.desc}"


def _vision(name):
    import importlib

    return importlib.import_module(f"glassnet.vision.{name}")


def _cv():
    import glassnet.cv

    return glassnet.cv


_E = ErrorInput
_INF, _NAN = float("inf"), float("nan")

# -- creation ----------------------------------------------------------------------------
_CREATION = [
    _E("arange", "step 0", lambda m, F: m.arange(0, 5, 0), ValueError,
       "arange: step must be nonzero"),
    _E("arange", "step of the wrong sign", lambda m, F: m.arange(0, 5, -1), ValueError,
       "arange: upper bound"),
    _E("eye", "negative n", lambda m, F: m.eye(-1), ValueError,
       "eye: n must be non-negative, got -1"),
    _E("eye", "negative m", lambda m, F: m.eye(2, -3), ValueError,
       "eye: m must be non-negative, got -3"),
    _E("linspace", "negative steps", lambda m, F: m.linspace(0, 1, -1), ValueError,
       "linspace: steps must be non-negative, got -1"),
    _E("linspace", "float steps", lambda m, F: m.linspace(0, 1, 2.5), TypeError,
       "linspace: steps must be an int, got float"),
]

# -- shape -------------------------------------------------------------------------------
_SHAPE = [
    _E("chunk", "zero chunks", lambda m, F: m.ones(4).chunk(0), ValueError,
       "chunk: chunks must be a positive"),
    _E("repeat", "negative repeats", lambda m, F: m.ones(2).repeat(-1), ValueError,
       "repeat: repeats must be non-negative"),
    _E("narrow", "past the end", lambda m, F: m.narrow(m.arange(5), 0, 3, 5), ValueError,
       "narrow: start (3) + length (5) must lie in 0..5"),
    _E("narrow", "start out of range", lambda m, F: m.narrow(m.arange(5), 0, -7, 1),
       IndexError, "narrow: start -7 is out of range"),
    _E("narrow", "negative length", lambda m, F: m.narrow(m.arange(5), 0, 1, -1), ValueError,
       "with length >= 0"),
    _E("reshape", "float size", lambda m, F: m.ones(24).reshape(2.5, 12), TypeError,
       "reshape: sizes must be ints, got float 2.5"),
    _E("cat", "a tensor, not a sequence", lambda m, F: m.cat(m.ones(2, 3)), TypeError,
       "cat: expected a sequence of Tensors"),
    _E("stack", "a tensor, not a sequence", lambda m, F: m.stack(m.ones(2, 3)), TypeError,
       "stack: expected a sequence of Tensors"),
]

# -- reductions and elementwise ----------------------------------------------------------
_ARITH = [
    _E("argmax", "empty tensor", lambda m, F: m.ones(0).argmax(), IndexError,
       "argmax: cannot take the argmax of an empty dimension"),
    _E("argmin", "empty dimension", lambda m, F: m.ones(3, 0).argmin(1), IndexError,
       "argmin: cannot take the argmin of an empty dimension"),
    _E("floor_divide", "integer // 0", lambda m, F: m.tensor([5, 3]) // 0, ZeroDivisionError,
       "ZeroDivisionError: floor_divide: integer division by zero"),
    _E("floor_divide", "integer // a tensor holding 0",
       lambda m, F: m.tensor([5, 3]) // m.tensor([0, 1]), RuntimeError,
       "floor_divide: integer division by zero (other has 1 zero element(s), dtype int64)"),
    _E("remainder", "integer % 0", lambda m, F: m.tensor([5, -3]) % 0, ZeroDivisionError,
       "remainder: integer division by zero"),
    _E("fmod", "integer fmod 0", lambda m, F: m.fmod(m.tensor([5]), 0), ZeroDivisionError,
       "fmod: integer division by zero"),
    _E("div", "integer trunc division by 0",
       lambda m, F: m.div(m.tensor([5]), 0, rounding_mode="trunc"), ZeroDivisionError,
       "div: integer division by zero"),
    _E("norm", "'nuc' of a 3-D tensor",
       lambda m, F: m.norm(m.arange(24.0).reshape(2, 3, 4), p="nuc"), ValueError,
       "norm: p must be 'fro' or a positive number, got 'nuc'"),
    _E("linalg.norm", "ord=2 of a 3-D tensor without dim",
       lambda m, F: m.linalg.norm(m.arange(24.0).reshape(2, 3, 4), ord=2), ValueError,
       "norm: with ord=2 and dim=None, A must be 1-D or 2-D, got 3-D"),
]

# -- indexing ----------------------------------------------------------------------------
_INDEXING = [
    _E("index_select", "negative index (torch does not wrap)",
       lambda m, F: m.index_select(m.arange(5), 0, m.tensor([-1])), IndexError,
       "index_select: index -1 is out of bounds for dimension 0 with size 5"),
    _E("index_select", "index past the end",
       lambda m, F: m.index_select(m.arange(5), 0, m.tensor([5])), IndexError,
       "index_select: index 5 is out of bounds for dimension 0 with size 5"),
    _E("index_select", "2-D index",
       lambda m, F: m.index_select(m.arange(5), 0, m.tensor([[1]])), ValueError,
       "index_select: index must be 0-D or 1-D, got 2-D"),
    _E("gather", "negative index (torch does not wrap)",
       lambda m, F: m.gather(m.arange(5), 0, m.tensor([-1])), IndexError,
       "gather: index -1 is out of bounds for dimension 0 with size 5"),
    _E("gather", "index past the end", lambda m, F: m.gather(m.arange(5), 0, m.tensor([7])),
       IndexError, "gather: index 7 is out of bounds for dimension 0 with size 5"),
    _E("gather", "float index", lambda m, F: m.gather(m.arange(5), 0, m.tensor([1.0])),
       TypeError, "gather: index must be an int64 tensor, got float32"),
    _E("gather", "index of another rank",
       lambda m, F: m.gather(m.ones(2, 3), 1, m.tensor([1])), ValueError,
       "gather: index must have 2 dimensions like input, got 1"),
    _E("gather", "dim out of range", lambda m, F: m.gather(m.ones(2, 3), 2, m.tensor([[1]])),
       IndexError, "gather: dim 2 out of range for a tensor of 2 dimensions"),
    _E("gather", "index larger than input outside dim",
       lambda m, F: m.gather(m.ones(2, 3), 1, m.zeros(3, 1, dtype=m.int64)), ValueError,
       "gather: index of shape (3, 1) must be no larger than input of shape (2, 3) apart "
       "from dimension 1, got 3 > 2 at dimension 0"),
    _E("scatter_add", "index past the end",
       lambda m, F: m.zeros(3).scatter_add(0, m.tensor([5]), m.ones(1)), IndexError,
       "scatter_add: index 5 is out of bounds for dimension 0 with size 3"),
    _E("scatter_add", "negative index",
       lambda m, F: m.zeros(3).scatter_add(0, m.tensor([-1]), m.ones(1)), IndexError,
       "scatter_add: index -1 is out of bounds for dimension 0 with size 3"),
    _E("scatter_add", "src of another dtype",
       lambda m, F: m.zeros(3).scatter_add(0, m.tensor([1]), m.ones(1, dtype=m.float64)),
       TypeError, "scatter_add: src must have input's dtype float32, got float64"),
    _E("scatter_add", "index larger than src",
       lambda m, F: m.zeros(3).scatter_add(0, m.tensor([1, 2]), m.ones(1)), ValueError,
       "scatter_add: index of shape (2,) must be no larger than src of shape (1,)"),
    _E("scatter_add", "src of another rank",
       lambda m, F: m.zeros(3).scatter_add(0, m.tensor([1]), m.ones(1, 1)), ValueError,
       "scatter_add: index, src and input must have the same number of dimensions"),
    _E("__setitem__", "uint8 mask in an assignment",
       lambda m, F: m.arange(4.0).__setitem__(m.tensor([1, 0, 1, 0], dtype=m.uint8), 9.0),
       TypeError, "Tensor.__setitem__: index must be a bool mask or an int64 tensor, got a "
       "uint8 tensor"),
    _E("__getitem__", "uint8 mask of the wrong length",
       lambda m, F: m.arange(4)[m.tensor([3, 0], dtype=m.uint8)], IndexError, "boolean index"),
]

# -- nn.functional -----------------------------------------------------------------------
_NN = [
    _E("linear", "a list as input", lambda m, F: F.linear([1.0, 2.0], m.ones(2, 2)), TypeError,
       "linear: input must be a Tensor, got list", family="nn"),
    _E("batch_norm", "eps=0 in training",
       lambda m, F: F.batch_norm(m.tensor([[1.0], [1.0]]), m.zeros(1), m.ones(1),
                                 training=True, eps=0.0), ValueError,
       "batch_norm: eps must be positive during training, got 0.0", family="nn"),
    _E("batch_norm", "negative eps",
       lambda m, F: F.batch_norm(m.tensor([[1.0], [2.0]]), m.zeros(1), m.ones(1), eps=-1.0),
       ValueError, "batch_norm: eps must be >= 0.0, got -1.0", family="nn"),
    _E("max_pool2d", "padding over half the kernel",
       lambda m, F: F.max_pool2d(m.ones(1, 1, 5, 5), 2, padding=2), ValueError,
       "max_pool2d: padding should be at most half of the kernel size, got "
       "padding=(2, 2) for kernel_size=(2, 2), dilation=(1, 1)", family="nn"),
    _E("max_pool2d", "padding over half the dilated kernel",
       lambda m, F: F.max_pool2d(m.ones(1, 1, 9, 9), 3, padding=3, dilation=2), ValueError,
       "padding=(3, 3) for kernel_size=(3, 3), dilation=(2, 2)", family="nn"),
    _E("max_pool2d", "padding within half the dilated kernel, over half the kernel",
       lambda m, F: F.max_pool2d(m.ones(1, 1, 9, 9), 3, padding=2, dilation=2), ValueError,
       "max_pool2d: padding should be at most half of the kernel size, got padding=(2, 2) "
       "for kernel_size=(3, 3), dilation=(2, 2)", family="nn"),
    _E("max_pool1d", "padding within half the dilated kernel, over half the kernel",
       lambda m, F: F.max_pool1d(m.ones(1, 1, 9), 4, padding=3, dilation=2), ValueError,
       "max_pool1d: padding should be at most half of the kernel size", family="nn"),
    _E("avg_pool2d", "padding over half the kernel",
       lambda m, F: F.avg_pool2d(m.ones(1, 1, 5, 5), 2, padding=2), ValueError,
       "avg_pool2d: padding should be at most half of the kernel size", family="nn"),
    _E("binary_cross_entropy", "integer target",
       lambda m, F: F.binary_cross_entropy(m.tensor([0.5, 0.2]), m.tensor([1, 0])), TypeError,
       "binary_cross_entropy: target must be a floating-point tensor (probabilities in "
       "[0, 1]), got int64", family="nn"),
    _E("binary_cross_entropy_with_logits", "integer target",
       lambda m, F: F.binary_cross_entropy_with_logits(m.tensor([0.5, 0.2]),
                                                       m.tensor([1, 0])), TypeError,
       "binary_cross_entropy_with_logits: target must be a floating-point tensor",
       family="nn"),
    _E("interpolate", "NaN scale_factor",
       lambda m, F: F.interpolate(m.ones(1, 1, 4, 4), scale_factor=_NAN), ValueError,
       "interpolate: scale_factor must be finite, got nan", family="nn"),
    _E("interpolate", "inf scale_factor",
       lambda m, F: F.interpolate(m.ones(1, 1, 4, 4), scale_factor=_INF), ValueError,
       "interpolate: scale_factor must be finite, got inf", family="nn"),
    _E("interpolate", "NaN in a scale_factor tuple",
       lambda m, F: F.interpolate(m.ones(1, 1, 4, 4), scale_factor=(2.0, _NAN)), ValueError,
       "interpolate: scale_factor must be finite, got (2.0, nan)", family="nn"),
    _E("interpolate", "negative scale_factor",
       lambda m, F: F.interpolate(m.ones(1, 1, 4, 4), scale_factor=-2.0), ValueError,
       "interpolate: scale_factor must be positive, got -2.0", family="nn"),
]

# -- torchvision and cv2 semantics (no torch oracle) -------------------------------------
_VISION = [
    _E("roi_align", "NaN box", lambda m, F: _vision("ops").roi_align(
        m.ones(1, 1, 4, 4), [m.tensor([[0.0, 0.0, _NAN, 2.0]])], 2), ValueError,
       "roi_align: boxes must hold finite values, got 1 box(es) with NaN or inf",
       torch_raises=None, family="vision",
       reason="torchvision converts NaN/inf to C++ ints (undefined behaviour)"),
    _E("roi_align", "inf box", lambda m, F: _vision("ops").roi_align(
        m.ones(1, 1, 4, 4), m.tensor([[0.0, 0.0, 0.0, _INF, 2.0]]), 2), ValueError,
       "the first (row 0) = [0.0, 0.0, 0.0, inf, 2.0]", torch_raises=None, family="vision"),
    _E("roi_pool", "NaN box", lambda m, F: _vision("ops").roi_pool(
        m.ones(1, 1, 4, 4), [m.tensor([[_NAN, 0.0, 1.0, 2.0]])], 2), ValueError,
       "roi_pool: boxes must hold finite values", torch_raises=None, family="vision"),
    _E("canny", "threshold as a str (cv2: can not be treated as a double)",
       lambda m, F: _cv().canny(__import__("numpy").zeros((8, 8), "uint8"), "50", 150),
       TypeError, "canny: threshold1 must be a number, got str '50'", torch_raises=None,
       family="cv"),
    _E("canny", "NaN threshold", lambda m, F: _cv().canny(
        __import__("numpy").zeros((8, 8), "uint8"), 50, _NAN), ValueError,
       "canny: thresholds must not be NaN", torch_raises=None, family="cv",
       reason="cv2 floors NaN into an undefined int; glassnet refuses it"),
]

ERROR_INPUTS = [replace(row, family=name) if row.family == "tensor" else row
                for name, rows in (("creation", _CREATION), ("shape", _SHAPE),
                                   ("arithmetic", _ARITH), ("indexing", _INDEXING),
                                   ("nn", _NN), ("vision", _VISION))
                for row in rows]


def families() -> dict:
    """Number of rows per family."""
    out: dict = {}
    for row in ERROR_INPUTS:
        out[row.family] = out.get(row.family, 0) + 1
    return out
