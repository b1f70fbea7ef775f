"""`yolo-lite benchmark`: the quick CI run writes every output, the accuracy run trains every model per seed and reports
mean, spread and the frontiers, shipped models are timed without fetching their backbone weights, a model whose weights
cannot be fetched is timed but not trained, a model that cannot be built is skipped, data YAMLs resolve, bad input
fails. The --task runs are in test_benchmark_tasks.py; the references, ratios, frontiers per backend, data sets, YAML
files and learning curves of the accuracy run in test_benchmark_accuracy.py."""

from __future__ import annotations

import csv
import importlib
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import torch
import yaml
from PIL import Image

from yolo_lite.benchmark import FIELDS, pareto_frontier, run_benchmark, select_models, shipped_models, time_interleaved
from yolo_lite import data
from yolo_lite.backbones import pretrained, timm_backbone
from yolo_lite.benchmark import BenchmarkSettings, accuracy, datasets, models, report, selection
from yolo_lite.benchmark import run as benchmark_run
from yolo_lite.cli import main
from yolo_lite.patches import yaml_lookup
from yolo_lite.patches.parse_model import SKIP_ROW_WEIGHTS

from .conftest import IMGSZ

# The module, not the function of that name that yolo_lite.benchmark exports.
benchmark_environment = importlib.import_module("yolo_lite.benchmark.environment")

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ENVIRONMENT_KEYS = {
    "cpu", "cpu_count", "threads", "cuda", "python", "torch", "ultralytics", "timm", "onnxruntime", "openvino",
    "malloc",
}  # fmt: skip
CPU_BACKENDS = ["cpu", "cpu_cl", "predict", "onnx", "openvino_f32", "openvino"]
CPU_TABLES = [
    "PyTorch CPU", "PyTorch CPU channels-last", "Ultralytics predict (AutoBackend, CPU)", "ONNX Runtime CPU",
    "OpenVINO CPU f32", "OpenVINO CPU default precision",
]  # fmt: skip
OVERVIEW = "Latency vs stock, every backend"
MEASURED = [  # fields every CPU run fills with a positive number, ONNX and OpenVINO included
    "params", "gflops", "pt_mb", "onnx_mb", "imgsz", "threads", "batch", "cpu_ips", "cpu_peak_mb",
    *(f"{backend}_{kind}" for backend in CPU_BACKENDS for kind in ("ms", "vs_stock", "gflops_per_s")),
]  # fmt: skip
SPREADS = [f"{backend}_iqr_ms" for backend in CPU_BACKENDS]  # >= 0: the files round to 0.1 us
CUDA_FIELDS = [key for key in FIELDS if key.startswith("cuda_")]
ACCURACY_FIELDS = [key for key in FIELDS if key.startswith(("map50", "frontier_")) or key in {"seeds", "train_imgsz"}]
SKIPPED = "yolo11n-starnet-imagenet"  # shipped; its ImageNet weights "cannot be downloaded" (simulated)
OFFLINE = "cannot download the ImageNet weights of starnet_s1: no network"


def check_png(path: Path) -> None:
    """Assert ``path`` is a PNG that PIL decodes, with a real picture in it."""
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    with Image.open(path) as image:
        image.load()
        assert image.format == "PNG" and min(image.size) >= 200


def tables(markdown: str) -> dict[str, list[list[str]]]:
    """Return the markdown's tables by ``###`` heading: the cells of each header and body row."""
    found, heading = {}, None
    for line in markdown.splitlines():
        if line.startswith("### "):
            heading = line[4:]
            found[heading] = []
        elif line.startswith("#"):  # another section (## Targets) ends the table
            heading = None
        elif heading and line.startswith("| "):
            found[heading].append([cell.strip() for cell in re.split(r"(?<!\\)\|", line)[1:-1]])
    return found


