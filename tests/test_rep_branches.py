"""``rep_branches: True``: every 3x3 convolution after a YAML's backbone section trains as a RepConv and fuses back.

The model built with the key, once fused, must be the model built without it (same convolutions, same outputs as
before fusing), it must train, export and load in a fresh process (restricted too), and a wrong value is refused.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
import yaml
from ultralytics.cfg import get_cfg
from ultralytics.nn.modules.conv import Conv, DWConv, RepConv
from ultralytics.nn.tasks import DetectionModel, SegmentationModel

from yolo_lite.export_matrix import build_reference, check_export, get_format, reference_outputs
from yolo_lite.patches.yaml_lookup import CFG_DIR

from .conftest import IMGSZ, detection_batch, randomize_bn, run_python, save_checkpoint

CFG_26 = Path(__import__("ultralytics").__file__).parent / "cfg/models/26"
YAMLS = {  # a yolo-lite backbone row, and Ultralytics' own backbone (parse_model's other path)
    "repghost": CFG_DIR / "yolo26n-repghost.yaml",
    "stock": CFG_26 / "yolo26.yaml",
}
HEAD_START = {"repghost": 7, "stock": 11}  # the layer built from the head section's first row


def _with_branches(source: Path, folder: Path, value: object = True, name: str = "yolo26n-rb.yaml") -> Path:
    """Write ``source`` with ``rep_branches: value`` as ``folder / name`` (the task comes from the name)."""
    d = yaml.safe_load(source.read_text())
    d["rep_branches"] = value
    path = folder / name
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def _plain_3x3(module: torch.nn.Module) -> list[torch.nn.Module]:
    """The 3x3 Conv/DWConv layers under ``module``, but those inside a RepConv (its 3x3 branch)."""
    branches = {id(m.conv1) for m in module.modules() if isinstance(m, RepConv)}
    return [
        m
        for m in module.modules()
        if type(m) in (Conv, DWConv) and m.conv.kernel_size == (3, 3) and id(m) not in branches
    ]


def _rep_convs(module: torch.nn.Module) -> list[RepConv]:
    return [m for m in module.modules() if isinstance(m, RepConv)]


def _convs(model: torch.nn.Module) -> list[tuple]:
    return [(tuple(m.weight.shape), m.stride, m.groups) for m in model.modules() if isinstance(m, torch.nn.Conv2d)]


@pytest.mark.parametrize("source", YAMLS)
def test_every_head_3x3_conv_trains_with_branches(source, tmp_path):
    lite = DetectionModel(str(_with_branches(YAMLS[source], tmp_path)), verbose=False)
    stock = DetectionModel(str(YAMLS[source]), verbose=False)
    start = HEAD_START[source]
    assert type(lite.model[start]) is torch.nn.Upsample
    head = lite.model[start:]
    assert not _plain_3x3(head)
    # every 3x3 conv of the head section (neck Convs and C3k2s, Detect's cv2/cv3 and their one-to-one copies)
    assert len(_rep_convs(head)) == len(_plain_3x3(stock.model[start:])) + len(_rep_convs(stock.model[start:])) > 20
    assert {(m.conv1.conv.stride, m.conv1.conv.groups > 1) for m in _rep_convs(head)} == {
        ((1, 1), False),
        ((2, 2), False),
        ((1, 1), True),
    }
    assert _convs(lite.model[:start]) == _convs(stock.model[:start])  # the backbone section is untouched


@pytest.mark.parametrize("source", YAMLS)
def test_fused_model_is_the_model_without_branches(source, tmp_path):
    lite = randomize_bn(DetectionModel(str(_with_branches(YAMLS[source], tmp_path)), verbose=False))
    stock = DetectionModel(str(YAMLS[source]), verbose=False).eval().fuse(verbose=False)
    x = torch.rand(1, 3, IMGSZ, IMGSZ, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        before = lite(x)[0]
        lite.fuse(verbose=False)
        after = lite(x)[0]
    torch.testing.assert_close(before, after, rtol=1e-3, atol=1e-3)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in lite.model[HEAD_START[source] :].modules())
    assert _convs(lite) == _convs(stock)
    assert sum(p.numel() for p in lite.parameters()) == sum(p.numel() for p in stock.parameters())


def test_segment_head_fuses_back(tmp_path):
    """Task heads take the branches too (Segment's prototype convolutions): fused, the same outputs and convolutions."""
    path = _with_branches(CFG_26 / "yolo26-seg.yaml", tmp_path, name="yolo26n-seg-rb.yaml")
    lite = randomize_bn(SegmentationModel(str(path), verbose=False))
    stock = SegmentationModel(str(CFG_26 / "yolo26-seg.yaml"), verbose=False).eval().fuse(verbose=False)
    assert any(isinstance(m, RepConv) for m in lite.model[-1].proto.modules())
    x = torch.rand(1, 3, IMGSZ, IMGSZ, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        before = lite(x)
        lite.fuse(verbose=False)
        after = lite(x)
    torch.testing.assert_close(before[0], after[0], rtol=1e-3, atol=1e-3)  # detections with mask coefficients, protos
    assert _convs(lite) == _convs(stock)


def test_a_training_step_updates_the_branches(tmp_path):
    model = DetectionModel(str(_with_branches(YAMLS["repghost"], tmp_path)), nc=3, verbose=False).train()
    model.args = get_cfg()
    branches = [m.conv2.conv.weight for m in model.model[-1].modules() if isinstance(m, RepConv)]
    before = [w.detach().clone() for w in branches]
    batch = detection_batch()
    loss, _ = model.loss(batch)
    loss.sum().backward()
    torch.optim.SGD(model.parameters(), lr=0.01).step()
    assert sum(not torch.equal(a, b) for a, b in zip(before, branches)) > len(branches) // 2


@pytest.mark.parametrize("value", ["yes", 1, None])
def test_a_value_other_than_a_bool_is_refused(value, tmp_path):
    with pytest.raises(ValueError, match=r"rep_branches: .* must be True or False"):
        DetectionModel(str(_with_branches(YAMLS["stock"], tmp_path, value)), verbose=False)


def test_onnx_export_and_fresh_load(tmp_path):
    """The export matrix's ONNX check, and the checkpoint in a fresh process (also under ULTRALYTICS_SAFE_LOAD=1)."""
    path = _with_branches(YAMLS["repghost"], tmp_path)
    checkpoint, image, _ = build_reference(str(path), tmp_path / "reference")
    row = check_export(checkpoint, image, get_format("onnx"), reference_outputs(checkpoint, image), tmp_path)
    assert row["exports"] and row["runs"], row["error"]
    assert row["box_diff"] <= row["box_tol"] and row["score_diff"] <= row["score_tol"] and row["boxes_match"], row

    trained = save_checkpoint(DetectionModel(str(path), nc=3, verbose=False), tmp_path / "rb.pt")
    code = (
        "import numpy as np\nfrom ultralytics import YOLO\nfrom ultralytics.nn.modules.conv import RepConv\n"
        f"model = YOLO({str(trained)!r})\n"
        "print(sum(isinstance(m, RepConv) for m in model.model.modules()))\n"
        f"model.predict(np.zeros(({IMGSZ}, {IMGSZ}, 3), np.uint8), imgsz={IMGSZ}, device='cpu', verbose=False)\n"
    )
    for env in ({}, {"ULTRALYTICS_SAFE_LOAD": "1"}):
        result = run_python(code, tmp_path, **env)
        assert result.returncode == 0, result.stderr[-3000:]
        assert int(result.stdout.split()[0]) > 20  # the branches survive the round trip
