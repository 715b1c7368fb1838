"""The Deep Compression pipeline (Han, Mao and Dally, ICLR 2016, arXiv:1510.00149):
iterative magnitude pruning with retraining, k-means weight sharing with centroid
fine-tuning, and Huffman coding, with the storage and accuracy of every stage.

The stages act on a model's ``Linear`` and ``Conv2d`` layers (named as in
``named_modules``) and on in-memory data (float32 ``(N, C, H, W)`` arrays, int64 labels):

1. :func:`prune_iteratively` -- ``steps`` rounds of ``l1_unstructured`` pruning (each round
   a :class:`~glassnet.nn.utils.prune.PruningContainer` step reaching a growing fraction
   of the target sparsity of each layer), each followed by retraining;
2. :func:`share_weights` -- per-layer k-means to ``2**bits - 1`` shared values, then
   centroid fine-tuning (only the codebooks train);
3. :func:`storage_report` -- relative-index storage, codebooks and Huffman coding of
   each layer (:mod:`glassnet.quantization.storage`), decoded back and checked.

:func:`deep_compress` runs the three stages and returns one record per stage.
"""
from __future__ import annotations

import time

import numpy as np

__all__ = ["fit", "evaluate", "random_shift", "compressible_layers", "prune_iteratively",
           "share_weights", "storage_report", "pruned_storage_bits", "deep_compress"]


def _nn():
    from glassnet import nn

    return nn


def compressible_layers(model) -> dict:
    """``{name: module}`` of the Linear and Conv2d layers of ``model`` (in order)."""
    nn = _nn()
    return {n: m for n, m in model.named_modules() if isinstance(m, (nn.Linear, nn.Conv2d))}


def random_shift(x: np.ndarray, max_shift: int, rng) -> np.ndarray:
    """Translate each image of ``x`` ``(N, C, H, W)`` by a random integer offset in
    ``[-max_shift, max_shift]`` per axis, filling with each image's corner value
    (vectorised: one gather)."""
    if max_shift <= 0:
        return x
    n, c, h, w = x.shape
    s = max_shift
    pad = np.pad(x, ((0, 0), (0, 0), (s, s), (s, s)), mode="edge")
    dy = rng.integers(0, 2 * s + 1, n)
    dx = rng.integers(0, 2 * s + 1, n)
    rows = (dy[:, None] + np.arange(h))[:, None, :, None]
    cols = (dx[:, None] + np.arange(w))[:, None, None, :]
    return pad[np.arange(n)[:, None, None, None], np.arange(c)[None, :, None, None], rows, cols]


def evaluate(model, x: np.ndarray, y: np.ndarray, batch_size: int = 1000) -> float:
    """Accuracy of ``model`` on ``(x, y)`` in eval mode (the mode is restored)."""
    import glassnet as gn

    was = model.training
    model.eval()
    hits = 0
    with gn.no_grad():
        for i in range(0, len(x), batch_size):
            logits = model(gn.tensor(x[i:i + batch_size]))
            hits += int((logits._data.argmax(1) == y[i:i + batch_size]).sum())
    model.train(was)
    return hits / len(x)


def fit(model, x, y, epochs: int, lr: float, batch_size: int = 128, weight_decay: float = 0.0,
        max_shift: int = 0, seed: int = 0, params=None, log=None, desc: str = "") -> list:
    """Train with Adam and a cosine learning-rate decay to 0; returns the per-epoch mean
    training losses.  ``params`` (default: every parameter) selects what trains;
    ``max_shift`` > 0 adds random-translation augmentation."""
    import glassnet as gn
    from glassnet import optim
    from glassnet.nn import functional as F

    if epochs <= 0:
        return []
    params = list(model.parameters()) if params is None else list(params)
    opt = optim.Adam(params, lr=lr, weight_decay=weight_decay)
    steps = epochs * int(np.ceil(len(x) / batch_size))
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=steps)
    rng = np.random.default_rng(seed)
    model.train()
    losses = []
    for epoch in range(epochs):
        t0 = time.perf_counter()
        order = rng.permutation(len(x))
        total = 0.0
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            xb = random_shift(x[idx], max_shift, rng)
            loss = F.cross_entropy(model(gn.tensor(xb)), gn.tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss.item()) * len(idx)
        losses.append(total / len(x))
        if log is not None:
            log(f"{desc} epoch {epoch + 1}/{epochs}: loss {losses[-1]:.4f} "
                f"({time.perf_counter() - t0:.1f} s)")
    return losses


