"""``glassnet predict CKPT IMAGE...``: top-k classes for image files."""
from __future__ import annotations

import os


def register(sub):
    p = sub.add_parser("predict", help="classify image files with a checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("images", nargs="+")
    p.add_argument("-k", "--topk", type=int, default=3)
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from glassnet.train.recipe import predict_images

    for path in args.images:
        if not os.path.exists(path):
            raise FileNotFoundError(f"image not found: {path}")
    results = predict_images(args.checkpoint, args.images, args.topk)
    for path, top in zip(args.images, results):
        print(f"{path}: " + ", ".join(f"{c} {p:.3f}" for c, p in top))
    return 0
