"""Export one model to one format, run it through ``YOLO(path)``, and compare it with the PyTorch model.

Two comparisons, both on the reference image of :mod:`~yolo_lite.export_matrix.reference`:

- **raw outputs**: the tensor the loaded model (Ultralytics' ``AutoBackend``, as ``predict`` uses it) returns for the
  same input, before NMS: box coordinates in pixels and class probabilities, compared separately. A dynamic export is
  also compared on a second, non-square input (:func:`wide_input`).
- **final boxes**: ``YOLO(path).predict(image)`` against ``YOLO(checkpoint).predict(image)``: the same number of
  boxes, each matched one to one with a box of the same class whose coordinates and confidence lie within the format's
  tolerance (:func:`match_detections`).

A format that cannot run here (Core ML) is compared by what the export declares: the shape and data type of its
outputs. A format whose converter clashes with the pinned environment is exported and compared in a subprocess
(:mod:`~yolo_lite.export_matrix.isolated`), against the reference outputs of this process.

Examples:
    >>> reference = reference_outputs(checkpoint, image)  # doctest: +SKIP
    >>> row = check_export(checkpoint, image, get_format("onnx"), reference, work_dir)  # doctest: +SKIP
    >>> row["exports"], row["runs"], row["box_diff"], row["boxes_match"]  # doctest: +SKIP
    (True, True, 0.000122, True)
"""

from __future__ import annotations

import shutil
import time
import traceback
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

import numpy as np
import torch

from ..benchmark.environment import no_autoinstall, quiet
from ..data import synthetic_image
from .formats import ExportFormat
from .reference import image_tensor

__all__ = [
    "Outputs",
    "check_export",
    "export_and_compare",
    "match_detections",
    "new_row",
    "package_versions",
    "perturbed_shift",
    "reference_outputs",
    "run_exported",
    "wide_input",
]

DYNAMIC_EXTRA_WIDTH = 32  # a dynamic export is also compared at imgsz x (imgsz + 32)
BASE_PACKAGES = ("torch", "ultralytics", "numpy", "yolo-lite")  # versions every row records


@dataclass
class Outputs:
    """What a loaded model gives on the reference image.

    Attributes:
        raw (np.ndarray): Raw output ``(1, 4 + nc, anchors)`` for the reference image.
        detections (np.ndarray): Final boxes ``(n, 6)``: x1, y1, x2, y2 (pixels of the image), confidence, class.
        raw_wide (np.ndarray | None): Raw output for the wider input of dynamic exports, if it was computed.
        precision (str): The precision the runtime computed in, as it reports it (``"f32"`` unless it says otherwise).
    """

    raw: np.ndarray
    detections: np.ndarray
    raw_wide: np.ndarray | None = None
    precision: str = "f32"


def package_versions(names: tuple[str, ...] | list[str]) -> dict[str, str | None]:
    """Return the installed version of each distribution in ``names`` (None where it is not installed).

    Examples:
        >>> package_versions(["torch"])["torch"] is not None
        True
    """
    versions = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def _tensor(y) -> np.ndarray:
    """Return the first tensor of a model output (tensor, array, or nested list/tuple) as a float32 array copy."""
    while isinstance(y, (list, tuple)):
        y = y[0]
    return np.array(y.detach().cpu() if isinstance(y, torch.Tensor) else y, dtype=np.float32, copy=True)


def _precision(backend) -> str:
    """Return the precision an Ultralytics backend computes in: OpenVINO reports its own, every other one is f32."""
    compiled = getattr(backend, "ov_compiled_model", None)
    if compiled is None:
        return "f32"
    return compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name()  # "bf16", "f16" or "f32"


def wide_input(imgsz: int, seed: int = 0) -> torch.Tensor:
    """Return the second input of dynamic exports: ``imgsz x (imgsz + 32)``, the top rows of a larger synthetic image.

    Examples:
        >>> wide_input(64).shape
        torch.Size([1, 3, 64, 96])
    """
    return image_tensor(synthetic_image(imgsz + DYNAMIC_EXTRA_WIDTH, seed)[:imgsz])


