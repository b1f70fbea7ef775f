"""The documentation: the site builds with `mkdocs build --strict`, the README stays short, every Python and shell
example of the README and the docs runs (or its marker says why it cannot), and the generated tables match the YAMLs.

The example conventions are documented in docs/development.md ("Documentation"): each page's examples run in order in
a fresh folder, a `python` block in a fresh interpreter, a `bash` block as a bash script; an HTML comment right before
a block, `<!-- example: skip: REASON -->` or `<!-- example: ci-args: ARGS -->`, marks one that is not run or is run
with ARGS appended to each command.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from yolo_lite.summary import model_summary, shipped_table, summary_table

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
README_MAX_LINES = 200
RUN = ("python", "bash")  # the languages of examples; other blocks (yaml, text) are not run
MARKER = re.compile(r"^\s*<!--\s*example:\s*(?P<kind>[\w-]+)\s*:\s*(?P<text>.*?)\s*-->\s*$", re.MULTILINE)  # a line
FENCE = re.compile(r"^\s*```(?P<lang>[\w+-]*)\s*$")
RUNNABLE_ALIASES = {"py", "python3", "sh", "shell", "console", "zsh"}  # spell these python or bash, so they run


@dataclass
class Example:
    """One fenced block of a page, with the marker on the line before it (kind and text), if any."""

    page: Path
    line: int
    lang: str
    code: str
    kind: str | None = None
    text: str = ""

    def __str__(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line} ({self.lang})"


def blocks(page: Path) -> list[Example]:
    """Return every fenced block of ``page`` in order, each with the marker right before it."""
    lines = page.read_text().splitlines()
    found, i = [], 0
    while i < len(lines):
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        end = next(j for j in range(i + 1, len(lines)) if lines[j].strip() == "```")
        previous = next((lines[j] for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = MARKER.fullmatch(previous)
        code = textwrap.dedent("\n".join(lines[i + 1 : end]))
        example = Example(page, i + 1, fence["lang"], code)
        if marker:
            example.kind, example.text = marker["kind"], marker["text"]
        found.append(example)
        i = end + 1
    return found


def examples(page: Path) -> list[Example]:
    """Return the page's Python and shell examples."""
    return [block for block in blocks(page) if block.lang in RUN]


def command(example: Example) -> list[str]:
    """Return the command that runs ``example`` (its ci-args appended to every command line of a bash block)."""
    if example.lang == "python":
        return [sys.executable, "-c", example.code]
    lines = re.sub(r"\s*\\\n\s*", " ", example.code).splitlines()  # one line per command
    if example.kind == "ci-args":
        commands = [line.split(" #")[0].rstrip() for line in lines if line.strip() and line.lstrip()[0] != "#"]
        lines = [f"{line} {example.text}" for line in commands]
    return ["bash", "-e", "-o", "pipefail", "-c", "\n".join(lines)]


def test_ci_args_go_after_each_command():
    code = "# the long run\npython examples/demo.py  # 15 epochs\nyolo-lite benchmark \\\n    --scales n\n"
    example = Example(ROOT / "README.md", 1, "bash", code, kind="ci-args", text="--quick")
    assert command(example)[-1] == "python examples/demo.py --quick\nyolo-lite benchmark --scales n --quick"


def test_readme_is_short():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; move detail into docs/"


@pytest.mark.parametrize("scale, report_dir", [("n", "benchmark-accuracy-n"), ("s", "benchmark-accuracy-s")])
def test_readme_results_come_from_the_committed_run(scale, report_dir):
    """Each of the README's results tables is its accuracy report's JSON (ratios of means, the standard error of the
    per-seed ratio to YOLO26, "-" with one seed), its command printed beside it."""
    report = json.loads((ROOT / "docs" / report_dir / "benchmark.json").read_text())
    readme = (ROOT / "README.md").read_text()
    section = readme.split(f"## Results at scale {scale}", 1)[1].split("\n## ", 1)[0]
    assert f"\n{report['command']}\n" in section and f"docs/{report_dir}/" in section
    assert report["settings"]["scales"] == [scale]
    rows = {row["model"]: row for row in report["rows"]}
    yolo11, yolo26 = rows[f"yolo11{scale}"], rows[f"yolo26{scale}"]
    table = [line.strip("| ").split(" | ") for line in section.splitlines() if line.startswith("| yolo")]
    assert {cells[0].removesuffix(" (stock)") for cells in table} == set(rows)
    for model, params, latency, accuracy, vs26, vs11, se26 in table:
        row = rows[model.removesuffix(" (stock)")]
        assert params == f"{row['params'] / 1e6:.2f}"
        assert latency == f"{row['predict_vs_yolo26']:.2f} / {row['onnx_vs_yolo26']:.2f}"
        if row["map50_95"] is None:
            assert accuracy.startswith("not trained")
            continue
        assert accuracy == f"{row['map50_95']:.3f}"
        assert vs26 == f"{row['map50_95'] / yolo26['map50_95']:.2f}"
        assert vs11 == f"{row['map50_95'] / yolo11['map50_95']:.2f}"
        se = row["map50_95_vs_yolo26_se"]
        assert se26 == ("-" if se is None else f"{se:.2f}")


