"""`yolo-lite benchmark --accuracy`: YOLO26 trained alike as a second reference, ratios to both references with their
standard errors, one frontier and figure per latency backend, the generated data sets (clutter, shapes), model YAML
files given as paths, and learning curves."""

from __future__ import annotations

import dataclasses
import json
import math
import time
from pathlib import Path

import numpy as np
import pytest
import yaml

from yolo_lite.benchmark import (
    FIELDS,
    BenchmarkSettings,
    mark_frontier,
    plot_curves,
    plot_frontiers,
    ratio_stats,
    run_benchmark,
    select_models,
)
from yolo_lite.benchmark import datasets, models
from yolo_lite.benchmark.training import recipe
from yolo_lite.cli import main
from yolo_lite.data import CLUTTER_CLASSES
from yolo_lite.patches.yaml_lookup import CFG_DIR

from .conftest import IMGSZ
from .test_benchmark import check_png, tables

# Stand-ins for models of a new kind that yolo_lite.cfg does not ship yet, written by the test from yolo11n-starnet.yaml:
# StarNet blocks in the neck.
LOCAL_YAMLS = {"yolo11n-starnet-starneck.yaml": lambda text: text.replace(" C3k2,", " C3k2_Star,")}
# The tiny accuracy run's models next to the YOLO11 and YOLO26 references, one of each new kind: shipped names, and
# names in LOCAL_YAMLS (written to files first; replace them by the shipped YAML once there is one).
TINY_RUN_MODELS = ["yolo26n-starnet.yaml", *LOCAL_YAMLS]


def write_local_yaml(name: str, folder: Path) -> Path:
    """Write the stand-in ``name`` of :data:`LOCAL_YAMLS` into ``folder``; return its path."""
    path = folder / name
    path.write_text(LOCAL_YAMLS[name]((CFG_DIR / "yolo11n-starnet.yaml").read_text()))
    return path


def hand_row(model: str, family: str, tag: str, per_seed: list[float], predict_ms: float, onnx_ms: float | None):
    """Return a trained row at scale n with the given per-seed mAP50-95 and latencies."""
    row = dict.fromkeys(FIELDS)
    row.update(model=model, family=family, tag=tag, scale="n", task="detect", imgsz=IMGSZ, threads=1, seeds=2)
    row.update(map50_95=float(np.mean(per_seed)), map50_95_per_seed=per_seed, predict_ms=predict_ms, onnx_ms=onnx_ms)
    row.update(map50_95_min=min(per_seed), map50_95_max=max(per_seed), epochs=1, train_imgsz=IMGSZ, gflops=1.0)
    return row


def test_ratios_to_both_references_with_standard_errors():
    yolo11 = hand_row("yolo11n", "stock", "yolo11", [0.40, 0.50], 10.0, 20.0)
    yolo26 = hand_row("yolo26n", "stock", "yolo26", [0.50, 0.40], 12.0, 15.0)
    lite = hand_row("yolo11n-a", "a", "a", [0.30, 0.50], 6.0, 25.0)
    other = hand_row("yolo11s-b", "b", "b", [0.60, 0.60], 30.0, 40.0) | {"scale": "s"}  # no reference at s
    mark_frontier([yolo11, yolo26, lite, other])
    # Per-seed ratios to YOLO11: 0.75 and 1.0 -> mean 0.875, SE = std(ddof=1) / sqrt(2) = 0.125.
    assert lite["map50_95_vs_stock"] == pytest.approx(0.875) and lite["map50_95_vs_stock_se"] == pytest.approx(0.125)
    # To YOLO26: 0.6 and 1.25 -> mean 0.925, SE = 0.325.
    assert lite["map50_95_vs_yolo26"] == pytest.approx(0.925) and lite["map50_95_vs_yolo26_se"] == pytest.approx(0.325)
    assert (yolo11["map50_95_vs_stock"], yolo11["map50_95_vs_stock_se"]) == (1.0, 0.0)
    assert yolo26["map50_95_vs_yolo26"] == 1.0 and yolo11["map50_95_vs_yolo26"] == pytest.approx((0.8 + 1.25) / 2)
    assert all(other[key] is None for key in FIELDS if key.startswith("map50_95_vs_"))
    assert ratio_stats([0.5], [0.4]) == (pytest.approx(1.25), None)  # one seed: no standard error
    assert ratio_stats([0.5, 0.5], [0.4, 0.0]) == (None, None)  # the reference scored 0 in a seed


