"""Shared fixtures: one tiny synthetic dataset and one trained run for the whole session (CPU, 64 px)."""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

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


def randomize_bn(model: torch.nn.Module) -> torch.nn.Module:
    """Give every BatchNorm non-trivial statistics so that folding them is exercised; return the model in eval mode."""
    generator = torch.Generator().manual_seed(0)
    for m in model.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.weight.data.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
            m.bias.data.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
    return model.eval()


def detection_batch() -> dict:
    """A two-image detection batch (random images, one box each, classes 0 and 2), as a trainer hands ``model.loss``."""
    generator = torch.Generator().manual_seed(0)
    return {
        "img": torch.rand(2, 3, IMGSZ, IMGSZ, generator=generator),
        "batch_idx": torch.tensor([0.0, 1.0]),
        "cls": torch.tensor([[0.0], [2.0]]),
        "bboxes": torch.tensor([[0.5, 0.5, 0.4, 0.3], [0.3, 0.6, 0.2, 0.4]]),
    }


def run_python(code: str, cwd: Path, **env) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (which never imports yolo_lite itself) and return the finished process."""
    return subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, env={**os.environ, **env}, timeout=600
    )


def save_checkpoint(model: torch.nn.Module, path: Path) -> Path:
    """Write ``model`` as Ultralytics' trainer leaves ``best.pt`` (``strip_optimizer``): an fp16 copy under "model"."""
    from ultralytics import __version__

    model = copy.deepcopy(model).half()
    for p in model.parameters():
        p.requires_grad = False
    ckpt = dict(epoch=-1, best_fitness=None, model=model, ema=None, updates=None, optimizer=None, train_args={})
    torch.save({**ckpt, "date": "2025-01-01T00:00:00", "version": __version__}, path)
    return path
