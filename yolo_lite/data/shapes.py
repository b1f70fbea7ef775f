"""Filled shapes on noisy backgrounds: the geometry and drawing that every synthetic task shares.

A :class:`Shape` is a rectangle, an ellipse or a triangle given by its centre, half-sizes and rotation. Its labels
(box, outline polygon, rotated box, keypoints) are computed from that exact geometry; :meth:`Shape.draw` puts it on
the pixel grid, where the pixel holding the continuous point ``(x, y)`` is ``(floor(x), floor(y))``.

Examples:
    >>> import numpy as np
    >>> from yolo_lite.data.shapes import Shape
    >>> shape = Shape(cls=0, center=(32.0, 24.0), half=(10.0, 6.0), angle=30.0)
    >>> shape.corners().shape, shape.keypoints().shape
    ((4, 2), (4, 2))
    >>> image = np.zeros((64, 64, 3), np.uint8)
    >>> shape.draw(image, (0, 0, 255))
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["CLASS_HUES", "CLASS_NAMES", "Shape", "noisy_background", "random_color"]

CLASS_NAMES = ("rectangle", "ellipse", "triangle")
CLASS_HUES = ((0, 40), (50, 90), (100, 140))  # OpenCV hue ranges (0-179) per class: red/orange, green, blue

# Points in the shape's own frame, where the shape fills [-1, 1] x [-1, 1] (y down, as in images).
_BOX = np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)], float)  # top-left, top-right, bottom-right, bottom-left
_TRIANGLE = np.array([(0, -1), (1, 1), (-1, 1)], float)  # apex at the top middle, base along the bottom
_TURNS = np.linspace(0, 2 * np.pi, 32, endpoint=False)
_ELLIPSE = np.stack([np.cos(_TURNS), np.sin(_TURNS)], 1)  # 32 points on the circle, starting at the right
# Keypoints in the corners' order, so that one flip_idx serves every class (see Shape.keypoints).
_KEYPOINTS = (_BOX, _BOX / np.sqrt(2), np.array([(0, -1), (0, -1), (1, 1), (-1, 1)], float))


@dataclass(frozen=True)
class Shape:
    """One filled shape: a box of ``2 * half`` around ``center`` turned by ``angle``, which the shape fills or touches.

    A rectangle fills its box, an ellipse touches the box's four sides, a triangle has its apex at the middle of the
    box's top side and its base along the bottom side. All coordinates are pixels in the image (x right, y down).

    Attributes:
        cls (int): Class index into :data:`CLASS_NAMES`: 0 rectangle, 1 ellipse, 2 triangle.
        center (tuple[float, float]): Centre ``(x, y)`` of the box.
        half (tuple[float, float]): Half-width and half-height of the box before rotation.
        angle (float): Rotation in degrees, clockwise on screen (OpenCV's ``cv2.ellipse`` convention).

    Examples:
        >>> Shape(cls=2, center=(10.0, 10.0), half=(4.0, 5.0)).box()
        (6.0, 5.0, 14.0, 15.0)
    """

    cls: int
    center: tuple[float, float]
    half: tuple[float, float]
    angle: float = 0.0

    def __post_init__(self) -> None:
        """Reject a class index outside :data:`CLASS_NAMES`."""
        if self.cls not in range(len(CLASS_NAMES)):
            raise ValueError(f"Shape: cls must be 0 (rectangle), 1 (ellipse) or 2 (triangle), got {self.cls!r}")

    def _to_image(self, unit: np.ndarray) -> np.ndarray:
        """Map ``(N, 2)`` points of the shape's frame (the box is ``[-1, 1]^2``) to image pixels."""
        theta = np.deg2rad(self.angle)
        cos, sin = np.cos(theta), np.sin(theta)
        return np.asarray(self.center, float) + (unit * self.half) @ np.array([[cos, sin], [-sin, cos]])

    def corners(self) -> np.ndarray:
        """Return the rotated box's corners, ``(4, 2)``: top-left, top-right, bottom-right, bottom-left of the frame."""
        return self._to_image(_BOX)

    def outline(self) -> np.ndarray:
        """Return the outline as a polygon, ``(N, 2)``: 4 corners, 3 corners, or 32 points on the ellipse."""
        return self._to_image((_BOX, _ELLIPSE, _TRIANGLE)[self.cls])

    def keypoints(self) -> np.ndarray:
        """Return 4 points on the outline, ``(4, 2)``, in the order of :meth:`corners`.

        A rectangle's corners; an ellipse's points on its box's diagonals; a triangle's apex twice (its top side shrunk
        to a point) and its base corners. A left-right mirror image therefore swaps points 0 and 1, and 2 and 3.
        """
        return self._to_image(_KEYPOINTS[self.cls])

    def box(self) -> tuple[float, float, float, float]:
        """Return the axis-aligned box ``(x1, y1, x2, y2)`` around the outline."""
        points = self.outline()
        (x1, y1), (x2, y2) = points.min(0), points.max(0)
        return float(x1), float(y1), float(x2), float(y2)

    def draw(self, image: np.ndarray, color: tuple[int, int, int]) -> None:
        """Fill the shape into ``image`` (in place) with ``color``.

        A vertex, or the ellipse's centre, goes to the pixel holding it (``floor``); the ellipse's half-axes round to
        whole pixels, halves down (OpenCV draws ellipses at integer sizes).
        """
        if self.cls == 1:
            center = tuple(int(v) for v in np.floor(self.center))
            axes = tuple(int(v) for v in np.ceil(np.asarray(self.half) - 0.5))  # nearest, halves down
            cv2.ellipse(image, center, axes, self.angle, 0, 360, color, thickness=-1)
        else:
            cv2.fillPoly(image, [np.floor(self.outline()).astype(np.int32)], color)


def noisy_background(rng: np.random.Generator, imgsz: int) -> np.ndarray:
    """Return a dark ``(imgsz, imgsz, 3)`` BGR image of one random colour plus Gaussian noise."""
    background = rng.integers(0, 80, 3)
    return np.clip(background + rng.normal(0, 12, (imgsz, imgsz, 3)), 0, 255).astype(np.uint8)


def random_color(rng: np.random.Generator, cls: int) -> tuple[int, int, int]:
    """Return a bright BGR colour from class ``cls``'s hue range, so that colour and shape both tell the class."""
    hsv = np.uint8([[[rng.integers(*CLASS_HUES[cls]), rng.integers(150, 256), rng.integers(170, 256)]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])
