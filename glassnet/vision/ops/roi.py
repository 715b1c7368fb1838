"""Region-of-interest pooling with ``torchvision.ops`` semantics: ``roi_pool`` (Fast
R-CNN, Girshick 2015, arXiv:1504.08083) and ``roi_align`` (Mask R-CNN, He et al. 2017,
arXiv:1703.06870) and their modules.

Both ops are differentiable with respect to the feature map; the boxes are not (as in
torchvision).  Both work on an NHWC copy of the features so that every gather moves whole
channel vectors, and process RoIs in chunks of bounded memory (sorted by crop size so a
chunk pads little); there is no Python loop over RoIs, bins or pixels.

* ``roi_align`` is separable: bilinear sampling on a tensor-product grid of sample
  points equals ``A_y @ crop @ A_x^T`` per RoI, where ``A_y`` (PH, Hs) and ``A_x``
  (PW, Ws) hold the (averaged) bilinear weights of the rows and columns of the RoI's crop.
  Forward and backward are then two batched GEMMs; the backward scatters the crop
  gradients with a sort + ``np.add.reduceat`` segment sum (no ``np.add.at``).
* ``roi_pool`` is a separable max: running maxima over the window offsets of each bin's
  columns, then of its rows (a handful of offsets, each one vectorised pass).  The
  backward needs the argmax (first maximum in row-major order, torchvision's tie rule):
  float32 maps carry it in packed int64 keys ``(value, row, column)`` so that a plain
  maximum finds it; the backward is one ``np.bincount``.  Under ``no_grad`` only the
  values are computed.
"""
from __future__ import annotations

import numpy as np

from glassnet.autograd import Function, is_grad_enabled
from glassnet.nn.module import Module
from glassnet.tensor import Tensor

__all__ = ["roi_pool", "roi_align", "RoIPool", "RoIAlign"]

_CHUNK = 1 << 22  # elements gathered at once (16 MiB of float32)
_FLT_MAX = float(np.finfo(np.float32).max)


# ---------------------------------------------------------------------------
# Argument handling
# ---------------------------------------------------------------------------
def _output_size(output_size, fn):
    if isinstance(output_size, (int, np.integer)):
        output_size = (int(output_size), int(output_size))
    try:
        ph, pw = (int(v) for v in output_size)
    except (TypeError, ValueError):
        raise ValueError(f"{fn}: output_size must be an int or (height, width), got "
                         f"{output_size!r}") from None
    if ph <= 0 or pw <= 0:
        raise ValueError(f"{fn}: output_size must be positive, got {output_size!r}")
    return ph, pw


