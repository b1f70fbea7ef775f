"""Write the segment, pose, obb, classify and RT-DETR YAMLs of every shipped family from its detection YAMLs.

Each task YAML takes its detection twin's backbone (same variant per scale, same rows 0-6) and Ultralytics' own head
for the task (``yolo11-seg/pose/obb/cls.yaml``), so the task files never drift from the detection ones. Run from the
repository root after changing a detection YAML; the tests run ``--check``:

    python tools/make_task_cfg.py          # (re)writes cfg/yolo11{n,s,m,l,x}-{seg,pose,obb,cls}-<family>.yaml
                                           # and cfg/rtdetr-<family>.yaml
    python tools/make_task_cfg.py --check  # exits 1 and names the files that differ from what it would write
"""

from __future__ import annotations

import argparse
import re
import sys
import textwrap
from pathlib import Path

CFG = Path(__file__).resolve().parent.parent / "cfg"
FAMILIES = ("starnet", "fasternet", "micronet")
SCALES = "nslmx"
DETECT_ROW = "  - [[12, 15, 18], 1, Detect, [nc]] # 19 Detect(P3, P4, P5)"

# task suffix -> (title, Ultralytics task, docs page, nc line(s), head row replacing Detect)
TASKS = {
    "seg": (
        "instance segmentation", "segment", "segment", "nc: 80 # number of classes",
        "  - [[12, 15, 18], 1, Segment, [nc, 32, 256]] # 19 Segment(P3, P4, P5)",
    ),
    "pose": (
        "pose estimation", "pose", "pose",
        "nc: 1 # number of classes\n"
        "kpt_shape: [17, 3] # number of keypoints, number of dims (2 for x,y or 3 for x,y,visible)",
        "  - [[12, 15, 18], 1, Pose, [nc, kpt_shape]] # 19 Pose(P3, P4, P5)",
    ),
    "obb": (
        "oriented bounding box detection", "obb", "obb", "nc: 80 # number of classes",
        "  - [[12, 15, 18], 1, OBB, [nc, 1]] # 19 OBB(P3, P4, P5)",
    ),
    "cls": ("image classification", "classify", "classify", "nc: 1000 # number of classes", None),
}

# Classify has no neck, so a scale's classifier grows only with its backbone: each scale takes the variant whose
# model is nearest stock YOLO11-cls's parameter count (n 2.8M, s 6.7M, m 11.6M, l 14.1M, x 29.6M), the next larger
# one where that would repeat the previous scale's model (FasterNet and MicroNet have few variants).
CLASSIFY_VARIANTS = {
    "starnet": dict(n="starnet_s050", s="starnet_s1", m="starnet_s4", l="starnet_s4", x="starnet_s4"),
    "fasternet": dict(n="fasternet_t0", s="fasternet_t0", m="fasternet_t1", l="fasternet_t1", x="fasternet_t2"),
    "micronet": dict(n="micronet_m2", s="micronet_m2", m="micronet_m3", l="micronet_m3", x="micronet_m3"),
}

# RT-DETR (one scale, 'l'): each family's largest variant lighter than ResNet-50 (23.5M parameters, the backbone of
# Ultralytics' rtdetr-resnet50.yaml, whose head these files take); FasterNet-S (31M) is heavier.
RTDETR_VARIANTS = {"starnet": "starnet_s4", "fasternet": "fasternet_t2", "micronet": "micronet_m3"}
RTDETR_HEAD = """\
head:
  - [-1, 1, Conv, [256, 1, 1, None, 1, 1, False]] # 5
  - [-1, 1, AIFI, [1024, 8]] # 6
  - [-1, 1, Conv, [256, 1, 1]] # 7
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]] # 8
  - [3, 1, Conv, [256, 1, 1, None, 1, 1, False]] # 9
  - [[-2, -1], 1, Concat, [1]] # 10
  - [-1, 3, RepC3, [256]] # 11
  - [-1, 1, Conv, [256, 1, 1]] # 12
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]] # 13
  - [2, 1, Conv, [256, 1, 1, None, 1, 1, False]] # 14
  - [[-2, -1], 1, Concat, [1]] # 15 cat backbone P4
  - [-1, 3, RepC3, [256]] # 16 X3, fpn_blocks.1
  - [-1, 1, Conv, [256, 3, 2]] # 17 downsample_convs.0
  - [[-1, 12], 1, Concat, [1]] # 18 cat Y4
  - [-1, 3, RepC3, [256]] # 19 F4, pan_blocks.0
  - [-1, 1, Conv, [256, 3, 2]] # 20 downsample_convs.1
  - [[-1, 7], 1, Concat, [1]] # 21 cat Y5
  - [-1, 3, RepC3, [256]] # 22 F5, pan_blocks.1
  - [[16, 19, 22], 1, RTDETRDecoder, [nc]] # 23 RTDETRDecoder(P3, P4, P5)
"""

CLASSIFY_WHY = """\
# Classify pools the last layer, so the backbone's P5 (slot 4) feeds it through the last two layers of Ultralytics'
# yolo11-cls.yaml backbone: C3k2 [1024, True] brings P5 to C2PSA's channels (C2PSA outputs as many channels as it
# receives, so it cannot follow the backbone directly), then C2PSA and Classify as in yolo11-cls.yaml."""


def _detect_parts(text: str) -> tuple[str, list[str], str, str]:
    """Split a detection YAML into its title line, its paper lines, its scales block and its backbone rows 0-4."""
    header = text.split("\n\n# Parameters\n")[0].splitlines()
    paper = header[1 : next(i for i, line in enumerate(header) if line.startswith("# Usage:"))]
    scales = re.search(r"^scales:.*?\n(?:  .*\n)+", text, re.M).group(0)
    backbone_row = re.search(r"^  - \[-1, 1, .*# 0-4.*$", text, re.M).group(0)
    return header[0], paper, scales, backbone_row


