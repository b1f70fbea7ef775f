"""`yolo-lite benchmark --task`: segment, classify and RT-DETR runs against the task's stock model with the task's data
and metrics, the metric fields per task, the task's models, and bad task input."""

from __future__ import annotations

import csv
import json
import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from yolo_lite import data
from yolo_lite.benchmark import FIELDS, accuracy, models, pareto_frontier, report, run_benchmark, select_models
from yolo_lite.cli import main

from .conftest import IMGSZ
from .test_benchmark import CPU_BACKENDS, CPU_TABLES, OVERVIEW, check_png, tables


@pytest.fixture
def small_synthetic(monkeypatch):
    """Shrink the benchmark's synthetic datasets to the CI size (16 + 8 images); return the tasks they were made for."""
    made, make = [], data.make_synthetic_dataset

    def make_small(root, **kwargs):
        made.append(kwargs["task"])
        return make(root, **{**kwargs, "train": 16, "val": 8})

    monkeypatch.setattr(data, "make_synthetic_dataset", make_small)
    return made


def check_task_run(
    out: Path, task: str, names: list[str], metric: str, labels: tuple[str, str], runtimes: bool
) -> dict:
    """Check a one-seed accuracy run of ``task``: rows, timings, the metric fields, the tables and their headings.

    ``runtimes``: whether the run exported and timed the models with ONNX Runtime and OpenVINO too."""
    report = json.loads((out / "benchmark.json").read_text())
    assert report["settings"]["task"] == task and report["fields"] == FIELDS
    rows = {row["model"]: row for row in report["rows"]}
    assert list(rows) == names
    backends = CPU_BACKENDS if runtimes else CPU_BACKENDS[:3]  # with or without ONNX Runtime and OpenVINO
    for row in rows.values():
        assert row["task"] == task and row["skipped"] is None and row["accuracy_skipped"] is None
        assert all(row[f"{backend}_ms"] > 0 and row[f"{backend}_vs_stock"] > 0 for backend in backends), row
        assert (row["onnx_mb"] is not None) == (row["openvino_precision"] is not None) == runtimes
        assert row["metric"] == metric and row["seeds"] == 1 and row["epochs"] == 1
        assert 0.0 <= row["map50_95"] <= row["map50"] + 1e-4 <= 1.0 + 1e-4
        assert row["map50_95_per_seed"] == [row["map50_95"]] and row["map50_95_std"] is None
    stock, lite = rows.values()
    assert stock["family"] == "stock" and lite["family"] == lite["tag"] == "starnet"
    assert stock["cpu_vs_stock"] == 1.0 and lite["params"] < stock["params"]
    assert stock["map50_95_vs_stock"] in (1.0, None)  # None where stock scored 0 (1 epoch on 16 images)
    assert (lite["map50_95_vs_stock"] is None) == (stock["map50_95_vs_stock"] is None)
    flags = pareto_frontier([(row["cpu_ms"], row["map50_95"]) for row in rows.values()])
    assert [row["frontier"] for row in rows.values()] == flags and any(flags)

    markdown = (out / "benchmark.md").read_text()
    assert markdown.startswith(f"# yolo-lite benchmark: {task}\n")
    found = tables(markdown)
    assert list(found) == ["Sizes", OVERVIEW, *(CPU_TABLES if runtimes else CPU_TABLES[:3]), "Accuracy"]
    header, *body = found["Accuracy"]
    loose, strict = labels
    ratio = [f"{strict} vs stock"] if stock["map50_95_vs_stock"] is not None else []  # an empty column is left out
    assert header[2:] == [
        f"{loose} mean (std)", f"{loose} min-max", f"{strict} mean (std)", f"{strict} min-max", *ratio,
        "PyTorch CPU ms", "frontier",
    ]  # fmt: skip
    assert [line[0] for line in body] == names
    assert [float(line[4]) for line in body] == [pytest.approx(row["map50_95"], abs=1e-3) for row in rows.values()]
    assert f"validated on its val split: {loose} and {strict}" in markdown
    with (out / "benchmark.csv").open(newline="") as f:
        assert [(r["task"], r["metric"]) for r in csv.DictReader(f)] == [(task, metric)] * len(names)
    check_png(out / "benchmark.png")
    return rows


