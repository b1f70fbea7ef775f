"""The ``BaseModel.fuse`` patch: Ultralytics' fusion also folds BatchNorm inside yolo-lite backbones and neck blocks.

The backbone in layer 0 learns which of its features no layer reads (``Backbone.fuse(unread=...)``), so it may fold
into the layer whose raw output such a feature is.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

from yolo_lite.backbones.base import Backbone

from .parse_model import BACKBONE_SLOTS

__all__ = ["unread_strides", "wrap_fuse"]

NECKS = "yolo_lite.necks.base"  # imported by every model that holds a neck block, and only then


def _fusable() -> tuple[type, ...]:
    """Return the yolo-lite classes whose ``fuse()`` the patch calls: backbones, and neck blocks once they exist."""
    necks = sys.modules.get(NECKS)
    return (Backbone,) if necks is None else (Backbone, necks.FamilyC3k2)


def unread_strides(model) -> tuple[int, ...]:
    """Return the strides of the features of ``model``'s layer-0 backbone that no later layer reads.

    A layer reads slot ``k`` (layers 0-4) when its ``from`` names it, ``-1`` included for the layer right after them.

    Args:
        model (BaseModel): An Ultralytics model whose layer 0 is a yolo-lite backbone.

    Returns:
        (tuple[int, ...]): Strides, ascending; empty when every feature is read.
    """
    read = {j % m.i for m in model.model[BACKBONE_SLOTS:] for j in ([m.f] if isinstance(m.f, int) else m.f)}
    strides = model.model[0].strides
    first = BACKBONE_SLOTS - len(strides)  # a backbone without a stride-2 feature starts at slot 1
    return tuple(s for slot, s in enumerate(strides, first) if slot not in read)


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
        first = self.model[0] if len(self.model) and isinstance(self.model[0], Backbone) else None
        for module in self.modules():
            if module is first:
                module.fuse(unread=unread_strides(self))
            elif isinstance(module, fusable):
                module.fuse()
        return original(self, *args, **kwargs)

    return fuse
