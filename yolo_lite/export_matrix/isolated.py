"""Exports whose converters clash with the pinned environment: their requirements in a folder, the export in a process.

A format with ``isolated`` requirements (:class:`~yolo_lite.export_matrix.formats.ExportFormat`) is exported and
compared by a subprocess of the same interpreter whose ``PYTHONPATH`` starts with a folder holding those requirements
and whatever else they need (:func:`install_converter`), the way ``tools/check_versions.py`` runs Ultralytics
releases. The folder gets only what the environment lacks or has at another version, as ``pip`` resolves it against
the installed packages; torch, torchvision and Ultralytics are held at their installed versions (:data:`KEEP`), so the
export runs on the same torch as every other row. Nothing in the environment itself changes. The folder is installed
once (PyPI access needed then), under :func:`default_cache`, and reused by later runs.

The subprocess (``python -m yolo_lite.export_matrix.isolated``) runs
:func:`~yolo_lite.export_matrix.compare.export_and_compare` against the reference outputs of the calling process and
writes the matrix row as JSON.

Examples:
    >>> folder = install_converter(get_format("litert"))  # doctest: +SKIP
    >>> row = check_isolated(checkpoint, image, get_format("litert"), reference, work_dir)  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from importlib import metadata
from pathlib import Path

import numpy as np
from ultralytics.utils import LOGGER

from .compare import Outputs, export_and_compare, new_row, package_versions
from .formats import ExportFormat, get_format

__all__ = [
    "KEEP",
    "check_isolated",
    "converter_dir",
    "default_cache",
    "install_converter",
    "isolated_command",
    "isolated_env",
    "resolve",
]

KEEP = ("torch", "torchvision", "ultralytics")  # held at their installed versions (if any) when a converter resolves
RESOLVED = "requirements.txt"  # written last into a converter folder: what it holds, and that it is complete
TIMEOUT = 1800  # seconds an isolated export and comparison may take (about a minute per model on 2 CPU cores)


def default_cache() -> Path:
    """Return where converters are installed: ``$XDG_CACHE_HOME/yolo-lite/converters`` (``~/.cache`` by default)."""
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "yolo-lite" / "converters"


def converter_dir(fmt: ExportFormat, cache: Path | None = None) -> Path:
    """Return the folder of ``fmt``'s converter: named by its requirements, the Python and the torch it resolves for.

    Examples:
        >>> converter_dir(get_format("coreml"), Path("cache")).name  # doctest: +SKIP
        'coreml-coremltools-9.0-numpy-2.3.5-py3.11-torch-2.14.1'
    """
    if not fmt.isolated:
        raise ValueError(f"export matrix: format {fmt.key!r} has no isolated requirements; it runs in this process")
    parts = [fmt.key, *(r.replace("==", "-") for r in fmt.isolated)]
    parts += [f"py{sys.version_info.major}.{sys.version_info.minor}", f"torch-{metadata.version('torch')}"]
    return Path(cache or default_cache()) / "-".join(parts)


def _pip(*args: str) -> None:
    """Run ``python -m pip`` of this interpreter; raise a RuntimeError with pip's last words if it fails."""
    result = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True)
    if result.returncode:
        said = [line for line in result.stderr.splitlines() if line.startswith("ERROR")] or result.stderr.splitlines()
        raise RuntimeError(f"pip {args[0]} failed: {' '.join(said[-3:]) or f'exit code {result.returncode}'}")


def resolve(requirements: tuple[str, ...] | list[str]) -> list[str]:
    """Return what ``pip install requirements`` would install into this environment, as ``name==version``.

    ``pip``'s resolver keeps every installed package that satisfies the requirements, so the list holds only what is
    missing or needed at another version; :data:`KEEP` are held at their installed versions (a requirement that
    needs another torch fails to resolve instead of bringing one). Nothing is installed.

    Args:
        requirements (tuple[str, ...] | list[str]): Requirement strings, e.g. ``("coremltools==9.0",)``.

    Returns:
        (list[str]): The distributions to install, in pip's order.

    Raises:
        RuntimeError: pip cannot resolve them (its error in the message).
    """
    with tempfile.TemporaryDirectory(prefix="yolo-lite-resolve-") as tmp:
        keep, report = Path(tmp) / "keep.txt", Path(tmp) / "report.json"
        keep.write_text("".join(f"{name}=={version}\n" for name, version in package_versions(KEEP).items() if version))
        _pip("install", "--dry-run", "--quiet", "--report", str(report), "--constraint", str(keep), *requirements)
        installs = json.loads(report.read_text())["install"]
    return [f"{item['metadata']['name']}=={item['metadata']['version']}" for item in installs]


def install_converter(fmt: ExportFormat, cache: Path | None = None) -> Path:
    """Install ``fmt``'s isolated requirements into :func:`converter_dir` unless done already; return the folder.

    Resolves them against this environment (:func:`resolve`) and installs the result without dependencies into a
    temporary folder, which becomes the converter folder only once complete (with the list in ``requirements.txt``).

    Args:
        fmt (ExportFormat): A format with ``isolated`` requirements.
        cache (Path | None): Parent folder; None: :func:`default_cache`.

    Returns:
        (Path): The folder to put first on ``PYTHONPATH``.

    Raises:
        RuntimeError: pip fails (no index reachable, no matching release); the message says which step.
    """
    folder = converter_dir(fmt, cache)
    if (folder / RESOLVED).is_file():
        return folder
    LOGGER.info(f"yolo-lite export-matrix: installing {', '.join(fmt.isolated)} into {folder}")
    distributions = resolve(fmt.isolated)
    pending = folder.with_name(f"{folder.name}.partial")
    shutil.rmtree(pending, ignore_errors=True)
    pending.mkdir(parents=True)
    try:
        if distributions:
            _pip("install", "--quiet", "--no-deps", "--target", str(pending), *distributions)
        (pending / RESOLVED).write_text("".join(f"{d}\n" for d in distributions))
    except BaseException:
        shutil.rmtree(pending, ignore_errors=True)
        raise
    shutil.rmtree(folder, ignore_errors=True)
    pending.rename(folder)
    return folder


