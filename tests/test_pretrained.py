"""Pretrained backbones from the YAML row: files, URLs, the download caches, offline errors, and what training sees."""

from __future__ import annotations

import copy
import re
import shutil
import subprocess
import sys
from pathlib import Path

import huggingface_hub.constants
import pytest
import timm
import torch
import yaml
from safetensors.torch import save_file
from ultralytics import YOLO
from ultralytics.nn.tasks import DetectionModel, yaml_model_load

from yolo_lite.backbones import TimmBackbone, micronet_m3, starnet_s050, starnet_s1
from yolo_lite.backbones.pretrained import MICRONET_URL

from .conftest import IMGSZ, TRAIN_ARGS, randomize_bn, run_python, save_checkpoint
from .test_micronet import randomize, to_official

TUTORIAL_YAML = Path(__file__).parent / "yolo11-starnet-tutorial.yaml"


def _model_dict(row: list, nc: int = 80) -> dict:
    """The tutorial's model dict with ``row`` as its backbone row."""
    d = copy.deepcopy(yaml_model_load(TUTORIAL_YAML))
    d["backbone"][0], d["nc"] = row, nc
    return d


def _write_yaml(path: Path, row: list) -> Path:
    """Write the tutorial's YAML with ``row`` as its backbone row to ``path``."""
    d = _model_dict(row)
    path.write_text(yaml.safe_dump({k: v for k, v in d.items() if k not in ("scale", "yaml_file")}, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def official_starnet(tmp_path_factory) -> tuple[Path, dict[str, torch.Tensor]]:
    """A StarNet-S1 checkpoint in the official release's layout (``{"state_dict": ...}``, classifier included)."""
    torch.manual_seed(0)
    state_dict = timm.create_model("starnet_s1").state_dict()
    for name, value in state_dict.items():  # BN away from its defaults, so a re-initialisation would show
        if name.endswith(("running_var", "bn.weight")):
            value.uniform_(0.5, 1.5)
        elif name.endswith(("running_mean", "bn.bias")):
            value.normal_(0.0, 0.1)
    path = tmp_path_factory.mktemp("weights") / "starnet_s1.pth.tar"
    torch.save({"epoch": 300, "state_dict": state_dict}, path)
    return path, {k: v for k, v in state_dict.items() if not k.startswith(("norm.", "head."))}


def _equal_backbone(backbone: torch.nn.Module, expected: dict[str, torch.Tensor]) -> bool:
    own = backbone.state_dict()
    return own.keys() == expected.keys() and all(torch.equal(own[k].float(), v.float()) for k, v in expected.items())


def test_row_weights_file_builds_the_checkpoints_backbone(official_starnet):
    path, expected = official_starnet
    model = DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, str(path)]]), verbose=False)
    assert _equal_backbone(model.model[0], expected)
    assert {m.eps for m in model.model[0].modules() if isinstance(m, torch.nn.BatchNorm2d)} == {1e-5}
    assert model.model[5].cv1.bn.eps == 1e-3  # Ultralytics' own layers keep Ultralytics' initialisation


def test_features_inside_yolo_equal_the_standalone_pretrained_backbone(official_starnet):
    path, _ = official_starnet
    model = DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, str(path)]]), verbose=False).eval()
    standalone = starnet_s1().load_pretrained(path).eval()
    x = torch.randn(2, 3, 128, 128)
    with torch.no_grad():
        inside, alone = model.model[0](x), standalone(x)
    assert all(torch.allclose(a, b, atol=1e-6) for a, b in zip(inside, alone))


def test_training_starts_from_the_row_weights(official_starnet, data_yaml, tmp_path):
    """The trainer rebuilds the model from the YAML: its first forward still sees the checkpoint's backbone."""
    path, expected = official_starnet
    model = YOLO(_write_yaml(tmp_path / "pretrained.yaml", [-1, 1, "starnet_s1", [1, 1, str(path)]]))
    seen = {}

    def capture_first_forward(trainer):
        backbone = trainer.model.model[0]

        def hook(module, args):
            seen["state"] = {k: v.detach().clone() for k, v in module.state_dict().items()}
            handle.remove()

        handle = backbone.register_forward_pre_hook(hook)

    model.add_callback("on_pretrain_routine_end", capture_first_forward)
    model.train(data=str(data_yaml), project=str(tmp_path), name="train", **TRAIN_ARGS)
    assert seen["state"].keys() == expected.keys()
    assert all(torch.equal(seen["state"][k], v) for k, v in expected.items())


