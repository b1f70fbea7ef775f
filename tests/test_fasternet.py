"""FasterNet: declared features, scaling, timm parity, official and timm checkpoints, fusion, argument checks."""

from __future__ import annotations

import copy
import io
import re

import pytest
import timm
import torch
from timm.models.fasternet import Block, PatchEmbed, PatchMerging
from torch import nn
from ultralytics.nn.tasks import DetectionModel

from yolo_lite.backbones.base import scale_depth
from yolo_lite.backbones.fasternet import (
    CONFIGS,
    FasterNet,
    fasternet_l,
    fasternet_m,
    fasternet_s,
    fasternet_t0,
    fasternet_t1,
    fasternet_t2,
)
from yolo_lite.backbones.registry import get_backbone

VARIANTS = {
    "fasternet_t0": fasternet_t0,
    "fasternet_t1": fasternet_t1,
    "fasternet_t2": fasternet_t2,
    "fasternet_s": fasternet_s,
    "fasternet_m": fasternet_m,
    "fasternet_l": fasternet_l,
}


def randomize_bn(model: nn.Module, seed: int = 0) -> nn.Module:
    """Give every BatchNorm non-trivial statistics and affines, so outputs depend on the whole state dict.

    A fresh BatchNorm is the identity in eval mode; conv weights are random already.
    """
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
                m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
                m.bias.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
    return model.eval()


def to_official(state_dict: dict[str, torch.Tensor], feature_dim: int = 1280) -> dict[str, torch.Tensor]:
    """Return our state dict in the official release layout (the inverse of FasterNet.checkpoint_filter's mapping).

    Official ``stages`` is flat: stage ``i`` at ``2 * i``, the merging layer that starts stage ``i`` at ``2 * i - 1``,
    its conv and BN directly under it; the classifier (``avgpool_pre_head``, ``head``) is added as the release has it.
    """
    official = {}
    for key, value in state_dict.items():
        if merge := re.fullmatch(r"stages\.(\d+)\.downsample\.(.+)", key):
            key = f"stages.{2 * int(merge[1]) - 1}.{merge[2]}"
        elif stage := re.fullmatch(r"stages\.(\d+)\.blocks\.(.+)", key):
            key = f"stages.{2 * int(stage[1])}.blocks.{stage[2]}"
        official[key] = value.clone()
    last = state_dict[max(k for k in state_dict if k.endswith("mlp.3.weight"))].shape[0]
    official["avgpool_pre_head.1.weight"] = torch.randn(feature_dim, last, 1, 1)
    official["head.weight"] = torch.randn(1000, feature_dim)
    official["head.bias"] = torch.randn(1000)
    return official


class OfficialLayout(nn.Module):
    """A stand-in with the official release's module tree (names only): flat ``stages``, merging layers between."""

    def __init__(self, embed_dim: int, depths: tuple[int, ...], act_layer: type[nn.Module] = nn.ReLU):
        super().__init__()
        self.patch_embed = PatchEmbed(3, embed_dim)
        stages = []
        for i, blocks in enumerate(depths):
            if i:
                stages.append(PatchMerging(embed_dim * 2 ** (i - 1)))
            stages.append(Block(embed_dim * 2**i, blocks, 4, 2.0, [0.0] * blocks, 0.0, act_layer, use_merge=False))
        self.stages = nn.Sequential(*stages)
        self.avgpool_pre_head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Conv2d(embed_dim * 8, 1280, 1, bias=False))
        self.head = nn.Linear(1280, 1000)


