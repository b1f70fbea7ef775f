"""``run_benchmark``: settings, select the models, build and time them scale by scale, train them, mark the frontiers,
write the reports."""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from ultralytics.utils import LOGGER, TQDM

from ..run_dir import run_dir
from . import models as _models
from .accuracy import mark_frontier, record_training
from .datasets import PreparedData, prepare_data
from .environment import cpu_settings, environment, keep_freed_memory, others_cpu_share
from .fields import PREFIX
from .plot import plot_curves, plot_frontiers
from .report import markdown_document, markdown_tables, write_csv, write_json
from .selection import compared_models
from .settings import OUT_DIR, BenchmarkSettings
from .targets import check_targets, markdown_targets
from .timing import time_onnx, time_openvino, time_predict, time_torch, torch_backends
from .training import Run, recipe, run_trainings

__all__ = ["output_dir", "run_benchmark"]
# Below this image size, a forward pass costs little more than the per-layer overhead every model pays, so latency
# ratios do not carry over to 640 px (at 64 px StarNet measured slower than stock while at 640 px it is faster).
MIN_TIMING_IMGSZ = 320


def _size_warning(imgsz: int) -> str | None:
    """Return the warning for a timing image size under :data:`MIN_TIMING_IMGSZ` (logged first and last), else None."""
    if imgsz >= MIN_TIMING_IMGSZ:
        return None
    warning = (
        f"{PREFIX} imgsz {imgsz} is below {MIN_TIMING_IMGSZ}: at tiny sizes per-layer overheads dominate, so these "
        f"latencies and ratios do not show how the models compare at 640 px (pass --imgsz 640 for that)"
    )
    LOGGER.warning(warning)
    return warning


def _settings(settings: BenchmarkSettings | None, kwargs: dict) -> BenchmarkSettings:
    """Return the run's own copy of ``settings``, or settings built (and checked) from the keyword arguments."""
    if settings is None:
        return BenchmarkSettings(**kwargs)
    if not isinstance(settings, BenchmarkSettings) or kwargs:
        raise ValueError(
            f"benchmark: pass run_benchmark either a BenchmarkSettings or keyword arguments, got {type(settings)} "
            f"and {sorted(kwargs)}; e.g. run_benchmark(models='starnet', scales='n') or "
            "run_benchmark(BenchmarkSettings(models='starnet', scales='n'))"
        )
    return copy.copy(settings)


def output_dir(settings: BenchmarkSettings) -> Path:
    """Create the run's output directory and return it; the one place that decides where a run writes.

    Args:
        settings (BenchmarkSettings): The run's settings: ``out_dir`` as given, else :data:`OUT_DIR` or a new
            numbered sibling of it (``exist_ok`` reuses it), so no earlier run is overwritten.

    Returns:
        (Path): The directory, absolute.
    """
    out_dir = run_dir(settings.out_dir, OUT_DIR, settings.exist_ok).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    return out_dir


def time_models(settings: BenchmarkSettings, compared: dict[str, list[str]], env: dict) -> list[dict]:
    """Build, save, export and time every model, scale by scale, and return their rows (references first per scale).

    Args:
        settings (BenchmarkSettings): The run's settings.
        compared (dict[str, list[str]]): Scale -> models, from :func:`~yolo_lite.benchmark.selection.compared_models`.
        env (dict): The run's environment; the CPU time that other processes used during the timings is added.

    Returns:
        (list[dict]): One row per model.
    """
    exports = [runtime for runtime in ("onnx", "openvino") if getattr(settings, runtime)]
    rows = []
    with contextlib.ExitStack() as stack:
        weights_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="yolo-lite-benchmark-")))
        stack.enter_context(others_cpu_share(env))
        for scale, names in compared.items():
            entries = [
                _models.prepare(name, scale, settings.imgsz, settings.seed, exports, weights_dir, settings.task)
                for name in TQDM(names, desc=f"{PREFIX} scale {scale}: build, save, export")
            ]
            measured = [entry for entry in entries if entry.model is not None]
            for entry in measured:
                entry.row["threads"], entry.row["batch"] = settings.threads, settings.batch
            # After the exports: Ultralytics' select_device() sets PyTorch to os.cpu_count() - 1 threads.
            with cpu_settings(settings.threads):
                for backend in torch_backends():
                    time_torch(measured, backend, settings, f"scale {scale}")
                time_predict(measured, settings, f"scale {scale}")
                if settings.onnx:
                    time_onnx(measured, settings, f"scale {scale}")
                if settings.openvino:
                    time_openvino(measured, settings, f"scale {scale}")
            rows += [entry.row for entry in entries]
    return rows


def training_recipe(settings: BenchmarkSettings) -> dict:
    """Return the ``model.train()`` arguments every model of the run trains with (``recipe`` in ``benchmark.json``)."""
    return recipe(settings.epochs, settings.train_kwargs, val=settings.curve)


def train_models(rows: list[dict], data: PreparedData, settings: BenchmarkSettings, project: Path) -> None:
    """Train every built model once per seed, ``settings.train_jobs`` runs at a time, and record the results in place.

    Args:
        rows (list[dict]): The timed rows; skipped ones are left alone.
        data (PreparedData): The data to train on.
        settings (BenchmarkSettings): The run's settings (epochs, seeds, image size, curve, jobs, extra train
            arguments, whether to reuse finished trainings).
        project (Path): Directory of the training runs.
    """
    train_args = training_recipe(settings)
    trained = [row for row in rows if not row["skipped"]]
    runs = [Run(row["yaml"], seed, f"{row['model']}-seed{seed}") for row in trained for seed in settings.train_seeds]
    outcomes = iter(
        run_trainings(
            runs, data.path, train_args, project, settings.train_imgsz, settings.train_jobs, settings.reuse_trainings
        )
    )
    for row in trained:
        record_training(
            row, [next(outcomes) for _ in settings.train_seeds], settings.epochs, settings.train_imgsz, settings.curve
        )


