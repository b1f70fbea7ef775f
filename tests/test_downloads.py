"""Weight downloads fail fast offline, are checked before they are kept, and are traced in the model.

No test reaches the network: files are served from ``file://`` URLs and a loopback HTTP server, caches are pre-filled,
and an unreachable network is simulated at the socket.
"""

from __future__ import annotations

import hashlib
import http.server
import socket
import threading
import time
from pathlib import Path

import huggingface_hub.constants
import pytest
import timm
import torch
from safetensors.torch import save_file
from ultralytics import YOLO
from ultralytics.nn.tasks import DetectionModel

from yolo_lite.backbones import micronet_m3
from yolo_lite.backbones.download import PROBE_TIMEOUT
from yolo_lite.backbones.pretrained import MICRONET_URL, RECORD

from .conftest import save_checkpoint
from .test_micronet import randomize, to_official
from .test_pretrained import _equal_backbone, _model_dict

UNREACHABLE = "network is unreachable (simulated)"


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """No route to any host, and empty caches: torch.hub's under TORCH_HOME, the Hugging Face Hub's."""
    def unreachable(*args, **kwargs):
        raise OSError(UNREACHABLE)

    monkeypatch.setattr(socket, "create_connection", unreachable)
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    return tmp_path


@pytest.fixture(scope="module")
def starnet_file(tmp_path_factory) -> tuple[Path, dict[str, torch.Tensor]]:
    """A StarNet-S1 checkpoint in timm's layout, and its backbone tensors."""
    torch.manual_seed(0)
    state_dict = timm.create_model("starnet_s1").state_dict()
    path = tmp_path_factory.mktemp("weights") / "starnet_s1.pth"
    torch.save(state_dict, path)
    return path, {k: v for k, v in state_dict.items() if not k.startswith(("norm.", "head."))}


def test_offline_shipped_pretrained_yaml_fails_fast_with_one_message(offline):
    start = time.perf_counter()
    with pytest.raises(ValueError) as error:
        YOLO("yolo11n-starnet-imagenet.yaml")
    assert time.perf_counter() - start < 10
    message = str(error.value)
    assert error.value.__cause__ is None and error.value.__suppress_context__  # no chained traceback
    assert f"timm/starnet_s1.in1k/model.safetensors) from the Hugging Face Hub: offline, huggingface.co:443 is " \
        f"unreachable ({UNREACHABLE}), and it is not in the Hub cache ({offline / 'hf'})" in message
    assert "https://huggingface.co/timm/starnet_s1.in1k/resolve/main/model.safetensors" in message
    assert "copy yolo11n-starnet-imagenet.yaml (`python -m yolo_lite.cfg yolo11n-starnet-imagenet.yaml` prints " \
        "where it is) and write its path as the backbone row's weights: " \
        "[-1, 1, 'starnet_s1', [1, 1, '/path/to/model.safetensors']]" in message


def test_offline_release_url_fails_fast_and_says_where_the_file_goes(offline):
    start = time.perf_counter()
    expected = r"cannot download the weights of micronet_m3 \(micronet-m3\.pth\) from https://.*: offline, .*put it at "
    with pytest.raises(ValueError, match=expected + r".*torch/hub/checkpoints/micronet-m3\.pth") as error:
        DetectionModel(_model_dict([-1, 1, "micronet_m3", [1, 1, "imagenet"]]), verbose=False)
    assert time.perf_counter() - start < 10 and error.value.__cause__ is None
    assert not list(offline.rglob("*.pth*"))


def test_hub_offline_switch_and_a_host_that_does_not_answer(offline, monkeypatch):
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)
    with pytest.raises(ValueError, match=r"offline, HF_HUB_OFFLINE is set"):
        DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, "imagenet"]]), verbose=False)
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    waited = []

    def silent(address, timeout=None):
        waited.append(timeout)
        raise socket.timeout("timed out")

    monkeypatch.setattr(socket, "create_connection", silent)
    with pytest.raises(ValueError, match=rf"huggingface\.co:443 did not answer within {PROBE_TIMEOUT:g} s"):
        DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, "imagenet"]]), verbose=False)
    assert waited == [PROBE_TIMEOUT]  # one short probe, no retries


def test_pinned_url_loads_and_a_wrong_pin_is_refused_and_removed(starnet_file, offline):
    path, expected = starnet_file
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    cache = offline / "torch" / "hub" / "checkpoints"
    wrong = "0" * 64
    with pytest.raises(ValueError, match=rf"has SHA-256 {digest}, not the pinned {wrong}; nothing was kept"):
        DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, f"{path.as_uri()}#sha256={wrong}"]]), verbose=False)
    assert not cache.exists() or not list(cache.iterdir())
    pinned = f"{path.as_uri()}#sha256={digest}"
    model = DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, pinned]]), verbose=False)
    assert _equal_backbone(model.model[0], expected)
    assert sorted(p.name for p in cache.iterdir()) == [path.name]  # pinned: no .sha256 beside it
    (cache / path.name).write_bytes(path.read_bytes()[:-10])  # altered in the cache: refused and removed
    with pytest.raises(ValueError, match=rf"not {digest} \(its pin\): it is corrupt, truncated or another file"):
        DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, pinned]]), verbose=False)
    assert not (cache / path.name).exists()


