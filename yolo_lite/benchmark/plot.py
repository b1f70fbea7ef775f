"""The benchmark's figure: PyTorch CPU latency against the task's primary metric with the Pareto frontier (or GFLOPs).

The primary metric is the ``map50_95`` field: mAP50-95 (box, mask, pose or OBB), or top-1 accuracy for classify.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .accuracy import FRONTIER_LATENCY, METRICS

__all__ = ["plot_frontier"]


def plot_frontier(rows: Sequence[dict], path: str | Path) -> Path:
    """Plot PyTorch CPU latency against mean map50_95 (or GFLOPs without accuracy), one point per model, as a PNG.

    Points are coloured by tag (``yolo11``, ``starnet``, ``starnet-imagenet``, ...) and a tag's points are joined
    across scales; every point is labelled with its model. With accuracy, the error bars span the lowest to the highest
    value over the seeds, and the dashed black line joins the frontier points (ringed): the models that no other
    model beats on both latency and the mean. The axis names the task's metric (``mAP50-95``, ``mask mAP50-95``,
    ``top-1``, ...). Skipped models, and with accuracy the models whose training was skipped, are left out.

    Args:
        rows (Sequence[dict]): Rows from :func:`~yolo_lite.benchmark.run_benchmark`.
        path (str | Path): Output PNG file.

    Returns:
        (Path): ``path``.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = [row for row in rows if not row["skipped"]]
    trained = [row for row in rows if row["map50_95"] is not None]
    accuracy = bool(trained)
    rows = trained or rows
    first = rows[0]
    label = METRICS[first["task"]].map50_95_label
    y_key = "map50_95" if accuracy else "gflops"
    fig = Figure(figsize=(8, 5.5), dpi=120, layout="tight")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for tag in dict.fromkeys(row["tag"] for row in rows):
        points = [row for row in rows if row["tag"] == tag]
        x, y = [r[FRONTIER_LATENCY] for r in points], [r[y_key] for r in points]
        if accuracy:
            low = [r["map50_95"] - r["map50_95_min"] for r in points]
            high = [r["map50_95_max"] - r["map50_95"] for r in points]
            ax.errorbar(x, y, yerr=[low, high], marker="o", capsize=3, label=tag)
        else:
            ax.plot(x, y, marker="o", label=tag)
        for r in points:
            xy = (r[FRONTIER_LATENCY], r[y_key])
            ax.annotate(r["model"], xy, textcoords="offset points", xytext=(4, 6), fontsize=7)
    if accuracy:
        frontier = sorted((r for r in rows if r["frontier"]), key=lambda r: (r[FRONTIER_LATENCY], r["map50_95"]))
        x, y = [r[FRONTIER_LATENCY] for r in frontier], [r["map50_95"] for r in frontier]
        ax.plot(x, y, "k--", lw=1, label="Pareto frontier")
        ax.scatter(x, y, s=160, facecolors="none", edgecolors="k", linewidths=1.2, zorder=3)
        title = (
            f"Speed vs accuracy ({first['task']}): mean {label} (bars: min-max over {first['seeds']} seeds), "
            f"{first['epochs']} epochs at {first['train_imgsz']} px"
        )
        ax.set_ylabel(f"{label} (val)")
    else:
        title = f"Latency vs GFLOPs ({first['task']}; no accuracy run, --accuracy plots {label})"
        ax.set_ylabel(f"GFLOPs @{first['imgsz']}")
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(f"PyTorch CPU latency, batch 1 @{first['imgsz']}, {first['threads']} threads (ms, median)")
    ax.grid(alpha=0.3)
    ax.margins(0.2)
    ax.legend(fontsize=8)
    path = Path(path)
    fig.savefig(path)
    return path
