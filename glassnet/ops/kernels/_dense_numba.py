"""The numba kernels of :mod:`glassnet.ops.kernels.dense` (imported only where numba is
installed; see that module for the layout and what they compute). Module-level
functions, so that numba's on-disk cache finds them again in the next process.

Every kernel reads the input as channel-major flat zero-padded planes ``xg[c, :]`` (the
images one after the other) and tap ``t`` at the flat offset ``offs[t]``, so one tap of a
tile of output positions is ONE contiguous slice, across rows and images;
slices are taken first and then indexed from 0 (numba's wraparound check on an index that
might be negative blocks vectorisation). 3x3 kernels (``T == 9``) get a loop that does
all nine taps of four output channels per pass over the tile (36 multiply-adds for 13
loads and 4 stores), other kernels eight taps per pass (then four, two, one); the weight
gradient likewise (nine taps of a pair of outputs per pass, else eight, then one).
"""
import numpy as np
from numba import njit, prange

OB = 4  # output channels per task (weights are zero-padded to a multiple)


@njit(inline="always")
def _slices9(xs, offs, n):
    # The n inputs of each of the nine taps of a 3x3 kernel: one slice per tap.
    return (xs[offs[0]:offs[0] + n], xs[offs[1]:offs[1] + n], xs[offs[2]:offs[2] + n],
            xs[offs[3]:offs[3] + n], xs[offs[4]:offs[4] + n], xs[offs[5]:offs[5] + n],
            xs[offs[6]:offs[6] + n], xs[offs[7]:offs[7] + n], xs[offs[8]:offs[8] + n])


@njit(inline="always")
def _taps9(a0, a1, a2, a3, xs, w, offs, n):
    # a_q[l] += sum_t w[q, t] * xs[offs[t] + l] for the four outputs q, l < n.
    x0, x1, x2, x3, x4, x5, x6, x7, x8 = _slices9(xs, offs, n)
    w00, w01, w02, w03, w04, w05, w06, w07, w08 = (w[0, 0], w[0, 1], w[0, 2], w[0, 3],
                                                   w[0, 4], w[0, 5], w[0, 6], w[0, 7],
                                                   w[0, 8])
    w10, w11, w12, w13, w14, w15, w16, w17, w18 = (w[1, 0], w[1, 1], w[1, 2], w[1, 3],
                                                   w[1, 4], w[1, 5], w[1, 6], w[1, 7],
                                                   w[1, 8])
    w20, w21, w22, w23, w24, w25, w26, w27, w28 = (w[2, 0], w[2, 1], w[2, 2], w[2, 3],
                                                   w[2, 4], w[2, 5], w[2, 6], w[2, 7],
                                                   w[2, 8])
    w30, w31, w32, w33, w34, w35, w36, w37, w38 = (w[3, 0], w[3, 1], w[3, 2], w[3, 3],
                                                   w[3, 4], w[3, 5], w[3, 6], w[3, 7],
                                                   w[3, 8])
    for i in range(n):
        v0, v1, v2, v3, v4, v5, v6, v7, v8 = (x0[i], x1[i], x2[i], x3[i], x4[i], x5[i],
                                              x6[i], x7[i], x8[i])
        s0 = (a0[i] + w00 * v0 + w01 * v1 + w02 * v2 + w03 * v3 + w04 * v4 + w05 * v5
              + w06 * v6 + w07 * v7 + w08 * v8)
        s1 = (a1[i] + w10 * v0 + w11 * v1 + w12 * v2 + w13 * v3 + w14 * v4 + w15 * v5
              + w16 * v6 + w17 * v7 + w18 * v8)
        s2 = (a2[i] + w20 * v0 + w21 * v1 + w22 * v2 + w23 * v3 + w24 * v4 + w25 * v5
              + w26 * v6 + w27 * v7 + w28 * v8)
        s3 = (a3[i] + w30 * v0 + w31 * v1 + w32 * v2 + w33 * v3 + w34 * v4 + w35 * v5
              + w36 * v6 + w37 * v7 + w38 * v8)
        a0[i] = s0
        a1[i] = s1
        a2[i] = s2
        a3[i] = s3


