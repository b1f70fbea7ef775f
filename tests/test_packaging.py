"""The wheel is self-contained: YAMLs and patches inside `yolo_lite`, the autoload `.pth` at the root.

The repository keeps `cfg/` and `patches/` at its top level; setuptools' `package-dir` maps them to `yolo_lite.cfg`
and `yolo_lite.patches` in wheels and editable installs alike, with no symlinks (a checkout without symlink support
would turn them into text files).
"""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out), str(ROOT)],
        check=True, capture_output=True, timeout=600,
    )
    return next(out.glob("yolo_lite-*.whl"))


def test_wheel_contents(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "yolo_lite-autoload.pth" in names and "_yolo_lite_autoload.py" in names
    assert {"yolo_lite/cfg/yolo11-starnet-scaled.yaml", "yolo_lite/cfg/yolo11n-starnet-imagenet.yaml"} <= set(names)
    assert {"yolo_lite/patches/__init__.py", "yolo_lite/patches/parse_model.py"} <= set(names)
    top_level = {n.split("/")[0] for n in names}
    assert not top_level & {"cfg", "patches", "tests", "examples"}


def test_installed_wheel_autoloads(wheel, tmp_path):
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
        check=True, capture_output=True, timeout=600,
    )
    # -S: no site-packages .pth files run, so only the wheel's own .pth (via addsitedir) can patch Ultralytics.
    code = (
        "import site, sys\n"
        f"sys.path.append({sysconfig.get_paths()['purelib']!r})\n"
        f"site.addsitedir({str(target)!r})\n"
        "from ultralytics.nn import tasks\n"
        "import yolo_lite\n"
        "print(hasattr(tasks.parse_model, '__wrapped__'), yolo_lite.__file__)\n"
        "print(tasks.yaml_model_load('yolo11n-starnet.yaml')['yaml_file'])\n"
    )
    result = subprocess.run([sys.executable, "-S", "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    patched, location = result.stdout.split("\n")[0].split()
    assert patched == "True" and location.startswith(str(target))
    assert result.stdout.split("\n")[1].startswith(str(target / "yolo_lite" / "cfg"))


def test_repository_has_no_symlinks():
    links = [p.relative_to(ROOT) for p in ROOT.rglob("*") if p.is_symlink() and ".venv" not in p.parts]
    assert not links, f"symlinks break checkouts without symlink support: {links}"


def test_editable_install_maps_top_level_folders(tmp_path):
    # CI installs with `pip install -e .`; the editable finder must serve cfg/ and patches/ as yolo_lite subpackages.
    code = (
        "import yolo_lite, yolo_lite.patches\n"
        "from ultralytics.nn.tasks import yaml_model_load\n"
        "print(yolo_lite.__file__)\n"
        "print(yolo_lite.patches.__file__)\n"
        "print(yaml_model_load('yolo11n-starnet.yaml')['yaml_file'])\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    package, patches, yaml_file = result.stdout.splitlines()[-3:]
    if not package.startswith(str(ROOT)):
        pytest.fail(f"yolo_lite is not installed from this checkout ({package}); install it with pip install -e .")
    assert Path(patches) == ROOT / "patches" / "__init__.py"
    assert Path(yaml_file) == ROOT / "cfg" / "yolo11n-starnet.yaml"
