"""Op registry rows: shape and movement ops, indexing, padding, gather/scatter."""
from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.ops import shape as _shape
from glassnet.testing.op_registry import OpInfo, Sample


def _x(rng, *shape):
    return rng.standard_normal(shape)


def _cases(rng, specs):
    return [Sample((_x(rng, *in_shape),), dict(kw)) for in_shape, kw in specs]


def _getitem(rng):
    return [Sample((_x(rng, 4, 5),), {"index": (slice(1, 3), 2)}, desc="slice+int"),
            Sample((_x(rng, 2, 3, 4),), {"index": (Ellipsis, None, slice(None, None, 2))}),
            Sample((_x(rng, 5, 3),), {"index": np.array([0, 2, 2, 4, 0])}, desc="repeated"),
            Sample((_x(rng, 3, 4),), {"index": _x(rng, 3, 4) > 0}, desc="bool mask"),
            Sample((_x(rng, 3, 4),), {"index": (np.array([0, 1, 1]), np.array([3, 3, 0]))}),
            Sample((_x(rng, 1, 6),), {"index": (0, slice(-4, None))}, desc="negative")]


def _pad(rng):
    return [Sample((_x(rng, 1, 2, 3, 4),), {"pad": (1, 2, 0, 1)}),
            Sample((_x(rng, 2, 3, 5),), {"pad": (2, 1), "mode": "reflect"}),
            Sample((_x(rng, 1, 1, 3, 3),), {"pad": (1, 1, 2, 2), "mode": "reflect"}),
            Sample((_x(rng, 2, 2, 3, 3),), {"pad": (2, 0, 1, 3), "mode": "replicate"}),
            Sample((_x(rng, 1, 2, 4, 3),), {"pad": (1, 2, 2, 1), "mode": "circular"}),
            Sample((_x(rng, 3, 4),), {"pad": (1, 1), "value": 2.5})]


def _cat(rng):
    return [Sample((_x(rng, 2, 3), _x(rng, 4, 3)), {"dim": 0}),
            Sample((_x(rng, 2, 3), _x(rng, 2, 1)), {"dim": 1}),
            Sample((_x(rng, 1, 2, 3), _x(rng, 1, 2, 3)), {"dim": -1}),
            Sample((_x(rng, 5), _x(rng, 1)), {"dim": 0}),
            Sample((_x(rng, 2, 1, 3), _x(rng, 2, 4, 3)), {"dim": 1})]


def _stack(rng):
    return [Sample((_x(rng, 2, 3), _x(rng, 2, 3)), {"dim": 0}),
            Sample((_x(rng, 2, 3), _x(rng, 2, 3)), {"dim": 2}),
            Sample((_x(rng, 1), _x(rng, 1)), {"dim": -1}),
            Sample((_x(rng, 3, 1, 2), _x(rng, 3, 1, 2)), {"dim": 1}),
            Sample((_x(rng), _x(rng)), {"dim": 0})]


def _gather(rng):
    return [Sample((_x(rng, 3, 4), np.array([[0, 0], [1, 3], [2, 2]])), {"dim": 1}),
            Sample((_x(rng, 3, 4), rng.integers(0, 3, (5, 4))), {"dim": 0}),
            Sample((_x(rng, 2, 3, 4), rng.integers(0, 3, (2, 2, 4))), {"dim": 1}),
            Sample((_x(rng, 1, 5), np.array([[4, 4, 4]])), {"dim": -1}),
            Sample((_x(rng, 6), rng.integers(0, 6, (9,))), {"dim": 0})]


def _scatter_add(rng):
    return [Sample((_x(rng, 3, 4), np.array([[0, 0], [1, 3], [2, 2]]), _x(rng, 3, 2)),
                   {"dim": 1}),
            Sample((_x(rng, 3, 4), rng.integers(0, 3, (5, 4)), _x(rng, 5, 4)), {"dim": 0}),
            Sample((_x(rng, 2, 3, 4), rng.integers(0, 3, (2, 2, 4)), _x(rng, 2, 2, 4)),
                   {"dim": 1}),
            Sample((_x(rng, 1, 5), np.array([[1, 1, 1]]), _x(rng, 1, 3)), {"dim": -1}),
            Sample((_x(rng, 6), rng.integers(0, 6, (9,)), _x(rng, 9)), {"dim": 0})]


