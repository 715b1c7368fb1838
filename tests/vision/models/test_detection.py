"""Detectors: torchvision's output format; the losses, anchors, matching, the RPN and
RoI heads (on the same sampled anchors and proposals) and the postprocessing against
torchvision itself on the same inputs (against torchvision's formulas transcribed in
plain torch where torchvision is not installed, the transcription itself checked against
torchvision where it is); and a short training run that raises the test mAP (through
``glassnet train --task detection`` and ``predict``)."""
import json
from pathlib import Path

import numpy as np
import pytest

import glassnet
from glassnet import from_numpy
from glassnet.vision.models.detection import (FasterRCNN, RetinaNet, fasterrcnn_small,
                                              retinanet_small)

REPO = Path(__file__).resolve().parents[3]
MNIST_DIR = REPO.parent / "shared" / "data" / "mnist"
needs_mnist = pytest.mark.skipif(not (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").is_file(),
                                 reason="shared MNIST files not found")


def _targets(rng, n, offset=0):
    out = []
    for _ in range(n):
        k = int(rng.integers(1, 4))
        xy = rng.uniform(0, 60, (k, 2))
        wh = rng.uniform(8, 34, (k, 2))
        out.append({"boxes": np.concatenate([xy, xy + wh], 1).astype(np.float32),
                    "labels": rng.integers(0, 10, k) + offset})
    return out


@pytest.mark.parametrize("build", [retinanet_small, fasterrcnn_small])
def test_eval_mode_returns_torchvision_detections(build):
    glassnet.manual_seed(0)
    model = build(score_thresh=0.0).eval()  # keep low scores: an untrained model
    x = from_numpy(np.random.default_rng(0).random((3, 1, 96, 96)).astype(np.float32))
    out = model(x)
    assert len(out) == 3
    for d in out:
        assert set(d) == {"boxes", "scores", "labels"}
        b, s, lab = d["boxes"].numpy(), d["scores"].numpy(), d["labels"].numpy()
        assert b.shape == (len(s), 4) and lab.shape == s.shape and 0 < len(s) <= 100
        assert (np.diff(s) <= 0).all()  # sorted by score, as torchvision
        assert b.dtype == np.float32 and lab.dtype == np.int64
        assert (b[:, 2] >= b[:, 0]).all() and (b >= 0).all() and (b <= 96).all()
        if isinstance(model, FasterRCNN):
            assert ((lab >= 1) & (lab <= 10)).all()  # 0 is the background
        else:
            assert ((lab >= 0) & (lab <= 9)).all()


def _torchvision():
    """torchvision when installed (the reference), else None (the transcription below)."""
    try:
        import torchvision
    except ImportError:
        return None
    return torchvision


# torchvision's formulas transcribed in plain torch: the reference where torchvision is
# not installed (CI), and themselves checked against torchvision where it is.
def _t_encode(torch, gt, anchors, w):
    aw, ah = anchors[:, 2] - anchors[:, 0], anchors[:, 3] - anchors[:, 1]
    ax, ay = anchors[:, 0] + 0.5 * aw, anchors[:, 1] + 0.5 * ah
    gw, gh = gt[:, 2] - gt[:, 0], gt[:, 3] - gt[:, 1]
    gx, gy = gt[:, 0] + 0.5 * gw, gt[:, 1] + 0.5 * gh
    return torch.stack([w[0] * (gx - ax) / aw, w[1] * (gy - ay) / ah,
                        w[2] * torch.log(gw / aw), w[3] * torch.log(gh / ah)], 1)


def _t_focal(torch, x, t, alpha=0.25, gamma=2.0):  # torchvision.ops.sigmoid_focal_loss
    p = torch.sigmoid(x)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(x, t, reduction="none")
    p_t = p * t + (1 - p) * (1 - t)
    loss = ce * ((1 - p_t) ** gamma)
    return (alpha * t + (1 - alpha) * (1 - t)) * loss


def _t_retinanet_loss(torch, loss, loss_type, tg, matched, t_logits, t_reg, t_anchors):
    """RetinaNetHead.compute_loss (classification: focal, or our extra plain BCE)."""
    F = torch.nn.functional
    cls_l, box_l = [], []
    for i, (boxes, labels) in enumerate(tg):
        m = torch.from_numpy(matched[i])
        fg = m >= 0
        num_fg = fg.sum()
        target = torch.zeros_like(t_logits[i])
        target[fg, torch.from_numpy(labels)[m[fg]]] = 1.0
        valid = m != -2
        if loss == "focal":
            per = _t_focal(torch, t_logits[i][valid], target[valid])
        else:
            per = F.binary_cross_entropy_with_logits(t_logits[i][valid], target[valid],
                                                     reduction="none")
        cls_l.append(per.sum() / max(1, num_fg))
        gt = torch.from_numpy(boxes)[m[fg]]
        tr = _t_encode(torch, gt, t_anchors[fg], (1.0, 1.0, 1.0, 1.0))
        if loss_type == "l1":
            box = F.l1_loss(t_reg[i][fg], tr, reduction="sum")
        else:
            box = F.smooth_l1_loss(t_reg[i][fg], tr, reduction="sum", beta=1.0)
        box_l.append(box / max(1, num_fg))
    return sum(cls_l) / len(tg), sum(box_l) / len(tg)


@pytest.mark.parametrize("loss, loss_type", [("focal", "l1"), ("ce", "l1"),
                                             ("focal", "smooth_l1"), ("focal", "giou")])
def test_retinanet_losses_equal_torchvisions(loss, loss_type):
    """RetinaNet.compute_loss vs torchvision's RetinaNetHead.compute_loss (the plain-BCE
    classification is ours: vs the transcribed formula) on the same head outputs, anchors
    and matched indices (ours, checked against torchvision's Matcher), float64."""
    torch = pytest.importorskip("torch")
    tv = _torchvision()
    if tv is None and loss_type == "giou":
        pytest.skip("torchvision not installed: no transcribed GIoU reference")
    rng = np.random.default_rng(1)
    glassnet.manual_seed(0)
    model = retinanet_small(classification_loss=loss)
    model.head.regression_head._loss_type = loss_type
    anchors = model.anchor_generator((96, 96), [(12, 12), (6, 6)])
    anchors = from_numpy(anchors.numpy().astype(np.float64))
    a = anchors.shape[0]
    targets = _targets(rng, 2) + [{"boxes": np.zeros((0, 4), np.float32),
                                   "labels": np.zeros(0, np.int64)}]  # one empty image
    logits = rng.normal(-2, 1.5, (3, a, 10))
    reg = rng.normal(0, 0.3, (3, a, 4))
    g_logits = from_numpy(logits).requires_grad_(True)
    g_reg = from_numpy(reg).requires_grad_(True)
    tg = [(t["boxes"].astype(np.float64), t["labels"]) for t in targets]
    ours = model.compute_loss(tg, {"cls_logits": g_logits, "bbox_regression": g_reg}, anchors)
    (ours["classification"] + ours["bbox_regression"]).backward()
    matched = model._match(tg, anchors)
    t_logits = torch.tensor(logits, requires_grad=True)
    t_reg = torch.tensor(reg, requires_grad=True)
    t_anchors = torch.from_numpy(anchors.numpy())
    refs = []
    if loss_type != "giou":
        refs.append(_t_retinanet_loss(torch, loss, loss_type, tg, matched, t_logits, t_reg,
                                      t_anchors))
    if tv is not None:
        from torchvision.models.detection._utils import Matcher as TVMatcher
        from torchvision.models.detection.retinanet import RetinaNetHead as TVHead
        from torchvision.ops import box_iou as tv_box_iou

        t_targets = [{"boxes": torch.from_numpy(b), "labels": torch.from_numpy(lab)}
                     for b, lab in tg]
        tv_matcher = TVMatcher(0.5, 0.4, allow_low_quality_matches=True)
        tv_matched = [tv_matcher(tv_box_iou(t["boxes"], t_anchors)) if len(t["boxes"])
                      else torch.full((a,), -1, dtype=torch.int64) for t in t_targets]
        for ours_m, ref_m in zip(matched, tv_matched):
            np.testing.assert_array_equal(ours_m, ref_m.numpy())
        head = TVHead(64, 6, 10)
        head.regression_head._loss_type = loss_type
        outputs = {"cls_logits": t_logits, "bbox_regression": t_reg}
        box = head.regression_head.compute_loss(t_targets, outputs, [t_anchors] * 3,
                                                tv_matched)
        cls = (head.classification_head.compute_loss(t_targets, outputs, tv_matched)
               if loss == "focal" else refs[0][0])
        refs.insert(0, (cls, box))
    t_cls, t_box = refs[0]
    for cls, box in refs[1:]:  # the transcription agrees with torchvision
        assert cls.item() == pytest.approx(t_cls.item(), rel=1e-12)
        assert box.item() == pytest.approx(t_box.item(), rel=1e-12)
    (t_cls + t_box).backward()
    assert float(ours["classification"]) == pytest.approx(t_cls.item(), rel=1e-10)
    assert float(ours["bbox_regression"]) == pytest.approx(t_box.item(), rel=1e-10)
    np.testing.assert_allclose(g_logits.grad.numpy(), t_logits.grad.numpy(), rtol=1e-10,
                               atol=1e-14)
    np.testing.assert_allclose(g_reg.grad.numpy(), t_reg.grad.numpy(), rtol=1e-10,
                               atol=1e-14)
    # the background flood: almost every anchor in the loss is background
    assert model.last_stats["background_fraction"] > 0.95


def test_fastrcnn_loss_equals_torchvisions():
    """RoIHeads.compute_loss vs torchvision's roi_heads.fastrcnn_loss (or its
    transcription without torchvision), float64."""
    torch = pytest.importorskip("torch")
    tv = _torchvision()
    rng = np.random.default_rng(2)
    model = fasterrcnn_small()
    heads = model.roi_heads
    samples = []
    for n in (7, 5):
        props = _targets(rng, 1)[0]["boxes"][:1].repeat(n, 0) + rng.normal(0, 2, (n, 4))
        props[:, 2:] = np.maximum(props[:, 2:], props[:, :2] + 2)
        labels = rng.integers(0, 11, n)
        gts = props + rng.normal(0, 1.5, (n, 4))
        gts[:, 2:] = np.maximum(gts[:, 2:], gts[:, :2] + 2)
        samples.append((props, labels, gts))
    r = sum(len(s[1]) for s in samples)
    logits, reg = rng.normal(0, 1, (r, 11)), rng.normal(0, 0.2, (r, 44))
    g_logits = from_numpy(logits).requires_grad_(True)
    g_reg = from_numpy(reg).requires_grad_(True)
    ours = heads.compute_loss(g_logits, g_reg, samples)
    (ours["loss_classifier"] + ours["loss_box_reg"]).backward()
    labels = torch.from_numpy(np.concatenate([s[1] for s in samples]))
    t_logits = torch.tensor(logits, requires_grad=True)
    t_reg = torch.tensor(reg, requires_grad=True)
    # the transcription of fastrcnn_loss
    targets = _t_encode(torch, torch.from_numpy(np.concatenate([s[2] for s in samples])),
                        torch.from_numpy(np.concatenate([s[0] for s in samples])),
                        (10.0, 10.0, 5.0, 5.0))
    cls = torch.nn.functional.cross_entropy(t_logits, labels)
    pos = torch.where(labels > 0)[0]
    box = torch.nn.functional.smooth_l1_loss(t_reg.reshape(r, -1, 4)[pos, labels[pos]],
                                             targets[pos], beta=1 / 9,
                                             reduction="sum") / labels.numel()
    if tv is not None:
        from torchvision.models.detection._utils import BoxCoder as TVBoxCoder
        from torchvision.models.detection.roi_heads import fastrcnn_loss

        enc = TVBoxCoder((10.0, 10.0, 5.0, 5.0)).encode(
            [torch.from_numpy(s[2]) for s in samples], [torch.from_numpy(s[0])
                                                         for s in samples])
        ref_cls, ref_box = fastrcnn_loss(t_logits, t_reg,
                                         [torch.from_numpy(s[1]) for s in samples], enc)
        assert cls.item() == pytest.approx(ref_cls.item(), rel=1e-12)
        assert box.item() == pytest.approx(ref_box.item(), rel=1e-12)
        cls, box = ref_cls, ref_box
    (cls + box).backward()
    assert float(ours["loss_classifier"]) == pytest.approx(cls.item(), rel=1e-10)
    assert float(ours["loss_box_reg"]) == pytest.approx(box.item(), rel=1e-10)
    np.testing.assert_allclose(g_logits.grad.numpy(), t_logits.grad.numpy(), rtol=1e-10,
                               atol=1e-14)
    np.testing.assert_allclose(g_reg.grad.numpy(), t_reg.grad.numpy(), rtol=1e-10,
                               atol=1e-14)


def _recording(sampler, record):
    """Our BalancedPositiveNegativeSampler, its draws kept for torchvision's to replay."""
    def sample(labels, generator=None):
        out = sampler(labels, generator)
        record.append(out)
        return out
    return sample


def _replay(torch, record):
    return lambda labels: tuple([torch.from_numpy(m.numpy()) for m in masks]
                                for masks in record.pop(0))


def _tv_boxes(torch, targets):
    return [{"boxes": torch.from_numpy(b), "labels": torch.from_numpy(lab)}
            for b, lab in targets]


def test_rpn_equals_torchvisions_region_proposal_network():
    """The whole RPN (anchors, 0.7/0.3 matching, loss on the same sampled anchors,
    proposals after top-n, clipping and per-level NMS, and their gradients) against
    torchvision's RegionProposalNetwork with the same head weights, float64."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision", reason="torchvision not installed")
    from collections import OrderedDict

    from torchvision.models.detection._utils import Matcher as TVMatcher
    from torchvision.models.detection.anchor_utils import AnchorGenerator as TVAnchors
    from torchvision.models.detection.image_list import ImageList
    from torchvision.models.detection.rpn import RegionProposalNetwork as TVRPN
    from torchvision.models.detection.rpn import RPNHead as TVRPNHead
    from torchvision.ops import box_iou as tv_box_iou

    from glassnet.vision.models.detection.retinanet import (SMALL_ANCHOR_SIZES,
                                                            SMALL_ASPECT_RATIOS)
    from glassnet.vision.ops import box_iou

    rng = np.random.default_rng(4)
    rpn = fasterrcnn_small().rpn.double()
    # random head weights, larger than the init's, so that objectness scores spread out
    state = {k: rng.normal(0, 0.05, v.shape) for k, v in rpn.head.state_dict().items()}
    rpn.head.load_state_dict({k: from_numpy(v) for k, v in state.items()})
    tv_head = TVRPNHead(64, 6).double()
    tv_head.load_state_dict({k.replace("conv.0.", "conv.0.0."): torch.from_numpy(v)
                             for k, v in state.items()})
    tv_rpn = TVRPN(TVAnchors(SMALL_ANCHOR_SIZES, SMALL_ASPECT_RATIOS), tv_head, 0.7, 0.3,
                   256, 0.5, rpn._pre_nms_top_n, rpn._post_nms_top_n, rpn.nms_thresh)
    feats = [rng.normal(0, 1, (3, 64, 12, 12)), rng.normal(0, 1, (3, 64, 6, 6))]
    images = ImageList(torch.zeros(3, 1, 96, 96, dtype=torch.float64), [(96, 96)] * 3)
    t_feats = OrderedDict((f"c{i}", torch.tensor(f, requires_grad=True))
                          for i, f in enumerate(feats))
    tg = [(t["boxes"].astype(np.float64), t["labels"]) for t in _targets(rng, 2, offset=1)]
    tg.append((np.zeros((0, 4)), np.zeros(0, np.int64)))  # an image without objects
    # anchors and the 0.7 / 0.3 matcher (low-quality matches kept)
    anchors = rpn.anchor_generator((96, 96), [(12, 12), (6, 6)])
    tv_anchors = tv_rpn.anchor_generator(images, list(t_feats.values()))
    for a in tv_anchors:
        np.testing.assert_array_equal(anchors.numpy(), a.numpy())
    for boxes, _ in tg[:2]:
        iou = box_iou(from_numpy(boxes), from_numpy(anchors.numpy().astype(np.float64)))
        np.testing.assert_array_equal(
            rpn.proposal_matcher(iou).numpy(),
            TVMatcher(0.7, 0.3, True)(tv_box_iou(torch.from_numpy(boxes),
                                                 tv_anchors[0])).numpy())
    # training: the same sampled anchors on both sides
    record = []
    rpn.fg_bg_sampler = _recording(rpn.fg_bg_sampler, record)
    tv_rpn.fg_bg_sampler = _replay(torch, record)
    g_feats = [from_numpy(f).requires_grad_(True) for f in feats]
    boxes, losses = rpn((96, 96), g_feats, tg)
    tv_boxes, tv_losses = tv_rpn(images, t_feats, _tv_boxes(torch, tg))
    assert not record  # torchvision replayed our draw
    assert set(losses) == set(tv_losses)
    # NOTE: torchvision's labels are float32, and torch's binary_cross_entropy_with_logits
    # returns the target's dtype: its float64 objectness loss is rounded to float32.
    assert tv_losses["loss_objectness"].dtype == torch.float32
    assert float(losses["loss_objectness"]) == pytest.approx(
        tv_losses["loss_objectness"].item(), rel=1e-7)
    assert float(losses["loss_rpn_box_reg"]) == pytest.approx(
        tv_losses["loss_rpn_box_reg"].item(), rel=1e-10)
    assert rpn.last_stats["sampled"] == 3 * 256
    for b, ref in zip(boxes, tv_boxes):
        assert b.shape == tuple(ref.shape) and len(b) == 100  # post_nms_top_n (training)
        np.testing.assert_allclose(b, ref.detach().numpy(), rtol=1e-10, atol=1e-10)
    sum(losses.values()).backward()
    sum(tv_losses.values()).backward()
    for g, t in zip(g_feats, t_feats.values()):
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-14)
    # inference: the testing top-n
    rpn.eval()
    tv_rpn.eval()
    boxes, _ = rpn((96, 96), g_feats)
    tv_boxes, _ = tv_rpn(images, t_feats)
    for b, ref in zip(boxes, tv_boxes):
        assert b.shape == tuple(ref.shape) and len(b) == 50
        np.testing.assert_allclose(b, ref.detach().numpy(), rtol=1e-10, atol=1e-10)


def _tv_roi_heads(heads):
    from torchvision.models.detection.roi_heads import RoIHeads as TVRoIHeads

    return TVRoIHeads(None, None, None, 0.5, 0.5, heads.fg_bg_sampler.batch_size_per_image,
                      heads.fg_bg_sampler.positive_fraction, None, heads.score_thresh,
                      heads.nms_thresh, heads.detections_per_img)


def _proposals(rng, targets, n):
    """``n`` proposals per image, jittered copies of its boxes (some positive) and random
    boxes (negative)."""
    out = []
    for boxes, _ in targets:
        src = boxes if len(boxes) else _targets(rng, 1)[0]["boxes"]
        p = src[rng.integers(0, len(src), n)] + rng.normal(0, 4, (n, 4))
        p[n // 2:] = _targets(rng, 1)[0]["boxes"][:1] + rng.uniform(-40, 40, (n - n // 2, 1))
        p = np.clip(p, 0, 96)
        p[:, 2:] = np.maximum(p[:, 2:], p[:, :2] + 2)
        out.append(p.astype(np.float64))
    return out


def test_roi_heads_sampling_and_loss_equal_torchvisions():
    """RoIHeads.select_training_samples (ground truth appended, 0.5 matching, the same
    sampled proposals) then the loss, against torchvision's RoIHeads and fastrcnn_loss."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision", reason="torchvision not installed")
    from torchvision.models.detection.roi_heads import fastrcnn_loss

    rng = np.random.default_rng(5)
    heads = fasterrcnn_small().roi_heads
    tv_heads = _tv_roi_heads(heads)
    tg = [(t["boxes"].astype(np.float64), t["labels"]) for t in _targets(rng, 2, offset=1)]
    tg.append((np.zeros((0, 4)), np.zeros(0, np.int64)))
    props = _proposals(rng, tg, 41)
    record = []
    heads.fg_bg_sampler = _recording(heads.fg_bg_sampler, record)
    tv_heads.fg_bg_sampler = _replay(torch, record)
    samples = heads.select_training_samples(props, tg)
    t_props, _, t_labels, t_reg_targets = tv_heads.select_training_samples(
        [torch.from_numpy(p) for p in props], _tv_boxes(torch, tg))
    assert not record
    assert sum((s[1] > 0).sum() for s in samples) > 4  # positives in the loss
    for (p, lab, _), tp, tl in zip(samples, t_props, t_labels):
        np.testing.assert_array_equal(p, tp.numpy())
        np.testing.assert_array_equal(lab, tl.numpy())
    r = sum(len(s[1]) for s in samples)
    logits, reg = rng.normal(0, 1, (r, 11)), rng.normal(0, 0.2, (r, 44))
    g_logits = from_numpy(logits).requires_grad_(True)
    g_reg = from_numpy(reg).requires_grad_(True)
    ours = heads.compute_loss(g_logits, g_reg, samples)
    t_logits = torch.tensor(logits, requires_grad=True)
    t_reg = torch.tensor(reg, requires_grad=True)
    cls, box = fastrcnn_loss(t_logits, t_reg, t_labels, t_reg_targets)
    assert float(ours["loss_classifier"]) == pytest.approx(cls.item(), rel=1e-10)
    assert float(ours["loss_box_reg"]) == pytest.approx(box.item(), rel=1e-10)
    (ours["loss_classifier"] + ours["loss_box_reg"]).backward()
    (cls + box).backward()
    np.testing.assert_allclose(g_reg.grad.numpy(), t_reg.grad.numpy(), rtol=1e-10,
                               atol=1e-14)


def _assert_same_detections(ours, ref):
    assert len(ours) == len(ref)
    for d, t in zip(ours, ref):
        assert len(d["scores"]) == len(t["scores"]) > 0
        np.testing.assert_array_equal(d["labels"].numpy(), t["labels"].numpy())
        np.testing.assert_allclose(d["scores"].numpy(), t["scores"].numpy(), rtol=1e-6)
        np.testing.assert_allclose(d["boxes"].numpy(), t["boxes"].numpy(), rtol=1e-5,
                                   atol=1e-4)


def test_roi_heads_postprocess_equals_torchvisions():
    """Softmax, per-class decoding and clipping, background dropped, score threshold,
    small boxes removed, per-class NMS, the best ``detections_per_img`` (float32)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision", reason="torchvision not installed")
    rng = np.random.default_rng(6)
    heads = fasterrcnn_small(detections_per_img=40).roi_heads
    tv_heads = _tv_roi_heads(heads)
    tg = [(t["boxes"], t["labels"]) for t in _targets(rng, 2, offset=1)]
    props = [p.astype(np.float32) for p in _proposals(rng, tg, 50)]
    logits = rng.normal(0, 2, (100, 11)).astype(np.float32)
    reg = rng.normal(0, 0.5, (100, 44)).astype(np.float32)
    ours = heads.postprocess(from_numpy(logits), from_numpy(reg), props, (96, 96))
    boxes, scores, labels = tv_heads.postprocess_detections(
        torch.from_numpy(logits), torch.from_numpy(reg), [torch.from_numpy(p) for p in props],
        [(96, 96)] * 2)
    ref = [{"boxes": b, "scores": s, "labels": lab} for b, s, lab in zip(boxes, scores, labels)]
    assert len(ref[0]["scores"]) == 40  # the top-k cut bites
    _assert_same_detections(ours, ref)


def test_retinanet_postprocess_equals_torchvisions():
    """Per level the ``topk_candidates`` best scores above the threshold, decoded and
    clipped, then per-class NMS over the levels and the ``detections_per_img`` best,
    against torchvision's RetinaNet.postprocess_detections (float32)."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision", reason="torchvision not installed")
    from torchvision.models.detection.retinanet import RetinaNet as TVRetinaNet
    from torchvision.models.detection.retinanet import RetinaNetHead as TVHead

    rng = np.random.default_rng(7)
    model = retinanet_small(topk_candidates=120, detections_per_img=60)
    backbone = torch.nn.Module()
    backbone.out_channels = 64
    ref_model = TVRetinaNet(backbone, 10, head=TVHead(64, 6, 10), topk_candidates=120,
                            detections_per_img=60, score_thresh=model.score_thresh,
                            nms_thresh=model.nms_thresh)
    level_sizes = [12 * 12 * 6, 6 * 6 * 6]
    anchors = model.anchor_generator((96, 96), [(12, 12), (6, 6)])
    logits = rng.normal(-3, 1.5, (2, sum(level_sizes), 10)).astype(np.float32)
    reg = rng.normal(0, 0.3, (2, sum(level_sizes), 4)).astype(np.float32)
    ours = model.postprocess_detections(
        {"cls_logits": from_numpy(logits), "bbox_regression": from_numpy(reg)}, anchors,
        (96, 96), level_sizes)
    split = {k: list(torch.from_numpy(v).split(level_sizes, dim=1))
             for k, v in (("cls_logits", logits), ("bbox_regression", reg))}
    t_anchors = [list(torch.from_numpy(anchors.numpy()).split(level_sizes))] * 2
    ref = ref_model.postprocess_detections(split, t_anchors, [(96, 96)] * 2)
    assert len(ref[0]["scores"]) == 60  # the top-k cut bites
    _assert_same_detections(ours, ref)


def _to_torch(state):
    import torch

    return {k: torch.from_numpy(v.numpy().astype(np.float64)) for k, v in state.items()}


def test_detection_modules_load_into_torchvisions_and_compute_the_same():
    """Our FPN, RetinaNet head, TwoMLPHead and FastRCNNPredictor state_dicts load strictly
    into torchvision's modules (in its v1 key layout, which torchvision converts), and the
    outputs and input gradients are equal in float64."""
    torch = pytest.importorskip("torch")
    pytest.importorskip("torchvision", reason="torchvision not installed")
    from collections import OrderedDict

    from torchvision.models.detection.faster_rcnn import FastRCNNPredictor as TVPredictor
    from torchvision.models.detection.faster_rcnn import TwoMLPHead as TVTwoMLPHead
    from torchvision.models.detection.retinanet import RetinaNetHead as TVHead
    from torchvision.ops import FeaturePyramidNetwork as TVFPN

    from glassnet.vision.models.detection._utils import FeaturePyramidNetwork
    from glassnet.vision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
    from glassnet.vision.models.detection.retinanet import RetinaNetHead

    rng = np.random.default_rng(8)

    def randomised(module):  # random weights, so that no term is zero
        module.load_state_dict({k: from_numpy(rng.normal(0, 0.1, v.shape))
                                for k, v in module.state_dict().items()})
        return module.double()

    def compare(ours, ref, inputs):
        g_in = [from_numpy(x).requires_grad_(True) for x in inputs]
        t_in = [torch.tensor(x, requires_grad=True) for x in inputs]
        out, t_out = ours(g_in), ref(t_in)
        flat = list(out.values()) if isinstance(out, dict) else list(out)
        t_flat = list(t_out.values()) if isinstance(t_out, dict) else list(t_out)
        assert len(flat) == len(t_flat)
        for a, b in zip(flat, t_flat):
            np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10,
                                       atol=1e-12)
        sum((a * a).sum() for a in flat).backward()
        sum((b * b).sum() for b in t_flat).backward()
        for a, b in zip(g_in, t_in):
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-9, atol=1e-12)

    feats = [rng.normal(0, 1, (2, 32, 12, 10)), rng.normal(0, 1, (2, 64, 6, 5))]
    fpn = randomised(FeaturePyramidNetwork([32, 64], 16))
    tv_fpn = TVFPN([32, 64], 16).double()
    tv_fpn.load_state_dict(_to_torch(fpn.state_dict()))
    compare(lambda xs: fpn(OrderedDict(zip("ab", xs))),
            lambda xs: tv_fpn(OrderedDict(zip("ab", xs))), feats)
    maps = [rng.normal(0, 1, (2, 16, 12, 10)), rng.normal(0, 1, (2, 16, 6, 5))]
    head = randomised(RetinaNetHead(16, 6, 10))  # torchvision's 4 convs per subnet
    tv_head = TVHead(16, 6, 10).double()
    tv_head.load_state_dict(_to_torch(head.state_dict()))
    compare(head, tv_head, maps)
    box_head = randomised(TwoMLPHead(16 * 7 * 7, 32))
    tv_box_head = TVTwoMLPHead(16 * 7 * 7, 32).double()
    tv_box_head.load_state_dict(_to_torch(box_head.state_dict()))
    predictor = randomised(FastRCNNPredictor(32, 11))
    tv_predictor = TVPredictor(32, 11).double()
    tv_predictor.load_state_dict(_to_torch(predictor.state_dict()))
    compare(lambda xs: predictor(box_head(xs[0])),
            lambda xs: tv_predictor(tv_box_head(xs[0])), [rng.normal(0, 1, (5, 16, 7, 7))])


