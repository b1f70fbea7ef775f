"""The ``yolo-lite`` command line: ``yolo-lite benchmark [options]`` and ``yolo-lite export-matrix [options]``.

``yolo-lite COMMAND --help`` lists each command's options, ``yolo-lite --version`` the installed versions. The parser
is built from light modules only; torch, Ultralytics and the runtimes are imported when a command runs, so ``--help``
and ``--version`` answer at once.

Examples:
    >>> from yolo_lite.cli import main
    >>> main(["benchmark", "--quick", "--out", "runs/benchmark-quick"])  # doctest: +SKIP
    >>> main(["export-matrix", "--ci"])  # doctest: +SKIP
"""

from __future__ import annotations

import argparse
import shlex
import sys
from collections.abc import Sequence
from importlib import metadata

from .task_models import TASK_ALIASES, TASKS

__all__ = ["main"]

# Settings of `yolo-lite benchmark` that --quick changes; an option given on the command line wins over both. The full
# run compares every shipped model of the task (None) at the task's image size (None: 640, 224 for classify); the quick
# run only the task's StarNet model with YOLO11's neck and head (yolo11n-starnet.yaml, yolo11n-seg-starnet.yaml, ...;
# QUICK_MODELS where that glob does not apply), unless --models or --families picks others.
BENCHMARK_PRESETS = {
    "full": dict(models=None, scales=["n", "s"], imgsz=None, rounds=20, warmup=3, batch=8, batch_rounds=5, epochs=10),
    "quick": dict(
        models=["yolo11?-*starnet"], scales=["n"], imgsz=64, rounds=2, warmup=1, batch=2, batch_rounds=2, epochs=1
    ),
}
QUICK_MODELS = {"rtdetr": ["rtdetr-starnet"]}  # task -> the quick run's models where the YOLO11 glob does not apply
# With --accuracy also these (they are refused without it): the quick demo trains on the synthetic shapes set, the full
# run on the task's default (the clutter set for detect and rtdetr).
ACCURACY_PRESETS = {"full": {}, "quick": dict(data="shapes")}


