"""``BenchmarkSettings``: every setting of a benchmark run in one validated object, as Ultralytics' ``cfg`` is one
namespace.

The dataclass is built once, by :func:`~yolo_lite.benchmark.run_benchmark` from its keyword arguments or by the
``yolo-lite benchmark`` command line, and checks everything before any work starts: a bad value raises a ValueError
that names the problem and the fix (with the command-line flag). After construction every field holds the value the
run uses (``imgsz=None`` becomes 640, ``seeds=None`` 3 with ``accuracy``, ``data=None`` the task's generated set, ...),
and :func:`dataclasses.asdict` of it is the ``settings`` section of ``benchmark.json``.

Accuracy data (``data``, used with ``accuracy=True``): ``"clutter"`` is the clutter detection set
(:func:`~yolo_lite.data.make_clutter_dataset`, the default for detect and RT-DETR), ``"shapes"`` the synthetic shapes
set of the task (:func:`~yolo_lite.data.make_synthetic_dataset`, the quick demo's, and the default for segment, pose,
obb and classify, which have no clutter variant); anything else is the path of an Ultralytics data YAML (a dataset
folder for classify). The generated sets are written with ``train_images`` and ``val_images`` images
(:data:`DATA_IMAGES` by default) at ``train_imgsz``.

Examples:
    >>> settings = BenchmarkSettings(scales="n", accuracy=True, epochs=1, onnx=False, openvino=False)
    >>> settings.data, settings.train_images, settings.val_images, settings.seeds, settings.train_seeds
    ('clutter', 1000, 500, 3, [0, 1, 2])
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from ultralytics.utils import LOGGER

from ..task_models import RTDETR, RTDETR_SCALE, check_task
from .datasets import GENERATED_SETS, check_data
from .environment import available_cpus
from .fields import PREFIX, SCALES
from .selection import check_reference
from .timing import check_runtime
from .training import default_jobs

__all__ = ["DATA_IMAGES", "DEFAULT_DATA", "DEFAULT_IMGSZ", "DEFAULT_SEEDS", "OUT_DIR", "BenchmarkSettings"]

DEFAULT_SEEDS = 3  # training runs per model with accuracy=True
OUT_DIR = "runs/benchmark"  # results go here, or to a new numbered sibling when it exists (yolo_lite.run_dir)
DEFAULT_IMGSZ = {"classify": 224}  # timing image size when none is given; 640 for the other tasks
DEFAULT_DATA = {"detect": "clutter", RTDETR: "clutter"}  # task -> its accuracy data by default; "shapes" for the rest
DATA_IMAGES = {"clutter": (1000, 500), "shapes": (256, 32)}  # each of GENERATED_SETS -> default (train, val) images
CLUTTER_MIN_IMGSZ = 64  # make_clutter_dataset's smallest image side
# Refused without accuracy:
ACCURACY_ONLY = ("seeds", "train_imgsz", "train_images", "val_images", "data", "curve", "train_jobs", "reuse_trainings")
TRAIN_ARGS_OWNED = {  # model.train() arguments the settings own -> the setting (flag) to use instead
    "imgsz": "train_imgsz= (--train-imgsz)",
    "seed": "seed=/seeds= (--seed/--seeds)",
    "epochs": "epochs= (--epochs)",
    "data": "data= (--data)",
    "val": "curve= (--curve)",
}


def _check_int(name: str, value, low: int, flag: str) -> None:
    """Raise a ValueError naming ``name`` and the fix unless ``value`` is an integer >= ``low``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise ValueError(
            f"benchmark: {name} must be an integer >= {low}, got {value!r}; pass {name}={max(low, 1)} or more ({flag})"
        )


def _check_imgsz(name: str, value, flag: str) -> None:
    """Raise a ValueError unless ``value`` is an image size: an integer >= 32 and a multiple of 32."""
    _check_int(name, value, 32, flag)
    if value % 32:
        raise ValueError(f"benchmark: {name} must be a multiple of 32 (the models' stride), got {value}; pass e.g. 640")


def _check_scales(scales: Sequence[str] | str) -> list[str]:
    """Return the scales to benchmark, or raise a ValueError naming the valid ones."""
    names = list(scales)
    bad = [s for s in names if s not in SCALES]
    if not names or bad:
        raise ValueError(
            f"benchmark: scales must be one or more of {', '.join(SCALES)}, got {scales!r}; "
            "pass e.g. scales=('n', 's') (--scales n s)"
        )
    return list(dict.fromkeys(names))


