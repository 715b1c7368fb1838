"""Neural style transfer (Gatys, Ecker & Bethge 2016): an image optimised so that its deep
features match a content image and its feature correlations (Gram matrices) match a style
image.

The losses, on feature maps ``(N, C, H, W)`` of a convolutional network:

- content: ``mse(F_l(x), F_l(content))`` at one or a few layers ``l``;
- style: ``mse(G(F_l(x)), G(F_l(style)))`` averaged over several layers, with the Gram
  matrix ``G(F) = F F^T / (C H W)`` of the flattened features (PyTorch's tutorial
  normalisation, so that layers of different sizes weigh alike);
- total variation: the mean squared difference of vertically and of horizontally
  adjacent pixels (a smoothness prior, Mahendran & Vedaldi 2015, beta = 2).

The features come from VGG-19's convolutional part (:func:`vgg19_features`): with a
torchvision-format VGG-19 checkpoint (``weights=path``, loaded strictly) they are
ImageNet features as in the paper; without one, a random-weight VGG-19-shaped network of
narrower layers gives multi-scale random features, which still carry texture (Ustyuzhaninov,
Brendel, Gatys & Bethge, "What does it take to generate natural textures?", ICLR 2017).
:attr:`FeatureExtractor.source` says which.

References: Gatys, Ecker, Bethge, "Image Style Transfer Using Convolutional Neural
Networks", CVPR 2016, doi:10.1109/CVPR.2016.265.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from glassnet import nn
from glassnet.autograd import no_grad
from glassnet.nn import functional as F
from glassnet.tensor import Tensor

__all__ = ["gram_matrix", "content_loss", "style_loss", "total_variation_loss",
           "FeatureExtractor", "vgg19_features", "random_vgg19_features", "vgg_layer_names",
           "stylize", "StyleResult", "load_image", "save_image", "CONTENT_LAYERS",
           "STYLE_LAYERS"]

# Gatys et al. 2016: content at conv4_2, style at conv1_1 ... conv5_1 (after their ReLUs).
CONTENT_LAYERS = ("relu4_2",)
STYLE_LAYERS = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
# torchvision's ImageNet normalisation, the input statistics VGG-19 was trained with.
_MEAN = np.array([0.485, 0.456, 0.406], np.float32).reshape(1, 3, 1, 1)
_STD = np.array([0.229, 0.224, 0.225], np.float32).reshape(1, 3, 1, 1)


def _check_features(x, name: str, fn: str, ndim=(4,)):
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {name} must be a Tensor, got {type(x).__name__}")
    if x.ndim not in ndim:
        want = " or ".join({3: "(N, C, C)", 4: "(N, C, H, W)"}[d] for d in ndim)
        raise ValueError(f"{fn}: {name} must have shape {want}, got {tuple(x.shape)}")
    if x.dtype.kind != "f":
        raise TypeError(f"{fn}: {name} must be floating point, got {x.dtype}")


# ---------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------
def gram_matrix(input: Tensor) -> Tensor:
    """Normalised Gram matrix of feature maps: ``G = F F^T / (C H W)``.

    Shape: input ``(N, C, H, W)``; output ``(N, C, C)``.

    Examples
    --------
    >>> import glassnet as gn
    >>> gram_matrix(gn.ones(1, 2, 3, 3)).tolist()  # each entry 9 / (2 * 9)
    [[[0.5, 0.5], [0.5, 0.5]]]
    """
    _check_features(input, "input", "gram_matrix")
    n, c, h, w = input.shape
    f = input.reshape(n, c, h * w)
    return (f @ f.transpose(1, 2)) / float(c * h * w)


def content_loss(input: Tensor, target: Tensor) -> Tensor:
    """Mean squared difference of feature maps (Gatys' content loss, up to a constant).

    Shape: input and target ``(N, C, H, W)``; output a scalar.
    """
    _check_features(input, "input", "content_loss")
    _check_features(target, "target", "content_loss")
    if tuple(input.shape) != tuple(target.shape):
        raise ValueError(f"content_loss: target must have input's shape "
                         f"{tuple(input.shape)}, got {tuple(target.shape)}")
    return F.mse_loss(input, target)


def style_loss(input: Tensor, target: Tensor) -> Tensor:
    """Mean squared difference of Gram matrices (Gatys' style loss of one layer).

    Shape: input ``(N, C, H, W)``; target either feature maps ``(N, C, H', W')`` (any
    size: the Gram matrix is ``C x C``) or their Gram matrices ``(N, C, C)``; output a
    scalar.
    """
    _check_features(input, "input", "style_loss")
    _check_features(target, "target", "style_loss", ndim=(3, 4))
    g = gram_matrix(input)
    t = gram_matrix(target) if target.ndim == 4 else target
    if tuple(t.shape) != tuple(g.shape):
        raise ValueError(f"style_loss: target must have {input.shape[1]} channels (Gram "
                         f"{tuple(g.shape)}), got Gram {tuple(t.shape)}")
    return F.mse_loss(g, t)


def total_variation_loss(input: Tensor) -> Tensor:
    """Mean squared difference of vertically plus of horizontally adjacent pixels.

    Shape: input ``(N, C, H, W)`` with ``H, W >= 2``; output a scalar.

    Examples
    --------
    >>> import glassnet as gn
    >>> float(total_variation_loss(gn.arange(4.0).reshape(1, 1, 2, 2)))  # dy = 2, dx = 1
    5.0
    """
    _check_features(input, "input", "total_variation_loss")
    if input.shape[2] < 2 or input.shape[3] < 2:
        raise ValueError(f"total_variation_loss: input must have H, W >= 2, got "
                         f"{tuple(input.shape)}")
    dy = input[:, :, 1:, :] - input[:, :, :-1, :]
    dx = input[:, :, :, 1:] - input[:, :, :, :-1]
    return (dy * dy).mean() + (dx * dx).mean()


# ---------------------------------------------------------------------------
# Features
# ---------------------------------------------------------------------------
def vgg_layer_names(cfg) -> list:
    """Names of a VGG ``features`` Sequential's modules (``conv1_1, relu1_1, ...,
    pool1, conv2_1, ...``), in order, for a VGG configuration list (``'M'`` = pool)."""
    names, block, conv = [], 1, 1
    for v in cfg:
        if v == "M":
            names.append(f"pool{block}")
            block, conv = block + 1, 1
        else:
            names += [f"conv{block}_{conv}", f"relu{block}_{conv}"]
            conv += 1
    return names


class FeatureExtractor(nn.Module):
    """Named activations of a VGG-style ``features`` network, for style transfer.

    Parameters
    ----------
    features : nn.Sequential
        Convolutions, ReLUs and pools, in the order of ``names``.
    names : list of str
        One name per module (:func:`vgg_layer_names`).
    source : str
        A description of the weights, shown to the user ("random weights ..." or the
        checkpoint path).
    pool : {"avg", "max"}
        Gatys et al. replace max-pooling by average pooling ("improves the gradient
        flow"); ``"max"`` keeps the network's own.

    Notes
    -----
    The input is an RGB image batch ``(N, 3, H, W)`` in ``[0, 1]``; it is normalised with
    ImageNet's mean and std first.  ReLUs run out of place so a captured convolution
    output is not overwritten.  Parameters are frozen (``requires_grad=False``).
    """

    def __init__(self, features, names, source: str, pool: str = "avg"):
        super().__init__()
        if len(names) != len(features):
            raise ValueError(f"FeatureExtractor: names must have one entry per module "
                             f"({len(features)}), got {len(names)}")
        if pool not in ("avg", "max"):
            raise ValueError(f"FeatureExtractor: pool must be 'avg' or 'max', got {pool!r}")
        layers = []
        for m in features:
            if isinstance(m, nn.ReLU):
                m = nn.ReLU()
            elif isinstance(m, nn.MaxPool2d) and pool == "avg":
                m = nn.AvgPool2d(kernel_size=2, stride=2)
            layers.append(m)
        self.features = nn.Sequential(*layers)
        self.names = list(names)
        self.source = source
        self.pool = pool
        self.requires_grad_(False)
        self.eval()

    def forward(self, x: Tensor, layers) -> dict:
        """``{name: activation}`` for each name in ``layers`` (the network runs only as
        deep as the deepest one)."""
        unknown = [n for n in layers if n not in self.names]
        if unknown:
            raise ValueError(f"FeatureExtractor: unknown layers {unknown}; expected names "
                             f"such as {', '.join(self.names[:6])}, ...")
        _check_features(x, "input", "FeatureExtractor")
        if x.shape[1] != 3:
            raise ValueError(f"FeatureExtractor: input must be RGB (N, 3, H, W), got "
                             f"{tuple(x.shape)}")
        last = max(self.names.index(n) for n in layers)
        wanted = set(layers)
        out = {}
        x = (x - Tensor(_MEAN)) / Tensor(_STD)
        for i, (name, module) in enumerate(zip(self.names, self.features)):
            x = module(x)
            if name in wanted:
                out[name] = x
            if i == last:
                break
        return out

    def extra_repr(self) -> str:
        return f"source={self.source!r}, pool={self.pool!r}"


def vgg19_features(weights=None, pool: str = "avg", seed: int = 0) -> FeatureExtractor:
    """VGG-19's features: from a torchvision-format checkpoint, or random multi-scale ones.

    Parameters
    ----------
    weights : str or Path, optional
        A ``.safetensors`` (or ``.pth``) file of torchvision's ``vgg19`` state_dict,
        either the whole model (``features.*`` and ``classifier.*`` keys) or its
        ``features.*`` keys only; loaded with ``strict=True`` (every missing, unexpected
        or mis-shaped key is named).  None: :func:`random_vgg19_features` with ``seed``.
    pool : {"avg", "max"}
    seed : int
        Seed of the random weights (when ``weights`` is None).
    """
    if weights is None:
        return random_vgg19_features(seed=seed, pool=pool)
    from glassnet.vision.models.convert import load_torch_weights
    from glassnet.vision.models.vgg import CFGS, VGG, make_layers

    cfg = CFGS["E"]
    model = VGG(make_layers(cfg), init_weights=False)
    state = _read_state(weights)
    if any(not k.startswith("features.") for k in state):
        load_torch_weights(model, state, strict=True)
    else:
        load_torch_weights(model.features, {k[len("features."):]: v for k, v in
                                            state.items()}, strict=True)
    return FeatureExtractor(model.features, vgg_layer_names(cfg), source=f"VGG-19 weights "
                            f"from {weights}", pool=pool)


def _read_state(path):
    import os

    from glassnet.vision.models.convert import _is_torch_checkpoint

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"vgg19_features: weights file not found: {path}")
    if _is_torch_checkpoint(path):
        from glassnet._pth import load_pth

        return dict(load_pth(path))
    from safetensors.numpy import load_file

    return load_file(path)


def random_vgg19_features(width: float = 0.25, seed: int = 0,
                          pool: str = "avg") -> FeatureExtractor:
    """A VGG-19-shaped network with random weights and ``width`` times its channels.

    Five blocks of 3x3 convolutions and ReLUs separated by 2x2 pools, as VGG-19 (so the
    same layer names apply, and deeper layers see larger scales: receptive fields of 5,
    16, 44, 100 and 212 pixels at ``relu1_1`` ... ``relu5_1``), Kaiming-normal weights
    (fan-in, so activations keep their scale with depth) and small random biases.  The
    default width (16 ... 128 channels) runs ~16x faster than VGG-19.
    """
    from glassnet.vision.models.vgg import CFGS, make_layers

    if not 0 < width <= 1:
        raise ValueError(f"random_vgg19_features: width must be in (0, 1], got {width!r}")
    cfg = [v if v == "M" else max(4, int(round(v * width))) for v in CFGS["E"]]
    rng = np.random.default_rng(seed)
    features = make_layers(cfg)
    with no_grad():
        for m in features:
            if isinstance(m, nn.Conv2d):
                fan_in = m.weight.shape[1] * 9
                w = rng.normal(0.0, np.sqrt(2.0 / fan_in), m.weight.shape)
                m.weight.copy_(Tensor(w.astype(np.float32)))
                m.bias.copy_(Tensor(rng.uniform(-0.05, 0.05, m.bias.shape)
                                    .astype(np.float32)))
    return FeatureExtractor(features, vgg_layer_names(CFGS["E"]),
                            source=f"random weights (VGG-19 layout, width {width:g}, seed "
                                   f"{seed}; no --weights given)", pool=pool)


# ---------------------------------------------------------------------------
# Optimisation
# ---------------------------------------------------------------------------
@dataclass
class StyleResult:
    """What :func:`stylize` returns."""

    image: np.ndarray  # (3, H, W) float32 in [0, 1]
    history: list = field(default_factory=list)  # step 0 (start), 1, ...: total, content,
    # style, tv losses (unweighted terms, weighted total) and evaluations so far
    seconds: float = 0.0
    evaluations: int = 0
    source: str = ""

    @property
    def loss_reduction(self) -> float:
        """First total loss over the last (how many times smaller it became)."""
        first, last = self.history[0]["total"], self.history[-1]["total"]
        return first / last if last > 0 else float("inf")


def _image_tensor(image, name: str) -> Tensor:
    a = np.asarray(image._data if isinstance(image, Tensor) else image, dtype=np.float32)
    if a.ndim == 3:
        a = a[None]
    if a.ndim != 4 or a.shape[0] != 1 or a.shape[1] != 3:
        raise ValueError(f"stylize: {name} must be an RGB image (3, H, W) or (1, 3, H, W) in "
                         f"[0, 1], got shape {a.shape}")
    return Tensor(np.ascontiguousarray(a))


def stylize(content, style, extractor: FeatureExtractor | None = None, *,
            content_layers=CONTENT_LAYERS, style_layers=STYLE_LAYERS,
            content_weight: float = 1.0, style_weight: float = 1e5, tv_weight: float = 1.0,
            steps: int = 100, optimizer: str = "lbfgs", lr: float | None = None,
            init: str = "content", seed: int = 0, callback=None) -> StyleResult:
    """Optimise an image's pixels so its features match ``content`` and ``style``.

    Parameters
    ----------
    content, style : array or Tensor
        RGB images ``(3, H, W)`` (or ``(1, 3, H, W)``) in ``[0, 1]``; they may differ in
        size (Gram matrices do not depend on it).
    extractor : FeatureExtractor, optional
        Default :func:`vgg19_features` () (random weights).
    content_layers, style_layers : sequence of str
        Layer names; the style loss is the mean over ``style_layers``.  Empty, or a zero
        weight, drops that term (``content_weight=0`` synthesises the style's texture;
        ``style_weight=0`` reconstructs the content from its features).
    content_weight, style_weight, tv_weight : float
    steps : int
        Optimiser steps: L-BFGS iterations (strong-Wolfe line search, a few loss
        evaluations each) or Adam steps.
    optimizer : {"lbfgs", "adam"}
    lr : float, optional
        Default 1 for L-BFGS, 0.02 for Adam.
    init : {"content", "noise"}
        Start from the content image or from uniform noise (seeded with ``seed``).
    callback : callable, optional
        ``callback(step, losses)`` after every step (``losses``: dict of floats).

    Returns
    -------
    StyleResult
        ``image`` ``(3, H, W)`` float32 clipped to ``[0, 1]``, the per-step ``history``,
        wall ``seconds``, number of loss ``evaluations`` and the features' ``source``.
    """
    from glassnet import optim

    if optimizer not in ("lbfgs", "adam"):
        raise ValueError(f"stylize: optimizer must be 'lbfgs' or 'adam', got {optimizer!r}")
    if init not in ("content", "noise"):
        raise ValueError(f"stylize: init must be 'content' or 'noise', got {init!r}")
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"stylize: steps must be a positive int, got {steps!r}")
    for name, w in (("content_weight", content_weight), ("style_weight", style_weight),
                    ("tv_weight", tv_weight)):
        if not w >= 0:
            raise ValueError(f"stylize: {name} must be >= 0, got {w!r}")
    extractor = vgg19_features() if extractor is None else extractor
    c_img, s_img = _image_tensor(content, "content"), _image_tensor(style, "style")
    content_layers = list(content_layers) if content_weight > 0 else []
    style_layers = list(style_layers) if style_weight > 0 else []
    with no_grad():
        c_feats = extractor(c_img, content_layers) if content_layers else {}
        s_grams = {k: gram_matrix(v) for k, v in
                   (extractor(s_img, style_layers) if style_layers else {}).items()}
    if init == "content":
        start = c_img.numpy().copy()
    else:
        start = np.random.default_rng(seed).uniform(0, 1, c_img.shape).astype(np.float32)
    x = Tensor(start, requires_grad=True)
    layers = sorted(set(content_layers) | set(style_layers), key=extractor.names.index)
    evals = [0]

    def closure():
        evals[0] += 1
        opt.zero_grad()
        # NOTE: the objective is the loss of clamp(x, 0, 1), a valid image: consistent
        # for the line search (clamping x between steps would break L-BFGS's model).
        img = x.clamp(0.0, 1.0)
        feats = extractor(img, layers) if layers else {}
        terms = {"content": None, "style": None, "tv": None}
        total = None
        if content_layers:
            c = content_loss(feats[content_layers[0]], c_feats[content_layers[0]])
            for k in content_layers[1:]:
                c = c + content_loss(feats[k], c_feats[k])
            terms["content"] = c / len(content_layers)
            total = terms["content"] * content_weight
        if style_layers:
            s = style_loss(feats[style_layers[0]], s_grams[style_layers[0]])
            for k in style_layers[1:]:
                s = s + style_loss(feats[k], s_grams[k])
            terms["style"] = s / len(style_layers)
            part = terms["style"] * style_weight
            total = part if total is None else total + part
        if tv_weight > 0:
            terms["tv"] = total_variation_loss(img)
            part = terms["tv"] * tv_weight
            total = part if total is None else total + part
        if total is None:
            raise ValueError("stylize: every loss term is off (all weights are 0 or no "
                             "layers given)")
        total.backward()
        entry = {k: (float(v) if v is not None else 0.0) for k, v in terms.items()}
        entry["total"] = float(total)
        log.append(entry)
        return total

    if optimizer == "lbfgs":
        # NOTE: one iteration per step (for the progress bar), but max_eval must be set:
        # its default (max_iter * 5 // 4 = 1) would leave the line search no evaluation.
        opt = optim.LBFGS([x], lr=1.0 if lr is None else lr, max_iter=1, max_eval=25,
                          history_size=50, line_search_fn="strong_wolfe")
    else:
        opt = optim.Adam([x], lr=0.02 if lr is None else lr)
    t0 = time.perf_counter()
    log = []  # the losses of every evaluation, in order
    history = []
    for step in range(int(steps)):
        first = len(log)
        if optimizer == "lbfgs":
            opt.step(closure)
        else:
            closure()
            opt.step()
        # NOTE: a step's first evaluation is at the point the previous step accepted
        # (line-search trials come after it), so it is that point's loss.
        history.append(dict(log[first], step=step, evaluations=first))
        if callback is not None and step > 0:
            callback(step, history[-1])
    closure()  # the final point's losses
    history.append(dict(log[-1], step=int(steps), evaluations=evals[0]))
    if callback is not None:
        callback(int(steps), history[-1])
    seconds = time.perf_counter() - t0
    image = np.clip(x.detach().numpy()[0], 0.0, 1.0).astype(np.float32)
    return StyleResult(image=image, history=history,
                       seconds=seconds, evaluations=evals[0], source=extractor.source)


# ---------------------------------------------------------------------------
# Image files
# ---------------------------------------------------------------------------
def load_image(path, size: int | None = None) -> np.ndarray:
    """An image file as RGB float32 ``(3, H, W)`` in ``[0, 1]``, its longer side resized
    to ``size`` pixels (bicubic, aspect ratio kept) when given."""
    from PIL import Image

    with Image.open(path) as im:
        im = im.convert("RGB")
        if size is not None:
            if not isinstance(size, (int, np.integer)) or size < 8:
                raise ValueError(f"load_image: size must be an int >= 8, got {size!r}")
            w, h = im.size
            k = size / max(w, h)
            im = im.resize((max(1, round(w * k)), max(1, round(h * k))), Image.BICUBIC)
        return np.asarray(im, np.float32).transpose(2, 0, 1) / np.float32(255.0)


def save_image(image: np.ndarray, path) -> None:
    """Write an RGB ``(3, H, W)`` image in ``[0, 1]`` as an 8-bit file (PNG by name)."""
    from PIL import Image

    a = np.clip(np.asarray(image, np.float32), 0, 1).transpose(1, 2, 0)
    Image.fromarray(np.rint(a * 255).astype(np.uint8)).save(path)