def _benchmark(args: argparse.Namespace, parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Run :func:`yolo_lite.benchmark.run_benchmark` with the parsed options; report bad input as a usage error."""
    from .benchmark import BenchmarkSettings, run_benchmark

    name = "quick" if args.quick else "full"
    preset = {**BENCHMARK_PRESETS[name], **(ACCURACY_PRESETS[name] if args.accuracy else {})}
    if args.quick:
        preset["models"] = QUICK_MODELS.get(args.task, preset["models"])
    if args.families is not None:  # picking families replaces the preset's model selection
        preset["models"] = None
    options = {key: preset[key] if getattr(args, key) is None else getattr(args, key) for key in preset}
    train_kwargs = {key: v for key, v in (("batch", args.train_batch), ("workers", args.workers)) if v is not None}
    try:
        settings = BenchmarkSettings(
            **{
                "task": args.task,
                "families": args.families,
                "reference": args.reference,
                "threads": args.threads,
                "onnx": args.onnx,
                "openvino": args.openvino,
                "accuracy": args.accuracy,
                "data": args.data,
                "train_images": args.train_images,
                "val_images": args.val_images,
                "seeds": args.seeds,
                "train_imgsz": args.train_imgsz,
                "curve": args.curve,
                "train_kwargs": train_kwargs or None,
                "train_jobs": args.train_jobs,
                "reuse_trainings": args.reuse_trainings,
                "seed": args.seed,
                "out_dir": args.out,
                "exist_ok": args.exist_ok,
                "command": shlex.join(["yolo-lite", *argv]),
                **options,
            }
        )
        run_benchmark(settings)
    except ValueError as e:
        parser.error(str(e))


def _export_matrix(args: argparse.Namespace, parser: argparse.ArgumentParser, argv: Sequence[str]) -> None:
    """Run :func:`yolo_lite.export_matrix.run_export_matrix`; report bad input as a usage error."""
    from .export_matrix import run_export_matrix
    from .export_matrix.formats import CI_FORMATS

    formats = CI_FORMATS if args.ci else args.formats
    try:
        run_export_matrix(
            models=args.models,
            formats=formats,
            imgsz=args.imgsz,
            seed=args.seed,
            out_dir=args.out,
            exist_ok=args.exist_ok,
            docs=args.docs,
            work_dir=args.work_dir,
            command=shlex.join(["yolo-lite", *argv]),
            converters=args.converters,
        )
    except ValueError as e:
        parser.error(str(e))


def _add_export_matrix(commands: argparse._SubParsersAction) -> None:
    """Add the ``export-matrix`` subcommand."""
    from .export_matrix.formats import CI_FORMATS, DEFAULT_MODELS, FORMATS, OUT_DIR

    matrix = commands.add_parser(
        "export-matrix",
        help="export every family to ONNX, TorchScript, OpenVINO, NCNN, ... and compare the exports with PyTorch",
        description="Export one shipped model per backbone family to each format with Ultralytics' exporter, load "
        "each export with YOLO(path), compare raw outputs and final boxes with the PyTorch model, and write "
        "export.md and export.json to --out; --docs also writes the matrix into a docs page's generated section. "
        "Rows of formats a run leaves out are kept from the export.json already in --out, with their dates.",
    )
    matrix.add_argument(
        "--models", nargs="+", default=list(DEFAULT_MODELS), help=f"shipped YAMLs (default: {' '.join(DEFAULT_MODELS)})"
    )
    matrix.add_argument(
        "--formats",
        nargs="+",
        choices=[f.key for f in FORMATS],
        metavar="FORMAT",
        help=f"formats (default: all: {' '.join(f.key for f in FORMATS)})",
    )
    matrix.add_argument("--ci", action="store_true", help=f"only the formats CI tests: {' '.join(CI_FORMATS)}")
    matrix.add_argument("--imgsz", type=int, default=64, help="export and inference size (default: 64)")
    matrix.add_argument("--seed", type=int, default=0, help="seed of the models and the image (default: 0)")
    matrix.add_argument(
        "--out", help=f"output directory, used as given (default: {OUT_DIR}, or a new numbered one if it exists)"
    )
    matrix.add_argument(
        "--exist-ok", action="store_true", help=f"without --out, write into {OUT_DIR} even if it exists"
    )
    matrix.add_argument(
        "--docs",
        metavar="PAGE",
        help="markdown page whose generated section gets the matrix, e.g. docs/deployment.md (default: none)",
    )
    matrix.add_argument("--work-dir", help="keep checkpoints and exports here (default: a temporary directory)")
    matrix.add_argument(
        "--converters",
        metavar="DIR",
        help="where the converters that clash with the pinned packages (coreml, litert) are installed on first use, "
        "each in a folder of its own (default: ~/.cache/yolo-lite/converters)",
    )
    matrix.set_defaults(handler=_export_matrix, subparser=matrix)


def _versions() -> str:
    """Return yolo-lite's version and those of the packages it runs on, read from their metadata (nothing imported)."""

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    deps = ", ".join(f"{name} {version(name)}" for name in ("ultralytics", "torch", "timm"))
    return f"yolo-lite {version('yolo-lite')} ({deps})"


def _parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``yolo-lite`` and its subcommands."""
    parser = argparse.ArgumentParser(prog="yolo-lite", description="Lightweight backbones for Ultralytics YOLO11.")
    parser.add_argument("--version", action="version", version=_versions(), help="show the versions and exit")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    full = BENCHMARK_PRESETS["full"]
    bench = commands.add_parser(
        "benchmark",
        help="compare stock YOLO11 with every shipped model: size, latency, throughput, memory, accuracy",
        description="Compare stock YOLO11 with every shipped model (yolo11<scale>-<tag>.yaml and "
        "yolo26<scale>-<tag>.yaml) at each scale and write benchmark.md, .csv, .json and the plots "
        "(benchmark-predict.png, benchmark-onnx.png) to --out; --task picks another task (yolo11<scale>-seg.yaml vs "
        "yolo11<scale>-seg-<tag>.yaml, ..., rtdetr-l.yaml vs rtdetr-<tag>.yaml). Defaults are the full run; --quick is "
        "the CI run (imgsz 64, scale n, the task's YOLO11-head StarNet model only, 2 rounds, batch 2, 1 epoch). "
        "Options given explicitly override either.",
    )
    bench.add_argument(
        "--task",
        default="detect",
        type=lambda task: TASK_ALIASES.get(task, task),
        choices=TASKS,
        help="the models' task (seg and cls are aliases of segment and classify; rtdetr compares RT-DETR models at "
        "its one scale, l): stock model, shipped models, synthetic data and metrics (default: detect)",
    )
    bench.add_argument(
        "--models",
        nargs="+",
        help="models to compare: names or globs of shipped models matched against name, stem and tag, e.g. "
        "yolo11n-starnet.yaml, starnet, '*starnet*', or paths of model YAML files (my/yolo26n-custom.yaml, compared "
        "at the scale its name gives) (default: every shipped model at each scale)",
    )
    bench.add_argument(
        "--families", nargs="+", help="keep only models whose tag starts with these families, e.g. starnet fasternet"
    )
    bench.add_argument(
        "--reference",
        choices=["yolo11", "yolo26"],
        default="yolo11",
        help="yolo26 adds stock YOLO26 as a second reference next to stock YOLO11: timed, and with --accuracy "
        "trained alike, every model gets its ratio to both (default: yolo11)",
    )
    bench.add_argument("--scales", nargs="+", help=f"model scales (default: {' '.join(full['scales'])}; rtdetr: l)")
    bench.add_argument(
        "--imgsz",
        type=int,
        help="image size of the timings, a multiple of 32; below 320 latency says little about 640 px, and the run "
        "warns (default: 640, 224 for --task classify)",
    )
    bench.add_argument("--rounds", type=int, help=f"timed rounds at batch 1 (default: {full['rounds']})")
    bench.add_argument("--warmup", type=int, help=f"untimed warm-up rounds (default: {full['warmup']})")
    bench.add_argument("--batch", type=int, help=f"batch size for throughput and memory (default: {full['batch']})")
    bench.add_argument("--batch-rounds", type=int, help=f"timed rounds at --batch (default: {full['batch_rounds']})")
    bench.add_argument("--threads", type=int, help="CPU threads (default: every CPU available)")
    bench.add_argument("--no-onnx", dest="onnx", action="store_false", help="skip the ONNX export and ONNX Runtime")
    bench.add_argument(
        "--no-openvino", dest="openvino", action="store_false", help="skip the OpenVINO export and OpenVINO timings"
    )
    bench.add_argument(
        "--accuracy",
        action="store_true",
        help="also train and validate every model (mAP50 and mAP50-95 of boxes, masks, poses or OBBs; top-1 and top-5 "
        "for classify)",
    )
    bench.add_argument(
        "--data",
        help="data for --accuracy: clutter (the generated clutter detection set; detect and rtdetr), shapes (the "
        "task's generated synthetic shapes set, the quick demo's), or an Ultralytics data YAML of the task (for "
        "classify a folder with train/ and val/; a relative 'path' in it is resolved against the YAML's folder) "
        "(default: clutter for detect and rtdetr, shapes for the other tasks; shapes with --quick)",
    )
    for split in ("train", "val"):
        bench.add_argument(
            f"--{split}-images",
            type=int,
            help=f"{split} images of a generated --data set, clutter or shapes (default: the set's in "
            "yolo_lite.benchmark.settings.DATA_IMAGES)",
        )
    bench.add_argument("--epochs", type=int, help=f"training epochs per run for --accuracy (default: {full['epochs']})")
    bench.add_argument(
        "--seeds", type=int, help="training runs per model for --accuracy, seeds --seed .. --seed+N-1 (default: 3)"
    )
    bench.add_argument(
        "--train-imgsz", type=int, help="image size of training and validation for --accuracy (default: --imgsz)"
    )
    bench.add_argument(
        "--curve",
        action="store_true",
        help="validate after every epoch and plot each model's learning curve (benchmark-curves.png); without it "
        "only the last epoch is validated",
    )
    bench.add_argument(
        "--train-batch", type=int, help="training batch size for --accuracy, one optimizer step per batch (default: 8)"
    )
    bench.add_argument("--workers", type=int, help="dataloader workers of each training for --accuracy (default: 0)")
    bench.add_argument(
        "--train-jobs",
        type=int,
        help="trainings side by side, each in its own process, for --accuracy (default: the cores over Ultralytics' "
        "threads per training, 2 on 2 cores); the numbers do not depend on it",
    )
    bench.add_argument(
        "--reuse-trainings",
        action="store_true",
        help="for --accuracy: read the trainings already finished in --out with the same arguments instead of "
        "training them again, e.g. --seeds 3 after a --seeds 2 run adds the third seed; the models' code must not "
        "have changed since",
    )
    bench.add_argument(
        "--seed", type=int, default=0, help="seed of weights and inputs, and the first training seed (default: 0)"
    )
    bench.add_argument(
        "--out", help="output directory, used as given (default: runs/benchmark, or runs/benchmark-2, ... if it exists)"
    )
    bench.add_argument(
        "--exist-ok", action="store_true", help="without --out, write into runs/benchmark even if it exists"
    )
    bench.add_argument("--quick", action="store_true", help="the quick CI run; explicit options still apply")
    bench.set_defaults(handler=_benchmark, subparser=bench)
    _add_export_matrix(commands)
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
