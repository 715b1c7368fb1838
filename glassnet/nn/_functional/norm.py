"""nn.functional: norm ops (filled in by the norm work)."""
from __future__ import annotations

__all__: list = []
