"""Anomaly mode (``torch.autograd.detect_anomaly``), used by :mod:`glassnet.autograd`
(which re-exports the public names): while on, every recorded op keeps the stack of its
forward call, and backward checks each gradient a Function returns; the first non-finite
one raises, naming the Function and where its forward op was called."""
from __future__ import annotations

import functools
import os
import sys
import traceback
import warnings

__all__ = ["detect_anomaly", "set_detect_anomaly", "is_anomaly_enabled",
           "is_anomaly_check_nan_enabled"]

# ---------------------------------------------------------------------------
# Anomaly mode (torch.autograd.detect_anomaly): while on, every recorded op keeps the
# stack of its forward call, and backward checks each gradient a Function returns; the
# first non-finite one raises, naming the Function and where its forward op was called.
# NOTE: one process-wide flag, as torch's (a debugging switch, not numerics); when off,
# recording an op costs one global lookup.
# ---------------------------------------------------------------------------
STATE = {"enabled": False, "check_nan": True}
ON = False  # mirrors STATE["enabled"]: a plain module global is the cheapest test
_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def _set_anomaly(enabled: bool, check_nan: bool) -> None:
    global ON
    STATE.update(enabled=enabled, check_nan=check_nan)
    ON = enabled


def is_anomaly_enabled() -> bool:
    """True while anomaly detection is on (:class:`detect_anomaly`)."""
    return STATE["enabled"]


def is_anomaly_check_nan_enabled() -> bool:
    """True when anomaly mode also checks backward outputs for NaN/Inf."""
    return STATE["check_nan"]


class set_detect_anomaly:
    """Switch anomaly detection on or off, as ``torch.autograd.set_detect_anomaly``.

    Works as a plain call (``set_detect_anomaly(True)``), a context manager (the previous
    setting is restored on exit) and a decorator.

    Parameters
    ----------
    mode : bool
        Record the forward stack of every op, and check every gradient a backward
        function returns.
    check_nan : bool
        Raise on the first gradient with NaN or Inf values (``RuntimeError: Function
        'LogBackward' returned nan values in its 0th output``).
    """

    def __init__(self, mode: bool, check_nan: bool = True):
        if not isinstance(mode, bool):
            raise TypeError(f"set_detect_anomaly: mode must be a bool, got "
                            f"{type(mode).__name__}")
        self.prev = dict(STATE)
        _set_anomaly(mode, bool(check_nan))

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _set_anomaly(self.prev["enabled"], self.prev["check_nan"])
        return False

    def __call__(self, fn):
        mode, check_nan = STATE["enabled"], STATE["check_nan"]
        self.__exit__()  # decorating does not switch the mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_detect_anomaly(mode, check_nan):
                return fn(*args, **kwargs)

        return wrapper


class detect_anomaly:
    """Context manager / decorator that turns anomaly detection on, as
    ``torch.autograd.detect_anomaly``.

    Inside it, each op records where its forward was called (the stack, from the user's
    code), and :func:`backward` raises ``RuntimeError`` on the first backward function
    that returns NaN or Inf: the message names the function and the output, and gives
    the file and line of the forward call that created the node.  It slows graph
    recording down; use it to debug.

    Examples
    --------
    >>> import glassnet as gn
    >>> x = gn.tensor([0.0, 1.0], requires_grad=True)
    >>> with gn.autograd.detect_anomaly():  # doctest: +SKIP
    ...     (gn.log(x) * 0).sum().backward()
    Traceback (most recent call last):
    RuntimeError: Function 'LogBackward' returned nan values in its 0th output ...
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan
        self._set = None

    def __enter__(self):
        warnings.warn("Anomaly Detection has been enabled. This mode will increase the "
                      "runtime and should only be enabled for debugging.", stacklevel=2)
        self._set = set_detect_anomaly(True, self.check_nan)
        return self

    def __exit__(self, *exc):
        self._set.__exit__(*exc)
        return False

    def __call__(self, fn):
        check_nan = self.check_nan

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(check_nan):
                return fn(*args, **kwargs)

        return wrapper


def forward_stack():
    """The caller's stack without glassnet's own frames at its end (the op's internals)."""
    stack = traceback.extract_stack(sys._getframe(2))
    user = [i for i, f in enumerate(stack) if not f.filename.startswith(_PACKAGE_DIR)]
    return stack[:user[-1] + 1] if user else stack


def check(fn, in_grads, xp):
    for i, (edge, ig) in enumerate(zip(fn._edges, in_grads)):
        if ig is None or edge is None or ig.dtype.kind not in "fc":
            continue
        bad = "nan" if bool(xp.isnan(ig).any()) else (
            "inf" if bool(xp.isinf(ig).any()) else None)
        if bad is None:
            continue
        stack = getattr(fn, "_anomaly_stack", None)
        if stack:
            site = stack[-1]
            where = (f"; its forward op was called at {site.filename}:{site.lineno} (in "
                     f"{site.name})\nTraceback of the forward call that caused the error:\n"
                     + "".join(traceback.format_list(stack)))
        else:
            where = " (its forward op was recorded while anomaly mode was off)"
        raise RuntimeError(f"Function '{fn.name}' returned {bad} values in its {i}th "
                           f"output{where}")
