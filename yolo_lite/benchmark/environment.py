"""The machine and software a benchmark runs on, and the process settings that every timing shares.

Random-init weights decay into subnormal floats, which slow a CPU down by an order of magnitude; trained weights do
not. :func:`cpu_settings` therefore flushes subnormals to zero while the timings run (``torch.set_flush_denormal``),
and :func:`environment` records it.

PyTorch's CPU tensors come from the C library's ``malloc``. glibc hands large blocks (an activation map at 640 px) back
to the kernel when they are freed, and whether the next forward pass gets them back as fresh pages, and pays a page
fault for every 4 KiB of them, depends on the history of the process: stock YOLO11n's median NCHW latency varied
between 35 and 68 ms from one identical process to the next here. :func:`keep_freed_memory` makes glibc keep freed
memory for reuse, as a long-running predictor's heap settles into, so every model is timed in that steady state.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import os
import platform
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import torch
from ultralytics.utils import LOGGER

__all__ = [
    "ENVIRONMENT_PACKAGES",
    "available_cpus",
    "cpu_settings",
    "environment",
    "keep_freed_memory",
    "no_autoinstall",
    "others_cpu_share",
    "quiet",
]

ENVIRONMENT_PACKAGES = {  # JSON key -> distribution name
    "torch": "torch",
    "torchvision": "torchvision",
    "ultralytics": "ultralytics",
    "timm": "timm",
    "onnx": "onnx",
    "onnxruntime": "onnxruntime",
    "openvino": "openvino",
    "numpy": "numpy",
    "yolo_lite": "yolo-lite",
}


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


def available_cpus() -> int:
    """Return the number of logical CPUs this process may run on: the benchmark's default thread count.

    Not ``torch.get_num_threads()``: PyTorch's setting depends on what ran before in the process (Ultralytics'
    ``select_device()`` sets it to ``os.cpu_count() - 1``, which is 1 on a 2-core machine), so a default read from it
    would change from one launch to the next.

    Examples:
        >>> available_cpus() >= 1
        True
    """
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def environment(threads: int | None = None) -> dict:
    """Describe the machine and software a benchmark runs on.

    Args:
        threads (int | None): CPU threads the benchmark uses; None records :func:`available_cpus`.

    Returns:
        (dict): ``cpu`` (model name), ``cpu_count``, ``threads``, ``cuda`` (device name or None), ``load_average``
            (1, 5 and 15 minutes, at the start), ``others_cpu_percent`` (filled by :func:`others_cpu_share`: the share
            of the machine's CPU time that other processes used during the timings; other work makes timings noisy),
            ``flush_denormal``, ``malloc`` (filled by :func:`keep_freed_memory`), ``python``, ``platform`` and the
            versions of torch, torchvision, ultralytics, timm, onnx, onnxruntime, openvino, numpy and yolo_lite (None
            when not installed).

    Examples:
        >>> environment(2)["threads"]
        2
    """
    return dict(
        cpu=_cpu_name(),
        cpu_count=os.cpu_count(),
        threads=threads or available_cpus(),
        cuda=torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
        load_average=[round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None,
        others_cpu_percent=None,
        flush_denormal=True,
        malloc=None,
        python=platform.python_version(),
        platform=platform.platform(),
        **{key: _version(distribution) for key, distribution in ENVIRONMENT_PACKAGES.items()},
    )


@contextlib.contextmanager
def no_autoinstall() -> Iterator[None]:
    """Switch Ultralytics' requirement auto-install off (``YOLO_AUTOINSTALL=false``) while the block runs."""
    from ultralytics.utils import checks

    saved, checks.AUTOINSTALL = checks.AUTOINSTALL, False
    try:
        yield
    finally:
        checks.AUTOINSTALL = saved


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Keep Ultralytics' info messages (the exporter's usage hints) out of the log while the block runs."""
    saved = LOGGER.level
    LOGGER.setLevel(logging.WARNING)
    try:
        yield
    finally:
        LOGGER.setLevel(saved)


@contextlib.contextmanager
def cpu_settings(threads: int) -> Iterator[None]:
    """Use ``threads`` PyTorch threads and flush subnormal floats to zero while the block runs."""
    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    try:
        yield
    finally:
        torch.set_flush_denormal(False)
        torch.set_num_threads(saved)


M_TRIM_THRESHOLD, M_MMAP_THRESHOLD = -1, -3  # glibc's mallopt parameters (malloc.h)
KEPT_BYTES = 1 << 30


def keep_freed_memory() -> str | None:
    """Make glibc's ``malloc`` keep freed memory in the process for reuse; return what was set, None elsewhere.

    Blocks up to 1 GiB come from the heap instead of fresh ``mmap`` pages, and the heap is not trimmed below 1 GiB of
    free memory, so a forward pass reuses the pages of the one before. The setting lasts for the rest of the process
    (glibc cannot report its previous values); it makes timings repeatable, it does not change what a model computes.

    Returns:
        (str | None): A description for the report, or None where the C library is not glibc.

    Examples:
        >>> keep_freed_memory()  # doctest: +SKIP
        'glibc malloc keeps freed memory (M_MMAP_THRESHOLD and M_TRIM_THRESHOLD 1 GiB)'
    """
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return None
    if not (mallopt(M_MMAP_THRESHOLD, KEPT_BYTES) and mallopt(M_TRIM_THRESHOLD, KEPT_BYTES)):
        return None
    return "glibc malloc keeps freed memory (M_MMAP_THRESHOLD and M_TRIM_THRESHOLD 1 GiB)"


def _machine_cpu_seconds() -> tuple[float, float] | None:
    """Return the machine's (busy, total) CPU seconds so far from ``/proc/stat``, or None where it is unreadable."""
    try:
        ticks = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
        hz = os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return (sum(ticks) - ticks[3] - ticks[4]) / hz, sum(ticks) / hz  # idle and iowait are not busy


@contextlib.contextmanager
def others_cpu_share(env: dict) -> Iterator[None]:
    """Store in ``env["others_cpu_percent"]`` the share of all CPU time that other processes used during the block."""
    start, own = _machine_cpu_seconds(), sum(os.times()[:2])
    try:
        yield
    finally:
        end, own = _machine_cpu_seconds(), sum(os.times()[:2]) - own
        if start and end and end[1] > start[1]:
            env["others_cpu_percent"] = round(100 * max(0.0, end[0] - start[0] - own) / (end[1] - start[1]), 1)
