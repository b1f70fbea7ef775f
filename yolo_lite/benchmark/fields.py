"""The row schema of the benchmark: every column of ``benchmark.csv`` and ``benchmark.json``, and the timing backends.

Every row of :func:`yolo_lite.benchmark.run_benchmark` has exactly the keys of :data:`FIELDS`; a value that was not
measured is None (empty in the CSV, null in the JSON).
"""

from __future__ import annotations

import torch
from ultralytics.utils import colorstr

__all__ = [
    "BACKENDS",
    "BACKEND_COLUMNS",
    "CUSTOM",
    "FIELDS",
    "FRONTIER_BACKENDS",
    "MB",
    "PREFIX",
    "REFERENCE_RATIOS",
    "SCALES",
    "STOCK",
    "TORCH_BACKENDS",
    "is_yolo26",
    "skip_reason",
]

PREFIX = colorstr("benchmark:")
SCALES = "nsmlx"
STOCK = "stock"  # family of Ultralytics' own models (the reference rows)
CUSTOM = "custom"  # family of a model given as the path of a YAML file
MB = 1e6

# Latency backends: key prefix of the row fields -> label. "cpu*" and "cuda_*" run PyTorch, "predict" PyTorch through
# Ultralytics' AutoBackend, "onnx" ONNX Runtime, "openvino*" OpenVINO. "cpu" keeps PyTorch's default (NCHW) layout;
# "cpu_cl" converts the model and input to channels-last; "predict" is the inference step of model.predict() (the
# "inference" of Ultralytics' speed report): AutoBackend holds the fused model channels-last on x86 CPUs and gets the
# predictor's NCHW image. "openvino" compiles with OpenVINO's default inference precision (bf16 on CPUs with bf16
# units), as Ultralytics runs it; "openvino_f32" forces f32.
BACKENDS = {
    "cpu": "PyTorch CPU",
    "cpu_cl": "PyTorch CPU channels-last",
    "predict": "Ultralytics predict (AutoBackend, CPU)",
    "onnx": "ONNX Runtime CPU",
    "openvino_f32": "OpenVINO CPU f32",
    "openvino": "OpenVINO CPU default precision",
    "cuda_fp32": "PyTorch CUDA fp32",
    "cuda_fp16": "PyTorch CUDA fp16",
}
BACKEND_COLUMNS = {  # backend -> its column heading in the report's overview of ratios to stock
    "cpu": "PyTorch",
    "cpu_cl": "channels-last",
    "predict": "predict()",
    "onnx": "ONNX Runtime",
    "openvino_f32": "OpenVINO f32",
    "openvino": "OpenVINO default",
    "cuda_fp32": "CUDA fp32",
    "cuda_fp16": "CUDA fp16",
}
FRONTIER_BACKENDS = ("predict", "onnx")  # latencies that get a speed-accuracy frontier and a plot each
REFERENCE_RATIOS = {"stock": "yolo11", "yolo26": "yolo26"}  # map50_95_vs_<key> -> the reference's version
TORCH_BACKENDS = {  # PyTorch backends: key -> (device, dtype, memory format)
    "cpu": ("cpu", torch.float32, torch.contiguous_format),
    "cpu_cl": ("cpu", torch.float32, torch.channels_last),
    "cuda_fp32": ("cuda", torch.float32, torch.contiguous_format),
    "cuda_fp16": ("cuda", torch.float16, torch.contiguous_format),
}