def test_segment_run_reports_mask_map_on_synthetic_masks(tmp_path, small_synthetic):
    """`--task seg` (the file-name alias): stock YOLO11n-seg vs YOLO11n-seg-StarNet on the synthetic segment set."""
    out = tmp_path / "bench"
    start = time.perf_counter()
    main([
        "benchmark", "--quick", "--task", "seg", "--accuracy", "--seeds", "1", "--train-batch", "8", "--workers", "0",
        "--out", str(out),
    ])  # fmt: skip
    assert time.perf_counter() - start < 60
    assert small_synthetic == ["segment"]
    names = ["yolo11n-seg", "yolo11n-seg-starnet"]
    rows = check_task_run(out, "segment", names, "mask mAP50 / mask mAP50-95", ("mask mAP50", "mask mAP50-95"), True)
    assert rows["yolo11n-seg"]["tag"] == "yolo11-seg"
    report = json.loads((out / "benchmark.json").read_text())
    assert Path(report["settings"]["data"]) == out / "datasets" / "yolo-lite-shapes-segment" / "data.yaml"
    assert "the synthetic segment shapes set at 64x64" in report["settings"]["data_note"]
    assert "stock YOLO11-seg" in (out / "benchmark.md").read_text()


def test_classify_run_reports_top1_top5_at_224_on_user_folder(tmp_path):
    """Classify on a dataset folder given as data: timed at the classification default of 224 px, top-1/top-5."""
    folder = data.make_synthetic_dataset(tmp_path / "cls", train=16, val=8, imgsz=IMGSZ, task="classify")
    out = tmp_path / "bench"
    start = time.perf_counter()
    run_benchmark(
        task="classify", models="starnet", scales="n", rounds=2, warmup=1, batch=2, batch_rounds=1, accuracy=True,
        data=folder, epochs=1, seeds=1, train_imgsz=IMGSZ, train_kwargs={"batch": 8, "workers": 0}, out_dir=out,
    )  # fmt: skip
    assert time.perf_counter() - start < 60
    names = ["yolo11n-cls", "yolo11n-cls-starnet"]
    rows = check_task_run(out, "classify", names, "top-5 / top-1", ("top-5", "top-1"), True)
    settings = json.loads((out / "benchmark.json").read_text())["settings"]
    assert settings["imgsz"] == 224 and settings["data"] == str(folder) and settings["train_imgsz"] == IMGSZ
    assert all(row["imgsz"] == 224 for row in rows.values())
    assert all(row["map50"] == 1.0 for row in rows.values())  # top-5 of 3 classes
    assert not (out / "datasets").exists()  # the user's data, no synthetic set


def test_rtdetr_run_takes_scale_l_and_trains_on_synthetic_boxes(tmp_path, small_synthetic):
    out = tmp_path / "bench"
    start = time.perf_counter()
    main([
        "benchmark", "--quick", "--task", "rtdetr", "--accuracy", "--seeds", "1", "--train-batch", "8", "--workers",
        "0", "--no-onnx", "--no-openvino", "--out", str(out),
    ])  # fmt: skip
    assert time.perf_counter() - start < 90
    assert small_synthetic == ["detect"]
    names = ["rtdetr-l", "rtdetr-starnet"]
    rows = check_task_run(out, "rtdetr", names, "mAP50 / mAP50-95", ("mAP50", "mAP50-95"), False)
    assert all(row["scale"] == "l" for row in rows.values()) and rows["rtdetr-l"]["tag"] == "rtdetr-l"
    assert rows["rtdetr-l"]["backbone"] == "HGStem" and rows["rtdetr-starnet"]["backbone"] == "starnet_s4"
    report = json.loads((out / "benchmark.json").read_text())
    assert report["settings"]["scales"] == ["l"]
    assert "RT-DETR has one scale, l; scales n were not used." in (out / "benchmark.md").read_text()


def pair(map50: float, map50_95: float) -> SimpleNamespace:
    """Return what Ultralytics' metrics hold for one kind of result: ``map50`` and ``map`` (mAP50-95)."""
    return SimpleNamespace(map50=map50, map=map50_95)


