"""``glassnet summary MODEL --input 3x224x224``: layers, shapes, parameters, MACs,
receptive field."""
from __future__ import annotations


def _size(s):
    try:
        dims = tuple(int(v) for v in s.lower().split("x"))
    except ValueError:
        raise ValueError(f"--input must look like 3x224x224, got {s!r}") from None
    return dims


def register(sub):
    p = sub.add_parser("summary", help="layer table: shapes, parameters, MACs, receptive field")
    p.add_argument("model", help="model name (see --list)", nargs="?")
    p.add_argument("--input", default=None, help="per-sample input size, e.g. 3x224x224")
    p.add_argument("--num-classes", type=int, default=None)
    p.add_argument("--list", action="store_true", help="list the model names")
    p.set_defaults(func=run)
    return p


def run(args) -> int:
    from glassnet.inspect import summary
    from glassnet.models import get_model, list_models

    if args.list or not args.model:
        print("\n".join(list_models()))
        return 0
    kwargs = {} if args.num_classes is None else {"num_classes": args.num_classes}
    model = get_model(args.model, **kwargs)
    size = _size(args.input) if args.input else _default_input(args.model)
    print(summary(model, size))
    return 0


def _default_input(name):
    if name.startswith(("lenet", "mlp", "highway")):
        return (1, 28, 28) if not name.startswith("mlp") else (1, 8, 8)
    if name.startswith(("resnet", "plain", "preact_resnet", "wrn", "wide_resnet_cifar",
                        "resnext29", "small_cnn")) and not name.startswith(
            ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
             "preact_resnet18", "preact_resnet34", "preact_resnet50")):
        return (3, 32, 32)
    return (3, 224, 224)
