"""Write the YOLO26 detection YAMLs from their design table, and every task and RT-DETR YAML from the detection ones.

The YOLO11 detection YAMLs (``cfg/yolo11{n,s,m,l,x}-<family>.yaml``) are written by hand; the YOLO26 ones
(``cfg/yolo26{n,s,m,l,x}-<family>.yaml``: a backbone row, then Ultralytics' yolo26.yaml from SPPF on, its neck's C3k2
rows optionally a yolo-lite neck block) come from :data:`YOLO26_DESIGN`. Each task YAML takes its detection twin's
backbone and neck (same rows 0-18) and Ultralytics' own head for the task (``yolo11-seg/pose/obb/cls.yaml``,
``yolo26-seg/pose/obb.yaml``), so the task files never drift from the detection ones. Run from the repository root
after changing a detection YAML or the table; the tests run ``--check``:

    python tools/make_task_cfg.py          # (re)writes cfg/yolo26{n,s,m,l,x}-<family>.yaml,
                                           # cfg/yolo11{n,s,m,l,x}-{seg,pose,obb,cls}-<family>.yaml,
                                           # cfg/yolo26{n,s,m,l,x}-{seg,pose,obb}-<family>.yaml
                                           # and cfg/rtdetr-<family>.yaml
    python tools/make_task_cfg.py --check  # exits 1 and names the files that differ from what it would write

YOLO26 has no classify twin: yolo26-cls.yaml is YOLO11-cls's network (no neck, the same Classify head), so
``yolo11<scale>-cls-<family>.yaml`` is the classifier for either.
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

# YOLO26: Ultralytics' scale constants (yolo26.yaml) and, per family and scale, the backbone row's module and args and
# the block of the neck's C3k2 rows (C3k2, or a yolo-lite neck block of yolo_lite.necks), with the reason in a line.
YOLO26_SCALES = {
    "n": "[0.50, 0.25, 1024]", "s": "[0.50, 0.50, 1024]", "m": "[0.50, 1.00, 512]", "l": "[1.00, 1.00, 512]",
    "x": "[1.00, 1.50, 512]",
}
YOLO26_DESIGN = {  # family -> scale -> (backbone module, its args, block of the neck's C3k2 rows, neck width)
    "starnet": dict(
        n=("starnet_s050", "[1, 1]", "C3k2", 1.0), s=("starnet_s2", "[1, 1]", "C3k2", 0.75),
        m=("starnet_s4", "[1, 1]", "C3k2", 1.0), l=("starnet_s4", "[1, 1]", "C3k2", 1.0),
        x=("starnet_s4", "[1, 1]", "C3k2", 1.0),
    ),
    "fasternet": dict(
        n=("fasternet_t0", "[0.5, 0.5]", "C3k2", 0.75), s=("fasternet_t1", "[0.5, 1]", "C3k2", 0.75),
        m=("fasternet_t1", "[1, 1]", "C3k2", 1.0), l=("fasternet_t2", "[1, 1]", "C3k2", 1.0),
        x=("fasternet_s", "[1, 1]", "C3k2", 1.0),
    ),
    "micronet": dict(
        n=("micronet_m3", "[0.5, 0.25]", "C3k2", 0.75), s=("micronet_m3", "[1, 1]", "C3k2", 1.0),
        m=("micronet_m3", "[1, 1]", "C3k2", 1.0), l=("micronet_m3", "[1, 1]", "C3k2", 1.0),
        x=("micronet_m3", "[1, 1]", "C3k2", 1.0),
    ),
}
NECK_CHANNELS = (256, 512, 1024)  # yolo26.yaml's P3, P4, P5 channel args, before the scale's width and the table's
_PICKED = (
    "n and s were picked with tools/try_designs.py (n-necks, n-round1, s-round1; docs/results.md, 'YOLO26 designs'): "
    "the most accurate design at n within 0.9x stock YOLO26's latency in predict() and ONNX Runtime, at s by latency "
    "alone (not trained at s); m-x keep the YOLO11 files' variant and yolo26.yaml's neck."
)
YOLO26_WHY = {  # family -> the header's paragraph on how the table was chosen
    "starnet": "n: starnet_s050 (as the YOLO11 file), s: starnet_s2 under a 0.75-wide neck, m-x: starnet_s4. "
    + _PICKED,
    "fasternet": "n: fasternet_t0 at depth 0.5, width 0.5 under a 0.75-wide neck (the most accurate n design tried), "
    "s: fasternet_t1 at depth 0.5 under a 0.75-wide neck, m: fasternet_t1, l: fasternet_t2, x: fasternet_s. "
    + _PICKED,
    "micronet": "n: micronet_m3 at depth 0.5, width 0.25 under a 0.75-wide neck (micronet_m2 ran at 1.1-1.2x stock "
    "YOLO26n's predict() latency), s-x: micronet_m3. " + _PICKED,
}
YOLO26_BODY = """\
# Parameters
nc: 80 # number of classes
end2end: True # NMS-free: the one-to-one head's top detections are the output
reg_max: 1 # DFL bins (1: boxes regressed directly, no DFL)
scales: # this file is scale '{scale}' only
  # [depth, width, max_channels]
  {scale}: {constants}

