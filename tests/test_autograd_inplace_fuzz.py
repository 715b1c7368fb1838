"""Random short programs of out-of-place, view and in-place ops, run with torch and glassnet.

An independent, adversarial check of the in-place / view autograd (``autograd._mark_view``,
``CopySlices``, ``rebase_inplace``, the shared version counter): ``hypothesis`` draws a
program of 3-8 steps over a small float64 tensor; each step is one line of Python written
against a library ``lib``, executed with ``lib = torch`` and with ``lib = glassnet`` side
by side.  After every step the two runs must agree on which step raised, and on the
values, shapes and ``requires_grad`` of every live tensor; at the end
``(sum of live tensors * fixed weights).sum().backward()`` must give the same leaf
gradients, or raise in both.  A failure prints the program as a reproducer that runs
with both libraries.

Known glassnet bugs are excluded narrowly at generation time (``_KNOWN_BUGS``), each
with the reproducer it stands for, so that this file passes until the bug is fixed.
"""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")
hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, reject, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# Errors glassnet may raise where torch raises (torch: RuntimeError/IndexError).
_ERRORS = (RuntimeError, ValueError, TypeError, IndexError)
_SHAPES = [(1,), (3,), (4,), (1, 4), (2, 3), (3, 1), (3, 4), (2, 2)]
_VALUES = [0.5, -1.0, 1.5, 2.0, -0.25, 0.75, -2.0, 1.25]
_F64 = "dtype=lib.float64"


# ---------------------------------------------------------------------------
# Literals: every constant is written into the program's text
# ---------------------------------------------------------------------------
def _floats(data, n):
    return data.draw(st.lists(st.sampled_from(_VALUES), min_size=n, max_size=n))


def _tensor_lit(data, shape, requires_grad=False):
    n = int(np.prod(shape)) if shape else 1
    arr = np.array(_floats(data, n)).reshape(shape)
    rg = ", requires_grad=True" if requires_grad else ""
    return f"lib.tensor({arr.tolist()!r}, {_F64}{rg})"


def _mask_lit(data, shape):
    n = int(np.prod(shape)) if shape else 1
    bits = data.draw(st.lists(st.booleans(), min_size=n, max_size=n))
    return f"lib.tensor({np.array(bits).reshape(shape).tolist()!r})"


def _scalar(data):
    return repr(data.draw(st.sampled_from(_VALUES)))


def _dim(data, ndim):
    return data.draw(st.integers(-ndim, ndim - 1))


def _slice(data, n):
    start = data.draw(st.integers(0, n))
    stop = data.draw(st.one_of(st.none(), st.integers(start, n)))
    step = data.draw(st.sampled_from([1, 2]))
    text = f"{start}:{'' if stop is None else stop}"
    return text + (":2" if step == 2 else "")


def _basic_index(data, shape):
    """A basic index (ints and slices with steps) for ``shape``, as source text."""
    if not shape:
        return "..."
    k = data.draw(st.integers(1, len(shape)))
    parts = []
    for n in shape[:k]:
        if n > 0 and data.draw(st.booleans()):
            parts.append(str(data.draw(st.integers(-n, n - 1))))
        else:
            parts.append(_slice(data, n))
    return ", ".join(parts)


def _shape_of(expr_value):
    return tuple(expr_value.shape)


def _broadcasts_to(src, dst):
    try:
        return np.broadcast_shapes(src, dst) == tuple(dst)
    except ValueError:
        return False


# ---------------------------------------------------------------------------
# The program: source lines run with both libraries in lockstep
# ---------------------------------------------------------------------------
def _lenient_on_overlap(t_err, g_err):
    """Accepted by design: torch refuses a write whose source overlaps the written-to
    tensor (``y[lib.tensor([0, 1])] = y``, ``y.copy_(y.t())``); glassnet computes every
    in-place result from a snapshot, so the result is well defined (the values before
    the write) and it does not raise.  No torch program relies on the error."""
    return (g_err is None and t_err is not None
            and "input tensor and the written-to tensor refer to a single memory location"
            in str(t_err))


