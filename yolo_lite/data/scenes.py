"""Random scenes of :class:`~yolo_lite.data.shapes.Shape`: one image and the shapes drawn in it.

Each function draws from the generator it is given and nothing else, so a seeded generator gives the same scenes.

Examples:
    >>> import numpy as np
    >>> from yolo_lite.data.scenes import separate_scene
    >>> image, shapes = separate_scene(np.random.default_rng(0), imgsz=64, max_objects=3, max_angle=180)
    >>> image.shape, 1 <= len(shapes) <= 3
    ((64, 64, 3), True)
"""

from __future__ import annotations

import numpy as np

from .shapes import CLASS_NAMES, Shape, noisy_background, random_color

__all__ = ["SCENE_SIZE", "SINGLE_SIZE", "overlapping_scene", "random_shape", "separate_scene", "single_shape_image"]

SCENE_SIZE = (0.15, 0.45)  # sides of a shape's box in a scene, as fractions of the image side
SINGLE_SIZE = (0.3, 0.65)  # the same for the one shape of a classification image; turned, it still fits (< 1/sqrt(2))


def overlapping_scene(rng: np.random.Generator, imgsz: int, max_objects: int) -> tuple[np.ndarray, list[Shape]]:
    """Return an image of 1 to ``max_objects`` upright shapes anywhere in it; later shapes may cover earlier ones.

    The detection set's scenes (their labels keep every box, as a real dataset would).

    Args:
        rng (np.random.Generator): Random generator.
        imgsz (int): Side of the square image in pixels.
        max_objects (int): At most this many shapes.

    Returns:
        (tuple[np.ndarray, list[Shape]]): The BGR image and its shapes in drawing order.
    """
    image = noisy_background(rng, imgsz)
    shapes = []
    for _ in range(rng.integers(1, max_objects + 1)):
        cls = int(rng.integers(len(CLASS_NAMES)))
        w, h = (rng.uniform(*SCENE_SIZE, 2) * imgsz).astype(int)  # whole pixels: the box is x1..x1 + w
        x1, y1 = rng.integers(0, imgsz - w), rng.integers(0, imgsz - h)
        shapes.append(Shape(cls, (float(x1 + w / 2), float(y1 + h / 2)), (float(w / 2), float(h / 2))))
        shapes[-1].draw(image, random_color(rng, cls))
    return image, shapes


def separate_scene(
    rng: np.random.Generator, imgsz: int, max_objects: int, max_angle: float, tries: int = 20
) -> tuple[np.ndarray, list[Shape]]:
    """Return an image of 1 to ``max_objects`` shapes inside it and apart, so that every outline is fully visible.

    A shape that overlaps an earlier one (their boxes come within 2 pixels) is drawn again, up to ``tries`` times,
    then left out; the first shape always fits.

    Args:
        rng (np.random.Generator): Random generator.
        imgsz (int): Side of the square image in pixels.
        max_objects (int): At most this many shapes.
        max_angle (float): Shapes turn by a uniform angle in ``[-max_angle, max_angle]`` degrees; 0 keeps them upright.
        tries (int): Placements tried per shape.

    Returns:
        (tuple[np.ndarray, list[Shape]]): The BGR image and its shapes.
    """
    image = noisy_background(rng, imgsz)
    shapes: list[Shape] = []
    for _ in range(rng.integers(1, max_objects + 1)):
        for _ in range(tries):
            shape = random_shape(rng, imgsz, int(rng.integers(len(CLASS_NAMES))), SCENE_SIZE, max_angle)
            if all(_apart(shape, other, gap=2.0) for other in shapes):
                shape.draw(image, random_color(rng, shape.cls))
                shapes.append(shape)
                break
    return image, shapes


def single_shape_image(rng: np.random.Generator, imgsz: int, cls: int, max_angle: float = 180.0) -> np.ndarray:
    """Return an image of one large shape of class ``cls``, turned by up to ``max_angle`` degrees (classification)."""
    image = noisy_background(rng, imgsz)
    random_shape(rng, imgsz, cls, SINGLE_SIZE, max_angle).draw(image, random_color(rng, cls))
    return image


def random_shape(rng: np.random.Generator, imgsz: int, cls: int, size: tuple[float, float], max_angle: float) -> Shape:
    """Return a shape of class ``cls`` placed at random with its (turned) box wholly inside the ``imgsz`` image.

    Args:
        rng (np.random.Generator): Random generator.
        imgsz (int): Side of the square image in pixels.
        cls (int): Class index.
        size (tuple[float, float]): Range of the box's width and height, as fractions of ``imgsz``; below
            ``1 / sqrt(2)`` so that a turned box still fits.
        max_angle (float): Uniform rotation in ``[-max_angle, max_angle]`` degrees; 0 keeps the shape upright.

    Returns:
        (Shape): The shape.
    """
    half = rng.uniform(*size, 2) * imgsz / 2
    angle = float(rng.uniform(-max_angle, max_angle)) if max_angle else 0.0
    corners = Shape(cls, (0.0, 0.0), (float(half[0]), float(half[1])), angle).corners()
    (x1, y1), (x2, y2) = corners.min(0), corners.max(0)
    cx, cy = rng.uniform((-x1, -y1), (imgsz - 1 - x2, imgsz - 1 - y2))  # the box within pixels 0..imgsz-1
    return Shape(cls, (float(cx), float(cy)), (float(half[0]), float(half[1])), angle)


def _apart(a: Shape, b: Shape, gap: float) -> bool:
    """Return whether the boxes of ``a`` and ``b`` are at least ``gap`` pixels apart along x or y."""
    (ax1, ay1, ax2, ay2), (bx1, by1, bx2, by2) = a.box(), b.box()
    return ax2 + gap <= bx1 or bx2 + gap <= ax1 or ay2 + gap <= by1 or by2 + gap <= ay1
