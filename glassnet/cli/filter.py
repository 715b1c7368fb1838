"""``glassnet filter IMAGE --op OP``: apply one classic filter to an image file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

OPS = ("gaussian", "median", "bilateral", "sobel", "laplacian")


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``filter`` subcommand to an argparse ``subparsers`` object."""
    p = subparsers.add_parser(
        "filter",
        help="apply a classic image filter",
        description="Filter IMAGE with OpenCV semantics and write the result. "
        "gaussian: --ksize (0 = from sigma), --sigma (default 1). "
        "median: --ksize (default 5). bilateral: --ksize = diameter (default 9), "
        "--sigma = colour and space sigma (default 75). sobel / laplacian: --ksize "
        "aperture (3 / 1), optional --sigma pre-blur; writes the saturated "
        "gradient magnitude / |laplacian|.",
    )
    p.add_argument("image", help="input image file")
    p.add_argument("--op", required=True, choices=OPS, help="filter to apply")
    p.add_argument("--ksize", type=int, default=None, help="kernel size (odd)")
    p.add_argument("--sigma", type=float, default=None, help="sigma (see above)")
    p.add_argument("-o", "--output", default=None,
                   help="output file (default: IMAGE stem + '_<op>.png', next to IMAGE)")
    p.set_defaults(func=run)
    return p


def _apply(image, op: str, ksize, sigma):
    import numpy as np

    from glassnet.cv import (
        bilateral_filter,
        gaussian_blur,
        laplacian,
        median_blur,
        sobel,
    )

    if op == "gaussian":
        k = 0 if ksize is None else ksize
        s = sigma if sigma is not None else (1.0 if k == 0 else 0.0)
        return gaussian_blur(image, k, s)
    if op == "median":
        return median_blur(image, 5 if ksize is None else ksize)
    if op == "bilateral":
        s = 75.0 if sigma is None else sigma
        return bilateral_filter(image, 9 if ksize is None else ksize, s, s)
    if sigma is not None:
        image = gaussian_blur(image, 0, sigma)
    if op == "sobel":
        k = 3 if ksize is None else ksize
        dx = sobel(image, np.float32, 1, 0, ksize=k)
        dy = sobel(image, np.float32, 0, 1, ksize=k)
        magnitude = np.sqrt(dx * dx + dy * dy)
        return np.clip(np.rint(magnitude), 0, 255).astype(np.uint8)
    lap = laplacian(image, np.float32, ksize=1 if ksize is None else ksize)
    return np.clip(np.rint(np.abs(lap)), 0, 255).astype(np.uint8)


def run(args: argparse.Namespace) -> int:
    """Run ``glassnet filter``; returns the exit code (0 ok, 1 bad input)."""
    from glassnet.cv import read_image, write_image

    source = Path(args.image)
    if not source.is_file():
        print(f"glassnet filter: error: image not found: {source}", file=sys.stderr)
        return 1
    output = Path(args.output) if args.output else source.with_name(f"{source.stem}_{args.op}.png")
    try:
        image = read_image(source)
        if image.ndim == 3 and image.shape[2] == 4:
            image = image[..., :3]
        result = _apply(image, args.op, args.ksize, args.sigma)
        write_image(output, result)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"glassnet filter: error: {exc}", file=sys.stderr)
        return 1
    print(f"{output}: {args.op} of {source.name} ({result.shape[1]}x{result.shape[0]})")
    return 0
