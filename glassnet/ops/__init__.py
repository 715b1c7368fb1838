"""Differentiable ops, one file per family (elementwise, unary, comparison, reduce, order,
scan, shape, indexing, linalg, conv, pool, sampling, activation, norm, dropout, loss,
inplace), and the Tensor's methods that call them (:mod:`glassnet.ops.methods`).

Each op is a :class:`~glassnet.autograd.Function` plus one validated public function.
The ops work on :class:`~glassnet._tensor_base.TensorBase`, the op-free core of every
Tensor (imported under the name ``Tensor`` in these modules), so this package sits below
:mod:`glassnet.tensor` and never imports it.
"""
