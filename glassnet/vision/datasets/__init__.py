"""Standard datasets (torchvision names): Digits (offline, from scikit-learn), MNIST,
FashionMNIST, MNISTDetection (digit scenes with boxes),
CIFAR10, CIFAR100, ImageFolder.

File-based datasets look in ``root``, else ``$GLASSNET_DATA``, else
``~/.cache/glassnet``, and download from their public mirrors with MD5 verification
only when asked (``download=True``).
"""
from __future__ import annotations

from glassnet.vision.datasets._download import (DownloadError, check_integrity, default_root,
                                              download_url, extract_tar)
from glassnet.vision.datasets.cifar import CIFAR10, CIFAR100
from glassnet.vision.datasets.digits import Digits, digits
from glassnet.vision.datasets.folder import (IMG_EXTENSIONS, DatasetFolder, ImageFolder,
                                           pil_loader)
from glassnet.vision.datasets.mnist import MNIST, FashionMNIST, read_idx
from glassnet.vision.datasets.mnist_detection import MNISTDetection, collate_fn
from glassnet.vision.datasets.vision import VisionDataset

__all__ = ["VisionDataset", "Digits", "digits", "MNIST", "FashionMNIST", "MNISTDetection",
           "collate_fn", "CIFAR10",
           "CIFAR100", "DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "pil_loader",
           "read_idx", "download_url", "check_integrity", "extract_tar", "default_root",
           "DownloadError"]
