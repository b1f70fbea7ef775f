"""The ``BaseModel.load`` patch: a stock checkpoint's neck and head move into a yolo-lite model, layer by role.

Ultralytics' ``load`` (``model.load("yolo11n.pt")``, ``train(pretrained="yolo11n.pt")``, the CLI's
``pretrained=yolo11n.pt``) moves the tensors whose name and shape match. A yolo-lite backbone row stands for layers
0-4, so the rows after it carry other numbers than stock's (YOLO11's SPPF is layer 9 in ``yolo11n.yaml``, 5 in
``yolo11n-starnet.yaml``) and by name no neck or head tensor would match. For a yolo-lite model (layer 0 a yolo-lite
backbone) loading a stock one, the wrapper pairs the rows by role (:func:`role_map`: the same module taking the same
inputs, counted from the end of both YAMLs, so the backbone rows of stock are left out whatever their number), and hands
Ultralytics' own ``load`` a view of the stock model that holds only the paired layers, under this model's numbers
(:func:`renumbered`). Everything else stays Ultralytics': the shape check, the Detect class branch rebuilt for another
class count, class names remapped, and its log line "Transferred N/M items from pretrained weights", which the
wrapper follows with one line naming what moved and what was skipped. Loads into stock models, and loads whose source is
itself a yolo-lite model (the layers already line up), go to the original untouched; in the latter the record of the
backbone's pretrained file (``pretrained_from``, :mod:`yolo_lite.backbones.pretrained`) follows the weights.
"""

from __future__ import annotations

import copy
import functools
from collections import OrderedDict
from collections.abc import Callable, Sequence

import torch
from ultralytics.utils import LOGGER

from yolo_lite.backbones.base import Backbone
from yolo_lite.backbones.pretrained import RECORD

from .neck_rows import STOCK_NAME, is_neck_name
from .parse_model import BACKBONE_SLOTS

__all__ = ["renumbered", "role_map", "wrap_load"]

HEAD_KEYS = ("end2end", "reg_max")  # model-dict keys that set the head's layout (YOLO26: end2end, reg_max 1)


def _rows(d: dict) -> list[list]:
    """Return a model dict's YAML rows, backbone then head."""
    return [*d.get("backbone", []), *d.get("head", [])]


def _module(row: list) -> object:
    """Return the Ultralytics module a row builds: a yolo-lite neck block (``C3k2_Star``) is a ``C3k2`` by role."""
    return STOCK_NAME if is_neck_name(row[2]) else row[2]


def _inputs(f: int | Sequence[int], layer: int) -> list[int]:
    """Return the absolute layer indices a row's ``from`` names (-1 stays -1 for the image of layer 0)."""
    return [layer + j if j < 0 and layer else j for j in (f if isinstance(f, (list, tuple)) else [f])]


def role_map(source: dict, target: dict) -> dict[int, int]:
    """Pair the layers of a stock model with those of a yolo-lite model that have the same role.

    Both YAMLs are lined up from the end (the head is last in both) down to the row after the yolo-lite backbone row;
    the stock rows before that are stock's backbone, whatever their count. A lined-up pair of rows has the same role
    when it builds the same module (``SPPF`` with ``SPPF``, ..., ``Detect`` with ``Detect``; a yolo-lite neck block
    such as ``C3k2_Star`` with ``C3k2``, whose ``cv1``/``cv2`` it keeps) from inputs of the same roles: each input a
    layer paired before, or on both sides a backbone feature (a stock backbone layer, a yolo-lite slot 0-4). Other
    pairs are left out, and so is every later row that takes one of them.

    Args:
        source (dict): The stock model's dict (``model.yaml``), one layer per row.
        target (dict): The yolo-lite model's dict, whose first row is a backbone row (layers 0-4).

    Returns:
        (dict[int, int]): Stock layer index -> yolo-lite layer index, in layer order.

    Examples:
        >>> from ultralytics.nn.tasks import yaml_model_load
        >>> pairs = role_map(yaml_model_load("yolo11n.yaml"), yaml_model_load("yolo11n-starnet.yaml"))
        >>> pairs[9], pairs[23], min(pairs)  # SPPF, Detect; stock layers 0-8 are its backbone
        (5, 19, 9)
    """
    stock = list(enumerate(_rows(source)))
    ours = [(k + BACKBONE_SLOTS - 1, row) for k, row in enumerate(_rows(target)) if k]
    aligned = list(zip(reversed(stock), reversed(ours)))[::-1]  # from the end: [((layer, row), (layer, row)), ...]
    neck = {s for (s, _), _ in aligned}  # stock layers with a counterpart; those before them are stock's backbone
    pairs = {}
    for (s, stock_row), (o, our_row) in aligned:
        stock_inputs, our_inputs = _inputs(stock_row[0], s), _inputs(our_row[0], o)
        same_inputs = len(stock_inputs) == len(our_inputs) and all(
            pairs.get(a) == b if a in neck else b < BACKBONE_SLOTS for a, b in zip(stock_inputs, our_inputs)
        )
        if _module(stock_row) == _module(our_row) and same_inputs:
            pairs[s] = o
    return pairs

