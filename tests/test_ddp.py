"""Distributed training: each family's n model under DistributedDataParallel, and Ultralytics' DDP worker file.

Ultralytics trains on several GPUs (``device=0,1``) by writing a worker file (``ultralytics.utils.dist``'s
``generate_ddp_file``: the trainer's class, arguments, model and callbacks pickled, and a script that rebuilds the
trainer from them) and launching one copy per GPU with ``torch.distributed.run``; each worker wraps the model in
``DistributedDataParallel`` and steps with the model's own loss. CI has no GPUs, so the two halves are tested apart:

- :func:`test_ddp_step_keeps_replicas_identical`: two CPU processes (gloo) wrap each family's n model in DDP with the
  trainer's settings and take one step with Ultralytics' loss on batches of their own;
- :func:`test_ddp_worker_file_builds_the_model`: the worker file generated for a trainer of a yolo-lite YAML runs in a
  fresh interpreter, which never imports yolo_lite itself (the autoload does), until the trainer's model, optimizer
  and dataloaders are set up. It runs as one process (``RANK`` unset): a worker with a rank sets up DDP on CUDA
  devices only.
"""

from __future__ import annotations

import ast
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from torch.nn.parallel import DistributedDataParallel

from yolo_lite.benchmark.models import timing_yaml
from yolo_lite.export_matrix import DEFAULT_MODELS

from .conftest import IMGSZ, TRAIN_ARGS

WORLD_SIZE = 2
NC = 3
# Ultralytics' trainer wraps with find_unused_parameters=True and without syncing buffers in forward
# (forward_sync_buffers=False from torch 2.13, broadcast_buffers=False before); both sync them once, at the wrap.
SYNC_BUFFERS = (
    "forward_sync_buffers"
    if "forward_sync_buffers" in inspect.signature(DistributedDataParallel).parameters
    else "broadcast_buffers"
)


def _batch(rank: int) -> dict:
    """Return a training batch of two 64 px images and three boxes, different on every rank."""
    generator = torch.Generator().manual_seed(100 + rank)
    boxes = torch.rand(3, 2, generator=generator) * 0.5 + 0.25  # centres
    sizes = torch.rand(3, 2, generator=generator) * 0.3 + 0.1
    return dict(
        img=torch.rand(2, 3, IMGSZ, IMGSZ, generator=generator),
        batch_idx=torch.tensor([0.0, 0.0, 1.0]),
        cls=torch.randint(0, NC, (3, 1), generator=generator).float(),
        bboxes=torch.cat([boxes, sizes], 1),
    )


def _gathered(tensor: torch.Tensor) -> list[torch.Tensor]:
    """Return ``tensor`` as every rank holds it."""
    copies = [torch.empty_like(tensor) for _ in range(dist.get_world_size())]
    dist.all_gather(copies, tensor)
    return copies


def _spread(tensor: torch.Tensor) -> float:
    """Return the largest difference between any rank's ``tensor`` and rank 0's."""
    copies = _gathered(tensor)
    return max(float((c - copies[0]).abs().max()) for c in copies)


def _flat(tensors) -> torch.Tensor:
    """Concatenate tensors into one flat float tensor."""
    return torch.cat([t.detach().reshape(-1).float() for t in tensors])


def _step(name: str, rank: int, work: Path) -> dict:
    """Build ``name`` (seeded by rank), wrap it in DDP as Ultralytics does, take one step; return what was measured."""
    from ultralytics.cfg import get_cfg
    from ultralytics.nn.tasks import DetectionModel

    yaml_dir = work / f"rank{rank}"
    yaml_dir.mkdir(exist_ok=True)
    torch.manual_seed(rank)  # every rank starts from its own weights: the wrap must hand all of them rank 0's
    model = DetectionModel(str(timing_yaml(name, yaml_dir)), nc=NC, verbose=False)
    model.args = get_cfg()  # the loss's hyperparameters, as the trainer sets them
    for key, p in model.named_parameters():
        p.requires_grad = ".dfl" not in key  # the trainer freezes the DFL layer
    ddp = DistributedDataParallel(model, find_unused_parameters=True, **{SYNC_BUFFERS: False})
    params = [p for p in model.parameters() if p.requires_grad]
    buffers = [b for key, b in model.named_buffers() if key.endswith(("running_mean", "running_var"))]
    wrapped = _spread(_flat(model.state_dict().values()))

    model.eval()
    with torch.no_grad():
        same_input = torch.rand(1, 3, IMGSZ, IMGSZ, generator=torch.Generator().manual_seed(0))
        outputs = _spread(model(same_input)[0])
    model.train()
    before = _flat(params)
    loss, _ = ddp(_batch(rank))
    (loss.sum() * WORLD_SIZE).backward()  # the trainer scales the loss by the world size
    without_grad = [key for key, p in model.named_parameters() if p.requires_grad and p.grad is None]
    grads = _flat(p.grad for p in params if p.grad is not None)
    losses = _gathered(loss.detach().sum().reshape(1))
    torch.optim.SGD(params, lr=0.01, momentum=0.9).step()
    after = _flat(params)
    return dict(
        wrapped_spread=wrapped,
        output_spread=outputs,
        loss_spread=float((losses[1] - losses[0]).abs()),
        without_grad=without_grad,
        grad_norm=float(grads.norm()),
        grad_spread=_spread(grads),
        param_spread=_spread(after),
        param_change=float((after - before).abs().max()),
        bn_spread=_spread(_flat(buffers)),
    )


