"""Data that ships with yolo-lite: deterministic synthetic shape datasets for every Ultralytics task.

Modules: ``shapes`` (geometry and drawing), ``scenes`` (random images of shapes), ``labels`` (YOLO label lines per
task), ``synthetic`` (:func:`make_synthetic_dataset`, which writes a dataset), ``clutter``
(:func:`make_clutter_dataset`, the harder detection set of the accuracy benchmark).
"""

from .clutter import CLUTTER_CLASSES, make_clutter_dataset
from .labels import FLIP_IDX, KPT_SHAPE
from .shapes import CLASS_NAMES, Shape
from .synthetic import TASKS, make_synthetic_dataset, synthetic_image

__all__ = [
    "CLASS_NAMES",
    "CLUTTER_CLASSES",
    "FLIP_IDX",
    "KPT_SHAPE",
    "TASKS",
    "Shape",
    "make_clutter_dataset",
    "make_synthetic_dataset",
    "synthetic_image",
]
