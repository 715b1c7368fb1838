"""``Unfold`` (im2col, ``F.unfold``) and ``Fold`` (col2im, ``F.fold``): the column
buffers of :class:`glassnet.ops.window.Window` as differentiable ops, in torch's
``(N, C*kh*kw, L)`` block layout."""
from __future__ import annotations

from glassnet.autograd import Function
from glassnet.backend import get_array_module
from glassnet.ops.window import _output

def _cols_to_blocks(cols, win):
    """``(C, T, N, L)`` canvas columns -> torch's ``(N, C*T, Ho*Wo)`` block matrix."""
    c, t, n = cols.shape[:3]
    blocks = win.crop(cols).transpose(2, 0, 1, 3, 4)  # (N, C, T, Ho, Wo)
    xp = get_array_module(cols)
    return xp.ascontiguousarray(blocks).reshape(n, c * t, win.Ho * win.Wo)


def _blocks_to_cols(blocks, win):
    """Inverse of :func:`_cols_to_blocks` (zeros in the garbage canvas columns)."""
    n, ct = blocks.shape[:2]
    b = blocks.reshape(n, ct // win.ntaps, win.ntaps, win.Ho, win.Wo)
    return win.pad_canvas(b.transpose(1, 2, 0, 3, 4))


class Unfold(Function):
    """im2col: ``(N, C, H, W) -> (N, C*kh*kw, Ho*Wo)`` (``torch.nn.functional.unfold``)."""

    def forward(self, x, *, window):
        self.win = window
        return _cols_to_blocks(window.im2col(window.to_grid(x)), window)

    def backward(self, g):
        win = self.win
        return win.from_grid(win.col2im(_blocks_to_cols(g, win)))


class Fold(Function):
    """col2im: ``(N, C*kh*kw, L) -> (N, C, H, W)``, summing overlapping values."""

    def forward(self, cols, *, window):
        self.win = window
        return _output(window.from_grid(window.col2im(_blocks_to_cols(cols, window))))

    def backward(self, g):
        win = self.win
        return _cols_to_blocks(win.im2col(win.to_grid(g)), win)
