"""YAML rules: the tutorial's YAML, shipped scales, slot layout, and clear errors for bad rows."""

from __future__ import annotations

import copy
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from ultralytics import YOLO
from ultralytics.nn.modules.block import C2PSA, PSABlock
from ultralytics.nn.tasks import (
    ClassificationModel,
    DetectionModel,
    OBBModel,
    PoseModel,
    SegmentationModel,
    guess_model_task,
    yaml_model_load,
)
from ultralytics.utils import LOGGER

from yolo_lite.backbones import timm_backbone
from yolo_lite.backbones.base import Backbone
from yolo_lite.backbones.pretrained import imagenet_source
from yolo_lite.patches.parse_model import SKIP_ROW_WEIGHTS
from yolo_lite.patches.yaml_lookup import TASK_SUFFIXES, model_task, shipped_models

from .conftest import TRAIN_ARGS

TUTORIAL_YAML = Path(__file__).parent / "yolo11-starnet-tutorial.yaml"
TASKS = {
    "detect": DetectionModel, "segment": SegmentationModel, "pose": PoseModel, "obb": OBBModel,
    "classify": ClassificationModel,
}
# starnet, starnet-imagenet, ..., seg-starnet, ..., cls-micronet: the YOLO11 files, shipped at every scale
TAGS = sorted(
    {Path(name).stem.split("-", 1)[1] for task in TASKS for name in shipped_models("n", task) if name.startswith("yolo11")}
)
N_ONLY = ["yolo26n-lcnet-imagenet.yaml", "yolo26n-repghost-imagenet.yaml"]  # light ImageNet backbones, n only


def _model_dict(**changes) -> dict:
    d = copy.deepcopy(yaml_model_load(TUTORIAL_YAML))
    d.update(changes)
    return d


def _with_row(i: int, row: list) -> dict:
    d = _model_dict()
    rows = d["backbone"] + d["head"]
    rows[i] = row
    nb = len(d["backbone"])
    d["backbone"], d["head"] = rows[:nb], rows[nb:]
    return d


def test_tutorial_yaml_builds_runs_and_trains(data_yaml, tmp_path):
    model = YOLO(TUTORIAL_YAML)
    net = model.model
    assert isinstance(net.model[0], Backbone) and net.model[0].type == "starnet_s1"
    assert net.model[0].width_list == [8, 8, 16, 32, 64]  # [0.5, 0.25] as written in the row
    assert [m.i for m in net.model] == list(range(len(net.model)))  # layer numbers are the YAML's slots
    assert type(net.model[5]).__name__ == "SPPF" and type(net.model[6]).__name__ == "C2PSA"
    assert net.model[8].f == [-1, 3] and net.model[11].f == [-1, 2] and net.model[-1].f == [12, 15, 18]
    assert net.stride.tolist() == [8, 16, 32]
    with torch.no_grad():
        out = net.eval()(torch.zeros(1, 3, 640, 640))
    assert out[0].shape == (1, 84, 8400)
    model.train(data=str(data_yaml), project=str(tmp_path), name="tutorial", **TRAIN_ARGS)
    assert (tmp_path / "tutorial" / "weights" / "best.pt").is_file()
    image = next((data_yaml.parent / "images" / "val").glob("*.png"))
    result = model.predict(image, imgsz=TRAIN_ARGS["imgsz"], device="cpu", conf=0.0, verbose=False)[0]
    assert result.boxes is not None and result.boxes.xyxy.shape[1] == 4


def test_tutorial_network_has_the_tutorials_parameter_count():
    """The tutorial's YAML at depth 1.0 with nc 6 is the network of its printed summary: 1,826,058 parameters."""
    d = _with_row(0, [-1, 1, "starnet_s1", [1.0, 0.25]])
    model = DetectionModel(d, nc=6, verbose=False)
    assert model.model[0].width_list == [8, 8, 16, 32, 64]  # base 8 doubled per stage, as the tutorial's code does
    assert sum(p.numel() for p in model.parameters()) == 1_826_058


