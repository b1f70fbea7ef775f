"""Restricted loading of yolo-lite checkpoints: which classes they may reference beyond Ultralytics' allow-list.

A restricted load (``ULTRALYTICS_SAFE_LOAD=1``, ``torch_safe_load(..., safe_only=True)``,
``torch.load(weights_only=True)``) rebuilds only the classes on an allow-list. Ultralytics' list holds its own layers
and torch.nn's; a yolo-lite checkpoint also references the backbone's classes. They are read, not typed: every
registered variant is built (at small multipliers, which change channels and block counts but no class), pickled
as it is and fused, and torch's own scanner (:func:`torch.serialization.get_unsafe_globals_in_checkpoint`) lists
what the pickle references: our classes (``yolo_lite.backbones.starnet.StarNet``, MicroNet's block config), the
timm blocks they are built from, and torch.nn layers. The neck blocks (``C3k2_Faster``, ``C3k2_Star``) are read the
same way.

A :class:`~yolo_lite.backbones.timm_backbone.TimmBackbone` may hold any timm model, so a checkpoint that references
it may also reference timm's and torch.nn's layers (``nn.Module`` subclasses defined there), timm's ``Format`` enum
and its ``FeatureInfo`` record. A checkpoint that references no yolo-lite class gets nothing added, and nothing
else is ever added: a class of another package, or a timm block that no yolo-lite backbone contains, is still
refused.

Examples:
    >>> from yolo_lite.safe_load import backbone_classes
    >>> backbone_classes()["yolo_lite.backbones.starnet.StarNet"].__name__
    'StarNet'
"""

from __future__ import annotations

import enum
import functools
import importlib
import io
import threading
from os import PathLike
from typing import IO

import torch
from torch import nn

__all__ = ["allow_checkpoint_classes", "backbone_classes", "checkpoint_classes", "neck_classes", "pickled_globals"]

SCAN_MULTIPLIER = 0.01  # depth and width of the variants pickled for the scan: the fewest, narrowest layers
TIMM_BACKBONE = "yolo_lite.backbones.timm_backbone.TimmBackbone"
TIMM_LAYER_MODULES = ("timm.", "torch.nn.modules.")  # where the layers of any timm model are defined
TIMM_RECORDS = ("timm.models._features.FeatureInfo",)  # what a features-only timm model keeps besides layers
_lock = threading.Lock()  # add_safe_globals rebinds a process-wide set: one registration at a time


def pickled_globals(obj: object) -> set[str]:
    """Return the globals a ``torch.save`` of ``obj`` references that torch does not allow by default.

    Args:
        obj (object): Anything ``torch.save`` takes, e.g. a backbone.

    Returns:
        (set[str]): Names as ``"module.QualName"``.

    Examples:
        >>> sorted(pickled_globals(torch.nn.Identity()))
        ['torch.nn.modules.linear.Identity']
    """
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    buffer.seek(0)
    return set(torch.serialization.get_unsafe_globals_in_checkpoint(buffer))


def _resolve(name: str) -> type | None:
    """Return the class pickled as ``name`` (``"module.Class"``), importing its module; None if it is no class."""
    module, _, attribute = name.rpartition(".")
    try:
        obj = getattr(importlib.import_module(module), attribute, None)
    except ImportError:
        return None
    return obj if isinstance(obj, type) and f"{obj.__module__}.{obj.__qualname__}" == name else None


@functools.cache
def backbone_classes() -> dict[str, type]:
    """Return every class that a pickled registered backbone references, plain or fused, by its pickled name.

    Computed once per process, from the variants registered at the first call.

    Returns:
        (dict[str, type]): ``{"module.QualName": class}``; functions or other non-class globals are never included.
    """
    from yolo_lite.backbones import get_backbone, list_backbones

    names = {TIMM_BACKBONE}
    with torch.random.fork_rng(devices=[]):  # building draws random weights: leave the caller's generator as it was
        for variant in list_backbones():
            backbone = get_backbone(variant)(SCAN_MULTIPLIER, SCAN_MULTIPLIER)
            names |= pickled_globals(backbone) | pickled_globals(backbone.fuse())
    return _classes(names)


