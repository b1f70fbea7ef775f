"""Fetching weight files: fail fast offline, check what arrives, never keep a partial or altered file.

- **Offline is known before any request.** ``HF_HUB_OFFLINE`` (Hugging Face's switch) or ``YOLO_OFFLINE``
  (Ultralytics') set, or the host refusing a TCP connection within :data:`PROBE_TIMEOUT` seconds, is reported at once
  (:func:`offline_reason`) instead of after the Hub client's five retries or a socket's minutes-long timeout.
- **Downloads are checked before they count.** :func:`download` streams a URL into ``<file>.partial`` beside the
  target, hashing as it goes, and renames it only when the byte count matches ``Content-Length`` and the SHA-256 its
  pin; otherwise the partial file is removed and a :class:`WeightsUnavailable` says why.
- **Pins.** A URL may carry its file's SHA-256 as pip writes it, ``https://host/file.pth#sha256=<hex>``
  (:func:`split_pin`); files from the Hugging Face Hub are checked against the SHA-256 the Hub lists for them (the name
  of the cached blob). A file with nothing published to check against is hashed when it arrives; the hash goes into
  ``<file>.sha256`` beside it, every later use is checked against that, and the model records it.
- **Hashes once.** :func:`sha256` memoizes by path, size and modification time.

Examples:
    >>> split_pin("https://host/w.pth#sha256=" + "0" * 64)
    ('https://host/w.pth', '0000000000000000000000000000000000000000000000000000000000000000')
"""

from __future__ import annotations

import functools
import hashlib
import http.client
import os
import re
import socket
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

from ultralytics.utils import LOGGER, TQDM

__all__ = [
    "PROBE_TIMEOUT",
    "READ_TIMEOUT",
    "WeightsUnavailable",
    "check_file",
    "download",
    "offline_reason",
    "remove_files",
    "sha256",
    "split_pin",
]

PROBE_TIMEOUT = 3.0  # seconds a host has to accept a connection before it counts as unreachable
READ_TIMEOUT = 30.0  # seconds a started download may stall
CHUNK = 1 << 20
PIN = re.compile(r"#sha256=([0-9a-fA-F]{64})$")


class WeightsUnavailable(ValueError):
    """Weights that cannot be had now: offline and not cached, or a download that was incomplete or altered.

    Attributes:
        url (str): Where the file can be downloaded by hand.
    """

    def __init__(self, message: str, url: str):
        super().__init__(message)
        self.url = url


def split_pin(source: str) -> tuple[str, str | None]:
    """Split ``url#sha256=<hex>`` into the URL and its pinned SHA-256 (lower case); None if it has no pin."""
    found = PIN.search(source)
    return (source[: found.start()], found.group(1).lower()) if found else (source, None)


