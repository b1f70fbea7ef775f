"""The ``yolo-lite`` command line: ``yolo-lite benchmark [options]`` (``yolo-lite benchmark --help`` lists them).

Examples:
    >>> from yolo_lite.cli import main
    >>> main(["benchmark", "--quick", "--out", "runs/benchmark-quick"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence

__all__ = ["main"]

# Settings of `yolo-lite benchmark` that --quick changes; an option given on the command line wins over both. The full
# run compares every shipped family (None); the quick run only StarNet, the reference family.
BENCHMARK_PRESETS = {
    "full": dict(families=None, scales=["n", "s"], imgsz=640, rounds=20, warmup=3, batch=8, batch_rounds=5, epochs=10),
    "quick": dict(families=["starnet"], scales=["n"], imgsz=64, rounds=2, warmup=1, batch=2, batch_rounds=2, epochs=1),
}


def _benchmark(args: argparse.Namespace, parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Run :func:`yolo_lite.benchmark.run_benchmark` with the parsed options; report bad input as a usage error."""
    from .benchmark import run_benchmark

    preset = BENCHMARK_PRESETS["quick" if args.quick else "full"]
    options = {key: preset[key] if getattr(args, key) is None else getattr(args, key) for key in preset}
    train_kwargs = {key: v for key, v in (("batch", args.train_batch), ("workers", args.workers)) if v is not None}
    try:
        run_benchmark(
            threads=args.threads,
            onnx=args.onnx,
            accuracy=args.accuracy,
            data=args.data,
            train_kwargs=train_kwargs,
            seed=args.seed,
            out_dir=args.out,
            command=shlex.join(["yolo-lite", *argv]),
            **options,
        )
    except ValueError as e:
        parser.error(str(e))


def _parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``yolo-lite`` and its subcommands."""
    parser = argparse.ArgumentParser(prog="yolo-lite", description="Lightweight backbones for Ultralytics YOLO11.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    full = BENCHMARK_PRESETS["full"]
    bench = commands.add_parser(
        "benchmark",
        help="compare stock YOLO11 with each backbone family: size, latency, throughput, memory, accuracy",
        description="Compare stock YOLO11 with each backbone family at each scale and write benchmark.md, .csv, "
        ".json and .png to --out. Defaults are the full run; --quick is the CI run (imgsz 64, scale n, the first "
        "family (starnet), 2 rounds, batch 2). Options given explicitly override either.",
    )
    bench.add_argument("--families", nargs="+", help="backbone families (default: every shipped yolo11-<family>.yaml)")
    bench.add_argument("--scales", nargs="+", help=f"model scales (default: {' '.join(full['scales'])})")
    bench.add_argument("--imgsz", type=int, help=f"image size, a multiple of 32 (default: {full['imgsz']})")
    bench.add_argument("--rounds", type=int, help=f"timed rounds at batch 1 (default: {full['rounds']})")
    bench.add_argument("--warmup", type=int, help=f"untimed warm-up rounds (default: {full['warmup']})")
    bench.add_argument("--batch", type=int, help=f"batch size for throughput and memory (default: {full['batch']})")
    bench.add_argument("--batch-rounds", type=int, help=f"timed rounds at --batch (default: {full['batch_rounds']})")
    bench.add_argument("--threads", type=int, help="CPU threads (default: PyTorch's setting)")
    bench.add_argument("--no-onnx", dest="onnx", action="store_false", help="skip the ONNX export and ONNX Runtime")
    bench.add_argument("--accuracy", action="store_true", help="also train and validate every model (mAP50, mAP50-95)")
    bench.add_argument("--data", help="data YAML for --accuracy (default: a generated synthetic dataset)")
    bench.add_argument("--epochs", type=int, help=f"training epochs for --accuracy (default: {full['epochs']})")
    bench.add_argument("--train-batch", type=int, help="training batch size for --accuracy (default: Ultralytics')")
    bench.add_argument("--workers", type=int, help="dataloader workers for --accuracy (default: Ultralytics')")
    bench.add_argument("--seed", type=int, default=0, help="seed of weights, inputs and training (default: 0)")
    bench.add_argument("--out", default="runs/benchmark", help="output directory (default: runs/benchmark)")
    bench.add_argument("--quick", action="store_true", help="the quick CI run; explicit options still apply")
    bench.set_defaults(handler=_benchmark, subparser=bench)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    """Run the ``yolo-lite`` command line.

    Args:
        argv (Sequence[str] | None): Arguments after the program name; None reads ``sys.argv[1:]``.

    Examples:
        >>> main(["benchmark", "--quick", "--out", "runs/benchmark-quick"])  # doctest: +SKIP
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    args.handler(args, args.subparser, argv)


if __name__ == "__main__":
    main()
