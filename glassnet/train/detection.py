"""Training and evaluation of the detectors on MNISTDetection: the library behind
``glassnet train --task detection`` and the ``detection`` experiment.

Batches are drawn from the dataset's deterministic scenes (``scene(i)`` arrays, no PIL),
the optimiser is Adam with a linear warm-up and a cosine decay over the budget (a number
of steps, or of minutes), gradients are clipped at norm 10; evaluation is COCO mAP
(:class:`~glassnet.train.detection_metrics.MeanAveragePrecision`) on the test scenes and
images/s of inference.
"""
from __future__ import annotations

import math
import time

import numpy as np

__all__ = ["DETECTION_MODELS", "build_detector", "detection_batch", "train_detector",
           "evaluate_detector", "label_offset", "run_detection_training", "load_detector",
           "draw_detections"]

DETECTION_MODELS = ("retinanet_small", "fasterrcnn_small")


def build_detector(name: str, **kwargs):
    """``retinanet_small`` (10 classes) or ``fasterrcnn_small`` (10 + background)."""
    from glassnet.vision.models import detection

    if name not in DETECTION_MODELS:
        raise ValueError(f"build_detector: model must be one of {DETECTION_MODELS}, got "
                         f"{name!r}")
    return getattr(detection, name)(**kwargs)


def label_offset(model) -> int:
    """1 for a model whose label 0 is the background (Faster R-CNN), else 0."""
    from glassnet.vision.models.detection import FasterRCNN

    return 1 if isinstance(model, FasterRCNN) else 0


def detection_batch(dataset, indices, offset: int = 0):
    """Scenes ``indices`` as an ``(N, 1, H, W)`` float32 Tensor in [0, 1] and targets
    ``[{"boxes", "labels" + offset}]``."""
    from glassnet import from_numpy

    images, targets = [], []
    for i in indices:
        image, boxes, labels = dataset.scene(int(i))
        images.append(image)
        targets.append({"boxes": boxes, "labels": labels + offset})
    x = np.stack(images)[:, None].astype(np.float32) / np.float32(255.0)
    return from_numpy(x), targets


def evaluate_detector(model, dataset, limit: int | None = None, batch_size: int = 32) -> dict:
    """COCO mAP of ``model`` on the first ``limit`` scenes of ``dataset``, and images/s."""
    from glassnet.train.detection_metrics import MeanAveragePrecision

    offset = label_offset(model)
    n = len(dataset) if limit is None else min(limit, len(dataset))
    metric = MeanAveragePrecision()
    was_training = model.training
    model.eval()
    seconds = 0.0
    for start in range(0, n, batch_size):
        idx = range(start, min(n, start + batch_size))
        x, targets = detection_batch(dataset, idx)
        t0 = time.perf_counter()
        preds = model(x)
        seconds += time.perf_counter() - t0
        metric.update([{"boxes": p["boxes"].numpy(), "scores": p["scores"].numpy(),
                        "labels": p["labels"].numpy() - offset} for p in preds], targets)
    model.train(was_training)
    out = {k: float(v) for k, v in metric.compute().items() if v.ndim == 0}
    out["images"] = n
    out["images_per_s"] = n / seconds if seconds > 0 else float("inf")
    return out