def _task_scales(scales: list[str], task: str) -> tuple[list[str], str | None]:
    """Return the scales to run for ``task`` and a note for the report when RT-DETR replaces them with its one scale."""
    if task != RTDETR:
        return scales, None
    note = None
    if scales != [RTDETR_SCALE]:
        note = f"RT-DETR has one scale, {RTDETR_SCALE}; scales {', '.join(scales)} were not used."
        LOGGER.info(f"{PREFIX} {note}")
    return [RTDETR_SCALE], note


def _check_accuracy_only(accuracy: bool, **values) -> None:
    """Raise a ValueError for a setting that only an accuracy run uses when ``accuracy`` is off."""
    for name, value in values.items():
        if value is not None and value is not False and not accuracy:
            raise ValueError(
                f"benchmark: {name}={value!r} is only used to measure accuracy; pass accuracy=True (--accuracy) or "
                "drop it"
            )


def _names(value: Sequence[str] | str | None) -> list[str] | None:
    """Return ``value`` as a list of strings (one string is one name); None stays None."""
    return None if value is None else [value] if isinstance(value, (str, Path)) else [str(v) for v in value]


@dataclass
class BenchmarkSettings:
    """Every setting of :func:`~yolo_lite.benchmark.run_benchmark`, checked on construction.

    Attributes:
        task (str): ``"detect"``, ``"segment"``, ``"pose"``, ``"obb"``, ``"classify"`` (or the file suffixes
            ``"seg"``, ``"cls"``), or ``"rtdetr"``: which stock models (``yolo11n-seg.yaml``, ...; ``rtdetr-l.yaml``)
            and shipped models (``yolo11n-seg-starnet.yaml``, ...; ``rtdetr-starnet.yaml``) are compared, the
            generated data and the metrics.
        models (list[str] | None): Models to compare with stock: names or globs of shipped models
            (``yolo11n-starnet.yaml``, ``starnet`` (a tag), ``*starnet*``) matched against each model's name, stem and
            tag, and paths of model YAML files (any ``.yaml``/``.yml`` file that exists, e.g. ``my/yolo26n-x.yaml``:
            built from that file at the scale its name gives, as Ultralytics reads it); None takes every shipped model
            of the task at each scale.
        families (list[str] | None): Keep only shipped models whose tag starts with one of these families
            (``"starnet"`` keeps ``yolo11n-starnet`` and ``yolo11n-starnet-imagenet``); None keeps all.
        reference (str): ``"yolo11"`` compares with the task's stock YOLO11; ``"yolo26"`` adds the task's stock
            YOLO26 as a second reference (timed, and trained alike with accuracy; not for RT-DETR).
        scales (list[str]): Scales, e.g. ``("n", "s")`` or ``"ns"``; RT-DETR runs its one scale, ``l``, whatever is
            given (:attr:`scale_note` says so).
        imgsz (int | None): Image size of the timings, GFLOPs and exports; a multiple of 32. None means 640, or 224
            for classify (Ultralytics' classification size).
        rounds (int): Timed rounds at batch 1 per backend.
        warmup (int): Untimed rounds before them.
        batch (int): Batch size of the throughput and peak-memory measurements.
        batch_rounds (int): Timed rounds at that batch size.
        threads (int | None): CPU threads of every backend; None means every CPU this process may run on
            (:func:`~yolo_lite.benchmark.environment.available_cpus`).
        onnx (bool): Export every model with Ultralytics' ONNX exporter and time it with ONNX Runtime on the CPU.
        openvino (bool): Export every model with Ultralytics' OpenVINO exporter and time it on OpenVINO's CPU plugin.
        accuracy (bool): Also train every model ``seeds`` times and validate it with the task's metrics.
        data (str | None): Accuracy data: ``"clutter"``, ``"shapes"`` or the path of a data YAML (a dataset folder for
            classify); None means :data:`DEFAULT_DATA` of the task.
        train_images (int | None): Training images of a generated set (``"clutter"`` or ``"shapes"``); None means
            :data:`DATA_IMAGES`.
        val_images (int | None): Validation images of a generated set; None means :data:`DATA_IMAGES`.
        epochs (int): Training epochs of each accuracy run.
        seeds (int | None): Training runs per model with ``accuracy`` (seeds ``seed`` .. ``seed + seeds - 1``); None
            means :data:`DEFAULT_SEEDS`.
        seed (int): Seed of the model initialisation, the timings' inputs and the generated data, and the first
            training seed.
        train_imgsz (int | None): Image size of training, validation and the generated data; None means ``imgsz``.
        curve (bool): Validate after every epoch (Ultralytics' ``val=True``) and keep each model's learning curve (mean
            mAP50-95 per epoch over the seeds); off, only the final epoch is validated.
        train_kwargs (dict | None): Extra ``model.train()`` arguments of every run (e.g. ``{"batch": 16}``); they
            override the recipe :data:`~yolo_lite.benchmark.training.TRAIN_DEFAULTS` and may not set what the
            settings own (``imgsz``, ``seed``, ``epochs``, ``data``, ``val``).
        train_jobs (int | None): Trainings run side by side, each in its own process (the numbers do not depend on
            it); None means :func:`~yolo_lite.benchmark.training.default_jobs` (2 on 2 cores).
        reuse_trainings (bool): Read the trainings that already finished in ``out_dir``'s ``train`` folder with the
            same arguments (:func:`~yolo_lite.benchmark.training.finished_run`) instead of training them again, e.g.
            to add seeds to a run; the models' code must not have changed since.
        out_dir (str | None): Directory of the reports, the generated data and the training runs, used as given;
            None takes :data:`OUT_DIR`, or a new numbered sibling (``runs/benchmark-2``, ...) if it exists.
        exist_ok (bool): With ``out_dir=None``, write into :data:`OUT_DIR` even if it exists (overwriting).
        command (str | None): Command line recorded in the reports; None records the call
            (``run_benchmark(<the settings that differ from their defaults>)``).
        scale_note (str | None): Set on construction: the report's note when RT-DETR replaced the scales.
        train_seeds (list[int] | None): Set on construction: the training seeds (None without accuracy).

    Examples:
        >>> BenchmarkSettings(task="seg", scales="ns", imgsz=64).scales
        ['n', 's']
        >>> BenchmarkSettings(rounds=0)
        Traceback (most recent call last):
        ...
        ValueError: benchmark: rounds must be an integer >= 1, got 0; pass rounds=1 or more (--rounds)
    """

    task: str = "detect"
    models: list[str] | None = None
    families: list[str] | None = None
    reference: str = "yolo11"
    scales: list[str] = field(default_factory=lambda: ["n", "s"])
    imgsz: int | None = None
    rounds: int = 20
    warmup: int = 3
    batch: int = 8
    batch_rounds: int = 5
    threads: int | None = None
    onnx: bool = True
    openvino: bool = True
    accuracy: bool = False
    data: str | None = None
    train_images: int | None = None
    val_images: int | None = None
    epochs: int = 10
    seeds: int | None = None
    seed: int = 0
    train_imgsz: int | None = None
    curve: bool = False
    train_kwargs: dict | None = None
    train_jobs: int | None = None
    reuse_trainings: bool = False
    out_dir: str | None = None
    exist_ok: bool = False
    command: str | None = None
    scale_note: str | None = field(default=None, init=False)
    train_seeds: list[int] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        """Check every setting (ValueError naming the problem and the fix) and fill in the defaults that depend on
        others."""
        call = self._call()
        try:
            self.task = check_task(self.task)
        except ValueError as e:
            raise ValueError(f"benchmark: {e} (--task)") from None
        self.scales, self.scale_note = _task_scales(_check_scales(self.scales), self.task)
        check_reference(self.reference, self.task)
        self.models, self.families = _names(self.models), _names(self.families)
        self.data = None if self.data is None else str(self.data)
        self.imgsz = DEFAULT_IMGSZ.get(self.task, 640) if self.imgsz is None else self.imgsz
        for name, low, flag in (
            ("rounds", 1, "--rounds"),
            ("warmup", 0, "--warmup"),
            ("batch", 1, "--batch"),
            ("batch_rounds", 1, "--batch-rounds"),
            ("epochs", 1, "--epochs"),
            ("seed", 0, "--seed"),
        ):
            _check_int(name, getattr(self, name), low, flag)
        _check_imgsz("imgsz", self.imgsz, "--imgsz")
        if self.threads is not None:
            _check_int("threads", self.threads, 1, "--threads")
        _check_accuracy_only(self.accuracy, **{name: getattr(self, name) for name in ACCURACY_ONLY})
        if self.accuracy:
            self._check_training()
            self._check_data()
        for runtime in ("onnx", "openvino"):
            if getattr(self, runtime):
                check_runtime(runtime)
        self.threads = self.threads or available_cpus()
        self.out_dir = None if self.out_dir is None else str(self.out_dir)
        self.command = self.command or call

    def _call(self) -> str:
        """Return ``run_benchmark(...)`` with the settings given that differ from their defaults."""
        given = []
        for f in dataclasses.fields(self):
            default = f.default_factory() if f.default is dataclasses.MISSING else f.default
            value = getattr(self, f.name)
            if f.init and f.name != "command" and value != default:
                given.append(f"{f.name}={value!r}")
        return f"run_benchmark({', '.join(given)})"

    def _check_training(self) -> None:
        """Check and fill in the training settings: seeds, train_imgsz, train_kwargs, train_jobs."""
        if self.seeds is not None:
            _check_int("seeds", self.seeds, 1, "--seeds")
        if self.train_imgsz is not None:
            _check_imgsz("train_imgsz", self.train_imgsz, "--train-imgsz")
        if self.train_kwargs is not None and not isinstance(self.train_kwargs, Mapping):
            raise ValueError(
                f"benchmark: train_kwargs must be a mapping of model.train() arguments, got {self.train_kwargs!r}; "
                "pass e.g. train_kwargs={'batch': 8, 'workers': 0} (--train-batch, --workers)"
            )
        clash = [key for key in TRAIN_ARGS_OWNED if key in (self.train_kwargs or {})]
        if clash:
            raise ValueError(
                f"benchmark: train_kwargs may not set {', '.join(clash)}; pass "
                f"{', '.join(TRAIN_ARGS_OWNED[key] for key in clash)} instead"
            )
        self.train_kwargs = dict(self.train_kwargs or {})
        if self.train_jobs is not None:
            _check_int("train_jobs", self.train_jobs, 1, "--train-jobs")
        self.train_jobs = default_jobs() if self.train_jobs is None else int(self.train_jobs)
        if self.reuse_trainings and self.out_dir is None and not self.exist_ok:
            raise ValueError(
                "benchmark: reuse_trainings reads the finished trainings of an earlier run's directory, but none is "
                f"named; pass out_dir= (--out) with that directory, or exist_ok=True (--exist-ok) for {OUT_DIR}"
            )
        self.seeds = DEFAULT_SEEDS if self.seeds is None else int(self.seeds)
        self.train_imgsz = self.imgsz if self.train_imgsz is None else self.train_imgsz
        self.train_seeds = list(range(self.seed, self.seed + self.seeds))

    def _check_data(self) -> None:
        """Check the accuracy data: a generated set (and its image counts) or a usable data YAML (folder)."""
        self.data = DEFAULT_DATA.get(self.task, "shapes") if self.data is None else self.data
        if self.data not in GENERATED_SETS:
            for name, flag in (("train_images", "--train-images"), ("val_images", "--val-images")):
                if getattr(self, name) is not None:
                    raise ValueError(
                        f"benchmark: {name} sizes a generated set (data='clutter' or 'shapes'), but data is "
                        f"{self.data!r}; drop {name} ({flag}) or pass data='clutter' (--data clutter)"
                    )
            check_data(self.data, self.task)
            return
        if self.data == "clutter" and self.task not in DEFAULT_DATA:
            raise ValueError(
                f"benchmark: data='clutter' is a detection set, task {self.task} has none; pass data='shapes' "
                "(--data shapes, the task's synthetic set) or the path of a data YAML"
            )
        if self.data == "clutter" and self.train_imgsz < CLUTTER_MIN_IMGSZ:
            raise ValueError(
                f"benchmark: the clutter set is drawn at train_imgsz, at least {CLUTTER_MIN_IMGSZ}, got "
                f"{self.train_imgsz}; pass train_imgsz={CLUTTER_MIN_IMGSZ} or more (--train-imgsz)"
            )
        train, val = DATA_IMAGES[self.data]
        for name, flag, default in (("train_images", "--train-images", train), ("val_images", "--val-images", val)):
            value = default if getattr(self, name) is None else getattr(self, name)
            _check_int(name, value, 1, flag)
            setattr(self, name, int(value))