def _check_layers(model, per_layer: dict, what: str) -> dict:
    layers = compressible_layers(model)
    unknown = sorted(set(per_layer) - set(layers))
    if unknown:
        raise ValueError(f"deep_compress: {what} names layers {unknown} that are not Linear/"
                         f"Conv2d layers of the model; expected some of {list(layers)}")
    return layers


def prune_iteratively(model, amounts: dict, steps: int, retrain, log=None) -> list:
    """Prune each layer ``name`` of ``amounts`` to the final fraction ``amounts[name]`` of
    zero weights in ``steps`` rounds, calling ``retrain(round)`` after each round.

    The kept fraction shrinks geometrically: after round ``r`` a layer keeps
    ``(1 - amount) ** (r / steps)`` of its weights, so every round removes the same share of
    the weights still there (a linear schedule would remove most of them in the last
    round: 37% -> 6% for a 94% target in three rounds).

    Returns the records ``{"round", "sparsity": {name: fraction}}``.
    """
    from glassnet.nn.utils import prune

    layers = _check_layers(model, amounts, "amounts")
    records = []
    for r in range(1, steps + 1):
        sparsity = {}
        for name, frac in amounts.items():
            m = layers[name]
            n = m.weight.numel()
            target = int(round((1 - (1 - frac) ** (r / steps)) * n))
            already = int((m.weight_mask._data == 0).sum()) if hasattr(m, "weight_mask") else 0
            # an int amount counts entries among the still-unpruned ones
            prune.l1_unstructured(m, "weight", amount=max(target - already, 0))
            sparsity[name] = float((m.weight_mask._data == 0).mean())
        if log is not None:
            log(f"pruning round {r}/{steps}: " + ", ".join(
                f"{k} {100 * v:.1f}%" for k, v in sparsity.items()))
        retrain(r)
        records.append({"round": r, "sparsity": sparsity})
    return records


def share_weights(model, bits: dict, init: str = "linear") -> None:
    """k-means weight sharing of each layer in ``bits`` (``{name: bits}``); a pruned layer's
    pruning becomes permanent and its zeros stay zero."""
    from glassnet.quantization.weight_sharing import apply_weight_sharing

    layers = _check_layers(model, bits, "bits")
    for name, b in bits.items():
        apply_weight_sharing(layers[name], "weight", bits=int(b), init=init)


def _extra_numel(m, skip: str = "weight") -> int:
    return sum(int(p.numel()) for n, p in m._parameters.items()
               if p is not None and not n.startswith(skip))


def storage_report(model, bits: dict, index_bits) -> dict:
    """Storage of every layer of ``bits`` after :func:`share_weights` (codes = label + 1,
    0 for zero), with Huffman coding, decoded back and checked; other parameters of the
    model count at 32 bits (as an ``uncompressed`` row)."""
    from glassnet.quantization.storage import compression_table, layer_storage

    layers = _check_layers(model, bits, "bits")
    rows, seen = [], set()
    for name, b in bits.items():
        m = layers[name]
        ib = index_bits[name] if isinstance(index_bits, dict) else index_bits
        codes = m.weight_labels._data + 1
        rows.append(layer_storage(name, codes, int(b), int(ib), extra_numel=_extra_numel(m)))
        seen.update(id(p) for p in m.parameters())
    rest = sum(int(p.numel()) for p in model.parameters() if id(p) not in seen)
    table = compression_table(rows)
    table["original_bits"] += 32 * rest
    table["pq_bits"] += 32 * rest
    table["pqh_bits"] += 32 * rest
    table["ratio_pq"] = table["original_bits"] / table["pq_bits"]
    table["ratio_pqh"] = table["original_bits"] / table["pqh_bits"]
    table["uncompressed_params"] = rest
    return table


