"""Image files as uint8 Tensors, with ``torchvision.io``'s names and semantics (on Pillow).

Decoded images are uint8 Tensors ``(C, H, W)``; encoded images and raw file contents are
1-D uint8 Tensors of bytes.  Classical-CV reading into ``(H, W[, C])`` numpy arrays is
:func:`glassnet.cv.read_image`.
"""
from __future__ import annotations

import enum
import io
import os
from pathlib import Path
from typing import Union

import numpy as np

from glassnet.tensor import Tensor

__all__ = ["ImageReadMode", "read_file", "write_file", "decode_image", "decode_png",
           "decode_jpeg", "read_image", "encode_png", "encode_jpeg", "write_png",
           "write_jpeg"]

PathLike = Union[str, os.PathLike]


class ImageReadMode(enum.Enum):
    """How :func:`decode_image` converts the decoded image (torchvision's values).

    ``UNCHANGED`` keeps the file's channels (grey 1, grey+alpha 2, RGB 3, RGBA 4;
    palette images become RGB, or RGBA when they carry transparency), ``GRAY``,
    ``GRAY_ALPHA``, ``RGB`` and ``RGB_ALPHA`` (alias ``RGBA``) convert.  Every function
    taking a ``mode`` also accepts its name as a string (``mode="RGB"``).
    """

    UNCHANGED = 0
    GRAY = 1
    GRAY_ALPHA = 2
    RGB = 3
    RGB_ALPHA = 4
    RGBA = 4  # alias of RGB_ALPHA, as in torchvision


# Pillow mode of each conversion; grey conversion uses Pillow's ITU-R 601-2 luma.
_PIL_MODE = {ImageReadMode.GRAY: "L", ImageReadMode.GRAY_ALPHA: "LA",
             ImageReadMode.RGB: "RGB", ImageReadMode.RGB_ALPHA: "RGBA"}


def _read_mode(mode, fn: str) -> ImageReadMode:
    if isinstance(mode, ImageReadMode):
        return mode
    if isinstance(mode, str) and mode.upper() in ImageReadMode.__members__:
        return ImageReadMode[mode.upper()]
    raise ValueError(f"{fn}: mode must be an ImageReadMode or one of "
                     f"{list(ImageReadMode.__members__)}, got {mode!r}")


def _bytes_tensor(data: bytes) -> Tensor:
    return Tensor._wrap(np.frombuffer(data, np.uint8).copy())


def _encoded_bytes(input, fn: str) -> bytes:  # noqa: A002 (torchvision's name)
    if isinstance(input, (str, os.PathLike)):
        return read_file(input)._data.tobytes()
    if not isinstance(input, Tensor) or input.dtype != np.uint8 or input.ndim != 1:
        got = (f"{input.dtype} Tensor of shape {tuple(input.shape)}"
               if isinstance(input, Tensor) else type(input).__name__)
        raise TypeError(f"{fn}: input must be a 1-D uint8 Tensor of encoded bytes (or a "
                        f"path), got {got}")
    return input._data.tobytes()


