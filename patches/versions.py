"""The Ultralytics and timm releases yolo-lite supports, checked before anything is patched.

The wrappers delegate to Ultralytics' own functions, so they depend on those functions' names and signatures, which
change between releases. :func:`check_versions` turns an installed release outside the tested range into one
``ImportError`` that names the release, the range and the command that fixes it, instead of a traceback from deep
inside Ultralytics at the first forward pass. ``tools/check_versions.py`` runs the smoke test that backs
:data:`ULTRALYTICS` on its oldest and newest release.
"""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

__all__ = ["TIMM", "ULTRALYTICS", "check_versions", "release", "requirement"]

# (lowest supported, first unsupported): the same ranges as pyproject.toml's dependencies
ULTRALYTICS = ("8.3.0", "9")  # YOLO11 arrived in 8.3.0
TIMM = ("1.0.16", None)  # timm.models.starnet and timm.models.fasternet arrived in 1.0.16


def release(version: str) -> tuple[int, ...]:
    """Return the numeric release of a version string: ``"8.4.0.dev1"`` -> ``(8, 4, 0)``.

    Args:
        version (str): A PEP 440 version such as ``__version__`` holds.

    Returns:
        (tuple[int, ...]): Its leading dot-separated integers.

    Raises:
        ValueError: The string does not start with a number.

    Examples:
        >>> release("8.3.59")
        (8, 3, 59)
        >>> release("1.0.16.dev0") >= release("1.0.16")
        True
    """
    match = re.match(r"\d+(\.\d+)*", version.strip())
    if not match:
        raise ValueError(f"cannot read a release number from version {version!r}")
    return tuple(int(part) for part in match.group().split("."))


def requirement(name: str, supported: tuple[str, str | None]) -> str:
    """Return the pip requirement for a supported range, e.g. ``ultralytics>=8.3.0,<9``.

    Examples:
        >>> requirement("timm", ("1.0.16", None))
        'timm>=1.0.16'
    """
    low, high = supported
    return f"{name}>={low}" + (f",<{high}" if high else "")


def _check(name: str, version: str, location: str, supported: tuple[str, str | None]) -> None:
    """Raise an ImportError unless ``version`` of ``name`` lies in ``supported``."""
    low, high = supported
    if release(low) <= release(version) and (high is None or release(version) < release(high)):
        return
    spec = requirement(name, supported)
    raise ImportError(
        f"yolo-lite supports {spec}, but {name} {version} is installed ({location}). "
        f'Install a supported release: pip install "{spec}"'
    )


def check_versions(ultralytics_version: str | None = None, timm_version: str | None = None) -> None:
    """Raise an ImportError if the installed Ultralytics or timm is outside the supported range.

    An imported Ultralytics is checked by its ``__version__``; one not imported yet (``import yolo_lite`` before
    Ultralytics) and timm by their package metadata, so neither is imported here (timm loads only when a YAML names
    a backbone).

    Args:
        ultralytics_version (str | None): The version to check instead of the installed one (for tests).
        timm_version (str | None): The version to check instead of the installed one (for tests).

    Raises:
        ImportError: A release outside :data:`ULTRALYTICS` or :data:`TIMM`, with the pip command that fixes it.

    Examples:
        >>> check_versions()  # the installed releases are supported
        >>> try:
        ...     check_versions(ultralytics_version="8.2.103")
        ... except ImportError as e:
        ...     print(str(e).split(": ")[-1])
        pip install "ultralytics>=8.3.0,<9"
    """
    module = sys.modules.get("ultralytics")
    if module is not None:
        version, location = module.__version__, str(Path(module.__file__).parent)
    else:
        version, location = _installed("ultralytics", ULTRALYTICS)
    _check("ultralytics", ultralytics_version or version, location, ULTRALYTICS)
    version, location = _installed("timm", TIMM)
    _check("timm", timm_version or version, location, TIMM)


def _installed(name: str, supported: tuple[str, str | None]) -> tuple[str, str]:
    """Return the version and location of the installed distribution ``name``, read from its metadata."""
    try:
        dist = metadata.distribution(name)
    except metadata.PackageNotFoundError:
        raise ImportError(f'yolo-lite needs {name}: pip install "{requirement(name, supported)}"') from None
    return dist.version, str(dist.locate_file(name))
