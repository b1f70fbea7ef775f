"""Any timm model as a yolo-lite backbone: the YAML row ``[-1, 1, timm, [model_name(, weights(, taps))]]``.

:class:`TimmBackbone` builds ``timm.create_model(model_name, features_only=True, out_indices=...)`` and returns the
features at strides (2,) 4, 8, 16 and 32, picked from the ``feature_info`` timm declares while building (read from a
``meta``-device build: no memory, no weights, no forward pass). Weights go through timm's own loading, which maps its
classifier layout onto the features-only model: ``True``/``"imagenet"`` for timm's default pretrained weights (Hugging
Face Hub cache), or a file path or URL (``https://``, ``file://``; cached by ``torch.hub`` under ``TORCH_HOME``); a
cached file is used without asking the network (:func:`~yolo_lite.backbones.pretrained.cached_file`).
"""

from __future__ import annotations

import contextlib
import difflib
import logging
import re
from collections.abc import Collection, Mapping
from pathlib import Path

import timm
import torch
from timm.layers import BatchNormAct2d, Conv2dSame, ConvNormAct
from timm.models import _efficientnet_blocks as eb
from timm.models import efficientnet, efficientvit_mit, ghostnet, hgnet, mobilenetv3, repghost, resnet
from timm.models._features import FeatureDictNet
from timm.utils.model import reparameterize_model
from torch import nn
from ultralytics.utils.torch_utils import fuse_conv_and_bn

from . import timm_variants  # noqa: F401  (registers the repghostnet_*_c8 names with timm)
from .base import Backbone
from .pretrained import IMAGENET, RECORD, cached_file, check_weights, imagenet_source, record

__all__ = ["TimmBackbone"]

STRIDES = (2, 4, 8, 16, 32)  # the stride-2 feature is optional
TAPS = ("timm", "last")  # where TimmBackbone's features come from
MAX_LISTED = 12  # model names listed in an error message
_PAIRS = {  # (conv, bn) attributes that a timm block's forward runs back to back
    ConvNormAct: (("conv", "bn"),),
    eb.ConvBnAct: (("conv", "bn1"),),
    eb.DepthwiseSeparableConv: (("conv_s2d", "bn_s2d"), ("conv_dw", "bn1"), ("conv_pw", "bn2")),
    eb.InvertedResidual: (("conv_s2d", "bn_s2d"), ("conv_pw", "bn1"), ("conv_dw", "bn2"), ("conv_pwl", "bn3")),
    eb.EdgeResidual: (("conv_exp", "bn1"), ("conv_pwl", "bn2")),
    mobilenetv3.MobileNetV3Features: (("conv_stem", "bn1"),),
    efficientnet.EfficientNetFeatures: (("conv_stem", "bn1"),),
    resnet.BasicBlock: (("conv1", "bn1"), ("conv2", "bn2")),
    resnet.Bottleneck: (("conv1", "bn1"), ("conv2", "bn2"), ("conv3", "bn3")),
    efficientvit_mit.ConvNormAct: (("conv", "norm"),),
    hgnet.ConvBNAct: (("conv", "bn"),),
    ghostnet.GhostBottleneck: (("conv_dw", "bn_dw"),),
    repghost.RepGhostBottleneck: (("conv_dw", "bn_dw"),),
}
_IN_PLACE = {  # activations that a timm block runs out of place on a tensor nothing else reads once reparameterized
    repghost.RepGhostModule: ("relu",),  # reads cheap_operation's fresh output (its identity branch is folded in)
}


def _fold(conv: nn.Module | None, bn: nn.Module | None) -> nn.Module | None:
    """Fold ``bn`` into ``conv`` in place; return what replaces ``bn`` (its act, drop), or None where unsafe.

    Exact types only (a ``StdConv2d`` would undo the folded scale); hooked modules (timm's feature hooks) stay.
    """
    if type(conv) not in (nn.Conv2d, Conv2dSame) or type(bn) not in (nn.BatchNorm2d, BatchNormAct2d):
        return None
    if bn.running_var is None or conv._forward_hooks or bn._forward_hooks or bn._forward_pre_hooks:
        return None
    fuse_conv_and_bn(conv, bn)
    rest = [m for m in (getattr(bn, "drop", None), getattr(bn, "act", None)) if m is not None]
    return nn.Sequential(*rest) if any(not isinstance(m, nn.Identity) for m in rest) else nn.Identity()