def test_site_builds_strict(tmp_path):
    """mkdocs.yml's strict build: a warning (a broken link or anchor, a page left out of the nav, a docstring
    mkdocstrings cannot render) fails it."""
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
    assert (tmp_path / "site" / "api" / "patches" / "index.html").is_file()  # found through package-dir
    assert "wrap_parse_model" in (tmp_path / "site" / "api" / "patches" / "index.html").read_text()


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_markers_are_well_formed(page):
    """Every marker has a reason or arguments and stands right before a Python or shell block; no runnable block
    hides under another language name."""
    for block in blocks(page):
        assert block.lang not in RUNNABLE_ALIASES, f"{block}: write ```python or ```bash so that CI runs it"
        if block.kind is None:
            continue
        assert block.lang in RUN, f"{block}: a marker stands before a {block.lang or 'plain'} block, which never runs"
        assert block.kind in {"skip", "ci-args"}, f"{block}: unknown marker {block.kind!r}; use skip or ci-args"
        assert block.text, f"{block}: the {block.kind} marker needs a reason or arguments after the colon"
        assert block.kind != "ci-args" or block.lang == "bash", f"{block}: ci-args applies to bash blocks only"
    markers = len(MARKER.findall(page.read_text()))
    assert markers == sum(block.kind is not None for block in blocks(page)), f"{page}: a marker is not before a block"


def ultralytics_settings(folder: Path) -> Path:
    """Write Ultralytics settings whose runs, datasets and weights folders lie in ``folder``; return their folder.

    Ultralytics keeps them in the user's settings, by default beside the git checkout it is installed in, so without
    this the examples' training runs would land in the repository.
    """
    from ultralytics.utils import SETTINGS

    config = folder / "ultralytics-settings"  # YOLO_CONFIG_DIR; Ultralytics reads <it>/Ultralytics/settings.json
    (config / "Ultralytics").mkdir(parents=True)
    paths = {key: str(folder / key.removesuffix("_dir")) for key in ("runs_dir", "datasets_dir", "weights_dir")}
    settings = json.dumps({**SETTINGS, **paths, "sync": False}, indent=2)
    (config / "Ultralytics" / "settings.json").write_text(settings)
    return config


RUNNABLE = [page for page in PAGES if any(block.kind != "skip" for block in examples(page))]


@pytest.mark.parametrize("page", RUNNABLE, ids=lambda page: str(page.relative_to(ROOT)))
def test_examples_run(page, tmp_path):
    """The page's examples run in order in one fresh folder, each as a user would run it."""
    for folder in ("examples", "tools"):
        (tmp_path / folder).symlink_to(ROOT / folder)
    env = {key: value for key, value in os.environ.items() if key != "PYTEST_CURRENT_TEST"}  # Ultralytics reads it
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["YOLO_CONFIG_DIR"] = str(ultralytics_settings(tmp_path))
    for example in examples(page):
        if example.kind == "skip":
            continue
        result = subprocess.run(command(example), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{example} failed:\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"


@pytest.mark.parametrize(
    "task, page", [("detect", "yaml.md"), *((task, "tasks.md") for task in ("segment", "pose", "obb", "classify"))]
)
def test_shipped_yaml_tables_match_the_yamls(task, page):
    """The tables of each task's shipped YAMLs are what `python -m yolo_lite.summary` prints for them now."""
    assert shipped_table(task) in (ROOT / "docs" / page).read_text()


def test_size_table_compares_each_model_with_its_heads_stock():
    """`python -m yolo_lite.summary`'s size table: a yolo26 model next to stock YOLO26 at its scale, a yolo11 one next
    to stock YOLO11; a task without yolo26 models has no YOLO26 row."""
    rows = [line.strip("| ").split(" | ") for line in summary_table("n", imgsz=64, task="pose").splitlines()[2:]]
    names = [row[0] for row in rows]
    assert names.index("yolo11n-pose") == 0 and names.index("yolo26n-pose") > names.index("yolo11n-pose-starnet")
    params = {name: model_summary(f"{name}.yaml", 64)["params"] for name in ("yolo26n-pose", "yolo26n-pose-starnet")}
    starnet = rows[names.index("yolo26n-pose-starnet")]
    assert starnet[4] == f"{params['yolo26n-pose-starnet'] / params['yolo26n-pose']:.2f}x"
    assert rows[names.index("yolo26n-pose")][4:] == ["1.00x", "1.00x"]
    assert "yolo26" not in summary_table("n", imgsz=64, task="classify")
