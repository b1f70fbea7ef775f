"""Fusion: BatchNorm folds into the convs inside every backbone, and outputs stay the same."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from ultralytics.nn.tasks import DetectionModel

from yolo_lite.backbones import get_backbone, list_backbones
from yolo_lite.backbones.fusion import channel_order, permuted_conv
from yolo_lite.patches.fuse import unread_strides

from .conftest import randomize_bn


def _count_bn(model: nn.Module) -> int:
    return sum(isinstance(m, nn.BatchNorm2d) for m in model.modules())


@pytest.mark.parametrize("name", list_backbones())
def test_fused_backbone_gives_the_same_features(name):
    model = randomize_bn(get_backbone(name)(0.5, 0.5))
    x = torch.randn(1, 3, 96, 64, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before = model(x)
        assert _count_bn(model) > 0
        after = model.fuse()(x)
    assert _count_bn(model) == 0
    for a, b in zip(before, after):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
    with torch.no_grad():
        again = model.fuse()(x)  # idempotent
    for a, b in zip(after, again):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_model_fuse_reaches_the_backbone():
    model = randomize_bn(DetectionModel("yolo11n-starnet.yaml", verbose=False))
    x = torch.rand(1, 3, 128, 128, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        before = model(x)[0]
        model.fuse(verbose=False)
        after = model(x)[0]
    assert _count_bn(model) == 0
    torch.testing.assert_close(before, after, rtol=1e-3, atol=1e-3)


def test_model_fuse_folds_the_stem_bn_only_when_no_layer_reads_slot_0():
    """``model.fuse()`` tells the layer-0 backbone which features no layer reads: shipped YAMLs read slots 2-4."""
    shipped = randomize_bn(DetectionModel("yolo26n-repghost.yaml", verbose=False))
    reads_stem = {  # a head that reads the stride-2 feature (slot 0)
        "nc": 2,
        "backbone": [[-1, 1, "timm", ["repghostnet_050"]]],
        "head": [[0, 1, "Conv", [24, 3, 4]], [[-1, 2], 1, "Concat", [1]], [[6, 3, 4], 1, "Detect", ["nc"]]],
    }
    kept = randomize_bn(DetectionModel(reads_stem, verbose=False))
    assert unread_strides(shipped) == (2, 4) and unread_strides(kept) == (4,)
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    for model, stem_bns in ((shipped, []), (kept, ["model.0.model.bn1"])):
        with torch.no_grad():
            before = model(x)[0]
            after = model.fuse(verbose=False)(x)[0]
        assert [n for n, m in model.named_modules() if isinstance(m, nn.BatchNorm2d)] == stem_bns
        torch.testing.assert_close(after, before, rtol=1e-4, atol=1e-4 * before.abs().max().item())


def test_fasternet_fuse_keeps_pconv_split_cat():
    """Fused PConv stays split-and-concat, without in-place copies: X2Paddle converts timm's slicing path wrongly."""
    from yolo_lite.backbones.fasternet import PartialConv

    model = get_backbone("fasternet_t0")(0.5, 0.5).eval().fuse()
    pconvs = [m for m in model.modules() if isinstance(m, PartialConv)]
    assert pconvs
    graph = torch.jit.trace(pconvs[0], torch.rand(1, pconvs[0].dim_conv3 + pconvs[0].dim_untouched, 8, 8)).graph
    kinds = {node.kind() for node in graph.nodes()}
    assert "aten::cat" in kinds and not kinds & {"aten::copy_", "aten::slice_scatter"}


@pytest.mark.parametrize("groups", [1, 2, 4])
@pytest.mark.parametrize("bias", [True, False])
def test_permuted_conv_is_the_conv_between_two_permutations(groups, bias):
    """``permuted_conv(conv, p, q)(x) == conv(x[:, p])[:, q]`` for grouped, strided, non-square convolutions."""
    generator = torch.Generator().manual_seed(4)
    conv = nn.Conv2d(8, 12, (1, 3), (1, 2), (0, 1), groups=groups, bias=bias)
    p, q = torch.randperm(8, generator=generator), torch.randperm(12, generator=generator)
    x = torch.randn(2, 8, 5, 7, generator=generator)
    with torch.no_grad():
        expected = conv(x[:, p])[:, q]
        for in_order, out_order, want in [(p, q, expected), (p, None, conv(x[:, p])), (None, q, conv(x)[:, q])]:
            folded = permuted_conv(conv, in_order, out_order)
            assert folded.groups == 1 and not folded.weight.requires_grad
            torch.testing.assert_close(folded(x), want, rtol=1e-5, atol=1e-5)


def test_channel_order_reads_a_permutation_module():
    """The order of a channel-reordering module is read off one pixel of channel indices."""
    order = torch.tensor([3, 0, 2, 1])
    assert torch.equal(channel_order(lambda x: x[:, order], 4), order)
