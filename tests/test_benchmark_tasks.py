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
from yolo_lite.benchmark import selection, training
from yolo_lite.cli import main

from .conftest import IMGSZ
from .test_benchmark import CPU_BACKENDS, CPU_TABLES, OVERVIEW, check_png, tables


SMALL = ["--train-images", "16", "--val-images", "8"]  # the generated sets at the CI size


@pytest.fixture
def synthetic_sets(monkeypatch):
    """Record the tasks and sizes of the synthetic shapes sets the benchmark generates."""
    made, make = [], data.make_synthetic_dataset

    def recording(root, **kwargs):
        made.append((kwargs["task"], kwargs["train"], kwargs["val"]))
        return make(root, **kwargs)

    monkeypatch.setattr(data, "make_synthetic_dataset", recording)
    return made


def check_task_run(
    out: Path, task: str, names: list[str], metric: str, labels: tuple[str, str], runtimes: bool, reference: str
) -> dict:
    """Check a one-seed accuracy run of ``task``: rows, timings, the metric fields, the tables and their headings.

    ``runtimes``: whether the run exported and timed the models with ONNX Runtime and OpenVINO too; ``reference``: how
    the report names the stock model (``YOLO11-seg``, ``RT-DETR-l``)."""
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
    assert all(row["map50_95_vs_stock_se"] is None and row["map50_95_vs_yolo26"] is None for row in rows.values())
    for backend in ("predict", "onnx") if runtimes else ("predict",):
        flags = pareto_frontier([(row[f"{backend}_ms"], row["map50_95"]) for row in rows.values()])
        assert [row[f"frontier_{backend}"] for row in rows.values()] == flags and any(flags)

    markdown = (out / "benchmark.md").read_text()
    assert markdown.startswith(f"# yolo-lite benchmark: {task}\n")
    found = tables(markdown)
    assert list(found) == ["Sizes", OVERVIEW, *(CPU_TABLES if runtimes else CPU_TABLES[:3]), "Accuracy"]
    header, *body = found["Accuracy"]
    loose, strict = labels
    ratio = [f"vs {reference} (SE)"] if stock["map50_95_vs_stock"] is not None else []  # empty columns are left out
    onnx = ["ONNX Runtime ms", "frontier ONNX Runtime"] if runtimes else []
    assert header[2:] == [
        f"{loose} mean (std)", f"{loose} min-max", f"{strict} mean (std)", f"{strict} min-max", *ratio,
        "PyTorch CPU ms", "predict() ms", "frontier predict()", *onnx,
    ]  # fmt: skip
    assert [line[0] for line in body] == names
    assert [float(line[4]) for line in body] == [pytest.approx(row["map50_95"], abs=1e-3) for row in rows.values()]
    assert f"validated on its val split after the last epoch: {loose} and {strict}" in markdown
    assert f"'vs {reference} (SE)': the mean over the seeds of the per-seed ratio" in markdown
    with (out / "benchmark.csv").open(newline="") as f:
        assert [(r["task"], r["metric"]) for r in csv.DictReader(f)] == [(task, metric)] * len(names)
    for backend in ("predict", "onnx"):
        assert (out / f"benchmark-{backend}.png").exists() == (backend == "predict" or runtimes)
    check_png(out / "benchmark-predict.png")
    return rows


def test_segment_run_reports_mask_map_on_synthetic_masks(tmp_path, synthetic_sets):
    """`--task seg` (the file-name alias): stock YOLO11n-seg vs YOLO11n-seg-StarNet on the synthetic segment set."""
    out = tmp_path / "bench"
    start = time.perf_counter()
    main([
        "benchmark", "--quick", "--task", "seg", "--accuracy", "--seeds", "1", "--train-batch", "8", "--workers", "0",
        *SMALL, "--out", str(out),
    ])  # fmt: skip
    assert time.perf_counter() - start < 60
    assert synthetic_sets == [("segment", 16, 8)]
    names = ["yolo11n-seg", "yolo11n-seg-starnet"]
    labels = ("mask mAP50", "mask mAP50-95")
    rows = check_task_run(out, "segment", names, "mask mAP50 / mask mAP50-95", labels, True, "YOLO11-seg")
    assert rows["yolo11n-seg"]["tag"] == "yolo11-seg"
    report = json.loads((out / "benchmark.json").read_text())
    assert report["settings"]["data"] == "shapes"  # the only generated set of segment
    set_dir = out / "datasets" / "yolo-lite-shapes-segment-16-8-64px-seed0"
    assert Path(report["data"]["path"]) == set_dir / "data.yaml"
    assert "the synthetic segment shapes set at 64x64" in report["data"]["note"]
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
    rows = check_task_run(out, "classify", names, "top-5 / top-1", ("top-5", "top-1"), True, "YOLO11-cls")
    settings = json.loads((out / "benchmark.json").read_text())["settings"]
    assert settings["imgsz"] == 224 and settings["data"] == str(folder) and settings["train_imgsz"] == IMGSZ
    assert all(row["imgsz"] == 224 for row in rows.values())
    assert all(row["map50"] == 1.0 for row in rows.values())  # top-5 of 3 classes
    assert not (out / "datasets").exists()  # the user's data, no synthetic set


