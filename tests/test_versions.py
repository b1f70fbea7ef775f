"""The Ultralytics and timm releases yolo-lite supports: the check at patch time, the ranges, each release's paths.

``tools/check_versions.py`` runs the smoke test on the installed (newest tested) release here; maintainers run it on
the oldest and the ones between (docs/versions.md).
"""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import ultralytics
from ultralytics import YOLO
from ultralytics.nn import tasks

from yolo_lite import patches
from yolo_lite.patches import parse_model, versions
from yolo_lite.patches.predict import wrap_predict_once

ROOT = Path(__file__).resolve().parent.parent


def test_smoke_test_passes_on_the_installed_ultralytics(tmp_path):
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "check_versions.py"), "installed", "--cache", str(tmp_path)],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-3000:]
    steps = re.findall(r"^ok   (\w+) ", result.stdout, re.MULTILINE)
    assert steps == ["versions", "stock", "build", "train", "predict", "fuse", "export"]
    version = re.escape(ultralytics.__version__)
    row = re.search(rf"^\| {version} \| passed \| \d+ \| (.*) \| (.*) \|$", result.stdout, re.MULTILINE)
    assert row and row.groups() == ("-", "-")  # every step ran, and the pinned set meets the release's requirements


@pytest.mark.parametrize("installed", ["8.2.103", "9.0.0"])
def test_unsupported_ultralytics_is_refused_at_patch_time(monkeypatch, installed):
    patches.revert()
    monkeypatch.setattr(ultralytics, "__version__", installed)
    try:
        with pytest.raises(ImportError) as error:
            patches.apply()
        assert not patches.is_applied() and not hasattr(tasks.parse_model, "__wrapped__")
    finally:
        monkeypatch.undo()
        patches.apply()
    message = str(error.value)
    assert f"ultralytics {installed} is installed ({Path(ultralytics.__file__).parent})" in message
    assert message.startswith("yolo-lite supports ultralytics>=8.3.0,<9, but")
    assert message.endswith('pip install "ultralytics>=8.3.0,<9"')


def test_ultralytics_not_imported_yet_is_checked_from_its_metadata(monkeypatch):
    """`import yolo_lite` before Ultralytics checks the installed release without importing it."""

    class Installed:
        version = "8.2.103"

        def locate_file(self, name):
            return Path("/site-packages") / name

    distribution = versions.metadata.distribution
    monkeypatch.delitem(sys.modules, "ultralytics")
    monkeypatch.setattr(
        versions.metadata, "distribution", lambda name: Installed() if name == "ultralytics" else distribution(name)
    )
    with pytest.raises(ImportError, match=r"ultralytics 8\.2\.103 is installed \(/site-packages/ultralytics\)\."):
        versions.check_versions()
    assert "ultralytics" not in sys.modules


def test_old_timm_is_refused(monkeypatch):
    for supported in ("8.3.0", "8.3.59", "8.4.190", "8.99.0.dev3"):
        versions.check_versions(ultralytics_version=supported, timm_version="1.0.16")
    expected = r'supports timm>=1\.0\.16, but timm 1\.0\.15 is installed \(.*\)\. .*: pip install "timm>=1\.0\.16"'
    with pytest.raises(ImportError, match=expected):
        versions.check_versions(timm_version="1.0.15")

    def not_installed(name):
        raise versions.metadata.PackageNotFoundError(name)

    monkeypatch.setattr(versions.metadata, "distribution", not_installed)
    with pytest.raises(ImportError, match=r'needs timm: pip install "timm>=1\.0\.16"'):
        versions.check_versions()


def test_pyproject_and_the_version_script_declare_the_checked_ranges():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert f'"{versions.requirement("ultralytics", versions.ULTRALYTICS)}",' in pyproject
    assert f'"{versions.requirement("timm", versions.TIMM)}",' in pyproject
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import check_versions
    finally:
        sys.path.remove(str(ROOT / "tools"))
    assert check_versions.supported_range() == versions.ULTRALYTICS
    assert check_versions.default_versions()[0] == versions.ULTRALYTICS[0]
    assert check_versions.default_versions()[-1] == ultralytics.__version__  # the pinned release is the one tested


@pytest.mark.parametrize("cfg", ["yolo11n-starnet.yaml", "yolo11n-fasternet.yaml"])  # fasternet: slot 0 empty
def test_releases_without_index_build_the_same_model(monkeypatch, cfg):
    """Before 8.3.59 Ultralytics has no Index: ResNetLayer rows carry the channels and are then emptied."""
    with_index = YOLO(cfg).model.eval()
    monkeypatch.setattr(parse_model, "has_index", lambda: False)  # deleting tasks.Index would break parse_model itself
    without = YOLO(cfg).model.eval()
    monkeypatch.undo()
    assert [type(m).__name__ for m in without.model[1:5]] == ["Identity"] * 4
    assert not any(p.numel() for m in without.model[1:5] for p in m.parameters())
    assert [m.i for m in without.model] == [m.i for m in with_index.model]
    # Index rows 1-4 read slot 0's list (from 0, for RT-DETR's own loop); the placeholders are filled by _predict_once
    assert [m.f for m in with_index.model[1:5]] == [0] * 4 and [m.f for m in without.model[1:5]] == [-1] * 4
    assert [m.f for m in without.model[5:]] == [m.f for m in with_index.model[5:]]
    assert set(without.save) == set(with_index.save) - {0}
    without.load_state_dict(with_index.state_dict(), strict=True)
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        assert torch.equal(without(x)[0], with_index(x)[0])


def test_predict_once_takes_the_older_signature_with_visualize():
    """Ultralytics up to 8.4.112 calls _predict_once(x, profile, visualize, embed); later (x, profile, embed)."""

    def old(self, x, profile=False, visualize=False, embed=None):
        return "stock", profile, visualize, embed

    def new(self, x, profile=False, embed=None):
        return "stock", profile, embed

    model = YOLO("yolo11n-starnet.yaml").model.eval()
    stock = YOLO("yolo11n.yaml").model.eval()
    x = torch.rand(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    old_wrapper, new_wrapper = wrap_predict_once(old), wrap_predict_once(new)
    assert old_wrapper(stock, x, False, False, [3]) == ("stock", False, False, [3])  # passed through as given
    assert new_wrapper(stock, x, True, embed=[3]) == ("stock", True, [3])
    assert inspect.signature(old_wrapper) == inspect.signature(old)
    with torch.no_grad():
        for wrapper, args in ((old_wrapper, (False, False, [2, 4])), (new_wrapper, (False, [2, 4]))):
            vectors = wrapper(model, x, *args)
            assert torch.equal(torch.stack(vectors), torch.stack(model.predict(x, embed=[2, 4])))
        assert torch.equal(old_wrapper(model, x, False, False, None)[0], model(x)[0])
    with pytest.raises(TypeError):
        new_wrapper(model, x, False, False, None)  # too many arguments, as the original would say


def test_predict_once_refuses_arguments_it_does_not_implement():
    def future(self, x, profile=False, embed=None, tile=None):
        return "stock"

    model = YOLO("yolo11n-starnet.yaml").model.eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        assert wrap_predict_once(future)(model, x, tile=None)[0].shape == model(x)[0].shape
        with pytest.raises(TypeError, match=r"do not implement the _predict_once argument\(s\) \['tile'\]"):
            wrap_predict_once(future)(model, x, tile=2)
