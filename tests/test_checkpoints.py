"""Checkpoints that travel: restricted loading (ULTRALYTICS_SAFE_LOAD), a missing plugin, plugin-free exports."""

from __future__ import annotations

import importlib.metadata
import io
import shutil
import sys
from pathlib import Path

import pytest
import torch
from packaging.utils import canonicalize_name
from ultralytics import YOLO
from ultralytics.nn.tasks import DetectionModel, torch_safe_load

from yolo_lite.backbones import get_backbone, list_backbones
from yolo_lite.safe_load import TIMM_BACKBONE, backbone_classes, checkpoint_classes, pickled_globals

from .conftest import IMGSZ, run_python, save_checkpoint

REFUSED = "references types outside the supported Ultralytics checkpoint format"  # Ultralytics' restricted-load error

# Run first in a fresh interpreter: yolo_lite cannot be imported and its distribution is not found, as where it is not
# installed; pip is not run but recorded.
WITHOUT_PLUGIN = """
import importlib.metadata as md, subprocess, sys

class NoYoloLite:
    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name.split(".")[0] == "yolo_lite":
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)

    @classmethod
    def find_distributions(cls, context=md.DistributionFinder.Context()):
        if context.name and context.name.replace("-", "_").lower() == "yolo_lite":
            raise md.PackageNotFoundError(context.name)
        return iter(())

sys.meta_path.insert(0, NoYoloLite)

def record(command, *args, **kwargs):
    print("PIP", " ".join(command), flush=True)
    raise subprocess.CalledProcessError(1, command, output="not run in the test")

subprocess.check_output = record
"""


def _load_each(files: dict[str, Path], cwd: Path, **env) -> dict[str, str]:
    """Load and predict each file with ``YOLO`` in one fresh interpreter; return ``{name: "LOADED <layer 0>" | ...}``."""
    paths = {name: str(path) for name, path in files.items()}
    code = (
        "import numpy as np\nfrom ultralytics import YOLO\n"
        f"for name, f in {paths!r}.items():\n"
        "    try:\n"
        "        model = YOLO(f)\n"
        f"        model.predict(np.zeros(({IMGSZ}, {IMGSZ}, 3), np.uint8), imgsz={IMGSZ}, device='cpu', verbose=False)\n"
        "        print(name, 'LOADED', type(model.model.model[0]).__name__)\n"
        "    except TypeError as e:\n"
        "        print(name, 'REFUSED', str(e).splitlines()[0])\n"
    )
    result = run_python(code, cwd, **env)
    assert result.returncode == 0, result.stderr[-3000:]
    return dict(line.split(" ", 1) for line in result.stdout.splitlines() if line.split(" ", 1)[0] in files)


@pytest.fixture(autouse=True)
def default_safe_globals():
    """Start every test from torch's default allow-list: loads earlier in the session (test_pretrained's) registered
    yolo-lite classes for the whole process, as they should, and a registered class is no longer reported as needed."""
    saved = torch.serialization.get_safe_globals()
    torch.serialization.clear_safe_globals()
    yield
    torch.serialization.clear_safe_globals()
    torch.serialization.add_safe_globals(saved)


@pytest.fixture(scope="module")
def checkpoints(trained, tmp_path_factory) -> dict[str, Path]:
    """A trained yolo-lite best.pt, a stock one, and yolo-lite checkpoints holding one class beyond both allow-lists."""
    folder = tmp_path_factory.mktemp("checkpoints")
    (folder / "foreign_layers.py").write_text("import torch\n\nclass Foreign(torch.nn.Identity):\n    pass\n")
    sys.path.insert(0, str(folder))
    try:
        from foreign_layers import Foreign
    finally:
        sys.path.remove(str(folder))
    from timm.layers import Mlp  # a timm layer that no yolo-lite family backbone contains

    files = {"yolo_lite": Path(trained[0].trainer.best)}
    files["stock"] = save_checkpoint(DetectionModel("yolo11n.yaml", nc=6, verbose=False), folder / "stock.pt")
    for name, extra in (("foreign_module", Foreign()), ("foreign_timm", Mlp(4))):
        model = DetectionModel("yolo11n-starnet.yaml", nc=6, verbose=False)
        model.model[0].extra = extra  # held, never run
        files[name] = save_checkpoint(model, folder / f"{name}.pt")
    return files