def test_rtdetr_run_takes_scale_l_and_trains_on_synthetic_boxes(tmp_path, synthetic_sets):
    """--quick --accuracy trains on the synthetic shapes set (the quick demo's), not on the clutter set."""
    out = tmp_path / "bench"
    start = time.perf_counter()
    main([
        "benchmark", "--quick", "--task", "rtdetr", "--accuracy", "--seeds", "1", "--train-batch", "8", "--workers",
        "0", *SMALL, "--no-onnx", "--no-openvino", "--out", str(out),
    ])  # fmt: skip
    assert time.perf_counter() - start < 90
    assert synthetic_sets == [("detect", 16, 8)]
    names = ["rtdetr-l", "rtdetr-starnet"]
    rows = check_task_run(out, "rtdetr", names, "mAP50 / mAP50-95", ("mAP50", "mAP50-95"), False, "RT-DETR-l")
    assert all(row["scale"] == "l" for row in rows.values()) and rows["rtdetr-l"]["tag"] == "rtdetr-l"
    assert rows["rtdetr-l"]["backbone"] == "HGStem" and rows["rtdetr-starnet"]["backbone"] == "starnet_s4"
    report = json.loads((out / "benchmark.json").read_text())
    assert report["settings"]["scales"] == ["l"]
    assert "RT-DETR has one scale, l; scales n were not used." in (out / "benchmark.md").read_text()


RESULTS = {  # what Ultralytics' trainer writes per epoch into results.csv: loss columns, then each task's metrics
    "train/box_loss": (1.2, 1.1),
    "metrics/mAP50(B)": (0.5, 0.9),
    "metrics/mAP50-95(B)": (0.4, 0.8),
    "metrics/mAP50(M)": (0.3, 0.7),
    "metrics/mAP50-95(M)": (0.2, 0.6),
    "metrics/mAP50(P)": (0.1, 0.5),
    "metrics/mAP50-95(P)": (0.0, 0.4),
    "metrics/accuracy_top1": (0.1, 0.3),
    "metrics/accuracy_top5": (0.2, 0.35),
}


class FakeModel:
    """Stands in for ``YOLO``/``RTDETR`` in :func:`training.train_once`: trains nothing, writes the run's
    ``results.csv`` as Ultralytics' trainer does (two epochs, the column names padded as older versions pad them)."""

    def __init__(self, cfg):
        self.cfg = cfg

    def train(self, project, name, **kwargs):
        csv_path = Path(project) / name / "results.csv"
        csv_path.parent.mkdir(parents=True)
        lines = [",".join(["epoch", *(f"{key:>23s}" for key in RESULTS)])]
        lines += [",".join([str(epoch + 1), *(str(v[epoch]) for v in RESULTS.values())]) for epoch in range(2)]
        csv_path.write_text("\n".join(lines) + "\n")
        self.trainer = SimpleNamespace(csv=csv_path)


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
    built, real_model_class = [], models.model_class

    def model_class(name):
        built.append(name)
        return FakeModel

    monkeypatch.setattr(models, "model_class", model_class)
    row = {**dict.fromkeys(FIELDS), "model": model, "yaml": f"{model}.yaml", "family": "starnet", "task": task}
    runs = [training.Run(row["yaml"], seed, f"{model}-seed{seed}") for seed in (0, 1)]
    outcomes = training.run_trainings(runs, tmp_path / "data", {"epochs": 2}, tmp_path, IMGSZ)
    accuracy.record_training(row, outcomes, 2, IMGSZ, curve=True)
    map50, map50_95, metric = expected  # the last epoch's
    assert (row["map50"], row["map50_95"], row["metric"]) == (map50, map50_95, metric)
    assert row["map50_95_per_seed"] == [map50_95] * 2 and row["seeds"] == 2 and row["map50_95_std"] == 0.0
    first = accuracy.METRICS[task].map50_95
    assert row["map50_95_curve"] == [RESULTS[first][0], map50_95]  # every epoch, mean over the seeds
    assert built == [f"{model}.yaml"] * 2  # one model per seed, built from the row's YAML
    assert real_model_class(model).__name__ == ("RTDETR" if task == "rtdetr" else "YOLO")


def test_metric_columns_are_ultralytics_results_keys():
    """The columns read from results.csv are the keys of the validators' metrics (what the trainer writes there)."""
    from ultralytics.utils.metrics import ClassifyMetrics, DetMetrics, OBBMetrics, PoseMetrics, SegmentMetrics

    kinds = {"detect": DetMetrics, "segment": SegmentMetrics, "pose": PoseMetrics, "obb": OBBMetrics}
    kinds |= {"classify": ClassifyMetrics, "rtdetr": DetMetrics}
    for task, kind in kinds.items():
        metric = accuracy.METRICS[task]
        assert {metric.map50, metric.map50_95} <= set(kind().keys), task


def test_task_models_per_task():
    assert selection.reference_models("n", "yolo26", "segment") == ["yolo11n-seg.yaml", "yolo26n-seg.yaml"]
    assert selection.reference_models("s", task="classify") == ["yolo11s-cls.yaml"]
    assert selection.reference_models("l", task="rtdetr") == ["rtdetr-l.yaml"]
    assert select_models("ns", models="starnet", task="pose") == {
        "n": ["yolo11n-pose-starnet.yaml", "yolo26n-pose-starnet.yaml"],
        "s": ["yolo11s-pose-starnet.yaml", "yolo26s-pose-starnet.yaml"],
    }  # both heads
    assert select_models("n", models="yolo11?-*starnet", task="pose") == {"n": ["yolo11n-pose-starnet.yaml"]}
    assert select_models("n", models="seg-fasternet", task="segment") == {
        "n": ["yolo11n-seg-fasternet.yaml", "yolo26n-seg-fasternet.yaml"],
    }  # fmt: skip
    assert select_models("l", families="micronet", task="rtdetr") == {"l": ["rtdetr-micronet.yaml"]}
    obb = [f"yolo{head}n-obb-{family}.yaml" for head in (11, 26) for family in ("fasternet", "micronet", "starnet")]
    assert select_models("n", task="obb") == {"n": obb}
    assert selection.available_families("classify") == ["fasternet", "micronet", "starnet"]
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
