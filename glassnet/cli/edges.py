"""``glassnet edges IMAGE``: Canny edge map of an image file (cv2.Canny semantics)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers) -> argparse.ArgumentParser:
    """Add the ``edges`` subcommand to an argparse ``subparsers`` object."""
    p = subparsers.add_parser(
        "edges",
        help="Canny edge map of an image",
        description="Write the Canny edge map (0/255 PNG) of IMAGE, as cv2.Canny would "
        "compute it on cv2.imread(IMAGE).",
    )
    p.add_argument("image", help="input image file")
    p.add_argument("-o", "--output", default=None,
                   help="output file (default: IMAGE stem + '_edges.png', next to IMAGE)")
    p.add_argument("--low", type=float, default=50.0, help="low hysteresis threshold (50)")
    p.add_argument("--high", type=float, default=150.0, help="high hysteresis threshold (150)")
    p.add_argument("--aperture", type=int, default=3, choices=(3, 5, 7),
                   help="Sobel aperture size (3)")
    p.add_argument("--l2", action="store_true", help="use the L2 gradient magnitude")
    p.add_argument("--blur", type=float, default=None, metavar="SIGMA",
                   help="Gaussian-blur with this sigma first")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Run ``glassnet edges``; returns the exit code (0 ok, 1 bad input)."""
    from glassnet.cv import canny, read_image, write_image

    source = Path(args.image)
    if not source.is_file():
        print(f"glassnet edges: error: image not found: {source}", file=sys.stderr)
        return 1
    output = Path(args.output) if args.output else source.with_name(f"{source.stem}_edges.png")
    try:
        image = read_image(source)
        if image.ndim == 3:
            # cv2.imread gives BGR without alpha; use the same channel order so that
            # ties between channels resolve exactly as in cv2.Canny.
            image = image[..., 2::-1]
        edges = canny(image, args.low, args.high, aperture_size=args.aperture,
                      l2_gradient=args.l2, sigma=args.blur)
        write_image(output, edges)
    except (ValueError, TypeError, FileNotFoundError) as exc:
        print(f"glassnet edges: error: {exc}", file=sys.stderr)
        return 1
    count = int((edges > 0).sum())
    print(f"{output}: {count} edge pixels ({100.0 * count / edges.size:.2f}% of "
          f"{edges.shape[1]}x{edges.shape[0]}), thresholds {args.low:g}/{args.high:g}")
    return 0
