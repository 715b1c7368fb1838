"""Op registry rows: convolutions and unfold / fold.

Samples cover batch 1, unbatched input, odd sizes, stride 2-3, padding (int, tuple,
'same' with an even kernel, 'valid'), dilation 2, groups 2, depthwise (with a channel
multiplier), output_padding and no bias.
"""
from __future__ import annotations

import warnings

from glassnet.nn import functional as F
from glassnet.testing.op_registry import OpInfo, Sample


def _conv2d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 3, 6, 5)), r((4, 3, 3, 3)), r((4,))), {"padding": 1}, desc="padding 1"),
        Sample((r((1, 4, 7, 7)), r((6, 2, 3, 3)), r((6,))), {"stride": 2, "groups": 2},
               desc="batch 1, stride 2, groups 2"),
        Sample((r((2, 2, 7, 8)), r((3, 2, 2, 3))),
               {"stride": (3, 2), "padding": (1, 2), "dilation": 2},
               desc="no bias, stride 3, tuple padding, dilation 2"),
        Sample((r((2, 3, 5, 6)), r((6, 1, 3, 3)), r((6,))), {"padding": 1, "groups": 3},
               desc="depthwise with multiplier 2"),
        Sample((r((1, 4, 6, 5)), r((4, 1, 3, 3))), {"stride": 2, "groups": 4, "dilation": 2,
                                                   "padding": 2},
               desc="depthwise, stride 2, dilation 2, no bias"),
        Sample((r((2, 2, 5, 7)), r((3, 2, 2, 3)), r((3,))), {"padding": "same"},
               desc="'same' with an even kernel (asymmetric padding)"),
        Sample((r((3, 5, 6)), r((2, 3, 3, 3)), r((2,))), {"padding": "valid"},
               desc="unbatched input"),
    ]


def _conv1d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 3, 9)), r((4, 3, 3)), r((4,))), {"padding": 1}, desc="padding 1"),
        Sample((r((1, 4, 11)), r((6, 2, 3)), r((6,))), {"stride": 2, "groups": 2},
               desc="batch 1, stride 2, groups 2"),
        Sample((r((2, 2, 13)), r((3, 2, 3))), {"stride": 3, "padding": 2, "dilation": 2},
               desc="no bias, stride 3, dilation 2"),
        Sample((r((2, 3, 8)), r((3, 1, 4)), r((3,))), {"padding": "same", "groups": 3},
               desc="depthwise, 'same' with an even kernel"),
        Sample((r((3, 10)), r((2, 3, 5)), r((2,))), {}, desc="unbatched"),
    ]


def _conv_transpose2d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 3, 4, 5)), r((3, 4, 3, 3)), r((4,))), {"padding": 1},
               desc="stride 1, padding 1"),
        Sample((r((1, 4, 3, 4)), r((4, 2, 3, 3)), r((4,))),
               {"stride": 2, "padding": 1, "output_padding": 1, "groups": 2},
               desc="batch 1, stride 2, output_padding 1, groups 2"),
        Sample((r((2, 2, 3, 3)), r((2, 3, 2, 3))),
               {"stride": (3, 2), "padding": (0, 1), "output_padding": (2, 1),
                "dilation": (1, 2)},
               desc="no bias, stride 3, output_padding 2, dilation 2"),
        Sample((r((2, 3, 4, 5)), r((3, 1, 3, 3)), r((3,))),
               {"stride": 2, "groups": 3, "dilation": 2},
               desc="depthwise, stride 2, dilation 2"),
        Sample((r((2, 2, 3, 4)), r((2, 2, 3, 3))),
               {"stride": 1, "output_padding": 1, "dilation": 2},
               desc="output_padding < dilation with stride 1"),
        Sample((r((3, 3, 4)), r((3, 2, 2, 2)), r((2,))), {"stride": 2},
               desc="unbatched, even kernel"),
    ]


def _conv_transpose1d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 3, 5)), r((3, 4, 3)), r((4,))), {"padding": 1}, desc="padding 1"),
        Sample((r((1, 4, 6)), r((4, 2, 3)), r((4,))),
               {"stride": 2, "output_padding": 1, "groups": 2},
               desc="batch 1, stride 2, output_padding, groups 2"),
        Sample((r((2, 2, 4)), r((2, 3, 2))), {"stride": 3, "padding": 1, "dilation": 2},
               desc="no bias, stride 3, dilation 2"),
        Sample((r((2, 3, 5)), r((3, 1, 3)), r((3,))), {"groups": 3, "stride": 2},
               desc="depthwise"),
        Sample((r((3, 5)), r((3, 2, 4)), r((2,))), {}, desc="unbatched"),
    ]


