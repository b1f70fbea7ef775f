"""What the family neck blocks share: a ``C3k2`` whose inner blocks are a backbone family's, and their registry."""

from __future__ import annotations

from torch import nn
from ultralytics.nn.modules.block import C3k, C3k2

from yolo_lite.backbones.fusion import fold_batchnorm

__all__ = ["FamilyC3k2", "get_neck", "is_neck", "list_necks", "register_neck"]

_NECKS: dict[str, type[FamilyC3k2]] = {}


class FamilyC3k2(C3k2):
    """Ultralytics' ``C3k2`` with a backbone family's block in place of every Bottleneck.

    The CSP structure (``cv1`` splits, each inner block refines the last half, ``cv2`` merges) is ``C3k2``'s own, so
    are its args and their meaning; only the inner blocks change:

    - ``c3k=False``: each of the ``n`` inner blocks is one family block on ``self.c`` channels;
    - ``c3k=True``: each is a ``C3k`` whose two Bottlenecks are family blocks (on its ``c / 2`` hidden channels);
    - ``attn=True`` (YOLO26's last neck row): each is the family block followed by ``C3k2``'s ``PSABlock``.

    Subclasses name the block with :meth:`block` (or, keeping the Bottlenecks, change them in ``_swap_inner_blocks``
    as ``C3k2_Rep`` does) and register themselves with :func:`register_neck`.

    Args:
        c1 (int): Input channels.
        c2 (int): Output channels.
        n (int): Number of inner blocks.
        c3k (bool): Whether each inner block is a CSP pair (``C3k``) of family blocks.
        e (float): Expansion ratio of the hidden channels.
        attn (bool): Whether each inner block ends with an attention block.
        g (int): Groups of ``C3k2``'s own convolutions (the family blocks have their own grouping).
        shortcut (bool): Shortcut of ``C3k2``'s own Bottlenecks; the family blocks always add their input.
    """

    def __init__(
        self,
        c1: int,
        c2: int,
        n: int = 1,
        c3k: bool = False,
        e: float = 0.5,
        attn: bool = False,
        g: int = 1,
        shortcut: bool = True,
    ):
        super().__init__(c1, c2, n, c3k, e, attn, g, shortcut)
        self._swap_inner_blocks()

    @classmethod
    def block(cls, dim: int) -> nn.Module:
        """Return the family's block on ``dim`` channels (input and output), the replacement of one Bottleneck."""
        raise NotImplementedError(f"{cls.__name__} must define block(dim)")

    @classmethod
    def from_c3k2(cls, module: C3k2) -> FamilyC3k2:
        """Turn a ``C3k2`` that Ultralytics built into this block, in place: same ``cv1``/``cv2``, new inner blocks.

        Args:
            module (C3k2): A ``C3k2`` as Ultralytics' ``parse_model`` built it (its attributes ``i``, ``f``, ``type``
                are kept; ``np``, the parameter count of its table, is updated).

        Returns:
            (FamilyC3k2): ``module``, now of class ``cls``.
        """
        module.__class__ = cls
        module._swap_inner_blocks()
        if hasattr(module, "np"):
            module.np = sum(p.numel() for p in module.parameters())
        return module

    def _swap_inner_blocks(self) -> None:
        """Replace every Bottleneck in ``self.m`` (directly, inside a ``C3k``, or before a ``PSABlock``)."""
        for k, inner in enumerate(self.m):
            if isinstance(inner, C3k):
                inner.m = nn.Sequential(*(self.block(b.cv2.conv.out_channels) for b in inner.m))
            elif isinstance(inner, nn.Sequential):  # attn: Bottleneck, PSABlock
                inner[0] = self.block(self.c)
            else:
                self.m[k] = self.block(self.c)

    def fuse(self) -> FamilyC3k2:
        """Fold the BatchNorms inside the family blocks into their convolutions (Ultralytics fuses ``cv1``/``cv2``).

        Returns:
            (FamilyC3k2): ``self``, fused; running it twice changes nothing.
        """
        fold_batchnorm(self.m)
        return self


def register_neck(cls: type[FamilyC3k2]) -> type[FamilyC3k2]:
    """Register a neck block under its class name (the YAML's module name); a second class of that name is refused.

    Args:
        cls (type[FamilyC3k2]): The block class.

    Returns:
        (type[FamilyC3k2]): ``cls`` unchanged, so this works as a decorator.

    Raises:
        ValueError: The name is already registered.
    """
    name = cls.__name__
    if name in _NECKS:
        raise ValueError(f"neck block '{name}' is already registered by {_NECKS[name].__module__}; pick another name")
    _NECKS[name] = cls
    return cls


def list_necks() -> list[str]:
    """Return the registered neck block names, sorted."""
    return sorted(_NECKS)


def is_neck(name: object) -> bool:
    """Return True if ``name`` is a registered neck block."""
    return isinstance(name, str) and name in _NECKS


def get_neck(name: str) -> type[FamilyC3k2]:
    """Return the neck block class registered as ``name``.

    Raises:
        ValueError: ``name`` is not registered; the message lists the names that are.
    """
    if not is_neck(name):
        raise ValueError(f"unknown neck block {name!r}. Available: {', '.join(list_necks())}")
    return _NECKS[name]
