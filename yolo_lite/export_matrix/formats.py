"""The export formats of the matrix: how each is exported and run, and how close to PyTorch it must come.

Tolerances are absolute, on the reference models of :mod:`~yolo_lite.export_matrix.reference` at 64 px: ``box_tol``
in pixels on raw box outputs and final boxes (whose coordinates reach a few hundred), ``score_tol`` on class
probabilities and confidences. Runtimes that compute in float32 differ from PyTorch by the order of their sums and
their kernels (Winograd convolutions, fused activations): up to 0.03 px and 4e-4 in ``docs/export/export.md``
(``yolo-lite export-matrix``). The float32 tolerance, 0.1 px and 1e-3, leaves a margin of two and a half or more
above that, while an export that computes something else misses by pixels: a layer 1% off moves the boxes by tens
(:func:`~yolo_lite.export_matrix.compare.perturbed_shift`), a mistranslated one gave hundreds.

OpenVINO's CPU plugin runs a float32 model in bfloat16 on CPUs with bf16 instructions (AVX512-BF16, AMX) unless told
otherwise, and Ultralytics' OpenVINO backend does not tell it otherwise on Linux x86. The matrix runs OpenVINO twice:
``openvino`` with the inference precision forced to float32 (:func:`openvino_f32`, the setting Ultralytics uses on
Windows), held to the float32 tolerance, and ``openvino-default`` as Ultralytics runs it, whose differences are
reported without a tolerance (bfloat16 keeps 8 significant bits; how far that moves the outputs depends on the
model); its "boxes match" means the same number of boxes with the same classes.

Two converters clash with the pinned environment: coremltools 9 fails on numpy 2.4 (Ultralytics' CoreML exporter asks
for numpy<=2.3.5), and LiteRT's ``litert-torch`` pins ``typing-extensions<4.13`` through ``xdsl``. Their formats name
the requirements they need (``isolated``); :mod:`~yolo_lite.export_matrix.isolated` installs those into a folder of
their own and runs the export there, in a subprocess, on the installed torch. Core ML models run on Apple platforms
only: on Linux the matrix checks what the converted model declares, its output shape and data type
(:func:`coreml_outputs`), against PyTorch's.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CI_FORMATS",
    "DEFAULT_MODELS",
    "FORMATS",
    "ISOLATED_FORMATS",
    "OUT_DIR",
    "SLOW_FORMATS",
    "ExportFormat",
    "coreml_outputs",
    "get_format",
    "openvino_f32",
]

# The matrix's models: one shipped model per backbone family at scale n, plus a timm backbone (built without its
# ImageNet weights).
DEFAULT_MODELS = (
    "yolo11n-starnet.yaml",
    "yolo11n-fasternet.yaml",
    "yolo11n-micronet.yaml",
    "yolo11n-mobilenetv4-imagenet.yaml",
)
OUT_DIR = "runs/export-matrix"  # the matrix's results, or a new numbered sibling when it exists (yolo_lite.run_dir)

F32 = dict(box_tol=0.1, score_tol=1e-3)  # float32 runtimes
REPORTED = dict(box_tol=None, score_tol=None)  # reduced precision: differences reported, not held to a tolerance


@contextlib.contextmanager
def openvino_f32() -> Iterator[None]:
    """Make every ``openvino.Core`` created while the block runs compile CPU models with float32 inference precision.

    Ultralytics' OpenVINO backend creates its own ``Core`` when it loads a model, so the precision hint goes into the
    ``Core`` class for the duration of the block (``openvino.Core`` is restored afterwards).

    Examples:
        >>> with openvino_f32():  # doctest: +SKIP
        ...     results = YOLO("yolo11n-starnet_openvino_model").predict(image)
    """
    import openvino

    original = openvino.Core

    class Float32Core(original):
        """An ``openvino.Core`` whose CPU plugin infers in float32."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.set_property("CPU", {"INFERENCE_PRECISION_HINT": openvino.Type.f32})

    openvino.Core = Float32Core
    try:
        yield
    finally:
        openvino.Core = original


def coreml_outputs(path: str | Path) -> list[str]:
    """Return the shape and data type that a Core ML model declares for each output, e.g. ``["1x84x84 float32"]``.

    Reads the model's specification only, which coremltools can do on any platform (running it needs macOS).

    Args:
        path (str | Path): A ``.mlpackage`` or ``.mlmodel``.

    Returns:
        (list[str]): One ``"<shape> <data type>"`` per output, in order; data types as NumPy names them.

    Examples:
        >>> coreml_outputs("yolo11n-starnet.mlpackage")  # doctest: +SKIP
        ['1x84x84 float32']
    """
    import coremltools as ct

    names = ct.proto.FeatureTypes_pb2.ArrayFeatureType.ArrayDataType
    outputs = []
    for output in ct.utils.load_spec(str(path)).description.output:
        array = output.type.multiArrayType
        dtype = names.Name(array.dataType).lower().replace("double", "float64")
        outputs.append(f"{'x'.join(map(str, array.shape))} {dtype}")
    return outputs


