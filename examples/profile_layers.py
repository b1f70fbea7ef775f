"""Per-layer CPU time of fused models with Ultralytics' own profiler: where a lite model's time goes.

    python examples/profile_layers.py                                  # yolo11n vs yolo11n-starnet, 640x640
    python examples/profile_layers.py yolo11s.yaml yolo11s-micronet.yaml --imgsz 320
    python examples/profile_layers.py --channels-last                  # the layout predict() runs on x86 CPUs

Prints Ultralytics' ``profile=True`` table for each model (one row per layer), then each model's split between the
rows of its YAML's backbone section (up to C2PSA in stock YOLO11 and YOLO26; slots 0-4 are a yolo-lite backbone) and
the neck + head, and that share of the first model's total: where the neck and head are stock's, the latency ratio no
backbone can go below under them. Same settings as ``yolo-lite benchmark``: 2 threads, subnormal floats flushed to
zero, freed memory kept.
"""

from __future__ import annotations

import argparse

import torch
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils import LOGGER

import yolo_lite  # noqa: F401  (applies the patches)
from yolo_lite.benchmark.environment import keep_freed_memory


def profile(cfg: str, imgsz: int, layout: torch.memory_format) -> tuple[float, float]:
    """Print the per-layer table of ``cfg`` and return (backbone ms, neck + head ms), per run (Ultralytics times 10)."""
    torch.manual_seed(0)
    model = DetectionModel(cfg, verbose=False).eval().fuse(verbose=False).to(memory_format=layout)
    x = torch.rand(1, 3, imgsz, imgsz).contiguous(memory_format=layout)
    with torch.inference_mode():
        for _ in range(3):
            model(x)
        LOGGER.info(f"\n{cfg} at {imgsz}x{imgsz}")
        dt = []
        original = model._profile_one_layer

        def record(m, inputs, times):
            original(m, inputs, times)
            dt.append((m.i, times[-1]))

        model._profile_one_layer = record
        model.predict(x, profile=True)
    split = model.model[len(model.yaml["backbone"]) - 1].i  # the backbone section's last row (C2PSA in stock)
    backbone = sum(t for i, t in dt if i <= split)
    return backbone, sum(t for i, t in dt if i > split)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["yolo11n.yaml", "yolo11n-starnet.yaml"])
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--channels-last", action="store_true", help="run model and input channels-last")
    args = parser.parse_args()
    keep_freed_memory()
    torch.set_num_threads(args.threads)
    torch.set_flush_denormal(True)
    layout = torch.channels_last if args.channels_last else torch.contiguous_format
    rows = [(cfg, *profile(cfg, args.imgsz, layout)) for cfg in args.models]
    stock = sum(rows[0][1:])
    LOGGER.info(
        f"\n{'channels-last' if args.channels_last else 'NCHW'}, {args.threads} threads; 'share' is of "
        f"{rows[0][0]}'s total\n| model | backbone section (ms) | neck + head (ms) | total (ms) | neck + head "
        "share |\n|---|---:|---:|---:|---:|"
    )
    for cfg, backbone, head in rows:
        LOGGER.info(f"| {cfg} | {backbone:.1f} | {head:.1f} | {backbone + head:.1f} | {head / stock:.2f} |")


if __name__ == "__main__":
    main()
