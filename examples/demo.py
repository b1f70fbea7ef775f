"""yolo-lite demo: train YOLO11n-StarNet on synthetic shapes on the CPU, validate, predict, compare with YOLO11n.

Needs no download and no GPU; about two minutes on 2 CPU cores:

    python examples/demo.py              # writes datasets/yolo-lite-shapes and runs/yolo-lite-demo
    python examples/demo.py --epochs 30  # better mAP
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yolo_lite  # noqa: F401  (applies the patches; the installed .pth would too)
from ultralytics import YOLO
from ultralytics.utils import LOGGER

from yolo_lite.data import make_synthetic_dataset
from yolo_lite.summary import summary_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="yolo11n-starnet.yaml", help="a shipped or local model YAML")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--imgsz", type=int, default=128)
    parser.add_argument("--data-dir", type=Path, default=Path("datasets/yolo-lite-shapes"))
    parser.add_argument("--project", type=Path, default=Path("runs/yolo-lite-demo"))
    args = parser.parse_args()

    data = make_synthetic_dataset(args.data_dir, imgsz=args.imgsz)
    model = YOLO(args.model)
    model.train(
        data=str(data), epochs=args.epochs, imgsz=args.imgsz, batch=16, device="cpu", workers=0, seed=0,
        project=str(args.project.resolve()), name="train", exist_ok=True,
    )
    metrics = model.val(data=str(data), imgsz=args.imgsz, batch=16, device="cpu", workers=0, plots=False)
    image = sorted((data.parent / "images" / "val").glob("*.png"))[0]
    result = model.predict(image, imgsz=args.imgsz, device="cpu", verbose=False)[0]
    saved = result.save(filename=str(args.project.resolve() / "prediction.png"))

    LOGGER.info(f"\nval mAP50 {metrics.box.map50:.3f}, mAP50-95 {metrics.box.map:.3f} after {args.epochs} epochs")
    LOGGER.info(f"{len(result.boxes)} boxes on {image.name}: {result.verbose().strip()} -> {saved}")
    LOGGER.info(f"weights: {Path(model.trainer.best)}\n\n{summary_table(scales='n')}")


if __name__ == "__main__":
    main()
