"""Lightweight backbones for YOLO11, callable as ``<name>(depth, width)`` like the community YAMLs use them.

``TimmBackbone`` takes any timm model instead. The family modules (and timm with them) are imported on first use, so importing yolo-lite, or Ultralytics with
yolo-lite installed, stays cheap for models that do not use them.

Examples:
    >>> from yolo_lite.backbones import starnet_s1
    >>> starnet_s1(0.5, 0.25).width_list
    [8, 8, 16, 32, 64]
"""

import importlib

from .base import Backbone
from .registry import FAMILIES, get_backbone, is_backbone, list_backbones, register_backbone

__all__ = ["Backbone", "get_backbone", "is_backbone", "list_backbones", "register_backbone"]


def __getattr__(name: str):
    """Resolve a variant (``starnet_s1``) or model class (``StarNet``, ``TimmBackbone``) on first access."""
    if name == "TimmBackbone":  # any timm model, the YAML row [-1, 1, timm, [model_name]]
        from .timm_backbone import TimmBackbone

        return TimmBackbone
    for family in FAMILIES:
        module = importlib.import_module(f".{family}", __name__)
        if name in getattr(module, "__all__", ()) or is_backbone(name) and hasattr(module, name):
            return getattr(module, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    """List the eager names and every registered variant."""
    return sorted({*globals(), *list_backbones()})
