"""Install ``yolo_lite-autoload.pth`` beside the packages, in wheels and editable installs alike.

All project metadata lives in pyproject.toml; setuptools has no declarative way to put a ``.pth`` file at the root of
site-packages, so two build commands write it.
"""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.command.editable_wheel import editable_wheel

PTH_NAME = "yolo_lite-autoload.pth"
PTH_LINE = "import _yolo_lite_autoload\n"  # site.py runs `import` lines of .pth files at interpreter start


class BuildPyWithPth(build_py):
    """Write the .pth at the root of the wheel."""

    def run(self):
        super().run()
        Path(self.build_lib, PTH_NAME).write_text(PTH_LINE)


class EditableWheelWithPth(editable_wheel):
    """Write the .pth into the editable wheel, where setuptools writes its own .pth files."""

    def _install_namespaces(self, installation_dir, pth_prefix):
        super()._install_namespaces(installation_dir, pth_prefix)
        Path(installation_dir, PTH_NAME).write_text(PTH_LINE)


setup(cmdclass={"build_py": BuildPyWithPth, "editable_wheel": EditableWheelWithPth})
