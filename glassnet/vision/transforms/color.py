"""Colour and pixel transforms: ``ColorJitter``, ``Grayscale``, ``RandomGrayscale``,
``GaussianBlur``, ``RandomErasing`` (torchvision semantics) and glassnet's
``PCALighting`` (AlexNet's PCA colour augmentation)."""
from __future__ import annotations

import numbers

import numpy as np
from PIL import Image

from glassnet.vision.transforms import functional as F
from glassnet.vision.transforms._base import (Transform, _check_p, _check_range, _rng,
                                            _setup_size)
from glassnet.tensor import Tensor

__all__ = ["ColorJitter", "Grayscale", "RandomGrayscale", "GaussianBlur", "RandomErasing",
           "PCALighting"]


def _jitter_range(value, name: str, center: float = 1.0, bound=(0.0, float("inf")),
                  clip_first_on_zero: bool = True):
    """torchvision's ColorJitter._check_input: a number ``v`` means ``[c - v, c + v]``."""
    fn = "ColorJitter"
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"{fn}: if {name} is a single number, it must be non-negative, "
                             f"got {value}")
        value = [center - float(value), center + float(value)]
        if clip_first_on_zero:
            value[0] = max(value[0], 0.0)
    elif isinstance(value, (tuple, list)) and len(value) == 2:
        value = [float(value[0]), float(value[1])]
    else:
        raise TypeError(f"{fn}: {name} should be a single number or a list/tuple with length "
                        f"2, got {value!r}")
    if not bound[0] <= value[0] <= value[1] <= bound[1]:
        raise ValueError(f"{fn}: {name} values should be between {bound}, got {value}")
    if value[0] == value[1] == center:
        return None  # no change: skip this adjustment entirely
    return tuple(value)


class ColorJitter(Transform):
    """Randomly change brightness, contrast, saturation and hue, in a random order.

    Parameters
    ----------
    brightness, contrast, saturation : float or (float, float)
        A number ``v`` draws the factor from ``[max(0, 1 - v), 1 + v]``.
    hue : float or (float, float)
        A number ``v`` in [0, 0.5] draws the hue shift from ``[-v, v]``.

    Notes
    -----
    ``ColorJitter()`` (all zero) returns its input unchanged.
    """

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        self.brightness = _jitter_range(brightness, "brightness")
        self.contrast = _jitter_range(contrast, "contrast")
        self.saturation = _jitter_range(saturation, "saturation")
        self.hue = _jitter_range(hue, "hue", center=0.0, bound=(-0.5, 0.5),
                                 clip_first_on_zero=False)

    @staticmethod
    def get_params(brightness, contrast, saturation, hue) -> tuple:
        """``(order, b, c, s, h)``: a permutation of the 4 ops and each factor (or None)."""
        rng = _rng()
        order = rng.permutation(4).tolist()
        b = None if brightness is None else float(rng.uniform(*brightness))
        c = None if contrast is None else float(rng.uniform(*contrast))
        s = None if saturation is None else float(rng.uniform(*saturation))
        h = None if hue is None else float(rng.uniform(*hue))
        return order, b, c, s, h

    def __call__(self, img):
        if self.brightness is self.contrast is self.saturation is self.hue is None:
            return img
        order, b, c, s, h = self.get_params(self.brightness, self.contrast, self.saturation,
                                            self.hue)
        for op in order:
            if op == 0 and b is not None:
                img = F.adjust_brightness(img, b)
            elif op == 1 and c is not None:
                img = F.adjust_contrast(img, c)
            elif op == 2 and s is not None:
                img = F.adjust_saturation(img, s)
            elif op == 3 and h is not None:
                img = F.adjust_hue(img, h)
        return img

    def extra_repr(self) -> str:
        return (f"brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}, hue={self.hue}")


