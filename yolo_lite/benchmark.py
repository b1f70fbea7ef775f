"""Speed, size and accuracy of yolo-lite models next to stock YOLO11: the ``yolo-lite benchmark`` command.

For each scale, stock YOLO11 and every backbone family (each shipped ``yolo11-<family>.yaml``) are built from their
YAMLs with the same seed, saved as Ultralytics checkpoints, fused with ``model.fuse()`` and timed:

- PyTorch on the CPU at batch 1, in the default layout and channels-last (which Ultralytics' predictor uses on x86
  CPUs), ONNX Runtime on the CPU running the model that Ultralytics' exporter wrote, and
  PyTorch on CUDA in fp32 and fp16 when a GPU is present;
- throughput and peak memory at a larger batch on each PyTorch device.

After a warm-up, every round times each model of the scale once, stock first (stock, lite, ..., stock, lite, ...), so
a slow moment on a noisy machine hits all of them alike. Latency is the median over rounds with the interquartile
range as its spread, and the ratio to stock is the median of the per-round ratios. With ``accuracy=True`` every model
is also trained for the same epochs with the same seed and hyperparameters and validated on the data's val split.

Random-init weights decay into subnormal floats, which slow a CPU down by an order of magnitude; trained weights do
not. Timings therefore flush subnormals to zero (``torch.set_flush_denormal`` and ONNX Runtime's
``session.set_denormal_as_zero``), and the JSON records it. Nothing is downloaded: the ONNX export runs with
``simplify=False`` and Ultralytics' auto-install switched off, and the default dataset is generated.

Outputs in ``out_dir``: ``benchmark.md`` (the command, the environment and the table), ``benchmark.csv``,
``benchmark.json`` (environment, settings, field descriptions, rows) and ``benchmark.png`` (latency vs mAP50-95, or
vs GFLOPs without an accuracy run).

Examples:
    >>> from yolo_lite.benchmark import run_benchmark
    >>> rows = run_benchmark(families=("starnet",), scales="n", imgsz=64, rounds=2, batch=2, out_dir="runs/quick")
    >>> [row["model"] for row in rows]  # doctest: +SKIP
    ['yolo11n', 'yolo11n-starnet']
"""

from __future__ import annotations

import contextlib
import csv
import importlib.util
import json
import logging
import os
import platform
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import partial
from importlib import metadata
from pathlib import Path

import numpy as np
import torch
from ultralytics.utils import LOGGER, TQDM, colorstr

from .patches.yaml_lookup import CFG_DIR
from .summary import model_summary

__all__ = [
    "BACKENDS",
    "FIELDS",
    "available_families",
    "environment",
    "markdown_table",
    "plot_frontier",
    "run_benchmark",
    "time_interleaved",
    "write_csv",
    "write_json",
]

PREFIX = colorstr("benchmark:")
SCALES = "nsmlx"
STOCK = "stock"
MB = 1e6

# Latency backends: key prefix of the row fields -> label. "cpu*" and "cuda_*" run PyTorch, "onnx" ONNX Runtime.
# "cpu" keeps PyTorch's default (NCHW) layout; "cpu_cl" converts the model and input to channels-last, which is what
# Ultralytics' predictor (AutoBackend) does by default on x86 CPUs, so it is the latency users of predict() see.
BACKENDS = {
    "cpu": "PyTorch CPU",
    "cpu_cl": "PyTorch CPU channels-last",
    "onnx": "ONNX Runtime CPU",
    "cuda_fp32": "PyTorch CUDA fp32",
    "cuda_fp16": "PyTorch CUDA fp16",
}
TORCH_BACKENDS = {  # PyTorch backends: key -> (device, dtype, memory format)
    "cpu": ("cpu", torch.float32, torch.contiguous_format),
    "cpu_cl": ("cpu", torch.float32, torch.channels_last),
    "cuda_fp32": ("cuda", torch.float32, torch.contiguous_format),
    "cuda_fp16": ("cuda", torch.float16, torch.contiguous_format),
}