def isolated_env(folder: Path) -> dict[str, str]:
    """Return this process's environment with ``folder`` first on ``PYTHONPATH``.

    Examples:
        >>> isolated_env(Path("/cache/litert"))["PYTHONPATH"].split(os.pathsep)[0]
        '/cache/litert'
    """
    path = os.pathsep.join([str(folder), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**os.environ, "PYTHONPATH": path}


def isolated_command(checkpoint: Path, fmt: ExportFormat, imgsz: int, work_dir: Path, run_dir: Path) -> list[str]:
    """Return the command that exports ``checkpoint`` to ``fmt`` in ``work_dir`` and compares it.

    ``run_dir`` holds the inputs (``image.npy``, ``reference.npz``) and gets the row (``row.json``).

    Examples:
        >>> isolated_command(Path("m.pt"), get_format("litert"), 64, Path("w"), Path("w/litert-isolated"))[1:5]
        ['-m', 'yolo_lite.export_matrix.isolated', 'm.pt', 'litert']
    """
    options = ["--imgsz", str(imgsz), "--work-dir", str(work_dir), "--run-dir", str(run_dir)]
    return [sys.executable, "-m", __name__, str(checkpoint), fmt.key, *options]


def _save_outputs(outputs: Outputs, path: Path) -> None:
    """Write ``outputs`` to an ``.npz`` file (:func:`_load_outputs` reads it)."""
    wide = {} if outputs.raw_wide is None else dict(raw_wide=outputs.raw_wide)
    np.savez(path, raw=outputs.raw, detections=outputs.detections, precision=outputs.precision, **wide)


def _load_outputs(path: Path) -> Outputs:
    """Read what :func:`_save_outputs` wrote."""
    with np.load(path) as f:
        wide = f["raw_wide"] if "raw_wide" in f else None
        return Outputs(f["raw"], f["detections"], wide, str(f["precision"]))


def check_isolated(
    checkpoint: Path,
    image: np.ndarray,
    fmt: ExportFormat,
    reference: Outputs,
    work_dir: Path,
    imgsz: int = 64,
    cache: Path | None = None,
) -> dict:
    """Export and compare ``checkpoint`` in a subprocess that finds ``fmt``'s isolated requirements first.

    Installs the converter if needed (:func:`install_converter`); the subprocess's output goes to
    ``work_dir/<format>-isolated/isolated.log``.

    Args:
        checkpoint (Path): The reference checkpoint.
        image (np.ndarray): The reference image.
        fmt (ExportFormat): A format with ``isolated`` requirements.
        reference (Outputs): The checkpoint's outputs in this process.
        work_dir (Path): Directory for this model's exports.
        imgsz (int): Export and inference size.
        cache (Path | None): Where converters are installed; None: :func:`default_cache`.

    Returns:
        (dict): The matrix row (:func:`~yolo_lite.export_matrix.compare.export_and_compare`); where the converter
            cannot be installed or the subprocess fails before writing a row, a row with ``exports=False`` and the
            reason in ``error``.
    """
    run_dir = Path(work_dir) / f"{fmt.key}-isolated"
    shutil.rmtree(run_dir, ignore_errors=True)
    run_dir.mkdir(parents=True)
    try:
        folder = install_converter(fmt, cache)
    except RuntimeError as e:
        return new_row(checkpoint, fmt, reference, f"export: converter install: {e}"[:300])
    np.save(run_dir / "image.npy", image)
    _save_outputs(reference, run_dir / "reference.npz")
    command = isolated_command(Path(checkpoint).resolve(), fmt, imgsz, Path(work_dir).resolve(), run_dir.resolve())
    with open(run_dir / "isolated.log", "w") as log:
        try:
            returncode = subprocess.run(
                command, cwd=run_dir, env=isolated_env(folder), stdout=log, stderr=subprocess.STDOUT, timeout=TIMEOUT
            ).returncode
            ended = f"exit code {returncode}"
        except subprocess.TimeoutExpired:
            ended = f"timeout after {TIMEOUT} s"
    if (run_dir / "row.json").is_file():
        return json.loads((run_dir / "row.json").read_text())
    lines = (run_dir / "isolated.log").read_text(errors="replace").strip().splitlines()
    error = f"export: isolated run, {ended}: {lines[-1] if lines else 'no output'}"[:300]
    return new_row(checkpoint, fmt, reference, f"{error} (log: {run_dir / 'isolated.log'})")


def main(argv: list[str] | None = None) -> int:
    """The subprocess: export a checkpoint to one format, compare it with the saved reference, write ``row.json``."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("format")
    parser.add_argument("--imgsz", type=int, default=64)
    parser.add_argument("--work-dir", type=Path, required=True, help="directory for this model's exports")
    parser.add_argument("--run-dir", type=Path, required=True, help="holds image.npy and reference.npz; gets row.json")
    args = parser.parse_args(argv)
    image = np.load(args.run_dir / "image.npy")
    reference = _load_outputs(args.run_dir / "reference.npz")
    row = export_and_compare(args.checkpoint, image, get_format(args.format), reference, args.work_dir, args.imgsz)
    (args.run_dir / "row.json").write_text(json.dumps(row, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
