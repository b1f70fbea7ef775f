"""Speed, size and accuracy of yolo-lite models next to stock YOLO11: the ``yolo-lite benchmark`` command.

For each scale, stock YOLO11 (and stock YOLO26 with ``reference="yolo26"``) and every shipped model at that scale
(:func:`~yolo_lite.benchmark.selection.shipped_models`: ``yolo11<scale>-<tag>.yaml`` for each all-scale
``yolo11-<tag>.yaml`` and each single-scale ``yolo11<scale>-<tag>.yaml``) are built from their YAMLs with the same
seed (a shipped model without fetching its backbone row's pretrained weights, which latency does not depend on),
saved as Ultralytics checkpoints, fused with ``model.fuse()`` and timed. ``task=`` picks another task's models
(:mod:`yolo_lite.task_models`): ``yolo11n-seg.yaml`` against ``yolo11n-seg-<tag>.yaml`` and so on for pose, obb and
classify (timed at 224 px unless ``imgsz`` is given), or ``rtdetr-l.yaml`` against ``rtdetr-<tag>.yaml`` at RT-DETR's
one scale, ``l``. The backends:

- PyTorch on the CPU at batch 1, in the default layout and channels-last, the inference step of ``predict()``
  (Ultralytics' AutoBackend, channels-last on x86 CPUs), ONNX Runtime and OpenVINO on the CPU running the models that
  Ultralytics' exporters wrote, and PyTorch on CUDA in fp32 and fp16 when a GPU is present;
- throughput and peak memory at a larger batch on each PyTorch device.

A model whose build raises a ValueError is skipped and the reason recorded. ``models=`` also takes paths of model YAML
files of the user's own (``my/yolo26n-custom.yaml``), compared at the scale their name gives (family ``custom``).

With ``accuracy=True`` every model is also trained ``seeds`` times (same hyperparameters, one seed per run) at
``train_imgsz`` and validated after its last epoch on the data's val split with the task's metrics (mask mAP for
segment, pose mAP, OBB mAP, top-1 and top-5 for classify, in the ``map50_95`` and ``map50`` fields). The data is the
clutter detection set for detect and RT-DETR (:func:`yolo_lite.data.make_clutter_dataset`: eight classes told by
outline, clutter, occlusion, small objects), the task's synthetic shapes set for the other tasks (or with
``data="shapes"``, the quick demo's), or the user's data YAML. The report gives mean, spread, the mean per-seed
ratio to stock YOLO11 (and to stock YOLO26 with ``reference="yolo26"``, which is then trained alike) with its standard
error, and the Pareto frontier on the latency of ``predict()`` and of ONNX Runtime, one figure each; ``curve=True``
keeps each model's learning curve. Training fetches a backbone row's pretrained weights; a
model whose training raises a ValueError (its weights cannot be fetched offline) keeps its timings and gets the reason
in ``accuracy_skipped`` instead of accuracy. Apart from those weights (fetched once and cached), nothing is
downloaded: the ONNX export runs with ``simplify=False`` and Ultralytics' auto-install switched off, and the default
datasets are generated.

Modules:
    - :mod:`~yolo_lite.benchmark.settings`: :class:`BenchmarkSettings`, every setting of a run, checked.
    - :mod:`~yolo_lite.benchmark.selection`: which models are compared.
    - :mod:`~yolo_lite.benchmark.models`: building them, and their rows.
    - :mod:`~yolo_lite.benchmark.timing`: the timing backends and the interleaved rounds.
    - :mod:`~yolo_lite.benchmark.datasets`: the accuracy data, generated or the user's, checked and prepared.
    - :mod:`~yolo_lite.benchmark.accuracy`: training and validation per seed, the ratios and the frontiers.
    - :mod:`~yolo_lite.benchmark.report`: markdown (one table per backend), CSV and JSON.
    - :mod:`~yolo_lite.benchmark.plot`: latency vs mAP50-95 (the task's primary metric) per backend, learning curves.
    - :mod:`~yolo_lite.benchmark.environment`: the machine and software, and the timings' process settings.
    - :mod:`~yolo_lite.benchmark.fields`: the columns of every row.
    - :mod:`~yolo_lite.benchmark.run`: :func:`run_benchmark`, the pipeline that ties them together.

Outputs in ``out_dir``: ``benchmark.md`` (the command, the environment, the method and the tables),
``benchmark.csv``, ``benchmark.json`` (environment, settings, data, field descriptions, rows),
``benchmark-predict.png`` and ``benchmark-onnx.png`` (latency vs mAP50-95 with the frontier, or vs GFLOPs without an
accuracy run; ONNX only when timed) and with ``curve`` ``benchmark-curves.png``.

Examples:
    >>> from yolo_lite.benchmark import run_benchmark
    >>> rows = run_benchmark(models="starnet", scales="n", imgsz=64, rounds=2, batch=2, out_dir="runs/quick")
    >>> [row["model"] for row in rows]  # doctest: +SKIP
    ['yolo11n', 'yolo11n-starnet']
"""

from __future__ import annotations

from .accuracy import mark_frontier, pareto_frontier, ratio_stats
from .environment import environment
from .fields import BACKENDS, FIELDS, FRONTIER_BACKENDS
from .plot import plot_curves, plot_frontier, plot_frontiers
from .report import markdown_tables, write_csv, write_json
from .run import run_benchmark
from .selection import available_families, compared_models, select_models, shipped_models
from .settings import BenchmarkSettings
from .timing import time_interleaved

__all__ = [
    "BACKENDS",
    "FIELDS",
    "FRONTIER_BACKENDS",
    "BenchmarkSettings",
    "available_families",
    "compared_models",
    "environment",
    "mark_frontier",
    "markdown_tables",
    "pareto_frontier",
    "plot_curves",
    "plot_frontier",
    "plot_frontiers",
    "ratio_stats",
    "run_benchmark",
    "select_models",
    "shipped_models",
    "time_interleaved",
    "write_csv",
    "write_json",
]
