"""Op registry rows: interpolate (nearest, nearest-exact, linear, bilinear, area) and pixel
shuffles.

Samples cover batch 1, odd sizes, up- and downsampling, non-integer and per-axis scale
factors (where torch's source coordinates use ``1 / scale_factor``), explicit sizes and
both ``align_corners`` settings.
"""
from __future__ import annotations

from glassnet.nn import functional as F
from glassnet.testing.op_registry import OpInfo, Sample


def _interp(mode, align_corners=None):
    def fn(x, **kwargs):
        return F.interpolate(x, mode=mode, align_corners=align_corners, **kwargs)

    def torch_fn(torch, x, **kwargs):
        return torch.nn.functional.interpolate(x, mode=mode, align_corners=align_corners,
                                               **kwargs)

    return fn, torch_fn


def _images(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 3, 4, 5)),), {"scale_factor": 2}, desc="x2"),
        Sample((r((1, 2, 5, 7)),), {"size": (8, 3)}, desc="batch 1, up H, down W"),
        Sample((r((2, 2, 6, 5)),), {"scale_factor": (1.5, 0.7)},
               desc="per-axis non-integer scale factors"),
        Sample((r((2, 2, 9, 7)),), {"size": 4}, desc="downsample, odd input"),
        Sample((r((2, 1, 3, 4)),), {"scale_factor": 2.5, "recompute_scale_factor": True},
               desc="recompute_scale_factor"),
        Sample((r((1, 2, 1, 3)),), {"size": (3, 1)}, desc="size-1 axes"),
    ]


def _signals(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 3, 5)),), {"scale_factor": 2}, desc="x2"),
        Sample((r((1, 2, 7)),), {"size": 11}, desc="batch 1, odd sizes"),
        Sample((r((2, 2, 9)),), {"scale_factor": 0.6}, desc="downsample, non-integer"),
        Sample((r((2, 2, 6)),), {"size": (4,)}, desc="downsample by size"),
        Sample((r((2, 1, 4)),), {"scale_factor": 1.7}, desc="non-integer upsample"),
    ]


def _pixel_shuffle(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 8, 3, 2)), 2), desc="r=2"),
        Sample((r((1, 9, 2, 3)), 3), desc="batch 1, r=3"),
        Sample((r((12, 2, 2)), 2), desc="unbatched"),
        Sample((r((2, 2, 4, 3, 1)), 2), desc="extra leading dim"),
        Sample((r((1, 3, 3, 3)), 1), desc="r=1 identity"),
    ]


def _channel_shuffle(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 6, 3, 2)), 2), desc="g=2"),
        Sample((r((1, 6, 3)), 3), desc="batch 1, 1-D, g=3"),
        Sample((r((2, 4, 2, 2, 1)), 4), desc="3-D, g=C"),
        Sample((r((3, 5, 2)), 1), desc="g=1 identity"),
        Sample((r((1, 9, 1, 3)), 3), desc="odd sizes"),
    ]


def _pixel_unshuffle(rng):
    r = rng.standard_normal
    return [
        Sample((r((2, 2, 6, 4)), 2), desc="r=2"),
        Sample((r((1, 1, 6, 9)), 3), desc="batch 1, r=3"),
        Sample((r((3, 4, 2)), 2), desc="unbatched"),
        Sample((r((2, 2, 1, 2, 4)), 2), desc="extra leading dim"),
        Sample((r((1, 3, 3, 3)), 1), desc="r=1 identity"),
    ]


def _torch(name):
    return lambda torch, *args, **kwargs: getattr(torch.nn.functional, name)(*args, **kwargs)


ROWS: list = [
    OpInfo("interpolate_nearest", *_interp("nearest"), _images),
    OpInfo("interpolate_nearest_exact", *_interp("nearest-exact"), _images),
    OpInfo("interpolate_bilinear", *_interp("bilinear", False), _images),
    OpInfo("interpolate_bilinear_align_corners", *_interp("bilinear", True), _images),
    OpInfo("interpolate_area", *_interp("area"), _images),
    OpInfo("interpolate_nearest_1d", *_interp("nearest"), _signals),
    OpInfo("interpolate_linear", *_interp("linear", False), _signals),
    OpInfo("interpolate_linear_align_corners", *_interp("linear", True), _signals),
    OpInfo("pixel_shuffle", F.pixel_shuffle, _torch("pixel_shuffle"), _pixel_shuffle),
    OpInfo("pixel_unshuffle", F.pixel_unshuffle, _torch("pixel_unshuffle"),
           _pixel_unshuffle),
    OpInfo("channel_shuffle", F.channel_shuffle, _torch("channel_shuffle"), _channel_shuffle),
]
