"""Op registry rows: matmul (batched, broadcasting, 1-D), linear, bmm, einsum."""
from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.ops import linalg as _linalg
from glassnet.testing.op_registry import OpInfo, Sample


def _x(rng, *shape):
    return rng.standard_normal(shape)


def _matmul(rng):
    return [Sample((_x(rng, 3, 4), _x(rng, 4, 5)), desc="2-D"),
            Sample((_x(rng, 2, 3, 4), _x(rng, 4, 2)), desc="batched @ 2-D"),
            Sample((_x(rng, 2, 1, 3, 4), _x(rng, 3, 4, 2)), desc="broadcast batch"),
            Sample((_x(rng, 4), _x(rng, 4, 3)), desc="vector @ matrix"),
            Sample((_x(rng, 2, 3, 4), _x(rng, 4)), desc="batched @ vector"),
            Sample((_x(rng, 5), _x(rng, 5)), desc="dot"),
            Sample((_x(rng, 1, 1, 3), _x(rng, 1, 3, 1)), desc="batch 1")]


def _linear(rng):
    return [Sample((_x(rng, 4, 3), _x(rng, 5, 3), _x(rng, 5))),
            Sample((_x(rng, 2, 3, 3), _x(rng, 2, 3), _x(rng, 2)), desc="3-D input"),
            Sample((_x(rng, 1, 7), _x(rng, 1, 7), _x(rng, 1)), desc="batch 1"),
            Sample((_x(rng, 3), _x(rng, 4, 3), _x(rng, 4)), desc="1-D input"),
            Sample((_x(rng, 5, 2), _x(rng, 3, 2), None), desc="no bias")]


def _bmm(rng):
    return [Sample((_x(rng, 2, 3, 4), _x(rng, 2, 4, 5))),
            Sample((_x(rng, 1, 1, 3), _x(rng, 1, 3, 1))),
            Sample((_x(rng, 3, 2, 2), _x(rng, 3, 2, 3))),
            Sample((_x(rng, 4, 1, 5), _x(rng, 4, 5, 2))),
            Sample((_x(rng, 2, 5, 1), _x(rng, 2, 1, 5)))]


def _einsum(rng):
    return [Sample((_x(rng, 3, 4), _x(rng, 4, 5)), {"eq": "ij,jk->ik"}),
            Sample((_x(rng, 2, 3, 4), _x(rng, 2, 4, 5)), {"eq": "bij,bjk->bik"}),
            Sample((_x(rng, 3, 4), _x(rng, 3, 4)), {"eq": "ij,ij->i"}),
            Sample((_x(rng, 3, 4), _x(rng, 5)), {"eq": "ij,k->ijk"}),
            Sample((_x(rng, 2, 3), _x(rng, 3, 4)), {"eq": "ij,jk->"}),
            Sample((_x(rng, 2, 3, 4),), {"eq": "abc->cb"})]


ROWS = [
    OpInfo("matmul", gn.matmul, lambda t, a, b: t.matmul(a, b), _matmul),
    OpInfo("linear", _linalg.linear, lambda t, x, w, b: t.nn.functional.linear(x, w, b), _linear),
    OpInfo("bmm", gn.bmm, lambda t, a, b: t.bmm(a, b), _bmm),
    OpInfo("einsum", lambda *xs, eq: gn.einsum(eq, *xs), lambda t, *xs, eq: t.einsum(eq, *xs),
           _einsum),
]


def _einsum_more(rng):
    return [Sample((_x(rng, 3, 3),), {"eq": "ii->i"}, desc="diagonal"),
            Sample((_x(rng, 4, 4),), {"eq": "ii"}, desc="trace"),
            Sample((_x(rng, 2, 3, 4), _x(rng, 4, 5)), {"eq": "...ij,jk->...ik"},
                   desc="ellipsis"),
            Sample((_x(rng, 2, 3, 3),), {"eq": "bii->b"}, desc="batched trace"),
            Sample((_x(rng, 1, 3, 4), _x(rng, 2, 4, 2)), {"eq": "...ij,...jk"},
                   desc="ellipsis broadcast, implicit output"),
            Sample((_x(rng, 2, 3), _x(rng, 3)), {"eq": "i...,...->i"},
                   desc="trailing ellipsis")]


