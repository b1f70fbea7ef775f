"""MicroNet backbones for YOLO.

Paper: "MicroNet: Improving Image Recognition with Extremely Low FLOPs", Yunsheng Li, Yinpeng Chen, Xiyang Dai,
Dongdong Chen, Mengchen Liu, Lu Yuan, Zicheng Liu, Lei Zhang, Nuno Vasconcelos, ICCV 2021.
https://arxiv.org/abs/2108.05894, official code https://github.com/liyunsheng13/micronet

MicroNet keeps connectivity and FLOPs low with Micro-Factorized convolutions: a ``k x 1`` then ``1 x k`` depthwise
convolution, and pointwise convolutions split into groups with a channel shuffle between them. Its activation,
Dynamic Shift-Max, mixes every channel with its neighbour in the next channel group, through coefficients that a small
squeeze-and-excite style MLP predicts from the input.

The variants are the released M0-M3 as the official training and evaluation scripts build them (``script/*.sh``: the
``backbone/microconfig.py`` table they name, stem channels and groups, Dynamic Shift-Max with ``ACT_MAX 2.0``,
``REDUCTION 8``, ``INIT_A``/``INIT_B``/``INIT_A_BLOCK3``, ``SHUFFLE True``, ``POINTWISE group``, ``DEPTHSEP True``).
At ``depth = width = 1`` every layer of the official ``features`` has a counterpart in :attr:`MicroNet.features` with
the same parameter shapes, and the official checkpoints load with
:meth:`~yolo_lite.backbones.base.Backbone.load_pretrained` (see :meth:`MicroNet.checkpoint_filter`).
"""

from __future__ import annotations

import math
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import groupby

import torch
from timm.layers import make_divisible as tf_make_divisible
from torch import nn

from .base import Backbone, check_multiplier, scale_depth
from .fusion import channel_order, permuted_conv
from .registry import register_backbone

__all__ = ["MicroNet"]

# Official ``backbone/micronet.py`` index of each part inside a block's ``layers`` Sequential, per block layout; the
# official indices that are missing here hold parameter-free modules (channel shuffles, placeholders).
OFFICIAL_LAYER_INDEX = {
    "dw_pw": {0: "dw", 1: "act2", 4: "pw2", 5: "act3"},
    "pw_dw_pw": {0: "pw1", 1: "act1", 3: "dw", 5: "act2", 7: "pw2", 8: "act3"},
    "pw": {0: "pw1", 1: "act1"},
}


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
        the groups rotate by one, then the channels within each group.
        """
        m = self.channels // self.groups
        if torch.jit.is_tracing():
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
        """The shift as exported graphs record it: two rotations of all channels, blended by a constant channel mask.

        Channel ``k`` takes ``k + m + 1`` (next group, next channel), or ``k + 1`` when it is the last of its group
        (indices mod ``channels``). Unlike the grouped reshape of the eager code this keeps the spatial dimensions
        apart, so runtimes that hold tensors channels-last or blocked (OpenVINO) need no layout reorders around it.
        The blend multiplies by exact 0s and 1s (NCNN has no select op), so finite values pass unchanged.
        """
        c, skip = self.channels, (m + 1) % self.channels
        across = torch.cat([x[:, skip:], x[:, :skip]], 1) if skip else x
        within = torch.cat([x[:, 1:], x[:, :1]], 1)
        last = [[[float(k % m == m - 1)]] for k in range(c)]  # (c, 1, 1): built as constants, no ops in the graph
        keep = [[[1.0 - flag[0][0]]] for flag in last]
        return across * x.new_tensor([keep]) + within * x.new_tensor([last])


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
        for i, (name, part) in enumerate(parts):
            if not isinstance(part, ChannelShuffle):
                continue
            order = channel_order(part, part.channels)
            after = parts[i + 1] if i + 1 < len(parts) else (None, None)
            before = next((p for p in reversed(parts[:i]) if not isinstance(p[1], nn.ReLU6)), (None, None))
            if isinstance(after[1], GroupConvBN):
                after[1][0] = permuted_conv(after[1][0], in_order=order)
            elif isinstance(before[1], GroupConvBN):
                before[1][0] = permuted_conv(before[1][0], out_order=order)
            else:
                continue
            setattr(self, name, nn.Identity())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return the block's output, plus ``x`` when the block keeps the shape."""
        out = super().forward(x)
        return out + x if self.residual else out


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

    def fuse(self) -> MicroNet:
        """Fold BN into the convolutions (:meth:`Backbone.fuse`), then the channel shuffles into the pointwise ones.

        Every shuffle next to a pointwise convolution (and the stem's) becomes part of that convolution's weights
        (:meth:`MicroBlock.fold_shuffles`): no copy at run time, and no reshape or transpose in exported graphs, around
        which runtimes reorder the memory layout. Outputs stay the same (allclose); running it twice changes nothing.

        Returns:
            (MicroNet): ``self``, fused.
        """
        super().fuse()
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
    """MicroNet-M3 (21M FLOPs at 224, 62.5% ImageNet top-1 in the paper), the largest; the shipped YAMLs' choice from scale s on."""
    return _create("micronet_m3", depth, width, **kwargs)