def test_quick_cli_writes_tables_csv_json_and_png(tmp_path):
    exe = shutil.which("yolo-lite", path=str(Path(sys.executable).parent))
    assert exe, "the `yolo-lite` console script is installed with the package"
    out = tmp_path / "bench"
    result = subprocess.run(
        [exe, "benchmark", "--quick", "--out", str(out)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    output = result.stdout + result.stderr
    assert "AutoUpdate" not in output  # the ONNX export never tries to pip-install anything
    assert "imgsz 64 is below 320" in output  # tiny-image latency is flagged, and ends the run next to the tables
    saved = ["benchmark-predict.png", "benchmark-onnx.png", "benchmark.md", "benchmark.csv", "benchmark.json"]
    assert output.rstrip().endswith(f"results saved to {out} ({', '.join(saved)})")  # every file, figures first
    assert all((out / name).is_file() for name in saved)
    assert "FutureWarning" not in output and "DeprecationWarning" not in output  # exporters' notices (torch.jit)
    family = "starnet"
    names = ["yolo11n", f"yolo11n-{family}"]

    markdown = (out / "benchmark.md").read_text()
    assert f"`yolo-lite benchmark --quick --out {out}`" in markdown.splitlines()[2]
    for text in (markdown, result.stdout + result.stderr):  # the same tables in the file and on the console
        found = tables(text)
        assert list(found) == ["Sizes", OVERVIEW, *CPU_TABLES]  # every CPU backend
        assert all([row[0] for row in rows[1:]] == names for rows in found.values())
    found = tables(markdown)
    assert found["Sizes"][0] == ["model", "backbone", "params (M)", f"GFLOPs @{IMGSZ}", ".pt MB", ".onnx MB"]
    assert found[OVERVIEW][0] == [
        "model", "PyTorch CPU ms", "PyTorch", "channels-last", "predict()", "ONNX Runtime", "OpenVINO f32",
        "OpenVINO default",
    ]  # fmt: skip
    ratios = {table: [line[2] for line in found[table][1:]] for table in CPU_TABLES}  # each backend's 'vs stock'
    assert [line[2:] for line in found[OVERVIEW][1:]] == [list(r) for r in zip(*ratios.values())]
    assert found["PyTorch CPU"][0] == ["model", "ms (IQR)", "vs stock", "GFLOP/s", "img/s @batch 2", "peak MB"]
    assert all(found[table][0] == ["model", "ms (IQR)", "vs stock", "GFLOP/s"] for table in CPU_TABLES[2:])
    assert re.search(r"OpenVINO's default inference precision on this CPU: (bf16|f16|f32)\.", markdown)
    assert "glibc malloc keeps freed memory" in markdown
    assert found["PyTorch CPU"][1][2] == "1.00" and re.fullmatch(r"[\d.]+ \([\d.]+\)", found["PyTorch CPU"][2][1])

    with (out / "benchmark.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        rows = list(reader)
    assert reader.fieldnames == list(FIELDS) and [row["model"] for row in rows] == names
    assert all(float(row[key]) > 0 for row in rows for key in MEASURED)
    assert all(float(row[key]) >= 0 for row in rows for key in SPREADS)

    report = json.loads((out / "benchmark.json").read_text())
    assert report["command"].startswith("yolo-lite benchmark --quick")
    assert ENVIRONMENT_KEYS <= report["environment"].keys() and report["environment"]["threads"] >= 1
    assert report["environment"]["malloc"].startswith("glibc malloc keeps freed memory")
    quick = dict(scales=["n"], imgsz=IMGSZ, rounds=2, warmup=1, batch=2, onnx=True, openvino=True)
    quick["models"] = ["yolo11?-*starnet"]  # the YOLO11-head StarNet model only
    quick["accuracy"] = False
    assert {key: report["settings"][key] for key in quick} == quick
    assert report["fields"] == FIELDS
    for row in report["rows"]:
        assert row.keys() == FIELDS.keys()
        assert all(row[key] > 0 for key in MEASURED) and all(row[key] >= 0 for key in SPREADS), row
        assert all((row[key] is None) != torch.cuda.is_available() for key in CUDA_FIELDS), row
        assert all(row[key] is None for key in ACCURACY_FIELDS) and row["epochs"] is None and row["skipped"] is None
        assert row["accuracy_skipped"] is None
        assert row["params"] == int(row["params"]) and row["imgsz"] == IMGSZ
        assert row["openvino_precision"] in {"bf16", "f16", "f32"}
    stock, lite = report["rows"]
    assert stock["family"] == "stock" and stock["tag"] == "yolo11"
    assert all(stock[f"{backend}_vs_stock"] == 1.0 for backend in CPU_BACKENDS)
    assert lite["family"] == lite["tag"] == family and lite["params"] < stock["params"] < 3e6
    assert lite["gflops"] < stock["gflops"]
    for backend in ("predict", "onnx"):  # latency vs GFLOPs without an accuracy run, one figure per backend
        check_png(out / f"benchmark-{backend}.png")
    assert "![benchmark-onnx](benchmark-onnx.png)" in markdown


@pytest.fixture
def offline_imagenet_model(monkeypatch):
    """Make fetching ImageNet weights fail at once, as offline; return the variants that training asked for.

    The timings must not fetch at all: a fetch before training starts fails the test.
    """
    fetched, training = [], []
    train = benchmark_run.run_trainings

    def run_trainings(runs, *args, **kwargs):
        training.extend(run.yaml for run in runs)
        return train(runs, *args, **kwargs)

    def fetch_offline(variant):
        assert training, f"the timings fetched the ImageNet weights of {variant}; they must build without them"
        fetched.append(variant)
        raise ValueError(f"{OFFLINE}\n(pass weights=None to train from scratch)")

    monkeypatch.setattr(pretrained, "imagenet_file", fetch_offline)  # resolve() looks it up in that module
    monkeypatch.setattr(benchmark_run, "run_trainings", run_trainings)
    return fetched


def test_ci_accuracy_run_reports_seeds_spread_frontier_and_skipped_model(
    data_yaml, tmp_path, monkeypatch, offline_imagenet_model
):
    """The CI configuration: --quick --accuracy --seeds 2 (64 px, 1 epoch, 16 + 8 images), with a model whose ImageNet
    weights cannot be fetched: it is timed (built without them) but not trained."""
    # A data YAML with a relative path, read from another working directory: the benchmark resolves it.
    relative = data_yaml.parent / "relative.yaml"
    relative.write_text(yaml.safe_dump({**yaml.safe_load(data_yaml.read_text()), "path": "."}, sort_keys=False))
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "bench"
    start = time.perf_counter()
    main([
        "benchmark", "--quick", "--accuracy", "--seeds", "2", "--models", "yolo11n-starnet", SKIPPED, "--data",
        str(relative),
        "--train-batch", "8", "--workers", "0", "--train-jobs", "1", "--no-onnx", "--no-openvino", "--out", str(out),
    ])  # fmt: skip  one job: the offline stub is patched into this process
    assert time.perf_counter() - start < 90
    assert offline_imagenet_model == ["starnet_s1"] * 2  # not in the timings; each seed's training fails at once

    report = json.loads((out / "benchmark.json").read_text())
    settings = report["settings"]
    assert settings["train_seeds"] == [0, 1] and settings["train_imgsz"] == IMGSZ and settings["epochs"] == 1
    assert settings["data"] == str(relative) and Path(report["data"]["path"]) == out / "data" / "relative.yaml"
    assert yaml.safe_load(Path(report["data"]["path"]).read_text())["path"] == str(data_yaml.parent)
    assert settings["train_images"] is None and settings["curve"] is False  # the user's data: no generated set
    rows = {row["model"]: row for row in report["rows"]}
    assert list(rows) == ["yolo11n", SKIPPED, "yolo11n-starnet"]  # sorted: "-" before "."
    assert all(row["skipped"] is None for row in rows.values())  # every model is built and timed

    untrained = rows[SKIPPED]
    assert untrained["accuracy_skipped"] == f"skipped: {OFFLINE} (pass weights=None to train from scratch)"
    assert untrained["family"] == "starnet" and untrained["tag"] == "starnet-imagenet"
    assert untrained["backbone"] == "starnet_s1" and untrained["cpu_ms"] > 0 and untrained["cpu_vs_stock"] > 0
    assert all(untrained[key] is None for key in FIELDS if key.startswith("map50") or key in {"seeds", "epochs"})
    assert untrained["frontier_predict"] is None and not (out / "train" / f"{SKIPPED}-seed0").exists()
    trained = {name: row for name, row in rows.items() if name != SKIPPED}
    for name, row in trained.items():
        assert row["accuracy_skipped"] is None
        assert row["seeds"] == 2 and row["epochs"] == 1 and row["train_imgsz"] == IMGSZ
        for key in ("map50", "map50_95"):
            runs = row[f"{key}_per_seed"]
            assert len(runs) == 2 and all(0.0 <= v <= 1.0 for v in runs)
            assert row[key] == pytest.approx(np.mean(runs), abs=2e-4)
            assert row[f"{key}_std"] == pytest.approx(np.std(runs, ddof=1), abs=2e-4)
            assert (row[f"{key}_min"], row[f"{key}_max"]) == (min(runs), max(runs))
        assert row["map50_95"] <= row["map50"] + 1e-4
        for seed in (0, 1):
            run = out / "train" / f"{name}-seed{seed}"
            assert (run / "weights" / "best.pt").is_file()
            assert not (out / "train" / f"{name}-seed{seed}-val").exists()  # validated once, by the trainer
            results = accuracy.read_results(run / "results.csv")
            assert results["metrics/mAP50-95(B)"][-1] == pytest.approx(row["map50_95_per_seed"][seed], abs=1e-4)
        assert row["map50_95_curve"] is None and row["frontier_onnx"] is None  # no --curve, --no-onnx
    stock = rows["yolo11n"]
    assert stock["map50_95_vs_stock"] == (1.0 if min(stock["map50_95_per_seed"]) > 0 else None)
    flags = pareto_frontier([(row["predict_ms"], row["map50_95"]) for row in trained.values()])
    assert [row["frontier_predict"] for row in trained.values()] == flags and any(flags)

    markdown = (out / "benchmark.md").read_text()
    assert "relative 'path' resolved against the YAML's folder" in markdown and "2 seeds: 0, 1" in markdown
    assert "1 model not trained (see the accuracy table)" in markdown
    assert "skipped (see the sizes table)" not in markdown
    found = tables(markdown)
    assert list(found) == ["Sizes", OVERVIEW, *CPU_TABLES[:3], "Accuracy"]  # --no-onnx --no-openvino
    assert "skipped" not in found["Sizes"][0]  # no model was skipped in the timings
    assert [row[0] for row in found["Sizes"][1:]] == [row[0] for row in found["PyTorch CPU"][1:]] == list(rows)
    header, *body = found["Accuracy"]
    assert header[0] == "model" and header[-2:] == ["frontier predict()", "skipped"] and "mAP50-95 mean (std)" in header
    assert [row[0] for row in body] == list(rows)
    assert [row[-2] for row in body] == ["yes" if flags[0] else "no", "", "yes" if flags[1] else "no"]
    assert [row[-1] for row in body] == ["", untrained["accuracy_skipped"].replace("|", "\\|"), ""]
    column = header.index("mAP50-95 mean (std)")
    assert body[1][column] == "" and body[1][header.index("seeds")] == ""
    for cells, row in zip([body[0], body[2]], trained.values()):
        mean, std = (float(v) for v in re.fullmatch(r"([\d.]+) \(([\d.]+)\)", cells[column]).groups())
        assert (mean, std) == (pytest.approx(row["map50_95"], abs=1e-3), pytest.approx(row["map50_95_std"], abs=1e-3))

    with (out / "benchmark.csv").open(newline="") as f:
        records = list(csv.DictReader(f))
    assert [r["frontier_predict"] for r in records] == [str(flags[0]), "", str(flags[1])]
    assert records[0]["map50_95_per_seed"] == " ".join(str(v) for v in stock["map50_95_per_seed"])
    assert records[1]["accuracy_skipped"].startswith("skipped: ") and records[1]["map50_95_per_seed"] == ""
    assert records[1]["skipped"] == "" and float(records[1]["cpu_ms"]) > 0
    check_png(out / "benchmark-predict.png")
    assert not (out / "benchmark-onnx.png").exists()  # --no-onnx: no ONNX frontier


def test_shipped_models_are_timed_without_fetching_backbone_weights(tmp_path, monkeypatch):
    def no_fetch(*args):
        raise AssertionError(f"fetched weights for the timings: {args}")

    monkeypatch.setattr(pretrained, "imagenet_file", no_fetch)
    monkeypatch.setattr(timm_backbone, "cached_file", no_fetch)
    for name, backbone in (
        ("yolo11n-starnet-imagenet.yaml", "starnet_s1"), ("yolo11n-mobilenetv4-imagenet.yaml", "timm."),
    ):  # fmt: skip
        path = models.timing_yaml(name, tmp_path)
        assert path == tmp_path / name  # the same name: Ultralytics guesses scale and task from it
        written = yaml.safe_load(path.read_text())
        shipped = yaml.safe_load((yaml_lookup.CFG_DIR / name).read_text())
        assert written == {**shipped, SKIP_ROW_WEIGHTS: True}  # no scale or yaml_file entry
        yolo = models.build_model(name, 0, tmp_path)
        assert yolo.task == "detect" and yolo.model.yaml["scale"] == "n" and yolo.model.yaml[SKIP_ROW_WEIGHTS]
        assert str(yolo.model.model[0].type).startswith(backbone)


def test_model_that_cannot_be_built_is_skipped_with_reason(tmp_path, monkeypatch):
    def broken(name, seed, weights_dir):
        raise ValueError("YAML row 3: unknown module 'Nope'.\n Use an Ultralytics module")

    monkeypatch.setattr(models, "build_model", broken)
    entry = models.prepare("yolo11n-starnet.yaml", "n", IMGSZ, 0, (), tmp_path)
    assert entry.model is None and entry.onnx_path is None and entry.row["model"] == "yolo11n-starnet"
    assert entry.row["skipped"] == "skipped: YAML row 3: unknown module 'Nope'. Use an Ultralytics module"
    assert entry.row["task"] == "detect"
    named = {"model", "yaml", "family", "tag", "scale", "task", "skipped"}
    assert all(entry.row[key] is None for key in FIELDS if key not in named)
    stock = {**dict.fromkeys(FIELDS), "model": "yolo11n", "family": "stock", "tag": "yolo11", "scale": "n"}
    stock["task"] = "detect"
    found = tables(report.markdown_tables([{**stock, "imgsz": IMGSZ}, entry.row]))
    assert found["Sizes"][0][-1] == "skipped" and found["Sizes"][2][-1] == entry.row["skipped"]
    with pytest.raises(ValueError, match="unknown module"):  # stock YOLO11 is the reference: no run without it
        models.prepare("yolo11n.yaml", "n", IMGSZ, 0, (), tmp_path)


def test_pareto_frontier():
    assert pareto_frontier([(1.0, 0.5), (2.0, 0.6), (3.0, 0.55), (1.0, 0.5), (0.5, 0.1)]) == [
        True, True, False, True, True,
    ]  # fmt: skip
    assert pareto_frontier([(2.0, 0.5), (2.0, 0.4), (1.0, 0.5)]) == [False, False, True]


def test_shipped_models_take_all_scale_and_single_scale_yamls(tmp_path, monkeypatch):
    for name in ("yolo11-starnet.yaml", "yolo11-fasternet.yaml", "yolo11n-starnet-imagenet.yaml", "yolo11s-tiny.yaml"):
        (tmp_path / name).write_text("nc: 80\n")
    monkeypatch.setattr(selection, "CFG_DIR", tmp_path)
    monkeypatch.setattr(yaml_lookup, "CFG_DIR", tmp_path)
    assert shipped_models("n") == ["yolo11n-fasternet.yaml", "yolo11n-starnet-imagenet.yaml", "yolo11n-starnet.yaml"]
    assert shipped_models("s") == ["yolo11s-fasternet.yaml", "yolo11s-starnet.yaml", "yolo11s-tiny.yaml"]
    assert selection.available_families() == ["fasternet", "starnet", "tiny"]
    assert select_models("ns", models=["*starnet*"]) == {
        "n": ["yolo11n-starnet-imagenet.yaml", "yolo11n-starnet.yaml"], "s": ["yolo11s-starnet.yaml"],
    }  # fmt: skip
    assert select_models("ns", models=["starnet", "yolo11s-tiny.yaml"]) == {
        "n": ["yolo11n-starnet.yaml"], "s": ["yolo11s-starnet.yaml", "yolo11s-tiny.yaml"],
    }  # fmt: skip
    assert select_models("n", families=["starnet"]) == {"n": ["yolo11n-starnet-imagenet.yaml", "yolo11n-starnet.yaml"]}
    assert select_models("n", models="yolo11n-starnet", families="starnet") == {"n": ["yolo11n-starnet.yaml"]}
    with pytest.raises(ValueError, match=r"no shipped model is left"):
        select_models("n", models="*fasternet*", families="starnet")


def test_real_shipped_models_include_every_family():
    names = shipped_models("n")
    assert names == sorted(names) and "yolo11n-starnet.yaml" in names
    assert all(re.fullmatch(r"yolo(11|26)n-[\w.-]+\.yaml", name) for name in names)
    assert "yolo26n-starnet.yaml" in names  # both heads


def test_rounds_are_interleaved_stock_first_after_warmup():
    calls = []
    times = time_interleaved({name: (lambda n=name: calls.append(n)) for name in ("stock", "a", "b")}, 3, warmup=2)
    assert calls == ["stock", "a", "b"] * 5
    assert [len(t) for t in times.values()] == [3, 3, 3] and all(s >= 0 for t in times.values() for s in t)


@pytest.mark.parametrize(
    "kwargs, problem, fix",
    [
        (dict(families=["mobilenet"]), "unknown family 'mobilenet'", "available families: .*starnet"),
        (dict(families=["yolo11n-starnet.yaml"]), "unknown family 'yolo11n-starnet.yaml'", "--models takes those"),
        (dict(families=[]), "no family", "available families"),
        (dict(models=["*efficientnet*"]), r"no shipped model matches '\*efficientnet\*'", r"yolo11n-starnet\.yaml"),
        (dict(models=[]), "no model to compare", "shipped at scales"),
        (dict(reference="yolo8"), "reference must be one of yolo11, yolo26", "--reference yolo26"),
        (dict(scales=["q"]), "scales must be one or more of n, s, m, l, x", r"--scales n s"),
        (dict(rounds=0), "rounds must be an integer >= 1, got 0", "--rounds"),
        (dict(rounds=-3), "rounds must be an integer >= 1, got -3", "--rounds"),
        (dict(batch=0), "batch must be an integer >= 1", "--batch"),
        (dict(warmup=-1), "warmup must be an integer >= 0", "--warmup"),
        (dict(imgsz=100), "imgsz must be a multiple of 32", "pass e.g. 640"),
        (dict(seeds=2), "seeds=2 is only used to measure accuracy", "--accuracy"),
        (dict(train_imgsz=128), "train_imgsz=128 is only used to measure accuracy", "--accuracy"),
        (dict(accuracy=True, seeds=0), "seeds must be an integer >= 1, got 0", "--seeds"),
        (dict(accuracy=True, train_imgsz=100), "train_imgsz must be a multiple of 32", "pass e.g. 640"),
        (dict(accuracy=True, train_kwargs={"imgsz": 64}), "train_kwargs may not set imgsz", "--train-imgsz"),
        (dict(accuracy=True, data="no/such/data.yaml"), "data YAML not found: 'no/such/data.yaml'", "synthetic"),
        (dict(data="coco128.yaml"), "only used to measure accuracy", "--accuracy"),
        (dict(curve=True), "curve=True is only used to measure accuracy", "--accuracy"),
        (dict(train_images=8), "train_images=8 is only used to measure accuracy", "--accuracy"),
        (dict(accuracy=True, val_images=0), "val_images must be an integer >= 1, got 0", "--val-images"),
        (dict(accuracy=True, data="coco.yaml", train_images=8), "train_images sizes a generated set", "--train-images"),
        (dict(accuracy=True, task="pose", data="clutter"), "data='clutter' is a detection set", "--data shapes"),
        (dict(accuracy=True, train_imgsz=32), "the clutter set is drawn at train_imgsz, at least 64", "--train-imgsz"),
        (dict(accuracy=True, train_kwargs={"val": True}), "train_kwargs may not set val", "--curve"),
        (dict(accuracy=True, train_kwargs=[("batch", 8)]), "train_kwargs must be a mapping", "--train-batch"),
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
    assert not (tmp_path / "out").exists()


def test_data_yaml_without_relative_path_is_used_as_it_is(data_yaml, tmp_path):
    assert datasets.check_data(data_yaml) == data_yaml
    settings = BenchmarkSettings(accuracy=True, data=data_yaml, onnx=False, openvino=False)
    assert datasets.prepare_data(settings, tmp_path) == (data_yaml, str(data_yaml))  # an absolute 'path': no copy
    assert not (tmp_path / "data").exists()


def test_cli_reports_bad_input_as_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["benchmark", "--quick", "--rounds", "0"])
    assert exit_.value.code == 2
    assert "rounds must be an integer >= 1, got 0; pass rounds=1 or more (--rounds)" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["benchmark", "--quick", "--models", "no-such-model"])
    assert "no shipped model matches 'no-such-model'" in capsys.readouterr().err


def test_peak_memory_keeps_the_profilers_native_lines_off_the_terminal(capfd):
    """torch's profiler prints "USDT ... profiler_start/stop" to file descriptor 2; the benchmark silences it."""
    from yolo_lite.benchmark.timing import _cpu_peak_bytes

    model = torch.nn.Conv2d(3, 8, 3).eval()
    assert _cpu_peak_bytes(model, torch.zeros(1, 3, 32, 32)) > 0
    out, err = capfd.readouterr()
    assert "profiler_start" not in out + err and "USDT" not in out + err
    print("stderr still works", file=sys.stderr)
    assert "stderr still works" in capfd.readouterr().err


def test_onnx_sessions_do_not_spin(tmp_path, monkeypatch):
    """ONNX Runtime sessions keep their threads spinning after a run by default; in interleaved rounds that steals the
    cores from the next model, so the benchmark's sessions run on the requested threads with spinning off."""
    import onnxruntime as ort

    options = []

    class Recording(ort.InferenceSession):
        def __init__(self, path, sess_options=None, **kwargs):
            options.append(sess_options)
            super().__init__(path, sess_options, **kwargs)

    monkeypatch.setattr(ort, "InferenceSession", Recording)
    run_benchmark(
        models="yolo11n-starnet", scales="n", imgsz=IMGSZ, rounds=1, warmup=0, batch=1, batch_rounds=1, threads=1,
        out_dir=tmp_path, openvino=False,
    )  # fmt: skip
    assert len(options) == 2  # stock and the StarNet model
    for o in options:
        assert o.get_session_config_entry("session.intra_op.allow_spinning") == "0" and o.intra_op_num_threads == 1


def test_default_threads_are_the_available_cpus_whatever_pytorch_was_set_to(monkeypatch):
    """Without --threads the benchmark uses every CPU the process may run on, not PyTorch's setting of the moment
    (Ultralytics' select_device() leaves it at cpu_count - 1, so one launch recorded 1 thread and the next 2)."""
    monkeypatch.setattr(benchmark_environment.os, "sched_getaffinity", lambda pid: {0, 1, 2}, raising=False)
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        settings = BenchmarkSettings(scales="n", onnx=False, openvino=False)
    finally:
        torch.set_num_threads(before)
    assert settings.threads == 3 == benchmark_environment.environment()["threads"]
    assert BenchmarkSettings(scales="n", threads=2, onnx=False, openvino=False).threads == 2


def test_timings_run_on_the_requested_threads_after_the_exports(tmp_path, monkeypatch):
    """Ultralytics' exporter calls select_device(), which sets PyTorch to NUM_THREADS (cpu_count - 1) threads; every
    timing must still run on the benchmark's own thread count."""
    from ultralytics.utils import NUM_THREADS

    threads = 1 if NUM_THREADS != 1 else 2
    seen = []
    for name in ("time_torch", "time_predict", "time_onnx", "time_openvino"):
        timer = getattr(benchmark_run, name)

        def recording(*args, _name=name, _timer=timer, **kwargs):
            seen.append((_name, torch.get_num_threads()))
            return _timer(*args, **kwargs)

        monkeypatch.setattr(benchmark_run, name, recording)
    before = torch.get_num_threads()
    rows = run_benchmark(
        models="yolo11n-starnet", scales="n", imgsz=IMGSZ, rounds=1, warmup=0, batch=1, batch_rounds=1,
        threads=threads,
        out_dir=tmp_path,
    )  # fmt: skip
    assert {name for name, _ in seen} == {"time_torch", "time_predict", "time_onnx", "time_openvino"}
    assert all(n == threads for _, n in seen), seen
    assert all(row["threads"] == threads for row in rows)
    assert torch.get_num_threads() == before  # restored afterwards