@njit(inline="always")
def _taps8(a0, a1, a2, a3, xs, w, offs, t0, n):
    # Taps t0 .. t0+7 of the four outputs in one pass (kernels other than 3x3): 32
    # multiply-adds per 8 loads, 4 accumulator loads and 4 stores.
    x0, x1 = xs[offs[t0]:offs[t0] + n], xs[offs[t0 + 1]:offs[t0 + 1] + n]
    x2, x3 = xs[offs[t0 + 2]:offs[t0 + 2] + n], xs[offs[t0 + 3]:offs[t0 + 3] + n]
    x4, x5 = xs[offs[t0 + 4]:offs[t0 + 4] + n], xs[offs[t0 + 5]:offs[t0 + 5] + n]
    x6, x7 = xs[offs[t0 + 6]:offs[t0 + 6] + n], xs[offs[t0 + 7]:offs[t0 + 7] + n]
    w00, w01, w02, w03 = w[0, t0], w[0, t0 + 1], w[0, t0 + 2], w[0, t0 + 3]
    w04, w05, w06, w07 = w[0, t0 + 4], w[0, t0 + 5], w[0, t0 + 6], w[0, t0 + 7]
    w10, w11, w12, w13 = w[1, t0], w[1, t0 + 1], w[1, t0 + 2], w[1, t0 + 3]
    w14, w15, w16, w17 = w[1, t0 + 4], w[1, t0 + 5], w[1, t0 + 6], w[1, t0 + 7]
    w20, w21, w22, w23 = w[2, t0], w[2, t0 + 1], w[2, t0 + 2], w[2, t0 + 3]
    w24, w25, w26, w27 = w[2, t0 + 4], w[2, t0 + 5], w[2, t0 + 6], w[2, t0 + 7]
    w30, w31, w32, w33 = w[3, t0], w[3, t0 + 1], w[3, t0 + 2], w[3, t0 + 3]
    w34, w35, w36, w37 = w[3, t0 + 4], w[3, t0 + 5], w[3, t0 + 6], w[3, t0 + 7]
    for i in range(n):
        v0, v1, v2, v3, v4, v5, v6, v7 = (x0[i], x1[i], x2[i], x3[i], x4[i], x5[i], x6[i],
                                          x7[i])
        s0 = (a0[i] + w00 * v0 + w01 * v1 + w02 * v2 + w03 * v3 + w04 * v4 + w05 * v5
              + w06 * v6 + w07 * v7)
        s1 = (a1[i] + w10 * v0 + w11 * v1 + w12 * v2 + w13 * v3 + w14 * v4 + w15 * v5
              + w16 * v6 + w17 * v7)
        s2 = (a2[i] + w20 * v0 + w21 * v1 + w22 * v2 + w23 * v3 + w24 * v4 + w25 * v5
              + w26 * v6 + w27 * v7)
        s3 = (a3[i] + w30 * v0 + w31 * v1 + w32 * v2 + w33 * v3 + w34 * v4 + w35 * v5
              + w36 * v6 + w37 * v7)
        a0[i] = s0
        a1[i] = s1
        a2[i] = s2
        a3[i] = s3


@njit(inline="always")
def _taps4(a0, a1, a2, a3, xs, w, offs, t0, n):
    # Taps t0 .. t0+3 of the four outputs in one pass.
    x0, x1 = xs[offs[t0]:offs[t0] + n], xs[offs[t0 + 1]:offs[t0 + 1] + n]
    x2, x3 = xs[offs[t0 + 2]:offs[t0 + 2] + n], xs[offs[t0 + 3]:offs[t0 + 3] + n]
    w00, w01, w02, w03 = w[0, t0], w[0, t0 + 1], w[0, t0 + 2], w[0, t0 + 3]
    w10, w11, w12, w13 = w[1, t0], w[1, t0 + 1], w[1, t0 + 2], w[1, t0 + 3]
    w20, w21, w22, w23 = w[2, t0], w[2, t0 + 1], w[2, t0 + 2], w[2, t0 + 3]
    w30, w31, w32, w33 = w[3, t0], w[3, t0 + 1], w[3, t0 + 2], w[3, t0 + 3]
    for i in range(n):
        v0, v1, v2, v3 = x0[i], x1[i], x2[i], x3[i]
        s0 = a0[i] + w00 * v0 + w01 * v1 + w02 * v2 + w03 * v3
        s1 = a1[i] + w10 * v0 + w11 * v1 + w12 * v2 + w13 * v3
        s2 = a2[i] + w20 * v0 + w21 * v1 + w22 * v2 + w23 * v3
        s3 = a3[i] + w30 * v0 + w31 * v1 + w32 * v2 + w33 * v3
        a0[i] = s0
        a1[i] = s1
        a2[i] = s2
        a3[i] = s3