class FakeModel:
    """Stands in for ``YOLO``/``RTDETR`` in :func:`accuracy.train_and_validate`: trains nothing, validates to known
    numbers, a different pair per kind of result (boxes, masks, keypoints, classes)."""

    def __init__(self, cfg):
        self.cfg = cfg

    def train(self, **kwargs):
        pass

    def val(self, **kwargs):
        return SimpleNamespace(box=pair(0.9, 0.8), seg=pair(0.7, 0.6), pose=pair(0.5, 0.4), top1=0.3, top5=0.35)


@pytest.mark.parametrize(
    "task, model, expected",
    [
        ("detect", "yolo11n-starnet", (0.9, 0.8, "mAP50 / mAP50-95")),
        ("segment", "yolo11n-seg-starnet", (0.7, 0.6, "mask mAP50 / mask mAP50-95")),
        ("pose", "yolo11n-pose-starnet", (0.5, 0.4, "pose mAP50 / pose mAP50-95")),
        ("obb", "yolo11n-obb-starnet", (0.9, 0.8, "OBB mAP50 / OBB mAP50-95")),
        ("classify", "yolo11n-cls-starnet", (0.35, 0.3, "top-5 / top-1")),
        ("rtdetr", "rtdetr-starnet", (0.9, 0.8, "mAP50 / mAP50-95")),
    ],
)
def test_accuracy_fields_hold_the_tasks_metrics(task, model, expected, tmp_path, monkeypatch):
    built = []

    def model_class(name):
        built.append(name)
        return FakeModel

    monkeypatch.setattr(accuracy, "model_class", model_class)
    row = {**dict.fromkeys(FIELDS), "model": model, "family": "starnet", "task": task}
    accuracy.train_and_validate(row, tmp_path / "data", [0, 1], {"epochs": 1}, tmp_path, IMGSZ)
    map50, map50_95, metric = expected
    assert (row["map50"], row["map50_95"], row["metric"]) == (map50, map50_95, metric)
    assert row["map50_95_per_seed"] == [map50_95] * 2 and row["seeds"] == 2 and row["map50_95_std"] == 0.0
    assert built == [model] * 2  # one model per seed, built from the row's model name
    assert models.model_class(model).__name__ == ("RTDETR" if task == "rtdetr" else "YOLO")


def test_task_models_per_task():
    assert models.reference_models("n", "yolo26", "segment") == ["yolo11n-seg.yaml", "yolo26n-seg.yaml"]
    assert models.reference_models("s", task="classify") == ["yolo11s-cls.yaml"]
    assert models.reference_models("l", task="rtdetr") == ["rtdetr-l.yaml"]
    assert select_models("ns", models="starnet", task="pose") == {
        "n": ["yolo11n-pose-starnet.yaml"], "s": ["yolo11s-pose-starnet.yaml"],
    }  # fmt: skip
    assert select_models("n", models="seg-fasternet", task="segment") == {"n": ["yolo11n-seg-fasternet.yaml"]}
    assert select_models("l", families="micronet", task="rtdetr") == {"l": ["rtdetr-micronet.yaml"]}
    obb = [f"yolo11n-obb-{family}.yaml" for family in ("fasternet", "micronet", "starnet")]
    assert select_models("n", task="obb") == {"n": obb}
    assert models.available_families("classify") == ["fasternet", "micronet", "starnet"]
    with pytest.raises(ValueError, match=r"unknown family 'mobilenetv4'.*available families: fasternet, micronet"):
        select_models("n", families="mobilenetv4", task="segment")  # shipped for detect only


@pytest.mark.parametrize(
    "kwargs, problem",
    [
        (dict(task="segmentation"), r"task must be one of detect, segment, pose, obb, classify, rtdetr \(or seg for "),
        (dict(task="rtdetr", reference="yolo26"), "YOLO26, which has no RT-DETR model"),
        (dict(task="classify", accuracy=True, data="data.yaml"), "classify data must be a folder with train/<class>/"),
    ],
)
def test_bad_task_input_raises_value_error(kwargs, problem, tmp_path):
    with pytest.raises(ValueError, match=problem):
        run_benchmark(out_dir=tmp_path / "out", **kwargs)
    assert not (tmp_path / "out").exists()


def test_cli_rejects_unknown_task(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["benchmark", "--quick", "--task", "segmentation"])
    assert exit_.value.code == 2
    error = capsys.readouterr().err
    assert re.search(r"--task: invalid choice: 'segmentation' \(choose from '?detect'?, '?segment'?, ", error)
