"""Every backbone family inside YOLO11: train/val/predict, P2 heads, empty args, YAML errors."""

from __future__ import annotations

import copy

import pytest
import torch
from ultralytics import YOLO
from ultralytics.nn.tasks import DetectionModel, yaml_model_load

from yolo_lite.backbones import get_backbone
from yolo_lite.backbones.registry import FAMILIES

from .conftest import IMGSZ, TRAIN_ARGS

OTHER_FAMILIES = [f for f in FAMILIES if f != "starnet"]  # StarNet trains in test_api's shared fixture


@pytest.mark.parametrize("family", OTHER_FAMILIES)
def test_family_trains_validates_predicts(family, data_yaml, tmp_path):
    model = YOLO(f"yolo11n-{family}.yaml")
    model.train(data=str(data_yaml), project=str(tmp_path), name=family, **TRAIN_ARGS)
    metrics = model.val(data=str(data_yaml), imgsz=IMGSZ, batch=8, device="cpu", workers=0, plots=False)
    assert 0.0 <= metrics.box.map <= 1.0
    results = model.predict(torch.zeros(1, 3, IMGSZ, IMGSZ), imgsz=IMGSZ, device="cpu", verbose=False)
    assert results[0].boxes is not None


def _p2_model_dict(family: str) -> dict:
    """The shipped YAML with a fourth Detect input taken straight from slot 1 (stride 4)."""
    d = copy.deepcopy(yaml_model_load(f"yolo11n-{family}-scaled.yaml"))
    d["head"][-1] = [[1, 12, 15, 18], 1, "Detect", ["nc"]]
    return d


@pytest.mark.parametrize("family", FAMILIES)
def test_p2_head_takes_slot_1(family):
    model = DetectionModel(_p2_model_dict(family), verbose=False)
    assert model.stride.tolist() == [4, 8, 16, 32]
    assert model.model[-1].cv2[0][0].conv.in_channels == model.model[0].width_list[-4]  # the stride-4 feature


def test_fasternet_s_with_empty_args_builds():
    d = copy.deepcopy(yaml_model_load("yolo11n-starnet-scaled.yaml"))
    d["backbone"][0] = [-1, 1, "fasternet_s", []]
    model = DetectionModel(d, verbose=False)
    assert model.model[0].width_list == get_backbone("fasternet_s")(0.5, 0.25).width_list  # scale n
    assert model.stride.tolist() == [8, 16, 32]


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("args", [[0, 0.25], [0.5, True], ["x", 0.25], [0.5, -2]])
def test_bad_args_raise_value_error(family, args):
    d = copy.deepcopy(yaml_model_load(f"yolo11n-{family}.yaml"))
    d["backbone"][0][3] = args
    with pytest.raises(ValueError, match=r"(depth|width) must be a positive number"):
        DetectionModel(d, verbose=False)


@pytest.mark.parametrize("family", FAMILIES)
def test_backbone_runs_channels_last_from_an_nchw_input(family):
    """Every family lays its input out channels-last (oneDNN runs these backbones faster so on CPU: the docs'
    benchmark), so its features, and the Ultralytics neck after it, run channels-last from a plain NCHW tensor."""
    model = DetectionModel(f"yolo11n-{family}.yaml", verbose=False).eval()
    x = torch.rand(1, 3, IMGSZ, IMGSZ)
    with torch.no_grad():
        features = model.model[0](x)
    assert len(features) in (4, 5)
    assert all(f.is_contiguous(memory_format=torch.channels_last) and not f.is_contiguous() for f in features)


@pytest.mark.parametrize("family", FAMILIES)
def test_channels_last_model_gives_the_same_output(family):
    """Ultralytics' AutoBackend moves CPU models to channels_last before predict/val; every backbone must allow it."""
    model = DetectionModel(f"yolo11n-{family}.yaml", verbose=False).eval()
    x = torch.rand(1, 3, IMGSZ, IMGSZ, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        before = model(x)[0]
        after = model.to(memory_format=torch.channels_last)(x.contiguous(memory_format=torch.channels_last))[0]
    torch.testing.assert_close(before, after, rtol=1e-4, atol=1e-4)
