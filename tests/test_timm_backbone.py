"""Any timm model as a backbone: declared features, fusion, weights (file, URL, offline), errors, YOLO end to end."""

from __future__ import annotations

from pathlib import Path

import pytest
import timm
import torch
import yaml
from timm.models import repghost
from torch import nn
from ultralytics import YOLO

from yolo_lite.backbones import timm_backbone
from yolo_lite.backbones.timm_backbone import TimmBackbone

from .conftest import IMGSZ, TRAIN_ARGS, randomize_bn, run_python

TUTORIAL_YAML = Path(__file__).parent / "yolo11-starnet-tutorial.yaml"
# name: (strides, channels); MobileNetV4 has a stride-2 feature, RepViT starts at stride 4
MODELS = {
    "mobilenetv4_conv_small": ([2, 4, 8, 16, 32], [32, 32, 64, 96, 960]),
    "repvit_m0_9": ([4, 8, 16, 32], [48, 96, 192, 384]),
}


def _assert_same_tensors(a: nn.Module, b: nn.Module) -> None:
    sa, sb = a.state_dict(), b.state_dict()
    assert len(sa) == len(sb)
    for (ka, va), vb in zip(sa.items(), sb.values()):
        assert torch.equal(va, vb), ka


def _checkpoint(tmp_path: Path, name: str) -> Path:
    """Random weights of ``name`` in timm's classifier layout, as a file."""
    torch.manual_seed(1)
    path = tmp_path / f"{name}.pth"
    torch.save(timm.create_model(name).state_dict(), path)
    return path


@pytest.mark.parametrize("name", MODELS)
def test_declared_features_are_the_real_ones(name):
    backbone = TimmBackbone(name).eval()
    strides, channels = MODELS[name]
    assert backbone.strides == strides and backbone.width_list == channels
    assert backbone.model.feature_info.reduction() == strides  # timm returns exactly these, nothing else
    x = torch.rand(1, 3, 64, 96, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        features = backbone(x)
        # Ultralytics' AutoBackend runs CPU models channels-last
        last = backbone.to(memory_format=torch.channels_last)(x.contiguous(memory_format=torch.channels_last))
    assert [f.shape[1] for f in features] == channels
    assert [(64 // f.shape[2], 96 // f.shape[3]) for f in features] == [(s, s) for s in strides]
    for a, b in zip(features, last):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4 * a.abs().max().item())


@pytest.mark.parametrize("name", [*MODELS, "mobileone_s0", "resnet10t", "efficientvit_b0"])
def test_fuse_keeps_features_and_is_idempotent(name):
    backbone = randomize_bn(TimmBackbone(name))
    x = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before = backbone(x)
        after = backbone.fuse()(x)
        again = backbone.fuse()(x)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in backbone.modules())  # all folded (reparameterized)
    for a, b, c in zip(before, after, again):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4 * a.abs().max().item())
        torch.testing.assert_close(c, b, rtol=0, atol=0)


def test_fuse_folds_every_bn_but_one_whose_conv_output_is_a_feature():
    """RepGhostNet: the stride-2 dw blocks' BN folds too; the stem's stays (timm returns conv_stem's raw output).

    Its ghost modules' ReLU, out of place in timm (training untouched), runs in place once fused: the outputs stay.
    """
    backbone = randomize_bn(TimmBackbone("repghostnet_050"))
    ghosts = [m for m in backbone.modules() if isinstance(m, repghost.RepGhostModule) and isinstance(m.relu, nn.ReLU)]
    assert ghosts and not any(m.relu.inplace for m in ghosts)
    x = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before = backbone(x)
        after = backbone.fuse()(x)
    assert [name for name, m in backbone.named_modules() if isinstance(m, nn.BatchNorm2d)] == ["model.bn1"]
    assert all(m.relu.inplace for m in ghosts)
    for a, b in zip(before, after):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4 * a.abs().max().item())


def test_fuse_folds_the_stem_bn_when_its_feature_is_unread():
    """With the stride-2 feature unread, the stem's BN folds too: that feature then holds the stem's activations.

    (The in-place ReLU after the BN now runs on the conv's output tensor, the returned feature.) The others stay.
    """
    backbone = randomize_bn(TimmBackbone("repghostnet_050"))
    x = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before = backbone(x)
        stem = backbone.model.act1(backbone.model.bn1(before[0]))
        after = backbone.fuse(unread=(2,))(x)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in backbone.modules())
    for a, b in zip([stem, *before[1:]], after):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4 * a.abs().max().item())


