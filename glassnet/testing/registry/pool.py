"""Op registry rows: pooling.

Max-pool samples use distinct values (a scaled random permutation) so that every window
has a unique maximum and finite differences are valid. Samples cover batch 1, unbatched
input, odd sizes, stride 2-3, padding, dilation 2, ceil_mode and count_include_pad=False.
"""
from __future__ import annotations

import numpy as np

from glassnet.nn import functional as F
from glassnet.testing.op_registry import OpInfo, Sample


def _distinct(rng, shape):
    """Values 0.1 apart in random order: no ties, even in float32."""
    n = int(np.prod(shape))
    return (rng.permutation(n).reshape(shape) - n / 2) * 0.1


def _max_pool2d(rng):
    d = lambda *s: _distinct(rng, s)  # noqa: E731
    return [
        Sample((d(2, 3, 6, 6),), {"kernel_size": 2}, desc="2x2 non-overlapping"),
        Sample((d(1, 2, 7, 7),), {"kernel_size": 3, "stride": 2, "padding": 1},
               desc="batch 1, overlapping, padding"),
        Sample((d(2, 2, 9, 8),), {"kernel_size": (3, 2), "stride": (3, 2), "dilation": 2,
                                  "padding": (1, 1)},
               desc="stride 3, dilation 2"),
        Sample((d(2, 2, 7, 8),), {"kernel_size": 3, "stride": 2, "ceil_mode": True},
               desc="ceil_mode (partial last window)"),
        Sample((d(3, 5, 7),), {"kernel_size": 2, "stride": 1, "return_indices": True},
               desc="unbatched, stride 1, return_indices"),
    ]


def _max_pool1d(rng):
    d = lambda *s: _distinct(rng, s)  # noqa: E731
    return [
        Sample((d(2, 3, 8),), {"kernel_size": 2}, desc="non-overlapping"),
        Sample((d(1, 2, 11),), {"kernel_size": 3, "stride": 2, "padding": 1},
               desc="batch 1, padding"),
        Sample((d(2, 2, 13),), {"kernel_size": 3, "stride": 3, "dilation": 2},
               desc="stride 3, dilation 2"),
        Sample((d(2, 2, 10),), {"kernel_size": 3, "stride": 2, "ceil_mode": True},
               desc="ceil_mode"),
        Sample((d(3, 9),), {"kernel_size": 4, "stride": 2, "padding": 2,
                            "return_indices": True},
               desc="unbatched, return_indices"),
    ]


def _avg_pool2d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 3, 6, 6)),), {"kernel_size": 2}, desc="2x2"),
        Sample((r((1, 2, 7, 7)),), {"kernel_size": 3, "stride": 2, "padding": 1},
               desc="batch 1, padding counted"),
        Sample((r((2, 2, 7, 8)),), {"kernel_size": 3, "stride": 2, "padding": 1,
                                    "count_include_pad": False},
               desc="count_include_pad=False"),
        Sample((r((2, 2, 8, 7)),), {"kernel_size": (3, 2), "stride": (3, 2),
                                    "ceil_mode": True, "padding": (1, 0)},
               desc="stride 3, ceil_mode"),
        Sample((r((2, 2, 7, 7)),), {"kernel_size": 3, "stride": 2, "ceil_mode": True,
                                    "count_include_pad": False, "padding": 1},
               desc="ceil_mode + count_include_pad=False"),
        Sample((r((3, 5, 6)),), {"kernel_size": 2, "stride": 1, "divisor_override": 3},
               desc="unbatched, divisor_override"),
    ]


def _avg_pool1d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 3, 8)),), {"kernel_size": 2}, desc="non-overlapping"),
        Sample((r((1, 2, 11)),), {"kernel_size": 3, "stride": 2, "padding": 1},
               desc="batch 1, padding"),
        Sample((r((2, 2, 13)),), {"kernel_size": 3, "stride": 3, "padding": 1,
                                  "count_include_pad": False},
               desc="stride 3, count_include_pad=False"),
        Sample((r((2, 2, 10)),), {"kernel_size": 3, "stride": 2, "ceil_mode": True},
               desc="ceil_mode"),
        Sample((r((3, 9)),), {"kernel_size": 4, "stride": 2, "padding": 2,
                              "ceil_mode": True, "count_include_pad": False},
               desc="unbatched"),
    ]


