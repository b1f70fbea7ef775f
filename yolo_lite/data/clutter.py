"""The clutter detection set: eight shape classes told apart by outline alone, in textured, cluttered, occluded scenes.

The shapes set (:func:`~yolo_lite.data.make_synthetic_dataset`) is learnt in minutes: three classes, each in its own
colour, on a plain background. This set is built to rank detectors that differ by a few percent of mAP50-95:

- **Eight classes** (:data:`CLUTTER_CLASSES`), some of them alike at a glance (ellipse, ring and crescent; star and
  cross; triangle and arrow): the outline tells the class, never the colour.
- **Any colour and fill**: every object's colour is drawn from the same range whatever its class, solid or with one of
  three textures (gradient, stripes, speckle), turned at any angle, at aspect ratios 0.6-1.7.
- **Clutter**: a background of several octaves of smooth colour noise, strokes, dots and smooth irregular blobs (shapes
  of no class), then thin strokes drawn over the objects.
- **Occlusion**: objects overlap; each label is the box of what stays visible, and an object covered beyond
  :data:`MIN_VISIBLE` of its area is drawn but not labelled (as an annotator would skip it).
- **Sizes from 8% to 60% of the image side**: an object's longer side is log-uniform in :data:`SIZE_RANGE`
  (fractions of the image side), so about a tenth of the labels are small (:func:`size_bucket`).

The same arguments give the same files, byte for byte; 2,500 images at 160 px take about ten seconds.

Examples:
    >>> from yolo_lite.data import make_clutter_dataset
    >>> data = make_clutter_dataset("datasets/clutter", train=64, val=16, imgsz=96)
    >>> data.name
    'data.yaml'
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import yaml

__all__ = [
    "CLUTTER_CLASSES",
    "MIN_VISIBLE",
    "SIZE_BUCKETS",
    "SIZE_RANGE",
    "ClutterObject",
    "clutter_scene",
    "make_clutter_dataset",
    "size_bucket",
]

MIN_VISIBLE = 0.35  # an object is labelled when at least this fraction of its area stays visible
SIZE_RANGE = (0.08, 0.6)  # an object's longer side, as a fraction of the image side (log-uniform)
SIZE_BUCKETS = (("small", 0.1), ("medium", 0.25), ("large", 1.0))  # a label's longer side / image side, up to
OBJECTS = (1, 8)  # objects per scene, both ends included
_SUBPIXEL = 4  # cv2 fill shift: vertices at 1/16 pixel


def _ring(radius: float, sides: int, phase: float = -np.pi / 2) -> np.ndarray:
    """Return ``sides`` points on a circle of ``radius`` starting at ``phase`` (the top)."""
    turns = phase + np.linspace(0, 2 * np.pi, sides, endpoint=False)
    return radius * np.stack([np.cos(turns), np.sin(turns)], 1)


def _star(points: int = 5, inner: float = 0.45) -> np.ndarray:
    """Return a star's outline: ``points`` tips on the unit circle, notches at radius ``inner``."""
    outline = np.empty((2 * points, 2))
    outline[0::2], outline[1::2] = _ring(1, points), _ring(inner, points, -np.pi / 2 + np.pi / points)
    return outline


def _cross(arm: float = 0.34) -> np.ndarray:
    """Return a plus sign's outline: two bars of half-width ``arm`` across the unit square."""
    a = arm
    return np.array(
        [(-a, -1), (a, -1), (a, -a), (1, -a), (1, a), (a, a), (a, 1), (-a, 1), (-a, a), (-1, a), (-1, -a), (-a, -a)],
        float,
    )


_ARROW = np.array([(-1, -0.3), (0.15, -0.3), (0.15, -0.8), (1, 0), (0.15, 0.8), (0.15, 0.3), (-1, 0.3)], float)
# Each class as (outline, hole): polygons in the object's own frame, where the object fills [-1, 1] x [-1, 1]; the hole
# (if any) is cut out of the outline, so the background shows through it.
_SHAPES: dict[str, tuple[np.ndarray, np.ndarray | None]] = {
    "rectangle": (np.array([(-1, -1), (1, -1), (1, 1), (-1, 1)], float), None),
    "ellipse": (_ring(1, 48), None),
    "triangle": (np.array([(0, -1), (1, 1), (-1, 1)], float), None),
    "star": (_star(), None),
    "cross": (_cross(), None),
    "ring": (_ring(1, 48), _ring(0.55, 48)),
    "arrow": (_ARROW, None),
    "crescent": (_ring(1, 48), _ring(0.85, 48) + (0.45, 0)),
}
CLUTTER_CLASSES = tuple(_SHAPES)


