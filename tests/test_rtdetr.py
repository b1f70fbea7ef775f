"""RT-DETR with every family: its own layer loop fills slots 1-4 from the backbone's list (Index rows from slot 0)."""

from __future__ import annotations

import pytest
import torch
from ultralytics import RTDETR
from ultralytics.nn.tasks import RTDETRDetectionModel

from yolo_lite.backbones.base import Backbone

from .conftest import TRAIN_ARGS

FAMILIES = ["starnet", "fasternet", "micronet"]


@pytest.mark.parametrize("family", FAMILIES)
def test_rtdetr_trains_validates_predicts_and_exports(family, data_yaml, tmp_path):
    model = RTDETR(f"rtdetr-{family}.yaml")
    net = model.model
    assert isinstance(net, RTDETRDetectionModel) and isinstance(net.model[0], Backbone)
    assert [m.f for m in net.model[1:5]] == [0, 0, 0, 0] and 0 in net.save
    with torch.no_grad():  # RT-DETR's own predict loop, not BaseModel._predict_once
        out = net.eval()(torch.zeros(1, 3, 64, 64))
    assert out[0].shape[:2] == (1, 300)  # 300 queries

    model.train(data=str(data_yaml), project=str(tmp_path), name="rtdetr", **TRAIN_ARGS)
    metrics = model.val(data=str(data_yaml), imgsz=TRAIN_ARGS["imgsz"], batch=8, device="cpu", workers=0, plots=False)
    assert 0.0 <= metrics.box.map <= 1.0 and metrics.box.map50 >= metrics.box.map
    image = next((data_yaml.parent / "images" / "val").glob("*.png"))
    result = model.predict(image, imgsz=TRAIN_ARGS["imgsz"], conf=0.0, verbose=False)[0]
    assert result.boxes.xyxy.shape[1] == 4 and len(result.boxes) > 0

    onnx = model.export(format="onnx", imgsz=TRAIN_ARGS["imgsz"], device="cpu")
    exported = RTDETR(onnx).predict(image, imgsz=TRAIN_ARGS["imgsz"], conf=0.0, verbose=False)[0]
    assert len(exported.boxes) > 0
    torch.testing.assert_close(exported.boxes.conf[:5], result.boxes.conf[:5], atol=1e-3, rtol=1e-3)
