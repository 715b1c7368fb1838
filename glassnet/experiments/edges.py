"""``edges``: every stage of the Canny edge detector (Canny 1986) on a real photo, and what
its thresholds and its smoothing do to the edge map.

The stages are those of :func:`glassnet.cv.canny` (which reproduces ``cv2.Canny``), run one
by one with the functions ``canny`` itself calls: Gaussian blur
(:func:`glassnet.cv.gaussian_blur`), Sobel gradient ``dx``, ``dy`` (checked against the
public :func:`glassnet.cv.sobel`), L1 magnitude ``|dx| + |dy|`` and direction, non-maximum
suppression along 4 gradient sectors, the double threshold (strong: magnitude > high;
weak: low < magnitude <= high) and hysteresis (weak pixels 8-connected to strong ones are
kept). The staged result is compared with the public ``canny`` output, and with OpenCV's
``cv2.Canny`` when it is installed (F-score of the two edge maps).

The photos are scikit-image's bundled ``camera`` (512x512) and ``coins`` (303x384) — no
download; without scikit-image a digit of the run's data set (upscaled) stands in.
Quick and full runs differ only in the sizes of the threshold and sigma grids.
"""
from __future__ import annotations

import numpy as np

NAME = "edges"
SUMMARY = ("each stage of Canny (blur, Sobel magnitude/direction, non-maximum suppression, "
           "double threshold, hysteresis) on a photo; effect of the thresholds and sigma")


def _settings(quick: bool) -> dict:
    if quick:
        return {"sigma": 1.5, "low": 40, "high": 100, "lows": [20, 40, 80, 120],
                "highs": [60, 100, 160, 240], "sigmas": [0.6, 1.0, 1.5, 2.0, 3.0, 4.0],
                "images": ["camera"]}
    return {"sigma": 1.5, "low": 40, "high": 100, "lows": [10, 20, 40, 60, 80, 120, 160],
            "highs": [40, 60, 100, 160, 240, 320], "sigmas": [0.5, 0.75, 1.0, 1.5, 2.0, 2.5,
                                                            3.0, 4.0, 5.0],
            "images": ["camera", "coins"]}