def _unfold(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 3, 5, 6)),), {"kernel_size": 3}, desc="3x3"),
        Sample((r((1, 2, 7, 6)),), {"kernel_size": (3, 2), "stride": 2, "padding": 1},
               desc="batch 1, stride 2, padding"),
        Sample((r((2, 2, 7, 7)),), {"kernel_size": 2, "dilation": 2, "stride": 3},
               desc="dilation 2, stride 3"),
        Sample((r((2, 1, 5, 5)),), {"kernel_size": 5}, desc="kernel = input"),
        Sample((r((3, 4, 5)),), {"kernel_size": (2, 3), "padding": (1, 0)},
               desc="unbatched"),
    ]


def _fold(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 27, 12)),), {"output_size": (5, 6), "kernel_size": 3}, desc="3x3"),
        Sample((r((1, 12, 16)),), {"output_size": (7, 6), "kernel_size": (3, 2), "stride": 2,
                                   "padding": 1},
               desc="batch 1, stride 2, padding"),
        Sample((r((2, 8, 4)),), {"output_size": (7, 7), "kernel_size": 2, "dilation": 2,
                                 "stride": 3},
               desc="dilation 2, stride 3"),
        Sample((r((2, 4, 20)),), {"output_size": (5, 6), "kernel_size": 2},
               desc="overlapping blocks summed"),
        Sample((r((6, 12)),), {"output_size": (5, 4), "kernel_size": (2, 3),
                               "padding": (1, 0)},
               desc="unbatched"),
    ]


def _torch(name):
    def call(torch, *args, **kwargs):
        with warnings.catch_warnings():
            # torch warns that 'same' with an even kernel copies the input; irrelevant here.
            warnings.simplefilter("ignore", UserWarning)
            return getattr(torch.nn.functional, name)(*args, **kwargs)

    return call


def _conv3d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 2, 4, 5, 3)), r((3, 2, 3, 3, 2)), r((3,))), {"padding": 1},
               desc="padding 1, odd sizes"),
        Sample((r((1, 4, 5, 5, 6)), r((4, 2, 2, 3, 3))),
               {"stride": (2, 1, 3), "groups": 2, "dilation": (1, 2, 1), "padding": (1, 0, 2)},
               desc="batch 1, stride, groups, dilation, no bias"),
        Sample((r((2, 2, 4, 4, 5)), r((4, 1, 3, 2, 3)), r((4,))),
               {"padding": 1, "groups": 2, "stride": 2}, desc="depthwise x2, stride 2"),
        Sample((r((2, 3, 4, 4)), r((2, 2, 2, 2, 2)), r((2,))), {"padding": "same"},
               desc="unbatched, 'same' with an even kernel"),
        Sample((r((1, 1, 3, 4, 5)), r((2, 1, 1, 1, 1))), {"padding": "valid"},
               desc="1x1x1 kernel"),
    ]


def _conv_transpose3d(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 2, 3, 2, 3)), r((2, 3, 3, 2, 3)), r((3,))), {"stride": 2,
                                                                  "padding": 1},
               desc="stride 2, padding"),
        Sample((r((1, 4, 2, 3, 2)), r((4, 1, 2, 3, 2))),
               {"stride": (2, 1, 3), "groups": 2, "output_padding": (1, 0, 2),
                "dilation": (1, 2, 1)}, desc="batch 1, groups, output_padding, dilation"),
        Sample((r((2, 3, 2, 2)), r((2, 2, 2, 2, 2)), r((2,))), {"stride": 3},
               desc="unbatched, stride 3"),
        Sample((r((2, 2, 3, 3, 3)), r((2, 2, 1, 3, 1))), {"padding": (0, 1, 0)},
               desc="stride 1, no bias"),
        Sample((r((1, 2, 2, 2, 2)), r((2, 1, 2, 2, 2)), r((2,))),
               {"groups": 2, "stride": 2, "output_padding": 1}, desc="depthwise"),
    ]


ROWS: list = [
    OpInfo("conv2d", F.conv2d, _torch("conv2d"), _conv2d),
    OpInfo("conv1d", F.conv1d, _torch("conv1d"), _conv1d),
    OpInfo("conv_transpose2d", F.conv_transpose2d, _torch("conv_transpose2d"),
           _conv_transpose2d),
    OpInfo("conv_transpose1d", F.conv_transpose1d, _torch("conv_transpose1d"),
           _conv_transpose1d),
    OpInfo("conv3d", F.conv3d, _torch("conv3d"), _conv3d),
    OpInfo("conv_transpose3d", F.conv_transpose3d, _torch("conv_transpose3d"),
           _conv_transpose3d),
    OpInfo("unfold", F.unfold, _torch("unfold"), _unfold),
    OpInfo("fold", F.fold, _torch("fold"), _fold),
]
