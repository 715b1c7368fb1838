"""``style-transfer``: what the layers of a convolutional network keep of an image —
content reconstructed from shallow vs deep layers, style (texture) from growing sets of
layers, and the stylised photo (Gatys, Ecker & Bethge 2016).

Each reconstruction starts from uniform noise and optimises the pixels with L-BFGS
(:func:`glassnet.apps.style.stylize`): to match one layer's feature maps of the content
photo (``style_weight=0``), or the Gram matrices of a set of layers of a texture
(``content_weight=0``).  The features are VGG-19-shaped with random weights
(:func:`glassnet.apps.style.random_vgg19_features`; no download, Ustyuzhaninov et al.
2017), so the finding is about the architecture's hierarchy (pooling, growing receptive
fields) rather than about ImageNet training.

Measured: for each content layer, the mean absolute pixel error of the reconstruction
and its correlation with the photo (deeper layers keep the arrangement, lose the
pixels); for each style layer set, the style loss of the result measured on all five
layers (more layers matched: the texture's larger-scale statistics too); the loss
reduction and wall time of the full stylisation (256x256 in the full run).

Photos: scikit-image's ``astronaut`` (content) and ``brick``/``grass``/``gravel``
textures (style), bundled with scikit-image (no download); without scikit-image, smooth
synthetic images stand in.
"""
from __future__ import annotations

import time

import numpy as np

NAME = "style-transfer"
SUMMARY = ("content reconstructed from shallow vs deep layers, style from growing layer "
           "sets, and Gatys style transfer (random-weight VGG-19 features)")

CONTENT_LAYERS = ["relu1_2", "relu2_2", "relu3_2", "relu4_2", "relu5_2"]
STYLE_SETS = [["relu1_1"], ["relu1_1", "relu2_1"], ["relu1_1", "relu2_1", "relu3_1"],
              ["relu1_1", "relu2_1", "relu3_1", "relu4_1"],
              ["relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1"]]


def _settings(quick: bool) -> dict:
    if quick:
        return {"size": 48, "steps": 12, "stylize_size": 48, "stylize_steps": 10,
                "styles": ["brick"]}
    return {"size": 128, "steps": 100, "stylize_size": 256, "stylize_steps": 100,
            "styles": ["brick", "grass", "gravel"]}


def _resize(img: np.ndarray, size: int) -> np.ndarray:
    from PIL import Image

    im = Image.fromarray(img).convert("RGB").resize((size, size), Image.BICUBIC)
    return np.asarray(im, np.float32).transpose(2, 0, 1) / np.float32(255.0)


def _photos(names, size: int):
    """{"content": (3, S, S), style name: (3, S, S)} float32 in [0, 1]."""
    try:
        import skimage.data as data

        out = {"content": _resize(data.astronaut(), size)}
        for n in names:
            out[n] = _resize(getattr(data, n)(), size)
        return out, "scikit-image astronaut"
    except (ImportError, OSError, AttributeError):
        yy, xx = np.mgrid[0:size, 0:size] / size
        content = np.stack([xx, yy, 0.5 + 0.4 * np.sin(6 * xx * yy)]).astype(np.float32)
        out = {"content": content}
        for k, n in enumerate(names):
            s = (np.sin((20 + 10 * k) * (xx + 0.3 * yy)) > 0).astype(np.float32)
            out[n] = np.stack([s, s, s]) * 0.8 + 0.1
        return out, "synthetic (scikit-image missing)"


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a.ravel() - a.mean(), b.ravel() - b.mean()
    return float(a @ b / np.sqrt((a @ a) * (b @ b) + 1e-12))


