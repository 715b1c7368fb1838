"""How every public callable is accounted for by the op registry.

``tests/ops/test_op_coverage.py`` enumerates the module functions of ``glassnet``, the
public ``Tensor`` methods and the functions of ``glassnet.nn.functional``, and requires
each name to be

* a registry row's name (:func:`glassnet.testing.op_registry.all_ops`), or
* in :data:`ALIASES` (a second name for a row's op), or
* an in-place method ``<name>_`` whose ``<name>`` is covered, or
* in :data:`NON_DIFFERENTIABLE` with the reason.

Each reason starts with its category; the test checks the categories that are ops
("boolean output", "integer output", "no derivative", "constant") by calling them with a
tensor that requires grad (the probes are in the test).
"""
from __future__ import annotations

__all__ = ["ALIASES", "NON_DIFFERENTIABLE", "CATEGORIES"]

CATEGORIES = ("boolean output", "integer output", "no derivative", "constant", "creation",
              "not an op", "in-place")

# Second names of registry rows: {public name: row name}.
ALIASES = {
    # torch's NumPy-style aliases
    "absolute": "abs", "negative": "neg", "arccos": "acos", "arccosh": "acosh",
    "arcsin": "asin", "arcsinh": "asinh", "arctan": "atan", "arctanh": "atanh",
    "arctan2": "atan2", "clip": "clamp", "concat": "cat", "concatenate": "cat",
    "divide": "div", "true_divide": "div", "multiply": "mul", "subtract": "sub",
    "fix": "trunc", "swapaxes": "transpose", "ger": "outer", "view": "reshape",
    # compositions of covered ops (glassnet/ops/composite.py; tests/ops/test_composite.py)
    "moveaxis": "movedim", "swapdims": "transpose", "ravel": "flatten", "fliplr": "flip",
    "flipud": "flip", "select": "getitem", "det": "linalg.det", "inverse": "linalg.inv",
    "slogdet": "linalg.slogdet", "index_add": "index_put", "index_copy": "index_put",
    "index_fill": "index_put", "scatter": "index_put",
    **{f"{n}_with_indices": n for n in ("max_pool1d", "max_pool2d", "max_pool3d",
                                        "adaptive_max_pool1d", "adaptive_max_pool2d",
                                        "adaptive_max_pool3d")},
    "reshape_as": "view_as", "type": "to",
    # nn.functional forms that share the implementation of a row (NOTE: the pool and
    # sampling owners should give the 1-D variants rows of their own)
    "interpolate": "interpolate_nearest", "upsample": "interpolate_nearest",
    "upsample_nearest": "interpolate_nearest",
    "upsample_bilinear": "interpolate_bilinear_align_corners",
    "lp_pool1d": "lp_pool2d", "max_unpool1d": "max_unpool2d",
    # glassnet.linalg (torch.linalg) forms of top-level ops
    "linalg.cross": "cross", "linalg.diagonal": "diagonal", "linalg.matmul": "matmul",
}

_BOOL = "boolean output"
_INT = "integer output"

NON_DIFFERENTIABLE = {
    # comparisons and logic
    **{n: f"{_BOOL}: comparison" for n in (
        "eq", "ne", "lt", "le", "gt", "ge", "greater", "greater_equal", "less",
        "less_equal", "not_equal", "isclose")},
    **{n: f"{_BOOL}: logic" for n in (
        "logical_and", "logical_or", "logical_xor", "logical_not", "all", "any")},
    **{n: f"{_BOOL}: value test" for n in (
        "isnan", "isinf", "isfinite", "isposinf", "isneginf", "isreal", "signbit")},
    "allclose": "boolean output: a Python bool", "equal": "boolean output: a Python bool",
    # integer results
    **{n: f"{_INT}: bitwise ops take integer tensors" for n in (
        "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not")},
    **{n: f"{_INT}: indices" for n in (
        "argmax", "argmin", "argsort", "nonzero", "searchsorted", "bucketize")},
    **{n: f"{_INT}: counts" for n in ("count_nonzero", "numel", "one_hot")},
    "argwhere": f"{_INT}: indices",
    "unique": "no derivative: float values are recorded and backward raises, as torch",
    "bincount": "no derivative: integer counts; with float weights that require grad, "
                "backward raises, as torch",
    "histc": "constant: a float histogram of counts (torch: not differentiable)",
    # recorded by torch, but without a derivative: backward raises
    "floor_divide": "no derivative: backward raises RuntimeError, as torch's NotImplemented",
    "heaviside": "no derivative: backward raises RuntimeError, as torch's NotImplemented",
    # integer casts
    **{n: f"{_INT}: integer/bool cast" for n in ("long", "int", "bool")},
    # creation: new leaves
    **{n: "creation: returns a new leaf tensor" for n in (
        "arange", "as_tensor", "empty", "empty_like", "eye", "from_numpy", "full",
        "full_like", "linspace", "ones", "ones_like", "zeros", "zeros_like", "rand",
        "rand_like", "randn", "randn_like", "randint", "randperm", "normal", "bernoulli",
        "multinomial", "tensor", "new_empty", "new_full", "new_ones", "new_tensor",
        "new_zeros")},
    # not ops
    **{n: "not an op: global state" for n in (
        "manual_seed", "get_rng_state", "set_rng_state", "get_default_dtype",
        "is_grad_enabled", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
        "get_num_threads", "set_num_threads")},
    **{n: "not an op: metadata" for n in (
        "is_tensor", "size", "dim", "ndimension", "nelement", "data_ptr", "element_size",
        "is_contiguous", "is_floating_point")},
    **{n: "not an op: autograd control" for n in (
        "backward", "detach", "detach_", "requires_grad_", "retain_grad", "register_hook",
        "register_post_accumulate_grad_hook")},
    **{n: "not an op: conversion out of glassnet" for n in ("numpy", "item", "tolist")},
    # in-place writes: recorded by autograd as torch does (ops/inplace.py; checked against
    # torch in tests/test_autograd_inplace.py): the overwritten values get zero gradient
    **{n: "in-place: overwrite; the new values' source gets the gradient" for n in (
        "fill_", "zero_", "copy_", "scatter_")},
    **{n: "in-place: random fill; the overwritten values get zero gradient" for n in (
        "normal_", "uniform_", "bernoulli_", "exponential_", "log_normal_", "random_")},
    **{n: "in-place: a Python callable per element, not differentiable (as torch)" for n in (
        "apply_", "map_")},
    **{n: f"{_INT}: integer cast" for n in ("short", "byte", "char")},
    **{n: "not an op: device or memory placement" for n in (
        "cuda", "pin_memory", "share_memory_")},
    **{n: "not an op: metadata" for n in (
        "get_device", "is_complex", "is_inference", "is_nonzero", "is_pinned",
        "is_same_size", "is_shared", "is_signed", "is_view", "storage_offset", "stride")},
}