@dataclass(frozen=True)
class ClutterObject:
    """One labelled object of a clutter scene.

    Attributes:
        cls (int): Class index into :data:`CLUTTER_CLASSES`.
        box (tuple[int, int, int, int]): Pixel box ``(x1, y1, x2, y2)`` of its visible pixels (``x2``, ``y2``
            exclusive).
        visible (float): Fraction of its drawn area left visible.
    """

    cls: int
    box: tuple[int, int, int, int]
    visible: float

    def label(self, imgsz: int) -> str:
        """Return the YOLO label line ``cls cx cy w h`` (normalized by ``imgsz``)."""
        x1, y1, x2, y2 = self.box
        return f"{self.cls} {(x1 + x2) / 2 / imgsz:.6f} {(y1 + y2) / 2 / imgsz:.6f} {(x2 - x1) / imgsz:.6f} " + (
            f"{(y2 - y1) / imgsz:.6f}"
        )


def size_bucket(box: tuple[float, float, float, float], imgsz: int) -> str:
    """Return ``"small"``, ``"medium"`` or ``"large"`` for a box by its longer side (:data:`SIZE_BUCKETS`)."""
    side = max(box[2] - box[0], box[3] - box[1]) / imgsz
    return next(name for name, upper in SIZE_BUCKETS if side <= upper)


def _smooth_noise(rng: np.random.Generator, imgsz: int, channels: int, octaves: int = 4) -> np.ndarray:
    """Return ``(imgsz, imgsz, channels)`` floats in [0, 1]: octaves of random grids, each upsampled smoothly."""
    total = np.zeros((imgsz, imgsz, channels), np.float32)
    weight = 0.0
    for octave in range(octaves):
        cells, amplitude = 2 ** (octave + 2), 0.5**octave
        grid = rng.random((cells, cells, channels), dtype=np.float32)
        total += amplitude * cv2.resize(grid, (imgsz, imgsz), interpolation=cv2.INTER_CUBIC).reshape(total.shape)
        weight += amplitude
    return np.clip(total / weight, 0, 1)


def _background(rng: np.random.Generator, imgsz: int) -> np.ndarray:
    """Return a textured background: two colours mixed by smooth noise, plus strokes, blobs and dots."""
    low, high = rng.integers(0, 256, (2, 3)).astype(np.float32)
    mix = _smooth_noise(rng, imgsz, 1)
    image = low + mix * (high - low) + 40 * (_smooth_noise(rng, imgsz, 3) - 0.5)
    image = np.clip(image, 0, 255).astype(np.uint8)
    for _ in range(rng.integers(0, 3)):
        _blob(rng, image, imgsz)
    _strokes(rng, image, imgsz, rng.integers(1, 5))
    for _ in range(rng.integers(0, 20)):
        center = tuple(int(v) for v in rng.integers(0, imgsz, 2))
        cv2.circle(image, center, int(rng.integers(1, 3)), _color(rng), -1)
    return image


def _blob(rng: np.random.Generator, image: np.ndarray, imgsz: int) -> None:
    """Draw a smooth irregular blob (no class): a circle whose radius varies with a few low harmonics of the angle.

    Low harmonics only, so a blob never has the corners or spikes of a class shape (a star, a cross).
    """
    turns = np.linspace(0, 2 * np.pi, 32, endpoint=False)
    harmonics = np.arange(2, 5)[:, None]
    wobble = (rng.uniform(0, 0.3, (3, 1)) / harmonics * np.cos(harmonics * turns + rng.uniform(0, 2 * np.pi, (3, 1))))
    radius = rng.uniform(0.03, 0.2) * imgsz * (1 + wobble.sum(0))
    points = rng.uniform(0, imgsz, 2) + np.stack([radius * np.cos(turns), radius * np.sin(turns)], 1)
    cv2.fillPoly(image, [np.round(points * 2**_SUBPIXEL).astype(np.int32)], _color(rng), cv2.LINE_AA, _SUBPIXEL)


