"""``yolo-lite export-matrix``: export every family to every format, run the exports, write the tables.

Examples:
    >>> run_export_matrix(formats=["onnx", "ncnn"], out_dir="runs/export-matrix")  # doctest: +SKIP
    >>> run_export_matrix(out_dir="docs/export", docs="docs/deployment.md")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from ultralytics.utils import LOGGER, TQDM

from ..run_dir import run_dir
from ..third_party import quiet_exporters
from .compare import check_export, perturbed_shift, reference_outputs
from .formats import DEFAULT_MODELS, FORMATS, OUT_DIR, get_format
from .reference import build_reference
from .report import cell, load_report, merge_rows, page_block, render_markdown, update_page

__all__ = ["run_export_matrix"]

PREFIX = "yolo-lite export-matrix:"


def run_export_matrix(
    models: Sequence[str] = DEFAULT_MODELS,
    formats: Sequence[str] | None = None,
    imgsz: int = 64,
    seed: int = 0,
    out_dir: str | Path | None = None,
    docs: str | Path | None = None,
    work_dir: str | Path | None = None,
    command: str | None = None,
    converters: str | Path | None = None,
    exist_ok: bool = False,
) -> dict:
    """Export each model to each format, compare every export with PyTorch, and write the report.

    Args:
        models (Sequence[str]): Shipped model YAMLs (:data:`DEFAULT_MODELS`).
        formats (Sequence[str] | None): Format keys (:data:`~yolo_lite.export_matrix.formats.FORMATS`); None: all.
        imgsz (int): Export and inference size, a multiple of 32.
        seed (int): Seed of the reference models and image.
        out_dir (str | Path | None): Where ``export.json`` and ``export.md`` go, used as given; the rows this run does
            not cover are kept from the ``export.json`` already there if it has the same ``imgsz`` and ``seed``. None
            takes :data:`~yolo_lite.export_matrix.formats.OUT_DIR`, or a new numbered sibling if it exists.
        docs (str | Path | None): A markdown page whose generated section (between
            :data:`~yolo_lite.export_matrix.report.BLOCK_BEGIN` and ``BLOCK_END``) is replaced with the matrix, e.g.
            ``"docs/deployment.md"``; None (default) leaves every page alone.
        work_dir (str | Path | None): Where checkpoints and exports go; None: a temporary directory, removed after.
        command (str | None): The command line recorded in the report.
        converters (str | Path | None): Where the converters that clash with the pinned environment (CoreML,
            LiteRT) are installed on first use; None: ``~/.cache/yolo-lite/converters``
            (:func:`~yolo_lite.export_matrix.isolated.default_cache`).
        exist_ok (bool): With ``out_dir=None``, write into :data:`~yolo_lite.export_matrix.formats.OUT_DIR` even if
            it exists (merging its rows).

    Returns:
        (dict): The report written to ``export.json``.

    Raises:
        ValueError: An unknown format, an ``imgsz`` that is not a positive multiple of 32, or a ``docs`` page that is
            missing or lacks the generated section.
    """
    fmts = [get_format(key) for key in (formats if formats is not None else [f.key for f in FORMATS])]
    if isinstance(imgsz, bool) or not isinstance(imgsz, int) or imgsz < 32 or imgsz % 32:
        raise ValueError(f"export matrix: imgsz must be a positive multiple of 32, got {imgsz!r}; pass e.g. 64")
    if docs is not None and not Path(docs).is_file():
        raise ValueError(f"export matrix: docs page {docs} not found; pass an existing page (--docs) or none")
    out_dir = run_dir(out_dir, OUT_DIR, exist_ok)
    out_dir.mkdir(parents=True, exist_ok=True)  # claimed now: a run started meanwhile picks the next one
    command = command or f"run_export_matrix(formats={[f.key for f in fmts]}, imgsz={imgsz})"
    rows, margins = [], {}
    with tempfile.TemporaryDirectory(prefix="yolo-lite-export-") as tmp, quiet_exporters():
        root = Path(work_dir or tmp)
        for name in TQDM(models, desc=f"{PREFIX} models"):
            model_dir = root / Path(name).stem
            checkpoint, image, margin = build_reference(name, model_dir, imgsz, seed)
            reference = reference_outputs(checkpoint, image, imgsz)
            margins[checkpoint.stem] = dict(
                margin=margin,
                boxes=len(reference.detections),
                perturbed_px=perturbed_shift(checkpoint, image, reference, imgsz),
            )
            for fmt in fmts:
                row = check_export(checkpoint, image, fmt, reference, model_dir, imgsz, converters)
                error = f" ({row['error']})" if row["error"] else ""
                LOGGER.info(f"{PREFIX} {row['model']} {fmt.key}: {cell(row)}{error}")
                rows.append(row)
    previous = load_report(out_dir / "export.json") or {}
    if (previous.get("imgsz"), previous.get("seed")) != (imgsz, seed):  # rows of another setting are not comparable
        previous = {}
    report = dict(
        command=command,
        updated=datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        imgsz=imgsz,
        seed=seed,
        models={**margins, **{k: v for k, v in previous.get("models", {}).items() if k not in margins}},
        rows=merge_rows(rows, previous.get("rows", [])),
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "export.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "export.md").write_text(render_markdown(report))
    if docs is not None:
        update_page(Path(docs), page_block(report, Path(os.path.relpath(out_dir / "export.md", Path(docs).parent))))
    written = f" and the matrix into {docs}" if docs is not None else ""
    LOGGER.info(f"{PREFIX} results saved to {out_dir.resolve()} (export.md, export.json){written}")
    return report