def _refuses_fill_of_expanded(t_err, g_err):
    """KNOWN BUG (8): torch fills an expanded view (``zero_``, ``fill_``: every element
    gets the same value, so the write is well defined); glassnet raises:
        b = lib.tensor([1., 2.], dtype=lib.float64)
        b.expand(3, 2).zero_()  # torch: b == [0., 0.]; glassnet raises (read-only)
    """
    return (t_err is None and g_err is not None
            and "more than one element of the written-to tensor" in str(g_err))


def _inplace_saves_a_copy(prog, t_err, g_err):
    """KNOWN BUG (9): torch's ``y.exp_()`` saves ``y``'s storage (its result) for
    backward; glassnet computes the in-place result out of place and saves that private
    array, so a later write into ``y`` is not seen: torch's backward raises (or, for a
    write through ``.data``, uses the new values), glassnet's runs on the old values:
        y = lib.tensor([0.5, 1.0], dtype=lib.float64, requires_grad=True) * 1
        y.exp_()
        y.mul_(0.5)
        y.sum().backward()  # torch raises (output 0 of Exp is at version 2); glassnet runs
    (The ``.data`` case, a gradient that differs, is excluded in ``step_inplace``.)
    """
    return (g_err is None and t_err is not None and "which is output 0 of Exp," in str(t_err)
            and any(".exp_()" in line for line in prog.lines))


def _view_misses_base_requiring_grad(t, g):
    """KNOWN BUG (10): a view made while its base needed no grad does not follow the base
    when an in-place op later makes the base require grad: its requires_grad stays False
    and ops on it are cut from the graph (silently wrong gradients):
        x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
        b = lib.zeros(2, dtype=lib.float64)
        v = b[0:2]
        b.add_(x)
        (v * 3).sum().backward()  # torch: x.grad == [3., 3.]; glassnet raises (no grad)
    """
    return (t._base is not None and t.requires_grad and not g.requires_grad
            and g._base is not None and g._base.requires_grad)


def _no_grad_view_check_needs_base_grad(t_err, g_err):
    """KNOWN BUG (11): torch refuses any recorded in-place op on a view made in no_grad
    mode; glassnet only when the view's base requires grad, so a value that requires
    grad written into a no_grad view of a plain tensor is accepted:
        b = lib.zeros(2, dtype=lib.float64)
        with lib.no_grad():
            v = b[0:2]
        w = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
        v.add_(w)  # torch raises (a view was created in no_grad mode ...); glassnet not
    """
    return (g_err is None and t_err is not None
            and "view was created in no_grad mode" in str(t_err))


class _Program:
    def __init__(self):
        self.lines: list[str] = []
        self.ns = {"torch": {"lib": torch}, "gn": {"lib": gn}}
        self.pool: list[str] = []    # names of live tensors (bases, views, leaves)
        self.leaves: list[str] = []  # leaves that require grad
        self.no_grad_views: set[str] = set()  # views made in no_grad mode (KNOWN BUG 1)
        self.counter = 0

    def new_name(self, prefix="t"):
        self.counter += 1
        return f"{prefix}{self.counter}"

    def ref(self, name):
        """The torch value of ``name`` (used to draw shapes and indices)."""
        return self.ns["torch"][name]

    def source(self):
        body = "\n".join("    " + line.replace("\n", "\n    ") for line in self.lines)
        return "def program(lib):\n" + body

    def fail(self, what):
        pytest.fail(f"{what}\nReproducer (run program(torch) and program(glassnet)):\n"
                    f"{self.source()}", pytrace=False)

    def run(self, code, new=None, known_bug=None):
        """Run ``code`` with both libraries; both must raise or neither (an example where
        ``known_bug(torch_error, glassnet_error)`` holds is rejected)."""
        self.lines.append(code)
        outcome = {}
        for lib, ns in self.ns.items():
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(code, ns)
                outcome[lib] = None
            except Exception as e:  # noqa: BLE001 - compared below
                outcome[lib] = e
        t_err, g_err = outcome["torch"], outcome["gn"]
        if known_bug is not None and known_bug(t_err, g_err):
            reject()
        if (_lenient_on_overlap(t_err, g_err) or _refuses_fill_of_expanded(t_err, g_err)
                or _inplace_saves_a_copy(self, t_err, g_err)
                or _no_grad_view_check_needs_base_grad(t_err, g_err)):
            reject()
        if (t_err is None) != (g_err is None):
            self.fail(f"step {len(self.lines)}: torch raised {t_err!r}, glassnet raised "
                      f"{g_err!r}")
        if g_err is not None and not isinstance(g_err, _ERRORS):
            self.fail(f"step {len(self.lines)}: torch raised {t_err!r}, glassnet raised an "
                      f"unexpected error type {g_err!r}")
        if t_err is None and new is not None:
            self.pool.append(new)
        self.compare()
        return t_err is None

    def compare(self):
        for name in self.pool:
            t, g = self.ns["torch"][name], self.ns["gn"][name]
            if tuple(t.shape) != tuple(g.shape):
                self.fail(f"{name}: shape {tuple(g.shape)}, torch {tuple(t.shape)}")
            np_t, np_g = t.detach().numpy(), g.detach().numpy()
            if not np.allclose(np_g, np_t, rtol=1e-9, atol=1e-12, equal_nan=True):
                self.fail(f"{name}: values\n{np_g}\ntorch\n{np_t}")
            if t.requires_grad != g.requires_grad and name not in self.no_grad_views:
                if _view_misses_base_requiring_grad(t, g):
                    reject()
                self.fail(f"{name}: requires_grad {g.requires_grad}, torch {t.requires_grad}")