def test_one_frontier_and_figure_per_timed_backend(tmp_path):
    rows = [
        hand_row("yolo11n", "stock", "yolo11", [0.40, 0.50], 10.0, 20.0),
        hand_row("yolo26n", "stock", "yolo26", [0.50, 0.40], 12.0, 15.0),
        hand_row("yolo11n-a", "a", "a", [0.30, 0.50], 6.0, 25.0),
    ]
    mark_frontier(rows)
    # predict(): a is fastest, YOLO11 and YOLO26 tie on the mean (0.45) and YOLO26 is slower: dominated.
    assert [row["frontier_predict"] for row in rows] == [True, False, True]
    # ONNX Runtime: YOLO26 is fastest; YOLO11 has its mean at a higher latency: dominated, and a too.
    assert [row["frontier_onnx"] for row in rows] == [False, True, False]
    assert plot_frontiers(rows, tmp_path) == [tmp_path / "benchmark-predict.png", tmp_path / "benchmark-onnx.png"]
    for backend in ("predict", "onnx"):
        check_png(tmp_path / f"benchmark-{backend}.png")

    no_onnx = [{**row, "onnx_ms": None, "frontier_onnx": None} for row in rows]  # timed with --no-onnx
    mark_frontier(no_onnx)
    assert all(row["frontier_onnx"] is None for row in no_onnx)
    (tmp_path / "no-onnx").mkdir()
    assert plot_frontiers(no_onnx, tmp_path / "no-onnx") == [tmp_path / "no-onnx" / "benchmark-predict.png"]

    rows[0]["map50_95_curve"], rows[2]["map50_95_curve"] = [0.1, 0.3, 0.45], [0.2, 0.4, 0.4]
    check_png(plot_curves(rows, tmp_path / "benchmark-curves.png"))


@pytest.fixture
def clutter_sets(monkeypatch):
    """Record the sizes of the clutter sets the benchmark generates."""
    from yolo_lite import data

    made, make = [], data.make_clutter_dataset

    def recording(root, **kwargs):
        made.append(kwargs)
        return make(root, **kwargs)

    monkeypatch.setattr(data, "make_clutter_dataset", recording)
    return made


