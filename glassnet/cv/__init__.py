"""``glassnet.cv``: classical computer vision on plain numpy arrays, with OpenCV's semantics.

This is glassnet's counterpart of ``cv2``; :mod:`glassnet.vision` is torchvision's.

Where OpenCV has the function, the glassnet version has the same arguments,
defaults, border handling and rounding, under a snake_case name
(``cv2.GaussianBlur`` -> :func:`gaussian_blur`, ``cv2.Canny`` -> :func:`canny`).
No autograd and no dependency beyond numpy (Pillow for file I/O); this package
does not import :mod:`glassnet.tensor`.

Images are ``(H, W)`` or ``(H, W, C)`` arrays. Colour images read with
:func:`read_image` are RGB; OpenCV's are BGR.
"""

from ._border import (
    BORDER_CONSTANT,
    BORDER_DEFAULT,
    BORDER_ISOLATED,
    BORDER_REFLECT,
    BORDER_REFLECT101,
    BORDER_REFLECT_101,
    BORDER_REPLICATE,
    BORDER_WRAP,
    border_interpolate,
    copy_make_border,
)
from .canny import canny
from .derivatives import get_deriv_kernels, laplacian, scharr, sobel
from .filters import (
    blur,
    box_filter,
    filter2d,
    gaussian_blur,
    get_gaussian_kernel,
)
from .nonlinear import bilateral_filter, median_blur
from .histogram import calc_hist, equalize_hist
from .hough import hough_lines, hough_lines_p
from .io import read_image, write_image

__all__ = [
    "BORDER_CONSTANT",
    "BORDER_REPLICATE",
    "BORDER_REFLECT",
    "BORDER_WRAP",
    "BORDER_REFLECT_101",
    "BORDER_REFLECT101",
    "BORDER_DEFAULT",
    "BORDER_ISOLATED",
    "border_interpolate",
    "copy_make_border",
    "read_image",
    "write_image",
    "filter2d",
    "get_gaussian_kernel",
    "gaussian_blur",
    "box_filter",
    "blur",
    "median_blur",
    "bilateral_filter",
    "get_deriv_kernels",
    "sobel",
    "scharr",
    "laplacian",
    "canny",
    "hough_lines",
    "hough_lines_p",
    "calc_hist",
    "equalize_hist",
]