def _pair(rng, specs):
    return [Sample((_x(rng, *a), _x(rng, *b)), dict(k), desc=d) for a, b, k, d in specs]


def _one(rng, specs):
    return [Sample((_x(rng, *a),), dict(k), desc=d) for a, k, d in specs]


def _well_conditioned(rng, *shape):
    n = shape[-1]
    return _x(rng, *shape) * 0.3 + np.eye(n) * 2


def _cdist(rng):
    out = []
    for a, b, p in [((4, 3), (5, 3), 2.0), ((2, 3, 4), (2, 2, 4), 1.0), ((1, 2), (3, 2), 3.0),
                    ((2, 1, 3, 2), (4, 2), float("inf")), ((3, 5), (3, 5), 0.5),
                    ((5, 1), (2, 1), 2.0)]:
        x1 = _x(rng, *a)
        x2 = _x(rng, *b) + 0.05  # no zero distances (the norm has a kink there)
        out.append(Sample((x1, x2), {"p": p}, desc=f"p={p}"))
    return out


def _add3(rng, shapes, kwargs):
    return [Sample(tuple(_x(rng, *s) for s in shp), dict(k), desc=str(k))
            for shp, k in zip(shapes, kwargs)]


_BA = [{}, {"beta": 0.5, "alpha": 2.0}, {"beta": 0, "alpha": -1.0}, {"alpha": 0.5},
       {"beta": 2.0}]

