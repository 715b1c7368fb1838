"""``glassnet eval CKPT``: metrics, a confusion-matrix table and PNG for a checkpoint."""
from __future__ import annotations

import os


def register(sub):
    p = sub.add_parser("eval", help="evaluate a checkpoint on its dataset's test split")
    p.add_argument("checkpoint")
    p.add_argument("--data-dir", help="dataset folder (default: the one used for training)")
    p.add_argument("--split", choices=("test", "train"), default="test")
    p.add_argument("-o", "--output", help="confusion-matrix PNG path (default: next to the "
                   "checkpoint)")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from glassnet.inspect.plots import plot_confusion_matrix
    from glassnet.train import classification_report
    from glassnet.train.recipe import evaluate_checkpoint

    metrics, cm, meta = evaluate_checkpoint(args.checkpoint, args.data_dir, args.split)
    classes = meta.get("classes") or None
    print(f"{meta['model']} on {meta['dataset']} ({args.split}): accuracy "
          f"{metrics['accuracy']:.4f}, loss {metrics['loss']:.4f}, macro F1 "
          f"{metrics['macro_f1']:.4f}")
    print(classification_report(cm, classes))
    names = [str(c) for c in (classes or range(cm.shape[0]))]
    w = max(5, max(len(n) for n in names), len(str(cm.max())) + 1)
    print("confusion matrix (rows: true, columns: predicted)")
    print(" " * w + "".join(f"{n:>{w}}" for n in names))
    for n, row in zip(names, cm):
        print(f"{n:>{w}}" + "".join(f"{v:>{w}}" for v in row))
    out = args.output or os.path.join(os.path.dirname(os.path.abspath(args.checkpoint)),
                                      f"confusion_matrix_{args.split}.png")
    try:
        plot_confusion_matrix(cm, out, classes, title=f"{meta['model']} on {meta['dataset']}")
    except ImportError as exc:  # matplotlib is optional (glassnet[all])
        print(exc)
        return 0
    print(f"wrote {out}")
    return 0
