"""Stock checkpoints into yolo-lite models: neck and head move by role, the backbone stays, stock loads unchanged."""

from __future__ import annotations

import copy
import logging
import re
from pathlib import Path

import pytest
import torch
from ultralytics import YOLO
from ultralytics.nn import tasks
from ultralytics.nn.tasks import DetectionModel, yaml_model_load
from ultralytics.utils import LOGGER

from yolo_lite.patches.transfer import role_map
from yolo_lite.patches.yaml_lookup import CFG_DIR

from .conftest import TRAIN_ARGS, randomize_bn, save_checkpoint

YOLO11_NECK = {stock: stock - 4 for stock in range(9, 24)}  # yolo11n.yaml's SPPF ... Detect -> yolo11n-<tag>.yaml's


@pytest.fixture
def logged():
    """Collect the Ultralytics log lines of the test."""
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    LOGGER.addHandler(handler)
    yield lines
    LOGGER.removeHandler(handler)


def _stock_checkpoint(cfg: str, path: Path) -> Path:
    """Save a randomly initialised stock model (BatchNorm statistics too) as Ultralytics' trainer saves best.pt."""
    torch.manual_seed(0)
    model = randomize_bn(DetectionModel(cfg, verbose=False))
    for p in model.parameters():
        p.data.normal_(0, 0.1)
    return save_checkpoint(model, path)


@pytest.fixture(scope="module")
def stock_pt(tmp_path_factory) -> dict[str, Path]:
    """Stock YOLO11n and YOLO26n checkpoints, saved once for the module (read, never changed, by the tests)."""
    folder = tmp_path_factory.mktemp("stock")
    return {head: _stock_checkpoint(f"{head}n.yaml", folder / f"{head}n.pt") for head in ("yolo11", "yolo26")}


def _check_transfer(model: torch.nn.Module, stock: Path, pairs: dict[int, int], before: dict | None, logged: list[str]):
    """Every paired tensor of the same shape equals stock's, layer 0 is as ``before``, the log counts agree.

    Returns the number of paired tensors that moved and of those that did not (another shape).
    """
    source = torch.load(stock, map_location="cpu", weights_only=False)["model"].float().state_dict()
    own = model.state_dict()
    moved, reshaped = 0, 0
    for key, tensor in source.items():
        layer, name = re.match(r"model\.(\d+)\.(.*)", key).groups()
        if int(layer) not in pairs:
            continue
        ours = own.get(f"model.{pairs[int(layer)]}.{name}")
        if ours is not None and ours.shape == tensor.shape:
            assert torch.equal(ours, tensor), key
            moved += 1
        else:
            reshaped += 1
    if before is not None:
        assert all(torch.equal(v, before[k]) for k, v in model.model[0].state_dict().items())
    assert f"Transferred {moved}/{len(own)} items from pretrained weights" in logged
    return moved, reshaped


@pytest.mark.parametrize("family", ["starnet", "fasternet", "micronet"])
def test_stock_yolo11n_moves_its_neck_and_head_into_each_family(family, stock_pt, tmp_path, logged):
    stock = stock_pt["yolo11"]
    model = YOLO(f"yolo11n-{family}.yaml")
    before = copy.deepcopy(model.model.model[0].state_dict())
    model.load(stock)
    moved, reshaped = _check_transfer(model.model, stock, YOLO11_NECK, before, logged)
    head = {k for k in model.model.state_dict() if k.startswith(("model.6.", "model.19."))}  # C2PSA, Detect
    assert moved > 0.8 * (moved + reshaped) and head <= set(_equal_keys(model.model, stock, YOLO11_NECK))
    line = next(line for line in logged if line.startswith("yolo-lite: "))
    assert "moved stock layers 9-23 to 5-19 by role; not moved: stock layers 0-8 (Conv, C3k2)" in line


