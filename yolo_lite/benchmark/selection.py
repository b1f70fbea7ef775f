"""Which models a benchmark compares at each scale: the references, shipped models by name, tag or family, and the
user's own YAML files.

The candidates at a scale are the task's stock YOLO11 (``yolo11n.yaml``, ``yolo11n-seg.yaml``, ...; and YOLO26 with
``reference="yolo26"``) plus every model of the task that ``yolo_lite/cfg`` ships at that scale: an all-scale
``yolo11-<tag>.yaml`` gives ``yolo11<scale>-<tag>.yaml`` at every scale, a single-scale ``yolo11<scale>-<tag>.yaml``
(such as ``yolo11n-starnet-imagenet.yaml``) only at its own. RT-DETR (``task="rtdetr"``) has one scale, ``l``: stock
``rtdetr-l.yaml`` and every shipped ``rtdetr-<tag>.yaml`` (:mod:`yolo_lite.task_models` lists them all).

A model YAML file of the user's own (any ``.yaml``/``.yml`` path in ``models=`` that exists, e.g.
``my/yolo26n-custom.yaml``) is compared too, at the scale its file name gives as Ultralytics reads it (``yolo26n-...``
is scale ``n``; an RT-DETR YAML, which has ``rtdetr`` in its name, is scale ``l``), by its absolute path
(:mod:`~yolo_lite.benchmark.models` builds and names it).
"""

from __future__ import annotations

from collections.abc import Sequence
from fnmatch import fnmatchcase
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from ..patches.yaml_lookup import CFG_DIR, shipped_models
from ..task_models import RTDETR, RTDETR_SCALE, shipped_task_models, stock_model, task_tag
from .fields import SCALES

if TYPE_CHECKING:
    from .settings import BenchmarkSettings

__all__ = [
    "REFERENCES",
    "available_families",
    "check_reference",
    "compared_models",
    "model_file_scale",
    "reference_models",
    "select_models",
    "shipped_models",
]

REFERENCES = {"yolo11": ("yolo11",), "yolo26": ("yolo11", "yolo26")}  # --reference -> Ultralytics' models compared


def available_families(task: str = "detect") -> list[str]:
    """Return the backbone families that ship a YAML of ``task`` at any scale: the first word of every tag.

    Args:
        task (str): One of :data:`~yolo_lite.task_models.TASKS`.

    Returns:
        (list[str]): Family names, sorted.

    Examples:
        >>> "starnet" in available_families(), available_families("rtdetr")
        (True, ['fasternet', 'micronet', 'starnet'])
    """
    return sorted({task_tag(name).split("-")[0] for scale in SCALES for name in shipped_task_models(scale, task)})


def _matches(name: str, pattern: str) -> bool:
    """Return whether ``pattern`` (a name, stem, tag or glob of any of them) picks the model ``name``.

    The tag is tried with and without the task's suffix: ``starnet`` and ``seg-starnet`` both pick
    ``yolo11n-seg-starnet.yaml``.
    """
    texts = (name, Path(name).stem, Path(name).stem.split("-", 1)[1], task_tag(name))
    return any(fnmatchcase(text, pattern) for text in texts)


def _check_families(families: Sequence[str] | str, task: str) -> list[str]:
    """Return the families to keep, or raise a ValueError listing those available for ``task``."""
    available = available_families(task)
    names = [families] if isinstance(families, str) else list(families)
    hint = f"available families: {', '.join(available) or 'none'} (from {CFG_DIR}/*-<family>*.yaml, task {task})"
    if not names:
        raise ValueError(f"benchmark: no family to compare with stock YOLO11; pass one or more, {hint}")
    unknown = [name for name in names if name not in available]
    if unknown:
        raise ValueError(
            f"benchmark: unknown family {', '.join(map(repr, unknown))}; pass a family name such as "
            f"{available[0] if available else 'starnet'!r} (not a model or file name: models=... / --models takes "
            f"those), {hint}"
        )
    return list(dict.fromkeys(names))


def _is_model_file(entry: str) -> bool:
    """Return whether a ``models=`` entry is the path of a model YAML file (one that exists), not a name or glob."""
    path = Path(entry)
    return path.suffix in {".yaml", ".yml"} and path.is_file()


def model_file_scale(path: str | Path, task: str = "detect") -> str:
    """Return the scale of a model YAML file as Ultralytics reads it from the name; RT-DETR's is ``l``.

    Args:
        path (str | Path): A model YAML file, e.g. ``my/yolo26n-custom.yaml``.
        task (str): The benchmark's task; for ``"rtdetr"`` the scale is RT-DETR's one scale.

    Returns:
        (str): A scale letter, or ``""`` when the name has none.

    Examples:
        >>> model_file_scale("my/yolo26n-custom.yaml"), model_file_scale("rtdetr-x.yaml", "rtdetr")
        ('n', 'l')
    """
    from ultralytics.nn.tasks import guess_model_scale

    return RTDETR_SCALE if task == RTDETR else guess_model_scale(path)


