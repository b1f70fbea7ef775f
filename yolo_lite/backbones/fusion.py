"""Inference-time folding: BatchNorm into the convolution before it, channel permutations into the convolutions next
to them.

A channel shuffle is a fixed permutation of channels. Next to a convolution it costs a full copy of the feature map,
and in exported graphs its reshape and transpose make runtimes such as OpenVINO reorder the tensor's memory layout
around it. Folded into the convolution's weights it costs nothing: the convolution reads its inputs, or writes its
outputs, in the permuted order. A group convolution cannot express a permutation that crosses its groups, so the
folded convolution is dense, with zeros outside the groups' blocks: more multiply-adds, all of them in one well-tuned
kernel. The outputs are the same up to float summation order.

Examples:
    >>> conv = nn.Conv2d(4, 4, 1, groups=2)
    >>> order = torch.tensor([2, 0, 3, 1])
    >>> x = torch.randn(1, 4, 3, 3)
    >>> folded = permuted_conv(conv, in_order=order, out_order=order)
    >>> torch.allclose(folded(x), conv(x[:, order])[:, order], atol=1e-6)
    True
"""

from __future__ import annotations

import torch
from torch import nn
from ultralytics.utils.torch_utils import fuse_conv_and_bn

__all__ = ["channel_order", "fold_batchnorm", "permuted_conv"]


def fold_batchnorm(module: nn.Module) -> nn.Module:
    """Fold every BatchNorm2d that directly follows a Conv2d in an ``nn.Sequential`` of ``module`` into that conv.

    Covers timm's ``ConvBN`` and conv-norm-act stacks: the conv takes the BN's scale and shift, the BN becomes
    ``nn.Identity`` so that indices and parameter names stay. Outputs stay the same (allclose); running it twice
    changes nothing.

    Args:
        module (nn.Module): Any module; it is changed in place.

    Returns:
        (nn.Module): ``module``.

    Examples:
        >>> block = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4).eval())
        >>> isinstance(fold_batchnorm(block)[1], nn.Identity)
        True
    """
    for sequence in module.modules():
        if isinstance(sequence, nn.Sequential):
            for i in range(len(sequence) - 1):
                if isinstance(sequence[i], nn.Conv2d) and isinstance(sequence[i + 1], nn.BatchNorm2d):
                    sequence[i] = fuse_conv_and_bn(sequence[i], sequence[i + 1])
                    sequence[i + 1] = nn.Identity()
    return module


def channel_order(permutation: nn.Module, channels: int) -> torch.Tensor:
    """Return the source channel of every output channel of ``permutation``, a module that only reorders channels.

    Args:
        permutation (nn.Module): E.g. a channel shuffle; applied to one pixel holding each channel's index.
        channels (int): Its input channels.

    Returns:
        (torch.Tensor): ``order`` (int64) with ``permutation(x) == x[:, order]``.
    """
    index = torch.arange(channels, dtype=torch.float32).view(1, channels, 1, 1)
    with torch.no_grad():
        return permutation(index).flatten().round().long()


@torch.no_grad()
def permuted_conv(
    conv: nn.Conv2d, in_order: torch.Tensor | None = None, out_order: torch.Tensor | None = None
) -> nn.Conv2d:
    """Return one dense convolution equal to ``conv(x[:, in_order])[:, out_order]``, for inference.

    Args:
        conv (nn.Conv2d): Any convolution, grouped or not, with or without bias.
        in_order (torch.Tensor | None): The input channel each of ``conv``'s input channels reads; None keeps them.
        out_order (torch.Tensor | None): The output channel each output channel takes; None keeps them.

    Returns:
        (nn.Conv2d): A new convolution with ``groups=1``, a bias, and ``requires_grad`` off.
    """
    groups, weight = conv.groups, conv.weight
    out_per, in_per = conv.out_channels // groups, conv.in_channels // groups
    dense = weight.new_zeros(conv.out_channels, conv.in_channels, *weight.shape[2:])
    for g in range(groups):
        dense[g * out_per : (g + 1) * out_per, g * in_per : (g + 1) * in_per] = weight[g * out_per : (g + 1) * out_per]
    bias = conv.bias if conv.bias is not None else weight.new_zeros(conv.out_channels)
    if in_order is not None:  # sum_k W[o, k] x[in_order[k]] = sum_j W'[o, j] x[j] with W'[o, in_order[k]] = W[o, k]
        dense = torch.empty_like(dense).index_copy_(1, in_order, dense)
    if out_order is not None:
        dense, bias = dense[out_order], bias[out_order]
    folded = nn.Conv2d(
        conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, conv.dilation, bias=True
    ).to(weight.device, weight.dtype)
    folded.weight.copy_(dense)
    folded.bias.copy_(bias)
    return folded.requires_grad_(False)