def test_constructor_defaults_are_torchvisions():
    pytest.importorskip("torchvision", reason="torchvision not installed")
    import inspect

    from torchvision.models.detection.retinanet import RetinaNet as TVRetinaNet

    ours = inspect.signature(RetinaNet).parameters
    ref = inspect.signature(TVRetinaNet).parameters
    shared = sorted(set(ours) & set(ref) - {"backbone", "num_classes", "kwargs"})
    assert len(shared) >= 8 and "detections_per_img" in shared
    assert {k: ours[k].default for k in shared} == {k: ref[k].default for k in shared}
    # the default anchors (five FPN levels, three scales, three ratios) are torchvision's
    import torch
    from torchvision.models.detection.image_list import ImageList
    from torchvision.models.detection.retinanet import _default_anchorgen

    from glassnet.vision.models.detection._utils import BackboneWithFPN, SmallBackbone

    fmaps = [(32, 32), (16, 16), (8, 8), (4, 4), (2, 2)]
    model = RetinaNet(BackboneWithFPN(SmallBackbone()), 10)
    ref_anchors = _default_anchorgen()(ImageList(torch.zeros(1, 3, 256, 256), [(256, 256)]),
                                       [torch.zeros(1, 1, h, w) for h, w in fmaps])[0]
    np.testing.assert_array_equal(model.anchor_generator((256, 256), fmaps).numpy(),
                                  ref_anchors.numpy())