def _adaptive_avg_pool2d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 3, 6, 6)),), {"output_size": 3}, desc="divisible"),
        Sample((r((1, 2, 7, 9)),), {"output_size": (3, 4)}, desc="batch 1, uneven bins"),
        Sample((r((2, 2, 5, 7)),), {"output_size": 1}, desc="global"),
        Sample((r((2, 2, 4, 5)),), {"output_size": (6, 7)}, desc="upsampling bins"),
        Sample((r((3, 7, 6)),), {"output_size": (None, 4)}, desc="unbatched, None"),
    ]


def _adaptive_avg_pool1d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 3, 8)),), {"output_size": 4}, desc="divisible"),
        Sample((r((1, 2, 11)),), {"output_size": 4}, desc="batch 1, uneven"),
        Sample((r((2, 2, 7)),), {"output_size": 1}, desc="global"),
        Sample((r((2, 2, 4)),), {"output_size": 7}, desc="upsampling bins"),
        Sample((r((3, 9)),), {"output_size": 5}, desc="unbatched"),
    ]


def _adaptive_max_pool2d(rng):
    d = lambda *s: _distinct(rng, s)  # noqa: E731
    return [
        Sample((d(2, 3, 6, 6),), {"output_size": 3}, desc="divisible"),
        Sample((d(1, 2, 7, 9),), {"output_size": (3, 4)}, desc="batch 1, uneven bins"),
        Sample((d(2, 2, 5, 7),), {"output_size": 1}, desc="global"),
        Sample((d(2, 2, 4, 5),), {"output_size": (6, 7)}, desc="overlapping bins"),
        Sample((d(3, 7, 6),), {"output_size": (None, 4), "return_indices": True},
               desc="unbatched, None, return_indices"),
    ]


def _adaptive_max_pool1d(rng):
    d = lambda *s: _distinct(rng, s)  # noqa: E731
    return [
        Sample((d(2, 3, 8),), {"output_size": 4}, desc="divisible"),
        Sample((d(1, 2, 11),), {"output_size": 4}, desc="batch 1, uneven bins"),
        Sample((d(2, 2, 7),), {"output_size": 1}, desc="global"),
        Sample((d(2, 2, 4),), {"output_size": 7}, desc="overlapping bins"),
        Sample((d(3, 9),), {"output_size": 5, "return_indices": True},
               desc="unbatched, return_indices"),
    ]


def _max_unpool2d(rng):
    # Indices of a 2x2 max pool of a (5, 6) plane: one position inside each block.
    def idx(n, c):
        i = rng.integers(0, 2, (n, c, 2, 3)) + 2 * np.arange(2)[:, None]
        j = rng.integers(0, 2, (n, c, 2, 3)) + 2 * np.arange(3)[None, :]
        return (i * 6 + j).astype(np.int64)

    r = rng.standard_normal
    return [
        Sample((r((2, 3, 2, 3)), idx(2, 3)), {"kernel_size": 2, "output_size": (5, 6)},
               desc="odd output_size"),
        Sample((r((1, 2, 2, 3)), idx(1, 2)), {"kernel_size": 2, "output_size": (5, 6)},
               desc="batch 1"),
        Sample((r((2, 2, 2, 3)), idx(2, 2)), {"kernel_size": 3, "stride": 2,
                                              "output_size": (5, 6)},
               desc="overlapping windows"),
        Sample((r((2, 1, 2, 3)), idx(2, 1)), {"kernel_size": 2, "output_size": (4, 6)},
               desc="default-size output"),
        Sample((r((3, 2, 3)), idx(1, 3)[0]), {"kernel_size": 2, "output_size": (5, 6)},
               desc="unbatched"),
    ]


