"""nn.functional: activation ops (filled in by the activation work)."""
from __future__ import annotations

__all__: list = []
