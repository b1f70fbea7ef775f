"""Smoke-test yolo-lite on the Ultralytics this interpreter imports; `check_versions.py` runs it once per release.

Every step goes through the patched Ultralytics functions whose signatures change between releases (``parse_model``,
``_predict_once``, ``fuse``, ``torch_safe_load``, the exporter), on CPU at 64 px, in the current directory:

1. ``versions``: the imported Ultralytics is the expected release and the patches are applied (and ``numpy.trapz``,
   which old releases call and numpy 2.4 removed, is aliased to ``numpy.trapezoid``).
2. ``stock``: stock ``yolo11n.yaml`` gives bit-identical outputs (and embeddings) with the patches on and off.
3. ``build``: each backbone family's shipped scale-n YAML (``yolo11n-<family>.yaml``, else its ``-imagenet`` one,
   built without fetching weights) runs forward in train and eval mode; ``profile`` and ``embed`` work.
4. ``train``: ``yolo11n-starnet.yaml`` trains one epoch on the synthetic dataset of :mod:`yolo_lite.data`.
5. ``predict``: ``best.pt`` loads and predicts with ``visualize=True``.
6. ``fuse``: the fused model's outputs match the unfused ones.
7. ``export``: ONNX export, and ONNX Runtime's outputs match PyTorch's (skipped with a note if onnxruntime is absent).

Usage:
    python tools/version_smoke.py [--expect 8.3.0]

Prints one ``ok``/``FAIL`` line per step and exits non-zero at the first failure.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
import time
import traceback
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing may be fetched: -imagenet models build without weights

IMGSZ = 64
TRAIN_ARGS = dict(epochs=1, imgsz=IMGSZ, batch=8, device="cpu", workers=0, plots=False, exist_ok=True, seed=0)


def _outputs(out) -> list:
    """Flatten a model's nested output into a list of tensors."""
    import torch

    if isinstance(out, torch.Tensor):
        return [out]
    if isinstance(out, dict):
        out = list(out.values())
    return [t for o in out for t in _outputs(o)]


def _image(batch: int = 2):
    """Return a fixed random image batch at :data:`IMGSZ`."""
    import torch

    return torch.rand(batch, 3, IMGSZ, IMGSZ, generator=torch.Generator().manual_seed(0))


def step_versions(state: dict) -> str:
    """Check the imported Ultralytics release and that the patches are applied; alias ``numpy.trapz`` if missing.

    Ultralytics before 8.3.108 computes AP with ``numpy.trapz``, which numpy 2.4 removed; those releases declare an
    older numpy (``<2`` or ``<=2.1.1``), whose users have ``trapz``. Here it is aliased to ``numpy.trapezoid`` (the
    same function under its new name) so that they can be tested with this environment's numpy.
    """
    import numpy as np
    import ultralytics
    from ultralytics.nn import tasks  # noqa: F401  (the patches are applied once Ultralytics' tasks module loads)
    from ultralytics.utils import metrics

    import yolo_lite

    expected = state["expect"]
    if expected and ultralytics.__version__ != expected:
        raise AssertionError(f"expected ultralytics {expected}, imported {ultralytics.__version__}")
    if not yolo_lite.patches.is_applied():
        raise AssertionError("yolo-lite's patches are not applied")
    where = Path(ultralytics.__file__).parent
    note = f"ultralytics {ultralytics.__version__} from {where}, timm {metadata.version('timm')}"
    if not hasattr(np, "trapz") and "trapezoid" not in inspect.getsource(metrics):
        np.trapz = np.trapezoid
        note += f" (numpy {np.__version__} has no trapz: aliased to trapezoid)"
    return note