def test_rpn_samples_256_anchors_with_at_most_half_positive():
    rng = np.random.default_rng(3)
    glassnet.manual_seed(0)
    model = fasterrcnn_small()
    x = from_numpy(rng.random((2, 1, 96, 96)).astype(np.float32))
    losses = model(x, _targets(rng, 2, offset=1))
    st = model.rpn.last_stats
    assert st["sampled"] == 2 * 256 and 0 < st["sampled_positive"] <= 2 * 128
    assert set(losses) == {"loss_objectness", "loss_rpn_box_reg", "loss_classifier",
                           "loss_box_reg"}
    assert all(np.isfinite(float(v)) for v in losses.values())
    # the objectness loss starts near log 2 (weights std 0.01: logits near 0)
    assert float(losses["loss_objectness"]) == pytest.approx(np.log(2), abs=0.02)


def test_bad_targets_are_refused_with_the_argument_named():
    model = fasterrcnn_small()
    x = from_numpy(np.zeros((1, 1, 96, 96), np.float32))
    with pytest.raises(ValueError, match=r"FasterRCNN: targets\[0\]\['labels'\] must be in "
                                         r"\[1, 11\)"):
        model(x, [{"boxes": np.array([[1., 1, 9, 9]]), "labels": np.array([0])}])
    with pytest.raises(ValueError, match="RetinaNet: targets must be given"):
        retinanet_small()(x)
    with pytest.raises(ValueError, match="positive width and height"):
        retinanet_small()(x, [{"boxes": np.array([[5., 1, 3, 9]]), "labels": np.array([1])}])
    assert isinstance(retinanet_small(), RetinaNet)
    model = retinanet_small()
    model.head.regression_head._loss_type = "ciou"  # torchvision has it; glassnet not yet
    with pytest.raises(ValueError, match=r"RetinaNet: head.regression_head._loss_type must "
                                         r"be one of \('l1', 'smooth_l1', 'giou'\), got 'ciou'"):
        model(x, [{"boxes": np.array([[5., 1, 30, 29]]), "labels": np.array([1])}])


