"""Run yolo-lite's smoke test (``tools/version_smoke.py``) on several Ultralytics releases, each in its own process.

Each release is installed once with ``pip install --no-deps --target <cache>/ultralytics-<version>`` and put in front
of this environment with ``PYTHONPATH``, so it runs on the torch, timm and numpy installed here (no second torch).
Requirements of that release which this environment lacks entirely (scipy; pandas, seaborn and py-cpuinfo for 8.3.x)
go into the same folder, also without their dependencies; requirements present here at a version the release does
not declare are listed in the summary, not replaced (the smoke test aliases ``numpy.trapz``, which releases before
8.3.108 call and numpy 2.4 removed, and says so). ``installed`` (or the installed version) runs without installing.

Usage:
    python tools/check_versions.py                      # oldest supported, 8.3.59, 8.4.0 and the pinned release
    python tools/check_versions.py installed            # CI: the installed release only, nothing downloaded
    python tools/check_versions.py 8.3.0 8.4.100 --timm 1.0.16 --cache /tmp/yolo-lite-versions

Exits 1 if any release fails; the full log of each run is kept in ``<cache>/runs/ultralytics-<version>/smoke.log``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMOKE = Path(__file__).resolve().parent / "version_smoke.py"
INSTALLED = "installed"
# Releases between the ends whose code paths differ: 8.3.59 is the first with Ultralytics' Index module, 8.4.0 the
# first 8.4 (its _predict_once still takes visualize; later releases dropped it).
MIDDLE = ("8.3.59", "8.4.0")
TIMEOUT = 1800  # seconds one release's smoke test may take (about 1 minute on 2 CPU cores)


def supported_range(pyproject: Path = ROOT / "pyproject.toml") -> tuple[str, str]:
    """Return the ``(lowest, first unsupported)`` Ultralytics releases that pyproject.toml declares.

    Examples:
        >>> supported_range()[1]
        '9'
    """
    match = re.search(r'"ultralytics>=([\w.]+),<([\w.]+)"', pyproject.read_text())
    if not match:
        raise ValueError(f'{pyproject} declares no "ultralytics>=X,<Y" dependency')
    return match.group(1), match.group(2)


def pinned_version(constraints: Path = ROOT / "constraints.txt") -> str:
    """Return the Ultralytics release pinned in constraints.txt: the newest one tested."""
    match = re.search(r"^ultralytics==([\w.]+)$", constraints.read_text(), re.MULTILINE)
    if not match:
        raise ValueError(f"{constraints} pins no ultralytics==X")
    return match.group(1)


def default_versions() -> list[str]:
    """Return the oldest supported release, :data:`MIDDLE` and the pinned (newest tested) release."""
    return list(dict.fromkeys([supported_range()[0], *MIDDLE, pinned_version()]))


def _canonical(name: str) -> str:
    """Return a distribution name in PEP 503 normal form (``Py_CPUInfo`` -> ``py-cpuinfo``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirements(target: Path) -> tuple[list[str], list[str]]:
    """Return the unmet requirements of the distributions in ``target``: ``(missing, mismatched)``.

    ``missing`` are requirements no distribution here or in ``target`` provides (to install); ``mismatched`` describes
    those installed at a version outside the requirement's specifier (to report).
    """
    from packaging.requirements import Requirement

    installed = {}  # the first on the path wins, as for imports
    for dist in metadata.distributions(path=[str(target), *sys.path]):
        installed.setdefault(_canonical(dist.metadata["Name"]), dist.version)
    missing, mismatched = set(), set()
    for dist in metadata.distributions(path=[str(target)]):
        for line in dist.requires or []:
            req = Requirement(line)
            if req.marker and not req.marker.evaluate({"extra": ""}):
                continue
            have = installed.get(_canonical(req.name))
            if have is None:
                missing.add(str(req))
            elif not req.specifier.contains(have, prereleases=True):
                mismatched.add(f"{dist.metadata['Name']} wants {req}, ran with {have}")
    return sorted(missing), sorted(mismatched)


def _pip_target(target: Path, *packages: str) -> None:
    """``pip install --no-deps --target target packages``."""
    command = [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), *packages]
    subprocess.run(command, check=True)


