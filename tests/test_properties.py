"""Property-based tests (issue 12): hypothesis draws shapes and options, torch is the
oracle, in float64 so that the tolerances do not depend on summation order.

- conv2d: random batch, channels, groups, size, kernel, stride, padding, dilation, bias;
- max_pool2d / avg_pool2d: random kernel, stride, padding, dilation, ceil_mode,
  count_include_pad;
- broadcasting elementwise ops on mutually broadcastable shapes;
- indexing: ints, slices (negative steps included: both refuse them), integer arrays
  with negative entries, bool masks, None and Ellipsis, mixed; forward and backward;
- glassnet.load on random bytes and on a valid file with a random header: a value or a
  ValueError, never another exception.

Deterministic (derandomize=True) and bounded (max_examples per property).
"""
from __future__ import annotations

import io
import json
import struct
import warnings

import numpy as np
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, assume, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra import numpy as hnp  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet.nn import functional as F  # noqa: E402

torch = pytest.importorskip("torch")
TF = torch.nn.functional

FAST = settings(max_examples=60, derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow])


def _pair(rng, shape):
    x = rng.standard_normal(shape)
    return gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)


def _check(g_out, t_out, g_leaves, t_leaves, seed=0):
    """Forward values, then the gradients of a random weighting of the output."""
    t_val = t_out.detach().numpy()
    assert tuple(g_out.shape) == t_val.shape
    np.testing.assert_allclose(g_out.detach().numpy(), t_val, rtol=1e-9, atol=1e-12)
    if not t_val.size:
        return
    w = np.random.default_rng(seed).standard_normal(t_val.shape)
    (g_out * gn.tensor(w)).sum().backward()
    (t_out * torch.tensor(w)).sum().backward()
    for g, t in zip(g_leaves, t_leaves):
        want = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        got = np.zeros(g.shape) if g.grad is None else g.grad.numpy()
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


# -- convolution and pooling ---------------------------------------------------------------
@FAST
@given(n=st.integers(1, 2), groups=st.integers(1, 3), cin_g=st.integers(1, 2),
       cout_g=st.integers(1, 2), h=st.integers(1, 9), w=st.integers(1, 9),
       kh=st.integers(1, 3), kw=st.integers(1, 3), stride=st.integers(1, 3),
       padding=st.integers(0, 2), dilation=st.integers(1, 2), bias=st.booleans())
def test_conv2d_matches_torch(n, groups, cin_g, cout_g, h, w, kh, kw, stride, padding,
                              dilation, bias):
    assume(h + 2 * padding >= dilation * (kh - 1) + 1)
    assume(w + 2 * padding >= dilation * (kw - 1) + 1)
    rng = np.random.default_rng(n * 1000 + h * 10 + w)
    gx, tx = _pair(rng, (n, groups * cin_g, h, w))
    gw, tw = _pair(rng, (groups * cout_g, cin_g, kh, kw))
    gb, tb = _pair(rng, (groups * cout_g,)) if bias else (None, None)
    kw_ = dict(stride=stride, padding=padding, dilation=dilation, groups=groups)
    leaves = [gx, gw] + ([gb] if bias else [])
    t_leaves = [tx, tw] + ([tb] if bias else [])
    _check(F.conv2d(gx, gw, gb, **kw_), TF.conv2d(tx, tw, tb, **kw_), leaves, t_leaves)


@FAST
@given(n=st.integers(1, 2), c=st.integers(1, 3), h=st.integers(1, 9), w=st.integers(1, 9),
       k=st.integers(1, 4), stride=st.none() | st.integers(1, 3), padding=st.integers(0, 2),
       dilation=st.integers(1, 2), ceil_mode=st.booleans(), is_max=st.booleans(),
       count_include_pad=st.booleans())
def test_pool2d_matches_torch(n, c, h, w, k, stride, padding, dilation, ceil_mode, is_max,
                              count_include_pad):
    if not is_max:
        dilation = 1  # avg_pool2d has none
    assume(padding <= k // 2)  # torch's bound, whatever the dilation
    assume(min(h, w) + 2 * padding >= dilation * (k - 1) + 1)
    rng = np.random.default_rng(h * 100 + w * 10 + k)
    gx, tx = _pair(rng, (n, c, h, w))  # continuous values: no ties for max
    if is_max:
        opts = dict(stride=stride, padding=padding, dilation=dilation, ceil_mode=ceil_mode)
        _check(F.max_pool2d(gx, k, **opts), TF.max_pool2d(tx, k, **opts), [gx], [tx])
    else:
        opts = dict(stride=stride, padding=padding, ceil_mode=ceil_mode,
                    count_include_pad=count_include_pad)
        _check(F.avg_pool2d(gx, k, **opts), TF.avg_pool2d(tx, k, **opts), [gx], [tx])


# -- broadcasting elementwise ------------------------------------------------------------
_BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / b, lambda a, b: a / b),
    "maximum": (gn.maximum, torch.maximum),
    "atan2": (gn.atan2, torch.atan2),
    "where": (lambda a, b: gn.where(a > b, a, b), lambda a, b: torch.where(a > b, a, b)),
}


@FAST
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4,
                                                 min_side=1, max_side=4),
       op=st.sampled_from(sorted(_BINARY)))
