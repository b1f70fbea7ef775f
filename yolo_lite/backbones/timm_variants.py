"""RepGhostNet at channel counts CPU kernels vectorize, registered as timm models (``repghostnet_080_c8``, ...).

Paper: "RepGhost: A Hardware-Efficient Ghost Module via Re-parameterization", Chengpeng Chen, Zichao Guo, Haien Zeng,
Pengfei Xiong, Jian Dong, 2022. https://arxiv.org/abs/2211.06088, official code https://github.com/ChengpengChen/RepGhost

timm's ``repghostnet_*`` scale the paper's channels by their width and round to multiples of 4, so the narrow ones
run 12- and 20-channel layers (x0.58: a 12-channel stem at half resolution, an 8-channel ghost module after it). CPU
kernels work on 8 or 16 channels at a time: ONNX Runtime's blocked layout takes multiples of 8 on AVX2 (16 on
AVX-512) and reorders the tensors of any other convolution to and from it, at full map size. The ``_c8`` variants are
timm's ``RepGhostNet`` built from the paper's table with every channel count rounded to a multiple of 8 instead; the
blocks, re-parameterization and ``features_only`` taps are timm's (use them through the ``timm`` row, with
``taps="last"`` for the stage ends). No released weights fit them: they train from scratch.

Examples:
    >>> import timm
    >>> import yolo_lite.backbones.timm_variants  # registers the names (the timm row imports it)
    >>> timm.create_model("repghostnet_058_c8", features_only=True).feature_info.channels()
    [16, 16, 24, 48, 96]
"""

from __future__ import annotations

from timm.data import IMAGENET_DEFAULT_MEAN, IMAGENET_DEFAULT_STD
from timm.layers import make_divisible
from timm.models import repghost
from timm.models._builder import build_model_with_cfg
from timm.models._registry import generate_default_cfgs, register_model

__all__ = ["ARCH", "DIVISOR", "WIDTHS", "scaled_arch"]  # timm's register_model appends the variant names

DIVISOR = 8  # channel multiple of the _c8 variants
WIDTHS = {  # each variant's width: the paper's channels times it, rounded to multiples of DIVISOR
    "repghostnet_050_c8": 0.5,
    "repghostnet_058_c8": 0.58,
    "repghostnet_066_c8": 0.66,  # between timm's x0.58 and x0.8: x0.58's outputs to stride 8, wider after it
    "repghostnet_080_c8": 0.8,
    "repghostnet_100_c8": 1.0,
}
# The paper's RepGhostNet at width 1, one list per stage of timm's (a downsampling block stands alone):
# kernel, expanded channels, output channels, squeeze-excite ratio, stride
ARCH = (
    ((3, 8, 16, 0, 1),),
    ((3, 24, 24, 0, 2),),
    ((3, 36, 24, 0, 1),),
    ((5, 36, 40, 0.25, 2),),
    ((5, 60, 40, 0.25, 1),),
    ((3, 120, 80, 0, 2),),
    ((3, 100, 80, 0, 1), (3, 120, 80, 0, 1), (3, 120, 80, 0, 1), (3, 240, 112, 0.25, 1), (3, 336, 112, 0.25, 1)),
    ((5, 336, 160, 0.25, 2),),
    ((5, 480, 160, 0, 1), (5, 480, 160, 0.25, 1), (5, 480, 160, 0, 1), (5, 480, 160, 0.25, 1)),
)


def scaled_arch(width: float, divisor: int = DIVISOR) -> list[list[list]]:
    """Return :data:`ARCH` with its channels scaled by ``width`` and rounded to multiples of ``divisor`` (timm's
    ``make_divisible``), as the ``cfgs`` of timm's ``RepGhostNet`` at width 1 (whose 16-channel stem is a multiple of 8).

    Examples:
        >>> scaled_arch(0.58)[0]  # the stride-2 block: 8 expanded channels, 16 out (timm's x0.58: 8 and 12)
        [[3, 8, 16, 0, 1]]
    """
    return [
        [[k, make_divisible(e * width, divisor), make_divisible(c * width, divisor), se, s] for k, e, c, se, s in stage]
        for stage in ARCH
    ]


def _create(variant: str, pretrained: bool = False, **kwargs) -> repghost.RepGhostNet:
    """Build timm's ``RepGhostNet`` at width 1 from :func:`scaled_arch` at the variant's :data:`WIDTHS` entry."""
    if pretrained:
        raise ValueError(f"timm model {variant} has no released weights (its channels are not the paper's)")
    return build_model_with_cfg(
        repghost.RepGhostNet,
        variant,
        pretrained=False,
        feature_cfg=dict(flatten_sequential=True),
        cfgs=scaled_arch(WIDTHS[variant]),
        width=1.0,
        **kwargs,
    )


def _cfg() -> dict:
    return {
        "num_classes": 1000, "input_size": (3, 224, 224), "pool_size": (7, 7), "interpolation": "bicubic",
        "mean": IMAGENET_DEFAULT_MEAN, "std": IMAGENET_DEFAULT_STD, "first_conv": "conv_stem",
        "classifier": "classifier", "license": "mit",
    }  # fmt: skip


default_cfgs = generate_default_cfgs({name: _cfg() for name in WIDTHS})


@register_model
def repghostnet_050_c8(pretrained: bool = False, **kwargs) -> repghost.RepGhostNet:
    """RepGhostNet-0.5x, channels in multiples of 8."""
    return _create("repghostnet_050_c8", pretrained, **kwargs)


@register_model
def repghostnet_058_c8(pretrained: bool = False, **kwargs) -> repghost.RepGhostNet:
    """RepGhostNet-0.58x, channels in multiples of 8."""
    return _create("repghostnet_058_c8", pretrained, **kwargs)


@register_model
def repghostnet_066_c8(pretrained: bool = False, **kwargs) -> repghost.RepGhostNet:
    """RepGhostNet-0.66x, channels in multiples of 8."""
    return _create("repghostnet_066_c8", pretrained, **kwargs)


@register_model
def repghostnet_080_c8(pretrained: bool = False, **kwargs) -> repghost.RepGhostNet:
    """RepGhostNet-0.8x, channels in multiples of 8."""
    return _create("repghostnet_080_c8", pretrained, **kwargs)


@register_model
def repghostnet_100_c8(pretrained: bool = False, **kwargs) -> repghost.RepGhostNet:
    """RepGhostNet-1.0x, channels in multiples of 8."""
    return _create("repghostnet_100_c8", pretrained, **kwargs)
