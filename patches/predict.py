"""The ``BaseModel._predict_once`` patch: a yolo-lite backbone's feature list fills layer slots 0-4.

Ultralytics' signature changed across releases: up to 8.4.112 it is ``_predict_once(self, x, profile=False,
visualize=False, embed=None)``, 8.4.113 dropped ``visualize``. The wrapper passes whatever it is given straight
through to the original for stock models, and reads the options of a yolo-lite model by binding them to the
original's own signature, so one wrapper serves every supported release.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable

import torch

from yolo_lite.backbones.base import Backbone

from .parse_model import BACKBONE_SLOTS

__all__ = ["wrap_predict_once"]

OPTIONS = ("profile", "visualize", "embed")  # the options the wrapper implements for yolo-lite models


def _pool(x: torch.Tensor) -> torch.Tensor:
    """Flatten a feature map to one embedding vector per image, as Ultralytics' ``embed`` does."""
    return torch.nn.functional.adaptive_avg_pool2d(x, (1, 1)).flatten(1)


def _options(signature: inspect.Signature, model, x, args: tuple, kwargs: dict) -> dict:
    """Return the options of :data:`OPTIONS` that the original's ``signature`` takes, bound to the call's arguments.

    Raises:
        TypeError: An argument the signature does not take (as the original would raise), or one that yolo-lite
            does not implement, given a value other than its default.
    """
    arguments = signature.bind(model, x, *args, **kwargs).arguments
    parameters = dict(list(signature.parameters.items())[2:])  # after self and x
    given = {n: arguments.get(n, p.default) for n, p in parameters.items()}
    unsupported = [n for n, p in parameters.items() if n not in OPTIONS and given[n] is not p.default]
    if unsupported:
        raise TypeError(f"yolo-lite models do not implement the _predict_once argument(s) {unsupported}")
    return {n: value for n, value in given.items() if n in OPTIONS}


def _run(model, x: torch.Tensor, profile=False, visualize=False, embed=None):
    """Run ``model`` (layer 0 a yolo-lite backbone) as Ultralytics' ``_predict_once`` runs a stock model."""
    backbone = model.model[0]
    if visualize:
        from ultralytics.utils.plotting import feature_visualization
    dt = []
    embed = frozenset(embed) if embed else {-1}
    max_idx = max(embed)
    if profile:
        model._profile_one_layer(backbone, x, dt)
    features = backbone(x)
    features = [None] * (BACKBONE_SLOTS - len(features)) + list(features)
    y = [f if k in model.save else None for k, f in enumerate(features)]
    if visualize:
        for k, f in enumerate(features):
            if f is not None:
                feature_visualization(f, model.model[k].type, k, save_dir=visualize)
    embeddings = [_pool(features[k]) for k in sorted(embed) if 0 <= k < BACKBONE_SLOTS]
    if 0 <= max_idx < BACKBONE_SLOTS:
        return torch.unbind(torch.cat(embeddings, 1), dim=0)
    x = features[-1]
    for m in model.model[BACKBONE_SLOTS:]:
        if m.f != -1:  # input from earlier layers
            x = y[m.f] if isinstance(m.f, int) else [x if j == -1 else y[j] for j in m.f]
        if profile:
            model._profile_one_layer(m, x, dt)
        x = m(x)
        y.append(x if m.i in model.save else None)
        if visualize:
            feature_visualization(x, m.type, m.i, save_dir=visualize)
        if m.i in embed:
            embeddings.append(_pool(x))
            if m.i == max_idx:
                return torch.unbind(torch.cat(embeddings, 1), dim=0)
    return x


def wrap_predict_once(original: Callable) -> Callable:
    """Return ``_predict_once`` that runs models built on a yolo-lite backbone and calls ``original`` for the rest.

    For such a model, layer 0 is the backbone and layers 1-4 are weightless placeholders: the backbone runs once and
    its features become the outputs of slots 0-4 (a backbone without a stride-2 feature leaves slot 0 ``None``);
    every later layer runs as in Ultralytics, with ``profile``, ``embed`` and (where the release has it)
    ``visualize`` supported.

    Args:
        original (Callable): Ultralytics' ``BaseModel._predict_once(self, x, profile=False, embed=None)``, or
            ``(self, x, profile=False, visualize=False, embed=None)`` in releases that have ``visualize``.

    Returns:
        (Callable): The wrapper, with ``__wrapped__`` set to ``original``.
    """
    signature = inspect.signature(original)

    @functools.wraps(original)
    def _predict_once(self, x, *args, **kwargs):
        if not len(self.model) or not isinstance(self.model[0], Backbone):
            return original(self, x, *args, **kwargs)
        return _run(self, x, **_options(signature, self, x, args, kwargs))

    return _predict_once
