"""``glassnet export CKPT --onnx out.onnx``: a training checkpoint as an ONNX model."""
from __future__ import annotations


def register(sub):
    p = sub.add_parser("export", help="export a checkpoint's model to ONNX")
    p.add_argument("checkpoint")
    p.add_argument("--onnx", required=True, metavar="PATH", help="the .onnx file to write")
    p.add_argument("--batch", type=int, default=1, help="batch size of the traced example "
                   "input (default 1; the batch axis stays dynamic)")
    p.add_argument("--opset", type=int, default=17, help="ONNX opset version (default 17)")
    p.add_argument("--static-batch", action="store_true", help="fix the batch axis")
    p.add_argument("--no-check", action="store_true", help="skip the onnxruntime check")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from glassnet.onnx._checkpoint import export_checkpoint

    info = export_checkpoint(args.checkpoint, args.onnx, batch_size=args.batch,
                             opset_version=args.opset, dynamic_batch=not args.static_batch,
                             check=not args.no_check)
    print(f"wrote {info['path']}: {info['model']}, input {info['input_shape']}"
          f"{' (dynamic batch)' if not args.static_batch else ''}, {info['nodes']} ONNX nodes")
    if "max_abs_diff" in info:
        print(f"onnxruntime vs glassnet on a batch of {info['check_batch']}: max abs diff "
              f"{info['max_abs_diff']:.3g}")
    return 0
