"""Speed, size and accuracy of yolo-lite models next to stock YOLO11: the ``yolo-lite benchmark`` command.

For each scale, stock YOLO11 (and stock YOLO26 with ``reference="yolo26"``) and every shipped model at that scale
(:func:`~yolo_lite.benchmark.models.shipped_models`: ``yolo11<scale>-<tag>.yaml`` for each all-scale
``yolo11-<tag>.yaml`` and each single-scale ``yolo11<scale>-<tag>.yaml``) are built from their YAMLs with the same
seed (a shipped model without fetching its backbone row's pretrained weights, which latency does not depend on),
saved as Ultralytics checkpoints, fused with ``model.fuse()`` and timed. ``task=`` picks another task's models
(:mod:`yolo_lite.task_models`): ``yolo11n-seg.yaml`` against ``yolo11n-seg-<tag>.yaml`` and so on for pose, obb and
classify (timed at 224 px unless ``imgsz`` is given), or ``rtdetr-l.yaml`` against ``rtdetr-<tag>.yaml`` at RT-DETR's
one scale, ``l``. The backends:

- PyTorch on the CPU at batch 1, in the default layout and channels-last (which Ultralytics' predictor uses on x86
  CPUs), ONNX Runtime on the CPU running the model that Ultralytics' exporter wrote, and
  PyTorch on CUDA in fp32 and fp16 when a GPU is present;
- throughput and peak memory at a larger batch on each PyTorch device.

A model whose build raises a ValueError is skipped and the reason recorded. With ``accuracy=True`` every model is also
trained ``seeds`` times (same hyperparameters, one seed per run) at ``train_imgsz`` and validated on the data's val
split (the task's synthetic set unless ``data`` is given) with the task's metrics (mask mAP for segment, pose mAP,
OBB mAP, top-1 and top-5 for classify, in the ``map50_95`` and ``map50`` fields); the report gives mean, spread and
the Pareto frontier. Training fetches a backbone row's pretrained weights; a
model whose training raises a ValueError (its weights cannot be fetched offline) keeps its timings and gets the reason
in ``accuracy_skipped`` instead of accuracy. Apart from those weights (fetched once and cached), nothing is
downloaded: the ONNX export runs with ``simplify=False`` and Ultralytics' auto-install switched off, and the default
dataset is generated.

Modules:
    - :mod:`~yolo_lite.benchmark.models`: which models are compared, and building them.
    - :mod:`~yolo_lite.benchmark.timing`: the timing backends and the interleaved rounds.
    - :mod:`~yolo_lite.benchmark.accuracy`: data YAML handling, training and validation per seed, the frontier.
    - :mod:`~yolo_lite.benchmark.report`: markdown (one table per backend), CSV and JSON.
    - :mod:`~yolo_lite.benchmark.plot`: the latency vs mAP50-95 (the task's primary metric) figure.
    - :mod:`~yolo_lite.benchmark.environment`: the machine and software, and the timings' process settings.
    - :mod:`~yolo_lite.benchmark.fields`: the columns of every row.
    - :mod:`~yolo_lite.benchmark.run`: :func:`run_benchmark`, which ties them together.

Outputs in ``out_dir``: ``benchmark.md`` (the command, the environment, the method and the tables),
``benchmark.csv``, ``benchmark.json`` (environment, settings, field descriptions, rows) and ``benchmark.png``
(latency vs mAP50-95, or vs GFLOPs without an accuracy run).

Examples:
    >>> from yolo_lite.benchmark import run_benchmark
    >>> rows = run_benchmark(models="starnet", scales="n", imgsz=64, rounds=2, batch=2, out_dir="runs/quick")
    >>> [row["model"] for row in rows]  # doctest: +SKIP
    ['yolo11n', 'yolo11n-starnet']
"""

from __future__ import annotations

from .accuracy import pareto_frontier
from .environment import environment
from .fields import BACKENDS, FIELDS
from .models import available_families, select_models, shipped_models
from .plot import plot_frontier
from .report import markdown_tables, write_csv, write_json
from .run import run_benchmark
from .timing import time_interleaved

__all__ = [
    "BACKENDS",
    "FIELDS",
    "available_families",
    "environment",
    "markdown_tables",
    "pareto_frontier",
    "plot_frontier",
    "run_benchmark",
    "select_models",
    "shipped_models",
    "time_interleaved",
    "write_csv",
    "write_json",
]
