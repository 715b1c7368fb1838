"""Time glassnet.cv.canny against cv2.Canny on a 512x512 photograph.

Run ``python benchmarks/bench_canny.py``. Prints the median time of each, their
ratio and whether the edge maps are identical; asserts nothing (a benchmark, not
a test). Needs opencv-python and scikit-image (for ``skimage.data.camera()``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from glassnet.cv import canny  # noqa: E402


def median_time(fn, repeat: int) -> float:
    """Median wall time of ``fn()`` in seconds over ``repeat`` runs (after a warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per setting (20)")
    args = parser.parse_args(argv)
    try:
        import cv2
        from skimage import data
    except ImportError as exc:
        print(f"bench_canny: needs opencv-python and scikit-image ({exc})", file=sys.stderr)
        return 1

    camera = data.camera()
    astronaut = data.astronaut()
    settings = [
        ("camera 512x512", camera, 50, 150, 3, False),
        ("camera 512x512", camera, 20, 60, 3, False),
        ("camera 512x512 L2", camera, 50, 150, 3, True),
        ("camera 512x512 ap5", camera, 1000, 3000, 5, False),
        ("camera 512x512 ap7", camera, 1000, 3000, 7, False),
        ("astronaut 512x512x3", astronaut, 50, 150, 3, False),
    ]
    print(f"cv2 {cv2.__version__}, numpy {np.__version__}, cv2 threads {cv2.getNumThreads()}")
    print(f"{'image':22s} {'thresholds':>12s} {'glassnet ms':>12s} {'cv2 ms':>8s} "
          f"{'ratio':>7s}  identical")
    for name, img, low, high, aperture, l2 in settings:
        ours = median_time(lambda: canny(img, low, high, aperture, l2), args.repeat)
        ref = median_time(lambda: cv2.Canny(img, low, high, apertureSize=aperture,
                                            L2gradient=l2), args.repeat)
        same = np.array_equal(canny(img, low, high, aperture, l2),
                              cv2.Canny(img, low, high, apertureSize=aperture, L2gradient=l2))
        print(f"{name:22s} {f'({low}, {high})':>12s} {ours * 1e3:12.2f} {ref * 1e3:8.3f} "
              f"{ours / ref:7.1f}x  {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
