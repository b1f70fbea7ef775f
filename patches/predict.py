"""The ``BaseModel._predict_once`` patch: a yolo-lite backbone's feature list fills layer slots 0-4."""

from __future__ import annotations

import functools
from collections.abc import Callable

import torch

from yolo_lite.backbones.base import Backbone

from .parse_model import BACKBONE_SLOTS

__all__ = ["wrap_predict_once"]


def _pool(x: torch.Tensor) -> torch.Tensor:
    """Flatten a feature map to one embedding vector per image, as Ultralytics' ``embed`` does."""
    return torch.nn.functional.adaptive_avg_pool2d(x, (1, 1)).flatten(1)


def wrap_predict_once(original: Callable) -> Callable:
    """Return ``_predict_once`` that runs models built on a yolo-lite backbone and calls ``original`` for the rest.

    For such a model, layer 0 is the backbone and layers 1-4 are weightless ``Index`` placeholders: the backbone runs
    once and its features become the outputs of slots 0-4 (a backbone without a stride-2 feature leaves slot 0
    ``None``); every later layer runs as in Ultralytics, with ``profile`` and ``embed`` supported.

    Args:
        original (Callable): Ultralytics' ``BaseModel._predict_once(self, x, profile=False, embed=None)``.

    Returns:
        (Callable): The wrapper, with ``__wrapped__`` set to ``original``.
    """

    @functools.wraps(original)
    def _predict_once(self, x, profile=False, embed=None):
        backbone = self.model[0] if len(self.model) else None
        if not isinstance(backbone, Backbone):
            return original(self, x, profile, embed)

        dt = []
        embed = frozenset(embed) if embed else {-1}
        max_idx = max(embed)
        if profile:
            self._profile_one_layer(backbone, x, dt)
        features = backbone(x)
        features = [None] * (BACKBONE_SLOTS - len(features)) + list(features)
        y = [f if k in self.save else None for k, f in enumerate(features)]
        embeddings = [_pool(features[k]) for k in sorted(embed) if 0 <= k < BACKBONE_SLOTS]
        if 0 <= max_idx < BACKBONE_SLOTS:
            return torch.unbind(torch.cat(embeddings, 1), dim=0)
        x = features[-1]
        for m in self.model[BACKBONE_SLOTS:]:
            if m.f != -1:  # input from earlier layers
                x = y[m.f] if isinstance(m.f, int) else [x if j == -1 else y[j] for j in m.f]
            if profile:
                self._profile_one_layer(m, x, dt)
            x = m(x)
            y.append(x if m.i in self.save else None)
            if m.i in embed:
                embeddings.append(_pool(x))
                if m.i == max_idx:
                    return torch.unbind(torch.cat(embeddings, 1), dim=0)
        return x

    return _predict_once
