"""The MicroNet feature extractor, the released variants' table (M0-M3) and their registered variant functions."""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Sequence
from dataclasses import replace
from itertools import groupby

import torch
from torch import nn

from ..base import Backbone, check_multiplier, scale_depth
from ..registry import register_backbone
from .blocks import MicroBlock, MicroBlockConfig, MicroStem

__all__ = ["MicroNet", "micronet_m0", "micronet_m1", "micronet_m2", "micronet_m3"]


# Official ``backbone/micronet.py`` index of each part inside a block's ``layers`` Sequential, per block layout; the
# official indices that are missing here hold parameter-free modules (channel shuffles, placeholders).
OFFICIAL_LAYER_INDEX = {
    "dw_pw": {0: "dw", 1: "act2", 4: "pw2", 5: "act3"},
    "pw_dw_pw": {0: "pw1", 1: "act1", 3: "dw", 5: "act2", 7: "pw2", 8: "act3"},
    "pw": {0: "pw1", 1: "act1"},
}


class MicroNet(Backbone):
    """MicroNet feature extractor: the stem and the blocks of a table in :attr:`features`, one layer per row.

    ``forward`` returns five feature maps, strides 2, 4, 8, 16, 32: for each stride the output of the last layer at
    that stride, so the first slot holds the stem output. :attr:`layer_info` declares the channels and stride of
    every layer of :attr:`features`, :attr:`feature_info` those of the returned maps.

    ``depth`` scales the number of blocks of each stride group (the blocks that run at the same stride) with
    :func:`~yolo_lite.backbones.base.scale_depth`, keeping at least one: fewer keeps the group's first blocks (the
    first one holds the downsampling), more repeats its last block at stride 1. The stem stays one layer.

    ``width`` scales every layer's output channels, rounded up to a multiple of the layer's divisor:
    ``max(d, ceil(int(c * width) / d) * d)``, the rule of :func:`~yolo_lite.backbones.base.scale_channels` with
    ``d`` in place of 8. ``d`` is the least common multiple of every group count the channels meet: those of the
    layer that writes them (stem and pointwise groups, the shuffles and Dynamic Shift-Max groups after it, pairs for
    the pair shuffle) and those of the next layer (its first pointwise groups, and whatever its hidden channels,
    ``in_chs * c1 * c2``, must be a multiple of). Groups stay as in the table, so every group convolution, shuffle
    and shift fits at any width and depth. The official channels are such multiples already, so
    ``depth = width = 1`` builds the official network exactly.

    Args:
        stem_groups (tuple[int, int]): ``(g1, g2)``: the stem has ``g1 * g2`` channels at width 1, ``g1`` after its
            ``3 x 1`` convolution.
        blocks (Sequence[MicroBlockConfig]): The table, one row per block at depth 1.
        init_a (tuple[float, float]): Dynamic Shift-Max ``init_a`` after the first pointwise and depthwise layers.
        init_b (tuple[float, float]): Dynamic Shift-Max ``init_b`` after the first pointwise and depthwise layers.
        act_max (float): Coefficient bound of every Dynamic Shift-Max.
        reduction (int): Squeeze reduction of Dynamic Shift-Max, multiplied per block by ``MicroBlockConfig.reduction``.
        depth (float): Multiplier of the blocks per stride group.
        width (float): Multiplier of the channels.

    Attributes:
        features (nn.Sequential): The stem, then the blocks; at depth 1 one layer per official ``features`` layer.
        layer_info (list[dict]): ``num_chs``, ``reduction`` (stride) and ``module`` of every layer of ``features``.

    Examples:
        >>> model = micronet_m0()
        >>> [f.shape[1] for f in model(torch.zeros(1, 3, 64, 64))] == model.width_list == [4, 8, 12, 32, 384]
        True
    """

    def __init__(
        self,
        stem_groups: tuple[int, int],
        blocks: Sequence[MicroBlockConfig],
        init_a: tuple[float, float] = (1.0, 1.0),
        init_b: tuple[float, float] = (0.0, 0.0),
        act_max: float = 2.0,
        reduction: int = 8,
        depth: float = 1.0,
        width: float = 1.0,
    ):
        super().__init__()
        depth, width = check_multiplier("depth", depth), check_multiplier("width", width)
        blocks = self._scale_depth(blocks, depth)
        base_chs = [math.prod(stem_groups), *(cfg.out_chs for cfg in blocks)]
        out_divisors = [stem_groups[0], *(cfg.out_divisor for cfg in blocks)]  # of the layer that writes
        in_divisors = [*(cfg.in_divisor for cfg in blocks), 1]  # of the layer that reads
        channels = [
            self._scale_channels(c, width, math.lcm(d_out, d_in))
            for c, d_out, d_in in zip(base_chs, out_divisors, in_divisors)
        ]

        layers, stride = [MicroStem(channels[0], stem_groups[0])], 2
        self.layer_info = [dict(num_chs=channels[0], reduction=stride, module="features.0")]
        for i, cfg in enumerate(blocks, start=1):
            layers.append(MicroBlock(cfg, channels[i - 1], channels[i], reduction, init_a, init_b, act_max))
            stride *= cfg.stride
            self.layer_info.append(dict(num_chs=channels[i], reduction=stride, module=f"features.{i}"))
        self.features = nn.Sequential(*layers)
        last = {info["reduction"]: i for i, info in enumerate(self.layer_info)}  # last layer at each stride
        self.out_indices = tuple(sorted(last.values()))
        self.feature_info = [self.layer_info[i] for i in self.out_indices]
        self._init_weights()

    @staticmethod
    def _scale_depth(blocks: Sequence[MicroBlockConfig], depth: float) -> list[MicroBlockConfig]:
        """Return the blocks at ``depth``: per stride group the first ``scale_depth(n, depth)``, or more as repeats."""
        strides = [math.prod(cfg.stride for cfg in blocks[: i + 1]) for i in range(len(blocks))]
        scaled = []
        for _, group in groupby(zip(strides, blocks), key=lambda item: item[0]):
            group = [cfg for _, cfg in group]
            n = scale_depth(len(group), depth)
            scaled += group[:n] + [replace(group[-1], stride=1)] * (n - len(group))
        return scaled

    @staticmethod
    def _scale_channels(channels: int, width: float, divisor: int) -> int:
        """Scale ``channels`` by ``width``, rounded up to a multiple of ``divisor`` (at least ``divisor``)."""
        return max(divisor, math.ceil(int(channels * width) / divisor) * divisor)

    def _init_weights(self) -> None:
        """Initialise as the official code: He-normal convolutions, BN to identity, Linear ``N(0, 0.01)``.

        A small last Linear starts every Dynamic Shift-Max at its ``init_a``/``init_b`` coefficients.
        """
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.normal_(m.weight, 0, math.sqrt(2.0 / (m.kernel_size[0] * m.kernel_size[1] * m.out_channels)))
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def fuse(self, unread: Collection[int] = ()) -> MicroNet:
        """Fold BN into the convolutions (:meth:`Backbone.fuse`), then the channel shuffles into the pointwise ones.

        Every shuffle next to a pointwise convolution (and the stem's) becomes part of that convolution's weights
        (:meth:`MicroBlock.fold_shuffles`): no copy at run time, and no reshape or transpose in exported graphs, around
        which runtimes reorder the memory layout. Outputs stay the same (allclose); running it twice changes nothing.

        Args:
            unread (Collection[int]): Strides of the features no layer reads (:meth:`Backbone.fuse`); every fold here
                is inside a block, so every feature stays allclose whatever it holds.

        Returns:
            (MicroNet): ``self``, fused.
        """
        super().fuse(unread)
        for layer in self.features:
            layer.fold_shuffles()
        return self

    def checkpoint_filter(self, state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Map the official checkpoint layout onto ours and drop the classifier (``classifier.*``).

        Layer indices are the official ones (``features.N``); inside a layer:

        - stem: ``features.0.stem.0.conv.K.*`` -> ``features.0.conv.K.*``;
        - block: ``features.N.layers.J.conv.K.*`` -> ``features.N.<part>.K.*`` and ``features.N.layers.J.fc.K.*`` ->
          ``features.N.<part>.fc.K.*``, where ``<part>`` is found from the official index ``J`` by layout:
          ``pw_dw_pw`` 0 pw1, 1 act1, 3 dw, 5 act2, 7 pw2, 8 act3; ``dw_pw`` 0 dw, 1 act2, 4 pw2, 5 act3;
          ``pw`` 0 pw1, 1 act1 (:data:`OFFICIAL_LAYER_INDEX`).

        Keys in our own layout, and keys that fit nowhere (left for the strict check to report), pass unchanged.

        Args:
            state_dict (dict[str, torch.Tensor]): The checkpoint's state dict, already unwrapped.

        Returns:
            (dict[str, torch.Tensor]): A state dict in this module's layout.
        """
        return {self._official_to_ours(k): v for k, v in state_dict.items() if not k.startswith("classifier.")}

    def _official_to_ours(self, key: str) -> str:
        """Return the name of official key ``key`` in this module, or ``key`` itself where it maps to nothing."""
        if stem := re.fullmatch(r"features\.0\.stem\.0\.conv\.(.+)", key):
            return f"features.0.conv.{stem[1]}"
        block = re.fullmatch(r"features\.(\d+)\.layers\.(\d+)\.(?:conv\.)?(.+)", key)
        if block is None or not 0 < int(block[1]) < len(self.features):
            return key
        part = OFFICIAL_LAYER_INDEX[self.features[int(block[1])].layout].get(int(block[2]))
        return f"features.{block[1]}.{part}.{block[3]}" if part else key

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the output of the last layer at each stride: strides 2 (the stem), 4, 8, 16, 32, channels-last.

        oneDNN runs the grouped and depthwise convolutions faster channels-last on CPU, and the shuffles and shifts keep
        that layout (:func:`is_channels_last`), so the input is laid out that way first. Values are unchanged.
        """
        features = []
        x = x.contiguous(memory_format=torch.channels_last)
        for i, layer in enumerate(self.features):
            x = layer(x)
            if i in self.out_indices:
                features.append(x)
        return features


# Variant tables: the official ``backbone/microconfig.py`` rows the scripts name, as
# MicroBlockConfig(kernel, stride, out_chs, (c1, c2), (g1, g2), (g3, g4), (y1, y2, y3), reduction).
B = MicroBlockConfig
CONFIGS = {
    "micronet_m0": dict(  # msnx_dy6_exp4_4M_221, script/*_micronet_m0*.sh
        stem_groups=(2, 2),
        init_a=(1.0, 1.0),
        init_b=(0.0, 0.0),
        blocks=(
            B(3, 2, 8, (2, 2), (0, 4), (2, 2), (2, 0, 1), 1),
            B(3, 2, 12, (2, 2), (0, 8), (4, 4), (2, 2, 1), 1),
            B(5, 2, 16, (2, 2), (0, 12), (4, 4), (2, 2, 1), 1),
            B(5, 1, 32, (1, 4), (4, 4), (4, 4), (2, 2, 1), 1),
            B(5, 2, 64, (1, 4), (8, 8), (8, 8), (2, 2, 1), 1),
            B(3, 1, 96, (1, 4), (8, 8), (8, 8), (2, 2, 1), 2),
            B(3, 1, 384, (1, 4), (12, 12), (0, 0), (2, 2, 1), 2),
        ),
    ),
    "micronet_m1": dict(  # msnx_dy6_exp6_6M_221, script/*_micronet_m1*.sh
        stem_groups=(3, 2),
        init_a=(1.0, 1.0),
        init_b=(0.0, 0.0),
        blocks=(
            B(3, 2, 8, (2, 2), (0, 6), (2, 2), (2, 0, 1), 1),
            B(3, 2, 16, (2, 2), (0, 8), (4, 4), (2, 2, 1), 1),
            B(5, 2, 16, (2, 2), (0, 16), (4, 4), (2, 2, 1), 1),
            B(5, 1, 32, (1, 6), (4, 4), (4, 4), (2, 2, 1), 1),
            B(5, 2, 64, (1, 6), (8, 8), (8, 8), (2, 2, 1), 1),
            B(3, 1, 96, (1, 6), (8, 8), (8, 8), (2, 2, 1), 2),
            B(3, 1, 576, (1, 6), (12, 12), (0, 0), (2, 2, 1), 2),
        ),
    ),
    "micronet_m2": dict(  # msnx_dy9_exp6_12M_221, script/*_micronet_m2*.sh
        stem_groups=(4, 2),
        init_a=(1.0, 1.0),
        init_b=(0.0, 0.0),
        blocks=(
            B(3, 2, 12, (2, 2), (0, 8), (4, 4), (2, 0, 1), 1),
            B(3, 2, 16, (2, 2), (0, 12), (4, 4), (2, 2, 1), 1),
            B(3, 1, 24, (2, 2), (0, 16), (4, 4), (2, 2, 1), 1),
            B(5, 2, 32, (1, 6), (6, 6), (4, 4), (2, 2, 1), 1),
            B(5, 1, 32, (1, 6), (8, 8), (4, 4), (2, 2, 1), 2),
            B(5, 1, 64, (1, 6), (8, 8), (8, 8), (2, 2, 1), 2),
            B(5, 2, 96, (1, 6), (8, 8), (8, 8), (2, 2, 1), 2),
            B(3, 1, 128, (1, 6), (12, 12), (8, 8), (2, 2, 1), 2),
            B(3, 1, 768, (1, 6), (16, 16), (0, 0), (2, 2, 1), 2),
        ),
    ),
    "micronet_m3": dict(  # msnx_dy12_exp6_20M_020, script/*_micronet_m3*.sh
        stem_groups=(4, 3),
        init_a=(1.0, 0.5),
        init_b=(0.0, 0.5),
        blocks=(
            B(3, 2, 16, (2, 2), (0, 12), (4, 4), (0, 2, 0), 1),
            B(3, 2, 24, (2, 2), (0, 16), (4, 4), (0, 2, 0), 1),
            B(3, 1, 24, (2, 2), (0, 24), (4, 4), (0, 2, 0), 1),
            B(5, 2, 32, (1, 6), (6, 6), (4, 4), (0, 2, 0), 1),
            B(5, 1, 32, (1, 6), (8, 8), (4, 4), (0, 2, 0), 2),
            B(5, 1, 64, (1, 6), (8, 8), (8, 8), (0, 2, 0), 2),
            B(5, 1, 80, (1, 6), (8, 8), (8, 8), (0, 2, 0), 2),
            B(5, 1, 80, (1, 6), (10, 10), (8, 8), (0, 2, 0), 2),
            B(5, 2, 120, (1, 6), (10, 10), (10, 10), (0, 2, 0), 2),
            B(5, 1, 120, (1, 6), (12, 12), (10, 10), (0, 2, 0), 2),
            B(3, 1, 144, (1, 6), (12, 12), (12, 12), (0, 2, 0), 2),
            B(3, 1, 864, (1, 6), (12, 12), (0, 0), (0, 2, 0), 2),
        ),
    ),
}


def _create(variant: str, depth: float, width: float, **kwargs) -> MicroNet:
    """Build ``variant`` from the table at the given multipliers."""
    return MicroNet(**CONFIGS[variant], depth=depth, width=width, **kwargs)


@register_backbone
def micronet_m0(depth: float = 1.0, width: float = 1.0, **kwargs) -> MicroNet:
    """MicroNet-M0 (4M FLOPs at 224, 46.6% ImageNet top-1 in the paper)."""
    return _create("micronet_m0", depth, width, **kwargs)


@register_backbone
def micronet_m1(depth: float = 1.0, width: float = 1.0, **kwargs) -> MicroNet:
    """MicroNet-M1 (6M FLOPs at 224, 51.4% ImageNet top-1 in the paper)."""
    return _create("micronet_m1", depth, width, **kwargs)


@register_backbone
def micronet_m2(depth: float = 1.0, width: float = 1.0, **kwargs) -> MicroNet:
    """MicroNet-M2 (12M FLOPs at 224, 59.4% ImageNet top-1 in the paper)."""
    return _create("micronet_m2", depth, width, **kwargs)


@register_backbone
def micronet_m3(depth: float = 1.0, width: float = 1.0, **kwargs) -> MicroNet:
    """MicroNet-M3 (21M FLOPs at 224, 62.5% ImageNet top-1 in the paper): the largest, the shipped YAMLs' from s on."""
    return _create("micronet_m3", depth, width, **kwargs)
