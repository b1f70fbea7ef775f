"""Measure what a stock checkpoint's neck and head buy a yolo-lite model: fine-tuned with them vs from scratch.

    python tools/measure_transfer.py                  # the documented run (about 25 min on 2 shared CPU cores)
    python tools/measure_transfer.py --families starnet --seeds 2 --stock runs/measure-transfer/pretrain/weights/best.pt

Stock YOLO11n is first trained on one synthetic shapes set (``--pretrain-epochs`` on ``--pretrain-images`` images,
data seed 1): its ``best.pt`` stands in for the COCO-trained ``yolo11n.pt`` (``--stock`` takes an existing one). Each
family's n model is then trained on another set of the same kind (``--images`` images, data seed 0) for ``--epochs``
epochs, once from scratch ("scratch") and once with ``pretrained=<that best.pt>`` ("transfer": the neck and head move
by role, :mod:`yolo_lite.patches.transfer`), with training seeds 0..N-1; the two runs of a seed differ only in the
starting neck and head. ``--reference`` adds stock YOLO11n trained both ways. The table (mAP50-95 and mAP50 on the
second set's 32 validation images, mean and spread over the seeds) is printed and written to ``transfer.md`` and
``transfer.json`` in ``runs/measure-transfer``, or a new numbered directory if that exists (``--out`` names one).
These are synthetic-data numbers: they show what the transfer does to the first epochs, not COCO-scale accuracy.
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from datetime import datetime, timezone
from pathlib import Path

from ultralytics import YOLO
from ultralytics.utils import LOGGER
from ultralytics.utils.files import increment_path

import yolo_lite  # noqa: F401  (applies the patches)
from yolo_lite.benchmark.accuracy import train_and_validate
from yolo_lite.benchmark.environment import environment
from yolo_lite.data import make_synthetic_dataset

STOCK = "yolo11n"
PREFIX = "measure_transfer:"


def pretrain_stock(out: Path, args: argparse.Namespace, train_args: dict) -> Path:
    """Train stock YOLO11n on the pretraining set and return its ``best.pt``."""
    data = make_synthetic_dataset(out / "data-pretrain", train=args.pretrain_images, val=32, imgsz=args.imgsz, seed=1)
    model = YOLO(f"{STOCK}.yaml")
    model.train(data=str(data), project=str(out), name="pretrain", epochs=args.pretrain_epochs, imgsz=args.imgsz,
                seed=0, **train_args)  # fmt: skip
    return Path(model.trainer.best)


def fine_tune(model: str, family: str, data: Path, project: Path, args, train_args: dict, pretrained) -> dict:
    """Train ``model`` once per seed (from ``pretrained`` or from scratch), validate; return its statistics."""
    row = dict(model=model, task="detect", family=family)
    run_args = {**train_args, "epochs": args.epochs, "pretrained": str(pretrained) if pretrained else False}
    train_and_validate(row, data, list(range(args.seeds)), run_args, project, args.imgsz)
    return row


def cell(row: dict, key: str) -> str:
    """``mean ± sample std (min-max)`` of a row's statistic."""
    spread = f" ± {row[f'{key}_std']:.3f}" if row.get(f"{key}_std") is not None else ""
    return f"{row[key]:.3f}{spread} ({row[f'{key}_min']:.3f}-{row[f'{key}_max']:.3f})"


def table(results: list[dict]) -> str:
    """The Markdown table: one line per model, scratch and transfer side by side."""
    lines = [
        "| model | start | mAP50-95 | mAP50 | mAP50-95 per seed |",
        "|---|---|---|---|---|",
    ]
    for r in results:
        seeds = " ".join(f"{v:.3f}" for v in r["map50_95_per_seed"])
        lines.append(f"| {r['model']} | {r['start']} | {cell(r, 'map50_95')} | {cell(r, 'map50')} | {seeds} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--families", nargs="+", default=["starnet", "fasternet", "micronet"])
    parser.add_argument("--seeds", type=int, default=3, help="training seeds per model and start (default 3)")
    parser.add_argument("--epochs", type=int, default=10, help="fine-tuning epochs (default 10)")
    parser.add_argument("--images", type=int, default=128, help="training images of the fine-tuning set")
    parser.add_argument("--pretrain-epochs", type=int, default=20, help="epochs of stock's pretraining (default 20)")
    parser.add_argument("--pretrain-images", type=int, default=256, help="training images of the pretraining set")
    parser.add_argument("--imgsz", type=int, default=128)
    parser.add_argument("--batch", type=int, default=8, help="batch size of fine-tuning and pretraining (default 8)")
    parser.add_argument("--stock", type=Path, help="a stock YOLO11n checkpoint to start from (default: pretrain one)")
    parser.add_argument("--reference", action="store_true", help="also fine-tune stock YOLO11n both ways")
    parser.add_argument("--out", type=Path, help="output directory (default: runs/measure-transfer, or a new one)")
    args = parser.parse_args(argv)
    out = (args.out or increment_path(Path("runs/measure-transfer"), mkdir=True)).resolve()
    out.mkdir(parents=True, exist_ok=True)
    train_args = dict(batch=args.batch, device="cpu", workers=0, deterministic=True, plots=False, amp=False,
                      exist_ok=True)  # fmt: skip  (the runs live in the new directory `out`)

    stock_pt = args.stock or pretrain_stock(out, args, train_args)
    data = make_synthetic_dataset(out / "data", train=args.images, val=32, imgsz=args.imgsz, seed=0)
    results = []
    models = [*([(STOCK, "stock")] if args.reference else []), *((f"{STOCK}-{f}", f) for f in args.families)]
    for model, family in models:
        for start, pretrained in (("scratch", None), ("transfer", stock_pt)):
            row = fine_tune(model, family, data, out / start, args, train_args, pretrained)
            if "accuracy_skipped" in row:
                raise SystemExit(f"{PREFIX} {model} did not train: {row['accuracy_skipped']}")
            results.append({**row, "start": start})
    command = shlex.join(["python", "tools/measure_transfer.py", *(sys.argv[1:] if argv is None else argv)])
    env = environment(None)
    report = (
        f"# Stock neck and head transfer, synthetic shapes\n\n`{command}` ({env['cpu']}; torch {env['torch']}, "
        f"ultralytics {env['ultralytics']}). Stock {STOCK} pretrained {args.pretrain_epochs} epochs on "
        f"{args.pretrain_images} images (data seed 1); every model then trained {args.epochs} epochs on "
        f"{args.images} other images (data seed 0) at {args.imgsz} px, batch {args.batch}, seeds 0-{args.seeds - 1}; "
        f"validated on 32 images. Mean ± sample std (min-max) over the seeds.\n\n{table(results)}\n"
    )
    (out / "transfer.md").write_text(report)
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    (out / "transfer.json").write_text(json.dumps(dict(command=command, created=created, environment=env,
                                                       settings=vars(args) | {"out": str(out)}, rows=results),
                                                  indent=2, default=str) + "\n")  # fmt: skip
    LOGGER.info(f"\n{report}\n{PREFIX} results saved to {out}")


if __name__ == "__main__":
    main()
