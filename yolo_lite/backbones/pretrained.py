"""ImageNet weights for yolo-lite backbones: what a YAML row's ``weights`` argument may be, and fetching it.

A backbone row ``[-1, 1, starnet_s1, [1, 1, weights]]`` loads ``weights`` when the row is built, so every rebuild of
the model (Ultralytics' trainer rebuilds it from the YAML) starts from them. ``weights`` is one of:

- ``True`` or ``"imagenet"``: the paper's released ImageNet weights for that variant, fetched once and cached.
  StarNet and FasterNet come through timm's pretrained configs (the ``model.safetensors`` of their ``hf_hub_id``,
  cached by the Hugging Face Hub client and checked against the SHA-256 the Hub lists; a cached file is used without
  asking the network); MicroNet from the release links of the official README (over HTTPS), cached by ``torch.hub``
  in ``<torch.hub.get_dir()>/checkpoints``.
- a local file (``.pth``, ``.pth.tar``, ``.bin``, ``.safetensors``) in the official or timm layout, or a yolo-lite
  ``best.pt`` (its backbone's tensors);
- a URL (``https://``, ``file://``), downloaded once into ``torch.hub``'s cache; ``#sha256=<hex>`` after it pins the
  file's hash.

Downloads go through :mod:`.download`: offline (``HF_HUB_OFFLINE``, ``YOLO_OFFLINE``, or the host not answering within
seconds) a file that is not cached yet raises a ``ValueError`` at once, naming the file and where to put it; what
arrives is checked (length, pinned or published SHA-256) before it is kept, and a cached file that fails its check or
does not read is removed, never loaded. The SHA-256 of the file a backbone loaded is logged and kept in the model
(``backbone.pretrained_from``, saved with every checkpoint), so a run can be traced to its weights.

Examples:
    >>> from yolo_lite.backbones.pretrained import check_weights
    >>> check_weights("imagenet"), check_weights(None)
    ('imagenet', None)
"""

from __future__ import annotations

import pickle
import re
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

import torch
from ultralytics.utils import LOGGER

from .download import WeightsUnavailable, check_file, download, offline_reason, remove_files, sha256, split_pin

__all__ = [
    "IMAGENET",
    "MICRONET_URL",
    "RECORD",
    "cached_file",
    "check_weights",
    "fetch_imagenet",
    "imagenet_file",
    "imagenet_source",
    "read_state_dict",
    "record",
    "resolve",
]

IMAGENET = "imagenet"  # the documented name of the released weights; True means the same
# The official README's release links (micronet-m0 ... m3) are http://; the host serves the same paths over HTTPS. The
# release publishes no SHA-256: each file's is taken when it arrives and checked on every later use (see .download).
MICRONET_URL = "https://www.svcl.ucsd.edu/projects/micronet/assets/{}.pth"
HUB_FILE = "model.safetensors"  # the weights file of timm's Hugging Face repos
RECORD = "pretrained_from"  # backbone attribute: the file its weights were loaded from, and that file's SHA-256
SHA256 = re.compile(r"[0-9a-f]{64}")
_LOGGED: set[tuple[str, str]] = set()  # (file, SHA-256) pairs whose record was logged


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
        ('timm/starnet_s1.in1k', 'https://www.svcl.ucsd.edu/projects/micronet/assets/micronet-m3.pth')
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


def _caches() -> list[Path]:
    """The folders whose files yolo-lite may delete when they are corrupt: torch.hub's and the Hugging Face Hub's."""
    from huggingface_hub import constants

    return [Path(torch.hub.get_dir()) / "checkpoints", Path(constants.HF_HUB_CACHE)]


def _from_url(source: str, owner: str) -> Path:
    """Return the torch.hub cache's copy of the URL ``source`` (``#sha256=`` pin allowed), downloading it once."""
    url, pin = split_pin(source)
    cached = Path(torch.hub.get_dir()) / "checkpoints" / Path(urlparse(url).path).name
    what = f"the weights of {owner} ({cached.name})"
    if not cached.is_file():
        if reason := offline_reason(url):
            raise WeightsUnavailable(
                f"cannot download {what} from {url}: offline, {reason}. Download it on a machine with network and put "
                f"it at {cached} (torch.hub's cache; TORCH_HOME moves it), or pass its path as the weights",
                url,
            )
        download(url, cached, pin, what)
    check_file(cached, pin, what, url)
    return cached


def _from_hub(repo: str, owner: str) -> Path:
    """Return the Hugging Face cache's copy of ``repo``'s ``model.safetensors``, downloading it once; check it against
    the SHA-256 the Hub lists for it (the cached blob's name)."""
    from huggingface_hub import constants, hf_hub_download

    url = f"{constants.ENDPOINT}/{repo}/resolve/main/{HUB_FILE}"
    what = f"the weights of {owner} ({repo}/{HUB_FILE})"
    try:
        path = Path(hf_hub_download(repo, HUB_FILE, local_files_only=True))  # cached: no network round trip
    except FileNotFoundError:  # not cached yet (LocalEntryNotFoundError)
        if reason := offline_reason(url):
            raise WeightsUnavailable(
                f"cannot fetch {what} from the Hugging Face Hub: offline, {reason}, and it is not in the Hub cache "
                f"({constants.HF_HUB_CACHE}). On a machine with network run `python -c \"import timm; "
                f"timm.create_model('{owner}', pretrained=True)\"` and copy its cache (HF_HOME) here, or download "
                f"{url} by hand and pass its path as the weights",
                url,
            ) from None
        try:
            path = Path(hf_hub_download(repo, HUB_FILE))
        except Exception as e:  # a hub or HTTP error
            raise WeightsUnavailable(f"could not fetch {what} ({type(e).__name__}: {e})", url) from None
    blob = path.resolve()
    published = blob.name if SHA256.fullmatch(blob.name) else None  # the Hub names LFS blobs by their SHA-256
    try:
        check_file(blob, published, what, url, expected_from="the Hub's", remember=False)
    except WeightsUnavailable:
        path.unlink(missing_ok=True)  # the snapshot's link to the removed blob
        raise
    return path


