"""Runs never overwrite: the demo, `yolo-lite benchmark` and `export-matrix` each pick a new directory unless told."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from yolo_lite.cli import main
from yolo_lite.run_dir import run_dir

ROOT = Path(__file__).resolve().parent.parent


def test_run_dir_names_new_siblings_and_keeps_named_ones(tmp_path):
    default = tmp_path / "runs" / "benchmark"
    assert run_dir(None, default) == default
    default.mkdir(parents=True)
    second = run_dir(None, default)
    assert second != default and second.parent == default.parent and second.name.startswith("benchmark")
    assert run_dir(None, default, exist_ok=True) == default
    assert run_dir(default, "unused") == default  # the user named it


def _demo():
    spec = importlib.util.spec_from_file_location("demo", ROOT / "examples" / "demo.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.main


def test_two_demo_runs_leave_two_runs_and_exist_ok_reuses_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    demo = _demo()
    args = ["--task", "classify", "--epochs", "1", "--imgsz", "32", "--images", "8"]
    first = demo(args)
    best = (first / "weights" / "best.pt").read_bytes()
    second = demo(args)
    assert first != second and first.parent == second.parent == (tmp_path / "runs" / "yolo-lite-demo")
    assert (first / "prediction.png").is_file() and (second / "prediction.png").is_file()
    assert (first / "weights" / "best.pt").read_bytes() == best  # untouched by the second run
    assert demo([*args, "--exist-ok"]) == first
    assert sorted(p.name for p in first.parent.iterdir()) == sorted([first.name, second.name])


def test_two_benchmark_runs_leave_two_directories_and_exist_ok_reuses_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    quick = ["benchmark", "--quick", "--no-onnx", "--no-openvino", "--rounds", "1", "--batch-rounds", "1"]
    main(quick)
    main(quick)
    runs = sorted((tmp_path / "runs").iterdir())
    assert len(runs) == 2 and all((run / "benchmark.md").is_file() for run in runs)
    (runs[0] / "mine.txt").write_text("kept")
    main([*quick, "--exist-ok"])
    assert sorted((tmp_path / "runs").iterdir()) == runs and (runs[0] / "mine.txt").read_text() == "kept"
    main([*quick, "--out", str(runs[1])])  # a named directory is used as given
    assert len(list((tmp_path / "runs").iterdir())) == 2


class _Stop(Exception):
    """Raised instead of exporting: the test only looks at the directory a run claims first."""


def test_export_matrix_runs_claim_new_directories(tmp_path, monkeypatch):
    from yolo_lite.export_matrix import run as export_run
    from yolo_lite.export_matrix.formats import OUT_DIR

    def stop(*args):
        raise _Stop

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(export_run, "build_reference", stop)
    command = ["export-matrix", "--formats", "onnx"]
    default = tmp_path / OUT_DIR
    for extra, made in (([], 1), ([], 2), (["--exist-ok"], 2)):  # the third reuses the default directory
        with pytest.raises(_Stop):
            main([*command, *extra])
        assert default.is_dir() and len(list(default.parent.iterdir())) == made
