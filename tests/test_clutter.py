"""The clutter detection set of the accuracy benchmark: deterministic, labels that match the pixels, and the class,
size and occlusion spread its docstring states."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pytest

from yolo_lite.data import CLUTTER_CLASSES, make_clutter_dataset
from yolo_lite.data.clutter import MIN_VISIBLE, SIZE_BUCKETS, clutter_scene, size_bucket

IMGSZ = 160
SCENES = 400  # enough objects (~1,600) for the spread checks to hold with a wide margin


@pytest.fixture(scope="module")
def scenes() -> list:
    """The first scenes of a seeded generator, as the val split draws them."""
    rng = np.random.default_rng([0, 1])
    return [clutter_scene(rng, IMGSZ) for _ in range(SCENES)]


def _files(root) -> dict[str, bytes]:
    files = {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    files["data.yaml"] = files["data.yaml"].replace(str(root).encode(), b"ROOT")
    return files


def test_same_arguments_same_bytes_and_val_independent_of_train(tmp_path):
    a = make_clutter_dataset(tmp_path / "a", train=6, val=4, imgsz=96, seed=3)
    b = make_clutter_dataset(tmp_path / "b", train=6, val=4, imgsz=96, seed=3)
    c = make_clutter_dataset(tmp_path / "c", train=9, val=4, imgsz=96, seed=3)
    d = make_clutter_dataset(tmp_path / "d", train=6, val=4, imgsz=96, seed=4)
    assert _files(a.parent) == _files(b.parent)
    val = {k: v for k, v in _files(a.parent).items() if "/val/" in k}
    assert val == {k: v for k, v in _files(c.parent).items() if "/val/" in k}  # more train images, same val set
    assert val != {k: v for k, v in _files(d.parent).items() if "/val/" in k}


def test_classes_are_balanced_and_not_told_by_colour(scenes):
    objects = [(image, o) for image, objs in scenes for o in objs]
    counts = Counter(o.cls for _, o in objects)
    assert sorted(counts) == list(range(len(CLUTTER_CLASSES))) and len(CLUTTER_CLASSES) == 8
    shares = np.array([counts[k] for k in range(len(CLUTTER_CLASSES))]) / len(objects)
    assert shares.min() > 0.09 and shares.max() < 0.16
    # Colour says nothing about the class: every class's mean object colour is near the overall mean.
    means = {k: [] for k in counts}
    for image, o in objects:
        x1, y1, x2, y2 = o.box
        cx, cy = (x1 + x2) // 2, (y1 + y2) // 2
        means[o.cls].append(image[cy, cx].astype(float))
    overall = np.mean([c for v in means.values() for c in v], 0)
    assert all(np.abs(np.mean(v, 0) - overall).max() < 25 for v in means.values())


def test_sizes_span_small_to_large(scenes):
    boxes = [o.box for _, objs in scenes for o in objs]
    buckets = Counter(size_bucket(box, IMGSZ) for box in boxes)
    shares = {name: buckets[name] / len(boxes) for name, _ in SIZE_BUCKETS}
    assert shares["small"] > 0.08 and shares["medium"] > 0.3 and shares["large"] > 0.25, shares
    sides = [max(x2 - x1, y2 - y1) for x1, y1, x2, y2 in boxes]
    assert min(sides) <= 0.08 * IMGSZ and max(sides) >= 0.55 * IMGSZ


def test_occlusion_and_labels_match_pixels(scenes):
    objects = [o for _, objs in scenes for o in objs]
    assert all(MIN_VISIBLE <= o.visible <= 1 for o in objects)
    assert np.mean([o.visible < 1 for o in objects]) > 0.15  # many objects are partly covered
    counts = [len(objs) for _, objs in scenes]
    assert max(counts) >= 7 and np.mean(counts) > 3.5
    for image, objs in scenes[:50]:
        for o in objs:
            x1, y1, x2, y2 = o.box
            assert 0 <= x1 < x2 <= IMGSZ and 0 <= y1 < y2 <= IMGSZ
            assert o.label(IMGSZ).split()[0] == str(o.cls)


@pytest.mark.parametrize(("name", "value"), [("train", 0), ("val", 1.5), ("imgsz", 32), ("seed", -1)])
def test_bad_arguments_name_the_fix(tmp_path, name, value):
    with pytest.raises(ValueError, match=f"{name} must be an integer"):
        make_clutter_dataset(tmp_path, **{name: value})