def pruned_storage_bits(model, index_bits) -> dict:
    """Sizes after pruning only: every stored entry (nonzero or padding) holds a float32
    value and an ``index_bits`` relative index; dense layers and other parameters count at
    32 bits per value."""
    from glassnet.quantization.storage import relative_index_encode

    layers = compressible_layers(model)
    orig = 32 * sum(int(p.numel()) for p in model.parameters())
    comp = orig
    for name, m in layers.items():
        if not hasattr(m, "weight_mask"):
            continue
        ib = index_bits[name] if isinstance(index_bits, dict) else index_bits
        diffs, _ = relative_index_encode(m.weight_mask._data, int(ib))
        comp += diffs.size * (32 + int(ib)) - 32 * int(m.weight_mask._data.size)
    return {"original_bits": orig, "compressed_bits": comp, "ratio": orig / comp}


def deep_compress(model, train, test, amounts: dict, bits: dict, index_bits=5,
                  prune_steps: int = 3, retrain_epochs: int = 2, finetune_epochs: int = 1,
                  lr: float = 1e-3, retrain_lr: float = 3e-4, finetune_lr: float = 1e-4,
                  batch_size: int = 128, max_shift: int = 0, init: str = "linear",
                  seed: int = 0, log=None) -> dict:
    """Prune, share weights and Huffman-code a trained ``model`` in place.

    Parameters
    ----------
    model : Module
        Trained (the reference accuracy is measured first).
    train, test : tuple of arrays ``(x, y)``
    amounts : dict ``{layer: fraction pruned}``
    bits : dict ``{layer: bits per weight index}``
    index_bits : int or dict
        Bits per relative-index difference.
    prune_steps, retrain_epochs : int
        Pruning rounds and the epochs of retraining after each.
    finetune_epochs : int
        Epochs of centroid fine-tuning after weight sharing.

    Returns
    -------
    dict
        ``stages``: one record per stage (``name``, ``accuracy``, ``error``, ``ratio``,
        ``seconds``), plus ``pruning`` (per-round sparsities), ``storage`` (the P+Q+H
        table) and ``layers``.
    """
    t_all = time.perf_counter()
    xtr, ytr = train
    xte, yte = test
    stages = []

    def record(name, ratio, t0, **extra):
        acc = evaluate(model, xte, yte)
        stages.append({"name": name, "accuracy": acc, "error": 1 - acc, "ratio": ratio,
                       "seconds": round(time.perf_counter() - t0, 1), **extra})
        if log is not None:
            log(f"{name}: test error {100 * (1 - acc):.2f}%, compression {ratio:.1f}x "
                f"({stages[-1]['seconds']} s)")

    record("reference", 1.0, time.perf_counter())

    # Pruning with retraining
    t0 = time.perf_counter()

    def retrain(r):
        fit(model, xtr, ytr, retrain_epochs, retrain_lr, batch_size, max_shift=max_shift,
            seed=seed + 100 + r, log=log, desc=f"retrain {r}")

    rounds = prune_iteratively(model, amounts, prune_steps, retrain, log=log)
    record("pruned", pruned_storage_bits(model, index_bits)["ratio"], t0)

    # Weight sharing: k-means, then centroid fine-tuning
    t0 = time.perf_counter()
    share_weights(model, bits, init=init)
    before = evaluate(model, xte, yte)
    # every parameter left is a codebook or an uncompressed one (biases): all train
    fit(model, xtr, ytr, finetune_epochs, finetune_lr, batch_size, max_shift=max_shift,
        seed=seed + 200, log=log, desc="centroid fine-tuning")
    table = storage_report(model, bits, index_bits)
    record("quantized", table["ratio_pq"], t0, accuracy_before_finetune=before)

    # Huffman coding (lossless: same weights, same accuracy)
    t0 = time.perf_counter()
    record("huffman", table["ratio_pqh"], t0)
    layers = {}
    for row in table["layers"]:
        layers[row["name"]] = {"density": row["density"], "bits": row["bits"],
                               "avg_weight_bits_huffman": row["avg_weight_bits_huffman"],
                               "index_bits": row["index_bits"],
                               "avg_index_bits_huffman": row["avg_index_bits_huffman"],
                               "pq_percent": 100 * row["pq_bits"] / row["original_bits"],
                               "pqh_percent": 100 * row["pqh_bits"] / row["original_bits"]}
    return {"stages": stages, "pruning": rounds, "storage": table, "layers": layers,
            "seconds": round(time.perf_counter() - t_all, 1)}