def prepare(package: str, version: str, cache: Path) -> tuple[Path, list[str]]:
    """Install ``package==version`` and its missing requirements into ``cache``; return the folder and the notes.

    Args:
        package (str): ``ultralytics`` or ``timm``.
        version (str): The release to install.
        cache (Path): The folder holding one subfolder per release, reused by later runs.

    Returns:
        (tuple[Path, list[str]]): The folder to put on ``PYTHONPATH``, and the requirements this environment meets
            only at versions the release does not declare.
    """
    target = cache / f"{package}-{version}"
    if not any(target.glob(f"{package}-{version}.dist-info")):
        shutil.rmtree(target, ignore_errors=True)
        print(f"installing {package}=={version} into {target}", flush=True)
        _pip_target(target, f"{package}=={version}")
    for _ in range(5):  # requirements of requirements, as long as new ones turn up
        missing, mismatched = _requirements(target)
        if not missing:
            return target, mismatched
        print(f"installing {package} {version}'s missing requirements: {', '.join(missing)}", flush=True)
        _pip_target(target, *missing)
    raise RuntimeError(f"{target}: requirements still missing after 5 rounds: {missing}")


def run(version: str, cache: Path, timm: str | None = None) -> dict:
    """Run the smoke test against one Ultralytics release in a fresh process; return its summary row.

    Args:
        version (str): An Ultralytics release, or ``installed`` for this environment's.
        cache (Path): Where releases are installed and each run's directory and log are kept.
        timm (str | None): A timm release to run with instead of the installed one.

    Returns:
        (dict): ``version``, ``ok``, ``seconds``, ``steps`` (the smoke test's ok/FAIL lines), ``notes`` and ``log``.
    """
    paths, notes = [], []
    if version not in (INSTALLED, metadata.version("ultralytics")):
        target, mismatched = prepare("ultralytics", version, cache)
        paths.append(str(target))
        notes += mismatched
    if timm:
        target, mismatched = prepare("timm", timm, cache)
        paths.append(str(target))
        notes += mismatched
    expect = metadata.version("ultralytics") if version == INSTALLED else version
    workdir = cache / "runs" / f"ultralytics-{expect}"
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([*paths, os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)}
    print(f"--- ultralytics {expect}" + (f", timm {timm}" if timm else ""), flush=True)
    start = time.perf_counter()
    command = [sys.executable, str(SMOKE), "--expect", expect]
    with open(workdir / "smoke.log", "w") as log:
        try:
            returncode = subprocess.run(
                command, cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=TIMEOUT
            ).returncode
        except subprocess.TimeoutExpired:
            returncode = None
    text = (workdir / "smoke.log").read_text(errors="replace")
    if returncode is None:
        text += f"\nFAIL timeout: the smoke test ran longer than {TIMEOUT} s"
    steps = [line for line in text.splitlines() if line.startswith(("ok   ", "FAIL "))]
    if any("aliased to trapezoid" in step for step in steps):
        notes.append("numpy.trapz aliased to numpy.trapezoid")
    print("\n".join(steps) or text[-3000:], flush=True)
    return dict(
        version=expect,
        ok=returncode == 0,
        seconds=time.perf_counter() - start,
        steps=steps,
        notes=notes,
        log=workdir / "smoke.log",
    )


def summary(rows: list[dict], timm: str | None = None) -> str:
    """Return a markdown table of the runs."""
    timm = timm or metadata.version("timm")
    lines = [
        f"torch {metadata.version('torch')}, timm {timm}, numpy {metadata.version('numpy')}, Python "
        f"{sys.version.split()[0]}",
        "",
        "| ultralytics | result | seconds | not run | notes (requirements met only at other versions, shims) |",
        "|---|---|---:|---|---|",
    ]
    for row in rows:
        failed = [s.split()[1] for s in row["steps"] if s.startswith("FAIL")]
        skipped = [s.split()[1] for s in row["steps"] if ": not run" in s]
        result = "passed" if row["ok"] else f"FAILED ({', '.join(failed) or 'see log'}: {row['log']})"
        lines.append(
            f"| {row['version']} | {result} | {row['seconds']:.0f} | {', '.join(skipped) or '-'} | "
            f"{'; '.join(row['notes']) or '-'} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the smoke test for each requested release; return 0 if all passed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("versions", nargs="*", help=f"releases or '{INSTALLED}' (default: {default_versions()})")
    parser.add_argument("--timm", help="a timm release to run with instead of the installed one, e.g. 1.0.16")
    parser.add_argument(
        "--cache",
        type=Path,
        default=Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "yolo-lite" / "versions",
        help="where releases are installed and runs kept (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    rows = [run(version, args.cache.resolve(), args.timm) for version in args.versions or default_versions()]
    print("\n" + summary(rows, args.timm), flush=True)
    return 0 if all(row["ok"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
