"""The benchmark's reports: markdown tables (one per timing backend), ``benchmark.md``, CSV and JSON.

The markdown shows a sizes table (params, GFLOPs, file sizes, and why a model was skipped), an overview of every model's
latency ratio to stock on each backend that ran, then one table per timing backend (latency with its IQR, ratio to
stock, achieved GFLOP/s, and throughput and peak memory for PyTorch), then the accuracy table: mean (std) and range of
the task's metrics (mAP50 and mAP50-95, mask or pose mAP, top-1 and top-5 for classify:
:data:`~yolo_lite.benchmark.accuracy.METRICS`), the mean per-seed ratio to each reference with its standard error, the
latency of PyTorch (NCHW) and of each frontier backend with the frontier it is on, and why a model was not trained. The
CSV and JSON keep every column of :data:`~yolo_lite.benchmark.fields.FIELDS`; the JSON also holds the settings
(:class:`~yolo_lite.benchmark.settings.BenchmarkSettings`) and the data trained on.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ..task_models import stock_label
from .accuracy import METRICS
from .environment import ENVIRONMENT_PACKAGES
from .fields import BACKEND_COLUMNS, BACKENDS, FIELDS, FRONTIER_BACKENDS, REFERENCE_RATIOS, TORCH_BACKENDS

if TYPE_CHECKING:
    from .datasets import PreparedData
    from .settings import BenchmarkSettings

__all__ = ["markdown_document", "markdown_tables", "write_csv", "write_json"]

Column = tuple[str, Callable[[dict], str], str]  # header, cell of a row ("" when not measured), alignment


def _fmt(fmt: str, key: str, spread: str | None = None) -> Callable[[dict], str]:
    """Return a cell function formatting ``row[key]`` (and ``row[spread]`` in parentheses); empty when missing."""

    def cell(row: dict) -> str:
        if row[key] is None:
            return ""
        return f"{row[key]:{fmt}}" + (f" ({row[spread]:{fmt}})" if spread and row[spread] is not None else "")

    return cell


def _range(key: str) -> Callable[[dict], str]:
    """Return a cell function showing ``min-max`` of ``key`` over the seeds."""
    return lambda row: "" if row[f"{key}_min"] is None else f"{row[f'{key}_min']:.3f}-{row[f'{key}_max']:.3f}"


def _table(rows: Sequence[dict], columns: Sequence[Column]) -> str:
    """Return ``rows`` as a markdown table; columns that are empty in every row are left out."""
    cells = [[cell(row).replace("|", "\\|") for _, cell, _ in columns] for row in rows]
    keep = [i for i in range(len(columns)) if i == 0 or any(line[i] for line in cells)]
    lines = [
        "| " + " | ".join(columns[i][0] for i in keep) + " |",
        "|" + "|".join(columns[i][2] for i in keep) + "|",
        *("| " + " | ".join(line[i] for i in keep) + " |" for line in cells),
    ]
    return "\n".join(lines)


def _sizes_table(rows: Sequence[dict]) -> str:
    """Return the sizes table: every model, with the reason where it was skipped."""
    return _table(
        rows,
        [
            ("model", lambda r: r["model"], "---"),
            ("backbone", lambda r: r["backbone"] or "", "---"),
            ("params (M)", lambda r: "" if r["params"] is None else f"{r['params'] / 1e6:.2f}", "---:"),
            (f"GFLOPs @{rows[0]['imgsz']}", _fmt(".3g", "gflops"), "---:"),
            (".pt MB", _fmt(".1f", "pt_mb"), "---:"),
            (".onnx MB", _fmt(".1f", "onnx_mb"), "---:"),
            ("skipped", lambda r: r["skipped"] or "", "---"),
        ],
    )


def _backend_table(rows: Sequence[dict], backend: str) -> str:
    """Return one timing backend's table: latency (IQR), ratio to stock, GFLOP/s, and throughput and peak memory."""
    return _table(
        rows,
        [
            ("model", lambda r: r["model"], "---"),
            ("ms (IQR)", _fmt(".1f", f"{backend}_ms", f"{backend}_iqr_ms"), "---:"),
            ("vs stock", _fmt(".2f", f"{backend}_vs_stock"), "---:"),
            ("GFLOP/s", _fmt(".1f", f"{backend}_gflops_per_s"), "---:"),
            *(
                [
                    (f"img/s @batch {rows[0]['batch']}", _fmt(".1f", f"{backend}_ips"), "---:"),
                    ("peak MB", _fmt(".0f", f"{backend}_peak_mb"), "---:"),
                ]
                if backend in TORCH_BACKENDS
                else []
            ),
        ],
    )


def _overview_table(rows: Sequence[dict], backends: Sequence[str]) -> str:
    """Return the overview: PyTorch CPU latency, then the ratio to stock on each of ``backends``, one column each."""
    return _table(
        rows,
        [
            ("model", lambda r: r["model"], "---"),
            (f"{BACKENDS['cpu']} ms", _fmt(".1f", "cpu_ms"), "---:"),
            *((BACKEND_COLUMNS[b], _fmt(".2f", f"{b}_vs_stock"), "---:") for b in backends),
        ],
    )


