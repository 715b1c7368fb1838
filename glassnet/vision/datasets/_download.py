"""Downloading and unpacking dataset files: mirrors, checksums, atomic writes, safe tar.

Nothing here runs at import time or without an explicit ``download=True``.
"""
from __future__ import annotations

import gzip
import hashlib
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["default_root", "calculate_md5", "check_integrity", "download_url",
           "extract_tar", "DownloadError"]

_USER_AGENT = "glassnet"
_CHUNK = 1 << 20


class DownloadError(RuntimeError):
    """A file could not be fetched from any mirror, or failed its checksum."""


def default_root() -> Path:
    """Where datasets live when no ``root`` is given.

    ``$GLASSNET_DATA`` if set, else ``$XDG_CACHE_HOME/glassnet`` (default
    ``~/.cache/glassnet``).
    """
    env = os.environ.get("GLASSNET_DATA")
    if env:
        return Path(env).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(cache).expanduser() / "glassnet"


def calculate_md5(path, gunzip: bool = False) -> str:
    """MD5 hex digest of a file (of its decompressed content if ``gunzip``)."""
    md5 = hashlib.md5(usedforsecurity=False)
    opener = gzip.open if gunzip else open
    with opener(path, "rb") as f:
        for chunk in iter(lambda: f.read(_CHUNK), b""):
            md5.update(chunk)
    return md5.hexdigest()


def check_integrity(path, md5: str | None = None, gunzip_md5: str | None = None) -> bool:
    """Whether ``path`` exists and matches ``md5`` or, decompressed, ``gunzip_md5``.

    With neither checksum, only existence is checked.
    """
    path = Path(path)
    if not path.is_file():
        return False
    if md5 is None and gunzip_md5 is None:
        return True
    if md5 is not None and calculate_md5(path) == md5:
        return True
    if gunzip_md5 is not None:
        try:
            return calculate_md5(path, gunzip=True) == gunzip_md5
        except (OSError, EOFError, gzip.BadGzipFile):
            return False
    return False


def _fetch(url: str, dest: Path, timeout: float) -> None:
    """Stream ``url`` into ``dest`` (a temporary file)."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as f:
        for chunk in iter(lambda: response.read(_CHUNK), b""):
            f.write(chunk)


def download_url(urls, path, md5: str | None = None, timeout: float = 30.0,
                 gunzip_md5: str | None = None) -> Path:
    """Download a file, trying mirrors in order, and verify its checksum.

    The file is written to a temporary file beside ``path`` and renamed into place
    only once it is complete and verified, so ``path`` is never left half-written.

    Parameters
    ----------
    urls : str or sequence of str
        Full URLs of the same file, tried in order until one succeeds.
    path : str or Path
        Destination file; its directory is created.
    md5 : str, optional
        Expected MD5 of the file.
    timeout : float
        Seconds before a stalled connection is abandoned.
    gunzip_md5 : str, optional
        Expected MD5 of the gzip file's decompressed content, accepted in place of
        ``md5``: gzip headers carry a timestamp, so a mirror that recompressed the same
        data has another ``md5`` but the same ``gunzip_md5``.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    DownloadError
        If no mirror delivered a file with the right checksum; the message lists every
        URL tried and why it failed.
    """
    urls = [urls] if isinstance(urls, str) else list(urls)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    errors = []
    for url in urls:
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part",
                                        dir=path.parent)
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            _fetch(url, tmp, timeout)
            if (md5 or gunzip_md5) and not check_integrity(tmp, md5, gunzip_md5):
                got = calculate_md5(tmp)
                errors.append(f"{url}: checksum mismatch (MD5 {got}, expected {md5}"
                              + (f" or content MD5 {gunzip_md5}" if gunzip_md5 else "") + ")")
                continue
            os.replace(tmp, path)
            return path
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            errors.append(f"{url}: {type(exc).__name__}: {reason}")
        finally:
            if tmp.exists():
                tmp.unlink()
    raise DownloadError(f"download_url: could not download {path.name}:\n  "
                        + "\n  ".join(errors))


def _is_within(base: Path, target: Path) -> bool:
    base = base.resolve()
    try:
        target.resolve().relative_to(base)
    except ValueError:
        return False
    return True


def extract_tar(archive, dest) -> Path:
    """Extract a (possibly compressed) tar archive into ``dest``, refusing unsafe members.

    Absolute paths, ``..`` components, links pointing outside ``dest`` and device or
    FIFO members raise ``ValueError`` before anything is written (CVE-2007-4559).

    Returns
    -------
    Path
        ``dest``.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:*") as tar:
        members = tar.getmembers()
        for m in members:
            name = m.name
            if os.path.isabs(name) or ".." in Path(name).parts or not _is_within(dest,
                                                                                dest / name):
                raise ValueError(f"extract_tar: unsafe path {name!r} in {archive}")
            if m.isdev() or m.isfifo():
                raise ValueError(f"extract_tar: refusing device/FIFO member {name!r} in "
                                 f"{archive}")
            if m.issym() or m.islnk():
                link = (dest / name).parent / m.linkname if m.issym() else dest / m.linkname
                if os.path.isabs(m.linkname) or not _is_within(dest, link):
                    raise ValueError(f"extract_tar: link {name!r} -> {m.linkname!r} points "
                                     f"outside the destination in {archive}")
        if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4: belt and braces
            tar.extractall(dest, members=members, filter="data")
        else:  # pragma: no cover - older Pythons
            tar.extractall(dest, members=members)
    return dest