@pytest.mark.parametrize("models_of_new_kinds", [TINY_RUN_MODELS])
def test_tiny_accuracy_run_trains_yolo26_alike_and_new_kinds(models_of_new_kinds, tmp_path, clutter_sets):
    """`--accuracy --reference yolo26` on the clutter set (8 + 8 images, 64 px, 2 epochs with --curve): YOLO11, YOLO26
    and one model of each new kind are timed, trained and validated alike; every row gets its ratios to both
    references. At this size every model may score 0 (then a ratio is None), so the ratios are checked against the
    per-seed values; test_ratios_to_both_references_with_standard_errors checks them with scores above 0."""
    entries = [
        str(write_local_yaml(name, tmp_path).resolve()) if name in LOCAL_YAMLS else name for name in models_of_new_kinds
    ]
    out = tmp_path / "bench"
    start = time.perf_counter()
    main([
        "benchmark", "--quick", "--accuracy", "--reference", "yolo26", "--models", *entries, "--data", "clutter",
        "--train-images", "8", "--val-images", "8", "--epochs", "2", "--curve", "--seeds", "1", "--train-batch", "8",
        "--workers", "0", "--no-openvino", "--rounds", "1", "--warmup", "0", "--batch", "1", "--batch-rounds", "1",
        "--out", str(out),
    ])  # fmt: skip
    assert time.perf_counter() - start < 180
    assert clutter_sets == [dict(train=8, val=8, imgsz=IMGSZ, seed=0)]

    report = json.loads((out / "benchmark.json").read_text())
    settings = report["settings"]
    assert settings["data"] == "clutter" and settings["curve"] is True and settings["reference"] == "yolo26"
    assert report["recipe"] == recipe(2, {"batch": 8, "workers": 0}, val=True)  # what every run below trained with
    assert "the clutter detection set at 64x64" in report["data"]["note"]
    assert yaml.safe_load(Path(report["data"]["path"]).read_text())["names"] == dict(enumerate(CLUTTER_CLASSES))
    rows = {row["model"]: row for row in report["rows"]}
    stems = [Path(entry).stem for entry in entries]
    assert list(rows) == ["yolo11n", "yolo26n", *stems]
    for name, row in rows.items():
        assert row["skipped"] is None and row["accuracy_skipped"] is None, row
        assert row["seeds"] == 1 and row["epochs"] == 2 and row["train_imgsz"] == IMGSZ
        assert 0.0 <= row["map50_95"] <= row["map50"] + 1e-4 <= 1.0 + 1e-4
        assert len(row["map50_95_curve"]) == 2 and row["map50_95_curve"][-1] == pytest.approx(row["map50_95"], abs=1e-4)
        for key, reference in (("stock", "yolo11n"), ("yolo26", "yolo26n")):
            ratio, _ = ratio_stats(row["map50_95_per_seed"], rows[reference]["map50_95_per_seed"])
            assert row[f"map50_95_vs_{key}"] == (None if ratio is None else pytest.approx(ratio, abs=1e-3))
            assert row[f"map50_95_vs_{key}"] is None or math.isfinite(row[f"map50_95_vs_{key}"])
            assert row[f"map50_95_vs_{key}_se"] is None  # one seed
        for backend in ("predict", "onnx"):
            assert row[f"{backend}_ms"] > 0 and isinstance(row[f"frontier_{backend}"], bool)
        assert (out / "train" / f"{name}-seed0" / "results.csv").is_file()
        trained_with = yaml.safe_load((out / "train" / f"{name}-seed0" / "args.yaml").read_text())
        assert {key: trained_with[key] for key in report["recipe"]} == report["recipe"]
    for path in entries:  # the YAML files: family custom, tag without the scale, built from the file
        if Path(path).is_absolute():
            custom = rows[Path(path).stem]
            assert custom["family"] == "custom" and custom["tag"] == Path(path).stem.replace("n-", "-", 1)
            assert custom["yaml"] == path
    assert rows["yolo26n"]["tag"] == "yolo26" and rows["yolo26n"]["family"] == "stock"

    markdown = (out / "benchmark.md").read_text()
    header = tables(markdown)["Accuracy"][0]
    assert header[header.index("PyTorch CPU ms") :] == [
        "PyTorch CPU ms", "predict() ms", "frontier predict()", "ONNX Runtime ms", "frontier ONNX Runtime",
    ]  # fmt: skip
    assert "every model is compared with stock YOLO11 and stock YOLO26" in markdown
    assert "'vs YOLO11 (SE)' and 'vs YOLO26 (SE)'" in markdown
    for figure in ("benchmark-predict", "benchmark-onnx", "benchmark-curves"):
        check_png(out / f"{figure}.png")
        assert f"![{figure}]({figure}.png)" in markdown


def test_generated_data_sets_shapes_and_clutter(tmp_path):
    common = dict(accuracy=True, train_images=8, val_images=4, train_imgsz=IMGSZ, onnx=False, openvino=False)
    for data, task, folder, names in (
        ("clutter", "detect", "yolo-lite-clutter-8-4-64px-seed0", len(CLUTTER_CLASSES)),
        ("shapes", "detect", "yolo-lite-shapes-8-4-64px-seed0", 3),
        ("clutter", "rtdetr", "yolo-lite-clutter-8-4-64px-seed0", len(CLUTTER_CLASSES)),
        ("shapes", "pose", "yolo-lite-shapes-pose-8-4-64px-seed0", 3),
    ):
        settings = BenchmarkSettings(task=task, data=data, **common)
        path, note = datasets.prepare_data(settings, tmp_path)
        assert path == tmp_path / "datasets" / folder / "data.yaml"
        assert len(yaml.safe_load(path.read_text())["names"]) == names
        assert len(list((path.parent / "images" / "val").iterdir())) == 4 and str(path) in note
    # Defaults: clutter for detect and RT-DETR, the synthetic shapes set for the tasks without a clutter variant.
    sizes = {task: BenchmarkSettings(task=task, accuracy=True, openvino=False) for task in ("detect", "obb")}
    assert (sizes["detect"].data, sizes["detect"].train_images, sizes["detect"].val_images) == ("clutter", 1000, 500)
    assert (sizes["obb"].data, sizes["obb"].train_images, sizes["obb"].val_images) == ("shapes", 256, 32)