@pytest.mark.parametrize("tag", TAGS)
def test_every_shipped_model_builds_at_every_scale_with_growing_params(tag):
    """All five scales of every shipped tag exist and build (weights not fetched: sizes do not depend on them)."""
    params, task = [], model_task(f"yolo11n-{tag}.yaml")
    for scale in "nsmlx":
        assert f"yolo11{scale}-{tag}.yaml" in shipped_models(scale, task)
        d = yaml_model_load(f"yolo11{scale}-{tag}.yaml")
        assert d["scale"] == scale and scale in d["scales"] and guess_model_task(d) == task
        model = TASKS[task]({**d, SKIP_ROW_WEIGHTS: True}, verbose=False)
        params.append(sum(p.numel() for p in model.parameters()))
    assert params == sorted(set(params)), params  # strictly increasing n < s < m < l < x


@pytest.mark.parametrize("tag", [tag for tag in TAGS if tag.endswith("-imagenet")])
def test_imagenet_yamls_name_released_weights_of_the_papers_network(tag):
    for scale in "nsmlx":
        _, _, module, args = yaml_model_load(f"yolo11{scale}-{tag}.yaml")["backbone"][0]
        variant = args[0] if module == "timm" else module
        assert args == ([variant, "imagenet"] if module == "timm" else [1, 1, "imagenet"])
        assert imagenet_source(variant), f"{variant} has no released weights"


@pytest.mark.parametrize("name", N_ONLY)
def test_n_only_imagenet_yaml_builds_at_n_only_and_names_released_weights(name):
    tag = name.split("-", 1)[1].removesuffix(".yaml")
    assert name in shipped_models("n") and not any(f"yolo26{s}-{tag}.yaml" in shipped_models(s) for s in "slmx")
    d = yaml_model_load(name)
    _, _, module, args = d["backbone"][0]
    assert module == "timm" and args[1] == "imagenet" and imagenet_source(args[0]), args
    model = DetectionModel({**d, SKIP_ROW_WEIGHTS: True}, verbose=False)  # weights are not fetched to build it
    assert d["end2end"] and hasattr(model.model[-1], "one2one_cv3")  # YOLO26's NMS-free head
    assert sum(p.numel() for p in model.parameters()) < 2.57e6  # lighter than stock YOLO26n


# The single-scale timm RepGhostNet files: scale, variant, YOLO26's attention at P5 kept, neck block, stock YOLO26's
# parameters
REPGHOST = {"n": ("repghostnet_058_c8", False, "C3k2_Rep", 2.57e6), "s": ("repghostnet_150", True, "C3k2", 10.01e6)}


@pytest.mark.parametrize("scale", REPGHOST)
def test_single_scale_timm_yaml_builds_from_scratch_at_half_of_yolo26(scale, monkeypatch):
    """yolo26{n,s}-repghost.yaml: timm's RepGhostNet from random weights (nothing fetched) under YOLO26's head."""
    monkeypatch.setattr(timm_backbone, "cached_file", lambda *args: pytest.fail(f"fetched weights: {args}"))
    variant, attention, neck, stock_params = REPGHOST[scale]
    name = f"yolo26{scale}-repghost.yaml"
    assert [s for s in "nsmlx" if f"yolo26{s}-repghost.yaml" in shipped_models(s)] == list(REPGHOST)  # n and s only
    d = yaml_model_load(name)
    assert list(d["scales"]) == [scale]  # one file per scale: each its own backbone width
    assert d["backbone"][0][2:] == ["timm", [variant]]  # no weights argument: from scratch
    model = YOLO(name).model
    assert model.model[0].type == f"timm.{variant}" and model.model[-1].one2one_cv2 is not None
    assert [model.model[i].f for i in (8, 11)] == [[-1, 3], [-1, 2]]  # P4 and P3 come from the backbone's slots
    assert isinstance(model.model[6], C2PSA if attention else nn.Identity)  # the rows keep yolo26.yaml's numbers
    assert any(isinstance(m, PSABlock) for m in model.model[18].modules()) == attention  # the last C3k2's attention
    assert any(isinstance(m, PSABlock) for m in model.modules()) == attention  # none elsewhere without it
    assert {type(model.model[i]).__name__ for i in (9, 12, 15, 18)} == {neck}  # the neck's C3k2 rows
    assert sum(p.numel() for p in model.parameters()) < 0.5 * stock_params  # under half of stock YOLO26 at its scale