def run_exported(weights: str | Path, image: np.ndarray, imgsz: int, wide: bool = False) -> Outputs:
    """Load ``weights`` with ``YOLO(weights)``, predict ``image`` and run the loaded model on the image tensor.

    Args:
        weights (str | Path): A checkpoint or an exported model (file or directory), as ``YOLO()`` takes it.
        image (np.ndarray): BGR image, square, ``imgsz`` wide.
        imgsz (int): Inference size.
        wide (bool): Also run the model on :func:`wide_input`.

    Returns:
        (Outputs): Raw outputs and final boxes.
    """
    from ultralytics import YOLO

    yolo = YOLO(str(weights), task="detect")
    result = yolo.predict(image, imgsz=imgsz, device="cpu", verbose=False)[0]
    model = yolo.predictor.model  # the AutoBackend that predict() used
    x = image_tensor(image)
    with torch.no_grad():
        raw = _tensor(model(x))
        raw_wide = _tensor(model(wide_input(imgsz))) if wide else None
    boxes = result.boxes
    detections = torch.cat([boxes.xyxy, boxes.conf[:, None], boxes.cls[:, None]], 1).cpu().numpy()
    return Outputs(raw, detections.astype(np.float32), raw_wide, _precision(getattr(model, "backend", None)))


def reference_outputs(checkpoint: Path, image: np.ndarray, imgsz: int = 64) -> Outputs:
    """Return the PyTorch checkpoint's outputs on ``image`` (fused, as ``predict`` runs it), the wide input included.

    Args:
        checkpoint (Path): The reference checkpoint.
        image (np.ndarray): BGR image, square, ``imgsz`` wide.
        imgsz (int): Inference size.

    Returns:
        (Outputs): What the exports are compared with.
    """
    with quiet():
        return run_exported(checkpoint, image, imgsz, wide=True)


def perturbed_shift(checkpoint: Path, image: np.ndarray, reference: Outputs, imgsz: int = 64) -> float:
    """Return how far the raw boxes move when the backbone's first BatchNorm scale is multiplied by 1.01, in pixels.

    A measure of the comparison's power: an export that computes one layer 1% off misses PyTorch by about this much,
    to be set against the tolerances.

    Args:
        checkpoint (Path): The reference checkpoint; the perturbed copy is written next to it.
        image (np.ndarray): The reference image.
        reference (Outputs): The checkpoint's outputs (:func:`reference_outputs`).
        imgsz (int): Inference size.

    Returns:
        (float): The largest change of a raw box coordinate.
    """
    ckpt = torch.load(checkpoint, map_location="cpu", weights_only=False)
    bn = next(m for m in ckpt["model"].model[0].modules() if isinstance(m, torch.nn.BatchNorm2d))
    bn.weight.data.mul_(1.01)
    perturbed = Path(checkpoint).with_name(f"{Path(checkpoint).stem}-perturbed.pt")
    torch.save(ckpt, perturbed)
    with quiet():
        outputs = run_exported(perturbed, image, imgsz)
    return _max_diff(reference.raw, outputs.raw, slice(0, 4))


def match_detections(reference: np.ndarray, other: np.ndarray, box_tol: float, score_tol: float) -> bool:
    """Return whether two sets of final boxes are the same within tolerances, matched one to one.

    Each reference box, in order of confidence, takes the closest unmatched box of the same class (by largest
    coordinate difference); the sets match when they have the same size and every pair lies within ``box_tol``
    pixels on every coordinate and within ``score_tol`` in confidence.

    Args:
        reference (np.ndarray): ``(n, 6)`` boxes: x1, y1, x2, y2, confidence, class.
        other (np.ndarray): ``(m, 6)`` boxes, the same layout.
        box_tol (float): Largest coordinate difference, pixels.
        score_tol (float): Largest confidence difference.

    Returns:
        (bool): True when the sets match.

    Examples:
        >>> a = np.array([[0, 0, 10, 10, 0.9, 1], [5, 5, 20, 20, 0.5, 2]])
        >>> match_detections(a, a[::-1] + [0.001, 0, 0, 0, 0, 0], box_tol=0.01, score_tol=1e-3)
        True
        >>> match_detections(a, a[:1], box_tol=0.01, score_tol=1e-3)
        False
    """
    if len(reference) != len(other):
        return False
    unmatched = list(range(len(other)))
    for box in reference[np.argsort(-reference[:, 4], kind="stable")]:
        candidates = [i for i in unmatched if other[i, 5] == box[5]]
        if not candidates:
            return False
        best = min(candidates, key=lambda i: np.abs(other[i, :4] - box[:4]).max())
        if np.abs(other[best, :4] - box[:4]).max() > box_tol or abs(other[best, 4] - box[4]) > score_tol:
            return False
        unmatched.remove(best)
    return True