def test_model_yaml_files_are_compared_at_the_scale_of_their_name(tmp_path, monkeypatch):
    path = write_local_yaml("yolo11n-starnet-starneck.yaml", tmp_path).resolve()
    monkeypatch.chdir(tmp_path)  # a relative path works too, and is kept absolute
    assert select_models("ns", models=[path.name]) == {"n": [str(path)], "s": []}  # no shipped model
    assert select_models("n", models=[str(path), "yolo11n-starnet"]) == {"n": ["yolo11n-starnet.yaml", str(path)]}
    assert select_models("n", models=[str(path)], families="fasternet")["n"][-1] == str(path)
    row = models._row(str(path), "n", "detect")
    assert (row["model"], row["family"], row["tag"], row["yaml"]) == (
        "yolo11n-starnet-starneck", "custom", "yolo11-starnet-starneck", str(path),
    )  # fmt: skip
    (tmp_path / "weights").mkdir()
    yolo = models.build_model(str(path), 0, tmp_path / "weights")  # from a copy that fetches no weights
    assert type(yolo.model.model[9]).__name__ == "C3k2_Star" and yolo.model.yaml["scale"] == "n"

    unscaled = tmp_path / "my-model.yaml"
    unscaled.write_text(path.read_text())
    seg = tmp_path / "yolo11n-seg-copy.yaml"
    seg.write_text((CFG_DIR / "yolo11n-seg-starnet.yaml").read_text())
    shadow = tmp_path / "sub" / "yolo11n-starnet.yaml"
    shadow.parent.mkdir()
    shadow.write_text(path.read_text())
    for kwargs, problem in (
        (dict(models=[str(unscaled)]), r"cannot tell the scale of '.*my-model.yaml' from its name; .*yolo11n-my-model"),
        (dict(models=[str(path)], scales="s"), r"is scale n \(from its name\), not one of scales s; .*--scales s n"),
        (dict(models=[str(seg)]), r"is a segment model, the benchmark's task is detect; .*--task segment"),
        (dict(models=[str(shadow), "starnet"]), r"2 models are named 'yolo11n-starnet' .*rename your YAML file"),
        (dict(models=["missing/yolo11n-x.yaml"]), r"no shipped model matches 'missing/yolo11n-x.yaml'.*YAML file"),
    ):
        with pytest.raises(ValueError, match=problem):
            run_benchmark(out_dir=tmp_path / "out", **kwargs)
        assert not (tmp_path / "out").exists()


def test_settings_are_checked_once_and_recorded_as_given(tmp_path, monkeypatch):
    settings = BenchmarkSettings(task="seg", scales="n", imgsz=IMGSZ, accuracy=True, epochs=1, onnx=False)
    assert (settings.task, settings.scales, settings.seeds, settings.train_imgsz) == ("segment", ["n"], 3, IMGSZ)
    assert settings.command == (
        f"run_benchmark(task='seg', scales='n', imgsz={IMGSZ}, onnx=False, accuracy=True, epochs=1)"
    )
    recorded = dataclasses.asdict(settings)
    given = {f.name: recorded[f.name] for f in dataclasses.fields(BenchmarkSettings) if f.init}
    assert BenchmarkSettings(**given) == settings  # the JSON's settings build the same run again
    assert json.loads(json.dumps(recorded)) == recorded

    seen = []
    monkeypatch.setattr("yolo_lite.benchmark.run_benchmark", seen.append)
    main([
        "benchmark", "--quick", "--accuracy", "--data", "shapes", "--train-images", "8", "--val-images", "4",
        "--curve", "--out", str(tmp_path),
    ])  # fmt: skip
    (cli,) = seen
    assert (cli.data, cli.train_images, cli.val_images, cli.curve, cli.epochs) == ("shapes", 8, 4, True, 1)
    assert cli.command.startswith("yolo-lite benchmark --quick --accuracy --data shapes")
    main(["benchmark", "--quick", "--accuracy", "--out", str(tmp_path)])
    assert seen[1].data == "shapes"  # the quick demo's set by default
    main(["benchmark", "--accuracy", "--out", str(tmp_path)])
    assert (seen[2].data, seen[2].train_images) == ("clutter", 1000)

    for wrong in (lambda: run_benchmark(settings, rounds=2), lambda: run_benchmark("starnet")):  # "starnet": families?
        with pytest.raises(ValueError, match="pass run_benchmark either a BenchmarkSettings or keyword arguments"):
            wrong()


