"""The benchmark's workloads: what one step is, in glassnet and in torch.

A :class:`Case` is one row of the table. Model workloads (``*-train``: forward, backward
and an SGD-momentum step; ``*-infer``: an eval-mode forward under ``no_grad``), conv2d
micro-benchmarks (forward + backward of one layer shape; the groups ``conv-resnet20`` and
``conv-resnet18`` expand to the distinct shapes of those nets) and the per-op overhead
probe (group ``op-overhead``: a tiny ``add``, ``relu`` and ``nn.Linear`` forward +
backward, timed over ``calls`` calls per step).

``glassnet_side(case)`` builds glassnet's step; ``torch_side(case, gn)`` builds torch's
from the same initial weights and inputs. Each side has ``step()`` and ``check()`` (the
arrays the parity check compares: the first-step loss, the outputs, or a conv's output
and gradients).
"""
from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field

import numpy as np

__all__ = ["Case", "MODEL_WORKLOADS", "GROUPS", "list_names", "select", "glassnet_side",
           "torch_side", "model_flops", "conv_macs"]

LR, MOMENTUM = 0.01, 0.9

# name -> (glassnet model name, constructor kwargs, per-sample input shape, batch, kind)
MODEL_WORKLOADS = {
    "resnet20-train": ("resnet20", {}, (3, 32, 32), 128, "train"),
    "resnet56-train": ("resnet56", {}, (3, 32, 32), 128, "train"),
    "lenet5-train": ("lenet5", {}, (1, 28, 28), 128, "train"),
    "smallcnn-digits-train": ("small_cnn", {}, (1, 8, 8), 32, "train"),
    "mlp-train": ("mlp", {"in_features": 784, "hidden": (512, 512)}, (1, 28, 28), 128,
                  "train"),
    "lstm-train": ("lstm_mnist", {}, (1, 28, 28), 128, "train"),
    "resnet18-infer": ("resnet18", {}, (3, 224, 224), 8, "infer"),
    "mobilenetv2-infer": ("mobilenet_v2", {}, (3, 224, 224), 8, "infer"),
    "vgg11-infer": ("vgg11", {}, (3, 224, 224), 8, "infer"),
}
# conv group -> the model workload whose distinct conv layer shapes it times
CONV_GROUPS = {"conv-resnet20": "resnet20-train", "conv-resnet18": "resnet18-infer"}
OPS = ("add", "relu", "linear")
GROUPS = tuple(MODEL_WORKLOADS) + tuple(CONV_GROUPS) + ("op-overhead",)

QUICK_BATCH = {"train": 4, "infer": 1, "conv": 2}
OP_CALLS, QUICK_OP_CALLS = 200, 20


@dataclass
class Case:
    """One benchmark row. ``spec`` holds what the kind needs (model name and kwargs,
    conv geometry, op name); ``flops`` is per step (None: not counted)."""

    name: str
    group: str
    kind: str                 # "train" | "infer" | "conv" | "op"
    batch: int | None
    spec: dict = field(default_factory=dict)
    calls: int = 1            # op probe: calls per timed step
    flops: float | None = None

    @property
    def measures_memory(self) -> bool:
        return self.kind in ("train", "infer")


def list_names() -> list:
    """Every selectable name: the workload groups (model workloads are their own group)."""
    return list(GROUPS)


def select(only=None, *, quick: bool = False, batch: int | None = None) -> list:
    """The cases for ``only`` (names or shell patterns of groups, e.g. ``conv-*``, or of
    single cases, e.g. ``conv-resnet18/64-64-k3s1-56x56``; None: all).

    ``batch`` overrides every model and conv batch; ``quick`` shrinks them (tests).
    """
    patterns = list(only) if only else ["*"]
    cases = []
    for g in GROUPS:
        whole = any(fnmatch.fnmatch(g, p) for p in patterns)
        # Expand a group for its single cases only if a case pattern could match in it.
        parts = [p for p in patterns if "/" in p and fnmatch.fnmatch(g, p.split("/")[0])]
        if not whole and not parts:
            continue
        expanded = _expand(g, quick, batch)
        cases += expanded if whole else [c for c in expanded
                                         if any(fnmatch.fnmatch(c.name, p) for p in parts)]
    if not cases:
        raise ValueError(f"bench: --only matched no workload, got {', '.join(patterns)}; "
                         f"choose from {', '.join(GROUPS)} (or a conv/op case name)")
    return cases


def _expand(group, quick, batch):
    if group in MODEL_WORKLOADS:
        model, kwargs, shape, default_batch, kind = MODEL_WORKLOADS[group]
        b = batch or (QUICK_BATCH[kind] if quick else default_batch)
        return [Case(group, group, kind, b, {"model": model, "kwargs": kwargs,
                                              "input": shape})]
    if group in CONV_GROUPS:
        model, kwargs, shape, default_batch, _ = MODEL_WORKLOADS[CONV_GROUPS[group]]
        b = batch or (QUICK_BATCH["conv"] if quick else default_batch)
        return [Case(f"{group}/{_conv_label(g)}", group, "conv", b, dict(g))
                for g in conv_shapes(model, kwargs, shape)]
    calls = QUICK_OP_CALLS if quick else OP_CALLS
    return [Case(f"op-overhead/{op}", "op-overhead", "op", None, {"op": op}, calls)
            for op in OPS]


