"""``python -m yolo_lite.cfg [NAME ...]``: print the folder of the shipped YAMLs, or the file each model name loads."""

from __future__ import annotations

import sys

from . import CFG_DIR, yaml_file


def main(argv: list[str] | None = None) -> int:
    """Print :data:`CFG_DIR` (no names) or the file of each name; return 1 with the closest names for an unknown one."""
    names = sys.argv[1:] if argv is None else argv
    try:
        paths = [yaml_file(name) for name in names] if names else [CFG_DIR]
    except FileNotFoundError as e:
        sys.stderr.write(f"{e}\n")
        return 1
    sys.stdout.write("".join(f"{path}\n" for path in paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())
