"""The product's speed and accuracy targets, checked on a benchmark's rows: what the report's "Targets" table says.

Four targets (median per-round latency ratios at the run's image size, batch 1, on the run's threads; accuracy as
the mean per-seed mAP50-95 ratio after equal training):

- **frontier**: at n and at s, at least one shipped yolo-lite model reaches ``>= 0.98x`` stock YOLO26's mAP50-95 at
  ``<= 0.7x`` its latency both in ``predict()`` and in ONNX Runtime (needs ``reference="yolo26"`` and ``accuracy``);
- **precision**: at n and at s, the accuracy run can tell such ratios apart: the standard error of every model's
  per-seed mAP50-95 ratio to a reference is ``<= 0.02`` (needs ``accuracy`` with at least two seeds);
- **plain**: every plain shipped name at n and s (``yolo11<scale>-<family>``, ``yolo26<scale>-<family>``) runs at
  ``<= 0.9x`` its stock model's latency (YOLO11 or YOLO26 at that scale) in ``predict()``, ONNX Runtime and OpenVINO
  f32;
- **imagenet**: at n, at least one ``-imagenet`` model at ``<= 0.9x`` stock YOLO11n's ``predict()`` latency.

A target whose measurements are missing (no accuracy run, ONNX or OpenVINO not timed, a scale not run) is reported
as not checked, never as met.

Examples:
    >>> rows = [{"model": "yolo11n-starnet", "scale": "n", "family": "starnet", "tag": "starnet",
    ...          "predict_vs_stock": 0.8, "onnx_vs_stock": 0.7, "openvino_f32_vs_stock": None}]
    >>> [(r.target, r.model, r.met) for r in check_targets(rows) if r.target == "plain"]
    [('plain', 'yolo11n-starnet', None)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .fields import CUSTOM, STOCK, is_yolo26

__all__ = ["FAMILIES", "LIMITS", "TargetResult", "check_targets", "markdown_targets"]

FAMILIES = ("starnet", "fasternet", "micronet")  # the families whose plain names the targets hold
LIMITS = dict(accuracy=0.98, frontier_latency=0.7, ratio_se=0.02, plain_latency=0.9, imagenet_latency=0.9)
FRONTIER_PATHS = ("predict", "onnx")
PLAIN_PATHS = ("predict", "onnx", "openvino_f32")
SCALES = ("n", "s")
LABELS = {"predict": "predict()", "onnx": "ONNX Runtime", "openvino_f32": "OpenVINO f32"}
REFERENCES = {"stock": "YOLO11", "yolo26": "YOLO26"}  # the key in map50_95_vs_<key>_se, and the reference it names


@dataclass(frozen=True)
class TargetResult:
    """One checked target: which, at what scale, the model it concerns, what was measured, and whether it is met.

    ``met`` is None when a measurement it needs is missing.
    """

    target: str
    scale: str
    model: str | None
    measured: str
    met: bool | None


def _ratio(row: dict, path: str) -> float | None:
    """Return a row's latency ratio on ``path`` to its own head's stock model (YOLO26 for a YOLO26 head)."""
    return row.get(f"{path}_vs_yolo26" if is_yolo26(row) else f"{path}_vs_stock")


def _shipped(rows: Sequence[dict], scale: str) -> list[dict]:
    """Return the measured shipped yolo-lite rows of ``scale``."""
    return [r for r in rows if r["scale"] == scale and r["family"] not in (STOCK, CUSTOM) and not r.get("skipped")]


def _frontier(rows: Sequence[dict], scale: str) -> TargetResult:
    """The frontier target at ``scale``: the most accurate shipped model within the latency limit on both paths."""
    candidates = []
    for row in _shipped(rows, scale):
        values = [row.get(f"{path}_vs_yolo26") for path in FRONTIER_PATHS]
        accuracy = row.get("map50_95_vs_yolo26")
        if None not in values and accuracy is not None:
            candidates.append((accuracy, max(values), row, values))
    if not candidates:
        missing = "not measured (needs --accuracy --reference yolo26 and ONNX)"
        return TargetResult("frontier", scale, None, missing, None)
    fast = [c for c in candidates if c[1] <= LIMITS["frontier_latency"]]
    accuracy, _, row, values = max(fast or candidates, key=lambda c: (c[0], -c[1]))
    measured = f"mAP50-95 {accuracy:.2f}x YOLO26, latency " + ", ".join(
        f"{LABELS[path]} {value:.2f}x" for path, value in zip(FRONTIER_PATHS, values)
    )
    return TargetResult("frontier", scale, row["model"], measured, bool(fast) and accuracy >= LIMITS["accuracy"])


def _precision(rows: Sequence[dict], scale: str) -> TargetResult:
    """The precision target at ``scale``: the largest standard error of a model's mAP50-95 ratio to a reference."""
    errors = [
        (value, row["model"], key)
        for row in rows
        if row["scale"] == scale and not row.get("skipped")
        for key in REFERENCES
        if (value := row.get(f"map50_95_vs_{key}_se")) is not None
    ]
    if not errors:
        return TargetResult("precision", scale, None, "not measured (needs --accuracy with 2 or more seeds)", None)
    value, model, key = max(errors, key=lambda e: e[0])
    measured = f"largest SE of a mAP50-95 ratio: {value:.3f} (to {REFERENCES[key]})"
    return TargetResult("precision", scale, model, measured, value <= LIMITS["ratio_se"])


