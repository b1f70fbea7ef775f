"""MicroNet's blocks: a row of the official table (:class:`MicroBlockConfig`), the stem, the block built from a row."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

from ..fusion import channel_order, permuted_conv
from .layers import ChannelShuffle, DynamicShiftMax, GroupConvBN, MicroFactorizedConv

__all__ = ["MicroBlock", "MicroBlockConfig", "MicroStem"]


@dataclass(frozen=True)
class MicroBlockConfig:
    """One block of a MicroNet: one row of the official ``backbone/microconfig.py`` table.

    The official row ``s, n, c, ks, c1, c2, g1, g2, c3, g3, g4, y1, y2, y3, r`` maps to
    ``MicroBlockConfig(ks, s, c, (c1, c2), (g1, g2), (g3, g4), (y1, y2, y3), r)``; ``n`` is 1 in every released model
    (``depth`` sets the repeats here) and ``c3`` is read by no layer.

    Attributes:
        kernel (int): Depthwise kernel size.
        stride (int): Stride of the block.
        out_chs (int): Output channels at width 1.
        expand (tuple[int, int]): ``(c1, c2)``: the hidden width is ``in_chs * c1 * c2``.
        groups_in (tuple[int, int]): ``(g1, g2)``: groups of the first pointwise convolution and of the shuffle and
            Dynamic Shift-Max around the depthwise one. ``g1 = 0``: no first pointwise convolution, the depthwise
            convolution expands the channels itself (layout ``dw_pw``, the paper's Micro-Block-A).
        groups_out (tuple[int, int]): ``(g3, g4)``: groups of the last pointwise convolution and of the shuffle and
            Dynamic Shift-Max after it. ``(0, 0)``: the block is one pointwise convolution (layout ``pw``, the last
            layer of every MicroNet).
        dynamic (tuple[int, int, int]): ``(y1, y2, y3)``: activation after the first pointwise, the depthwise and the
            last pointwise convolution. 0: ReLU6 after the first two, none after the last; 1: Dynamic Shift-Max with
            one branch; 2: with two branches (the maximum of two mixes). The ``pw`` layout reads ``y3``.
        reduction (int): Multiplier of the network's squeeze reduction for this block's Dynamic Shift-Max layers.
    """

    kernel: int
    stride: int
    out_chs: int
    expand: tuple[int, int]
    groups_in: tuple[int, int]
    groups_out: tuple[int, int]
    dynamic: tuple[int, int, int]
    reduction: int

    @property
    def layout(self) -> str:
        """``"dw_pw"`` (depthwise first), ``"pw"`` (pointwise only) or ``"pw_dw_pw"`` (the full block)."""
        if self.groups_in[0] == 0:
            return "dw_pw"
        return "pw" if self.groups_out[0] == 0 else "pw_dw_pw"

    @property
    def in_divisor(self) -> int:
        """The number the block's input channels must be a multiple of, for every group count its layers meet."""
        (g1, g2), (g3, _), (y1, y2, _) = self.groups_in, self.groups_out, self.dynamic
        if self.layout == "pw":
            return g1
        # The hidden channels (in_chs * c1 * c2) meet g2 (shuffle, Dynamic Shift-Max), g3 (last pointwise) and, after
        # a Dynamic Shift-Max, a shuffle in pairs (fours after two of them); the full block's also meet g1.
        if self.layout == "dw_pw":
            hidden = math.lcm(g2, g3, 2 if y2 else 1)
            return hidden // math.gcd(hidden, self.expand[0] * self.expand[1])
        hidden = math.lcm(g1, g2, g3, 4 if y1 and y2 else 2 if y1 or y2 else 1)
        return math.lcm(g1, hidden // math.gcd(hidden, self.expand[0] * self.expand[1]))

    @property
    def out_divisor(self) -> int:
        """The number the block's output channels must be a multiple of, for every group count its layers meet."""
        (g1, g2), (g3, g4), y3 = self.groups_in, self.groups_out, self.dynamic[2]
        if self.layout == "pw":
            return math.lcm(g1, g2 if y3 else 1)
        return math.lcm(g3, g4, 2 if y3 else 1)  # the pair shuffle after a last Dynamic Shift-Max needs 2


class MicroStem(nn.Sequential):
    """MicroNet stem: a stride-2 Micro-Factorized ``3 x 3`` convolution, a channel shuffle and ReLU6.

    Args:
        out_chs (int): Output channels; a multiple of ``groups``.
        groups (int): Channels of the ``3 x 1`` convolution, and groups of the ``1 x 3`` one and of the shuffle.
    """

    def __init__(self, out_chs: int, groups: int):
        super().__init__(
            OrderedDict(
                conv=MicroFactorizedConv(3, groups, out_chs, kernel=3, stride=2, groups=1),
                shuffle=ChannelShuffle(out_chs, (groups,)),
                act=nn.ReLU6(inplace=True),
            )
        )
        self.out_channels = out_chs

    def fold_shuffles(self) -> None:
        """Fold the shuffle into the ``1 x k`` convolution before it (dense, ``groups`` inputs), after BN fusion."""
        if isinstance(self.shuffle, ChannelShuffle):
            order = channel_order(self.shuffle, self.out_channels)
            self.conv[2], self.shuffle = permuted_conv(self.conv[2], out_order=order), nn.Identity()


class MicroBlock(nn.Sequential):
    """A MicroNet block (the official ``DYMicroBlock``), with a residual connection when the shape is kept.

    Its parts, in order, by layout (``cfg.layout``); an activation the table turns off is left out, and so is the full
    block's ``shuffle2`` when neither ``act1`` nor ``act2`` is a Dynamic Shift-Max:

    - ``pw_dw_pw``: ``pw1, act1, shuffle1, dw, act2, shuffle2, pw2, act3, shuffle3``;
    - ``dw_pw``: ``dw, act2, shuffle2, pw2, act3, shuffle3`` (the depthwise convolution expands the channels);
    - ``pw``: ``pw1, act1``.

    ``pw*`` are :class:`GroupConvBN`, ``dw`` a :class:`MicroFactorizedConv`, ``act*`` ReLU6 or
    :class:`DynamicShiftMax`, ``shuffle*`` :class:`ChannelShuffle`.

    Args:
        cfg (MicroBlockConfig): The block's row of the table.
        in_chs (int): Input channels; a multiple of ``cfg.in_divisor``.
        out_chs (int): Output channels (``cfg.out_chs`` at width 1); a multiple of ``cfg.out_divisor``.
        reduction (int): The network's squeeze reduction of Dynamic Shift-Max, multiplied by ``cfg.reduction``.
        init_a (tuple[float, float]): ``init_a`` of the Dynamic Shift-Max after ``pw1`` and ``dw``.
        init_b (tuple[float, float]): ``init_b`` of the Dynamic Shift-Max after ``pw1`` and ``dw``.
        act_max (float): Coefficient bound of every Dynamic Shift-Max.
    """

    def __init__(
        self,
        cfg: MicroBlockConfig,
        in_chs: int,
        out_chs: int,
        reduction: int = 8,
        init_a: tuple[float, float] = (1.0, 1.0),
        init_b: tuple[float, float] = (0.0, 0.0),
        act_max: float = 2.0,
    ):
        super().__init__()
        self.cfg, self.layout, self.in_chs, self.out_chs = cfg, cfg.layout, in_chs, out_chs
        self.reduction, self.init_a, self.init_b, self.act_max = reduction * cfg.reduction, init_a, init_b, act_max
        build = {"pw_dw_pw": self._pw_dw_pw, "dw_pw": self._dw_pw, "pw": self._pw}[self.layout]
        for name, part in build(in_chs * cfg.expand[0] * cfg.expand[1]).items():
            if part is not None:
                self.add_module(name, part)
        self.out_channels = out_chs
        self.residual = cfg.stride == 1 and in_chs == out_chs

    def _act(self, level: int, channels: int, groups: int) -> nn.Module:
        """Return the activation of level ``y`` after the first pointwise or the depthwise convolution."""
        if level == 0:
            return nn.ReLU6(inplace=True)
        branches = 2 if level == 2 else 1
        return DynamicShiftMax(channels, groups, self.reduction, branches, self.init_a, self.init_b, self.act_max)

    def _last_act(self, level: int, channels: int, groups: int, reduction: int) -> nn.Module | None:
        """Return the activation of level ``y3`` after a block's last pointwise convolution, None for level 0.

        Its coefficients start at ``a_1 = 1, b_1 = 0`` (the official ``INIT_A_BLOCK3 1.0,0.0``): the identity.
        """
        return DynamicShiftMax(channels, groups, reduction, 1, (1.0, 0.0), (0.0, 0.0), self.act_max) if level else None

    def _pw_dw_pw(self, hidden: int) -> dict[str, nn.Module | None]:
        """Build the full block: pointwise expansion, depthwise, pointwise projection."""
        cfg, (g1, g2), (g3, g4), (y1, y2, y3) = self.cfg, self.cfg.groups_in, self.cfg.groups_out, self.cfg.dynamic
        last_reduction = self.reduction // 2 if self.out_chs < hidden else self.reduction
        return dict(
            pw1=GroupConvBN(self.in_chs, hidden, g1),
            act1=self._act(y1, hidden, g2),
            shuffle1=ChannelShuffle(hidden, (g2,)),
            dw=MicroFactorizedConv(hidden, hidden, hidden, cfg.kernel, cfg.stride, groups=hidden),
            act2=self._act(y2, hidden, hidden // g2 if g2 != 1 else 1),  # shift between groups of g2 channels
            shuffle2=ChannelShuffle(hidden, (hidden // (4 if y1 and y2 else 2),)) if y1 or y2 else None,
            pw2=GroupConvBN(hidden, self.out_chs, g3),
            act3=self._last_act(y3, self.out_chs, g4, last_reduction),
            shuffle3=ChannelShuffle(self.out_chs, (g4, self.out_chs // 2) if y3 else (g4,)),
        )

    def _dw_pw(self, hidden: int) -> dict[str, nn.Module | None]:
        """Build a depthwise-first block: depthwise expansion, pointwise projection (the paper's Micro-Block-A)."""
        cfg, (_, g2), (g3, g4), (_, y2, y3) = self.cfg, self.cfg.groups_in, self.cfg.groups_out, self.cfg.dynamic
        mid = self.in_chs * cfg.expand[0]
        return dict(
            dw=MicroFactorizedConv(self.in_chs, mid, hidden, cfg.kernel, cfg.stride, groups=self.in_chs),
            act2=self._act(y2, hidden, g2),
            shuffle2=ChannelShuffle(hidden, (g2, hidden // 2) if y2 else (g2,)),
            pw2=GroupConvBN(hidden, self.out_chs, g3),
            act3=self._last_act(y3, self.out_chs, g4, self.reduction // 2),
            shuffle3=ChannelShuffle(self.out_chs, (g4, self.out_chs // 2) if y3 else (g4,)),
        )

    def _pw(self, hidden: int) -> dict[str, nn.Module | None]:
        """Build a single pointwise group convolution (the last layer of every MicroNet)."""
        (g1, g2), y3 = self.cfg.groups_in, self.cfg.dynamic[2]
        return dict(
            pw1=GroupConvBN(self.in_chs, self.out_chs, g1),
            act1=self._last_act(y3, self.out_chs, g2, self.reduction),
        )

    def fold_shuffles(self) -> None:
        """Fold every shuffle next to a pointwise convolution into it, after BN fusion; the shuffle becomes Identity.

        A shuffle right before a pointwise convolution permutes its inputs; one right after it (ReLU6 between them
        commutes with any permutation) its outputs. Shuffles after a Dynamic Shift-Max that no pointwise convolution
        follows stay. The folded convolutions are dense (:func:`~yolo_lite.backbones.fusion.permuted_conv`).
        """
        parts = list(self.named_children())
        for i, (name, shuffle) in enumerate(parts):
            if not isinstance(shuffle, ChannelShuffle):
                continue
            order = channel_order(shuffle, shuffle.channels)
            following = parts[i + 1][1] if i + 1 < len(parts) else None
            preceding = next((m for _, m in reversed(parts[:i]) if not isinstance(m, nn.ReLU6)), None)
            if isinstance(following, GroupConvBN):
                following[0] = permuted_conv(following[0], in_order=order)
            elif isinstance(preceding, GroupConvBN):
                preceding[0] = permuted_conv(preceding[0], out_order=order)
            else:
                continue
            setattr(self, name, nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the block's output, plus ``x`` when the block keeps the shape."""
        out = super().forward(x)
        return out + x if self.residual else out
