"""The ``torch_safe_load`` patch: a model read from a checkpoint does not fetch its backbone's weights again.

A backbone row with ``weights`` loads them whenever the row is built. Ultralytics' trainer rebuilds a checkpoint's
model from the model dict saved in it and then copies the checkpoint's weights in (``YOLO("best.pt").train()``), so the
row's weights would be fetched only to be overwritten, and offline, or with the file gone, the rebuild would fail. The
wrapper marks the model dict of every loaded checkpoint whose layer 0 is a yolo-lite backbone; the ``parse_model``
patch then builds that backbone without fetching (:data:`~.parse_model.SKIP_ROW_WEIGHTS`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from yolo_lite.backbones.base import Backbone

from .parse_model import SKIP_ROW_WEIGHTS

__all__ = ["wrap_torch_safe_load"]


def wrap_torch_safe_load(original: Callable) -> Callable:
    """Return ``torch_safe_load`` that marks loaded yolo-lite models' dicts, after calling ``original`` to load.

    Args:
        original (Callable): Ultralytics' ``torch_safe_load(weight, ...)``, returning ``(ckpt, file)``.

    Returns:
        (Callable): The wrapper, with ``__wrapped__`` set to ``original``.
    """

    @functools.wraps(original)
    def torch_safe_load(*args, **kwargs):
        ckpt, file = original(*args, **kwargs)
        for key in ("model", "ema"):
            model = ckpt.get(key) if isinstance(ckpt, dict) else None
            layers = getattr(model, "model", None)
            if isinstance(getattr(model, "yaml", None), dict) and layers and isinstance(layers[0], Backbone):
                model.yaml[SKIP_ROW_WEIGHTS] = True
        return ckpt, file

    return torch_safe_load
