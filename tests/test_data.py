"""Synthetic datasets for every task: deterministic, labels that Ultralytics accepts and that match the pixels, and a
stock task model trains on each (one epoch, 64 px)."""

from __future__ import annotations

import hashlib
from operator import attrgetter
from pathlib import Path

import cv2
import numpy as np
import pytest

from yolo_lite.data import CLASS_NAMES, FLIP_IDX, KPT_SHAPE, TASKS, Shape, make_synthetic_dataset

from .conftest import IMGSZ, TRAIN_ARGS

YOLO_TASKS = ("detect", "segment", "pose", "obb")
STOCK = {
    "segment": "yolo11n-seg.yaml",
    "pose": "yolo11n-pose.yaml",
    "obb": "yolo11n-obb.yaml",
    "classify": "yolo11n-cls.yaml",
}
METRIC = {"segment": "seg.map", "pose": "pose.map", "obb": "box.map", "classify": "top1"}  # mAP50-95 or top-1


@pytest.fixture(scope="module")
def datasets(tmp_path_factory) -> dict[str, Path]:
    """One 32 + 16 image dataset per task at 64 px: the YAML path, or the directory for classify."""
    root = tmp_path_factory.mktemp("tasks")
    return {task: make_synthetic_dataset(root / task, train=32, val=16, imgsz=IMGSZ, task=task) for task in TASKS}


