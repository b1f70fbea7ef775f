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

from . import models as _models
from .accuracy import check_data, mark_frontier, prepare_data, train_and_validate
from .environment import cpu_settings, environment, others_cpu_share
from .fields import PREFIX, SCALES
from .plot import plot_frontier
from .report import markdown_document, markdown_tables, write_csv, write_json
from .timing import check_onnx, time_onnx, time_torch, torch_backends

__all__ = ["run_benchmark"]

DEFAULT_SEEDS = 3  # training runs per model with accuracy=True


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
    imgsz: int = 640,
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
) -> list[dict]:
    """Compare stock YOLO11 with every shipped model at each scale; write the tables, CSV, JSON and plot.

    Args:
        families (Sequence[str] | str | None): Keep only models whose tag starts with one of these families
            (``"starnet"`` keeps ``yolo11n-starnet`` and ``yolo11n-starnet-imagenet``); None keeps all.
        scales (Sequence[str] | str): Scales, e.g. ``("n", "s")`` or ``"ns"``.
        imgsz (int): Image size of the timings, GFLOPs and ONNX export; a multiple of 32.
        rounds (int): Timed rounds at batch 1 per backend.
        warmup (int): Untimed rounds before them.
        batch (int): Batch size of the throughput and peak-memory measurements.
        batch_rounds (int): Timed rounds at that batch size.
        threads (int | None): CPU threads for PyTorch and ONNX Runtime; None keeps PyTorch's current setting.
        onnx (bool): Export every model with Ultralytics' ONNX exporter and time it with ONNX Runtime on the CPU.
        accuracy (bool): Also train every model ``seeds`` times (from scratch, or from its backbone row's pretrained
            weights) and report mAP50 and mAP50-95.
        data (str | Path | None): Ultralytics data YAML for the accuracy run (a relative ``path`` in it is resolved
            against the YAML's folder, through a copy in ``out_dir/data``); None generates the synthetic dataset
            (:func:`yolo_lite.data.make_synthetic_dataset`, images of ``train_imgsz``) in ``out_dir/datasets``.
        epochs (int): Training epochs of each accuracy run.
        train_kwargs (Mapping | None): Extra ``model.train()`` arguments applied to every run (e.g.
            ``{"batch": 8, "workers": 0}``); they override the defaults ``plots=False, amp=False, deterministic=True``
            (``imgsz`` and ``seed`` come from ``train_imgsz`` and ``seeds``).
        seed (int): Seed of the model initialisation and the inputs of the timings, and the first training seed.
        out_dir (str | Path): Directory for ``benchmark.{md,csv,json,png}`` and the training runs.
        command (str | None): Command line recorded in the outputs; None records this call.
        models (Sequence[str] | str | None): Shipped models to compare: names or globs (``yolo11n-starnet.yaml``,
            ``starnet`` (a tag), ``*starnet*``) matched against each model's name, stem and tag; None takes every
            model that :func:`~yolo_lite.benchmark.models.shipped_models` lists at the scale.
        reference (str): ``"yolo11"`` compares with stock YOLO11; ``"yolo26"`` adds stock YOLO26 as a second
            reference row (ratios stay relative to YOLO11).
        seeds (int | None): Training runs per model with ``accuracy`` (seeds ``seed`` .. ``seed + seeds - 1``);
            None means 3.
        train_imgsz (int | None): Image size of training and validation; None means ``imgsz``.

    Returns:
        (list[dict]): One row per model (scale by scale, stock first), with every key of
            :data:`~yolo_lite.benchmark.fields.FIELDS`; a model whose build raised a ValueError has only its name and
            ``skipped`` ("skipped: <message>"), and a model whose training raised one (its backbone's pretrained
            weights cannot be fetched offline) keeps its timings and gets ``accuracy_skipped`` instead of accuracy.

    Raises:
        ValueError: An unknown family, model pattern, reference or scale, a non-positive count, an image size that is
            not a multiple of 32, a missing or unusable data YAML, an accuracy-only setting without accuracy, or
            missing ONNX packages.

    Examples:
        >>> rows = run_benchmark(models="starnet", scales="n", imgsz=64, rounds=2, onnx=False, out_dir="runs/b")
        >>> rows[0]["model"], rows[0]["cpu_vs_stock"]  # doctest: +SKIP
        ('yolo11n', 1.0)
    """
    scales = _check_scales(scales)
    selected = _models.select_models(scales, models, families)
    for scale in scales:
        _models.reference_models(scale, reference)  # raises for an unknown reference
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
    data, resolved = check_data(data, accuracy)
    if onnx:
        check_onnx()
    seeds, train_imgsz = (seeds or DEFAULT_SEEDS, train_imgsz or imgsz) if accuracy else (None, None)
    threads = threads or torch.get_num_threads()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = dict(
        families=None if families is None else [families] if isinstance(families, str) else list(families),
        models=None if models is None else [models] if isinstance(models, str) else list(models),
        reference=reference,
        scales=scales,
        imgsz=imgsz,
        rounds=rounds,
        warmup=warmup,
        batch=batch,
        batch_rounds=batch_rounds,
        threads=threads,
        onnx=onnx,
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
        f"{k}={v!r}" for k, v in settings.items() if not k.startswith(("data", "train_seeds"))
    ) + ")"
    env = environment(threads)
    compared = sorted({name for names in selected.values() for name in names})
    LOGGER.info(f"{PREFIX} {', '.join(compared)} vs stock at scales {', '.join(scales)}, imgsz {imgsz}, "
                f"{threads} threads, {env['cpu']}")
    rows = []
    with contextlib.ExitStack() as stack:
        weights_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="yolo-lite-benchmark-")))
        stack.enter_context(others_cpu_share(env))
        stack.enter_context(cpu_settings(threads))
        for scale in scales:
            names = [*_models.reference_models(scale, reference), *selected[scale]]
            entries = [
                _models.prepare(name, scale, imgsz, seed, onnx, weights_dir)
                for name in TQDM(names, desc=f"{PREFIX} scale {scale}: build, save, export")
            ]
            measured = [entry for entry in entries if entry.model is not None]
            for entry in measured:
                entry.row["threads"], entry.row["batch"] = threads, batch
            for backend in torch_backends():
                time_torch(measured, backend, settings, f"scale {scale}")
            if onnx:
                time_onnx(measured, settings, f"scale {scale}")
            rows += [entry.row for entry in entries]
    if accuracy:
        data, settings["data_note"] = prepare_data(data, resolved, out_dir, train_imgsz, seed)
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
    LOGGER.info(f"\n{markdown_tables(rows)}\n\n{PREFIX} results saved to {out_dir} (benchmark.md, .csv, .json, .png)")
    return rows
