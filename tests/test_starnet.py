"""StarNet: declared features, timm parity, released weights, argument checks."""

from __future__ import annotations

import pytest
import timm
import torch

from yolo_lite.backbones import get_backbone, starnet_s1
from yolo_lite.backbones.starnet import CONFIGS

VARIANTS = sorted(CONFIGS)


@pytest.mark.parametrize("name", VARIANTS)
@pytest.mark.parametrize("width", [0.25, 0.5, 1.0, 1.5])
def test_width_list_matches_outputs(name, width):
    model = get_backbone(name)(0.5, width).eval()
    x = torch.zeros(1, 3, 64, 96)
    with torch.no_grad():
        features = model(x)
    assert model.width_list == [f.shape[1] for f in features]
    assert model.strides == [2, 4, 8, 16, 32]
    assert [(64 // f.shape[2], 96 // f.shape[3]) for f in features] == [(s, s) for s in model.strides]


@pytest.mark.parametrize("name", VARIANTS)
def test_timm_weights_give_timm_features(name):
    torch.manual_seed(0)
    classifier = timm.create_model(name).eval()
    torch.manual_seed(0)
    reference = timm.create_model(name, features_only=True).eval()
    model = get_backbone(name)(1, 1).load_pretrained(classifier.state_dict()).eval()
    x = torch.randn(2, 3, 96, 128)
    with torch.no_grad():
        ours, theirs = model(x), reference(x)
    assert len(ours) == 5 and len(theirs) == 4
    for a, b in zip(ours[1:], theirs):
        torch.testing.assert_close(a, b)


def test_official_checkpoint_file_loads(tmp_path):
    """The paper's release is ``{"state_dict": ...}`` with the classifier included: it loads strictly."""
    source = timm.create_model("starnet_s1")
    path = tmp_path / "starnet_s1.pth.tar"
    torch.save({"state_dict": source.state_dict()}, path)
    model = starnet_s1().load_pretrained(path)
    torch.testing.assert_close(model.stem[0].conv.weight, source.stem[0].conv.weight)


def test_wrong_checkpoint_names_the_keys():
    state = timm.create_model("starnet_s2").state_dict()
    with pytest.raises(ValueError, match=r"with another shape: stages.0.0.conv.weight \(model \(24, 32, 3, 3\), checkp"):
        starnet_s1().load_pretrained(state)
    state = starnet_s1().state_dict()
    state["extra.weight"] = state.pop("stem.0.conv.weight")
    with pytest.raises(ValueError, match=r"1 missing: stem.0.conv.weight; 1 unexpected: extra.weight$"):
        starnet_s1().load_pretrained(state)


def test_depth_scales_blocks_and_width_1_is_the_paper():
    assert [len(s) - 1 for s in starnet_s1(0.5, 1).stages] == [1, 1, 4, 2]  # depths 2-2-8-3, halved, at least 1
    assert sum(p.numel() for p in starnet_s1().parameters()) == sum(
        p.numel() for n, p in timm.create_model("starnet_s1").named_parameters() if not n.startswith(("norm", "head"))
    )
    assert get_backbone("starnet_s100")().width_list == [32, 20, 40, 80, 160]  # width 1 keeps 20 channels


def test_tiny_width_keeps_a_divisor_of_channels():
    assert starnet_s1(1, 0.01).width_list == [8, 8, 16, 32, 64]


def test_keyword_arguments():
    assert starnet_s1(depth=0.5, width=0.25).width_list == starnet_s1(0.5, 0.25).width_list == [8, 8, 16, 32, 64]


@pytest.mark.parametrize("depth, width", [(0, 1), (1, -0.5), (True, 1), (1, False), ("a", 1), (1, None), (float("nan"), 1)])
def test_bad_multipliers_raise_value_error(depth, width):
    with pytest.raises(ValueError, match="must be a positive number"):
        starnet_s1(depth, width)
