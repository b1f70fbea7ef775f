"""Warnings that the exporters' dependencies raise and that a yolo-lite user cannot act on.

Ultralytics' exporters call converters that warn about their own internals, e.g. OpenVINO's conversion traces the
model with ``torch.jit.trace``, which torch marks deprecated (``FutureWarning``). Those warnings say nothing about the
user's model or settings, so the benchmark and the export matrix run their exports inside :func:`quiet_exporters`.
It never changes the process-wide filters: outside the block every warning shows as before.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator

__all__ = ["QUIET_MODULES", "quiet_exporters"]

# Modules whose deprecation notices are silenced inside quiet_exporters(): the converters and runtimes of the exports.
QUIET_MODULES = r"(torch|onnx|onnxruntime|onnxslim|onnxscript|openvino|ncnn|pnnx|MNN|paddle|x2paddle|coremltools)(\.|$)"


@contextlib.contextmanager
def quiet_exporters() -> Iterator[None]:
    """Hide ``FutureWarning`` and ``DeprecationWarning`` raised inside the exporters' dependencies while the block runs.

    Examples:
        >>> import warnings
        >>> with quiet_exporters():
        ...     warnings.warn_explicit("deprecated", FutureWarning, "_trace.py", 1, module="torch.jit._trace")
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warnings.warn_explicit("deprecated", FutureWarning, "_trace.py", 1, module="torch.jit._trace")
        >>> len(caught)
        1
    """
    with warnings.catch_warnings():
        for category in (FutureWarning, DeprecationWarning):
            warnings.filterwarnings("ignore", category=category, module=QUIET_MODULES)
        yield
