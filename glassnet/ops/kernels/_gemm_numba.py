"""The numba side of :mod:`glassnet.ops.kernels.gemm`: BLAS GEMMs run from numba's
threads (imported only where numba is installed).

``_cblas`` calls a CBLAS ``?gemm`` whose address is an *argument* (not a constant baked
into the code, so the compiled kernels stay cacheable on disk); ``batched`` spreads a
list of independent products (a batch of matrices, each possibly cut into column or row
blocks) over the pool, each block one single-threaded BLAS call.
"""
from llvmlite import ir
from numba import njit, prange, types
from numba.extending import intrinsic

_ROW_MAJOR = 101
TRANS = 112


@intrinsic
def _cblas(typingctx, fn, wide, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """``cblas_?gemm(RowMajor, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)``
    through the function at address ``fn``; ``wide`` (a literal bool) says whether its
    integers are 64-bit (NumPy's OpenBLAS) or 32-bit; ``alpha``'s type picks float or
    double; the array arguments are addresses (``arr.ctypes.data``)."""
    if not isinstance(wide, types.BooleanLiteral):
        return None
    sig = types.void(fn, wide, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    width = 64 if wide.literal_value else 32

    def codegen(context, builder, signature, args):
        fn_, _, ta_, tb_, m_, n_, k_, alpha_, a_, lda_, b_, ldb_, beta_, c_, ldc_ = args
        i32, iw = ir.IntType(32), ir.IntType(width)
        ptr = ir.IntType(8).as_pointer()
        real = alpha_.type
        fty = ir.FunctionType(ir.VoidType(), [i32, i32, i32, iw, iw, iw, real, ptr, iw,
                                              ptr, iw, real, ptr, iw])
        f = builder.inttoptr(fn_, fty.as_pointer())

        def cast(v, t):
            return builder.trunc(v, t) if v.type.width > t.width else v

        builder.call(f, [ir.Constant(i32, _ROW_MAJOR), cast(ta_, i32), cast(tb_, i32),
                         cast(m_, iw), cast(n_, iw), cast(k_, iw), alpha_,
                         builder.inttoptr(a_, ptr), cast(lda_, iw),
                         builder.inttoptr(b_, ptr), cast(ldb_, iw), beta_,
                         builder.inttoptr(c_, ptr), cast(ldc_, iw)])
        return context.get_dummy_value()

    return sig, codegen


@njit(inline="always")
def _block(fn, wide, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, isz,
           by_rows, step, j):
    """Block ``j`` (rows or columns ``j*step ...`` of C) of one product."""
    s = j * step
    if by_rows:
        e = min(m, s + step)
        aoff = s * isz if ta == TRANS else s * lda * isz
        if wide:
            _cblas(fn, True, ta, tb, e - s, n, k, alpha, a + aoff, lda, b, ldb, beta,
                   c + s * ldc * isz, ldc)
        else:
            _cblas(fn, False, ta, tb, e - s, n, k, alpha, a + aoff, lda, b, ldb, beta,
                   c + s * ldc * isz, ldc)
    else:
        e = min(n, s + step)
        boff = s * ldb * isz if tb == TRANS else s * isz
        if wide:
            _cblas(fn, True, ta, tb, m, e - s, k, alpha, a, lda, b + boff, ldb, beta,
                   c + s * isz, ldc)
        else:
            _cblas(fn, False, ta, tb, m, e - s, k, alpha, a, lda, b + boff, ldb, beta,
                   c + s * isz, ldc)


@njit(parallel=True, cache=True)
def batched(fn, wide, ta, tb, m, n, k, alpha, a, lda, sa, b, ldb, sb, beta, c, ldc, sc,
            isz, count, by_rows, step, blocks):
    """``C_i = alpha op(A_i) op(B_i) + beta C_i`` for ``i < count`` (``A_i`` at byte
    address ``a + i*sa``, likewise B and C; a stride of 0 shares one matrix), each cut
    into ``blocks`` blocks of ``step`` rows (``by_rows``) or columns of C, one BLAS call
    per block, the ``count * blocks`` calls spread over the threads."""
    for t in prange(count * blocks):
        i = t // blocks
        _block(fn, wide, ta, tb, m, n, k, alpha, a + i * sa, lda, b + i * sb, ldb, beta,
               c + i * sc, ldc, isz, by_rows, step, t - i * blocks)



@njit(parallel=True, cache=True)
def taps(fn, wide, ta, tb, m, n, k, alpha, a, lda, aoffs, b, ldb, boffs, c, ldc, coffs,
         betas, cols, isz, split_k, step, total, j0, jstep, nblocks):
    """A list of products per column block, in order: for block ``j = j0 + i*jstep``
    (``i < nblocks``), columns ``s = j*step`` to ``e = min(total, s + step)``, item ``t``
    computes ``C_t = alpha op(A_t) op(B_t) + betas[t] C_t`` with ``A_t`` at byte address
    ``a + aoffs[t] + s*cols[0]``, likewise B (``cols[1]``) and C (``cols[2]``, plus
    ``j*cols[3]``: a block's own partial sum). The block's width is ``k`` when
    ``split_k`` (the products contract over the block's columns) else ``n``. Blocks run
    in parallel, the items of one block one after the other (``betas[t] = 1``: they
    accumulate)."""
    for i in prange(nblocks):
        j = j0 + i * jstep
        s = j * step
        w = min(total, s + step) - s
        nn = n
        kk = k
        if split_k:
            kk = w
        else:
            nn = w
        for t in range(aoffs.shape[0]):
            pa = a + aoffs[t] + s * cols[0]
            pb = b + boffs[t] + s * cols[1]
            pc = c + coffs[t] + s * cols[2] + j * cols[3]
            if wide:
                _cblas(fn, True, ta, tb, m, nn, kk, alpha, pa, lda, pb, ldb, betas[t], pc,
                       ldc)
            else:
                _cblas(fn, False, ta, tb, m, nn, kk, alpha, pa, lda, pb, ldb, betas[t], pc,
                       ldc)
