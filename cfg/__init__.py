"""The model YAMLs shipped with yolo-lite, found by name from any working directory (``YOLO("yolo11n-starnet.yaml")``).

To start a YAML of your own from a shipped one, copy it: ``python -m yolo_lite.cfg`` prints this folder, and
``python -m yolo_lite.cfg yolo11n-starnet-imagenet.yaml`` the file that name loads (for a scale of a multi-scale YAML,
e.g. ``yolo11s-starnet-scaled.yaml``, the multi-scale file ``yolo11-starnet-scaled.yaml``).

Examples:
    >>> from yolo_lite.cfg import CFG_DIR, yaml_file
    >>> yaml_file("yolo11n-starnet.yaml") == CFG_DIR / "yolo11n-starnet.yaml"
    True
    >>> yaml_file("yolo11s-starnet-scaled.yaml").name
    'yolo11-starnet-scaled.yaml'
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["CFG_DIR", "yaml_file"]

CFG_DIR = Path(__file__).resolve().parent


def yaml_file(name: str | Path) -> Path:
    """Return the shipped file that the model name ``name`` loads.

    Args:
        name (str | Path): A shipped model name such as ``yolo11n-starnet-imagenet.yaml`` (only its file name counts).

    Returns:
        (Path): The file in :data:`CFG_DIR`: ``name`` itself, or the multi-scale file it is a scale of.

    Raises:
        FileNotFoundError: ``name`` is not shipped; the message lists the closest shipped names.
    """
    from yolo_lite.patches.yaml_lookup import shipped_file

    return shipped_file(name)
