"""Accuracy: train every model with Ultralytics' trainer for several seeds, validate it, and find the frontier.

Every model is trained ``seeds`` times (seeds ``seed``, ``seed + 1``, ...) from its YAML (from scratch, or from the
backbone row's pretrained weights) with the same hyperparameters and ``deterministic=True``, so a rerun reproduces the
numbers, and validated on the data's val split with Ultralytics' validator. The rows report the mean, the sample
standard deviation and the range of the task's two metrics over the seeds (:data:`METRICS`: box mAP50 and mAP50-95
for detect and RT-DETR, mask mAP for segment, pose mAP for pose, OBB mAP for obb, top-5 and top-1 accuracy for
classify, kept in the ``map50`` and ``map50_95`` fields), the mean per-seed ratio to stock's primary metric (the
``map50_95`` field: mAP50-95, or top-1), and whether the model is on the speed-accuracy (Pareto) frontier.

Training builds the shipped model itself, so a backbone row's pretrained weights are fetched then (the timings build
without them). A model whose training raises a ValueError (its weights cannot be fetched offline) is not trained: at
the first failure its seeds stop (the weights are tried once, not once per seed) and the reason goes to its
``accuracy_skipped`` field; it keeps its timings and takes no part in the frontier.

A data YAML whose ``path`` is relative is read by Ultralytics against the working directory; the benchmark resolves it
against the YAML's own folder instead (when that folder holds it) by writing a resolved copy into the output directory.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

import numpy as np
import yaml
from ultralytics.utils import LOGGER

from ..task_models import RTDETR
from .fields import PREFIX, STOCK, skip_reason
from .models import model_class

__all__ = [
    "FRONTIER_LATENCY",
    "METRICS",
    "Metric",
    "check_data",
    "mark_frontier",
    "pareto_frontier",
    "prepare_data",
    "train_and_validate",
]

FRONTIER_LATENCY = "cpu_ms"  # the latency of the frontier and the plot: PyTorch CPU, batch 1, median


class Metric(NamedTuple):
    """A task's two accuracy numbers: where Ultralytics' validation metrics keep them, and how reports name them.

    ``map50`` is the lenient one, ``map50_95`` the primary one (the ratio to stock and the frontier use it); both are
    stored in the row fields of those names whatever the task.
    """

    map50: str  # attribute path in the metrics object that model.val() returns
    map50_95: str
    map50_label: str
    map50_95_label: str


METRICS = {
    "detect": Metric("box.map50", "box.map", "mAP50", "mAP50-95"),
    "segment": Metric("seg.map50", "seg.map", "mask mAP50", "mask mAP50-95"),
    "pose": Metric("pose.map50", "pose.map", "pose mAP50", "pose mAP50-95"),
    "obb": Metric("box.map50", "box.map", "OBB mAP50", "OBB mAP50-95"),
    "classify": Metric("top5", "top1", "top-5", "top-1"),
    RTDETR: Metric("box.map50", "box.map", "mAP50", "mAP50-95"),
}


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


def check_data(
    data: str | Path | None, accuracy: bool, task: str = "detect"
) -> tuple[Path | None, dict | None]:
    """Check the data before any work; return its path and its resolved content (None when it needs no copy).

    Args:
        data (str | Path | None): An Ultralytics data YAML (a dataset folder for classify), or None for the synthetic
            dataset.
        accuracy (bool): Whether the run measures accuracy (data is only used then).
        task (str): The models' task; classify takes a folder with ``train`` and ``val`` splits.

    Returns:
        (tuple[Path | None, dict | None]): The YAML's (or folder's) path (None for the synthetic set) and, when a
            YAML's ``path`` entry is relative to the YAML's folder, the content with that entry made absolute.

    Raises:
        ValueError: Data without accuracy, a missing file, or a YAML (folder) that Ultralytics cannot use.
    """
    if data is None:
        return None, None
    if not accuracy:
        raise ValueError(
            f"benchmark: data={str(data)!r} is only used to measure accuracy; "
            "pass accuracy=True (--accuracy) or drop it"
        )
    if task == "classify":
        return _check_classify_folder(data), None
    path = Path(data)
    if path.suffix not in {".yaml", ".yml"} or not path.is_file():
        raise ValueError(
            f"benchmark: data YAML not found: {str(data)!r} (resolved {path.resolve()}); pass the path of an "
            "Ultralytics data YAML, e.g. datasets/coco128/coco128.yaml, or leave data unset to use the synthetic "
            "dataset"
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
    return path, resolved


def prepare_data(
    data: Path | None, resolved: dict | None, out_dir: Path, imgsz: int, seed: int, task: str = "detect"
) -> tuple[Path, str]:
    """Return the data to train on and a sentence for the report saying what it is.

    Args:
        data (Path | None): The checked data YAML (folder for classify), or None to generate the synthetic dataset.
        resolved (dict | None): Its resolved content from :func:`check_data` (a copy is written to ``out_dir/data``).
        out_dir (Path): The benchmark's output directory.
        imgsz (int): Training image size (the synthetic images are generated at this size).
        seed (int): Seed of the synthetic dataset.
        task (str): The models' task: the synthetic dataset is the task's
            (:func:`~yolo_lite.data.make_synthetic_dataset`; RT-DETR trains on the detect set).

    Returns:
        (tuple[Path, str]): The data YAML (folder for classify) and the report's description of it.
    """
    if data is None:
        from ..data import make_synthetic_dataset

        kind = "detect" if task == RTDETR else task
        folder = "yolo-lite-shapes" if kind == "detect" else f"yolo-lite-shapes-{kind}"
        path = make_synthetic_dataset(out_dir / "datasets" / folder, imgsz=imgsz, seed=seed, task=kind)
        return path, f"the synthetic {kind} shapes set at {imgsz}x{imgsz} ({path})"
    if resolved is None:
        return data, str(data)
    copy = _write_copy(resolved, out_dir / "data" / data.name, data)
    return copy, (
        f"{data} (its relative 'path' resolved against the YAML's folder to {resolved['path']}; "
        f"trained on the resolved copy {copy})"
    )


def _stats(key: str, values: Sequence[float]) -> dict:
    """Return mean, sample std (None for one value), min, max and the values as the row fields of ``key``."""
    values = [float(v) for v in values]
    return {
        key: float(np.mean(values)),
        f"{key}_std": float(np.std(values, ddof=1)) if len(values) > 1 else None,
        f"{key}_min": min(values),
        f"{key}_max": max(values),
        f"{key}_per_seed": values,
    }


def train_and_validate(
    row: dict, data: Path, seeds: Sequence[int], train_args: Mapping, project: Path, imgsz: int
) -> None:
    """Train ``row``'s model once per seed, validate each run, and write the statistics into ``row``.

    The model is built from its shipped YAML, with its backbone row's pretrained weights. If building or training it
    raises a ValueError (the weights cannot be fetched offline), the remaining seeds are not tried: ``row`` gets only
    ``accuracy_skipped`` ("skipped: <message>") and keeps its timings. The task's :data:`METRICS` go to the
    ``map50`` and ``map50_95`` fields, and their names to ``metric``.

    Args:
        row (dict): The model's row (its ``model`` names the YAML, its ``task`` the metrics).
        data (Path): Data YAML (dataset folder for classify).
        seeds (Sequence[int]): Training seeds, one run each.
        train_args (Mapping): ``model.train()`` arguments shared by every run (``epochs`` included); the seed is set
            per run.
        project (Path): Directory of the runs (``<model>-seed<seed>`` and ``<model>-seed<seed>-val``).
        imgsz (int): Image size of training and validation.

    Raises:
        ValueError: Training a stock model raised it (the accuracy run has nothing to compare with).
    """
    metric = METRICS[row["task"]]
    map50, map50_95 = [], []
    for seed in seeds:
        name = f"{row['model']}-seed{seed}"
        try:
            model = model_class(row["model"])(f"{row['model']}.yaml")
            model.train(
                data=str(data), project=str(project), name=name, **{**train_args, "imgsz": imgsz, "seed": seed}
            )
        except ValueError as e:
            if row["family"] == STOCK:
                raise
            row["accuracy_skipped"] = skip_reason(e)
            LOGGER.warning(f"{PREFIX} {row['model']} not trained, {row['accuracy_skipped']}")
            return
        metrics = model.val(  # batch, device and workers carry over from training
            data=str(data), imgsz=imgsz, plots=False, project=str(project), name=f"{name}-val"
        )
        map50.append(float(attrgetter(metric.map50)(metrics)))
        map50_95.append(float(attrgetter(metric.map50_95)(metrics)))
    row.update(
        train_imgsz=imgsz, epochs=train_args["epochs"], seeds=len(seeds), **_stats("map50", map50),
        **_stats("map50_95", map50_95), metric=f"{metric.map50_label} / {metric.map50_95_label}",
    )


def pareto_frontier(points: Sequence[tuple[float, float]]) -> list[bool]:
    """Return, for each ``(latency, accuracy)`` point, whether no other point beats it on both.

    A point is dominated when another one is at least as fast and at least as accurate and strictly better in one.

    Args:
        points (Sequence[tuple[float, float]]): Latency (lower is better) and accuracy (higher is better).

    Returns:
        (list[bool]): True for the points on the frontier.

    Examples:
        >>> pareto_frontier([(1.0, 0.5), (2.0, 0.6), (3.0, 0.55), (1.0, 0.5)])
        [True, True, False, True]
    """
    return [
        not any(t <= latency and a >= accuracy and (t < latency or a > accuracy) for t, a in points)
        for latency, accuracy in points
    ]


def mark_frontier(rows: Sequence[dict]) -> None:
    """Fill ``map50_95_vs_stock`` (per scale) and ``frontier`` (over all trained rows) of the rows in place.

    The reference of a scale is its first stock row (stock YOLO11 of the task, or RT-DETR-l), as in the timings.

    Args:
        rows (Sequence[dict]): Rows of the benchmark, the references first at each scale; those with a mean
            ``map50_95`` (the task's primary metric) and a PyTorch CPU latency take part (not the skipped ones, nor
            those whose training was skipped).
    """
    trained = [row for row in rows if row["map50_95"] is not None and row[FRONTIER_LATENCY] is not None]
    for row in trained:
        stock = next((r for r in rows if r["scale"] == row["scale"] and r["family"] == STOCK), None)
        if stock and stock["map50_95_per_seed"] and all(s > 0 for s in stock["map50_95_per_seed"]):
            ratios = np.divide(row["map50_95_per_seed"], stock["map50_95_per_seed"])
            row["map50_95_vs_stock"] = float(np.mean(ratios))
    flags = pareto_frontier([(row[FRONTIER_LATENCY], row["map50_95"]) for row in trained])
    for row, flag in zip(trained, flags):
        row["frontier"] = flag
