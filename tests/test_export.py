"""Exports of every family through Ultralytics' exporter, run back with ``YOLO(path)`` and compared with PyTorch.

CI covers ONNX (static and dynamic), TorchScript, OpenVINO (float32) and NCNN for StarNet, FasterNet, MicroNet and a
timm backbone (MobileNetV4), at 64 px, one calibrated model per family (``yolo_lite.export_matrix.reference``). The
heavier converters (MNN, PaddlePaddle) are the opt-in ``slow_export`` group: ``pytest -m slow_export`` after
``pip install -c constraints.txt -e ".[test,export]"``. CoreML and LiteRT, whose converters clash with the pinned
packages, are the opt-in ``isolated_export`` group: ``pytest -m isolated_export`` installs them (PyPI access needed
once, about 1.2 GB) into ``~/.cache/yolo-lite/converters``. ``yolo-lite export-matrix`` records when each last ran. CI
runs the isolation itself on ONNX, whose converter is installed, without network access.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest

from yolo_lite.cli import main
from yolo_lite.data import synthetic_image
from yolo_lite.export_matrix import (
    CI_FORMATS,
    DEFAULT_MODELS,
    ISOLATED_FORMATS,
    SLOW_FORMATS,
    build_reference,
    check_export,
    get_format,
    match_detections,
    perturbed_shift,
    reference_outputs,
    run_exported,
)
from yolo_lite.export_matrix.isolated import converter_dir, install_converter, isolated_env
from yolo_lite.export_matrix.report import BLOCK_BEGIN, BLOCK_END, cell, merge_rows, page_block, update_page

from .conftest import run_python

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module", params=DEFAULT_MODELS, ids=lambda name: name.removesuffix(".yaml"))
def reference(request, tmp_path_factory):
    """One calibrated checkpoint per family: ``(checkpoint, image, outputs, work_dir, margin)``."""
    work = tmp_path_factory.mktemp(Path(request.param).stem)
    checkpoint, image, margin = build_reference(request.param, work)
    return checkpoint, image, reference_outputs(checkpoint, image), work, margin


def _check(reference, key: str) -> dict:
    """Export the reference model to ``key``, run it and assert it reproduces PyTorch; return the row."""
    checkpoint, image, outputs, work, _ = reference
    row = check_export(checkpoint, image, get_format(key), outputs, work)
    assert row["exports"] and row["runs"], row["error"]
    assert row["box_diff"] <= row["box_tol"] and row["score_diff"] <= row["score_tol"], row
    assert row["boxes_match"], row
    return row


@pytest.mark.parametrize("key", CI_FORMATS)
def test_export_reproduces_pytorch(reference, key):
    """Every CI format exports, predicts through YOLO(path), and gives PyTorch's raw outputs and boxes."""
    row = _check(reference, key)
    if key == "openvino":
        assert row["precision"] == "f32"  # the float32 hint reached the compiled model


def test_export_runs_without_yolo_lite(reference):
    """An NCNN export predicts PyTorch's boxes in a fresh interpreter that never loads yolo-lite."""
    checkpoint, image, outputs, work, _ = reference
    row = check_export(checkpoint, image, get_format("ncnn"), outputs, work / "fresh")
    assert row["boxes_match"], row
    np.save(work / "image.npy", image)
    model = work / "fresh" / "ncnn" / f"{checkpoint.stem}_ncnn_model"
    code = (
        "import json, sys, numpy as np; from ultralytics import YOLO; "
        f"b = YOLO({str(model)!r}, task='detect').predict(np.load({str(work / 'image.npy')!r}), imgsz=64)[0].boxes; "
        "print(json.dumps([np.c_[b.xyxy, b.conf, b.cls].tolist(), 'yolo_lite' in sys.modules]))"
    )
    result = run_python(code, work, YOLO_LITE_AUTOLOAD="0")
    assert result.returncode == 0, result.stderr
    detections, loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert not loaded
    assert match_detections(outputs.detections, np.array(detections, np.float32), row["box_tol"], row["score_tol"])


