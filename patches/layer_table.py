"""The layer table of a yolo-lite model: row 0 is the backbone, rows 1-4 its outputs.

Ultralytics' ``parse_model`` prints one row per layer as it builds (``verbose=True``). For a yolo-lite model it builds
the five stand-in rows of the backbone slots (``Index``, or ``ResNetLayer`` before 8.3.59) and the ``parse_model``
patch then puts the backbone in slot 0, so the printed rows 0-4 would name modules the model does not hold. While the
original runs, :func:`backbone_rows` rewrites those five rows as they are logged (the layer number and ``from``
columns stay Ultralytics'): row 0 gets the backbone's class, variant and parameter count, rows 1-4 say which of its
outputs they hold, so the params column adds up to the model's parameter count. Only rows logged by the building
thread are touched; every other line passes unchanged.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

import torch
from ultralytics.utils import LOGGER

__all__ = ["backbone_rows"]

INDEX, FROM = 3, 20  # widths of the layer number and ``from`` columns in Ultralytics' rows
OUTPUT = "(output of layer 0)"


def _row(n: int, params: int, module: str, arguments: str) -> str:
    """Format the columns after ``from`` as Ultralytics' ``parse_model`` does (a long module name keeps a space)."""
    return f"{n:>3}{params:10.0f}  {module:<44} {arguments:<30}"


def _feature(k: int, channels: int) -> str:
    """Describe slot ``k``'s feature: ``P3/8, 32 channels``, or that the backbone has none at that stride."""
    return f"P{k + 1}/{2 ** (k + 1)}, {channels} channels" if channels else f"P{k + 1}/{2 ** (k + 1)} empty"


@contextlib.contextmanager
def backbone_rows(backbone: torch.nn.Module, description: str, channels: list[int]) -> Iterator[None]:
    """Rewrite the rows of layers 0-4 that Ultralytics logs inside the block.

    Args:
        backbone (torch.nn.Module): The backbone that slot 0 will hold.
        description (str): Its variant as the YAML row built it, e.g. ``starnet_s050(depth=1, width=1)``.
        channels (list[int]): Channels of slots 0-4, 0 for an empty slot.

    Examples:
        >>> with backbone_rows(backbone, "starnet_s050(depth=1, width=1)", [32, 16, 32, 64, 128]):  # doctest: +SKIP
        ...     layers, save = parse_model(d, ch, verbose=True)
    """
    cls = type(backbone)
    params = sum(p.numel() for p in backbone.parameters())
    rows = [_row(1, params, f"{cls.__module__}.{cls.__name__}", f"{description}: {_feature(0, channels[0])}")]
    rows += [_row(1, 0, OUTPUT, _feature(k, c)) for k, c in enumerate(channels) if k]
    thread, pending = threading.get_ident(), list(range(len(rows)))

    def rewrite(record: logging.LogRecord) -> bool:
        message = record.msg
        if record.thread == thread and pending and isinstance(message, str) and message[:INDEX] == f"{pending[0]:>3}":
            record.msg, record.args = message[: INDEX + FROM] + rows[pending.pop(0)], ()
        return True

    LOGGER.addFilter(rewrite)
    try:
        yield
    finally:
        LOGGER.removeFilter(rewrite)