def _max_diff(a: np.ndarray, b: np.ndarray, rows: slice) -> float:
    """Return the largest absolute difference of two raw outputs over the channel rows ``rows``."""
    if a.shape != b.shape:
        raise ValueError(f"raw output shape {b.shape} differs from PyTorch's {a.shape}")
    return float(np.abs(a[:, rows] - b[:, rows]).max())


def _error(e: BaseException) -> str:
    """Return a one-line description of an exception: its type, its message's first line and where it was raised."""
    frame = traceback.extract_tb(e.__traceback__)[-1] if e.__traceback__ else None
    where = f" ({Path(frame.filename).name}:{frame.lineno})" if frame else ""
    message = str(e).strip().splitlines()[0] if str(e).strip() else ""
    return f"{type(e).__name__}: {message}{where}"[:300]


def new_row(checkpoint: Path, fmt: ExportFormat, reference: Outputs, error: str | None = None) -> dict:
    """Return the matrix row of ``checkpoint`` and ``fmt`` before anything ran: not exported, versions of this process.

    Args:
        checkpoint (Path): The reference checkpoint.
        fmt (ExportFormat): The format.
        reference (Outputs): The checkpoint's outputs.
        error (str | None): Why nothing will run, if known.

    Returns:
        (dict): ``model``, ``format``, ``label``, ``exports``, ``export_s``, ``runs`` (None where there is no
            runtime), ``precision``, ``box_diff``, ``score_diff`` (largest raw differences, the wide input included
            for dynamic exports), ``box_tol``, ``score_tol``, ``within_tol``, ``boxes``, ``boxes_match``, ``error``,
            ``note`` (where the export runs, if not here), ``declared_outputs`` and ``outputs_match`` (for exports
            without a runtime here: the outputs they declare, ``"1x84x84 float32"``, and whether those are
            PyTorch's), ``date`` and ``versions`` (of :data:`BASE_PACKAGES` and ``fmt.packages``).
    """
    return dict(
        model=Path(checkpoint).stem,
        format=fmt.key,
        label=fmt.label,
        exports=False,
        export_s=None,
        runs=None,
        precision=None,
        box_diff=None,
        score_diff=None,
        box_tol=fmt.box_tol,
        score_tol=fmt.score_tol,
        within_tol=None,
        boxes=len(reference.detections),
        boxes_match=None,
        error=error,
        note=None,
        declared_outputs=None,
        outputs_match=None,
        date=datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        versions=package_versions(BASE_PACKAGES + fmt.packages),
    )


def check_export(
    checkpoint: Path,
    image: np.ndarray,
    fmt: ExportFormat,
    reference: Outputs,
    work_dir: Path,
    imgsz: int = 64,
    converters: Path | None = None,
) -> dict:
    """Export ``checkpoint`` to ``fmt``, run it through ``YOLO(path)`` and compare it with ``reference``.

    In this process (:func:`export_and_compare`), or, for a format with ``isolated`` requirements, in a subprocess
    that finds them first on its path (:func:`~yolo_lite.export_matrix.isolated.check_isolated`).

    Args:
        checkpoint (Path): The reference checkpoint (:func:`~yolo_lite.export_matrix.reference.build_reference`).
        image (np.ndarray): The reference image.
        fmt (ExportFormat): The format.
        reference (Outputs): The checkpoint's outputs (:func:`reference_outputs`).
        work_dir (Path): Directory for this model's exports.
        imgsz (int): Export and inference size.
        converters (Path | None): Where isolated converters are installed; None:
            :func:`~yolo_lite.export_matrix.isolated.default_cache`.

    Returns:
        (dict): The matrix row (:func:`export_and_compare`).
    """
    if fmt.isolated:
        from .isolated import check_isolated

        return check_isolated(checkpoint, image, fmt, reference, work_dir, imgsz, converters)
    return export_and_compare(checkpoint, image, fmt, reference, work_dir, imgsz)