def _lp_pool2d(rng):
    r = lambda *s: np.abs(rng.standard_normal(s)) + 0.5  # noqa: E731
    return [
        Sample((r(2, 3, 6, 6), 2), {"kernel_size": 2}, desc="p=2"),
        Sample((r(1, 2, 7, 7), 3), {"kernel_size": 3, "stride": 2}, desc="batch 1, p=3"),
        Sample((r(2, 2, 7, 8), 1.5), {"kernel_size": (3, 2), "stride": 2, "ceil_mode": True},
               desc="p=1.5, ceil_mode"),
        Sample((r(2, 2, 5, 5), 1), {"kernel_size": 2, "stride": 1}, desc="p=1 (sum)"),
        Sample((r(3, 5, 6), 2), {"kernel_size": 2}, desc="unbatched"),
    ]


def _max_pool3d(rng):
    d = lambda *s: _distinct(rng, s)  # noqa: E731
    return [
        Sample((d(2, 2, 4, 4, 4),), {"kernel_size": 2}, desc="2x2x2 tiles"),
        Sample((d(1, 2, 5, 5, 4),), {"kernel_size": 3, "stride": 2, "padding": 1},
               desc="batch 1, overlapping, padding"),
        Sample((d(1, 1, 5, 6, 5),), {"kernel_size": (2, 3, 2), "stride": (1, 2, 3),
                                     "dilation": (2, 1, 1), "padding": (1, 1, 0)},
               desc="dilation, mixed strides"),
        Sample((d(2, 1, 4, 5, 5),), {"kernel_size": 2, "ceil_mode": True},
               desc="ceil_mode"),
        Sample((d(2, 3, 4, 3),), {"kernel_size": (2, 2, 1), "stride": 1}, desc="unbatched"),
    ]


def _avg_pool3d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 2, 4, 4, 4)),), {"kernel_size": 2}, desc="tiles"),
        Sample((r((1, 2, 5, 5, 4)),), {"kernel_size": 3, "stride": 2, "padding": 1,
                                       "count_include_pad": False},
               desc="batch 1, padding not counted"),
        Sample((r((1, 1, 5, 6, 5)),), {"kernel_size": (2, 3, 2), "stride": (1, 2, 3),
                                       "padding": (1, 1, 0), "ceil_mode": True},
               desc="mixed strides, ceil_mode"),
        Sample((r((2, 1, 4, 5, 5)),), {"kernel_size": 2, "divisor_override": 3},
               desc="divisor_override"),
        Sample((r((2, 3, 4, 3)),), {"kernel_size": (2, 2, 1), "stride": 1},
               desc="unbatched"),
    ]


def _adaptive_avg_pool3d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 2, 5, 4, 7)), (2, 3, 4)), desc="overlapping bins"),
        Sample((r((1, 3, 3, 3, 3)), 1), desc="global"),
        Sample((r((2, 1, 4, 6, 5)), (None, 2, 5)), desc="None keeps a dim"),
        Sample((r((3, 5, 4, 3)), (2, 2, 2)), desc="unbatched"),
        Sample((r((1, 1, 2, 3, 4)), (4, 3, 2)), desc="upsampling bins"),
    ]


def _adaptive_max_pool3d(rng):
    d = lambda *s: _distinct(rng, s)  # noqa: E731
    return [
        Sample((d(2, 2, 5, 4, 7), (2, 3, 4)), desc="overlapping bins"),
        Sample((d(1, 3, 3, 3, 3), 1), desc="global"),
        Sample((d(2, 1, 4, 6, 5), (None, 2, 5)), desc="None keeps a dim"),
        Sample((d(3, 5, 4, 3), (2, 2, 2)), desc="unbatched"),
        Sample((d(1, 1, 2, 3, 4), (4, 3, 2)), desc="upsampling bins"),
    ]


