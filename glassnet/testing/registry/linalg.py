"""Op registry rows: matmul (batched, broadcasting, 1-D), linear, bmm, einsum."""
from __future__ import annotations

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
    return [Sample((_x(rng, 2, 3, 4), _x(rng, 2, 4, 5))), Sample((_x(rng, 1, 1, 3), _x(rng, 1, 3, 1))),
            Sample((_x(rng, 3, 2, 2), _x(rng, 3, 2, 3))), Sample((_x(rng, 4, 1, 5), _x(rng, 4, 5, 2))),
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