def renumbered(model: torch.nn.Module, pairs: dict[int, int]) -> torch.nn.Module:
    """Return a shallow view of ``model`` whose ``model`` holds only the paired layers, under their new numbers.

    The view shares the layers (and every attribute: names, ``pt_path``, ...) with ``model``, so its
    ``state_dict()`` keys read ``model.<new index>.<name>``; ``model`` itself is left as it was.

    Args:
        model (torch.nn.Module): An Ultralytics model (``model.model`` an ``nn.Sequential`` of layers).
        pairs (dict[int, int]): Layer index in ``model`` -> layer index in the view (:func:`role_map`).

    Returns:
        (torch.nn.Module): The view; ``view.model[-1]`` is the last paired layer.
    """
    view = copy.copy(model)
    layers = OrderedDict((str(new), model.model[old]) for old, new in sorted(pairs.items(), key=lambda pair: pair[1]))
    view._modules = {**model._modules, "model": torch.nn.Sequential(layers)}
    return view


def _spans(indices: Sequence[int]) -> str:
    """Write sorted layer indices as ranges: ``[0, 1, 2, 5]`` -> ``"0-2, 5"``."""
    spans = []
    for i in sorted(indices):
        if spans and i == spans[-1][1] + 1:
            spans[-1][1] = i
        else:
            spans.append([i, i])
    return ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in spans)


def _log(source: torch.nn.Module, target: torch.nn.Module, pairs: dict[int, int]) -> None:
    """Log which stock layers moved where and which did not (unpaired, or paired with tensors of another shape)."""
    file = getattr(source, "pt_path", None) or "the pretrained model"
    stock_rows = _rows(source.yaml)
    unpaired = [i for i in range(len(stock_rows)) if i not in pairs]
    own = target.state_dict()
    reshaped = {}  # target layer -> its children that hold a tensor of another shape than stock's
    for old, new in pairs.items():
        for name, tensor in source.model[old].state_dict().items():
            key = f"model.{new}.{name}"
            if key not in own or own[key].shape != tensor.shape:
                reshaped.setdefault(new, {})[name.split(".")[0]] = None
    moved = f"stock layers {_spans(pairs)} to {_spans(pairs.values())}" if pairs else "no stock layer"
    modules = ", ".join(dict.fromkeys(str(stock_rows[i][2]) for i in unpaired))
    skipped = [f"stock layers {_spans(unpaired)} ({modules})"] if unpaired else []
    if reshaped:
        children = (f"{new}.{child}" for new, names in sorted(reshaped.items()) for child in names)
        skipped.append(f"for another shape {', '.join(children)}")
    LOGGER.info(f"yolo-lite: {file}: moved {moved} by role; not moved: " + (", and ".join(skipped) or "nothing"))
    heads = {k: (source.yaml.get(k), target.yaml.get(k)) for k in HEAD_KEYS}
    if other := ", ".join(f"{k} {a} vs {b}" for k, (a, b) in heads.items() if a != b):
        LOGGER.warning(
            f"yolo-lite: {file} has another head than this model ({other}), so only its tensors of the same shape "
            "moved; start from the stock checkpoint of this model's head family (yolo11n.pt for YOLO11 heads, "
            "yolo26n.pt for YOLO26 heads)"
        )


def _lite(model: object) -> bool:
    """Return True if ``model`` is an Ultralytics model whose layer 0 is a yolo-lite backbone."""
    layers = getattr(model, "model", None)
    return isinstance(layers, torch.nn.Sequential) and len(layers) > 0 and isinstance(layers[0], Backbone)


def wrap_load(original: Callable) -> Callable:
    """Return ``BaseModel.load`` that moves a stock model's neck and head into a yolo-lite model by role.

    Args:
        original (Callable): Ultralytics' ``BaseModel.load(self, weights, verbose=True)``.

    Returns:
        (Callable): The wrapper, with ``__wrapped__`` set to ``original``.
    """

    @functools.wraps(original)
    def load(self, weights, *args, **kwargs):
        source = (weights.get("ema") or weights.get("model")) if isinstance(weights, dict) else weights
        if not _lite(self):
            return original(self, weights, *args, **kwargs)
        if _lite(source):  # yolo-lite to yolo-lite: the layers line up; the weights' record follows them
            result = original(self, weights, *args, **kwargs)
            if hasattr(source.model[0], RECORD) and type(source.model[0]) is type(self.model[0]):
                setattr(self.model[0], RECORD, getattr(source.model[0], RECORD))
            return result
        if not isinstance(getattr(source, "yaml", None), dict) or not isinstance(self.yaml, dict):
            return original(self, weights, *args, **kwargs)
        pairs = role_map(source.yaml, self.yaml)
        result = original(self, renumbered(source, pairs), *args, **kwargs)
        if kwargs.get("verbose", args[0] if args else True):
            _log(source, self, pairs)
        return result

    return load
