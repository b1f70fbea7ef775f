"""FasterNet backbones for YOLO.

Paper: "Run, Don't Walk: Chasing Higher FLOPS for Faster Neural Networks", Jierun Chen, Shiu-hong Kao, Hao He,
Weipeng Zhuo, Song Wen, Chul-Ho Lee, S.-H. Gary Chan, CVPR 2023.
https://arxiv.org/abs/2303.03667, official code https://github.com/JierunChen/FasterNet

FasterNet mixes space with a partial convolution (PConv): a 3x3 convolution over the first ``dim // n_div`` channels
only, the other channels passing untouched, followed by two pointwise convolutions (conv-BN-act-conv) and a residual.
A 4x4/4 patch embedding starts the network and a 2x2/2 patch merging (both with BatchNorm) starts every later stage.

The blocks are timm's (``timm.models.fasternet``), so at ``depth = width = 1`` the parameter names and shapes are those
of timm's ``fasternet_*`` without the classifier (``conv_head.*``, ``classifier.*``), and both timm's weights and the
official release load with :meth:`~yolo_lite.backbones.base.Backbone.load_pretrained` (see
:meth:`FasterNet.checkpoint_filter`).
"""

from __future__ import annotations

import re
from collections.abc import Collection

import torch
from timm.models.fasternet import Block, MLPBlock, Partial_conv3, PatchEmbed, PatchMerging
from torch import nn
from ultralytics.utils.torch_utils import fuse_conv_and_bn

from .base import Backbone, check_multiplier, scale_depth, stage_channels, trunc_normal_init
from .registry import register_backbone

__all__ = ["FasterNet", "PartialConv"]

# Classifier keys of timm's layout (``conv_head``, ``classifier``) and of the official one (``avgpool_pre_head``,
# ``head``); none of them is part of the backbone.
CLASSIFIER_PREFIXES = ("conv_head.", "classifier.", "avgpool_pre_head.", "head.")

# A patch merging layer sitting directly in ``stages`` marks the official layout (timm nests it as ``downsample``).
OFFICIAL_MERGE_KEY = re.compile(r"stages\.\d+\.(reduction|norm)\.")
OFFICIAL_STAGE_KEY = re.compile(r"stages\.(\d+)\.(.+)")


class PartialConv(nn.Module):
    """timm's ``Partial_conv3`` (PConv) with its split-and-concatenate path as a method, so a pickled model is plain data.

    timm stores the chosen path in the instance (``self.forward = self.forward_split_cat``), which pickles as a
    call ``getattr(module, "forward_split_cat")``; restricted loading (``ULTRALYTICS_SAFE_LOAD=1``,
    ``torch.load(weights_only=True)``) refuses that call. Here ``forward`` is timm's ``forward_split_cat``, in
    training and inference alike (timm's inference-only slicing path was no faster here, and X2Paddle converts its
    in-place slice assignment wrongly), and the parameter names are timm's (``partial_conv3.weight``).

    Args:
        partial_conv3 (nn.Conv2d): The 3x3 convolution over the first ``partial_conv3.in_channels`` channels.
        dim (int): Channels of the input; the rest pass untouched.

    Examples:
        >>> pconv = PartialConv(nn.Conv2d(4, 4, 3, 1, 1, bias=False), dim=16)
        >>> pconv(torch.zeros(1, 16, 8, 8)).shape
        torch.Size([1, 16, 8, 8])
    """

    forward = Partial_conv3.forward_split_cat  # split, convolve the first part, concatenate

    def __init__(self, partial_conv3: nn.Conv2d, dim: int):
        super().__init__()
        self.dim_conv3 = partial_conv3.in_channels
        self.dim_untouched = dim - self.dim_conv3
        self.partial_conv3 = partial_conv3

    @classmethod
    def from_timm(cls, module: Partial_conv3) -> PartialConv:
        """Return a PartialConv holding ``module``'s convolution (the same tensors: nothing is drawn again)."""
        return cls(module.partial_conv3, module.dim_conv3 + module.dim_untouched)


