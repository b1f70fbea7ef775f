"""Tests of the MicroNet backbones: the official networks at width 1, scaling, outputs and checkpoint loading."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import torch

from yolo_lite.backbones.base import scale_depth
from yolo_lite.backbones.micronet import (
    ChannelShuffle,
    DynamicShiftMax,
    GroupConvBN,
    MicroNet,
    micronet_m0,
    micronet_m1,
    micronet_m2,
    micronet_m3,
)
from yolo_lite.backbones.registry import get_backbone

VARIANTS = {
    "micronet_m0": micronet_m0,
    "micronet_m1": micronet_m1,
    "micronet_m2": micronet_m2,
    "micronet_m3": micronet_m3,
}

# Measured from the official code (liyunsheng13/micronet, built as its scripts build M0-M3): parameters of
# ``features`` and channels@stride of each ``features`` layer.
OFFICIAL = {
    "micronet_m0": (128_910, "4@2 8@4 12@8 16@16 32@16 64@32 96@32 384@32"),
    "micronet_m1": (258_747, "6@2 8@4 16@8 16@16 32@16 64@32 96@32 576@32"),
    "micronet_m2": (577_372, "8@2 12@4 16@8 24@8 32@16 32@16 64@16 96@32 128@32 768@32"),
    "micronet_m3": (708_152, "12@2 16@4 24@8 24@8 32@16 32@16 64@16 80@16 80@16 120@32 120@32 144@32 864@32"),
}

# Our part of a block -> its index in the official block's ``layers`` (the inverse of MicroNet.checkpoint_filter's
# documented mapping), by the parts a block has.
OFFICIAL_INDEX = {
    "pw_dw_pw": {"pw1": 0, "act1": 1, "dw": 3, "act2": 5, "pw2": 7, "act3": 8},
    "dw_pw": {"dw": 0, "act2": 1, "pw2": 4, "act3": 5},
    "pw": {"pw1": 0, "act1": 1},
}


def official_table(variant: str) -> list[tuple[int, int]]:
    """Return the official ``(channels, stride)`` of every ``features`` layer of ``variant``."""
    return [tuple(int(n) for n in entry.split("@")) for entry in OFFICIAL[variant][1].split()]


def last_per_stride(table: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Return the last entry at each stride, in stride order."""
    return sorted({stride: (c, stride) for c, stride in table}.values(), key=lambda entry: entry[1])


def randomize(model: torch.nn.Module, seed: int = 0) -> torch.nn.Module:
    """Fill every float parameter and buffer (BN statistics too) with random values, so outputs depend on all."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if tensor.is_floating_point():
                noise = torch.rand(tensor.shape, generator=generator)
                tensor.copy_(noise + 0.5 if name.endswith("running_var") else noise - 0.5)
    return model


def to_official(model: MicroNet) -> dict[str, torch.Tensor]:
    """Return ``model``'s state dict in the official layout, with a classifier as the official checkpoints have."""
    state_dict = {}
    for key, value in model.state_dict().items():
        _, layer, part, rest = key.split(".", 3)
        if layer == "0":
            assert part == "conv", key
            official = f"features.0.stem.0.conv.{rest}"
        else:
            parts = {name for name, _ in model.features[int(layer)].named_children()}
            layout = "pw_dw_pw" if {"pw1", "dw"} <= parts else "dw_pw" if "dw" in parts else "pw"
            index = OFFICIAL_INDEX[layout][part]
            official = f"features.{layer}.layers.{index}.{rest if rest.startswith('fc.') else f'conv.{rest}'}"
        state_dict[official] = value.clone()
    state_dict["classifier.0.linear.0.weight"] = torch.zeros(640, model.width_list[-1])
    state_dict["classifier.2.linear.0.bias"] = torch.zeros(1000)
    return state_dict