def _index_put(rng):
    # (input, index arrays..., values); accumulate with repeated indices.
    return [Sample((_x(rng, 5), np.array([0, 2, 4]), _x(rng, 3)), {"accumulate": False}),
            Sample((_x(rng, 5), np.array([1, 1, 3]), _x(rng, 3)), {"accumulate": True},
                   desc="repeated indices add"),
            Sample((_x(rng, 3, 4), np.array([0, 2]), np.array([1, 3]), _x(rng, 2)),
                   {"accumulate": False}),
            Sample((_x(rng, 3, 4), np.array([2, 0]), _x(rng, 4)), {"accumulate": True},
                   desc="rows, values broadcast"),
            Sample((_x(rng, 1, 3), np.array([0]), np.array([2]), _x(rng)),
                   {"accumulate": False}, desc="batch 1, 0-d value")]


def _index_put_fn(x, *rest, accumulate):
    *indices, values = rest
    return gn.index_put(x, tuple(indices), values, accumulate=accumulate)


def _torch_index_put(t, x, *rest, accumulate):
    *indices, values = rest
    return t.index_put(x, tuple(indices), values, accumulate=accumulate)


def _masked_select(rng):
    return [Sample((_x(rng, 3, 4), rng.random((3, 4)) > 0.5), desc="same shape"),
            Sample((_x(rng, 2, 3), rng.random((3,)) > 0.5), desc="broadcast mask"),
            Sample((_x(rng, 1, 4), rng.random((3, 4)) > 0.4), desc="broadcast input"),
            Sample((_x(rng, 5), np.ones(5, bool)), desc="all true"),
            Sample((_x(rng, 2, 2), np.zeros((2, 2), bool)), desc="all false"),
            Sample((_x(rng), np.array(True)), desc="0-d")]


def _meshgrid(rng):
    return [Sample((_x(rng, 3), _x(rng, 4)), {"indexing": "ij", "i": 0}),
            Sample((_x(rng, 3), _x(rng, 4)), {"indexing": "ij", "i": 1}),
            Sample((_x(rng, 2), _x(rng, 5)), {"indexing": "xy", "i": 0}),
            Sample((_x(rng, 2), _x(rng, 5)), {"indexing": "xy", "i": 1}),
            Sample((_x(rng, 1), _x(rng, 3)), {"indexing": "ij", "i": 1}),
            Sample((_x(rng), _x(rng, 2)), {"indexing": "xy", "i": 0}, desc="0-d")]


def _triangle(rng):
    return _cases(rng, [((4, 4), {}), ((3, 5), {"diagonal": 1}),
                        ((5, 3), {"diagonal": -1}), ((2, 3, 4), {"diagonal": 2}),
                        ((1, 1), {}), ((2, 4, 3), {"diagonal": -5})])


def _gather_fn(x, index, dim):
    return gn.gather(x, dim, index)


def _scatter_fn(x, index, src, dim):
    return gn.scatter_add(x, dim, index, src)


def _split_fn(x, size, dim, i):
    return gn.split(x, size, dim)[i]


def _chunk_fn(x, chunks, dim, i):
    return gn.chunk(x, chunks, dim)[i]


def _meshgrid_fn(a, b, indexing, i):
    return gn.meshgrid(a, b, indexing=indexing)[i]


