"""Neural-network modules (``torch.nn``)."""
from __future__ import annotations

from glassnet.nn import functional  # noqa: F401