def _similar(name: str, pretrained: bool = False) -> str:
    """List timm models (with pretrained weights if ``pretrained``) named like ``name``, the closest first."""
    family = re.split(r"[_.\-]", name)[0]
    names = timm.list_pretrained(f"{family}*") if pretrained else timm.list_models(f"*{family}*") if family else []
    names = names or difflib.get_close_matches(name, timm.list_models(), n=MAX_LISTED, cutoff=0.6)
    names = sorted(names, key=lambda m: -difflib.SequenceMatcher(None, name, m).ratio())
    more = f" ... ({len(names) - MAX_LISTED} more)" if len(names) > MAX_LISTED else ""
    return (", ".join(names[:MAX_LISTED]) or "none") + more


def _out_indices(name: str) -> tuple[int, ...]:
    """Return the index of the last (deepest) feature at each of ``STRIDES``, read from a meta-device build."""
    if not timm.is_model(name):
        raise ValueError(f"unknown timm model {name!r}; similar names: {_similar(name)} (see timm.list_models())")
    try:
        with torch.device("meta"):
            info = getattr(timm.create_model(name), "feature_info", None)
    except Exception:  # a constructor that needs real tensors: build on the CPU, once, without weights
        info = getattr(timm.create_model(name), "feature_info", None)
    info = getattr(info, "info", info)  # a FeatureInfo or a list of dicts
    if not info:
        raise ValueError(f"timm model {name!r} does not support features_only=True (it declares no feature_info)")
    last = {d["reduction"]: i for i, d in enumerate(info) if d["reduction"] in STRIDES and d.get("module")}
    if lacking := [s for s in STRIDES[1:] if s not in last]:
        raise ValueError(
            f"timm model {name!r} has features at strides {sorted({d['reduction'] for d in info})} only, none at "
            f"{lacking}: yolo-lite needs strides 4, 8, 16 and 32 (and takes 2 where there is one). Plain ViTs keep "
            f"one stride; pick a hierarchical model, e.g. mobilenetv4_conv_small, efficientvit_b0 or resnet18"
        )
    return tuple(last[s] for s in STRIDES if s in last)


def _tap_stage_ends(model: FeatureDictNet) -> None:
    """Move each feature but the deepest to the last module that still runs at its stride, in place.

    timm taps GhostNet's and RepGhostNet's features right after each strided block, before the blocks that run at
    that stride (RepGhostNet's stride-16 feature has one of the six blocks at stride 16 behind it). The modules between
    two features run anyway (the deeper feature needs them), so returning the last one of each stride costs no compute.
    Strides and channels come from a forward pass of a small input; a module that changes the stride ends the search.
    """
    nhwc = getattr(model, "output_fmt", "NCHW") == "NHWC"
    names, shapes = list(model.keys()), {}

    def record(name: str, output: torch.Tensor) -> None:
        shapes[name] = (output.shape[1:3], output.shape[3]) if nhwc else (output.shape[2:], output.shape[1])

    hooks = [module.register_forward_hook(lambda m, i, o, n=name: record(n, o)) for name, module in model.items()]
    training = model.training
    try:
        with torch.no_grad():
            model.eval()(torch.zeros(1, 3, 64, 64))  # eval: BatchNorm statistics stay as built or loaded
    finally:
        model.train(training)
        for hook in hooks:
            hook.remove()
    taps = sorted(model.return_layers, key=names.index)
    for tap, deeper in zip(taps, taps[1:]):
        end = tap
        for name in names[names.index(tap) + 1 : names.index(deeper)]:
            if name not in shapes or shapes[name][0] != shapes[tap][0]:
                break
            end = name
        out_id = model.return_layers.pop(tap)
        model.return_layers[end] = out_id
        model.feature_info.info[model.feature_info.out_indices[int(out_id)]].update(module=end, num_chs=shapes[end][1])


def _source(name: str, weights: str) -> str | None:
    """Return where ``weights`` come from: the file or URL given, else timm's default Hub repo or URL (None: none)."""
    return imagenet_source(name) if weights == IMAGENET else weights