def _check_input(input, fn):
    if not isinstance(input, Tensor):
        raise TypeError(f"{fn}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim != 4:
        raise ValueError(f"{fn}: input must have shape (N, C, H, W), got "
                         f"{tuple(input.shape)}")
    if input.dtype.kind != "f":
        raise TypeError(f"{fn}: input dtype must be float32 or float64, got {input.dtype}")


def _rois(boxes, n_batch, dtype, fn) -> np.ndarray:
    """Boxes as a ``(K, 5)`` array ``(batch_index, x1, y1, x2, y2)`` in ``dtype``."""
    if isinstance(boxes, Tensor):
        if boxes.ndim != 2 or boxes.shape[1] != 5:
            raise ValueError(f"{fn}: boxes must be a Tensor of shape (K, 5) or a list of "
                             f"(L, 4) Tensors, got shape {tuple(boxes.shape)}")
        rois = boxes._data.astype(dtype)
    elif isinstance(boxes, (list, tuple)):
        parts = []
        for i, b in enumerate(boxes):
            if not isinstance(b, Tensor) or b.ndim != 2 or b.shape[1] != 4:
                got = tuple(b.shape) if isinstance(b, Tensor) else type(b).__name__
                raise ValueError(f"{fn}: boxes[{i}] must be a Tensor of shape (L, 4), "
                                 f"got {got}")
            ids = np.full((b.shape[0], 1), i, dtype=dtype)
            parts.append(np.concatenate([ids, b._data.astype(dtype)], axis=1))
        rois = np.concatenate(parts, axis=0) if parts else np.zeros((0, 5), dtype)
    else:
        raise TypeError(f"{fn}: boxes must be a Tensor (K, 5) or a list of Tensors (L, 4), "
                        f"got {type(boxes).__name__}")
    # NOTE: torchvision converts NaN/inf coordinates to C++ ints (undefined behaviour:
    # zeros or garbage, silently); refuse them instead.
    bad = ~np.isfinite(rois).all(axis=1)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise ValueError(f"{fn}: boxes must hold finite values, got {int(bad.sum())} box(es) "
                         f"with NaN or inf, the first (row {k}) = {rois[k].tolist()}")
    # NOTE: torchvision casts the batch column with a C++ int conversion (truncation).
    bidx = np.trunc(rois[:, 0])
    if rois.shape[0] and (bidx.min() < 0 or bidx.max() >= n_batch):
        raise ValueError(f"{fn}: box batch indices must lie in [0, {n_batch - 1}], got "
                         f"values in [{bidx.min():g}, {bidx.max():g}]")
    return rois


def _chunks(order: np.ndarray, cost_h: np.ndarray, cost_w: np.ndarray, per_roi: int):
    """Split ``order`` (RoIs sorted by crop area) into runs whose padded size
    ``len * max(cost_h) * max(cost_w) * per_roi`` stays under ``_CHUNK``."""
    i, k = 0, order.size
    while i < k:
        hs = np.maximum.accumulate(cost_h[order[i:]])
        ws = np.maximum.accumulate(cost_w[order[i:]])
        size = np.arange(1, k - i + 1) * hs * ws * per_roi
        n = max(1, int(np.searchsorted(size, _CHUNK, side="right")))
        yield order[i:i + n]
        i += n


def _segment_sum_rows(index: np.ndarray, rows: np.ndarray, out: np.ndarray) -> None:
    """``out[index[i]] += rows[i]`` for repeated indices: sort, then ``np.add.reduceat``."""
    order = np.argsort(index, kind="stable")
    idx = index[order]
    starts = np.flatnonzero(np.concatenate([[True], idx[1:] != idx[:-1]]))
    out[idx[starts]] += np.add.reduceat(rows[order], starts, axis=0)


# ---------------------------------------------------------------------------
# RoIAlign
# ---------------------------------------------------------------------------
def _align_axis(start, length, grid, pooled, extent, dtype):
    """Bilinear row (or column) weights of every sample of every bin, per RoI.

    Follows torchvision's CPU kernel in ``dtype``: sample ``i`` of bin ``p`` sits at
    ``start + p * bin + (i + 0.5) * bin / grid``; samples with ``y < -1`` or
    ``y > extent`` contribute nothing, others are clamped to ``[0, extent - 1]``.

    Returns ``low, high`` (K, P, G) int64 and their weights ``w_low, w_high`` (K, P, G),
    already divided by the RoI's grid size (so the product of both axes averages).
    """
    k = start.shape[0]
    g = int(max(grid.max(initial=0), 0))
    t = dtype.type
    bin_size = (length / t(pooled)).astype(dtype)
    p = np.arange(pooled, dtype=dtype)
    i = np.arange(g, dtype=dtype) + t(0.5)
    gsafe = np.maximum(grid, 1).astype(dtype)
    pos = ((start[:, None, None] + p[None, :, None] * bin_size[:, None, None])
           + (i[None, None, :] * bin_size[:, None, None]) / gsafe[:, None, None])
    used = np.broadcast_to((np.arange(g)[None, :] < grid[:, None])[:, None, :],
                           (k, pooled, g))
    # NOTE: torchvision's boundary rule: a sample more than one pixel outside the map is
    # empty (weight 0); a sample in (-1, 0) is clamped to 0, one past extent - 1 to it.
    valid = used & ~((pos < -1) | (pos > extent))
    pos = np.maximum(pos, t(0))
    low = np.floor(np.where(valid, pos, 0)).astype(np.int64)
    edge = low >= extent - 1
    low = np.where(edge, extent - 1, low)
    high = np.where(edge, extent - 1, low + 1)
    pos = np.where(edge, low.astype(dtype), pos)
    frac = (pos - low).astype(dtype)
    w_high = np.where(valid, frac, t(0)) / gsafe[:, None, None]
    w_low = np.where(valid, t(1) - frac, t(0)) / gsafe[:, None, None]
    return low, high, w_low.astype(dtype), w_high.astype(dtype), valid


def _crop_extent(low, high, valid, extent):
    """First row and row count of the crop holding every valid sample of each RoI."""
    big = np.iinfo(np.int64).max
    first = np.where(valid, low, big).reshape(low.shape[0], -1).min(axis=1, initial=big)
    last = np.where(valid, high, -1).reshape(low.shape[0], -1).max(axis=1, initial=-1)
    empty = last < 0
    first = np.where(empty, 0, first)
    count = np.where(empty, 1, last - first + 1)
    return first, count


def _interp_matrix(low, high, w_low, w_high, valid, first, size, dtype):
    """Dense (n, P, size) matrix of bilinear weights on the crop's local rows."""
    n, p, g = low.shape
    base = (np.arange(n)[:, None, None] * p + np.arange(p)[None, :, None]) * size
    lo = np.where(valid, low - first[:, None, None], 0)
    hi = np.where(valid, high - first[:, None, None], 0)
    idx = np.concatenate([(base + lo).ravel(), (base + hi).ravel()])
    w = np.concatenate([w_low.ravel(), w_high.ravel()])
    mat = np.bincount(idx, weights=w, minlength=n * p * size)
    return mat.astype(dtype).reshape(n, p, size)


class RoIAlignFunction(Function):
    """RoIAlign on raw arrays; gradient w.r.t. the feature map only."""

    def forward(self, x, rois, spatial_scale, pooled_height, pooled_width,
                sampling_ratio, aligned):
        dtype = x.dtype
        t = dtype.type
        n_img, ch, height, width = x.shape
        k = rois.shape[0]
        ph, pw = pooled_height, pooled_width
        self.in_shape = x.shape
        out = np.zeros((k, ch, ph, pw), dtype)
        self.plan = []  # per chunk: RoIs, A_y, A_x and the crop's flat NHWC positions
        keep_plan = is_grad_enabled() and self.needs_input_grad[0]
        if k == 0:
            return out
        # Per-RoI geometry, in the input dtype as torchvision's kernel computes it.
        offset = 0.5 if aligned else 0.0
        start_w = (rois[:, 1] * spatial_scale - offset).astype(dtype)
        start_h = (rois[:, 2] * spatial_scale - offset).astype(dtype)
        roi_w = (rois[:, 3] * spatial_scale - offset).astype(dtype) - start_w
        roi_h = (rois[:, 4] * spatial_scale - offset).astype(dtype) - start_h
        if not aligned:
            # NOTE: without alignment a RoI is at least 1x1 (legacy Detectron behaviour).
            roi_w = np.maximum(roi_w, t(1))
            roi_h = np.maximum(roi_h, t(1))
        if sampling_ratio > 0:
            grid_h = np.full(k, sampling_ratio, np.int64)
            grid_w = np.full(k, sampling_ratio, np.int64)
        else:
            # Adaptive: about one sample per pixel, ceil(roi_size / pooled_size).
            grid_h = np.ceil(roi_h / t(ph)).astype(np.int64)
            grid_w = np.ceil(roi_w / t(pw)).astype(np.int64)
        ylo, yhi, ywl, ywh, yok = _align_axis(start_h, roi_h, grid_h, ph, height, dtype)
        xlo, xhi, xwl, xwh, xok = _align_axis(start_w, roi_w, grid_w, pw, width, dtype)
        y0, hs = _crop_extent(ylo, yhi, yok, height)
        x0, ws = _crop_extent(xlo, xhi, xok, width)
        bidx = np.trunc(rois[:, 0]).astype(np.int64)
        xh = np.ascontiguousarray(x.transpose(0, 2, 3, 1))  # NHWC: gathers move C-vectors
        order = np.argsort(hs * ws, kind="stable")
        for sel in _chunks(order, hs, ws, ch):
            n = sel.size
            hsz, wsz = int(hs[sel].max()), int(ws[sel].max())
            ay = _interp_matrix(ylo[sel], yhi[sel], ywl[sel], ywh[sel], yok[sel], y0[sel],
                                hsz, dtype)
            ax = _interp_matrix(xlo[sel], xhi[sel], xwl[sel], xwh[sel], xok[sel], x0[sel],
                                wsz, dtype)
            # NOTE: rows past the map's edge are clipped duplicates; their weights are 0.
            rows = np.minimum(y0[sel, None] + np.arange(hsz), height - 1)
            cols = np.minimum(x0[sel, None] + np.arange(wsz), width - 1)
            b = bidx[sel]
            crop = xh[b[:, None, None], rows[:, :, None], cols[:, None, :]]  # (n,Hs,Ws,C)
            tmp = np.matmul(ay, crop.reshape(n, hsz, wsz * ch)).reshape(n, ph, wsz, ch)
            res = np.matmul(ax[:, None], tmp)  # (n, PH, PW, C)
            out[sel] = res.transpose(0, 3, 1, 2)
            if keep_plan:
                spatial = (b[:, None, None] * height + rows[:, :, None]) * width + cols[:, None]
                self.plan.append((sel, ay, ax, spatial))
        return out

    def backward(self, grad_out):
        if not self.needs_input_grad[0]:
            return (None,)
        n_img, ch, height, width = self.in_shape
        gx = np.zeros((n_img * height * width, ch), grad_out.dtype)
        for sel, ay, ax, spatial in self.plan:
            n, hsz, wsz = spatial.shape
            g = grad_out[sel].transpose(0, 2, 3, 1)  # (n, PH, PW, C)
            tmp = np.matmul(ax.transpose(0, 2, 1)[:, None], g)  # (n, PH, Ws, C)
            gcrop = np.matmul(ay.transpose(0, 2, 1), tmp.reshape(n, ay.shape[1], wsz * ch))
            _segment_sum_rows(spatial.ravel(), gcrop.reshape(n * hsz * wsz, ch), gx)
        gx = gx.reshape(n_img, height, width, ch).transpose(0, 3, 1, 2)
        return (np.ascontiguousarray(gx),)


def roi_align(input: Tensor, boxes, output_size, spatial_scale: float = 1.0,
              sampling_ratio: int = -1, aligned: bool = False) -> Tensor:
    """RoIAlign (Mask R-CNN): bilinear sampling of each box into a fixed-size grid.

    Each output bin averages ``sampling_ratio x sampling_ratio`` bilinear samples
    (``ceil(roi_size / output_size)`` per axis when ``sampling_ratio <= 0``), with
    torchvision's boundary rules: samples more than one pixel outside the map count as
    zero, others are clamped to the border.

    Parameters
    ----------
    input : Tensor
        Feature map, float32 or float64.
    boxes : Tensor or list of Tensor
        A ``(K, 5)`` Tensor of ``(batch_index, x1, y1, x2, y2)`` or a list of ``(L, 4)``
        xyxy Tensors, one per image.  Not differentiated.
    output_size : int or tuple of int
        ``(PH, PW)``.
    spatial_scale : float
        Maps box coordinates to feature-map coordinates (e.g. 0.25 for stride 4).
    sampling_ratio : int
        Samples per bin and axis; ``<= 0`` means adaptive.
    aligned : bool
        Shift boxes by -0.5 pixel so that pixel centres align (Detectron2's fix); when
        False a box is at least 1x1.

    Returns
    -------
    Tensor
        Pooled features, differentiable w.r.t. ``input``.

    Shape
    -----
    - input: ``(N, C, H, W)``
    - boxes: ``(K, 5)`` or ``[(L_i, 4)]`` with ``sum(L_i) = K``
    - output: ``(K, C, PH, PW)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.vision.ops import roi_align
    >>> x = gn.ones(1, 2, 8, 8)
    >>> roi_align(x, [gn.tensor([[1.0, 1.0, 5.0, 6.0]])], 3).shape
    glassnet.Size([1, 2, 3, 3])
    """
    fn = "roi_align"
    _check_input(input, fn)
    ph, pw = _output_size(output_size, fn)
    if isinstance(sampling_ratio, bool) or not isinstance(sampling_ratio, (int, np.integer)):
        raise TypeError(f"{fn}: sampling_ratio must be an int, got {sampling_ratio!r}")
    rois = _rois(boxes, input.shape[0], input.dtype, fn)
    return RoIAlignFunction.apply(input, rois=rois, spatial_scale=float(spatial_scale),
                                  pooled_height=ph, pooled_width=pw,
                                  sampling_ratio=int(sampling_ratio), aligned=bool(aligned))


# ---------------------------------------------------------------------------
# RoIPool
# ---------------------------------------------------------------------------
def _round_half_away(v):
    # NOTE: C++ round() rounds halves away from zero; np.round rounds them to even.
    return np.sign(v) * np.floor(np.abs(v) + 0.5)


def _pool_axis(start, length, pooled, extent, dtype):
    """Bin bounds [lo, hi) per RoI and bin, clipped to [0, extent] (torchvision's rule)."""
    bin_size = (length.astype(dtype) / dtype.type(pooled)).astype(dtype)
    p = np.arange(pooled, dtype=dtype)
    lo = np.floor(p[None, :] * bin_size[:, None]).astype(np.int64)
    hi = np.ceil((p[None, :] + 1) * bin_size[:, None]).astype(np.int64)
    lo = np.clip(lo + start[:, None], 0, extent)
    hi = np.clip(hi + start[:, None], 0, extent)
    return lo, hi


def _packed_keys(xh: np.ndarray) -> np.ndarray:
    """int64 keys of a float32 NHWC map ordered by value, then smaller row, then smaller
    column: ``order(value) << 32 | (65535 - h) << 16 | (65535 - w)``.

    The max of keys is the first maximum in row-major order, so one ``np.maximum`` pass
    per window offset finds both the max and its position.
    """
    _, height, width, _ = xh.shape
    # NOTE: -0.0 + 0.0 = +0.0: zeros of both signs must tie, as they do for the kernel.
    bits = (xh + np.float32(0)).view(np.int32)
    # Flipping the magnitude bits of negative floats gives integers in float order.
    order = bits ^ ((bits >> 31) & 0x7FFFFFFF)
    pos = ((0xFFFF - np.arange(height))[:, None] << 16) | (0xFFFF - np.arange(width))
    return (order.astype(np.int64) << 32) | pos[None, :, :, None]


def _unpack_keys(keys: np.ndarray):
    """Value (float32), row and column of packed keys."""
    low = keys & 0xFFFFFFFF
    order = (keys >> 32).astype(np.int32)
    val = (order ^ ((order >> 31) & 0x7FFFFFFF)).view(np.float32)
    return val, 0xFFFF - (low >> 16), 0xFFFF - (low & 0xFFFF)


class RoIPoolFunction(Function):
    """RoIPool on raw arrays; the backward routes each gradient to its bin's argmax."""

    def forward(self, x, rois, spatial_scale, pooled_height, pooled_width):
        dtype = x.dtype
        n_img, ch, height, width = x.shape
        k = rois.shape[0]
        ph, pw = pooled_height, pooled_width
        self.in_shape = x.shape
        # The argmax is only needed by the backward: skip it under no_grad.  float32 maps
        # carry it inside packed int64 keys; other inputs track it offset by offset.
        want_arg = is_grad_enabled() and self.needs_input_grad[0]
        packed = dtype == np.float32 and max(height, width) <= 0xFFFF
        mode = "max" if not want_arg else "keys" if packed else "track"
        out = np.zeros((k, ch, ph, pw), dtype)
        self.argmax = np.full((k, ch, ph, pw), -1, np.int64) if want_arg else None
        if k == 0:
            return out
        coords = _round_half_away(rois[:, 1:].astype(np.float64) * spatial_scale)
        coords = coords.astype(np.int64)
        # NOTE: malformed RoIs (x2 < x1) are forced to 1x1, as in torchvision.
        roi_w = np.maximum(coords[:, 2] - coords[:, 0] + 1, 1)
        roi_h = np.maximum(coords[:, 3] - coords[:, 1] + 1, 1)
        hlo, hhi = _pool_axis(coords[:, 1], roi_h, ph, height, dtype)
        wlo, whi = _pool_axis(coords[:, 0], roi_w, pw, width, dtype)
        bidx = np.trunc(rois[:, 0]).astype(np.int64)
        # NOTE: torchvision's loop skips NaN (``v > maxval`` is false); so does -inf here.
        xs = np.where(np.isnan(x), -np.inf, x) if np.isnan(x).any() else x
        src = np.ascontiguousarray(xs.transpose(0, 2, 3, 1))
        if mode == "keys":
            src = _packed_keys(src)
        r0 = hlo[:, 0]
        hs = np.maximum(hhi[:, -1] - r0, 1)  # crop rows covering every bin
        kh_all = np.maximum(hhi - hlo, 1).max(axis=1)
        kw_all = np.maximum(whi - wlo, 1).max(axis=1)
        order = np.argsort(hs, kind="stable")
        for sel in _chunks(order, hs, np.ones_like(hs), pw * ch * src.itemsize // 4):
            val, arg = self._pool_chunk(src, bidx[sel], r0[sel], int(hs[sel].max()),
                                        hlo[sel], hhi[sel], wlo[sel], whi[sel],
                                        int(kh_all[sel].max()), int(kw_all[sel].max()), mode)
            out[sel] = val
            if want_arg:
                self.argmax[sel] = arg
        return out

    @staticmethod
    def _running_max(take, count, lo, hi, track):
        """Max (and, if ``track``, first argmax) of ``take(pos)`` over ``pos = lo + j``.

        NOTE: offsets past a bin's end re-read its last element (``min(pos, hi - 1)``),
        which can never beat the running max under the strict '>' of torchvision's
        kernel, so no mask is needed and the first maximum wins ties.
        """
        best = take(np.minimum(lo, hi - 1))
        arg = np.zeros(best.shape, np.int16 if count < 2 ** 15 else np.int32)
        for j in range(1, count):  # window offsets (a handful), never pixels
            v = take(np.minimum(lo + j, hi - 1))
            if track:
                better = v > best
                np.copyto(arg, j, where=better)
                np.copyto(best, v, where=better)
            else:
                np.maximum(best, v, out=best)
        return best, arg

    @classmethod
    def _pool_chunk(cls, src, b, r0, hsz, hlo, hhi, wlo, whi, kh, kw, mode):
        _, height, width, ch = src.shape
        n = hlo.shape[0]
        ar = np.arange(n)
        track = mode == "track"
        # Stage 1: max over each bin's columns, for every row of the crop.
        rows = np.minimum(r0[:, None] + np.arange(hsz), height - 1)  # (n, Hs)
        m1, a1 = cls._running_max(
            lambda c: src[b[:, None, None], rows[:, :, None], np.clip(c, 0, width - 1)],
            kw, wlo[:, None, :], whi[:, None, :], track)  # (n, Hs, PW, C)
        # Stage 2: max over each bin's rows of the stage-1 maxima.
        lr0 = hlo - r0[:, None]  # first local row of each bin, (n, PH)
        m2, a2 = cls._running_max(
            lambda r: m1[ar[:, None], np.clip(r, 0, hsz - 1)],
            kh, lr0, hhi - r0[:, None], track)  # (n, PH, PW, C)
        if mode == "keys":
            m2, h, w = _unpack_keys(m2)
        # NOTE: empty bins give 0; a bin of -inf (or values below -FLT_MAX) gives -FLT_MAX
        # with no argmax, matching the kernel's initial value of -FLT_MAX.
        empty = ((hhi <= hlo)[:, :, None] | (whi <= wlo)[:, None, :])[..., None]
        found = m2 > -_FLT_MAX
        found &= ~empty
        val = m2 if found.all() else np.where(empty, 0, np.where(found, m2, -_FLT_MAX))
        val = val.astype(m2.dtype, copy=False).transpose(0, 3, 1, 2)
        if mode == "max":
            return val, None
        if track:
            # The winner's row comes from stage 2, its column from stage 1 at that row.
            lrow = lr0[:, :, None, None] + a2
            kcol = a1[ar[:, None, None, None], np.minimum(lrow, hsz - 1),
                      np.arange(a1.shape[2])[:, None], np.arange(ch)]
            h = r0[:, None, None, None] + lrow
            w = wlo[:, None, :, None] + kcol
        flat = ((b[:, None, None, None] * ch + np.arange(ch)) * height + h) * width + w
        flat = np.where(found, flat, -1)
        return val, flat.transpose(0, 3, 1, 2)

    def backward(self, grad_out):
        if not self.needs_input_grad[0]:
            return (None,)
        n_img, ch, height, width = self.in_shape
        size = n_img * ch * height * width
        hit = self.argmax >= 0
        gx = np.bincount(self.argmax[hit], weights=grad_out[hit], minlength=size)
        return (gx.astype(grad_out.dtype).reshape(self.in_shape),)


def roi_pool(input: Tensor, boxes, output_size, spatial_scale: float = 1.0) -> Tensor:
    """RoIPool (Fast R-CNN): max over a grid of integer bins inside each box.

    Box corners are scaled and rounded (halves away from zero); a box spans
    ``max(x2 - x1 + 1, 1)`` pixels; bin ``p`` covers ``[floor(p * s), ceil((p + 1) * s))``
    with ``s = size / output_size``, offset and clipped to the map.  Empty bins give 0.

    Parameters
    ----------
    input : Tensor
        Feature map, float32 or float64.
    boxes : Tensor or list of Tensor
        A ``(K, 5)`` Tensor of ``(batch_index, x1, y1, x2, y2)`` or a list of ``(L, 4)``
        Tensors, one per image.  Not differentiated.
    output_size : int or tuple of int
        ``(PH, PW)``.
    spatial_scale : float
        Maps box coordinates to feature-map coordinates.

    Returns
    -------
    Tensor
        Pooled features; the gradient flows to each bin's (first) maximum.

    Shape
    -----
    - input: ``(N, C, H, W)``
    - boxes: ``(K, 5)`` or ``[(L_i, 4)]``
    - output: ``(K, C, PH, PW)``

    Examples
    --------
    >>> import glassnet as gn
    >>> from glassnet.vision.ops import roi_pool
    >>> x = gn.arange(16.0).reshape(1, 1, 4, 4)
    >>> roi_pool(x, gn.tensor([[0.0, 0, 0, 3, 3]]), 2).tolist()
    [[[[5.0, 7.0], [13.0, 15.0]]]]
    """
    fn = "roi_pool"
    _check_input(input, fn)
    ph, pw = _output_size(output_size, fn)
    rois = _rois(boxes, input.shape[0], input.dtype, fn)
    return RoIPoolFunction.apply(input, rois=rois, spatial_scale=float(spatial_scale),
                                 pooled_height=ph, pooled_width=pw)


# ---------------------------------------------------------------------------
# Modules
# ---------------------------------------------------------------------------
class RoIPool(Module):
    """Module form of :func:`roi_pool` (no parameters).

    Shape
    -----
    - input: ``(N, C, H, W)``, rois: ``(K, 5)`` or ``[(L_i, 4)]``
    - output: ``(K, C, PH, PW)``
    """

    def __init__(self, output_size, spatial_scale: float):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_pool(input, rois, self.output_size, self.spatial_scale)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}, spatial_scale={self.spatial_scale}"


class RoIAlign(Module):
    """Module form of :func:`roi_align` (no parameters).

    Shape
    -----
    - input: ``(N, C, H, W)``, rois: ``(K, 5)`` or ``[(L_i, 4)]``
    - output: ``(K, C, PH, PW)``
    """

    def __init__(self, output_size, spatial_scale: float, sampling_ratio: int,
                 aligned: bool = False):
        super().__init__()
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.aligned = aligned

    def forward(self, input: Tensor, rois) -> Tensor:
        return roi_align(input, rois, self.output_size, self.spatial_scale,
                         self.sampling_ratio, self.aligned)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, spatial_scale={self.spatial_scale}, "
                f"sampling_ratio={self.sampling_ratio}, aligned={self.aligned}")