# {title} backbone
backbone:
  # [from, repeats, module, args]
  - [-1, 1, {module}, {args}] # 0-4 P1/2, P2/4, P3/8, P4/16, P5/32
  - [-1, 1, SPPF, [{p5}, 5, 3, True]] # 5
  - [-1, 2, C2PSA, [{p5}]] # 6

# YOLO26 head
head:
  - [-1, 1, nn.Upsample, [None, 2, "nearest"]] # 7
  - [[-1, 3], 1, Concat, [1]] # 8 cat backbone P4
  - [-1, 2, {neck}, [{p4}, True]] # 9

  - [-1, 1, nn.Upsample, [None, 2, "nearest"]] # 10
  - [[-1, 2], 1, Concat, [1]] # 11 cat backbone P3
  - [-1, 2, {neck}, [{p3}, True]] # 12 (P3/8-small)

  - [-1, 1, Conv, [{p3}, 3, 2]] # 13
  - [[-1, 9], 1, Concat, [1]] # 14 cat head P4
  - [-1, 2, {neck}, [{p4}, True]] # 15 (P4/16-medium)

  - [-1, 1, Conv, [{p4}, 3, 2]] # 16
  - [[-1, 6], 1, Concat, [1]] # 17 cat head P5
  - [-1, 1, C3k2, [{p5}, True, 0.5, True]] # 18 (P5/32-large)

  - [[12, 15, 18], 1, Detect, [nc]] # 19 Detect(P3, P4, P5)
"""
FAMILY_TITLES = {"starnet": "StarNet", "fasternet": "FasterNet", "micronet": "MicroNet"}

# YOLO26's task heads (yolo26-seg/pose/obb.yaml): task suffix -> (nc line(s), head row replacing Detect)
YOLO26_TASKS = {
    "seg": ("nc: 80 # number of classes", "  - [[12, 15, 18], 1, Segment26, [nc, 32, 256]] # 19 Segment26(P3, P4, P5)"),
    "pose": (
        "nc: 80 # number of classes\n"
        "kpt_shape: [17, 3] # number of keypoints, number of dims (2 for x,y or 3 for x,y,visible)",
        "  - [[12, 15, 18], 1, Pose26, [nc, kpt_shape]] # 19 Pose26(P3, P4, P5)",
    ),
    "obb": ("nc: 80 # number of classes", "  - [[12, 15, 18], 1, OBB26, [nc, 1]] # 19 OBB26(P3, P4, P5)"),
}
SLOTS = """\
# The backbone row fills layer slots 0-4 with its features at strides 2, 4, 8, 16, 32 (slot 2 = P3/8, slot 3 = P4/16,
# slot 4 = P5/32; a backbone without a stride-2 feature leaves slot 0 empty); the rows after it are numbered from 5."""

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


