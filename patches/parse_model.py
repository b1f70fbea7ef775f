"""The ``parse_model`` patch: a yolo-lite backbone row fills layer slots 0-4 of an Ultralytics model.

The YAML row ``[-1, 1, starnet_s1, [depth, width]]`` (or ``[]`` for the scale's multipliers) must come first. It
stands for five layer slots holding the backbone's features at strides 2, 4, 8, 16 and 32, and the next row is layer
5, as in the community tutorials. The wrapper builds the backbone, hands Ultralytics' own ``parse_model`` the YAML
with that row replaced by five ``Index`` rows that carry the backbone's channels (Ultralytics' own way to pick a
feature from a list), and puts the backbone itself in slot 0. Slots 1-4 keep their ``Index`` modules, which hold no
weights, so layer numbers, ``freeze=N`` and checkpoint keys line up with the YAML.

Every YAML is checked before it is built, so a wrong module name or ``from`` index raises a ``ValueError`` that says
what to change instead of a ``KeyError``/``IndexError`` from inside Ultralytics. Valid stock YAMLs go to the original
function untouched.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch
from ultralytics.utils import LOGGER

from yolo_lite.backbones.base import check_multiplier

__all__ = ["BACKBONE_SLOTS", "check_rows", "wrap_parse_model"]

BACKBONE_SLOTS = 5  # a backbone row is layers 0-4: strides 2, 4, 8, 16, 32


def _is_backbone_name(name: object) -> bool:
    """Return True if ``name`` is a yolo-lite backbone; the backbone families are imported only for unknown names."""
    from ultralytics.nn import tasks

    if not isinstance(name, str) or name.startswith(("nn.", "torchvision.ops.")) or name in vars(tasks):
        return False
    from yolo_lite.backbones import is_backbone

    return is_backbone(name)


def _check_module(row: int, name: object) -> None:
    """Raise a ValueError if neither Ultralytics nor yolo-lite can resolve the module column of YAML row ``row``."""
    from ultralytics.nn import tasks

    if isinstance(name, str):
        if name.startswith("nn."):
            known = hasattr(torch.nn, name[3:])
        else:  # torchvision.ops.* is left to Ultralytics, which imports torchvision for it
            known = name.startswith("torchvision.ops.") or name in vars(tasks) or _is_backbone_name(name)
        if known:
            return
    from yolo_lite.backbones import list_backbones

    raise ValueError(
        f"YAML row {row}: unknown module {name!r}. Use an Ultralytics module (Conv, C3k2, SPPF, nn.Upsample, ...) "
        f"or, as the first backbone row, a yolo-lite backbone: {', '.join(list_backbones())}"
    )


def _check_from(row: int, layer: int, name: str, f: object, empty: frozenset[int]) -> None:
    """Raise a ValueError unless every ``from`` index of the row building ``layer`` names an existing layer."""
    indices = f if isinstance(f, list) else [f]
    if not indices or any(isinstance(j, bool) or not isinstance(j, int) for j in indices):
        raise ValueError(f"YAML row {row} ({name}): 'from' must be an int or a list of ints, got {f!r}")
    for j in indices:
        target = layer + j if j < 0 else j
        if layer == 0 and j == -1:
            continue  # the input image
        if not 0 <= target < layer:
            raise ValueError(
                f"YAML row {row} ({name}) is layer {layer} and takes 'from' index {j}, which points outside the "
                f"model: only layers 0-{layer - 1} come before it. A yolo-lite backbone row counts as layers 0-4 "
                f"(P3/8 = 2, P4/16 = 3, P5/32 = 4), so the row after it is layer 5."
            )
        if target in empty:
            raise ValueError(
                f"YAML row {row} ({name}) takes layer {target}, which this backbone leaves empty (it has no "
                f"stride-{2 ** (target + 1)} feature); take a later slot instead."
            )


def _multipliers(d: dict, args: list) -> tuple[float, float]:
    """Return the backbone's ``(depth, width)``: its own args, or the YAML scale's when args are empty."""
    if args:
        if not isinstance(args, list) or len(args) != 2:
            raise ValueError(
                f"backbone args must be [depth, width] such as [0.5, 0.25], or [] to follow the YAML scale; "
                f"got {args!r}"
            )
        return check_multiplier("depth", args[0]), check_multiplier("width", args[1])
    scales = d.get("scales")
    if scales:
        depth, width = scales[d.get("scale") or next(iter(scales))][:2]  # check_rows checked the scale
    else:
        depth, width = d.get("depth_multiple", 1.0), d.get("width_multiple", 1.0)
    return check_multiplier("depth", depth), check_multiplier("width", width)


def _slot_channels(backbone: torch.nn.Module, name: str) -> list[int]:
    """Return the channels of slots 0-4 (0 for an empty slot), after checking the backbone's declared strides."""
    strides = backbone.strides
    expected = [2 ** (k + 1) for k in range(BACKBONE_SLOTS)][-len(strides) :]
    if len(strides) < BACKBONE_SLOTS - 1 or strides != expected:
        raise ValueError(f"backbone {name} declares strides {strides}; yolo-lite needs [(2,) 4, 8, 16, 32]")
    return [0] * (BACKBONE_SLOTS - len(strides)) + backbone.width_list