# ---------------------------------------------------------------------------
# Steps: each draws its operands from the pool and runs one line
# ---------------------------------------------------------------------------
def _pick(data, prog, accept=lambda shape: True, target=False):
    """A live tensor's name (views made in no_grad mode only as an in-place target)."""
    names = [n for n in prog.pool if accept(_shape_of(prog.ref(n)))
             and (target or n not in prog.no_grad_views)]
    return data.draw(st.sampled_from(names)) if names else None


def _operand(data, prog, shape):
    """Source text of a tensor broadcastable to ``shape``: a live one or a literal."""
    other = _pick(data, prog, lambda s: _broadcasts_to(s, shape))
    if other is not None and data.draw(st.booleans()):
        return other
    return _tensor_lit(data, shape)


def _grad_leaf(data, prog, shape):
    """A new leaf that requires grad (its definition runs as its own line)."""
    name = prog.new_name("w")
    prog.run(f"{name} = {_tensor_lit(data, shape, requires_grad=True)}", new=name)
    prog.leaves.append(name)
    return name


def step_out_of_place(data, prog):
    a = _pick(data, prog)
    shape = _shape_of(prog.ref(a))
    kind = data.draw(st.sampled_from(["mul", "add", "exp", "sin", "sum", "matmul"]))
    if kind == "mul":
        expr = f"{a} * {_operand(data, prog, shape)}"
    elif kind == "add":
        expr = f"{a} + {_scalar(data)}"
    elif kind == "exp":
        expr = f"{a}.exp()"
    elif kind == "sin":
        expr = f"lib.sin({a})"
    elif kind == "sum" and shape:
        keep = ", keepdim=True" if data.draw(st.booleans()) else ""
        expr = f"{a}.sum({_dim(data, len(shape))}{keep})"
    elif kind == "matmul" and shape:
        k = data.draw(st.integers(1, 3))
        expr = f"{a} @ {_tensor_lit(data, (shape[-1], k))}"
    else:
        expr = f"{a} * 2"
    name = prog.new_name()
    prog.run(f"{name} = {expr}", new=name)


def _view_expr(data, prog, a, shape):
    ndim = len(shape)
    kind = data.draw(st.sampled_from(["view", "reshape", "t", "transpose", "permute", "slice",
                                      "select", "unsqueeze", "narrow", "expand"]))
    if kind in ("view", "reshape"):
        n = int(np.prod(shape))
        first = data.draw(st.sampled_from([d for d in (1, 2, 3, 4, n) if d and n % d == 0]
                                          or [1]))
        new = data.draw(st.sampled_from([(n,), (first, -1), (-1, first, 1), (1, n)]))
        return f"{a}.{kind}{new if len(new) > 1 else '(' + str(new[0]) + ')'}"
    if kind == "t" and ndim <= 2:
        return f"{a}.t()"
    if kind == "transpose" and ndim:
        return f"{a}.transpose({_dim(data, ndim)}, {_dim(data, ndim)})"
    if kind == "permute" and ndim:
        perm = data.draw(st.permutations(range(ndim)))
        return f"{a}.permute({', '.join(map(str, perm))})" + ("" if ndim > 1 else "")
    if kind == "select" and ndim:
        d = _dim(data, ndim)
        n = shape[d]
        return f"{a}.select({d}, {data.draw(st.integers(-n, n - 1)) if n else 0})"
    if kind == "unsqueeze":
        return f"{a}.unsqueeze({data.draw(st.integers(-ndim - 1, ndim))})"
    if kind == "narrow" and ndim:
        d = _dim(data, ndim)
        start = data.draw(st.integers(0, shape[d]))
        length = data.draw(st.integers(0, shape[d] - start))
        return f"{a}.narrow({d}, {start}, {length})"
    if kind == "expand":
        new = [data.draw(st.sampled_from([2, 3])) if s == 1 else s for s in shape]
        if data.draw(st.booleans()):
            new = [2] + new
        return f"{a}.expand({', '.join(map(str, new))})" if new else f"{a}.expand(2)"
    return f"{a}[{_basic_index(data, shape)}]"


