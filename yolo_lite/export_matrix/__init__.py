"""Export matrix: every backbone family exported to every Ultralytics format, run back, and compared with PyTorch.

``yolo-lite export-matrix`` (:func:`run_export_matrix`) builds one shipped model per family with a calibrated head
(:mod:`.reference`), exports it with ``model.export(format=...)`` to each format of :data:`FORMATS` (:mod:`.formats`:
options, runtime settings, tolerances), loads each export with ``YOLO(path)`` and compares raw outputs and final boxes
with the PyTorch checkpoint (:mod:`.compare`), then writes ``export.md`` and ``export.json`` (default folder
``runs/export-matrix``) and, when asked, the matrix into a docs page (:mod:`.report`; the project's own run writes
``docs/export`` and ``docs/deployment.md``). The formats whose converters clash with the pinned environment (CoreML,
LiteRT) run in a subprocess that finds those converters in a folder of their own (:mod:`.isolated`).
``tests/test_export.py`` runs the same comparison for the CI formats.

Examples:
    >>> from yolo_lite.export_matrix import CI_FORMATS, run_export_matrix
    >>> CI_FORMATS
    ('onnx', 'onnx-dynamic', 'torchscript', 'openvino', 'ncnn')
    >>> run_export_matrix(formats=CI_FORMATS, out_dir="runs/export-matrix")  # doctest: +SKIP
"""

import importlib

# Names this package exports, by submodule. They are imported on first access (PEP 562), so that the CLI can read
# the formats and models for its --help without importing torch and Ultralytics.
_EXPORTS = {
    "compare": ("Outputs", "check_export", "match_detections", "perturbed_shift", "reference_outputs", "run_exported"),
    "formats": (
        "CI_FORMATS",
        "DEFAULT_MODELS",
        "FORMATS",
        "ISOLATED_FORMATS",
        "SLOW_FORMATS",
        "ExportFormat",
        "get_format",
        "openvino_f32",
    ),
    "reference": ("build_reference", "calibrate", "image_tensor"),
    "run": ("run_export_matrix",),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str):
    """Import the submodule that defines ``name`` and return it from there."""
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_MODULE_OF[name]}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the module's names, the lazily imported ones included."""
    return sorted({*globals(), *__all__})