def _fill(text: str) -> list[str]:
    """Return ``text`` wrapped as YAML comment lines of at most 120 characters."""
    return textwrap.fill(text, width=118, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False).split(
        "\n"
    )


def yolo26_yaml(yolo11_text: str, scale: str, family: str) -> str:
    """Return ``yolo26<scale>-<family>.yaml``'s text from :data:`YOLO26_DESIGN`.

    Args:
        yolo11_text (str): The family's shipped YOLO11 detection YAML (for its header's paper lines).
        scale (str): Model scale, one of ``nslmx``.
        family (str): Backbone family tag, e.g. ``"starnet"``.

    Returns:
        (str): The YAML text.
    """
    _, paper, _, _ = _detect_parts(yolo11_text)
    module, args, neck, width = YOLO26_DESIGN[family][scale]
    name = f"yolo26{scale}-{family}.yaml"
    depth, backbone_width = (float(v) for v in args.strip("[]").split(","))
    network = "paper's network, width 1" if depth == backbone_width == 1 else f"depth {depth:g}, width {backbone_width:g}"
    p3, p4, p5 = (int(c * width) for c in NECK_CHANNELS)
    changes = ([f"{neck} neck"] if neck != "C3k2" else []) + ([f"neck width {width:g}"] if width != 1 else [])
    about = (
        "YOLO26's NMS-free, DFL-free neck and head (Ultralytics' yolo26.yaml from SPPF on) over the backbone row"
        + (f"; the neck's C3k2 rows are {neck} (yolo_lite.necks), C3k2 with the family's own block inside" if neck
           != "C3k2" else "")
        + (f"; the neck's channel args are {width:g}x yolo26.yaml's ({p3}/{p4}/{p5} for 256/512/1024, before the "
           "scale's width), which narrows the Detect head with them" if width != 1 else "")
        + ". "
        + YOLO26_WHY[family]
    )
    header = [
        f"# yolo-lite: YOLO26{scale} detection, {module} backbone ({network})"
        + "".join(f", {change}" for change in changes) + " from scratch", *paper,
        f"# Usage: YOLO(\"{name}\") or `yolo detect train model={name} ...`", "#", *_fill(about), SLOTS,
    ]
    body = YOLO26_BODY.format(
        scale=scale, constants=YOLO26_SCALES[scale], title=FAMILY_TITLES[family], module=module, args=args, neck=neck,
        p3=p3, p4=p4, p5=p5,
    )
    return "\n".join(header) + "\n\n" + body


def task_yaml(detect_text: str, scale: str, family: str, task: str, head: str = "yolo11") -> str:
    """Return the ``task`` YAML text for ``family`` at ``scale`` from the detection YAML's text.

    Args:
        detect_text (str): The shipped ``<head><scale>-<family>.yaml``.
        scale (str): Model scale, one of ``nslmx``.
        family (str): Backbone family tag, e.g. ``"starnet"``.
        task (str): Task suffix, a key of :data:`TASKS` (of :data:`YOLO26_TASKS` for YOLO26).
        head (str): ``"yolo11"`` or ``"yolo26"``: whose neck and task heads the files keep.

    Returns:
        (str): The YAML text.
    """
    title, ultralytics_task, docs, nc, head_row = TASKS[task]
    if head == "yolo26":
        nc, head_row = YOLO26_TASKS[task]
        nc += "".join(f"\n{line}" for line in re.findall(r"^(?:end2end|reg_max):.*$", detect_text, re.M))
    title_line, paper, scales, backbone_row = _detect_parts(detect_text)
    name = f"{head}{scale}-{task}-{family}.yaml"
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
            f"The backbone and neck are those of {head}{scale}-{family}.yaml (detection); the head is Ultralytics' "
            f"{head}-{task}.yaml's."
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
            yolo26_text = files[CFG / f"yolo26{scale}-{family}.yaml"] = yolo26_yaml(detect_text, scale, family)
            for task in YOLO26_TASKS:
                path = CFG / f"yolo26{scale}-{task}-{family}.yaml"
                files[path] = task_yaml(yolo26_text, scale, family, task, head="yolo26")
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
