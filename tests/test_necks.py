"""Neck blocks (C3k2_Faster, C3k2_Star, C3k2_Rep): built by Ultralytics as C3k2 with its channels, then their inner
blocks swapped; they train, fuse, export within the export matrix's tolerance and load in a fresh process (restricted
too)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from timm.models.fasternet import MLPBlock
from timm.models.starnet import Block as StarBlock
from torch import nn
from ultralytics.cfg import get_cfg
from ultralytics.nn.modules.block import Bottleneck, C3k, C3k2, PSABlock
from ultralytics.nn.modules.conv import Conv, RepConv
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils.torch_utils import fuse_conv_and_bn

from yolo_lite.export_matrix import build_reference, check_export, get_format, reference_outputs
from yolo_lite.necks import C3k2_Faster, C3k2_Rep, C3k2_Star, FamilyC3k2, get_neck, list_necks
from yolo_lite.patches.yaml_lookup import CFG_DIR
from yolo_lite.safe_load import checkpoint_classes

from .conftest import IMGSZ, detection_batch, randomize_bn, run_python, save_checkpoint


def _rep_bottleneck(module: nn.Module) -> bool:
    return isinstance(module, Bottleneck) and isinstance(module.cv1, RepConv) and isinstance(module.cv2, RepConv)


INNER = {  # neck -> is this module one of its inner blocks
    "C3k2_Faster": lambda module: isinstance(module, MLPBlock),
    "C3k2_Star": lambda module: isinstance(module, StarBlock),
    "C3k2_Rep": _rep_bottleneck,
}
STOCK_YOLO26 = Path(__import__("ultralytics").__file__).parent / "cfg/models/26/yolo26.yaml"


def _neck_yaml(folder: Path, neck: str, head: str = "yolo11") -> Path:
    """Write ``yolo11n-starnet.yaml`` (or ``yolo26n.yaml``) with every C3k2 row of its head as ``neck``; return it.

    The backbone rows keep their C3k2 (yolo26n's backbone has four): only the neck's become the family's.
    """
    source = (CFG_DIR / "yolo11n-starnet.yaml") if head == "yolo11" else STOCK_YOLO26
    text = source.read_text()
    body, rows = text.split("\nhead:\n")
    rows = re.sub(r"\bC3k2\b", neck, rows)
    path = folder / f"{'yolo11n' if head == 'yolo11' else 'yolo26n'}-{neck.lower()}.yaml"
    path.write_text(f"{body}\nhead:\n{rows}")
    return path


def _stock_twin(path: Path, neck: str) -> Path:
    """Write the same YAML with the neck rows back to C3k2."""
    twin = path.with_name(path.name.replace(neck.lower(), "stock"))
    twin.write_text(re.sub(rf"\b{neck}\b", "C3k2", path.read_text()))
    return twin


@pytest.mark.parametrize("neck", list_necks())
@pytest.mark.parametrize("head", ["yolo11", "yolo26"])
def test_built_with_the_channels_ultralytics_gives_c3k2(neck, head, tmp_path):
    """Same layers, same cv1/cv2 shapes as the stock C3k2 rows; every inner Bottleneck is the family's block."""
    path = _neck_yaml(tmp_path, neck, head)
    lite = DetectionModel(str(path), verbose=False)
    stock = DetectionModel(str(_stock_twin(path, neck)), verbose=False)
    swapped = 0
    for a, b in zip(lite.model, stock.model):
        assert (a.i, a.f) == (b.i, b.f)
        if not isinstance(b, C3k2) or a.type.endswith(".C3k2"):
            continue
        swapped += 1
        assert type(a) is get_neck(neck) and a.type == f"yolo_lite.necks.{neck.split('_')[1].lower()}.{neck}"
        assert a.cv1.conv.weight.shape == b.cv1.conv.weight.shape and a.cv2.conv.weight.shape == b.cv2.conv.weight.shape
        assert a.np == sum(p.numel() for p in a.parameters()) != b.np
        for inner, stock_inner in zip(a.m, b.m):
            if isinstance(stock_inner, C3k):  # c3k=True: a CSP pair of family blocks on its hidden channels
                assert all(INNER[neck](m) for m in inner.m) and len(inner.m) == len(stock_inner.m)
            elif isinstance(stock_inner, nn.Sequential):  # attn=True: family block, then the PSABlock
                assert INNER[neck](inner[0]) and isinstance(inner[1], PSABlock)
            else:
                assert INNER[neck](inner)
    assert swapped == path.read_text().split("\nhead:\n")[1].count(neck) == 4
    x = torch.rand(1, 3, IMGSZ, IMGSZ)
    lite.eval()(x)


@pytest.mark.parametrize("neck", list_necks())
def test_a_training_step_updates_the_inner_blocks(neck, tmp_path):
    model = DetectionModel(str(_neck_yaml(tmp_path, neck)), nc=3, verbose=False).train()
    model.args = get_cfg()
    block = next(m for m in model.modules() if isinstance(m, FamilyC3k2))
    before = [p.detach().clone() for p in block.m.parameters()]
    batch = detection_batch()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    loss, _ = model.loss(batch)
    loss.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in block.m.parameters())
    optimizer.step()
    assert sum(not torch.equal(a, b) for a, b in zip(before, block.m.parameters())) > len(before) // 2


