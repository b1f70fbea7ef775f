"""The docs' model tables: every backbone variant at width 1, the shipped YAMLs' backbones, and every shipped model
next to stock YOLO11, YOLO26 (the head it keeps) or RT-DETR per scale, for any task.

Run ``python -m yolo_lite.summary`` (add ``--imgsz 320``, ``--scales n s`` or ``--task segment``) to print the tables
as markdown; ``--task`` takes ``detect`` (default), ``segment`` (or ``seg``), ``pose``, ``obb``, ``classify`` (or
``cls``) or ``rtdetr``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ultralytics.nn.tasks import (
    ClassificationModel,
    DetectionModel,
    OBBModel,
    PoseModel,
    RTDETRDetectionModel,
    SegmentationModel,
    guess_model_task,
    yaml_model_load,
)
from ultralytics.utils import LOGGER
from ultralytics.utils.torch_utils import get_flops, get_num_params

from .backbones import get_backbone, list_backbones
from .necks import is_neck
from .patches.parse_model import SKIP_ROW_WEIGHTS
from .patches.yaml_lookup import HEADS, shipped_models
from .task_models import RTDETR, RTDETR_SCALE, RTDETR_STOCK, TASK_ALIASES, TASKS, shipped_task_models, stock_model

__all__ = ["TASKS", "backbone_table", "model_summary", "shipped_table", "summary_table"]

SCALES = "nsmlx"
NECK_P5 = 1024  # SPPF's channel arg in Ultralytics' yolo11.yaml and yolo26.yaml, before the scale's width
MODEL_CLASSES = {
    "detect": DetectionModel,
    "segment": SegmentationModel,
    "pose": PoseModel,
    "obb": OBBModel,
    "classify": ClassificationModel,
}


def _model_groups(scale: str, task: str) -> list[list[str]]:
    """Return the models of ``task`` at ``scale`` by head, each group led by the stock model it is compared with.

    Stock YOLO11 then the shipped ``yolo11`` models, stock YOLO26 then the shipped ``yolo26`` ones (a head without
    shipped models of the task is left out); RT-DETR: Ultralytics' RT-DETRs, then every shipped one.
    """
    shipped = shipped_task_models(scale, task)
    if task == RTDETR:
        return [[*RTDETR_STOCK, *shipped]]
    groups = [[n for n in shipped if n.startswith(f"{head}{scale}-")] for head in HEADS]
    return [[stock_model(scale, task, head), *own] for head, own in zip(HEADS, groups) if own]


def model_summary(cfg: str, imgsz: int = 640) -> dict:
    """Build a model of any task from a YAML name and return its size; a backbone row's weights are not fetched.

    Args:
        cfg (str): A model YAML such as ``"yolo11n-starnet.yaml"``, ``"yolo11n-seg.yaml"`` or ``"rtdetr-starnet.yaml"``.
        imgsz (int): Image size for the GFLOPs count.

    Returns:
        (dict): ``model`` (the YAML name), ``backbone`` (layer 0's type), ``params`` and ``gflops``.

    Examples:
        >>> model_summary("yolo11n-starnet.yaml")["params"] < model_summary("yolo11n.yaml")["params"]
        True
    """
    d = {**yaml_model_load(cfg), SKIP_ROW_WEIGHTS: True}
    model_class = RTDETRDetectionModel if RTDETR in Path(cfg).stem else MODEL_CLASSES[guess_model_task(d)]
    model = model_class(d, verbose=False)
    return dict(
        model=cfg, backbone=model.model[0].type, params=get_num_params(model), gflops=get_flops(model, imgsz)
    )


def summary_table(scales: str = SCALES, imgsz: int = 640, task: str = "detect") -> str:
    """Return a markdown table of every shipped YAML of ``task`` next to the stock model of its head, at each scale.

    Args:
        scales (str): Scale letters to include, in order (RT-DETR has one: 'l').
        imgsz (int): Image size for the GFLOPs count.
        task (str): One of :data:`TASKS`; stock is ``<head><scale>-<suffix>.yaml`` (``yolo11n-seg.yaml`` for the
            ``yolo11`` models, ``yolo26n-seg.yaml`` for the ``yolo26`` ones), for RT-DETR ``rtdetr-l.yaml``.

    Returns:
        (str): The table, one row per scale and model.
    """
    lines = [
        f"| model | backbone (layer 0) | params (M) | GFLOPs @{imgsz} | params vs stock | GFLOPs vs stock |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for scale in RTDETR_SCALE if task == RTDETR else scales:
        for group in _model_groups(scale, task):
            stock = None
            for name in group:
                row = model_summary(name, imgsz)
                stock = stock or row
                lines.append(
                    f"| {Path(row['model']).stem} | {row['backbone'].rsplit('.', 1)[-1]} | {row['params'] / 1e6:.2f} | "
                    f"{row['gflops']:.1f} | {row['params'] / stock['params']:.2f}x | "
                    f"{row['gflops'] / stock['gflops']:.2f}x |"
                )
    return "\n".join(lines)


def shipped_table(task: str = "detect") -> str:
    """Return a markdown table of the shipped YAMLs of ``task``: each one's backbone row per scale, read from the files.

    Args:
        task (str): An Ultralytics task, a key of :data:`MODEL_CLASSES`.

    Returns:
        (str): The table, one row per head and tag (``yolo11<scale>-starnet``, ``yolo11<scale>-seg-starnet``,
            ``yolo26<scale>-starnet``, ...), one column per scale (``-`` where that scale is not shipped); a neck whose
            channels differ from Ultralytics' (SPPF's 1024 before the scale's width) is given as a multiple of them,
            followed by its yolo-lite neck blocks (``C3k2_Rep`` ...), a backbone without C2PSA after SPPF is marked
            "no P5 attention", and a YOLO26 head without its NMS-free branch (``end2end: False``) "NMS".
    """
    names = shipped_models("n", task)
    shipped = {name for scale in SCALES for name in shipped_models(scale, task)}
    lines = [f"| YAML | {' | '.join(SCALES)} |", "|---|" + "---|" * len(SCALES)]
    for head in HEADS:
        for tag in sorted(Path(name).stem.removeprefix(f"{head}n-") for name in names if name.startswith(f"{head}n-")):
            cells = []
            for scale in SCALES:
                if f"{head}{scale}-{tag}.yaml" not in shipped:
                    cells.append("-")
                    continue
                d = yaml_model_load(f"{head}{scale}-{tag}.yaml")
                backbone, blocks = d["backbone"], sorted({row[2] for row in d["head"] if is_neck(row[2])})
                _, _, module, args = backbone[0]
                sppf = len(backbone) > 1 and backbone[1][2] == "SPPF"
                neck = backbone[1][3][0] / NECK_P5 if sppf else 1
                attention = not sppf or any(row[2] == "C2PSA" for row in backbone[2:])
                cells.append(
                    f"`{module} {args}`".replace("'", "")
                    + (f", neck {neck:g}x" if neck != 1 else "")
                    + "".join(f" {block}" for block in blocks)
                    + ("" if attention else ", no P5 attention")
                    + (", NMS" if head == "yolo26" and d.get("end2end") is False else "")
                )
            lines.append(f"| `{head}<scale>-{tag}` | {' | '.join(cells)} |")
    return "\n".join(lines)


def backbone_table() -> str:
    """Return a markdown table of every registered variant at depth = width = 1: params and channels per stride.

    Returns:
        (str): The table, one row per variant, grouped by family.
    """
    lines = ["| variant | params (M) | channels @ stride (width 1) |", "|---|---:|---|"]
    rows = []
    for name in list_backbones():
        backbone = get_backbone(name)()
        rows.append((name.split("_")[0], sum(p.numel() for p in backbone.parameters()), name, backbone))
    for _, params, name, backbone in sorted(rows, key=lambda row: row[:2]):
        channels = ", ".join(f"{c}@{s}" for c, s in zip(backbone.width_list, backbone.strides))
        lines.append(f"| `{name}` | {params / 1e6:.2f} | {channels} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Print :func:`summary_table` for the scales and image size given on the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", nargs="+", default=list(SCALES), choices=list(SCALES))
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument(
        "--task",
        default="detect",
        type=lambda task: TASK_ALIASES.get(task, task),
        choices=TASKS,
        help="the models' task, or rtdetr (seg and cls are aliases of segment and classify)",
    )
    args = parser.parse_args(argv)
    scales, task = "".join(args.scales), args.task
    if task == "detect":
        tables = backbone_table(), shipped_table(), summary_table(scales, args.imgsz)
    elif task == RTDETR:
        tables = (summary_table(scales, args.imgsz, task),)
    else:
        tables = shipped_table(task), summary_table(scales, args.imgsz, task)
    LOGGER.info("\n\n".join(tables))


if __name__ == "__main__":
    main()
