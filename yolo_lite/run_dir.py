"""Where a command writes its results: the directory the user names, else a new one, as Ultralytics' runs are.

Examples:
    >>> from yolo_lite.run_dir import run_dir
    >>> run_dir("docs/benchmark", "runs/benchmark")  # named: used as given
    PosixPath('docs/benchmark')
    >>> run_dir(None, "runs/benchmark")  # doctest: +SKIP
    PosixPath('runs/benchmark-2')
"""

from __future__ import annotations

from pathlib import Path

from ultralytics.utils.files import increment_path

__all__ = ["run_dir"]


def run_dir(out_dir: str | Path | None, default: str | Path, exist_ok: bool = False) -> Path:
    """Return the results directory: ``out_dir`` if the user named one, else ``default`` if it does not exist yet (or
    ``exist_ok``), else the next free numbered sibling (Ultralytics' ``increment_path``: ``runs/benchmark-2``, ...).

    Nothing a user made is replaced unless they name the directory or pass ``exist_ok``.

    Args:
        out_dir (str | Path | None): The directory the user named; None picks one.
        default (str | Path): The command's default directory, e.g. ``runs/benchmark``.
        exist_ok (bool): Reuse ``default`` even if it exists (its files are overwritten).

    Returns:
        (Path): The directory, not created yet.
    """
    return Path(out_dir) if out_dir is not None else increment_path(Path(default), exist_ok=exist_ok)
