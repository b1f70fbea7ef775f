"""yolo-lite demo: train YOLO11n-StarNet on synthetic shapes on the CPU, validate, predict, compare with YOLO11n.

Needs no download and no GPU; about a minute on 2 CPU cores:

    python examples/demo.py              # writes datasets/yolo-lite-shapes and runs/yolo-lite-demo/train
    python examples/demo.py --epochs 30  # better mAP; each run gets a new directory, numbered as Ultralytics does
    python examples/demo.py --task segment --model yolo11n-seg.yaml  # any task: segment, pose, obb, classify
"""

from __future__ import annotations

import argparse
from operator import attrgetter
from pathlib import Path

import yolo_lite  # noqa: F401  (applies the patches; the installed .pth would too)
from ultralytics import YOLO
from ultralytics.utils import LOGGER

from yolo_lite.data import TASKS, make_synthetic_dataset
from yolo_lite.summary import summary_table

MODEL_SUFFIX = {"detect": "", "segment": "-seg", "pose": "-pose", "obb": "-obb", "classify": "-cls"}
METRIC = {  # (printed name, attribute of val()'s metrics) pairs
    "detect": (("mAP50", "box.map50"), ("mAP50-95", "box.map")),
    "segment": (("mask mAP50", "seg.map50"), ("mask mAP50-95", "seg.map")),
    "pose": (("pose mAP50", "pose.map50"), ("pose mAP50-95", "pose.map")),
    "obb": (("obb mAP50", "box.map50"), ("obb mAP50-95", "box.map")),
    "classify": (("top-1", "top1"), ("top-5", "top5")),
}
FOUND = {  # what predict returned: (one, several)
    "detect": ("box", "boxes"),
    "segment": ("mask", "masks"),
    "pose": ("keypoint set", "keypoint sets"),
    "obb": ("rotated box", "rotated boxes"),
}

def main(argv: list[str] | None = None) -> Path:
    """Run the demo with command-line arguments ``argv`` (None: ``sys.argv``); return the run directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=TASKS, default="detect", help="dataset and model kind (default detect)")
    parser.add_argument("--model", help="a shipped or local model YAML (default yolo11n[-seg|-pose|-obb|-cls]-starnet)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--imgsz", type=int, default=128)
    parser.add_argument("--data-dir", type=Path, help="default datasets/yolo-lite-shapes[-<task>]")
    parser.add_argument("--images", type=int, default=256, help="training images of the synthetic set (default 256)")
    parser.add_argument("--project", type=Path, default=Path("runs/yolo-lite-demo"))
    parser.add_argument("--name", default="train", help="run directory in --project; a new numbered one if it exists")
    parser.add_argument("--exist-ok", action="store_true", help="reuse --project/--name, overwriting that run")
    args = parser.parse_args(argv)
    detect = args.task == "detect"
    model_yaml = args.model or f"yolo11n{MODEL_SUFFIX[args.task]}-starnet.yaml"
    data_dir = args.data_dir or Path("datasets") / ("yolo-lite-shapes" if detect else f"yolo-lite-shapes-{args.task}")

    model = YOLO(model_yaml)
    if model.task != args.task:
        parser.error(f"--model {model_yaml} is a {model.task} model; --task {args.task} needs a {args.task} model")
    data = make_synthetic_dataset(data_dir, train=args.images, imgsz=args.imgsz, task=args.task)
    model.train(
        data=str(data), epochs=args.epochs, imgsz=args.imgsz, batch=16, device="cpu", workers=0, seed=0,
        project=str(args.project.resolve()), name=args.name, exist_ok=args.exist_ok,
    )
    run = Path(model.trainer.save_dir)
    metrics = model.val(
        data=str(data), imgsz=args.imgsz, batch=16, device="cpu", workers=0, plots=False, project=str(run), name="val"
    )
    val_dir = data / "val" if args.task == "classify" else data.parent / "images" / "val"
    image = sorted(val_dir.rglob("*.png"))[0]
    result = model.predict(image, imgsz=args.imgsz, device="cpu", verbose=False)[0]
    saved = result.save(filename=str(run / "prediction.png"))

    scores = ", ".join(f"{name} {float(attrgetter(key)(metrics)):.3f}" for name, key in METRIC[args.task])
    LOGGER.info(f"\nval {scores} after {args.epochs} epochs")
    if args.task == "classify":
        found = f"top-1 {result.names[result.probs.top1]} ({float(result.probs.top1conf):.2f})"
    else:
        found = f"{len(result)} {FOUND[args.task][len(result) != 1]}"
    LOGGER.info(f"{found} on {image.relative_to(val_dir)}: {result.verbose().strip()} -> {saved}")
    table = f"\n\n{summary_table(scales='n')}" if detect else ""  # the detect YAMLs
    LOGGER.info(f"weights: {Path(model.trainer.best)}{table}")
    return run

if __name__ == "__main__":
    main()
