"""The ONNX op handlers of :func:`glassnet.onnx.load`, part 2: shapes, indexing, padding,
reductions and resampling (see :mod:`glassnet.onnx._load_ops`)."""
from __future__ import annotations

import numpy as np

from glassnet.onnx._export import UnsupportedOperatorError
from glassnet.onnx._load_ops import _array, _ints, _is_const, _op, _shape_of, _tensor

__all__: list = []


# -- shape ------------------------------------------------------------------------------
@_op("Identity", "Dropout")
def _identity(node, ins, attrs):
    return [ins[0]]


@_op("Shape")
def _shape(node, ins, attrs):
    shape = np.array(_shape_of(ins[0]), np.int64)
    start, end = attrs.get("start", 0), attrs.get("end")
    return [shape[start:end]]


@_op("Constant")
def _constant(node, ins, attrs):
    from onnx import numpy_helper

    for key in ("value", "value_float", "value_floats", "value_int", "value_ints"):
        if key in attrs:
            v = attrs[key]
            if key == "value":
                return [numpy_helper.to_array(v)]
            dtype = np.float32 if "float" in key else np.int64
            return [np.asarray(v, dtype)]
    raise UnsupportedOperatorError(f"load: Constant node {node.name!r}: only value, "
                                   f"value_float(s) and value_int(s) are supported")


@_op("ConstantOfShape")
def _constant_of_shape(node, ins, attrs):
    from onnx import numpy_helper

    value = numpy_helper.to_array(attrs["value"]) if "value" in attrs else np.zeros(
        1, np.float32)
    return [np.full(_ints(ins[0], "input", node), value.reshape(-1)[0], value.dtype)]


@_op("Cast")
def _cast(node, ins, attrs):
    from onnx import helper

    dtype = helper.tensor_dtype_to_np_dtype(attrs["to"])
    x = ins[0]
    if _is_const(x):
        return [np.asarray(x).astype(dtype)]
    return [x.to(dtype)] if x.dtype != dtype else [x]


@_op("Reshape")
def _reshape(node, ins, attrs):
    x = ins[0]
    shape = _ints(ins[1], "shape", node)
    if not attrs.get("allowzero", 0):
        shape = [x.shape[i] if s == 0 else s for i, s in enumerate(shape)]
    if _is_const(x):
        return [np.asarray(x).reshape(shape)]
    return [x.reshape(*shape)]


@_op("Flatten")
def _flatten(node, ins, attrs):
    x = ins[0]
    axis = attrs.get("axis", 1) % max(len(x.shape), 1) if len(x.shape) else 0
    shape = (int(np.prod(x.shape[:axis])), -1)
    return [np.asarray(x).reshape(shape) if _is_const(x) else x.reshape(*shape)]


@_op("Transpose")
def _transpose(node, ins, attrs):
    x = ins[0]
    perm = attrs.get("perm", list(reversed(range(len(x.shape)))))
    return [np.transpose(x, perm) if _is_const(x) else x.permute(*perm)]


def _axes(node, ins, attrs, pos=1):
    if len(ins) > pos and ins[pos] is not None:
        return _ints(ins[pos], "axes", node)
    return attrs.get("axes")


@_op("Unsqueeze")
def _unsqueeze(node, ins, attrs):
    x = ins[0]
    axes = _axes(node, ins, attrs)
    nd = len(x.shape) + len(axes)
    shape = list(x.shape)
    for a in sorted(a % nd for a in axes):
        shape.insert(a, 1)
    return [np.asarray(x).reshape(shape) if _is_const(x) else x.reshape(*shape)]


@_op("Squeeze")
def _squeeze(node, ins, attrs):
    x = ins[0]
    axes = _axes(node, ins, attrs)
    nd = len(x.shape)
    drop = {a % nd for a in axes} if axes is not None else {
        i for i, s in enumerate(x.shape) if s == 1}
    shape = [s for i, s in enumerate(x.shape) if i not in drop]
    return [np.asarray(x).reshape(shape) if _is_const(x) else x.reshape(*shape)]


@_op("Concat")
def _concat(node, ins, attrs):
    import glassnet

    axis = attrs["axis"]
    if all(_is_const(v) for v in ins):
        return [np.concatenate([np.asarray(v) for v in ins], axis=axis)]
    return [glassnet.cat([_tensor(v) for v in ins], dim=axis)]


@_op("Gather")
def _gather(node, ins, attrs):
    x, idx = ins
    idx = _array(idx, "indices", node).astype(np.int64)
    axis = attrs.get("axis", 0)
    n = x.shape[axis]
    idx = np.where(idx < 0, idx + n, idx)
    if _is_const(x):
        return [np.take(np.asarray(x), idx, axis=axis)]
    index = [slice(None)] * len(x.shape)
    if idx.ndim == 0:
        index[axis] = int(idx)
        return [x[tuple(index)]]
    if idx.ndim != 1:
        raise UnsupportedOperatorError(f"load: Gather node {node.name!r}: indices of rank "
                                       f"{idx.ndim} are not supported")
    index[axis] = idx
    return [x[tuple(index)]]


