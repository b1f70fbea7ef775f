"""The contract every yolo-lite backbone keeps.

A backbone is an ``nn.Module`` whose ``forward`` returns a list of feature maps ordered by stride. The last four are
at strides 4, 8, 16 and 32; a backbone that has a stride-2 feature (a stem) returns it first, so the list holds four
or five maps. Channels and strides are declared while building in ``feature_info`` (timm's convention), never
measured with a dummy forward pass, and ``width_list`` is read from there.

Every variant is built as ``<variant>(depth, width)``, the two multipliers of the community YAMLs
(``[-1, 1, starnet_s1, [0.5, 0.25]]``): ``width`` scales channels, with :func:`scale_channels` unless the family's
group convolutions need another divisor (MicroNet), and ``depth`` scales the number of blocks in every stage with
:func:`scale_depth`. At ``depth = width = 1`` a variant is the paper's network
and :meth:`Backbone.load_pretrained` takes its released weights.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from numbers import Real
from pathlib import Path

import torch
from timm.layers import trunc_normal_
from torch import nn
from ultralytics.utils.ops import make_divisible

from .fusion import fold_batchnorm
from .pretrained import read_state_dict

__all__ = [
    "Backbone",
    "check_multiplier",
    "describe_mismatch",
    "scale_channels",
    "scale_depth",
    "stage_channels",
    "trunc_normal_init",
]

MAX_KEYS = 3  # keys named per kind of mismatch in an error message


def describe_mismatch(own: Mapping[str, torch.Tensor], loaded: Mapping[str, torch.Tensor]) -> str:
    """Summarise how state dict ``loaded`` differs from ``own``: counts, the first keys, and shapes; "" if it fits.

    Args:
        own (Mapping[str, torch.Tensor]): The module's state dict.
        loaded (Mapping[str, torch.Tensor]): The checkpoint's, in the module's layout.

    Returns:
        (str): E.g. ``"1 missing: a.weight; 2 with another shape: b.weight (model (8, 3), checkpoint (16, 3)), ..."``.

    Examples:
        >>> describe_mismatch({"a": torch.zeros(2), "b": torch.zeros(3)}, {"b": torch.zeros(4), "c": torch.zeros(1)})
        '1 missing: a; 1 unexpected: c; 1 with another shape: b (model (3,), checkpoint (4,))'
    """

    def listed(keys: list[str], what: str, describe=str) -> str:
        more = f", ... ({len(keys) - MAX_KEYS} more)" if len(keys) > MAX_KEYS else ""
        return f"{len(keys)} {what}: {', '.join(describe(k) for k in keys[:MAX_KEYS])}{more}" if keys else ""

    def shapes(k: str) -> str:
        return f"{k} (model {tuple(own[k].shape)}, checkpoint {tuple(loaded[k].shape)})"

    parts = (
        listed([k for k in own if k not in loaded], "missing"),
        listed([k for k in loaded if k not in own], "unexpected"),
        listed([k for k, v in loaded.items() if k in own and own[k].shape != v.shape], "with another shape", shapes),
    )
    return "; ".join(p for p in parts if p)


def check_multiplier(name: str, value) -> float:
    """Return ``value`` as a float if it is a usable depth or width multiplier, else raise a clear ValueError.

    Args:
        name (str): What the value is, e.g. ``"width"``; used in the message.
        value (Any): The value to check.

    Returns:
        (float): The multiplier.

    Examples:
        >>> check_multiplier("width", 0.25)
        0.25
    """
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or value <= 0:
        raise ValueError(
            f"backbone {name} must be a positive number such as 0.5, got {value!r}. "
            f"Pass [depth, width] as the backbone's args, e.g. [-1, 1, starnet_s1, [0.5, 0.25]], "
            f"or [] to take both from the YAML's scale."
        )
    return float(value)


def scale_channels(channels: int, width: float, divisor: int = 8) -> int:
    """Scale a channel count by ``width`` as the community YAMLs expect: ``make_divisible(int(c * width), divisor)``.

    Width 1 keeps ``channels`` as it is, so every variant stays the paper's network there (StarNet-S100's 20
    channels would otherwise round up to 24). At least ``divisor`` channels remain at any width.

    Args:
        channels (int): Channels at width 1.
        width (float): Width multiplier.
        divisor (int): The result is rounded up to a multiple of this.

    Returns:
        (int): Scaled channel count.

    Examples:
        >>> scale_channels(24, 0.25), scale_channels(20, 1.0), scale_channels(32, 0.01)
        (8, 20, 8)
    """
    return channels if width == 1 else max(divisor, make_divisible(int(channels * width), divisor))


def stage_channels(base_dim: int, width: float, stages: int = 4) -> list[int]:
    """Return the channels of ``stages`` stages that double their width, scaled as the community YOLO11 code does.

    The base width is scaled once, ``base = scale_channels(base_dim, width)``, and stage ``i`` has ``base * 2**i``
    channels, so every downsampling keeps the paper's exact 2x expansion (StarNet-S1 at width 0.25: 8-16-32-64, where
    rounding each stage alone would give 8-16-24-48).

    Args:
        base_dim (int): Channels of the first stage at width 1.
        width (float): Width multiplier.
        stages (int): Number of stages.

    Returns:
        (list[int]): Channels of each stage.

    Examples:
        >>> stage_channels(24, 0.25), stage_channels(40, 1.0)
        ([8, 16, 32, 64], [40, 80, 160, 320])
    """
    base = scale_channels(base_dim, width)
    return [base * 2**i for i in range(stages)]


def scale_depth(blocks: int, depth: float) -> int:
    """Scale a stage's block count by ``depth``, keeping at least one block.

    Args:
        blocks (int): Blocks at depth 1.
        depth (float): Depth multiplier.

    Returns:
        (int): ``max(1, round(blocks * depth))``.

    Examples:
        >>> scale_depth(8, 0.5), scale_depth(1, 0.33)
        (4, 1)
    """
    return max(1, round(blocks * depth))


def trunc_normal_init(module: nn.Module, std: float = 0.02) -> None:
    """Initialise one module as timm's FasterNet does (and StarNet, whose official code meant to); pass it to ``apply``.

    Convolution and Linear weights are drawn from ``N(0, std**2)`` (timm's ``trunc_normal_``) and their biases start
    at zero; BatchNorm starts as the identity. The official StarNet code initialises only its Linear layers (its
    ``isinstance(m, nn.Linear or nn.Conv2d)`` is ``isinstance(m, nn.Linear)``) and timm's port leaves convolution
    biases at PyTorch's default; PyTorch's default Kaiming-uniform weights start these networks' convolutions far
    larger, and from scratch under a YOLO head they then train worse (see the benchmark results, docs/results.md).

    Args:
        module (nn.Module): The module to initialise; its children are left to ``apply``.
        std (float): Standard deviation of the weights.

    Examples:
        >>> conv = nn.Conv2d(32, 32, 3)
        >>> trunc_normal_init(conv)
        >>> round(float(conv.weight.std()), 2), bool(conv.bias.eq(0).all())
        (0.02, True)
    """
    if isinstance(module, (nn.Conv2d, nn.Linear)):
        trunc_normal_(module.weight, std=std)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)


class Backbone(nn.Module):
    """Base class of yolo-lite backbones: declared features, and loading of released weights.

    Subclasses fill ``self.feature_info`` while building (one ``dict(num_chs=, reduction=, module=)`` per returned
    feature, in ``forward``'s order) and may override :meth:`checkpoint_filter` to map released checkpoint layouts
    onto their own parameter names, and extend :meth:`fuse` for layouts other than ``nn.Sequential(conv, bn, ...)``.

    Attributes:
        feature_info (list[dict]): Channels (``num_chs``), stride (``reduction``) and producing module of each output.
    """

    feature_info: list[dict]

    @property
    def width_list(self) -> list[int]:
        """Channels of the feature maps ``forward`` returns, in order."""
        return [info["num_chs"] for info in self.feature_info]

    @property
    def strides(self) -> list[int]:
        """Strides of the feature maps ``forward`` returns, in order."""
        return [info["reduction"] for info in self.feature_info]

    def freeze_names(self, features: int, layer: int = 0) -> list[str]:
        """Return the ``freeze`` entries that freeze the modules computing this backbone's first ``features`` outputs.

        Ultralytics' trainer freezes every parameter whose name contains ``model.<entry>.`` and keeps the BatchNorm
        statistics of those modules fixed; ``freeze=5`` (layers 0-4) is the whole backbone, this is part of it. The
        modules are those registered up to the last parameter of feature ``features``'s module, named as coarsely as
        possible (``["0.stem", "0.stages.0"]`` for StarNet's first two features). A BatchNorm that is itself such a
        top-level entry (a timm stem's ``bn1``) has its parameters frozen but, as Ultralytics matches names with a
        trailing dot, keeps updating its statistics.

        Args:
            features (int): How many of the backbone's outputs (``feature_info``, strides 2 or 4 first) to freeze.
            layer (int): The backbone's layer index in the YOLO model (0 in yolo-lite YAMLs).

        Returns:
            (list[str]): Entries for ``model.train(freeze=...)``.

        Raises:
            ValueError: ``features`` is not between 1 and the number of outputs.

        Examples:
            >>> from yolo_lite.backbones import get_backbone
            >>> get_backbone("starnet_s050")().freeze_names(2)
            ['0.stem', '0.stages.0']
        """
        if isinstance(features, bool) or not isinstance(features, int) or not 1 <= features <= len(self.feature_info):
            raise ValueError(
                f"freeze_names takes how many of the backbone's {len(self.feature_info)} outputs to freeze, 1 to "
                f"{len(self.feature_info)}, got {features!r}; freeze=5 in train() freezes the whole backbone"
            )

        def key(name: str) -> str:  # timm's features wrappers name modules stages_0 where feature_info says stages.0
            return name.replace("_", ".")

        names = [name for name, _ in self.named_parameters()]
        module = key(self.feature_info[features - 1]["module"]) + "."
        last = max((i for i, name in enumerate(names) if key(name).startswith(module)), default=-1)
        frozen, entries = set(names[: last + 1]), []

        def visit(prefix: str, node: nn.Module) -> None:
            params = [prefix + name for name, _ in node.named_parameters()]
            if params and all(p in frozen for p in params):
                entries.append(prefix.rstrip("."))
            elif any(p in frozen for p in params):
                for name, child in node.named_children():
                    visit(f"{prefix}{name}.", child)

        visit("", self)
        return [f"{layer}.{entry}" if entry else str(layer) for entry in entries]

    def fuse(self, unread: Collection[int] = ()) -> Backbone:
        """Fold every BatchNorm2d into the Conv2d before it, for inference; outputs stay the same (allclose).

        Covers each ``nn.Sequential`` that runs a ``Conv2d`` then a ``BatchNorm2d`` (timm's ``ConvBN``, conv-norm-act
        stacks): the conv takes the BN's scale and shift, the BN becomes ``nn.Identity`` so indices and names stay.
        Ultralytics' ``model.fuse()`` calls this through yolo-lite's patch. Running it twice changes nothing.

        Args:
            unread (Collection[int]): Strides of the features that no layer of the model reads. A subclass may then
                fold into the layer whose output such a feature is, changing that feature's values (TimmBackbone:
                the BatchNorm after RepGhostNet's stem conv); the features read stay allclose. None of this class's
                folds touches a feature.

        Returns:
            (Backbone): ``self``, fused.
        """
        fold_batchnorm(self)
        return self

    def checkpoint_filter(self, state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Map a released checkpoint's keys onto this module's; drop what is not part of the backbone (classifier).

        Args:
            state_dict (dict[str, torch.Tensor]): The checkpoint's state dict, already unwrapped.

        Returns:
            (dict[str, torch.Tensor]): A state dict in this module's layout.
        """
        return state_dict

    def load_pretrained(self, weights: str | Path | Mapping, strict: bool = True) -> Backbone:
        """Load released weights (official or timm layout), or a yolo-lite best.pt's backbone, into this backbone.

        Args:
            weights (str | Path | Mapping): A checkpoint file (``torch.save`` or ``.safetensors``) or a state dict;
                ``{"state_dict": ...}`` and ``{"model": ...}`` wrappers are unwrapped, and a yolo-lite ``best.pt``
                (or its loaded dict) gives its backbone's tensors
                (:func:`~yolo_lite.backbones.pretrained.read_state_dict`).
            strict (bool): Raise if any backbone parameter is missing or any key is left unused.

        Returns:
            (Backbone): ``self``, loaded.

        Raises:
            ValueError: The checkpoint does not fit this backbone; the message counts the missing, unexpected and
                differently shaped tensors and names the first few (:func:`describe_mismatch`).
        """
        state_dict = self.checkpoint_filter(read_state_dict(weights))
        own = self.state_dict()
        if strict and (mismatch := describe_mismatch(own, state_dict)):
            raise ValueError(
                f"checkpoint does not fit {type(self).__name__} (released weights need depth = width = 1, a best.pt "
                f"the variant and multipliers it was trained with): {mismatch}"
            )
        fits = {k: v for k, v in state_dict.items() if k in own and own[k].shape == v.shape}
        self.load_state_dict(fits, strict=False)
        return self