def train_detector(model, train_set, *, steps: int | None = None, minutes: float | None = None,
                   batch_size: int = 16, lr: float = 1e-3, warmup: int = 50, seed: int = 0,
                   eval_set=None, eval_every: int | None = None, eval_limit: int = 200,
                   callback=None, log=None) -> dict:
    """Train ``model`` on random scenes of ``train_set`` for ``steps`` or ``minutes``.

    Returns
    -------
    dict
        ``history`` (per step: losses, lr, anchor statistics when the model records
        them), ``evals`` (step, seconds, mAP dict) every ``eval_every`` steps and at the
        end when ``eval_set`` is given, ``steps``, ``seconds``, ``images_per_s``.
    """
    from glassnet import optim
    from glassnet.nn.utils import clip_grad_norm_

    if steps is None and minutes is None:
        raise ValueError("train_detector: give steps or minutes")
    offset = label_offset(model)
    rng = np.random.default_rng(seed)
    params = [p for p in model.parameters() if p.requires_grad]
    opt = optim.Adam(params, lr=lr)
    budget_s = None if minutes is None else 60.0 * minutes
    if steps is not None:  # a short run must not spend itself warming up
        warmup = max(1, min(warmup, steps // 5))
    history, evals = [], []
    model.train()
    train_s = 0.0
    step = 0
    while True:
        if steps is not None and step >= steps:
            break
        if budget_s is not None and train_s >= budget_s:
            break
        frac = step / steps if steps is not None else train_s / budget_s
        scale = min(1.0, (step + 1) / warmup) * 0.5 * (1 + math.cos(math.pi * min(1.0, frac)))
        for g in opt.param_groups:
            g["lr"] = lr * max(scale, 0.02)
        ts = time.perf_counter()
        x, targets = detection_batch(train_set, rng.integers(0, len(train_set), batch_size),
                                     offset)
        losses = model(x, targets)
        total = sum(losses.values())
        opt.zero_grad()
        total.backward()
        clip_grad_norm_(params, 10.0)
        opt.step()
        train_s += time.perf_counter() - ts
        step += 1
        entry = {"step": step, "loss": float(total), "lr": opt.param_groups[0]["lr"],
                 **{k: float(v) for k, v in losses.items()}}
        stats = getattr(model, "last_stats", None) or getattr(getattr(model, "rpn", None),
                                                              "last_stats", None)
        if stats:
            entry["anchor_stats"] = dict(stats)
        history.append(entry)
        if callback is not None:
            callback(entry)
        if eval_set is not None and eval_every and step % eval_every == 0:
            evals.append({"step": step, "train_s": train_s,
                          **evaluate_detector(model, eval_set, eval_limit)})
            if log:
                log(f"step {step}: loss {entry['loss']:.4f}, mAP@.5 "
                    f"{evals[-1]['map_50']:.3f} ({train_s:.0f} s)")
        elif log and step % 50 == 0:
            log(f"step {step}: loss {entry['loss']:.4f} ({train_s:.0f} s, "
                f"{step * batch_size / train_s:.1f} img/s)")
    if eval_set is not None and (not evals or evals[-1]["step"] != step):
        evals.append({"step": step, "train_s": train_s,
                      **evaluate_detector(model, eval_set, eval_limit)})
    return {"history": history, "evals": evals, "steps": step, "seconds": train_s,
            "images_per_s": step * batch_size / train_s if train_s else 0.0}


def run_detection_training(model: str, data_dir=None, out=None, steps: int | None = None,
                           minutes: float | None = None, batch_size: int = 8,
                           lr: float = 3e-3, seed: int = 0, eval_images: int = 500,
                           log=print, **model_kwargs) -> dict:
    """``glassnet train --task detection``: train ``model`` on MNISTDetection, evaluate
    on the test scenes, write ``OUT/detector.safetensors`` (``{"task", "model",
    "model_kwargs", "state_dict"}``) and ``OUT/results.json``."""
    import json
    import os

    import glassnet
    from glassnet.vision.datasets import MNISTDetection

    if steps is None and minutes is None:
        minutes = 20.0
    glassnet.manual_seed(seed)
    detector = build_detector(model, **model_kwargs)
    train_set = MNISTDetection(data_dir, train=True, seed=seed)
    test_set = MNISTDetection(data_dir, train=False, seed=seed)
    budget = f"{steps} steps" if steps is not None else f"{minutes:g} minutes"
    log(f"training {model} on MNISTDetection for {budget} (batch {batch_size}, Adam lr {lr})")
    r = train_detector(detector, train_set, steps=steps, minutes=minutes,
                       batch_size=batch_size, lr=lr, seed=seed, log=log)
    metrics = evaluate_detector(detector, test_set, eval_images)
    log(f"test ({metrics['images']} scenes): mAP@.5 {metrics['map_50']:.3f}, mAP "
        f"{metrics['map']:.3f}, mAR@100 {metrics['mar_100']:.3f}; train "
        f"{r['images_per_s']:.1f} img/s, inference {metrics['images_per_s']:.1f} img/s")
    out = out or os.path.join("runs", f"mnist-detection-{model}-{time.strftime('%Y%m%d-%H%M%S')}")
    os.makedirs(out, exist_ok=True)
    glassnet.save({"task": "detection", "model": model, "model_kwargs": dict(model_kwargs),
                   "state_dict": detector.state_dict()}, os.path.join(out, "detector.safetensors"))
    summary = {"model": model, "steps": r["steps"], "train_seconds": r["seconds"],
               "train_images_per_s": r["images_per_s"], "test": metrics,
               "loss_first": r["history"][0]["loss"], "loss_last": r["history"][-1]["loss"]}
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(summary, f, indent=2)
    log(f"wrote {out}/detector.safetensors and results.json")
    return summary


def load_detector(path):
    """The detector saved by :func:`run_detection_training`, in eval mode."""
    from glassnet.serialization import load

    state = load(path)
    if not isinstance(state, dict) or state.get("task") != "detection":
        raise ValueError(f"load_detector: {path} is not a detection checkpoint (written by "
                         f"glassnet train --task detection)")
    model = build_detector(state["model"], **(state.get("model_kwargs") or {}))
    model.load_state_dict(state["state_dict"])
    return model.eval()


def draw_detections(path, image_path, out_path, score_thresh: float = 0.5) -> list:
    """Detect digits in an image file (grey, any size: resized to 96x96) and write it
    with the boxes drawn (PNG); returns ``[(label, score, [x1, y1, x2, y2]), ...]`` in
    the file's own pixel coordinates."""
    from PIL import Image, ImageDraw

    from glassnet import from_numpy

    model = load_detector(path)
    with Image.open(image_path) as im:
        grey = im.convert("L")
    w, h = grey.size
    arr = np.asarray(grey.resize((96, 96), Image.BILINEAR), np.float32) / np.float32(255.0)
    pred = model(from_numpy(arr[None, None]))[0]
    offset = label_offset(model)
    sx, sy = w / 96.0, h / 96.0
    found = []
    canvas = grey.convert("RGB")
    draw = ImageDraw.Draw(canvas)
    for box, score, label in zip(pred["boxes"].numpy(), pred["scores"].numpy(),
                                 pred["labels"].numpy()):
        if score < score_thresh:
            continue
        b = [float(box[0] * sx), float(box[1] * sy), float(box[2] * sx), float(box[3] * sy)]
        found.append((int(label) - offset, float(score), b))
        draw.rectangle(b, outline=(0, 255, 0))
        draw.text((b[0], max(0.0, b[1] - 10)), f"{int(label) - offset} {score:.2f}",
                  fill=(0, 255, 0))
    canvas.save(out_path)
    return found
