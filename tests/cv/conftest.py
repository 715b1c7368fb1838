"""Shared fixtures for the classical-CV tests: OpenCV (optional) and test images."""

import numpy as np
import pytest


@pytest.fixture(scope="session")
def cv2():
    """The OpenCV module, or skip the test when it is not installed."""
    return pytest.importorskip("cv2")


@pytest.fixture(scope="session")
def photos():
    """Real photographs from scikit-image: grey camera and coins, RGB astronaut."""
    data = pytest.importorskip("skimage.data")
    return {"camera": data.camera(), "coins": data.coins(), "astronaut": data.astronaut()}


@pytest.fixture(scope="session")
def random_images():
    """Seeded random uint8 images with odd sizes, grey and 3-channel."""
    rng = np.random.default_rng(1234)
    return {
        "grey_37x53": rng.integers(0, 256, (37, 53), dtype=np.uint8),
        "colour_31x45": rng.integers(0, 256, (31, 45, 3), dtype=np.uint8),
    }