@pytest.mark.parametrize("depth", [0.5, 1.0])
@pytest.mark.parametrize("width", [0.25, 0.5, 1.0, 1.5])
@pytest.mark.parametrize("name", VARIANTS)
def test_width_list_matches_outputs(name, width, depth):
    """``width_list``/``strides`` declare what ``forward`` returns (non-square input); every PConv split is valid."""
    model = VARIANTS[name](depth, width).eval()
    with torch.no_grad():
        features = model(torch.randn(1, 3, 64, 96))
    assert model.width_list == [f.shape[1] for f in features]
    assert model.strides == [4, 8, 16, 32]
    assert [(f.shape[2] * s, f.shape[3] * s) for f, s in zip(features, model.strides)] == [(64, 96)] * 4
    assert [len(stage.blocks) for stage in model.stages] == [scale_depth(d, depth) for d in CONFIGS[name]["depths"]]
    for stage, channels in zip(model.stages, model.width_list):
        for block in stage.blocks:
            pconv = block.spatial_mixing
            assert 1 <= pconv.dim_conv3 == channels // 4 < channels
            assert pconv.partial_conv3.in_channels == pconv.partial_conv3.out_channels == pconv.dim_conv3
            assert pconv.dim_conv3 + pconv.dim_untouched == channels
    for info in model.feature_info:
        assert model.get_submodule(info["module"]) is model.stages[int(info["module"].split(".")[1])]


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("size", [(640, 640), (96, 160)])
def test_forward_shapes(name, size):
    model = VARIANTS[name](0.5, 0.25).eval()
    with torch.no_grad():
        features = model(torch.zeros(1, 3, *size))
    expected = [(1, c, size[0] // s, size[1] // s) for c, s in zip(model.width_list, [4, 8, 16, 32])]
    assert [tuple(f.shape) for f in features] == expected


@pytest.mark.parametrize("name", VARIANTS)
def test_timm_weights_give_timm_features(name):
    """timm's classifier weights load strictly; features equal timm's ``features_only`` model and its intermediates."""
    torch.manual_seed(0)
    classifier = timm.create_model(name).eval()
    torch.manual_seed(0)
    reference = timm.create_model(name, features_only=True).eval()
    model = VARIANTS[name]().load_pretrained(classifier.state_dict()).eval()
    x = torch.randn(1, 3, 64, 96).contiguous(memory_format=torch.channels_last)  # the layout ours runs in
    with torch.no_grad():
        ours, theirs = model(x), reference(x)
    assert len(ours) == len(theirs) == 4
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)

    randomize_bn(classifier, seed=1)  # BN statistics and affines too, which a fresh model leaves at 0/1
    with torch.no_grad():
        theirs = classifier.forward_intermediates(x, intermediates_only=True)
        assert not torch.allclose(model(x)[-1], theirs[-1], atol=1e-3)  # the comparison tells the weights apart
        ours = model.load_pretrained(classifier.state_dict())(x)
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, b)


