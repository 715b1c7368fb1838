"""``detection``: one-stage vs two-stage object detection on MNISTDetection (real MNIST
digits placed on a 96x96 canvas), the flood of background anchors, focal loss vs
cross-entropy, and the anchor-matching thresholds.

Three detectors train for the same wall-time budget on the same random scenes:
``fasterrcnn_small`` (two stages: RPN + RoIAlign box head), ``retinanet_small`` with the
focal loss (one stage), and the same RetinaNet with plain (sigmoid) cross-entropy.
Each is evaluated with COCO mAP (:class:`~glassnet.train.metrics.MeanAveragePrecision`)
on the test scenes (digits from MNIST's test split), with its inference speed.

The anchor statistics come from the training batches: the share of background anchors
among those that count in the loss, and the share of the classification loss coming from
*easy* background anchors (every class probability below 0.1) — large under
cross-entropy, small under the focal loss.  The threshold study matches the RPN's
anchors to the ground truth of training scenes at several (foreground, background) IoU
pairs and counts positives, negatives and ignored anchors, and the ground truths left
without any positive anchor unless the low-quality rule gives one back.

Without the MNIST files (``--data-dir``), the experiment cannot run (it needs the digit
images); ``ctx.data_dir`` is required.
"""
from __future__ import annotations

import numpy as np

NAME = "detection"
SUMMARY = ("one-stage (RetinaNet, focal vs cross-entropy) vs two-stage (Faster R-CNN) "
           "detectors on MNIST digit scenes: mAP, images/s, background-anchor share")

MODELS = (("fasterrcnn_small", "focal"), ("retinanet_small", "focal"),
          ("retinanet_small", "ce"))
THRESHOLDS = ((0.7, 0.3), (0.6, 0.4), (0.5, 0.4), (0.5, 0.3))


def _settings(quick: bool) -> dict:
    if quick:
        return {"minutes": None, "steps": 12, "batch_size": 4, "lr": 3e-3, "eval_images": 16,
                "eval_every": None, "threshold_scenes": 40}
    return {"minutes": 10.0, "steps": None, "batch_size": 8, "lr": 3e-3, "eval_images": 500,
            "eval_every": 400, "threshold_scenes": 500}


def _mnist_root(ctx):
    if ctx.data_dir is None:
        from glassnet.vision.datasets import default_root

        return default_root()
    return ctx.data_dir


