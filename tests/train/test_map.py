"""MeanAveragePrecision against pycocotools (the reference COCO evaluator) on the same
detections: random scenes, crowd-free and with crowd boxes, and the edge cases."""
import contextlib
import io

import numpy as np
import pytest

from glassnet.train.metrics import MeanAveragePrecision

KEYS = ["map", "map_50", "map_75", "map_small", "map_medium", "map_large", "mar_1",
        "mar_10", "mar_100", "mar_small", "mar_medium", "mar_large"]


def _coco_stats(preds, target):
    """pycocotools' twelve summary numbers for the same images (xyxy inputs)."""
    pytest.importorskip("pycocotools")
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval

    labels = np.unique(np.concatenate([p["labels"] for p in preds]
                                      + [t["labels"] for t in target]).astype(int))
    images = [{"id": i} for i in range(len(target))]
    cats = [{"id": int(c)} for c in labels]

    def xywh(b):
        b = np.asarray(b, np.float64).reshape(-1, 4)
        return np.stack([b[:, 0], b[:, 1], b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1)

    gts, dts = [], []
    for i, t in enumerate(target):
        crowd = t.get("iscrowd", np.zeros(len(t["labels"]), int))
        for b, lab, c in zip(xywh(t["boxes"]), t["labels"], crowd):
            gts.append({"id": len(gts) + 1, "image_id": i, "category_id": int(lab),
                        "bbox": b.tolist(), "area": float(b[2] * b[3]), "iscrowd": int(c)})
    for i, p in enumerate(preds):
        for b, s, lab in zip(xywh(p["boxes"]), p["scores"], p["labels"]):
            dts.append({"id": len(dts) + 1, "image_id": i, "category_id": int(lab),
                        "bbox": b.tolist(), "area": float(b[2] * b[3]), "score": float(s),
                        "iscrowd": 0})
    with contextlib.redirect_stdout(io.StringIO()):
        cgt, cdt = COCO(), COCO()
        cgt.dataset = {"images": images, "categories": cats, "annotations": gts}
        cdt.dataset = {"images": images, "categories": cats, "annotations": dts}
        cgt.createIndex()
        cdt.createIndex()
        ev = COCOeval(cgt, cdt, "bbox")
        ev.evaluate()
        ev.accumulate()
        ev.summarize()
    return ev.stats


def _ours(preds, target, **kw):
    m = MeanAveragePrecision(**kw)
    m.update(preds, target)
    out = m.compute()
    return np.array([float(out[k]) for k in KEYS]), out


def _scene(rng, n_images=12, n_classes=4, crowd=False):
    """GT boxes of all COCO sizes, and detections that jitter, miss and hallucinate."""
    preds, target = [], []
    for _ in range(n_images):
        g = rng.integers(0, 7)
        wh = rng.uniform(4, 140, (g, 2))
        xy = rng.uniform(0, 300, (g, 2))
        gb = np.concatenate([xy, xy + wh], 1)
        gl = rng.integers(0, n_classes, g)
        keep = rng.random(g) < 0.8
        jitter = gb[keep] + rng.normal(0, 0.12, (keep.sum(), 4)) * np.tile(wh[keep], 2)
        jitter[:, 2:] = np.maximum(jitter[:, 2:], jitter[:, :2] + 1)
        f = rng.integers(0, 5)
        fxy = rng.uniform(0, 300, (f, 2))
        fb = np.concatenate([fxy, fxy + rng.uniform(4, 120, (f, 2))], 1)
        # duplicates of true boxes (false positives once the first one matched)
        n_dup = min(int(rng.integers(0, 3)), len(jitter))
        dup = jitter[:n_dup] + rng.normal(0, 1.0, (n_dup, 4))
        db = np.concatenate([jitter, fb, dup]).reshape(-1, 4)
        dl = np.concatenate([gl[keep], rng.integers(0, n_classes, f), gl[keep][: len(dup)]])
        flip = rng.random(len(dl)) < 0.1
        dl = np.where(flip, rng.integers(0, n_classes, len(dl)), dl)
        t = {"boxes": gb, "labels": gl}
        if crowd:
            t["iscrowd"] = (rng.random(g) < 0.2).astype(np.int64)
        preds.append({"boxes": db, "scores": rng.random(len(db)), "labels": dl})
        target.append(t)
    return preds, target


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_map_matches_pycocotools_on_random_scenes(seed):
    preds, target = _scene(np.random.default_rng(seed))
    ours, _ = _ours(preds, target)
    np.testing.assert_allclose(ours, _coco_stats(preds, target), atol=1e-6)


def test_map_matches_pycocotools_with_crowd_boxes():
    preds, target = _scene(np.random.default_rng(7), n_images=15, crowd=True)
    assert sum(int(t["iscrowd"].sum()) for t in target) > 0
    ours, _ = _ours(preds, target)
    np.testing.assert_allclose(ours, _coco_stats(preds, target), atol=1e-6)


def test_map_matches_pycocotools_with_more_than_100_detections_per_image():
    rng = np.random.default_rng(5)
    preds, target = _scene(rng, n_images=3, n_classes=1)
    for p in preds:  # 150 extra low-score detections per image, one class
        xy = rng.uniform(0, 300, (150, 2))
        p["boxes"] = np.concatenate([p["boxes"], np.concatenate([xy, xy + 30], 1)])
        p["scores"] = np.concatenate([p["scores"], rng.random(150) * 0.5])
        p["labels"] = np.concatenate([p["labels"], np.zeros(150, int)])
    ours, _ = _ours(preds, target)
    np.testing.assert_allclose(ours, _coco_stats(preds, target), atol=1e-6)


def test_map_of_no_detections_is_zero_as_pycocotools():
    target = [{"boxes": np.array([[0., 0, 10, 10], [20, 20, 60, 70]]),
               "labels": np.array([1, 2])}]
    preds = [{"boxes": np.zeros((0, 4)), "scores": np.zeros(0), "labels": np.zeros(0, int)}]
    ours, out = _ours(preds, target)
    np.testing.assert_allclose(ours, _coco_stats(preds, target), atol=1e-6)
    assert float(out["map"]) == 0.0 and float(out["mar_100"]) == 0.0


def test_class_without_ground_truth_is_left_out_of_the_mean():
    # class 5 is only predicted: pycocotools ignores it (-1), so map is that of class 1
    target = [{"boxes": np.array([[0., 0, 40, 40]]), "labels": np.array([1])}]
    preds = [{"boxes": np.array([[0., 0, 40, 40], [50, 50, 90, 90]]),
              "scores": np.array([0.9, 0.95]), "labels": np.array([1, 5])}]
    ours, out = _ours(preds, target, class_metrics=True)
    np.testing.assert_allclose(ours, _coco_stats(preds, target), atol=1e-6)
    assert float(out["map"]) == pytest.approx(1.0)
    np.testing.assert_allclose(out["map_per_class"].numpy(), [1.0, -1.0])
    assert out["classes"].numpy().tolist() == [1, 5]


def test_perfect_and_half_right_detections_by_hand():
    # two GT of one class; one exact detection (score .9), one false positive (.8):
    # precision 1 up to recall .5, then 0 -> AP = 51/101 at every threshold.
    target = [{"boxes": np.array([[0., 0, 10, 10], [30, 30, 50, 50]]),
               "labels": np.array([0, 0])}]
    preds = [{"boxes": np.array([[0., 0, 10, 10], [70, 70, 80, 80]]),
              "scores": np.array([0.9, 0.8]), "labels": np.array([0, 0])}]
    _, out = _ours(preds, target)
    assert float(out["map"]) == pytest.approx(51 / 101, abs=1e-6)
    assert float(out["mar_100"]) == pytest.approx(0.5)
    assert float(out["map_medium"]) == -1.0  # no medium-sized GT


def test_no_ground_truth_and_no_detections_gives_minus_one():
    _, out = _ours([{"boxes": np.zeros((0, 4)), "scores": np.zeros(0),
                     "labels": np.zeros(0, int)}],
                   [{"boxes": np.zeros((0, 4)), "labels": np.zeros(0, int)}])
    assert float(out["map"]) == -1.0 and float(out["mar_100"]) == -1.0


def test_update_accumulates_over_batches_and_box_formats_agree():
    preds, target = _scene(np.random.default_rng(11))
    whole, _ = _ours(preds, target)
    m = MeanAveragePrecision(box_format="cxcywh")
    conv = lambda b: np.stack([(b[:, 0] + b[:, 2]) / 2, (b[:, 1] + b[:, 3]) / 2,  # noqa
                               b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]], 1)
    for i in range(0, len(preds), 5):
        m.update([dict(p, boxes=conv(p["boxes"])) for p in preds[i:i + 5]],
                 [dict(t, boxes=conv(t["boxes"])) for t in target[i:i + 5]])
    out = m.compute()
    np.testing.assert_allclose([float(out[k]) for k in KEYS], whole, atol=1e-6)
    m.reset()
    assert float(m.compute()["map"]) == -1.0


def test_bad_inputs_name_the_function_and_argument():
    m = MeanAveragePrecision()
    with pytest.raises(ValueError, match=r"preds\[0\]\['boxes'\] must have shape \(N, 4\)"):
        m.update([{"boxes": np.zeros((2, 3)), "scores": np.zeros(2), "labels": np.zeros(2)}],
                 [{"boxes": np.zeros((0, 4)), "labels": np.zeros(0)}])
    with pytest.raises(ValueError, match="one dict per image"):
        m.update([], [{"boxes": np.zeros((0, 4)), "labels": np.zeros(0)}])
    with pytest.raises(ValueError, match="box_format must be one of"):
        MeanAveragePrecision(box_format="xyzw")