class Grayscale(Transform):
    """Convert to greyscale with 1 or 3 (identical) output channels."""

    def __init__(self, num_output_channels: int = 1):
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels should be either 1 or 3, got "
                             f"{num_output_channels}")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return F.rgb_to_grayscale(img, self.num_output_channels)

    def extra_repr(self) -> str:
        return f"num_output_channels={self.num_output_channels}"


class RandomGrayscale(Transform):
    """Convert to greyscale (keeping the channel count) with probability ``p``."""

    def __init__(self, p: float = 0.1):
        self.p = _check_p(p, "RandomGrayscale")

    def __call__(self, img):
        channels, _, _ = F.get_dimensions(img)
        if _rng().random() < self.p:
            return F.rgb_to_grayscale(img, num_output_channels=channels)
        return img

    def extra_repr(self) -> str:
        return f"p={self.p}"


class GaussianBlur(Transform):
    """Blur with a Gaussian whose sigma is drawn uniformly from ``sigma``.

    Parameters
    ----------
    kernel_size : int or (int, int)
        Odd and positive, ``(kx, ky)``.
    sigma : float or (float, float)
        Fixed sigma, or a ``(min, max)`` range.
    """

    def __init__(self, kernel_size, sigma=(0.1, 2.0)):
        self.kernel_size = _setup_size(kernel_size, "kernel_size", "GaussianBlur")
        if any(k % 2 == 0 for k in self.kernel_size):
            raise ValueError(f"GaussianBlur: kernel size values should be odd and positive, "
                             f"got {kernel_size}")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError(f"GaussianBlur: sigma must be positive, got {sigma}")
            sigma = (float(sigma), float(sigma))
        else:
            sigma = _check_range(sigma, "sigma", "GaussianBlur", 0.0)
            if sigma[0] <= 0:
                raise ValueError(f"GaussianBlur: sigma values should be positive, got {sigma}")
        self.sigma = sigma

    @staticmethod
    def get_params(sigma_min: float, sigma_max: float) -> float:
        return float(_rng().uniform(sigma_min, sigma_max))

    def __call__(self, img):
        sigma = self.get_params(*self.sigma)
        return F.gaussian_blur(img, list(self.kernel_size), [sigma, sigma])

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, sigma={self.sigma}"