ROWS += [
    OpInfo("einsum_ellipsis_and_diagonal", lambda *xs, eq: gn.einsum(eq, *xs),
           lambda t, *xs, eq: t.einsum(eq, *xs), _einsum_more),
    OpInfo("trace", gn.trace, lambda t, x: t.trace(x),
           lambda r: _one(r, [((3, 3), {}, ""), ((2, 4), {}, "wide"), ((5, 2), {}, "tall"),
                              ((1, 1), {}, "1x1"), ((4, 4), {}, "")])),
    OpInfo("diag", gn.diag, lambda t, x, **k: t.diag(x, **k),
           lambda r: _one(r, [((3,), {}, "vector"), ((4,), {"diagonal": -1}, "below"),
                              ((3, 4), {}, "matrix"), ((4, 3), {"diagonal": 1}, "above"),
                              ((1,), {}, "1"), ((2, 5), {"diagonal": -1}, "")])),
    OpInfo("diagonal", gn.diagonal, lambda t, x, **k: t.diagonal(x, **k),
           lambda r: _one(r, [((3, 4), {}, ""), ((2, 3, 4), {"dim1": 1, "dim2": 2}, ""),
                              ((3, 2, 4), {"offset": 1, "dim1": 0, "dim2": 2}, "offset"),
                              ((4, 4), {"offset": -2}, "negative offset"),
                              ((2, 3, 3), {"dim1": -1, "dim2": 0}, "negative dims")])),
    OpInfo("diag_embed", gn.diag_embed, lambda t, x, **k: t.diag_embed(x, **k),
           lambda r: _one(r, [((3,), {}, ""), ((2, 3), {"offset": 1}, "offset"),
                              ((2, 4), {"offset": -1, "dim1": 0, "dim2": 2}, "dims"),
                              ((1, 1), {}, "batch 1"), ((2, 3, 2), {"dim1": 1, "dim2": 0}, "")])),
    OpInfo("cross", gn.cross, lambda t, a, b, **k: t.cross(a, b, **k),
           lambda r: _pair(r, [((4, 3), (4, 3), {"dim": 1}, ""),
                               ((3, 5), (3, 5), {"dim": 0}, ""),
                               ((2, 3, 4), (2, 3, 4), {}, "dim=None: first of size 3"),
                               ((1, 3), (1, 3), {"dim": -1}, "batch 1"),
                               ((2, 1, 3), (2, 4, 3), {"dim": -1}, "broadcast")])),
    OpInfo("kron", gn.kron, lambda t, a, b: t.kron(a, b),
           lambda r: _pair(r, [((2, 3), (3, 2), {}, ""), ((3,), (2,), {}, "vectors"),
                               ((2, 2), (3,), {}, "different ndim"), ((1, 1), (2, 3), {}, ""),
                               ((2, 1, 2), (1, 3, 2), {}, "3-D")])),
    OpInfo("tensordot", gn.tensordot, lambda t, a, b, **k: t.tensordot(a, b, **k),
           lambda r: _pair(r, [((2, 3, 4), (3, 4, 5), {}, "dims=2"),
                               ((3, 4), (4, 5), {"dims": 1}, "dims=1"),
                               ((2, 3, 4), (4, 3), {"dims": ([1, 2], [1, 0])}, "pairs"),
                               ((3,), (2,), {"dims": 0}, "outer"),
                               ((1, 5), (5, 1), {"dims": ([1], [0])}, "batch 1")])),
    OpInfo("inner", gn.inner, lambda t, a, b: t.inner(a, b),
           lambda r: _pair(r, [((3,), (3,), {}, ""), ((2, 3), (4, 3), {}, ""),
                               ((2, 1, 3), (3,), {}, ""), ((1, 5), (1, 5), {}, "batch 1"),
                               ((2, 3), (2, 2, 3), {}, "")])),
    OpInfo("mv", gn.mv, lambda t, a, b: t.mv(a, b),
           lambda r: _pair(r, [((3, 4), (4,), {}, ""), ((1, 5), (5,), {}, "batch 1"),
                               ((5, 1), (1,), {}, ""), ((2, 3), (3,), {}, ""),
                               ((7, 3), (3,), {}, "")])),
    OpInfo("cdist", gn.cdist, lambda t, a, b, **k: t.cdist(a, b, **k), _cdist),
    OpInfo("addmm", gn.addmm, lambda t, *a, **k: t.addmm(*a, **k),
           lambda r: _add3(r, [((3, 5), (3, 4), (4, 5)), ((5,), (2, 3), (3, 5)),
                               ((1, 1), (1, 2), (2, 1)), ((3, 1), (3, 2), (2, 4)),
                               ((2, 2), (2, 3), (3, 2))], _BA)),
    OpInfo("addmv", gn.addmv, lambda t, *a, **k: t.addmv(*a, **k),
           lambda r: _add3(r, [((3,), (3, 4), (4,)), ((1,), (5, 2), (2,)),
                               ((1,), (1, 1), (1,)), ((4,), (4, 3), (3,)),
                               ((2,), (2, 5), (5,))], _BA)),
    OpInfo("baddbmm", gn.baddbmm, lambda t, *a, **k: t.baddbmm(*a, **k),
           lambda r: _add3(r, [((2, 3, 5), (2, 3, 4), (2, 4, 5)), ((3, 1), (2, 3, 2), (2, 2, 1)),
                               ((1, 1, 1), (1, 1, 2), (1, 2, 1)), ((5,), (3, 2, 2), (3, 2, 5)),
                               ((2, 2, 2), (2, 2, 3), (2, 3, 2))], _BA)),
    OpInfo("addbmm", gn.addbmm, lambda t, *a, **k: t.addbmm(*a, **k),
           lambda r: _add3(r, [((3, 5), (2, 3, 4), (2, 4, 5)), ((1,), (3, 2, 2), (3, 2, 3)),
                               ((1, 1), (1, 1, 2), (1, 2, 1)), ((3, 1), (2, 3, 2), (2, 2, 4)),
                               ((2, 2), (4, 2, 3), (4, 3, 2))], _BA)),
    OpInfo("linalg.inv", gn.linalg.inv, lambda t, a: t.linalg.inv(a),
           lambda r: [Sample((_well_conditioned(r, *s),)) for s in
                      [(3, 3), (2, 4, 4), (1, 1), (1, 2, 2), (5, 5)]]),
    OpInfo("linalg.det", gn.linalg.det, lambda t, a: t.linalg.det(a),
           lambda r: [Sample((_well_conditioned(r, *s),)) for s in
                      [(3, 3), (2, 4, 4), (1, 1), (1, 2, 2), (5, 5)]]),
    OpInfo("linalg.slogdet", lambda a: gn.linalg.slogdet(a).logabsdet,
           lambda t, a: t.linalg.slogdet(a).logabsdet,
           lambda r: [Sample((_well_conditioned(r, *s) * sg,)) for s, sg in
                      [((3, 3), 1), ((2, 4, 4), -1), ((1, 1), -1), ((1, 2, 2), 1),
                       ((5, 5), 1)]]),
    OpInfo("linalg.solve", gn.linalg.solve, lambda t, a, b: t.linalg.solve(a, b),
           lambda r: [Sample((_well_conditioned(r, *a), _x(r, *b)), desc=d) for a, b, d in
                      [((3, 3), (3, 2), ""), ((2, 4, 4), (2, 4, 1), "batched"),
                       ((3, 3), (3,), "vector"), ((2, 3, 3), (2, 3), "batched vector"),
                       ((2, 1, 2, 2), (3, 2, 2), "broadcast batch"), ((1, 1), (1, 1), "1x1")]]),
    OpInfo("linalg.svdvals", gn.linalg.svdvals, lambda t, a: t.linalg.svdvals(a),
           lambda r: [Sample((_x(r, *s),)) for s in [(3, 3), (2, 4, 3), (1, 2), (3, 5),
                                                     (2, 2, 2)]], atol=1e-4),
    OpInfo("linalg.vector_norm", gn.linalg.vector_norm,
           lambda t, x, **k: t.linalg.vector_norm(x, **k),
           lambda r: _one(r, [((3, 4), {}, ""), ((3, 4), {"ord": 1, "dim": 1}, ""),
                              ((2, 3, 5), {"ord": 3, "dim": (0, 2), "keepdim": True}, ""),
                              ((4, 3), {"ord": -1.5, "dim": 0}, "negative ord"),
                              ((1, 5), {"ord": 0.5, "dim": -1}, "ord < 1"),
                              ((5,), {"ord": float("-inf")}, "-inf")])),
    OpInfo("linalg.matrix_norm", gn.linalg.matrix_norm,
           lambda t, x, **k: t.linalg.matrix_norm(x, **k),
           lambda r: _one(r, [((3, 4), {}, "fro"), ((2, 3, 3), {"ord": "nuc"}, "nuc"),
                              ((3, 4), {"ord": 2}, "spectral"), ((4, 3), {"ord": -2}, ""),
                              ((2, 3, 4), {"ord": 1, "keepdim": True}, ""),
                              ((3, 2, 4), {"ord": float("inf"), "dim": (0, 2)}, "dims")]),
           atol=1e-4),
    OpInfo("linalg.norm", gn.linalg.norm, lambda t, x, **k: t.linalg.norm(x, **k),
           lambda r: _one(r, [((3, 4), {}, ""), ((5,), {"ord": 3}, "vector"),
                              ((3, 4), {"ord": "fro"}, ""), ((2, 3, 4), {"dim": 1}, ""),
                              ((2, 3, 4), {"dim": (1, 2), "ord": 1}, "matrix")])),
]


