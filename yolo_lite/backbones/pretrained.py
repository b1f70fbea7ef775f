"""ImageNet weights for yolo-lite backbones: what a YAML row's ``weights`` argument may be, and fetching it.

A backbone row ``[-1, 1, starnet_s1, [1, 1, weights]]`` loads ``weights`` when the row is built, so every rebuild of
the model (Ultralytics' trainer rebuilds it from the YAML) starts from them. ``weights`` is one of:

- ``True`` or ``"imagenet"``: the paper's released ImageNet weights for that variant, fetched once and cached.
  StarNet and FasterNet come through timm's pretrained configs (the ``model.safetensors`` of their ``hf_hub_id``,
  cached by the Hugging Face Hub client; a cached file is used without asking the network); MicroNet from the
  release links of the official README, cached by ``torch.hub`` in ``<torch.hub.get_dir()>/checkpoints``.
- a local file (``.pth``, ``.pth.tar``, ``.bin``, ``.safetensors``) in the official or timm layout, or a yolo-lite
  ``best.pt`` (its backbone's tensors);
- a URL (``https://``, ``file://``), downloaded once into ``torch.hub``'s cache.

Offline, a download that is not cached yet raises a ``ValueError`` naming the file and where to put it.

Examples:
    >>> from yolo_lite.backbones.pretrained import check_weights
    >>> check_weights("imagenet"), check_weights(None)
    ('imagenet', None)
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

import torch

__all__ = [
    "IMAGENET",
    "MICRONET_URL",
    "cached_file",
    "check_weights",
    "fetch_imagenet",
    "imagenet_source",
    "read_state_dict",
    "resolve",
]

IMAGENET = "imagenet"  # the documented name of the released weights; True means the same
MICRONET_URL = "http://www.svcl.ucsd.edu/projects/micronet/assets/{}.pth"  # official README, micronet-m0 ... m3
HUB_FILE = "model.safetensors"  # the weights file of timm's Hugging Face repos


def check_weights(weights: object) -> str | None:
    """Return the ``weights`` argument of a backbone row in canonical form, or raise a clear ValueError.

    Args:
        weights (object): ``None``/``False`` (random init), ``True``/``"imagenet"``, a file path or a URL.

    Returns:
        (str | None): ``None``, ``"imagenet"``, or the path/URL as a string.
    """
    if weights is None or weights is False:
        return None
    if weights is True or weights == IMAGENET:
        return IMAGENET
    if isinstance(weights, (str, Path)) and str(weights):
        return str(weights)
    raise ValueError(
        f"backbone weights must be True or 'imagenet' (the released ImageNet weights), a file path or a URL, "
        f"got {weights!r}"
    )


def imagenet_source(variant: str) -> str | None:
    """Return where the released ImageNet weights of ``variant`` (or of a timm model) come from, else None.

    MicroNet's are the official release links; everything else is timm's pretrained config: its Hugging Face repo id,
    or its URL.

    Examples:
        >>> imagenet_source("starnet_s1"), imagenet_source("micronet_m3")
        ('timm/starnet_s1.in1k', 'http://www.svcl.ucsd.edu/projects/micronet/assets/micronet-m3.pth')
        >>> imagenet_source("starnet_s050") is None  # trained in the paper, weights never released
        True
    """
    if variant.startswith("micronet_"):
        return MICRONET_URL.format(variant.replace("_", "-"))
    import timm

    if not timm.is_model(variant):
        return None
    cfg = timm.models.get_pretrained_cfg(variant)
    return (cfg.hf_hub_id or cfg.url or None) if cfg is not None else None


def _released(prefix: str) -> list[str]:
    """Return the registered variants starting with ``prefix`` that have released weights."""
    from .registry import list_backbones

    return [name for name in list_backbones() if name.startswith(prefix) and imagenet_source(name)]


def cached_file(source: str, owner: str) -> Path:
    """Return the local copy of ``source``, downloading it once: a URL into torch.hub's cache, else a Hub repo's file.

    A file already in the cache is used without asking the network, so weights fetched once keep working offline.

    Args:
        source (str): A URL (``https://``, ``file://``), or a Hugging Face repo id (``timm/starnet_s1.in1k``) whose
            ``model.safetensors`` is wanted.
        owner (str): What the weights are for, e.g. ``"starnet_s1"``; used in the error message.

    Returns:
        (Path): The cached file.

    Raises:
        ValueError: The file is not cached and cannot be downloaded; the message says where to put it.
    """
    if "://" in source:
        cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(source).path).name
        if cached.is_file():
            return cached
        cached.parent.mkdir(parents=True, exist_ok=True)
        try:
            torch.hub.download_url_to_file(source, str(cached))  # a temporary file, renamed when complete
        except Exception as e:  # no network, HTTP error: one message with the way out
            raise ValueError(
                f"could not download the weights of {owner} from {source} ({type(e).__name__}: {e}). Offline, "
                f"download it elsewhere and place it at {cached} (torch.hub's cache, set by TORCH_HOME), or pass the "
                f"file's path as the row's weights"
            ) from e
        return cached
    from huggingface_hub import hf_hub_download

    try:
        return Path(hf_hub_download(source, HUB_FILE, local_files_only=True))  # cached: no network round trip
    except FileNotFoundError:  # not cached yet (LocalEntryNotFoundError)
        pass
    try:
        return Path(hf_hub_download(source, HUB_FILE))
    except Exception as e:  # offline, or a hub error
        raise ValueError(
            f"could not fetch the weights of {owner} ({source} on the Hugging Face Hub, timm's pretrained config; "
            f"{type(e).__name__}: {e}). On a machine with network, run `python -c \"import timm; "
            f"timm.create_model('{owner}', pretrained=True)\"` to fill the cache (HF_HOME), or download "
            f"https://huggingface.co/{source}/resolve/main/{HUB_FILE} and pass its path as the row's weights"
        ) from e


def fetch_imagenet(variant: str) -> dict[str, torch.Tensor]:
    """Return the released ImageNet weights of ``variant`` as a state dict, downloading them once.

    Args:
        variant (str): A registered backbone name, e.g. ``"starnet_s1"``.

    Returns:
        (dict[str, torch.Tensor]): The checkpoint's state dict (official or timm layout, classifier included).

    Raises:
        ValueError: ``variant`` has no released weights, or they cannot be fetched (offline and not cached).
    """
    source = imagenet_source(variant)
    if source is None:
        family = variant.split("_")[0]
        raise ValueError(
            f"{variant} has no released ImageNet weights; {family} variants with weights: "
            f"{', '.join(_released(family + '_')) or 'none'}. Pick one of them or drop the weights argument"
        )
    return read_state_dict(cached_file(source, variant))


def _load_file(path: Path) -> object:
    """Read a ``torch.save`` file restricted (``weights_only``): plain tensors, or an Ultralytics checkpoint.

    A state dict loads with ``weights_only=True``. A file that references classes is read as an Ultralytics
    checkpoint (``best.pt``) with Ultralytics' restricted loader and yolo-lite's classes allowed
    (:mod:`yolo_lite.safe_load`); a class on neither list is refused. Before torch 2.6 Ultralytics' loader has no
    restricted mode and unpickles the checkpoint in full, as ``YOLO("best.pt")`` does.
    """
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        from ultralytics.nn.tasks import torch_safe_load

        from yolo_lite.safe_load import allow_checkpoint_classes

        allow_checkpoint_classes(path)
        try:
            return torch_safe_load(path, safe_only=True)[0]
        except Exception as e:  # Ultralytics raises TypeError/AssertionError for files it does not take
            raise ValueError(
                f"'{path}' is neither a state dict nor an Ultralytics checkpoint that loads restricted "
                f"({type(e).__name__}: {e}); pass a state dict file or a yolo-lite best.pt"
            ) from e


def _backbone_state_dict(model: torch.nn.Module) -> dict[str, torch.Tensor]:
    """Return the state dict of the yolo-lite backbone at layer 0 of an Ultralytics model, or raise a ValueError."""
    from .base import Backbone

    layers = getattr(model, "model", None)
    first = layers[0] if isinstance(layers, torch.nn.Sequential) and len(layers) else None
    if not isinstance(first, Backbone):
        raise ValueError(
            f"the checkpoint's {type(model).__name__} has no yolo-lite backbone at layer 0 (it has "
            f"{type(first).__name__}); pass a best.pt trained from a yolo-lite YAML, or a backbone's state dict"
        )
    return first.state_dict()


def read_state_dict(weights: str | Path | Mapping) -> dict[str, torch.Tensor]:
    """Read a backbone state dict from a checkpoint file or mapping.

    Args:
        weights (str | Path | Mapping): A ``.safetensors`` file, a ``torch.save`` file, or a mapping: a state dict,
            ``{"state_dict": ...}``/``{"model": ...}`` around one, or an Ultralytics checkpoint (``best.pt``, a
            dict whose ``"ema"`` or ``"model"`` is a model with a yolo-lite backbone at layer 0), whose backbone's
            tensors are taken. Files are read restricted (see :func:`_load_file`).

    Returns:
        (dict[str, torch.Tensor]): The state dict, ``module.`` prefixes (DataParallel) removed.

    Raises:
        ValueError: The file does not exist or holds neither a state dict nor a yolo-lite checkpoint.
    """
    if isinstance(weights, (str, Path)):
        path = Path(weights)
        if not path.is_file():
            raise ValueError(f"pretrained weights file '{path}' does not exist; pass a path, a URL or a state dict")
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            weights = load_file(path)
        else:
            weights = _load_file(path)
    if not isinstance(weights, Mapping):
        raise ValueError(f"pretrained weights must be a path or a state dict, got {type(weights).__name__}")
    model = next((weights[k] for k in ("ema", "model") if isinstance(weights.get(k), torch.nn.Module)), None)
    if model is not None:  # Ultralytics' checkpoint layout; "ema" first, as Ultralytics' own loader reads it
        return _backbone_state_dict(model)
    for key in ("state_dict", "model"):
        if isinstance(weights.get(key), Mapping):
            weights = weights[key]
            break
    return {k.removeprefix("module."): v for k, v in weights.items()}


def resolve(variant: str, weights: str) -> dict[str, torch.Tensor] | str:
    """Return the state dict (or file) that ``weights``, as :func:`check_weights` returned it, names for ``variant``."""
    if weights == IMAGENET:
        return fetch_imagenet(variant)
    return cached_file(weights, variant) if "://" in weights else weights