def _file_task(path: Path) -> str:
    """Return the benchmark task of a model YAML file: ``rtdetr`` by its name (as :func:`model_class` tells it), else
    the task Ultralytics guesses from its head."""
    from ultralytics.nn.tasks import guess_model_task, yaml_model_load

    if RTDETR in path.stem.lower():
        return RTDETR
    try:
        return guess_model_task(yaml_model_load(path))
    except (OSError, yaml.YAMLError) as e:
        raise ValueError(f"benchmark: cannot read the model YAML {str(path)!r}: {e}; fix or drop it (--models)") from e


def _file_models(paths: Sequence[str], scales: Sequence[str], task: str) -> dict[str, list[str]]:
    """Return scale -> the absolute paths of the user's model YAML files at that scale, checking scale and task."""
    found = {scale: [] for scale in scales}
    for entry in paths:
        path = Path(entry).resolve()
        scale = model_file_scale(path, task)
        if not scale:
            raise ValueError(
                f"benchmark: cannot tell the scale of {entry!r} from its name; name the file as Ultralytics reads a "
                f"scale, the letter after the version (e.g. yolo11n-{path.stem}.yaml, yolo26s-{path.stem}.yaml)"
            )
        if scale not in found:
            raise ValueError(
                f"benchmark: {entry!r} is scale {scale} (from its name), not one of scales {', '.join(scales)}; add "
                f"it (--scales {' '.join(scales)} {scale})"
            )
        file_task = _file_task(path)
        if file_task != task:
            raise ValueError(
                f"benchmark: {entry!r} is a {file_task} model, the benchmark's task is {task}; pass task="
                f"{file_task!r} (--task {file_task}) or another YAML"
            )
        found[scale].append(str(path))
    return found


def select_models(
    scales: Sequence[str],
    models: Sequence[str] | str | None = None,
    families: Sequence[str] | str | None = None,
    task: str = "detect",
) -> dict[str, list[str]]:
    """Return the models of ``task`` to compare with stock at each scale: shipped ones by pattern and family, and files.

    Args:
        scales (Sequence[str]): Scales, e.g. ``["n", "s"]`` (for RT-DETR ``["l"]``).
        models (Sequence[str] | str | None): Names or globs of shipped models (``yolo11n-starnet.yaml``,
            ``yolo11n-starnet``, a tag such as ``starnet``, ``*starnet*``); a shipped model is kept when any pattern
            matches its name, stem or tag (with or without the task's suffix: ``starnet`` picks
            ``yolo11n-seg-starnet.yaml``). An entry that is the path of an existing ``.yaml``/``.yml`` file is a model
            of the user's own, compared at the scale its name gives (:func:`model_file_scale`); with only such paths
            (and no ``families``), no shipped model is taken. None keeps every shipped model.
        families (Sequence[str] | str | None): Keep only shipped models whose tag starts with one of these families
            (``starnet`` keeps ``starnet`` and ``starnet-imagenet``); None keeps all.
        task (str): One of :data:`~yolo_lite.task_models.TASKS`.

    Returns:
        (dict[str, list[str]]): Scale -> shipped model names, sorted, then the absolute paths of the user's files.

    Raises:
        ValueError: An unknown family, a pattern that matches no shipped model at these scales, a model file whose
            name gives no scale or a scale not in ``scales``, or of another task, or nothing left.

    Examples:
        >>> select_models(["n"], models=["starnet"])  # the tag: both heads
        {'n': ['yolo11n-starnet.yaml', 'yolo26n-starnet.yaml']}
        >>> select_models(["n", "s"], models=["yolo11?-*starnet"], task="segment")
        {'n': ['yolo11n-seg-starnet.yaml'], 's': ['yolo11s-seg-starnet.yaml']}
    """
    entries = None if models is None else [models] if isinstance(models, (str, Path)) else [str(m) for m in models]
    files = [entry for entry in entries or [] if _is_model_file(entry)]
    patterns = None if entries is None else [entry for entry in entries if entry not in files]
    if patterns == [] and files and families is not None:
        patterns = None  # files and families: the families' models and the files
    keep = None if families is None else _check_families(families, task)
    shipped = {scale: shipped_task_models(scale, task) for scale in scales}
    every = sorted({name for names in shipped.values() for name in names})
    hint = f"{task} models shipped at scales {', '.join(scales)}: {', '.join(every) or 'none'} (from {CFG_DIR})"
    if entries == []:
        raise ValueError(f"benchmark: no model to compare with stock YOLO11; pass one or more, {hint}")
    unmatched = [p for p in patterns or [] if not any(_matches(name, p) for name in every)]
    if unmatched:
        raise ValueError(
            f"benchmark: no shipped model matches {', '.join(map(repr, unmatched))}; pass model names or globs "
            f"such as 'yolo11n-starnet.yaml', 'starnet' (a tag) or '*starnet*', or the path of a model YAML file "
            f"that exists (--models), {hint}"
        )
    selected = {
        scale: [
            name
            for name in names
            if (patterns is None or any(_matches(name, p) for p in patterns))
            and (keep is None or task_tag(name).split("-")[0] in keep)
        ]
        for scale, names in shipped.items()
    }
    if not files and not any(selected.values()):
        raise ValueError(
            f"benchmark: no shipped model is left after models={patterns} and families={keep}; loosen them, {hint}"
        )
    for scale, paths in _file_models(files, scales, task).items():
        selected[scale] += paths
    return selected


