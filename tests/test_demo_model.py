"""The embedded demo model (models/demo/): it loads, predicts its 26 classes, stays small, and its stored
test metrics are what a fresh `sign-ml evaluate` on the shared sample's test split gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_photo

from curation.cli import main as curate
from sign_ml.artifacts import CONFIG_FILE, MODEL_FILE, read_meta
from sign_ml.evaluate import evaluate_run
from sign_ml.predict import Predictor

DEMO = Path(__file__).resolve().parents[1] / "models" / "demo"
TEST_EVAL = DEMO / "eval" / "test"


@pytest.fixture(scope="module")
def predictor(tmp_path_factory) -> Predictor:
    # a copy, so the ONNX export the predictor writes beside the weights stays out of the repository
    copy = tmp_path_factory.mktemp("demo") / "model"
    copy.mkdir()
    for name in (MODEL_FILE, CONFIG_FILE):
        shutil.copy2(DEMO / name, copy / name)
    return Predictor.from_pretrained(copy)


def test_demo_model_is_small_and_self_describing():
    sizes = sum(p.stat().st_size for p in DEMO.rglob("*") if p.is_file() and p.name != "model.onnx")
    assert sizes < 25 * 2**20, f"models/demo holds {sizes / 2**20:.1f} MiB"
    assert not [p for p in DEMO.rglob("*") if p.suffix.lower() in {".jpg", ".jpeg", ".png"} and "eval" not in p.parts
                and p.name not in {"confusion_matrix.png", "curves.png"}]  # fmt: skip
    meta = read_meta(DEMO)
    assert meta.class_names == [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    assert "ASL" in (DEMO / "README.md").read_text(encoding="utf-8")  # the card says what it is


def test_demo_model_predicts_its_26_classes(predictor, tmp_path):
    photo = make_photo(tmp_path / "hand.jpg", seed=3, size=(200, 160), fmt="JPEG")
    probs = predictor.predict_proba([photo])
    assert probs.shape == (1, 26) and np.isfinite(probs).all()
    assert probs.sum() == pytest.approx(1.0, abs=1e-5)
    top = predictor.predict(photo, top_k=5)
    assert len(top) == 5 and [p for _, p in top] == sorted((p for _, p in top), reverse=True)


@pytest.mark.shared_data
@pytest.mark.slow
def test_stored_test_metrics_match_a_fresh_evaluation(asl_sample, tmp_path):
    # the recipe's split (recipes/demo_asl.sh) is deterministic: remake it, then evaluate a copy of the model
    splits = tmp_path / "splits"
    assert curate(["split", str(asl_sample), "--out", str(splits), "--ratios", "70,15,15", "--seed", "0",
                   "--no-progress"]) == 0  # fmt: skip
    run = tmp_path / "run"
    run.mkdir()
    for name in (MODEL_FILE, CONFIG_FILE):
        shutil.copy2(DEMO / name, run / name)
    fresh = evaluate_run(run, splits, split="test")

    stored = json.loads((TEST_EVAL / "metrics.json").read_text(encoding="utf-8"))
    assert fresh.n == stored["n"]
    assert fresh.accuracy == pytest.approx(stored["accuracy"], abs=1e-9)
    assert fresh.confusion_matrix().tolist() == stored["confusion_matrix"]
    # photo by photo: the same test photos, the same predicted letters
    shipped = pd.read_csv(TEST_EVAL / "predictions.csv", keep_default_na=False).set_index("relpath")
    table = fresh.table().set_index("relpath")
    assert sorted(table.index) == sorted(shipped.index)
    assert (table.loc[shipped.index, "pred"].astype(str) == shipped["pred"].astype(str)).all()
