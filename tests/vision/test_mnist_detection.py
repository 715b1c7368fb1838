"""MNISTDetection: torchvision's target format, determinism, tight boxes, real digits."""
from pathlib import Path

import numpy as np
import pytest

from glassnet.tensor import Tensor
from glassnet.utils.data import DataLoader
from glassnet.vision import transforms as T
from glassnet.vision.datasets import MNIST, MNISTDetection, collate_fn

REPO = Path(__file__).resolve().parents[2]
MNIST_DIR = REPO.parent / "shared" / "data" / "mnist"
pytestmark = pytest.mark.skipif(not (MNIST_DIR / "t10k-labels-idx1-ubyte.gz").is_file(),
                                reason="shared MNIST files not found")


@pytest.fixture(scope="module")
def test_set():
    return MNISTDetection(MNIST_DIR, train=False, seed=3)


def test_sample_is_a_pil_image_and_a_torchvision_target(test_set):
    img, target = test_set[0]
    assert img.mode == "L" and img.size == (96, 96)
    assert set(target) == {"boxes", "labels"}
    boxes, labels = target["boxes"], target["labels"]
    assert isinstance(boxes, Tensor) and boxes.dtype == np.float32
    assert labels.dtype == np.int64 and boxes.shape == (labels.shape[0], 4)
    b = boxes.numpy()
    assert (b[:, 2] > b[:, 0]).all() and (b[:, 3] > b[:, 1]).all()
    assert (b >= 0).all() and (b <= 96).all()
    assert set(labels.numpy().tolist()) <= set(range(10))
    x = T.ToTensor()(img)
    assert x.shape == (1, 96, 96) and float(x.max()) <= 1.0


def test_scenes_are_deterministic_per_seed_and_index(test_set):
    again = MNISTDetection(MNIST_DIR, train=False, seed=3)
    other = MNISTDetection(MNIST_DIR, train=False, seed=4)
    for i in (5, 0, 17):  # any access order
        a, b = test_set.scene(i), again.scene(i)
        for u, v in zip(a, b):
            np.testing.assert_array_equal(u, v)
    assert not np.array_equal(test_set.scene(5)[0], other.scene(5)[0])
    assert not np.array_equal(test_set.scene(5)[0], test_set.scene(6)[0])


def test_boxes_are_tight_around_the_ink_and_nothing_is_outside_them(test_set):
    for i in range(40):
        image, boxes, _ = test_set.scene(i)
        ink = image >= 32
        covered = np.zeros_like(ink)
        for x1, y1, x2, y2 in boxes.astype(int):
            inside = ink[y1:y2, x1:x2]
            # every border row and column of the box holds ink: no slack on any side
            assert inside[0].any() and inside[-1].any()
            assert inside[:, 0].any() and inside[:, -1].any()
            covered[y1:y2, x1:x2] = True
        assert not (image[~covered] > 0).any()  # no pixel drawn outside every box


def test_digit_count_scale_and_overlap_follow_the_arguments():
    d = MNISTDetection(MNIST_DIR, train=False, num_digits=(2, 3), scale=(20, 24),
                       max_overlap=0.0, length=30)
    assert len(d) == 30
    counts = []
    for i in range(30):
        _, boxes, labels = d.scene(i)
        counts.append(len(labels))
        h = boxes[:, 3] - boxes[:, 1]
        assert (h <= 24).all() and (h >= 18).all()  # re-tightening may trim a row or two
        for a in range(len(boxes)):
            for b in range(a + 1, len(boxes)):
                w = min(boxes[a, 2], boxes[b, 2]) - max(boxes[a, 0], boxes[b, 0])
                hh = min(boxes[a, 3], boxes[b, 3]) - max(boxes[a, 1], boxes[b, 1])
                assert w <= 0 or hh <= 0  # max_overlap=0: disjoint boxes
    assert set(counts) == {2, 3}


def test_labels_are_the_digits_of_the_pasted_mnist_images():
    # one digit at its natural height on a canvas: the scene's ink is MNIST digit j's ink
    d = MNISTDetection(MNIST_DIR, train=False, num_digits=1, length=20)
    mnist = MNIST(MNIST_DIR, train=False)
    rng = np.random.default_rng([d.seed, 0, 7])  # the dataset's own stream for index 7
    rng.integers(1, 2)
    j = int(rng.integers(len(mnist)))
    assert int(d.scene(7)[2][0]) == int(mnist.targets[j])
    # and over many scenes every digit class appears, about as often as in MNIST (10%)
    many = MNISTDetection(MNIST_DIR, train=False, length=200)
    freq = np.bincount(np.concatenate([many.scene(i)[2] for i in range(200)]),
                       minlength=10) / sum(len(many.scene(i)[2]) for i in range(200))
    assert freq.min() > 0.04 and freq.max() < 0.17


def test_collate_keeps_variable_numbers_of_boxes():
    d = MNISTDetection(MNIST_DIR, train=False, length=8, transform=T.ToTensor())
    images, targets = next(iter(DataLoader(d, batch_size=4, collate_fn=collate_fn)))
    assert len(images) == 4 and len(targets) == 4
    assert all(im.shape == (1, 96, 96) for im in images)
    ks = [len(d.scene(i)[2]) for i in range(4)]
    assert [t["boxes"].shape[0] for t in targets] == ks


def test_bad_arguments_are_rejected_with_the_argument_named():
    with pytest.raises(ValueError, match="num_digits must satisfy"):
        MNISTDetection(MNIST_DIR, num_digits=(3, 1))
    with pytest.raises(ValueError, match="scale's max"):
        MNISTDetection(MNIST_DIR, canvas=32, scale=(14, 40))
    with pytest.raises(TypeError, match="scale must be an int or a pair"):
        MNISTDetection(MNIST_DIR, scale=(1.5, 3))