def check_rows(d: dict, empty: frozenset[int] = frozenset()) -> int:
    """Check a model dict's rows; return how many slots row 0 fills (5 for a yolo-lite backbone, else 1).

    Args:
        d (dict): The model dict, as read from the YAML.
        empty (frozenset[int]): Slots the backbone leaves empty (known once it is built); no row may take them.

    Raises:
        ValueError: The scale is not in ``scales``, or a row names an unknown module, puts a backbone anywhere but
            first, or points ``from`` outside the model or at a slot the backbone leaves empty.
    """
    scales, scale = d.get("scales"), d.get("scale")
    if scales and scale and scale not in scales:
        raise ValueError(f"model scale {scale!r} is not in the YAML's scales {list(scales)}; name one of them")
    rows = [*d.get("backbone", []), *d.get("head", [])]
    first_slots = 1
    for row, entry in enumerate(rows):
        if not isinstance(entry, (list, tuple)) or len(entry) != 4:
            raise ValueError(f"YAML row {row} must be [from, repeats, module, args], got {entry!r}")
        f, n, name, args = entry
        _check_module(row, name)
        if _is_backbone_name(name):
            if row != 0 or f != -1 or n != 1:
                raise ValueError(
                    f"YAML row {row}: backbone {name} must be the first backbone row, written "
                    f"[-1, 1, {name}, [depth, width]] (or [] as args); got {list(entry)}"
                )
            first_slots = BACKBONE_SLOTS
            continue
        _check_from(row, row + first_slots - 1 if row else 0, name, f, empty)
    return first_slots


def _build(original: Callable, d: dict, ch: int, verbose: bool) -> tuple[torch.nn.Sequential, list[int]]:
    """Build a model whose first row is a yolo-lite backbone, delegating every other row to ``original``."""
    from yolo_lite.backbones import get_backbone

    _, _, name, args = d["backbone"][0]
    depth, width = _multipliers(d, args)
    backbone = get_backbone(name)(depth, width)
    channels = _slot_channels(backbone, name)
    check_rows(d, empty=frozenset(k for k, c in enumerate(channels) if not c))
    backbone.i, backbone.f, backbone.type = 0, -1, name
    backbone.np = sum(p.numel() for p in backbone.parameters())
    if verbose:
        LOGGER.info(
            f"yolo-lite: layers 0-4 are the features of {name}(depth={depth:g}, width={width:g}), {backbone.np:,} "
            f"params, channels {channels} at strides 2-32 (0 = empty); below, Index rows 0-4 stand for them"
        )
    index_rows = [[-1, 1, "Index", [c, k]] for k, c in enumerate(channels)]
    layers, save = original({**d, "backbone": [*index_rows, *d["backbone"][1:]]}, ch, verbose)
    layers[0] = backbone
    return layers, save


def wrap_parse_model(original: Callable) -> Callable:
    """Return ``parse_model`` that builds yolo-lite backbone rows and checks every YAML, else calls ``original``.

    Args:
        original (Callable): Ultralytics' ``parse_model(d, ch, verbose=True)``.

    Returns:
        (Callable): The wrapper, with ``__wrapped__`` set to ``original``.
    """

    @functools.wraps(original)
    def parse_model(d, ch, verbose=True):
        if check_rows(d) == BACKBONE_SLOTS:
            return _build(original, d, ch, verbose)
        return original(d, ch, verbose)

    return parse_model
