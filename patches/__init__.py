"""Import-time patches that teach Ultralytics the yolo-lite backbone rows, and take them back.

Seven Ultralytics functions are wrapped, never copied; each wrapper handles what yolo-lite owns and calls the
original for everything else, so stock models build and run exactly as without the plugin:

- ``ultralytics.nn.tasks.parse_model``: a backbone row (``[-1, 1, starnet_s1, [0.5, 0.25]]``) fills layer slots 0-4;
  bad rows get a ``ValueError`` that names the fix (:mod:`.parse_model`).
- ``ultralytics.nn.tasks.BaseModel._predict_once``: a backbone's feature list fills slots 0-4 (:mod:`.predict`).
- ``ultralytics.nn.tasks.BaseModel.fuse``: fusion also folds BatchNorm inside the backbones (:mod:`.fuse`).
- ``ultralytics.nn.tasks.yaml_model_load``: ``yolo11n-starnet.yaml`` resolves to the YAML shipped in
  ``yolo_lite.cfg`` from any working directory (:mod:`.yaml_lookup`).
- ``ultralytics.nn.tasks.initialize_weights``: backbones keep their BatchNorm eps, so pretrained features stay as
  released (:mod:`.init_weights`).
- ``ultralytics.nn.tasks.torch_safe_load``: under restricted loading (``ULTRALYTICS_SAFE_LOAD=1``) a yolo-lite
  checkpoint's own classes are allowed (:mod:`yolo_lite.safe_load`), and its model is rebuilt without fetching its
  backbone's weights again (:mod:`.checkpoint`).
- ``ultralytics.nn.tasks.BaseModel.load``: a stock checkpoint's neck and head move into a yolo-lite model, the layers
  paired by role, as ``model.load("yolo11n.pt")`` and ``train(pretrained="yolo11n.pt")`` do (:mod:`.transfer`).

:func:`apply` first checks that the installed Ultralytics and timm are releases yolo-lite supports (:mod:`.versions`);
it is idempotent and all-or-nothing, :func:`revert` puts the original objects back, both are thread-safe, and each
wrapper keeps the original as ``__wrapped__``. A module-level function is replaced wherever an Ultralytics module
imported it by name (``ultralytics.engine.model`` holds its own ``yaml_model_load``). Classes allowed for restricted
loading stay allowed after :func:`revert`, as Ultralytics' own do (torch keeps one process-wide list).

Examples:
    >>> from ultralytics.nn import tasks
    >>> from yolo_lite import patches
    >>> patches.apply()
    >>> patches.is_applied()
    True
    >>> patches.revert()
    >>> patches.is_applied()
    False
"""

from __future__ import annotations

import sys
import threading

import _yolo_lite_autoload

from .versions import check_versions

__all__ = ["apply", "is_applied", "revert"]

_lock = threading.Lock()
_patched: list[tuple[object, str, object, object]] = []  # (owner, attribute, original, wrapper), in applied order


def _targets():
    """Yield ``(owner, attribute, wrapper_factory)`` for each patch."""
    from ultralytics.nn import tasks

    from .checkpoint import wrap_torch_safe_load
    from .fuse import wrap_fuse
    from .init_weights import wrap_initialize_weights
    from .parse_model import wrap_parse_model
    from .predict import wrap_predict_once
    from .transfer import wrap_load
    from .yaml_lookup import wrap_yaml_model_load

    yield tasks, "parse_model", wrap_parse_model
    yield tasks.BaseModel, "_predict_once", wrap_predict_once
    yield tasks.BaseModel, "fuse", wrap_fuse
    yield tasks, "yaml_model_load", wrap_yaml_model_load
    yield tasks, "initialize_weights", wrap_initialize_weights
    yield tasks, "torch_safe_load", wrap_torch_safe_load
    yield tasks.BaseModel, "load", wrap_load


def _holders(owner: object, attribute: str, value: object) -> list[object]:
    """Return ``owner`` and every loaded Ultralytics module whose ``attribute`` is ``value`` (imported by name)."""
    candidates = [owner, *(m for name, m in list(sys.modules.items()) if name.startswith("ultralytics"))]
    return [m for m in dict.fromkeys(candidates) if getattr(m, attribute, None) is value]


def _restore() -> None:
    """Put the originals back wherever a wrapper is found, newest patch first.

    Modules imported after :func:`apply` bound the wrapper by name, so they are looked up now, not remembered.
    """
    while _patched:
        owner, attribute, original, wrapper = _patched.pop()
        for holder in _holders(owner, attribute, wrapper):
            setattr(holder, attribute, original)


def is_applied() -> bool:
    """Return True while the wrappers are in place (from :func:`apply` on, once Ultralytics' tasks module is loaded)."""
    return bool(_patched)


def apply() -> None:
    """Wrap Ultralytics' functions; a second call does nothing. Either every patch is applied or none is.

    When ``ultralytics.nn.tasks`` is not imported yet, the versions are checked now (from the packages' metadata) and
    the wrapping happens right after that module is first imported, by the one-shot import hook that the autoload
    uses (:mod:`_yolo_lite_autoload`). So ``import yolo_lite`` imports neither torch nor Ultralytics, and every
    Ultralytics model is still built patched.

    Raises:
        ImportError: The installed Ultralytics or timm is a release yolo-lite does not support (nothing is patched;
            the message names the supported range and the pip command, see :mod:`.versions`).
    """
    with _lock:
        if _patched:
            return
        check_versions()
        if _yolo_lite_autoload.TARGET not in sys.modules:
            _yolo_lite_autoload.install()  # applies the patches once Ultralytics' tasks module has loaded
            return
        try:
            for owner, attribute, wrap in _targets():
                original = getattr(owner, attribute)
                _patched.append((owner, attribute, original, wrap(original)))
                for holder in _holders(owner, attribute, original):
                    setattr(holder, attribute, _patched[-1][3])
        except BaseException:
            _restore()
            raise


def revert() -> None:
    """Restore the original Ultralytics objects (identity, not copies), and disarm a pending :func:`apply`."""
    with _lock:
        _yolo_lite_autoload.uninstall()
        _restore()