def _equal_keys(model: torch.nn.Module, stock: Path, pairs: dict[int, int]) -> list[str]:
    """Keys of ``model`` that equal the stock tensor of the same role."""
    source = torch.load(stock, map_location="cpu", weights_only=False)["model"].float().state_dict()
    own = model.state_dict()
    keys = []
    for key, tensor in source.items():
        layer, name = re.match(r"model\.(\d+)\.(.*)", key).groups()
        ours = f"model.{pairs.get(int(layer), -1)}.{name}"
        if ours in own and own[ours].shape == tensor.shape and torch.equal(own[ours], tensor):
            keys.append(ours)
    return keys


@pytest.mark.parametrize("family", ["starnet", "fasternet", "micronet"])
def test_stock_yolo26n_moves_into_each_familys_yolo26_head(family, stock_pt, tmp_path, logged):
    stock = stock_pt["yolo26"]
    model = YOLO(f"yolo26n-{family}.yaml")
    assert role_map(yaml_model_load("yolo26n.yaml"), model.model.yaml) == YOLO11_NECK  # the same rows as YOLO11's
    before = copy.deepcopy(model.model.model[0].state_dict())
    model.load(stock)
    moved, reshaped = _check_transfer(model.model, stock, YOLO11_NECK, before, logged)
    detect = {k for k in model.model.state_dict() if k.startswith("model.19.")}  # one2one branches included
    equal = set(_equal_keys(model.model, stock, YOLO11_NECK))
    assert any(".one2one_cv3." in k for k in detect)
    if model.model.yaml["backbone"][1][3][0] == 1024:  # yolo26.yaml's neck channels: the whole head fits
        assert detect <= equal
    else:  # a narrower neck (yolo26n-fasternet, -micronet): tensors of another shape start fresh, the rest move
        assert reshaped > 0 and any(k.startswith("model.19.") for k in equal) and not detect <= equal
    assert not any("another head" in line for line in logged)


def test_neck_blocks_take_the_c3k2s_outer_convolutions(stock_pt, tmp_path, logged):
    """A C3k2_Star row has C3k2's role: its cv1/cv2 move, its inner StarBlocks (another layout) start fresh."""
    stock = stock_pt["yolo11"]
    text = (CFG_DIR / "yolo11n-starnet.yaml").read_text()
    body, head = text.split("\nhead:\n")
    (tmp_path / "yolo11n-star-neck.yaml").write_text(f"{body}\nhead:\n{head.replace('C3k2,', 'C3k2_Star,')}")
    model = YOLO(tmp_path / "yolo11n-star-neck.yaml")
    assert role_map(yaml_model_load("yolo11n.yaml"), model.model.yaml) == YOLO11_NECK
    model.load(stock)
    moved = _equal_keys(model.model, stock, YOLO11_NECK)
    assert "model.15.cv2.conv.weight" in moved and "model.18.cv1.conv.weight" in moved
    assert not any(k.startswith("model.15.m.") for k in moved) and "model.19.cv2.0.0.conv.weight" in moved


def test_another_head_family_or_scale_moves_what_fits_and_warns(stock_pt, tmp_path, logged):
    stock = stock_pt["yolo26"]
    model = YOLO("yolo11n-starnet.yaml")
    model.load(stock)  # YOLO26's end2end head into a YOLO11 head: some shapes differ, nothing raises
    assert any("another head than this model (end2end True vs None, reg_max 1 vs None)" in line for line in logged)
    wide = _stock_checkpoint("yolo11s.yaml", tmp_path / "yolo11s.pt")
    model.load(wide)  # scale s into n: hardly any shape fits
    assert re.search(r"Transferred \d+/\d+ items", logged[-2]) and "for another shape 5.cv1" in logged[-1]