def read_file(path: PathLike) -> Tensor:
    """The bytes of a file as a 1-D uint8 Tensor."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"read_file: no such file: {path}")
    return _bytes_tensor(path.read_bytes())


def write_file(filename: PathLike, data: Tensor) -> None:
    """Write a 1-D uint8 Tensor of bytes to ``filename``."""
    if not isinstance(data, Tensor) or data.dtype != np.uint8 or data.ndim != 1:
        raise TypeError(f"write_file: data must be a 1-D uint8 Tensor, got "
                        f"{getattr(data, 'dtype', type(data).__name__)} of shape "
                        f"{tuple(getattr(data, 'shape', ()))}")
    Path(filename).write_bytes(data._data.tobytes())


def _decode(data: bytes, mode, apply_exif_orientation: bool, fn: str, formats=None) -> Tensor:
    from PIL import Image, ImageOps, UnidentifiedImageError

    mode = _read_mode(mode, fn)
    try:
        with Image.open(io.BytesIO(data)) as img:
            if formats is not None and img.format not in formats:
                raise ValueError(f"{fn}: expected a {' or '.join(formats)} image, got "
                                 f"{img.format}")
            img.load()
            if apply_exif_orientation:
                img = ImageOps.exif_transpose(img)
            if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
                raise ValueError(f"{fn}: {img.mode} (16/32-bit) images are not supported; "
                                 f"glassnet.cv.read_image reads them scaled to 8 bits")
            target = _PIL_MODE.get(mode)
            if target is None:  # UNCHANGED
                transparent = "transparency" in img.info
                target = {"L": "L", "LA": "LA", "RGB": "RGB", "RGBA": "RGBA", "1": "L",
                          "PA": "RGBA", "La": "LA", "RGBa": "RGBA"}.get(img.mode)
                if target is None:
                    target = "RGBA" if img.mode == "P" and transparent else "RGB"
                elif target == "L" and transparent:
                    target = "LA"
            arr = np.asarray(img.convert(target), dtype=np.uint8)
    except (UnidentifiedImageError, OSError) as exc:
        raise ValueError(f"{fn}: cannot decode the input as an image ({exc})") from None
    chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    return Tensor._wrap(np.ascontiguousarray(chw))


def decode_image(input, mode=ImageReadMode.UNCHANGED,  # noqa: A002 (torchvision's name)
                 apply_exif_orientation: bool = False) -> Tensor:
    """Decode an encoded image (any format Pillow reads) into a uint8 Tensor.

    Parameters
    ----------
    input : Tensor or str or path-like
        A 1-D uint8 Tensor of the file's bytes, or the path of the file.
    mode : ImageReadMode or str
        Conversion of the decoded image (default: keep its channels).
    apply_exif_orientation : bool
        Rotate/flip the image as its EXIF orientation tag says.

    Returns
    -------
    Tensor
        uint8 ``(C, H, W)``, ``C`` 1 (grey), 2 (grey+alpha), 3 (RGB) or 4 (RGBA).

    Raises
    ------
    TypeError
        If ``input`` is neither a 1-D uint8 Tensor nor a path.
    ValueError
        If the bytes are not an image, or ``mode`` is unknown.

    Examples
    --------
    >>> import glassnet
    >>> png = encode_png(glassnet.zeros(3, 2, 5, dtype=glassnet.uint8))
    >>> tuple(decode_image(png).shape), tuple(decode_image(png, mode="GRAY").shape)
    ((3, 2, 5), (1, 2, 5))
    """
    return _decode(_encoded_bytes(input, "decode_image"), mode, apply_exif_orientation,
                   "decode_image")


def decode_png(input, mode=ImageReadMode.UNCHANGED,  # noqa: A002
               apply_exif_orientation: bool = False) -> Tensor:
    """:func:`decode_image` for PNG bytes only (ValueError for other formats)."""
    return _decode(_encoded_bytes(input, "decode_png"), mode, apply_exif_orientation,
                   "decode_png", formats=("PNG",))


def decode_jpeg(input, mode=ImageReadMode.UNCHANGED, device="cpu",  # noqa: A002
                apply_exif_orientation: bool = False) -> Tensor:
    """:func:`decode_image` for JPEG bytes only (ValueError for other formats)."""
    if str(device) != "cpu":
        raise ValueError(f"decode_jpeg: only device='cpu' is supported, got {device!r}")
    return _decode(_encoded_bytes(input, "decode_jpeg"), mode, apply_exif_orientation,
                   "decode_jpeg", formats=("JPEG", "MPO"))


def read_image(path: PathLike, mode=ImageReadMode.UNCHANGED,
               apply_exif_orientation: bool = False) -> Tensor:
    """Read an image file into a uint8 Tensor ``(C, H, W)`` (``torchvision.io.read_image``).

    Parameters and result as :func:`decode_image`, which it calls on the file's bytes.

    Shape
    -----
    - output: ``(C, H, W)``; ``C`` 1, 2, 3 or 4 as ``mode`` and the file say.

    Examples
    --------
    >>> import os, tempfile
    >>> import glassnet
    >>> path = os.path.join(tempfile.mkdtemp(), "a.png")
    >>> write_png(glassnet.full((1, 2, 3), 7, dtype=glassnet.uint8), path)
    >>> img = read_image(path)
    >>> tuple(img.shape), img.dtype, int(img[0, 1, 2])
    ((1, 2, 3), dtype('uint8'), 7)
    """
    return _decode(read_file(path)._data.tobytes(), mode, apply_exif_orientation,
                   "read_image")


def _image_for_encoding(input, fn: str):  # noqa: A002
    from PIL import Image

    if not isinstance(input, Tensor) or input.dtype != np.uint8:
        got = input.dtype if isinstance(input, Tensor) else type(input).__name__
        raise TypeError(f"{fn}: input must be a uint8 Tensor (C, H, W), got {got}")
    if input.ndim != 3 or input.shape[0] not in (1, 3):
        raise ValueError(f"{fn}: input must have shape (C, H, W) with 1 or 3 channels, got "
                         f"{tuple(input.shape)}")
    arr = input._data
    return Image.fromarray(np.ascontiguousarray(arr[0] if arr.shape[0] == 1
                                                else arr.transpose(1, 2, 0)))


def encode_png(input: Tensor, compression_level: int = 6) -> Tensor:  # noqa: A002
    """PNG bytes (1-D uint8 Tensor) of a uint8 ``(C, H, W)`` image, ``C`` 1 or 3.

    ``compression_level`` is zlib's, 0 (none) to 9 (smallest); PNG is lossless.
    """
    fn = "encode_png"
    if not isinstance(compression_level, int) or not 0 <= compression_level <= 9:
        raise ValueError(f"{fn}: compression_level must be an int between 0 and 9, got "
                         f"{compression_level!r}")
    buf = io.BytesIO()
    _image_for_encoding(input, fn).save(buf, format="PNG", compress_level=compression_level)
    return _bytes_tensor(buf.getvalue())


def encode_jpeg(input, quality: int = 75):  # noqa: A002
    """JPEG bytes (1-D uint8 Tensor) of a uint8 ``(C, H, W)`` image, ``C`` 1 or 3.

    ``input`` may be a list of images; the result is then a list.  ``quality`` is
    libjpeg's, 1 to 100.
    """
    fn = "encode_jpeg"
    if not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ValueError(f"{fn}: quality must be an int between 1 and 100, got {quality!r}")
    if isinstance(input, (list, tuple)):
        return [encode_jpeg(img, quality) for img in input]
    buf = io.BytesIO()
    _image_for_encoding(input, fn).save(buf, format="JPEG", quality=quality)
    return _bytes_tensor(buf.getvalue())


def write_png(input: Tensor, filename: PathLike, compression_level: int = 6) -> None:  # noqa
    """Write a uint8 ``(C, H, W)`` image to ``filename`` as PNG (:func:`encode_png`)."""
    write_file(filename, encode_png(input, compression_level))


def write_jpeg(input: Tensor, filename: PathLike, quality: int = 75) -> None:  # noqa: A002
    """Write a uint8 ``(C, H, W)`` image to ``filename`` as JPEG (:func:`encode_jpeg`)."""
    write_file(filename, encode_jpeg(input, quality))
