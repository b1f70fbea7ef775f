"""predict() as users run it, on trained checkpoints or YAMLs: the inference step interleaved, and the postprocess.

    python examples/predict_speed.py yolo26n.yaml yolo26n-repghost-nms.yaml          # untrained, 80 classes
    python examples/predict_speed.py runs/n-ship/train/yolo26n-seed0/weights/best.pt \\
        runs/n-ship/train/yolo26n-repghost-nms-seed0/weights/best.pt --images runs/n-ship/datasets/*/images/val

For each model (a YAML or a checkpoint): the latency of the inference step of ``predict()`` (Ultralytics' AutoBackend
on the fused model, channels-last on x86, batch 1 at ``--imgsz``), timed in interleaved rounds as ``yolo-lite
benchmark`` times it, with its median per-round ratio to the first model; and, with ``--images``, the median of the
``postprocess`` time Ultralytics' ``predict()`` reports per image (``results[i].speed``): the NMS of NMS heads, the
confidence filter of YOLO26's end-to-end ones, which the inference step leaves out. Same settings as ``yolo-lite
benchmark``: 2 threads, subnormal floats flushed to zero, freed memory kept.
"""

from __future__ import annotations

import argparse
import glob
import statistics
from copy import deepcopy

import torch
from ultralytics import YOLO
from ultralytics.nn.autobackend import AutoBackend
from ultralytics.utils import LOGGER

import yolo_lite  # noqa: F401  (applies the patches)
from yolo_lite.benchmark.environment import cpu_settings, keep_freed_memory
from yolo_lite.benchmark.timing import time_interleaved


def postprocess_ms(model: YOLO, images: list[str], imgsz: int) -> float:
    """Return the median postprocess time (ms) ``model.predict()`` reports over ``images`` (after two warm-up images)."""
    for image in images[:2]:
        model.predict(image, imgsz=imgsz, verbose=False)
    return statistics.median(model.predict(i, imgsz=imgsz, verbose=False)[0].speed["postprocess"] for i in images)


def main() -> None:
    """Parse the command line, time the models and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("models", nargs="+", help="YAMLs or checkpoints; ratios are to the first")
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--images", help="a folder of images (or a glob) for the postprocess time")
    args = parser.parse_args()
    images = sorted(p for folder in glob.glob(args.images) for p in glob.glob(f"{folder}/*")) if args.images else []
    if args.images and not images:
        raise ValueError(f"--images {args.images!r} matches no image; pass a folder of images or a glob of folders")
    keep_freed_memory()
    with cpu_settings(args.threads):
        x = torch.rand(1, 3, args.imgsz, args.imgsz)
        models = {m: YOLO(m) for m in args.models}
        backends = {  # on copies, as the predictor builds its own AutoBackend from the model
            m: AutoBackend(deepcopy(y.model).float().eval(), device=torch.device("cpu"), fuse=True, verbose=False)
            for m, y in models.items()
        }
        with torch.inference_mode():
            times = time_interleaved({m: (lambda b=b: b(x)) for m, b in backends.items()}, args.rounds, warmup=3)
        first = times[args.models[0]]
        for m in args.models:
            ratio = statistics.median(t / f for t, f in zip(times[m], first))
            line = f"{m}: inference {statistics.median(times[m]) * 1e3:.1f} ms, {ratio:.2f}x the first"
            if images:
                line += f"; postprocess {postprocess_ms(models[m], images, args.imgsz):.2f} ms ({len(images)} images)"
            LOGGER.info(line)


if __name__ == "__main__":
    main()
