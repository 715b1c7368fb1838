"""The numba kernels of :mod:`glassnet.ops.kernels.depthwise` (imported only where numba
is installed; see that module for what they compute). Module-level functions, so that
numba's on-disk cache finds them again in the next process."""
import numpy as np
from numba import njit, prange


@njit(inline="always")
def _cols(off, sw, width, wo):
    # Output columns ow whose input column ow*sw + off lies in [0, width).
    lo = 0 if off >= 0 else (-off + sw - 1) // sw
    hi = (width - off + sw - 1) // sw
    if hi > wo:
        hi = wo
    return lo, hi


@njit(inline="always")
def _axpy(y, a, x):
    # y += a * x over len(y) values, indexed from 0 (provably >= 0: vectorisable).
    for t in range(y.shape[0]):
        y[t] += a * x[t]


@njit(parallel=True, cache=True)
def fwd(x, w, b, out, sh, sw, ph, pw, dh, dw):
    n_, c_, h_, w_ = x.shape
    o_, _, kh, kw = w.shape
    ho, wo = out.shape[2], out.shape[3]
    m = o_ // c_
    split = sw == 2 and dw == 1
    for p in prange(n_ * o_):
        n = p // o_
        o = p - n * o_
        c = o // m
        # stride 2: each input row split into its even and odd columns (contiguous), so
        # that every tap reads a contiguous slice (strided loads do not vectorise)
        ev = np.empty((w_ + 1) // 2, x.dtype)
        od = np.empty(w_ // 2, x.dtype)
        for oh in range(ho):
            orow = out[n, o, oh]
            bv = b[o]
            for ow in range(wo):
                orow[ow] = bv
            for i in range(kh):
                ih = oh * sh - ph + i * dh
                if ih < 0 or ih >= h_:
                    continue
                xrow = x[n, c, ih]
                if split:
                    for q in range(od.shape[0]):
                        ev[q] = xrow[2 * q]
                        od[q] = xrow[2 * q + 1]
                    if w_ % 2:
                        ev[w_ // 2] = xrow[w_ - 1]
                    for j in range(kw):
                        wv = w[o, 0, i, j]
                        off = j - pw
                        lo, hi = _cols(off, 2, w_, wo)
                        if hi <= lo:
                            continue
                        half = off // 2  # column 2*ow + off = 2*(ow + half) + off % 2
                        src = ev if off % 2 == 0 else od
                        _axpy(orow[lo:hi], wv, src[lo + half:hi + half])
                    continue
                for j in range(kw):
                    wv = w[o, 0, i, j]
                    off = j * dw - pw
                    lo, hi = _cols(off, sw, w_, wo)
                    if hi <= lo:
                        continue
                    # NOTE: slices, then loops from 0: numba's wraparound check on a
                    # signed index that might be negative blocks vectorisation
                    # (7x slower); an index counted up from 0 is provably >= 0.
                    os_ = orow[lo:hi]
                    if sw == 1:  # contiguous slices: a vectorised loop
                        xs = xrow[lo + off:hi + off]
                        _axpy(os_, wv, xs)
                    else:
                        xs = xrow[lo * sw + off:(hi - 1) * sw + off + 1:sw]
                        _axpy(os_, wv, xs)


@njit(parallel=True, cache=True)
def bwd_input(gy, w, gx, sh, sw, ph, pw, dh, dw):
    n_, c_, h_, w_ = gx.shape
    o_, _, kh, kw = w.shape
    ho, wo = gy.shape[2], gy.shape[3]
    m = o_ // c_
    for p in prange(n_ * c_):
        n = p // c_
        c = p - n * c_
        plane = gx[n, c]
        for ih in range(h_):
            for iw in range(w_):
                plane[ih, iw] = 0.0
        for k in range(m):
            o = c * m + k
            for oh in range(ho):
                grow = gy[n, o, oh]
                for i in range(kh):
                    ih = oh * sh - ph + i * dh
                    if ih < 0 or ih >= h_:
                        continue
                    xrow = plane[ih]
                    for j in range(kw):
                        wv = w[o, 0, i, j]
                        off = j * dw - pw
                        lo, hi = _cols(off, sw, w_, wo)
                        if hi <= lo:
                            continue
                        gs = grow[lo:hi]
                        if sw == 1:
                            xs = xrow[lo + off:hi + off]
                            _axpy(xs, wv, gs)
                        else:
                            xs = xrow[lo * sw + off:(hi - 1) * sw + off + 1:sw]
                            _axpy(xs, wv, gs)


@njit(parallel=True, cache=True)
def bwd_weight(gy, x, gw, sh, sw, ph, pw, dh, dw):
    n_, c_, h_, w_ = x.shape
    o_, _, kh, kw = gw.shape
    ho, wo = gy.shape[2], gy.shape[3]
    m = o_ // c_
    for o in prange(o_):
        c = o // m
        # Per-tap partial sums, one lane per output column: the inner loop is an
        # elementwise multiply-add (vectorised), reduced once at the end.
        acc = np.zeros((kh * kw, wo), dtype=gy.dtype)
        for n in range(n_):
            for oh in range(ho):
                grow = gy[n, o, oh]
                for i in range(kh):
                    ih = oh * sh - ph + i * dh
                    if ih < 0 or ih >= h_:
                        continue
                    xrow = x[n, c, ih]
                    for j in range(kw):
                        off = j * dw - pw
                        lo, hi = _cols(off, sw, w_, wo)
                        if hi <= lo:
                            continue
                        gs = grow[lo:hi]
                        a = acc[i * kw + j, lo:hi]
                        if sw == 1:
                            xs = xrow[lo + off:hi + off]
                            for t in range(hi - lo):
                                a[t] += gs[t] * xs[t]
                        else:
                            xs = xrow[lo * sw + off:(hi - 1) * sw + off + 1:sw]
                            for t in range(hi - lo):
                                a[t] += gs[t] * xs[t]
        for i in range(kh):
            for j in range(kw):
                s = 0.0
                a = acc[i * kw + j]
                for ow in range(wo):
                    s += a[ow]
                gw[o, 0, i, j] = s


@njit(inline="always")
def _taps9(acc, xpf, wk, row, col, bv, n):
    # acc[t] = bv + the nine taps of a 3x3 kernel (row-major, each added in turn as the
    # per-tap loops do), in one pass: nine loads and one store per value.
    c2, r1, r2 = 2 * col, row, 2 * row
    x0, x1, x2 = xpf[0:n], xpf[col:col + n], xpf[c2:c2 + n]
    x3, x4, x5 = xpf[r1:r1 + n], xpf[r1 + col:r1 + col + n], xpf[r1 + c2:r1 + c2 + n]
    x6, x7, x8 = xpf[r2:r2 + n], xpf[r2 + col:r2 + col + n], xpf[r2 + c2:r2 + c2 + n]
    w0, w1, w2 = wk[0, 0], wk[0, 1], wk[0, 2]
    w3, w4, w5 = wk[1, 0], wk[1, 1], wk[1, 2]
    w6, w7, w8 = wk[2, 0], wk[2, 1], wk[2, 2]
    for t in range(n):
        a = bv + w0 * x0[t]
        a = a + w1 * x1[t]
        a = a + w2 * x2[t]
        a = a + w3 * x3[t]
        a = a + w4 * x4[t]
        a = a + w5 * x5[t]
        a = a + w6 * x6[t]
        a = a + w7 * x7[t]
        acc[t] = a + w8 * x8[t]


# -- stride 1: the padded plane as one flat canvas ---------------------------------
# With stride 1, tap (i, j) of output position q = oh * Wp + ow (Wp = padded width)
# reads the padded plane at q + i*dh*Wp + j*dw: ONE long unit-stride loop per tap over
# the whole plane (Ho * Wp values, the Wp - Wo extra columns per row are garbage,
# cropped), instead of Ho short row loops -- 7x7 and 14x14 planes are loop-overhead
# bound otherwise; a 3x3 kernel's nine taps are one loop (_taps9; batch 8, 40 alternating
# calls: 384 channels at 14x14 0.45 -> 0.39 ms, 960 at 7x7 0.55 -> 0.42, 144 at 56x56
# 2.65 -> 2.08, 32 at 112x112 1.96 -> 1.27; bit-equal).
# Each thread keeps its padded plane and canvas buffers.


@njit(parallel=True, cache=True)
def fwd_s1(x, w, b, out, ph, pw, dh, dw, nthreads):
    n_, c_, h_, w_ = x.shape
    o_, _, kh, kw = w.shape
    ho, wo = out.shape[2], out.shape[3]
    m = o_ // c_
    wp = w_ + 2 * pw
    hp = h_ + 2 * ph
    lc = ho * wp
    for tid in prange(nthreads):
        xpf = np.zeros((hp + 1) * wp, dtype=x.dtype)
        acc = np.empty(lc, dtype=x.dtype)
        last = -1
        for p in range(tid, n_ * o_, nthreads):
            n = p // o_
            o = p - n * o_
            c = o // m
            if n * c_ + c != last:  # a new input plane: copy it in
                last = n * c_ + c
                for ih in range(h_):
                    dst = xpf[(ih + ph) * wp + pw:(ih + ph) * wp + pw + w_]
                    src = x[n, c, ih]
                    dst[:] = src
            if kh == 3 and kw == 3:
                _taps9(acc, xpf, w[o, 0], dh * wp, dw, b[o], lc)
            else:
                bv = b[o]
                for t in range(lc):
                    acc[t] = bv
                for i in range(kh):
                    for j in range(kw):
                        base = i * dh * wp + j * dw
                        _axpy(acc, w[o, 0, i, j], xpf[base:base + lc])
            for oh in range(ho):
                orow = out[n, o, oh]
                src = acc[oh * wp:oh * wp + wo]
                orow[:] = src


@njit(parallel=True, cache=True)
def bwd_input_s1(gy, w, gx, ph, pw, dh, dw, nthreads):
    n_, c_, h_, w_ = gx.shape
    o_, _, kh, kw = w.shape
    ho, wo = gy.shape[2], gy.shape[3]
    m = o_ // c_
    wp = w_ + 2 * pw
    hp = h_ + 2 * ph
    lc = ho * wp
    for tid in prange(nthreads):
        gxf = np.empty((hp + 1) * wp, dtype=gy.dtype)
        gyc = np.zeros(lc, dtype=gy.dtype)  # garbage columns stay 0
        for p in range(tid, n_ * c_, nthreads):
            n = p // c_
            c = p - n * c_
            for t in range(gxf.shape[0]):
                gxf[t] = 0.0
            for k in range(m):
                o = c * m + k
                for oh in range(ho):
                    dst = gyc[oh * wp:oh * wp + wo]
                    src = gy[n, o, oh]
                    dst[:] = src
                for i in range(kh):
                    for j in range(kw):
                        wv = w[o, 0, i, j]
                        base = i * dh * wp + j * dw
                        xs = gxf[base:base + lc]
                        _axpy(xs, wv, gyc)
            for ih in range(h_):
                dst = gx[n, c, ih]
                src = gxf[(ih + ph) * wp + pw:(ih + ph) * wp + pw + w_]
                dst[:] = src


@njit(parallel=True, cache=True, fastmath=True)
def bwd_weight_s1(gy, x, gw, ph, pw, dh, dw, nthreads):
    # NOTE: fastmath lets LLVM vectorise the dot products (reassociated partial sums,
    # accumulated in float64); each weight is summed by one thread, in a fixed order.
    n_, c_, h_, w_ = x.shape
    o_, _, kh, kw = gw.shape
    ho, wo = gy.shape[2], gy.shape[3]
    m = o_ // c_
    wp = w_ + 2 * pw
    hp = h_ + 2 * ph
    lc = ho * wp
    for tid in prange(nthreads):
        xpf = np.zeros((hp + 1) * wp, dtype=x.dtype)
        gyc = np.zeros(lc, dtype=gy.dtype)
        sums = np.zeros(kh * kw, dtype=np.float64)
        for o in range(tid, o_, nthreads):
            c = o // m
            for t in range(kh * kw):
                sums[t] = 0.0
            for n in range(n_):
                for ih in range(h_):
                    dst = xpf[(ih + ph) * wp + pw:(ih + ph) * wp + pw + w_]
                    src = x[n, c, ih]
                    dst[:] = src
                for oh in range(ho):
                    dst = gyc[oh * wp:oh * wp + wo]
                    src = gy[n, o, oh]
                    dst[:] = src
                for i in range(kh):
                    for j in range(kw):
                        base = i * dh * wp + j * dw
                        xs = xpf[base:base + lc]
                        s = 0.0
                        for t in range(lc):
                            s += gyc[t] * xs[t]
                        sums[i * kw + j] += s
            for i in range(kh):
                for j in range(kw):
                    gw[o, 0, i, j] = sums[i * kw + j]
