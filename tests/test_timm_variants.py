"""RepGhostNet at channel multiples of 8, registered with timm: names, channels, the paper's blocks, no weights."""

from __future__ import annotations

import pytest
import timm
import torch
from timm.models import repghost
from torch import nn

from yolo_lite.backbones.timm_backbone import TimmBackbone
from yolo_lite.backbones.timm_variants import ARCH, DIVISOR, WIDTHS, scaled_arch

# each variant -> a timm RepGhostNet with the same blocks (the layout does not depend on the width; timm has no x0.66)
VARIANTS = {"repghostnet_050_c8": "repghostnet_050", "repghostnet_058_c8": "repghostnet_058",
            "repghostnet_066_c8": "repghostnet_058", "repghostnet_080_c8": "repghostnet_080",
            "repghostnet_100_c8": "repghostnet_100"}  # fmt: skip


def test_variants_are_timm_models():
    assert set(timm.list_models("repghostnet_*_c8")) == set(VARIANTS) == set(WIDTHS)
    assert not timm.list_pretrained("repghostnet_*_c8")


@pytest.mark.parametrize("name, paper", VARIANTS.items())
def test_every_block_has_channels_in_multiples_of_8_and_the_papers_layout(name, paper):
    ours, timms = timm.create_model(name), timm.create_model(paper)
    assert type(ours) is repghost.RepGhostNet
    blocks = [b for stage in ours.blocks[:-1] for b in stage]
    assert len(blocks) == sum(len(stage) for stage in ARCH) == sum(len(s) for s in timms.blocks[:-1])
    for block, theirs in zip(blocks, [b for stage in timms.blocks[:-1] for b in stage]):
        assert type(block) is type(theirs) and (block.conv_dw is None) == (theirs.conv_dw is None)
        assert (block.se is None) == (theirs.se is None)
        assert block.ghost1.primary_conv[0].out_channels % DIVISOR == 0
        assert block.ghost2.primary_conv[0].out_channels % DIVISOR == 0
    features = timm.create_model(name, features_only=True).feature_info.channels()
    assert all(c % DIVISOR == 0 for c in features)
    assert ours.conv_stem.out_channels == 16


def test_x066_keeps_x058s_outputs_to_stride_8_and_widens_after_it():
    channels = {name: timm.create_model(name, features_only=True).feature_info.channels() for name in VARIANTS}
    assert channels["repghostnet_058_c8"] == [16, 16, 24, 48, 96]
    assert channels["repghostnet_066_c8"] == [16, 16, 24, 56, 104]


def test_scaled_arch_rounds_to_8_where_timm_rounds_to_4():
    assert scaled_arch(0.58)[0] == [[3, 8, 16, 0, 1]]  # timm's x0.58: 8 expanded, 12 out
    assert scaled_arch(0.58, divisor=4)[0] == [[3, 8, 12, 0, 1]]
    assert scaled_arch(1.0, divisor=4) == [[list(block) for block in stage] for stage in ARCH]  # the paper's
    assert scaled_arch(1.0)[2] == [[3, 40, 24, 0, 1]]  # 36 expanded channels round up to 40


def test_timm_row_builds_trains_and_fuses(tmp_path):
    backbone = TimmBackbone("repghostnet_058_c8", taps="last")
    assert backbone.width_list == [16, 16, 24, 64, 96] and backbone.strides == [2, 4, 8, 16, 32]
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    sum(f.mean() for f in backbone(x)).backward()  # trains
    backbone.eval()
    with torch.no_grad():
        before = backbone(x)
        after = backbone.fuse()(x)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in backbone.modules())
    for a, b in zip(before, after):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4 * a.abs().max().item())


@pytest.mark.parametrize("weights", [True, "imagenet"])
def test_no_released_weights(weights):
    with pytest.raises(ValueError, match=r"timm has no pretrained weights for repghostnet_058_c8"):
        TimmBackbone("repghostnet_058_c8", weights=weights)
    with pytest.raises(ValueError, match=r"repghostnet_058_c8 has no released weights"):
        timm.create_model("repghostnet_058_c8", pretrained=True)
