"""Training runs of the accuracy benchmark: one Ultralytics training per model and seed, several at a time.

On a CPU, Ultralytics trains with ``NUM_THREADS`` PyTorch threads (the cores less one: a single thread on a 2-core
machine), so one training leaves cores idle. :func:`run_trainings` therefore runs ``jobs`` trainings side by side, each
in its own process (:func:`default_jobs`: as many as the cores hold at ``NUM_THREADS`` each; 2 on 2 cores, where the
accuracy run then takes about 0.55x the time). A run's numbers do not depend on ``jobs``: every run has the same
thread count and loads its data in its own process (``workers=0`` in :data:`TRAIN_DEFAULTS`, which also keeps them
from depending on the machine's core count, as Ultralytics' worker count does), and a process's training log goes to
``<project>/<name>.log``. Ultralytics' label caches are written once, in the calling process, before the workers
start (:func:`cache_labels`), so that trainings starting side by side on fresh data only read them.

:data:`TRAIN_DEFAULTS` is the benchmark's training recipe for every model alike, and :func:`recipe` adds the run's
epochs and overrides. Ultralytics' own ``optimizer="auto"`` picks AdamW at ``lr0 = 0.002 * 5 / (4 + nc)`` for runs
this short (0.00083 for the clutter set's 8 classes); the recipe's larger step (``lr0=0.004``, batch 8, one warm-up
epoch) lets the short runs of a benchmark get well past the first epochs' plateau on the clutter set. The recipe also
steps the optimizer after every batch: Ultralytics accumulates gradients up to its nominal batch size (``nbs=64``, 8
batches of 8), which leaves a 30-epoch run on 1,000 images about 470 optimizer steps; :func:`recipe` sets ``nbs`` to
the batch size (3,750 steps at the same cost), and YOLO26's NMS-free head, the slowest to converge, gains the most
(docs/run-benchmark.md, "Choosing epochs, seeds and image size").

Examples:
    >>> default_jobs() >= 1
    True
    >>> recipe(30)["nbs"]  # one optimizer step per batch of 8
    8
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import yaml
from ultralytics.utils import LOGGER, NUM_THREADS, TQDM

from ..patches.yaml_lookup import model_task
from .accuracy import read_results
from .fields import PREFIX

__all__ = ["TRAIN_DEFAULTS", "Run", "default_jobs", "finished_run", "recipe", "run_trainings", "train_once"]

TRAIN_DEFAULTS = dict(  # model.train() arguments of every accuracy run (train_kwargs override them)
    deterministic=True,
    plots=False,
    amp=False,
    exist_ok=True,
    optimizer="AdamW",
    lr0=0.004,
    warmup_epochs=1,
    batch=8,
    workers=0,
)


@dataclass(frozen=True)
class Run:
    """One training: the model's YAML, the seed, and where its run folder goes (``project / name``)."""

    yaml: str
    seed: int
    name: str


def recipe(epochs: int, overrides: Mapping | None = None, val: bool = False) -> dict:
    """Return the ``model.train()`` arguments of an accuracy run: :data:`TRAIN_DEFAULTS`, the epochs, the overrides.

    The nominal batch size ``nbs`` follows the batch size (one optimizer step per batch, weight decay unscaled) unless
    the overrides set it.

    Args:
        epochs (int): Epochs of every run.
        overrides (Mapping | None): ``model.train()`` arguments that replace the recipe's (``batch``, ``nbs``, ...).
        val (bool): Validate after every epoch (a learning curve); the last epoch is validated either way.

    Returns:
        (dict): The arguments, without the data, image size and seed, which are set per run.

    Examples:
        >>> args = recipe(30, {"batch": 16})
        >>> args["epochs"], args["batch"], args["nbs"], args["optimizer"]
        (30, 16, 16, 'AdamW')
    """
    args = {**TRAIN_DEFAULTS, "epochs": epochs, **(overrides or {}), "val": val}
    args.setdefault("nbs", args["batch"])
    return args


