"""Apply yolo-lite's patches in processes that never import ``yolo_lite``: the ``yolo`` CLI, DDP workers, unpickling.

Python runs this at startup through ``yolo_lite-autoload.pth``. It imports nothing beyond ``os`` and ``sys``: it puts
a one-shot finder on ``sys.meta_path``, and when ``ultralytics.nn.tasks`` is imported, lets it load and then imports
``yolo_lite``, which applies the patches. ``YOLO_LITE_AUTOLOAD=0`` in the environment switches it off.
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
            import yolo_lite  # noqa: F401  (applies the patches)
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


if os.environ.get("YOLO_LITE_AUTOLOAD", "1") != "0" and TARGET not in sys.modules and _TasksFinder not in sys.meta_path:
    sys.meta_path.insert(0, _TasksFinder)
