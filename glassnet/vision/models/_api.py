"""torchvision's weights API: the ``Weights`` record, the ``WeightsEnum`` base of every
``<Model>_Weights`` enum, and ``get_weight`` / ``get_model_weights``.

A member such as ``ResNet50_Weights.IMAGENET1K_V2`` carries the checkpoint's ``url``
(download.pytorch.org), ``transforms`` (a callable returning the evaluation preset, see
:class:`glassnet.vision.transforms._presets.ImageClassification`) and ``meta`` (categories,
num_params, min_size, recipe, ``_metrics`` with acc@1/acc@5, ...). ``DEFAULT`` is an
alias of the best member, as in torchvision. ``get_state_dict`` downloads the file into
torch.hub's cache, checks its SHA-256 prefix and reads it without executing anything.
"""
from __future__ import annotations

import enum
import importlib
import inspect
import typing
import warnings
from dataclasses import dataclass, field
from typing import Callable

__all__ = ["Weights", "WeightsEnum", "WeightsTypeError", "get_weight", "get_model_weights"]


class WeightsTypeError(TypeError, ValueError):
    """``weights=`` of the wrong type, e.g. another model's enum: a TypeError as in
    torchvision, and a ValueError as every other bad ``weights`` value here."""


@dataclass
class Weights:
    """One set of pretrained weights: where the file is, how to preprocess, what it is.

    Parameters
    ----------
    url : str
        The checkpoint's URL; its file name ends in ``-<sha256 prefix>.pth``.
    transforms : callable
        ``transforms()`` returns the evaluation preprocessing module.
    meta : dict
        ``categories`` (class names, or None), ``num_params``, ``min_size``, ``recipe``,
        ``_metrics`` (``{"ImageNet-1K": {"acc@1": ..., "acc@5": ...}}``), ``_ops``
        (GFLOPS), ``_file_size`` (MB), ``_docs``.
    """

    url: str
    transforms: Callable
    meta: dict = field(default_factory=dict)


class WeightsEnum(enum.Enum):
    """Base of the ``<Model>_Weights`` enums; each member's value is a :class:`Weights`.

    Examples
    --------
    >>> from glassnet.vision.models import ResNet50_Weights
    >>> ResNet50_Weights.DEFAULT
    ResNet50_Weights.IMAGENET1K_V2
    >>> ResNet50_Weights.verify("IMAGENET1K_V1").meta["_metrics"]["ImageNet-1K"]["acc@1"]
    76.13
    """

    @classmethod
    def verify(cls, obj, fn: str | None = None):
        """``obj`` as a member: None stays None; a member of this enum is returned; a
        name such as ``"IMAGENET1K_V1"``, ``"DEFAULT"`` or ``"ResNet18_Weights.DEFAULT"``
        is looked up.

        Raises
        ------
        ValueError
            For a name that is not a member; the message lists the valid names.
        WeightsTypeError
            (a TypeError, as torchvision, and a ValueError) for anything else, e.g.
            another model's enum.
        """
        who = f"{fn}: weights" if fn else f"{cls.__name__}.verify"
        valid = ", ".join(["None"] + [repr(n) for n in cls.__members__])
        if obj is None or isinstance(obj, cls):
            return obj
        if isinstance(obj, str):
            name = obj[len(cls.__name__) + 1:] if obj.startswith(cls.__name__ + ".") else obj
            if name in cls.__members__:
                return cls.__members__[name]
            raise ValueError(f"{who} must be None, a {cls.__name__} member or one of "
                             f"{valid}, got {obj!r}")
        raise WeightsTypeError(f"{who} must be None, a {cls.__name__} member or one of "
                               f"{valid}, got {type(obj).__name__} {obj!r}")

    def get_state_dict(self, model_dir=None, map_location=None, progress: bool = True,
                       check_hash: bool = True, file_name: str | None = None,
                       weights_only: bool = True):
        """The checkpoint as name -> ndarray, downloaded once into torch.hub's cache.

        Same arguments as :func:`glassnet.hub.load_state_dict_from_url`, but the
        SHA-256 prefix in the file name is checked by default (``check_hash=True``).
        """
        from glassnet.hub import load_state_dict_from_url

        return load_state_dict_from_url(self.url, model_dir, map_location, progress,
                                        check_hash, file_name, weights_only)

    def __repr__(self) -> str:
        return f"{type(self).__name__}.{self._name_}"

    @property
    def url(self) -> str:
        return self.value.url

    @property
    def transforms(self) -> Callable:
        return self.value.transforms

    @property
    def meta(self) -> dict:
        return self.value.meta