@njit(inline="always")
def _taps2(a0, a1, a2, a3, xs, w, offs, t0, n):
    x0, x1 = xs[offs[t0]:offs[t0] + n], xs[offs[t0 + 1]:offs[t0 + 1] + n]
    w00, w01, w10, w11 = w[0, t0], w[0, t0 + 1], w[1, t0], w[1, t0 + 1]
    w20, w21, w30, w31 = w[2, t0], w[2, t0 + 1], w[3, t0], w[3, t0 + 1]
    for i in range(n):
        v0, v1 = x0[i], x1[i]
        s0 = a0[i] + w00 * v0 + w01 * v1
        s1 = a1[i] + w10 * v0 + w11 * v1
        s2 = a2[i] + w20 * v0 + w21 * v1
        s3 = a3[i] + w30 * v0 + w31 * v1
        a0[i] = s0
        a1[i] = s1
        a2[i] = s2
        a3[i] = s3


@njit(inline="always")
def _tap1(a0, a1, a2, a3, xs, w0, w1, w2, w3, off, n):
    x = xs[off:off + n]
    for i in range(n):
        v = x[i]
        s0 = a0[i] + w0 * v
        s1 = a1[i] + w1 * v
        s2 = a2[i] + w2 * v
        s3 = a3[i] + w3 * v
        a0[i] = s0
        a1[i] = s1
        a2[i] = s2
        a3[i] = s3


