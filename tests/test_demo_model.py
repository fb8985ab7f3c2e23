"""The embedded models: the demo temporal model (models/demo/: the sample's photos and synthetic J and Z
clips) and the thesis-style MobileNetV3 kept for comparison (models/asl-mobilenet/). Each loads, reads hands
(and answers "no hand" without one), stays small, and its stored test metrics are what a fresh
`sign-ml evaluate` on the recipe's test split gives; the demo reads a GIF of a J movement as J."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_photo, proba

from curation.cli import main as curate
from sign_ml.artifacts import CONFIG_FILE, MODEL_FILE, read_meta
from sign_ml.evaluate import evaluate_run
from sign_ml.predict import Predictor

MODELS = Path(__file__).resolve().parents[1] / "models"
KINDS = {"demo": "temporal", "asl-mobilenet": "image"}
LANDMARK_KINDS = ("landmarks", "temporal")


@pytest.fixture(scope="module", params=sorted(KINDS))
def model(request, tmp_path_factory) -> tuple[Path, Predictor]:
    # a copy, so the ONNX export the predictor writes beside the weights stays out of the repository
    source = MODELS / request.param
    copy = tmp_path_factory.mktemp(request.param) / "model"
    copy.mkdir()
    for name in (MODEL_FILE, CONFIG_FILE):
        shutil.copy2(source / name, copy / name)
    return source, Predictor.from_pretrained(copy)


def test_embedded_models_are_small_and_self_describing(model):
    source, _ = model
    sizes = sum(p.stat().st_size for p in source.rglob("*") if p.is_file() and p.name != "model.onnx")
    assert sizes < 25 * 2**20, f"{source} holds {sizes / 2**20:.1f} MiB"
    assert not [
        p
        for p in source.rglob("*")
        if p.suffix.lower() in {".jpg", ".jpeg", ".png"}
        and "eval" not in p.parts
        and p.name not in {"confusion_matrix.png", "curves.png"}
    ]
    meta = read_meta(source)
    assert meta.kind == KINDS[source.name]
    assert meta.class_names == [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    card = (source / "README.md").read_text(encoding="utf-8")
    assert (
        "ASL" in card and "Motion letters** (J, Z)" in card
    )  # the card says what it is and what it cannot do


def test_a_photo_without_a_hand_gets_no_letter(model, tmp_path):
    _, predictor = model
    photo = make_photo(tmp_path / "noise.jpg", seed=3, size=(200, 160), fmt="JPEG")
    probs = proba(predictor, [photo])
    assert probs.shape == (1, 26) and not probs.any()
    assert predictor.predict(photo).top == [] and predictor.predict(photo).no_hand


@pytest.mark.shared_data
def test_embedded_models_read_a_real_hand(model, asl_sample):
    _, predictor = model
    probs = proba(predictor, [asl_sample / "L" / "L10.jpg"])
    assert probs.shape == (1, 26) and probs.sum() == pytest.approx(1.0, abs=1e-5)
    top = predictor.predict(asl_sample / "L" / "L10.jpg", top_k=5).top
    assert len(top) == 5 and [p for _, p in top] == sorted((p for _, p in top), reverse=True)
    if predictor.kind in LANDMARK_KINDS:
        assert top[0][0] == "L"


def recipe_data(sample: Path, out: Path) -> Path:
    """The demo recipe's data folder (recipes/demo_asl.sh): links to the photos, the synthetic clips beside."""
    for folder in sorted(p for p in sample.iterdir() if p.is_dir()):
        (out / folder.name).mkdir(parents=True)
        for photo in sorted(folder.iterdir()):
            (out / folder.name / photo.name).symlink_to(photo.resolve())
    demo_motion_clips().write_motion_clips(sample, out)
    return out


