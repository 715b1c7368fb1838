"""nn.functional: pool ops (filled in by the pool work)."""
from __future__ import annotations

__all__: list = []
