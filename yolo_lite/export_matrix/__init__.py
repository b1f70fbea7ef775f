"""Export matrix: every backbone family exported to every Ultralytics format, run back, and compared with PyTorch.

``yolo-lite export-matrix`` (:func:`run_export_matrix`) builds one shipped model per family with a calibrated head
(:mod:`.reference`), exports it with ``model.export(format=...)`` to each format of :data:`FORMATS` (:mod:`.formats`:
options, runtime settings, tolerances), loads each export with ``YOLO(path)`` and compares raw outputs and final boxes
with the PyTorch checkpoint (:mod:`.compare`), then writes ``docs/export/export.md``/``.json`` and the README's
"Deployment / Export" table (:mod:`.report`). The formats whose converters clash with the pinned environment (CoreML,
LiteRT) run in a subprocess that finds those converters in a folder of their own (:mod:`.isolated`).
``tests/test_export.py`` runs the same comparison for the CI formats.

Examples:
    >>> from yolo_lite.export_matrix import CI_FORMATS, run_export_matrix
    >>> CI_FORMATS
    ('onnx', 'onnx-dynamic', 'torchscript', 'openvino', 'ncnn')
    >>> run_export_matrix(formats=CI_FORMATS, out_dir="runs/export", readme=None)  # doctest: +SKIP
"""

from .compare import Outputs, check_export, match_detections, perturbed_shift, reference_outputs, run_exported
from .formats import CI_FORMATS, FORMATS, ISOLATED_FORMATS, SLOW_FORMATS, ExportFormat, get_format, openvino_f32
from .reference import build_reference, calibrate, image_tensor
from .run import DEFAULT_MODELS, run_export_matrix

__all__ = [
    "CI_FORMATS",
    "DEFAULT_MODELS",
    "FORMATS",
    "ISOLATED_FORMATS",
    "SLOW_FORMATS",
    "ExportFormat",
    "Outputs",
    "build_reference",
    "calibrate",
    "check_export",
    "get_format",
    "image_tensor",
    "match_detections",
    "openvino_f32",
    "perturbed_shift",
    "reference_outputs",
    "run_export_matrix",
    "run_exported",
]