def _flag(key: str) -> Callable[[dict], str]:
    """Return a cell function showing a yes/no ``key``; empty when missing."""
    return lambda row: "" if row[key] is None else "yes" if row[key] else "no"


def _accuracy_table(rows: Sequence[dict]) -> str:
    """Return the accuracy table: mean (std) and range over the seeds, ratios to the references (SE), latencies and
    frontiers, why not trained.

    The metric columns are named for the rows' task (``mAP50-95``, ``mask mAP50-95``, ``top-1``, ...).
    """
    task = rows[0]["task"]
    metric = METRICS[task]
    return _table(
        rows,
        [
            ("model", lambda r: r["model"], "---"),
            ("seeds", lambda r: "" if r["seeds"] is None else str(r["seeds"]), "---:"),
            (f"{metric.map50_label} mean (std)", _fmt(".3f", "map50", "map50_std"), "---:"),
            (f"{metric.map50_label} min-max", _range("map50"), "---:"),
            (f"{metric.map50_95_label} mean (std)", _fmt(".3f", "map50_95", "map50_95_std"), "---:"),
            (f"{metric.map50_95_label} min-max", _range("map50_95"), "---:"),
            *(
                (f"vs {stock_label(task, v)} (SE)", _fmt(".3f", f"map50_95_vs_{k}", f"map50_95_vs_{k}_se"), "---:")
                for k, v in REFERENCE_RATIOS.items()
            ),
            (f"{BACKENDS['cpu']} ms", _fmt(".1f", "cpu_ms"), "---:"),
            *(
                column
                for backend in FRONTIER_BACKENDS
                for column in (
                    (f"{BACKEND_COLUMNS[backend]} ms", _fmt(".1f", f"{backend}_ms"), "---:"),
                    (f"frontier {BACKEND_COLUMNS[backend]}", _flag(f"frontier_{backend}"), "---"),
                )
            ),
            ("skipped", lambda r: r["accuracy_skipped"] or "", "---"),
        ],
    )


def markdown_tables(rows: Sequence[dict]) -> str:
    """Return the markdown tables: sizes, the ratios to stock, one per timing backend that ran, and accuracy.

    Args:
        rows (Sequence[dict]): Rows from :func:`~yolo_lite.benchmark.run_benchmark` (every key of
            :data:`~yolo_lite.benchmark.fields.FIELDS`); skipped models appear in the sizes table only, models whose
            training was skipped in the accuracy table with the reason.

    Returns:
        (str): The tables, each under a ``###`` heading.
    """
    measured = [row for row in rows if not row["skipped"]]
    backends = [b for b in BACKENDS if any(row[f"{b}_ms"] is not None for row in measured)]
    parts = ["### Sizes", "", _sizes_table(rows)]
    if measured:
        parts += ["", "### Latency vs stock, every backend", "", _overview_table(measured, backends)]
    for backend in backends:
        parts += ["", f"### {BACKENDS[backend]}", "", _backend_table(measured, backend)]
    trained = [row for row in measured if row["map50_95"] is not None or row["accuracy_skipped"]]
    if trained:
        parts += ["", "### Accuracy", "", _accuracy_table(trained)]
    return "\n".join(parts)


def _count(n: int, noun: str) -> str:
    """Return ``"1 round"`` or ``"2 rounds"``."""
    return f"{n} {noun}{'s' * (n != 1)}"