def default_jobs() -> int:
    """Return how many trainings fit side by side: the cores over the threads Ultralytics gives each (at least 1)."""
    return max(1, (os.cpu_count() or 1) // NUM_THREADS)


@contextlib.contextmanager
def _output_to(path: Path) -> Iterator[None]:
    """Send this process's stdout and stderr (file descriptors 1 and 2, so native output too) to ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = [os.dup(1), os.dup(2)]
    with open(path, "ab") as log:
        os.dup2(log.fileno(), 1)
        os.dup2(log.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            for fd in saved:
                os.close(fd)


def cache_labels(data: str | Path, task: str) -> None:
    """Scan the data's splits as Ultralytics' trainer does, writing its label caches (``labels/<split>.cache``).

    A trainer that finds no valid cache scans the labels and writes one, deleting the old file first; two trainings
    that start together on fresh data both do, and one can delete or read the file the other is writing (a crash at
    the start of a training). Scanning once before they start leaves them a valid cache to read.

    Args:
        data (str | Path): Data YAML (dataset folder for classify).
        task (str): The Ultralytics task the data is for.
    """
    from ultralytics.cfg import get_cfg
    from ultralytics.data.dataset import ClassificationDataset, YOLODataset
    from ultralytics.data.utils import check_det_dataset

    if task == "classify":
        for split in ("train", "val", "test"):
            if (Path(data) / split).is_dir():
                ClassificationDataset(str(Path(data) / split), get_cfg(), augment=False)
        return
    content = check_det_dataset(str(data))
    for split in ("train", "val"):
        YOLODataset(img_path=content[split], data=content, task=task, augment=False)


def train_once(run: Run, data: str, train_args: Mapping, project: str, imgsz: int, log: bool = False) -> str | Path:
    """Train ``run``'s model once and return its ``results.csv``, or the message of a ValueError it raised.

    A ValueError (a backbone's pretrained weights that cannot be fetched offline, a YAML that does not build) is
    returned as its message so that the caller can skip the model; any other error propagates.

    Args:
        run (Run): The model and seed.
        data (str): Data YAML (dataset folder for classify).
        train_args (Mapping): ``model.train()`` arguments shared by every run; the seed is set per run.
        project (str): Directory of the run folders.
        imgsz (int): Image size of training and validation.
        log (bool): Send the process's output to ``<project>/<name>.log`` (for runs in worker processes).

    Returns:
        (str | Path): The run's ``results.csv`` path, or the error message.
    """
    import yolo_lite  # noqa: F401  (a worker process applies the patches before building the model)

    from .models import model_class

    output = _output_to(Path(project) / f"{run.name}.log") if log else contextlib.nullcontext()
    with output:
        try:
            model = model_class(run.yaml)(run.yaml)
            model.train(
                data=data, project=project, name=run.name, **{**train_args, "imgsz": imgsz, "seed": run.seed}
            )
        except ValueError as e:
            return str(e) or type(e).__name__
    return Path(model.trainer.csv)


def finished_run(run: Run, data: str | Path, train_args: Mapping, project: str | Path, imgsz: int) -> Path | None:
    """Return the ``results.csv`` of a finished training of ``run`` in ``project`` with these arguments, else None.

    A run folder counts when its ``args.yaml`` (written by Ultralytics' trainer) has the model, data, image size,
    seed and every argument of ``train_args`` that this training would get, and its ``results.csv`` reached the last
    epoch. The model's code is not compared: a changed backbone under the same YAML still matches.

    Args:
        run (Run): The model and seed.
        data (str | Path): Data YAML (dataset folder for classify).
        train_args (Mapping): ``model.train()`` arguments shared by every run.
        project (str | Path): Directory of the run folders.
        imgsz (int): Image size of training and validation.

    Returns:
        (Path | None): The finished run's ``results.csv``, or None.
    """
    folder = Path(project) / run.name
    args_file, results = folder / "args.yaml", folder / "results.csv"
    if not (args_file.is_file() and results.is_file()):
        return None
    recorded = yaml.safe_load(args_file.read_text()) or {}
    wanted = {**train_args, "model": run.yaml, "data": str(data), "imgsz": imgsz, "seed": run.seed}
    if any(recorded.get(key) != value for key, value in wanted.items()):
        return None
    epochs = read_results(results).get("epoch", [])
    return results if epochs and epochs[-1] == train_args["epochs"] else None


def run_trainings(
    runs: Sequence[Run],
    data: Path,
    train_args: Mapping,
    project: Path,
    imgsz: int,
    jobs: int = 1,
    reuse: bool = False,
) -> list[str | Path]:
    """Run every training, ``jobs`` at a time, and return each run's :func:`train_once` result in order.

    Args:
        runs (Sequence[Run]): The trainings.
        data (Path): Data YAML (dataset folder for classify).
        train_args (Mapping): ``model.train()`` arguments shared by every run.
        project (Path): Directory of the run folders (and of the worker processes' logs).
        imgsz (int): Image size of training and validation.
        jobs (int): Trainings at a time; 1 trains in this process, more in as many worker processes (spawned).
        reuse (bool): Read the runs that :func:`finished_run` finds in ``project`` instead of training them again.

    Returns:
        (list[str | Path]): Per run, its ``results.csv`` or the message of the ValueError it raised.
    """
    arguments = (str(data), dict(train_args), str(project), imgsz)
    done = {run: path for run in runs if reuse and (path := finished_run(run, *arguments))}
    if done:
        LOGGER.info(f"{PREFIX} reusing {len(done)} finished trainings in {project}: {', '.join(r.name for r in done)}")
    todo = [run for run in runs if run not in done]
    desc = f"{PREFIX} train and validate ({len(todo)} runs, {jobs} at a time)"
    if jobs == 1:
        trained = [train_once(run, *arguments) for run in TQDM(todo, desc=desc)]
    else:
        if todo:
            cache_labels(data, model_task(todo[0].yaml))
        context = multiprocessing.get_context("spawn")  # a fork of a process with threads and open sessions is unsafe
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            futures = [pool.submit(train_once, run, *arguments, log=True) for run in todo]
            for _ in TQDM(as_completed(futures), total=len(futures), desc=desc):
                pass
            trained = [future.result() for future in futures]
    results = dict(zip(todo, trained))
    return [done[run] if run in done else results[run] for run in runs]