@dataclass(frozen=True)
class ExportFormat:
    """One row kind of the matrix: an Ultralytics export format with its options, runtime and tolerance.

    Attributes:
        key (str): Name in the matrix and on the command line, e.g. ``"onnx-dynamic"``.
        format (str): Ultralytics' ``format`` argument.
        label (str): Name in the tables.
        kwargs (dict): Further ``export()`` arguments.
        box_tol (float | None): Largest allowed difference of box coordinates, pixels; None: reported only.
        score_tol (float | None): Largest allowed difference of class scores and confidences; None: reported only.
        tests (str | None): Where ``tests/test_export.py`` tests it: ``"ci"``, an opt-in group that CI does not run
            (``"slow_export"``, ``"isolated_export"``), or None (the matrix only).
        no_runtime (str | None): Where the export runs, if not on Linux (the matrix's cell says it), or None.
        float32 (bool): Force OpenVINO's CPU inference precision to float32 (:func:`openvino_f32`).
        packages (tuple[str, ...]): Distributions the converter and runtime need, recorded with their versions.
        isolated (tuple[str, ...]): Requirements (``name==version``) that clash with the pinned environment; when set,
            the export runs in a subprocess with them installed in a folder of their own
            (:mod:`~yolo_lite.export_matrix.isolated`).
        declared_outputs (Callable[[Path], list[str]] | None): For a format without a runtime here: reads the shape
            and data type of each output from the exported file (:func:`coreml_outputs`), to compare with PyTorch's.
    """

    key: str
    format: str
    label: str
    box_tol: float | None
    score_tol: float | None
    kwargs: dict = field(default_factory=dict)
    tests: str | None = None
    no_runtime: str | None = None
    float32: bool = False
    packages: tuple[str, ...] = ()
    isolated: tuple[str, ...] = ()
    declared_outputs: Callable[[Path], list[str]] | None = None

    def runtime(self) -> contextlib.AbstractContextManager:
        """Return the context the exported model runs in: :func:`openvino_f32` where asked, else a no-op."""
        return openvino_f32() if self.float32 else contextlib.nullcontext()

    @property
    def dynamic(self) -> bool:
        """Whether the export takes any input size (``dynamic=True``)."""
        return bool(self.kwargs.get("dynamic"))


FORMATS = (
    ExportFormat("onnx", "onnx", "ONNX", tests="ci", packages=("onnx", "onnxslim", "onnxruntime"), **F32),
    ExportFormat(
        "onnx-dynamic",
        "onnx",
        "ONNX dynamic",
        kwargs=dict(dynamic=True),
        tests="ci",
        packages=("onnx", "onnxslim", "onnxruntime"),
        **F32,
    ),
    ExportFormat("torchscript", "torchscript", "TorchScript", tests="ci", packages=("torch",), **F32),
    ExportFormat("openvino", "openvino", "OpenVINO f32", tests="ci", float32=True, packages=("openvino",), **F32),
    ExportFormat("openvino-default", "openvino", "OpenVINO default precision", packages=("openvino",), **REPORTED),
    ExportFormat("ncnn", "ncnn", "NCNN", tests="ci", packages=("ncnn", "pnnx"), **F32),
    ExportFormat("mnn", "mnn", "MNN", tests="slow_export", packages=("onnx", "onnxslim", "mnn"), **F32),
    ExportFormat("paddle", "paddle", "PaddlePaddle", tests="slow_export", packages=("paddlepaddle", "x2paddle"), **F32),
    ExportFormat(
        "coreml",
        "coreml",
        "CoreML",
        tests="isolated_export",
        no_runtime="runs on macOS only",
        packages=("coremltools",),
        isolated=("coremltools==9.0", "numpy==2.3.5"),
        declared_outputs=coreml_outputs,
        **F32,
    ),
    ExportFormat(
        "litert",
        "litert",
        "TFLite (LiteRT)",
        tests="isolated_export",
        packages=("litert-torch", "ai-edge-litert"),
        isolated=("litert-torch==0.10.0", "ai-edge-litert==2.3.0"),
        **F32,
    ),
)
CI_FORMATS = tuple(f.key for f in FORMATS if f.tests == "ci")
SLOW_FORMATS = tuple(f.key for f in FORMATS if f.tests == "slow_export")
ISOLATED_FORMATS = tuple(f.key for f in FORMATS if f.tests == "isolated_export")


def get_format(key: str) -> ExportFormat:
    """Return the matrix format named ``key``.

    Args:
        key (str): One of :data:`FORMATS`' keys.

    Returns:
        (ExportFormat): The format.

    Raises:
        ValueError: An unknown key; the message lists the known ones.

    Examples:
        >>> get_format("onnx-dynamic").kwargs
        {'dynamic': True}
    """
    for fmt in FORMATS:
        if fmt.key == key:
            return fmt
    raise ValueError(f"export matrix: unknown format {key!r}; pass one of {', '.join(f.key for f in FORMATS)}")