@njit(inline="always")
def _conv_task(task, ng, lens, out):
    # Task -> (first output channel, group of runs, accumulator for the longest run).
    return (task // ng) * OB, task % ng, np.empty((OB, lens.max()), dtype=out.dtype)


@njit(inline="always")
def _cleared(buf, starts, lens, run):
    # (start, length, the four accumulator rows zeroed) of a run.
    lt = lens[run]
    a0, a1, a2, a3 = buf[0, :lt], buf[1, :lt], buf[2, :lt], buf[3, :lt]
    a0[:] = 0
    a1[:] = 0
    a2[:] = 0
    a3[:] = 0
    return starts[run], lt, a0, a1, a2, a3


@njit(inline="always")
def _flush(buf, out, bias, m0, lt, ob, plane, wq, row0, col0):
    # Each piece of the run within one canvas row, cropped to out's columns, plus bias.
    n_, o_, ho, wo = out.shape
    p = m0
    while p < m0 + lt:
        n = p // plane
        r = p - n * plane
        oh = r // wq - row0
        ow = r - (r // wq) * wq
        end = min(m0 + lt, p + wq - ow)
        lo = max(col0, ow)  # first wanted column in this piece
        if 0 <= oh < ho and lo < col0 + wo and lo < ow + end - p:
            cols = min(col0 + wo, ow + end - p) - lo
            p0 = p + lo - ow
            ow = lo - col0
            for k in range(min(OB, o_ - ob)):
                bv = bias[ob + k]
                dst = out[n, ob + k, oh, ow:ow + cols]
                src = buf[k, p0 - m0:p0 - m0 + cols]
                for i in range(cols):
                    dst[i] = src[i] + bv
        p = end


# The forward kernel, one for 3x3 kernels and one for any other (a model compiles only
# the ones its layers use; one kernel with every inner loop took 12.8 s to compile, the
# 3x3 one alone 5.3 s):
#   ``out[n, o, oh, ow] = bias[o]
#                        + sum_{c,t} wt[o, c, t] xg[c, n*plane + oh*wq + ow + offs[t]]``.
# ``xg``: (C, M) channel-major flat padded planes, image n at ``n*plane``, row pitch ``wq``;
# ``wt``: (O4, C, T) with O4 a multiple of OB (rows beyond O zero); ``out``: (N, O, Ho,
# Wo), read from canvas rows ``row0 ..`` and columns ``col0 ..`` (0 for a forward; the
# padding for an input gradient computed on the input's planes). The canvas positions
# computed are runs (run r: ``lens[r]`` positions from ``starts[r]``; the accumulator,
# sized for L1, holds the longest); a task is OB output channels x the runs ``ptr[g] ..
# ptr[g+1] - 1`` of group g. Positions of a run outside ``out``'s window are computed and
# dropped. ``xg`` may have more (zero) rows than ``wt`` has input channels.
@njit(parallel=True, fastmath=True, cache=True)
def conv3x3(xg, wt, offs, bias, out, wq, plane, starts, lens, ptr, row0, col0):
    """The forward kernel for 3x3 kernels: nine taps of four outputs per pass."""
    nob, ng, reach = wt.shape[0] // OB, ptr.shape[0] - 1, offs[8]
    for task in prange(nob * ng):
        ob, g, buf = _conv_task(task, ng, lens, out)
        for run in range(ptr[g], ptr[g + 1]):
            m0, lt, a0, a1, a2, a3 = _cleared(buf, starts, lens, run)
            for c in range(wt.shape[1]):
                _taps9(a0, a1, a2, a3, xg[c, m0:m0 + lt + reach], wt[ob:ob + OB, c], offs,
                       lt)
            _flush(buf, out, bias, m0, lt, ob, plane, wq, row0, col0)


@njit(parallel=True, fastmath=True, cache=True)
def conv_taps(xg, wt, offs, bias, out, wq, plane, starts, lens, ptr, row0, col0):
    """The forward kernel for any other kernel: eight taps per pass (then four, two,
    one); for 5x5 kernels faster than a kernel row per pass (LeNet's 6 -> 16 forward
    1.19 -> 0.84 ms, 1 -> 6 0.66 -> 0.46; ResNet-18's 7x7 stem 16.4 -> 11.5)."""
    t_ = wt.shape[2]
    nob, ng, reach = wt.shape[0] // OB, ptr.shape[0] - 1, offs[t_ - 1]
    for task in prange(nob * ng):
        ob, g, buf = _conv_task(task, ng, lens, out)
        for run in range(ptr[g], ptr[g + 1]):
            m0, lt, a0, a1, a2, a3 = _cleared(buf, starts, lens, run)
            for c in range(wt.shape[1]):
                xs = xg[c, m0:m0 + lt + reach]
                w = wt[ob:ob + OB, c]
                t = 0
                while t + 8 <= t_:
                    _taps8(a0, a1, a2, a3, xs, w, offs, t, lt)
                    t += 8
                if t + 4 <= t_:
                    _taps4(a0, a1, a2, a3, xs, w, offs, t, lt)
                    t += 4
                if t + 2 <= t_:
                    _taps2(a0, a1, a2, a3, xs, w, offs, t, lt)
                    t += 2
                if t < t_:
                    _tap1(a0, a1, a2, a3, xs, w[0, t], w[1, t], w[2, t], w[3, t],
                          offs[t], lt)
            _flush(buf, out, bias, m0, lt, ob, plane, wq, row0, col0)


@njit(inline="always")
def _wgrad9(g0, g1, xs, offs, n, acc, o, c, zero):
    x0, x1, x2, x3, x4, x5, x6, x7, x8 = _slices9(xs, offs, n)
    p0 = p1 = p2 = p3 = p4 = p5 = p6 = p7 = p8 = zero
    q0 = q1 = q2 = q3 = q4 = q5 = q6 = q7 = q8 = zero
    for i in range(n):
        a = g0[i]
        b = g1[i]
        v0, v1, v2, v3, v4, v5, v6, v7, v8 = (x0[i], x1[i], x2[i], x3[i], x4[i], x5[i],
                                              x6[i], x7[i], x8[i])
        p0 += a * v0
        p1 += a * v1
        p2 += a * v2
        p3 += a * v3
        p4 += a * v4
        p5 += a * v5
        p6 += a * v6
        p7 += a * v7
        p8 += a * v8
        q0 += b * v0
        q1 += b * v1
        q2 += b * v2
        q3 += b * v3
        q4 += b * v4
        q5 += b * v5
        q6 += b * v6
        q7 += b * v7
        q8 += b * v8
    r = acc[o, c]
    r[0] += p0
    r[1] += p1
    r[2] += p2
    r[3] += p3
    r[4] += p4
    r[5] += p5
    r[6] += p6
    r[7] += p7
    r[8] += p8
    r = acc[o + 1, c]
    r[0] += q0
    r[1] += q1
    r[2] += q2
    r[3] += q3
    r[4] += q4
    r[5] += q5
    r[6] += q6
    r[7] += q7
    r[8] += q8


@njit(inline="always")
def _wgrad8(g0, g1, xs, offs, t0, n, acc, o, c, zero):
    # Taps t0 .. t0+7 of the pair of outputs in one pass (16 sums, 10 loads per position).
    x0, x1 = xs[offs[t0]:offs[t0] + n], xs[offs[t0 + 1]:offs[t0 + 1] + n]
    x2, x3 = xs[offs[t0 + 2]:offs[t0 + 2] + n], xs[offs[t0 + 3]:offs[t0 + 3] + n]
    x4, x5 = xs[offs[t0 + 4]:offs[t0 + 4] + n], xs[offs[t0 + 5]:offs[t0 + 5] + n]
    x6, x7 = xs[offs[t0 + 6]:offs[t0 + 6] + n], xs[offs[t0 + 7]:offs[t0 + 7] + n]
    p0 = p1 = p2 = p3 = p4 = p5 = p6 = p7 = zero
    q0 = q1 = q2 = q3 = q4 = q5 = q6 = q7 = zero
    for i in range(n):
        a = g0[i]
        b = g1[i]
        v0, v1, v2, v3, v4, v5, v6, v7 = (x0[i], x1[i], x2[i], x3[i], x4[i], x5[i], x6[i],
                                          x7[i])
        p0 += a * v0
        p1 += a * v1
        p2 += a * v2
        p3 += a * v3
        p4 += a * v4
        p5 += a * v5
        p6 += a * v6
        p7 += a * v7
        q0 += b * v0
        q1 += b * v1
        q2 += b * v2
        q3 += b * v3
        q4 += b * v4
        q5 += b * v5
        q6 += b * v6
        q7 += b * v7
    r = acc[o, c]
    r[t0] += p0
    r[t0 + 1] += p1
    r[t0 + 2] += p2
    r[t0 + 3] += p3
    r[t0 + 4] += p4
    r[t0 + 5] += p5
    r[t0 + 6] += p6
    r[t0 + 7] += p7
    r = acc[o + 1, c]
    r[t0] += q0
    r[t0 + 1] += q1
    r[t0 + 2] += q2
    r[t0 + 3] += q3
    r[t0 + 4] += q4
    r[t0 + 5] += q5
    r[t0 + 6] += q6
    r[t0 + 7] += q7


@njit(inline="always")
def _wgrad_task(task, pairs, part):
    # Task -> (chunk, first of its pair of output channels, the chunk's partial sums with
    # the pair's rows zeroed).
    k, o = task // pairs, (task % pairs) * 2
    acc = part[k]
    acc[o:o + 2] = 0
    return k, o, acc


@njit(inline="always")
def _wgrad_chunk(gyc, shift, o, k, per, m):
    # (start, length, the pair's output-gradient rows) of chunk k of the m positions.
    l0 = k * per
    lc = max(0, min(m, l0 + per) - l0)
    # (Row by row: a row of the 2-D slice ``gyc[o:o + 2, ...]`` would be typed as
    # non-contiguous, which stops the sums from vectorising: 6x slower.)
    a = shift + l0
    return l0, lc, gyc[o, a:a + lc], gyc[o + 1, a:a + lc]


@njit(inline="always")
def _wgrad_taps(g0, g1, xs, offs, lc, acc, o, c, zero):
    # Eight taps per pass, the rest one per pass, for kernels other than 3x3.
    t_ = offs.shape[0]
    for t0 in range(0, t_ - 7, 8):
        _wgrad8(g0, g1, xs, offs, t0, lc, acc, o, c, zero)
    for t in range(t_ - t_ % 8, t_):
        x = xs[offs[t]:offs[t] + lc]
        p = q = zero
        for i in range(lc):
            p += g0[i] * x[i]
            q += g1[i] * x[i]
        acc[o, c, t] += p
        acc[o + 1, c, t] += q


# The weight-gradient kernel, one for 3x3 kernels and one for any other (as the forward's):
#   ``part[k, o, c, t] = sum_{l in chunk k} gyc[o, shift + l] xg[c, l + offs[t]]``.
# ``gyc``: (O2, ...) output-gradient canvases in the layout of ``xg`` from column
# ``shift`` on (zero at every position that is not an output, and in row O2-1 when O is
# odd: O2 is even); chunk k: the k-th of K equal chunks of the ``m`` positions;
# ``part``: (K, O2, C, T) partial sums of the K chunks,
# added up by the caller in a fixed order (the result does not depend on the number of
# threads). A task is one chunk of one pair of output channels. ``zero``: 0 of the dtype
# (a literal ``0.0`` would make float32 sums float64; ``gyc[0, 0] * 0`` stops LLVM from
# vectorising the sums).
@njit(parallel=True, fastmath=True, cache=True)
def weight_grad3x3(gyc, shift, m, xg, offs, part, zero):
    """The weight-gradient kernel for 3x3 kernels."""
    kc, pairs, reach = part.shape[0], gyc.shape[0] // 2, offs[8]
    per = (m + kc - 1) // kc
    for task in prange(kc * pairs):
        k, o, acc = _wgrad_task(task, pairs, part)
        l0, lc, g0, g1 = _wgrad_chunk(gyc, shift, o, k, per, m)
        for c in range(xg.shape[0]):
            _wgrad9(g0, g1, xg[c, l0:l0 + lc + reach], offs, lc, acc, o, c, zero)


@njit(parallel=True, fastmath=True, cache=True)
def weight_grad_taps(gyc, shift, m, xg, offs, part, zero):
    """The weight-gradient kernel for any other kernel: eight taps per pass (LeNet's
    6 -> 16 5x5 0.84 -> 0.77 ms against a kernel row per pass; ResNet-18's 7x7 stem
    23.6 -> 11.5 against one tap per pass)."""
    kc, pairs, reach = part.shape[0], gyc.shape[0] // 2, offs[offs.shape[0] - 1]
    per = (m + kc - 1) // kc
    for task in prange(kc * pairs):
        k, o, acc = _wgrad_task(task, pairs, part)
        l0, lc, g0, g1 = _wgrad_chunk(gyc, shift, o, k, per, m)
        for c in range(xg.shape[0]):
            _wgrad_taps(g0, g1, xg[c, l0:l0 + lc + reach], offs, lc, acc, o, c, zero)


@njit(parallel=True, cache=True)
def to_planes(x, dst, lead, rows, wq, pt, pl):
    """Write ``x`` (N, C, H, W) into ``dst`` (C2 >= C, lead + N*rows*wq + tail): image n,
    channel c at ``dst[c, lead + n*rows*wq + (pt + h)*wq + pl + w]``, zeros everywhere
    else. A task is one channel of a block of consecutive images (one contiguous span of
    ``dst``, about 4096 values: zeroed, then filled while it is in cache); one task per
    plane was twice as slow on small planes (32 x 64 x 8 x 8: 0.065 -> 0.032 ms)."""
    n_, c_, h_, w_ = x.shape
    plane = rows * wq
    wc = min(w_, wq - pl)
    h0, h1 = max(0, -pt), min(h_, rows - pt)
    per = max(1, min(n_, 4096 // max(1, plane)))  # images per task
    blocks = (n_ + per - 1) // per
    for task in prange(dst.shape[0] * blocks):
        c = task // blocks
        n0 = (task - c * blocks) * per
        n1 = min(n_, n0 + per)
        seg = dst[c, lead + n0 * plane:lead + n1 * plane]
        seg[:] = 0
        if c < c_:
            for n in range(n0, n1):
                src = x[n, c]
                for h in range(h0, h1):
                    b = (n - n0) * plane + (pt + h) * wq + pl
                    d, s = seg[b:b + wc], src[h]
                    for w in range(wc):
                        d[w] = s[w]
        if n0 == 0:
            dst[c, :lead] = 0
        if n1 == n_:
            dst[c, lead + n_ * plane:] = 0


@njit(parallel=True, cache=True)
def to_phase_planes(x, dst, sh, sw, rows, wq, pt, pl):
    """Write ``x`` (N, C, H, W), zero-padded by ``pt`` rows and ``pl`` columns, into
    ``dst`` (C, S*N*rows*wq + tail) as its S = ``sh*sw`` stride phases: phase ``(p, q)``
    of image n, channel c is the plane ``dst[c, ((p*sw + q)*N + n)*rows*wq + i*wq + j] =
    xpad[n, c, sh*i + p, sw*j + q]`` (zero past the input), zeros everywhere else.

    Each input row is read once, into its row of every column phase; with ``sw == 2``
    both phases in one loop, branch-free between the edges (against a strided read per
    phase, 30 alternating calls: 128 x 16 x 32 x 32 4.3 -> 2.0 ms, 8 x 64 x 56 x 56
    2.4 -> 1.2, 8 x 256 x 14 x 14 0.65 -> 0.53)."""
    n_, c_, h_, w_ = x.shape
    plane = rows * wq
    block = n_ * plane
    for task in prange(c_ * n_):
        c = task // n_
        n = task - c * n_
        for ph in range(sh * sw):
            s0 = ph * block + n * plane
            dst[c, s0:s0 + plane] = 0
        for hh in range(h_):
            i, p = divmod(hh + pt, sh)
            if i < 0 or i >= rows:
                continue
            src = x[n, c, hh]
            if sw == 2:
                r0 = p * 2 * block + n * plane + i * wq
                _split_row(src, dst[c, r0:r0 + wq], dst[c, r0 + block:r0 + block + wq],
                           pl)
                continue
            for q in range(sw):
                r0 = (p * sw + q) * block + n * plane + i * wq
                row = dst[c, r0:r0 + wq]
                j0 = max(0, (pl - q + sw - 1) // sw)  # first column inside the input
                j1 = min(wq, (w_ - 1 + pl - q) // sw + 1)
                for j in range(j0, j1):
                    row[j] = src[sw * j + q - pl]
        if n == n_ - 1:
            dst[c, sh * sw * block:] = 0


@njit(inline="always")
def _split_row(src, ev, od, pl):
    # ev[j] = src[2j - pl], od[j] = src[2j + 1 - pl] where inside src (else untouched):
    # the interior (both inside) without bounds checks, the edge columns with them.
    w_, wq = src.shape[0], ev.shape[0]
    lo = min(wq, (pl + 1) // 2)
    hi = max(lo, min(wq, (w_ - 1 + pl) // 2))
    s, e, o = src[2 * lo - pl:2 * hi - pl], ev[lo:hi], od[lo:hi]
    for k in range(hi - lo):
        e[k] = s[2 * k]
        o[k] = s[2 * k + 1]
    for j in range(lo):
        _edge(src, ev, od, j, 2 * j - pl)
    for j in range(hi, wq):
        _edge(src, ev, od, j, 2 * j - pl)


@njit(inline="always")
def _edge(src, ev, od, j, a):
    if 0 <= a < src.shape[0]:
        ev[j] = src[a]
    if 0 <= a + 1 < src.shape[0]:
        od[j] = src[a + 1]


@njit(parallel=True, cache=True)
def from_planes(src, out, bias, has_bias, lead, rows, wq, pt, pl):
    """The adjoint gather of :func:`to_planes`: ``out[n, c, h, w] = src[c, lead +
    n*rows*wq + (pt + h)*wq + pl + w]`` (+ ``bias[c]``), zero where that position is past
    its plane's rows or row."""
    n_, c_, h_, w_ = out.shape
    plane = rows * wq
    wn = max(0, min(w_, wq - pl))
    zero = out.dtype.type(0)
    for task in prange(c_ * n_):
        c = task // n_
        n = task - c * n_
        base = lead + n * plane
        add = bias[c] if has_bias else zero
        for h in range(h_):
            dst = out[n, c, h]
            if pt + h >= rows:
                dst[:] = zero
                continue
            b = base + (pt + h) * wq + pl
            seg = src[c, b:b + wn]
            if has_bias:
                for w in range(wn):
                    dst[w] = seg[w] + add
            else:
                dst[:wn] = seg
            dst[wn:] = zero