def _known_bug_view(prog, a, expr):
    """True for the views glassnet does not make (KNOWN BUGS 2 and 3): ``a[i, j]`` or
    ``a.select(d, i)`` giving a 0-d tensor, and views with no element."""
    try:
        with torch.no_grad():
            out = eval(expr, {"lib": torch, a: prog.ref(a)})
    except _ERRORS:
        return False  # the step raises: run it, both must raise
    # KNOWN BUG (2), a one-element index being a copy, is fixed (test_autograd_inplace.py).
    return out.numel() == 0


def _viewable(prog, a, expr):
    """False when torch's ``a.view(...)`` raises because a copy would be needed."""
    try:
        with torch.no_grad():
            eval(expr, {"lib": torch, a: prog.ref(a)})
    except RuntimeError as e:
        return "view size is not compatible" not in str(e)
    return True


def _is_identity_in_glassnet(prog, a, expr):
    """True when glassnet's ``expr`` returns ``a`` itself (KNOWN BUG 4)."""
    try:
        with gn.no_grad():
            return eval(expr, {"lib": gn, a: prog.ns["gn"][a]}) is prog.ns["gn"][a]
    except _ERRORS:
        return False


def step_view(data, prog):
    a = _pick(data, prog)
    name = prog.new_name()
    expr = _view_expr(data, prog, a, _shape_of(prog.ref(a)))
    if expr.startswith(f"{a}.view(") and not _viewable(prog, a, expr):
        # KNOWN BUG (7), excluded: glassnet's view() is reshape(): on a tensor whose
        # strides do not allow it, it copies instead of raising as torch does:
        #     y = lib.tensor([[1., 2.], [3., 4.]], dtype=lib.float64, requires_grad=True)
        #     v = y.t().view(4)  # torch raises (view size is not compatible ...)
        return
    if _known_bug_view(prog, a, expr):
        # KNOWN BUG (2), excluded: an integer index that selects a single element (a
        # 0-d result) is a copy in glassnet, a view in torch:
        #     y = lib.tensor([1., 2., 3.], dtype=lib.float64, requires_grad=True) * 1
        #     v = y[0]; y[1].mul_(10); y.mul_(2)
        #     # torch: v == 2, y == [2, 40, 6]; glassnet: v == 1, y == [2, 4, 6]
        # KNOWN BUG (3), excluded: a view with no element is not a view in glassnet:
        #     x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
        #     x[2:].mul_(2)  # torch raises (a view of a leaf ...), glassnet does not
        return
    if data.draw(st.integers(0, 9)) != 0:
        prog.run(f"{name} = {expr}", new=name)
    elif _is_identity_in_glassnet(prog, a, expr):
        # KNOWN BUG (4), excluded: view/reshape to the same shape, t() of a 1-D tensor,
        # expand to the same shape return the input itself in glassnet, not a new view:
        #     y = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True) * 1
        #     with lib.no_grad():
        #         v = y.view(2)
        #     v.mul_(2)  # torch raises (a view made in no_grad mode), glassnet does not
        #     # and y.view(2) is y in glassnet
        return
    else:
        # A view made in no_grad mode: modifying it in place with grad mode on raises in
        # torch when its base requires grad.  KNOWN BUG (1), excluded: torch gives such a
        # view requires_grad=True whenever its base requires grad (now or later), glassnet
        # False; so its requires_grad is not compared, and it is only ever the target of
        # an in-place op (never an operand, the source of a view, or in the loss):
        #     x = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True)
        #     with lib.no_grad():
        #         v = x[0:1]
        #     v.requires_grad  # torch True, glassnet False
        prog.no_grad_views.add(name)
        prog.run(f"with lib.no_grad():\n    {name} = {expr}", new=name)


