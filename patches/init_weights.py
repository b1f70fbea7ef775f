"""The ``initialize_weights`` patch: Ultralytics' weight initialisation keeps the BatchNorm eps of yolo-lite backbones.

Ultralytics sets every ``nn.BatchNorm2d`` to ``eps=1e-3, momentum=0.03`` after building a model. The released ImageNet
weights were trained with the papers' ``eps=1e-5``, so the new eps would change a pretrained backbone's features.
The wrapper lets Ultralytics initialise everything, then gives each BatchNorm inside a backbone its eps back; the
momentum stays Ultralytics' (it only paces how running statistics follow training).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from torch import nn

from yolo_lite.backbones.base import Backbone

__all__ = ["wrap_initialize_weights"]


def wrap_initialize_weights(original: Callable) -> Callable:
    """Return ``initialize_weights`` that calls ``original`` and restores the eps of every backbone BatchNorm.

    Args:
        original (Callable): Ultralytics' ``initialize_weights(model)``.

    Returns:
        (Callable): The wrapper, with ``__wrapped__`` set to ``original``.
    """

    @functools.wraps(original)
    def initialize_weights(model):
        backbones = (m for m in model.modules() if isinstance(m, Backbone))
        kept = [(bn, bn.eps) for b in backbones for bn in b.modules() if isinstance(bn, nn.BatchNorm2d)]
        result = original(model)
        for bn, eps in kept:
            bn.eps = eps
        return result

    return initialize_weights
