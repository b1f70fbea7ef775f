"""``run_benchmark``: check the settings, build and time every model scale by scale, train them, write the reports."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import torch
from ultralytics.utils import LOGGER, TQDM

from ..task_models import RTDETR, RTDETR_SCALE, check_task
from . import models as _models
from .accuracy import check_data, mark_frontier, prepare_data, train_and_validate
from .environment import cpu_settings, environment, keep_freed_memory, others_cpu_share
from .fields import PREFIX, SCALES
from .plot import plot_frontier
from .report import markdown_document, markdown_tables, write_csv, write_json
from .timing import check_runtime, time_onnx, time_openvino, time_predict, time_torch, torch_backends

__all__ = ["run_benchmark"]

DEFAULT_SEEDS = 3  # training runs per model with accuracy=True
DEFAULT_IMGSZ = {"classify": 224}  # timing image size when none is given; 640 for the other tasks
# Below this image size, a forward pass costs little more than the per-layer overhead every model pays, so latency
# ratios do not carry over to 640 px (at 64 px StarNet measured slower than stock while at 640 px it is faster).
MIN_TIMING_IMGSZ = 320


def _check_int(name: str, value, low: int, flag: str) -> None:
    """Raise a ValueError naming ``name`` and the fix unless ``value`` is an integer >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(
            f"benchmark: {name} must be an integer >= {low}, got {value!r}; pass {name}={max(low, 1)} or more ({flag})"
        )


def _check_imgsz(name: str, value, flag: str) -> None:
    """Raise a ValueError unless ``value`` is an image size: an integer >= 32 and a multiple of 32."""
    _check_int(name, value, 32, flag)
    if value % 32:
        raise ValueError(f"benchmark: {name} must be a multiple of 32 (the models' stride), got {value}; pass e.g. 640")


def _check_scales(scales: Sequence[str] | str) -> list[str]:
    """Return the scales to benchmark, or raise a ValueError naming the valid ones."""
    names = list(scales)
    bad = [s for s in names if s not in SCALES]
    if not names or bad:
        raise ValueError(
            f"benchmark: scales must be one or more of {', '.join(SCALES)}, got {scales!r}; "
            "pass e.g. scales=('n', 's') (--scales n s)"
        )
    return list(dict.fromkeys(names))


def _task_scales(scales: list[str], task: str) -> tuple[list[str], str | None]:
    """Return the scales to run for ``task`` and a note for the report when RT-DETR replaces them with its one scale."""
    if task != RTDETR:
        return scales, None
    note = None
    if scales != [RTDETR_SCALE]:
        note = f"RT-DETR has one scale, {RTDETR_SCALE}; scales {', '.join(scales)} were not used."
        LOGGER.info(f"{PREFIX} {note}")
    return [RTDETR_SCALE], note


def _check_accuracy_only(accuracy: bool, **values) -> None:
    """Raise a ValueError for a setting that only an accuracy run uses when ``accuracy`` is off."""
    for name, value in values.items():
        if value is not None and not accuracy:
            raise ValueError(
                f"benchmark: {name}={value!r} is only used to measure accuracy; pass accuracy=True (--accuracy) or "
                "drop it"
            )