def _files(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` by relative path, with data.yaml's absolute ``path:`` line left out."""
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    if "data.yaml" in files:
        files["data.yaml"] = files["data.yaml"].replace(str(root).encode(), b"ROOT")
    return files


def _bright(image: np.ndarray) -> np.ndarray:
    """Pixels of the shapes (saturated and bright) as opposed to the dark, grey noise background."""
    hsv = cv2.cvtColor(image, cv2.COLOR_BGR2HSV)
    return ((hsv[..., 1] >= 100) & (hsv[..., 2] >= 150)).astype(np.uint8)


def _fill(polygons: list[np.ndarray], imgsz: int) -> np.ndarray:
    """Rasterize normalized ``(N, 2)`` polygons into one mask, on the pixels holding their points."""
    mask = np.zeros((imgsz, imgsz), np.uint8)
    cv2.fillPoly(mask, [np.floor(p * imgsz).astype(np.int32) for p in polygons], 1)
    return mask


def _labels(data: Path, split: str = "train"):
    """Yield ``(image, rows)`` for every image of a YOLO-layout split, ``rows`` the label file's float rows."""
    for image in sorted((data.parent / "images" / split).glob("*.png")):
        lines = (data.parent / "labels" / split / f"{image.stem}.txt").read_text().splitlines()
        yield cv2.imread(str(image)), [np.array(line.split(), float) for line in lines]


@pytest.mark.parametrize("task", TASKS)
def test_every_task_is_deterministic(task, tmp_path):
    seeds = (3, 3, 4)
    made = [
        make_synthetic_dataset(tmp_path / str(i), 4, 3, IMGSZ, seed=seed, task=task) for i, seed in enumerate(seeds)
    ]
    files = [_files(p if task == "classify" else p.parent) for p in made]
    assert len(files[0]) == (15 if task != "classify" else 7) and files[0] == files[1]
    assert files[0] != files[2]


def test_detect_pixels_and_labels_are_unchanged(tmp_path):
    """The docs' detect numbers were measured on these bytes: the refactor for other tasks must not move a pixel."""
    root = make_synthetic_dataset(tmp_path / "d", train=8, val=4, imgsz=IMGSZ, seed=0).parent
    digest = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.suffix == ".png":
            digest.update(cv2.imread(str(p), cv2.IMREAD_UNCHANGED).tobytes())
        elif p.suffix == ".txt":
            digest.update(p.read_bytes())
    assert digest.hexdigest() == "ef1e404766a86ac3555915ed14f1308ba9960be39ec5460348e46adeeba1d44b"  # pre-refactor


@pytest.mark.parametrize("task", YOLO_TASKS)
def test_ultralytics_accepts_the_labels(task, datasets):
    from ultralytics.data.utils import check_det_dataset, verify_image_label

    data = check_det_dataset(str(datasets[task]))
    assert data["names"] == dict(enumerate(CLASS_NAMES))
    assert data.get("kpt_shape") == (list(KPT_SHAPE) if task == "pose" else None)
    nkpt, ndim = data.get("kpt_shape", (0, 0))
    for split in ("train", "val"):
        for image in sorted(Path(data[split]).glob("*.png")):
            label = Path(data[split]).parent.parent / "labels" / split / f"{image.stem}.txt"
            _, lb, shape, segments, _, nm, nf, ne, nc, msg = verify_image_label(
                (str(image), str(label), "", task == "pose", len(CLASS_NAMES), nkpt, ndim, False)
            )
            assert (nm, nf, ne, nc, msg) == (0, 1, 0, 0, "") and shape == (IMGSZ, IMGSZ) and len(lb) >= 1
            assert len(segments) == (len(lb) if task in ("segment", "obb") else 0)  # obb: 4-point polygons
            assert all(len(s) == 4 for s in segments) if task == "obb" else True


def test_ultralytics_accepts_the_classify_folders(datasets):
    from ultralytics.data.utils import check_cls_dataset

    data = check_cls_dataset(datasets["classify"])
    assert data["names"] == dict(enumerate(sorted(CLASS_NAMES))) and data["nc"] == 3
    counts = {s: sorted(len(list((data[s] / name).glob("*.png"))) for name in CLASS_NAMES) for s in ("train", "val")}
    assert counts == {"train": [10, 11, 11], "val": [5, 5, 6]}  # classes in turn: balanced


def test_segment_polygons_are_the_shapes_outlines(datasets):
    ious = []
    for image, rows in _labels(datasets["segment"]):
        polygons = [row[1:].reshape(-1, 2) for row in rows]
        assert all(len(p) in (3, 4, 32) and (p >= 0).all() and (p < 1).all() for p in polygons)
        labelled, drawn = _fill(polygons, IMGSZ), _bright(image)
        ious.append((labelled & drawn).sum() / (labelled | drawn).sum())
    # Pixel-exact for polygons; an ellipse's 32-gon and cv2.ellipse differ by a pixel on the rim (a small ellipse at
    # 64 px: IoU ~0.87). Labels half a pixel off would bring the mean to ~0.87.
    assert min(ious) > 0.8 and np.mean(ious) > 0.95


def test_obb_boxes_hold_their_shapes(datasets):
    for image, rows in _labels(datasets["obb"]):
        boxes = [row[1:].reshape(4, 2) for row in rows]
        assert all((b >= 0).all() and (b < 1).all() for b in boxes)
        side = [np.linalg.norm(b[[1, 2, 3, 0]] - b, axis=1) for b in boxes]  # a rectangle: opposite sides equal
        assert all(np.allclose(s[:2], s[2:], atol=1e-5) for s in side)
        labelled, drawn = _fill(boxes, IMGSZ), _bright(image)
        assert (labelled & drawn).sum() >= 0.97 * drawn.sum()  # every shape inside its box
        assert labelled.sum() <= 2.2 * drawn.sum()  # and the boxes tight (a triangle fills half of its box)


def test_pose_keypoints_lie_on_the_outlines(datasets):
    for image, rows in _labels(datasets["pose"]):
        drawn = _bright(image)
        to_shape = cv2.distanceTransform(1 - drawn, cv2.DIST_L2, 3)  # pixels from the nearest shape pixel
        to_background = cv2.distanceTransform(drawn, cv2.DIST_L2, 3)  # pixels from the nearest background pixel
        for row in rows:
            keypoints = row[5:].reshape(KPT_SHAPE)
            assert (keypoints[:, 2] == 2).all()
            (cx, cy, w, h), xy = row[1:5], keypoints[:, :2]
            assert (np.abs(xy - (cx, cy)) <= np.array((w, h)) / 2 + 2e-6).all()  # inside the box (6 decimals)
            x, y = np.floor(xy * IMGSZ).astype(int).T
            assert (to_shape[y, x] <= 1.5).all() and (to_background[y, x] <= 1.5).all()  # on the edge


@pytest.mark.parametrize("cls", range(3))
def test_flip_idx_keeps_keypoints_right_under_ultralytics_fliplr(cls):
    from ultralytics.data.augment import RandomFlip
    from ultralytics.utils.instance import Instances

    for angle in (0.0, 20.0, -35.0):
        shape = Shape(cls, (20.0, 30.0), (9.0, 14.0), angle)
        mirrored = Shape(cls, (IMGSZ - 20.0, 30.0), (9.0, 14.0), -angle)
        keypoints = np.concatenate([shape.keypoints(), np.full((4, 1), 2.0)], 1)[None]
        x1, y1, x2, y2 = shape.box()
        instances = Instances(np.array([[x1, y1, x2, y2]]), np.zeros((1, 0, 2)), keypoints, "xyxy", normalized=False)
        flip = RandomFlip(p=1.0, direction="horizontal", flip_idx=list(FLIP_IDX))
        flipped = flip({"img": np.zeros((IMGSZ, IMGSZ, 3), np.uint8), "instances": instances})
        np.testing.assert_allclose(flipped["instances"].keypoints[0, :, :2], mirrored.keypoints(), atol=1e-9)
        mirror = np.c_[IMGSZ - shape.outline()[:, 0], shape.outline()[:, 1]]  # the same outline, mirrored
        distances = np.linalg.norm(mirrored.outline()[:, None] - mirror[None], axis=2)
        assert distances.min(0).max() < 1e-9 and distances.min(1).max() < 1e-9


@pytest.mark.parametrize("task", TASKS)
def test_bad_arguments_are_value_errors(task, tmp_path):
    with pytest.raises(ValueError, match="imgsz must be an integer >= 32"):
        make_synthetic_dataset(tmp_path, imgsz=16, task=task)
    with pytest.raises(ValueError, match="task must be one of detect, segment, pose, obb, classify"):
        make_synthetic_dataset(tmp_path, task="seg")
    if task == "classify":
        with pytest.raises(ValueError, match="val must be an integer >= 3"):
            make_synthetic_dataset(tmp_path, val=2, task=task)


@pytest.mark.parametrize("task", STOCK)
def test_stock_task_model_trains_one_epoch(task, datasets, tmp_path):
    from ultralytics import YOLO

    model = YOLO(STOCK[task])
    assert model.task == task
    model.train(data=str(datasets[task]), project=str(tmp_path), name="train", **TRAIN_ARGS)
    metrics = model.val(data=str(datasets[task]), imgsz=IMGSZ, batch=8, device="cpu", workers=0, plots=False)
    assert 0.0 <= float(attrgetter(METRIC[task])(metrics)) <= 1.0
