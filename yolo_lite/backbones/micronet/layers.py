"""MicroNet's layers: Micro-Factorized convolutions, channel shuffles and the Dynamic Shift-Max activation."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from timm.layers import make_divisible as tf_make_divisible
from torch import nn

__all__ = ["ChannelShuffle", "DynamicShiftMax", "GroupConvBN", "MicroFactorizedConv", "is_channels_last"]


def is_channels_last(x: torch.Tensor) -> bool:
    """Return True when ``x`` is laid out channels-last (NHWC in memory) rather than in PyTorch's default NCHW.

    Ultralytics' predictor converts models and inputs to channels-last on x86 CPUs. Channel shuffles and shifts
    written for NCHW would copy such a tensor back to NCHW, and every later elementwise op would then mix layouts, so
    MicroNet's channel-mixing layers run on the tensor's NHWC view instead (channels innermost) and keep its layout.
    While an exporter traces the model (``torch.jit.trace``, which the ONNX, TorchScript, OpenVINO and NCNN exporters
    use) it is False: exported graphs have no memory layout, and every converter gets the plain NCHW code.

    Examples:
        >>> x = torch.zeros(1, 8, 4, 4)
        >>> is_channels_last(x), is_channels_last(x.contiguous(memory_format=torch.channels_last))
        (False, True)
    """
    if torch.jit.is_tracing() or torch.jit.is_scripting():
        return False
    return x.dim() == 4 and not x.is_contiguous() and x.is_contiguous(memory_format=torch.channels_last)


class ChannelShuffle(nn.Module):
    """ShuffleNet's channel shuffle, applied once for each entry of ``groups`` in turn.

    A shuffle by ``g`` reads the channels as ``(g, channels // g)`` and transposes them: it moves channel ``k`` to
    ``k * g mod (channels - 1)`` (the last one stays). Shuffles in a row therefore compose to multiplying by the
    product of their group counts, which is one shuffle when that product ``mod (channels - 1)`` divides the channels
    (always so for the pairs in MicroNet's blocks), so the layer makes one copy. It runs as reshape and transpose,
    which every export format supports (a gather with an index tensor does not reach NCNN).

    Args:
        channels (int): Input channels; a multiple of every group count.
        groups (Sequence[int]): Group counts, applied in order.

    Attributes:
        shuffles (tuple[int, ...]): The group counts the forward pass applies: the composed one, none for the
            identity, or ``groups`` itself when they do not compose to one.

    Examples:
        >>> shuffle = ChannelShuffle(6, (2,))
        >>> shuffle(torch.arange(6.0).view(1, 6, 1, 1)).flatten().tolist()
        [0.0, 3.0, 1.0, 4.0, 2.0, 5.0]
        >>> ChannelShuffle(48, (4, 24)).shuffles  # shuffle by 4 then by 24 is the shuffle by 96 mod 47 = 2
        (2,)
    """

    def __init__(self, channels: int, groups: Sequence[int]):
        super().__init__()
        self.channels, self.groups = channels, tuple(groups)
        bad = [g for g in self.groups if g < 1 or channels % g]
        if bad:
            raise ValueError(f"ChannelShuffle: group counts {bad} do not divide {channels} channels; pass divisors")
        composed = math.prod(self.groups) % (channels - 1) if channels > 2 else 1
        self.shuffles = () if composed == 1 else (composed,) if channels % composed == 0 else self.groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x`` with its channels shuffled, in ``x``'s memory layout."""
        if is_channels_last(x):
            n, _, h, w = x.shape
            y = x.permute(0, 2, 3, 1)  # NHWC view: channels innermost
            for g in self.shuffles:
                y = y.reshape(n, h, w, g, self.channels // g).transpose(3, 4)
            return y.reshape(n, h, w, self.channels).permute(0, 3, 1, 2)
        y = x
        for g in self.shuffles:
            y = y.reshape(x.shape[0], g, self.channels // g, -1).transpose(1, 2)
        return y.reshape(x.shape)


class MicroFactorizedConv(nn.Sequential):
    """Micro-Factorized spatial convolution: a ``k x 1`` convolution, then a ``1 x k`` depthwise one, each with BN.

    With ``groups = in_chs`` it is the Micro-Factorized depthwise convolution of the blocks; with ``groups = 1`` the
    stem's convolution. Children ``0``-``3`` are conv, BN, conv, BN (the official ``conv.0``-``conv.3``).

    Args:
        in_chs (int): Input channels.
        mid_chs (int): Channels after the ``k x 1`` convolution; a multiple of ``groups``.
        out_chs (int): Output channels; a multiple of ``mid_chs``.
        kernel (int): Kernel size ``k``.
        stride (int): Stride, applied along height by the first convolution and along width by the second.
        groups (int): Groups of the ``k x 1`` convolution.
    """

    def __init__(self, in_chs: int, mid_chs: int, out_chs: int, kernel: int, stride: int, groups: int):
        pad = kernel // 2
        super().__init__(
            nn.Conv2d(in_chs, mid_chs, (kernel, 1), (stride, 1), (pad, 0), groups=groups, bias=False),
            nn.BatchNorm2d(mid_chs),
            nn.Conv2d(mid_chs, out_chs, (1, kernel), (1, stride), (0, pad), groups=mid_chs, bias=False),
            nn.BatchNorm2d(out_chs),
        )
        self.out_channels = out_chs


class GroupConvBN(nn.Sequential):
    """Pointwise group convolution and BN, half of a Micro-Factorized pointwise convolution (the shuffle follows it).

    Args:
        in_chs (int): Input channels; a multiple of ``groups``.
        out_chs (int): Output channels; a multiple of ``groups``.
        groups (int): Convolution groups.
    """

    def __init__(self, in_chs: int, out_chs: int, groups: int):
        super().__init__(nn.Conv2d(in_chs, out_chs, 1, groups=groups, bias=False), nn.BatchNorm2d(out_chs))
        self.out_channels = out_chs


class DynamicShiftMax(nn.Module):
    """Dynamic Shift-Max: ``max_j (a_j * x + b_j * shift(x))`` with input-dependent coefficients ``a_j, b_j``.

    ``shift`` moves every channel to its neighbour in the next of ``groups`` channel groups (groups rotated by one,
    channels within a group rotated by one), so the activation connects the groups of a group convolution. The
    coefficients come from global average pooling and ``fc`` (Linear, ReLU, Linear, hard sigmoid), mapped from
    ``[0, 1]`` to ``[-act_max, act_max]`` and added to ``init_a``/``init_b``.

    Args:
        channels (int): Input and output channels; a multiple of ``groups``.
        groups (int): Channel groups of the shift.
        reduction (int): Squeeze ratio of ``fc``; its hidden width is ``channels // reduction`` rounded to a multiple
            of 4 (at least 4).
        branches (int): ``J``: 2 takes the maximum of two linear mixes, 1 is a single dynamic linear mix.
        init_a (tuple[float, float]): Offsets of ``a_1, a_2``; ``a_1 = 1`` starts the layer as the identity.
        init_b (tuple[float, float]): Offsets of ``b_1, b_2``.
        act_max (float): Bound of the predicted part of each coefficient.
    """

    def __init__(
        self,
        channels: int,
        groups: int,
        reduction: int,
        branches: int = 2,
        init_a: tuple[float, float] = (1.0, 0.0),
        init_b: tuple[float, float] = (0.0, 0.0),
        act_max: float = 2.0,
    ):
        super().__init__()
        squeeze = tf_make_divisible(channels // reduction, 4)
        self.channels, self.groups, self.branches, self.act_max = channels, groups, branches, act_max
        self.offsets = tuple(offset for j in range(branches) for offset in (init_a[j], init_b[j]))  # a_1, b_1, ...
        self.fc = nn.Sequential(
            nn.Linear(channels, squeeze),
            nn.ReLU(inplace=True),
            nn.Linear(squeeze, channels * 2 * branches),
            nn.Hardsigmoid(),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the activation of ``x``, same shape.

        Each branch is one linear mix of ``x`` and its shift; two branches meet in an elementwise maximum
        (``torch.max(a, b)``, which is ``torch.maximum`` but traces as ``aten::max``, an op X2Paddle converts).
        Coefficients are split off the ``fc`` output and the shift is two rotations (slices and a concatenation
        each), so the layer exports to every format (NCNN has no gather with an index tensor).
        """
        coeffs = (self.fc(x.mean((2, 3))) - 0.5) * (2 * self.act_max)  # fc outputs a_1, b_1, a_2, b_2, each c wide
        coeffs = coeffs.view(x.shape[0], -1, 1, 1).split(self.channels, dim=1)
        a_b = [coeff + offset for coeff, offset in zip(coeffs, self.offsets)]  # a_1, b_1, a_2, b_2
        shifted = self.shift(x)
        out = a_b[0] * x + a_b[1] * shifted
        for j in range(1, self.branches):
            out = torch.max(out, a_b[2 * j] * x + a_b[2 * j + 1] * shifted)  # traced as aten::max: X2Paddle maps it
        return out

    def shift(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x`` with every channel replaced by its neighbour in the next group (the last wraps to the first).

        Channel ``i * m + j`` of ``groups`` groups of ``m`` takes channel ``((i + 1) % groups) * m + (j + 1) % m``:
        the groups rotate by one, then the channels within each group. ONNX graphs get this NCHW code (ONNX runtimes
        run NCHW, where the grouped reshape is the cheapest); other traces (OpenVINO, TorchScript, NCNN) get
        :meth:`_traced_shift`.
        """
        m = self.channels // self.groups
        if torch.jit.is_tracing() and not torch.onnx.is_in_onnx_export():
            return self._traced_shift(x, m)
        if is_channels_last(x):  # the same rotations on the NHWC view, so the result stays channels-last
            y = x.permute(0, 2, 3, 1)
            y = torch.cat([y[..., m:], y[..., :m]], 3) if self.groups > 1 else y
            if m > 1:
                y = y.reshape(*y.shape[:3], self.groups, m)
                y = torch.cat([y[..., 1:], y[..., :1]], 4)
            return y.reshape(x.shape[0], *x.shape[2:], self.channels).permute(0, 3, 1, 2)
        y = torch.cat([x[:, m:], x[:, :m]], 1) if self.groups > 1 else x
        if m > 1:
            y = y.reshape(x.shape[0], self.groups, m, -1)
            y = torch.cat([y[:, :, 1:], y[:, :, :1]], 2)
        return y.reshape(x.shape)

    def _traced_shift(self, x: torch.Tensor, m: int) -> torch.Tensor:
        """The shift as traces other than ONNX's record it: two rotations of all channels, blended by a channel mask.

        Channel ``k`` takes ``k + m + 1`` (next group, next channel), or ``k + 1`` when it is the last of its group
        (indices mod ``channels``). Unlike the grouped reshape of the eager code this keeps the spatial dimensions
        apart, so runtimes that hold tensors channels-last or blocked (OpenVINO) need no layout reorders around it.
        The blend multiplies by exact 0s and 1s (NCNN has no select op), so finite values pass unchanged.
        """
        c, skip = self.channels, (m + 1) % self.channels
        across = torch.cat([x[:, skip:], x[:, :skip]], 1) if skip else x
        within = torch.cat([x[:, 1:], x[:, :1]], 1)
        last = [float(k % m == m - 1) for k in range(c)]  # nested to (1, c, 1, 1) as constants: no reshape op traced
        return across * x.new_tensor([[[[1.0 - f]] for f in last]]) + within * x.new_tensor([[[[f]] for f in last]])
