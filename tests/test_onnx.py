"""The ONNX Runtime predictor: export, verification against torch, reuse, staleness, fallback, cache location."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from conftest import proba
from PIL import Image
from test_predict import CLASSES, make_model_dir

from sign_ml import onnx_export
from sign_ml.artifacts import load_model_dir
from sign_ml.onnx_export import OnnxMismatchError, export_onnx, find_onnx, verify_onnx, weights_sha256
from sign_ml.predict import Predictor

# these tests are about what follows the hand stage: every (noise) photo here "has" a hand
pytestmark = pytest.mark.usefixtures("every_photo_has_a_hand")


@pytest.fixture(autouse=True)
def user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Never write exports into the real ~/.cache."""
    monkeypatch.setenv("UKRSL_DACTYL_CACHE", str(tmp_path / "user-cache"))
    return tmp_path / "user-cache" / "onnx"


@pytest.fixture(scope="module")
def exported(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A tiny model directory with its model.onnx already exported (by the predictor, on first load)."""
    path = tmp_path_factory.mktemp("onnx-model")
    make_model_dir(path, size=64)
    predictor = Predictor.from_pretrained(path, backend="auto")
    assert predictor.backend == "onnx", predictor.fallback_reason
    return path


def _images(n: int) -> list[Image.Image]:
    """Blocky colour patterns of varied brightness and size (so the tiny model's answers differ)."""
    rng = np.random.default_rng(0)
    out = []
    for i in range(n):
        blocks = (rng.random((4, 4, 3)) * rng.uniform(0.2, 1.0) * 255).astype(np.uint8)
        out.append(Image.fromarray(blocks).resize((40 + 7 * i, 90 - 5 * i), Image.Resampling.NEAREST))
    return out


def test_onnx_predictions_match_torch(exported: Path) -> None:
    fast = Predictor.from_pretrained(exported, backend="onnx")
    slow = Predictor.from_pretrained(exported, backend="torch")
    assert (fast.backend, fast.fallback_reason, fast.onnx_path) == ("onnx", None, exported / "model.onnx")
    images = _images(8)
    p_onnx = proba(fast, images, batch_size=3)  # batches of 3, 3, 2: the batch axis is dynamic
    p_torch = proba(slow, images, batch_size=3)
    np.testing.assert_array_equal(p_onnx.argmax(axis=1), p_torch.argmax(axis=1))
    np.testing.assert_allclose(p_onnx, p_torch, atol=1e-4)
    assert len(set(p_torch.argmax(axis=1))) > 1
    assert fast.predict(images[0], top_k=3).top[0][0] == slow.predict(images[0], top_k=3).top[0][0]
    # the lazily built torch model (for Grad-CAM) is the directory's fp32 model
    model, _ = load_model_dir(exported)
    x = torch.randn(2, 3, 64, 64)
    with torch.inference_mode():
        assert torch.equal(fast.torch_model()(x), model(x))


def test_export_records_weights_hash_and_dynamic_batch(exported: Path) -> None:
    proto = onnx.load(str(exported / "model.onnx"))
    props = {p.key: p.value for p in proto.metadata_props}
    assert props[onnx_export.WEIGHTS_SHA_KEY] == weights_sha256(exported)
    assert CLASSES[0] in props["ukrsl_dactyl.class_names"]
    assert max(o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")) >= 17
    batch_dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param and not batch_dim.dim_value
    assert find_onnx(exported) == exported / "model.onnx"
    assert verify_onnx(exported, exported / "model.onnx") < 1e-4


def test_existing_export_is_reused(exported: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_export(*args, **kwargs):
        raise AssertionError("export_onnx must not run when model.onnx matches the weights")

    monkeypatch.setattr(onnx_export, "export_onnx", no_export)
    predictor = Predictor.from_pretrained(exported)
    assert predictor.backend == "onnx" and predictor.fallback_reason is None


def test_stale_export_is_replaced(exported: Path, tmp_path: Path) -> None:
    model_dir = tmp_path / "retrained"
    shutil.copytree(exported, model_dir)
    make_model_dir(model_dir, size=64, seed=1)  # new weights; the old model.onnx stays beside them
    assert find_onnx(model_dir) is None
    fast = Predictor.from_pretrained(model_dir)
    assert fast.backend == "onnx" and fast.onnx_path == model_dir / "model.onnx"
    assert onnx_export.onnx_metadata(model_dir / "model.onnx")[onnx_export.WEIGHTS_SHA_KEY] == weights_sha256(
        model_dir
    )
    slow = Predictor.from_pretrained(model_dir, backend="torch")
    images = _images(4)
    np.testing.assert_allclose(proba(fast, images), proba(slow, images), atol=1e-4)


def test_verify_catches_a_graph_from_other_weights(exported: Path, tmp_path: Path) -> None:
    other = tmp_path / "other"
    make_model_dir(other, size=64, seed=2)
    with pytest.raises(OnnxMismatchError, match="differ from torch"):
        verify_onnx(other, exported / "model.onnx")


def test_falls_back_to_torch_with_a_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    make_model_dir(tmp_path / "m", size=32)

    def broken_export(*args, **kwargs):
        raise RuntimeError("exporter exploded")

    monkeypatch.setattr(onnx_export, "export_onnx", broken_export)
    with caplog.at_level(logging.WARNING, logger="sign_ml.predict"):
        predictor = Predictor.from_pretrained(tmp_path / "m", backend="auto")
    assert predictor.backend == "torch"
    assert "exporter exploded" in predictor.fallback_reason
    assert "exporter exploded" in caplog.text
    assert len(predictor.predict(_images(1)[0]).top) == 5  # and it still predicts
    with pytest.raises(RuntimeError, match="ONNX backend unavailable.*exporter exploded"):
        Predictor.from_pretrained(tmp_path / "m", backend="onnx")


def test_falls_back_when_verification_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_model_dir(tmp_path / "m", size=32)

    def mismatch(*args, **kwargs):
        raise OnnxMismatchError("logits differ by 3e-1")

    monkeypatch.setattr(onnx_export, "verify_onnx", mismatch)
    predictor = Predictor.from_pretrained(tmp_path / "m")
    assert predictor.backend == "torch" and "logits differ" in predictor.fallback_reason
    assert not (
        tmp_path / "m" / "model.onnx"
    ).exists()  # an unverified export is not left to be trusted later


def test_model_in_hf_cache_exports_to_user_cache(
    exported: Path, tmp_path: Path, user_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from huggingface_hub import constants

    snapshot = tmp_path / "hub" / "models--someone--tiny" / "snapshots" / ("b" * 40)
    snapshot.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        shutil.copyfile(exported / name, snapshot / name)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    predictor = Predictor.from_pretrained(snapshot)
    cached = user_cache / f"{weights_sha256(snapshot)}.onnx"
    assert predictor.backend == "onnx" and predictor.onnx_path == cached and cached.is_file()
    assert not (snapshot / "model.onnx").exists()  # the HF cache stays an exact copy of the repo
    assert find_onnx(snapshot) == cached  # found again next time, without exporting


def test_read_only_dir_exports_to_user_cache(
    tmp_path: Path, user_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert onnx_export.export_target(tmp_path, "abc") == tmp_path / "model.onnx"
    monkeypatch.setattr(onnx_export, "_writable", lambda directory: False)  # root ignores chmod, so pretend
    assert onnx_export.export_target(tmp_path, "abc") == user_cache / "abc.onnx"


@pytest.mark.slow
def test_dynamo_exporter_fallback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    make_model_dir(tmp_path / "m", size=32)
    real_export = torch.onnx.export

    def no_torchscript(*args, dynamo: bool = True, **kwargs):
        if not dynamo:
            raise RuntimeError("TorchScript exporter unavailable")
        return real_export(*args, dynamo=dynamo, **kwargs)

    monkeypatch.setattr(torch.onnx, "export", no_torchscript)
    path = export_onnx(tmp_path / "m")
    assert verify_onnx(tmp_path / "m", path) < 1e-4
    assert capsys.readouterr().out == ""  # stdout stays clean for `sign-ml predict --json`
