"""The predictor (torch path), the `sign-ml predict` CLI, and finding models locally or in the Hub cache offline."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_model_dir as _make_model_dir
from conftest import make_photo, plant_hand_in_cache, proba
from PIL import Image

from sign_ml.artifacts import load_model_dir
from sign_ml.cli import main
from sign_ml.predict import Predictor, softmax
from sign_ml.presets import eval_tensor
from sign_ml.resolve import resolve_model_dir

CLASSES = ["А", "Б", "В", "Г", "Ґ"]
# these tests are about what follows the hand stage: every (noise) photo here "has" a hand
pytestmark = pytest.mark.usefixtures("every_photo_has_a_hand")


def make_model_dir(path: Path, class_names: list[str] = CLASSES, size: int = 32, seed: int = 0):
    """A tiny untrained model directory over CLASSES (see conftest.make_model_dir)."""
    return _make_model_dir(path, class_names, size=size, seed=seed)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("model")
    make_model_dir(path)
    return path


@pytest.fixture(scope="module")
def predictor(model_dir: Path) -> Predictor:
    return Predictor.from_pretrained(model_dir, backend="torch")


@pytest.fixture
def photo_dir(tmp_path: Path) -> Path:
    """3 good photos (png, jpg, a nested jpg), a truncated JPEG and a text file named .jpg."""
    folder = tmp_path / "photos"
    make_photo(folder / "a.png", seed=1)
    make_photo(folder / "b.jpg", seed=2, fmt="JPEG")
    make_photo(folder / "sub" / "c.jpg", seed=3, size=(64, 40), fmt="JPEG")
    whole = make_photo(tmp_path / "whole.jpg", seed=4, size=(96, 96), fmt="JPEG").read_bytes()
    (folder / "corrupt.jpg").write_bytes(whole[: len(whole) // 2])
    (folder / "notes.jpg").write_text("this is not a photo\n", encoding="utf-8")
    (folder / "readme.txt").write_text("not an image extension: skipped when expanding the folder\n")
    return folder


def test_reload_gives_bit_identical_logits(tmp_path: Path) -> None:
    model = make_model_dir(tmp_path / "m", seed=3)
    reloaded, meta = load_model_dir(tmp_path / "m")
    x = torch.randn(4, 3, 32, 32, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        assert torch.equal(model(x), reloaded(x))
    predictor = Predictor.from_pretrained(tmp_path / "m", backend="torch")
    assert predictor.backend == "torch" and predictor.fallback_reason is None
    assert predictor.class_names == CLASSES and meta.preprocessing.size == 32
    image = Image.fromarray(np.random.default_rng(0).integers(0, 256, (50, 70, 3), dtype=np.uint8))
    with torch.inference_mode():  # the predictor's path is exactly presets' eval transform + the model
        expected = model(eval_tensor(image, meta.preprocessing)).numpy()
    np.testing.assert_array_equal(predictor.forward(predictor.encode(image)[None]), expected)


def test_predict_top_k_sorted_for_every_source_kind(predictor: Predictor, tmp_path: Path) -> None:
    path = make_photo(tmp_path / "x.png", seed=7)
    top = predictor.predict(path, top_k=3).top
    assert len(top) == 3 and {label for label, _ in top} <= set(CLASSES)
    probs = [p for _, p in top]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-6
    assert predictor.predict(str(path), top_k=3).top == top
    assert predictor.predict(path.read_bytes(), top_k=3).top == top
    assert predictor.predict(Image.open(path), top_k=3).top == top
    full = predictor.predict(path, top_k=99).top
    assert len(full) == len(CLASSES) and sum(p for _, p in full) == pytest.approx(1.0, abs=1e-5)


def test_predict_proba_batched(predictor: Predictor) -> None:
    images = [
        Image.fromarray(np.random.default_rng(i).integers(0, 256, (40, 40, 3), dtype=np.uint8))
        for i in range(5)
    ]
    together = proba(predictor, images, batch_size=2)
    assert together.shape == (5, len(CLASSES)) and together.dtype == np.float32
    np.testing.assert_allclose(together.sum(axis=1), 1.0, atol=1e-5)
    for i, image in enumerate(images):
        np.testing.assert_allclose(predictor.predict(image).probs, together[i], atol=1e-6)
    assert len(set(together.argmax(axis=1))) > 1  # a real spread, not one constant answer


def test_unreadable_input_is_a_status(predictor: Predictor, photo_dir: Path) -> None:
    for bad in (photo_dir / "corrupt.jpg", photo_dir / "notes.jpg", b"garbage", photo_dir / "missing.png"):
        result = predictor.predict(bad)
        assert (result.status, result.top, result.probs) == ("unreadable", [], None) and result.error
        (batched,) = predictor.predict_files([bad])
        assert batched.status == "unreadable" and batched.error and batched.top == []


def test_predict_files_reports_bad_files_and_predicts_the_rest(predictor: Predictor, photo_dir: Path) -> None:
    paths = [photo_dir / "a.png", photo_dir / "corrupt.jpg", photo_dir / "b.jpg", photo_dir / "notes.jpg"]
    results = list(predictor.predict_files(paths, top_k=2, batch_size=3))
    assert [r.source for r in results] == [str(p) for p in paths]
    assert [r.ok for r in results] == [True, False, True, False]
    assert "truncated" in results[1].error or "decode" in results[1].error
    assert "not an image" in results[3].error
    for i in (0, 2):  # same labels, same probabilities up to batch-size-dependent float rounding
        alone = predictor.predict(paths[i], top_k=2).top
        assert [label for label, _ in results[i].top] == [label for label, _ in alone]
        np.testing.assert_allclose([p for _, p in results[i].top], [p for _, p in alone], atol=1e-4)


def test_softmax_is_stable() -> None:
    p = softmax(np.array([[1000.0, 0.0], [0.0, 0.0]], dtype=np.float32))
    np.testing.assert_allclose(p, [[1.0, 0.0], [0.5, 0.5]])


# --- CLI ---


def test_cli_json_on_a_folder_with_bad_files(
    model_dir: Path, photo_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["predict", str(model_dir), str(photo_dir), "--json", "--top-k", "3", "--backend", "torch"])
    captured = capsys.readouterr()
    assert code == 1  # some file failed
    lines = [json.loads(line) for line in captured.out.splitlines()]
    by_name = {Path(d["file"]).name: d for d in lines}
    assert [Path(d["file"]).relative_to(photo_dir).as_posix() for d in lines] == [
        "a.png",
        "b.jpg",
        "corrupt.jpg",
        "notes.jpg",
        "sub/c.jpg",
    ]
    for name in ("a.png", "b.jpg", "c.jpg"):
        d = by_name[name]
        assert d["error"] is None and len(d["top"]) == 3
        assert d["top"][0]["label"] in CLASSES and d["top"][0]["prob"] >= d["top"][1]["prob"]
    for name in ("corrupt.jpg", "notes.jpg"):
        assert by_name[name]["top"] is None and by_name[name]["error"]
    assert "2 of 5 file(s) could not be read" in captured.err


def test_cli_text_mode(model_dir: Path, photo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = photo_dir / "a.png", photo_dir / "notes.jpg"
    assert main(["predict", str(model_dir), str(good), str(bad), "--backend", "torch"]) == 1
    captured = capsys.readouterr()
    out = captured.out.splitlines()
    assert len(out) == 1 and out[0].startswith(f"{good}\t")
    pairs = out[0].split("\t")[1].split(", ")
    assert len(pairs) == 5 and all(p.split(" ")[0] in CLASSES for p in pairs)
    assert f"{bad}\terror: not an image" in captured.err
    assert main(["predict", str(model_dir), str(good), "--backend", "torch"]) == 0
    capsys.readouterr()


def test_cli_cannot_run(tmp_path: Path, photo_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["predict", str(tmp_path / "no-model"), str(photo_dir / "a.png")]) == 2
    assert "not a local directory" in capsys.readouterr().err
    assert main(["predict", str(photo_dir), str(photo_dir / "a.png")]) == 2  # a folder without config.json
    assert "without config.json" in capsys.readouterr().err


# --- resolve_model_dir: local, and a real offline round trip through huggingface_hub's cache ---


def seed_hf_cache(hub_cache: Path, repo_id: str, files_from: Path, commit: str = "a" * 40) -> Path:
    """Lay out huggingface_hub's cache by hand: models--user--name/{blobs, snapshots/<commit>, refs/main}."""
    repo = hub_cache / ("models--" + repo_id.replace("/", "--"))
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "blobs").mkdir()
    for f in files_from.iterdir():
        if f.is_file() and f.name in ("config.json", "model.safetensors"):
            blob = repo / "blobs" / f"blob-{f.name}"
            shutil.copyfile(f, blob)
            (snapshot / f.name).symlink_to(os.path.relpath(blob, snapshot))  # as the real cache does
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    return snapshot


