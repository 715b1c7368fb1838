"""Compress a training checkpoint (``glassnet train``'s ``last.ckpt``) with the Deep
Compression pipeline: what ``glassnet compress CKPT`` runs."""
from __future__ import annotations

import numpy as np

__all__ = ["parse_per_layer", "checkpoint_arrays", "compress_checkpoint"]


def parse_per_layer(spec, layers, what: str, cast=float) -> dict:
    """``"0.9"`` -> every layer 0.9; ``"fc1=0.92,fc2=0.91"`` -> those layers only.

    Raises ValueError naming ``what`` (the option) for an unknown layer or a bad value.
    """
    text = str(spec).strip()
    try:
        if "=" not in text:
            value = cast(text)
            return {name: value for name in layers}
        out = {}
        for part in text.split(","):
            name, _, value = part.partition("=")
            name = name.strip()
            if name not in layers:
                raise ValueError(f"compress: {what} names layer {name!r}, which is not a "
                                 f"Linear/Conv2d layer of the model; expected one of "
                                 f"{', '.join(layers)}")
            out[name] = cast(value)
        return out
    except (TypeError, ValueError) as e:
        if "names layer" in str(e):
            raise
        raise ValueError(f"compress: {what} must be a number or NAME=VALUE pairs separated by "
                         f"commas, got {spec!r}") from None


def checkpoint_arrays(meta: dict, data_dir=None, train: bool = True):
    """The split of the checkpoint's dataset as normalised float32 ``(N, C, H, W)`` and int64
    labels (the training transform without augmentation: ToTensor + Normalize)."""
    from glassnet.train.recipe import DATASETS, _dataset

    name = meta["dataset"]
    if name not in DATASETS or name == "folder":
        raise ValueError(f"compress: the checkpoint's dataset must be one of digits, mnist, "
                         f"fashion-mnist, cifar10, cifar100, got {name!r}")
    root = data_dir or (meta.get("config") or {}).get("data_dir")
    ds = _dataset(name, root, train, None, False)
    x = np.asarray(ds.data._data if hasattr(ds.data, "_data") else ds.data, np.float32) / 255.0
    x = x[:, None] if x.ndim == 3 else x.transpose(0, 3, 1, 2)
    mean = np.asarray(meta["mean"], np.float32).reshape(1, -1, 1, 1)
    std = np.asarray(meta["std"], np.float32).reshape(1, -1, 1, 1)
    t = ds.targets
    y = np.asarray(t._data if hasattr(t, "_data") else t, np.int64)
    return ((x - mean) / std).astype(np.float32), y


def compress_checkpoint(path, prune="0.9", bits="5", index_bits: int = 5, data_dir=None,
                        prune_steps: int = 3, retrain_epochs: int = 1,
                        finetune_epochs: int = 1, lr: float = 1e-3, batch_size: int = 128,
                        max_shift: int = 0, train_limit: int | None = None, out=None,
                        log=print) -> dict:
    """Prune, weight-share and Huffman-code the model of checkpoint ``path``.

    ``prune`` and ``bits`` are one value for every Linear/Conv2d layer or ``NAME=VALUE``
    pairs; ``out`` (optional) receives the compressed model's state_dict (safetensors).
    Returns :func:`~glassnet.quantization.deep_compression.deep_compress`'s record.
    """
    import glassnet as gn
    from glassnet.quantization.deep_compression import compressible_layers, deep_compress
    from glassnet.train.recipe import load_checkpoint_model

    model, meta = load_checkpoint_model(path)
    layers = list(compressible_layers(model))
    amounts = parse_per_layer(prune, layers, "--prune", float)
    bits_d = parse_per_layer(bits, layers, "--bits", int)
    for name, a in amounts.items():
        if not 0 <= a < 1:
            raise ValueError(f"compress: --prune for {name} must be in [0, 1), got {a}")
    for name, b in bits_d.items():
        if not 1 <= b <= 16:
            raise ValueError(f"compress: --bits for {name} must be in 1..16, got {b}")
    for name in layers:  # a layer named in --prune only is still weight-shared, at 8 bits
        bits_d.setdefault(name, 8)
    xtr, ytr = checkpoint_arrays(meta, data_dir, True)
    xte, yte = checkpoint_arrays(meta, data_dir, False)
    if train_limit is not None:
        xtr, ytr = xtr[:train_limit], ytr[:train_limit]
    r = deep_compress(model, (xtr, ytr), (xte, yte), amounts, bits_d, index_bits,
                      prune_steps=prune_steps, retrain_epochs=retrain_epochs,
                      finetune_epochs=finetune_epochs, retrain_lr=lr, finetune_lr=lr / 10,
                      batch_size=batch_size, max_shift=max_shift, log=log)
    r["model"] = meta["model"]
    r["dataset"] = meta["dataset"]
    if out is not None:
        gn.save(model.state_dict(), out)
        r["out"] = str(out)
    return r