@functools.lru_cache(maxsize=64)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    """SHA-256 of a file; the size and modification time make a changed file hash again."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256(path: str | Path) -> str:
    """Return the SHA-256 of the file at ``path`` as hex, computed once per process while the file is unchanged."""
    stat = Path(path).stat()
    return _digest(str(Path(path).resolve()), stat.st_size, stat.st_mtime_ns)


def offline_reason(url: str) -> str | None:
    """Return why ``url``'s host cannot be reached now, or None if it accepts a connection (``file://``: always).

    Args:
        url (str): An ``http(s)://`` or ``file://`` URL.

    Returns:
        (str | None): ``"HF_HUB_OFFLINE is set"``, ``"YOLO_OFFLINE is set"``, or what the connection attempt met.
    """
    from huggingface_hub import constants

    for name, on in (("HF_HUB_OFFLINE", constants.HF_HUB_OFFLINE), ("YOLO_OFFLINE", os.environ.get("YOLO_OFFLINE"))):
        if on and str(on).lower() not in ("0", "false"):
            return f"{name} is set"
    parts = urlparse(url)
    if parts.scheme == "file":
        return None
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        socket.create_connection((parts.hostname, port), timeout=PROBE_TIMEOUT).close()
    except socket.timeout:  # TimeoutError from Python 3.10 on
        return f"{parts.hostname}:{port} did not answer within {PROBE_TIMEOUT:g} s"
    except OSError as e:
        return f"{parts.hostname}:{port} is unreachable ({e.strerror or e})"
    return None


def remove_files(*paths: Path) -> None:
    """Delete those of ``paths`` that exist (links included; a path given twice is fine)."""
    for path in dict.fromkeys(paths):
        if path.is_symlink() or path.exists():
            path.unlink()


def check_file(
    path: Path, expected: str | None, what: str, url: str, expected_from: str = "its pin", remember: bool = True
) -> str:
    """Return ``path``'s SHA-256 after checking it against ``expected`` (else the ``.sha256`` written beside it).

    With ``remember``, a file without either gets a ``.sha256`` now, so later uses are checked against this one. A
    mismatch removes the file (and its ``.sha256``) and raises.

    Args:
        path (Path): The cached file.
        expected (str | None): Its pinned or published SHA-256, if any.
        what (str): What the file is, for messages (``"the ImageNet weights of starnet_s1"``).
        url (str): Where it comes from, for messages.
        expected_from (str): Who gave ``expected``, for messages (``"its pin"``, ``"the Hub's"``).
        remember (bool): Write the ``.sha256`` of a file with nothing to check against (off for caches that are not
            ours to add files to).

    Returns:
        (str): The file's SHA-256.

    Raises:
        WeightsUnavailable: The file's SHA-256 is not the expected one; the file is gone.
    """
    digest, record = sha256(path), path.with_name(path.name + ".sha256")
    known = expected or (record.read_text().split()[0] if record.is_file() else None)
    if known and digest != known:
        remove_files(path, record)
        raise WeightsUnavailable(
            f"{path} ({what}) has SHA-256 {digest}, not {known} "
            f"({expected_from if expected else 'as when it arrived'}): "
            f"it is corrupt, truncated or another file, so it was removed. Run again to download it anew from {url}",
            url,
        )
    if remember and not expected and not record.is_file():
        record.write_text(f"{digest}  {path.name}\n")
    return digest


def download(url: str, target: Path, expected: str | None, what: str) -> str:
    """Download ``url`` to ``target`` through ``<target>.partial``; return its SHA-256.

    Args:
        url (str): An ``http(s)://`` or ``file://`` URL (without its ``#sha256=`` pin).
        target (Path): Where the complete file goes.
        expected (str | None): The SHA-256 it must have, if pinned or published.
        what (str): What the file is, for messages.

    Returns:
        (str): The downloaded file's SHA-256 (also written to ``<target>.sha256`` when nothing was pinned).

    Raises:
        WeightsUnavailable: The download failed, stopped short of its ``Content-Length`` or has another SHA-256;
            nothing is left behind.
    """
    partial = target.with_name(target.name + ".partial")
    target.parent.mkdir(parents=True, exist_ok=True)
    digest, received = hashlib.sha256(), 0
    try:
        with urllib.request.urlopen(url, timeout=READ_TIMEOUT) as response, open(partial, "wb") as f:
            size = int(response.headers.get("Content-Length") or 0) or None
            with TQDM(total=size, unit="B", unit_scale=True, desc=f"yolo-lite: downloading {target.name}") as bar:
                while chunk := response.read(CHUNK):
                    f.write(chunk)
                    digest.update(chunk)
                    received += len(chunk)
                    bar.update(len(chunk))
        if size is not None and received != size:
            raise WeightsUnavailable(f"the download of {url} stopped at {received} of {size} bytes", url)
        if expected and digest.hexdigest() != expected:
            raise WeightsUnavailable(f"{url} has SHA-256 {digest.hexdigest()}, not the pinned {expected}", url)
    except WeightsUnavailable as e:
        remove_files(partial)
        raise WeightsUnavailable(f"{e}; nothing was kept. Run again, or download {what} by hand", url) from None
    except (OSError, ValueError, http.client.HTTPException) as e:  # URLError, HTTPError: OSErrors; IncompleteRead
        remove_files(partial)
        raise WeightsUnavailable(f"could not download {what} from {url} ({type(e).__name__}: {e})", url) from None
    partial.replace(target)
    if not expected:
        target.with_name(target.name + ".sha256").write_text(f"{digest.hexdigest()}  {target.name}\n")
    LOGGER.info(
        f"yolo-lite: downloaded {what} to {target}, SHA-256 {digest.hexdigest()} "
        + ("(pinned)" if expected else "(nothing published to check it against; recorded beside it and in the model)")
    )
    return digest.hexdigest()