def test_last_taps_return_each_strides_last_module_at_no_extra_compute():
    """RepGhostNet: timm taps each stride right after its strided block; ``taps="last"`` returns the stage's end.

    The same modules run (the deeper features need them), with the same weights; only which outputs are returned
    changes, and the stride-16 feature widens to the channels of the stage's last block.
    """
    timm_taps = TimmBackbone("repghostnet_050").eval()
    last = TimmBackbone("repghostnet_050", taps="last")
    assert last.training  # finding the taps runs a forward pass in eval mode, then restores the mode
    fresh = timm_taps.state_dict()
    assert all(torch.equal(v, fresh[k]) for k, v in last.state_dict().items() if "running" in k)  # BN stats as built
    assert list(last.model._modules) == list(timm_taps.model._modules)
    last.load_state_dict(timm_taps.state_dict())
    last.eval()
    x = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        outputs, h = {}, x
        for name, module in timm_taps.model.items():
            h = outputs[name] = module(h)
        features = last(x)
    ends = ["blocks_0", "blocks_2", "blocks_4", "blocks_6", "blocks_7"]
    assert list(timm_taps.model.return_layers) == ["conv_stem", "blocks_1", "blocks_3", "blocks_5", "blocks_7"]
    assert last.strides == timm_taps.strides == [2, 4, 8, 16, 32]
    assert last.width_list == [outputs[name].shape[1] for name in ends]
    assert last.width_list[3] > timm_taps.width_list[3]
    for feature, name in zip(features, ends):
        torch.testing.assert_close(feature, outputs[name], rtol=0, atol=0)


def test_fuse_with_last_taps_folds_every_bn_and_keeps_the_features():
    backbone = randomize_bn(TimmBackbone("repghostnet_050", taps="last"))
    x = torch.randn(1, 3, 64, 96, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        before = backbone(x)
        after = backbone.fuse()(x)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in backbone.modules())  # no feature is a raw conv output
    for a, b in zip(before, after):
        torch.testing.assert_close(b, a, rtol=1e-4, atol=1e-4 * a.abs().max().item())


@pytest.mark.parametrize(
    "name, taps, match",
    [
        ("repghostnet_050", "first", r"taps must be one of timm, last, got 'first'"),
        ("mobilenetv4_conv_small", "last", r"picks its feature modules itself \(MobileNetV3Features\).*drop the"),
    ],
)
def test_bad_taps_raise_value_error(name, taps, match):
    with pytest.raises(ValueError, match=match):
        TimmBackbone(name, taps=taps)


def test_yaml_row_takes_taps_and_refuses_a_fourth_arg(tmp_path):
    d = yaml.safe_load(TUTORIAL_YAML.read_text(encoding="utf-8"))
    d["backbone"][0] = [-1, 1, "timm", ["repghostnet_050", False, "last"]]
    cfg = tmp_path / "yolo11n-last.yaml"
    cfg.write_text(yaml.safe_dump(d))
    model = YOLO(cfg)
    backbone = model.model.model[0]
    assert isinstance(backbone, TimmBackbone) and backbone.taps == "last"
    assert backbone.width_list == TimmBackbone("repghostnet_050", taps="last").width_list
    path = tmp_path / "last.pt"
    model.save(path)
    assert YOLO(path).model.model[0].taps == "last"  # the checkpoint's YAML rebuilds the same taps
    d["backbone"][0] = [-1, 1, "timm", ["repghostnet_050", False, "last", 1]]
    cfg.write_text(yaml.safe_dump(d))
    with pytest.raises(ValueError, match=r"\[model_name, weights, taps\].*\[repghostnet_058, False, last\]"):
        YOLO(cfg)


def test_fuse_keeps_the_activation_of_batchnormact():
    backbone = randomize_bn(TimmBackbone("mobilenetv4_conv_small")).fuse()
    stem = backbone.model.blocks[0][0]  # ConvBnAct: conv, then BatchNormAct2d(ReLU)
    assert isinstance(stem.bn1, nn.Sequential) and isinstance(stem.bn1[-1], nn.ReLU)


@pytest.mark.parametrize("name", MODELS)
def test_weights_from_file_equal_timms_features_model(name, tmp_path):
    path = _checkpoint(tmp_path, name)
    backbone = TimmBackbone(name, weights=path)
    reference = timm.create_model(
        name, features_only=True, pretrained=True, pretrained_cfg_overlay=dict(file=str(path))
    )
    _assert_same_tensors(backbone.model, reference)
    stem, tensor = next(iter(torch.load(path, weights_only=True).items()))
    assert torch.equal(backbone.state_dict()[f"model.{stem}"], tensor)  # the file's, not a random init


def test_file_url_is_cached_under_torch_home(tmp_path, monkeypatch):
    name = "mobilenetv4_conv_small"
    path = _checkpoint(tmp_path, name)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    backbone = TimmBackbone(name, weights=path.as_uri())
    assert (tmp_path / "torch" / "hub" / "checkpoints" / path.name).is_file()
    _assert_same_tensors(backbone, TimmBackbone(name, weights=path))


