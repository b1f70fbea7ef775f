"""StarNet backbones for YOLO.

Paper: "Rewrite the Stars", Xu Ma, Xiyang Dai, Yue Bai, Yizhou Wang, Yun Fu, CVPR 2024.
https://arxiv.org/abs/2403.19967, official code https://github.com/ma-xu/Rewrite-the-Stars

The blocks are timm's (``timm.models.starnet``), so at ``depth = width = 1`` the parameter names and shapes are those
of timm's ``starnet_*`` without the classifier (``norm.*``, ``head.*``), and both the official release and timm's
weights load with :meth:`~yolo_lite.backbones.base.Backbone.load_pretrained`.
"""

from __future__ import annotations

import torch
from timm.models.starnet import Block, ConvBN
from torch import nn

from .base import Backbone, check_multiplier, scale_channels, scale_depth, stage_channels, trunc_normal_init
from .registry import register_backbone

__all__ = ["StarNet"]

STEM_CHANNELS = 32


class StarNet(Backbone):
    """StarNet feature extractor: a stride-2 stem, then four stages that each halve the resolution.

    ``forward`` returns five feature maps: the stem's output (stride 2), then the four stages' (strides 4, 8, 16, 32).

    Args:
        base_dim (int): Channels of the first stage at width 1; stage ``i`` has ``base_dim * 2**i``.
        depths (tuple[int, ...]): Blocks per stage at depth 1.
        mlp_ratio (int): Expansion of each block's star operation.
        depth (float): Multiplier of the blocks per stage (at least one block stays).
        width (float): Multiplier of the stem channels and of ``base_dim``; every stage doubles the scaled base, as in
            the paper and the community YOLO11 code (:func:`~yolo_lite.backbones.base.stage_channels`).
        drop_path_rate (float): Stochastic depth rate, increasing linearly over the blocks.

    Examples:
        >>> model = StarNet(base_dim=24, depths=(2, 2, 8, 3), width=0.25)
        >>> [f.shape[1] for f in model(torch.zeros(1, 3, 64, 64))] == model.width_list
        True
    """

    def __init__(
        self,
        base_dim: int,
        depths: tuple[int, ...],
        mlp_ratio: int = 4,
        depth: float = 1.0,
        width: float = 1.0,
        drop_path_rate: float = 0.0,
    ):
        super().__init__()
        depth, width = check_multiplier("depth", depth), check_multiplier("width", width)
        depths = [scale_depth(d, depth) for d in depths]
        prev_chs = scale_channels(STEM_CHANNELS, width)
        self.stem = nn.Sequential(ConvBN(3, prev_chs, kernel_size=3, stride=2, padding=1), nn.ReLU6())
        self.feature_info = [dict(num_chs=prev_chs, reduction=2, module="stem")]

        drop_path = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        stages = []
        for i, (blocks, dim) in enumerate(zip(depths, stage_channels(base_dim, width, len(depths)))):
            rates, drop_path = drop_path[:blocks], drop_path[blocks:]
            downsample = ConvBN(prev_chs, dim, kernel_size=3, stride=2, padding=1)
            stages.append(nn.Sequential(downsample, *(Block(dim, mlp_ratio, rate) for rate in rates)))
            self.feature_info.append(dict(num_chs=dim, reduction=2 ** (i + 2), module=f"stages.{i}"))
            prev_chs = dim
        self.stages = nn.Sequential(*stages)
        self.apply(trunc_normal_init)

    def checkpoint_filter(self, state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Drop the classifier (``norm.*``, ``head.*``); the rest of the official and timm layouts is already ours."""
        return {k: v for k, v in state_dict.items() if not k.startswith(("norm.", "head."))}

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the stem's and every stage's output, strides 2, 4, 8, 16, 32, in channels-last memory layout.

        The 7x7 depthwise convolutions are memory-bound and oneDNN runs them faster channels-last on CPU (see the
        benchmark results, docs/results.md), so the input is laid out that way first. Values are unchanged.
        """
        features = [x := self.stem(x.contiguous(memory_format=torch.channels_last))]
        for stage in self.stages:
            features.append(x := stage(x))
        return features


# Variant table: the paper's configurations (same as timm's).
CONFIGS = {
    "starnet_s050": dict(base_dim=16, depths=(1, 1, 3, 1), mlp_ratio=3),
    "starnet_s100": dict(base_dim=20, depths=(1, 2, 4, 1), mlp_ratio=4),
    "starnet_s150": dict(base_dim=24, depths=(1, 2, 4, 2), mlp_ratio=3),
    "starnet_s1": dict(base_dim=24, depths=(2, 2, 8, 3)),
    "starnet_s2": dict(base_dim=32, depths=(1, 2, 6, 2)),
    "starnet_s3": dict(base_dim=32, depths=(2, 2, 8, 4)),
    "starnet_s4": dict(base_dim=32, depths=(3, 3, 12, 5)),
}


def _create(variant: str, depth: float, width: float, **kwargs) -> StarNet:
    """Build ``variant`` from the table at the given multipliers."""
    return StarNet(**CONFIGS[variant], depth=depth, width=width, **kwargs)


@register_backbone
def starnet_s050(depth: float = 1.0, width: float = 1.0, **kwargs) -> StarNet:
    """StarNet-S050."""
    return _create("starnet_s050", depth, width, **kwargs)


@register_backbone
def starnet_s100(depth: float = 1.0, width: float = 1.0, **kwargs) -> StarNet:
    """StarNet-S100."""
    return _create("starnet_s100", depth, width, **kwargs)


@register_backbone
def starnet_s150(depth: float = 1.0, width: float = 1.0, **kwargs) -> StarNet:
    """StarNet-S150."""
    return _create("starnet_s150", depth, width, **kwargs)


@register_backbone
def starnet_s1(depth: float = 1.0, width: float = 1.0, **kwargs) -> StarNet:
    """StarNet-S1, the community YOLO11 tutorials' choice."""
    return _create("starnet_s1", depth, width, **kwargs)


@register_backbone
def starnet_s2(depth: float = 1.0, width: float = 1.0, **kwargs) -> StarNet:
    """StarNet-S2."""
    return _create("starnet_s2", depth, width, **kwargs)


@register_backbone
def starnet_s3(depth: float = 1.0, width: float = 1.0, **kwargs) -> StarNet:
    """StarNet-S3."""
    return _create("starnet_s3", depth, width, **kwargs)


@register_backbone
def starnet_s4(depth: float = 1.0, width: float = 1.0, **kwargs) -> StarNet:
    """StarNet-S4."""
    return _create("starnet_s4", depth, width, **kwargs)