def run_benchmark(
    families: Sequence[str] | str | None = None,
    scales: Sequence[str] | str = ("n", "s"),
    imgsz: int | None = None,
    rounds: int = 20,
    warmup: int = 3,
    batch: int = 8,
    batch_rounds: int = 5,
    threads: int | None = None,
    onnx: bool = True,
    accuracy: bool = False,
    data: str | Path | None = None,
    epochs: int = 10,
    train_kwargs: Mapping | None = None,
    seed: int = 0,
    out_dir: str | Path = "runs/benchmark",
    command: str | None = None,
    models: Sequence[str] | str | None = None,
    reference: str = "yolo11",
    seeds: int | None = None,
    train_imgsz: int | None = None,
    task: str = "detect",
    openvino: bool = True,
) -> list[dict]:
    """Compare stock YOLO11 with every shipped model of a task at each scale; write the tables, CSV, JSON and plot.

    Args:
        families (Sequence[str] | str | None): Keep only models whose tag starts with one of these families
            (``"starnet"`` keeps ``yolo11n-starnet`` and ``yolo11n-starnet-imagenet``); None keeps all.
        scales (Sequence[str] | str): Scales, e.g. ``("n", "s")`` or ``"ns"``; RT-DETR runs its one scale, ``l``,
            whatever is given (the report notes it).
        imgsz (int | None): Image size of the timings, GFLOPs and ONNX export; a multiple of 32. None means 640, or
            224 for classify (Ultralytics' classification size).
        rounds (int): Timed rounds at batch 1 per backend.
        warmup (int): Untimed rounds before them.
        batch (int): Batch size of the throughput and peak-memory measurements.
        batch_rounds (int): Timed rounds at that batch size.
        threads (int | None): CPU threads for PyTorch and ONNX Runtime; None keeps PyTorch's current setting.
        onnx (bool): Export every model with Ultralytics' ONNX exporter and time it with ONNX Runtime on the CPU.
        accuracy (bool): Also train every model ``seeds`` times (from scratch, or from its backbone row's pretrained
            weights) and report the task's metrics in the ``map50`` and ``map50_95`` fields (box, mask, pose or OBB
            mAP50 and mAP50-95; top-5 and top-1 accuracy for classify; see
            :data:`~yolo_lite.benchmark.accuracy.METRICS`).
        data (str | Path | None): Ultralytics data YAML of the task for the accuracy run (a relative ``path`` in it
            is resolved against the YAML's folder, through a copy in ``out_dir/data``); for classify a dataset folder
            with ``train`` and ``val`` splits. None generates the task's synthetic dataset
            (:func:`yolo_lite.data.make_synthetic_dataset`, images of ``train_imgsz``; the detect set for RT-DETR) in
            ``out_dir/datasets``.
        epochs (int): Training epochs of each accuracy run.
        train_kwargs (Mapping | None): Extra ``model.train()`` arguments applied to every run (e.g.
            ``{"batch": 8, "workers": 0}``); they override the defaults ``plots=False, amp=False, deterministic=True``
            (``imgsz`` and ``seed`` come from ``train_imgsz`` and ``seeds``).
        seed (int): Seed of the model initialisation and the inputs of the timings, and the first training seed.
        out_dir (str | Path): Directory for ``benchmark.{md,csv,json,png}`` and the training runs.
        command (str | None): Command line recorded in the outputs; None records this call.
        models (Sequence[str] | str | None): Shipped models to compare: names or globs (``yolo11n-starnet.yaml``,
            ``starnet`` (a tag), ``*starnet*``) matched against each model's name, stem and tag; None takes every
            model of the task that :func:`~yolo_lite.task_models.shipped_task_models` lists at the scale.
        reference (str): ``"yolo11"`` compares with the task's stock YOLO11; ``"yolo26"`` adds the task's stock
            YOLO26 as a second reference row (ratios stay relative to YOLO11; not for RT-DETR).
        seeds (int | None): Training runs per model with ``accuracy`` (seeds ``seed`` .. ``seed + seeds - 1``);
            None means 3.
        train_imgsz (int | None): Image size of training and validation; None means ``imgsz``.
        task (str): ``"detect"``, ``"segment"``, ``"pose"``, ``"obb"``, ``"classify"`` (or the file suffixes
            ``"seg"``, ``"cls"``), or ``"rtdetr"``: which stock model (``yolo11n-seg.yaml``, ...; ``rtdetr-l.yaml``)
            and shipped models (``yolo11n-seg-starnet.yaml``, ...; ``rtdetr-starnet.yaml``) are compared, the
            synthetic dataset and the metrics.
        openvino (bool): Export every model with Ultralytics' OpenVINO exporter and time it on OpenVINO's CPU plugin,
            in f32 and in the plugin's default precision.

    Returns:
        (list[dict]): One row per model (scale by scale, stock first), with every key of
            :data:`~yolo_lite.benchmark.fields.FIELDS`; a model whose build raised a ValueError has only its name and
            ``skipped`` ("skipped: <message>"), and a model whose training raised one (its backbone's pretrained
            weights cannot be fetched offline) keeps its timings and gets ``accuracy_skipped`` instead of accuracy.

    Raises:
        ValueError: An unknown task, family, model pattern, reference or scale, a non-positive count, an image size
            that is not a multiple of 32, a missing or unusable data YAML, an accuracy-only setting without
            accuracy, or missing ONNX or OpenVINO packages.

    Examples:
        >>> rows = run_benchmark(models="starnet", scales="n", imgsz=64, rounds=2, onnx=False, out_dir="runs/b")
        >>> rows[0]["model"], rows[0]["cpu_vs_stock"]  # doctest: +SKIP
        ('yolo11n', 1.0)
    """
    try:
        task = check_task(task)
    except ValueError as e:
        raise ValueError(f"benchmark: {e} (--task)") from None
    scales, scale_note = _task_scales(_check_scales(scales), task)
    selected = _models.select_models(scales, models, families, task)
    for scale in scales:
        _models.reference_models(scale, reference, task)  # raises for an unknown reference
    imgsz = DEFAULT_IMGSZ.get(task, 640) if imgsz is None else imgsz
    for name, value, low, flag in (
        ("rounds", rounds, 1, "--rounds"),
        ("warmup", warmup, 0, "--warmup"),
        ("batch", batch, 1, "--batch"),
        ("batch_rounds", batch_rounds, 1, "--batch-rounds"),
        ("epochs", epochs, 1, "--epochs"),
        ("seed", seed, 0, "--seed"),
    ):
        _check_int(name, value, low, flag)
    _check_imgsz("imgsz", imgsz, "--imgsz")
    size_warning = (
        f"{PREFIX} imgsz {imgsz} is below {MIN_TIMING_IMGSZ}: at tiny sizes per-layer overheads dominate, so these "
        f"latencies and ratios do not show how the models compare at 640 px (pass --imgsz 640 for that)"
        if imgsz < MIN_TIMING_IMGSZ
        else None
    )
    if size_warning:
        LOGGER.warning(size_warning)
    if threads is not None:
        _check_int("threads", threads, 1, "--threads")
    _check_accuracy_only(accuracy, seeds=seeds, train_imgsz=train_imgsz)
    if seeds is not None:
        _check_int("seeds", seeds, 1, "--seeds")
    if train_imgsz is not None:
        _check_imgsz("train_imgsz", train_imgsz, "--train-imgsz")
    clash = sorted({"imgsz", "seed", "epochs", "data"} & set(train_kwargs or {}))
    if clash:
        raise ValueError(
            f"benchmark: train_kwargs may not set {', '.join(clash)}; pass train_imgsz=, seed=/seeds=, epochs= or "
            "data= (--train-imgsz, --seed/--seeds, --epochs, --data) instead"
        )
    data, resolved = check_data(data, accuracy, task)
    runtimes = [name for name, wanted in (("onnx", onnx), ("openvino", openvino)) if wanted]
    for runtime in runtimes:
        check_runtime(runtime)
    seeds, train_imgsz = (seeds or DEFAULT_SEEDS, train_imgsz or imgsz) if accuracy else (None, None)
    threads = threads or torch.get_num_threads()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = dict(
        task=task,
        families=None if families is None else [families] if isinstance(families, str) else list(families),
        models=None if models is None else [models] if isinstance(models, str) else list(models),
        reference=reference,
        scales=scales,
        scale_note=scale_note,
        imgsz=imgsz,
        rounds=rounds,
        warmup=warmup,
        batch=batch,
        batch_rounds=batch_rounds,
        threads=threads,
        onnx=onnx,
        openvino=openvino,
        accuracy=accuracy,
        data=None,
        data_source=None if data is None else str(data),
        data_note=None,
        epochs=epochs if accuracy else None,
        seeds=seeds,
        train_seeds=list(range(seed, seed + seeds)) if accuracy else None,
        train_imgsz=train_imgsz,
        seed=seed,
    )
    command = command or "run_benchmark(" + ", ".join(
        f"{k}={v!r}" for k, v in settings.items() if not k.startswith(("data", "train_seeds", "scale_note"))
    ) + ")"
    env = environment(threads)
    env["malloc"] = keep_freed_memory()
    compared = sorted({name for names in selected.values() for name in names})
    LOGGER.info(f"{PREFIX} {task}: {', '.join(compared)} vs stock at scales {', '.join(scales)}, imgsz {imgsz}, "
                f"{threads} threads, {env['cpu']}")
    rows = []
    with contextlib.ExitStack() as stack:
        weights_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="yolo-lite-benchmark-")))
        stack.enter_context(others_cpu_share(env))
        for scale in scales:
            names = [*_models.reference_models(scale, reference, task), *selected[scale]]
            entries = [
                _models.prepare(name, scale, imgsz, seed, runtimes, weights_dir, task)
                for name in TQDM(names, desc=f"{PREFIX} scale {scale}: build, save, export")
            ]
            measured = [entry for entry in entries if entry.model is not None]
            for entry in measured:
                entry.row["threads"], entry.row["batch"] = threads, batch
            # After the exports: Ultralytics' select_device() sets PyTorch to os.cpu_count() - 1 threads.
            with cpu_settings(threads):
                for backend in torch_backends():
                    time_torch(measured, backend, settings, f"scale {scale}")
                time_predict(measured, settings, f"scale {scale}")
                if onnx:
                    time_onnx(measured, settings, f"scale {scale}")
                if openvino:
                    time_openvino(measured, settings, f"scale {scale}")
            rows += [entry.row for entry in entries]
    if accuracy:
        data, settings["data_note"] = prepare_data(data, resolved, out_dir, train_imgsz, seed, task)
        settings["data"] = str(data)
        train_args = dict(epochs=epochs, deterministic=True, plots=False, amp=False, exist_ok=True)
        train_args.update(train_kwargs or {})
        for row in TQDM([row for row in rows if not row["skipped"]], desc=f"{PREFIX} train and validate"):
            train_and_validate(row, data, settings["train_seeds"], train_args, out_dir / "train", train_imgsz)
        mark_frontier(rows)
    (out_dir / "benchmark.md").write_text(markdown_document(rows, command, env, settings))
    write_csv(rows, out_dir / "benchmark.csv")
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_json(rows, out_dir / "benchmark.json", command=command, created=created, environment=env, settings=settings)
    plot_frontier(rows, out_dir / "benchmark.png")
    LOGGER.info(f"\n{markdown_tables(rows)}\n")
    if size_warning:
        LOGGER.warning(size_warning)
    LOGGER.info(f"{PREFIX} results saved to {out_dir} (benchmark.md, .csv, .json, .png)")
    return rows
