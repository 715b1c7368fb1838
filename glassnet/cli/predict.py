"""``glassnet predict CKPT IMAGE...``: top-k classes for image files, or, with a detection
checkpoint (``glassnet train --task detection``), the image with its boxes drawn (PNG)."""
from __future__ import annotations

import os


def register(sub):
    p = sub.add_parser("predict", help="classify image files (or detect digits) with a checkpoint")
    p.add_argument("checkpoint")
    p.add_argument("images", nargs="+")
    p.add_argument("-k", "--topk", type=int, default=3)
    p.add_argument("--out", help="detection checkpoints: where to write the image with its "
                   "boxes (PNG; default IMAGE stem + '_boxes.png')")
    p.add_argument("--score-thresh", type=float, default=0.5,
                   help="detection checkpoints: smallest score drawn (0.5)")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from glassnet.train.recipe import predict_images

    for path in args.images:
        if not os.path.exists(path):
            raise FileNotFoundError(f"image not found: {path}")
    if _is_detection(args.checkpoint):
        return _detect(args)
    results = predict_images(args.checkpoint, args.images, args.topk)
    for path, top in zip(args.images, results):
        print(f"{path}: " + ", ".join(f"{c} {p:.3f}" for c, p in top))
    return 0


def _is_detection(path) -> bool:
    from glassnet.serialization import load

    try:
        state = load(path)
    except (ValueError, OSError):
        return False
    return isinstance(state, dict) and state.get("task") == "detection"


def _detect(args) -> int:
    from glassnet.train.detection import draw_detections

    for path in args.images:
        stem = os.path.splitext(path)[0]
        out = args.out if args.out and len(args.images) == 1 else f"{stem}_boxes.png"
        found = draw_detections(args.checkpoint, path, out, args.score_thresh)
        shown = ", ".join(f"{lab} {s:.2f} [{b[0]:.0f},{b[1]:.0f},{b[2]:.0f},{b[3]:.0f}]"
                          for lab, s, b in found)
        print(f"{path}: {len(found)} digits -> {out}" + (f": {shown}" if shown else ""))
    return 0