def test_cli_trains_from_row_weights_and_freeze_5_is_the_backbone(official_starnet, data_yaml, tmp_path):
    path, expected = official_starnet
    cfg = _write_yaml(tmp_path / "pretrained.yaml", [-1, 1, "starnet_s1", [1, 1, str(path)]])
    yolo = shutil.which("yolo", path=str(Path(sys.executable).parent))
    result = subprocess.run(
        [yolo, "detect", "train", f"model={cfg}", f"data={data_yaml}", "epochs=1", f"imgsz={IMGSZ}", "batch=8",
         "device=cpu", "workers=0", "plots=False", "freeze=5", f"project={tmp_path}", "name=cli"],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    ckpt = torch.load(tmp_path / "cli" / "weights" / "last.pt", map_location="cpu", weights_only=False)
    net = ckpt["model"]
    backbone = dict(net.model[0].named_parameters())
    assert backbone and all(torch.equal(p, expected[k].half()) for k, p in backbone.items())  # frozen, as loaded
    head = {k: v for k, v in net.state_dict().items() if not k.startswith("model.0.")}
    fresh = DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, str(path)]], nc=3), verbose=False).state_dict()
    assert any(not torch.equal(v.float(), fresh[k].float()) for k, v in head.items() if v.is_floating_point())


def test_freeze_5_freezes_exactly_the_backbone(official_starnet, data_yaml, tmp_path):
    path, _ = official_starnet
    model = YOLO(_write_yaml(tmp_path / "pretrained.yaml", [-1, 1, "starnet_s1", [1, 1, str(path)]]))
    frozen = {}
    model.add_callback(
        "on_train_start",
        lambda trainer: frozen.update({n: not p.requires_grad for n, p in trainer.model.named_parameters()}),
    )
    model.train(data=str(data_yaml), project=str(tmp_path), name="freeze", freeze=5, **TRAIN_ARGS)
    frozen = {name: is_frozen for name, is_frozen in frozen.items() if ".dfl." not in name}  # Ultralytics: always
    assert frozen and all(is_frozen == name.startswith("model.0.") for name, is_frozen in frozen.items())


def test_checkpoint_retrains_without_fetching_the_row_weights(official_starnet, data_yaml, tmp_path):
    """A best.pt holds its weights: rebuilding it for training must not need the row's file any more."""
    path, _ = official_starnet
    weights = tmp_path / "gone.pth.tar"
    shutil.copy(path, weights)
    model = YOLO(_write_yaml(tmp_path / "pretrained.yaml", [-1, 1, "starnet_s1", [1, 1, str(weights)]]))
    model.train(data=str(data_yaml), project=str(tmp_path), name="first", **TRAIN_ARGS)
    best = Path(model.trainer.best)
    weights.unlink()
    again = YOLO(best)
    again.train(data=str(data_yaml), project=str(tmp_path), name="again", **TRAIN_ARGS)
    assert (tmp_path / "again" / "weights" / "last.pt").is_file()


def test_imagenet_from_a_prefilled_torch_hub_cache(tmp_path, monkeypatch):
    """MicroNet's release comes through torch.hub: a file already in its cache is used without any network."""
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    source = randomize(micronet_m3())
    cache = tmp_path / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    torch.save(to_official(source), cache / Path(MICRONET_URL.format("micronet-m3")).name)
    model = DetectionModel(_model_dict([-1, 1, "micronet_m3", [1, 1, "imagenet"]]), verbose=False)
    assert _equal_backbone(model.model[0], source.state_dict())


