"""The ``BaseModel.fuse`` patch: Ultralytics' fusion also folds BatchNorm inside yolo-lite backbones."""

from __future__ import annotations

import functools
from collections.abc import Callable

from yolo_lite.backbones.base import Backbone

__all__ = ["wrap_fuse"]


def wrap_fuse(original: Callable) -> Callable:
    """Return ``fuse`` that fuses every yolo-lite backbone in the model, then calls ``original`` for the rest.

    Args:
        original (Callable): Ultralytics' ``BaseModel.fuse(self, verbose=True, imgsz=640)``.

    Returns:
        (Callable): The wrapper, with ``__wrapped__`` set to ``original``.
    """

    @functools.wraps(original)
    def fuse(self, *args, **kwargs):
        for module in self.modules():
            if isinstance(module, Backbone):
                module.fuse()
        return original(self, *args, **kwargs)

    return fuse