def shift_index(channels: int, groups: int) -> torch.Tensor:
    """Return the source channel of every channel under Dynamic Shift-Max's shift (next channel, next group)."""
    return torch.arange(channels).view(groups, channels // groups).roll(-1, 0).roll(-1, 1).flatten()


def shuffle_index(channels: int, groups: tuple[int, ...]) -> torch.Tensor:
    """Return the source channel of every channel after ShuffleNet's shuffles by ``groups``, one after another."""
    order = torch.arange(channels)
    for g in groups:
        order = order.view(g, channels // g).t().reshape(channels)
    return order


def layer_shapes(model: MicroNet, x: torch.Tensor) -> list[tuple[int, int]]:
    """Run ``x`` through ``model.features`` layer by layer; return each output's ``(channels, stride)``."""
    shapes = []
    with torch.no_grad():
        for layer in model.features:
            x = layer(x)
            shapes.append((x.shape[1], 64 // x.shape[2]))
            assert x.shape[2] * shapes[-1][1] == 64 and x.shape[3] * shapes[-1][1] == 64
    return shapes


@pytest.mark.parametrize("variant", VARIANTS)
def test_official_network_at_width_one(variant):
    """At depth = width = 1 the declared layers and the parameter count are the official ``features``."""
    model = VARIANTS[variant]()
    params, _ = OFFICIAL[variant]
    assert sum(p.numel() for p in model.parameters()) == params
    assert len(model.features) == len(official_table(variant))
    assert [(info["num_chs"], info["reduction"]) for info in model.layer_info] == official_table(variant)
    assert [(info["num_chs"], info["reduction"]) for info in model.feature_info] == last_per_stride(
        official_table(variant)
    )
    assert model.strides == [2, 4, 8, 16, 32]


@pytest.mark.parametrize("variant", VARIANTS)
def test_forward_shapes_match_official_table(variant):
    """Real layer outputs at 64x64 have the official channels and strides, and feature_info names those layers."""
    model = VARIANTS[variant]().eval()
    assert layer_shapes(model, torch.randn(1, 3, 64, 64)) == official_table(variant)
    for info in model.feature_info:
        assert model.get_submodule(info["module"]) is model.features[int(info["module"].split(".")[1])]


@pytest.mark.parametrize("depth", [0.5, 1.0])
@pytest.mark.parametrize("width", [0.25, 0.5, 1.0, 1.5])
@pytest.mark.parametrize("variant", VARIANTS)
def test_width_list_matches_forward(variant, width, depth):
    """``width_list`` and ``strides`` declare exactly what ``forward`` returns, at every multiplier."""
    model = VARIANTS[variant](depth, width).eval()
    with torch.no_grad():
        outputs = model(torch.randn(2, 3, 64, 64))
    assert model.strides == [2, 4, 8, 16, 32]
    assert [o.shape[1] for o in outputs] == model.width_list
    assert [(o.shape[2], o.shape[3]) for o in outputs] == [(64 // s, 64 // s) for s in model.strides]
    assert [layer.out_channels for layer in model.features] == [info["num_chs"] for info in model.layer_info]
    assert layer_shapes(model, torch.randn(1, 3, 64, 64)) == [
        (info["num_chs"], info["reduction"]) for info in model.layer_info
    ]


@pytest.mark.parametrize("depth", [0.5, 1.5])
@pytest.mark.parametrize("variant", VARIANTS)
def test_depth_scales_blocks_per_stride(variant, depth):
    """``depth`` scales the blocks of every stride group, keeping at least one; the stem stays one layer."""
    official = Counter(stride for _, stride in official_table(variant))
    model = VARIANTS[variant](depth, 1.0)
    scaled = Counter(info["reduction"] for info in model.layer_info)
    assert scaled == {stride: 1 if stride == 2 else scale_depth(n, depth) for stride, n in official.items()}
    assert model.strides == [2, 4, 8, 16, 32]


def test_width_scales_channels():
    """Narrower and wider models have fewer and more parameters and channels, never zero channels."""
    params = [sum(p.numel() for p in micronet_m3(1.0, w).parameters()) for w in (0.25, 1.0, 1.5)]
    assert params[0] < params[1] < params[2]
    assert all(c > 0 for c in micronet_m3(1.0, 0.01).width_list)
    assert sum(micronet_m0(1.0, 1.5).width_list) > sum(micronet_m0().width_list)


@pytest.mark.parametrize("variant", VARIANTS)
def test_forward_640_and_non_square(variant):
    """Full-size and non-square inputs give maps of size input / stride."""
    model = VARIANTS[variant]().eval()
    with torch.no_grad():
        for h, w in [(640, 640), (96, 160)]:
            outputs = model(torch.randn(1, 3, h, w))
            assert [tuple(o.shape) for o in outputs] == [
                (1, c, h // s, w // s) for c, s in zip(model.width_list, model.strides)
            ]
            assert all(torch.isfinite(o).all() for o in outputs)


@pytest.mark.parametrize("variant", VARIANTS)
def test_official_layout_loads_strictly(variant, tmp_path):
    """An official-layout checkpoint (classifier included) loads strictly and reproduces the outputs."""
    source = randomize(VARIANTS[variant](), seed=1).eval()
    official = to_official(source)
    assert not set(official) & set(source.state_dict())  # every key is renamed, so the mapping is exercised

    model = VARIANTS[variant]().load_pretrained(official).eval()
    x = torch.randn(2, 3, 64, 96)
    with torch.no_grad():
        for a, b in zip(model(x), source(x)):
            assert torch.equal(a, b)

    path = tmp_path / f"{variant}.pth"
    torch.save({"state_dict": {f"module.{k}": v for k, v in official.items()}}, path)
    reloaded = VARIANTS[variant]().load_pretrained(path)
    assert all(torch.equal(v, source.state_dict()[k]) for k, v in reloaded.state_dict().items())


def test_own_layout_loads():
    """Our own state dict passes the filter unchanged."""
    source = randomize(micronet_m1(), seed=2)
    model = micronet_m1().load_pretrained(source.state_dict())
    assert all(torch.equal(v, source.state_dict()[k]) for k, v in model.state_dict().items())


def test_wrong_checkpoint_raises():
    """A checkpoint that does not fit names the missing, unexpected and wrongly shaped keys."""
    official = to_official(micronet_m0())
    missing = "features.4.layers.0.conv.0.weight"  # M0's fifth layer is a full block: its pw1 convolution
    del official[missing]
    official["features.4.layers.2.conv.0.weight"] = torch.zeros(1)  # a shuffle: holds no weights officially
    with pytest.raises(ValueError, match=r"1 missing: features\.4\.pw1\.0\.weight; 1 unexpected: features\.4\.layers\.2"):
        micronet_m0().load_pretrained(official)

    with pytest.raises(ValueError, match=re.escape("shape: features.0.conv.0.weight (model (2, 3, 3, 1), checkpoint (3, 3")):
        micronet_m0().load_pretrained(to_official(micronet_m1()))
    with pytest.raises(ValueError, match=r"72 unexpected: features.7.layers.3.conv.0.weight, .*; 162 with another shape"):
        micronet_m0().load_pretrained(to_official(micronet_m2()))


def test_dynamic_shift_max_shift_and_init():
    """With the coefficient predictor silenced, Dynamic Shift-Max is ``max_j(a_j x + b_j shift(x))`` at its inits."""
    act = DynamicShiftMax(9, groups=3, reduction=4, branches=2, init_a=(1.0, 0.5), init_b=(0.0, 0.5))
    torch.nn.init.zeros_(act.fc[2].weight)
    torch.nn.init.zeros_(act.fc[2].bias)
    x = torch.randn(2, 9, 3, 5)
    shifted = x[:, [4, 5, 3, 7, 8, 6, 1, 2, 0]]  # each channel takes the next channel of the next group (3 groups of 3)
    assert torch.allclose(act(x), torch.maximum(x, 0.5 * x + 0.5 * shifted))


@pytest.mark.parametrize("variant", VARIANTS)
def test_dynamic_shift_max_inits_follow_scripts(variant):
    """The two-branch Dynamic Shift-Max layers start as the official scripts set them (INIT_A, INIT_B)."""
    init_a, init_b = ((1.0, 0.5), (0.0, 0.5)) if variant == "micronet_m3" else ((1.0, 1.0), (0.0, 0.0))
    layers = [m for m in VARIANTS[variant]().modules() if isinstance(m, DynamicShiftMax) and m.branches == 2]
    assert layers
    for act in layers:
        torch.nn.init.zeros_(act.fc[2].weight)
        torch.nn.init.zeros_(act.fc[2].bias)
        x = torch.randn(1, act.fc[0].in_features, 4, 4)
        shifted = x[:, shift_index(act.channels, act.groups)]
        expected = torch.maximum(init_a[0] * x + init_b[0] * shifted, init_a[1] * x + init_b[1] * shifted)
        assert torch.allclose(act(x), expected)


@pytest.mark.parametrize("args", [(0, 1), (True, 1), ("a", 1), (1, -1)])
def test_bad_multipliers_raise(args):
    """Depth and width must be positive numbers."""
    with pytest.raises(ValueError, match="must be a positive number"):
        micronet_m0(*args)


def test_registered():
    """Every variant is registered under its own name."""
    assert all(get_backbone(name) is fn for name, fn in VARIANTS.items())


@pytest.mark.parametrize("variant", VARIANTS)
@pytest.mark.parametrize("width", [1.0, 0.75])
def test_shuffles_and_shifts_equal_gathers(variant, width):
    """Every shuffle and Dynamic Shift-Max equals its gather formulation bit for bit (they run as reshapes, slices and
    concatenations so that NCNN can convert them) in both memory layouts, and keeps its input's layout (Ultralytics'
    predictor runs channels-last); each block's pair of shuffles composes into one."""
    model = randomize(VARIANTS[variant](1.0, width))
    shuffles = [m for m in model.modules() if isinstance(m, ChannelShuffle)]
    acts = [m for m in model.modules() if isinstance(m, DynamicShiftMax)]
    assert shuffles and acts
    for fmt in (torch.contiguous_format, torch.channels_last):
        for shuffle in shuffles:
            assert len(shuffle.shuffles) <= 1
            x = torch.randn(2, shuffle.channels, 5, 3).to(memory_format=fmt)
            y = shuffle(x)
            assert torch.equal(y, x[:, shuffle_index(shuffle.channels, shuffle.groups)])
            assert y.is_contiguous(memory_format=fmt)  # channels-last stays channels-last: no copy back to NCHW
        for act in acts:
            x = torch.randn(2, act.channels, 5, 3).to(memory_format=fmt)
            with torch.no_grad():
                coeffs = (act.fc(x.mean((2, 3))) - 0.5) * (2 * act.act_max)
                coeffs = coeffs.view(2, act.branches, 2, act.channels, 1, 1)
                offsets = torch.tensor(act.offsets).view(act.branches, 2, 1, 1, 1)
                coeffs = coeffs + offsets
                shifted = x[:, shift_index(act.channels, act.groups)]
                mixes = [coeffs[:, j, 0] * x + coeffs[:, j, 1] * shifted for j in range(act.branches)]
                expected = mixes[0] if act.branches == 1 else torch.maximum(*mixes)
                y = act(x)
                assert torch.equal(y, expected) and y.is_contiguous(memory_format=fmt)


@pytest.mark.parametrize("groups", [(2,), (3, 4), (4, 6), (2, 3, 4), (1,), (12,), (6, 4, 2)])
def test_channel_shuffle_any_groups(groups):
    """Shuffles that compose into one run as one, others one after another; all equal the gather."""
    x = torch.randn(1, 12, 2, 2)
    assert torch.equal(ChannelShuffle(12, groups)(x), x[:, shuffle_index(12, groups)])


def test_channel_shuffle_bad_groups():
    """A group count that does not divide the channels is a ValueError that names both."""
    with pytest.raises(ValueError, match=r"\[5\] do not divide 12 channels"):
        ChannelShuffle(12, (3, 5))


def test_traced_graph_is_the_nchw_code():
    """MicroNet runs channels-last, but an exporter's trace records the NCHW shuffles (reshape, transpose) and shifts,
    not the permutes of the channels-last view, which converters such as X2Paddle cannot follow."""
    model = VARIANTS["micronet_m0"]().eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        traced = torch.jit.trace(model, x)
        graph = str(traced.inlined_graph)
        assert "aten::transpose" in graph and "aten::permute" not in graph
        for a, b in zip(traced(x), model(x)):  # the same values; convolutions may meet another layout, so not bitwise
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("variant", VARIANTS)
def test_traced_shift_equals_the_gather(variant):
    """The shift that exported graphs record equals the gather bit for bit, for every Dynamic Shift-Max, without a
    reshape that merges the spatial dimensions (OpenVINO reorders the layout around one) or a select (NCNN has none)."""
    acts = {(m.channels, m.groups): m for m in VARIANTS[variant]().modules() if isinstance(m, DynamicShiftMax)}
    for act in acts.values():
        x = torch.randn(1, act.channels, 3, 2)
        traced = torch.jit.trace_module(act, {"shift": x})
        assert torch.equal(traced.shift(x), x[:, shift_index(act.channels, act.groups)])
        assert not {node.kind() for node in traced.shift.graph.nodes()} & {"aten::reshape", "aten::view", "aten::where"}


def test_onnx_graph_keeps_the_grouped_reshape(tmp_path):
    """ONNX runtimes run NCHW, where the grouped reshape is the cheapest shift: ONNX exports record it (not the blend
    of :func:`test_traced_shift_equals_the_gather`), and ONNX Runtime gives the gather's values."""
    import onnx
    import onnxruntime as ort

    act = DynamicShiftMax(24, 4, 8).eval()

    class Shift(torch.nn.Module):
        def forward(self, x):
            return act.shift(x)

    x, path = torch.randn(1, 24, 5, 3), tmp_path / "shift.onnx"
    torch.onnx.export(Shift(), (x,), str(path), dynamo=False)
    ops = {node.op_type for node in onnx.load(str(path)).graph.node}
    assert {"Reshape", "Concat"} <= ops and "Mul" not in ops
    (y,) = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(None, {"x": x.numpy()})
    assert torch.equal(torch.from_numpy(y), x[:, shift_index(24, 4)])


@pytest.mark.parametrize("variant", VARIANTS)
def test_fuse_folds_the_shuffles_next_to_pointwise_convolutions(variant):
    """After ``fuse()`` the only shuffles left follow a Dynamic Shift-Max that no pointwise convolution follows (none
    in M3, whose blocks end in a convolution); outputs stay the same in both layouts and in the traced graph."""
    model = randomize(VARIANTS[variant](0.5, 0.5)).eval()
    x = torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        before = model(x)
        model.fuse()
        layouts = [model(x), model(x.contiguous(memory_format=torch.channels_last)), torch.jit.trace(model, x)(x)]
    for layer in model.features:
        parts = list(layer.children())
        for i, part in enumerate(parts):
            if isinstance(part, ChannelShuffle):
                following = parts[i + 1] if i + 1 < len(parts) else None
                assert isinstance(parts[i - 1], DynamicShiftMax) and not isinstance(following, GroupConvBN)
    remaining = sum(isinstance(m, ChannelShuffle) for m in model.modules())
    assert remaining == 0 if variant == "micronet_m3" else remaining > 0
    for after in layouts:
        for a, b in zip(before, after):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)


def test_classes_pickle_under_the_package_name():
    """Checkpoints name MicroNet's classes ``yolo_lite.backbones.micronet.<Class>``, as they did before the family
    became a package (layers, blocks, model), and a restricted load allows exactly those names."""
    from yolo_lite.safe_load import backbone_classes, pickled_globals

    model = micronet_m0(0.25, 0.25)
    ours = {name for name in pickled_globals(model) | pickled_globals(model.fuse()) if name.startswith("yolo_lite.")}
    assert "yolo_lite.backbones.micronet.MicroBlockConfig" in ours and "yolo_lite.backbones.micronet.MicroNet" in ours
    assert {name.rpartition(".")[0] for name in ours} == {"yolo_lite.backbones.micronet"}
    assert ours <= backbone_classes().keys()