@pytest.fixture(scope="module")
def restricted(checkpoints, tmp_path_factory) -> dict[str, str]:
    """Each checkpoint loaded by ``YOLO`` in a fresh process with ``ULTRALYTICS_SAFE_LOAD=1``."""
    folder = checkpoints["foreign_module"].parent
    return _load_each(checkpoints, tmp_path_factory.mktemp("run"), ULTRALYTICS_SAFE_LOAD="1", PYTHONPATH=str(folder))


@pytest.fixture(scope="module")
def unrestricted(checkpoints, tmp_path_factory) -> dict[str, str]:
    """The checkpoints with a foreign class, loaded by ``YOLO`` in a fresh process as by default (full unpickling)."""
    files = {k: v for k, v in checkpoints.items() if k.startswith("foreign")}
    return _load_each(files, tmp_path_factory.mktemp("run"), PYTHONPATH=str(checkpoints["foreign_module"].parent))


def test_best_pt_loads_and_predicts_restricted(restricted):
    assert restricted["yolo_lite"] == "LOADED StarNet"


def test_stock_checkpoint_still_loads_restricted(restricted):
    assert restricted["stock"] == "LOADED Conv"


@pytest.mark.parametrize("name", ["foreign_module", "foreign_timm"])
def test_a_class_outside_both_allow_lists_is_still_refused(restricted, unrestricted, name):
    assert restricted[name].startswith("REFUSED") and REFUSED in restricted[name]
    assert unrestricted[name] == "LOADED StarNet"  # the file itself is fine: only the restricted load refuses it
    assert "timm.layers.mlp.Mlp" not in backbone_classes()  # the timm layer is in no family backbone


def test_without_the_plugin_restricted_loading_refuses_best_pt(checkpoints, tmp_path):
    loaded = _load_each(
        {"yolo_lite": checkpoints["yolo_lite"]}, tmp_path, ULTRALYTICS_SAFE_LOAD="1", YOLO_LITE_AUTOLOAD="0"
    )
    assert loaded["yolo_lite"].startswith("REFUSED")


def test_stock_checkpoint_allows_nothing_more(checkpoints):
    assert checkpoint_classes(checkpoints["stock"]) == []
    allowed = {name for _, name in checkpoint_classes(checkpoints["yolo_lite"])}
    assert "yolo_lite.backbones.starnet.StarNet" in allowed and "timm.models.starnet.Block" in allowed
    assert not any(name.startswith("ultralytics.") for name in allowed)  # Ultralytics' own list handles those


def test_a_damaged_file_gets_ultralytics_own_error(checkpoints, tmp_path):
    damaged = tmp_path / "damaged.pt"
    damaged.write_bytes(checkpoints["yolo_lite"].read_bytes()[:100_000])
    assert checkpoint_classes(damaged) == []
    with pytest.raises(TypeError, match="is not a loadable checkpoint"):  # the scan before it stays silent
        torch_safe_load(damaged, safe_only=True)


def test_the_scan_leaves_the_random_generator_alone():
    torch.manual_seed(0)
    expected = torch.rand(4)
    backbone_classes.cache_clear()
    torch.manual_seed(0)
    classes = backbone_classes()  # builds every variant, with random weights
    assert torch.equal(torch.rand(4), expected)
    assert "yolo_lite.backbones.micronet.MicroBlockConfig" in classes  # a dataclass, not a module: found by the scan


@pytest.mark.parametrize("variant", list_backbones())
def test_allow_list_covers_every_variant_at_full_size(variant):
    """The scan builds variants at small multipliers; the paper's network, plain and fused, holds no other class."""
    backbone = get_backbone(variant)()
    names = pickled_globals(backbone) | pickled_globals(backbone.fuse())
    assert names <= backbone_classes().keys(), names - backbone_classes().keys()  # also: no functions (getattr)


