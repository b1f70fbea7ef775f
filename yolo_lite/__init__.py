"""yolo-lite: StarNet, FasterNet and MicroNet backbones for Ultralytics YOLO11, without editing Ultralytics.

Importing this package applies the patches in :mod:`yolo_lite.patches`: at once if Ultralytics is imported, else right
after it is (the import itself loads neither torch nor Ultralytics). The ``yolo_lite-autoload.pth`` file that the
package installs applies them as well in processes that never import it (the ``yolo`` CLI, DDP workers, a fresh
interpreter loading ``best.pt``); set ``YOLO_LITE_AUTOLOAD=0`` to switch that off.

Examples:
    >>> import yolo_lite
    >>> from ultralytics import YOLO
    >>> model = YOLO("yolo11n-starnet.yaml")
"""

from . import patches

__version__ = "0.1.0"
__all__ = ["__version__", "patches"]

patches.apply()
