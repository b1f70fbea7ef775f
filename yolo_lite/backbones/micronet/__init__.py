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

Modules: ``layers`` (Micro-Factorized convolutions, shuffles, Dynamic Shift-Max), ``blocks`` (a table row, the stem,
the block), ``model`` (the network, the variants' table, the variant functions). Every class is named from this
package (``yolo_lite.backbones.micronet.MicroBlock``), as checkpoints saved before the split pickled them.
"""

from .blocks import MicroBlock, MicroBlockConfig, MicroStem
from .layers import ChannelShuffle, DynamicShiftMax, GroupConvBN, MicroFactorizedConv, is_channels_last
from .model import MicroNet, micronet_m0, micronet_m1, micronet_m2, micronet_m3

__all__ = [
    "ChannelShuffle",
    "DynamicShiftMax",
    "GroupConvBN",
    "MicroBlock",
    "MicroBlockConfig",
    "MicroFactorizedConv",
    "MicroNet",
    "MicroStem",
    "is_channels_last",
    "micronet_m0",
    "micronet_m1",
    "micronet_m2",
    "micronet_m3",
]

# Checkpoints pickle a class under its module's name, and restricted loads allow exactly the names they were told; one
# public name per class keeps every checkpoint (from before or after the split) loadable, wherever the code lives.
for _cls in (
    ChannelShuffle, DynamicShiftMax, GroupConvBN, MicroBlock, MicroBlockConfig, MicroFactorizedConv, MicroNet, MicroStem
):  # fmt: skip
    _cls.__module__ = __name__
del _cls
