"""Name -> builder registry of yolo-lite backbones, as the YAML's module column names them.

Families register their variants when their module is imported; lookups import every family first, so asking for a
name never depends on what happened to be imported before.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

__all__ = ["FAMILIES", "get_backbone", "is_backbone", "list_backbones", "register_backbone"]

FAMILIES = ("starnet", "fasternet", "micronet")  # modules of yolo_lite.backbones that register variants
_BACKBONES: dict[str, Callable] = {}


def _import_families() -> None:
    """Import every family module (a no-op after the first call), which registers its variants."""
    for family in FAMILIES:
        importlib.import_module(f"yolo_lite.backbones.{family}")


def register_backbone(fn: Callable) -> Callable:
    """Register a variant function under its own name; a second function with the same name is refused.

    Args:
        fn (Callable): A variant builder ``fn(depth=1.0, width=1.0) -> Backbone``.

    Returns:
        (Callable): ``fn`` unchanged, so this works as a decorator.

    Raises:
        ValueError: The name is already registered.
    """
    name = fn.__name__
    if name in _BACKBONES:
        raise ValueError(f"backbone '{name}' is already registered by {_BACKBONES[name].__module__}; pick another name")
    _BACKBONES[name] = fn
    return fn


def list_backbones() -> list[str]:
    """Return the registered backbone names, sorted.

    Examples:
        >>> "starnet_s1" in list_backbones()
        True
    """
    _import_families()
    return sorted(_BACKBONES)


def is_backbone(name) -> bool:
    """Return True if ``name`` is a registered backbone."""
    return isinstance(name, str) and name in list_backbones()


def get_backbone(name: str) -> Callable:
    """Return the builder registered as ``name``.

    Args:
        name (str): A variant name such as ``"starnet_s1"``.

    Returns:
        (Callable): The builder, called as ``builder(depth, width)``.

    Raises:
        ValueError: ``name`` is not registered; the message lists the names that are.
    """
    if not is_backbone(name):
        raise ValueError(f"unknown backbone {name!r}. Available: {', '.join(list_backbones())}")
    return _BACKBONES[name]