def _style_losses(ext, image, grams) -> dict:
    """The style loss of ``image`` at each layer of ``grams``."""
    from glassnet.apps.style import style_loss
    from glassnet.autograd import no_grad
    from glassnet.tensor import Tensor

    with no_grad():
        f = ext(Tensor(image[None]), list(grams))
        return {k: float(style_loss(f[k], grams[k])) for k in grams}


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    from glassnet.apps.style import gram_matrix, random_vgg19_features, stylize
    from glassnet.autograd import no_grad
    from glassnet.tensor import Tensor

    s = _settings(ctx.quick)
    photos, source = _photos(s["styles"], s["size"])
    ext = random_vgg19_features(seed=ctx.seed)
    content = photos["content"]
    style_name = s["styles"][0]
    style = photos[style_name]
    noise_start = np.random.default_rng(ctx.seed).uniform(0, 1, content.shape)

    # Content from one layer at a time
    content_rows = []
    for layer in ctx.track(CONTENT_LAYERS, "content reconstructions"):
        r = stylize(content, style, ext, content_layers=[layer], style_weight=0.0,
                    tv_weight=0.0, steps=s["steps"], init="noise", seed=ctx.seed)
        content_rows.append({"layer": layer, "image": r.image,
                             "pixel_error": float(np.abs(r.image - content).mean()),
                             "correlation": _corr(r.image, content),
                             "loss_reduction": r.loss_reduction, "seconds": r.seconds})
    # Style from growing sets of layers
    with no_grad():
        all_layers = STYLE_SETS[-1]
        grams = {k: gram_matrix(v) for k, v in ext(Tensor(style[None]), all_layers).items()}
    style_rows = []
    for layers in ctx.track(STYLE_SETS, "style reconstructions"):
        r = stylize(content, style, ext, style_layers=layers, content_weight=0.0,
                    tv_weight=0.0, steps=s["steps"], init="noise", seed=ctx.seed)
        style_rows.append({"layers": layers, "image": r.image,
                           "style_loss": _style_losses(ext, r.image, grams),
                           "loss_reduction": r.loss_reduction, "seconds": r.seconds})
    noise = _style_losses(ext, noise_start.astype(np.float32), grams)
    for row in style_rows:
        # each layer's Gram mismatch as a fraction of that of the noise we started from
        row["relative"] = {k: row["style_loss"][k] / noise[k] for k in noise}
        row["mean_log10_relative"] = float(np.mean(np.log10(list(row["relative"].values()))))
    # The full stylisation (the CLI's defaults), timed
    big, _ = _photos(s["styles"], s["stylize_size"])
    stylized = {}
    for name in ctx.track(s["styles"], "stylise"):
        t0 = time.perf_counter()
        r = stylize(big["content"], big[name], ext, steps=s["stylize_steps"])
        stylized[name] = {"image": r.image, "loss_start": r.history[0]["total"],
                          "loss_end": r.history[-1]["total"],
                          "loss_reduction": r.loss_reduction, "seconds": r.seconds,
                          "wall_s": time.perf_counter() - t0, "evaluations": r.evaluations}

    _plot_layers(ctx, plt, content, style, style_name, content_rows, style_rows)
    _plot_stylized(ctx, plt, big, stylized, s)
    results = {
        "settings": s, "photos": source, "features": ext.source,
        "content": [{k: v for k, v in row.items() if k != "image"} for row in content_rows],
        "style": [{k: v for k, v in row.items() if k != "image"} for row in style_rows],
        "noise_style_loss": noise,
        "stylized": {n: {k: v for k, v in r.items() if k != "image"}
                     for n, r in stylized.items()},
    }
    return ctx.finish(results, _findings(results), "Style transfer: what each layer keeps",
                      data=f"photos ({source})")[
        "results"]


