"""``glassnet train``: train a model on a dataset (defaults per dataset)."""
from __future__ import annotations

import argparse
import os
import sys


def _positive_int(s):
    v = int(s)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {s}")
    return v


def _positive_float(s):
    v = float(s)
    if not v > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {s}")
    return v


def register(sub):
    from glassnet.train.recipe import DATASETS, OPTIMIZERS, SCHEDULERS

    p = sub.add_parser("train", help="train a model", description="Train a model. Defaults "
                       "depend on --dataset (digits: small_cnn, 12 epochs, offline).")
    p.add_argument("--model", help="model name (glassnet.models.list_models())")
    p.add_argument("--task", choices=("classification", "detection"), default="classification",
                   help="detection: --model retinanet_small|fasterrcnn_small on "
                   "--dataset mnist-detection (digit scenes from the MNIST files in --data-dir)")
    p.add_argument("--dataset", default="digits", choices=list(DATASETS) + ["mnist-detection"])
    p.add_argument("--minutes", type=_positive_float, help="detection: training time budget "
                   "(default 20, or --max-steps)")
    p.add_argument("--eval-images", type=_positive_int, default=500,
                   help="detection: test scenes for the final mAP (500)")
    p.add_argument("--data-dir", help="folder with the dataset files (MNIST IDX, CIFAR "
                   "batches, or an image folder)")
    p.add_argument("--download", action="store_true", help="download the dataset if missing")
    p.add_argument("--epochs", type=_positive_int)
    p.add_argument("--batch-size", type=_positive_int)
    p.add_argument("--optimizer", choices=OPTIMIZERS)
    p.add_argument("--lr", type=_positive_float)
    p.add_argument("--weight-decay", type=float)
    p.add_argument("--scheduler", choices=SCHEDULERS)
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None,
                   help="random crops/flips/affine (default: on for MNIST-sized and CIFAR "
                   "sets, off for digits)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="output directory (default runs/<dataset>-<model>-<time>)")
    p.add_argument("--resume", metavar="CKPT", help="resume from a checkpoint")
    p.add_argument("--early-stopping", type=_positive_int, metavar="N",
                   help="stop after N epochs without validation-loss improvement")
    p.add_argument("--clip-grad-norm", type=_positive_float, metavar="X")
    p.add_argument("--freeze", metavar="PATTERN", help="freeze parameters matching "
                   "comma-separated name patterns, e.g. 'features.*'")
    p.add_argument("--val-fraction", type=float, default=0.1)
    p.add_argument("--workers", type=int, default=0, help="data-loading threads")
    p.add_argument("--log-stats", action="store_true", help="write activation and gradient "
                   "statistics per epoch (JSON + PNG) to OUT/stats/")
    p.add_argument("--tensorboard", metavar="DIR", help="write TensorBoard event files to DIR: "
                   "losses, metrics and learning rate per step and epoch, activation "
                   "histograms and gradient norms per layer and epoch (needs "
                   "pip install 'glassnet[tensorboard]'; view with tensorboard --logdir DIR)")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--max-steps", type=_positive_int,
                   help="stop after N optimiser steps (detection: instead of --minutes)")
    p.set_defaults(func=run)
    return p


def _run_detection(args) -> int:
    from glassnet.train.detection import DETECTION_MODELS, run_detection_training

    if args.dataset != "mnist-detection":
        raise ValueError(f"--task detection needs --dataset mnist-detection, got {args.dataset}")
    if args.model not in DETECTION_MODELS:
        raise ValueError(f"--task detection: --model must be one of "
                         f"{', '.join(DETECTION_MODELS)}, got {args.model}")
    run_detection_training(args.model, data_dir=args.data_dir, out=args.out,
                           steps=args.max_steps, minutes=args.minutes,
                           batch_size=args.batch_size or 8, lr=args.lr or 3e-3, seed=args.seed,
                           eval_images=args.eval_images)
    return 0


def run(args) -> int:
    if args.task == "detection" or args.dataset == "mnist-detection":
        return _run_detection(args)
    from glassnet.train.recipe import TrainConfig, run_training
    from glassnet.train.trainer import TrainingDiverged, TrainingInterrupted

    if args.tensorboard:
        try:
            import glassnet.utils.tensorboard  # noqa: F401  (the optional package)
        except ImportError as e:
            print(f"glassnet train: error: --tensorboard: {e}", file=sys.stderr)
            return 1
    cfg = TrainConfig(dataset=args.dataset, model=args.model, data_dir=args.data_dir,
                      epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
                      lr=args.lr, weight_decay=args.weight_decay, scheduler=args.scheduler,
                      augment=args.augment, seed=args.seed, out=args.out, resume=args.resume,
                      early_stopping=args.early_stopping, clip_grad_norm=args.clip_grad_norm,
                      freeze=args.freeze, val_fraction=args.val_fraction,
                      num_workers=args.workers, progress=not args.no_progress,
                      max_steps=args.max_steps, download=args.download,
                      log_stats=args.log_stats, tensorboard=args.tensorboard)
    try:
        run_training(cfg)
    except TrainingInterrupted as e:
        print(f"{e}; resume with: glassnet train ... --resume {e.path}", file=sys.stderr)
        return 130
    except TrainingDiverged as e:
        last = os.path.join(cfg.out, "last.ckpt") if cfg.out else None
        kept = (f"; the last good checkpoint is {last}" if last and os.path.exists(last)
                else "; no checkpoint was written")
        print(f"glassnet train: error: {e}{kept}", file=sys.stderr)
        return 1
    return 0
