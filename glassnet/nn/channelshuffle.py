"""``ChannelShuffle`` (``torch.nn.ChannelShuffle``): interleave channel groups."""
from __future__ import annotations

from glassnet.nn import functional as F
from glassnet.nn._layer_checks import _check_int
from glassnet.nn.module import Module

__all__ = ["ChannelShuffle"]


class ChannelShuffle(Module):
    """Split the channels into ``groups`` groups and interleave them (ShuffleNet, Zhang
    et al. 2018): ``(N, g * k, *)`` read as ``(N, g, k, *)``, transposed to
    ``(N, k, g, *)``, flattened back.

    Parameters
    ----------
    groups : int
        Must divide the number of channels.

    Shape
    -----
    - input: ``(N, C, *)`` with at least 3 dims
    - output: same shape

    Examples
    --------
    >>> import glassnet, glassnet.nn as nn
    >>> nn.ChannelShuffle(2)(glassnet.arange(4.).reshape(1, 4, 1)).flatten().tolist()
    [0.0, 2.0, 1.0, 3.0]
    """

    def __init__(self, groups: int):
        super().__init__()
        self.groups = _check_int(groups, "groups", "ChannelShuffle")

    def forward(self, input):
        return F.channel_shuffle(input, self.groups)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"