def test_repghost_n_files_run_repghostnet_in_multiples_of_8_and_differ_in_the_head_branch_only():
    """yolo26n-repghost-nms.yaml: yolo26n-repghost.yaml's rows with end2end off (the end-to-end file keeps its
    one-to-one branch, this one its one-to-many branch), both over RepGhostNet x0.58 in multiples of 8, at n only; the
    -imagenet twin keeps timm's x0.58, whose released weights it loads."""
    end2end, nms = yaml_model_load("yolo26n-repghost.yaml"), yaml_model_load("yolo26n-repghost-nms.yaml")
    imagenet = yaml_model_load("yolo26n-repghost-imagenet.yaml")
    assert nms["end2end"] is False and end2end["end2end"] is True and nms["reg_max"] == end2end["reg_max"] == 1
    assert nms["backbone"][0] == end2end["backbone"][0] == [-1, 1, "timm", ["repghostnet_058_c8"]]
    assert imagenet["backbone"][0] == [-1, 1, "timm", ["repghostnet_058", "imagenet"]]
    assert (nms["backbone"][1:], nms["head"]) == (end2end["backbone"][1:], end2end["head"])
    assert (imagenet["backbone"][1:], imagenet["head"]) == (end2end["backbone"][1:], end2end["head"])
    assert [s for s in "nsmlx" if f"yolo26{s}-repghost-nms.yaml" in shipped_models(s)] == ["n"]
    for name in ("yolo26n-repghost.yaml", "yolo26n-repghost-nms.yaml"):
        backbone = YOLO(name).model.model[0]
        assert all(c % 8 == 0 for c in backbone.width_list)
        assert all(m.out_channels % 8 == 0 for m in backbone.modules() if isinstance(m, nn.Conv2d) and m.groups > 1)


PLAIN_EXCEPTIONS = {"yolo11n-fasternet.yaml": [0.5, 0.5]}  # even T0 is 1.5x YOLO11n: see the YAML's header


def test_plain_yamls_are_the_papers_networks_and_scaled_keep_the_tutorial_rule():
    for family in ("starnet", "fasternet", "micronet"):
        for scale in "nsmlx":
            name = f"yolo11{scale}-{family}.yaml"
            assert yaml_model_load(name)["backbone"][0][3] == PLAIN_EXCEPTIONS.get(name, [1, 1])
            assert yaml_model_load(f"yolo11{scale}-{family}-scaled.yaml")["backbone"][0][3] == []
    for scale in "nsmlx":  # classify takes the paper's network at width 1 everywhere
        assert yaml_model_load(f"yolo11{scale}-cls-fasternet.yaml")["backbone"][0][3] == [1, 1]