def test_the_recipe_steps_the_optimizer_after_every_batch():
    """The accuracy runs' nominal batch size is their batch size (Ultralytics would accumulate 8 batches of 8 to 64),
    whatever batch is chosen, unless nbs is given; the recipe's other arguments stay."""
    from yolo_lite.benchmark.training import TRAIN_DEFAULTS, recipe

    args = recipe(30)
    assert args["nbs"] == args["batch"] == TRAIN_DEFAULTS["batch"] and args["epochs"] == 30 and not args["val"]
    assert recipe(30, {"batch": 16})["nbs"] == 16
    assert recipe(30, {"batch": 16, "nbs": 64})["nbs"] == 64
    assert recipe(2, val=True)["val"] and recipe(2)["optimizer"] == TRAIN_DEFAULTS["optimizer"]


def test_parallel_trainings_give_the_numbers_of_serial_ones(data_yaml, tmp_path):
    """Trainings in worker processes (train_jobs=2) reproduce the in-process ones loss for loss; ValueErrors come back
    as messages, so that a model whose weights cannot be fetched is skipped, not fatal."""
    from yolo_lite.benchmark.accuracy import read_results
    from yolo_lite.benchmark.training import Run, recipe, run_trainings

    bad = tmp_path / "yolo11n-bad.yaml"
    bad.write_text("nc: 3\nbackbone:\n  - [-1, 1, starnet_s9, [1, 1]]\nhead:\n  - [[2, 3, 4], 1, Detect, [nc]]\n")
    runs = [Run("yolo11n-starnet.yaml", 0, "a"), Run("yolo11n-starnet.yaml", 1, "b"), Run(str(bad), 0, "bad")]
    args = recipe(1)
    serial = run_trainings(runs, data_yaml, args, tmp_path / "serial", 64, jobs=1)
    parallel = run_trainings(runs, data_yaml, args, tmp_path / "parallel", 64, jobs=2)
    for one, two in zip(serial[:2], parallel[:2]):
        a, b = read_results(one), read_results(two)
        a.pop("time"), b.pop("time")  # wall time, the only column that may differ
        assert a == b and a["train/box_loss"][0] > 0
    assert "unknown module 'starnet_s9'" in serial[2] and serial[2] == parallel[2]
    assert (tmp_path / "parallel" / "a.log").stat().st_size > 0  # a worker's training log


def test_label_caches_are_written_before_parallel_trainings_start(tmp_path, monkeypatch):
    """Two trainings starting together on fresh data would both write Ultralytics' label caches (one deleting the
    file the other writes or reads): run_trainings writes them first, so the workers find them."""
    from yolo_lite.benchmark import training
    from yolo_lite.data import make_synthetic_dataset

    data = make_synthetic_dataset(tmp_path / "shapes", train=4, val=2, imgsz=64)
    caches = [data.parent / "labels" / f"{split}.cache" for split in ("train", "val")]
    assert not any(cache.exists() for cache in caches)

    class Started(Exception):
        pass

    def pool(*args, **kwargs):
        assert all(cache.is_file() for cache in caches)  # the caches exist when the workers would start
        raise Started

    monkeypatch.setattr(training, "ProcessPoolExecutor", pool)
    runs = [training.Run("yolo11n-starnet.yaml", seed, f"s{seed}") for seed in (0, 1)]
    with pytest.raises(Started):
        training.run_trainings(runs, data, recipe(1), tmp_path / "train", 64, jobs=2)


def test_finished_trainings_are_reused_only_when_their_arguments_match(data_yaml, tmp_path):
    """reuse_trainings (--reuse-trainings) reads a run folder whose args.yaml has the training's arguments and whose
    results.csv reached the last epoch, so a --seeds 3 run after a --seeds 2 one trains only the new seed; a run with
    another recipe or cut short is trained again."""
    from yolo_lite.benchmark.training import Run, finished_run, run_trainings

    project = tmp_path / "train"
    first, second = Run("yolo11n-starnet.yaml", 0, "a"), Run("yolo11n-starnet.yaml", 1, "b")
    args = recipe(1)
    (results,) = run_trainings([first], data_yaml, args, project, IMGSZ)
    before = results.read_bytes(), results.stat().st_mtime_ns
    assert finished_run(first, data_yaml, args, project, IMGSZ) == results
    for other in (recipe(2), recipe(1, {"lr0": 0.001}), recipe(1, val=True)):  # epochs, a recipe argument, the curve
        assert finished_run(first, data_yaml, other, project, IMGSZ) is None
    assert finished_run(first, data_yaml, args, project, IMGSZ * 2) is None
    assert finished_run(Run("yolo11n-fasternet.yaml", 0, "a"), data_yaml, args, project, IMGSZ) is None

    reused, trained = run_trainings([first, second], data_yaml, args, project, IMGSZ, reuse=True)
    assert reused == results and (results.read_bytes(), results.stat().st_mtime_ns) == before  # not trained again
    assert trained == project / "b" / "results.csv" and trained.is_file()

    results.write_text(results.read_text().splitlines()[0] + "\n")  # header only: no epoch finished
    assert finished_run(first, data_yaml, args, project, IMGSZ) is None
    (again,) = run_trainings([first], data_yaml, args, project, IMGSZ, reuse=True)
    assert again == results and len(results.read_text().splitlines()) == 2

    with pytest.raises(ValueError, match="reuse_trainings reads the finished trainings of an earlier run"):
        BenchmarkSettings(accuracy=True, reuse_trainings=True, onnx=False, openvino=False)
    with pytest.raises(ValueError, match=r"reuse_trainings=True is only used to measure accuracy"):
        BenchmarkSettings(reuse_trainings=True, out_dir=str(tmp_path), onnx=False, openvino=False)