def _strokes(rng: np.random.Generator, image: np.ndarray, imgsz: int, count: int, owner: np.ndarray | None = None):
    """Draw ``count`` random polylines; where ``owner`` is given, mark their pixels as covering (-1)."""
    for _ in range(count):
        points = np.cumsum(rng.normal(0, 0.15 * imgsz, (int(rng.integers(2, 5)), 2)), 0) + rng.uniform(0, imgsz, 2)
        points = np.round(points).astype(np.int32)
        thickness = int(rng.integers(1, 3))
        cv2.polylines(image, [points], False, _color(rng), thickness)
        if owner is not None:
            cv2.polylines(owner, [points], False, -1, thickness)


def _color(rng: np.random.Generator) -> tuple[int, int, int]:
    """Return a random BGR colour (every class and the clutter draw from this one range)."""
    return tuple(int(c) for c in rng.integers(0, 256, 3))


def _fill(rng: np.random.Generator, shape: tuple[int, int], background: np.ndarray) -> np.ndarray:
    """Return an object's texture, ``(h, w, 3)``: solid (70%), gradient, stripes or speckle, in colours that stand out.

    The first colour's brightness is pushed at least 80 levels away from ``background``'s mean, so that an object is
    hard to classify but never invisible.
    """
    h, w = shape
    base = np.array(_color(rng), np.float32)
    level = background.mean()
    if abs(base.mean() - level) < 80:
        base = np.clip(base + (100 if level < 128 else -100), 0, 255)
    kind = rng.integers(-6, 4)  # solid 70% of the time
    if kind <= 0:  # solid
        return np.broadcast_to(base, (h, w, 3)).astype(np.uint8)
    other = np.array(_color(rng), np.float32)
    angle = rng.uniform(0, np.pi)
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    along = xs * np.cos(angle) + ys * np.sin(angle)
    if kind == 1:  # gradient from base to a brighter or darker base
        t = ((along - along.min()) / max(float(np.ptp(along)), 1.0))[..., None]
        end = np.clip(base + rng.uniform(-70, 70, 3), 0, 255)
        texture = base + t * (end - base)
    elif kind == 2:  # stripes of base and another colour
        period = rng.uniform(3, 9)
        texture = np.where(((along / period) % 2 < 1)[..., None], base, 0.5 * (base + other))
    else:  # speckle around base
        texture = base + rng.normal(0, 25, (h, w, 3))
    return np.clip(texture, 0, 255).astype(np.uint8)


def _place(rng: np.random.Generator, imgsz: int, cls: int) -> tuple[np.ndarray, np.ndarray | None]:
    """Return a class's outline (and hole) in image pixels, at a random size, aspect, angle and place."""
    outline, hole = _SHAPES[CLUTTER_CLASSES[cls]]
    side = np.exp(rng.uniform(*np.log(SIZE_RANGE))) * imgsz / 2  # half of the longer side
    aspect = np.exp(rng.uniform(np.log(0.6), np.log(1.7)))
    half = np.array([side, side / aspect]) if aspect >= 1 else np.array([side * aspect, side])
    theta = rng.uniform(0, 2 * np.pi)
    rotation = np.array([[np.cos(theta), np.sin(theta)], [-np.sin(theta), np.cos(theta)]])
    margin = float(np.hypot(*half))
    center = rng.uniform(min(margin, imgsz / 2), max(imgsz - margin, imgsz / 2), 2)
    return tuple(None if p is None else center + (p * half) @ rotation for p in (outline, hole))


def _mask(imgsz: int, outline: np.ndarray, hole: np.ndarray | None) -> np.ndarray:
    """Return the boolean mask of ``outline`` minus ``hole`` on the ``imgsz`` pixel grid."""
    mask = np.zeros((imgsz, imgsz), np.uint8)
    cv2.fillPoly(mask, [np.round(outline * 2**_SUBPIXEL).astype(np.int32)], 1, cv2.LINE_8, _SUBPIXEL)
    if hole is not None:
        cv2.fillPoly(mask, [np.round(hole * 2**_SUBPIXEL).astype(np.int32)], 0, cv2.LINE_8, _SUBPIXEL)
    return mask.astype(bool)


