"""nn.functional: sampling ops (filled in by the sampling work)."""
from __future__ import annotations

__all__: list = []