@pytest.mark.slow_export
@pytest.mark.parametrize("key", SLOW_FORMATS)
def test_heavy_export_reproduces_pytorch(reference, key):
    """MNN and PaddlePaddle, as the CI formats (opt-in: ``pytest -m slow_export``).

    MNN computes GELU with its tanh approximation, not PyTorch's erf: on a model with GELU (FasterNet's blocks) the
    raw outputs may then miss the float32 tolerance although the boxes match; that case is an expected failure, and the
    export matrix reports it as "raw differs".
    """
    checkpoint, image, outputs, work, _ = reference
    if key == "mnn" and _uses_gelu(checkpoint):
        row = check_export(checkpoint, image, get_format(key), outputs, work)
        assert row["exports"] and row["runs"] and row["boxes_match"], row
        if row["box_diff"] > row["box_tol"] or row["score_diff"] > row["score_tol"]:
            pytest.xfail(f"MNN's tanh GELU: {row['box_diff']:.2e} px, {row['score_diff']:.2e} off PyTorch's erf GELU")
        return
    _check(reference, key)


def _uses_gelu(checkpoint: Path) -> bool:
    """Whether the model saved at ``checkpoint`` has a GELU activation."""
    import torch.nn as nn
    from ultralytics import YOLO

    return any(isinstance(m, nn.GELU) for m in YOLO(checkpoint).model.modules())


@pytest.mark.isolated_export
@pytest.mark.parametrize("key", ISOLATED_FORMATS)
def test_isolated_export(reference, key):
    """LiteRT reproduces PyTorch as the CI formats do; CoreML converts and declares PyTorch's output (it runs on
    macOS only). Both run with their converters in a folder of their own (opt-in: ``pytest -m isolated_export``)."""
    if get_format(key).no_runtime is None:
        _check(reference, key)
        return
    checkpoint, image, outputs, work, _ = reference
    row = check_export(checkpoint, image, get_format(key), outputs, work)
    assert row["exports"] and row["runs"] is None and not row["error"], row
    assert row["outputs_match"], row


@pytest.mark.parametrize("reference", DEFAULT_MODELS[:1], indirect=True, ids=["yolo11n-starnet"])
def test_isolated_run_reproduces_in_process(reference, tmp_path, monkeypatch):
    """The isolation machinery, offline: a format with isolated requirements exports and compares in a subprocess
    with its converter folder first on the path, against this process's reference. Here ONNX, whose requirement is
    met already: the folder stays empty and pip needs no index (PIP_NO_INDEX)."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    checkpoint, image, outputs, work, _ = reference
    fmt = dataclasses.replace(get_format("onnx"), isolated=(f"onnx=={metadata.version('onnx')}",))
    row = check_export(checkpoint, image, fmt, outputs, work / "isolated", converters=tmp_path)
    assert row["exports"] and row["runs"], row["error"]
    assert row["box_diff"] <= row["box_tol"] and row["score_diff"] <= row["score_tol"] and row["boxes_match"], row
    assert (converter_dir(fmt, tmp_path) / "requirements.txt").read_text() == ""  # nothing had to be installed
    assert json.loads((work / "isolated" / "onnx-isolated" / "row.json").read_text()) == row  # the subprocess's row


@pytest.mark.parametrize("reference", DEFAULT_MODELS[:1], indirect=True, ids=["yolo11n-starnet"])
def test_isolated_install_failure_is_a_row(reference, tmp_path, monkeypatch):
    """A converter that cannot be installed gives a row that says so, with pip's reason; nothing is left behind."""
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    checkpoint, image, outputs, work, _ = reference
    fmt = dataclasses.replace(get_format("litert"), isolated=("yolo-lite-no-such-converter==1.0",))
    row = check_export(checkpoint, image, fmt, outputs, work, converters=tmp_path)
    assert not row["exports"] and row["error"].startswith("export: converter install: pip install failed"), row
    assert "yolo-lite-no-such-converter" in row["error"]
    assert not any(tmp_path.iterdir())
    with pytest.raises(ValueError, match="no isolated requirements"):
        install_converter(get_format("onnx"), tmp_path)


def test_isolated_env_puts_the_converter_first(tmp_path):
    """The subprocess imports from the converter folder before the environment's own packages."""
    code = "import sys, json; print(json.dumps(sys.path))"
    env = isolated_env(tmp_path)
    path = json.loads(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True).stdout)
    packages = [i for i, p in enumerate(path) if p.endswith("site-packages")]
    assert str(tmp_path) in path and path.index(str(tmp_path)) < min(packages)