FIELDS = {
    "model": "model name, the YAML's stem (yolo11n, yolo11n-starnet)",
    "family": "backbone family, 'stock' for Ultralytics' YOLO11",
    "scale": "model scale (n, s, m, l, x)",
    "backbone": "type of layer 0",
    "params": "number of parameters",
    "gflops": "GFLOPs of one image at imgsz (Ultralytics' get_flops on the unfused model)",
    "pt_mb": "size of the checkpoint written by YOLO.save() (fp16, as training saves it), MB",
    "onnx_mb": "size of the fp32 ONNX model from Ultralytics' exporter, MB (null without ONNX)",
    "imgsz": "image size of every timing, GFLOPs count and training",
    "threads": "CPU threads of PyTorch and ONNX Runtime",
    **{
        key: text
        for backend, label in BACKENDS.items()
        for key, text in (
            (f"{backend}_ms", f"{label} latency at batch 1: median over the rounds, ms (null when not run)"),
            (f"{backend}_iqr_ms", f"{label} latency spread: interquartile range over the rounds, ms"),
            (f"{backend}_vs_stock", f"{label} latency / stock latency at the same scale: median of per-round ratios"),
            (f"{backend}_gflops_per_s", f"{label} achieved GFLOP/s: gflops / median latency"),
        )
    },
    "batch": "batch size of the throughput and peak-memory measurements",
    **{
        key: text
        for backend in TORCH_BACKENDS
        for key, text in (
            (f"{backend}_ips", f"{BACKENDS[backend]} throughput at the batch size: images/s from the median round"),
            (
                f"{backend}_peak_mb",
                f"{BACKENDS[backend]} peak memory of one forward pass at the batch size: weights + input + "
                "activations allocated by PyTorch, MB",
            ),
        )
    },
    "epochs": "training epochs of the accuracy run (null without one)",
    "map50": "mAP50 on the data's val split after training (null without an accuracy run)",
    "map50_95": "mAP50-95 on the data's val split after training (null without an accuracy run)",
}

ENVIRONMENT_PACKAGES = {  # JSON key -> distribution name
    "torch": "torch",
    "torchvision": "torchvision",
    "ultralytics": "ultralytics",
    "timm": "timm",
    "onnx": "onnx",
    "onnxruntime": "onnxruntime",
    "numpy": "numpy",
    "yolo_lite": "yolo-lite",
}


@dataclass
class _Entry:
    """One model of the benchmark: its row and the objects that time it."""

    row: dict
    model: torch.nn.Module  # fused, fp32, CPU, eval
    onnx_path: Path | None = None


def available_families() -> list[str]:
    """Return the backbone families that ship a YAML, i.e. ``<family>`` of every ``yolo_lite/cfg/yolo11-<family>.yaml``.

    Returns:
        (list[str]): Family names, sorted.

    Examples:
        >>> "starnet" in available_families()
        True
    """
    return sorted(p.stem.removeprefix("yolo11-") for p in CFG_DIR.glob("yolo11-*.yaml"))


