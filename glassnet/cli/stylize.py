"""``glassnet stylize CONTENT STYLE --out out.png``: neural style transfer (Gatys 2016)."""
from __future__ import annotations

import argparse
import sys


def register(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "stylize", help="neural style transfer of an image",
        description="Optimise an image whose VGG-19 features match CONTENT and whose Gram "
        "matrices match STYLE (Gatys, Ecker & Bethge 2016). With --weights (torchvision's "
        "vgg19 state_dict as .safetensors, loaded strictly) the features are ImageNet "
        "VGG-19's; without, random-weight multi-scale features are used. The output says "
        "which.")
    p.add_argument("content", help="content image file")
    p.add_argument("style", help="style image file")
    p.add_argument("--out", "-o", required=True, help="output image file (PNG)")
    p.add_argument("--weights", default=None, help="torchvision-format VGG-19 weights "
                   "(.safetensors or .pth); default random weights")
    p.add_argument("--size", type=int, default=256,
                   help="longer side of the images, pixels (256)")
    p.add_argument("--steps", type=int, default=100, help="optimiser steps (100)")
    p.add_argument("--optimizer", choices=("lbfgs", "adam"), default="lbfgs")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (1 for L-BFGS, 0.02 for Adam)")
    p.add_argument("--content-weight", type=float, default=1.0)
    p.add_argument("--style-weight", type=float, default=1e5)
    p.add_argument("--tv-weight", type=float, default=1.0)
    p.add_argument("--content-layers", default="relu4_2",
                   help="comma-separated layer names (relu4_2)")
    p.add_argument("--style-layers", default="relu1_1,relu2_1,relu3_1,relu4_1,relu5_1")
    p.add_argument("--init", choices=("content", "noise"), default="content")
    p.add_argument("--pool", choices=("avg", "max"), default="avg",
                   help="pooling in the feature network (avg, as Gatys et al.)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)
    return p


def _progress(total: int, enabled: bool):
    """A callback(step, losses) showing a rich bar, or a line every tenth of the run."""
    if not enabled:
        return (lambda step, losses: None), (lambda: None)
    try:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
    except ImportError:
        every = max(1, total // 10)

        def line(step, losses):
            if step % every == 0 or step == total:
                print(f"step {step}/{total}: loss {losses['total']:.4g}", flush=True)
        return line, (lambda: None)
    bar = Progress(TextColumn("stylize"), BarColumn(), MofNCompleteColumn(),
                   TextColumn("loss {task.fields[loss]}"), transient=True)
    task = bar.add_task("stylize", total=total, loss="-")
    bar.start()
    return (lambda step, losses: bar.update(task, completed=step,
                                            loss=f"{losses['total']:.4g}")), bar.stop


def run(args) -> int:
    from glassnet.apps.style import load_image, save_image, stylize, vgg19_features

    content = load_image(args.content, args.size)
    style = load_image(args.style, args.size)
    extractor = vgg19_features(args.weights, pool=args.pool, seed=args.seed)
    print(f"features: {extractor.source}", flush=True)
    callback, stop = _progress(args.steps, not args.no_progress and sys.stdout.isatty())
    try:
        result = stylize(content, style, extractor,
                         content_layers=[s for s in args.content_layers.split(",") if s],
                         style_layers=[s for s in args.style_layers.split(",") if s],
                         content_weight=args.content_weight, style_weight=args.style_weight,
                         tv_weight=args.tv_weight, steps=args.steps, optimizer=args.optimizer,
                         lr=args.lr, init=args.init, seed=args.seed, callback=callback)
    finally:
        stop()
    save_image(result.image, args.out)
    h0, h1 = result.history[0], result.history[-1]
    print(f"{args.out}: {content.shape[2]}x{content.shape[1]}, {args.steps} {args.optimizer} "
          f"steps ({result.evaluations} evaluations) in {result.seconds:.1f} s; loss "
          f"{h0['total']:.4g} -> {h1['total']:.4g} ({result.loss_reduction:.1f}x lower; "
          f"content {h1['content']:.4g}, style {h1['style']:.4g}, tv {h1['tv']:.4g})")
    print(f"features used: {extractor.source}")
    return 0