def _inplace_code(data, prog, a, shape, allow_grad_leaf=True, exclude=()):
    """Source text of one in-place op on ``a`` (may first define a grad-requiring leaf)."""
    kinds = ["mul_", "add_", "clamp_", "exp_", "zero_", "fill_", "copy_", "masked_fill_",
             "index_put_", "setitem_basic", "setitem_advanced", "iadd"]
    kinds = [k for k in kinds if k not in exclude]
    kind = data.draw(st.sampled_from(kinds))
    if kind == "mul_":
        other = _operand(data, prog, shape) if data.draw(st.booleans()) else _scalar(data)
        return f"{a}.mul_({other})"
    if kind == "add_":
        src = (_grad_leaf(data, prog, shape) if allow_grad_leaf
               else _operand(data, prog, shape))
        return f"{a}.add_({src})"
    if kind == "clamp_":
        return f"{a}.clamp_({-0.5}, {data.draw(st.sampled_from([0.0, 1.0, 1.75]))})"
    if kind == "exp_":
        return f"{a}.exp_()"
    if kind == "zero_":
        return f"{a}.zero_()"
    if kind == "fill_":
        return f"{a}.fill_({_scalar(data)})"
    if kind == "copy_":
        return f"{a}.copy_({_operand(data, prog, shape)})"
    if kind == "masked_fill_":
        mask = (f"{a} > 0.6" if data.draw(st.booleans()) else _mask_lit(data, shape))
        return f"{a}.masked_fill_({mask}, {_scalar(data)})"
    if kind == "iadd":
        other = _operand(data, prog, shape) if data.draw(st.booleans()) else _scalar(data)
        return f"{a} += {other}"
    if not shape:
        return f"{a}.fill_({_scalar(data)})"
    if kind == "index_put_":
        n = shape[0]
        idx = data.draw(st.lists(st.integers(-n, n - 1) if n else st.just(0), min_size=1,
                                 max_size=3, unique_by=lambda i: i % max(n, 1)))
        acc = ", accumulate=True" if data.draw(st.booleans()) else ""
        value = _value_for(data, prog, (len(idx),) + shape[1:], allow_grad_leaf)
        # NOTE: torch's index_put_ takes a tensor only (a number is a TypeError there;
        # glassnet accepts one: more lenient, not a torch program's concern).
        if value[0] in "-0123456789":
            value = f"lib.tensor({value}, {_F64})"
        return f"{a}.index_put_((lib.tensor({idx!r}),), {value}{acc})"
    if kind == "setitem_basic":
        index = _basic_index(data, shape)
        target = np.zeros(shape)[eval(f"np.s_[{index}]")].shape  # as torch's, for basic
        return f"{a}[{index}] = {_value_for(data, prog, target, allow_grad_leaf)}"
    # setitem_advanced: an int list (maybe after a slice), or a bool mask
    form = data.draw(st.sampled_from(["list", "mask", "slice_list"]))
    if form == "mask":
        mask = f"{a} > 0.6" if data.draw(st.booleans()) else _mask_lit(data, shape)
        return f"{a}[{mask}] = {_scalar(data)}"
    d = 1 if form == "slice_list" and len(shape) == 2 else 0
    n = shape[d]
    idx = data.draw(st.lists(st.integers(-n, n - 1) if n else st.just(0), min_size=1,
                             max_size=3, unique_by=lambda i: i % max(n, 1)))
    index = f"lib.tensor({idx!r})" if d == 0 else f":, lib.tensor({idx!r})"
    target = (len(idx),) + shape[1:] if d == 0 else (shape[0], len(idx))
    return f"{a}[{index}] = {_value_for(data, prog, target, allow_grad_leaf)}"