def test_resolve_local_dir(model_dir: Path, tmp_path: Path) -> None:
    assert resolve_model_dir(model_dir) == model_dir
    assert resolve_model_dir(str(model_dir)) == model_dir
    with pytest.raises(FileNotFoundError, match="without config.json"):
        resolve_model_dir(tmp_path)
    with pytest.raises(FileNotFoundError, match="not a local directory, and not a Hub model id"):
        resolve_model_dir(tmp_path / "a" / "b")


def test_resolve_hub_id_offline(model_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from huggingface_hub import constants

    snapshot = seed_hf_cache(tmp_path / "hub", "someone/tiny-dactyl", model_dir)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # what HF_HUB_OFFLINE=1 sets at import
    monkeypatch.chdir(tmp_path)  # so "someone/tiny-dactyl" is not a local folder
    found = resolve_model_dir("someone/tiny-dactyl")
    assert found == snapshot.resolve() or found == snapshot
    assert Predictor.from_pretrained("someone/tiny-dactyl", backend="torch").class_names == CLASSES
    with pytest.raises(
        FileNotFoundError, match="someone/absent: not a local directory; Hub download failed: "
    ):
        resolve_model_dir("someone/absent")
    with pytest.raises(FileNotFoundError, match="Hub download failed"):
        resolve_model_dir("someone/tiny-dactyl", revision="no-such-branch")


def test_cli_predict_hub_id_with_env_vars(model_dir: Path, tmp_path: Path) -> None:
    """End to end in a fresh process, configured only by the environment: HF_HUB_OFFLINE=1 + HF_HUB_CACHE."""
    seed_hf_cache(tmp_path / "hub", "someone/tiny-dactyl", model_dir)
    # a seed no other test draws: the landmark cache is the session's, and make_class_folder's photos would
    # otherwise come back with this planted hand in later tests (seed 5 is make_class_folder(seed=0)'s A_5)
    photo = make_photo(tmp_path / "hand.png", seed=9_999_999)
    plant_hand_in_cache(photo)  # the fresh process runs the real hand stage, through the landmark cache
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_HUB_CACHE": str(tmp_path / "hub")}
    code = "import sys; from sign_ml.cli import main; sys.exit(main(sys.argv[1:]))"
    cmd = [
        sys.executable,
        "-c",
        code,
        "predict",
        "someone/tiny-dactyl",
        str(photo),
        "--json",
        "--top-k",
        "2",
        "--backend",
        "torch",
    ]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stdout)
    assert line["error"] is None and [t["label"] for t in line["top"]] == [
        label
        for label, _ in Predictor.from_pretrained(model_dir, backend="torch").predict(photo, top_k=2).top
    ]


def test_predict_accepts_bytes_like_an_upload(predictor: Predictor, tmp_path: Path) -> None:
    buffer = io.BytesIO()
    Image.fromarray(np.full((64, 64, 3), 120, dtype=np.uint8)).save(buffer, format="JPEG")
    assert len(predictor.predict(buffer.getvalue()).top) == 5
