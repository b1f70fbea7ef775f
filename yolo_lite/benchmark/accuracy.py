"""Accuracy: train every model with Ultralytics' trainer for several seeds, read its validation, find the frontiers.

Every model is trained ``seeds`` times (seeds ``seed``, ``seed + 1``, ...) from its YAML (from scratch, or from the
backbone row's pretrained weights) with the same hyperparameters and ``deterministic=True``, so a rerun on the same
machine reproduces the numbers (another CPU's floating-point kernels take a training elsewhere: compare seeds, not
machines). The accuracy of a run is what Ultralytics' validator measured on the data's val split after the last epoch,
as the trainer wrote it to the run's ``results.csv``: without ``curve`` the trainer validates only then
(``val=False``; it validates the last epoch whatever ``val`` says), with ``curve`` after every epoch (``val=True``),
and the rows keep that learning curve too. The last epoch is used either way (not the trainer's ``best.pt``, which
with ``val=True`` is the epoch of best validation: picking it on the val split would flatter the models), so a curve
does not change the numbers, and no validation runs twice.

The rows report the mean, the sample standard deviation and the range of the task's two metrics over the seeds
(:data:`METRICS`: box mAP50 and mAP50-95 for detect and RT-DETR, mask mAP for segment, pose mAP for pose, OBB mAP for
obb, top-5 and top-1 accuracy for classify, kept in the ``map50`` and ``map50_95`` fields), the mean per-seed ratio of
the primary metric (the ``map50_95`` field: mAP50-95, or top-1) to each reference's with its standard error (stock
YOLO11, and stock YOLO26 when it is a reference), and whether the model is on the speed-accuracy (Pareto) frontier
of each latency in :data:`~yolo_lite.benchmark.fields.FRONTIER_BACKENDS`.

Training builds the model itself, so a backbone row's pretrained weights are fetched then (the timings build without
them). A model whose training raises a ValueError (its weights cannot be fetched offline) is not trained: at the first
failure its seeds stop (the weights are tried once, not once per seed) and the reason goes to its ``accuracy_skipped``
field; it keeps its timings and takes no part in the frontiers.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
from ultralytics.utils import LOGGER

from ..task_models import RTDETR
from .fields import FRONTIER_BACKENDS, PREFIX, REFERENCE_RATIOS, STOCK, skip_reason

__all__ = [
    "METRICS",
    "Metric",
    "mark_frontier",
    "pareto_frontier",
    "ratio_stats",
    "read_results",
    "record_training",
]


class Metric(NamedTuple):
    """A task's two accuracy numbers: the columns of Ultralytics' ``results.csv`` that hold them, and their names.

    ``map50`` is the lenient one, ``map50_95`` the primary one (the ratios to the references and the frontiers use
    it); both are stored in the row fields of those names whatever the task.
    """

    map50: str  # column of results.csv (the key in the validator's metrics.results_dict)
    map50_95: str
    map50_label: str
    map50_95_label: str


METRICS = {
    "detect": Metric("metrics/mAP50(B)", "metrics/mAP50-95(B)", "mAP50", "mAP50-95"),
    "segment": Metric("metrics/mAP50(M)", "metrics/mAP50-95(M)", "mask mAP50", "mask mAP50-95"),
    "pose": Metric("metrics/mAP50(P)", "metrics/mAP50-95(P)", "pose mAP50", "pose mAP50-95"),
    "obb": Metric("metrics/mAP50(B)", "metrics/mAP50-95(B)", "OBB mAP50", "OBB mAP50-95"),
    "classify": Metric("metrics/accuracy_top5", "metrics/accuracy_top1", "top-5", "top-1"),
    RTDETR: Metric("metrics/mAP50(B)", "metrics/mAP50-95(B)", "mAP50", "mAP50-95"),
}


def read_results(path: str | Path) -> dict[str, list[float]]:
    """Return the columns of a training run's ``results.csv``: column name -> one value per epoch, in epoch order.

    Args:
        path (str | Path): The ``results.csv`` that Ultralytics' trainer writes into the run's directory.

    Returns:
        (dict[str, list[float]]): Every column (names stripped of the padding some Ultralytics versions add).
    """
    with Path(path).open(newline="") as f:
        records = list(csv.DictReader(f))
    return {key.strip(): [float(record[key]) for record in records] for key in (records[0] if records else {})}


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


def record_training(
    row: dict, outcomes: Sequence[str | Path], epochs: int, imgsz: int, curve: bool = False
) -> None:
    """Write the statistics of ``row``'s training runs (one per seed, in seed order) into ``row``.

    A run that raised a ValueError (its outcome is the message: the backbone's pretrained weights cannot be fetched
    offline) gives ``row`` only ``accuracy_skipped`` ("skipped: <message>"); it keeps its timings. Otherwise the
    task's :data:`METRICS` after the last epoch, as each run's ``results.csv`` has them, go to the ``map50`` and
    ``map50_95`` fields, and their names to ``metric``.

    Args:
        row (dict): The model's row (its ``task`` names the metrics).
        outcomes (Sequence[str | Path]): Per seed, the run's ``results.csv`` or its error message
            (:func:`~yolo_lite.benchmark.training.train_once`).
        epochs (int): Training epochs of each run.
        imgsz (int): Image size of training and validation.
        curve (bool): Also store the learning curve, the mean over the seeds of ``map50_95`` after each epoch, in
            ``map50_95_curve`` (the runs must validate every epoch).

    Raises:
        ValueError: A stock model's run failed (the accuracy run has nothing to compare with).
    """
    failed = next((outcome for outcome in outcomes if isinstance(outcome, str)), None)
    if failed is not None:
        if row["family"] == STOCK:
            raise ValueError(f"benchmark: training {row['model']} failed: {failed}")
        row["accuracy_skipped"] = skip_reason(ValueError(failed))
        LOGGER.warning(f"{PREFIX} {row['model']} not trained, {row['accuracy_skipped']}")
        return
    metric = METRICS[row["task"]]
    results = [read_results(path) for path in outcomes]
    row.update(
        train_imgsz=imgsz,
        epochs=epochs,
        seeds=len(outcomes),
        **_stats("map50", [r[metric.map50][-1] for r in results]),
        **_stats("map50_95", [r[metric.map50_95][-1] for r in results]),
        metric=f"{metric.map50_label} / {metric.map50_95_label}",
    )
    if curve:  # epochs that every seed ran (early stopping could end one sooner)
        curves = [r[metric.map50_95] for r in results]
        length = min(len(c) for c in curves)
        row["map50_95_curve"] = [float(v) for v in np.mean([c[:length] for c in curves], axis=0)]


def ratio_stats(values: Sequence[float], reference: Sequence[float]) -> tuple[float | None, float | None]:
    """Return the mean of the per-seed ratios ``values / reference`` and its standard error.

    The standard error is the sample standard deviation of the ratios over the square root of their number: how far
    the mean ratio is likely off the one that infinitely many seeds would give.

    Args:
        values (Sequence[float]): A model's metric per seed.
        reference (Sequence[float]): The reference's metric for the same seeds.

    Returns:
        (tuple[float | None, float | None]): Mean ratio (None where the reference scored 0 in a seed, or either is
            missing) and its standard error (None with one seed).

    Examples:
        >>> mean, se = ratio_stats([0.5, 0.75], [0.5, 0.5])  # ratios 1.0 and 1.5
        >>> round(mean, 6), round(se, 6)
        (1.25, 0.25)
        >>> ratio_stats([0.5], [0.5]), ratio_stats([0.5, 0.6], [0.5, 0.0])
        ((1.0, None), (None, None))
    """
    if not values or not reference or len(values) != len(reference) or min(reference) <= 0:
        return None, None
    ratios = np.divide(values, reference)
    se = float(np.std(ratios, ddof=1) / np.sqrt(len(ratios))) if len(ratios) > 1 else None
    return float(np.mean(ratios)), se


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


def _reference(rows: Sequence[dict], scale: str, version: str) -> dict | None:
    """Return the reference row of ``version`` at ``scale``: for ``"yolo11"`` the first stock row (stock YOLO11 of the
    task, or RT-DETR-l), else the stock row whose tag starts with ``version``; None when there is none."""
    stock = [row for row in rows if row["scale"] == scale and row["family"] == STOCK]
    if version == "yolo11":
        return stock[0] if stock else None
    return next((row for row in stock if row["tag"].split("-")[0] == version), None)


def mark_frontier(rows: Sequence[dict]) -> None:
    """Fill the ratios to the references (per scale) and the frontier of each latency (over all trained rows) in place.

    ``map50_95_vs_<key>`` and ``map50_95_vs_<key>_se`` come from :func:`ratio_stats` against each reference of
    :data:`~yolo_lite.benchmark.fields.REFERENCE_RATIOS` at the row's scale (stock YOLO11, or RT-DETR-l; stock YOLO26
    where it was trained); ``frontier_<backend>`` from :func:`pareto_frontier` on ``<backend>_ms`` and the mean
    ``map50_95``, for each backend of :data:`~yolo_lite.benchmark.fields.FRONTIER_BACKENDS` that was timed.

    Args:
        rows (Sequence[dict]): Rows of the benchmark, the references first at each scale; those with a mean
            ``map50_95`` (the task's primary metric) take part (not the skipped ones, nor those whose training was
            skipped).
    """
    trained = [row for row in rows if row["map50_95"] is not None]
    for row in trained:
        for key, version in REFERENCE_RATIOS.items():
            reference = _reference(rows, row["scale"], version)
            if reference is not None and reference["map50_95_per_seed"]:
                ratio, se = ratio_stats(row["map50_95_per_seed"], reference["map50_95_per_seed"])
                row[f"map50_95_vs_{key}"], row[f"map50_95_vs_{key}_se"] = ratio, se
    for backend in FRONTIER_BACKENDS:
        timed = [row for row in trained if row[f"{backend}_ms"] is not None]
        flags = pareto_frontier([(row[f"{backend}_ms"], row["map50_95"]) for row in timed])
        for row, flag in zip(timed, flags):
            row[f"frontier_{backend}"] = flag