ROWS = [
    OpInfo("reshape", lambda x, shape: x.reshape(shape), lambda t, x, shape: x.reshape(shape),
           lambda r: _cases(r, [((3, 4), {"shape": (4, 3)}), ((2, 3, 4), {"shape": (6, -1)}),
                                ((1,), {"shape": ()}), ((6,), {"shape": (1, 2, 3)}),
                                ((5, 1), {"shape": (5,)})])),
    OpInfo("permute", lambda x, dims: x.permute(*dims), lambda t, x, dims: x.permute(*dims),
           lambda r: _cases(r, [((2, 3, 4), {"dims": (2, 0, 1)}), ((3, 4), {"dims": (1, 0)}),
                                ((1, 2, 3, 4), {"dims": (0, 3, 1, 2)}), ((5,), {"dims": (0,)}),
                                ((2, 1, 3), {"dims": (-1, 0, 1)})])),
    OpInfo("transpose", gn.transpose, lambda t, x, dim0, dim1: t.transpose(x, dim0, dim1),
           lambda r: _cases(r, [((2, 3), {"dim0": 0, "dim1": 1}),
                                ((2, 3, 4), {"dim0": -1, "dim1": 0}),
                                ((1, 5, 3), {"dim0": 1, "dim1": 2}),
                                ((3, 3), {"dim0": 1, "dim1": 1}),
                                ((2, 1, 3, 1), {"dim0": 1, "dim1": 3})])),
    OpInfo("flatten", gn.flatten, lambda t, x, **k: t.flatten(x, **k),
           lambda r: _cases(r, [((2, 3, 4), {}), ((2, 3, 4), {"start_dim": 1}),
                                ((1, 3, 2, 2), {"start_dim": 1, "end_dim": 2}),
                                ((5,), {}), ((2, 3), {"end_dim": 0})])),
    OpInfo("unflatten", gn.unflatten, lambda t, x, dim, sizes: t.unflatten(x, dim, sizes),
           lambda r: _cases(r, [((6,), {"dim": 0, "sizes": (2, 3)}),
                                ((2, 12), {"dim": 1, "sizes": (3, -1)}),
                                ((1, 4, 5), {"dim": 1, "sizes": (2, 2)}),
                                ((3, 4), {"dim": -1, "sizes": (4, 1)}),
                                ((6, 1), {"dim": 0, "sizes": (1, 6)})])),
    OpInfo("squeeze", gn.squeeze, lambda t, x, **k: t.squeeze(x, **k),
           lambda r: _cases(r, [((1, 3, 1), {}), ((1, 3, 1), {"dim": 0}),
                                ((2, 1, 4), {"dim": 1}), ((3, 4), {"dim": 0}),
                                ((1, 1), {"dim": -1})])),
    OpInfo("unsqueeze", gn.unsqueeze, lambda t, x, dim: t.unsqueeze(x, dim),
           lambda r: _cases(r, [((3,), {"dim": 0}), ((3, 4), {"dim": -1}),
                                ((2, 3), {"dim": 1}), ((), {"dim": 0}),
                                ((1, 2), {"dim": 2})])),
    OpInfo("expand", lambda x, sizes: x.expand(*sizes), lambda t, x, sizes: x.expand(*sizes),
           lambda r: _cases(r, [((3, 1), {"sizes": (3, 4)}), ((1,), {"sizes": (2, 5)}),
                                ((1, 4), {"sizes": (2, 3, -1)}), ((2, 1, 3), {"sizes": (2, 4, 3)}),
                                ((), {"sizes": (3,)})])),
    OpInfo("repeat", lambda x, reps: x.repeat(*reps), lambda t, x, reps: x.repeat(*reps),
           lambda r: _cases(r, [((2, 3), {"reps": (2, 1)}), ((3,), {"reps": (2, 2)}),
                                ((1, 2), {"reps": (3, 2)}), ((2, 1, 2), {"reps": (1, 3, 2)}),
                                ((4,), {"reps": (1,)})])),
    OpInfo("cat", lambda a, b, dim: gn.cat([a, b], dim), lambda t, a, b, dim: t.cat([a, b], dim),
           _cat),
    OpInfo("stack", lambda a, b, dim: gn.stack([a, b], dim),
           lambda t, a, b, dim: t.stack([a, b], dim), _stack),
    OpInfo("split", _split_fn, lambda t, x, size, dim, i: t.split(x, size, dim)[i],
           lambda r: _cases(r, [((5, 2), {"size": 2, "dim": 0, "i": 2}),
                                ((3, 7), {"size": 3, "dim": 1, "i": 1}),
                                ((4, 3), {"size": [1, 3], "dim": 0, "i": 1}),
                                ((1, 6), {"size": 4, "dim": -1, "i": 0}),
                                ((2, 2, 5), {"size": [2, 3], "dim": 2, "i": 0})])),
    OpInfo("chunk", _chunk_fn, lambda t, x, chunks, dim, i: t.chunk(x, chunks, dim)[i],
           lambda r: _cases(r, [((5, 2), {"chunks": 2, "dim": 0, "i": 1}),
                                ((3, 7), {"chunks": 3, "dim": 1, "i": 2}),
                                ((6,), {"chunks": 4, "dim": 0, "i": 0}),
                                ((1, 4), {"chunks": 2, "dim": -1, "i": 1}),
                                ((2, 3, 3), {"chunks": 3, "dim": 1, "i": 1})])),
    OpInfo("pad", _shape.pad, lambda t, x, **k: t.nn.functional.pad(x, **k), _pad),
    OpInfo("flip", gn.flip, lambda t, x, dims: t.flip(x, dims),
           lambda r: _cases(r, [((3, 4), {"dims": (0,)}), ((2, 3, 4), {"dims": (0, 2)}),
                                ((1, 5), {"dims": (-1,)}), ((7,), {"dims": (0,)}),
                                ((2, 2), {"dims": (0, 1)})])),
    OpInfo("roll", gn.roll, lambda t, x, shifts, dims=None: t.roll(x, shifts, dims),
           lambda r: _cases(r, [((3, 4), {"shifts": 1, "dims": 0}),
                                ((2, 3, 4), {"shifts": (1, -2), "dims": (0, 2)}),
                                ((1, 5), {"shifts": 7, "dims": -1}),
                                ((6,), {"shifts": -1, "dims": 0}),
                                ((2, 3), {"shifts": 2})])),
    OpInfo("tril", gn.tril, lambda t, x, **k: t.tril(x, **k), _triangle),
    OpInfo("triu", gn.triu, lambda t, x, **k: t.triu(x, **k), _triangle),
    OpInfo("masked_select", gn.masked_select,
           lambda t, x, mask: t.masked_select(x, mask), _masked_select),
    OpInfo("meshgrid", _meshgrid_fn,
           lambda t, a, b, indexing, i: t.meshgrid(a, b, indexing=indexing)[i], _meshgrid),
    OpInfo("repeat_interleave", gn.repeat_interleave,
           lambda t, x, repeats, **k: t.repeat_interleave(
               x, t.from_numpy(repeats) if isinstance(repeats, np.ndarray) else repeats, **k),
           lambda r: _cases(r, [((2, 3), {"repeats": 2}), ((2, 3), {"repeats": 3, "dim": 1}),
                                ((3, 2), {"repeats": np.array([1, 0, 2]), "dim": 0}),
                                ((1, 4), {"repeats": np.array([2, 1, 1, 3]), "dim": -1}),
                                ((), {"repeats": 3}), ((4,), {"repeats": 1, "dim": 0})])),
    OpInfo("view_as", _shape.view_as, lambda t, x, other: x.view_as(other),
           lambda r: [Sample((_x(r, *a), _x(r, *b)), nondiff=(1,)) for a, b in
                      [((3, 4), (4, 3)), ((2, 3, 4), (6, 4)), ((1,), ()), ((6,), (1, 2, 3)),
                       ((5, 1), (5,))]]),
    OpInfo("index_put", _index_put_fn, _torch_index_put, _index_put),
    OpInfo("gather", _gather_fn, lambda t, x, index, dim: t.gather(x, dim, index), _gather),
    OpInfo("scatter_add", _scatter_fn,
           lambda t, x, index, src, dim: t.scatter_add(x, dim, index, src), _scatter_add),
    OpInfo("getitem", lambda x, index: x[index],
           lambda t, x, index: x[t.from_numpy(index) if isinstance(index, np.ndarray) else
                                 tuple(t.from_numpy(i) if isinstance(i, np.ndarray) else i
                                       for i in index)], _getitem),
]


