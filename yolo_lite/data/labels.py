"""One label line per shape in Ultralytics' YOLO text formats (coordinates normalized by the image side).

=========  ==========================================================  ===================================
task       line                                                        geometry
=========  ==========================================================  ===================================
detect     ``cls cx cy w h``                                           box around the outline
segment    ``cls x1 y1 x2 y2 ...``                                     the outline polygon
pose       ``cls cx cy w h x1 y1 v1 ... x4 y4 v4``                     box, 4 keypoints (``v`` 2: visible)
obb        ``cls x1 y1 x2 y2 x3 y3 x4 y4``                             the rotated box's corners
=========  ==========================================================  ===================================

Examples:
    >>> from yolo_lite.data.labels import LABELERS
    >>> from yolo_lite.data.shapes import Shape
    >>> LABELERS["detect"](Shape(cls=0, center=(32.0, 32.0), half=(8.0, 16.0)), imgsz=64)
    '0 0.500000 0.500000 0.250000 0.500000'
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from .shapes import Shape

__all__ = ["FLIP_IDX", "KPT_SHAPE", "LABELERS", "detect_label", "obb_label", "pose_label", "segment_label"]

KPT_SHAPE = (4, 3)  # 4 keypoints per shape (Shape.keypoints), each (x, y, visibility)
FLIP_IDX = (1, 0, 3, 2)  # after a left-right flip, top-left <-> top-right and bottom-right <-> bottom-left


def _points(points: np.ndarray, imgsz: int) -> str:
    """Format ``(N, 2)`` pixel points as normalized ``x y`` pairs."""
    return " ".join(f"{v:.6f}" for v in (points / imgsz).ravel())


def detect_label(shape: Shape, imgsz: int) -> str:
    """Return ``cls cx cy w h`` for the box around the shape's outline."""
    x1, y1, x2, y2 = shape.box()
    cx, cy, w, h = (x1 + x2) / 2 / imgsz, (y1 + y2) / 2 / imgsz, (x2 - x1) / imgsz, (y2 - y1) / imgsz
    return f"{shape.cls} {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}"


def segment_label(shape: Shape, imgsz: int) -> str:
    """Return ``cls`` and the outline polygon's points."""
    return f"{shape.cls} {_points(shape.outline(), imgsz)}"


def pose_label(shape: Shape, imgsz: int) -> str:
    """Return the detection label followed by the shape's 4 keypoints, each marked visible (2)."""
    keypoints = " ".join(f"{x:.6f} {y:.6f} 2" for x, y in shape.keypoints() / imgsz)
    return f"{detect_label(shape, imgsz)} {keypoints}"


def obb_label(shape: Shape, imgsz: int) -> str:
    """Return ``cls`` and the 4 corners of the shape's rotated box."""
    return f"{shape.cls} {_points(shape.corners(), imgsz)}"


LABELERS: dict[str, Callable[[Shape, int], str]] = {
    "detect": detect_label,
    "segment": segment_label,
    "pose": pose_label,
    "obb": obb_label,
}
