"""``summary(model, input_size)``: a per-layer table of output shapes, parameters
(trainable / frozen), multiply-accumulates, receptive field and effective stride, with
totals and the activation memory of one sample; and ``conv_output_size``.

MACs count the multiply-accumulates of convolutions (incl. transposed), linear and
bilinear layers — the convention of torchvision's published GFLOPS — and nothing for
normalisation, activations or pooling.

The receptive field and effective stride (the "jump") follow the standard recurrence
``rf_out = rf_in + (k_eff - 1) * jump_in``, ``jump_out = jump_in * stride`` with
``k_eff = dilation * (k - 1) + 1``. Where branches merge (residual additions,
concatenations), the graph is walked back to the layers that produced the inputs and
the largest receptive field is kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["summary", "conv_output_size", "ModelSummary", "LayerRow"]


def conv_output_size(n: int, kernel: int, stride: int = 1, padding: int = 0,
                     dilation: int = 1) -> int:
    """Output length of a convolution or pooling window:
    ``floor((n + 2p - d(k - 1) - 1) / s) + 1``.

    Raises ValueError when the (padded) input is smaller than the dilated kernel.
    """
    for name, v, low in (("n", n, 1), ("kernel", kernel, 1), ("stride", stride, 1),
                         ("padding", padding, 0), ("dilation", dilation, 1)):
        if not isinstance(v, (int, np.integer)) or v < low:
            raise ValueError(f"conv_output_size: {name} must be an int >= {low}, got {v!r}")
    eff = dilation * (kernel - 1) + 1
    if n + 2 * padding < eff:
        raise ValueError(f"conv_output_size: input of size {n} with padding {padding} is "
                         f"smaller than the dilated kernel ({eff}); the output would be empty")
    return (n + 2 * padding - eff) // stride + 1


@dataclass
class LayerRow:
    name: str
    kind: str
    output_shape: tuple
    trainable: int
    frozen: int
    macs: int
    receptive_field: int
    jump: int


@dataclass
class ModelSummary:
    rows: list = field(default_factory=list)
    input_size: tuple = ()
    total_params: int = 0
    trainable_params: int = 0
    total_macs: int = 0
    activation_bytes: int = 0
    param_bytes: int = 0

    @property
    def frozen_params(self) -> int:
        return self.total_params - self.trainable_params

    def __str__(self) -> str:
        head = (f"{'layer':<34} {'type':<18} {'output shape':<20} {'params':>12} "
                f"{'MACs':>14} {'RF':>5} {'jump':>5}")
        lines = [head, "-" * len(head)]
        for r in self.rows:
            p = f"{r.trainable:,}" + (f" (+{r.frozen:,}f)" if r.frozen else "")
            shape = "x".join(str(s) for s in r.output_shape)
            lines.append(f"{r.name[:34]:<34} {r.kind[:18]:<18} {shape:<20} {p:>12} "
                         f"{r.macs:>14,} {r.receptive_field:>5} {r.jump:>5}")
        lines.append("-" * len(head))
        lines.append(f"input: {'x'.join(str(s) for s in self.input_size)}")
        lines.append(f"parameters: {self.total_params:,} ({self.trainable_params:,} "
                     f"trainable, {self.frozen_params:,} frozen), "
                     f"{self.param_bytes / 2**20:.2f} MiB")
        lines.append(f"multiply-accumulates: {self.total_macs:,} "
                     f"({self.total_macs / 1e9:.3f} GMACs)")
        lines.append(f"activation memory (one sample, forward): "
                     f"{self.activation_bytes / 2**20:.2f} MiB")
        return "\n".join(lines)


def _layer_geometry(m):
    """(kernel, stride, dilation) along H for layers that change the receptive field."""
    from glassnet import nn

    def first(v):
        return v[0] if isinstance(v, (tuple, list)) else v

    if isinstance(m, (nn.Conv1d, nn.Conv2d)):
        return first(m.kernel_size), first(m.stride), first(m.dilation)
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)) or type(m).__name__ in ("MaxPool1d",
                                                                           "AvgPool1d"):
        k = first(m.kernel_size)
        s = first(m.stride) if m.stride is not None else k
        return k, s, first(getattr(m, "dilation", 1))
    if isinstance(m, nn.ConvTranspose2d):
        # NOTE: a transposed conv upsamples; its jump divides by the stride.
        return first(m.kernel_size), 1.0 / first(m.stride), first(m.dilation)
    return None


def _macs(m, inputs, output):
    from glassnet import nn

    out = output.shape
    if isinstance(m, (nn.Conv1d, nn.Conv2d)):
        k = int(np.prod(m.weight.shape[1:]))  # (C_in / groups) * kh * kw
        return int(np.prod(out[1:])) * k
    if isinstance(m, nn.ConvTranspose2d):
        x = inputs[0].shape
        return int(np.prod(x[1:])) * int(np.prod(m.weight.shape[1:]))
    if isinstance(m, nn.Linear):
        return int(np.prod(out[1:])) * m.in_features
    if isinstance(m, nn.RNNBase):  # every step multiplies by every weight matrix once
        steps = out[1] if m.batch_first and len(out) == 3 else out[0]
        return steps * sum(p.numel() for n, p in m.named_parameters() if "weight" in n)
    if type(m).__name__ == "Bilinear":
        return int(np.prod(out[1:])) * m.in1_features * m.in2_features
    return 0


def summary(model, input_size, batch_size: int = 1, dtype=np.float32) -> ModelSummary:
    """Run one forward pass on a random input of shape ``(batch_size, *input_size)`` and
    tabulate every leaf module (a module without children).

    Parameters
    ----------
    model : Module
    input_size : tuple
        Per-sample input shape, e.g. ``(3, 224, 224)``.

    Returns
    -------
    ModelSummary
        ``print()`` it for the table; fields hold the totals.
    """
    import glassnet
    from glassnet.autograd import enable_grad

    input_size = tuple(int(s) for s in input_size)
    if not input_size or any(s < 1 for s in input_size):
        raise ValueError(f"summary: input_size must be a non-empty tuple of positive ints, got "
                         f"{input_size}")
    info: dict = {}  # id(tensor) -> (rf, jump)
    keep: list = []  # keep tensors alive so that ids stay unique during the pass
    rows: list = []
    handles = []
    leaves = [(n, m) for n, m in model.named_modules() if not list(m.children())]

    def lookup(t):
        # Walk the graph back to tensors produced by leaf modules (or the input).
        stack, seen, best = [t], set(), None
        while stack:
            cur = stack.pop()
            if id(cur) in seen:
                continue
            seen.add(id(cur))
            if id(cur) in info:
                v = info[id(cur)]
                best = v if best is None or v[0] > best[0] else best
                continue
            if cur._ctx is not None:
                stack.extend(cur._ctx.inputs)
        return best or (1, 1)

    def hook(name):
        def fn(m, inputs, output):
            out = output[0] if isinstance(output, tuple) else output
            tin = next((x for x in inputs if isinstance(x, glassnet.Tensor)), None)
            rf, jump = lookup(tin) if tin is not None else (1, 1)
            geo = _layer_geometry(m)
            if geo is not None:
                k, s, d = geo
                rf = rf + (d * (k - 1)) * jump
                jump = jump * s
            info[id(out)] = (rf, jump)
            keep.append(out)
            own = list(m.parameters(recurse=False))
            rows.append(LayerRow(name, type(m).__name__, tuple(out.shape[1:]),
                                 sum(p.numel() for p in own if p.requires_grad),
                                 sum(p.numel() for p in own if not p.requires_grad),
                                 _macs(m, inputs, out),
                                 int(round(rf)), jump))
        return fn

    for name, m in leaves:
        handles.append(m.register_forward_hook(hook(name)))
    was_training = model.training
    model.eval()
    x = glassnet.tensor(np.random.default_rng(0).standard_normal(
        (batch_size,) + input_size).astype(dtype), requires_grad=True)
    info[id(x)] = (1, 1)
    try:
        with enable_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    params = list(model.parameters())
    s = ModelSummary(rows=rows, input_size=input_size)
    s.total_params = sum(p.numel() for p in params)
    s.trainable_params = sum(p.numel() for p in params if p.requires_grad)
    s.param_bytes = sum(p.numel() * p.element_size() for p in params)
    s.total_macs = sum(r.macs for r in rows)
    s.activation_bytes = sum(int(np.prod(r.output_shape)) * np.dtype(dtype).itemsize
                             for r in rows)
    return s
