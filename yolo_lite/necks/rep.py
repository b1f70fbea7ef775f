"""RepVGG branches while training, folded away by ``fuse()``: the ``C3k2_Rep`` block and a model's ``rep_branches``.

Paper: "RepVGG: Making VGG-style ConvNets Great Again", Xiaohan Ding et al., CVPR 2021.
https://arxiv.org/abs/2101.03697

Each 3x3 convolution of the inner Bottlenecks becomes Ultralytics' ``RepConv``: while training, a 3x3 conv-BN, a 1x1
conv-BN and (where input and output channels match) an identity BN, summed before the activation; ``fuse()`` folds the
three into one 3x3 convolution. So the fused block is ``C3k2``, weight for weight, and runs at its speed: the branches
cost training time only. This is how RepGhostNet's blocks train, carried into the neck.

:func:`add_rep_branches` does the same to every 3x3 ``Conv``/``DWConv`` under a module, at any stride: the parse_model
patch runs it over the layers after the backbone section of a YAML that sets ``rep_branches: True`` (the neck's
downsampling ``Conv`` rows, the ``C3k2`` rows' Bottlenecks and the ``Detect`` head's convolutions, its one-to-one
copies included). Ultralytics' own ``model.fuse()`` folds every ``RepConv``.

Examples:
    >>> import torch
    >>> block = C3k2_Rep(64, 64, n=1, c3k=True).eval()
    >>> x = torch.randn(1, 64, 16, 16)
    >>> y = block(x)
    >>> torch.allclose(block.fuse()(x), y, atol=1e-4)
    True
"""

from __future__ import annotations

from torch import nn
from ultralytics.nn.modules.block import Bottleneck
from ultralytics.nn.modules.conv import Conv, DWConv, RepConv

from .base import FamilyC3k2, register_neck

__all__ = ["C3k2_Rep", "add_rep_branches", "is_plain_3x3", "rep_conv"]


def is_plain_3x3(module: nn.Module) -> bool:
    """Return True for an unfused 3x3 ``Conv``/``DWConv`` with padding 1 and no dilation (what ``RepConv`` takes)."""
    if type(module) not in (Conv, DWConv):
        return False
    c = module.conv
    return c.kernel_size == (3, 3) and c.padding == (1, 1) and c.dilation == (1, 1) and hasattr(module, "bn")


def rep_conv(conv: Conv) -> RepConv:
    """Return a ``RepConv`` with the shape of ``conv``, a 3x3 ``Conv`` (same channels, stride, groups, activation).

    Args:
        conv (Conv): A convolution as Ultralytics built it (unfused).

    Returns:
        (RepConv): Freshly initialized, with the identity branch where input and output channels match at stride 1.
    """
    c = conv.conv
    return RepConv(c.in_channels, c.out_channels, 3, c.stride[0], g=c.groups, act=conv.act, bn=True)


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


def add_rep_branches(module: nn.Module) -> int:
    """Turn every 3x3 ``Conv``/``DWConv`` under ``module`` into a ``RepConv`` of its shape, in place.

    ``RepConv`` layers already there (``C3k2_Rep``'s, RT-DETR's ``RepC3``) are left as they are.

    Args:
        module (nn.Module): Layers as Ultralytics built them (unfused).

    Returns:
        (int): How many convolutions were turned.

    Examples:
        >>> from ultralytics.nn.modules.conv import Conv
        >>> layer = nn.Sequential(Conv(16, 16, 3), Conv(16, 32, 3, 2), Conv(32, 32, 1))
        >>> add_rep_branches(layer), [type(m).__name__ for m in layer]
        (2, ['RepConv', 'RepConv', 'Conv'])
    """
    turned = 0
    for name, child in module.named_children():
        if is_plain_3x3(child):
            setattr(module, name, rep_conv(child))
            turned += 1
        elif not isinstance(child, RepConv):
            turned += add_rep_branches(child)
    return turned
