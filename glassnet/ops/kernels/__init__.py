"""Fast paths behind the ops (numba kernels); the NumPy code in glassnet.ops stays the
readable reference, and tests check each kernel against it."""


def warm_up() -> None:
    """Load (or compile) every kernel for float32 and float64 now, so that the first
    training step does not pay for it (``glassnet bench``'s memory runs call it before
    their baseline: loading llvmlite and the kernels is a one-time ~50 MiB, like imports).
    Does nothing without numba."""
    import numpy as np

    from glassnet.ops.window import Window
    from glassnet.ops import _blas, _conv_engine
    from glassnet.ops.kernels import (batchnorm, dense, depthwise, elementwise, lstm, pool,
                                      winograd)

    if not (depthwise.available() and batchnorm.available()):
        return
    for dt in (np.float32, np.float64):
        x = np.ones((1, 2, 4, 4), dt)
        w = np.ones((2, 1, 3, 3), dt)
        for s in (1, 2):
            o = (4 + 2 - 3) // s + 1
            win = Window.cached((4, 4), (o, o), (3, 3), (s, s), (1, 1), (1, 1))
            y = depthwise.forward(x, w, None, win)
            depthwise.input_grad(y, w, x.shape, win)
            depthwise.weight_grad(y, x, w.shape, win)
        win = Window.cached((4, 4), (4, 4), (3, 3), (1, 1), (1, 1), (1, 1))
        wd = np.ones((2, 2, 3, 3), dt)
        y, xg = dense.forward(x, wd, None, win)
        dense.input_grad(y, wd, x.shape, win)
        dense.weight_grad(y, xg, wd.shape, win)
        s2 = Window.cached((4, 4), (2, 2), (3, 3), (2, 2), (1, 1), (1, 1))  # stride phases
        y, xg = dense.forward(x, wd, None, s2)  # (the input gradient: other tap counts)
        dense.input_grad(y, wd, x.shape, s2)
        k5 = Window.cached((4, 4), (4, 4), (5, 5), (1, 1), (2, 2), (1, 1))  # not 3x3
        w5 = np.ones((2, 2, 5, 5), dt)
        y, xg = dense.forward(x, w5, None, k5)
        dense.weight_grad(y, xg, w5.shape, k5)
        xs = x.reshape(1, 2, 16)
        one = np.ones(2, dt)
        batchnorm.moments(xs)
        batchnorm.normalize(xs, one, one, one)
        batchnorm.grad_sums(xs, xs)
        batchnorm.grad_input(xs, xs, one, one, one)
        big = np.ones(elementwise.MIN_SIZE, dt)
        elementwise.relu_grad(elementwise.relu(big), elementwise.add(big, big))
        elementwise.clip_grad(elementwise.clip(big, 0, 6), big, 0, 6)
        elementwise.sigmoid_grad(elementwise.tanh_grad(big, big), big)
        g4, c1, one4 = np.ones((2, 8), dt), np.ones((2, 2), dt), np.ones(8, dt)
        lstm.cell_forward(g4, g4.copy(), one4, one4, one4, c1, c1.copy(), c1.copy(),
                          c1.copy())
        lstm.cell_backward(c1, c1, c1.copy(), g4, c1, c1, g4, g4.copy())
        pool.max_pool(x, win)
        v = np.empty((4, 4, 2, 1, 6), dt)  # Winograd F(2x2, 3x3): 2x2 tiles (+1 column)
        winograd.input_tiles(x, v, (1, 1), 2, 3)
        winograd.output_tiles(v, np.empty((1, 2, 4, 4), dt), 3)
        winograd.grad_tiles(x, v, 2, 3)
        y, taps = pool.max_pool_arg(x, win)
        pool.max_pool_grad(y, taps, x.shape, win)
        pool.avg_pool_grad(pool.avg_pool(x, win, 9.0), x.shape, win, 9.0)
        tiles = Window.cached((4, 4), (2, 2), (2, 2), (2, 2), (0, 0), (1, 1))
        pool.avg_pool_grad(pool.avg_pool(x, tiles, 4.0), x.shape, tiles, 4.0)
        elementwise.sgd_momentum(big.copy(), big, big.copy(), lr=0.1, momentum=0.9,
                                 dampening=0, weight_decay=0, nesterov=False,
                                 maximize=False)
        if _blas.AVAILABLE:  # the products on the pool (128^3 >= gemm.MIN_MNK)
            a = np.ones((128, 128), dt)
            _blas.gemm(a, a, np.empty((128, 128), dt))
            g = win.to_cgrid(x)  # the shifted GEMMs' three passes
            gp = win.cpad(win.ccrop(_conv_engine._shift_apply(g, wd, win, 1, 1), 1))
            _conv_engine._shift_adjoint(gp, wd, win, 1, 2, 1)
            _conv_engine._shift_weight_grad(gp, g, wd.shape, win, 1, 1)