def _plot_layers(ctx, plt, content, style, style_name, content_rows, style_rows):
    n = len(content_rows) + 1
    fig, axes = plt.subplots(2, n, figsize=(3 * n, 7.4))
    show = lambda a: np.clip(a.transpose(1, 2, 0), 0, 1)  # noqa: E731
    axes[0, 0].imshow(show(content))
    axes[0, 0].set_title("content photo")
    for ax, row in zip(axes[0, 1:], content_rows):
        ax.imshow(show(row["image"]))
        ax.set_title(f"content from {row['layer']}\n|err| {row['pixel_error']:.3f}, "
                     f"corr {row['correlation']:.2f}", fontsize=9)
    axes[1, 0].imshow(show(style))
    axes[1, 0].set_title(f"style '{style_name}'")
    for ax, row in zip(axes[1, 1:], style_rows):
        ax.imshow(show(row["image"]))
        ax.set_title(f"style from {row['layers'][0]}..{row['layers'][-1]}\n"
                     f"Gram error vs noise: 10^{row['mean_log10_relative']:.1f}", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle("Deeper layers keep the content's arrangement and lose its appearance; "
                 "more style layers capture larger-scale texture (random-weight VGG-19)")
    fig.tight_layout()
    ctx.savefig(fig, "layers.png")


def _plot_stylized(ctx, plt, big, stylized, s):
    n = len(stylized)
    fig, axes = plt.subplots(2, n + 1, figsize=(3.4 * (n + 1), 7))
    axes = np.asarray(axes).reshape(2, n + 1)
    show = lambda a: np.clip(a.transpose(1, 2, 0), 0, 1)  # noqa: E731
    axes[0, 0].imshow(show(big["content"]))
    axes[0, 0].set_title("content")
    axes[1, 0].axis("off")
    for k, (name, r) in enumerate(stylized.items()):
        axes[0, k + 1].imshow(show(big[name]))
        axes[0, k + 1].set_title(f"style '{name}'")
        axes[1, k + 1].imshow(show(r["image"]))
        axes[1, k + 1].set_title(f"{r['loss_reduction']:.0f}x lower loss, "
                                 f"{r['seconds']:.0f} s", fontsize=9)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"glassnet stylize, {s['stylize_size']}x{s['stylize_size']}, "
                 f"{s['stylize_steps']} L-BFGS steps")
    fig.tight_layout()
    ctx.savefig(fig, "stylized.png")


def _findings(r) -> str:
    c, st = r["content"], r["style"]
    lines = [f"Features: {r['features']}. Photos: {r['photos']}.", "",
             "| content layer | pixel error | correlation with photo |", "|---|---|---|"]
    lines += [f"| {row['layer']} | {row['pixel_error']:.3f} | {row['correlation']:.3f} |"
              for row in c]
    lines += ["", f"Content reconstructed from {c[0]['layer']} has pixel error "
              f"{c[0]['pixel_error']:.3f}; from {c[-1]['layer']} {c[-1]['pixel_error']:.3f}: "
              "deeper layers keep the arrangement and lose the exact appearance.", "",
              "Style reconstructions: each layer's Gram-matrix error as a fraction of the "
              "starting noise's (lower: that layer's statistics are matched).", "",
              "| style layers | " + " | ".join(st[0]["relative"]) + " | mean log10 |",
              "|---" * (len(st[0]["relative"]) + 2) + "|"]
    lines += [f"| {row['layers'][0]}..{row['layers'][-1]} | "
              + " | ".join(f"{v:.2e}" for v in row["relative"].values())
              + f" | {row['mean_log10_relative']:.2f} |" for row in st]
    lines += ["", f"Matching {st[0]['layers'][0]} alone leaves a mean log10 error of "
              f"{st[0]['mean_log10_relative']:.2f} over the five layers; matching all five "
              f"gives {st[-1]['mean_log10_relative']:.2f}: the deeper layers hold the "
              "texture's larger-scale statistics, which the shallow ones do not constrain.",
              ""]
    for name, s in r["stylized"].items():
        size = r["settings"]["stylize_size"]
        lines.append(f"- stylize {size}x{size} with '{name}': loss {s['loss_start']:.4g} -> "
                     f"{s['loss_end']:.4g} ({s['loss_reduction']:.1f}x lower) in "
                     f"{s['seconds']:.1f} s ({s['evaluations']} evaluations)")
    return "\n".join(lines)