class FasterNet(Backbone):
    """FasterNet feature extractor: a stride-4 patch embedding, then four stages at strides 4, 8, 16, 32.

    Every stage after the first starts with a patch merging layer that halves the resolution and doubles the channels.

    ``forward`` returns four feature maps, the four stages' outputs at strides 4, 8, 16, 32. FasterNet has no stride-2
    feature, so the first of the five YOLO slots stays empty.

    Args:
        embed_dim (int): Channels of the patch embedding and the first stage at width 1; stage ``i`` has
            ``embed_dim * 2**i``.
        depths (tuple[int, ...]): Blocks per stage at depth 1.
        mlp_ratio (float): Expansion of each block's pointwise MLP.
        n_div (int): The partial convolution mixes ``channels // n_div`` of a stage's channels.
        act_layer (type[nn.Module]): Activation inside each block's MLP.
        depth (float): Multiplier of the blocks per stage (at least one block stays).
        width (float): Multiplier of the embedding channels; every stage doubles them, as in the paper
            (:func:`~yolo_lite.backbones.base.stage_channels`), so each patch merging keeps its exact 2x expansion.
        drop_path_rate (float): Stochastic depth rate, increasing linearly over the blocks.

    Examples:
        >>> model = FasterNet(embed_dim=40, depths=(1, 2, 8, 2), width=0.25)
        >>> [f.shape[1] for f in model(torch.zeros(1, 3, 64, 64))] == model.width_list
        True
        >>> model.width_list, model.strides
        ([16, 32, 64, 128], [4, 8, 16, 32])
    """

    def __init__(
        self,
        embed_dim: int,
        depths: tuple[int, ...],
        mlp_ratio: float = 2.0,
        n_div: int = 4,
        act_layer: type[nn.Module] = nn.ReLU,
        depth: float = 1.0,
        width: float = 1.0,
        drop_path_rate: float = 0.0,
    ):
        super().__init__()
        depth, width = check_multiplier("depth", depth), check_multiplier("width", width)
        depths = [scale_depth(d, depth) for d in depths]
        dims = stage_channels(embed_dim, width, len(depths))
        base = dims[0]
        if isinstance(n_div, bool) or not isinstance(n_div, int) or not 1 <= n_div <= base:
            raise ValueError(
                f"FasterNet n_div must be an integer from 1 to the embedding channels ({base}) so that the partial "
                f"convolution keeps at least one channel, got {n_div!r}; use the paper's n_div=4"
            )
        self.patch_embed = PatchEmbed(in_chans=3, embed_dim=base, patch_size=4)
        self.feature_info = []

        drop_path = torch.linspace(0, drop_path_rate, sum(depths)).tolist()
        stages = []
        for i, (blocks, dim) in enumerate(zip(depths, dims)):
            rates, drop_path = drop_path[:blocks], drop_path[blocks:]
            stages.append(
                Block(
                    dim=dim,
                    depth=blocks,
                    n_div=n_div,
                    mlp_ratio=mlp_ratio,
                    drop_path=rates,
                    layer_scale_init_value=0.0,
                    act_layer=act_layer,
                    use_merge=i > 0,
                )
            )
            self.feature_info.append(dict(num_chs=dim, reduction=2 ** (i + 2), module=f"stages.{i}"))
        self.stages = nn.Sequential(*stages)
        for block in self.stages.modules():
            if isinstance(block, MLPBlock):
                block.spatial_mixing = PartialConv.from_timm(block.spatial_mixing)
        self.apply(trunc_normal_init)

    def checkpoint_filter(self, state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Drop the classifier and map the official checkpoint layout onto ours (timm's, which needs no mapping).

        Classifier keys dropped: timm's ``conv_head.*``, ``classifier.*``; the official ``avgpool_pre_head.*``,
        ``head.*``. The official ``stages`` is one flat Sequential with the patch merging layers between the stages
        (``stages.0`` stage 0, ``stages.1`` merging, ``stages.2`` stage 1, ..., ``stages.6`` stage 3); a checkpoint with
        any ``stages.N.reduction.*``/``stages.N.norm.*`` key is read in that layout and mapped as:

        - ``patch_embed.proj.*``, ``patch_embed.norm.*`` -> unchanged;
        - ``stages.{2i}.blocks.J.*`` (``spatial_mixing.partial_conv3``, ``mlp.0/1/3``) -> ``stages.{i}.blocks.J.*``;
        - ``stages.{2i-1}.reduction.*``, ``stages.{2i-1}.norm.*`` -> ``stages.{i}.downsample.reduction.*``,
          ``stages.{i}.downsample.norm.*`` (merging into stage ``i``, ``i = 1, 2, 3``).

        Keys that fit nowhere (the official detection model's ``norm0/2/4/6``, say) pass unchanged, left for the
        strict check to report.

        Args:
            state_dict (dict[str, torch.Tensor]): The checkpoint's state dict, already unwrapped.

        Returns:
            (dict[str, torch.Tensor]): A state dict in this module's layout.
        """
        official = any(OFFICIAL_MERGE_KEY.match(k) for k in state_dict)
        return {
            (self._official_to_ours(k) if official else k): v
            for k, v in state_dict.items()
            if not k.startswith(CLASSIFIER_PREFIXES)
        }

    @staticmethod
    def _official_to_ours(key: str) -> str:
        """Return the name of official key ``key`` in this module (keys outside ``stages`` are the same in both)."""
        match = OFFICIAL_STAGE_KEY.fullmatch(key)
        if match is None:
            return key
        index, rest = int(match[1]), match[2]
        if index % 2 == 0:
            return f"stages.{index // 2}.{rest}"
        return f"stages.{(index + 1) // 2}.downsample.{rest}"

    def fuse(self, unread: Collection[int] = ()) -> FasterNet:
        """Fold every BatchNorm2d into the convolution before it, for inference; outputs stay the same (allclose).

        Besides the blocks' MLPs (``nn.Sequential``, handled by :meth:`Backbone.fuse`), folds the patch embedding's
        ``proj``/``norm`` and every patch merging layer's ``reduction``/``norm``; each folded ``norm`` becomes
        ``nn.Identity``. PConv keeps its split-and-concat path: timm's inference-only slicing path (convolve the first
        channels of a copy in place) gives the same values and was no faster here, but its in-place slice assignment
        is converted wrongly by X2Paddle (PaddlePaddle export). Running it twice changes nothing.

        Args:
            unread (Collection[int]): Strides of the features no layer reads (:meth:`Backbone.fuse`); every fold here
                is inside a stage, so every feature stays allclose whatever it holds.

        Returns:
            (FasterNet): ``self``, fused.
        """
        for module in list(self.modules()):
            if isinstance(module, (PatchEmbed, PatchMerging)) and isinstance(module.norm, nn.BatchNorm2d):
                conv = "proj" if isinstance(module, PatchEmbed) else "reduction"
                setattr(module, conv, fuse_conv_and_bn(getattr(module, conv), module.norm))
                module.norm = nn.Identity()
        super().fuse(unread)
        return self

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return every stage's output, strides 4, 8, 16, 32, in channels-last memory layout.

        oneDNN runs the blocks' convolutions faster channels-last on CPU (see docs/results.md), so the input is
        laid out that way first. Values are unchanged.
        """
        x = self.patch_embed(x.contiguous(memory_format=torch.channels_last))
        features = []
        for stage in self.stages:
            features.append(x := stage(x))
        return features


# Variant table: the paper's configurations (same as timm's); mlp_ratio 2 and n_div 4 throughout.
CONFIGS = {
    "fasternet_t0": dict(embed_dim=40, depths=(1, 2, 8, 2), act_layer=nn.GELU),
    "fasternet_t1": dict(embed_dim=64, depths=(1, 2, 8, 2), act_layer=nn.GELU),
    "fasternet_t2": dict(embed_dim=96, depths=(1, 2, 8, 2)),
    "fasternet_s": dict(embed_dim=128, depths=(1, 2, 13, 2)),
    "fasternet_m": dict(embed_dim=144, depths=(3, 4, 18, 3)),
    "fasternet_l": dict(embed_dim=192, depths=(3, 4, 18, 3)),
}


def _create(variant: str, depth: float, width: float, **kwargs) -> FasterNet:
    """Build ``variant`` from the table at the given multipliers."""
    return FasterNet(**CONFIGS[variant], depth=depth, width=width, **kwargs)


@register_backbone
def fasternet_t0(depth: float = 1.0, width: float = 1.0, **kwargs) -> FasterNet:
    """FasterNet-T0, the lightest; the shipped YOLO11 YAML's default."""
    return _create("fasternet_t0", depth, width, **kwargs)


@register_backbone
def fasternet_t1(depth: float = 1.0, width: float = 1.0, **kwargs) -> FasterNet:
    """FasterNet-T1."""
    return _create("fasternet_t1", depth, width, **kwargs)


@register_backbone
def fasternet_t2(depth: float = 1.0, width: float = 1.0, **kwargs) -> FasterNet:
    """FasterNet-T2."""
    return _create("fasternet_t2", depth, width, **kwargs)


@register_backbone
def fasternet_s(depth: float = 1.0, width: float = 1.0, **kwargs) -> FasterNet:
    """FasterNet-S."""
    return _create("fasternet_s", depth, width, **kwargs)


@register_backbone
def fasternet_m(depth: float = 1.0, width: float = 1.0, **kwargs) -> FasterNet:
    """FasterNet-M."""
    return _create("fasternet_m", depth, width, **kwargs)


@register_backbone
def fasternet_l(depth: float = 1.0, width: float = 1.0, **kwargs) -> FasterNet:
    """FasterNet-L."""
    return _create("fasternet_l", depth, width, **kwargs)