def _method(rows: Sequence[dict], settings: BenchmarkSettings, env: dict, data: PreparedData | None) -> str:
    """Return the report's paragraph on how the numbers were measured."""
    task = settings.task
    stock, metric = f"stock {stock_label(task)}", METRICS[task]
    method = f"Task: {task}; every model is compared with {stock}" + (
        f" and stock {stock_label(task, 'yolo26')}." if settings.reference == "yolo26" else "."
    )
    method += f" {settings.scale_note}" if settings.scale_note else ""
    method += (
        f" Latency: batch 1 at {settings.imgsz}x{settings.imgsz}, median (interquartile range) of "
        f"{_count(settings.rounds, 'interleaved round')} after {_count(settings.warmup, 'warm-up round')}; "
        f"'vs stock' is the median per-round ratio to {stock} at the same scale. Throughput and peak memory at "
        f"batch {settings.batch} ({_count(settings.batch_rounds, 'round')}). Models are fused; subnormal floats "
        "are flushed to zero" + (f"; {env['malloc']}" if env.get("malloc") else "") + "."
    )
    if any(row["openvino_precision"] for row in rows):
        precisions = sorted({row["openvino_precision"] for row in rows if row["openvino_precision"]})
        method += f" OpenVINO's default inference precision on this CPU: {', '.join(precisions)}."
    if settings.accuracy:
        seeds = settings.train_seeds
        versions = ["yolo11", "yolo26"] if settings.reference == "yolo26" else ["yolo11"]
        ratios = " and ".join(f"'vs {stock_label(task, version)} (SE)'" for version in versions)
        frontiers = " and ".join(BACKENDS[b] for b in FRONTIER_BACKENDS if any(row[f"{b}_ms"] for row in rows))
        method += (
            f" Accuracy: every model trained {_count(settings.epochs, 'epoch')} from its YAML (from scratch, or from "
            f"the backbone row's pretrained weights) at {settings.train_imgsz}x{settings.train_imgsz} once per seed "
            f"({_count(len(seeds), 'seed')}: {', '.join(map(str, seeds))}; same hyperparameters, the JSON's recipe; "
            f"deterministic) on {data.note}, and validated on its val split after the last epoch"
            + (" (and after every epoch for the learning curves)" if settings.curve else "")
            + f": {metric.map50_label} and {metric.map50_95_label} (the JSON and CSV keep them in the map50 and "
            f"map50_95 fields); mean (sample standard deviation) and min-max over the seeds. {ratios}: the mean "
            "over the seeds of the per-seed ratio of "
            f"{metric.map50_95_label} to that reference's at the same scale, with its standard error (sample standard "
            "deviation of the ratios / sqrt(seeds)). 'frontier': no other model has both a lower latency on that "
            f"backend ({frontiers}, at {settings.imgsz} px) and a higher mean {metric.map50_95_label}."
        )
        if settings.reuse_trainings:
            method += (
                " Trainings that had already finished in this directory with the same arguments were read, not run "
                "again (reuse_trainings)."
            )
    skipped = [row for row in rows if row["skipped"]]
    untrained = [row for row in rows if row["accuracy_skipped"]]
    if skipped:
        method += f" {_count(len(skipped), 'model')} skipped (see the sizes table)."
    if untrained:
        method += f" {_count(len(untrained), 'model')} not trained (see the accuracy table)."
    return method


def markdown_document(
    rows: Sequence[dict],
    settings: BenchmarkSettings,
    env: dict,
    data: PreparedData | None = None,
    figures: Sequence[Path] = (),
) -> str:
    """Return the ``benchmark.md`` text: command, environment, method, tables and figures.

    Args:
        rows (Sequence[dict]): Rows from :func:`~yolo_lite.benchmark.run_benchmark`.
        settings (BenchmarkSettings): The run's settings (``command`` is the command line that ran it).
        env (dict): :func:`~yolo_lite.benchmark.environment.environment` of the run.
        data (PreparedData | None): The data the accuracy run trained on (None without one).
        figures (Sequence[Path]): The figures written next to the document, linked at its end.

    Returns:
        (str): The document.
    """
    versions = ", ".join(f"{key} {env[key]}" for key in ENVIRONMENT_PACKAGES if env[key])
    return "\n".join(
        [
            "# yolo-lite benchmark" + ("" if settings.task == "detect" else f": {settings.task}"),
            "",
            f"Command: `{settings.command}`",
            "",
            f"CPU: {env['cpu']} ({env['cpu_count']} logical cores), {env['threads']} threads; "
            f"load average at start {env['load_average']}, other processes used {env['others_cpu_percent']}% of "
            f"the CPU time during the timings; CUDA: {env['cuda'] or 'none'}; Python {env['python']}; {versions}.",
            "",
            _method(rows, settings, env, data),
            "",
            markdown_tables(rows),
            "",
            *(f"![{Path(figure).stem}]({Path(figure).name})\n" for figure in figures),
        ]
    )


def _round(value):
    """Round floats (also inside lists) to 4 decimals for the files; leave everything else alone."""
    if isinstance(value, list):
        return [_round(v) for v in value]
    return round(value, 4) if isinstance(value, float) else value


def _records(rows: Sequence[dict]) -> list[dict]:
    """Return the rows with exactly the :data:`FIELDS` keys, numbers rounded for the CSV and JSON files."""
    return [{key: _round(row[key]) for key in FIELDS} for row in rows]


def write_csv(rows: Sequence[dict], path: str | Path) -> Path:
    """Write the rows as CSV, one column per :data:`FIELDS` key (empty where not measured, lists space-separated).

    Args:
        rows (Sequence[dict]): Rows from :func:`~yolo_lite.benchmark.run_benchmark`.
        path (str | Path): Output file.

    Returns:
        (Path): ``path``.
    """
    path = Path(path)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(FIELDS))
        writer.writeheader()
        for record in _records(rows):
            writer.writerow({k: " ".join(map(str, v)) if isinstance(v, list) else v for k, v in record.items()})
    return path


def write_json(rows: Sequence[dict], path: str | Path, **sections) -> Path:
    """Write ``{**sections, "fields": FIELDS, "rows": rows}`` as JSON (missing measurements are null).

    Args:
        rows (Sequence[dict]): Rows from :func:`~yolo_lite.benchmark.run_benchmark`.
        path (str | Path): Output file.
        **sections (Any): Other top-level entries, e.g. ``command``, ``environment`` and ``settings``.

    Returns:
        (Path): ``path``.
    """
    path = Path(path)
    document = {**sections, "fields": FIELDS, "rows": _records(rows)}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path