def _first(fn):
    """Rows for ops returning a tuple differentiate its first element."""
    return lambda *a, **k: fn(*a, **k)[0]


def _index(rng, specs):
    return [Sample((_x(rng, *s), np.asarray(i, dtype=np.int64)), dict(k), desc=d)
            for s, i, k, d in specs]


def _masked_fill(rng):
    return [Sample((_x(rng, *s), rng.random(m) > 0.5), {"value": v}, desc=d)
            for s, m, v, d in [((3, 4), (3, 4), 0.5, ""), ((2, 3), (3,), -1.0, "broadcast"),
                               ((1,), (1,), 2.0, "batch 1"), ((2, 3, 5), (2, 1, 5), 0.0, ""),
                               ((4,), (4,), 3.0, "")]]


def _distinct(rng, *shape):
    n = int(np.prod(shape)) if shape else 1
    return rng.permutation(n).reshape(shape) * 0.1 + rng.random(shape) * 0.01


def _sorting(rng, with_k=False):
    specs = [((3, 5), {"dim": 1}), ((4, 3), {"dim": 0}), ((1, 6), {}), ((2, 3, 4), {"dim": -2}),
             ((7,), {"dim": 0})]
    out = []
    for i, (s, k) in enumerate(specs):
        k = dict(k)
        if with_k:
            k["k"] = 1 + i % 3
            k["largest"] = bool(i % 2)
        else:
            k["descending"] = bool(i % 2)
        out.append(Sample((_distinct(rng, *s),), k))
    return out


def _tensor_index(t, i):
    return t.from_numpy(i) if isinstance(i, np.ndarray) else i


