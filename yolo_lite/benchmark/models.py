"""Which models a benchmark compares, and building each one into the entry that the timings use.

The candidates at a scale are the task's stock YOLO11 (``yolo11n.yaml``, ``yolo11n-seg.yaml``, ...; and YOLO26 with
``reference="yolo26"``) plus every model of the task that ``yolo_lite/cfg`` ships at that scale: an all-scale
``yolo11-<tag>.yaml`` gives ``yolo11<scale>-<tag>.yaml`` at every scale, a single-scale ``yolo11<scale>-<tag>.yaml``
(such as ``yolo11n-starnet-imagenet.yaml``) only at its own. RT-DETR (``task="rtdetr"``) has one scale, ``l``: stock
``rtdetr-l.yaml`` and every shipped ``rtdetr-<tag>.yaml`` (:mod:`yolo_lite.task_models` lists them all).

Latency and size do not depend on the weights, so every shipped model is built for the timings without fetching its
backbone row's pretrained weights: its YAML is copied into the run's weights directory under the same file name (so
Ultralytics takes scale and task from the name) with the
:data:`~yolo_lite.patches.parse_model.SKIP_ROW_WEIGHTS` mark, and an ``-imagenet`` model is timed offline too (training
it still needs the weights, see :mod:`~yolo_lite.benchmark.accuracy`). A model whose build raises a ValueError anyway
(say a YAML that cannot be built) is skipped, with the reason in its row, instead of ending the run.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

import torch
import yaml
from ultralytics.utils import LOGGER
from ultralytics.utils.torch_utils import get_flops, get_num_params

from ..patches.parse_model import SKIP_ROW_WEIGHTS
from ..patches.yaml_lookup import CFG_DIR, is_shipped, shipped_models
from ..task_models import RTDETR, RTDETR_SCALE, shipped_task_models, stock_model, task_tag
from ..third_party import quiet_exporters
from .environment import no_autoinstall, quiet
from .fields import FIELDS, MB, PREFIX, SCALES, STOCK, skip_reason

if TYPE_CHECKING:
    from ultralytics import RTDETR as RTDETRModel
    from ultralytics import YOLO

__all__ = [
    "REFERENCES",
    "Entry",
    "available_families",
    "build_model",
    "model_class",
    "prepare",
    "reference_models",
    "select_models",
    "shipped_models",
    "timing_yaml",
]

REFERENCES = {"yolo11": ("yolo11",), "yolo26": ("yolo11", "yolo26")}  # --reference -> Ultralytics' models compared


@dataclass
class Entry:
    """One model of the benchmark: its row and the objects that time it (``model`` is None when it was skipped)."""

    row: dict
    model: torch.nn.Module | None = None  # fused, fp32, CPU, eval
    onnx_path: Path | None = None
    openvino_path: Path | None = None  # the exported model's .xml


def available_families(task: str = "detect") -> list[str]:
    """Return the backbone families that ship a YAML of ``task`` at any scale: the first word of every tag.

    Args:
        task (str): One of :data:`~yolo_lite.task_models.TASKS`.

    Returns:
        (list[str]): Family names, sorted.

    Examples:
        >>> "starnet" in available_families(), available_families("rtdetr")
        (True, ['fasternet', 'micronet', 'starnet'])
    """
    return sorted({task_tag(name).split("-")[0] for scale in SCALES for name in shipped_task_models(scale, task)})


def _matches(name: str, pattern: str) -> bool:
    """Return whether ``pattern`` (a name, stem, tag or glob of any of them) picks the model ``name``.

    The tag is tried with and without the task's suffix: ``starnet`` and ``seg-starnet`` both pick
    ``yolo11n-seg-starnet.yaml``.
    """
    texts = (name, Path(name).stem, Path(name).stem.split("-", 1)[1], task_tag(name))
    return any(fnmatchcase(text, pattern) for text in texts)


def _check_families(families: Sequence[str] | str, task: str) -> list[str]:
    """Return the families to keep, or raise a ValueError listing those available for ``task``."""
    available = available_families(task)
    names = [families] if isinstance(families, str) else list(families)
    hint = f"available families: {', '.join(available) or 'none'} (from {CFG_DIR}/*-<family>*.yaml, task {task})"
    if not names:
        raise ValueError(f"benchmark: no family to compare with stock YOLO11; pass one or more, {hint}")
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(
            f"benchmark: unknown family {', '.join(map(repr, unknown))}; pass a family name such as "
            f"{available[0] if available else 'starnet'!r} (not a model or file name: models=... / --models takes "
            f"those), {hint}"
        )
    return list(dict.fromkeys(names))


def select_models(
    scales: Sequence[str],
    models: Sequence[str] | str | None = None,
    families: Sequence[str] | str | None = None,
    task: str = "detect",
) -> dict[str, list[str]]:
    """Return the shipped models of ``task`` to compare with stock at each scale, filtered by patterns and families.

    Args:
        scales (Sequence[str]): Scales, e.g. ``["n", "s"]`` (for RT-DETR ``["l"]``).
        models (Sequence[str] | str | None): Names or globs (``yolo11n-starnet.yaml``, ``yolo11n-starnet``, a tag
            such as ``starnet``, ``*starnet*``); a model is kept when any pattern matches its name, stem or tag
            (with or without the task's suffix: ``starnet`` picks ``yolo11n-seg-starnet.yaml``). None keeps every
            shipped model.
        families (Sequence[str] | str | None): Keep only models whose tag starts with one of these families
            (``starnet`` keeps ``starnet`` and ``starnet-imagenet``); None keeps all.
        task (str): One of :data:`~yolo_lite.task_models.TASKS`.

    Returns:
        (dict[str, list[str]]): Scale -> model names, sorted.

    Raises:
        ValueError: An unknown family, a pattern that matches no shipped model at these scales, or nothing left.

    Examples:
        >>> select_models(["n"], models=["starnet"])
        {'n': ['yolo11n-starnet.yaml']}
    """
    patterns = None if models is None else [models] if isinstance(models, str) else list(models)
    keep = None if families is None else _check_families(families, task)
    shipped = {scale: shipped_task_models(scale, task) for scale in scales}
    every = sorted({name for names in shipped.values() for name in names})
    hint = f"{task} models shipped at scales {', '.join(scales)}: {', '.join(every) or 'none'} (from {CFG_DIR})"
    if patterns is not None:
        if not patterns:
            raise ValueError(f"benchmark: no model to compare with stock YOLO11; pass one or more, {hint}")
        unmatched = [p for p in patterns if not any(_matches(name, p) for name in every)]
        if unmatched:
            raise ValueError(
                f"benchmark: no shipped model matches {', '.join(map(repr, unmatched))}; pass model names or globs "
                f"such as 'yolo11n-starnet.yaml', 'starnet' (a tag) or '*starnet*' (--models), {hint}"
            )
    selected = {
        scale: [
            name
            for name in names
            if (patterns is None or any(_matches(name, p) for p in patterns))
            and (keep is None or task_tag(name).split("-")[0] in keep)
        ]
        for scale, names in shipped.items()
    }
    if not any(selected.values()):
        raise ValueError(
            f"benchmark: no shipped model is left after models={patterns} and families={keep}; loosen them, {hint}"
        )
    return selected


def reference_models(scale: str, reference: str = "yolo11", task: str = "detect") -> list[str]:
    """Return Ultralytics' own models of ``task`` at ``scale``: YOLO11 first (the ratios' reference), then YOLO26.

    Args:
        scale (str): One of n, s, m, l, x.
        reference (str): ``"yolo11"`` (stock YOLO11 only) or ``"yolo26"`` (YOLO11 and YOLO26).
        task (str): One of :data:`~yolo_lite.task_models.TASKS`; RT-DETR's reference is ``rtdetr-l.yaml``, alone.

    Returns:
        (list[str]): Model names such as ``["yolo11n.yaml", "yolo26n.yaml"]`` or ``["yolo11n-seg.yaml"]``.

    Raises:
        ValueError: An unknown reference, or ``"yolo26"`` with RT-DETR.

    Examples:
        >>> reference_models("n", "yolo26", "segment"), reference_models("l", task="rtdetr")
        (['yolo11n-seg.yaml', 'yolo26n-seg.yaml'], ['rtdetr-l.yaml'])
    """
    if reference not in REFERENCES:
        raise ValueError(
            f"benchmark: reference must be one of {', '.join(REFERENCES)}, got {reference!r}; pass e.g. "
            "reference='yolo26' (--reference yolo26) to add stock YOLO26 next to stock YOLO11"
        )
    if task == RTDETR and reference != "yolo11":
        raise ValueError(
            f"benchmark: reference={reference!r} adds stock YOLO26, which has no RT-DETR model; RT-DETR models are "
            f"compared with stock {stock_model(RTDETR_SCALE, RTDETR)} alone, drop reference (--reference)"
        )
    return [stock_model(scale, task, version) for version in REFERENCES[reference]]


def _row(name: str, scale: str, task: str) -> dict:
    """Return a fresh row (every :data:`FIELDS` key) naming the model ``name`` of ``task``."""
    stock = not is_shipped(name)
    tag = re.sub(rf"^(yolo\d+)[{SCALES}]", r"\1", Path(name).stem) if stock else task_tag(name)
    row = dict.fromkeys(FIELDS)
    row.update(
        model=Path(name).stem, family=STOCK if stock else tag.split("-")[0], tag=tag, scale=scale, task=task
    )
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
    """Write the shipped model ``name`` as a YAML that builds without fetching its backbone row's weights.

    The model dict (as ``yaml_model_load`` reads it, less the ``scale`` and ``yaml_file`` entries that it adds) gets
    the :data:`~yolo_lite.patches.parse_model.SKIP_ROW_WEIGHTS` mark and is written under the same file name, so
    Ultralytics guesses the same scale and task from it.

    Args:
        name (str): Shipped model YAML name, e.g. ``"yolo11n-starnet-imagenet.yaml"``.
        weights_dir (Path): Directory to write it to (the run's temporary weights directory).

    Returns:
        (Path): ``weights_dir / name``.
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
    ``YOLO(name)`` (``RTDETR(name)`` for RT-DETR, see :func:`model_class`); a shipped model from the copy that
    :func:`timing_yaml` writes, so its backbone row's pretrained weights are not fetched (the timings and sizes do
    not depend on them, and an ``-imagenet`` model is timed offline too).

    Args:
        name (str): Model YAML name, e.g. ``"yolo11n-starnet.yaml"``.
        seed (int): Seed of the weight initialisation.
        weights_dir (Path): Directory for the shipped model's YAML copy.

    Returns:
        (YOLO | RTDETR): The model.
    """
    cfg = timing_yaml(name, weights_dir) if is_shipped(name) else name
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
