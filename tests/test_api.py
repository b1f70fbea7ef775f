"""User-facing entry points: Python API, the stock `yolo` CLI, and processes that never import yolo_lite."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import IMGSZ, run_python


def test_python_api_train_val_predict(trained, data_yaml):
    model, run_dir = trained
    assert (run_dir / "weights" / "best.pt").is_file()
    metrics = model.val(data=str(data_yaml), imgsz=IMGSZ, batch=8, device="cpu", workers=0, plots=False)
    assert 0.0 <= metrics.box.map50 <= 1.0
    image = next((Path(data_yaml).parent / "images" / "val").glob("*.png"))
    results = model.predict(image, imgsz=IMGSZ, device="cpu", verbose=False)
    assert results[0].boxes is not None and results[0].orig_shape == (IMGSZ, IMGSZ)


def test_fresh_interpreter_loads_best_pt_without_importing_yolo_lite(trained, tmp_path):
    _, run_dir = trained
    code = (
        "import sys, numpy as np\n"
        "from ultralytics import YOLO\n"
        f"model = YOLO({str(run_dir / 'weights' / 'best.pt')!r})\n"
        f"r = model.predict(np.zeros(({IMGSZ}, {IMGSZ}, 3), np.uint8), imgsz={IMGSZ}, device='cpu', verbose=False)\n"
        "print('BACKBONE', type(model.model.model[0]).__name__, 'BOXES', len(r[0].boxes))\n"
    )
    result = run_python(code, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "BACKBONE StarNet BOXES" in result.stdout


def test_stock_cli_trains_a_backbone_yaml(data_yaml, tmp_path):
    yolo = shutil.which("yolo", path=str(Path(sys.executable).parent))
    assert yolo, "the `yolo` console script is installed with ultralytics"
    result = subprocess.run(
        [yolo, "detect", "train", "model=yolo11n-starnet.yaml", f"data={data_yaml}", "epochs=1", f"imgsz={IMGSZ}",
         "batch=8", "device=cpu", "workers=0", "plots=False", f"project={tmp_path}", "name=cli"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "cli" / "weights" / "last.pt").is_file()


def test_autoload_imports_nothing_heavy_at_startup(tmp_path):
    result = run_python("import sys; print(sorted(m for m in ('torch', 'ultralytics', 'yolo_lite') if m in sys.modules))", tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_autoload_patches_ultralytics_and_can_be_switched_off(tmp_path):
    code = "from ultralytics.nn import tasks; print(hasattr(tasks.parse_model, '__wrapped__'))"
    assert run_python(code, tmp_path).stdout.strip() == "True"
    assert run_python(code, tmp_path, YOLO_LITE_AUTOLOAD="0").stdout.strip() == "False"


def test_profile_layers_example_splits_stock_and_lite_models(tmp_path):
    """examples/profile_layers.py splits at each YAML's backbone section, C2PSA or not (yolo26n-repghost has none)."""
    script = Path(__file__).parents[1] / "examples" / "profile_layers.py"
    result = subprocess.run(
        [sys.executable, str(script), "yolo26n.yaml", "yolo26n-repghost.yaml", "--imgsz", "64", "--threads", "1",
         "--channels-last"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    rows = [line.split("|")[1:-1] for line in (result.stdout + result.stderr).splitlines() if ".yaml |" in line]
    assert [row[0].strip() for row in rows] == ["yolo26n.yaml", "yolo26n-repghost.yaml"]
    for _, backbone, head, total, share in rows:
        assert float(backbone) > 0 and float(head) > 0
        assert abs(float(backbone) + float(head) - float(total)) <= 0.11  # rounded to 0.1 ms each
    assert float(rows[0][4]) == pytest.approx(float(rows[0][2]) / float(rows[0][3]), abs=0.02)


def test_predict_speed_example_times_inference_and_postprocess(tmp_path):
    """examples/predict_speed.py: one line per model, ratios to the first, the postprocess from predict()'s speed."""
    import cv2
    import numpy as np

    script = Path(__file__).parents[1] / "examples" / "predict_speed.py"
    (tmp_path / "images").mkdir()
    for k in range(3):
        cv2.imwrite(str(tmp_path / "images" / f"{k}.jpg"), np.full((48, 64, 3), 40 * k, np.uint8))
    command = [sys.executable, str(script), "yolo26n.yaml", "yolo26n-repghost-nms.yaml", "--imgsz", "64", "--threads",
               "1", "--rounds", "2"]
    result = subprocess.run([*command, "--images", "images"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    lines = [line for line in (result.stdout + result.stderr).splitlines() if ": inference " in line]
    assert [line.split(":")[0] for line in lines] == ["yolo26n.yaml", "yolo26n-repghost-nms.yaml"]
    assert "1.00x the first" in lines[0] and all("ms (3 images)" in line for line in lines)
    missing = subprocess.run([*command, "--images", "nowhere"], cwd=tmp_path, capture_output=True, text=True)
    assert missing.returncode != 0 and "matches no image" in missing.stderr


def test_profile_onnx_example_splits_node_time_by_operator(tmp_path):
    """examples/profile_onnx.py: a table per model, Conv the largest operator's time, the listed shares at most 1 in
    all; the exports go to a temporary folder, none into the working directory."""
    script = Path(__file__).parents[1] / "examples" / "profile_onnx.py"
    command = [sys.executable, str(script), "yolo26n.yaml", "yolo26n-repghost-nms.yaml", "--imgsz", "64", "--threads",
               "1", "--runs", "2", "--warmup", "1"]  # fmt: skip
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    headers = [line for line in output.splitlines() if "ms of node time per run" in line]
    assert [line.split(" at ")[0] for line in headers] == ["yolo26n.yaml", "yolo26n-repghost-nms.yaml"]
    tables = output.split("ms of node time per run")[1:]
    for table in tables:
        rows = [line.split("|")[1:-1] for line in table.splitlines() if line.startswith("| ") and "operator" not in line]
        assert rows[0][0].strip() == "Conv" and float(rows[0][1]) > 0  # the largest first
        assert sum(float(share) for _, _, share, _ in rows) <= 1.01 and all(int(n) >= 1 for *_, n in rows)
    assert not list(tmp_path.iterdir())  # nothing left in the working directory