def _photos(ctx, names):
    """{name: uint8 (H, W)} photos; a digit (upscaled 16x, nearest) without scikit-image."""
    try:
        import skimage.data as data

        return {n: np.ascontiguousarray(getattr(data, n)(), dtype=np.uint8) for n in names}
    except (ImportError, OSError, AttributeError):
        x, _ = ctx.images(train=False, limit=10)
        img = np.rint(x[0, 0] * 255).astype(np.uint8)
        scale = max(1, 256 // img.shape[0])
        return {"digit": np.kron(img, np.ones((scale, scale), np.uint8))}


def canny_stages(image, low: int, high: int, sigma: float) -> dict:
    """Every intermediate map of ``glassnet.cv.canny(image, low, high, sigma=sigma)``
    (aperture 3, L1 magnitude) as computed by the functions ``canny`` calls."""
    from glassnet.cv import gaussian_blur
    from glassnet.cv.canny import _gradient, _hysteresis, _magnitude, _non_max_suppression

    if not (isinstance(low, (int, np.integer)) and isinstance(high, (int, np.integer))
            and 0 <= low <= high):
        raise ValueError(f"canny_stages: low and high must be ints with 0 <= low <= high, "
                         f"got ({low!r}, {high!r})")
    blur = gaussian_blur(image, 0, float(sigma))
    dx, dy = _gradient(blur, 3)
    mag = _magnitude(dx, dy, False)
    nms = _non_max_suppression(mag, dx, dy, int(low))
    strong = nms & (mag > high)
    weak = nms & ~strong
    edges = _hysteresis(nms, strong)
    return {"blur": blur, "dx": dx, "dy": dy, "magnitude": mag,
            "direction": np.arctan2(dy.astype(np.float64), dx.astype(np.float64)),
            "above_low": mag > low, "nms": nms, "strong": strong, "weak": weak,
            "edges": edges}


def _f_score(a, b) -> float:
    """F1 of two boolean edge maps (pixel-exact agreement)."""
    tp = np.count_nonzero(a & b)
    denom = np.count_nonzero(a) + np.count_nonzero(b)
    return 1.0 if denom == 0 else 2.0 * tp / denom


def _stage_numbers(img, st, s):
    from glassnet.cv import BORDER_REPLICATE, canny, sobel

    public = canny(img, s["low"], s["high"], sigma=s["sigma"]) > 0
    sx = sobel(st["blur"], np.int16, 1, 0, 3, border_type=BORDER_REPLICATE)
    sy = sobel(st["blur"], np.int16, 0, 1, 3, border_type=BORDER_REPLICATE)
    n = {k: int(np.count_nonzero(st[k])) for k in ("above_low", "nms", "strong", "weak",
                                                   "edges")}
    return {
        "shape": list(img.shape), "pixels": int(img.size), "counts": n,
        "nms_subset_of_above_low": bool(not np.any(st["nms"] & ~st["above_low"])),
        "nms_kept_fraction": n["nms"] / max(1, n["above_low"]),
        "edges_subset_of_strong_or_weak": bool(not np.any(st["edges"]
                                                          & ~(st["strong"] | st["weak"]))),
        "edges_contain_strong": bool(not np.any(st["strong"] & ~st["edges"])),
        "weak_kept": int(np.count_nonzero(st["edges"] & st["weak"])),
        "weak_kept_fraction": np.count_nonzero(st["edges"] & st["weak"]) / max(1, n["weak"]),
        "equals_public_canny": bool(np.array_equal(st["edges"], public)),
        "sobel_matches_stage": bool(np.array_equal(sx, st["dx"]) and np.array_equal(sy, st["dy"])),
        "magnitude_max": int(st["magnitude"].max()),
    }


def _opencv(img, s, ours):
    """F-score of glassnet vs cv2 (raw image, and after the same Gaussian blur)."""
    try:
        import cv2
    except ImportError:
        return None
    from glassnet.cv import canny

    raw = _f_score(canny(img, s["low"], s["high"]) > 0, cv2.Canny(img, s["low"], s["high"]) > 0)
    blurred = cv2.GaussianBlur(img, (0, 0), s["sigma"])
    smooth = _f_score(ours, cv2.Canny(blurred, s["low"], s["high"]) > 0)
    return {"version": cv2.__version__, "f_score_raw": raw, "f_score_blurred": smooth}


def _threshold_grid(img, s):
    from glassnet.cv import canny

    counts = [[int(np.count_nonzero(canny(img, lo, hi, sigma=s["sigma"])))
               if lo <= hi else None for hi in s["highs"]] for lo in s["lows"]]
    return {"lows": s["lows"], "highs": s["highs"], "edge_pixels": counts,
            "monotone": _grid_monotone(counts)}


def _non_increasing(v) -> bool:
    v = [x for x in v if x is not None]
    return all(a >= b for a, b in zip(v, v[1:]))


def _grid_monotone(counts) -> bool:
    """True if the count never rises along a row (higher high) or a column (higher low)."""
    return (all(_non_increasing(row) for row in counts)
            and all(_non_increasing(col) for col in zip(*counts)))


def _sigma_sweep(img, s):
    from glassnet.cv import canny

    counts = [int(np.count_nonzero(canny(img, s["low"], s["high"], sigma=g)))
              for g in s["sigmas"]]
    return {"sigmas": s["sigmas"], "edge_pixels": counts,
            "decreasing": all(a > b for a, b in zip(counts, counts[1:]))}


def run(ctx) -> dict:
    import matplotlib.pyplot as plt

    s = _settings(ctx.quick)
    photos = _photos(ctx, s["images"])
    per = {}
    stages = {}
    for name, img in ctx.track(list(photos.items()), "Canny stages and sweeps"):
        st = canny_stages(img, s["low"], s["high"], s["sigma"])
        stages[name] = st
        per[name] = {**_stage_numbers(img, st, s),
                     "opencv": _opencv(img, s, st["edges"]),
                     "thresholds": _threshold_grid(img, s),
                     "sigma": _sigma_sweep(img, s)}
    first = next(iter(photos))
    for name in photos:
        _plot_stages(ctx, plt, name, photos[name], stages[name], s, per[name])
    _plot_thresholds(ctx, plt, first, photos[first], per[first], s)
    _plot_sigma(ctx, plt, photos, per, s)
    results = {"settings": s, "images": per}
    return ctx.finish(results, _findings(results), "Canny edge detection, stage by stage",
                      data="photos: " + ", ".join(photos))[
        "results"]


def _plot_stages(ctx, plt, name, img, st, s, r):
    c = r["counts"]
    fig, axes = plt.subplots(2, 4, figsize=(18, 9.4))
    ax = axes.ravel()
    ax[0].imshow(img, cmap="gray", vmin=0, vmax=255)
    ax[0].set_title(f"input '{name}' {img.shape[0]}x{img.shape[1]}")
    ax[1].imshow(st["blur"], cmap="gray", vmin=0, vmax=255)
    ax[1].set_title(f"1. Gaussian blur, sigma {s['sigma']}")
    im = ax[2].imshow(st["magnitude"], cmap="magma")
    fig.colorbar(im, ax=ax[2], fraction=0.046, pad=0.02, label="|dx| + |dy|")
    ax[2].set_title(f"2. Sobel magnitude |dx|+|dy| (max {r['magnitude_max']})")
    direction = np.where(st["above_low"], np.degrees(st["direction"]), np.nan)
    im = ax[3].imshow(direction, cmap="twilight", vmin=-180, vmax=180)
    ax[3].set_facecolor("black")
    fig.colorbar(im, ax=ax[3], fraction=0.046, pad=0.02, label="degrees")
    ax[3].set_title(f"3. gradient direction atan2(dy, dx)\n(where magnitude > {s['low']})")
    ax[4].imshow(st["above_low"], cmap="gray")
    ax[4].set_title(f"magnitude > low={s['low']}: {c['above_low']:,} px")
    ax[5].imshow(st["nms"], cmap="gray")
    ax[5].set_title(f"4. non-maximum suppression: {c['nms']:,} px\n"
                    f"({100 * r['nms_kept_fraction']:.1f}% of magnitude > low)")
    rgb = np.zeros(img.shape + (3,))
    rgb[st["strong"]] = (1.0, 1.0, 1.0)
    rgb[st["weak"]] = (1.0, 0.35, 0.0)
    ax[6].imshow(rgb)
    ax[6].set_title(f"5. double threshold: strong (> {s['high']}, white) {c['strong']:,}\n"
                    f"weak ({s['low']}..{s['high']}, orange) {c['weak']:,}")
    rgb = np.zeros(img.shape + (3,))
    rgb[st["edges"] & st["strong"]] = (1.0, 1.0, 1.0)
    rgb[st["edges"] & st["weak"]] = (0.2, 0.8, 1.0)
    ax[7].imshow(rgb)
    ax[7].set_title(f"6. hysteresis: {c['edges']:,} edge px\n(white: strong, cyan: "
                    f"{r['weak_kept']:,} weak ones linked to strong)")
    for a in ax:
        a.set_xticks([])
        a.set_yticks([])
    fig.suptitle(f"Canny stage by stage on '{name}' (low {s['low']}, high {s['high']}, "
                 f"sigma {s['sigma']}); staged result equals glassnet.cv.canny: "
                 f"{r['equals_public_canny']}")
    fig.tight_layout()
    ctx.savefig(fig, f"stages_{name}.png")


def _plot_thresholds(ctx, plt, name, img, r, s):
    from glassnet.cv import canny

    t = r["thresholds"]
    grid = np.array([[np.nan if v is None else v for v in row] for row in t["edge_pixels"]],
                    np.float64)
    pairs = [(s["lows"][0], s["highs"][0]), (s["low"], s["high"]),
             (s["lows"][-1], s["highs"][-1])]
    fig = plt.figure(figsize=(18, 5.4))
    ax = fig.add_subplot(1, 4, 1)
    im = ax.imshow(grid, cmap="viridis", aspect="auto")
    for i in range(grid.shape[0]):
        for j in range(grid.shape[1]):
            if np.isfinite(grid[i, j]):
                ax.text(j, i, f"{int(grid[i, j]):,}", ha="center", va="center", fontsize=7,
                        color="white" if grid[i, j] < np.nanmax(grid) / 2 else "black")
    ax.set_xticks(range(len(t["highs"])), t["highs"])
    ax.set_yticks(range(len(t["lows"])), t["lows"])
    ax.set_xlabel("high threshold")
    ax.set_ylabel("low threshold")
    ax.set_title(f"edge pixels on '{name}' (sigma {s['sigma']};\nblank: low > high)")
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.02)
    for k, (lo, hi) in enumerate(pairs):
        e = canny(img, lo, hi, sigma=s["sigma"])
        a = fig.add_subplot(1, 4, k + 2)
        a.imshow(e, cmap="gray")
        a.set_xticks([])
        a.set_yticks([])
        a.set_title(f"low {lo}, high {hi}: {np.count_nonzero(e):,} edge px")
    fig.suptitle("Effect of the hysteresis thresholds: higher thresholds keep fewer edges")
    fig.tight_layout()
    ctx.savefig(fig, "thresholds.png")


