"""``C3k2_Faster``: a ``C3k2`` whose inner blocks are FasterNet's PConv blocks.

Paper: "Run, Don't Walk: Chasing Higher FLOPS for Faster Neural Networks", Jierun Chen et al., CVPR 2023.
https://arxiv.org/abs/2303.03667

A FasterNet block mixes space with a partial convolution (a 3x3 convolution over a quarter of the channels, the rest
passing untouched) and mixes channels with a pointwise MLP (expansion 2, BatchNorm, ReLU), plus a residual: about half
the multiply-adds of the Bottleneck it replaces. The block is timm's ``MLPBlock`` with yolo-lite's
:class:`~yolo_lite.backbones.fasternet.PartialConv`, as in the FasterNet backbone.

Examples:
    >>> import torch
    >>> block = C3k2_Faster(64, 64, n=2)
    >>> block(torch.zeros(1, 64, 16, 16)).shape
    torch.Size([1, 64, 16, 16])
"""

from __future__ import annotations

from timm.models.fasternet import MLPBlock
from torch import nn

from yolo_lite.backbones.fasternet import PartialConv

from .base import FamilyC3k2, register_neck

__all__ = ["C3k2_Faster"]

N_DIV = 4  # the partial convolution mixes a quarter of the channels, as in the paper
MLP_RATIO = 2.0


@register_neck
class C3k2_Faster(FamilyC3k2):  # noqa: N801  (the community's YAML name)
    """``C3k2`` with FasterNet blocks (PConv, then a pointwise MLP; ReLU) as its inner blocks; args as ``C3k2``'s."""

    @classmethod
    def block(cls, dim: int) -> nn.Module:
        """Return a FasterNet block on ``dim`` channels (PConv over ``dim // 4`` of them, MLP expansion 2)."""
        block = MLPBlock(dim, n_div=min(N_DIV, dim), mlp_ratio=MLP_RATIO, drop_path=0.0, layer_scale_init_value=0.0,
                         act_layer=nn.ReLU)
        block.spatial_mixing = PartialConv.from_timm(block.spatial_mixing)
        return block
