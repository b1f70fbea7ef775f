"""Shared fixtures: one tiny synthetic dataset and one trained run for the whole session (CPU, 64 px)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import yolo_lite  # noqa: F401  (applies the patches, as a user's `import yolo_lite` would)
from yolo_lite.data import make_synthetic_dataset

IMGSZ = 64
TRAIN_ARGS = dict(epochs=1, imgsz=IMGSZ, batch=8, device="cpu", workers=0, plots=False, exist_ok=True, seed=0)


@pytest.fixture(scope="session")
def data_yaml(tmp_path_factory) -> Path:
    """A 16 + 8 image synthetic dataset."""
    return make_synthetic_dataset(tmp_path_factory.mktemp("shapes"), train=16, val=8, imgsz=IMGSZ)


@pytest.fixture(scope="session")
def trained(tmp_path_factory, data_yaml):
    """``YOLO("yolo11n-starnet.yaml")`` trained one epoch; returns ``(model, run_dir)``."""
    from ultralytics import YOLO

    model = YOLO("yolo11n-starnet.yaml")
    model.train(data=str(data_yaml), project=str(tmp_path_factory.mktemp("runs")), name="train", **TRAIN_ARGS)
    return model, Path(model.trainer.save_dir)


def run_python(code: str, cwd: Path, **env) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (which never imports yolo_lite itself) and return the finished process."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env={**os.environ, **env}, timeout=600
    )
