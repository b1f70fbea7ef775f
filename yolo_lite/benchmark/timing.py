"""Timing backends, interleaved: PyTorch on the CPU (NCHW and channels-last) and CUDA, Ultralytics' AutoBackend (the
inference step of ``predict()``), ONNX Runtime, and OpenVINO (f32 and its default precision) on the CPU.

After a warm-up, every round times each model of a scale once, stock first (stock, lite, ..., stock, lite, ...), so a
slow moment on a noisy machine hits all of them alike. Latency is the median over rounds with the interquartile range
as its spread, and the ratio to stock is the median of the per-round ratios. ONNX Runtime flushes subnormal floats to
zero (``session.set_denormal_as_zero``) and OpenVINO too (``CPU_DENORMALS_OPTIMIZATION``), as
:func:`~yolo_lite.benchmark.environment.cpu_settings` does for PyTorch.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from copy import deepcopy
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import torch
from ultralytics.utils import TQDM

from .fields import BACKENDS, MB, STOCK, TORCH_BACKENDS, is_yolo26
from .models import Entry

if TYPE_CHECKING:
    import onnxruntime

    from .settings import BenchmarkSettings

__all__ = [
    "check_runtime",
    "onnx_session_options",
    "time_interleaved",
    "time_onnx",
    "time_openvino",
    "time_predict",
    "time_torch",
    "torch_backends",
]


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


RUNTIMES = {  # flag of run_benchmark -> (packages it needs, CLI flag that turns it off)
    "onnx": (("onnx", "onnxruntime"), "--no-onnx"),
    "openvino": (("openvino",), "--no-openvino"),
}


def check_runtime(runtime: str) -> None:
    """Raise a ValueError with the install command when a package that ``runtime`` (a key of RUNTIMES) needs is missing.

    Examples:
        >>> check_runtime("onnx")  # onnx and onnxruntime are installed
    """
    packages, flag = RUNTIMES[runtime]
    missing = [name for name in packages if importlib.util.find_spec(name) is None]
    if missing:
        raise ValueError(
            f"benchmark: {runtime} timing needs {' and '.join(missing)}; install them with pip install "
            f"'yolo-lite[bench]' or pass {runtime}=False ({flag})"
        )


def torch_backends() -> list[str]:
    """Return the PyTorch backends this machine can run: the CPU ones, and the CUDA ones when a GPU is present."""
    return [b for b, (device, *_) in TORCH_BACKENDS.items() if device == "cpu" or torch.cuda.is_available()]


def _tensor_bytes(tensors) -> int:
    """Return the bytes held by ``tensors``."""
    return sum(t.numel() * t.element_size() for t in tensors)


def _model_bytes(model: torch.nn.Module) -> int:
    """Return the bytes of a model's parameters and buffers."""
    return _tensor_bytes([*model.parameters(), *model.buffers()])


@contextlib.contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at the null device for the block, then restore it.

    The torch profiler's native code writes "USDT ... profiler_start/stop" lines straight to that descriptor, past
    Python's ``sys.stderr``, once per profiled forward pass; the user's terminal should not fill with them.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _cpu_peak_bytes(model: torch.nn.Module, x: torch.Tensor) -> int:
    """Return weights + input + the peak of PyTorch's CPU allocations during one forward pass of ``model`` on ``x``."""
    from torch.profiler import ProfilerActivity, profile

    with _native_stderr_silenced(), torch.inference_mode():
        with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
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


def _record(entries: Sequence[Entry], backend: str, times: dict[str, list[float]]) -> None:
    """Write median, spread, ratio to stock (entries[0]) and to stock YOLO26 (when it is a reference: the median
    per-round ratio, as to stock) and GFLOP/s of ``times`` into the entries' rows."""
    stock = np.asarray(times[entries[0].row["model"]])
    yolo26 = next((e.row["model"] for e in entries if e.row["family"] == STOCK and is_yolo26(e.row)), None)
    yolo26 = None if yolo26 is None else np.asarray(times[yolo26])
    for entry in entries:
        t = np.asarray(times[entry.row["model"]])
        q25, median, q75 = np.percentile(t, [25, 50, 75])
        entry.row[f"{backend}_ms"] = median * 1e3
        entry.row[f"{backend}_iqr_ms"] = (q75 - q25) * 1e3
        entry.row[f"{backend}_vs_stock"] = float(np.median(t / stock))
        if yolo26 is not None:
            entry.row[f"{backend}_vs_yolo26"] = float(np.median(t / yolo26))
        entry.row[f"{backend}_gflops_per_s"] = entry.row["gflops"] / median


def _input(settings: BenchmarkSettings, batch: int = 1) -> torch.Tensor:
    """Return the run's input: ``batch`` images of uniform noise from the run's seed, NCHW."""
    generator = torch.Generator().manual_seed(settings.seed)
    return torch.rand(batch, 3, settings.imgsz, settings.imgsz, generator=generator)