def clutter_scene(rng: np.random.Generator, imgsz: int) -> tuple[np.ndarray, list[ClutterObject]]:
    """Return one clutter image (BGR ``uint8``) and its labelled objects.

    Args:
        rng (np.random.Generator): Random generator; the scene depends on nothing else.
        imgsz (int): Side of the square image in pixels.

    Returns:
        (tuple[np.ndarray, list[ClutterObject]]): The image and the objects that stay visible enough to be labelled,
            in drawing order.

    Examples:
        >>> import numpy as np
        >>> image, objects = clutter_scene(np.random.default_rng(0), 96)
        >>> image.shape, all(0 <= o.cls < len(CLUTTER_CLASSES) for o in objects)
        ((96, 96, 3), True)
    """
    image = _background(rng, imgsz)
    owner = np.full((imgsz, imgsz), -1, np.int16)  # which object a pixel shows (-1: none)
    drawn = []
    for k in range(int(rng.integers(OBJECTS[0], OBJECTS[1] + 1))):
        cls = int(rng.integers(len(CLUTTER_CLASSES)))
        mask = _mask(imgsz, *_place(rng, imgsz, cls))
        area = int(mask.sum())
        if not area:
            continue
        ys, xs = np.nonzero(mask)
        y1, y2, x1, x2 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
        texture = _fill(rng, (y2 - y1, x2 - x1), image[y1:y2, x1:x2])
        local = mask[y1:y2, x1:x2]
        image[y1:y2, x1:x2][local] = texture[local]
        owner[mask] = k
        drawn.append((k, cls, area))
    _strokes(rng, image, imgsz, rng.integers(0, 3), owner)
    sigma = rng.uniform(0, 0.8)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    image = np.clip(image + rng.normal(0, rng.uniform(2, 10), image.shape), 0, 255).astype(np.uint8)
    objects = []
    for k, cls, area in drawn:
        ys, xs = np.nonzero(owner == k)
        visible = len(ys) / area
        if visible >= MIN_VISIBLE and xs.max() > xs.min() and ys.max() > ys.min():
            box = (int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1)
            objects.append(ClutterObject(cls, box, round(visible, 4)))
    return image, objects


def make_clutter_dataset(
    root: str | Path | None = None, train: int = 2000, val: int = 500, imgsz: int = 160, seed: int = 0
) -> Path:
    """Write the clutter detection set under ``root`` and return its data YAML's path.

    The same arguments give the same files, byte for byte. Train and val scenes come from separate generators
    (seeded with ``seed`` and the split), so the val set does not change when ``train`` does.

    Args:
        root (str | Path | None): Output directory; None means ``datasets/yolo-lite-clutter``. It gets
            ``images/{train,val}``, ``labels/{train,val}`` and ``data.yaml``.
        train (int): Number of training images.
        val (int): Number of validation images.
        imgsz (int): Side of the square images in pixels.
        seed (int): Random seed.

    Returns:
        (Path): ``root / "data.yaml"``.

    Raises:
        ValueError: A count is not a positive integer, ``imgsz`` is under 64, or ``seed`` is negative.

    Examples:
        >>> make_clutter_dataset("datasets/clutter-tiny", train=8, val=8, imgsz=64).name
        'data.yaml'
    """
    for name, value, low in (("train", train, 1), ("val", val, 1), ("imgsz", imgsz, 64), ("seed", seed, 0)):
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise ValueError(f"make_clutter_dataset: {name} must be an integer >= {low}, got {value!r}")
    root = Path("datasets/yolo-lite-clutter" if root is None else root).resolve()
    for split, count in (("train", train), ("val", val)):
        rng = np.random.default_rng([seed, ("train", "val").index(split)])
        (root / "images" / split).mkdir(parents=True, exist_ok=True)
        (root / "labels" / split).mkdir(parents=True, exist_ok=True)
        for i in range(count):
            image, objects = clutter_scene(rng, imgsz)
            cv2.imwrite(str(root / "images" / split / f"{i:05d}.png"), image)
            (root / "labels" / split / f"{i:05d}.txt").write_text("".join(f"{o.label(imgsz)}\n" for o in objects))
    data = {"path": str(root), "train": "images/train", "val": "images/val", "names": dict(enumerate(CLUTTER_CLASSES))}
    (root / "data.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return root / "data.yaml"