def task_yaml(detect_text: str, scale: str, family: str, task: str) -> str:
    """Return the ``task`` YAML text for ``family`` at ``scale`` from the detection YAML's text.

    Args:
        detect_text (str): The shipped ``yolo11<scale>-<family>.yaml``.
        scale (str): Model scale, one of ``nslmx``.
        family (str): Backbone family tag, e.g. ``"starnet"``.
        task (str): Task suffix, a key of :data:`TASKS`.

    Returns:
        (str): The YAML text.
    """
    title, ultralytics_task, docs, nc, head_row = TASKS[task]
    title_line, paper, scales, backbone_row = _detect_parts(detect_text)
    name = f"yolo11{scale}-{task}-{family}.yaml"
    usage = f"# Usage: YOLO(\"{name}\") or `yolo {ultralytics_task} train model={name} ...`"
    first = title_line.replace(" detection,", f" {title},")
    if task == "cls":
        variant = CLASSIFY_VARIANTS[family][scale]
        first = re.sub(r", \w+ backbone \([^)]*\)", f", {variant} backbone (paper's network, width 1)", first)
        backbone_row = re.sub(r"- \[-1, 1, \w+, \[[^]]*\]\]", f"- [-1, 1, {variant}, [1, 1]]", backbone_row)
        per_scale = ", ".join(f"{s}: {v}" for s, v in CLASSIFY_VARIANTS[family].items())
        origin = (
            f"The backbone is the paper's network at width 1, one variant per scale ({per_scale}): the one whose model "
            f"is nearest stock YOLO11-cls's parameter count, the next larger where a scale would repeat the previous "
            f"scale's model. The head is Ultralytics' yolo11-cls.yaml's."
        )
    else:
        origin = (
            f"The backbone and neck are those of yolo11{scale}-{family}.yaml (detection); the head is Ultralytics' "
            f"yolo11-{task}.yaml's."
        )
    origin = textwrap.fill(origin, width=118, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)
    lines = [first, *paper, usage, origin, f"# Task docs: https://docs.ultralytics.com/tasks/{docs}"]
    if task == "cls":
        lines.append(CLASSIFY_WHY)
        body = f"""
backbone:
  # [from, repeats, module, args]
{backbone_row}
  - [-1, 2, C3k2, [1024, True]] # 5
  - [-1, 2, C2PSA, [1024]] # 6

head:
  - [-1, 1, Classify, [nc]] # 7 Classify
"""
    else:
        detect_body = detect_text.split("\nbackbone:\n", 1)[1]
        if DETECT_ROW not in detect_body:
            raise ValueError(f"{name}: the detection YAML's last row is not {DETECT_ROW.strip()!r}")
        body = "\nbackbone:\n" + detect_body.replace(DETECT_ROW, head_row)
    return "\n".join(lines) + f"\n\n# Parameters\n{nc}\n{scales}" + body


def rtdetr_yaml(detect_text: str, family: str) -> str:
    """Return ``rtdetr-<family>.yaml``'s text: the family's largest variant under Ultralytics' RT-DETR head.

    Args:
        detect_text (str): A shipped detection YAML of the family (for its header's paper lines).
        family (str): Backbone family tag, e.g. ``"starnet"``.

    Returns:
        (str): The YAML text.
    """
    _, paper, _, backbone_row = _detect_parts(detect_text)
    variant, name = RTDETR_VARIANTS[family], f"rtdetr-{family}.yaml"
    backbone_row = re.sub(r"- \[-1, 1, \w+,", f"- [-1, 1, {variant},", backbone_row)
    about = textwrap.fill(
        f"The backbone fills slots 0-4 (slot 2 = P3/8, 3 = P4/16, 4 = P5/32) exactly as the ResNetLayer rows of "
        f"Ultralytics' rtdetr-resnet50.yaml do, and the rest is that file's hybrid encoder and RTDETRDecoder. "
        f"{variant} (width 1) is the family's largest paper network lighter than ResNet-50 (23.5M parameters); "
        f"another variant, or [1, 1, imagenet] in row 0 for its ImageNet weights, works the same way.",
        width=118, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False,
    )
    return "\n".join([
        f"# yolo-lite: RT-DETR detection, {variant} backbone (paper's network, width 1) from scratch", *paper,
        f"# Usage: RTDETR(\"{name}\") or `yolo detect train model={name} ...` (RT-DETR from the name)",
        about, "# Model docs: https://docs.ultralytics.com/models/rtdetr",
    ]) + f"""

# Parameters
nc: 80 # number of classes
scales: # this file is scale 'l' only, as Ultralytics' RT-DETR YAMLs
  # [depth, width, max_channels]
  l: [1.00, 1.00, 1024]

backbone:
  # [from, repeats, module, args]
{backbone_row}

{RTDETR_HEAD}"""


def main() -> int:
    """Write (or with --check, compare) every task YAML; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with cfg/ instead of writing")
    check = parser.parse_args().check
    stale = []
    files = {}
    for family in FAMILIES:
        for scale in SCALES:
            detect_text = (CFG / f"yolo11{scale}-{family}.yaml").read_text()
            for task in TASKS:
                files[CFG / f"yolo11{scale}-{task}-{family}.yaml"] = task_yaml(detect_text, scale, family, task)
        files[CFG / f"rtdetr-{family}.yaml"] = rtdetr_yaml(detect_text, family)
    for path, text in files.items():
        if check:
            if not path.is_file() or path.read_text() != text:
                stale.append(path.name)
        else:
            path.write_text(text)
    if stale:
        print(f"out of date, run python tools/make_task_cfg.py: {', '.join(stale)}", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