@pytest.mark.parametrize("name", ["fasternet_t0", "fasternet_t2"])
def test_official_layout_loads_strictly(name, tmp_path):
    """A checkpoint in the official release layout (file with classifier) loads strictly and gives the same outputs."""
    source = randomize_bn(VARIANTS[name]()).eval()
    official = to_official(source.state_dict())
    config = CONFIGS[name]
    stand_in = OfficialLayout(config["embed_dim"], config["depths"], config.get("act_layer", nn.ReLU))
    assert set(official) == set(stand_in.state_dict())  # the inverse mapping gives exactly the official names
    assert {k: v.shape for k, v in official.items()} == {k: v.shape for k, v in stand_in.state_dict().items()}
    assert "stages.1.reduction.weight" in official
    assert "stages.6.blocks.1.spatial_mixing.partial_conv3.weight" in official

    path = tmp_path / f"{name}.pth"
    torch.save(official, path)
    model = VARIANTS[name]().load_pretrained(path).eval()
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        for a, b in zip(model(x), source(x)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_official_layout_runs_like_the_official_network():
    """Weights placed in the official module tree and run in its order (stage, merge, stage, ...) give our features."""
    stand_in = randomize_bn(OfficialLayout(40, (1, 2, 8, 2), nn.GELU)).eval()
    model = fasternet_t0().load_pretrained({"state_dict": stand_in.state_dict()}).eval()
    x = torch.randn(1, 3, 64, 64).contiguous(memory_format=torch.channels_last)  # the layout ours runs in
    with torch.no_grad():
        y, expected = stand_in.patch_embed(x), []
        for i, layer in enumerate(stand_in.stages):
            y = layer(y)
            if i % 2 == 0:
                expected.append(y)
        for a, b in zip(model(x), expected):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_wrong_checkpoint_names_the_keys():
    state = timm.create_model("fasternet_t1").state_dict()
    with pytest.raises(ValueError, match=r"with another shape: patch_embed.proj.weight \(model \(40, 3, 4, 4\)"):
        fasternet_t0().load_pretrained(state)
    state = fasternet_t0().state_dict()
    state["extra.weight"] = state.pop("patch_embed.proj.weight")
    with pytest.raises(ValueError, match=r"1 missing: patch_embed.proj.weight; 1 unexpected: extra.weight$"):
        fasternet_t0().load_pretrained(state)
    with pytest.raises(ValueError, match=r": 48 unexpected: stages.1.blocks.1.mlp.0.weight, .*\(45 more\)$"):
        fasternet_t0(0.5, 1).load_pretrained(timm.create_model("fasternet_t0").state_dict())  # depth 0.5: 4 of 8


def test_depth_width_and_activation():
    assert [len(s.blocks) for s in fasternet_m(0.5, 1).stages] == [2, 2, 9, 2]  # 3-4-18-3 halved
    assert [len(s.blocks) for s in fasternet_t0(0.5, 1).stages] == [1, 1, 4, 1]  # at least one block stays
    assert fasternet_t0().width_list == [40, 80, 160, 320]
    assert fasternet_t0(1, 0.25).width_list == [16, 32, 64, 128]  # make_divisible(10, 8), then doubled
    assert fasternet_s(depth=0.5, width=0.5).width_list == fasternet_s(0.5, 0.5).width_list == [64, 128, 256, 512]
    assert get_backbone("fasternet_l") is fasternet_l
    for name, builder in VARIANTS.items():
        acts = {type(m) for m in builder(0.5, 0.25).modules() if isinstance(m, (nn.GELU, nn.ReLU))}
        assert acts == ({nn.GELU} if name in ("fasternet_t0", "fasternet_t1") else {nn.ReLU})


def test_pconv_mixes_only_its_split_and_trains():
    """PConv convolves the first ``dim // 4`` channels, passes the rest untouched, keeps its input; gradients flow."""
    model = fasternet_t0(0.5, 0.25).train()
    pconv = model.stages[1].blocks[0].spatial_mixing
    x = torch.randn(2, pconv.dim_conv3 + pconv.dim_untouched, 8, 8)
    before = x.clone()
    y = pconv(x)
    torch.testing.assert_close(x, before, rtol=0, atol=0)
    torch.testing.assert_close(y[:, pconv.dim_conv3 :], x[:, pconv.dim_conv3 :], rtol=0, atol=0)
    torch.testing.assert_close(y[:, : pconv.dim_conv3], pconv.partial_conv3(x[:, : pconv.dim_conv3]))
    sum(f.square().mean() for f in model(torch.randn(2, 3, 64, 64))).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.parameters())
    rates = [m.drop_prob for m in fasternet_t0(1, 0.25, drop_path_rate=0.1).modules() if hasattr(m, "drop_prob")]
    assert len(rates) == 12 and rates[-1] == pytest.approx(0.1)  # 13 blocks, the first at rate 0 (Identity)


def test_fuse_keeps_features_and_model_survives_copy_and_pickle():
    model = randomize_bn(fasternet_t1(0.5, 0.5)).eval()
    x = torch.randn(1, 3, 96, 64)
    with torch.no_grad():
        before = model(x)
        model.fuse()
        assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
        after = model(x)
        again = model.fuse()(x)
    for a, b, c in zip(before, after, again):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
        torch.testing.assert_close(b, c, rtol=0, atol=0)

    buffer = io.BytesIO()
    torch.save(copy.deepcopy(model), buffer)
    buffer.seek(0)
    restored = torch.load(buffer, weights_only=False)
    with torch.no_grad():
        for a, b in zip(after, restored(x)):
            torch.testing.assert_close(a, b, rtol=0, atol=0)


def test_yaml_builds_with_four_features():
    model = DetectionModel("yolo11n-fasternet-scaled.yaml", verbose=False).eval()
    assert model.model[0].width_list == fasternet_t0(0.5, 0.25).width_list  # empty args: scale n's depth and width
    assert model.stride.tolist() == [8, 16, 32]
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 64, 96))
    assert out[0].shape == (1, 84, 8 * 12 + 4 * 6 + 2 * 3)


@pytest.mark.parametrize(
    "depth, width", [(0, 1), (1, -1), (True, 1), (1, False), ("a", 1), (1, None), (float("nan"), 1)]
)
def test_bad_multipliers_raise_value_error(depth, width):
    with pytest.raises(ValueError, match="must be a positive number"):
        fasternet_s(depth, width)


@pytest.mark.parametrize("n_div", [0, 17, 2.0, True])
def test_bad_n_div_raises_value_error(n_div):
    with pytest.raises(ValueError, match="n_div must be an integer from 1 to the embedding channels"):
        FasterNet(embed_dim=40, depths=(1, 1, 1, 1), n_div=n_div, width=0.25)
