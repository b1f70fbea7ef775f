"""The `yolo-lite` command line answers `--help` and `--version` without importing torch or Ultralytics, and
`import yolo_lite` stays light while still patching every Ultralytics model built after it."""

from __future__ import annotations

import importlib.metadata
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import yolo_lite
from yolo_lite.cli import _parser

from .conftest import run_python

HEAVY = ("torch", "ultralytics", "numpy", "onnx", "openvino")
# Run the CLI as the console script does (`from yolo_lite.cli import main; main()`), then list the heavy modules.
RUN_CLI = """
import sys
sys.argv = ["yolo-lite", *{argv!r}]
try:
    from yolo_lite.cli import main
    main()
except SystemExit as e:
    code = e.code
print("EXIT", code, "HEAVY", sorted(m for m in {heavy!r} if m in sys.modules))
"""


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["--version"], ["benchmark", "--help"], ["export-matrix", "--help"]],
    ids=lambda argv: " ".join(argv),
)
def test_help_and_version_import_nothing_heavy(argv, tmp_path):
    result = run_python(RUN_CLI.format(argv=argv, heavy=HEAVY), tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "EXIT 0 HEAVY []"


def test_console_script_prints_the_version(tmp_path):
    exe = shutil.which("yolo-lite", path=str(Path(sys.executable).parent))
    assert exe, "the `yolo-lite` console script is installed with the package"
    result = subprocess.run([exe, "--version"], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    version = importlib.metadata.version("yolo-lite")
    assert version == yolo_lite.__version__  # pyproject.toml and the package agree
    ultralytics = importlib.metadata.version("ultralytics")
    assert result.stdout.startswith(f"yolo-lite {version} (ultralytics {ultralytics}, torch ")


def test_export_matrix_defaults_to_a_runs_folder_and_no_page():
    from yolo_lite.export_matrix.formats import OUT_DIR

    args = _parser().parse_args(["export-matrix"])
    assert (args.out, args.exist_ok, args.docs, OUT_DIR) == (None, False, None, "runs/export-matrix")  # a new run dir
    assert _parser().parse_args(["export-matrix", "--docs", "docs/deployment.md"]).docs == "docs/deployment.md"


def test_import_yolo_lite_is_light_and_patches_ultralytics_when_it_loads(tmp_path):
    """Without the autoload, `import yolo_lite` alone arms the patches; they are in place once Ultralytics loads,
    in the modules that import Ultralytics' functions by name too."""
    code = (
        "import sys\n"
        "import yolo_lite\n"
        f"print('HEAVY', sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
        "from yolo_lite import patches\n"
        "print('APPLIED', patches.is_applied())\n"
        "from ultralytics import YOLO\n"
        "from ultralytics.engine import model\n"
        "from ultralytics.nn import tasks\n"
        "print('APPLIED', patches.is_applied(), hasattr(tasks.parse_model, '__wrapped__'), "
        "model.yaml_model_load is tasks.yaml_model_load)\n"
        "print('LAYER0', type(YOLO('yolo11n-starnet.yaml').model.model[0]).__name__)\n"
    )
    result = run_python(code, tmp_path, YOLO_LITE_AUTOLOAD="0")
    assert result.returncode == 0, result.stderr[-3000:]
    lines = [line for line in result.stdout.splitlines() if line.startswith(("HEAVY", "APPLIED", "LAYER0"))]
    assert lines == ["HEAVY []", "APPLIED False", "APPLIED True True True", "LAYER0 StarNet"]


def test_revert_before_ultralytics_loads_disarms_the_patches(tmp_path):
    code = (
        "import yolo_lite\n"
        "from yolo_lite import patches\n"
        "patches.revert()\n"
        "from ultralytics.nn import tasks\n"
        "print('PATCHED', hasattr(tasks.parse_model, '__wrapped__'))\n"
    )
    for autoload in ("0", "1"):  # with the autoload on, revert() disarms its hook as well
        result = run_python(code, tmp_path, YOLO_LITE_AUTOLOAD=autoload)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "PATCHED False" in result.stdout