def test_broadcasting_binary_ops_match_torch(shapes, op):
    sa, sb = shapes.input_shapes
    rng = np.random.default_rng(len(sa) * 10 + len(sb))
    ga, ta = _pair(rng, sa)
    gb, tb = _pair(rng, sb)
    fg, ft = _BINARY[op]
    _check(fg(ga, gb), ft(ta, tb), [ga, gb], [ta, tb])


# -- indexing ------------------------------------------------------------------------------
@st.composite
def _index(draw, shape):
    """A torch index for ``shape``: per dimension an int, a slice, an int array, a bool
    mask or nothing, with None and Ellipsis sprinkled in."""
    items = []
    dims = list(range(len(shape)))
    use = draw(st.integers(0, len(shape)))
    for d in dims[:use]:
        n = shape[d]
        kind = draw(st.sampled_from(["int", "slice", "array", "mask", "none"]))
        if kind == "int":
            items.append(draw(st.integers(-n, n - 1)))
        elif kind == "slice":
            start = draw(st.none() | st.integers(-n - 1, n + 1))
            stop = draw(st.none() | st.integers(-n - 1, n + 1))
            step = draw(st.none() | st.integers(-2, 3).filter(lambda s: s != 0))
            items.append(slice(start, stop, step))
        elif kind == "array":
            items.append(np.array(draw(st.lists(st.integers(-n, n - 1), min_size=1,
                                                max_size=4)), np.int64))
        elif kind == "mask":
            items.append(np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))))
        else:
            items.append(None)
    if draw(st.booleans()) and use < len(shape):
        items.insert(draw(st.integers(0, len(items))), Ellipsis)
    return tuple(items)


def _mirror_negative_steps(index, shape):
    """(dims to flip, index with each negative-step slice replaced by the positive-step
    slice that selects the same elements, in the same order, of the flipped dim)."""
    consumed = [0 if i is None or i is Ellipsis else 1 for i in index]
    ellipsis = len(shape) - sum(consumed)
    dim, dims, out = 0, [], []
    for item in index:
        if item is Ellipsis:
            dim += ellipsis
        elif isinstance(item, slice) and item.step is not None and item.step < 0:
            n = shape[dim]
            picked = list(range(n))[item]
            if picked:
                item = slice(n - 1 - picked[0], n - picked[-1], -item.step)
            else:
                item = slice(0, 0)
            dims.append(dim)
        if item is not None and item is not Ellipsis:
            dim += 1
        out.append(item)
    return dims, tuple(out)


@settings(max_examples=150, derandomize=True, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), shape=st.lists(st.integers(1, 4), min_size=1, max_size=3))
def test_indexing_matches_torch_forward_and_backward(data, shape):
    index = data.draw(_index(tuple(shape)))
    x = np.random.default_rng(len(shape)).standard_normal(shape)
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    g_index = tuple(gn.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    # torch refuses negative steps; glassnet keeps NumPy's reversed slices as an extra,
    # checked against torch on the flipped tensor with the mirrored positive-step slice
    flip_dims, index = _mirror_negative_steps(index, shape)
    t_index = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index)
    try:
        t_src = torch.flip(tx, flip_dims) if flip_dims else tx
        t_out = t_src[t_index]
    except (IndexError, ValueError, RuntimeError, TypeError):
        with pytest.raises((IndexError, ValueError, TypeError)):
            gx[g_index]
        return
    _check(gx[g_index], t_out, [gx], [tx])


# -- checkpoint loading ----------------------------------------------------------------------
def _load_bytes(raw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return gn.load(io.BytesIO(raw))
        except ValueError as exc:
            assert str(exc), "a ValueError without a message"
            return exc


@settings(max_examples=100, derandomize=True, deadline=None, database=None)
@given(raw=st.binary(max_size=200))
def test_load_of_random_bytes_is_a_value_error(raw):
    assert isinstance(_load_bytes(raw), ValueError)


_VALID = []


def _valid_file():
    if not _VALID:
        buf = io.BytesIO()
        gn.save({"w": gn.arange(6.0).reshape(2, 3), "n": 3, "name": "x"}, buf)
        _VALID.append(buf.getvalue())
    return _VALID[0]


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2**40, 2**40) | st.floats(allow_nan=True)
    | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=4),
    max_leaves=12)


@settings(max_examples=100, derandomize=True, deadline=None, database=None)
@given(key=st.sampled_from(["w", "__metadata__", "extra"]), field=st.sampled_from(
    ["dtype", "shape", "data_offsets", None]), value=_JSON, data=st.data())
def test_load_with_a_random_header_is_a_value_or_a_value_error(key, field, value, data):
    raw = _valid_file()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    if field is None or not isinstance(header.get(key), dict):
        header[key] = value
    else:
        header[key][field] = value
    body = raw[8 + n:]
    if data.draw(st.booleans()):  # also cut the payload
        body = body[:data.draw(st.integers(0, len(body)))]
    new = json.dumps(header).encode()
    out = _load_bytes(struct.pack("<Q", len(new)) + new + body)
    if not isinstance(out, ValueError):  # it loaded: then the tensors are the file's
        w = out["w"]
        assert isinstance(w, gn.Tensor)
        assert w.numel() * w.element_size() <= len(body)
