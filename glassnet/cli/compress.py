"""``glassnet compress CKPT --prune 0.9 --bits 5``: Deep Compression of a checkpoint
(pruning + retraining, k-means weight sharing + fine-tuning, Huffman coding), with the
test error and compression ratio of every stage."""
from __future__ import annotations

import json


def register(sub):
    p = sub.add_parser("compress", help="prune, weight-share and Huffman-code a checkpoint")
    p.add_argument("checkpoint", help="a training checkpoint (glassnet train's last.ckpt)")
    p.add_argument("--prune", default="0.9", help="fraction of weights pruned: one value for "
                   "every Linear/Conv2d layer or NAME=VALUE pairs (fc1=0.92,fc2=0.91)")
    p.add_argument("--bits", default="5", help="bits per shared-weight index (one value or "
                   "NAME=VALUE pairs; layers not named get 8)")
    p.add_argument("--index-bits", type=int, default=5, help="bits per relative-index "
                   "difference (default 5)")
    p.add_argument("--prune-steps", type=int, default=3, help="pruning rounds (default 3)")
    p.add_argument("--retrain-epochs", type=int, default=1, help="epochs after each round")
    p.add_argument("--finetune-epochs", type=int, default=1, help="centroid fine-tuning epochs")
    p.add_argument("--lr", type=float, default=1e-3, help="retraining learning rate (Adam)")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--train-limit", type=int, default=None, help="use the first N training "
                   "images only")
    p.add_argument("--data-dir", help="dataset folder (default: the one used for training)")
    p.add_argument("-o", "--output", help="write the compressed state_dict (safetensors)")
    p.add_argument("--json", help="write the stage records as JSON")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from glassnet.quantization.checkpoint import compress_checkpoint

    r = compress_checkpoint(args.checkpoint, prune=args.prune, bits=args.bits,
                            index_bits=args.index_bits, data_dir=args.data_dir,
                            prune_steps=args.prune_steps, retrain_epochs=args.retrain_epochs,
                            finetune_epochs=args.finetune_epochs, lr=args.lr,
                            batch_size=args.batch_size, train_limit=args.train_limit,
                            out=args.output, log=print)
    print(f"{r['model']} on {r['dataset']} (test split)")
    print(f"{'stage':<10} {'error':>8} {'ratio':>8} {'time (s)':>9}")
    for st in r["stages"]:
        print(f"{st['name']:<10} {100 * st['error']:>7.2f}% {st['ratio']:>7.1f}x "
              f"{st['seconds']:>9.1f}")
    print(f"{'layer':<10} {'density':>8} {'bits':>5} {'huffman bits':>13} {'index bits':>11}")
    for name, row in r["layers"].items():
        print(f"{name:<10} {100 * row['density']:>7.1f}% {row['bits']:>5} "
              f"{row['avg_weight_bits_huffman']:>13.2f} {row['avg_index_bits_huffman']:>11.2f}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({k: v for k, v in r.items()}, f, indent=2, default=float)
        print(f"wrote {args.json}")
    if args.output:
        print(f"wrote {args.output}")
    return 0
