"""`yolo-lite benchmark`: the quick CI run writes every output, accuracy mode trains and validates, bad input fails."""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from PIL import Image

from yolo_lite.benchmark import FIELDS, run_benchmark, time_interleaved
from yolo_lite.cli import main

from .conftest import IMGSZ

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ENVIRONMENT_KEYS = {"cpu", "cpu_count", "threads", "cuda", "python", "torch", "ultralytics", "timm", "onnxruntime"}
MEASURED = [  # fields every CPU run fills with a positive number, ONNX included
    "params", "gflops", "pt_mb", "onnx_mb", "imgsz", "threads", "batch", "cpu_ips", "cpu_peak_mb",
    *(f"{backend}_{kind}" for backend in ("cpu", "cpu_cl", "onnx") for kind in ("ms", "vs_stock", "gflops_per_s")),
]
SPREADS = ["cpu_iqr_ms", "onnx_iqr_ms"]  # >= 0: the files round to 0.1 us
CUDA_FIELDS = [key for key in FIELDS if key.startswith("cuda_")]


def check_png(path: Path) -> None:
    """Assert ``path`` is a PNG that PIL decodes, with a real picture in it."""
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        image.load()
        assert image.format == "PNG" and min(image.size) >= 200


def table_rows(markdown: str) -> list[str]:
    """Return the model names of the markdown table's body rows."""
    return [line.split("|")[1].strip() for line in markdown.splitlines() if line.startswith("| yolo11")]


def test_quick_cli_writes_table_csv_json_and_png(tmp_path):
    exe = shutil.which("yolo-lite", path=str(Path(sys.executable).parent))
    assert exe, "the `yolo-lite` console script is installed with the package"
    out = tmp_path / "bench"
    result = subprocess.run(
        [exe, "benchmark", "--quick", "--out", str(out)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "AutoUpdate" not in result.stdout + result.stderr  # the ONNX export never tries to pip-install anything
    family = "starnet"
    models = ["yolo11n", f"yolo11n-{family}"]

    assert table_rows(result.stdout) == models  # the table on stdout, one row per model
    markdown = (out / "benchmark.md").read_text()
    assert f"`yolo-lite benchmark --quick --out {out}`" in markdown.splitlines()[2]
    assert table_rows(markdown) == models

    with (out / "benchmark.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == list(FIELDS) and [row["model"] for row in rows] == models
    assert all(float(row[key]) > 0 for row in rows for key in MEASURED)
    assert all(float(row[key]) >= 0 for row in rows for key in SPREADS)

    report = json.loads((out / "benchmark.json").read_text())
    assert report["command"].startswith("yolo-lite benchmark --quick")
    assert ENVIRONMENT_KEYS <= report["environment"].keys() and report["environment"]["threads"] >= 1
    quick = dict(scales=["n"], families=[family], imgsz=IMGSZ, rounds=2, warmup=1, batch=2, onnx=True, accuracy=False)
    assert {key: report["settings"][key] for key in quick} == quick
    assert report["fields"] == FIELDS
    for row in report["rows"]:
        assert row.keys() == FIELDS.keys()
        assert all(row[key] > 0 for key in MEASURED) and all(row[key] >= 0 for key in SPREADS), row
        assert all((row[key] is None) != torch.cuda.is_available() for key in CUDA_FIELDS), row
        assert row["map50"] is None and row["map50_95"] is None and row["epochs"] is None
        assert row["params"] == int(row["params"]) and row["imgsz"] == IMGSZ
    stock, lite = report["rows"]
    assert stock["family"] == "stock" and stock["cpu_vs_stock"] == stock["onnx_vs_stock"] == 1.0
    assert lite["family"] == family and lite["params"] < stock["params"] and lite["gflops"] < stock["gflops"]
    check_png(out / "benchmark.png")


def test_accuracy_mode_trains_and_validates_two_models(data_yaml, tmp_path):
    rows = run_benchmark(
        families=["starnet"], scales="n", imgsz=IMGSZ, rounds=1, warmup=0, batch=2, batch_rounds=1, onnx=False,
        accuracy=True, data=data_yaml, epochs=1, train_kwargs=dict(batch=8, workers=0, device="cpu"), out_dir=tmp_path,
    )
    assert [row["model"] for row in rows] == ["yolo11n", "yolo11n-starnet"]
    for row in rows:
        assert row["epochs"] == 1 and 0.0 <= row["map50_95"] <= row["map50"] <= 1.0
        assert row["onnx_ms"] is None and row["cpu_ms"] > 0
        assert (tmp_path / "train" / row["model"] / "weights" / "best.pt").is_file()
    report = json.loads((tmp_path / "benchmark.json").read_text())
    assert report["settings"]["data"] == str(data_yaml) and report["settings"]["epochs"] == 1
    assert [row["map50_95"] for row in report["rows"]] == [pytest.approx(row["map50_95"], abs=1e-4) for row in rows]
    assert "| mAP50 | mAP50-95 |" in (tmp_path / "benchmark.md").read_text()
    check_png(tmp_path / "benchmark.png")


def test_rounds_are_interleaved_stock_first_after_warmup():
    calls = []
    times = time_interleaved({name: (lambda n=name: calls.append(n)) for name in ("stock", "a", "b")}, 3, warmup=2)
    assert calls == ["stock", "a", "b"] * 5
    assert [len(t) for t in times.values()] == [3, 3, 3] and all(s >= 0 for t in times.values() for s in t)


@pytest.mark.parametrize(
    "kwargs, problem, fix",
    [
        (dict(families=["mobilenet"]), "unknown family 'mobilenet'", "available families: .*starnet"),
        (dict(families=["yolo11n-starnet.yaml"]), "unknown family 'yolo11n-starnet.yaml'", "family name such as"),
        (dict(families=[]), "no family", "available families"),
        (dict(scales=["q"]), "scales must be one or more of n, s, m, l, x", r"--scales n s"),
        (dict(rounds=0), "rounds must be an integer >= 1, got 0", "--rounds"),
        (dict(rounds=-3), "rounds must be an integer >= 1, got -3", "--rounds"),
        (dict(batch=0), "batch must be an integer >= 1", "--batch"),
        (dict(warmup=-1), "warmup must be an integer >= 0", "--warmup"),
        (dict(imgsz=100), "imgsz must be a multiple of 32", "pass e.g. 640"),
        (dict(accuracy=True, data="no/such/data.yaml"), "data YAML not found: 'no/such/data.yaml'", "synthetic"),
        (dict(data="coco128.yaml"), "only used to measure accuracy", "--accuracy"),
    ],
)
def test_bad_input_raises_value_error_naming_problem_and_fix(kwargs, problem, fix, tmp_path):
    with pytest.raises(ValueError, match=problem) as error:
        run_benchmark(out_dir=tmp_path / "out", **kwargs)
    assert re.search(fix, str(error.value))
    assert not (tmp_path / "out").exists()  # rejected before any work


def test_unusable_data_yaml_is_rejected_before_timing(tmp_path):
    data = tmp_path / "data.yaml"
    data.write_text(f"path: {tmp_path / 'nowhere'}\ntrain: images/train\nval: images/val\nnames: {{0: a}}\n")
    with pytest.raises(ValueError, match=r"not a usable Ultralytics dataset: .*images not found.*fix its 'path'"):
        run_benchmark(accuracy=True, data=data, out_dir=tmp_path / "out")


def test_cli_reports_bad_input_as_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["benchmark", "--quick", "--rounds", "0"])
    assert exit_.value.code == 2
    assert "rounds must be an integer >= 1, got 0; pass rounds=1 or more (--rounds)" in capsys.readouterr().err
