"""Try backbone rows under a shipped model's neck and head: latency and accuracy against stock, as the benchmark does.

    python tools/try_backbone_rows.py "fasternet_t0, [0.5, 0.75]" "fasternet_t0, [1, 0.5]"
    python tools/try_backbone_rows.py "starnet_s100, [1, 1]" --base yolo11n-starnet.yaml --seeds 3 --out runs/rows

Each row replaces the module and args of row 0 of ``--base`` (a shipped YAML; the copies keep everything else) and is
written to ``--out`` as ``yolo11<scale>-row<i>.yaml``. The copies and stock YOLO11 at the base's scale are then timed
as ``yolo-lite benchmark`` times its PyTorch CPU backend (fused, batch 1, interleaved rounds, 2 threads, subnormals
flushed, freed memory kept) and trained with the accuracy run's arguments (the synthetic shapes set, 15 epochs at
128 px, seeds 0..N-1, deterministic, validated after the last epoch): the table it prints is how the "rows
tried" of docs/results.md were measured (with an earlier version, which validated every epoch and kept Ultralytics'
best epoch). For whole designs (backbone row, neck block, neck width, head) see tools/try_designs.py.
Shipping a row means editing the YAML by hand; this only measures.
"""

from __future__ import annotations

import argparse
import os
import re
from functools import partial
from pathlib import Path

import numpy as np
import torch
from ultralytics.nn.tasks import DetectionModel
from ultralytics.utils import LOGGER

from yolo_lite.benchmark import BenchmarkSettings, time_interleaved
from yolo_lite.benchmark.accuracy import record_training
from yolo_lite.benchmark.datasets import prepare_data
from yolo_lite.benchmark.environment import cpu_settings, keep_freed_memory
from yolo_lite.benchmark.training import Run, run_trainings
from yolo_lite.patches.yaml_lookup import CFG_DIR

ROW = re.compile(r"^(  - \[-1, 1, )[\w.]+, \[[^\]]*\]\](.*# 0-4.*)$", re.M)


def write_copies(base: str, rows: list[str], out: Path) -> list[str]:
    """Write ``base`` with row 0 replaced by each of ``rows`` (``"module, [args]"``) to ``out``; return the stems."""
    text = (CFG_DIR / base).read_text()
    if not ROW.search(text):
        raise ValueError(f"{base} has no backbone row '- [-1, 1, <module>, [<args>]] # 0-4' to replace")
    scale = re.match(r"yolo11([nsmlx])-", base)
    if not scale:
        raise ValueError(f"--base must be a yolo11<scale>-<tag>.yaml file, got {base}")
    stems = []
    for i, row in enumerate(rows):
        stem = f"yolo11{scale.group(1)}-row{i}"
        header = f"# {stem}: {base} with row 0 = [-1, 1, {row}] (tools/try_backbone_rows.py)\n"
        (out / f"{stem}.yaml").write_text(header + ROW.sub(rf"\g<1>{row}]\g<2>", text, count=1))
        stems.append(stem)
    return stems


def latency(stems: list[str], rounds: int, threads: int) -> dict[str, tuple[float, float]]:
    """Return ``{stem: (median ms, median per-round ratio to the first)}`` of the fused models at 640 px, batch 1."""
    models = {stem: DetectionModel(f"{stem}.yaml", verbose=False).eval().fuse(verbose=False) for stem in stems}
    x = torch.rand(1, 3, 640, 640, generator=torch.Generator().manual_seed(0))
    with cpu_settings(threads), torch.inference_mode():
        times = time_interleaved({s: partial(m, x) for s, m in models.items()}, rounds, warmup=3, desc="latency")
    stock = np.asarray(times[stems[0]])
    return {s: (float(np.median(t)) * 1e3, float(np.median(np.asarray(t) / stock))) for s, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("rows", nargs="+", help='backbone rows as "module, [args]", e.g. "fasternet_t0, [0.5, 0.75]"')
    parser.add_argument("--base", default="yolo11n-starnet.yaml", help="shipped YAML whose row 0 is replaced")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--train-imgsz", type=int, default=128)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/try-backbone-rows"))
    args = parser.parse_args()

    out = args.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    stems = write_copies(args.base, args.rows, out)
    stock = re.match(r"yolo11[nsmlx]", args.base).group(0)
    os.chdir(out)  # Ultralytics finds the copies by name in the working directory
    keep_freed_memory()
    timed = latency([stock, *stems], args.rounds, args.threads)
    settings = BenchmarkSettings(accuracy=True, data="shapes", train_imgsz=args.train_imgsz, onnx=False, openvino=False)
    data = prepare_data(settings, out).path
    train_args = dict(epochs=args.epochs, deterministic=True, plots=False, amp=False, exist_ok=True, val=False)
    results = {}
    for stem in [stock, *stems]:
        family = "stock" if stem == stock else "row"
        row = {"model": stem, "yaml": f"{stem}.yaml", "task": "detect", "family": family}
        runs = [Run(row["yaml"], seed, f"{stem}-seed{seed}") for seed in range(args.seeds)]
        outcomes = run_trainings(runs, data, train_args, out / "train", args.train_imgsz)
        record_training(row, outcomes, args.epochs, args.train_imgsz)
        results[stem] = row["map50_95_per_seed"]
    reference = np.asarray(results[stock])
    lines = [
        "| row | params (M) | PyTorch CPU ms | vs stock | mAP50-95 per seed | mean | vs stock |",
        "|---|---:|---:|---:|---|---:|---:|",
    ]
    for stem, row in zip([stock, *stems], ["stock", *args.rows]):
        params = sum(p.numel() for p in DetectionModel(f"{stem}.yaml", verbose=False).parameters()) / 1e6
        ms, ratio = timed[stem]
        maps = np.asarray(results[stem])
        lines.append(
            f"| `{row}` | {params:.2f} | {ms:.1f} | {ratio:.2f} | {' '.join(f'{m:.3f}' for m in maps)} | "
            f"{maps.mean():.3f} | {np.mean(maps / reference):.2f} |"
        )
    LOGGER.info("\n" + "\n".join(lines))


if __name__ == "__main__":
    main()
