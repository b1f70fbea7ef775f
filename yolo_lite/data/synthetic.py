"""A deterministic synthetic detection dataset in Ultralytics' YOLO format: no downloads, built in about a second.

Each image shows a few filled shapes on a noisy background: class 0 rectangles, class 1 ellipses, class 2 triangles,
each class in its own colour range, so a detector learns it within a few epochs on a CPU.

Examples:
    >>> from yolo_lite.data import make_synthetic_dataset
    >>> data = make_synthetic_dataset("datasets/shapes")  # returns the data YAML's path
    >>> # YOLO("yolo11n-starnet.yaml").train(data=data, epochs=3, imgsz=128)
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import yaml

__all__ = ["CLASS_NAMES", "make_synthetic_dataset", "synthetic_image"]

CLASS_NAMES = ("rectangle", "ellipse", "triangle")
CLASS_HUES = ((0, 40), (50, 90), (100, 140))  # OpenCV hue ranges (0-179) per class: red/orange, green, blue


def _draw(image: np.ndarray, cls: int, box: np.ndarray, color: tuple[int, int, int]) -> None:
    """Draw one filled shape of class ``cls`` inside ``box`` (x1, y1, x2, y2 in pixels)."""
    x1, y1, x2, y2 = box.tolist()
    if cls == 0:
        cv2.rectangle(image, (x1, y1), (x2, y2), color, thickness=-1)
    elif cls == 1:
        cv2.ellipse(image, ((x1 + x2) // 2, (y1 + y2) // 2), ((x2 - x1) // 2, (y2 - y1) // 2), 0, 0, 360, color, -1)
    else:
        cv2.fillPoly(image, [np.array([((x1 + x2) // 2, y1), (x1, y2), (x2, y2)], np.int32)], color)


def _sample(rng: np.random.Generator, imgsz: int, max_objects: int) -> tuple[np.ndarray, list[str]]:
    """Return one BGR image and its YOLO label lines."""
    background = rng.integers(0, 80, 3)
    image = np.clip(background + rng.normal(0, 12, (imgsz, imgsz, 3)), 0, 255).astype(np.uint8)
    labels = []
    for _ in range(rng.integers(1, max_objects + 1)):
        cls = int(rng.integers(len(CLASS_NAMES)))
        w, h = (rng.uniform(0.15, 0.45, 2) * imgsz).astype(int)
        x1, y1 = rng.integers(0, imgsz - w), rng.integers(0, imgsz - h)
        box = np.array([x1, y1, x1 + w, y1 + h])
        hsv = np.uint8([[[rng.integers(*CLASS_HUES[cls]), rng.integers(150, 256), rng.integers(170, 256)]]])
        _draw(image, cls, box, tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0]))
        cx, cy = (box[0] + box[2]) / 2 / imgsz, (box[1] + box[3]) / 2 / imgsz
        labels.append(f"{cls} {cx:.6f} {cy:.6f} {w / imgsz:.6f} {h / imgsz:.6f}")
    return image, labels


def make_synthetic_dataset(
    root: str | Path = "datasets/yolo-lite-shapes",
    train: int = 256,
    val: int = 32,
    imgsz: int = 128,
    max_objects: int = 3,
    seed: int = 0,
) -> Path:
    """Write the dataset under ``root`` and return the path of its data YAML; the same arguments give the same files.

    Objects may overlap; the label keeps every box, as a real dataset would.

    Args:
        root (str | Path): Output directory; ``images/{train,val}``, ``labels/{train,val}`` and ``data.yaml`` go here.
        train (int): Number of training images; the default 256 learns to mAP50 ~0.7 in 15 epochs at batch 16.
        val (int): Number of validation images.
        imgsz (int): Side of the square images in pixels.
        max_objects (int): At most this many objects per image (at least one).
        seed (int): Random seed.

    Returns:
        (Path): ``root / "data.yaml"``, ready for ``model.train(data=...)``.

    Raises:
        ValueError: A count or size is not a positive integer, or ``imgsz`` is under 32.
    """
    for name, value, low in (("train", train, 1), ("val", val, 1), ("imgsz", imgsz, 32), ("max_objects", max_objects, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"make_synthetic_dataset: {name} must be an integer >= {low}, got {value!r}")
    root = Path(root).resolve()
    rng = np.random.default_rng(seed)
    for split, count in (("train", train), ("val", val)):
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            image, labels = _sample(rng, imgsz, max_objects)
            cv2.imwrite(str(root / "images" / split / f"{i:05d}.png"), image)
            (root / "labels" / split / f"{i:05d}.txt").write_text("\n".join(labels) + "\n")
    data = {"path": str(root), "train": "images/train", "val": "images/val", "names": dict(enumerate(CLASS_NAMES))}
    (root / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root / "data.yaml"


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
    return _sample(np.random.default_rng(seed), imgsz, max_objects)[0]
