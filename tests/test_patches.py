"""The patches: stock models unchanged, apply/revert idempotent and reversible, thread-safe."""

from __future__ import annotations

import threading

import pytest
import torch
from ultralytics import YOLO
from ultralytics.engine import model as engine_model
from ultralytics.nn import tasks

from yolo_lite import patches
from yolo_lite.patches import yaml_lookup


def _originals():
    base = tasks.BaseModel
    return tasks.parse_model, base._predict_once, base.fuse, tasks.yaml_model_load, engine_model.yaml_model_load


@pytest.fixture
def reverted():
    """Revert for the test, and leave the patches applied afterwards as the session expects."""
    patches.revert()
    yield
    patches.apply()


def _outputs(out) -> list[torch.Tensor]:
    """Flatten a model's nested output into a list of tensors."""
    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    return [t for o in out for t in _outputs(o)]


@pytest.mark.parametrize(
    "cfg",
    [f"{version}n{suffix}.yaml" for version in ("yolo11", "yolo26") for suffix in ("", "-seg", "-pose", "-obb", "-cls")],
)
def test_stock_models_are_bit_identical(cfg):
    patched = YOLO(cfg).model.eval()
    patches.revert()
    try:
        stock = YOLO(cfg).model.eval()
    finally:
        patches.apply()
    assert sum(p.numel() for p in patched.parameters()) == sum(p.numel() for p in stock.parameters())
    stock.load_state_dict(patched.state_dict(), strict=True)
    x = torch.rand(2, 3, 128, 128, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        ours, theirs = _outputs(patched(x)), _outputs(stock(x))
    assert len(ours) == len(theirs) > 0
    assert all(torch.equal(a, b) for a, b in zip(ours, theirs))


def test_revert_restores_identity_and_apply_is_idempotent(reverted):
    originals = _originals()
    assert not patches.is_applied() and not hasattr(tasks.parse_model, "__wrapped__")
    patches.apply()
    patched = _originals()
    patches.apply()
    assert _originals() == patched  # second apply changes nothing
    assert all(p is not o and p.__wrapped__ is o for p, o in zip(patched, originals))
    patches.revert()
    assert all(a is b for a, b in zip(_originals(), originals))
    patches.revert()  # no-op
    assert all(a is b for a, b in zip(_originals(), originals))


def test_concurrent_apply_and_revert_stay_consistent(reverted):
    originals = _originals()

    def toggle():
        for _ in range(200):
            patches.apply()
            patches.revert()

    threads = [threading.Thread(target=toggle) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert all(a is b for a, b in zip(_originals(), originals))
    patches.apply()
    assert all(p.__wrapped__ is o for p, o in zip(_originals(), originals))  # wrapped once, never twice


def test_failed_apply_changes_nothing(reverted, monkeypatch):
    originals = _originals()

    def broken(original):
        raise RuntimeError("boom")

    monkeypatch.setattr(yaml_lookup, "wrap_yaml_model_load", broken)  # the last patch fails
    with pytest.raises(RuntimeError, match="boom"):
        patches.apply()
    assert not patches.is_applied()
    assert all(a is b for a, b in zip(_originals(), originals))


def test_backbone_yaml_needs_the_patches(reverted):
    with pytest.raises((KeyError, FileNotFoundError)):
        YOLO("yolo11n-starnet.yaml")
