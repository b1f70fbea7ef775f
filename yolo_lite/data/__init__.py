"""Data that ships with yolo-lite: a synthetic detection dataset for demos and tests."""

from .synthetic import CLASS_NAMES, make_synthetic_dataset, synthetic_image

__all__ = ["CLASS_NAMES", "make_synthetic_dataset", "synthetic_image"]
