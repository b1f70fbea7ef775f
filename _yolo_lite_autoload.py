"""Apply yolo-lite's patches in processes that never import ``yolo_lite``: the ``yolo`` CLI, DDP workers, unpickling.

Python runs this at startup through ``yolo_lite-autoload.pth``. It imports nothing beyond ``os`` and ``sys``: it puts
a one-shot finder on ``sys.meta_path``, and when ``ultralytics.nn.tasks`` is imported, lets it load and then applies
the patches (``yolo_lite.patches.apply()``). ``YOLO_LITE_AUTOLOAD=0`` in the environment switches it off.

``yolo_lite.patches.apply()`` arms the same finder (:func:`install`) when Ultralytics is not imported yet, so that
``import yolo_lite`` imports neither torch nor Ultralytics and the patches still come before any Ultralytics model.
"""

import os
import sys

TARGET = "ultralytics.nn.tasks"


class _PatchingLoader:
    """Delegate to the real loader; after the module has run, import yolo_lite."""

    def __init__(self, loader):
        self.loader = loader

    def __getattr__(self, name):
        return getattr(self.loader, name)

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        try:
            from yolo_lite import patches  # importing yolo_lite applies the patches unless it was imported before

            patches.apply()
        except Exception as e:  # a broken plugin must not take Ultralytics down with it
            import warnings

            warnings.warn(f"yolo-lite autoload failed, Ultralytics runs unpatched: {e!r}", RuntimeWarning)


class _TasksFinder:
    """Meta-path finder that wraps the loader of ``ultralytics.nn.tasks``, once."""

    @classmethod
    def find_spec(cls, fullname, path=None, target=None):
        if fullname != TARGET:
            return None
        sys.meta_path.remove(cls)
        for finder in sys.meta_path:
            spec = finder.find_spec(fullname, path, target) if hasattr(finder, "find_spec") else None
            if spec is not None and spec.loader is not None:
                spec.loader = _PatchingLoader(spec.loader)
                return spec
        return None


def install() -> None:
    """Arm the finder, unless ``ultralytics.nn.tasks`` is already imported or the finder is armed."""
    if TARGET not in sys.modules and _TasksFinder not in sys.meta_path:
        sys.meta_path.insert(0, _TasksFinder)


def uninstall() -> None:
    """Disarm the finder if it is armed."""
    if _TasksFinder in sys.meta_path:
        sys.meta_path.remove(_TasksFinder)


if os.environ.get("YOLO_LITE_AUTOLOAD", "1") != "0":
    install()
