"""Neck blocks usable as YAML modules: ``C3k2_Faster``, ``C3k2_Star`` (the papers' operators) and ``C3k2_Rep``.

A YOLO11/YOLO26 neck is a stack of ``C3k2`` blocks: a CSP split whose inner blocks are Bottlenecks (two 3x3
convolutions). The community YAMLs swap those inner blocks for the backbone family's own block, FasterNet's PConv
block (``C3k2_Faster``) or StarNet's star block (``C3k2_Star``), after editing Ultralytics' ``tasks.py``; ``C3k2_Rep``
keeps the Bottlenecks and trains their convolutions with RepVGG branches that ``fuse()`` folds away. Here a YAML
row names them as it would name ``C3k2``, with the same args::

    - [-1, 2, C3k2_Faster, [256, False]]  # as [-1, 2, C3k2, [256, False]], inner blocks FasterNet's

and yolo-lite's ``parse_model`` patch lets Ultralytics build the row as the ``C3k2`` it knows (so channels, depth
and width scaling are Ultralytics' own), then swaps the inner blocks (:meth:`~.base.FamilyC3k2.from_c3k2`).

Modules: ``base`` (:class:`~.base.FamilyC3k2`, what the blocks share), ``faster`` (``C3k2_Faster``), ``star``
(``C3k2_Star``), ``rep`` (``C3k2_Rep``). Each block is registered under its class name; a second registration of a
name is refused.

Examples:
    >>> from yolo_lite.necks import get_neck, list_necks
    >>> list_necks()
    ['C3k2_Faster', 'C3k2_Rep', 'C3k2_Star']
    >>> get_neck("C3k2_Star")(32, 64, n=1).m[0].__class__.__name__
    'Block'
"""

from __future__ import annotations

from .base import FamilyC3k2, get_neck, is_neck, list_necks, register_neck
from .faster import C3k2_Faster
from .rep import C3k2_Rep
from .star import C3k2_Star

__all__ = ["C3k2_Faster", "C3k2_Rep", "C3k2_Star", "FamilyC3k2", "get_neck", "is_neck", "list_necks", "register_neck"]