def _max_unpool3d(rng):
    # Indices of a 2x2x2 max pool of a (4, 4, 5) volume: one position inside each block.
    def idx(n, c):
        a = rng.integers(0, 2, (n, c, 2, 2, 2)) + 2 * np.arange(2)[:, None, None]
        b = rng.integers(0, 2, (n, c, 2, 2, 2)) + 2 * np.arange(2)[None, :, None]
        e = rng.integers(0, 2, (n, c, 2, 2, 2)) + 2 * np.arange(2)[None, None, :]
        return ((a * 4 + b) * 5 + e).astype(np.int64)

    r = rng.standard_normal
    return [
        Sample((r((2, 2, 2, 2, 2)), idx(2, 2)), {"kernel_size": 2, "output_size": (4, 4, 5)},
               desc="odd output_size"),
        Sample((r((1, 1, 2, 2, 2)), idx(1, 1)), {"kernel_size": 2, "output_size": (4, 4, 5)},
               desc="batch 1"),
        Sample((r((2, 1, 2, 2, 2)), idx(2, 1)), {"kernel_size": 3, "stride": 2,
                                                 "output_size": (4, 4, 5)},
               desc="overlapping windows"),
        Sample((r((1, 2, 2, 2, 2)), idx(1, 2)), {"kernel_size": 2,
                                                 "output_size": (1, 2, 4, 4, 5)},
               desc="output_size with leading dims"),
        Sample((r((3, 2, 2, 2)), idx(1, 3)[0]), {"kernel_size": 2, "output_size": (4, 4, 5)},
               desc="unbatched"),
    ]


def _lp_pool3d(rng):
    r = lambda *s: np.abs(rng.standard_normal(s)) + 0.5  # noqa: E731
    return [
        Sample((r(2, 2, 4, 4, 4), 2), {"kernel_size": 2}, desc="p=2"),
        Sample((r(1, 2, 5, 5, 4), 3), {"kernel_size": 3, "stride": 2}, desc="batch 1, p=3"),
        Sample((r(1, 1, 5, 4, 5), 1.5), {"kernel_size": (2, 3, 2), "stride": 2,
                                         "ceil_mode": True}, desc="p=1.5, ceil_mode"),
        Sample((r(1, 2, 3, 3, 3), 1), {"kernel_size": 2, "stride": 1}, desc="p=1 (sum)"),
        Sample((r(2, 4, 4, 3), 2), {"kernel_size": (2, 2, 1)}, desc="unbatched"),
    ]


def _torch(name):
    return lambda torch, *args, **kwargs: getattr(torch.nn.functional, name)(*args, **kwargs)


ROWS: list = [
    OpInfo("max_pool2d", F.max_pool2d, _torch("max_pool2d"), _max_pool2d),
    OpInfo("max_pool1d", F.max_pool1d, _torch("max_pool1d"), _max_pool1d),
    OpInfo("avg_pool2d", F.avg_pool2d, _torch("avg_pool2d"), _avg_pool2d),
    OpInfo("avg_pool1d", F.avg_pool1d, _torch("avg_pool1d"), _avg_pool1d),
    OpInfo("adaptive_avg_pool2d", F.adaptive_avg_pool2d, _torch("adaptive_avg_pool2d"),
           _adaptive_avg_pool2d),
    OpInfo("adaptive_avg_pool1d", F.adaptive_avg_pool1d, _torch("adaptive_avg_pool1d"),
           _adaptive_avg_pool1d),
    OpInfo("adaptive_max_pool2d", F.adaptive_max_pool2d, _torch("adaptive_max_pool2d"),
           _adaptive_max_pool2d),
    OpInfo("adaptive_max_pool1d", F.adaptive_max_pool1d, _torch("adaptive_max_pool1d"),
           _adaptive_max_pool1d),
    OpInfo("max_unpool2d", F.max_unpool2d, _torch("max_unpool2d"), _max_unpool2d),
    OpInfo("lp_pool2d", F.lp_pool2d, _torch("lp_pool2d"), _lp_pool2d),
    OpInfo("max_pool3d", F.max_pool3d, _torch("max_pool3d"), _max_pool3d),
    OpInfo("avg_pool3d", F.avg_pool3d, _torch("avg_pool3d"), _avg_pool3d),
    OpInfo("adaptive_avg_pool3d", F.adaptive_avg_pool3d, _torch("adaptive_avg_pool3d"),
           _adaptive_avg_pool3d),
    OpInfo("adaptive_max_pool3d", F.adaptive_max_pool3d, _torch("adaptive_max_pool3d"),
           _adaptive_max_pool3d),
    OpInfo("max_unpool3d", F.max_unpool3d, _torch("max_unpool3d"), _max_unpool3d),
    OpInfo("lp_pool3d", F.lp_pool3d, _torch("lp_pool3d"), _lp_pool3d),
]
