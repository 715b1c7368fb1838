"""Every test starts from the same default-generator state, so that a test drawing from
``glassnet.randn`` & co. gives the same numbers whatever ran before it (xdist reorders)."""
from __future__ import annotations

import pytest

import glassnet


@pytest.fixture(autouse=True)
def _seed_default_generator():
    glassnet.manual_seed(0)
    yield
