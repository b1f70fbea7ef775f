"""The ``torch_safe_load`` patch: yolo-lite checkpoints load under restricted loading, and without refetching weights.

- **Restricted loading.** With ``ULTRALYTICS_SAFE_LOAD=1`` (or ``torch_safe_load(..., safe_only=True)``) Ultralytics
  unpickles with ``weights_only=True`` against its allow-list of Ultralytics and torch.nn classes, which a yolo-lite
  backbone is not on. Before delegating, the wrapper registers the yolo-lite classes (and the timm blocks they hold)
  that the file references (:func:`yolo_lite.safe_load.allow_checkpoint_classes`); a checkpoint that references no
  yolo-lite class gets nothing added, and any class outside both lists is still refused.
- **No refetch.** A backbone row with ``weights`` loads them whenever the row is built. Ultralytics' trainer rebuilds
  a checkpoint's model from the model dict saved in it and then copies the checkpoint's weights in
  (``YOLO("best.pt").train()``), so the row's weights would be fetched only to be overwritten, and offline, or with
  the file gone, the rebuild would fail. The wrapper marks the model dict of every loaded checkpoint whose layer 0 is
  a yolo-lite backbone; the ``parse_model`` patch then builds that backbone without fetching
  (:data:`~.parse_model.SKIP_ROW_WEIGHTS`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from yolo_lite.backbones.base import Backbone
from yolo_lite.safe_load import allow_checkpoint_classes

from .parse_model import SKIP_ROW_WEIGHTS

__all__ = ["wrap_torch_safe_load"]


def _restricted(safe_only: bool | None) -> bool:
    """Return whether ``torch_safe_load`` will load with ``weights_only=True``: its argument, else the env flag."""
    from ultralytics.nn import tasks

    return bool(getattr(tasks, "SAFE_LOAD", False) if safe_only is None else safe_only)


def wrap_torch_safe_load(original: Callable) -> Callable:
    """Return ``torch_safe_load`` that allows yolo-lite's classes when restricted and marks loaded yolo-lite models.

    Args:
        original (Callable): Ultralytics' ``torch_safe_load(weight, safe_only=None)``, returning ``(ckpt, file)``.

    Returns:
        (Callable): The wrapper, with ``__wrapped__`` set to ``original``.
    """

    @functools.wraps(original)
    def torch_safe_load(*args, **kwargs):
        weight = args[0] if args else kwargs.get("weight")
        safe_only = args[1] if len(args) > 1 else kwargs.get("safe_only")
        if _restricted(safe_only) and isinstance(weight, (str, Path)) and Path(weight).is_file():
            allow_checkpoint_classes(weight)
        ckpt, file = original(*args, **kwargs)
        for key in ("model", "ema"):
            model = ckpt.get(key) if isinstance(ckpt, dict) else None
            layers = getattr(model, "model", None)
            if isinstance(getattr(model, "yaml", None), dict) and layers and isinstance(layers[0], Backbone):
                model.yaml[SKIP_ROW_WEIGHTS] = True
        return ckpt, file

    return torch_safe_load
