"""``glassnet.jit``: define-then-run.  :func:`trace` records the ops of one call into a
static :class:`Graph` (as ``torch.jit.trace``); the graph lists itself (``print``), draws
itself (:meth:`Graph.to_dot`) and runs on raw arrays with no autograd bookkeeping, each
intermediate array freed once its last reader has run.  :func:`trace_train_step` does
the same for a whole training step (forward, loss, backward from each op's backward,
optimizer update)."""
from glassnet.jit._tracer import TracerWarning, trace
from glassnet.jit.graph import Graph, Node, Value
from glassnet.jit.train_step import TrainStep, measure_peak, trace_train_step

__all__ = ["trace", "Graph", "Node", "Value", "TracerWarning", "trace_train_step",
           "TrainStep", "measure_peak"]
