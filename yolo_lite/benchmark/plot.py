"""The benchmark's figures: one latency backend against the task's primary metric with its Pareto frontier (or
against GFLOPs without an accuracy run), and the learning curves.

The primary metric is the ``map50_95`` field: mAP50-95 (box, mask, pose or OBB), or top-1 accuracy for classify.
:func:`plot_frontiers` draws one figure per backend of :data:`~yolo_lite.benchmark.fields.FRONTIER_BACKENDS` that was
timed (``benchmark-predict.png``, ``benchmark-onnx.png``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .accuracy import METRICS
from .fields import BACKENDS, FRONTIER_BACKENDS
from .models import unscaled_name

__all__ = ["plot_curves", "plot_frontier", "plot_frontiers"]


def _seeds(n: int) -> str:
    """Return ``"1 seed"`` or ``"3 seeds"``."""
    return f"{n} seed{'s' * (n != 1)}"


def _figure():
    """Return a new matplotlib figure (no GUI backend) and its axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(8, 5.5), dpi=120, layout="tight")
    FigureCanvasAgg(fig)
    return fig, fig.add_subplot()


def _save(fig, ax, path: str | Path) -> Path:
    """Finish the axes (grid, legend) and write the figure to ``path``; return it."""
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    path = Path(path)
    fig.savefig(path)
    return path


def plot_frontier(rows: Sequence[dict], path: str | Path, backend: str = "predict") -> Path:
    """Plot ``backend``'s latency against mean map50_95 (or GFLOPs without accuracy), one point per model, as a PNG.

    Points are coloured by design, the model's name without its scale (``yolo11``, ``yolo26``, ``yolo11-starnet``,
    ``yolo26-starnet``, ``yolo11-starnet-imagenet``, ...), and a design's points are joined across scales; every point
    is labelled with its model. With accuracy, the error bars span the lowest to the
    highest value over the seeds, and the dashed black line joins the frontier points of that backend (ringed): the
    models that no other model beats on both its latency and the mean. The axes name the backend and the task's metric
    (``mAP50-95``, ``mask mAP50-95``, ``top-1``, ...). Skipped models, models without a latency on ``backend``, and
    with accuracy the models whose training was skipped, are left out.

    Args:
        rows (Sequence[dict]): Rows from :func:`~yolo_lite.benchmark.run_benchmark`.
        path (str | Path): Output PNG file.
        backend (str): A latency backend, a key of :data:`~yolo_lite.benchmark.fields.BACKENDS` (the frontier is
            ``frontier_<backend>``, so one of :data:`~yolo_lite.benchmark.fields.FRONTIER_BACKENDS` with accuracy).

    Returns:
        (Path): ``path``.
    """
    latency = f"{backend}_ms"
    rows = [row for row in rows if not row["skipped"] and row[latency] is not None]
    trained = [row for row in rows if row["map50_95"] is not None]
    accuracy = bool(trained)
    rows = trained or rows
    first = rows[0]
    label = METRICS[first["task"]].map50_95_label
    y_key = "map50_95" if accuracy else "gflops"
    fig, ax = _figure()
    for design in dict.fromkeys(unscaled_name(row["model"]) for row in rows):
        points = [row for row in rows if unscaled_name(row["model"]) == design]
        x, y = [r[latency] for r in points], [r[y_key] for r in points]
        if accuracy:
            low = [r["map50_95"] - r["map50_95_min"] for r in points]
            high = [r["map50_95_max"] - r["map50_95"] for r in points]
            ax.errorbar(x, y, yerr=[low, high], marker="o", capsize=3, label=design)
        else:
            ax.plot(x, y, marker="o", label=design)
        for r in points:
            ax.annotate(r["model"], (r[latency], r[y_key]), textcoords="offset points", xytext=(4, 6), fontsize=7)
    if accuracy:
        frontier = sorted((r for r in rows if r[f"frontier_{backend}"]), key=lambda r: (r[latency], r["map50_95"]))
        x, y = [r[latency] for r in frontier], [r["map50_95"] for r in frontier]
        ax.plot(x, y, "k--", lw=1, label="Pareto frontier")
        ax.scatter(x, y, s=160, facecolors="none", edgecolors="k", linewidths=1.2, zorder=3)
        title = (
            f"{BACKENDS[backend]}: speed vs accuracy ({first['task']})\nmean {label} (bars: min-max over "
            f"{_seeds(first['seeds'])}), {first['epochs']} epochs at {first['train_imgsz']} px"
        )
        ax.set_ylabel(f"{label} (val)")
    else:
        title = f"{BACKENDS[backend]}: latency vs GFLOPs ({first['task']})\nno accuracy run, --accuracy plots {label}"
        ax.set_ylabel(f"GFLOPs @{first['imgsz']}")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(
        f"{BACKENDS[backend]} latency, batch 1 @{first['imgsz']}, {first['threads']} threads (ms, median)"
    )
    ax.margins(0.2)
    return _save(fig, ax, path)


def plot_frontiers(rows: Sequence[dict], out_dir: str | Path) -> list[Path]:
    """Write :func:`plot_frontier` of every frontier backend that was timed to ``out_dir/benchmark-<backend>.png``.

    Args:
        rows (Sequence[dict]): Rows from :func:`~yolo_lite.benchmark.run_benchmark`.
        out_dir (str | Path): The benchmark's output directory.

    Returns:
        (list[Path]): The figures, in :data:`~yolo_lite.benchmark.fields.FRONTIER_BACKENDS` order.
    """
    measured = [row for row in rows if not row["skipped"]]
    timed = [b for b in FRONTIER_BACKENDS if any(row[f"{b}_ms"] is not None for row in measured)]
    return [plot_frontier(rows, Path(out_dir) / f"benchmark-{backend}.png", backend) for backend in timed]


def plot_curves(rows: Sequence[dict], path: str | Path) -> Path:
    """Plot every trained model's learning curve (``map50_95_curve``: mean over the seeds after each epoch) as a PNG.

    Args:
        rows (Sequence[dict]): Rows from :func:`~yolo_lite.benchmark.run_benchmark` with ``curve``; rows without a
            curve are left out.
        path (str | Path): Output PNG file.

    Returns:
        (Path): ``path``.
    """
    rows = [row for row in rows if row["map50_95_curve"]]
    first = rows[0]
    label = METRICS[first["task"]].map50_95_label
    fig, ax = _figure()
    for row in rows:
        epochs = range(1, len(row["map50_95_curve"]) + 1)
        ax.plot(epochs, row["map50_95_curve"], marker="o" if len(epochs) < 30 else None, ms=3, label=row["model"])
    ax.set_title(
        f"Learning curves ({first['task']}): mean {label} over {_seeds(first['seeds'])} after each epoch, "
        f"{first['train_imgsz']} px",
        fontsize=10,
    )
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{label} (val)")
    return _save(fig, ax, path)
