"""Griffe extension for the docs: load the subpackages that pyproject.toml's ``package-dir`` maps into ``yolo_lite``.

``yolo_lite.patches`` lives in the repository's top-level ``patches/`` folder (setuptools maps it, see
pyproject.toml), so Griffe's static loader, which follows folders, does not find it under ``yolo_lite/``. When the
``yolo_lite`` package has loaded, this extension loads each mapped folder with Python files as that package's
submodule, so the API pages can document ``yolo_lite.patches``. mkdocs.yml names it under mkdocstrings' extensions.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import griffe

ROOT = Path(__file__).resolve().parent.parent


class PackageDir(griffe.Extension):
    """Attach the folders that ``[tool.setuptools.package-dir]`` maps to ``<package>.<name>`` as submodules."""

    def __init__(self) -> None:
        config = tomllib.loads((ROOT / "pyproject.toml").read_text())
        self.mapping = config["tool"]["setuptools"]["package-dir"]

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs) -> None:
        """Load each folder mapped into ``pkg`` (one with an ``__init__.py``) as its submodule."""
        for dotted, folder in self.mapping.items():
            parent, _, name = dotted.rpartition(".")
            init = ROOT / folder / "__init__.py"
            if parent == pkg.path and name not in pkg.members and init.is_file():
                pkg.set_member(name, loader._load_module(name, init, parent=pkg))
