"""Downloading and unpacking dataset files: mirrors, checksums, atomic writes, safe tar.

Nothing here runs at import time or without an explicit ``download=True``.
"""
from __future__ import annotations

import gzip
import hashlib
import http.client
import lzma
import os
import tarfile
import tempfile
import urllib.error
import urllib.request
import zlib
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
    """Stream ``url`` into ``dest`` (a temporary file); a response shorter (or longer)
    than its Content-Length raises ValueError, so that a dropped connection is never
    taken for the whole file when there is no checksum to catch it."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response, open(dest, "wb") as f:
        announced = response.headers.get("Content-Length")
        received = 0
        for chunk in iter(lambda: response.read(_CHUNK), b""):
            f.write(chunk)
            received += len(chunk)
    if announced is not None and announced.strip().isdigit() \
            and received != int(announced):
        raise ValueError(f"truncated response: received {received} bytes, Content-Length "
                         f"announced {int(announced)}")


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
        except (urllib.error.URLError, OSError, ValueError,
                http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            errors.append(f"{url}: {type(exc).__name__}: {reason}")
        finally:
            if tmp.exists():
                tmp.unlink()
    raise DownloadError(f"download_url: could not download {path.name}:\n  "
                        + "\n  ".join(errors))


_MAX_LINK_HOPS = 40  # as the kernel's ELOOP limit


class _ArchiveTree:
    """The destination folder as extraction would leave it, member by member, without
    writing anything: resolves paths through the links created by earlier members (and
    links already on disk) so that a chain such as ``a -> .``, ``a/b -> ..``,
    ``a/b/x.txt`` is seen for what it is."""

    def __init__(self, dest: Path, archive):
        self.dest = dest
        self.real_dest = dest.resolve()
        self.archive = archive
        self.links = {}  # relative path (tuple of parts) -> link target (str)
        self.members = set()  # relative paths of non-link members so far

    def resolve(self, parts, what: str, follow_last: bool = True):
        """Parts relative to ``dest`` of where ``parts`` lands, following links; raises
        ValueError if it leaves ``dest``."""
        todo = list(parts)
        stack = []
        hops = 0
        while todo:
            part = todo.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if not stack:
                    raise ValueError(f"extract_tar: {what} leads outside the destination in "
                                     f"{self.archive}")
                stack.pop()
                continue
            stack.append(part)
            if not todo and not follow_last:
                break
            target = self._link(tuple(stack))
            if target is None:
                continue
            hops += 1
            if hops > _MAX_LINK_HOPS:
                raise ValueError(f"extract_tar: {what} follows more than {_MAX_LINK_HOPS} "
                                 f"links in {self.archive}")
            stack.pop()
            if os.path.isabs(target):
                rel = _relative_inside(self.real_dest, Path(target).resolve())
                if rel is None:
                    raise ValueError(f"extract_tar: {what} leads outside the destination "
                                     f"through the link {'/'.join(stack)!r} -> {target!r} "
                                     f"in {self.archive}")
                stack = list(rel)
                continue
            todo = list(Path(target).parts) + todo
        return tuple(stack)

    def _link(self, rel):
        if rel in self.links:
            return self.links[rel]
        if rel in self.members:
            return None
        on_disk = self.dest.joinpath(*rel)
        if on_disk.is_symlink():
            return os.readlink(on_disk)
        return None

    def add(self, m) -> None:
        name = m.name
        parts = Path(name).parts
        if not parts or os.path.isabs(name) or ".." in parts:
            raise ValueError(f"extract_tar: unsafe path {name!r} in {self.archive}")
        if m.isdev() or m.isfifo():
            raise ValueError(f"extract_tar: refusing device/FIFO member {name!r} in "
                             f"{self.archive}")
        if not (m.isfile() or m.isdir() or m.issym() or m.islnk()):
            raise ValueError(f"extract_tar: refusing member {name!r} of unknown type "
                             f"{m.type!r} in {self.archive}")
        parent = self.resolve(parts[:-1], f"member {name!r}")
        # a link member replaces what is there; any other member writes through it
        where = self.resolve(parent + parts[-1:], f"member {name!r}",
                             follow_last=not m.issym())
        if m.issym():
            if os.path.isabs(m.linkname):
                raise ValueError(f"extract_tar: link {name!r} -> {m.linkname!r} is absolute "
                                 f"in {self.archive}")
            self.resolve(parent + Path(m.linkname).parts,
                         f"link {name!r} -> {m.linkname!r}")
            self.links[where] = m.linkname
            self.members.discard(where)
        else:
            if m.islnk():
                if os.path.isabs(m.linkname):
                    raise ValueError(f"extract_tar: hard link {name!r} -> {m.linkname!r} is "
                                     f"absolute in {self.archive}")
                self.resolve(Path(m.linkname).parts,
                             f"hard link {name!r} -> {m.linkname!r}")
            self.links.pop(where, None)
            self.members.add(where)


def _relative_inside(base: Path, target: Path):
    try:
        return target.relative_to(base).parts
    except ValueError:
        return None


def extract_tar(archive, dest) -> Path:
    """Extract a (possibly compressed) tar archive into ``dest``, refusing unsafe members.

    Every member is checked, in archive order and through the links that earlier members
    (or files already in ``dest``) create, before anything is written: absolute paths,
    ``..`` components, paths or links that lead outside ``dest`` (directly or through a
    chain of links), and device, FIFO or unknown members raise ``ValueError``
    (CVE-2007-4559). On Pythons with tar filters the ``'data'`` filter is applied as well.

    Returns
    -------
    Path
        ``dest``.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    try:
        tar = tarfile.open(archive, "r:*")
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise ValueError(f"extract_tar: cannot read the tar archive {archive}: "
                         f"{type(exc).__name__}: {exc}") from exc
    with tar:
        try:
            members = tar.getmembers()
        except (tarfile.TarError, EOFError, OSError) as exc:
            raise ValueError(f"extract_tar: corrupt tar archive {archive}: "
                             f"{type(exc).__name__}: {exc}") from exc
        tree = _ArchiveTree(dest, archive)
        for m in members:
            tree.add(m)
        try:
            if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 (and 3.10.12+): also
                tar.extractall(dest, members=members, filter="data")
            else:
                tar.extractall(dest, members=members)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile,
                lzma.LZMAError) as exc:  # member data cut short or damaged
            raise ValueError(f"extract_tar: corrupt tar archive {archive}: "
                             f"{type(exc).__name__}: {exc}") from exc
    return dest