def time_torch(entries: Sequence[Entry], backend: str, settings: BenchmarkSettings, label: str) -> None:
    """Latency at batch 1, throughput and peak memory at ``batch`` of every entry on one PyTorch backend.

    Args:
        entries (Sequence[Entry]): Built models of one scale, stock YOLO11 first.
        backend (str): A key of :data:`~yolo_lite.benchmark.fields.TORCH_BACKENDS`.
        settings (BenchmarkSettings): The run's ``imgsz``, ``seed``, ``batch``, ``rounds``, ``warmup`` and
            ``batch_rounds``.
        label (str): Progress bar prefix.
    """
    device, dtype, layout = TORCH_BACKENDS[backend]
    models = {
        e.row["model"]: e.model
        if (device, layout) == ("cpu", torch.contiguous_format)
        else deepcopy(e.model).to(device, dtype, memory_format=layout)
        for e in entries
    }
    x1, xb = (_input(settings, n).to(device, dtype).contiguous(memory_format=layout) for n in (1, settings.batch))
    sync, batch = SYNC[device], settings.batch
    with torch.inference_mode():
        times = time_interleaved(
            {name: partial(m, x1) for name, m in models.items()},
            settings.rounds,
            settings.warmup,
            f"{label} {BACKENDS[backend]} latency",
            sync,
        )
        bulk = time_interleaved(
            {name: partial(m, xb) for name, m in models.items()},
            settings.batch_rounds,
            min(settings.warmup, 1),
            f"{label} {BACKENDS[backend]} batch {batch}",
            sync,
        )
    _record(entries, backend, times)
    for entry in entries:
        name = entry.row["model"]
        entry.row[f"{backend}_ips"] = batch / float(np.median(bulk[name]))
        entry.row[f"{backend}_peak_mb"] = PEAK_BYTES[device](models[name], xb) / MB
    del models


def time_predict(entries: Sequence[Entry], settings: BenchmarkSettings, label: str) -> None:
    """Latency at batch 1 of every entry's inference step in ``model.predict()``: Ultralytics' AutoBackend.

    AutoBackend is built on a copy of the fused model as Ultralytics' predictor builds it (``fuse=True``, its default
    memory layout: channels-last on x86 CPUs) and gets the NCHW tensor the predictor's preprocessing makes. Image
    decoding, letterboxing and NMS are left out: they do not depend on the backbone.

    Args:
        entries (Sequence[Entry]): Built models of one scale, stock YOLO11 first.
        settings (BenchmarkSettings): The run's ``imgsz``, ``seed``, ``rounds`` and ``warmup``.
        label (str): Progress bar prefix.
    """
    from ultralytics.nn.autobackend import AutoBackend

    x = _input(settings)
    backends = {
        e.row["model"]: AutoBackend(deepcopy(e.model), device=torch.device("cpu"), fuse=True, verbose=False)
        for e in entries
    }
    with torch.inference_mode():
        times = time_interleaved(
            {name: partial(backend, x) for name, backend in backends.items()},
            settings.rounds,
            settings.warmup,
            f"{label} {BACKENDS['predict']} latency",
        )
    _record(entries, "predict", times)


def onnx_session_options(threads: int) -> onnxruntime.SessionOptions:
    """Return the ONNX Runtime session options the benchmark times with: ``threads`` intra-op threads, every graph
    optimization, subnormals flushed to zero, and threads that do not spin.

    By default an ONNX Runtime session's threads keep spinning after each run, and in interleaved rounds they would
    take the cores from the next model's run (stock YOLO11n measured 2x its one-session latency that way). A lone
    session in a user's process has the cores to itself, as here.

    Args:
        threads (int): Intra-op threads.

    Returns:
        (onnxruntime.SessionOptions): The options, for ``onnxruntime.InferenceSession``.
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.add_session_config_entry("session.set_denormal_as_zero", "1")
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def time_onnx(entries: Sequence[Entry], settings: BenchmarkSettings, label: str) -> None:
    """Latency at batch 1 of every entry's exported model on ONNX Runtime's CPU provider, with
    :func:`onnx_session_options`.

    Args:
        entries (Sequence[Entry]): Built and exported models of one scale, stock YOLO11 first.
        settings (BenchmarkSettings): The run's ``threads``, ``imgsz``, ``seed``, ``rounds`` and ``warmup``.
        label (str): Progress bar prefix.
    """
    import onnxruntime as ort

    options = onnx_session_options(settings.threads)
    x = _input(settings).numpy()
    runners = {}
    for entry in entries:
        session = ort.InferenceSession(str(entry.onnx_path), options, providers=["CPUExecutionProvider"])
        runners[entry.row["model"]] = partial(session.run, None, {session.get_inputs()[0].name: x})
    times = time_interleaved(runners, settings.rounds, settings.warmup, f"{label} {BACKENDS['onnx']} latency")
    _record(entries, "onnx", times)


OPENVINO_PRECISION = {"openvino_f32": {"INFERENCE_PRECISION_HINT": "f32"}, "openvino": {}}  # backend -> extra config


def time_openvino(entries: Sequence[Entry], settings: BenchmarkSettings, label: str) -> None:
    """Latency at batch 1 of every entry's OpenVINO model on OpenVINO's CPU plugin, in f32 and in its default precision.

    Models compile with Ultralytics' latency hint, the run's threads and subnormals flushed to zero; the default
    precision that the plugin picked (bf16 on CPUs with bf16 units) goes into each row's ``openvino_precision``.

    Args:
        entries (Sequence[Entry]): Built and exported models of one scale, stock YOLO11 first.
        settings (BenchmarkSettings): The run's ``threads``, ``imgsz``, ``seed``, ``rounds`` and ``warmup``.
        label (str): Progress bar prefix.
    """
    import openvino as ov

    core = ov.Core()
    x = _input(settings).numpy()
    base = {
        "PERFORMANCE_HINT": "LATENCY",
        "INFERENCE_NUM_THREADS": str(settings.threads),
        "CPU_DENORMALS_OPTIMIZATION": "YES",
    }
    for backend, precision in OPENVINO_PRECISION.items():
        runners = {}
        for entry in entries:
            compiled = core.compile_model(str(entry.openvino_path), "CPU", {**base, **precision})
            runners[entry.row["model"]] = partial(compiled.create_infer_request().infer, [x])
            if not precision:
                entry.row["openvino_precision"] = compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()
        desc = f"{label} {BACKENDS[backend]} latency"
        _record(entries, backend, time_interleaved(runners, settings.rounds, settings.warmup, desc))