def test_task_yamls_are_generated_from_the_detection_yamls():
    """Every family has seg/pose/obb/cls YAMLs at every scale, exactly as tools/make_task_cfg.py writes them."""
    tool = Path(__file__).parent.parent / "tools" / "make_task_cfg.py"
    result = subprocess.run([sys.executable, str(tool), "--check"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    for family in ("starnet", "fasternet", "micronet"):
        for task, suffix in TASK_SUFFIXES.items():
            for scale in "nsmlx":
                name = f"yolo11{scale}-{suffix}-{family}.yaml"
                d = yaml_model_load(name)
                assert name in shipped_models(scale, task) and guess_model_task(d) == task
                if task != "classify":  # classify picks its own variant per scale (no neck), see its header
                    assert d["backbone"][0] == yaml_model_load(f"yolo11{scale}-{family}.yaml")["backbone"][0]


def test_backbone_follows_the_scale():
    widths = {s: DetectionModel(f"yolo11{s}-starnet-scaled.yaml", verbose=False).model[0].width_list for s in "nsx"}
    assert widths == {"n": [8, 8, 16, 32, 64], "s": [16, 16, 32, 64, 128], "x": [48, 40, 80, 160, 320]}


def test_shipped_yaml_resolves_from_any_directory(tmp_path):
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        model = YOLO("yolo11s-starnet.yaml")
    finally:
        os.chdir(cwd)
    assert model.model.yaml["scale"] == "s"


def test_p2_head_takes_slot_1():
    d = _model_dict()
    d["head"][-1] = [[1, 12, 15, 18], 1, "Detect", ["nc"]]  # add P2/4 from slot 1
    model = DetectionModel(d, verbose=False)
    assert model.stride.tolist() == [4, 8, 16, 32]


def test_empty_args_and_embed():
    d = _model_dict()
    d["backbone"][0] = [-1, 1, "starnet_s050", []]
    model = DetectionModel(d, verbose=False).eval()
    assert model.model[0].width_list == [8, 8, 16, 32, 64]  # scale n: width 0.25
    x = torch.zeros(2, 3, 64, 64)
    vectors = model.predict(x, embed=[2, 4])
    assert len(vectors) == 2 and vectors[0].shape == (16 + 64,)
    assert model.predict(x, embed=[20])[0].numel() > 0


@pytest.mark.parametrize(
    "row, match",
    [
        ([-1, 1, "starnet_s9", [0.5, 0.25]], r"unknown module 'starnet_s9'.*starnet_s050, starnet_s1"),
        ([-1, 1, "starnet_s1", ["half", 0.25]], r"depth must be a positive number.*got 'half'"),
        ([-1, 1, "starnet_s1", [True, 0.25]], r"depth must be a positive number.*got True"),
        ([-1, 1, "starnet_s1", [0.5, 0]], r"width must be a positive number.*got 0"),
        ([-1, 1, "starnet_s1", [0.5, -1]], r"width must be a positive number"),
        ([-1, 1, "starnet_s1", [0.5]], r"args must be \[depth, width\]"),
        ([-1, 2, "starnet_s1", [0.5, 0.25]], r"must be the first backbone row"),
    ],
)
def test_bad_backbone_row_raises_value_error(row, match):
    with pytest.raises(ValueError, match=match):
        DetectionModel(_with_row(0, row), verbose=False)


@pytest.mark.parametrize(
    "i, row, match",
    [
        (3, [[-1, 30], 1, "Concat", [1]], r"row 3 \(Concat\) is layer 7 and takes 'from' index 30, which points outside"),
        (3, [[-1, -9], 1, "Concat", [1]], r"'from' index -9, which points outside"),
        (3, [[-1, "a"], 1, "Concat", [1]], r"'from' must be an int or a list of ints"),
        (15, [[12, 15, 19], 1, "Detect", ["nc"]], r"takes 'from' index 19"),
        (2, [-1, 1, "starnet_s1", []], r"must be the first backbone row"),
        (4, [-1, 1, "Bogus", [1]], r"unknown module 'Bogus'"),
    ],
)
def test_bad_rows_raise_value_error(i, row, match):
    with pytest.raises(ValueError, match=match):
        DetectionModel(_with_row(i, row), verbose=False)


def test_unknown_scale_raises_value_error():
    with pytest.raises(ValueError, match=r"scale 'q' is not in the YAML's scales"):
        DetectionModel(_model_dict(scale="q"), verbose=False)


CLASSIFY_YAML = """
nc: 10
scales:
  n: [0.5, 0.25, 1024]
backbone:
  - [-1, 1, starnet_s1, [0.5, 0.25]] # 0-4
  - [-1, 2, C2PSA, [1024]] # 5
head:
  - [-1, 1, Classify, [nc]] # 6
"""


def test_row_that_fails_to_build_names_row_module_channels_and_fix(tmp_path):
    # The classify YAML written the obvious way: C2PSA needs as many input channels as it outputs (64 != 256).
    cfg = tmp_path / "yolo11n-cls-mine.yaml"
    cfg.write_text(CLASSIFY_YAML)
    with pytest.raises(ValueError) as info:
        YOLO(str(cfg))
    message = str(info.value)
    assert "YAML row 1 (layer 5)" in message and "C2PSA, [1024]" in message
    assert "receives 64 channels from layer 4" in message and "asks for 256" in message
    assert "SPPF" in message and isinstance(info.value.__cause__, AssertionError)
    assert cfg.read_text() == CLASSIFY_YAML  # nothing the user made is touched


def test_stock_row_that_fails_to_build_is_named_too():
    d = yaml_model_load("yolo11n.yaml")
    d["backbone"][10] = [-1, 2, "C2PSA", [512]]  # after SPPF's 256 channels, C2PSA asks for 128
    with pytest.raises(ValueError, match=r"YAML row 10 \(layer 10\).*receives 256 channels from layer 9"):
        DetectionModel(d, verbose=False)


def test_try_backbone_rows_changes_row_0_and_nothing_else(tmp_path):
    """tools/try_backbone_rows.py (how the "rows tried" of docs/results.md were measured) writes copies that differ
    from the base only in row 0's module and args, and that build with that backbone."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "try_rows", Path(__file__).parent.parent / "tools" / "try_backbone_rows.py"
    )
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    stems = tool.write_copies("yolo11n-starnet.yaml", ["fasternet_t0, [0.5, 0.75]", "starnet_s100, [1, 1]"], tmp_path)
    assert stems == ["yolo11n-row0", "yolo11n-row1"]
    base = yaml_model_load("yolo11n-starnet.yaml")
    for stem, (module, args) in zip(stems, [("fasternet_t0", [0.5, 0.75]), ("starnet_s100", [1, 1])]):
        d = yaml_model_load(str(tmp_path / f"{stem}.yaml"))
        assert d["backbone"][0] == [-1, 1, module, args]
        assert d["backbone"][1:] == base["backbone"][1:] and d["head"] == base["head"] and d["scale"] == "n"
        assert DetectionModel(d, verbose=False).model[0].type.startswith(module)
    with pytest.raises(ValueError, match="yolo11<scale>-<tag>.yaml"):
        tool.write_copies("rtdetr-starnet.yaml", ["starnet_s1, [1, 1]"], tmp_path)


def test_layer_table_shows_the_backbone_as_layer_0_and_adds_up(tmp_path):
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    LOGGER.addHandler(handler)
    try:
        model = DetectionModel("yolo11n-starnet.yaml", verbose=True)
    finally:
        LOGGER.removeHandler(handler)
    rows = [line for line in lines if re.match(r"^\s*\d+\s+(-?\d+|\[.*?\])\s+\d+\s+\d+  ", line)]
    backbone = model.model[0]
    params = sum(p.numel() for p in backbone.parameters())
    assert re.match(rf"^  0 +-1  1 +{params}  yolo_lite\.backbones\.starnet\.StarNet +starnet_s050\(depth=1", rows[0])
    assert all("(output of layer 0)" in rows[k] and f"P{k + 1}/{2 ** (k + 1)}" in rows[k] for k in range(1, 5))
    assert not any("Index" in row for row in rows) and len(rows) == len(model.model)
    column = sum(int(row[26:36]) for row in rows)
    assert column == sum(p.numel() for p in model.parameters())  # the printed params add up to the model's


def test_misspelled_shipped_name_lists_the_closest_names():
    with pytest.raises(FileNotFoundError, match=r"'yolo11-starnett.yaml' does not exist\. Closest yolo-lite models: "
                       r"yolo11\w-starnet\.yaml, .*python -m yolo_lite\.cfg"):  # fmt: skip
        YOLO("yolo11-starnett.yaml")
    with pytest.raises(FileNotFoundError) as stock:  # a name near none of ours keeps Ultralytics' message
        YOLO("yolo11nn.yaml")
    assert "yolo-lite" not in str(stock.value)


def test_missing_checkpoint_named_like_a_shipped_yaml_says_what_exists(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    expected = r"yolo-lite ships model YAMLs and ImageNet-pretrained backbones, not trained detection weights.*"
    with pytest.raises(FileNotFoundError, match=expected + r"yolo11n-starnet-imagenet\.yaml.*pretrained='yolo11n\.pt'"):
        YOLO("yolo11n-starnet.pt")
    with pytest.raises(FileNotFoundError, match=r"pretrained='yolo11n-seg\.pt'"):
        YOLO("yolo11n-seg-starnet.pt")
    YOLO("yolo11n-starnet.yaml").save(tmp_path / "yolo11n-starnet.pt")  # a user's own file of that name loads
    assert isinstance(YOLO("yolo11n-starnet.pt").model.model[0], Backbone)
