"""The ``parse_model`` patch: a yolo-lite backbone row fills layer slots 0-4 of an Ultralytics model.

The YAML row ``[-1, 1, starnet_s1, [depth, width]]`` (``[]`` for the scale's multipliers, ``[1, 1, weights]`` to start
from released or own weights, see :mod:`yolo_lite.backbones.pretrained`), or ``[-1, 1, timm, [model_name]]`` for any
timm model (``[model_name, weights]`` with weights), must come first. It stands for five layer slots holding the
backbone's features at strides 2, 4, 8, 16 and 32, and the next row is layer 5, as in the community tutorials. The
wrapper builds the backbone, hands Ultralytics' own ``parse_model`` the YAML with that row replaced by five ``Index``
rows that carry the backbone's channels (Ultralytics' own way to pick a feature from a list; rows 1-4 take it from
slot 0's list, so model classes with their own layer loop, such as RT-DETR, fill slots 1-4 unpatched), and puts the
backbone itself in slot 0. Slots 1-4 keep their ``Index`` modules, which hold no weights, so layer numbers,
``freeze=N`` and checkpoint keys line up with the YAML.

Ultralytics before 8.3.59 has no ``Index``. There the five rows are ``ResNetLayer`` rows, the one layer whose output
channels those releases' ``parse_model`` takes verbatim from the row's args (every other layer scales them by the
model's width or copies its input's), and the small modules they build are replaced by weightless placeholders, so
the model is the same as with ``Index`` rows (only model classes with their own layer loop, such as RT-DETR, need
``Index``).

Every YAML is checked before it is built, so a wrong module name or ``from`` index raises a ``ValueError`` that says
what to change instead of a ``KeyError``/``IndexError`` from inside Ultralytics. A row that Ultralytics fails to build
(an ``assert`` in a module, a channel mismatch) is reported as a ``ValueError`` naming the YAML row, its module and
args, and the channels it received, read from the failing call's frame (:func:`row_error`), with a hint where one is
known (:data:`HINTS`). Valid stock YAMLs go to the original function untouched.
"""

from __future__ import annotations

import contextlib
import functools
import inspect
import traceback
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlparse

import torch

from yolo_lite.backbones.base import Backbone, check_multiplier
from yolo_lite.backbones.download import WeightsUnavailable
from yolo_lite.backbones.pretrained import RECORD, check_weights, record, resolve

from .layer_table import backbone_rows
from .neck_rows import add_head_rep_branches, as_stock_rows, is_neck_name, rep_branches, swap_neck_blocks
from .yaml_lookup import is_shipped

__all__ = [
    "BACKBONE_SLOTS",
    "HINTS",
    "SKIP_ROW_WEIGHTS",
    "TIMM",
    "check_rows",
    "has_index",
    "row_error",
    "wrap_parse_model",
]

BACKBONE_SLOTS = 5  # a backbone row is layers 0-4: strides 2, 4, 8, 16, 32
TIMM = "timm"  # module name of a row that takes any timm model: [-1, 1, timm, [model_name(, weights(, taps))]]
# Model-dict key: build the backbone without fetching the row's weights, because they come from elsewhere (a
# checkpoint's model being rebuilt by the trainer; a size count, which needs no weights).
SKIP_ROW_WEIGHTS = "yolo_lite_skip_row_weights"
_KEEPS_CHANNELS = (
    "{module} outputs as many channels as it receives; here it receives {c1} and the YAML asks for {c2}. Put a layer "
    "that outputs those channels before it: [-1, 1, SPPF, [1024, 5]] as the shipped YAMLs do, or a Conv or C3k2 with "
    "{module}'s channels (Ultralytics' yolo11-cls.yaml has [-1, 2, C3k2, [1024, True]] before it)"
)
HINTS = {  # module name -> what usually fixes a row of it that fails to build; {module}, {c1}, {c2} are filled in
    "C2PSA": _KEEPS_CHANNELS,
    "C2fPSA": _KEEPS_CHANNELS,
    "PSA": _KEEPS_CHANNELS,
    "Concat": "Concat joins feature maps of one stride: take layers of the same stride (P3 = 2, P4 = 3, P5 = 4)",
}


