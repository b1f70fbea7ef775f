"""The wheel is self-contained: YAMLs and patches inside `yolo_lite`, the autoload `.pth` at the root.

The repository keeps `cfg/` and `patches/` at its top level; setuptools' `package-dir` maps them to `yolo_lite.cfg`
and `yolo_lite.patches` in wheels and editable installs alike, with no symlinks (a checkout without symlink support
would turn them into text files). The documented commands that name a yolo-lite module run in a fresh virtual
environment with yolo-lite installed each way (its other packages come from this environment).
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SITE_PACKAGES = [p for p in sys.path if p.endswith("site-packages")]  # this environment's (a venv may chain several)
# The documented commands that name a yolo-lite module: argv (run from the venv's bin/) and a check of stdout, given
# the folder yolo-lite's files must come from (the checkout for an editable install, the venv for a wheel).
COMMANDS = {
    "import yolo_lite.cfg": (
        ["python", "-c", "import yolo_lite.cfg as c; print(c.__path__[0])"],
        lambda out, home: Path(out).is_relative_to(home) and (Path(out) / "yolo11n-starnet.yaml").is_file(),
    ),
    "python -m yolo_lite.cfg NAME": (
        ["python", "-m", "yolo_lite.cfg", "yolo11n-starnet-imagenet.yaml"],
        lambda out, home: Path(out).is_relative_to(home) and Path(out).name == "yolo11n-starnet-imagenet.yaml",
    ),
    "python -m yolo_lite.summary": (["python", "-m", "yolo_lite.summary", "--help"], lambda out, _: "--scales" in out),
    "yolo-lite": (["yolo-lite", "--help"], lambda out, _: "export-matrix" in out),
}


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
    assert {"yolo_lite/cfg/__init__.py", "yolo_lite/cfg/__main__.py"} <= set(names)  # a package, not a data folder
    assert {"yolo_lite/patches/__init__.py", "yolo_lite/patches/parse_model.py"} <= set(names)
    sources = {f"yolo_lite/{p.relative_to(ROOT / 'yolo_lite').as_posix()}" for p in (ROOT / "yolo_lite").rglob("*.py")}
    assert sources <= set(names), f"modules missing from the wheel (pyproject's packages): {sorted(sources - set(names))}"
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
        f"sys.path.extend({SITE_PACKAGES!r})\n"
        f"site.addsitedir({str(target)!r})\n"
        "from ultralytics.nn import tasks\n"
        "import yolo_lite\n"
        "print(hasattr(tasks.parse_model, '__wrapped__'), yolo_lite.__file__)\n"
        "print(tasks.yaml_model_load('yolo11n-starnet.yaml')['yaml_file'])\n"
    )
    result = subprocess.run(
        [sys.executable, "-S", "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
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


def _venv(path: Path) -> Path:
    """Create a virtual environment at ``path`` that sees this environment's packages (none of its ``.pth`` files run,
    so this environment's yolo-lite install stays out); return its ``bin`` folder."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(path)], check=True, timeout=120)
    purelib = subprocess.run(
        [path / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True, timeout=60,
    ).stdout.strip()  # fmt: skip
    Path(purelib, "00_outer_site_packages.pth").write_text("".join(f"{p}\n" for p in SITE_PACKAGES))
    return path / "bin"


@pytest.fixture(scope="module", params=["editable", "wheel"])
def installed(request, tmp_path_factory) -> tuple[Path, Path]:
    """A fresh venv with yolo-lite installed from this checkout, editable or from the wheel: its ``bin`` folder, and
    the folder yolo-lite's files must come from."""
    venv = tmp_path_factory.mktemp(request.param) / "venv"
    bin_dir = _venv(venv)
    target = ["-e", str(ROOT)] if request.param == "editable" else [str(request.getfixturevalue("wheel"))]
    subprocess.run(
        [bin_dir / "python", "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index", "-q", *target],
        check=True, capture_output=True, timeout=600,
    )  # fmt: skip
    return bin_dir, ROOT if request.param == "editable" else venv


@pytest.mark.parametrize("command", list(COMMANDS))
def test_documented_commands_run_in_both_install_modes(installed, command, tmp_path):
    bin_dir, home = installed
    argv, check = COMMANDS[command]
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([bin_dir / argv[0], *argv[1:]], cwd=tmp_path, capture_output=True, text=True, env=env,
                            timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    out = result.stdout if "--help" in argv else result.stdout.strip().splitlines()[-1]
    assert check(out, home), result.stdout