@pytest.mark.parametrize("neck", list_necks())
@pytest.mark.parametrize("c3k, attn", [(False, False), (True, False), (False, True)])
def test_fused_block_gives_the_same_output(neck, c3k, attn):
    """Every BatchNorm inside the family blocks folds (Ultralytics' own fuse() folds its Conv layers around them)."""
    block = randomize_bn(get_neck(neck)(32, 48, 2, c3k, 0.5, attn))
    x = torch.randn(1, 32, 16, 12, generator=torch.Generator().manual_seed(1))
    inner = [m for m in block.modules() if INNER[neck](m)]
    with torch.no_grad():
        before = block(x)
        assert len(inner) == (4 if c3k else 2) and _count_bn(inner) > 0
        after = block.fuse()(x)
    assert _count_bn(inner) == 0
    torch.testing.assert_close(before, after, rtol=1e-4, atol=1e-4)


def _count_bn(modules: list[nn.Module]) -> int:
    return sum(isinstance(m, nn.BatchNorm2d) for module in modules for m in module.modules())


@pytest.mark.parametrize("neck", list_necks())
def test_model_fuse_reaches_the_neck_blocks(neck, tmp_path):
    model = randomize_bn(DetectionModel(str(_neck_yaml(tmp_path, neck)), verbose=False))
    x = torch.rand(1, 3, IMGSZ, IMGSZ, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        before = model(x)[0]
        model.fuse(verbose=False)
        after = model(x)[0]
    assert not any(isinstance(m, nn.BatchNorm2d) for m in model.modules())
    torch.testing.assert_close(before, after, rtol=1e-3, atol=1e-3)


@pytest.fixture(scope="module", params=list_necks())
def neck_reference(request, tmp_path_factory):
    """A calibrated YOLO11n-StarNet with the neck block in its head: ``(checkpoint, image, outputs, work_dir)``."""
    work = tmp_path_factory.mktemp(request.param)
    checkpoint, image, _ = build_reference(str(_neck_yaml(work, request.param)), work / "reference")
    return checkpoint, image, reference_outputs(checkpoint, image), work


@pytest.mark.parametrize("key", ["onnx", "openvino", "ncnn"])
def test_export_reproduces_pytorch(neck_reference, key):
    checkpoint, image, outputs, work = neck_reference
    row = check_export(checkpoint, image, get_format(key), outputs, work)
    assert row["exports"] and row["runs"], row["error"]
    assert row["box_diff"] <= row["box_tol"] and row["score_diff"] <= row["score_tol"], row
    assert row["boxes_match"], row


def test_checkpoint_loads_fresh_and_restricted(tmp_path):
    files = {}
    for neck in list_necks():
        model = DetectionModel(str(_neck_yaml(tmp_path, neck)), nc=3, verbose=False)
        files[neck] = save_checkpoint(model, tmp_path / f"{neck}.pt")
        assert {name for _, name in checkpoint_classes(files[neck])} >= {f"{type(model.model[9]).__module__}.{neck}"}
    code = (
        "import numpy as np\nfrom ultralytics import YOLO\n"
        f"for name, f in {({k: str(v) for k, v in files.items()})!r}.items():\n"
        "    model = YOLO(f)\n"
        f"    model.predict(np.zeros(({IMGSZ}, {IMGSZ}, 3), np.uint8), imgsz={IMGSZ}, device='cpu', verbose=False)\n"
        "    print(name, type(model.model.model[9]).__name__)\n"
    )
    for env in ({}, {"ULTRALYTICS_SAFE_LOAD": "1"}):
        result = run_python(code, tmp_path, **env)
        assert result.returncode == 0, result.stderr[-3000:]
        assert {line for line in result.stdout.splitlines() if line.startswith("C3k2_")} == {
            f"{neck} {neck}" for neck in list_necks()
        }


def test_unknown_neck_name_lists_the_blocks(tmp_path):
    path = _neck_yaml(tmp_path, "C3k2_Faster")
    path.write_text(path.read_text().replace("C3k2_Faster", "C3k2_Fastr"))
    with pytest.raises(ValueError, match=r"unknown module 'C3k2_Fastr'.*C3k2_Faster, C3k2_Rep, C3k2_Star"):
        DetectionModel(str(path), verbose=False)


def test_blocks_are_c3k2_subclasses_with_its_signature():
    assert issubclass(C3k2_Faster, C3k2) and issubclass(C3k2_Star, C3k2) and issubclass(C3k2_Rep, C3k2)
    for cls in (C3k2_Faster, C3k2_Star, C3k2_Rep):
        block = cls(16, 32)
        assert block(torch.zeros(1, 16, 8, 8)).shape == (1, 32, 8, 8)


@pytest.mark.parametrize("c3k, attn", [(False, False), (True, False), (False, True)])
def test_fused_rep_block_has_the_convolutions_of_a_fused_c3k2(c3k, attn):
    """C3k2_Rep's branches cost training time only: fused, it holds the convolutions of a fused C3k2, in order."""
    rep = C3k2_Rep(32, 48, 2, c3k, 0.5, attn)
    assert sum(isinstance(m, RepConv) for m in rep.modules()) == 2 * (4 if c3k else 2)
    rep.fuse()
    stock = C3k2(32, 48, 2, c3k, 0.5, attn)
    for block in (rep, stock):  # Ultralytics' fuse() folds every Conv's BatchNorm (C3k2's, C3k's, PSABlock's)
        for conv in (m for m in block.modules() if type(m) is Conv):
            conv.conv, conv.forward = fuse_conv_and_bn(conv.conv, conv.bn), conv.forward_fuse
            del conv.bn

    def convolutions(block):
        return [(tuple(m.weight.shape), m.groups, m.bias is not None) for m in block.modules() if type(m) is nn.Conv2d]

    assert convolutions(rep) == convolutions(stock)
    assert not any(isinstance(m, nn.BatchNorm2d) for m in rep.m.modules()) and rep.fuse() is rep