def step_stock(state: dict) -> str:
    """Stock yolo11n: the same outputs and embeddings with and without the patches."""
    import torch
    from ultralytics import YOLO

    from yolo_lite import patches

    patched = YOLO("yolo11n.yaml").model.eval()
    patches.revert()
    try:
        stock = YOLO("yolo11n.yaml").model.eval()
    finally:
        patches.apply()
    stock.load_state_dict(patched.state_dict(), strict=True)
    x = _image()
    with torch.no_grad():
        for kwargs in ({}, {"embed": [9, 10]}):
            ours, theirs = _outputs(patched.predict(x, **kwargs)), _outputs(stock.predict(x, **kwargs))
            if not (len(ours) == len(theirs) > 0 and all(torch.equal(a, b) for a, b in zip(ours, theirs))):
                raise AssertionError(f"stock yolo11n differs with the patches on ({kwargs or 'forward'})")
    return "outputs and embeddings bit-identical"


def step_build(state: dict) -> str:
    """Build each family's scale-n model without fetching weights and run it forward; profile and embed once."""
    import torch
    from ultralytics import YOLO

    from yolo_lite.backbones.base import Backbone
    from yolo_lite.benchmark.models import timing_yaml
    from yolo_lite.benchmark.selection import available_families
    from yolo_lite.patches.yaml_lookup import shipped_models

    shipped = shipped_models("n")
    yolo11 = [n for n in sorted(shipped, key=len) if n.startswith("yolo11n-")]  # YOLO26-only rows need a newer release
    names = [n for f in available_families() if (n := next((n for n in yolo11 if n.startswith(f"yolo11n-{f}")), None))]
    x = _image()
    for name in names:
        model = YOLO(timing_yaml(name, Path.cwd())).model
        if not isinstance(model.model[0], Backbone) or any(p.numel() for m in model.model[1:5] for p in m.parameters()):
            raise AssertionError(f"{name}: layer 0 is not the backbone, or slots 1-4 hold weights")
        train_out = model.train()(x)
        with torch.no_grad():
            eval_out = model.eval()(x)
        if len(train_out) != 3 or not all(o.shape[0] == 2 for o in _outputs(eval_out)):
            raise AssertionError(f"{name}: unexpected outputs")
    model = YOLO("yolo11n-starnet.yaml").model.eval()
    with torch.no_grad():
        vectors = model.predict(x, embed=[2, 4])
        model.predict(x[:1], profile=True)
    if len(vectors) != 2 or vectors[0].ndim != 1:
        raise AssertionError(f"embed=[2, 4] gave {len(vectors)} vectors of {vectors[0].shape}")
    return f"{len(names)} models: {', '.join(Path(n).stem for n in names)}"


def step_train(state: dict) -> str:
    """Train yolo11n-starnet one epoch on the synthetic dataset."""
    from ultralytics import YOLO

    from yolo_lite.data import make_synthetic_dataset

    data = make_synthetic_dataset(Path("shapes"), train=16, val=8, imgsz=IMGSZ)
    model = YOLO("yolo11n-starnet.yaml")
    model.train(data=str(data), project=str(Path("runs").resolve()), name="train", **TRAIN_ARGS)
    state["best"] = Path(model.trainer.best)
    state["image"] = data.parent / "images" / "val" / "00000.png"
    if not state["best"].is_file():
        raise AssertionError(f"no checkpoint at {state['best']}")
    return f"mAP50-95 {model.trainer.metrics.get('metrics/mAP50-95(B)', float('nan')):.3f}"


def step_predict(state: dict) -> str:
    """Load best.pt and predict one image with ``visualize=True``, which saves images of what the model sees.

    Releases whose ``_predict_once`` takes ``visualize`` save every layer's feature maps (the wrapper saves the
    backbone's slots too); later ones save a class activation map of the head's inputs.
    """
    from ultralytics import YOLO
    from ultralytics.nn.tasks import BaseModel

    out = Path("runs", "predict")
    kwargs = dict(imgsz=IMGSZ, device="cpu", project=str(out.parent.resolve()), name=out.name, exist_ok=True)
    results = YOLO(state["best"]).predict(state["image"], visualize=True, save=False, **kwargs)
    if len(results) != 1:
        raise AssertionError(f"predict returned {len(results)} results")
    saved = sorted(p.name for p in out.rglob("*") if p.is_file())
    if "visualize" not in inspect.signature(BaseModel._predict_once).parameters:
        if not saved:
            raise AssertionError("visualize saved nothing")
        return f"1 result, visualize saved {', '.join(saved)}"
    stages = {int(name.split("_")[0][len("stage") :]) for name in saved if name.startswith("stage")}
    if 0 not in stages or max(stages, default=0) < 5:
        raise AssertionError(f"visualize saved no backbone and head feature maps: {saved}")
    return f"1 result, visualize saved the feature maps of layers {sorted(stages)}"