def export_and_compare(
    checkpoint: Path, image: np.ndarray, fmt: ExportFormat, reference: Outputs, work_dir: Path, imgsz: int = 64
) -> dict:
    """Export ``checkpoint`` to ``fmt`` here, run it through ``YOLO(path)`` and compare it with ``reference``.

    The checkpoint is copied into ``work_dir / fmt.key`` first, so that formats writing the same file names (ONNX
    static and dynamic) do not overwrite each other. Ultralytics' requirement auto-install stays off: a converter
    that is not installed fails the export with its import error. A format without a runtime here is compared by the
    outputs its export declares (``fmt.declared_outputs``), where it can say.

    Args:
        checkpoint (Path): The reference checkpoint (:func:`~yolo_lite.export_matrix.reference.build_reference`).
        image (np.ndarray): The reference image.
        fmt (ExportFormat): The format.
        reference (Outputs): The checkpoint's outputs (:func:`reference_outputs`).
        work_dir (Path): Directory for this model's exports.
        imgsz (int): Export and inference size.

    Returns:
        (dict): The matrix row (:func:`new_row`), filled in.
    """
    from ultralytics import YOLO

    row = new_row(checkpoint, fmt, reference)
    target = Path(work_dir) / fmt.key
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    copy = Path(shutil.copy2(checkpoint, target / Path(checkpoint).name))
    start = time.perf_counter()
    try:
        with no_autoinstall(), quiet():
            exported = YOLO(copy).export(format=fmt.format, imgsz=imgsz, device="cpu", **fmt.kwargs)
        if not exported:
            raise RuntimeError("the exporter returned no file")
    except Exception as e:  # an exporter failing is a result of the matrix, recorded in the row
        row["error"] = f"export: {_error(e)}"
        return row
    row.update(exports=True, export_s=round(time.perf_counter() - start, 1))
    if fmt.no_runtime:
        row["note"] = fmt.no_runtime
        if fmt.declared_outputs is not None:
            try:
                declared = fmt.declared_outputs(Path(exported))
            except Exception as e:  # an export whose outputs cannot be read is a result too
                row["error"] = f"declared outputs: {_error(e)}"
                return row
            pytorch = f"{'x'.join(map(str, reference.raw.shape))} float32"
            row.update(declared_outputs=declared, outputs_match=declared == [pytorch])
        return row
    try:
        with fmt.runtime(), quiet():
            outputs = run_exported(exported, image, imgsz, wide=fmt.dynamic)
        boxes, scores = slice(0, 4), slice(4, None)
        box_diff = _max_diff(reference.raw, outputs.raw, boxes)
        score_diff = _max_diff(reference.raw, outputs.raw, scores)
        if fmt.dynamic:
            box_diff = max(box_diff, _max_diff(reference.raw_wide, outputs.raw_wide, boxes))
            score_diff = max(score_diff, _max_diff(reference.raw_wide, outputs.raw_wide, scores))
    except Exception as e:  # so is a runtime failing
        row.update(runs=False, error=f"run: {_error(e)}")
        return row
    reported = fmt.box_tol is None  # reduced precision: no tolerance; boxes match in number and classes
    row.update(
        runs=True,
        precision=outputs.precision,
        box_diff=box_diff,
        score_diff=score_diff,
        within_tol=None if reported else box_diff <= fmt.box_tol and score_diff <= fmt.score_tol,
        boxes_match=match_detections(
            reference.detections,
            outputs.detections,
            np.inf if reported else fmt.box_tol,
            np.inf if reported else fmt.score_tol,
        ),
    )
    return row