def check_reference(reference: str, task: str = "detect") -> None:
    """Raise a ValueError unless ``reference`` names the stock models to compare with for ``task``.

    Args:
        reference (str): ``"yolo11"`` or ``"yolo26"`` (a key of :data:`REFERENCES`).
        task (str): One of :data:`~yolo_lite.task_models.TASKS`; RT-DETR is compared with ``rtdetr-l.yaml`` alone.

    Raises:
        ValueError: An unknown reference, or ``"yolo26"`` with RT-DETR.
    """
    if reference not in REFERENCES:
        raise ValueError(
            f"benchmark: reference must be one of {', '.join(REFERENCES)}, got {reference!r}; pass e.g. "
            "reference='yolo26' (--reference yolo26) to add stock YOLO26 next to stock YOLO11"
        )
    if task == RTDETR and reference != "yolo11":
        raise ValueError(
            f"benchmark: reference={reference!r} adds stock YOLO26, which has no RT-DETR model; RT-DETR models are "
            f"compared with stock {stock_model(RTDETR_SCALE, RTDETR)} alone, drop reference (--reference)"
        )


def reference_models(scale: str, reference: str = "yolo11", task: str = "detect") -> list[str]:
    """Return Ultralytics' own models of ``task`` at ``scale``: YOLO11 first (the ratios' reference), then YOLO26.

    Args:
        scale (str): One of n, s, m, l, x.
        reference (str): ``"yolo11"`` (stock YOLO11 only) or ``"yolo26"`` (YOLO11 and YOLO26).
        task (str): One of :data:`~yolo_lite.task_models.TASKS`; RT-DETR's reference is ``rtdetr-l.yaml``, alone.

    Returns:
        (list[str]): Model names such as ``["yolo11n.yaml", "yolo26n.yaml"]`` or ``["yolo11n-seg.yaml"]``.

    Raises:
        ValueError: An unknown reference, or ``"yolo26"`` with RT-DETR.

    Examples:
        >>> reference_models("n", "yolo26", "segment"), reference_models("l", task="rtdetr")
        (['yolo11n-seg.yaml', 'yolo26n-seg.yaml'], ['rtdetr-l.yaml'])
    """
    check_reference(reference, task)
    return [stock_model(scale, task, version) for version in REFERENCES[reference]]


def compared_models(settings: BenchmarkSettings) -> dict[str, list[str]]:
    """Return scale -> every model the run compares there: the references first, then :func:`select_models`' ones.

    Args:
        settings (BenchmarkSettings): The run's ``scales``, ``models``, ``families``, ``reference`` and ``task``.

    Returns:
        (dict[str, list[str]]): Scale -> model names (and absolute paths of the user's YAML files).

    Raises:
        ValueError: What :func:`select_models` raises, or two models of one scale with the same name (a user's
            YAML file named like a shipped or stock model).
    """
    selected = select_models(settings.scales, settings.models, settings.families, settings.task)
    compared = {
        scale: [*reference_models(scale, settings.reference, settings.task), *selected[scale]]
        for scale in settings.scales
    }
    for names in compared.values():
        stems = [Path(name).stem for name in names]
        twice = [name for name, stem in zip(names, stems) if stems.count(stem) > 1]
        if twice:
            raise ValueError(
                f"benchmark: {len(twice)} models are named {Path(twice[0]).stem!r} ({', '.join(twice)}); a model's "
                "name is its file's stem, rename your YAML file (e.g. add a tag: yolo11n-starnet-v2.yaml)"
            )
    return compared
