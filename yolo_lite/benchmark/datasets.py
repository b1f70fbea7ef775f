"""The accuracy run's data: a generated set (the clutter detection set, or the task's synthetic shapes set) or the
user's data YAML, checked before any work and prepared when training starts.

A generated set is written into ``<out_dir>/datasets/<set>-<train>-<val>-<imgsz>px-seed<seed>``: its folder names
everything it was made from, so a rerun into the same output directory with other counts or sizes never mixes files
of two sets.

A data YAML whose ``path`` is relative is read by Ultralytics against the working directory; the benchmark resolves it
against the YAML's own folder instead (when that folder holds it) by writing a resolved copy into the output directory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import yaml

from ..task_models import RTDETR

if TYPE_CHECKING:
    from .settings import BenchmarkSettings

__all__ = ["GENERATED_SETS", "PreparedData", "check_data", "prepare_data"]

GENERATED_SETS = ("clutter", "shapes")  # data= names of the sets the benchmark generates


class PreparedData(NamedTuple):
    """The data an accuracy run trains on: what ``model.train(data=...)`` takes, and the report's sentence on it."""

    path: Path  # data YAML (dataset folder for classify)
    note: str


def _resolved(path: Path) -> dict | None:
    """Return the data YAML's content with a relative ``path`` made absolute against its folder, or None to keep it."""
    try:
        content = yaml.safe_load(path.read_text())
    except (OSError, yaml.YAMLError):
        return None  # Ultralytics' check reports it
    root = content.get("path") if isinstance(content, dict) else None
    if root is None or Path(str(root)).is_absolute() or not (path.parent / str(root)).is_dir():
        return None
    return {**content, "path": str((path.parent / str(root)).resolve())}


def _write_copy(content: dict, path: Path, source: Path) -> Path:
    """Write the resolved data YAML ``content`` to ``path`` with a header naming ``source``; return ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = f"# {source.resolve()} with its relative 'path' resolved against that file's folder (yolo-lite)\n"
    path.write_text(header + yaml.safe_dump(content, sort_keys=False, allow_unicode=True))
    return path


def _check_classify_folder(data: str | Path) -> Path:
    """Return the classification dataset folder ``data``, or raise a ValueError unless it has train and val splits."""
    path = Path(data)
    splits = [split for split in ("train", "val") if (path / split).is_dir() and any((path / split).iterdir())]
    if splits != ["train", "val"]:
        raise ValueError(
            f"benchmark: classify data must be a folder with train/<class>/ and val/<class>/ image folders, got "
            f"{str(data)!r} (resolved {path.resolve()}); pass such a folder, or leave data unset to use the "
            "synthetic classify dataset"
        )
    return path


def check_data(data: str | Path, task: str = "detect") -> Path:
    """Check the user's data before any work: an Ultralytics data YAML of ``task`` (a dataset folder for classify).

    Args:
        data (str | Path): The data YAML (folder for classify).
        task (str): The models' task; classify takes a folder with ``train`` and ``val`` splits.

    Returns:
        (Path): The YAML's (or folder's) path.

    Raises:
        ValueError: A missing file, or a YAML (folder) that Ultralytics cannot use.
    """
    if task == "classify":
        return _check_classify_folder(data)
    path = Path(data)
    if path.suffix not in {".yaml", ".yml"} or not path.is_file():
        raise ValueError(
            f"benchmark: data YAML not found: {str(data)!r} (resolved {path.resolve()}); pass the path of an "
            "Ultralytics data YAML, e.g. datasets/coco128/coco128.yaml, or 'clutter' or 'shapes' for a generated "
            "(synthetic) dataset, or leave data unset"
        )
    from ultralytics.data.utils import check_det_dataset

    resolved = _resolved(path)
    with tempfile.TemporaryDirectory(prefix="yolo-lite-data-") as tmp:
        checked = path if resolved is None else _write_copy(resolved, Path(tmp) / path.name, path)
        try:
            check_det_dataset(str(checked), autodownload=False)
        except (FileNotFoundError, SyntaxError, KeyError, TypeError, ValueError) as e:
            raise ValueError(
                f"benchmark: data YAML {str(data)!r} is not a usable Ultralytics dataset: {str(e).splitlines()[0]}; "
                "fix its 'path', 'train', 'val' and 'names' entries (a relative 'path' is resolved against the "
                "YAML's folder when that folder holds it, else against the working directory) or pass another "
                "data YAML"
            ) from e
    return path


def _generated(settings: BenchmarkSettings, out_dir: Path) -> PreparedData:
    """Write the generated set that ``settings.data`` names (``"clutter"`` or ``"shapes"``) into ``out_dir``."""
    from .. import data as datasets  # looked up at call time, so a test can record the calls

    size = settings.train_imgsz
    sizes = dict(train=settings.train_images, val=settings.val_images, imgsz=size, seed=settings.seed)
    made = f"{settings.train_images}-{settings.val_images}-{size}px-seed{settings.seed}"
    counts = f"{settings.train_images} train + {settings.val_images} val images, seed {settings.seed}"
    if settings.data == "clutter":
        path = datasets.make_clutter_dataset(out_dir / "datasets" / f"yolo-lite-clutter-{made}", **sizes)
        return PreparedData(
            path,
            f"the clutter detection set at {size}x{size} (yolo_lite.data.make_clutter_dataset: "
            f"{len(datasets.CLUTTER_CLASSES)} shape classes told by outline, any colour and fill, textured clutter, "
            f"occlusion, objects from 8% to 60% of the image side; {counts}): {path}",
        )
    kind = "detect" if settings.task == RTDETR else settings.task
    name = "yolo-lite-shapes" if kind == "detect" else f"yolo-lite-shapes-{kind}"
    path = datasets.make_synthetic_dataset(out_dir / "datasets" / f"{name}-{made}", **sizes, task=kind)
    return PreparedData(
        path,
        f"the synthetic {kind} shapes set at {size}x{size} (yolo_lite.data.make_synthetic_dataset, the quick demo's: "
        f"{len(datasets.CLASS_NAMES)} classes, each in its own colour, on a plain background; {counts}): {path}",
    )


def prepare_data(settings: BenchmarkSettings, out_dir: Path) -> PreparedData:
    """Return the data to train on, generating it or resolving the user's YAML, and a sentence for the report.

    Args:
        settings (BenchmarkSettings): The run's checked settings: ``data`` (``"clutter"``, ``"shapes"`` or a data
            YAML / classify folder), ``task``, ``train_images``, ``val_images``, ``train_imgsz`` and ``seed``.
        out_dir (Path): The benchmark's output directory (generated sets go to its ``datasets``, resolved YAML copies
            to its ``data`` folder).

    Returns:
        (PreparedData): The data YAML (folder for classify) and the report's description of it.
    """
    if settings.data in GENERATED_SETS:
        return _generated(settings, out_dir)
    data = Path(settings.data)
    resolved = None if settings.task == "classify" else _resolved(data)
    if resolved is None:
        return PreparedData(data, str(data))
    copy = _write_copy(resolved, out_dir / "data" / data.name, data)
    return PreparedData(
        copy,
        f"{data} (its relative 'path' resolved against the YAML's folder to {resolved['path']}; trained on the "
        f"resolved copy {copy})",
    )