def _cpu_name() -> str:
    """Return the CPU model from ``/proc/cpuinfo``, else what :mod:`platform` knows."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() in {"model name", "Model", "Hardware"} and value.strip():
                return value.strip()
    return platform.processor() or platform.machine()


def _version(distribution: str) -> str | None:
    """Return the installed version of ``distribution``, or None if it is not installed."""
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def environment(threads: int | None = None) -> dict:
    """Describe the machine and software a benchmark runs on.

    Args:
        threads (int | None): CPU threads the benchmark uses; None records PyTorch's current setting.

    Returns:
        (dict): ``cpu`` (model name), ``cpu_count``, ``threads``, ``cuda`` (device name or None), ``load_average``
            (1, 5 and 15 minutes, at the start), ``others_cpu_percent`` (filled by :func:`run_benchmark`: the share of
            the machine's CPU time that other processes used during the timings; other work makes timings noisy),
            ``flush_denormal``, ``python``, ``platform`` and the versions of torch, torchvision, ultralytics, timm,
            onnx, onnxruntime, numpy and yolo_lite (None when not installed).

    Examples:
        >>> environment(2)["threads"]
        2
    """
    return dict(
        cpu=_cpu_name(),
        cpu_count=os.cpu_count(),
        threads=threads or torch.get_num_threads(),
        cuda=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        load_average=[round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        others_cpu_percent=None,
        flush_denormal=True,
        python=platform.python_version(),
        platform=platform.platform(),
        **{key: _version(distribution) for key, distribution in ENVIRONMENT_PACKAGES.items()},
    )


def time_interleaved(
    runners: Mapping[str, Callable[[], object]],
    rounds: int,
    warmup: int = 0,
    desc: str = "timing",
    sync: Callable[[], object] | None = None,
) -> dict[str, list[float]]:
    """Time each runner once per round, in the mapping's order, after ``warmup`` untimed rounds of the same order.

    Args:
        runners (Mapping[str, Callable[[], object]]): Name -> a call to time; put the reference (stock) first.
        rounds (int): Timed rounds.
        warmup (int): Untimed rounds before them.
        desc (str): Progress bar label.
        sync (Callable[[], object] | None): Called before starting and after stopping each clock, e.g.
            ``torch.cuda.synchronize``.

    Returns:
        (dict[str, list[float]]): Name -> seconds of each timed round.

    Examples:
        >>> times = time_interleaved({"a": lambda: None, "b": lambda: None}, rounds=3)
        >>> [len(t) for t in times.values()]
        [3, 3]
    """
    times = {name: [] for name in runners}
    with TQDM(total=(warmup + rounds) * len(runners), desc=desc) as bar:
        for i in range(warmup + rounds):
            for name, run in runners.items():
                if sync:
                    sync()
                start = time.perf_counter()
                run()
                if sync:
                    sync()
                if i >= warmup:
                    times[name].append(time.perf_counter() - start)
                bar.update()
    return times


def _check_int(name: str, value, low: int, flag: str) -> None:
    """Raise a ValueError naming ``name`` and the fix unless ``value`` is an integer >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(
            f"benchmark: {name} must be an integer >= {low}, got {value!r}; pass {name}={max(low, 1)} or more ({flag})"
        )


def _check_families(families: Sequence[str] | str | None) -> list[str]:
    """Return the families to benchmark, or raise a ValueError listing the available ones."""
    available = available_families()
    names = available if families is None else [families] if isinstance(families, str) else list(families)
    hint = f"available families: {', '.join(available) or 'none'} (from {CFG_DIR}/yolo11-<family>.yaml)"
    if not names:
        raise ValueError(f"benchmark: no family to compare with stock YOLO11; pass one or more, {hint}")
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(
            f"benchmark: unknown family {', '.join(map(repr, unknown))}; pass a family name such as "
            f"{available[0] if available else 'starnet'!r} (not a model or file name), {hint}"
        )
    return list(dict.fromkeys(names))


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


def _check_data(data: str | Path | None, accuracy: bool) -> Path | None:
    """Return the data YAML's path (None for the synthetic dataset), or raise a ValueError that says what to fix."""
    if data is None:
        return None
    if not accuracy:
        raise ValueError(
            f"benchmark: data={str(data)!r} is only used to measure accuracy; "
            "pass accuracy=True (--accuracy) or drop it"
        )
    path = Path(data)
    if path.suffix not in {".yaml", ".yml"} or not path.is_file():
        raise ValueError(
            f"benchmark: data YAML not found: {str(data)!r} (resolved {path.resolve()}); pass the path of an "
            "Ultralytics data YAML, e.g. datasets/coco128/coco128.yaml, or leave data unset to use the synthetic "
            "dataset"
        )
    from ultralytics.data.utils import check_det_dataset

    try:
        check_det_dataset(str(path), autodownload=False)
    except (FileNotFoundError, SyntaxError, KeyError, TypeError, ValueError) as e:
        raise ValueError(
            f"benchmark: data YAML {str(data)!r} is not a usable Ultralytics dataset: {str(e).splitlines()[0]}; "
            "fix its 'path', 'train', 'val' and 'names' entries (a relative 'path' is resolved against the working "
            "directory, not the YAML's folder) or pass another data YAML"
        ) from e
    return path


def _check_onnx() -> None:
    """Raise a ValueError with the install command when the ONNX packages are missing."""
    missing = [name for name in ("onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
    if missing:
        raise ValueError(
            f"benchmark: ONNX timing needs {' and '.join(missing)}; install them with pip install 'yolo-lite[bench]' "
            "or pass onnx=False (--no-onnx)"
        )


@contextlib.contextmanager
def _no_autoinstall() -> Iterator[None]:
    """Switch Ultralytics' requirement auto-install off (``YOLO_AUTOINSTALL=false``) while the block runs."""
    from ultralytics.utils import checks

    saved, checks.AUTOINSTALL = checks.AUTOINSTALL, False
    try:
        yield
    finally:
        checks.AUTOINSTALL = saved


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Keep Ultralytics' info messages (the exporter's usage hints) out of the log while the block runs."""
    saved = LOGGER.level
    LOGGER.setLevel(logging.WARNING)
    try:
        yield
    finally:
        LOGGER.setLevel(saved)


@contextlib.contextmanager
def _cpu_settings(threads: int) -> Iterator[None]:
    """Use ``threads`` PyTorch threads and flush subnormal floats to zero while the block runs."""
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(saved)


def _machine_cpu_seconds() -> tuple[float, float] | None:
    """Return the machine's (busy, total) CPU seconds so far from ``/proc/stat``, or None where it is unreadable."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        hz = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / hz, sum(ticks) / hz  # idle and iowait are not busy


@contextlib.contextmanager
def _others_cpu_share(env: dict) -> Iterator[None]:
    """Store in ``env["others_cpu_percent"]`` the share of all CPU time that other processes used during the block."""
    start, own = _machine_cpu_seconds(), sum(os.times()[:2])
    try:
        yield
    finally:
        end, own = _machine_cpu_seconds(), sum(os.times()[:2]) - own
        if start and end and end[1] > start[1]:
            env["others_cpu_percent"] = round(100 * max(0.0, end[0] - start[0] - own) / (end[1] - start[1]), 1)


def _tensor_bytes(tensors) -> int:
    """Return the bytes held by ``tensors``."""
    return sum(t.numel() * t.element_size() for t in tensors)


def _model_bytes(model: torch.nn.Module) -> int:
    """Return the bytes of a model's parameters and buffers."""
    return _tensor_bytes([*model.parameters(), *model.buffers()])


def _cpu_peak_bytes(model: torch.nn.Module, x: torch.Tensor) -> int:
    """Return weights + input + the peak of PyTorch's CPU allocations during one forward pass of ``model`` on ``x``."""
    from torch.profiler import ProfilerActivity, profile

    with torch.inference_mode(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        model(x)
    events = sorted(
        (
            e
            for e in prof.profiler.kineto_results.events()
            if e.name() == "[memory]" and e.device_type() == torch.autograd.DeviceType.CPU
        ),
        key=lambda e: e.start_ns(),
    )
    peak = int(np.max(np.cumsum([e.nbytes() for e in events]), initial=0))
    return _model_bytes(model) + _tensor_bytes([x]) + peak


def _cuda_peak_bytes(model: torch.nn.Module, x: torch.Tensor) -> int:
    """Return weights + input + the peak of PyTorch's CUDA allocations during one forward pass of ``model`` on ``x``."""
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    before = torch.cuda.memory_allocated()
    with torch.inference_mode():
        model(x)
    torch.cuda.synchronize()
    return _model_bytes(model) + _tensor_bytes([x]) + torch.cuda.max_memory_allocated() - before


PEAK_BYTES = {"cpu": _cpu_peak_bytes, "cuda": _cuda_peak_bytes}
SYNC = {"cpu": None, "cuda": torch.cuda.synchronize}


def _prepare(scale: str, family: str, imgsz: int, seed: int, onnx: bool, weights_dir: Path) -> _Entry:
    """Build, save, measure, export and fuse one model; return its entry."""
    from ultralytics import YOLO

    name = f"yolo11{scale}" if family == STOCK else f"yolo11{scale}-{family}"
    torch.manual_seed(seed)
    yolo = YOLO(f"{name}.yaml")
    size = model_summary(f"{name}.yaml", imgsz)
    checkpoint = weights_dir / f"{name}.pt"
    yolo.save(checkpoint)
    row = dict.fromkeys(FIELDS)
    row.update(
        model=name,
        family=family,
        scale=scale,
        backbone=size["backbone"].rsplit(".", 1)[-1],
        params=size["params"],
        gflops=size["gflops"],
        pt_mb=checkpoint.stat().st_size / MB,
        imgsz=imgsz,
    )
    onnx_path = None
    if onnx:
        with _no_autoinstall(), _quiet():
            exported = YOLO(checkpoint).export(
                format="onnx", imgsz=imgsz, batch=1, simplify=False, dynamic=False, device="cpu"
            )
        onnx_path = Path(exported)
        row["onnx_mb"] = onnx_path.stat().st_size / MB
    model = yolo.model.float().eval()
    model.fuse(verbose=False)
    return _Entry(row=row, model=model, onnx_path=onnx_path)


def _record(entries: list[_Entry], backend: str, times: dict[str, list[float]]) -> None:
    """Write median, spread, ratio to stock (entries[0]) and GFLOP/s of ``times`` into the entries' rows."""
    stock = np.asarray(times[entries[0].row["model"]])
    for entry in entries:
        t = np.asarray(times[entry.row["model"]])
        q25, median, q75 = np.percentile(t, [25, 50, 75])
        entry.row[f"{backend}_ms"] = median * 1e3
        entry.row[f"{backend}_iqr_ms"] = (q75 - q25) * 1e3
        entry.row[f"{backend}_vs_stock"] = float(np.median(t / stock))
        entry.row[f"{backend}_gflops_per_s"] = entry.row["gflops"] / median


def _time_torch(entries: list[_Entry], backend: str, settings: dict, label: str) -> None:
    """Latency at batch 1, throughput and peak memory at ``batch`` of every entry on one PyTorch backend."""
    device, dtype, layout = TORCH_BACKENDS[backend]
    models = {
        e.row["model"]: e.model
        if (device, layout) == ("cpu", torch.contiguous_format)
        else deepcopy(e.model).to(device, dtype, memory_format=layout)
        for e in entries
    }
    generator = torch.Generator().manual_seed(settings["seed"])
    x1, xb = (
        torch.rand(n, 3, settings["imgsz"], settings["imgsz"], generator=generator)
        .to(device, dtype)
        .contiguous(memory_format=layout)
        for n in (1, settings["batch"])
    )
    sync, batch = SYNC[device], settings["batch"]
    with torch.inference_mode():
        times = time_interleaved(
            {name: partial(m, x1) for name, m in models.items()},
            settings["rounds"],
            settings["warmup"],
            f"{label} {BACKENDS[backend]} latency",
            sync,
        )
        bulk = time_interleaved(
            {name: partial(m, xb) for name, m in models.items()},
            settings["batch_rounds"],
            min(settings["warmup"], 1),
            f"{label} {BACKENDS[backend]} batch {batch}",
            sync,
        )
    _record(entries, backend, times)
    for entry in entries:
        name = entry.row["model"]
        entry.row[f"{backend}_ips"] = batch / float(np.median(bulk[name]))
        entry.row[f"{backend}_peak_mb"] = PEAK_BYTES[device](models[name], xb) / MB
    del models


def _time_onnx(entries: list[_Entry], settings: dict, label: str) -> None:
    """Latency at batch 1 of every entry's exported model on ONNX Runtime's CPU provider."""
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = settings["threads"]
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.set_denormal_as_zero", "1")
    generator = torch.Generator().manual_seed(settings["seed"])
    x = torch.rand(1, 3, settings["imgsz"], settings["imgsz"], generator=generator)
    runners = {}
    for entry in entries:
        session = ort.InferenceSession(str(entry.onnx_path), options, providers=["CPUExecutionProvider"])
        runners[entry.row["model"]] = partial(session.run, None, {session.get_inputs()[0].name: x.numpy()})
    times = time_interleaved(runners, settings["rounds"], settings["warmup"], f"{label} {BACKENDS['onnx']} latency")
    _record(entries, "onnx", times)


def _train_and_validate(row: dict, data: Path, settings: dict, train_args: dict, project: Path) -> None:
    """Train ``row``'s model from scratch and validate it; write ``map50``, ``map50_95`` and ``epochs`` into ``row``."""
    from ultralytics import YOLO

    model = YOLO(f"{row['model']}.yaml")
    model.train(data=str(data), project=str(project), name=row["model"], **train_args)
    metrics = model.val(  # batch, device and workers carry over from training
        data=str(data), imgsz=settings["imgsz"], plots=False, project=str(project), name=f"{row['model']}-val"
    )
    row.update(epochs=settings["epochs"], map50=float(metrics.box.map50), map50_95=float(metrics.box.map))


def _round(value):
    """Round floats to 4 decimals for the files; leave everything else alone."""
    return round(value, 4) if isinstance(value, float) else value


def _cell(row: dict, key: str, fmt: str, spread: str | None = None) -> str:
    """Format ``row[key]`` (and ``row[spread]`` in parentheses) for the table; empty when missing."""
    if row[key] is None:
        return ""
    return f"{row[key]:{fmt}}" + (f" ({row[spread]:{fmt}})" if spread else "")


def markdown_table(rows: Sequence[dict]) -> str:
    """Return the rows as a markdown table, one line per model; columns nobody measured are left out.

    Args:
        rows (Sequence[dict]): Rows from :func:`run_benchmark` (every key of :data:`FIELDS`).

    Returns:
        (str): The table.
    """
    first = rows[0]
    columns = [
        ("model", "model", "s", None, "---"),
        ("backbone", "backbone", "s", None, "---"),
        ("params (M)", "params", None, None, "---:"),
        (f"GFLOPs @{first['imgsz']}", "gflops", ".3g", None, "---:"),
        (".pt MB", "pt_mb", ".1f", None, "---:"),
        (".onnx MB", "onnx_mb", ".1f", None, "---:"),
    ]
    for backend, label in BACKENDS.items():
        columns += [
            (f"{label} ms (IQR)", f"{backend}_ms", ".1f", f"{backend}_iqr_ms", "---:"),
            ("vs stock", f"{backend}_vs_stock", ".2f", None, "---:"),
            ("GFLOP/s", f"{backend}_gflops_per_s", ".1f", None, "---:"),
        ]
    for backend in TORCH_BACKENDS:
        columns += [
            (f"{BACKENDS[backend]} img/s @batch {first['batch']}", f"{backend}_ips", ".1f", None, "---:"),
            ("peak MB", f"{backend}_peak_mb", ".0f", None, "---:"),
        ]
    columns += [("mAP50", "map50", ".3f", None, "---:"), ("mAP50-95", "map50_95", ".3f", None, "---:")]
    columns = [c for c in columns if any(row[c[1]] is not None for row in rows)]
    lines = ["| " + " | ".join(c[0] for c in columns) + " |", "|" + "|".join(c[4] for c in columns) + "|"]
    for row in rows:
        cells = [
            f"{row['params'] / 1e6:.2f}" if key == "params" else _cell(row, key, fmt, spread)
            for _, key, fmt, spread, _ in columns
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _records(rows: Sequence[dict]) -> list[dict]:
    """Return the rows with exactly the :data:`FIELDS` keys, numbers rounded for the CSV and JSON files."""
    return [{key: _round(row[key]) for key in FIELDS} for row in rows]


def write_csv(rows: Sequence[dict], path: str | Path) -> Path:
    """Write the rows as CSV, one column per :data:`FIELDS` key (empty where not measured).

    Args:
        rows (Sequence[dict]): Rows from :func:`run_benchmark`.
        path (str | Path): Output file.

    Returns:
        (Path): ``path``.
    """
    path = Path(path)
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(FIELDS))
        writer.writeheader()
        writer.writerows(_records(rows))
    return path


def write_json(rows: Sequence[dict], path: str | Path, **sections) -> Path:
    """Write ``{**sections, "fields": FIELDS, "rows": rows}`` as JSON (missing measurements are null).

    Args:
        rows (Sequence[dict]): Rows from :func:`run_benchmark`.
        path (str | Path): Output file.
        **sections (Any): Other top-level entries, e.g. ``command``, ``environment`` and ``settings``.

    Returns:
        (Path): ``path``.
    """
    path = Path(path)
    document = {**sections, "fields": FIELDS, "rows": _records(rows)}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
    return path


def plot_frontier(rows: Sequence[dict], path: str | Path) -> Path:
    """Plot PyTorch CPU latency against mAP50-95 (or GFLOPs without accuracy), one point per model, as a PNG.

    Each point is labelled with its scale and coloured by family, and a family's points are joined across scales; with
    accuracy, the dashed line is the speed-accuracy frontier (the models no other model beats on both latency and
    mAP50-95).

    Args:
        rows (Sequence[dict]): Rows from :func:`run_benchmark`.
        path (str | Path): Output PNG file.

    Returns:
        (Path): ``path``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    accuracy = all(row["map50_95"] is not None for row in rows)
    y_key, y_label = ("map50_95", "mAP50-95 (val)") if accuracy else ("gflops", f"GFLOPs @{rows[0]['imgsz']}")
    fig = Figure(figsize=(7.5, 5), dpi=120, layout="tight")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for family in dict.fromkeys(row["family"] for row in rows):
        points = [row for row in rows if row["family"] == family]
        ax.plot([r["cpu_ms"] for r in points], [r[y_key] for r in points], marker="o", label=family)
        for r in points:  # colour = family, letter = scale: short labels stay readable where points crowd
            ax.annotate(r["scale"], (r["cpu_ms"], r[y_key]), textcoords="offset points", xytext=(-3, 7), fontsize=9)
    if accuracy:
        frontier, best = [], -1.0
        for r in sorted(rows, key=lambda r: (r["cpu_ms"], -r["map50_95"])):
            if r["map50_95"] > best:
                frontier.append(r)
                best = r["map50_95"]
        ax.plot([r["cpu_ms"] for r in frontier], [r["map50_95"] for r in frontier], "k--", lw=1, label="frontier")
        title = f"Speed vs accuracy: mAP50-95 vs latency, {rows[0]['epochs']} epochs"
    else:
        title = "Latency vs GFLOPs (no accuracy run; --accuracy plots mAP50-95)"
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(f"PyTorch CPU latency, batch 1 @{rows[0]['imgsz']}, {rows[0]['threads']} threads (ms, median)")
    ax.set_ylabel(y_label)
    ax.grid(alpha=0.3)
    ax.margins(0.2)
    ax.legend(fontsize=8)
    path = Path(path)
    fig.savefig(path)
    return path


def _count(n: int, noun: str) -> str:
    """Return ``"1 round"`` or ``"2 rounds"``."""
    return f"{n} {noun}{'s' * (n != 1)}"


def _markdown_document(rows: Sequence[dict], command: str, env: dict, settings: dict) -> str:
    """Return the ``benchmark.md`` text: command, environment, method, table and plot."""
    versions = ", ".join(f"{key} {env[key]}" for key in ENVIRONMENT_PACKAGES if env[key])
    method = (
        f"Latency: batch 1 at {settings['imgsz']}x{settings['imgsz']}, median (interquartile range) of "
        f"{_count(settings['rounds'], 'interleaved round')} after {_count(settings['warmup'], 'warm-up round')}; "
        "'vs stock' is the median "
        f"per-round ratio to stock YOLO11 at the same scale. Throughput and peak memory at batch {settings['batch']} "
        f"({_count(settings['batch_rounds'], 'round')}). Models are fused; subnormal floats are flushed to zero."
    )
    if settings["accuracy"]:
        method += (
            f" Accuracy: trained {settings['epochs']} epochs from scratch (seed {settings['seed']}) on "
            f"{settings['data']}, validated on its val split."
        )
    return "\n".join(
        [
            "# yolo-lite benchmark",
            "",
            f"Command: `{command}`",
            "",
            f"CPU: {env['cpu']} ({env['cpu_count']} logical cores), {env['threads']} threads; "
            f"load average at start {env['load_average']}, other processes used {env['others_cpu_percent']}% of "
            f"the CPU time during the timings; CUDA: {env['cuda'] or 'none'}; Python {env['python']}; {versions}.",
            "",
            method,
            "",
            markdown_table(rows),
            "",
            "![latency plot](benchmark.png)",
            "",
        ]
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
) -> list[dict]:
    """Compare stock YOLO11 with each backbone family at each scale; write the table, CSV, JSON and plot.

    Args:
        families (Sequence[str] | str | None): Families to compare (``"starnet"``, ...); None takes every shipped one.
        scales (Sequence[str] | str): Scales, e.g. ``("n", "s")`` or ``"ns"``.
        imgsz (int): Image size of the timings, GFLOPs and training; a multiple of 32.
        rounds (int): Timed rounds at batch 1 per backend.
        warmup (int): Untimed rounds before them.
        batch (int): Batch size of the throughput and peak-memory measurements.
        batch_rounds (int): Timed rounds at that batch size.
        threads (int | None): CPU threads for PyTorch and ONNX Runtime; None keeps PyTorch's current setting.
        onnx (bool): Export every model with Ultralytics' ONNX exporter and time it with ONNX Runtime on the CPU.
        accuracy (bool): Also train every model from scratch and report mAP50 and mAP50-95 on the val split.
        data (str | Path | None): Ultralytics data YAML for the accuracy run; None generates the synthetic dataset
            (:func:`yolo_lite.data.make_synthetic_dataset`, images of ``imgsz``) in ``out_dir/datasets``.
        epochs (int): Training epochs of the accuracy run.
        train_kwargs (Mapping | None): Extra ``model.train()`` arguments applied to every model (e.g.
            ``{"batch": 8, "workers": 0}``); they override the defaults ``plots=False, amp=False, deterministic=True``.
        seed (int): Seed of the model initialisation, the inputs and the training.
        out_dir (str | Path): Directory for ``benchmark.{md,csv,json,png}`` and the training runs.
        command (str | None): Command line recorded in the outputs; None records this call.

    Returns:
        (list[dict]): One row per model (scale by scale, stock first), with every key of :data:`FIELDS`.

    Raises:
        ValueError: An unknown family or scale, a non-positive count, an image size that is not a multiple of 32, a
            missing or unusable data YAML (or data without accuracy), or missing ONNX packages.

    Examples:
        >>> rows = run_benchmark(families=("starnet",), scales="n", imgsz=64, rounds=2, onnx=False, out_dir="runs/b")
        >>> rows[0]["model"], rows[0]["cpu_vs_stock"]  # doctest: +SKIP
        ('yolo11n', 1.0)
    """
    families = _check_families(families)
    scales = _check_scales(scales)
    for name, value, low, flag in (
        ("rounds", rounds, 1, "--rounds"),
        ("warmup", warmup, 0, "--warmup"),
        ("batch", batch, 1, "--batch"),
        ("batch_rounds", batch_rounds, 1, "--batch-rounds"),
        ("epochs", epochs, 1, "--epochs"),
        ("seed", seed, 0, "--seed"),
        ("imgsz", imgsz, 32, "--imgsz"),
    ):
        _check_int(name, value, low, flag)
    if imgsz % 32:
        raise ValueError(f"benchmark: imgsz must be a multiple of 32 (the models' stride), got {imgsz}; pass e.g. 640")
    if threads is not None:
        _check_int("threads", threads, 1, "--threads")
    data = _check_data(data, accuracy)
    if onnx:
        _check_onnx()
    threads = threads or torch.get_num_threads()
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    settings = dict(
        families=families,
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
        epochs=epochs if accuracy else None,
        seed=seed,
    )
    command = command or "run_benchmark(" + ", ".join(f"{k}={v!r}" for k, v in settings.items() if k != "data") + ")"
    env = environment(threads)
    LOGGER.info(f"{PREFIX} {', '.join(families)} vs stock YOLO11 at scales {', '.join(scales)}, imgsz {imgsz}, "
                f"{threads} threads, {env['cpu']}")
    backends = [b for b, (device, *_) in TORCH_BACKENDS.items() if device == "cpu" or torch.cuda.is_available()]
    rows = []
    with contextlib.ExitStack() as stack:
        weights_dir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="yolo-lite-benchmark-")))
        stack.enter_context(_others_cpu_share(env))
        stack.enter_context(_cpu_settings(threads))
        for scale in scales:
            names = [STOCK, *families]
            entries = [
                _prepare(scale, family, imgsz, seed, onnx, weights_dir)
                for family in TQDM(names, desc=f"{PREFIX} scale {scale}: build, save, export")
            ]
            for entry in entries:
                entry.row["threads"], entry.row["batch"] = threads, batch
            for backend in backends:
                _time_torch(entries, backend, settings, f"scale {scale}")
            if onnx:
                _time_onnx(entries, settings, f"scale {scale}")
            rows += [entry.row for entry in entries]
    if accuracy:
        if data is None:
            from .data import make_synthetic_dataset

            data = make_synthetic_dataset(out_dir / "datasets" / "yolo-lite-shapes", imgsz=imgsz, seed=seed)
        settings["data"] = str(data)
        train_args = dict(
            epochs=epochs, imgsz=imgsz, seed=seed, deterministic=True, plots=False, amp=False, exist_ok=True
        )
        train_args.update(train_kwargs or {})
        for row in TQDM(rows, desc=f"{PREFIX} train and validate"):
            _train_and_validate(row, data, settings, train_args, out_dir / "train")
    table = markdown_table(rows)
    document = _markdown_document(rows, command, env, settings)
    (out_dir / "benchmark.md").write_text(document)
    write_csv(rows, out_dir / "benchmark.csv")
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_json(rows, out_dir / "benchmark.json", command=command, created=created, environment=env, settings=settings)
    plot_frontier(rows, out_dir / "benchmark.png")
    LOGGER.info(f"\n{table}\n\n{PREFIX} results saved to {out_dir} (benchmark.md, .csv, .json, .png)")
    return rows
