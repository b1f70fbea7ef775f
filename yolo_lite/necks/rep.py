"""``C3k2_Rep``: a ``C3k2`` whose Bottleneck convolutions train with RepVGG branches and fuse back to ``C3k2``.

Paper: "RepVGG: Making VGG-style ConvNets Great Again", Xiaohan Ding et al., CVPR 2021.
https://arxiv.org/abs/2101.03697

Each 3x3 convolution of the inner Bottlenecks becomes Ultralytics' ``RepConv``: while training, a 3x3 conv-BN, a 1x1
conv-BN and (where input and output channels match) an identity BN, summed before the activation; ``fuse()`` folds the
three into one 3x3 convolution. So the fused block is ``C3k2``, weight for weight, and runs at its speed: the branches
cost training time only. This is how RepGhostNet's blocks train, carried into the neck.

Examples:
    >>> import torch
    >>> block = C3k2_Rep(64, 64, n=1, c3k=True).eval()
    >>> x = torch.randn(1, 64, 16, 16)
    >>> y = block(x)
    >>> torch.allclose(block.fuse()(x), y, atol=1e-4)
    True
"""

from __future__ import annotations

from ultralytics.nn.modules.block import Bottleneck
from ultralytics.nn.modules.conv import Conv, RepConv

from .base import FamilyC3k2, register_neck

__all__ = ["C3k2_Rep"]


def rep_conv(conv: Conv) -> RepConv:
    """Return a ``RepConv`` with the shape of ``conv``, a 3x3 stride-1 ``Conv`` (same channels, groups, activation).

    Args:
        conv (Conv): A Bottleneck's convolution as Ultralytics built it (unfused).

    Returns:
        (RepConv): Freshly initialized, with the identity branch where input and output channels match.
    """
    c = conv.conv
    return RepConv(c.in_channels, c.out_channels, 3, 1, g=c.groups, act=conv.act, bn=True)


@register_neck
class C3k2_Rep(FamilyC3k2):  # noqa: N801  (the community's YAML naming)
    """``C3k2`` whose Bottlenecks' 3x3 convolutions are ``RepConv`` while training; args as ``C3k2``'s.

    The inner blocks keep ``C3k2``'s structure (Bottleneck or ``C3k``, hidden widths, shortcuts, attention): only
    their convolutions change, so :meth:`fuse` gives back a ``C3k2``'s computation.
    """

    def _swap_inner_blocks(self) -> None:
        """Give every Bottleneck in ``self.m`` (directly, inside a ``C3k``, or before a ``PSABlock``) RepConvs."""
        for bottleneck in [m for m in self.m.modules() if isinstance(m, Bottleneck)]:
            bottleneck.cv1 = rep_conv(bottleneck.cv1)
            bottleneck.cv2 = rep_conv(bottleneck.cv2)

    def fuse(self) -> C3k2_Rep:
        """Fold every RepConv's branches into one 3x3 convolution, as Ultralytics' ``model.fuse()`` does.

        Returns:
            (C3k2_Rep): ``self``, fused; running it twice changes nothing.
        """
        for conv in self.m.modules():
            if isinstance(conv, RepConv) and hasattr(conv, "conv1"):
                conv.fuse_convs()
                conv.forward = conv.forward_fuse
        return self