ROWS += [
    OpInfo("mm", gn.mm, lambda t, a, b: t.mm(a, b),
           lambda r: _pair(r, [((3, 4), (4, 5), {}, ""), ((1, 1), (1, 3), {}, "batch 1"),
                               ((5, 2), (2, 1), {}, ""), ((2, 7), (7, 2), {}, ""),
                               ((3, 3), (3, 3), {}, "")])),
    OpInfo("dot", gn.dot, lambda t, a, b: t.dot(a, b),
           lambda r: _pair(r, [((3,), (3,), {}, ""), ((1,), (1,), {}, "batch 1"),
                               ((7,), (7,), {}, ""), ((2,), (2,), {}, ""),
                               ((5,), (5,), {}, "")])),
    OpInfo("outer", gn.outer, lambda t, a, b: t.outer(a, b),
           lambda r: _pair(r, [((3,), (4,), {}, ""), ((1,), (1,), {}, "batch 1"),
                               ((5,), (2,), {}, ""), ((2,), (7,), {}, ""),
                               ((3,), (3,), {}, "")])),
]


ROWS += [
    OpInfo("linalg.vecdot", lambda a, b, **k: gn.linalg.vecdot(a, b, **k),
           lambda t, a, b, **k: t.linalg.vecdot(a, b, **k),
           lambda r: _pair(r, [((3, 4), (3, 4), {}, ""), ((2, 3), (3,), {}, "broadcast"),
                               ((1, 5), (1, 5), {"dim": 0}, "batch 1"),
                               ((2, 3, 4), (2, 3, 4), {"dim": 1}, ""),
                               ((6,), (6,), {}, "")])),
]