def test_imagenet_offline_without_cache_names_the_file_and_place(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    monkeypatch.setattr("socket.create_connection", _no_network)
    with pytest.raises(ValueError, match=r"cannot download .*micronet-m3\.pth.*put it at .*hub/checkpoints"):
        DetectionModel(_model_dict([-1, 1, "micronet_m3", [1, 1, True]]), verbose=False)
    assert not list(tmp_path.rglob("*.pth"))  # nothing half-downloaded left behind


def test_timm_released_weights_from_a_prefilled_hub_cache(tmp_path, monkeypatch):
    """StarNet's release comes through timm's pretrained config: the Hugging Face cache, offline."""
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    torch.manual_seed(1)
    state_dict = timm.create_model("starnet_s1").state_dict()
    snapshot = tmp_path / "models--timm--starnet_s1.in1k" / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    save_file(state_dict, snapshot / "model.safetensors")
    (tmp_path / "models--timm--starnet_s1.in1k" / "refs").mkdir()
    (tmp_path / "models--timm--starnet_s1.in1k" / "refs" / "main").write_text("0" * 40)
    model = DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, "imagenet"]]), verbose=False)
    assert _equal_backbone(model.model[0], {k: v for k, v in state_dict.items() if not k.startswith(("norm", "head"))})


def test_timm_released_weights_offline_without_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path))
    with pytest.raises(ValueError, match=r"timm/starnet_s1\.in1k.*model\.safetensors.*write its path as the backbone"):
        DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, "imagenet"]]), verbose=False)


def test_url_weights_are_downloaded_once_into_the_torch_hub_cache(official_starnet, tmp_path, monkeypatch):
    path, expected = official_starnet
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    model = DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, path.as_uri()]]), verbose=False)
    assert _equal_backbone(model.model[0], expected)
    assert (tmp_path / "torch" / "hub" / "checkpoints" / path.name).is_file()


@pytest.mark.parametrize(
    "args, message",
    [
        ([0.5, 1, "imagenet"], r"need the paper's network, depth = width = 1"),
        ([1, 0.25, True], r"need the paper's network"),
        ([1, 1, 3], r"weights must be True or 'imagenet'"),
        ([1, 1, "missing.pth"], r"'missing.pth' does not exist"),
        ([1, 1, "imagenet", 4], r"backbone args must be"),
    ],
)
def test_bad_weights_args_raise_value_error(args, message):
    with pytest.raises(ValueError, match=message):
        DetectionModel(_model_dict([-1, 1, "starnet_s1", args]), verbose=False)


def test_variant_without_released_weights_lists_those_with():
    with pytest.raises(ValueError, match=r"starnet_s050 has no released ImageNet weights.*starnet_s1, starnet_s2"):
        DetectionModel(_model_dict([-1, 1, "starnet_s050", [1, 1, "imagenet"]]), verbose=False)


def test_pretrained_model_loads_fresh_without_the_weights_file(official_starnet, tmp_path):
    path, _ = official_starnet
    model = YOLO(_write_yaml(tmp_path / "pretrained.yaml", [-1, 1, "starnet_s1", [1, 1, str(path)]]))
    model.save(tmp_path / "saved.pt")
    path.rename(moved := tmp_path / "moved.pth.tar")
    try:
        code = (
            "import torch; from ultralytics import YOLO; "
            f"b = YOLO(r'{tmp_path / 'saved.pt'}').model.model[0].state_dict(); "
            f"e = torch.load(r'{moved}', weights_only=True)['state_dict']; "
            "print(all(torch.equal(v, e[k].half()) for k, v in b.items()))"
        )
        result = run_python(code, tmp_path)
    finally:
        moved.rename(path)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "True"



class _Foreign(torch.nn.Identity):
    """A class on no allow-list."""


@pytest.fixture(scope="module")
def best_pt(trained) -> tuple[Path, dict[str, torch.Tensor]]:
    """The session's trained yolo11n-starnet (StarNet-S050) best.pt and its backbone's tensors, read in full."""
    best = Path(trained[0].trainer.best)
    return best, torch.load(best, map_location="cpu", weights_only=False)["model"].model[0].state_dict()