def _is_backbone_name(name: object) -> bool:
    """Return True if ``name`` is a yolo-lite backbone; the backbone families are imported only for unknown names."""
    from ultralytics.nn import tasks

    if name == TIMM:
        return True
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
            known = (
                name.startswith("torchvision.ops.")
                or name in vars(tasks)
                or _is_backbone_name(name)
                or is_neck_name(name)
            )
        if known:
            return
    from yolo_lite.backbones import list_backbones
    from yolo_lite.necks import list_necks

    raise ValueError(
        f"YAML row {row}: unknown module {name!r}. Use an Ultralytics module (Conv, C3k2, SPPF, nn.Upsample, ...), "
        f"a yolo-lite neck block ({', '.join(list_necks())}) or, as the first backbone row, a yolo-lite backbone "
        f"({', '.join(list_backbones())}) or `timm` with a timm model name as its args"
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


def _family_args(d: dict, args: list) -> tuple[float, float, str | None]:
    """Return a family row's ``(depth, width, weights)``: its own args, or the YAML scale's multipliers for ``[]``."""
    if not args:
        scales = d.get("scales")
        if scales:
            depth, width = scales[d.get("scale") or next(iter(scales))][:2]  # check_rows checked the scale
        else:
            depth, width = d.get("depth_multiple", 1.0), d.get("width_multiple", 1.0)
        return check_multiplier("depth", depth), check_multiplier("width", width), None
    if not isinstance(args, list) or len(args) not in (2, 3):
        raise ValueError(
            f"backbone args must be [depth, width] such as [0.5, 0.25], [1, 1, weights] for pretrained weights, or "
            f"[] to follow the YAML scale; got {args!r}"
        )
    depth, width = check_multiplier("depth", args[0]), check_multiplier("width", args[1])
    weights = check_weights(args[2]) if len(args) == 3 else None
    if weights and (depth, width) != (1, 1):
        raise ValueError(
            f"pretrained weights need the paper's network, depth = width = 1: write [1, 1, {args[2]!r}], or drop "
            f"the weights to train [{args[0]}, {args[1]}] from scratch"
        )
    return depth, width, weights


def _timm_args(args: list) -> tuple[str, str | None, str]:
    """Return a ``timm`` row's ``(model_name, weights, taps)`` from ``[name]``, ``[name, weights]`` or
    ``[name, weights, taps]``."""
    if not isinstance(args, list) or len(args) not in (1, 2, 3) or not isinstance(args[0], str):
        raise ValueError(
            f"a timm backbone row takes [model_name], [model_name, weights] or [model_name, weights, taps], e.g. "
            f"[-1, 1, timm, [mobilenetv4_conv_small, imagenet]] or [-1, 1, timm, [repghostnet_058, False, last]]; "
            f"got {args!r}"
        )
    return args[0], check_weights(args[1]) if len(args) > 1 else None, args[2] if len(args) == 3 else "timm"


def _by_hand(d: dict, name: str, args: list, url: str) -> str:
    """Say how to use weights downloaded by hand: the YAML to copy (and how to find it) and the row to write in it."""
    file = f"/path/to/{Path(urlparse(url).path).name}"
    row = [-1, 1, name, [args[0], file] if name == TIMM else [1, 1, file]]
    yaml = Path(str(d.get("yaml_file", ""))).name
    copy = f"copy {yaml} (`python -m yolo_lite.cfg {yaml}` prints where it is) and " if is_shipped(yaml) else ""
    return f"To use a file downloaded by hand, {copy}write its path as the backbone row's weights: {row}"


def _build_backbone(d: dict, name: str, args: list) -> tuple[Backbone, str]:
    """Build the backbone of row 0 with its weights; return it and a description for the log.

    A model dict marked with :data:`SKIP_ROW_WEIGHTS` (the ``torch_safe_load`` patch marks every checkpoint's, whose
    weights the trainer copies in right after this build) is built without fetching the row's ``weights``. Weights
    that cannot be had now (offline and not cached) raise one ``ValueError`` that adds how to use a file downloaded
    by hand.
    """
    skip_weights = bool(d.get(SKIP_ROW_WEIGHTS))
    try:
        if name == TIMM:
            from yolo_lite.backbones.timm_backbone import TimmBackbone

            model_name, weights, taps = _timm_args(args)
            backbone = TimmBackbone(model_name, weights=None if skip_weights else weights, taps=taps)
            return backbone, f"timm {model_name}" + (f", weights {weights}" if weights else "")

        from yolo_lite.backbones import get_backbone

        depth, width, weights = _family_args(d, args)
        backbone = get_backbone(name)(depth, width)
        if weights and not skip_weights:
            file = resolve(name, weights)
            backbone.load_pretrained(file)
            setattr(backbone, RECORD, record(file, weights))
        return backbone, f"{name}(depth={depth:g}, width={width:g}" + (f", weights={weights})" if weights else ")")
    except WeightsUnavailable as e:
        raise ValueError(f"{e}. {_by_hand(d, name, args, e.url)}") from None


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
        ValueError: The scale is not in ``scales``, ``rep_branches`` is not a bool, or a row names an unknown
            module, puts a backbone anywhere but first, or points ``from`` outside the model or at a slot the backbone
            leaves empty.
    """
    scales, scale = d.get("scales"), d.get("scale")
    if scales and scale and scale not in scales:
        raise ValueError(f"model scale {scale!r} is not in the YAML's scales {list(scales)}; name one of them")
    rep_branches(d)
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


def row_error(original: Callable, error: Exception, d: dict, first_slots: int = 1) -> ValueError | None:
    """Describe the YAML row that ``original`` (Ultralytics' ``parse_model``) failed to build, or return None.

    The row, its module, its args and the channels it received are read from the locals of the ``parse_model`` frame
    in ``error``'s traceback (``i``, ``f``, ``m``, ``args``, ``ch``: Ultralytics' names), so no Ultralytics code is
    repeated here; an error raised elsewhere returns None and propagates unchanged.

    Args:
        original (Callable): Ultralytics' ``parse_model``.
        error (Exception): What building the model raised.
        d (dict): The model dict as the user wrote it.
        first_slots (int): Layer slots the first YAML row fills (5 for a yolo-lite backbone), to map layers to rows.

    Returns:
        (ValueError | None): The error to raise instead, chained by the caller.
    """
    code = inspect.unwrap(original).__code__
    frame = next((frame for frame, _ in traceback.walk_tb(error.__traceback__) if frame.f_code is code), None)
    names = frame.f_locals if frame else {}
    if not all(k in names for k in ("i", "f", "args", "ch")):
        return None
    layer, f, ch = names["i"], names["f"], names["ch"]
    row = layer - first_slots + 1 if layer >= first_slots else 0
    rows = [*d.get("backbone", []), *d.get("head", [])]
    _, _, module, yaml_args = rows[row] if row < len(rows) else (f, None, names.get("m"), names["args"])
    sources = [layer + j if isinstance(j, int) and j < 0 else j for j in (f if isinstance(f, list) else [f])]
    try:
        c1 = [ch[j] for j in (f if isinstance(f, list) else [f])]
    except (IndexError, TypeError):
        c1 = "?"
    c1, sources = (c1[0], sources[0]) if isinstance(c1, list) and len(c1) == 1 else (c1, sources)
    built = names["args"] if isinstance(names["args"], list) else []
    c2 = built[1] if len(built) > 1 and isinstance(built[1], int) else "?"
    hint = HINTS.get(str(module), "").format(module=module, c1=c1, c2=c2)
    return ValueError(
        f"YAML row {row} (layer {layer}) [{f}, ..., {module}, {yaml_args}] failed to build: "
        f"{type(error).__name__}: {str(error) or 'assertion failed'}. It receives {c1} channels from layer {sources}"
        + (f" and was called with args {built}" if built else "")
        + (f". {hint}" if hint else "")
    )


def has_index() -> bool:
    """Return True if Ultralytics has its ``Index`` module (8.3.59 and later)."""
    from ultralytics.nn import tasks

    return hasattr(tasks, "Index")


def _slot_rows(channels: list[int]) -> tuple[list[list], bool]:
    """Return the five rows that stand for the backbone's slots, and whether their modules need placeholders.

    ``Index`` rows where Ultralytics has ``Index``: rows 1-4 pick their feature from slot 0's output list
    (``from`` 0), so a model class that runs its own layer loop instead of ``_predict_once`` (RT-DETR, YOLO-World,
    YOLOE) fills them too; there slot 0 holds the whole list, not the stride-2 map. Otherwise ``ResNetLayer`` rows
    (see the module docstring), whose modules :func:`_build` then replaces with :func:`_placeholder`.
    """
    if has_index():
        empty = channels.count(0)  # leading empty slots: the backbone's list starts at the first filled one
        rows = [[0, 1, "Index", [c, k - empty]] for k, c in enumerate(channels)]
        return [[-1, 1, "Index", [channels[0], 0]], *rows[1:]], False
    # ResNetLayer(c1, c2, s, is_first=True, n) outputs exactly c2 channels; an empty slot's channels are never read
    return [[-1, 1, "ResNetLayer", [1, c or 1, 1, True, 1]] for c in channels], True


def _placeholder(k: int) -> torch.nn.Module:
    """Return the weightless module that holds slot ``k`` (1-4) where Ultralytics has no ``Index``."""
    module = torch.nn.Identity()
    module.i, module.f, module.type, module.np = k, -1, "yolo_lite.slot", 0
    return module


def _build(original: Callable, d: dict, ch: int, verbose: bool) -> tuple[torch.nn.Sequential, list[int]]:
    """Build a model whose first row is a yolo-lite backbone, delegating every other row to ``original``."""
    _, _, name, args = d["backbone"][0]
    backbone, description = _build_backbone(d, name, args)
    channels = _slot_channels(backbone, name)
    check_rows(d, empty=frozenset(k for k, c in enumerate(channels) if not c))
    backbone.i, backbone.f, backbone.type = 0, -1, name if name != TIMM else f"timm.{args[0]}"
    backbone.np = sum(p.numel() for p in backbone.parameters())
    rows, placeholders = _slot_rows(channels)
    with backbone_rows(backbone, description, channels) if verbose else contextlib.nullcontext():
        layers, save = original({**d, "backbone": [*rows, *d["backbone"][1:]]}, ch, verbose)
    layers[0] = backbone
    if placeholders:
        for k in range(1, BACKBONE_SLOTS):
            layers[k] = _placeholder(k)
    return layers, save


def _delegate(original: Callable, d: dict, ch: int, verbose: bool) -> tuple[torch.nn.Sequential, list[int]]:
    """Build a model whose first row is not a yolo-lite backbone: Ultralytics' ``parse_model`` alone."""
    return original(d, ch, verbose)


def wrap_parse_model(original: Callable) -> Callable:
    """Return ``parse_model`` that builds yolo-lite backbone and neck rows, checks every YAML, else calls ``original``.

    Args:
        original (Callable): Ultralytics' ``parse_model(d, ch, verbose=True)``.

    Returns:
        (Callable): The wrapper, with ``__wrapped__`` set to ``original``.
    """

    @functools.wraps(original)
    def parse_model(d, ch, verbose=True):
        first_slots = check_rows(d)
        stock, swaps = as_stock_rows(d, first_slots)
        try:
            layers, save = (_build if first_slots == BACKBONE_SLOTS else _delegate)(original, stock, ch, verbose)
        except Exception as e:
            error = row_error(original, e, d, first_slots)
            if error is None:
                raise
            raise error from e
        swap_neck_blocks(layers, swaps)
        if rep_branches(d):
            add_head_rep_branches(layers, d, first_slots)
        return layers, save

    return parse_model
