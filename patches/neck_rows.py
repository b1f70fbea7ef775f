"""Neck rows of the ``parse_model`` patch: ``C3k2_Faster``/``C3k2_Star`` rows are built by Ultralytics as ``C3k2``.

Ultralytics' ``parse_model`` works out a ``C3k2`` row's channels, depth and flags from sets of the classes it knows,
so a subclass it does not know would get the wrong channels. :func:`as_stock_rows` hands it the YAML with every
yolo-lite neck row renamed to ``C3k2``; :func:`swap_neck_blocks` then turns each of those built ``C3k2`` layers into
the named block (:meth:`yolo_lite.necks.FamilyC3k2.from_c3k2`), keeping its ``cv1``/``cv2`` and swapping its inner
blocks. Nothing of Ultralytics' is repeated.

A model dict with ``rep_branches: True`` (a top-level YAML key, beside ``end2end``) trains every 3x3 convolution of
its head section with RepVGG branches: :func:`add_head_rep_branches` turns them into Ultralytics' ``RepConv``
(:func:`yolo_lite.necks.rep.add_rep_branches`) once the model is built, and ``model.fuse()`` folds them back, so the
fused model is the one built without the key.
"""

from __future__ import annotations

import torch

__all__ = [
    "REP_BRANCHES",
    "STOCK_NAME",
    "add_head_rep_branches",
    "as_stock_rows",
    "is_neck_name",
    "rep_branches",
    "swap_neck_blocks",
]

STOCK_NAME = "C3k2"  # the Ultralytics block every yolo-lite neck block extends
REP_BRANCHES = "rep_branches"  # model-dict key: the head section's 3x3 convolutions train with RepVGG branches


def is_neck_name(name: object) -> bool:
    """Return True if ``name`` is a yolo-lite neck block (``C3k2_Faster``, ...); the blocks load on first need."""
    if not isinstance(name, str) or not name.startswith(f"{STOCK_NAME}_"):
        return False
    from yolo_lite.necks import is_neck

    return is_neck(name)


def as_stock_rows(d: dict, first_slots: int) -> tuple[dict, dict[int, str]]:
    """Return the model dict with neck rows renamed to ``C3k2``, and ``{layer index: neck name}`` for those rows.

    Args:
        d (dict): The model dict as the YAML has it.
        first_slots (int): Layer slots the first row fills (5 for a yolo-lite backbone), to number the layers.

    Returns:
        (tuple[dict, dict[int, str]]): A shallow copy of ``d`` for Ultralytics (``d`` itself when no row names a neck
            block), and the layers to swap afterwards.
    """
    swaps, sections = {}, {}
    row = 0
    for section in ("backbone", "head"):
        rows = []
        for f, n, name, args in d.get(section, []):
            if is_neck_name(name):
                swaps[row + first_slots - 1 if row else 0] = name
                name = STOCK_NAME
            rows.append([f, n, name, args])
            row += 1
        sections[section] = rows
    return ({**d, **sections} if swaps else d), swaps


def swap_neck_blocks(layers: torch.nn.Sequential, swaps: dict[int, str]) -> None:
    """Turn each ``C3k2`` layer listed in ``swaps`` into its neck block, in place (see the module docstring)."""
    from yolo_lite.necks import get_neck

    for index, name in swaps.items():
        cls = get_neck(name)
        layers[index] = cls.from_c3k2(layers[index])
        layers[index].type = f"{cls.__module__}.{cls.__name__}"


def rep_branches(d: dict) -> bool:
    """Return the model dict's ``rep_branches`` (False when absent).

    Raises:
        ValueError: It is set to something other than True or False.
    """
    value = d.get(REP_BRANCHES, False)
    if not isinstance(value, bool):
        raise ValueError(
            f"{REP_BRANCHES}: {value!r} must be True or False (True trains every 3x3 convolution of the head section "
            "with RepVGG branches that fuse() folds away)"
        )
    return value


def add_head_rep_branches(layers: torch.nn.Sequential, d: dict, first_slots: int) -> None:
    """Give every 3x3 convolution of the layers built from ``d``'s head section RepVGG branches, in place.

    A ``Conv`` row becomes a ``RepConv`` layer (with Ultralytics' layer attributes ``i``, ``f``, ``type``, ``np``); in
    any other layer the convolutions inside are turned (:func:`yolo_lite.necks.rep.add_rep_branches`).

    Args:
        layers (torch.nn.Sequential): The built model's layers.
        d (dict): The model dict they were built from.
        first_slots (int): Layer slots the first row fills (5 for a yolo-lite backbone), to find the head's first layer.
    """
    from yolo_lite.necks.rep import add_rep_branches, is_plain_3x3, rep_conv

    for index in range(first_slots + len(d.get("backbone", [])) - 1, len(layers)):
        layer = layers[index]
        if is_plain_3x3(layer):
            rep = rep_conv(layer)
            rep.i, rep.f, rep.type = layer.i, layer.f, "ultralytics.nn.modules.conv.RepConv"
            layers[index] = rep
        elif not add_rep_branches(layer):
            continue  # nothing turned: the layer table's parameter count stands
        layers[index].np = sum(p.numel() for p in layers[index].parameters())