def test_load_pretrained_takes_the_backbone_of_a_best_pt(best_pt, tmp_path):
    best, expected = best_pt
    assert _equal_backbone(starnet_s050().load_pretrained(best), expected)
    assert _equal_backbone(starnet_s050().load_pretrained(torch.load(best, weights_only=False)), expected)  # its dict
    model = DetectionModel(_model_dict([-1, 1, "starnet_s050", [1, 1, str(best)]], nc=6), verbose=False)
    assert _equal_backbone(model.model[0], expected)  # as a YAML row's weights


def test_timm_backbone_takes_the_backbone_of_a_best_pt(tmp_path):
    model = DetectionModel(_model_dict([-1, 1, "timm", ["mobilenetv4_conv_small"]], nc=6), verbose=False)
    best = save_checkpoint(randomize_bn(model), tmp_path / "best.pt")
    expected = {k: v.half() for k, v in model.model[0].state_dict().items()}  # as saved
    assert _equal_backbone(TimmBackbone("mobilenetv4_conv_small").load_pretrained(best), expected)


def test_best_pt_without_a_backbone_or_with_a_foreign_class_is_refused(tmp_path):
    stock = save_checkpoint(DetectionModel("yolo11n.yaml", nc=6, verbose=False), tmp_path / "stock.pt")
    with pytest.raises(ValueError, match=r"no yolo-lite backbone at layer 0 \(it has Conv\); pass a best.pt trained"):
        starnet_s050().load_pretrained(stock)
    model = DetectionModel(_model_dict([-1, 1, "starnet_s050", [1, 1]], nc=6), verbose=False)
    model.model[0].extra = _Foreign()
    foreign = save_checkpoint(model, tmp_path / "foreign.pt")
    with pytest.raises(ValueError, match=r"neither a state dict nor an Ultralytics checkpoint that loads restricted"):
        starnet_s050().load_pretrained(foreign)  # read restricted: the unknown class is never rebuilt


def test_mismatch_message_is_short(best_pt):
    """Hundreds of keys differ; the message gives counts, the first keys, and both shapes."""
    best, _ = best_pt
    with pytest.raises(ValueError) as error:
        starnet_s1().load_pretrained(best)
    message = str(error.value)
    assert len(message) < 600, message
    assert re.search(r": \d{3} missing: stages\.0\.2\.dwconv\.conv\.weight, .*, \.\.\. \(\d+ more\); \d{3} with another", message)
    assert "stages.0.0.conv.weight (model (24, 32, 3, 3), checkpoint (16, 32, 3, 3))" in message


def _no_network(*args, **kwargs):
    raise OSError("network is unreachable (simulated)")


def test_freezing_the_first_backbone_stages_keeps_them_bit_identical_and_trains_the_rest(data_yaml, tmp_path):
    """freeze=backbone.freeze_names(2): stem and stage 0 keep weights and BN statistics over an epoch; the rest trains."""
    model = YOLO("yolo11n-starnet.yaml")
    freeze = model.model.model[0].freeze_names(2)
    assert freeze == ["0.stem", "0.stages.0"]
    states = {}

    def snapshot(when):
        return lambda trainer: states.update({when: {k: v.clone() for k, v in trainer.model.state_dict().items()}})

    model.add_callback("on_train_start", snapshot("start"))
    model.add_callback("on_train_end", snapshot("end"))
    model.train(data=str(data_yaml), project=str(tmp_path), name="partial", freeze=freeze, **TRAIN_ARGS)
    start, end = states["start"], states["end"]
    frozen = [k for k in start if k.startswith(("model.0.stem.", "model.0.stages.0."))]
    assert any(k.endswith("running_mean") for k in frozen) and any(k.endswith("conv.weight") for k in frozen)
    assert all(torch.equal(start[k], end[k]) for k in frozen)
    trained = [k for k in start if k.startswith("model.0.stages.1.") and start[k].is_floating_point()]
    assert any(not torch.equal(start[k], end[k]) for k in trained)
    assert any(not torch.equal(start[k], end[k]) for k in start if k.startswith("model.19."))  # the head trains


@pytest.mark.parametrize("features", [0, 6, 1.5, True])
def test_freeze_names_rejects_a_bad_count(features):
    with pytest.raises(ValueError, match=r"1 to 5, got"):
        starnet_s1().freeze_names(features)
