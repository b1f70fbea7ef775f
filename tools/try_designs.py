"""Try model designs against stock YOLO11 and YOLO26 with the benchmark: a backbone row, a neck block, a neck width.

    python tools/try_designs.py --list                       # the named sets and their designs
    python tools/try_designs.py n-necks --no-accuracy        # latency of a set on every CPU path
    python tools/try_designs.py n-necks --epochs 30 --seeds 3 --out runs/designs-n-necks

A design is a YOLO11 or YOLO26 model (Ultralytics' ``yolo11.yaml``/``yolo26.yaml`` from SPPF on, re-indexed after the
backbone row, as the shipped YAMLs are) with one backbone row, one block for the neck's ``C3k2`` rows (``C3k2``, or a
yolo-lite neck block: ``C3k2_Faster``, ``C3k2_Star``) and one multiplier of the neck's channel args (1 keeps
Ultralytics' 256/512/1024 before the scale's width; 0.75 narrows them to 192/384/768), with or without the attention at
P5 (C2PSA, and YOLO26's last C3k2 with attention); a YOLO26 design may also drop the head's NMS-free branch (``end2end:
False``), train the whole head section with RepVGG branches (``rep_branches: True``) or give the neck rows one
Bottleneck each instead of a ``C3k`` (``c3k=False``). Each design of the chosen sets
is written to ``--out/designs/<head><scale>-<name>.yaml`` and handed to ``yolo-lite benchmark`` as a YAML path, with
stock YOLO11 and YOLO26 as references (``reference="yolo26"``): the numbers are the benchmark's own, timed and trained
exactly as the shipped models are. :data:`SETS` is the record of what was tried for the shipped YAMLs (docs/results.md
gives the numbers and the commands); shipping a design means writing it into ``tools/make_task_cfg.py``'s table.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
HEADS = ("yolo11", "yolo26")
SCALE_CONSTANTS = {"n": [0.5, 0.25, 1024], "s": [0.5, 0.5, 1024]}  # yolo11.yaml's and yolo26.yaml's alike


@dataclass(frozen=True)
class Design:
    """One model to try: ``<head><scale>-<name>.yaml``.

    Attributes:
        name (str): Short name, unique within the sets (``s050-star`` ...).
        module (str): The backbone row's module, e.g. ``starnet_s050`` or ``timm``.
        args (list): The backbone row's args, e.g. ``[1, 1]`` or ``["mobilenetv4_conv_small_050"]``.
        neck (str): Block of the neck's ``C3k2`` rows (YOLO26's last row, ``C3k2`` with attention, stays ``C3k2``
            while it keeps the attention).
        width (float): Multiplier of the neck rows' channel args (Conv, C3k2, SPPF, C2PSA).
        head (str): ``"yolo11"`` or ``"yolo26"``.
        scale (str): ``"n"`` or ``"s"``.
        attention (bool): Keep the attention at P5: ``C2PSA`` after SPPF (and YOLO26's last ``C3k2`` with attention).
            False puts an ``nn.Identity`` row in C2PSA's place, so the rows keep their numbers, and makes that
            ``C3k2`` plain.
        end2end (bool): YOLO26's NMS-free head (its ``end2end``); False keeps YOLO26's DFL-free head but trains and
            runs its one-to-many branch, with NMS, as YOLO11's does.
        rep_branches (bool): Train every 3x3 convolution of the head section (the neck's ``Conv`` rows and the
            ``Detect`` head as well as its ``C3k2`` rows) with RepVGG branches (the model dict's ``rep_branches``).
        c3k (bool | None): The neck's ``C3k2`` rows' ``c3k`` arg (inner ``C3k`` blocks of two Bottlenecks, or one
            Bottleneck each); None keeps the head's own (YOLO26: True, YOLO11: False).
        activation (str | None): The model dict's ``activation`` (every ``Conv`` after the backbone row, e.g.
            ``"nn.ReLU()"``); None keeps Ultralytics' SiLU.
    """

    name: str
    module: str
    args: tuple
    neck: str = "C3k2"
    width: float = 1.0
    head: str = "yolo26"
    scale: str = "n"
    attention: bool = True
    end2end: bool = True
    rep_branches: bool = False
    c3k: bool | None = None
    activation: str | None = None

    @property
    def file_name(self) -> str:
        """The YAML's file name; Ultralytics reads the scale from it."""
        return f"{self.head}{self.scale}-{self.name}.yaml"

    def model_dict(self) -> dict:
        """Return the model dict: the backbone row, SPPF and C2PSA, then the head's neck and Detect rows."""
        p3, p4, p5 = (int(c * self.width) for c in (256, 512, 1024))
        yolo26 = self.head == "yolo26"
        c3k = yolo26 if self.c3k is None else self.c3k
        backbone = [
            [-1, 1, self.module, list(self.args)],
            [-1, 1, "SPPF", [p5, 5, 3, True] if yolo26 else [p5, 5]],
            [-1, 2, "C2PSA", [p5]] if self.attention else [-1, 1, "nn.Identity", []],
        ]
        head = [
            [-1, 1, "nn.Upsample", [None, 2, "nearest"]],
            [[-1, 3], 1, "Concat", [1]],
            [-1, 2, self.neck, [p4, c3k]],  # 9
            [-1, 1, "nn.Upsample", [None, 2, "nearest"]],
            [[-1, 2], 1, "Concat", [1]],
            [-1, 2, self.neck, [p3, c3k]],  # 12 (P3/8)
            [-1, 1, "Conv", [p3, 3, 2]],
            [[-1, 9], 1, "Concat", [1]],
            [-1, 2, self.neck, [p4, c3k]],  # 15 (P4/16)
            [-1, 1, "Conv", [p4, 3, 2]],
            [[-1, 6], 1, "Concat", [1]],
            [-1, 1, "C3k2" if self.attention else self.neck, [p5, c3k, 0.5, self.attention]]
            if yolo26
            else [-1, 2, self.neck, [p5, True]],  # 18 (P5)
            [[12, 15, 18], 1, "Detect", ["nc"]],
        ]
        d = {"nc": 80}
        if yolo26:
            d.update(end2end=self.end2end, reg_max=1)
        if self.rep_branches:
            d["rep_branches"] = True
        if self.activation:
            d["activation"] = self.activation
        d.update(scales={self.scale: SCALE_CONSTANTS[self.scale]}, backbone=backbone, head=head)
        return d


def _designs(
    scale: str,
    head: str,
    rows: dict[str, tuple[str, tuple]],
    necks=("C3k2",),
    widths=(1.0,),
    attention=True,
    end2end=True,
    rep_branches=False,
    c3k=None,
    activation=None,
):
    """Every combination of backbone rows, neck blocks and widths, named ``<row>-<neck>-w<width>`` (``-noattn``,
    ``-nms`` without ``end2end``, ``-rb`` for ``rep_branches``, ``-nc3k`` for ``c3k=False``, ``-relu`` for
    ``activation="nn.ReLU()"``)."""
    acts = {None: "", "nn.ReLU()": "-relu"}
    if activation not in acts:
        raise ValueError(f"activation {activation!r} has no design-name suffix; use one of {list(acts)}")
    short = {"C3k2": "c3k2", "C3k2_Faster": "faster", "C3k2_Star": "star", "C3k2_Rep": "rep"}
    suffix = (
        ("" if attention else "-noattn")
        + ("" if end2end else "-nms")
        + ("-rb" if rep_branches else "")
        + ("-nc3k" if c3k is False else "")
        + acts[activation]
    )
    return [
        Design(
            f"{row}-{short[neck]}-w{int(width * 100)}{suffix}",
            module,
            args,
            neck,
            width,
            head,
            scale,
            attention,
            end2end,
            rep_branches,
            c3k,
            activation,
        )
        for row, (module, args) in rows.items()
        for neck in necks
        for width in widths
    ]


def _pick(rows: dict[str, tuple[str, tuple]], *names: str) -> dict[str, tuple[str, tuple]]:
    """The named rows of a table of backbone rows, in the order given."""
    return {name: rows[name] for name in names}


N_ROWS = {  # backbone rows tried at n: the papers' small networks, at and below width 1
    "s050": ("starnet_s050", (1, 1)),
    "s1q": ("starnet_s1", (0.5, 0.25)),
    "s1h": ("starnet_s1", (0.5, 0.5)),
    "t0": ("fasternet_t0", (0.5, 0.75)),
    "t0h": ("fasternet_t0", (0.5, 0.5)),
    "m3": ("micronet_m3", (0.5, 0.25)),
    "m2": ("micronet_m2", (1, 1)),
}
N_WIDE_ROWS = {  # rows nearer YOLO26n's backbone widths (P3/P4/P5 128/128/256): the light rows above are far narrower
    "t0f": ("fasternet_t0", (1, 1)),
    "t0d": ("fasternet_t0", (0.5, 1)),
    "s1f": ("starnet_s1", (1, 1)),
    "s2f": ("starnet_s2", (1, 1)),
}
N_IMAGENET_ROWS = {  # timm networks with released ImageNet weights, lighter than the families' smallest released ones
    "lcnet050": ("timm", ("lcnet_050",)),
    "lcnet075": ("timm", ("lcnet_075",)),
    "lcnet100": ("timm", ("lcnet_100",)),
    "mnv4s050": ("timm", ("mobilenetv4_conv_small_050",)),
    "mnv4s": ("timm", ("mobilenetv4_conv_small",)),
    "mnv3s075": ("timm", ("mobilenetv3_small_075",)),
    "mnv3s100": ("timm", ("mobilenetv3_small_100",)),
    "repghost050": ("timm", ("repghostnet_050",)),
    "repghost058": ("timm", ("repghostnet_058",)),
    "repghost080": ("timm", ("repghostnet_080",)),
    "tinynete": ("timm", ("tinynet_e",)),
}
N_TAPS_ROWS = {  # RepGhostNet with the timm row's taps="last" (stage ends), and in multiples of 8 (no ImageNet weights)
    "repghost050last": ("timm", ("repghostnet_050", False, "last")),
    "repghost058last": ("timm", ("repghostnet_058", False, "last")),
    "repghost080last": ("timm", ("repghostnet_080", False, "last")),
    "repghost058c8": ("timm", ("repghostnet_058_c8",)),
    "repghost058c8last": ("timm", ("repghostnet_058_c8", False, "last")),
    "repghost080c8last": ("timm", ("repghostnet_080_c8", False, "last")),
    "repghost066c8": ("timm", ("repghostnet_066_c8",)),
}
N_ROUND1 = [  # the fastest designs of n-necks on predict() and ONNX Runtime, and what each change buys
    Design("s050-c3k2-w75", "starnet_s050", (1, 1), width=0.75),
    Design("s050-c3k2-w100", "starnet_s050", (1, 1)),
    Design("s050-faster-w75", "starnet_s050", (1, 1), "C3k2_Faster", 0.75),
    Design("s1q-c3k2-w75", "starnet_s1", (0.5, 0.25), width=0.75),
    Design("t0h-c3k2-w75", "fasternet_t0", (0.5, 0.5), width=0.75),
    Design("t0-c3k2-w75", "fasternet_t0", (0.5, 0.75), width=0.75),
    Design("m3-c3k2-w75", "micronet_m3", (0.5, 0.25), width=0.75),
]
N_ROUND2 = [  # timm's mobile networks from scratch, under YOLO26's head (and one under YOLO11's), next to the papers'
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "lcnet050", "lcnet075", "mnv4s050", "mnv3s075", "repghost080")),
    *_designs("n", "yolo11", _pick(N_IMAGENET_ROWS, "lcnet050")),
]
N_ROUND3 = [  # the most accurate of n-round2 (RepGhostNet, PP-LCNet, MobileNetV4), lighter and under a 0.75x neck
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost050"), ("C3k2",), (1.0, 0.75)),
    *_designs(
        "n",
        "yolo26",
        _pick(N_IMAGENET_ROWS, "repghost058", "repghost080", "lcnet075", "mnv4s050"),
        widths=(0.75,),
    ),
]
N_ROUND4 = [  # RepGhostNet with in-place activations once fused: narrower necks and the light neck blocks
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost050", "repghost058"), widths=(0.75,)),
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost058", "repghost080"), widths=(0.625, 0.5)),
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost058"), ("C3k2_Faster", "C3k2_Star"), (0.75,)),
]
N_ROUND5 = [  # n-round4's most accurate fast design without the attention at P5, and RepGhostNet x0.8 likewise
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost058"), widths=(0.625, 0.75), attention=False),
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost080"), widths=(0.625,), attention=False),
]
N_ROUND6 = [  # the shipped n network with RepVGG branches in the neck's Bottlenecks (fused away: same latency)
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost058"), ("C3k2_Rep",), (0.75,), attention=False),
]
N_ROUND7 = [  # n-round6's network with RepVGG branches in the neck's downsampling Convs and in the Detect head too
    *_designs(
        "n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost058"), ("C3k2",), (0.75,), attention=False, rep_branches=True
    ),
]
N_ROUND8 = [  # RepGhostNet under YOLO11's neck and head (DFL, NMS), which trains faster from scratch than YOLO26's
    *_designs(
        "n",
        "yolo11",
        _pick(N_IMAGENET_ROWS, "repghost050", "repghost058"),
        ("C3k2_Rep",),
        (0.5, 0.625, 0.75),
        attention=False,
    ),
]
N_ROUND9 = [  # the shipped n network with YOLO26's head trained and run one-to-many, with NMS, as YOLO11's head is
    *_designs(
        "n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost058"), ("C3k2_Rep",), (0.75,), attention=False, end2end=False
    ),
]
NMS = {"attention": False, "end2end": False}  # n-round9's head: no attention at P5, one-to-many with NMS
N_ROUND10 = [  # the -nms network (n-round9): wider necks, lighter neck rows, stage-end taps, channels in multiples of 8
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost058"), ("C3k2_Rep",), (0.75, 0.875), **NMS),
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost058"), ("C3k2_Rep",), (0.875, 1.0), **NMS, c3k=False),
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost050"), ("C3k2_Rep",), (0.875, 1.0), **NMS),
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost050"), ("C3k2_Rep",), (1.0,), **NMS, c3k=False),
    *_designs("n", "yolo26", _pick(N_IMAGENET_ROWS, "repghost080"), ("C3k2_Rep",), (0.625,), **NMS),
    *_designs("n", "yolo26", _pick(N_TAPS_ROWS, "repghost058last", "repghost050last"), ("C3k2_Rep",), (0.75,), **NMS),
    *_designs("n", "yolo26", _pick(N_TAPS_ROWS, "repghost058c8last", "repghost058c8"), ("C3k2_Rep",), (0.75,), **NMS),
    *_designs(
        "n", "yolo26", _pick(N_TAPS_ROWS, "repghost080last", "repghost080c8last"), ("C3k2_Rep",), (0.625, 0.75), **NMS
    ),
]
N_ROUND11 = [  # the -nms network with ReLU after the backbone (ONNX Runtime and OpenVINO fuse it into the convolutions,
    # SiLU is a separate op), the time saved spent on a wider RepGhostNet; the NMS-free file's network in multiples of 8
    *_designs("n", "yolo26", _pick(N_TAPS_ROWS, "repghost058c8"), ("C3k2_Rep",), (0.75,), **NMS),
    *_designs(
        "n", "yolo26", _pick(N_TAPS_ROWS, "repghost066c8"), ("C3k2_Rep",), (0.75,), **NMS, activation="nn.ReLU()"
    ),
    *_designs("n", "yolo26", _pick(N_TAPS_ROWS, "repghost058c8"), ("C3k2_Rep",), (0.75,), attention=False),
]
S_ROWS = {  # backbone rows tried at s
    "s050": ("starnet_s050", (1, 1)),
    "s1": ("starnet_s1", (1, 1)),
    "s2": ("starnet_s2", (1, 1)),
    "t0": ("fasternet_t0", (1, 1)),
    "t1h": ("fasternet_t1", (0.5, 1)),
    "t1": ("fasternet_t1", (1, 1)),
    "m3": ("micronet_m3", (1, 1)),
    "m3h": ("micronet_m3", (0.5, 0.5)),
}
S_ROUND1 = [  # at s: a narrower neck over the s rows, and lighter rows for yolo11s-starnet and -fasternet
    *_designs("s", "yolo26", _pick(S_ROWS, "s1", "s2", "t0", "t1h", "t1", "m3"), ("C3k2",), (0.75,)),
    *_designs("s", "yolo26", _pick(S_ROWS, "s050", "t0", "m3")),
    *_designs("s", "yolo11", _pick(S_ROWS, "s1", "t0", "t1h")),
]
S_TIMM_ROWS = {  # timm's RepGhostNet at the widths near YOLO26s's backbone, from scratch
    "repghost100": ("timm", ("repghostnet_100",)),
    "repghost130": ("timm", ("repghostnet_130",)),
    "repghost150": ("timm", ("repghostnet_150",)),
}
S_ROUND2 = [  # n's pick carried to s: RepGhostNet under YOLO26s's neck, with and without the attention at P5
    *_designs("s", "yolo26", S_TIMM_ROWS, widths=(1.0, 0.75)),
    *_designs("s", "yolo26", _pick(S_TIMM_ROWS, "repghost130", "repghost150"), widths=(0.75,), attention=False),
]
SETS = {
    "n-round1": N_ROUND1,
    "n-round2": N_ROUND2,
    "n-round3": N_ROUND3,
    "n-round4": N_ROUND4,
    "n-round5": N_ROUND5,
    "n-round6": N_ROUND6,
    "n-round7": N_ROUND7,
    "n-round8": N_ROUND8,
    "n-round9": N_ROUND9,
    "n-round10": N_ROUND10,
    "n-round11": N_ROUND11,
    "n-necks": _designs("n", "yolo26", N_ROWS, ("C3k2", "C3k2_Faster", "C3k2_Star"), (1.0, 0.75)),
    "n-yolo11": _designs("n", "yolo11", N_ROWS, ("C3k2",), (1.0, 0.75)),
    "n-wide": _designs("n", "yolo26", N_WIDE_ROWS, ("C3k2",), (1.0, 0.75)),
    "n-imagenet": _designs("n", "yolo11", N_IMAGENET_ROWS) + _designs("n", "yolo26", N_IMAGENET_ROWS),
    "s-round1": S_ROUND1,
    "s-round2": S_ROUND2,
    "s-yolo26": _designs("s", "yolo26", S_ROWS, ("C3k2",), (1.0, 0.75)),
    "s-yolo11": _designs("s", "yolo11", S_ROWS, ("C3k2",), (1.0, 0.75)),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sets", nargs="*", help=f"named sets of designs: {', '.join(SETS)}")
    parser.add_argument("--designs", nargs="*", help="only these design names of the sets")
    parser.add_argument("--list", action="store_true", help="list the sets and their designs, then stop")
    parser.add_argument("--no-accuracy", action="store_true", help="time only")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--seeds", type=int, default=None)
    parser.add_argument("--train-imgsz", type=int, default=None)
    parser.add_argument("--train-images", type=int, default=None)
    parser.add_argument("--train-jobs", type=int, default=None)
    parser.add_argument("--curve", action="store_true", help="validate every epoch (the benchmark's --curve)")
    parser.add_argument("--reuse-trainings", action="store_true", help="read finished trainings in --out")
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--no-openvino", action="store_true")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("runs/designs"))
    args = parser.parse_args()
    if args.list or not args.sets:
        for name, designs in SETS.items():
            print(f"{name}: {', '.join(d.file_name for d in designs)}")
        return
    unknown = [name for name in args.sets if name not in SETS]
    if unknown:
        parser.error(f"unknown set {', '.join(unknown)}; sets: {', '.join(SETS)}")
    designs = [d for name in args.sets for d in SETS[name] if not args.designs or d.name in args.designs]
    folder = args.out.resolve() / "designs"
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for design in designs:
        path = folder / design.file_name
        path.write_text(f"# {design} (tools/try_designs.py)\n" + yaml.safe_dump(design.model_dict(), sort_keys=False))
        paths.append(str(path))

    from yolo_lite.benchmark import run_benchmark

    accuracy = not args.no_accuracy
    kwargs = {
        "epochs": args.epochs,
        "seeds": args.seeds,
        "train_imgsz": args.train_imgsz,
        "train_images": args.train_images,
        "train_jobs": args.train_jobs,
        "curve": args.curve or None,
        "reuse_trainings": args.reuse_trainings or None,
    }
    kwargs = kwargs if accuracy else {}
    run_benchmark(
        models=paths,
        scales=sorted({d.scale for d in designs}, key="nsmlx".index),
        reference="yolo26",
        rounds=args.rounds,
        threads=args.threads,
        openvino=not args.no_openvino,
        accuracy=accuracy,
        out_dir=args.out,
        command="python tools/try_designs.py " + " ".join(sys.argv[1:]),
        **{k: v for k, v in kwargs.items() if v is not None},
    )


if __name__ == "__main__":
    main()