def _plot_sigma(ctx, plt, photos, per, s):
    from glassnet.cv import canny

    name = next(iter(photos))
    img = photos[name]
    show = [s["sigmas"][0], s["sigma"], s["sigmas"][-1]]
    fig = plt.figure(figsize=(18, 5.2))
    ax = fig.add_subplot(1, 4, 1)
    for n, r in per.items():
        ax.plot(r["sigma"]["sigmas"], r["sigma"]["edge_pixels"], marker="o", label=n)
    ax.set_yscale("log")
    ax.set_xlabel("Gaussian sigma")
    ax.set_ylabel("edge pixels (log)")
    ax.set_title(f"edge pixels vs sigma (low {s['low']}, high {s['high']})")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    for k, g in enumerate(show):
        e = canny(img, s["low"], s["high"], sigma=g)
        a = fig.add_subplot(1, 4, k + 2)
        a.imshow(e, cmap="gray")
        a.set_xticks([])
        a.set_yticks([])
        a.set_title(f"'{name}', sigma {g}: {np.count_nonzero(e):,} edge px")
    fig.suptitle("Effect of the smoothing: a wider Gaussian removes texture and noise edges "
                 "and keeps the large-scale contours")
    fig.tight_layout()
    ctx.savefig(fig, "sigma.png")