def step_fuse(state: dict) -> str:
    """Fusing keeps the outputs."""
    import torch
    from ultralytics import YOLO

    model = YOLO(state["best"]).model.float().eval()
    x = _image()
    with torch.no_grad():
        before = _outputs(model(x))
        model.fuse(verbose=False)
        after = _outputs(model(x))
    if not model.is_fused() or not all(torch.allclose(a, b, atol=1e-3, rtol=1e-3) for a, b in zip(before, after)):
        raise AssertionError("fused outputs differ")
    return "allclose after fuse"


def _export_onnx(weights: str | Path) -> Path:
    """Export ``weights`` (a checkpoint or a YAML) to ONNX at :data:`IMGSZ` without installing anything."""
    from ultralytics import YOLO

    from yolo_lite.benchmark.environment import no_autoinstall

    with no_autoinstall():
        return Path(YOLO(weights).export(format="onnx", imgsz=IMGSZ, simplify=False, dynamic=False, device="cpu"))


def step_export(state: dict) -> str:
    """ONNX export, checked against PyTorch with ONNX Runtime.

    Older releases call ``torch.onnx.export`` in a way that recent torch no longer takes without extra packages; when
    stock ``yolo11n.yaml`` cannot be exported either, the step reports that instead of failing yolo-lite for it.
    """
    import numpy as np
    import torch
    from ultralytics import YOLO

    try:
        path = _export_onnx(state["best"])
    except Exception as e:
        try:
            _export_onnx("yolo11n.yaml")
        except Exception as stock:
            return f"not run: stock yolo11n cannot be exported here either ({type(stock).__name__}: {stock})"
        raise e
    try:
        import onnxruntime
    except ImportError:
        return f"exported {path.name} (onnxruntime not installed: not run)"
    x = _image(1)
    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    ours = session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]
    model = YOLO(state["best"]).model.float().eval()
    with torch.no_grad():
        theirs = _outputs(model.fuse(verbose=False)(x))[0].numpy()
    if ours.shape != theirs.shape or not np.allclose(ours, theirs, atol=1e-3, rtol=1e-3):
        raise AssertionError(f"ONNX Runtime differs from PyTorch: shapes {ours.shape} vs {theirs.shape}")
    return f"exported {path.name}, ONNX Runtime matches PyTorch"


STEPS: dict[str, Callable[[dict], str]] = {
    "versions": step_versions,
    "stock": step_stock,
    "build": step_build,
    "train": step_train,
    "predict": step_predict,
    "fuse": step_fuse,
    "export": step_export,
}


def main(argv: list[str] | None = None) -> int:
    """Run every step in order; return 0 if all passed, 1 at the first failure."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--expect", help="the Ultralytics version that must be imported, e.g. 8.3.0")
    args = parser.parse_args(argv)
    import yolo_lite  # noqa: F401  (applies the patches, or raises for an unsupported release)

    state = {"expect": args.expect}
    for name, step in STEPS.items():
        start = time.perf_counter()
        try:
            note = step(state)
        except Exception:
            print(f"FAIL {name} ({time.perf_counter() - start:.1f} s)\n{traceback.format_exc()}", flush=True)
            return 1
        print(f"ok   {name} ({time.perf_counter() - start:.1f} s): {note}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
