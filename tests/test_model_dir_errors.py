"""A broken model directory is one line naming the file (exit 2), never a traceback or a per-photo failure."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_model_dir, make_photo

from sign_ml.artifacts import load_model_dir
from sign_ml.cli import main
from sign_ml.onnx_export import export_onnx, find_onnx


@pytest.fixture
def model(tmp_path: Path) -> Path:
    make_model_dir(tmp_path / "model")
    return tmp_path / "model"


def _edit_config(model: Path, change) -> None:
    config = json.loads((model / "config.json").read_text(encoding="utf-8"))
    change(config)
    (model / "config.json").write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")


def _predict(model: Path, tmp_path: Path, capsys, backend: str = "torch") -> tuple[int, str]:
    photo = make_photo(tmp_path / "photo.png", seed=1)
    code = main(["predict", str(model), str(photo), "--backend", backend])
    return code, capsys.readouterr().err


def _assert_one_line(code: int, err: str, *needles: str) -> None:
    assert code == 2 and err.count("\n") == 1 and err.startswith("sign-ml predict: error: "), err
    assert "Traceback" not in err and all(n in err for n in needles), err


def test_corrupt_safetensors(model: Path, tmp_path: Path, capsys) -> None:
    data = (model / "model.safetensors").read_bytes()
    (model / "model.safetensors").write_bytes(data[: len(data) // 3])
    _assert_one_line(*_predict(model, tmp_path, capsys), "model.safetensors: not a readable safetensors file")


def test_config_without_preprocessing(model: Path, tmp_path: Path, capsys) -> None:
    _edit_config(model, lambda c: c.pop("preprocessing"))
    _assert_one_line(*_predict(model, tmp_path, capsys), "config.json: missing field 'preprocessing'")


def test_input_size_zero(model: Path, tmp_path: Path, capsys) -> None:
    _edit_config(model, lambda c: c["preprocessing"].update(size=0))
    _assert_one_line(*_predict(model, tmp_path, capsys), "preprocessing.size must be a positive integer")


def test_config_that_is_not_json(model: Path, tmp_path: Path, capsys) -> None:
    (model / "config.json").write_text('{"class_names": ["А",', encoding="utf-8")
    _assert_one_line(*_predict(model, tmp_path, capsys), "config.json: not valid JSON")


def test_cached_onnx_with_edited_class_names(model: Path, tmp_path: Path, capsys) -> None:
    export_onnx(model)
    assert find_onnx(model) == model / "model.onnx"
    _edit_config(model, lambda c: c.update(class_names=c["class_names"][:4], num_classes=4))
    assert find_onnx(model) is None  # its 5 outputs no longer mean config.json's 4 letters
    with pytest.raises(ValueError, match="weights do not fit"):
        load_model_dir(model)
    _assert_one_line(*_predict(model, tmp_path, capsys, backend="onnx"), "weights do not fit")


def _landmark_model_dir(path: Path) -> Path:
    from sign_ml.artifacts import ModelMeta, save_model_dir
    from sign_ml.landmark_model import LandmarkMLP, landmark_spec
    from sign_ml.landmarks import N_FEATURES

    spec = landmark_spec((16, 8), 0.3, "symmetric")
    model = LandmarkMLP(N_FEATURES, 3, (16, 8), 0.3, symmetric=True).eval()
    save_model_dir(path, model, ModelMeta(["А", "Б", "В"], kind="landmarks", landmarks=spec))
    return path


_PEAK = """
import json, resource, sys
from sign_ml.artifacts import load_model_dir
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    load_model_dir(sys.argv[1])
    error = ""
except ValueError as exc:
    error = str(exc)
print(json.dumps({"rise_mb": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024, "error": error}))
"""


def _load_in_fresh_process(model: Path) -> dict:
    import subprocess
    import sys

    repo = Path(__file__).resolve().parents[1]
    out = subprocess.run(
        [sys.executable, "-c", _PEAK, str(model)], cwd=repo, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_an_oversized_config_is_refused_before_anything_is_allocated(tmp_path: Path) -> None:
    """`hidden: [1000000, 128]` (3.9 GB) and `preprocessing.size: 20000` (4.6 GB) are refused from the
    config and the weights' header alone: the loading process grows by a few MB, not gigabytes."""
    landmarks = _landmark_model_dir(tmp_path / "landmarks")
    load_model_dir(landmarks)  # as saved, it loads
    _edit_config(landmarks, lambda c: c["landmarks"].update(hidden=[1_000_000, 128]))
    result = _load_in_fresh_process(landmarks)
    assert "net.0.weight would be [1000000," in result["error"], result
    assert "weights do not fit" in result["error"] and "the file holds [16," in result["error"], result
    assert result["rise_mb"] < 100, result
    image = tmp_path / "image"
    make_model_dir(image)
    _edit_config(image, lambda c: c["preprocessing"].update(size=20000))
    result = _load_in_fresh_process(image)
    assert "preprocessing.size must be a positive integer ≤ 1024 px" in result["error"], result
    assert result["rise_mb"] < 100, result
    _edit_config(image, lambda c: (c["preprocessing"].update(size=32), c.update(class_names=["А", "Б"])))
    with pytest.raises(ValueError, match=r"classifier\.3\.weight would be \[2, "):  # 5 classes in the weights
        load_model_dir(image)