def _conv_label(g):
    label = f"{g['in_channels']}-{g['out_channels']}-k{g['kernel_size']}s{g['stride']}"
    if g["groups"] > 1:
        label += f"g{g['groups']}"
    return label + f"-{g['height']}x{g['width']}"


_SHAPES_CACHE: dict = {}


def conv_shapes(model_name, kwargs, input_shape) -> list:
    """The distinct Conv2d geometries of a glassnet model, in order of first use, read
    by forward hooks during one batch-1 eval forward."""
    key = (model_name, tuple(sorted(kwargs.items())), input_shape)
    if key in _SHAPES_CACHE:
        return _SHAPES_CACHE[key]
    import glassnet as gn
    from glassnet import nn
    from glassnet.models import get_model

    model = get_model(model_name, **kwargs).eval()
    seen: dict = {}

    def hook(m, inputs, output):
        _, c, h, w = inputs[0].shape
        g = {"in_channels": c, "out_channels": m.out_channels,
             "kernel_size": _first(m.kernel_size), "stride": _first(m.stride),
             "padding": _first(m.padding), "dilation": _first(m.dilation),
             "groups": m.groups, "height": h, "width": w, "bias": m.bias is not None}
        seen.setdefault(tuple(g.items()), g)

    handles = [m.register_forward_hook(hook) for m in model.modules()
               if isinstance(m, nn.Conv2d)]
    try:
        with gn.no_grad():
            model(gn.zeros((1,) + tuple(input_shape)))
    finally:
        for h in handles:
            h.remove()
    _SHAPES_CACHE[key] = list(seen.values())
    return _SHAPES_CACHE[key]


def _first(v):
    return v[0] if isinstance(v, (tuple, list)) else v


# -- FLOP counts ---------------------------------------------------------------------
def model_flops(model, input_shape, batch: int, train: bool) -> float:
    """FLOPs of one step: 2 x the multiply-accumulates of one forward (convolutions and
    linear layers, counted by ``glassnet.inspect.summary``) x batch, x 3 for a training
    step (the backward pass costs about two forwards: input and weight gradients)."""
    from glassnet.inspect import summary

    macs = summary(model, input_shape).total_macs
    return 2.0 * macs * batch * (3 if train else 1)


def conv_macs(g: dict, batch: int) -> int:
    """Multiply-accumulates of one conv2d forward with geometry ``g`` on ``batch`` images:
    ``N * C_out * H_out * W_out * (C_in / groups) * k * k``."""
    from glassnet.inspect import conv_output_size

    k, s, p, d = g["kernel_size"], g["stride"], g["padding"], g["dilation"]
    ho = conv_output_size(g["height"], k, s, p, d)
    wo = conv_output_size(g["width"], k, s, p, d)
    return batch * g["out_channels"] * ho * wo * (g["in_channels"] // g["groups"]) * k * k


# -- inputs --------------------------------------------------------------------------
def _inputs(case, seed):
    """(x, y) float32 images and int64 labels; the 8x8 digits for smallcnn-digits."""
    rng = np.random.default_rng(seed)
    shape = (case.batch,) + tuple(case.spec["input"])
    if case.name == "smallcnn-digits-train":
        from glassnet.vision.datasets import Digits

        ds = Digits(train=True)
        idx = np.arange(case.batch) % len(ds)
        x = ds.data.numpy()[idx].astype(np.float32)[:, None] / 255.0
        return np.ascontiguousarray(x), ds.targets.numpy()[idx].astype(np.int64)
    classes = case.spec["kwargs"].get("num_classes", 10 if case.kind == "train" else 1000)
    x = rng.standard_normal(shape, dtype=np.float32)
    return x, rng.integers(0, classes, case.batch).astype(np.int64)


# -- glassnet side -------------------------------------------------------------------
class _GlassnetModel:
    def __init__(self, case, seed, count_flops, device="cpu"):
        import glassnet as gn
        from glassnet.models import get_model

        self.case, self.device = case, device
        gn.manual_seed(seed)
        self.model = get_model(case.spec["model"], **case.spec["kwargs"])
        self.x_np, self.y_np = _inputs(case, seed)
        self.flops = (model_flops(self.model, case.spec["input"], case.batch,
                                  case.kind == "train") if count_flops else None)
        self.model.to(device)
        self.x = gn.from_numpy(self.x_np).to(device)
        self.y = gn.from_numpy(self.y_np).to(device)
        if case.kind == "train":
            self.model.train()
            self.opt = gn.optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)
        else:
            self.model.eval()

    def step(self):
        import glassnet as gn
        from glassnet.nn import functional as F

        if self.case.kind == "infer":
            with gn.no_grad():
                self.model(self.x)
            return
        loss = F.cross_entropy(self.model(self.x), self.y)
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()

    def check(self):
        import glassnet as gn
        from glassnet.nn import functional as F

        with gn.no_grad(), _dropout_off(self.model):
            out = self.model(self.x)
            if self.case.kind == "infer":
                return {"output": _host(out)}
            return {"loss": _host(F.cross_entropy(out, self.y))}


