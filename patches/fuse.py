"""The ``BaseModel.fuse`` patch: Ultralytics' fusion also folds BatchNorm inside yolo-lite backbones and neck blocks."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

from yolo_lite.backbones.base import Backbone

__all__ = ["wrap_fuse"]

NECKS = "yolo_lite.necks.base"  # imported by every model that holds a neck block, and only then


def _fusable() -> tuple[type, ...]:
    """Return the yolo-lite classes whose ``fuse()`` the patch calls: backbones, and neck blocks once they exist."""
    necks = sys.modules.get(NECKS)
    return (Backbone,) if necks is None else (Backbone, necks.FamilyC3k2)


def wrap_fuse(original: Callable) -> Callable:
    """Return ``fuse`` that fuses every yolo-lite backbone and neck block in the model, then calls ``original``.

    Args:
        original (Callable): Ultralytics' ``BaseModel.fuse(self, verbose=True, imgsz=640)``.

    Returns:
        (Callable): The wrapper, with ``__wrapped__`` set to ``original``.
    """

    @functools.wraps(original)
    def fuse(self, *args, **kwargs):
        fusable = _fusable()
        for module in self.modules():
            if isinstance(module, fusable):
                module.fuse()
        return original(self, *args, **kwargs)

    return fuse