class RandomErasing(Transform):
    """Erase a random rectangle of a Tensor image with probability ``p``.

    Parameters
    ----------
    p : float
    scale : (float, float)
        Range of the erased area as a fraction of the image's.
    ratio : (float, float)
        Range of the rectangle's aspect ratio, sampled log-uniformly.
    value : number, sequence or 'random'
        Fill value (per channel if a sequence); 'random' fills with standard normals.
    inplace : bool

    Notes
    -----
    Zhong et al., "Random Erasing Data Augmentation", AAAI 2020, arXiv:1708.04896.
    Only Tensors are accepted (apply after ``ToTensor``), as in torchvision.
    """

    def __init__(self, p: float = 0.5, scale=(0.02, 0.33), ratio=(0.3, 3.3), value=0,
                 inplace: bool = False):
        fn = "RandomErasing"
        if not isinstance(value, (numbers.Number, str, tuple, list)):
            raise TypeError(f"{fn}: value should be a number, a sequence or 'random', got "
                            f"{type(value).__name__}")
        if isinstance(value, str) and value != "random":
            raise ValueError(f"{fn}: if value is a str, it should be 'random', got {value!r}")
        self.p = _check_p(p, fn)
        self.scale = _check_range(scale, "scale", fn, 0.0, 1.0)
        self.ratio = _check_range(ratio, "ratio", fn, 0.0)
        self.value = value
        self.inplace = inplace

    @staticmethod
    def get_params(img, scale, ratio, value=None) -> tuple:
        """``(i, j, h, w, v)``; the whole image unchanged after 10 failed tries."""
        c, img_h, img_w = img.shape[-3], img.shape[-2], img.shape[-1]
        area = img_h * img_w
        rng = _rng()
        log_ratio = (np.log(ratio[0]), np.log(ratio[1]))
        for _ in range(10):
            erase_area = area * rng.uniform(scale[0], scale[1])
            aspect_ratio = float(np.exp(rng.uniform(log_ratio[0], log_ratio[1])))
            h = int(round(np.sqrt(erase_area * aspect_ratio)))
            w = int(round(np.sqrt(erase_area / aspect_ratio)))
            if not (h < img_h and w < img_w):
                continue
            if value is None:
                v = rng.standard_normal((c, h, w), dtype=np.float32)
            else:
                v = np.asarray(value, np.float32)[:, None, None]
            i = int(rng.integers(0, img_h - h + 1))
            j = int(rng.integers(0, img_w - w + 1))
            return i, j, h, w, v
        return 0, 0, img_h, img_w, img

    def __call__(self, img):
        if not isinstance(img, Tensor):
            raise TypeError(f"RandomErasing: img should be a Tensor image, got "
                            f"{type(img).__name__} (apply ToTensor() first)")
        if _rng().random() >= self.p:
            return img
        if isinstance(self.value, str):
            value = None
        else:
            value = [float(v) for v in np.atleast_1d(self.value)]
            if len(value) not in (1, img.shape[-3]):
                raise ValueError(f"RandomErasing: value should have 1 or {img.shape[-3]} "
                                 f"(number of channels) elements, got {len(value)}")
        i, j, h, w, v = self.get_params(img, self.scale, self.ratio, value)
        if v is img:
            return img
        return F.erase(img, i, j, h, w, v, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, scale={self.scale}, ratio={self.ratio}, value={self.value}"


class PCALighting(Transform):
    """AlexNet's PCA colour augmentation ("fancy PCA").

    Per image, draw ``alpha ~ N(0, alphastd**2)`` (3 values) and add the RGB offset
    ``eigvec @ (alpha * eigval)`` to every pixel, where ``eigval`` / the columns of
    ``eigvec`` are the eigenvalues / eigenvectors of the 3x3 covariance of RGB pixel
    values (Krizhevsky, Sutskever, Hinton, "ImageNet Classification with Deep
    Convolutional Neural Networks", NeurIPS 2012, Section 4.1).

    Parameters
    ----------
    alphastd : float
        Standard deviation of ``alpha``; 0 makes the transform the identity.
    eigval : (3,) array_like, optional
        Default: the ImageNet values of fb.resnet.torch for pixels in [0, 1],
        ``[0.2175, 0.0188, 0.0045]`` (``[55.46, 4.794, 1.148] / 255``).
    eigvec : (3, 3) array_like, optional
        Eigenvectors as columns; default fb.resnet.torch's ImageNet matrix
        ``[[-0.5675, 0.7192, 0.4009], [-0.5808, -0.0045, -0.8140],
        [-0.5836, -0.6948, 0.4203]]``.

    Notes
    -----
    Float inputs (Tensors ``(..., 3, H, W)``, float arrays ``(H, W, 3)``) are taken to be
    in [0, 1]; uint8 inputs (arrays, PIL RGB images) get the offset times 255 and are
    rounded and clipped.  :meth:`from_data` computes ``eigval``/``eigvec`` from images.
    """

    IMAGENET_EIGVAL = (0.2175, 0.0188, 0.0045)
    IMAGENET_EIGVEC = ((-0.5675, 0.7192, 0.4009),
                       (-0.5808, -0.0045, -0.8140),
                       (-0.5836, -0.6948, 0.4203))

    def __init__(self, alphastd: float = 0.1, eigval=None, eigvec=None):
        if not isinstance(alphastd, numbers.Real) or alphastd < 0:
            raise ValueError(f"PCALighting: alphastd must be a non-negative number, got "
                             f"{alphastd!r}")
        self.alphastd = float(alphastd)
        self.eigval = np.asarray(self.IMAGENET_EIGVAL if eigval is None else eigval,
                                 np.float64)
        self.eigvec = np.asarray(self.IMAGENET_EIGVEC if eigvec is None else eigvec,
                                 np.float64)
        if self.eigval.shape != (3,):
            raise ValueError(f"PCALighting: eigval must have shape (3,), got "
                             f"{self.eigval.shape}")
        if self.eigvec.shape != (3, 3):
            raise ValueError(f"PCALighting: eigvec must have shape (3, 3), got "
                             f"{self.eigvec.shape}")

    @classmethod
    def from_data(cls, images, alphastd: float = 0.1, chunk: int = 1024) -> "PCALighting":
        """Fit ``eigval``/``eigvec`` to the RGB covariance of ``images``.

        Parameters
        ----------
        images : Tensor ``(N, 3, H, W)`` in [0, 1], or ndarray ``(N, H, W, 3)``
            (uint8 arrays, e.g. ``CIFAR10.data``, are divided by 255).
        alphastd : float
        chunk : int
            Images per step of the (float64) accumulation, to bound memory.

        Returns
        -------
        PCALighting
        """
        fn = "PCALighting.from_data"
        if isinstance(images, Tensor):
            if images.ndim != 4 or images.shape[1] != 3:
                raise ValueError(f"{fn}: a Tensor must have shape (N, 3, H, W), got "
                                 f"{tuple(images.shape)}")
            arr, channel_axis = images._data, 1
        else:
            arr = np.asarray(images)
            if arr.ndim != 4 or arr.shape[-1] != 3:
                raise ValueError(f"{fn}: an array must have shape (N, H, W, 3), got "
                                 f"{arr.shape}")
            channel_axis = 3
        scale = 255.0 if arr.dtype == np.uint8 else 1.0
        count, total, outer = 0, np.zeros(3), np.zeros((3, 3))
        for start in range(0, arr.shape[0], chunk):
            x = np.moveaxis(arr[start:start + chunk], channel_axis, -1).reshape(-1, 3)
            x = x.astype(np.float64) / scale
            count += x.shape[0]
            total += x.sum(axis=0)
            outer += x.T @ x
        if count < 2:
            raise ValueError(f"{fn}: need at least 2 pixels, got {count}")
        mean = total / count
        cov = (outer - count * np.outer(mean, mean)) / (count - 1)
        eigval, eigvec = np.linalg.eigh(cov)  # ascending; symmetric -> orthonormal vectors
        order = np.argsort(eigval)[::-1]
        return cls(alphastd, np.maximum(eigval[order], 0.0), eigvec[:, order])

    def __call__(self, img):
        if self.alphastd == 0:
            return img
        alpha = _rng().normal(0.0, self.alphastd, size=3)
        rgb = self.eigvec @ (alpha * self.eigval)
        if isinstance(img, Tensor):
            if img.ndim < 3 or img.shape[-3] != 3:
                raise ValueError(f"PCALighting: a Tensor image must have shape (..., 3, H, W), "
                                 f"got {tuple(img.shape)}")
            return Tensor._wrap(img._data + rgb.astype(img.dtype).reshape(3, 1, 1))
        pil = isinstance(img, Image.Image)
        arr = np.asarray(img.convert("RGB")) if pil else img
        if not isinstance(arr, np.ndarray) or arr.ndim != 3 or arr.shape[2] != 3:
            raise ValueError(f"PCALighting: img must be an RGB image (H, W, 3), got "
                             f"{getattr(arr, 'shape', type(img).__name__)}")
        if arr.dtype == np.uint8:
            out = np.clip(np.round(arr + 255.0 * rgb), 0, 255).astype(np.uint8)
            return Image.fromarray(out) if pil else out
        return (arr + rgb).astype(arr.dtype)

    def extra_repr(self) -> str:
        return f"alphastd={self.alphastd}"