def demo_motion_clips():
    import importlib.util

    path = MODELS.parent / "recipes" / "demo_motion_clips.py"
    spec = importlib.util.spec_from_file_location("demo_motion_clips", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.shared_data
def test_the_demo_reads_a_j_movement_as_j_and_a_still_i_as_i(asl_sample, tmp_path):
    """Done when: a GIF of the movement through `sign-ml predict models/demo` reads J; a still I stays I."""
    from sign_ml.cli import main

    copy = tmp_path / "demo"
    copy.mkdir()
    for name in (MODEL_FILE, CONFIG_FILE):
        shutil.copy2(MODELS / "demo" / name, copy / name)
    gif = demo_motion_clips().write_j_gif(asl_sample, tmp_path / "in" / "j.gif")
    still = asl_sample / "I" / "I3.jpg"
    out = tmp_path / "out" / "answers.jsonl"  # not beside the inputs: predict refuses that
    assert main(["predict", str(copy), str(gif), str(still), "--json", "--out", str(out)]) == 0
    answers = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [a["top"][0]["label"] for a in answers] == ["J", "I"]
    card = (MODELS / "demo" / "README.md").read_text(encoding="utf-8")
    assert "Synthetic clips" in card and "SYNTHETIC" in card  # the card says so, plainly


@pytest.mark.shared_data
@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(KINDS))
def test_stored_test_metrics_match_a_fresh_evaluation(asl_sample, tmp_path, name):
    source = MODELS / name
    test_eval = source / "eval" / "test"
    # the recipe's split (recipes/demo_asl.sh) is deterministic: remake it, then evaluate a copy of the model
    splits = tmp_path / "splits"
    data = recipe_data(asl_sample, tmp_path / "data") if name == "demo" else asl_sample
    assert (
        curate(
            [
                "split",
                str(data),
                "--out",
                str(splits),
                "--ratios",
                "70,15,15",
                "--seed",
                "0",
                "--no-progress",
            ]
        )
        == 0
    )
    run = tmp_path / "run"
    run.mkdir()
    for file in (MODEL_FILE, CONFIG_FILE):
        shutil.copy2(source / file, run / file)
    fresh = evaluate_run(run, splits, split="test")

    stored = json.loads((test_eval / "metrics.json").read_text(encoding="utf-8"))
    assert fresh.n == stored["n"]
    assert fresh.accuracy == pytest.approx(stored["accuracy"], abs=1e-9)
    assert fresh.confusion_matrix().tolist() == stored["confusion_matrix"]
    # photo by photo: the same test photos, the same predicted letters
    assert fresh.metrics()["no_hand"] == stored["no_hand"]
    shipped = pd.read_csv(test_eval / "predictions.csv", keep_default_na=False).set_index("relpath")
    table = fresh.table().set_index("relpath")
    assert sorted(table.index) == sorted(shipped.index)
    assert (table.loc[shipped.index, "pred"].astype(str) == shipped["pred"].astype(str)).all()


def test_landmarks_from_elsewhere_take_the_same_path_as_a_photo(model, tmp_path, every_photo_has_a_hand):
    """The browser sends 21 landmarks + handedness: predict_landmarks answers exactly as the photo path."""
    _, predictor = model
    photo = make_photo(tmp_path / "hand.jpg", seed=5, size=(200, 160), fmt="JPEG")
    whole = predictor.predict(photo)
    assert whole.status == "ok" and whole.detection.found
    hand, det = whole.detection.hand, whole.detection
    framed = predictor.predict_detection(whole.image, det)  # the Live tab's path: another stage's detection
    np.testing.assert_allclose(framed.probs, whole.probs, atol=1e-6)
    if predictor.kind in LANDMARK_KINDS:
        sent = predictor.predict_landmarks(hand.landmarks, hand.handedness, det.width, det.height)
        assert sent.status == "ok" and sent.top[0][0] == whole.top[0][0]
        np.testing.assert_allclose(sent.probs, whole.probs, atol=1e-6)
        with pytest.raises(ValueError, match="21 finite"):
            predictor.predict_landmarks(hand.landmarks[:20], "Right", det.width, det.height)
    else:
        with pytest.raises(ValueError, match="needs the frame"):
            predictor.predict_landmarks(hand.landmarks, hand.handedness, det.width, det.height)