def test_reference_is_sensitive(reference):
    """The comparison has teeth: the reference model gives several boxes, its outputs depend on the image, and a 1%
    change of one backbone BatchNorm moves them by ten times the float32 tolerance or more."""
    checkpoint, image, outputs, _, margin = reference
    assert len(outputs.detections) >= 3 and margin > 0.05
    other = run_exported(checkpoint, synthetic_image(64, seed=100), 64)
    assert np.abs(other.raw - outputs.raw)[:, :4].max() > 1.0

    assert perturbed_shift(checkpoint, image, outputs) > 10 * get_format("onnx").box_tol


def test_match_detections():
    """Boxes match one to one by class and coordinates, in any order, within both tolerances."""
    a = np.array([[0, 0, 10, 10, 0.9, 1], [5, 5, 20, 20, 0.5, 2], [1, 1, 9, 9, 0.5, 1]], np.float32)
    assert match_detections(a, a[[2, 0, 1]], 0.0, 0.0)
    assert match_detections(a, a + [0.05, 0, 0, 0, 5e-4, 0], 0.1, 1e-3)
    assert not match_detections(a, a + [0.2, 0, 0, 0, 0, 0], 0.1, 1e-3)  # a coordinate off
    assert not match_detections(a, a + [0, 0, 0, 0, 2e-3, 0], 0.1, 1e-3)  # a confidence off
    assert not match_detections(a, a[:2], 0.1, 1e-3)  # a box missing
    assert not match_detections(a, a * [1, 1, 1, 1, 1, 0], np.inf, np.inf)  # other classes


def test_report_cells_and_merge():
    """Cells say what happened; a partial run replaces only its own rows."""
    ran = dict(exports=True, runs=True, within_tol=True, boxes_match=True, box_diff=0.01, score_diff=2e-6)
    assert cell(ran) == "pass: 1.0e-02 px, 2.0e-06"
    assert cell({**ran, "within_tol": False}).startswith("raw differs")
    assert cell({**ran, "within_tol": None, "boxes_match": False}).startswith("other boxes")
    assert cell(dict(exports=True, runs=None)) == "exports; no runtime"
    declared = dict(exports=True, runs=None, note="runs on macOS only", declared_outputs=["1x84x84 float32"])
    assert cell({**declared, "outputs_match": True}).endswith("output 1x84x84 float32 as PyTorch")
    assert cell({**declared, "outputs_match": False}).endswith("PyTorch's differs")
    assert cell(None) == "not run"
    old = [dict(model="m", format="onnx", date="old"), dict(model="m", format="mnn", date="old")]
    merged = merge_rows([dict(model="m", format="onnx", date="new")], old)
    assert [(r["format"], r["date"]) for r in merged] == [("onnx", "new"), ("mnn", "old")]


def test_docs_section_is_generated(tmp_path):
    """The deployment page's export matrix is what ``yolo-lite export-matrix --out docs/export --docs
    docs/deployment.md`` wrote from docs/export/export.json; a page without the markers is refused."""
    report = json.loads((ROOT / "docs/export/export.json").read_text())
    page = (ROOT / "docs/deployment.md").read_text()
    assert f"{BLOCK_BEGIN}\n{page_block(report, 'export/export.md')}\n{BLOCK_END}" in page
    assert {r["format"] for r in report["rows"]} >= set(CI_FORMATS) | set(SLOW_FORMATS) | set(ISOLATED_FORMATS)

    no_markers = tmp_path / "page.md"
    no_markers.write_text("# title\n")
    with pytest.raises(ValueError, match="has no generated section"):
        update_page(no_markers, "table")
    marked = tmp_path / "marked.md"
    marked.write_text(f"# title\n{BLOCK_BEGIN}\nold\n{BLOCK_END}\nafter\n")
    update_page(marked, "new")
    assert marked.read_text() == f"# title\n{BLOCK_BEGIN}\nnew\n{BLOCK_END}\nafter\n"


@pytest.mark.parametrize(
    "args, message",
    [(["--imgsz", "50"], "imgsz must be a positive multiple of 32"), (["--docs", "missing.md"], "not found")],
)
def test_cli_rejects_bad_input(args, message, tmp_path, capsys):
    """Bad options are usage errors that say what to pass, before anything is built."""
    with pytest.raises(SystemExit):
        main(["export-matrix", "--out", str(tmp_path), *args])
    assert message in capsys.readouterr().err
