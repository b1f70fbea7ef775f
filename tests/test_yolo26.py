"""YOLO26-head YAMLs (``yolo26<scale>-<family>.yaml``): found by name at every scale, and at n they train, validate,
predict NMS-free and export to ONNX with the end-to-end output that ``YOLO(onnx)`` reads back as PyTorch's boxes;
``yolo26n-repghost-nms.yaml`` does the same with NMS, as YOLO11 does."""

from __future__ import annotations

import numpy as np
import onnx as onnx_lib
import pytest
import torch
from ultralytics import YOLO

from yolo_lite.backbones.base import Backbone
from yolo_lite.data import synthetic_image
from yolo_lite.export_matrix import build_reference, match_detections
from yolo_lite.patches.yaml_lookup import shipped_models

from .conftest import IMGSZ, TRAIN_ARGS

FAMILIES = ("starnet", "fasternet", "micronet")
N_MODELS = (*FAMILIES, "repghost")  # yolo26n-<name>.yaml: the families' and the n-only timm RepGhostNet
SCALES = "nsmlx"
TASK_TWINS = {"seg": "Segment26", "pose": "Pose26", "obb": "OBB26"}


def test_shipped_and_listed_at_every_scale():
    for scale in SCALES:
        names = shipped_models(scale)
        assert {f"yolo26{scale}-{family}.yaml" for family in FAMILIES} <= set(names)
        for suffix, task in (("seg", "segment"), ("pose", "pose"), ("obb", "obb")):
            assert {f"yolo26{scale}-{suffix}-{family}.yaml" for family in FAMILIES} <= set(shipped_models(scale, task))


@pytest.mark.parametrize("family", FAMILIES)
def test_every_scale_builds_by_name_with_yolo26s_head(family, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # found from any working directory
    params = []
    for scale in SCALES:
        model = YOLO(f"yolo26{scale}-{family}.yaml").model
        head = model.model[-1]
        assert isinstance(model.model[0], Backbone)
        assert head.reg_max == 1 and head.one2one_cv2 is not None  # DFL-free, with the one-to-one (NMS-free) branch
        params.append(sum(p.numel() for p in model.parameters()))
    assert params == sorted(params) and len(set(params)) == len(params), params  # n < s < m < l < x


@pytest.mark.parametrize("suffix", TASK_TWINS)
def test_task_twins_build_with_yolo26_task_heads(suffix):
    model = YOLO(f"yolo26n-{suffix}-starnet.yaml")
    assert type(model.model.model[-1]).__name__ == TASK_TWINS[suffix] and model.model.model[-1].reg_max == 1
    with torch.no_grad():
        model.model.eval()(torch.zeros(1, 3, IMGSZ, IMGSZ))


def _detections(results) -> np.ndarray:
    boxes = results[0].boxes
    return np.c_[boxes.xyxy.numpy(), boxes.conf.numpy(), boxes.cls.numpy()].astype(np.float32)


@pytest.mark.parametrize("family", N_MODELS)
def test_n_trains_validates_and_predicts_with_either_head(family, data_yaml, tmp_path):
    model = YOLO(f"yolo26n-{family}.yaml")
    model.train(data=str(data_yaml), project=str(tmp_path), name="train", **TRAIN_ARGS)
    metrics = model.val(data=str(data_yaml), imgsz=IMGSZ, batch=8, device="cpu", plots=False, verbose=False)
    assert 0 <= metrics.box.map <= 1
    best, image = YOLO(model.trainer.best), synthetic_image(IMGSZ, seed=3)
    args = dict(imgsz=IMGSZ, device="cpu", conf=0.0, max_det=20, verbose=False)
    assert _detections(best.predict(image, nms=False, **args)).shape == (20, 6)  # one-to-one head, top 20, no NMS
    assert _detections(best.predict(image, **args)).shape[1] == 6  # one-to-many head and NMS, Ultralytics' default


@pytest.mark.parametrize("family", N_MODELS)
def test_end_to_end_onnx_export_gives_pytorchs_boxes(family, tmp_path):
    """``export(nms=False)`` writes the NMS-free graph; ``YOLO(onnx)`` reads its output as PyTorch's boxes."""
    checkpoint, image, _ = build_reference(f"yolo26n-{family}.yaml", tmp_path)  # calibrated: several clear boxes
    args = dict(imgsz=IMGSZ, device="cpu", verbose=False)
    expected = _detections(YOLO(checkpoint).predict(image, nms=False, **args))
    assert len(expected) >= 3
    onnx = YOLO(checkpoint).export(format="onnx", imgsz=IMGSZ, nms=False, simplify=False, device="cpu")
    output = onnx_lib.load(onnx).graph.output[0].type.tensor_type.shape
    # the top max_det (300) of the 84 anchors at 64 px (8x8 + 4x4 + 2x2): boxes, scores, classes, nothing left to do
    assert [d.dim_value for d in output.dim] == [1, 84, 6]
    got = _detections(YOLO(onnx, task="detect").predict(image, **args))
    assert match_detections(expected, got, 0.1, 1e-3)


def test_nms_head_file_trains_predicts_and_exports_like_yolo11(data_yaml, tmp_path):
    """yolo26n-repghost-nms.yaml: YOLO26's DFL-free head without its one-to-one branch trains, validates, predicts
    with NMS, and its ONNX export (the candidate boxes, as YOLO11's) gives PyTorch's boxes through ``YOLO(onnx)``."""
    model = YOLO("yolo26n-repghost-nms.yaml")
    head = model.model.model[-1]
    assert head.reg_max == 1 and getattr(head, "one2one_cv2", None) is None and not head.end2end
    model.train(data=str(data_yaml), project=str(tmp_path), name="train", **TRAIN_ARGS)
    metrics = model.val(data=str(data_yaml), imgsz=IMGSZ, batch=8, device="cpu", plots=False, verbose=False)
    assert 0 <= metrics.box.map <= 1
    checkpoint, image, _ = build_reference("yolo26n-repghost-nms.yaml", tmp_path / "reference")
    args = dict(imgsz=IMGSZ, device="cpu", verbose=False)
    expected = _detections(YOLO(checkpoint).predict(image, **args))
    assert len(expected) >= 3
    onnx = YOLO(checkpoint).export(format="onnx", imgsz=IMGSZ, simplify=False, device="cpu")
    output = onnx_lib.load(onnx).graph.output[0].type.tensor_type.shape
    assert [d.dim_value for d in output.dim] == [1, 84, 84]  # 4 box + 80 class channels for each of the 84 anchors
    got = _detections(YOLO(onnx, task="detect").predict(image, **args))
    assert match_detections(expected, got, 0.1, 1e-3)