@functools.cache
def neck_classes() -> dict[str, type]:
    """Return every class that a pickled neck block (:mod:`yolo_lite.necks`) references, plain or fused.

    Each registered block is built in all three forms of its inner blocks (plain, ``c3k``, ``attn``), as
    :func:`backbone_classes` builds the backbones. The Ultralytics layers they hold (``Conv``, ``C3k``, ...) are left
    out: Ultralytics' own allow-list has them.

    Returns:
        (dict[str, type]): ``{"module.QualName": class}``.
    """
    from yolo_lite.necks import get_neck, list_necks

    names = set()
    with torch.random.fork_rng(devices=[]):
        for name in list_necks():
            for c3k, attn in ((False, False), (True, False), (False, True)):
                block = get_neck(name)(64, 64, 1, c3k, 0.5, attn)
                names |= pickled_globals(block) | pickled_globals(block.fuse())
    return _classes({name for name in names if not name.startswith("ultralytics.")})


def _classes(names: set[str]) -> dict[str, type]:
    """Return the classes pickled under ``names``, by name; functions and other non-class globals are left out."""
    classes = {name: _resolve(name) for name in sorted(names)}
    return {name: cls for name, cls in classes.items() if cls is not None}


def _timm_class(name: str) -> type | None:
    """Return the class ``name`` if a TimmBackbone may hold it (a timm or torch.nn layer, timm's records), else None."""
    cls = _resolve(name) if name.startswith(TIMM_LAYER_MODULES) else None
    if cls is None:
        return None
    if issubclass(cls, nn.Module) or name in TIMM_RECORDS or (name.startswith("timm.") and issubclass(cls, enum.Enum)):
        return cls
    return None


def checkpoint_classes(file: str | PathLike | IO[bytes]) -> list[tuple[type, str]]:
    """Return the yolo-lite classes, and those of the layers our backbones and necks hold, that ``file`` references.

    Args:
        file (str | PathLike | IO[bytes]): A ``torch.save`` archive (a file path or an open binary file).

    Returns:
        (list[tuple[type, str]]): ``(class, "module.QualName")`` pairs, the form
            :func:`torch.serialization.add_safe_globals` and :func:`torch.serialization.safe_globals` take; empty
            for a checkpoint that references no yolo-lite class, for a file that is not a ``torch.save`` archive,
            and on torch without the checkpoint scanner (which Ultralytics' restricted loading needs as well).

    Examples:
        >>> from yolo_lite.backbones import starnet_s050
        >>> buffer = io.BytesIO()
        >>> torch.save(starnet_s050(), buffer)
        >>> _ = buffer.seek(0)
        >>> with torch.serialization.safe_globals(checkpoint_classes(buffer)):
        ...     _ = buffer.seek(0)
        ...     backbone = torch.load(buffer, weights_only=True)
        >>> type(backbone).__name__
        'StarNet'
    """
    if not hasattr(torch.serialization, "get_unsafe_globals_in_checkpoint"):
        return []
    try:
        needed = torch.serialization.get_unsafe_globals_in_checkpoint(file)
    except (ValueError, RuntimeError):  # not a torch.save zip archive, or a damaged one: torch.load reports that
        return []
    if not any(name.startswith("yolo_lite.") for name in needed):
        return []
    allowed = {**backbone_classes(), **neck_classes()}
    pairs = [(allowed[name], name) for name in needed if name in allowed]
    if TIMM_BACKBONE in needed:
        pairs += [(cls, name) for name in needed if name not in allowed and (cls := _timm_class(name)) is not None]
    return pairs


def allow_checkpoint_classes(file: str | PathLike | IO[bytes]) -> list[str]:
    """Register :func:`checkpoint_classes` of ``file`` with torch for restricted loading, for the whole process.

    Like Ultralytics' own restricted load, the classes stay registered afterwards (a scoped registration would strip
    them from a concurrent load in another thread), so later ``weights_only`` loads may use them too.

    Args:
        file (str | PathLike | IO[bytes]): The checkpoint about to be loaded.

    Returns:
        (list[str]): The names registered.
    """
    pairs = checkpoint_classes(file)
    if pairs:
        with _lock:
            torch.serialization.add_safe_globals(pairs)
    return [name for _, name in pairs]