def write_reports(
    rows: list[dict], settings: BenchmarkSettings, env: dict, data: PreparedData | None, out_dir: Path
) -> list[Path]:
    """Write the figures, ``benchmark.md``, ``benchmark.csv`` and ``benchmark.json`` into ``out_dir``.

    For detection the document ends with the targets' table (:mod:`~yolo_lite.benchmark.targets`), which the JSON
    keeps too (``targets``); with accuracy the JSON also keeps the ``model.train()`` arguments (``recipe``).

    Args:
        rows (list[dict]): The rows.
        settings (BenchmarkSettings): The run's settings (recorded in the JSON with :func:`dataclasses.asdict`).
        env (dict): The run's environment.
        data (PreparedData | None): The data trained on (None without an accuracy run).
        out_dir (Path): The output directory.

    Returns:
        (list[Path]): Every file written.
    """
    figures = plot_frontiers(rows, out_dir)
    if settings.curve:
        figures.append(plot_curves(rows, out_dir / "benchmark-curves.png"))
    targets = check_targets(rows) if settings.task == "detect" else []
    document = markdown_document(rows, settings, env, data, figures)
    (out_dir / "benchmark.md").write_text(document + (f"\n{markdown_targets(targets)}\n" if targets else ""))
    write_csv(rows, out_dir / "benchmark.csv")
    write_json(
        rows,
        out_dir / "benchmark.json",
        command=settings.command,
        created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        environment=env,
        settings=dataclasses.asdict(settings),
        recipe=training_recipe(settings) if settings.accuracy else None,
        data=None if data is None else {"path": str(data.path), "note": data.note},
        targets=[dataclasses.asdict(result) for result in targets],
    )
    return [*figures, out_dir / "benchmark.md", out_dir / "benchmark.csv", out_dir / "benchmark.json"]


def run_benchmark(settings: BenchmarkSettings | None = None, **kwargs) -> list[dict]:
    """Compare stock YOLO11 (and YOLO26) with the task's shipped models and the user's YAMLs; write reports and plots.

    The pipeline: check the settings (:class:`~yolo_lite.benchmark.settings.BenchmarkSettings`), select the models at
    each scale (:func:`~yolo_lite.benchmark.selection.compared_models`), build, export and time them scale by scale
    (:func:`time_models`), with ``accuracy`` generate or resolve the data and train every model per seed
    (:func:`train_models`) and mark the ratios and frontiers (:func:`~yolo_lite.benchmark.accuracy.mark_frontier`),
    then write the reports (:func:`write_reports`). Everything is checked before any work: bad input raises a
    ValueError before the output directory is made.

    Args:
        settings (BenchmarkSettings | None): The run's settings; None builds them from ``kwargs``.
        **kwargs (Any): The fields of :class:`~yolo_lite.benchmark.settings.BenchmarkSettings` (``task``, ``models``,
            ``families``, ``reference``, ``scales``, ``imgsz``, ``rounds``, ``warmup``, ``batch``, ``batch_rounds``,
            ``threads``, ``onnx``, ``openvino``, ``accuracy``, ``data``, ``train_images``, ``val_images``,
            ``epochs``, ``seeds``, ``seed``, ``train_imgsz``, ``curve``, ``train_kwargs``, ``train_jobs``,
            ``reuse_trainings``, ``out_dir``, ``exist_ok``, ``command``), when ``settings`` is None.

    Returns:
        (list[dict]): One row per model (scale by scale, references first), with every key of
            :data:`~yolo_lite.benchmark.fields.FIELDS`; a model whose build raised a ValueError has only its name and
            ``skipped`` ("skipped: <message>"), and a model whose training raised one (its backbone's pretrained
            weights cannot be fetched offline) keeps its timings and gets ``accuracy_skipped`` instead of accuracy.

    Raises:
        ValueError: Any setting that :class:`~yolo_lite.benchmark.settings.BenchmarkSettings` refuses, a family or
            model pattern that selects nothing, a model file whose scale or task does not fit, two models of one
            name, or both ``settings`` and keyword arguments.

    Examples:
        >>> rows = run_benchmark(models="starnet", scales="n", imgsz=64, rounds=2, onnx=False, out_dir="runs/b")
        >>> rows[0]["model"], rows[0]["cpu_vs_stock"]  # doctest: +SKIP
        ('yolo11n', 1.0)
    """
    settings = _settings(settings, kwargs)
    compared = compared_models(settings)
    out_dir = output_dir(settings)
    settings.out_dir = str(out_dir)
    size_warning = _size_warning(settings.imgsz)
    env = environment(settings.threads)
    env["malloc"] = keep_freed_memory()
    names = sorted({Path(name).stem for names in compared.values() for name in names})
    LOGGER.info(
        f"{PREFIX} {settings.task}: {', '.join(names)} at scales {', '.join(settings.scales)}, imgsz "
        f"{settings.imgsz}, {settings.threads} threads, {env['cpu']}"
    )
    rows = time_models(settings, compared, env)
    data = None
    if settings.accuracy:
        data = prepare_data(settings, out_dir)
        train_models(rows, data, settings, out_dir / "train")
        mark_frontier(rows)
    files = write_reports(rows, settings, env, data, out_dir)
    saved = ", ".join(path.name for path in files)
    LOGGER.info(f"\n{markdown_tables(rows)}\n")
    if size_warning:
        LOGGER.warning(size_warning)
    LOGGER.info(f"{PREFIX} results saved to {out_dir} ({saved})")
    return rows