@needs_mnist
def test_short_training_run_raises_map_on_its_scenes():
    from glassnet.train.detection import evaluate_detector, train_detector
    from glassnet.vision.datasets import MNISTDetection

    scenes = MNISTDetection(MNIST_DIR, train=True, length=8)  # a tiny set, fitted
    glassnet.manual_seed(0)
    model = fasterrcnn_small()
    before = evaluate_detector(model, scenes)
    r = train_detector(model, scenes, steps=40, batch_size=8, lr=3e-3)
    after = evaluate_detector(model, scenes)
    assert r["steps"] == 40 and len(r["history"]) == 40
    assert after["map_50"] > before["map_50"] + 0.01
    assert after["mar_100"] > before["mar_100"] + 0.05
    first = np.mean([h["loss"] for h in r["history"][:5]])
    assert np.mean([h["loss"] for h in r["history"][-5:]]) < 0.7 * first


@needs_mnist
def test_train_task_detection_writes_a_checkpoint_that_predict_draws(tmp_path, capsys):
    from PIL import Image

    from glassnet.cli.main import main
    from glassnet.train.detection import load_detector
    from glassnet.vision.datasets import MNISTDetection

    out = tmp_path / "run"
    rc = main(["train", "--task", "detection", "--model", "retinanet_small", "--dataset",
               "mnist-detection", "--data-dir", str(MNIST_DIR), "--max-steps", "2",
               "--batch-size", "2", "--eval-images", "4", "--out", str(out), "--no-progress"])
    assert rc == 0
    r = json.loads((out / "results.json").read_text())
    assert r["model"] == "retinanet_small" and r["steps"] == 2 and r["test"]["images"] == 4
    model = load_detector(out / "detector.safetensors")
    assert isinstance(model, RetinaNet) and not model.training
    Image.fromarray(MNISTDetection(MNIST_DIR, train=False).scene(0)[0]).save(tmp_path / "s.png")
    capsys.readouterr()
    # an untrained model scores ~0.01 everywhere: draw everything above 0.005
    assert main(["predict", str(out / "detector.safetensors"), str(tmp_path / "s.png"),
                 "--score-thresh", "0.005", "--out", str(tmp_path / "boxes.png")]) == 0
    text = capsys.readouterr().out
    assert "digits ->" in text
    drawn = np.asarray(Image.open(tmp_path / "boxes.png"))
    assert drawn.shape == (96, 96, 3)
    n = int(text.split(": ")[1].split()[0])
    green = (drawn[..., 1] == 255) & (drawn[..., 0] == 0) & (drawn[..., 2] == 0)
    assert green.any() == (n > 0)
    with pytest.raises(ValueError, match="not a detection checkpoint"):
        glassnet.save({"a": glassnet.zeros(1)}, tmp_path / "x.safetensors")
        load_detector(tmp_path / "x.safetensors")
