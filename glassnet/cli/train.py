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
    p.add_argument("--device", default="cpu", help="where to train: cpu (default), cuda or "
                   "cuda:N (needs CuPy and a GPU, see glassnet.cuda.is_available())")
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
    p.add_argument("--nproc", type=_positive_int, metavar="N", help="train on N processes "
                   "(data-parallel over MPI: DistributedDataParallel, one BLAS thread each, "
                   "--batch-size per process; needs pip install 'glassnet[mpi]'); under an "
                   "outer 'mpiexec -n N glassnet train ...' the ranks join that group")
    p.add_argument("--no-progress", action="store_true")
    p.add_argument("--max-steps", type=_positive_int,
                   help="stop after N optimiser steps (detection: instead of --minutes)")
    p.set_defaults(func=run, _parser=p)
    return p


def _argv(parser, args) -> list:
    """The command line that gives ``args`` back (re-run by each MPI rank)."""
    argv = []
    for action in parser._actions:
        if not action.option_strings or action.dest in ("help", "nproc"):
            continue
        value = getattr(args, action.dest, None)
        if value is None or value == action.default:
            continue
        flag = action.option_strings[0]
        if isinstance(action, argparse.BooleanOptionalAction):
            argv.append(flag if value else f"--no-{flag[2:]}")
        elif value is True:
            argv.append(flag)
        else:
            argv += [flag, str(value)]
    return argv


def _launch(args) -> int:
    from glassnet.distributed.launch import launch

    argv = [sys.executable, "-m", "glassnet", "train", *_argv(args._parser, args)]
    try:
        return launch(args.nproc, argv)
    except RuntimeError as e:
        print(f"glassnet train: error: --nproc: {e}", file=sys.stderr)
        return 1


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

    from glassnet.distributed.launch import under_mpiexec

    if args.nproc and args.nproc > 1 and not under_mpiexec():
        return _launch(args)
    if args.tensorboard:
        try:
            import glassnet.utils.tensorboard  # noqa: F401  (the optional package)
        except ImportError as e:
            print(f"glassnet train: error: --tensorboard: {e}", file=sys.stderr)
            return 1
    try:
        _check_device(args.device)
    except (TypeError, ValueError) as e:
        print(f"glassnet train: error: --device {args.device}: {e}", file=sys.stderr)
        return 2
    except RuntimeError as e:  # CUDA not available
        print(f"glassnet train: error: {e}", file=sys.stderr)
        return 2
    cfg = TrainConfig(dataset=args.dataset, model=args.model, data_dir=args.data_dir,
                      epochs=args.epochs, batch_size=args.batch_size, optimizer=args.optimizer,
                      lr=args.lr, weight_decay=args.weight_decay, scheduler=args.scheduler,
                      augment=args.augment, seed=args.seed, out=args.out, resume=args.resume,
                      early_stopping=args.early_stopping, clip_grad_norm=args.clip_grad_norm,
                      freeze=args.freeze, val_fraction=args.val_fraction,
                      num_workers=args.workers, progress=not args.no_progress,
                      max_steps=args.max_steps, download=args.download,
                      log_stats=args.log_stats, tensorboard=args.tensorboard,
                      distributed=under_mpiexec(),
                      device=args.device)
    try:
        run_training(cfg)
    except TrainingInterrupted as e:
        hint = f"; resume with: glassnet train ... --resume {e.path}" if e.path else ""
        print(f"{e}{hint}", file=sys.stderr)
        return 128 + (e.signal or 2)  # 130 after Ctrl-C, 143 after SIGTERM (shell habit)
    except TrainingDiverged as e:
        last = os.path.join(cfg.out, "last.ckpt") if cfg.out else None
        kept = (f"; the last good checkpoint is {last}" if last and os.path.exists(last)
                else "; no checkpoint was written")
        print(f"glassnet train: error: {e}{kept}", file=sys.stderr)
        return 1
    return 0


def _check_device(name: str) -> None:
    """Raise (ValueError, RuntimeError) unless tensors can be put on device ``name``."""
    from glassnet.backend import resolve_device

    resolve_device(name, f"--device {name}")