@pytest.mark.parametrize("weights", [True, "imagenet"])
def test_offline_imagenet_names_the_file_and_the_fix(weights, tmp_path, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # read once, when huggingface_hub is imported
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf"))  # nothing cached
    hub = r"https://huggingface\.co/timm/mobilenetv4_conv_small\.\S+/model\.safetensors"
    expected = rf"weights of mobilenetv4_conv_small .*download {hub} by hand and pass its path"
    with pytest.raises(ValueError, match=expected):
        TimmBackbone("mobilenetv4_conv_small", weights=weights)


def test_weights_that_do_not_fit_raise(tmp_path):
    name = "repvit_m0_9"
    own = tmp_path / "own.pt"
    torch.save(TimmBackbone(name).state_dict(), own)  # features-only layout: timm's loader would skip every key
    with pytest.raises(ValueError, match=r"do not fit timm model repvit_m0_9: \d+ of its tensors .*load_pretrained"):
        TimmBackbone(name, weights=own)
    with pytest.raises(ValueError, match=r"weights file .*missing\.pth' for timm model repvit_m0_9 does not exist"):
        TimmBackbone(name, weights=tmp_path / "missing.pth")
    with pytest.raises(ValueError, match=r"no pretrained weights for starnet_s050; .*starnet_s1\.in1k"):
        TimmBackbone("starnet_s050", weights=True)


@pytest.mark.parametrize("name", MODELS)
def test_load_pretrained_takes_the_features_only_layout(name, tmp_path):
    source = TimmBackbone(name)
    torch.save(source.state_dict(), tmp_path / "own.pt")
    _assert_same_tensors(TimmBackbone(name).load_pretrained(tmp_path / "own.pt"), source)
    unprefixed = {k.removeprefix("model."): v for k, v in source.state_dict().items()}  # timm's features model
    _assert_same_tensors(TimmBackbone(name).load_pretrained(unprefixed), source)
    with pytest.raises(ValueError, match=r"classifier layout build TimmBackbone\('%s', weights=path\)" % name):
        TimmBackbone(name).load_pretrained(timm.create_model(name).state_dict())


@pytest.mark.parametrize(
    "name, match",
    [
        ("mobilenetv4_conv_smal", r"unknown timm model 'mobilenetv4_conv_smal'; similar names: mobilenetv4_conv_small"),
        ("resnet", r"unknown timm model 'resnet'; similar names: resnet18, .*\.\.\. \(\d+ more\)"),
        ("vit_tiny_patch16_224", r"strides \[16\] only, none at \[4, 8, 32\].*hierarchical model"),
    ],
)
def test_bad_model_raises_value_error(name, match):
    with pytest.raises(ValueError, match=match):
        TimmBackbone(name)


def test_model_without_features_raises_value_error(monkeypatch):
    monkeypatch.setattr(timm_backbone.timm, "create_model", lambda *args, **kwargs: nn.Identity())
    with pytest.raises(ValueError, match=r"'resnet18' does not support features_only=True"):
        TimmBackbone("resnet18")


def test_pickles_into_a_fresh_process(tmp_path):
    torch.save(TimmBackbone("mobilenetv4_conv_small").eval(), tmp_path / "backbone.pt")
    code = (
        "import torch\n"
        f"b = torch.load(r'{tmp_path / 'backbone.pt'}', weights_only=False)\n"
        "print(type(b).__name__, [f.shape[1] for f in b(torch.zeros(1, 3, 64, 64))])\n"
    )
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "TimmBackbone [32, 32, 64, 96, 960]" in result.stdout


@pytest.mark.parametrize("name", MODELS)
def test_yaml_trains_fuses_exports_and_reloads(name, data_yaml, tmp_path):
    import numpy as np
    import onnxruntime

    d = yaml.safe_load(TUTORIAL_YAML.read_text(encoding="utf-8"))
    d["backbone"][0] = [-1, 1, "timm", [name]]
    cfg = tmp_path / "yolo11n-timm.yaml"
    cfg.write_text(yaml.safe_dump(d))
    model = YOLO(cfg)
    assert isinstance(model.model.model[0], TimmBackbone) and model.model.model[0].type == f"timm.{name}"
    assert model.model.stride.tolist() == [8, 16, 32]
    model.train(data=str(data_yaml), project=str(tmp_path), name="train", **TRAIN_ARGS)
    best = Path(model.trainer.best)

    net = YOLO(best).model.float().eval()
    assert net.model[0].width_list == MODELS[name][1]
    x = torch.rand(1, 3, IMGSZ, IMGSZ, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = net(x)[0]
        net.fuse(verbose=False)
        after = net(x)[0]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in net.model[0].modules())
    torch.testing.assert_close(after, before, rtol=1e-4, atol=1e-4 * before.abs().max().item())

    onnx = YOLO(best).export(format="onnx", imgsz=IMGSZ, simplify=False, device="cpu")
    session = onnxruntime.InferenceSession(onnx, providers=["CPUExecutionProvider"])
    (exported,) = session.run(None, {session.get_inputs()[0].name: x.numpy()})
    np.testing.assert_allclose(exported, after.numpy(), rtol=1e-3, atol=1e-3 * after.abs().max().item())

    code = (
        "import numpy as np\nfrom ultralytics import YOLO\n"
        f"model = YOLO(r'{best}')\n"
        f"results = model.predict(np.zeros(({IMGSZ}, {IMGSZ}, 3), np.uint8), imgsz={IMGSZ}, device='cpu')\n"
        "print(type(model.model.model[0]).__name__, model.model.model[0].type, len(results))\n"
    )
    result = run_python(code, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"TimmBackbone timm.{name} 1" in result.stdout