@pytest.mark.parametrize("variant", ["starnet_s050", "fasternet_t0", "micronet_m0", "timm"])
def test_torch_load_weights_only_with_checkpoint_classes(variant):
    from yolo_lite.backbones import TimmBackbone

    backbone = TimmBackbone("resnet18") if variant == "timm" else get_backbone(variant)(0.5, 0.25)
    for model in (backbone, backbone.fuse()):
        buffer = io.BytesIO()
        torch.save(model, buffer)
        buffer.seek(0)
        allowed = checkpoint_classes(buffer)
        assert {name for _, name in allowed} == pickled_globals(model)  # everything torch does not allow by default
        buffer.seek(0)
        with torch.serialization.safe_globals(allowed):
            loaded = torch.load(buffer, weights_only=True)
        x = torch.randn(1, 3, 64, 64)
        assert all(torch.equal(a, b) for a, b in zip(model.eval()(x), loaded.eval()(x)))
    assert (variant == "timm") == (TIMM_BACKBONE in pickled_globals(backbone))


@pytest.mark.parametrize("autoinstall", ["1", "False"])
def test_missing_plugin_names_the_module_and_installs_only_if_allowed(checkpoints, tmp_path, autoinstall):
    """Where yolo_lite cannot be imported, Ultralytics' AutoInstall asks for the module's name, which pip reads as our
    distribution's (never the unrelated `yololite`); with YOLO_AUTOINSTALL=False (docs: Sharing checkpoints) no pip or
    uv runs at all. Either way the load ends naming the missing module."""
    code = WITHOUT_PLUGIN + (
        "from ultralytics.utils import checks\n"
        "checks.ONLINE = True  # reach the install step, which is recorded, not run\n"
        "from ultralytics import YOLO\n"
        f"YOLO({str(checkpoints['yolo_lite'])!r})\n"
    )
    result = run_python(code, tmp_path, YOLO_LITE_AUTOLOAD="0", YOLO_AUTOINSTALL=autoinstall)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "ModuleNotFoundError: No module named 'yolo_lite'" in output
    assert "appears to require 'yolo_lite'" in output  # Ultralytics' warning
    installs = [line.split() for line in result.stdout.splitlines() if line.startswith("PIP")]
    if autoinstall == "False":
        assert not installs and "AutoUpdate disabled by YOLO_AUTOINSTALL=False" in output
    else:
        assert installs and all("install" in command and "yolo_lite" in command for command in installs)
    ours = importlib.metadata.metadata("yolo_lite")["Name"]  # the module's name is what pip reads as our distribution's
    assert canonicalize_name("yolo_lite") == canonicalize_name(ours) == "yolo-lite" != canonicalize_name("yololite")


def test_exported_models_need_no_plugin(trained, tmp_path):
    best = Path(shutil.copy(trained[0].trainer.best, tmp_path / "best.pt"))
    model = YOLO(best)
    exported = [
        model.export(format="torchscript", imgsz=IMGSZ),
        model.export(format="onnx", imgsz=IMGSZ, simplify=False),
    ]
    code = WITHOUT_PLUGIN + (
        "import numpy as np\nfrom ultralytics import YOLO\n"
        f"for f in {[str(f) for f in exported]!r}:\n"
        f"    r = YOLO(f, task='detect').predict(np.zeros(({IMGSZ}, {IMGSZ}, 3), np.uint8), imgsz={IMGSZ}, "
        "device='cpu', verbose=False)\n"
        "    print('PREDICTED', f.rsplit('.', 1)[-1], 'with yolo_lite' if 'yolo_lite' in sys.modules else 'without')\n"
    )
    result = run_python(code, tmp_path, YOLO_LITE_AUTOLOAD="0")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "PREDICTED torchscript without" in result.stdout and "PREDICTED onnx without" in result.stdout
