"""``C3k2_Star``: a ``C3k2`` whose inner blocks are StarNet's star blocks.

Paper: "Rewrite the Stars", Xu Ma, Xiyang Dai, Yue Bai, Yizhou Wang, Yun Fu, CVPR 2024.
https://arxiv.org/abs/2403.19967

A star block mixes space with a 7x7 depthwise convolution, then multiplies two pointwise projections element-wise
(the "star" operation, ReLU6 on one of them), projects back and mixes space again with a second depthwise
convolution, plus a residual. The block is timm's ``starnet.Block``, as in the StarNet backbone.

Examples:
    >>> import torch
    >>> block = C3k2_Star(64, 64, n=1)
    >>> block(torch.zeros(1, 64, 16, 16)).shape
    torch.Size([1, 64, 16, 16])
"""

from __future__ import annotations

from timm.models.starnet import Block
from torch import nn

from .base import FamilyC3k2, register_neck

__all__ = ["C3k2_Star"]

MLP_RATIO = 3  # StarNet-S050/S150's expansion, the lighter of the paper's two


@register_neck
class C3k2_Star(FamilyC3k2):  # noqa: N801  (the community's YAML name)
    """``C3k2`` with StarNet's star blocks as its inner blocks; args as ``C3k2``'s."""

    @classmethod
    def block(cls, dim: int) -> nn.Module:
        """Return a star block on ``dim`` channels (7x7 depthwise, star product at expansion 3, 7x7 depthwise)."""
        return Block(dim, mlp_ratio=MLP_RATIO)