def _plain(rows: Sequence[dict], scale: str) -> list[TargetResult]:
    """The plain-name target at ``scale``, one result per plain shipped name."""
    results = []
    for row in _shipped(rows, scale):
        if row["tag"] not in FAMILIES:
            continue
        values = {path: _ratio(row, path) for path in PLAIN_PATHS}
        measured = ", ".join(
            f"{LABELS[path]} {'-' if value is None else f'{value:.2f}x'}" for path, value in values.items()
        )
        met = None if None in values.values() else max(values.values()) <= LIMITS["plain_latency"]
        results.append(TargetResult("plain", scale, row["model"], measured, met))
    return results


def _imagenet(rows: Sequence[dict]) -> TargetResult:
    """The ImageNet target: the fastest ``-imagenet`` model at n in ``predict()``, against stock YOLO11n."""
    timed = [(r["predict_vs_stock"], r) for r in _shipped(rows, "n") if r["tag"].endswith("-imagenet")]
    timed = [(value, row) for value, row in timed if value is not None]
    if not timed:
        return TargetResult("imagenet", "n", None, "not measured (no -imagenet model timed at n)", None)
    value, row = min(timed, key=lambda t: t[0])
    met = value <= LIMITS["imagenet_latency"]
    return TargetResult("imagenet", "n", row["model"], f"predict() {value:.2f}x YOLO11n", met)


def check_targets(rows: Sequence[dict]) -> list[TargetResult]:
    """Check every target on the rows of a benchmark run (the scales it ran).

    Args:
        rows (Sequence[dict]): Rows from :func:`~yolo_lite.benchmark.run_benchmark`.

    Returns:
        (list[TargetResult]): Frontier and precision results per scale, plain-name results per model, the ImageNet
            result.
    """
    scales = [scale for scale in SCALES if any(r["scale"] == scale for r in rows)]
    results = [_frontier(rows, scale) for scale in scales]
    results += [_precision(rows, scale) for scale in scales]
    results += [result for scale in scales for result in _plain(rows, scale)]
    if "n" in scales:
        results.append(_imagenet(rows))
    return results


def markdown_targets(results: Sequence[TargetResult]) -> str:
    """Return the report's "Targets" section: one table row per result."""
    verdict = {True: "met", False: "**not met**", None: "not checked"}
    lines = [
        "## Targets",
        "",
        f"frontier: a shipped model at >= {LIMITS['accuracy']}x stock YOLO26's mAP50-95 and <= "
        f"{LIMITS['frontier_latency']}x its latency in predict() and ONNX Runtime (the most accurate such model, or "
        f"the most accurate model when none is fast enough); precision: the standard error of every model's mAP50-95 "
        f"ratio to a reference <= {LIMITS['ratio_se']} (the largest one); plain: every plain shipped name at <= "
        f"{LIMITS['plain_latency']}x its stock model's latency in predict(), ONNX Runtime and OpenVINO f32; imagenet: "
        f"an -imagenet model at <= {LIMITS['imagenet_latency']}x stock YOLO11n's predict() latency (the fastest one).",
        "",
        "| target | scale | model | measured | result |",
        "|---|---|---|---|---|",
    ]
    lines += [f"| {r.target} | {r.scale} | {r.model or '-'} | {r.measured} | {verdict[r.met]} |" for r in results]
    return "\n".join(lines)