def test_rows_pair_only_with_inputs_of_the_same_role():
    # YOLOv8 has C2f where YOLO11 has C3k2, and no C2PSA: lined up from the end, no row has a YOLO11 row's role
    assert role_map(yaml_model_load("yolov8n.yaml"), yaml_model_load("yolo11n-starnet.yaml")) == {}
    seg = role_map(yaml_model_load("yolo11n-seg.yaml"), yaml_model_load("yolo11n-starnet.yaml"))
    assert seg == {s: o for s, o in YOLO11_NECK.items() if s != 23}  # the neck pairs, Segment is no Detect
    cls = role_map(yaml_model_load("yolo11n-cls.yaml"), yaml_model_load("yolo11n-cls-starnet.yaml"))
    assert cls == {8: 5, 9: 6, 10: 7}


@pytest.mark.parametrize("task", ["seg", "pose", "cls"])
def test_other_tasks_move_their_heads(task, tmp_path, logged):
    stock = YOLO(f"yolo11n-{task}.yaml")
    stock.save(tmp_path / "stock.pt")
    model = YOLO(f"yolo11n-{task}-starnet.yaml")
    pairs = role_map(stock.model.yaml, model.model.yaml)
    head = len(model.model.model) - 1
    assert pairs[max(pairs)] == head  # Segment, Pose, Classify: the last rows pair
    before = copy.deepcopy(model.model.model[0].state_dict())
    model.load(tmp_path / "stock.pt")
    _check_transfer(model.model, tmp_path / "stock.pt", pairs, before, logged)
    moved = [k for k in _equal_keys(model.model, tmp_path / "stock.pt", pairs) if k.startswith(f"model.{head}.")]
    assert len(moved) > 0.8 * sum(k.startswith(f"model.{head}.") for k in model.model.state_dict())


def test_trainer_route_moves_the_neck_and_head_and_freezes_the_backbone(stock_pt, data_yaml, tmp_path, logged):
    """train(pretrained="yolo11n.pt"), as Ultralytics users write it; the CLI's pretrained= takes the same path."""
    stock = stock_pt["yolo11"]
    model = YOLO("yolo11n-starnet.yaml")
    seen = {}

    def at_start(trainer):
        seen["model"] = copy.deepcopy(trainer.model)  # the class branch is rebuilt at stock's width for nc=3
        seen["frozen"] = {n for n, p in trainer.model.named_parameters() if not p.requires_grad}

    model.add_callback("on_train_start", at_start)
    model.train(data=str(data_yaml), project=str(tmp_path), name="t", pretrained=str(stock), freeze=5, **TRAIN_ARGS)
    trained = seen["model"]
    moved, _ = _check_transfer(trained, stock, YOLO11_NECK, None, logged)
    assert moved > 0.5 * len([k for k in trained.state_dict() if not k.startswith("model.0.")])
    assert any(line.startswith("yolo-lite: ") and "9-23 to 5-19" in line for line in logged)
    backbone = {n for n, _ in trained.named_parameters() if n.startswith("model.0.")}
    assert backbone and {n for n in seen["frozen"] if n.startswith("model.0.")} == backbone


def test_stock_to_stock_and_lite_to_lite_loads_are_ultralytics_own(stock_pt, tmp_path):
    stock = stock_pt["yolo11"]
    ckpt = torch.load(stock, map_location="cpu", weights_only=False)
    patched, original = DetectionModel("yolo11n.yaml", verbose=False), DetectionModel("yolo11n.yaml", verbose=False)
    patched.load(copy.deepcopy(ckpt))
    tasks.BaseModel.load.__wrapped__(original, copy.deepcopy(ckpt))
    assert all(torch.equal(v, original.state_dict()[k]) for k, v in patched.state_dict().items())
    lite = randomize_bn(DetectionModel("yolo11n-starnet.yaml", verbose=False))
    saved = torch.load(save_checkpoint(lite, tmp_path / "lite.pt"), map_location="cpu", weights_only=False)
    again = DetectionModel("yolo11n-starnet.yaml", verbose=False)
    again.load(saved)
    assert all(torch.equal(v, saved["model"].state_dict()[k].float()) for k, v in again.state_dict().items())