ROWS += [
    OpInfo("broadcast_to", gn.broadcast_to, lambda t, x, shape: t.broadcast_to(x, shape),
           lambda r: _cases(r, [((3, 1), {"shape": (3, 4)}), ((4,), {"shape": (2, 3, 4)}),
                                ((1,), {"shape": (1,)}), ((2, 1, 3), {"shape": (2, 5, 3)}),
                                ((), {"shape": (3,)})])),
    OpInfo("movedim", gn.movedim, lambda t, x, **k: t.movedim(x, **k),
           lambda r: _cases(r, [((2, 3, 4), {"source": 0, "destination": -1}),
                                ((2, 3, 4), {"source": (0, 1), "destination": (2, 0)}),
                                ((1, 5), {"source": 1, "destination": 0}),
                                ((2, 3, 4, 5), {"source": -1, "destination": 1}),
                                ((3,), {"source": 0, "destination": 0})])),
    OpInfo("narrow", gn.narrow, lambda t, x, **k: t.narrow(x, **k),
           lambda r: _cases(r, [((5, 3), {"dim": 0, "start": 1, "length": 3}),
                                ((2, 7), {"dim": -1, "start": 4, "length": 3}),
                                ((1, 4), {"dim": 1, "start": 0, "length": 1}),
                                ((3, 4, 5), {"dim": 1, "start": 2, "length": 2}),
                                ((6,), {"dim": 0, "start": 5, "length": 1})])),
    OpInfo("t", gn.t, lambda t, x: t.t(x),
           lambda r: _cases(r, [((3, 4), {}), ((1, 5), {}), ((5,), {}), ((), {}),
                                ((2, 2), {})])),
    OpInfo("take", gn.take, lambda t, x, index: t.take(x, _tensor_index(t, index)),
           lambda r: _index(r, [((3, 4), [0, 11, 5, 5], {}, "repeated"),
                                ((2, 3), [[1, 2], [0, 5]], {}, "2-D index"),
                                ((1,), [0, 0], {}, "batch 1"),
                                ((2, 3, 5), [29, 0, 14], {}, ""), ((7,), [], {}, "empty")])),
    OpInfo("take_along_dim", gn.take_along_dim,
           lambda t, x, index, **k: t.take_along_dim(x, _tensor_index(t, index), **k),
           lambda r: _index(r, [((3, 4), [[0, 3], [1, 1], [2, 0]], {"dim": 1}, "repeated"),
                                ((3, 4), [[2, 0, 1, 1]], {"dim": 0}, "broadcast"),
                                ((1, 5), [[4]], {"dim": -1}, "batch 1"),
                                ((2, 3), [5, 0, 0], {}, "flattened"),
                                ((2, 3, 4), [[[1], [0], [2]]], {"dim": 2}, "3-D broadcast")])),
    OpInfo("tile", gn.tile, lambda t, x, dims: t.tile(x, dims),
           lambda r: _cases(r, [((2, 3), {"dims": (2, 1)}), ((3,), {"dims": (2, 2)}),
                                ((1, 1), {"dims": (1, 3)}), ((2, 1, 3), {"dims": (2,)}),
                                ((), {"dims": (3,)})])),
    OpInfo("unbind", _first(gn.unbind), lambda t, x, **k: t.unbind(x, **k)[0],
           lambda r: _cases(r, [((3, 4), {}), ((3, 4), {"dim": 1}), ((1, 2), {"dim": -1}),
                                ((2, 3, 5), {"dim": 2}), ((5,), {})])),
    OpInfo("index_select", lambda x, index, dim: gn.index_select(x, dim, index),
           lambda t, x, index, **k: t.index_select(x, index=_tensor_index(t, index), **k),
           lambda r: _index(r, [((4, 3), [0, 2, 2], {"dim": 0}, "repeated"),
                                ((2, 5), [4, 0], {"dim": 1}, ""),
                                ((1, 3), [0], {"dim": 0}, "batch 1"),
                                ((2, 3, 4), [3, 1, 3], {"dim": -1}, ""),
                                ((5,), [1, 1, 1], {"dim": 0}, "")])),
    OpInfo("masked_fill", lambda x, mask, value: gn.masked_fill(x, mask, value),
           lambda t, x, mask, value: t.masked_fill(x, mask, value), _masked_fill),
    OpInfo("sort", _first(gn.sort), lambda t, x, **k: t.sort(x, **k)[0], _sorting),
    OpInfo("topk", _first(gn.topk), lambda t, x, **k: t.topk(x, **k)[0],
           lambda r: _sorting(r, with_k=True)),
    OpInfo("msort", gn.msort, lambda t, x: t.msort(x),
           lambda r: [Sample((_distinct(r, *s),)) for s in [(4, 3), (1, 2), (5,), (3, 2, 2),
                                                            (2, 5)]]),
    OpInfo("expand_as", lambda x, other: x.expand_as(other),
           lambda t, x, other: x.expand_as(other),
           lambda r: [Sample((_x(r, *a), _x(r, *b)), nondiff=(1,)) for a, b in
                      [((3, 1), (3, 4)), ((4,), (2, 4)), ((1,), (1,)), ((2, 1, 3), (2, 5, 3)),
                       ((), (3,))]]),
]
