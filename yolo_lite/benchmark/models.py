"""Building each compared model into the entry that the timings use, and its row.

Latency and size do not depend on the weights, so every shipped model is built for the timings without fetching its
backbone row's pretrained weights: its YAML is copied into the run's weights directory under the same file name (so
Ultralytics takes scale and task from the name) with the
:data:`~yolo_lite.patches.parse_model.SKIP_ROW_WEIGHTS` mark, and an ``-imagenet`` model is timed offline too (training
it still needs the weights, see :mod:`~yolo_lite.benchmark.accuracy`). A model YAML file of the user's own (an absolute
path, as :func:`~yolo_lite.benchmark.selection.select_models` gives it) is built the same way from a copy; its row's
``model`` is the file's stem, its ``family`` is ``"custom"``, its ``tag`` the stem without the scale letter
(``yolo26-custom``), and ``yaml`` keeps the path. A model whose build raises a ValueError anyway (say a YAML that cannot
be built) is skipped, with the reason in its row, instead of ending the run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import yaml
from ultralytics.utils import LOGGER
from ultralytics.utils.torch_utils import get_flops, get_num_params

from ..patches.parse_model import SKIP_ROW_WEIGHTS
from ..patches.yaml_lookup import is_shipped
from ..task_models import RTDETR, task_tag
from ..third_party import quiet_exporters
from .environment import no_autoinstall, quiet
from .fields import CUSTOM, FIELDS, MB, PREFIX, SCALES, STOCK, skip_reason

if TYPE_CHECKING:
    from ultralytics import RTDETR as RTDETRModel
    from ultralytics import YOLO

__all__ = ["EXPORT_ARGS", "Entry", "build_model", "model_class", "prepare", "timing_yaml", "unscaled_name"]


@dataclass
class Entry:
    """One model of the benchmark: its row and the objects that time it (``model`` is None when it was skipped)."""

    row: dict
    model: torch.nn.Module | None = None  # fused, fp32, CPU, eval
    onnx_path: Path | None = None
    openvino_path: Path | None = None  # the exported model's .xml


def _is_file(name: str) -> bool:
    """Return whether ``name`` is a model of the user's own: an absolute path, as :func:`select_models` gives them."""
    return Path(name).is_absolute()


def unscaled_name(name: str | Path) -> str:
    """Return a model's name without its scale letter: what its YAML describes at every scale.

    Args:
        name (str | Path): A model name, YAML or path.

    Returns:
        (str): The stem with the scale after the version removed.

    Examples:
        >>> unscaled_name("yolo11n"), unscaled_name("yolo26s-seg-starnet.yaml"), unscaled_name("rtdetr-l.yaml")
        ('yolo11', 'yolo26-seg-starnet', 'rtdetr-l')
    """
    return re.sub(rf"^(yolo\d+)[{SCALES}]", r"\1", Path(name).stem)


def _row(name: str, scale: str, task: str) -> dict:
    """Return a fresh row (every :data:`FIELDS` key) naming the model ``name`` of ``task``."""
    unscaled = unscaled_name(name)
    if _is_file(name):
        family, tag = CUSTOM, unscaled
    elif is_shipped(name):
        tag = task_tag(name)
        family = tag.split("-")[0]
    else:
        family, tag = STOCK, unscaled
    row = dict.fromkeys(FIELDS)
    row.update(model=Path(name).stem, yaml=name, family=family, tag=tag, scale=scale, task=task)
    return row


def model_class(name: str | Path) -> type[YOLO | RTDETRModel]:
    """Return the Ultralytics model class that builds ``name``: ``RTDETR`` for an RT-DETR name, else ``YOLO``.

    As Ultralytics' own command line does, an RT-DETR model is told by ``rtdetr`` in its file name.

    Args:
        name (str | Path): A model YAML or checkpoint.

    Returns:
        (type): ``ultralytics.RTDETR`` or ``ultralytics.YOLO``.
    """
    from ultralytics import RTDETR as RTDETRModel
    from ultralytics import YOLO

    return RTDETRModel if RTDETR in Path(name).stem.lower() else YOLO