def _worker(rank: int, port: int, work: Path) -> None:
    """One DDP process: every family's step (:func:`_step`); rank 0 writes the results to ``work/ddp.json``."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank, world_size=WORLD_SIZE)
    try:
        results = {name: _step(name, rank, work) for name in DEFAULT_MODELS}
    finally:
        dist.destroy_process_group()
    if rank == 0:
        (work / "ddp.json").write_text(json.dumps(results))


@pytest.fixture(scope="module")
def ddp_results(tmp_path_factory) -> dict:
    """One two-process gloo run over every family: ``{model: measurements}`` (see :func:`_step`)."""
    from ultralytics.utils.dist import find_free_network_port

    work = tmp_path_factory.mktemp("ddp")
    mp.spawn(_worker, args=(find_free_network_port(), work), nprocs=WORLD_SIZE, join=True)
    return json.loads((work / "ddp.json").read_text())


@pytest.mark.parametrize("name", DEFAULT_MODELS, ids=lambda name: name.removesuffix(".yaml"))
def test_ddp_step_keeps_replicas_identical(ddp_results, name):
    """Under DDP (2 gloo processes, the trainer's settings) every family starts from rank 0's weights whatever each
    rank built, gives every trainable parameter a gradient, has equal gradients on both ranks although their batches
    and losses differ, and stays identical after an optimizer step; BatchNorm statistics stay per rank, as for stock
    models (the trainer saves rank 0's)."""
    r = ddp_results[name]
    assert r["wrapped_spread"] == 0 and r["output_spread"] == 0, r  # replicas after the wrap, buffers included
    assert r["without_grad"] == [], r  # no parameter left out of the graph (compile=True turns unused-param search off)
    assert r["loss_spread"] > 0 and r["grad_norm"] > 0, r  # each rank its own batch, and a real gradient
    assert r["grad_spread"] == 0, r  # gradients all-reduced: equal on every rank
    assert r["param_spread"] == 0 and r["param_change"] > 0, r  # one step moved both replicas the same way
    assert r["bn_spread"] > 0, r  # running statistics are per rank (no buffer sync in forward)


def _imports(source: str) -> list[str]:
    """Return the modules that Python source imports (``import a.b``, ``from a import b``), anywhere in it."""
    modules = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules.append(node.module or "")
    return modules


def _stop_after_setup(report: Path):
    """Return an ``on_pretrain_routine_end`` callback that records the trainer's model in ``report`` and ends the run.

    Nested, so that cloudpickle stores it by value: the worker runs it without importing this test module.
    """

    def on_pretrain_routine_end(trainer):
        import json
        import sys

        model = trainer.model
        backbone = type(model.model[0])
        summary = dict(
            model=type(model).__name__,
            backbone=f"{backbone.__module__}.{backbone.__qualname__}",
            params=sum(p.numel() for p in model.parameters()),
            optimizer=type(trainer.optimizer).__name__,
            batches=len(trainer.train_loader),
            yolo_lite_loaded="yolo_lite" in sys.modules,
        )
        report.write_text(json.dumps(summary))
        raise SystemExit(0)

    return on_pretrain_routine_end


@pytest.mark.parametrize("built", [False, True], ids=["yaml", "model"])
def test_ddp_worker_file_builds_the_model(built, data_yaml, tmp_path):
    """The file Ultralytics' DDP launcher runs for ``YOLO("yolo11n-starnet.yaml").train(device="0,1")`` sets up the
    trainer in a fresh interpreter: from the YAML name (``yaml``: the worker builds the model, through the autoloaded
    patches; without them it cannot) and from the model the parent built (``model``: as ``YOLO.train`` hands it over,
    pickled with yolo-lite's classes). The file itself never imports yolo_lite."""
    from ultralytics.models.yolo.detect import DetectionTrainer
    from ultralytics.utils.dist import ddp_cleanup, generate_ddp_file

    overrides = dict(model="yolo11n-starnet.yaml", data=str(data_yaml), project=str(tmp_path), name="ddp", **TRAIN_ARGS)
    trainer = DetectionTrainer(overrides=overrides)
    parent = trainer.get_model(cfg="yolo11n-starnet.yaml", verbose=False)
    if built:
        trainer.model = parent
    report = tmp_path / "worker.json"
    trainer.add_callback("on_pretrain_routine_end", _stop_after_setup(report))
    env = {key: value for key, value in os.environ.items() if key not in {"RANK", "LOCAL_RANK", "WORLD_SIZE"}}
    file = generate_ddp_file(trainer)
    try:
        assert not [m for m in _imports(Path(file).read_text()) if m.split(".")[0] == "yolo_lite"]
        run = subprocess.run([sys.executable, file], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0 and report.is_file(), run.stderr[-3000:]
        worker = json.loads(report.read_text())
        if not built:  # the control: the same file without the patches fails to build the model
            report.unlink()
            off = {**env, "YOLO_LITE_AUTOLOAD": "0"}
            failed = subprocess.run([sys.executable, file], cwd=tmp_path, env=off, capture_output=True, text=True)
            error = failed.stderr.strip().splitlines()[-1]
            assert failed.returncode != 0 and not report.exists() and "starnet" in error, failed.stderr[-3000:]
    finally:
        ddp_cleanup(trainer, file)
    assert not Path(file).exists() and not Path(file).with_suffix(".pt").exists()
    backbone = type(parent.model[0])
    assert worker["model"] == "DetectionModel" and worker["yolo_lite_loaded"], worker
    assert worker["backbone"] == f"{backbone.__module__}.{backbone.__qualname__}", worker
    assert worker["params"] == sum(p.numel() for p in parent.parameters()) and worker["batches"] > 0, worker