def threshold_study(dataset, anchors, pairs, n_scenes: int) -> list:
    """Anchor labels at each (fg, bg) IoU pair, summed over ``n_scenes`` scenes."""
    from glassnet.tensor import Tensor
    from glassnet.vision.ops import Matcher, box_iou

    ious = []
    for i in range(n_scenes):
        boxes = dataset.scene(i)[1]
        ious.append(box_iou(Tensor._wrap(boxes), anchors)._data)
    out = []
    for hi, lo in pairs:
        strict, kept = Matcher(hi, lo), Matcher(hi, lo, allow_low_quality_matches=True)
        pos = neg = ign = gt = orphan = 0
        for q in ious:
            m = strict(Tensor._wrap(q))._data
            m2 = kept(Tensor._wrap(q))._data
            pos += int((m2 >= 0).sum())
            neg += int((m2 == -1).sum())
            ign += int((m2 == -2).sum())
            gt += q.shape[0]
            # ground truths with no anchor at IoU >= hi (only the low-quality rule saves them)
            orphan += int(q.shape[0] - np.unique(m[m >= 0]).size)
        total = pos + neg + ign
        out.append({"fg_iou": hi, "bg_iou": lo, "positive": pos, "negative": neg,
                    "ignored": ign, "positive_fraction": pos / total,
                    "negative_fraction": neg / total, "ignored_fraction": ign / total,
                    "positives_per_object": pos / max(1, gt),
                    "objects_without_anchor": orphan / max(1, gt)})
    return out


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    import glassnet
    from glassnet.train.detection import build_detector, evaluate_detector, train_detector
    from glassnet.vision.datasets import MNISTDetection

    s = _settings(ctx.quick)
    root = _mnist_root(ctx)
    try:
        train_set = MNISTDetection(root, train=True, seed=ctx.seed)
        test_set = MNISTDetection(root, train=False, seed=ctx.seed)
    except RuntimeError as e:  # no MNIST files: the scenes are made of real digits
        from glassnet.experiments._context import DataUnavailable

        raise DataUnavailable(f"detection needs the MNIST IDX files: pass --data-dir "
                              f"(e.g. ../shared/data/mnist) ({e})") from None
    runs = {}
    for name, loss in ctx.track(MODELS, "train detectors"):
        key = name if name.startswith("faster") else f"{name}_{loss}"
        glassnet.manual_seed(ctx.seed)
        kwargs = {"classification_loss": loss} if name.startswith("retina") else {}
        model = build_detector(name, **kwargs)
        initial = evaluate_detector(model, test_set, s["eval_images"])
        r = train_detector(model, train_set, steps=s["steps"], minutes=s["minutes"],
                           batch_size=s["batch_size"], lr=s["lr"], seed=ctx.seed,
                           eval_set=test_set, eval_every=s["eval_every"],
                           eval_limit=s["eval_images"])
        final = r["evals"][-1]
        stats = [h["anchor_stats"] for h in r["history"] if "anchor_stats" in h]
        runs[key] = {"model": name, "classification_loss": loss, "initial": initial,
                     "final": final, "evals": r["evals"], "steps": r["steps"],
                     "train_seconds": r["seconds"], "train_images_per_s": r["images_per_s"],
                     "loss_curve": [h["loss"] for h in r["history"]],
                     "anchor_stats_first": stats[0] if stats else None,
                     "anchor_stats_last": _mean_stats(stats[-max(1, len(stats) // 10):])}
    anchors = build_detector("fasterrcnn_small").rpn.anchor_generator((96, 96),
                                                                       [(12, 12), (6, 6)])
    thresholds = threshold_study(train_set, anchors, THRESHOLDS, s["threshold_scenes"])
    results = {"settings": s, "runs": runs, "thresholds": thresholds}
    _plot(ctx, plt, runs, thresholds)
    _plot_examples(ctx, plt, runs, test_set)
    return ctx.finish(results, _findings(results), "Detection: one stage vs two stages",
                      data="MNISTDetection scenes (real MNIST digits, 96x96)")[
        "results"]


def _mean_stats(stats):
    if not stats:
        return None
    return {k: float(np.mean([st[k] for st in stats])) for k in stats[0]}


def _plot(ctx, plt, runs, thresholds):
    fig, ax = plt.subplots(1, 3, figsize=(17, 4.8))
    for key, r in runs.items():
        curve = np.asarray(r["loss_curve"])
        k = max(1, len(curve) // 50)
        smooth = np.convolve(curve, np.ones(k) / k, mode="valid")
        ax[0].plot(np.arange(len(smooth)) + k, smooth, label=key)
        steps = [0] + [e["step"] for e in r["evals"]]
        maps = [r["initial"]["map_50"]] + [e["map_50"] for e in r["evals"]]
        ax[1].plot(steps, maps, marker="o", label=f"{key} ({r['final']['images_per_s']:.0f} "
                   "img/s test)")
    ax[0].set_yscale("log")
    ax[0].set_xlabel("step")
    ax[0].set_ylabel("training loss")
    ax[0].legend()
    ax[1].set_xlabel("step")
    ax[1].set_ylabel("test mAP@.5")
    ax[1].legend(fontsize=8)
    labels = [f"{t['fg_iou']}/{t['bg_iou']}" for t in thresholds]
    x = np.arange(len(labels))
    ax[2].bar(x - 0.2, [t["positives_per_object"] for t in thresholds], 0.4,
              label="positive anchors per object")
    ax[2].bar(x + 0.2, [10 * t["objects_without_anchor"] for t in thresholds], 0.4,
              label="10 x share of objects with no anchor above fg IoU")
    ax[2].set_xticks(x, labels)
    ax[2].set_xlabel("matcher IoU thresholds (foreground / background)")
    ax[2].legend(fontsize=8)
    fig.suptitle("MNISTDetection: training loss, test mAP@.5 and anchor matching")
    fig.tight_layout()
    ctx.savefig(fig, "training.png")


def _plot_examples(ctx, plt, runs, test_set):
    import matplotlib.patches as patches

    fig, axes = plt.subplots(1, 4, figsize=(14, 3.8))
    for ax, i in zip(axes, range(4)):
        image, boxes, labels = test_set.scene(i)
        ax.imshow(image, cmap="gray")
        for (x1, y1, x2, y2), lab in zip(boxes, labels):
            ax.add_patch(patches.Rectangle((x1, y1), x2 - x1, y2 - y1, fill=False,
                                           edgecolor="lime", linewidth=1.5))
            ax.text(x1, y1 - 1, str(lab), color="lime", fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    axes[0].set_title("test scenes with their ground truth")
    fig.tight_layout()
    ctx.savefig(fig, "scenes.png")


def _findings(r) -> str:
    lines = ["| detector | steps | train img/s | test img/s | mAP@.5 | mAP@[.5:.95] | "
             "mAR@100 |", "|---|---|---|---|---|---|---|"]
    for key, run in r["runs"].items():
        f = run["final"]
        lines.append(f"| {key} | {run['steps']} | {run['train_images_per_s']:.1f} | "
                     f"{f['images_per_s']:.1f} | {f['map_50']:.3f} | {f['map']:.3f} | "
                     f"{f['mar_100']:.3f} |")
    lines.append("")
    budget = r["settings"]["minutes"]
    lines.append(f"Each detector trained for {budget} minutes" if budget else
                 f"Each detector trained for {r['settings']['steps']} steps")
    lines[-1] += (f" (batch {r['settings']['batch_size']}) and was evaluated on "
                  f"{r['settings']['eval_images']} test scenes.")
    runs = r["runs"]
    if {"retinanet_small_focal", "retinanet_small_ce", "fasterrcnn_small"} <= set(runs):
        f, c = runs["retinanet_small_focal"]["final"], runs["retinanet_small_ce"]["final"]
        t = runs["fasterrcnn_small"]["final"]
        lines.append(f"Focal loss vs cross-entropy (one stage, same budget): mAP@.5 "
                     f"{f['map_50']:.3f} vs {c['map_50']:.3f}, mAP@[.5:.95] {f['map']:.3f} vs "
                     f"{c['map']:.3f}, mAR@100 {f['mar_100']:.3f} vs {c['mar_100']:.3f}. "
                     f"Two stages vs one (focal): mAP@.5 {t['map_50']:.3f} vs "
                     f"{f['map_50']:.3f}, after {runs['fasterrcnn_small']['steps']} vs "
                     f"{runs['retinanet_small_focal']['steps']} steps.")
    lines.append("")
    for key in ("retinanet_small_ce", "retinanet_small_focal"):
        run = r["runs"].get(key)
        if run and run["anchor_stats_first"]:
            a, b = run["anchor_stats_first"], run["anchor_stats_last"]
            lines.append(f"- {key}: {100 * a['background_fraction']:.1f}% of the anchors "
                         f"in the loss are background; easy background anchors carry "
                         f"{100 * a['easy_background_loss_share']:.2f}% of the "
                         f"classification loss at the first step and "
                         f"{100 * b['easy_background_loss_share']:.2f}% at the end "
                         f"(all background: {100 * b['background_loss_share']:.2f}%).")
    lines += ["", "| fg/bg IoU | positive | negative | ignored | positives per object | "
              "objects without an anchor above fg IoU |", "|---|---|---|---|---|---|"]
    for t in r["thresholds"]:
        lines.append(f"| {t['fg_iou']}/{t['bg_iou']} | {100 * t['positive_fraction']:.2f}% "
                     f"| {100 * t['negative_fraction']:.1f}% | "
                     f"{100 * t['ignored_fraction']:.1f}% | {t['positives_per_object']:.2f} "
                     f"| {100 * t['objects_without_anchor']:.1f}% |")
    return "\n".join(lines)
