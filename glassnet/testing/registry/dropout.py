"""Op registry rows: dropout."""
from __future__ import annotations

from glassnet.testing.op_registry import OpInfo, Sample  # noqa: F401

ROWS: list = []