FIELDS = {
    "model": "model name, the YAML's stem (yolo11n, yolo11n-starnet, yolo11n-seg-starnet, rtdetr-starnet)",
    "yaml": "what the model is built from: the YAML name for stock and shipped models (yolo11n.yaml, "
    "yolo11n-starnet.yaml), the absolute path for a YAML file given in models (--models)",
    "family": "backbone family, the first word of the tag; 'stock' for Ultralytics' own models (YOLO11, YOLO26, "
    "RT-DETR); 'custom' for a YAML file given in models",
    "tag": "what follows the scale and the task's suffix in the shipped YAML's name (yolo11n-<tag>.yaml, "
    "yolo11n-seg-<tag>.yaml, rtdetr-<tag>.yaml); for stock and custom models the name without the scale (yolo11, "
    "yolo11-seg, yolo26, rtdetr-l, yolo26-custom)",
    "scale": "model scale (n, s, m, l, x; RT-DETR has only l)",
    "task": "the models' task: detect, segment, pose, obb, classify, or rtdetr (RT-DETR detection)",
    "skipped": "why the model was not built for the timings, 'skipped: <message>' (null when it was measured)",
    "backbone": "type of layer 0",
    "params": "number of parameters",
    "gflops": "GFLOPs of one image at imgsz (Ultralytics' get_flops on the unfused model)",
    "pt_mb": "size of the checkpoint written by YOLO.save() (fp16, as training saves it), MB",
    "onnx_mb": "size of the fp32 ONNX model from Ultralytics' exporter, MB (null without ONNX)",
    "openvino_precision": "inference precision OpenVINO's CPU plugin chose by default for the openvino timings "
    "(bf16 or f32; null without OpenVINO)",
    "imgsz": "image size of every timing and of the GFLOPs count",
    "threads": "CPU threads of PyTorch and ONNX Runtime",
    **{
        key: text
        for backend, label in BACKENDS.items()
        for key, text in (
            (f"{backend}_ms", f"{label} latency at batch 1: median over the rounds, ms (null when not run)"),
            (f"{backend}_iqr_ms", f"{label} latency spread: interquartile range over the rounds, ms"),
            (
                f"{backend}_vs_stock",
                (
                    f"{label} latency / stock YOLO11's (the task's; RT-DETR-l for rtdetr) at the same scale: median "
                    "per-round ratio"
                ),
            ),
            (
                f"{backend}_vs_yolo26",
                f"{label} latency / stock YOLO26's at the same scale: median per-round ratio (null without YOLO26 as a "
                "reference)",
            ),
            (f"{backend}_gflops_per_s", f"{label} achieved GFLOP/s: gflops / median latency"),
        )
    },
    "batch": "batch size of the throughput and peak-memory measurements",
    **{
        key: text
        for backend in TORCH_BACKENDS
        for key, text in (
            (f"{backend}_ips", f"{BACKENDS[backend]} throughput at the batch size: images/s from the median round"),
            (
                f"{backend}_peak_mb",
                f"{BACKENDS[backend]} peak memory of one forward pass at the batch size: weights + input + "
                "activations allocated by PyTorch, MB",
            ),
        )
    },
    "accuracy_skipped": "why the model was not trained in the accuracy run (e.g. its backbone's pretrained weights "
    "could not be fetched offline), 'skipped: <message>'; its timings stay, it takes no part in the frontier (null "
    "when it was trained or without an accuracy run)",
    "train_imgsz": "image size of training and validation in the accuracy run (null without one)",
    "epochs": "training epochs of each accuracy run (null without one)",
    "seeds": "number of training runs, seeds seed..seed+seeds-1 (null without an accuracy run)",
    "metric": "what the map50 and map50_95 fields hold for this task, '<map50's> / <map50_95's>': 'mAP50 / "
    "mAP50-95' (boxes: detect, rtdetr), 'mask mAP50 / mask mAP50-95' (segment), 'pose mAP50 / pose mAP50-95' "
    "(keypoints), 'OBB mAP50 / OBB mAP50-95' (rotated boxes), 'top-5 / top-1' (classify accuracy); map50_95 is the "
    "primary metric (ratio to stock, frontier) (null when not trained)",
    "map50": "mAP50 on the data's val split after training (the task's, see metric; top-5 accuracy for classify): "
    "mean over the seeds",
    "map50_std": "mAP50 spread: sample standard deviation over the seeds (null with one seed)",
    "map50_min": "lowest mAP50 of the seeds",
    "map50_max": "highest mAP50 of the seeds",
    "map50_95": "mAP50-95 on the data's val split after training (the task's, see metric; top-1 accuracy for "
    "classify): mean over the seeds",
    "map50_95_std": "mAP50-95 spread: sample standard deviation over the seeds (null with one seed)",
    "map50_95_min": "lowest mAP50-95 of the seeds",
    "map50_95_max": "highest mAP50-95 of the seeds",
    "map50_95_vs_stock": "mAP50-95 / stock YOLO11's (the task's stock model; RT-DETR-l for rtdetr) at the same "
    "scale and seed: mean over the seeds of the per-seed ratios (null where stock scored 0 in a seed)",
    "map50_95_vs_stock_se": "standard error of map50_95_vs_stock: sample standard deviation of the per-seed ratios / "
    "sqrt(seeds) (null with one seed)",
    "map50_95_vs_yolo26": "mAP50-95 / stock YOLO26's (the task's) at the same scale and seed: mean over the seeds of "
    "the per-seed ratios (null without reference yolo26, or where YOLO26 scored 0 in a seed)",
    "map50_95_vs_yolo26_se": "standard error of map50_95_vs_yolo26: sample standard deviation of the per-seed ratios "
    "/ sqrt(seeds) (null with one seed)",
    "map50_per_seed": "mAP50 of each seed, in seed order (space-separated in the CSV)",
    "map50_95_per_seed": "mAP50-95 of each seed, in seed order (space-separated in the CSV)",
    "map50_95_curve": "learning curve: mAP50-95 on the val split after each epoch, mean over the seeds, in epoch "
    "order (space-separated in the CSV; null without curve, --curve)",
    **{
        f"frontier_{backend}": f"on the speed-accuracy (Pareto) frontier of {BACKENDS[backend]} latency: no other "
        f"model has both a lower {backend}_ms and a higher mean map50_95 (null without an accuracy run or without "
        "that backend)"
        for backend in FRONTIER_BACKENDS
    },
}


def is_yolo26(row: dict) -> bool:
    """Return whether a row's model keeps Ultralytics' YOLO26 neck and head (stock YOLO26 or a ``yolo26<scale>-`` file).

    Examples:
        >>> is_yolo26({"model": "yolo26n-starnet"}), is_yolo26({"model": "yolo11n"})
        (True, False)
    """
    return row["model"].startswith("yolo26")


def skip_reason(error: BaseException) -> str:
    """Return the ``skipped``/``accuracy_skipped`` value for ``error``: ``"skipped: <message on one line>"``.

    Args:
        error (BaseException): What building or training the model raised.

    Returns:
        (str): The reason, whitespace collapsed (the exception's type name when it has no message).

    Examples:
        >>> skip_reason(ValueError("could not fetch the weights:   no network")), skip_reason(ValueError())
        ('skipped: could not fetch the weights: no network', 'skipped: ValueError')
    """
    return f"skipped: {' '.join(str(error).split()) or type(error).__name__}"
