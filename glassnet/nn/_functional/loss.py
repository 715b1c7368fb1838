"""nn.functional: loss ops (filled in by the loss work)."""
from __future__ import annotations

__all__: list = []
