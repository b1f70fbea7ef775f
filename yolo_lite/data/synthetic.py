"""Deterministic synthetic datasets for every Ultralytics task: no downloads, built in about a second.

Each image shows filled shapes on a noisy background: class 0 rectangles, class 1 ellipses, class 2 triangles, each
class in its own colour range, so a model learns it within a few epochs on a CPU.

==========  =====================================================================================================
task        what is written
==========  =====================================================================================================
detect      upright shapes that may overlap; boxes
segment     shapes turned at any angle, apart from each other; outline polygons (32 points for an ellipse)
pose        upright shapes, apart; box and 4 keypoints: a rectangle's corners, an ellipse's points on its box
            diagonals, a triangle's apex (twice) and base corners; ``kpt_shape: [4, 3]``, ``flip_idx: [1, 0, 3, 2]``
obb         shapes turned at any angle, apart; the rotated box each one fills (rectangle) or touches
classify    one large shape per image, turned at any angle, in ``{train,val}/<class>/``; classes in turn
==========  =====================================================================================================

Examples:
    >>> from yolo_lite.data import make_synthetic_dataset
    >>> data = make_synthetic_dataset("datasets/shapes")  # returns the data YAML's path
    >>> # YOLO("yolo11n-starnet.yaml").train(data=data, epochs=3, imgsz=128)
    >>> seg = make_synthetic_dataset("datasets/shapes-seg", task="segment")  # YOLO("yolo11n-seg.yaml")
    >>> cls = make_synthetic_dataset("datasets/shapes-cls", task="classify")  # a folder, for YOLO("yolo11n-cls.yaml")
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import cv2
import numpy as np
import yaml

from .labels import FLIP_IDX, KPT_SHAPE, LABELERS
from .scenes import overlapping_scene, separate_scene, single_shape_image
from .shapes import CLASS_NAMES

__all__ = ["TASKS", "make_synthetic_dataset", "synthetic_image"]

TASKS = ("detect", "segment", "pose", "obb", "classify")
_SCENES = {  # (rng, imgsz, max_objects) -> (image, shapes), for the tasks written in the YOLO layout
    "detect": overlapping_scene,
    "segment": partial(separate_scene, max_angle=180.0),
    "pose": partial(separate_scene, max_angle=0.0),  # upright, so that "top-left" names one corner
    "obb": partial(separate_scene, max_angle=180.0),
}


def make_synthetic_dataset(
    root: str | Path | None = None,
    train: int = 256,
    val: int = 32,
    imgsz: int = 128,
    max_objects: int = 3,
    seed: int = 0,
    *,
    task: str = "detect",
) -> Path:
    """Write a dataset for ``task`` under ``root`` and return what ``model.train(data=...)`` takes for it.

    The same arguments give the same files, byte for byte.

    Args:
        root (str | Path | None): Output directory; None means ``datasets/yolo-lite-shapes`` for detect and
            ``datasets/yolo-lite-shapes-<task>`` otherwise. Detect, segment, pose and obb write
            ``images/{train,val}``, ``labels/{train,val}`` and ``data.yaml``; classify writes ``{train,val}/<class>``.
        train (int): Number of training images; the default 256 learns detect to mAP50 ~0.7 in 15 epochs at batch 16.
        val (int): Number of validation images.
        imgsz (int): Side of the square images in pixels.
        max_objects (int): At most this many objects per image (at least one); classify draws one.
        seed (int): Random seed.
        task (str): One of :data:`TASKS`: ``"detect"``, ``"segment"``, ``"pose"``, ``"obb"``, ``"classify"``.

    Returns:
        (Path): ``root / "data.yaml"``, or ``root`` itself for classify (Ultralytics takes a directory there).

    Raises:
        ValueError: ``task`` is not one of :data:`TASKS`, a count or size is not a positive integer, ``imgsz`` is
            under 32, or classify is asked for fewer images than classes in a split.

    Examples:
        >>> make_synthetic_dataset("datasets/shapes-pose", train=64, val=16, imgsz=64, task="pose").name
        'data.yaml'
        >>> make_synthetic_dataset("datasets/shapes-cls", task="classify").name
        'shapes-cls'
    """
    if task not in TASKS:
        raise ValueError(f"make_synthetic_dataset: task must be one of {', '.join(TASKS)}, got {task!r}")
    low_count = len(CLASS_NAMES) if task == "classify" else 1  # a classification split needs every class's folder
    for name, value, low in (
        ("train", train, low_count),
        ("val", val, low_count),
        ("imgsz", imgsz, 32),
        ("max_objects", max_objects, 1),
    ):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"make_synthetic_dataset: {name} must be an integer >= {low}, got {value!r}")
    if root is None:
        root = Path("datasets") / ("yolo-lite-shapes" if task == "detect" else f"yolo-lite-shapes-{task}")
    root, rng = Path(root).resolve(), np.random.default_rng(seed)
    splits = (("train", train), ("val", val))
    if task == "classify":
        return _write_classify(root, splits, imgsz, rng)
    return _write_yolo(root, task, splits, imgsz, max_objects, rng)


def _write_yolo(root: Path, task: str, splits: tuple, imgsz: int, max_objects: int, rng: np.random.Generator) -> Path:
    """Write images, one label file per image and ``data.yaml`` in the YOLO layout; return the YAML's path."""
    for split, count in splits:
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            image, shapes = _SCENES[task](rng, imgsz, max_objects)
            cv2.imwrite(str(root / "images" / split / f"{i:05d}.png"), image)
            lines = [LABELERS[task](shape, imgsz) for shape in shapes]
            (root / "labels" / split / f"{i:05d}.txt").write_text("\n".join(lines) + "\n")
    data = {"path": str(root), "train": "images/train", "val": "images/val", "names": dict(enumerate(CLASS_NAMES))}
    if task == "pose":
        data.update(kpt_shape=list(KPT_SHAPE), flip_idx=list(FLIP_IDX))
    (root / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root / "data.yaml"


def _write_classify(root: Path, splits: tuple, imgsz: int, rng: np.random.Generator) -> Path:
    """Write ``root/<split>/<class>/<index>.png``, the classes in turn; return ``root``."""
    for split, count in splits:
        for i in range(count):
            cls = i % len(CLASS_NAMES)
            folder = root / split / CLASS_NAMES[cls]
            folder.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / f"{i:05d}.png"), single_shape_image(rng, imgsz, cls))
    return root


def synthetic_image(imgsz: int = 64, seed: int = 0, max_objects: int = 3) -> np.ndarray:
    """Return one image of the synthetic set's kind (BGR, ``uint8``, ``imgsz x imgsz``); the same seed, the same image.

    Args:
        imgsz (int): Side of the square image in pixels.
        seed (int): Random seed.
        max_objects (int): At most this many shapes (at least one).

    Returns:
        (np.ndarray): The image, shape ``(imgsz, imgsz, 3)``, as ``cv2.imread`` would return it.

    Examples:
        >>> synthetic_image(64).shape
        (64, 64, 3)
    """
    return overlapping_scene(np.random.default_rng(seed), imgsz, max_objects)[0]
