"""Box utilities, the IoU family and NMS: known answers, a naive greedy NMS reference,
and torchvision parity (skipped when torchvision is not installed)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet.vision.ops import (batched_nms, box_area, box_convert, box_iou,
                                 clip_boxes_to_image, complete_box_iou, distance_box_iou,
                                 generalized_box_iou, generalized_box_iou_loss, nms,
                                 remove_small_boxes)


def _random_boxes(rng, n, span=100.0, max_size=30.0, dtype=np.float32):
    xy = rng.uniform(0, span, (n, 2))
    wh = rng.uniform(1.0, max_size, (n, 2))
    return np.concatenate([xy, xy + wh], axis=1).astype(dtype)


def _naive_nms(boxes, scores, thr):
    """Textbook greedy NMS with Python loops (float64 IoU)."""
    boxes = boxes.astype(np.float64)
    order = sorted(range(len(scores)), key=lambda i: (-scores[i], i))
    keep, removed = [], set()
    for a, i in enumerate(order):
        if i in removed:
            continue
        keep.append(i)
        for j in order[a + 1:]:
            if j in removed:
                continue
            w = max(0.0, min(boxes[i, 2], boxes[j, 2]) - max(boxes[i, 0], boxes[j, 0]))
            h = max(0.0, min(boxes[i, 3], boxes[j, 3]) - max(boxes[i, 1], boxes[j, 1]))
            inter = w * h
            ai = (boxes[i, 2] - boxes[i, 0]) * (boxes[i, 3] - boxes[i, 1])
            aj = (boxes[j, 2] - boxes[j, 0]) * (boxes[j, 3] - boxes[j, 1])
            if inter / (ai + aj - inter) > thr:
                removed.add(j)
    return np.array(keep, dtype=np.int64)


# ---------------------------------------------------------------------------
# Known answers
# ---------------------------------------------------------------------------
def test_box_area_and_convert_known_values():
    b = gn.tensor([[1.0, 2.0, 4.0, 6.0]])
    assert box_area(b).tolist() == [12.0]
    assert box_convert(b, "xyxy", "xywh").tolist() == [[1.0, 2.0, 3.0, 4.0]]
    assert box_convert(b, "xyxy", "cxcywh").tolist() == [[2.5, 4.0, 3.0, 4.0]]
    assert box_convert(gn.tensor([[2.5, 4.0, 3.0, 4.0]]), "cxcywh", "xywh").tolist() == \
        [[1.0, 2.0, 3.0, 4.0]]
    assert box_area(gn.tensor([[0.0, 0.0, 3.0, 4.0]]), fmt="xywh").tolist() == [12.0]


def test_box_convert_round_trip_and_gradient():
    rng = np.random.default_rng(0)
    b = gn.tensor(_random_boxes(rng, 6, dtype=np.float64), requires_grad=True)
    for fmt in ("xywh", "cxcywh"):
        back = box_convert(box_convert(b, "xyxy", fmt), fmt, "xyxy")
        np.testing.assert_allclose(back.data, b.data, atol=1e-12)
    box_convert(b, "xyxy", "cxcywh").sum().backward()
    # d(cx + cy + w + h)/d(x1, y1, x2, y2) = (-0.5, -0.5, 1.5, 1.5)
    np.testing.assert_allclose(b.grad.data, np.tile([-0.5, -0.5, 1.5, 1.5], (6, 1)))


def test_iou_family_hand_computed():
    a = gn.tensor([[0.0, 0.0, 2.0, 2.0]], dtype=gn.float64)
    b = gn.tensor([[1.0, 0.0, 3.0, 2.0], [4.0, 0.0, 6.0, 2.0], [0.0, 0.0, 2.0, 2.0]],
                  dtype=gn.float64)
    # Overlap 2 of union 6; disjoint; identical.
    np.testing.assert_allclose(box_iou(a, b).data, [[1 / 3, 0.0, 1.0]])
    # GIoU: enclosing areas 6, 12, 4 -> iou - (C - U) / C.
    np.testing.assert_allclose(generalized_box_iou(a, b).data,
                               [[1 / 3, 0.0 - (12 - 8) / 12, 1.0]])
    # DIoU: centre distances 1, 4, 0; enclosing diagonals^2 = 9 + 4, 36 + 4, 8.
    eps = 1e-7
    np.testing.assert_allclose(distance_box_iou(a, b).data,
                               [[1 / 3 - 1 / (13 + eps), -16 / (40 + eps), 1.0]])
    # Same aspect ratios: CIoU equals DIoU.
    np.testing.assert_allclose(complete_box_iou(a, b).data, distance_box_iou(a, b).data)


def test_complete_box_iou_aspect_penalty():
    a = gn.tensor([[0.0, 0.0, 4.0, 1.0]], dtype=gn.float64)
    b = gn.tensor([[0.0, 0.0, 1.0, 4.0]], dtype=gn.float64)
    iou = 1 / 7
    v = 4 / np.pi ** 2 * (np.arctan(4.0) - np.arctan(0.25)) ** 2
    alpha = v / (1 - iou + v + 1e-7)
    diou = distance_box_iou(a, b).item()
    np.testing.assert_allclose(complete_box_iou(a, b).item(), diou - alpha * v, rtol=1e-12)


def test_generalized_box_iou_loss_known_value():
    a = gn.tensor([[0.0, 0.0, 2.0, 2.0], [0.0, 0.0, 1.0, 1.0]])
    b = gn.tensor([[1.0, 0.0, 3.0, 2.0], [0.0, 0.0, 1.0, 1.0]])
    loss = generalized_box_iou_loss(a, b)
    np.testing.assert_allclose(loss.data, [1 - 1 / 3, 0.0], atol=1e-6)
    np.testing.assert_allclose(generalized_box_iou_loss(a, b, "mean").item(),
                               loss.data.mean(), rtol=1e-6)


def test_clip_and_remove_small_boxes():
    b = gn.tensor([[-5.0, 2.0, 30.0, 50.0], [1.0, 1.0, 1.5, 9.0]], requires_grad=True)
    clipped = clip_boxes_to_image(b, (40, 20))
    assert clipped.tolist() == [[0.0, 2.0, 20.0, 40.0], [1.0, 1.0, 1.5, 9.0]]
    clipped.sum().backward()
    assert b.grad.tolist() == [[0.0, 1.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]
    assert remove_small_boxes(b.detach(), 1.0).tolist() == [0]
    assert remove_small_boxes(b.detach(), 0.5).tolist() == [0, 1]
    assert remove_small_boxes(b.detach(), 0.5).dtype == np.int64


def test_iou_gradient_flows_to_both_box_sets():
    rng = np.random.default_rng(3)
    a = gn.tensor(_random_boxes(rng, 3, span=10, dtype=np.float64), requires_grad=True)
    b = gn.tensor(_random_boxes(rng, 4, span=10, dtype=np.float64), requires_grad=True)
    gn.testing.gradcheck(lambda x, y: generalized_box_iou(x, y), [a, b])


@pytest.mark.parametrize("fn", [box_iou, generalized_box_iou, distance_box_iou,
                                complete_box_iou])
def test_iou_family_rejects_bad_boxes(fn):
    good = gn.tensor([[0.0, 0.0, 1.0, 1.0]])
    with pytest.raises(ValueError, match=r"boxes1 must have shape \(N, 4\) with x1 <= x2 "
                                         r"and y1 <= y2, got shape \(2, 5\)"):
        fn(gn.zeros(2, 5), good)
    with pytest.raises(ValueError, match=r"boxes2 must have shape \(N, 4\) with x1 <= x2 "
                                         r"and y1 <= y2, got box 1"):
        fn(good, gn.tensor([[0.0, 0.0, 1.0, 1.0], [3.0, 0.0, 1.0, 1.0]]))
    with pytest.raises(TypeError, match="boxes1 must be a Tensor"):
        fn(np.zeros((1, 4)), good)


def test_box_convert_rejects_unknown_format():
    with pytest.raises(ValueError, match="box_convert: out_fmt must be one of"):
        box_convert(gn.zeros(1, 4), "xyxy", "yxyx")


# ---------------------------------------------------------------------------
# NMS
# ---------------------------------------------------------------------------
def test_nms_constructed_example():
    boxes = gn.tensor([[0.0, 0.0, 10.0, 10.0],     # 0: best of cluster A
                       [1.0, 1.0, 11.0, 11.0],     # 1: IoU 0.68 with 0 -> removed
                       [20.0, 20.0, 30.0, 30.0],   # 2: alone
                       [0.0, 0.0, 10.0, 5.0],      # 3: IoU 0.5 with 0 -> kept at 0.5
                       [21.0, 20.0, 31.0, 30.0]])  # 4: IoU 0.82 with 2 -> removed
    scores = gn.tensor([0.9, 0.8, 0.7, 0.6, 0.95])
    keep = nms(boxes, scores, 0.5)
    assert keep.dtype == np.int64
    assert keep.tolist() == [4, 0, 3]
    assert nms(boxes, scores, 0.49).tolist() == [4, 0]
    assert nms(boxes, scores, 0.9).tolist() == [4, 0, 1, 2, 3]


def test_nms_equal_scores_keep_index_order():
    boxes = gn.tensor([[0.0, 0.0, 10.0, 10.0], [0.5, 0.0, 10.5, 10.0],
                       [50.0, 0.0, 60.0, 10.0]])
    assert nms(boxes, gn.tensor([0.5, 0.5, 0.5]), 0.5).tolist() == [0, 2]
    assert nms(boxes[[1, 0, 2]], gn.tensor([0.5, 0.5, 0.5]), 0.5).tolist() == [0, 2]


def test_nms_matches_naive_greedy_reference():
    rng = np.random.default_rng(0)
    for n, thr in ((50, 0.3), (700, 0.5), (1500, 0.7)):
        boxes = _random_boxes(rng, n, span=200.0, max_size=60.0)
        scores = np.round(rng.uniform(0, 1, n), 2).astype(np.float32)  # many ties
        keep = nms(gn.tensor(boxes), gn.tensor(scores), thr).detach().numpy()
        np.testing.assert_array_equal(keep, _naive_nms(boxes, scores, thr))


def test_nms_chain_of_overlaps():
    # Boxes i and i+1 overlap with IoU 0.5, i and i+2 with IoU 0.2: greedy keeps every
    # other box, which needs the full sequential dependency inside a block.
    n = 600
    x = np.arange(n, dtype=np.float32)
    boxes = np.stack([x, np.zeros(n), x + 3, np.full(n, 10.0)], 1).astype(np.float32)
    keep = nms(gn.tensor(boxes), gn.tensor(np.linspace(1, 0, n, dtype=np.float32)), 0.4)
    np.testing.assert_array_equal(keep.data, np.arange(0, n, 2))


def test_nms_ten_thousand_boxes_runs_blockwise():
    rng = np.random.default_rng(1)
    boxes = gn.tensor(_random_boxes(rng, 10_000, span=1000.0, max_size=100.0))
    scores = gn.tensor(rng.uniform(0, 1, 10_000).astype(np.float32))
    keep = nms(boxes, scores, 0.5).numpy()
    assert 0 < keep.size < 10_000
    assert np.all(np.diff(scores.numpy()[keep]) <= 0)
    kept = gn.tensor(boxes.numpy()[keep])
    iou = box_iou(kept, kept).detach().numpy()
    np.fill_diagonal(iou, 0)
    assert iou.max() <= 0.5


def test_nms_empty_and_errors():
    assert nms(gn.zeros(0, 4), gn.zeros(0), 0.5).tolist() == []
    with pytest.raises(ValueError, match=r"nms: scores must be a Tensor of shape \(N,\)"):
        nms(gn.zeros(3, 4), gn.zeros(2), 0.5)
    with pytest.raises(ValueError, match=r"nms: boxes must be a Tensor of shape \(N, 4\)"):
        nms(gn.zeros(3, 5), gn.zeros(3), 0.5)
    with pytest.raises(TypeError, match="nms: boxes must be a floating tensor"):
        nms(gn.zeros(3, 4, dtype=gn.int64), gn.zeros(3), 0.5)


def test_nms_keeps_empty_boxes_silently_as_torchvision():
    # Boxes clipped to the border can have zero area: IoU 0 / 0 is NaN, which is not
    # above the threshold, so torchvision keeps both (its nms gives [0, 1, 2] here).
    boxes = gn.tensor([[5.0, 5.0, 5.0, 9.0], [5.0, 5.0, 5.0, 9.0], [0.0, 0.0, 10.0, 10.0]])
    scores = gn.tensor([0.9, 0.8, 0.7])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no RuntimeWarning from the division
        assert nms(boxes, scores, 0.5).tolist() == [0, 1, 2]
        assert batched_nms(boxes, scores, gn.tensor([1, 1, 1]), 0.5).tolist() == [0, 1, 2]


def test_batched_nms_separates_categories():
    boxes = gn.tensor([[0.0, 0.0, 10.0, 10.0], [1.0, 1.0, 11.0, 11.0],
                       [0.0, 0.0, 10.0, 10.0]])
    scores = gn.tensor([0.9, 0.8, 0.7])
    assert batched_nms(boxes, scores, gn.tensor([0, 0, 1]), 0.5).tolist() == [0, 2]
    assert batched_nms(boxes, scores, gn.tensor([0, 1, 2]), 0.5).tolist() == [0, 1, 2]
    assert batched_nms(gn.zeros(0, 4), gn.zeros(0), gn.zeros(0, dtype=gn.int64),
                       0.5).tolist() == []


def test_batched_nms_large_input_equals_per_category_nms():
    rng = np.random.default_rng(2)
    n = 2500  # above the coordinate-trick size, uses the category mask
    boxes = _random_boxes(rng, n, span=300.0, max_size=60.0)
    scores = rng.uniform(0, 1, n).astype(np.float32)
    cats = rng.integers(0, 4, n)
    keep = batched_nms(gn.tensor(boxes), gn.tensor(scores), gn.tensor(cats), 0.5).detach().numpy()
    ref = np.concatenate([np.flatnonzero(cats == c)[_naive_nms(boxes[cats == c],
                                                               scores[cats == c], 0.5)]
                          for c in range(4)])
    ref = ref[np.argsort(-scores[ref], kind="stable")]
    np.testing.assert_array_equal(keep, ref)


# ---------------------------------------------------------------------------
# torchvision parity
# ---------------------------------------------------------------------------
def _tv():
    return pytest.importorskip("torchvision", reason="torchvision not installed")


@pytest.mark.parametrize("name", ["box_iou", "generalized_box_iou", "distance_box_iou",
                                  "complete_box_iou"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_iou_family_matches_torchvision(name, dtype):
    tv = _tv()
    import torch

    rng = np.random.default_rng(5)
    a, b = _random_boxes(rng, 9, dtype=dtype), _random_boxes(rng, 13, dtype=dtype)
    ga, gb = gn.tensor(a, requires_grad=True), gn.tensor(b, requires_grad=True)
    ta, tb = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    out = getattr(gn.vision.ops, name)(ga, gb)
    ref = getattr(tv.ops, name)(ta, tb)
    assert out.dtype == np.dtype(dtype)
    np.testing.assert_allclose(out.data, ref.detach().numpy(), atol=1e-6, rtol=0)
    cot = rng.standard_normal(out.shape).astype(dtype)
    out.backward(gn.tensor(cot))
    ref.backward(torch.tensor(cot))
    np.testing.assert_allclose(ga.grad.data, ta.grad.numpy(), atol=1e-6, rtol=1e-5)
    np.testing.assert_allclose(gb.grad.data, tb.grad.numpy(), atol=1e-6, rtol=1e-5)


def test_box_helpers_match_torchvision():
    tv = _tv()
    import torch

    rng = np.random.default_rng(6)
    b = _random_boxes(rng, 20, span=60.0)
    b[::3] -= 20.0
    tb = torch.tensor(b)
    for fmt in ("xywh", "cxcywh"):
        np.testing.assert_allclose(box_convert(gn.tensor(b), "xyxy", fmt).data,
                                   tv.ops.box_convert(tb, "xyxy", fmt).numpy(), atol=1e-6)
    np.testing.assert_allclose(box_area(gn.tensor(b)).data, tv.ops.box_area(tb).numpy())
    np.testing.assert_array_equal(clip_boxes_to_image(gn.tensor(b), (50, 40)).data,
                                  tv.ops.clip_boxes_to_image(tb, (50, 40)).numpy())
    np.testing.assert_array_equal(remove_small_boxes(gn.tensor(b), 12.0).data,
                                  tv.ops.remove_small_boxes(tb, 12.0).numpy())
    b2 = _random_boxes(rng, 20, span=60.0)
    for red in ("none", "mean", "sum"):
        np.testing.assert_allclose(
            generalized_box_iou_loss(gn.tensor(b), gn.tensor(b2), red).data,
            tv.ops.generalized_box_iou_loss(tb, torch.tensor(b2), red).numpy(), atol=1e-6)


@pytest.mark.parametrize("n", [30, 800, 4000])
@pytest.mark.parametrize("thr", [0.3, 0.5, 0.7])
def test_nms_matches_torchvision(n, thr):
    tv = _tv()
    import torch

    rng = np.random.default_rng(n)
    boxes = _random_boxes(rng, n, span=400.0, max_size=80.0)
    scores = np.round(rng.uniform(0, 1, n), 2).astype(np.float32)  # many equal scores
    ref = tv.ops.nms(torch.tensor(boxes), torch.tensor(scores), thr).numpy()
    np.testing.assert_array_equal(nms(gn.tensor(boxes), gn.tensor(scores), thr).data, ref)


@pytest.mark.parametrize("n", [40, 900, 3000])
def test_batched_nms_matches_torchvision(n):
    tv = _tv()
    import torch

    rng = np.random.default_rng(n + 1)
    boxes = _random_boxes(rng, n, span=300.0, max_size=80.0)
    cats = rng.integers(0, 5, n)
    # NOTE: above 1000 boxes torchvision orders its result with an unstable sort, so
    # equal scores may come in any order there; distinct scores make it well defined.
    scores = rng.permutation(n).astype(np.float32) / n if n > 1000 else \
        np.round(rng.uniform(0, 1, n), 2).astype(np.float32)
    ref = tv.ops.batched_nms(torch.tensor(boxes), torch.tensor(scores), torch.tensor(cats),
                             0.5).numpy()
    out = batched_nms(gn.tensor(boxes), gn.tensor(scores), gn.tensor(cats), 0.5).detach().numpy()
    np.testing.assert_array_equal(out, ref)