def cached_file(source: str, owner: str) -> Path:
    """Return the local copy of ``source``, downloading it once: a URL into torch.hub's cache, else a Hub repo's file.

    A file already in the cache is used without asking the network, so weights fetched once keep working offline; it
    is checked first (:func:`~yolo_lite.backbones.download.check_file`).

    Args:
        source (str): A URL (``https://``, ``file://``; ``#sha256=<hex>`` pins its hash), or a Hugging Face repo id
            (``timm/starnet_s1.in1k``) whose ``model.safetensors`` is wanted.
        owner (str): What the weights are for, e.g. ``"starnet_s1"``; used in the messages.

    Returns:
        (Path): The cached file.

    Raises:
        WeightsUnavailable: A ``ValueError``: the file is not cached and cannot be downloaded now (the message says
            where to put it), or it failed its checks and was removed.
    """
    return _from_url(source, owner) if "://" in source else _from_hub(source, owner)


def _check_released(variant: str) -> str:
    """Return where ``variant``'s released ImageNet weights come from, or raise a ValueError listing those with some."""
    source = imagenet_source(variant)
    if source is None:
        family = variant.split("_")[0]
        raise ValueError(
            f"{variant} has no released ImageNet weights; {family} variants with weights: "
            f"{', '.join(_released(family + '_')) or 'none'}. Pick one of them or drop the weights argument"
        )
    return source


def imagenet_file(variant: str) -> Path:
    """Return the file of ``variant``'s released ImageNet weights, downloading it once (:func:`cached_file`).

    Args:
        variant (str): A registered backbone name, e.g. ``"starnet_s1"``.

    Returns:
        (Path): The cached checkpoint (official or timm layout, classifier included).

    Raises:
        ValueError: ``variant`` has no released weights, or they cannot be fetched (offline and not cached).
    """
    return cached_file(_check_released(variant), variant)


def fetch_imagenet(variant: str) -> dict[str, torch.Tensor]:
    """Return the released ImageNet weights of ``variant`` as a state dict, downloading them once.

    Args:
        variant (str): A registered backbone name, e.g. ``"starnet_s1"``.

    Returns:
        (dict[str, torch.Tensor]): The checkpoint's state dict (official or timm layout, classifier included).

    Raises:
        ValueError: ``variant`` has no released weights, or they cannot be fetched (offline and not cached).
    """
    return read_state_dict(imagenet_file(variant))


def record(path: str | Path, weights: str | None = None) -> dict[str, str]:
    """Return what a backbone keeps about the file it loaded (:data:`RECORD`): the file, its SHA-256, the row's weights.

    Args:
        path (str | Path): The file the weights were read from.
        weights (str | None): The row's ``weights`` argument (``"imagenet"``, a URL, a path), if any.

    Returns:
        (dict[str, str]): ``file``, ``sha256`` and, if given, ``weights``.
    """
    entry = {"file": str(path), "sha256": sha256(path)}
    if tuple(entry.values()) not in _LOGGED:  # once per file and content in a process; the trainer rebuilds models
        _LOGGED.add(tuple(entry.values()))
        LOGGER.info(f"yolo-lite: backbone weights {path}, SHA-256 {entry['sha256']} (kept in the model as {RECORD})")
    return {**entry, "weights": weights} if weights else entry


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


def _read_file(path: Path) -> object:
    """Read a ``.safetensors`` or ``torch.save`` file (restricted, :func:`_load_file`)."""
    if path.suffix == ".safetensors":
        from safetensors.torch import load_file

        return load_file(path)
    return _load_file(path)


def _remove_cached(path: Path) -> None:
    """Remove a cached file that does not read: the file behind a Hub snapshot's link, the link, its ``.sha256``."""
    remove_files(path.resolve(), path, path.with_name(path.name + ".sha256"))
    LOGGER.warning(f"yolo-lite: removed {path}, which does not read as weights")


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
        try:
            weights = _read_file(path)
        except Exception as e:
            cached = any(path.resolve().is_relative_to(cache.resolve()) for cache in _caches())
            if not cached:
                raise
            _remove_cached(path)
            raise ValueError(
                f"{path} in the weights cache does not read ({type(e).__name__}: {e}): it is corrupt or truncated, "
                f"so it was removed. Run again to download it anew"
            ) from None
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


def resolve(variant: str, weights: str) -> Path:
    """Return the file that ``weights``, as :func:`check_weights` returned it, names for ``variant``."""
    if weights == IMAGENET:
        return imagenet_file(variant)
    return cached_file(weights, variant) if "://" in weights else Path(weights)