def _findings(r) -> str:
    s = r["settings"]
    lines = [f"Canny with low {s['low']}, high {s['high']}, Gaussian sigma {s['sigma']}, "
             "Sobel aperture 3, L1 magnitude, on "
             + ", ".join(f"'{n}'" for n in r["images"])
             + (" (scikit-image's bundled photos; the data set named above is not used)."
                if "digit" not in r["images"] else
                " (scikit-image is missing: a digit of the data set, upscaled)."), ""]
    for name, v in r["images"].items():
        c = v["counts"]
        t, g = v["thresholds"], v["sigma"]
        lo_hi = t["edge_pixels"][0][0], t["edge_pixels"][-1][-1]
        cv = v["opencv"]
        cv_line = ("OpenCV is not installed: no comparison." if cv is None else
                   f"Against OpenCV {cv['version']} `cv2.Canny`: F-score "
                   f"{cv['f_score_raw']:.4f} on the raw photo and {cv['f_score_blurred']:.4f} "
                   "after the same Gaussian blur (cv2.GaussianBlur).")
        lines += [
            f"**{name}** ({v['shape'][0]}x{v['shape'][1]}):",
            "",
            f"- {c['above_low']:,} pixels have gradient magnitude > {s['low']}; non-maximum "
            f"suppression keeps {c['nms']:,} of them ({100 * v['nms_kept_fraction']:.1f}%), "
            f"one-pixel-wide ridges (a subset: {v['nms_subset_of_above_low']}).",
            f"- Double threshold: {c['strong']:,} strong and {c['weak']:,} weak pixels; "
            f"hysteresis keeps all strong ones ({v['edges_contain_strong']}) and "
            f"{v['weak_kept']:,} weak ones ({100 * v['weak_kept_fraction']:.1f}%) linked to "
            f"them: {c['edges']:,} edge pixels, all strong or weak "
            f"({v['edges_subset_of_strong_or_weak']}).",
            f"- The staged result equals `glassnet.cv.canny`: {v['equals_public_canny']}; "
            f"the Sobel stage equals `glassnet.cv.sobel`: {v['sobel_matches_stage']}. "
            + cv_line,
            f"- Thresholds: from {lo_hi[0]:,} edge pixels at (low {t['lows'][0]}, high "
            f"{t['highs'][0]}) to {lo_hi[1]:,} at ({t['lows'][-1]}, {t['highs'][-1]}); "
            + ("the count never rises when either threshold rises." if t["monotone"] else
               "the count RISES somewhere in the grid when a threshold rises."),
            f"- Sigma: {g['edge_pixels'][0]:,} edge pixels at sigma {g['sigmas'][0]}, "
            f"{g['edge_pixels'][-1]:,} at sigma {g['sigmas'][-1]} ("
            + ", ".join(f"{x}: {n:,}" for x, n in zip(g["sigmas"], g["edge_pixels"])) + "): "
            + ("fewer edges at every larger sigma." if g["decreasing"] else
               "NOT decreasing at every step."),
            "",
        ]
    return "\n".join(lines)