@_op("Slice")
def _slice(node, ins, attrs):
    x = ins[0]
    if len(ins) == 1:  # opset < 10: attributes
        starts, ends, axes, steps = attrs["starts"], attrs["ends"], attrs.get("axes"), None
    else:
        starts, ends = _ints(ins[1], "starts", node), _ints(ins[2], "ends", node)
        axes = _ints(ins[3], "axes", node) if len(ins) > 3 and ins[3] is not None else None
        steps = _ints(ins[4], "steps", node) if len(ins) > 4 and ins[4] is not None else None
    nd = len(x.shape)
    axes = list(range(len(starts))) if axes is None else [a % nd for a in axes]
    steps = steps or [1] * len(starts)
    index = [slice(None)] * nd
    for a, s, e, st in zip(axes, starts, ends, steps):
        n = x.shape[a]
        s, e = (s + n if s < 0 else s), (e + n if e < 0 else e)
        if st > 0:
            index[a] = slice(min(max(s, 0), n), min(max(e, 0), n), st)
        elif _is_const(x):  # exporters reverse pad lists with a step of -1
            s, e = min(max(s, 0), n - 1), min(max(e, -1), n - 1)
            index[a] = slice(s, None if e < 0 else e, st)
        else:
            raise UnsupportedOperatorError(f"load: Slice node {node.name!r}: negative steps "
                                           f"are supported on constants only")
    return [np.asarray(x)[tuple(index)] if _is_const(x) else x[tuple(index)]]


@_op("Pad")
def _pad(node, ins, attrs):
    import glassnet.nn.functional as F

    x = _tensor(ins[0])
    mode = attrs.get("mode", "constant")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    if len(ins) > 1:
        pads = _ints(ins[1], "pads", node)
        value = float(_array(ins[2], "constant_value", node)) if len(ins) > 2 and \
            ins[2] is not None else 0.0
    else:
        pads, value = list(attrs["pads"]), attrs.get("value", 0.0)
    nd = x.ndim
    if len(ins) > 3 and ins[3] is not None:
        raise UnsupportedOperatorError(f"load: Pad node {node.name!r}: the axes input is not "
                                       f"supported")
    widths = []
    for a in reversed(range(nd)):
        widths += [pads[a], pads[a + nd]]
    while len(widths) > 2 and widths[-1] == 0 and widths[-2] == 0:
        widths = widths[:-2]
    if mode != "constant":
        return [F.pad(x, tuple(widths), mode=mode)]
    return [F.pad(x, tuple(widths), value=value)]


@_op("Expand")
def _expand(node, ins, attrs):
    x = _tensor(ins[0])
    shape = _ints(ins[1], "shape", node)
    full = np.broadcast_shapes(tuple(x.shape), tuple(shape))
    return [x.expand(*full)]


@_op("Where")
def _where(node, ins, attrs):
    import glassnet

    cond = _array(ins[0], "condition", node).astype(bool)
    a, b = ins[1], ins[2]
    if _is_const(a) and _is_const(b):
        return [np.where(cond, a, b)]
    return [glassnet.where(_tensor(cond), _tensor(a), _tensor(b))]


@_op("ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin")
def _reduce(node, ins, attrs):
    x = _tensor(ins[0])
    if node.op_type == "ReduceSum" or node.opset >= 18:
        axes = _ints(ins[1], "axes", node) if len(ins) > 1 and ins[1] is not None else None
    else:
        axes = attrs.get("axes")
    if not axes:
        if attrs.get("noop_with_empty_axes", 0):
            return [x]
        axes = list(range(x.ndim))
    keep = bool(attrs.get("keepdims", 1))
    dim = tuple(a % x.ndim for a in axes)
    method = {"ReduceMean": "mean", "ReduceSum": "sum", "ReduceMax": "amax",
              "ReduceMin": "amin"}[node.op_type]
    return [getattr(x, method)(dim=dim, keepdim=keep)]


@_op("Resize", "Upsample")
def _resize(node, ins, attrs):
    import glassnet.nn.functional as F

    x = _tensor(ins[0])
    mode = attrs.get("mode", "nearest")
    mode = mode.decode() if isinstance(mode, bytes) else mode
    ctm = attrs.get("coordinate_transformation_mode", "half_pixel")
    ctm = ctm.decode() if isinstance(ctm, bytes) else ctm
    nearest_mode = attrs.get("nearest_mode", "round_prefer_floor")
    nearest_mode = nearest_mode.decode() if isinstance(nearest_mode, bytes) else nearest_mode
    if node.op_type == "Upsample":
        scales, sizes = _array(ins[1], "scales", node), None
        ctm, nearest_mode = "asymmetric", "floor"
    else:
        scales = _array(ins[2], "scales", node) if len(ins) > 2 and ins[2] is not None \
            and np.asarray(ins[2]).size else None
        sizes = _ints(ins[3], "sizes", node) if len(ins) > 3 and ins[3] is not None else None
    if sizes is None and scales is None:
        raise UnsupportedOperatorError(f"load: Resize node {node.name!r}: give scales or sizes")
    if scales is not None and np.any(np.asarray(scales)[:2] != 1):
        raise UnsupportedOperatorError(f"load: Resize node {node.name!r}: only the spatial "
                                       f"axes may be resized")
    kw = {}
    if sizes is not None:
        kw["size"] = tuple(sizes[2:])
    else:
        kw["scale_factor"] = tuple(float(s) for s in np.asarray(scales)[2:])
    nd = x.ndim - 2
    if mode == "nearest" and ctm == "asymmetric" and nearest_mode == "floor":
        return [F.interpolate(x, mode="nearest", **kw)]
    if mode == "linear" and ctm in ("half_pixel", "pytorch_half_pixel", "align_corners"):
        return [F.interpolate(x, mode="linear" if nd == 1 else "bilinear",
                              align_corners=ctm == "align_corners", **kw)]
    raise UnsupportedOperatorError(
        f"load: Resize node {node.name!r}: mode={mode!r} with coordinate_transformation_mode="
        f"{ctm!r} (nearest_mode={nearest_mode!r}) is not supported; supported: nearest with "
        f"asymmetric/floor, linear with half_pixel, pytorch_half_pixel or align_corners")


