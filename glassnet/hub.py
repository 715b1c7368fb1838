"""``torch.hub``'s checkpoint cache: download a ``.pth`` once, verify it, read it safely.

Files live where torch keeps them, ``$TORCH_HOME/hub/checkpoints`` (default
``$XDG_CACHE_HOME/torch/hub/checkpoints``, i.e. ``~/.cache/torch/hub/checkpoints``), so
a checkpoint torch already downloaded is reused. Downloads go through
:func:`glassnet.vision.datasets._download.download_url` (a temporary file renamed into
place only when complete); with ``check_hash`` the SHA-256 of the file must start with
the hex digits after the last ``-`` of its name, as in ``resnet18-f37072fd.pth`` (the
torch.hub convention). A file that fails the check is deleted, never cached. Reading
uses :func:`glassnet._pth.load_pth`, which executes nothing from the file.
"""
from __future__ import annotations

import hashlib
import os
import re
import sys
from pathlib import Path
from urllib.parse import urlparse

from glassnet.vision.datasets._download import DownloadError, download_url
from glassnet._pth import load_pth

__all__ = ["get_dir", "download_url_to_file", "load_state_dict_from_url"]

# torch.hub's pattern: the hex digits between a '-' and the next '.' of the file name.
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_CHUNK = 1 << 20


def get_dir() -> Path:
    """torch.hub's cache directory: ``$TORCH_HOME/hub``, by default
    ``$XDG_CACHE_HOME/torch/hub`` (``~/.cache/torch/hub``)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    torch_home = os.environ.get("TORCH_HOME") or os.path.join(cache, "torch")
    return Path(torch_home).expanduser() / "hub"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_url_to_file(url: str, dst, hash_prefix: str | None = None,
                         progress: bool = True, timeout: float = 30.0) -> Path:
    """Download ``url`` to ``dst``, atomically; with ``hash_prefix``, verify its SHA-256.

    Parameters
    ----------
    url : str
        The file's URL.
    dst : str or Path
        Destination; it appears only once the file is complete and verified.
    hash_prefix : str, optional
        Leading hex digits the file's SHA-256 must have.
    progress : bool
        Print one ``Downloading: ...`` line to stderr (no byte-level progress bar).
    timeout : float
        Seconds before a stalled connection is abandoned.

    Raises
    ------
    DownloadError
        If the download fails or the hash does not match (the file is then deleted).
    """
    dst = Path(dst)
    staging = dst.with_name(f".{dst.name}.unverified")
    if progress:
        sys.stderr.write(f'Downloading: "{url}" to {dst}\n')
    try:
        download_url(url, staging, timeout=timeout)
        if hash_prefix is not None:
            digest = _sha256(staging)
            if digest[:len(hash_prefix)] != hash_prefix:
                raise DownloadError(f"download_url_to_file: invalid hash value for {url} "
                                    f"(expected \"{hash_prefix}\", got \"{digest}\"); the "
                                    f"file was deleted")
        os.replace(staging, dst)
    finally:
        if staging.exists():
            staging.unlink()
    return dst


def load_state_dict_from_url(url: str, model_dir=None, map_location=None,
                             progress: bool = True, check_hash: bool = False,
                             file_name: str | None = None, weights_only: bool = True):
    """``torch.hub.load_state_dict_from_url``: the checkpoint at ``url``, cached.

    Parameters
    ----------
    url : str
        URL of a ``torch.save`` file.
    model_dir : str or Path, optional
        Cache directory (default ``get_dir() / "checkpoints"``).
    map_location : None or 'cpu'
        Accepted for torch compatibility; arrays are always read into host memory.
    progress : bool
        Print a line to stderr when downloading.
    check_hash : bool
        Verify the SHA-256 prefix embedded in the file name (``name-<hex>.ext``) after
        downloading.
    file_name : str, optional
        Name of the cached file (default: the URL's last path component).
    weights_only : bool
        Accepted for torch compatibility; reading is always weights-only (no code runs).

    Returns
    -------
    object
        The checkpoint with every tensor as a numpy array (see
        :func:`glassnet._pth.load_pth`).
    """
    if map_location not in (None, "cpu"):
        raise ValueError(f"load_state_dict_from_url: map_location must be None or 'cpu', "
                         f"got {map_location!r}")
    model_dir = Path(model_dir) if model_dir is not None else get_dir() / "checkpoints"
    model_dir.mkdir(parents=True, exist_ok=True)
    filename = file_name or os.path.basename(urlparse(url).path)
    if not filename:
        raise ValueError(f"load_state_dict_from_url: cannot derive a file name from {url!r}; "
                         f"pass file_name=")
    cached_file = model_dir / filename
    if not cached_file.exists():
        match = HASH_REGEX.search(filename) if check_hash else None
        download_url_to_file(url, cached_file, match.group(1) if match else None,
                             progress=progress)
    return load_pth(cached_file)
