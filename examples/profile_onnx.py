"""ONNX Runtime's CPU time of exported models, by operator: where a model's ONNX Runtime time goes.

    python examples/profile_onnx.py                                    # yolo26n vs yolo26n-repghost-nms, 640x640
    python examples/profile_onnx.py yolo26n.yaml runs/detect/train/weights/best.pt --imgsz 320

Each model (a YAML builds with random weights; a checkpoint keeps its own) is saved and exported in a temporary folder
with Ultralytics' exporter as ``yolo-lite benchmark`` exports it (fp32, batch 1, static shapes, no simplification),
then run in ONNX Runtime with its profiler on and the benchmark's session settings (every graph optimization, no
spinning threads, ``--threads``). Prints each model's node time per run by operator, the largest first, after
``--warmup`` runs that are not counted. On x86 CPUs ONNX Runtime runs convolutions in a blocked channel layout
(``com.microsoft.nchwc``, 8 channels a block with AVX2, 16 with AVX-512) and inserts ``ReorderInput`` and
``ReorderOutput`` nodes where a tensor enters or leaves it: their share is what layers whose channels are not
multiples of the block cost.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections import defaultdict
from pathlib import Path

import numpy as np
from ultralytics import YOLO
from ultralytics.utils import LOGGER

import yolo_lite  # noqa: F401  (applies the patches)
from yolo_lite.benchmark.environment import no_autoinstall, quiet
from yolo_lite.benchmark.models import EXPORT_ARGS
from yolo_lite.benchmark.timing import onnx_session_options

ROWS = 12  # operators listed per model


def export(model: str, imgsz: int, folder: Path) -> Path:
    """Save ``model`` into ``folder`` and export it there to ONNX; the user's files are only read."""
    checkpoint = folder / f"{Path(model).stem}.pt"
    YOLO(model).save(checkpoint)
    with no_autoinstall(), quiet():
        path = YOLO(checkpoint).export(
            format="onnx", imgsz=imgsz, batch=1, dynamic=False, device="cpu", **EXPORT_ARGS["onnx"]
        )
    return Path(path)


def operator_ms(onnx: Path, imgsz: int, threads: int, runs: int, warmup: int) -> tuple[dict[str, float], dict]:
    """Return the node time per run (ms) and the node count of each operator of ``onnx``, over ``runs`` profiled runs."""
    import onnxruntime as ort

    options = onnx_session_options(threads)
    options.enable_profiling, options.profile_file_prefix = True, str(onnx.with_suffix(""))
    session = ort.InferenceSession(str(onnx), options, providers=["CPUExecutionProvider"])
    x = {session.get_inputs()[0].name: np.random.default_rng(0).random((1, 3, imgsz, imgsz), np.float32)}
    for _ in range(warmup + runs):
        session.run(None, x)
    events = json.loads(Path(session.end_profiling()).read_text())
    windows = sorted((e["ts"], e["ts"] + e["dur"]) for e in events if e.get("name") == "model_run")[warmup:]
    total, count = defaultdict(float), defaultdict(int)
    for e in events:
        node = e.get("cat") == "Node" and e["name"].endswith("_kernel_time")
        if node and any(start <= e["ts"] <= end for start, end in windows):
            total[e["args"]["op_name"]] += e["dur"] / 1e3 / runs
            count[e["args"]["op_name"]] += 1
    return dict(total), {op: n // runs for op, n in count.items()}


def main() -> None:
    """Parse the command line, export and profile the models, and print one table each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="*", default=["yolo26n.yaml", "yolo26n-repghost-nms.yaml"])
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--runs", type=int, default=10, help="profiled runs, averaged")
    parser.add_argument("--warmup", type=int, default=3, help="runs before them, not counted")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for model in args.models:
            onnx = export(model, args.imgsz, Path(folder))
            ms, nodes = operator_ms(onnx, args.imgsz, args.threads, args.runs, args.warmup)
            total = sum(ms.values())
            LOGGER.info(
                f"\n{model} at {args.imgsz}x{args.imgsz}, {args.threads} threads: {total:.2f} ms of node time per run\n"
                "| operator | ms per run | share | nodes |\n|---|---:|---:|---:|"
            )
            for op, t in sorted(ms.items(), key=lambda kv: -kv[1])[:ROWS]:
                LOGGER.info(f"| {op} | {t:.2f} | {t / total:.2f} | {nodes[op]} |")


if __name__ == "__main__":
    main()