class _ShortHandler(http.server.BaseHTTPRequestHandler):
    """Serves a file but sends only half of the bytes its Content-Length promises."""

    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body[: len(self.body) // 2])
        self.wfile.flush()
        self.close_connection = True

    def log_message(self, *args):
        pass


def test_truncated_download_is_never_kept_or_loaded(starnet_file, offline, monkeypatch):
    monkeypatch.undo()  # the loopback server needs real sockets
    path, _ = starnet_file
    monkeypatch.setenv("TORCH_HOME", str(offline / "torch"))
    _ShortHandler.body = path.read_bytes()
    server = http.server.HTTPServer(("127.0.0.1", 0), _ShortHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/{path.name}"
        with pytest.raises(ValueError, match=rf"stopped at \d+ of {len(_ShortHandler.body)} bytes; nothing was kept"):
            DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, url]]), verbose=False)
    finally:
        server.shutdown()
        server.server_close()
    assert not list((offline / "torch").rglob("*.pth*"))


def test_unpinned_download_is_recorded_checked_later_and_traced_in_checkpoints(starnet_file, offline):
    path, expected = starnet_file
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    model = DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, path.as_uri()]]), verbose=False)
    cached = offline / "torch" / "hub" / "checkpoints" / path.name
    assert getattr(model.model[0], RECORD) == {"file": str(cached), "sha256": digest, "weights": path.as_uri()}
    assert (cached.parent / f"{path.name}.sha256").read_text().split()[0] == digest
    saved = torch.load(save_checkpoint(model, offline / "best.pt"), map_location="cpu", weights_only=False)
    assert getattr(saved["model"].model[0], RECORD)["sha256"] == digest  # in the checkpoint
    again = DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1]]), verbose=False)
    again.load(saved)  # a checkpoint's weights into a rebuilt model (the trainer's route): the record follows
    assert getattr(again.model[0], RECORD)["sha256"] == digest
    cached.write_bytes(b"\0" + cached.read_bytes()[1:])  # changed after it arrived: refused and removed
    with pytest.raises(ValueError, match=r"\(as when it arrived\): it is corrupt, truncated or another file, so it was "
                       r"removed"):  # fmt: skip
        DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, path.as_uri()]]), verbose=False)
    assert not cached.exists() and not (cached.parent / f"{path.name}.sha256").exists()


def test_cached_file_that_does_not_read_is_removed_not_loaded(offline):
    """A truncated release file put in the cache by hand (nothing to check its hash against): removed on first use."""
    cache = offline / "torch" / "hub" / "checkpoints"
    cache.mkdir(parents=True)
    full = offline / "full.pth"
    torch.save(to_official(randomize(micronet_m3())), full)
    (cache / Path(MICRONET_URL.format("micronet-m3")).name).write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    with pytest.raises(ValueError, match=r"micronet-m3\.pth in the weights cache does not read .*corrupt or truncated, "
                       r"so it was removed"):  # fmt: skip
        DetectionModel(_model_dict([-1, 1, "micronet_m3", [1, 1, "imagenet"]]), verbose=False)
    assert not list(cache.iterdir())  # the file and the .sha256 taken on its first use


def _hub_cache(root: Path, blob: str, content: Path) -> Path:
    """Fill a Hugging Face cache as the Hub client does: the file under blobs/<name>, a snapshot linking to it."""
    repo = root / "models--timm--starnet_s1.in1k"
    (repo / "blobs").mkdir(parents=True)
    (repo / "blobs" / blob).write_bytes(content.read_bytes())
    snapshot = repo / "snapshots" / ("0" * 40)
    snapshot.mkdir(parents=True)
    (snapshot / "model.safetensors").symlink_to(repo / "blobs" / blob)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0" * 40)
    return repo


def test_hub_file_is_checked_against_the_hubs_sha256(offline, monkeypatch):
    """The Hub names each cached LFS blob by its SHA-256: a blob whose content differs is removed, never loaded."""
    torch.manual_seed(1)
    save_file(timm.create_model("starnet_s1").state_dict(), offline / "model.safetensors")
    good = hashlib.sha256((offline / "model.safetensors").read_bytes()).hexdigest()
    _hub_cache(offline / "hf", good, offline / "model.safetensors")
    model = DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, "imagenet"]]), verbose=False)
    assert getattr(model.model[0], RECORD)["sha256"] == good
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(offline / "other"))
    repo = _hub_cache(offline / "other", "f" * 64, offline / "model.safetensors")
    with pytest.raises(ValueError, match=rf"has SHA-256 {good}, not f{{64}} \(the Hub's\): it is corrupt"):
        DetectionModel(_model_dict([-1, 1, "starnet_s1", [1, 1, "imagenet"]]), verbose=False)
    assert not list((repo / "blobs").iterdir()) and not list((repo / "snapshots" / ("0" * 40)).iterdir())
