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
- **No detection weights to download.** yolo-lite ships YAMLs and ImageNet backbones, not trained models: a missing
  ``yolo11n-starnet.pt`` (a ``.pt`` named like a shipped YAML) raises a ``FileNotFoundError`` that says so and what to
  do instead (:func:`no_weights_message`), before Ultralytics would look for it among GitHub's release assets.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

from yolo_lite.backbones.base import Backbone
from yolo_lite.safe_load import allow_checkpoint_classes

from .parse_model import SKIP_ROW_WEIGHTS
from .yaml_lookup import CFG_DIR, TASK_SUFFIXES, is_shipped

__all__ = ["no_weights_message", "wrap_torch_safe_load"]


def _stock_checkpoint(stem: str) -> str:
    """Return the stock checkpoint whose neck and head fit the shipped model ``stem``: ``yolo11n-seg-starnet`` ->
    ``yolo11n-seg.pt``, ``rtdetr-starnet`` -> ``rtdetr-l.pt``."""
    words = stem.split("-")
    if words[0] == "rtdetr":
        return "rtdetr-l.pt"
    task = words[1:2] if words[1:2] and words[1] in TASK_SUFFIXES.values() else []
    return "-".join([words[0], *task]) + ".pt"


def no_weights_message(weight: str | Path) -> str | None:
    """Return why a missing ``weight`` such as ``yolo11n-starnet.pt`` is not downloaded and what to do, else None.

    Args:
        weight (str | Path): The checkpoint the user asked for.

    Returns:
        (str | None): The message for a ``.pt`` named like a shipped YAML; None for any other name.

    Examples:
        >>> no_weights_message("yolo11n-starnet.pt").split(".")[0]
        'yolo11n-starnet'
        >>> no_weights_message("yolo11n.pt") is None
        True
    """
    path = Path(weight)
    yaml = path.with_suffix(".yaml").name
    if path.suffix != ".pt" or not is_shipped(yaml):
        return None
    imagenet = f"{path.stem}-imagenet.yaml"
    backbone = f" or {imagenet} for a backbone pretrained on ImageNet," if is_shipped(imagenet) else ""
    return (
        f"{path} does not exist, and there is none to download: yolo-lite ships model YAMLs and ImageNet-pretrained "
        f"backbones, not trained detection weights. Train from the YAML{backbone} and start its neck and head from "
        f"the stock checkpoint: YOLO('{yaml}').train(data=..., pretrained='{_stock_checkpoint(path.stem)}') (CLI: "
        f"yolo train model={yaml} pretrained={_stock_checkpoint(path.stem)}). The YAMLs are in {CFG_DIR}"
    )


def _restricted(safe_only: bool | None) -> bool:
    """Return whether ``torch_safe_load`` will load with ``weights_only=True``: its argument, else the env flag."""
    from ultralytics.nn import tasks

    return bool(getattr(tasks, "SAFE_LOAD", False) if safe_only is None else safe_only)


def _found(weight: str | Path) -> bool:
    """Return whether Ultralytics finds ``weight`` without downloading: here, or in its weights directory."""
    from ultralytics.utils import SETTINGS

    return Path(weight).is_file() or (Path(SETTINGS["weights_dir"]) / weight).is_file()


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
        if isinstance(weight, (str, Path)) and not _found(weight) and (message := no_weights_message(weight)):
            raise FileNotFoundError(message)
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