def timing_yaml(name: str, weights_dir: Path) -> Path:
    """Write the model ``name`` (shipped, or a user's file) as a YAML that builds without fetching backbone weights.

    The model dict (as ``yaml_model_load`` reads it, less the ``scale`` and ``yaml_file`` entries that it adds) gets
    the :data:`~yolo_lite.patches.parse_model.SKIP_ROW_WEIGHTS` mark and is written under the same file name, so
    Ultralytics guesses the same scale and task from it.

    Args:
        name (str): Shipped model YAML name, e.g. ``"yolo11n-starnet-imagenet.yaml"``, or the path of a model YAML.
        weights_dir (Path): Directory to write it to (the run's temporary weights directory).

    Returns:
        (Path): ``weights_dir / <the file name of name>``.
    """
    from ultralytics.nn import tasks  # its yaml_model_load, patched by yolo_lite, finds shipped YAMLs by name

    d = tasks.yaml_model_load(name)
    source = d.get("yaml_file", name)
    d = {key: value for key, value in d.items() if key not in {"scale", "yaml_file"}}
    path = Path(weights_dir) / Path(name).name
    header = f"# {source}, built for the benchmark's timings without fetching the backbone row's weights (yolo-lite)\n"
    path.write_text(header + yaml.safe_dump({**d, SKIP_ROW_WEIGHTS: True}, sort_keys=False))
    return path


def build_model(name: str, seed: int, weights_dir: Path) -> YOLO | RTDETRModel:
    """Seed PyTorch and build the model ``name`` for the timings; a ValueError here makes the benchmark skip it.

    Stock models (``yolo11n.yaml``, ``yolo11n-seg.yaml``, ``yolo26n.yaml``, ``rtdetr-l.yaml``) are built as
    ``YOLO(name)`` (``RTDETR(name)`` for RT-DETR, see :func:`model_class`); a shipped model, or a user's YAML file,
    from the copy that :func:`timing_yaml` writes, so its backbone row's pretrained weights are not fetched (the timings
    and sizes do not depend on them, and an ``-imagenet`` model is timed offline too).

    Args:
        name (str): Model YAML name, e.g. ``"yolo11n-starnet.yaml"``, or the absolute path of a user's YAML file.
        seed (int): Seed of the weight initialisation.
        weights_dir (Path): Directory for the YAML copy.

    Returns:
        (YOLO | RTDETR): The model.
    """
    cfg = timing_yaml(name, weights_dir) if _is_file(name) or is_shipped(name) else name
    torch.manual_seed(seed)
    return model_class(name)(cfg)


EXPORT_ARGS = {"onnx": {"simplify": False}, "openvino": {}}  # format -> its own exporter arguments


def prepare(
    name: str, scale: str, imgsz: int, seed: int, exports: Sequence[str], weights_dir: Path, task: str = "detect"
) -> Entry:
    """Build, save, measure, export and fuse one model; return its entry (with ``skipped`` set if the build failed).

    Shipped models are built without their backbone row's pretrained weights (see :func:`build_model`).

    Args:
        name (str): Model YAML name.
        scale (str): Its scale.
        imgsz (int): Image size of the GFLOPs count and the exports.
        seed (int): Seed of the weight initialisation.
        exports (Sequence[str]): Formats to export with Ultralytics' exporter, keys of :data:`EXPORT_ARGS`
            (``"onnx"``, ``"openvino"``; fp32, batch 1, static shapes).
        weights_dir (Path): Directory for the checkpoint, the exported models and the shipped model's YAML copy.
        task (str): The model's task, one of :data:`~yolo_lite.task_models.TASKS` (recorded in its row).

    Returns:
        (Entry): The row (sizes filled in) and the fused model.

    Raises:
        ValueError: Building a stock model failed (the benchmark has nothing to compare with).
    """
    row = _row(name, scale, task)
    try:
        yolo = build_model(name, seed, weights_dir)
    except ValueError as e:
        if row["family"] == STOCK:
            raise
        row["skipped"] = skip_reason(e)
        LOGGER.warning(f"{PREFIX} {row['model']} {row['skipped']}")
        return Entry(row=row)
    checkpoint = weights_dir / f"{row['model']}.pt"
    yolo.save(checkpoint)
    row.update(
        backbone=str(getattr(yolo.model.model[0], "type", type(yolo.model.model[0]).__name__)).rsplit(".", 1)[-1],
        params=get_num_params(yolo.model),
        gflops=get_flops(yolo.model, imgsz),
        pt_mb=checkpoint.stat().st_size / MB,
        imgsz=imgsz,
    )
    exported = {}
    for fmt in exports:
        with no_autoinstall(), quiet(), quiet_exporters():
            exported[fmt] = Path(
                model_class(name)(checkpoint).export(
                    format=fmt, imgsz=imgsz, batch=1, dynamic=False, device="cpu", **EXPORT_ARGS[fmt]
                )
            )
    if "onnx" in exported:
        row["onnx_mb"] = exported["onnx"].stat().st_size / MB
    model = yolo.model.float().eval()
    model.fuse(verbose=False)
    openvino_dir = exported.get("openvino")
    return Entry(
        row=row,
        model=model,
        onnx_path=exported.get("onnx"),
        openvino_path=next(openvino_dir.glob("*.xml")) if openvino_dir else None,
    )
