"""The ``yaml_model_load`` patch: YAMLs shipped in ``yolo_lite.cfg`` resolve by name from any working directory.

A bare name that neither the working directory, Ultralytics nor yolo-lite has, but that is close to a shipped name
(``yolo11-starnett.yaml``), gets Ultralytics' ``FileNotFoundError`` with the closest shipped names added.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable
from pathlib import Path

__all__ = [
    "CFG_DIR",
    "HEADS",
    "TASK_SUFFIXES",
    "closest_names",
    "is_shipped",
    "model_task",
    "shipped_file",
    "shipped_models",
    "shipped_names",
    "shipped_yaml",
    "wrap_yaml_model_load",
]

CFG_DIR = Path(__file__).parent.parent / "cfg"  # yolo_lite/cfg
SCALES = "nslmx"
HEADS = ("yolo11", "yolo26")  # Ultralytics' model whose neck and head a shipped YAML keeps: yolo11<scale>-<tag>.yaml
TASK_SUFFIXES = {"segment": "seg", "pose": "pose", "obb": "obb", "classify": "cls"}  # Ultralytics' file-name tasks
SIMILAR = 0.8  # difflib ratio from which a missing name counts as a typo of a shipped one


def _unscaled(name: str) -> str:
    """Return the multi-scale file name a scaled name reads: ``yolo11s-starnet-scaled.yaml`` -> ``yolo11-...``."""
    return re.sub(rf"^(yolo\d+)[{SCALES}](?=-)", r"\1", name)


def model_task(name: str | Path) -> str:
    """Return the Ultralytics task a shipped model's name stands for: the word after the scale, as Ultralytics reads it.

    Args:
        name (str | Path): A model name such as ``yolo11n-seg-starnet.yaml``.

    Returns:
        (str): ``"segment"``, ``"pose"``, ``"obb"``, ``"classify"``, or ``"detect"`` for any other name.

    Examples:
        >>> model_task("yolo11n-seg-starnet.yaml"), model_task("yolo11n-starnet.yaml")
        ('segment', 'detect')
    """
    words = Path(name).stem.split("-")
    return next((task for task, suffix in TASK_SUFFIXES.items() if words[1:2] == [suffix]), "detect")


def shipped_yaml(name: str | Path) -> Path | None:
    """Return the shipped YAML that a bare model name such as ``yolo11n-starnet.yaml`` refers to, else None.

    A scaled name maps to ``CFG_DIR / name``; Ultralytics' loader then reads that file if it is shipped (a YAML for
    one scale, e.g. ``yolo11n-starnet-imagenet.yaml``), else the unscaled file (``yolo11-starnet.yaml``), and takes
    the scale from the name, as it does for its own YAMLs. A path that exists, or that names a directory, is the
    user's file and is left alone.

    Args:
        name (str | Path): The model argument as the user gave it.

    Returns:
        (Path | None): The path to hand to Ultralytics, or None if ``name`` is not one of ours.

    Examples:
        >>> shipped_yaml("yolo11n-starnet.yaml").name
        'yolo11n-starnet.yaml'
        >>> shipped_yaml("yolo11n.yaml") is None
        True
    """
    path = Path(name)
    if path.exists() or path.parent != Path(".") or path.suffix not in {".yaml", ".yml"}:
        return None
    return CFG_DIR / path.name if is_shipped(path.name) else None


def is_shipped(name: str | Path) -> bool:
    """Return whether ``yolo_lite.cfg`` ships the model ``name``: its file, or the all-scale file it scales.

    Unlike :func:`shipped_yaml`, the working directory is not looked at.

    Args:
        name (str | Path): A model name such as ``yolo11n-starnet.yaml`` (only its file name counts).

    Returns:
        (bool): True for ``yolo11n-starnet.yaml`` (from ``yolo11-starnet.yaml``) or ``rtdetr-starnet.yaml``, False
            for Ultralytics' own ``yolo11n-seg.yaml``.

    Examples:
        >>> is_shipped("yolo11s-seg-starnet.yaml"), is_shipped("yolo11n-seg.yaml")
        (True, False)
    """
    name = Path(name).name
    return (CFG_DIR / name).is_file() or (CFG_DIR / _unscaled(name)).is_file()


def shipped_names() -> list[str]:
    """Return every model name that loads a shipped YAML: each file's name, and each scale of a multi-scale file.

    Examples:
        >>> {"yolo11n-starnet.yaml", "yolo11s-starnet-scaled.yaml", "rtdetr-starnet.yaml"} <= set(shipped_names())
        True
    """
    names = set()
    for path in CFG_DIR.glob("*.yaml"):
        scaled = {re.sub(r"^(yolo\d+)-", rf"\g<1>{s}-", path.name) for s in SCALES} - {path.name}
        names |= {path.name, *scaled}
    return sorted(names)


def closest_names(name: str | Path, n: int = 3) -> list[str]:
    """Return up to ``n`` shipped model names that ``name`` looks like a typo of, the closest first.

    Examples:
        >>> closest_names("yolo11n-starnett.yaml")[0], closest_names("yolo11nn.yaml")
        ('yolo11n-starnet.yaml', [])
    """
    return difflib.get_close_matches(Path(name).name, shipped_names(), n=n, cutoff=SIMILAR)


def shipped_file(name: str | Path) -> Path:
    """Return the shipped file the model name ``name`` loads: its own, or the multi-scale file it is a scale of.

    Args:
        name (str | Path): A model name such as ``yolo11n-starnet-imagenet.yaml`` (only its file name counts).

    Returns:
        (Path): The file in :data:`CFG_DIR`.

    Raises:
        FileNotFoundError: ``name`` is not shipped; the message lists the closest shipped names.

    Examples:
        >>> shipped_file("yolo11s-starnet-scaled.yaml").name
        'yolo11-starnet-scaled.yaml'
    """
    name = Path(name).name
    for candidate in (name, _unscaled(name)):
        if (CFG_DIR / candidate).is_file():
            return CFG_DIR / candidate
    close = closest_names(name)
    raise FileNotFoundError(
        f"yolo-lite ships no {name}"
        + (f"; closest: {', '.join(close)}" if close else "")
        + f". Every shipped YAML is in {CFG_DIR} (python -m yolo_lite.cfg prints it; python -m yolo_lite.summary lists "
        "them)"
    )


def shipped_models(scale: str, task: str = "detect") -> list[str]:
    """Return the names of every shipped model of ``task`` at ``scale``, sorted: ``<head>{scale}-{tag}.yaml`` per tag.

    A tag is shipped for every scale as ``<head>-{tag}.yaml`` or for one scale as ``<head>{scale}-{tag}.yaml``, where
    ``<head>`` is one of :data:`HEADS` (``yolo11``, ``yolo26``: the Ultralytics model whose neck and head it keeps);
    a task's tags start with its suffix (``seg-starnet``, see :func:`model_task`).

    Args:
        scale (str): A scale letter, one of ``nslmx``.
        task (str): An Ultralytics task: ``"detect"``, ``"segment"``, ``"pose"``, ``"obb"`` or ``"classify"``.

    Returns:
        (list[str]): Model names that :func:`shipped_yaml` resolves.

    Examples:
        >>> "yolo11n-starnet.yaml" in shipped_models("n"), "yolo11n-seg-starnet.yaml" in shipped_models("n", "segment")
        (True, True)
    """
    names = set()
    for head in HEADS:
        names |= {p.name.replace(f"{head}-", f"{head}{scale}-", 1) for p in CFG_DIR.glob(f"{head}-*.yaml")}
        names |= {p.name for p in CFG_DIR.glob(f"{head}{scale}-*.yaml")}
    return sorted(name for name in names if model_task(name) == task)


def wrap_yaml_model_load(original: Callable) -> Callable:
    """Return ``yaml_model_load`` that finds yolo-lite's shipped YAMLs by name, and calls ``original`` to load.

    Args:
        original (Callable): Ultralytics' ``yaml_model_load(path)``.

    Returns:
        (Callable): The wrapper, with ``__wrapped__`` set to ``original``.
    """

    @functools.wraps(original)
    def yaml_model_load(path):
        try:
            return original(shipped_yaml(path) or path)
        except FileNotFoundError as e:
            close = closest_names(path) if Path(path).parent == Path(".") else []
            if not close:
                raise
            raise FileNotFoundError(
                f"{e}. Closest yolo-lite models: {', '.join(close)} (`python -m yolo_lite.cfg NAME` prints a name's "
                "file; `python -m yolo_lite.summary` lists every shipped model)"
            ) from None

    return yaml_model_load