def get_weight(name: str) -> WeightsEnum:
    """The weights member named ``"<Enum>.<MEMBER>"``, e.g. ``"ResNet18_Weights.DEFAULT"``.

    Raises
    ------
    ValueError
        If the name is malformed or names no enum or member of ``glassnet.vision.models``.
    """
    if not isinstance(name, str) or name.count(".") != 1:
        raise ValueError(f"get_weight: name must look like 'ResNet18_Weights.IMAGENET1K_V1', "
                         f"got {name!r}")
    enum_name, member = name.split(".")
    models = importlib.import_module("glassnet.vision.models")
    enum_cls = getattr(models, enum_name, None)
    if not (inspect.isclass(enum_cls) and issubclass(enum_cls, WeightsEnum)):
        raise ValueError(f"get_weight: the weight enum {enum_name!r} couldn't be found in "
                         f"glassnet.vision.models")
    return enum_cls.verify(member, "get_weight")


def _enum_of(fn) -> type | None:
    """The WeightsEnum named by the ``weights`` annotation of builder ``fn``, or None."""
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None
    if "weights" not in params:
        return None
    try:
        ann = typing.get_type_hints(fn).get("weights")
    except Exception:  # an unresolvable annotation elsewhere in the signature
        return None
    for candidate in (ann,) + typing.get_args(ann):
        if inspect.isclass(candidate) and issubclass(candidate, WeightsEnum):
            return candidate
    return None


def get_model_weights(name) -> type:
    """The weights enum of a model, given its name (``"resnet18"``) or its builder.

    Raises
    ------
    ValueError
        If the model is unknown or has no pretrained weights (e.g. glassnet's CIFAR
        models).
    """
    from glassnet.models._registry import get_model_builder

    fn = get_model_builder(name) if isinstance(name, str) else name
    enum_cls = _enum_of(fn)
    if enum_cls is None:
        label = name if isinstance(name, str) else getattr(fn, "__name__", repr(fn))
        raise ValueError(f"get_model_weights: model {label!r} has no pretrained weights "
                         f"(no WeightsEnum in its 'weights' argument)")
    return enum_cls


# ---------------------------------------------------------------------------
# Helpers used by the model builders
# ---------------------------------------------------------------------------
def handle_legacy_pretrained(fn: str, weights, kwargs: dict, default):
    """torchvision's deprecated ``pretrained=True/False``: pop it from ``kwargs`` and
    return the weights it stands for (``default`` or None), with a warning."""
    if "pretrained" not in kwargs:
        return weights
    pretrained = kwargs.pop("pretrained")
    if weights is not None:
        raise ValueError(f"{fn}: pass either weights= or the deprecated pretrained=, not "
                         f"both")
    replacement = default if pretrained else None
    warnings.warn(f"{fn}: 'pretrained' is deprecated (as in torchvision); use "
                  f"'weights={replacement!r}' instead", UserWarning, stacklevel=3)
    return replacement


def check_num_classes(fn: str, weights, num_classes: int) -> int:
    """The class count a model must have for ``weights`` (torchvision overrides it and
    raises when the caller asked for another)."""
    if weights is None or weights.meta.get("categories") is None:
        return num_classes
    expected = len(weights.meta["categories"])
    if num_classes != expected:
        raise ValueError(f"{fn}: num_classes must be {expected} with weights={weights!r}, "
                         f"got {num_classes} (load the weights, then replace the "
                         f"classifier)")
    return expected


def check_in_channels(fn: str, weights, in_channels: int) -> None:
    if weights is not None and in_channels != 3:
        raise ValueError(f"{fn}: in_channels must be 3 with weights={weights!r}, got "
                         f"{in_channels}")


def prepare_weights(fn: str, enum_cls, weights, kwargs: dict, num_classes: int,
                    in_channels: int = 3) -> tuple:
    """The checks every builder runs first: the deprecated ``pretrained=`` (popped from
    ``kwargs``), ``weights`` verified against ``enum_cls``, and the ``num_classes`` and
    ``in_channels`` the weights require. Returns ``(weights, num_classes)``."""
    weights = handle_legacy_pretrained(fn, weights, kwargs, enum_cls.IMAGENET1K_V1)
    weights = enum_cls.verify(weights, fn)
    check_in_channels(fn, weights, in_channels)
    return weights, check_num_classes(fn, weights, num_classes)


def load_weights(model, weights, progress: bool):
    """Load ``weights`` (if any) into ``model`` with ``strict=True``; returns ``model``."""
    if weights is not None:
        model.load_state_dict(weights.get_state_dict(progress=progress, check_hash=True),
                              strict=True)
    return model