@contextlib.contextmanager
def _missing_keys():
    """Collect the keys timm's loader reports missing: it loads features-only models non-strictly and only logs."""
    logger, missing = logging.getLogger("timm.models._builder"), []
    shown, level = logger.getEffectiveLevel(), logger.level

    def collect(record: logging.LogRecord) -> bool:
        if found := re.match(r"Missing keys \((.*)\) discovered", record.getMessage()):
            missing.extend(found.group(1).split(", "))
        return record.levelno >= shown and not record.getMessage().startswith("Unexpected keys")

    logger.addFilter(collect)  # "Unexpected keys" (the unused classifier) are dropped too
    logger.setLevel(min(shown, logging.INFO))
    try:
        yield missing
    finally:
        logger.setLevel(level)
        logger.removeFilter(collect)


class TimmBackbone(Backbone):
    """The features of a timm model at strides (2,) 4, 8, 16 and 32, as a yolo-lite backbone.

    Args:
        model_name (str): A timm model that declares features at strides 4, 8, 16 and 32, optionally with a
            pretrained tag (``mobilenetv4_conv_small.e2400_r224_in1k``). A stride-2 feature comes first where the
            model has one; of several features at one stride the last is taken.
        weights (bool | str | Path | None): None/False for random init, True or ``"imagenet"`` for timm's default
            pretrained weights, or a checkpoint of ``model_name`` in timm's (classifier) layout: a file path or URL.
        taps (str): Where the features come from: ``"timm"``, the modules timm's ``feature_info`` names; ``"last"``,
            the last module at each stride instead (the deepest feature stays). They differ where timm taps a
            feature right after a strided block (GhostNet, RepGhostNet): ``"last"`` returns the stage's end, at no
            extra compute.

    Raises:
        ValueError: Unknown name, strides missing, no ``features_only``, or weights that cannot be fetched or do
            not fit; the message names what exists (similar names, strides offered, the file) and the fix.

    Examples:
        >>> backbone = TimmBackbone("mobilenetv4_conv_small")
        >>> backbone.strides, backbone.width_list
        ([2, 4, 8, 16, 32], [32, 32, 64, 96, 960])
    """

    def __init__(self, model_name: str, weights: bool | str | Path | None = None, taps: str = "timm"):
        super().__init__()
        if taps not in TAPS:
            raise ValueError(f"timm backbone taps must be one of {', '.join(TAPS)}, got {taps!r}")
        weights = check_weights(weights)
        kwargs = dict(features_only=True, out_indices=_out_indices(model_name), pretrained=bool(weights))
        if weights and not _source(model_name, weights):
            raise ValueError(
                f"timm has no pretrained weights for {model_name}; these of its family have: "
                f"{_similar(model_name, pretrained=True)}. Pick one, pass a checkpoint file, or drop the weights"
            )
        if weights:  # timm loads a local file: released weights and URLs come from the caches (cached_file)
            local = weights != IMAGENET and "://" not in weights
            path = Path(weights).expanduser() if local else cached_file(_source(model_name, weights), model_name)
            if not path.is_file():
                raise ValueError(f"weights file '{weights}' for timm model {model_name} does not exist")
            kwargs["pretrained_cfg_overlay"] = dict(file=str(path), source=None)
        try:
            with _missing_keys() as missing:
                model = timm.create_model(model_name, **kwargs)
        except Exception as e:
            if not weights:
                raise ValueError(f"timm model {model_name!r} does not support features_only=True: {e}") from e
            raise ValueError(
                f"could not load the weights of timm model {model_name} from {_source(model_name, weights)} "
                f"({type(e).__name__}: {e}). Download it on a machine with network (a checkpoint in timm's layout) "
                f"and pass its path as the weights argument: [-1, 1, timm, [{model_name}, /path/to/file]]"
            ) from e
        ours = {k.replace("_", ".").removeprefix("model.") for k in model.state_dict()}  # stages.0 -> stages_0
        if unloaded := [k for k in missing if k.replace("_", ".") in ours]:  # of the backbone, not the head
            raise ValueError(
                f"weights {_source(model_name, weights)} do not fit timm model {model_name}: {len(unloaded)} of its "
                f"tensors are not in them, e.g. {unloaded[:4]}. Pass a checkpoint of {model_name} in timm's layout "
                f"(timm.create_model(name).state_dict()); TimmBackbone's own state_dict() goes to load_pretrained"
            )
        if weights:
            setattr(self, RECORD, record(path, weights))
        if taps == "last":
            if not isinstance(model, FeatureDictNet):
                raise ValueError(
                    f"timm model {model_name!r} picks its feature modules itself ({type(model).__name__}), so "
                    f"taps='last' does not apply to it; drop the argument"
                )
            _tap_stage_ends(model)
        self.model_name, self.model, self.taps = model_name, model, taps
        self.nhwc = getattr(model, "output_fmt", "NCHW") == "NHWC"  # e.g. Swin, MambaOut; forward permutes
        info = model.feature_info
        self.feature_info = [
            dict(num_chs=c, reduction=r, module=f"model.{m}")
            for c, r, m in zip(info.channels(), info.reduction(), info.module_name())
        ]

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """Return the features at strides (2,) 4, 8, 16, 32, channels first."""
        features = list(self.model(x))
        return [f.permute(0, 3, 1, 2) for f in features] if self.nhwc else features

    def fuse(self, unread: Collection[int] = ()) -> TimmBackbone:
        """Re-parameterize, then fold BatchNorm into the conv before it, for inference; outputs stay allclose.

        timm's :func:`~timm.utils.model.reparameterize_model` first (RepViT, FastViT, MobileOne, ...), then each BN
        run right after a conv: in the blocks of ``_PAIRS`` and between neighbours of an ``nn.Sequential`` or the
        features wrapper (unless the conv's output is a returned feature that is read). ``BatchNormAct2d`` keeps its
        activation, which the base class's Sequential pass would drop, so that is not used. The activations of
        ``_IN_PLACE`` then run in place (RepGhostNet's, on a fresh conv output once reparameterized). A second call
        changes nothing.

        Args:
            unread (Collection[int]): Strides of the features no layer reads. timm returns some stems' raw conv
                output as the stride-2 feature (RepGhostNet, GhostNet); when that feature is unread (as in every
                shipped YAML) the BatchNorm after it folds into the conv too, and the feature then holds other
                values (RepGhostNet's: the stem's activations, as its in-place ReLU now runs on that tensor).

        Returns:
            (TimmBackbone): ``self``, fused.
        """
        if getattr(self, "fused", False):  # some of timm's reparameterize() fail when called twice (FastViT)
            return self
        reparameterize_model(self.model, inplace=True)
        info = self.model.feature_info
        foldable = {m.replace(".", "_") for m, r in zip(info.module_name(), info.reduction()) if r in unread}
        for module in list(self.modules()):
            pairs = list(_PAIRS.get(type(module), ()))
            if isinstance(module, (nn.Sequential, FeatureDictNet)):
                names, taken = list(module._modules), set(getattr(module, "return_layers", {})) - foldable
                pairs += [(a, b) for a, b in zip(names, names[1:]) if a not in taken]
            for conv_name, bn_name in pairs:
                conv = getattr(module, conv_name, None)
                while isinstance(conv, nn.Sequential) and len(conv):  # a deep stem's last conv (ResNet-D)
                    conv = conv[-1]
                if (replacement := _fold(conv, getattr(module, bn_name, None))) is not None:
                    setattr(module, bn_name, replacement)
            for name in _IN_PLACE.get(type(module), ()):
                if isinstance(act := getattr(module, name, None), nn.ReLU):
                    act.inplace = True  # saves allocating (and page-faulting) a tensor per call
        self.fused = True
        return self

    def checkpoint_filter(self, state_dict: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Accept timm's features-only layout with or without this module's ``model.`` prefix."""
        own = self.state_dict()
        return {k if k in own or f"model.{k}" not in own else f"model.{k}": v for k, v in state_dict.items()}

    def load_pretrained(self, weights: str | Path | Mapping, strict: bool = True) -> TimmBackbone:
        """Load weights in timm's features-only layout (this module's ``state_dict()``, ``model.`` prefix optional)."""
        try:
            return super().load_pretrained(weights, strict)
        except ValueError as e:
            raise ValueError(
                f"{e}. TimmBackbone.load_pretrained takes timm's features-only layout; for a checkpoint in timm's "
                f"classifier layout build TimmBackbone({self.model_name!r}, weights=path) instead"
            ) from e
