"""Metrics against hand-computed cases (and scikit-learn where installed)."""
from __future__ import annotations

import numpy as np
import pytest

from glassnet.train.metrics import (MetricAccumulator, accuracy, classification_report,
                                    confusion_matrix, precision_recall_f1, topk_accuracy)

TARGET = np.array([0, 0, 1, 1, 2, 2])
PRED = np.array([0, 1, 1, 1, 0, 2])


def test_accuracy_from_labels_and_scores():
    assert accuracy(PRED, TARGET) == pytest.approx(4 / 6)
    scores = np.eye(3)[PRED] * 5.0
    assert accuracy(scores, TARGET) == pytest.approx(4 / 6)


def test_confusion_matrix_hand_computed():
    cm = confusion_matrix(PRED, TARGET, 3)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 0], [1, 0, 1]])


def test_precision_recall_f1_hand_computed():
    r = precision_recall_f1(confusion_matrix(PRED, TARGET, 3))
    # class 0: tp 1, predicted 2, true 2 -> p 0.5 r 0.5; class 1: p 2/3 r 1; class 2: p 1 r .5
    np.testing.assert_allclose(r["precision"], [0.5, 2 / 3, 1.0])
    np.testing.assert_allclose(r["recall"], [0.5, 1.0, 0.5])
    np.testing.assert_allclose(r["f1"], [0.5, 0.8, 2 / 3])
    assert r["macro_f1"] == pytest.approx((0.5 + 0.8 + 2 / 3) / 3)


def test_never_predicted_class_has_zero_precision_like_sklearn():
    cm = confusion_matrix(np.array([0, 0]), np.array([0, 1]), 2)
    r = precision_recall_f1(cm)
    assert r["precision"][1] == 0 and r["recall"][1] == 0 and r["f1"][1] == 0


def test_matches_sklearn_on_random_labels():
    skm = pytest.importorskip("sklearn.metrics")
    rng = np.random.default_rng(0)
    t, p = rng.integers(0, 5, 200), rng.integers(0, 5, 200)
    r = precision_recall_f1(confusion_matrix(p, t, 5))
    np.testing.assert_allclose(r["f1"], skm.f1_score(t, p, average=None))
    assert r["macro_precision"] == pytest.approx(skm.precision_score(t, p, average="macro"))
    np.testing.assert_array_equal(confusion_matrix(p, t, 5), skm.confusion_matrix(t, p))


def test_topk_accuracy():
    scores = np.array([[0.1, 0.5, 0.4], [0.8, 0.15, 0.05], [0.2, 0.3, 0.5]])
    target = np.array([2, 2, 0])
    assert topk_accuracy(scores, target, 1) == 0.0
    assert topk_accuracy(scores, target, 2) == pytest.approx(1 / 3)
    assert topk_accuracy(scores, target, 3) == 1.0
    with pytest.raises(ValueError, match="topk_accuracy: k must be in"):
        topk_accuracy(scores, target, 4)


def test_accumulator_weights_loss_by_batch_size():
    acc = MetricAccumulator(num_classes=3, topk=2)
    acc.update(1.0, np.eye(3)[[0, 1]], np.array([0, 1]))
    acc.update(4.0, np.eye(3)[[2, 2, 2, 2]], np.array([2, 2, 0, 1]))
    m = acc.compute()
    assert m["loss"] == pytest.approx((1.0 * 2 + 4.0 * 4) / 6)
    assert m["accuracy"] == pytest.approx(4 / 6)
    assert acc.confusion_matrix().sum() == 6


def test_errors_and_report():
    with pytest.raises(ValueError, match="confusion_matrix: labels must be in"):
        confusion_matrix(np.array([0, 3]), np.array([0, 1]), 2)
    with pytest.raises(ValueError, match="accuracy: output has 2 samples but target has 3"):
        accuracy(np.array([0, 1]), np.array([0, 1, 1]))
    text = classification_report(confusion_matrix(PRED, TARGET, 3), ["a", "b", "c"])
    assert "macro" in text and "precision" in text
