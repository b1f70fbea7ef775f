"""Every task with every family at scale n: build by name, train an epoch, validate, predict, export to ONNX."""

from __future__ import annotations

import subprocess
import sys
from operator import attrgetter
from pathlib import Path

import pytest
from ultralytics import YOLO

from yolo_lite.backbones.base import Backbone
from yolo_lite.data import make_synthetic_dataset
from yolo_lite.patches.yaml_lookup import TASK_SUFFIXES

from .conftest import IMGSZ, TRAIN_ARGS

FAMILIES = ("starnet", "fasternet", "micronet")
METRIC = {"segment": "seg.map", "pose": "pose.map", "obb": "box.map", "classify": "top1"}
RESULT = {"segment": "masks", "pose": "keypoints", "obb": "obb", "classify": "probs"}  # what predict() fills


@pytest.fixture(scope="session")
def task_data(tmp_path_factory) -> dict[str, Path]:
    """A 16 + 8 image synthetic dataset per task at 64 px: the data YAML, or the folder for classify."""
    root = tmp_path_factory.mktemp("task-data")
    return {task: make_synthetic_dataset(root / task, train=16, val=8, imgsz=IMGSZ, task=task) for task in METRIC}


def _image(data: Path) -> Path:
    folder = data / "val" if data.is_dir() else data.parent / "images" / "val"
    return next(folder.rglob("*.png"))


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("task", list(METRIC))
def test_task_trains_validates_predicts_and_exports(task, family, task_data, tmp_path):
    name = f"yolo11n-{TASK_SUFFIXES[task]}-{family}.yaml"
    model = YOLO(name)  # a bare name, found in yolo_lite.cfg; the task comes from it
    assert model.task == task and isinstance(model.model.model[0], Backbone)
    data = task_data[task]
    model.train(data=str(data), project=str(tmp_path), name=task, **TRAIN_ARGS)
    metrics = model.val(data=str(data), imgsz=IMGSZ, batch=8, device="cpu", workers=0, plots=False)
    assert 0.0 <= float(attrgetter(METRIC[task])(metrics)) <= 1.0
    image = _image(data)
    result = model.predict(image, imgsz=IMGSZ, conf=0.0, verbose=False)[0]
    assert getattr(result, RESULT[task]) is not None

    onnx = model.export(format="onnx", imgsz=IMGSZ, device="cpu")
    exported = YOLO(onnx, task=task).predict(image, imgsz=IMGSZ, conf=0.0, verbose=False)[0]
    assert getattr(exported, RESULT[task]) is not None
    if task == "classify":
        assert exported.probs.top1 == result.probs.top1


@pytest.mark.parametrize("task", ["segment", "classify"])
def test_stock_cli_trains_a_task_model(task, task_data, tmp_path):
    """`yolo segment train model=yolo11n-seg-starnet.yaml ...` in a process that never imports yolo_lite itself."""
    name = f"yolo11n-{TASK_SUFFIXES[task]}-starnet.yaml"
    yolo = Path(sys.executable).parent / "yolo"
    command = [
        str(yolo), task, "train", f"model={name}", f"data={task_data[task]}", "epochs=1", f"imgsz={IMGSZ}",
        "batch=8", "device=cpu", "workers=0", "plots=False", f"project={tmp_path}", "name=cli",
    ]
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "cli" / "weights" / "best.pt").is_file()