def _value_for(data, prog, shape, allow_grad_leaf):
    """A value to assign into a region of ``shape``: a number, a live tensor that
    broadcasts to it, a literal, or a new leaf that requires grad."""
    kind = data.draw(st.sampled_from(["number", "tensor", "leaf"]))
    if kind == "number":
        return _scalar(data)
    if kind == "leaf" and allow_grad_leaf:
        return _grad_leaf(data, prog, shape)
    return _operand(data, prog, shape)


def step_inplace(data, prog):
    a = _pick(data, prog, target=True)
    shape = _shape_of(prog.ref(a))
    modes = ["grad", "grad", "grad", "no_grad", "data"]
    if any(".exp_()" in line for line in prog.lines):
        # KNOWN BUG (9), excluded: after y.exp_(), a write through y.data changes the
        # value torch's backward reads (it saved y's storage), not glassnet's (a copy):
        #     x = lib.tensor([0.5], dtype=lib.float64, requires_grad=True)
        #     y = x * 1
        #     y.exp_()
        #     y.data.mul_(0.5)
        #     y.sum().backward()  # x.grad: torch 0.824 (= y now), glassnet 1.649
        modes.remove("data")
    mode = data.draw(st.sampled_from(modes))
    # KNOWN BUG (5), excluded: a view of a view made in no_grad mode does not inherit its
    # no_grad origin, and a write through it is silently not recorded:
    #     y = lib.tensor([1., 2.], dtype=lib.float64, requires_grad=True) * 1
    #     with lib.no_grad():
    #         v = y[0:2]
    #     v[0:1].mul_(2)  # torch raises; glassnet writes y, whose grad_fn stays MulBackward
    exclude = ("setitem_basic",) if a in prog.no_grad_views else ()
    if mode == "no_grad":
        code = _inplace_code(data, prog, a, shape, exclude=exclude)
        prog.run("with lib.no_grad():\n    " + code)
    elif mode == "data":
        # Writes through .data are invisible to autograd (the values still change).
        code = _inplace_code(data, prog, "d", shape, allow_grad_leaf=False)
        prog.run(f"d = {a}.data\n{code}")
    else:
        prog.run(_inplace_code(data, prog, a, shape, exclude=exclude))


def step_detach(data, prog):
    a = _pick(data, prog)
    name = prog.new_name()
    prog.run(f"{name} = {a}.detach()", new=name)


_STEPS = [step_out_of_place, step_out_of_place, step_view, step_view, step_view,
          step_inplace, step_inplace, step_inplace, step_inplace, step_detach]


# KNOWN BUG (6), Mul/Div/MatMul saving an operand no gradient needs, is fixed: its
# reproducer is test_inplace_edit_of_an_operand_no_gradient_needs_does_not_fail_backward.

def _backward(data, prog):
    """``(sum of live tensors * fixed weights).sum().backward()``, then the leaf grads."""
    live = [n for n in prog.pool if prog.ref(n).requires_grad and n not in prog.no_grad_views]
    if live:
        chosen = data.draw(st.lists(st.sampled_from(live), min_size=1, max_size=3,
                                    unique=True))
        terms = [f"({n} * {_tensor_lit(data, _shape_of(prog.ref(n)))}).sum()"
                 for n in chosen]
        if not prog.run("loss = " + " + ".join(terms) + "\nloss.backward()",
                        known_bug=None):
            # Both raised; torch may have filled some leaves' .grad before it reached the
            # failing node (glassnet fills them at the end): not compared.
            return
    for name in ["x"] + prog.leaves:
        t, g = prog.ns["torch"][name].grad, prog.ns["gn"][name].grad
        if (t is None) != (g is None):
            prog.fail(f"{name}.grad: glassnet {g}, torch {t}")
        if t is not None and not np.allclose(g.numpy(), t.numpy(), rtol=1e-9, atol=1e-12,
                                             equal_nan=True):
            prog.fail(f"{name}.grad\n{g.numpy()}\ntorch\n{t.numpy()}")


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.data())
def test_random_inplace_and_view_programs_match_torch(data):
    prog = _Program()
    shape = data.draw(st.sampled_from(_SHAPES))
    prog.run(f"x = {_tensor_lit(data, shape, requires_grad=True)}", new="x")
    prog.run("y = x * 1", new="y")
    for _ in range(data.draw(st.integers(3, 8))):
        data.draw(st.sampled_from(_STEPS))(data, prog)
    _backward(data, prog)