def test_targets_are_checked_on_the_rows():
    """The report's targets: met, not met, or not checked when a measurement is missing; each against its head."""
    from yolo_lite.benchmark.targets import check_targets, markdown_targets

    def row(model, family, tag, scale="n", **values):
        return {"model": model, "family": family, "tag": tag, "scale": scale, **values}

    fast = dict(predict_vs_yolo26=0.65, onnx_vs_yolo26=0.6, openvino_f32_vs_yolo26=0.7)
    rows = [
        row("yolo11n", "stock", "yolo11", map50_95_vs_yolo26_se=0.015, map50_95_vs_stock_se=0.0),
        row("yolo26n", "stock", "yolo26", map50_95_vs_yolo26_se=0.0, map50_95_vs_stock_se=0.012),
        row("yolo26n-starnet", "starnet", "starnet", map50_95_vs_yolo26=0.99, map50_95_vs_yolo26_se=0.021,
            map50_95_vs_stock_se=0.018, **fast),
        row("yolo26n-fasternet", "fasternet", "fasternet", map50_95_vs_yolo26=1.05, predict_vs_yolo26=0.75,
            onnx_vs_yolo26=0.6, openvino_f32_vs_yolo26=0.8),
        row("yolo11n-micronet", "micronet", "micronet", predict_vs_stock=0.95, onnx_vs_stock=0.8,
            openvino_f32_vs_stock=0.8),
        row("yolo11n-lcnet-imagenet", "lcnet", "lcnet-imagenet", predict_vs_stock=0.85),
        row("yolo26s-starnet", "starnet", "starnet", "s", map50_95_vs_yolo26=0.9, predict_vs_yolo26=0.6,
            onnx_vs_yolo26=0.6, openvino_f32_vs_yolo26=None),
    ]
    results = {(r.target, r.scale, r.model): r.met for r in check_targets(rows)}
    assert results[("frontier", "n", "yolo26n-starnet")] is True  # the faster one, not the more accurate slow one
    assert results[("frontier", "s", "yolo26s-starnet")] is False  # fast but 0.9x accurate
    assert results[("plain", "n", "yolo26n-starnet")] is True
    assert results[("plain", "n", "yolo26n-fasternet")] is True  # 0.75x, 0.6x, 0.8x YOLO26n: all within 0.9x
    assert results[("plain", "n", "yolo11n-micronet")] is False  # 0.95x stock YOLO11n in predict()
    assert results[("plain", "s", "yolo26s-starnet")] is None  # OpenVINO not timed
    assert results[("imagenet", "n", "yolo11n-lcnet-imagenet")] is True
    assert results[("precision", "n", "yolo26n-starnet")] is False  # its ratio to YOLO26n: SE 0.021 > 0.02
    assert results[("precision", "s", None)] is None  # one seed: no standard error
    table = markdown_targets(check_targets(rows))
    assert "| frontier | n | yolo26n-starnet | mAP50-95 0.99x YOLO26" in table and "not checked" in table
    assert (
        "| precision | n | yolo26n-starnet | largest SE of a mAP50-95 ratio: 0.021 (to YOLO26) | **not met** |" in table
    )
    rows[2]["map50_95_vs_yolo26_se"] = 0.02
    results = {(r.target, r.scale, r.model): r.met for r in check_targets(rows)}
    assert results[("precision", "n", "yolo26n-starnet")] is True  # every SE <= 0.02, the largest 0.02
