"""The model and image every export is compared on: a shipped YAML with a calibrated head, and one synthetic image.

A freshly built YOLO model is a poor reference for an export: its Detect head starts with biases that put every class
score near zero and every box at the same size, so no box survives the confidence threshold and a wrong export could
still give the "same" (empty) result. :func:`calibrate` gives the model non-trivial outputs without training:

- every BatchNorm gets random affine parameters and the running statistics of a batch of synthetic images, so that
  activations keep their scale through the network and the outputs depend on what the image shows (a fresh model's
  unit statistics let random activations fade, and its outputs then hardly depend on the image), and folding them
  into the convolutions, which every exporter does, is exercised;
- the last convolution of each box and class branch is rescaled, per output channel, so that its output varies
  across the anchors of the same images with a standard deviation of 2 and mean 0 (plus a random bias), and so
  depends on the image rather than on the bias alone; the box branch's distribution bins are tilted towards short
  distances, so boxes span a few strides (a DFL-free head's distances are shifted to a few strides instead);
- the class biases are shifted together so that, on the reference image, the confidence threshold falls in the middle
  of the widest gap among the 4th to 16th best anchor scores: 4-16 anchors pass it, and a score would have to move by
  ``margin`` (in logits, recorded) to cross it.

A YOLO26 head has a second, NMS-free pair of branches (``one2one_cv2``/``one2one_cv3``, what an end-to-end export
runs); both pairs are calibrated alike, and the margin is the smaller of the two.

Examples:
    >>> checkpoint, image, margin = build_reference("yolo11n-starnet.yaml", Path("runs/export"))  # doctest: +SKIP
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn

from ..benchmark.models import timing_yaml
from ..data import synthetic_image

__all__ = ["build_reference", "calibrate", "image_tensor"]

LOGIT_STD = 2.0  # spread of the calibrated head outputs across anchors
DFL_TILT = 0.5  # logit decrease per distribution bin of the box branch
BOX_DISTANCE = 3.0  # mean box side distance, in strides, of a DFL-free head (reg_max 1: YOLO26)
CALIBRATION_IMAGES = 16  # synthetic images whose statistics the BatchNorms take


def image_tensor(image: np.ndarray) -> torch.Tensor:
    """Return a BGR ``uint8`` image as the ``(1, 3, H, W)`` RGB tensor in ``[0, 1]`` that Ultralytics feeds a model.

    Args:
        image (np.ndarray): ``(H, W, 3)`` BGR image, H and W multiples of the model's stride (so no letterbox pads it).

    Returns:
        (torch.Tensor): The model input.

    Examples:
        >>> image_tensor(np.zeros((64, 32, 3), np.uint8)).shape
        torch.Size([1, 3, 64, 32])
    """
    chw = image[..., ::-1].transpose(2, 0, 1).copy()  # RGB, contiguous: runtimes that read raw memory need that
    return torch.from_numpy(chw)[None].float() / 255


def _fit_batchnorm(model: nn.Module, batch: torch.Tensor, generator: torch.Generator) -> None:
    """Give every BatchNorm random affine parameters and the running statistics of ``batch``; leave eval mode."""
    bns = [m for m in model.modules() if isinstance(m, nn.BatchNorm2d)]
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.weight.data.copy_(torch.rand(m.num_features, generator=generator) + 0.5)
        m.bias.data.copy_(torch.randn(m.num_features, generator=generator) * 0.1)
        m.reset_running_stats()
        m.momentum = None  # a cumulative average: after one batch, that batch's statistics
    model.train()
    model(batch)
    model.eval()
    for m, momentum in zip(bns, momenta):
        m.momentum = momentum


@torch.no_grad()
def calibrate(model: nn.Module, x: torch.Tensor, batch: torch.Tensor, conf: float = 0.25, seed: int = 0) -> float:
    """Give a detection model non-trivial, image-dependent outputs on ``x`` (see the module docstring); in place.

    Args:
        model (nn.Module): An Ultralytics ``DetectionModel`` (unfused); left in eval mode.
        x (torch.Tensor): The input whose scores the class biases are placed for, ``(1, 3, H, W)``.
        batch (torch.Tensor): Inputs whose statistics the BatchNorms and, with ``x``, the head take, ``(N, 3, H, W)``.
        conf (float): The confidence threshold the class biases are placed around.
        seed (int): Seed of the random affine parameters and biases.

    Returns:
        (float): The margin: half the logit gap around ``conf`` between the last anchor that passes and the first
            that does not.

    Examples:
        >>> from ultralytics.nn.tasks import DetectionModel
        >>> model = DetectionModel("yolo11n.yaml", verbose=False)
        >>> calibrate(model, torch.rand(1, 3, 64, 64), torch.rand(4, 3, 64, 64)) > 0
        True
    """
    generator = torch.Generator().manual_seed(seed)
    _fit_batchnorm(model, batch, generator)
    head = model.model[-1]
    branches = [(head.cv2, head.cv3)]
    if getattr(head, "one2one_cv2", None) is not None:  # YOLO26's NMS-free branch, what end-to-end exports run
        branches.append((head.one2one_cv2, head.one2one_cv3))
    return min(_calibrate_branches(model, x, batch, box, cls, head.reg_max, conf, generator) for box, cls in branches)


def _calibrate_branches(
    model: nn.Module,
    x: torch.Tensor,
    batch: torch.Tensor,
    box_branches: nn.ModuleList,
    cls_branches: nn.ModuleList,
    reg_max: int,
    conf: float,
    generator: torch.Generator,
) -> float:
    """Calibrate one pair of box and class branches of a head as :func:`calibrate` describes; return the margin."""
    box_convs, cls_convs = [branch[-1] for branch in box_branches], [branch[-1] for branch in cls_branches]
    inputs = {}
    hooks = [c.register_forward_hook(lambda m, i, o: inputs.__setitem__(m, i[0])) for c in box_convs + cls_convs]
    try:
        model(torch.cat([x, batch]))
    finally:
        for hook in hooks:
            hook.remove()
    logits = {}  # on x
    for conv in box_convs + cls_convs:
        out = conv._conv_forward(inputs[conv], conv.weight, None)  # without the bias; statistics over all images
        mean, scale = out.mean((0, 2, 3)), LOGIT_STD / out.std((0, 2, 3)).clamp_min(1e-12)
        conv.weight.mul_(scale.view(-1, 1, 1, 1))
        conv.bias.copy_(-mean * scale + torch.randn(conv.bias.shape, generator=generator) * 0.5)
        logits[conv] = out[:1] * scale.view(1, -1, 1, 1) + conv.bias.view(1, -1, 1, 1)
    for conv in box_convs:  # 4 distributions of reg_max bins each, or 4 distances (in strides) without DFL
        if reg_max > 1:
            conv.bias.view(4, -1).sub_(DFL_TILT * torch.arange(reg_max))
        else:
            conv.bias.add_(BOX_DISTANCE)
    best = torch.cat([logits[c].amax(1).flatten() for c in cls_convs]).sort(descending=True).values
    gaps = best[3:16] - best[4:17]
    n = int(gaps.argmax()) + 4  # anchors that pass
    shift = math.log(conf / (1 - conf)) - float(best[n - 1] + best[n]) / 2
    for conv in cls_convs:
        conv.bias.add_(shift)
    return float(best[n - 1] - best[n]) / 2


def build_reference(name: str, out_dir: Path, imgsz: int = 64, seed: int = 0) -> tuple[Path, np.ndarray, float]:
    """Build the shipped model ``name`` without fetching weights, calibrate it on a synthetic image and save it.

    Args:
        name (str): Shipped model YAML, e.g. ``"yolo11n-starnet.yaml"`` (``-imagenet`` ones build without their
            weights, as the benchmark's timings do).
        out_dir (Path): Directory for the YAML copy and the checkpoint ``<stem>.pt``.
        imgsz (int): Side of the square synthetic image, a multiple of 32.
        seed (int): Seed of the weights, the image and the calibration.

    Returns:
        (tuple[Path, np.ndarray, float]): The checkpoint, the BGR image (seed ``seed``; the BatchNorm statistics come
            from the next :data:`CALIBRATION_IMAGES` seeds), and the calibration margin (logits).
    """
    from ultralytics import YOLO

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    image = synthetic_image(imgsz, seed)
    batch = torch.cat([image_tensor(synthetic_image(imgsz, seed + i)) for i in range(1, CALIBRATION_IMAGES + 1)])
    torch.manual_seed(seed)
    yolo = YOLO(timing_yaml(name, out_dir))
    margin = calibrate(yolo.model, image_tensor(image), batch, seed=seed)
    checkpoint = out_dir / f"{Path(name).stem}.pt"
    yolo.save(checkpoint)
    return checkpoint, image, margin
