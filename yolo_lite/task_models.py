"""The models of each task: Ultralytics' stock model and yolo-lite's shipped ones at a scale, and the task names.

``python -m yolo_lite.summary --task`` and ``yolo-lite benchmark --task`` both list a task's models from here. A task
is one of Ultralytics' (``detect``, ``segment``, ``pose``, ``obb``, ``classify``) or ``rtdetr``: RT-DETR detection
models, which have a single scale, ``l``. The file-name suffixes ``seg`` and ``cls`` are accepted as aliases.

Examples:
    >>> check_task("seg"), stock_model("n", "segment"), stock_model("s", "classify", "yolo26")
    ('segment', 'yolo11n-seg.yaml', 'yolo26s-cls.yaml')
    >>> shipped_task_models("n", "segment")
    ['yolo11n-seg-fasternet.yaml', 'yolo11n-seg-micronet.yaml', 'yolo11n-seg-starnet.yaml']
    >>> task_tag("yolo11n-seg-starnet.yaml"), task_tag("rtdetr-starnet.yaml"), task_tag("yolo11n-starnet-imagenet.yaml")
    ('starnet', 'starnet', 'starnet-imagenet')
"""

from __future__ import annotations

from pathlib import Path

from .patches import yaml_lookup
from .patches.yaml_lookup import TASK_SUFFIXES

__all__ = [
    "RTDETR",
    "RTDETR_SCALE",
    "RTDETR_STOCK",
    "TASKS",
    "TASK_ALIASES",
    "check_task",
    "shipped_task_models",
    "stock_label",
    "stock_model",
    "task_tag",
]

RTDETR = "rtdetr"  # not an Ultralytics task: RT-DETR detection models
RTDETR_SCALE = "l"  # RT-DETR's only scale
RTDETR_STOCK = ("rtdetr-l.yaml", "rtdetr-resnet50.yaml")  # Ultralytics' RT-DETRs; the first is the reference
TASKS = ("detect", "segment", "pose", "obb", "classify", RTDETR)
TASK_ALIASES = {suffix: task for task, suffix in TASK_SUFFIXES.items() if suffix != task}  # seg, cls


def check_task(task: str) -> str:
    """Return the task that ``task`` names (an alias such as ``seg`` gives ``segment``), or raise a ValueError.

    Args:
        task (str): One of :data:`TASKS`, or an alias from :data:`TASK_ALIASES`.

    Returns:
        (str): The task, one of :data:`TASKS`.

    Raises:
        ValueError: An unknown task, naming the choices.

    Examples:
        >>> check_task("cls"), check_task("rtdetr")
        ('classify', 'rtdetr')
    """
    task = TASK_ALIASES.get(task, task)
    if task not in TASKS:
        aliases = ", ".join(f"{alias} for {name}" for alias, name in TASK_ALIASES.items())
        raise ValueError(f"task must be one of {', '.join(TASKS)} (or {aliases}), got {task!r}; pass e.g. 'segment'")
    return task


def stock_model(scale: str, task: str, version: str = "yolo11") -> str:
    """Return the name of Ultralytics' own model of ``task`` at ``scale``: ``yolo11n-seg.yaml``, ``rtdetr-l.yaml``.

    Args:
        scale (str): A scale letter (ignored for RT-DETR).
        task (str): One of :data:`TASKS`.
        version (str): ``"yolo11"`` or ``"yolo26"`` (RT-DETR has only its own).

    Returns:
        (str): The YAML name.
    """
    if task == RTDETR:
        return RTDETR_STOCK[0]
    suffix = f"-{TASK_SUFFIXES[task]}" if task in TASK_SUFFIXES else ""
    return f"{version}{scale}{suffix}.yaml"


def stock_label(task: str, version: str = "yolo11") -> str:
    """Return how reports name stock's model of ``task``: ``YOLO11``, ``YOLO11-seg``, ..., ``RT-DETR-l``.

    Args:
        task (str): One of :data:`TASKS`.
        version (str): ``"yolo11"`` or ``"yolo26"`` (RT-DETR has only its own).

    Returns:
        (str): The label.

    Examples:
        >>> stock_label("detect"), stock_label("pose", "yolo26"), stock_label("rtdetr")
        ('YOLO11', 'YOLO26-pose', 'RT-DETR-l')
    """
    if task == RTDETR:
        return "RT-DETR-l"
    return version.upper() + (f"-{TASK_SUFFIXES[task]}" if task in TASK_SUFFIXES else "")


def shipped_task_models(scale: str, task: str = "detect") -> list[str]:
    """Return every shipped model of ``task`` at ``scale``, sorted; for RT-DETR every ``rtdetr-*.yaml`` (scale ``l``).

    Args:
        scale (str): A scale letter; RT-DETR's models are returned for any scale.
        task (str): One of :data:`TASKS`.

    Returns:
        (list[str]): Model names that Ultralytics finds from any working directory once yolo-lite is imported.
    """
    if task == RTDETR:
        return sorted(p.name for p in yaml_lookup.CFG_DIR.glob(f"{RTDETR}-*.yaml"))
    return yaml_lookup.shipped_models(scale, task)


def task_tag(name: str | Path) -> str:
    """Return what names a shipped model's backbone: its stem after the scale and the task's suffix.

    Args:
        name (str | Path): A shipped model such as ``yolo11n-seg-starnet.yaml`` or ``rtdetr-starnet.yaml``.

    Returns:
        (str): The tag, e.g. ``starnet``; its first word is the family.
    """
    tag = Path(name).stem.split("-", 1)[1]
    suffix = TASK_SUFFIXES.get(yaml_lookup.model_task(name))
    return tag.removeprefix(f"{suffix}-") if suffix else tag