def _host(t) -> np.ndarray:
    """A glassnet tensor's values as a NumPy array (copied from the device if needed)."""
    return t.detach().cpu().numpy()


class _GlassnetConv:
    def __init__(self, case, seed, device="cpu"):
        import glassnet as gn

        g, rng = case.spec, np.random.default_rng(seed)
        self.g, self.device = g, device
        x = rng.standard_normal((case.batch, g["in_channels"], g["height"], g["width"]),
                                dtype=np.float32)
        fan_in = g["in_channels"] // g["groups"] * g["kernel_size"] ** 2
        w = rng.standard_normal((g["out_channels"], g["in_channels"] // g["groups"],
                                 g["kernel_size"], g["kernel_size"]), dtype=np.float32)
        self.x_np, self.w_np = x, w * np.float32(np.sqrt(2.0 / fan_in))
        self.x = gn.tensor(self.x_np, requires_grad=True, device=device)
        self.w = gn.tensor(self.w_np, requires_grad=True, device=device)
        self.flops = 3.0 * 2.0 * conv_macs(g, case.batch)
        out_shape = self._forward().shape
        self.g_np = rng.standard_normal(tuple(out_shape), dtype=np.float32)
        self.grad = gn.from_numpy(self.g_np).to(device)

    def _forward(self):
        from glassnet.nn import functional as F

        g = self.g
        return F.conv2d(self.x, self.w, None, g["stride"], g["padding"], g["dilation"],
                        g["groups"])

    def step(self):
        self.x.grad = self.w.grad = None
        self._forward().backward(self.grad)

    def check(self):
        self.x.grad = self.w.grad = None
        out = self._forward()
        out.backward(self.grad)
        return {"output": _host(out), "grad_input": _host(self.x.grad),
                "grad_weight": _host(self.w.grad)}


class _GlassnetOp:
    def __init__(self, case, seed, device="cpu"):
        import glassnet as gn
        from glassnet import nn

        rng = np.random.default_rng(seed)
        self.op, self.calls, self.device = case.spec["op"], case.calls, device
        self.a_np = rng.standard_normal((8, 16), dtype=np.float32)
        self.b_np = rng.standard_normal((8, 16), dtype=np.float32)
        self.a = gn.tensor(self.a_np, requires_grad=True, device=device)
        self.b = gn.tensor(self.b_np, requires_grad=True, device=device)
        self.linear = None
        if self.op == "linear":
            gn.manual_seed(seed)
            self.linear = nn.Linear(16, 16).to(device)
        self.g = gn.from_numpy(rng.standard_normal((8, 16), dtype=np.float32)).to(device)
        self.flops = None

    def _once(self):
        from glassnet.nn import functional as F

        self.a.grad = self.b.grad = None
        if self.op == "add":
            y = self.a + self.b
        elif self.op == "relu":
            y = F.relu(self.a)
        else:
            y = self.linear(self.a)
        y.backward(self.g)
        return y

    def step(self):
        for _ in range(self.calls):
            self._once()

    def check(self):
        if self.linear is not None:
            self.linear.zero_grad()
        out = {"output": _host(self._once()), "grad_a": _host(self.a.grad)}
        if self.linear is not None:
            out["grad_weight"] = _host(self.linear.weight.grad)
        return out


def glassnet_side(case: Case, seed: int = 0, count_flops: bool = True, device="cpu"):
    """glassnet's step for ``case`` (model built with ``glassnet.manual_seed(seed)``) on
    ``device``; the side's ``device`` tells the torch side where to run."""
    if case.kind in ("train", "infer"):
        return _GlassnetModel(case, seed, count_flops, device)
    if case.kind == "conv":
        return _GlassnetConv(case, seed, device)
    return _GlassnetOp(case, seed, device)


# -- torch side ----------------------------------------------------------------------
def torch_side(case: Case, gn_side):
    """torch's step for ``case``, from ``gn_side``'s initial weights and inputs (built by
    ``benchmarks/torch_reference.py``, outside the package: glassnet never imports
    torch)."""
    from glassnet.bench.reference import load_reference

    ref, note = load_reference()
    if ref is None:
        raise RuntimeError(f"torch_side: {note}")
    return ref.torch_side(case, gn_side)


class _dropout_off:
    """Context manager: every dropout module of ``model`` (glassnet or torch) gets
    ``p = 0`` for the parity check (the two frameworks draw different masks)."""

    def __init__(self, model):
        self.mods = [m for m in model.modules() if "Dropout" in type(m).__name__]

    def __enter__(self):
        self.saved = [m.p for m in self.mods]
        for m in self.mods:
            m.p = 0.0
        return self

    def __exit__(self, *exc):
        for m, p in zip(self.mods, self.saved):
            m.p = p
        return False

