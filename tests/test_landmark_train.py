"""The landmark model end to end on a planted set: split columns → train → evaluate → predict (ONNX = torch).

The photos are noise pictures; their hands are planted: in the split's `hand` column (what
`sign-curate split` writes) and, for prediction, in a pre-seeded landmark cache keyed by the photos' bytes,
exactly as a real detection would be stored. So these tests need no MediaPipe run, and they know the answer.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_photo, proba, train_argv

from curation.fileio import read_json
from curation.hand_cache import HandCache, hand_columns
from curation.hands import Hand, HandDetection, shared_stage
from curation.split_io import write_splits
from sign_ml.cli import main
from sign_ml.config import LandmarkConfig
from sign_ml.evaluate import NO_HAND_LABEL, Interpretation
from sign_ml.landmark_train import fit_landmark_model, hand_set
from sign_ml.predict import Predictor

CLASSES = ["А", "Б", "В"]
W, H = 320, 240


def templates(rng: np.random.Generator) -> np.ndarray:
    """Three distinct hand shapes in pixels: (3, 21, 3)."""
    base = rng.normal(0, 1, (3, 21, 3))
    base[:, 0] = 0
    base[:, [5, 9, 13, 17], 1] -= 4.0
    base[:, 6:21, 1] -= 6.0
    return base * 15 + np.array([W / 2, H * 0.7, 0.0])


def planted(n_per_class: int, seed: int, noise: float = 0.6) -> tuple[list[HandDetection], list[int]]:
    rng = np.random.default_rng(seed)
    shapes = templates(np.random.default_rng(0))  # the same three shapes in every split
    dets, labels = [], []
    for k in range(len(CLASSES)):
        for _ in range(n_per_class):
            pts = shapes[k] + rng.normal(0, noise * 15 / 6, (21, 3))
            pts = pts + rng.uniform(-40, 40, (1, 3)) * np.array([1, 1, 0])  # anywhere in the photo
            norm = (pts / np.array([W, H, W])).astype(np.float32)
            box = (
                float(norm[:, 0].min()),
                float(norm[:, 1].min()),
                float(norm[:, 0].max()),
                float(norm[:, 1].max()),
            )
            side = "Left" if rng.random() < 0.5 else "Right"
            dets.append(HandDetection(W, H, (Hand(norm, norm * 0.1, side, 0.9, box),)))
            labels.append(k)
    return dets, labels


def planted_split(root: Path, no_hand_in_test: int = 1) -> tuple[Path, dict[str, HandDetection]]:
    """A split directory with hand columns; returns it and {photo path: planted detection}."""
    rows, by_path = [], {}
    for split, n, seed in (("train", 30, 1), ("validation", 8, 2), ("test", 8, 3)):
        dets, labels = planted(n, seed)
        for i, (d, k) in enumerate(zip(dets, labels, strict=True)):
            if split == "test" and i < no_hand_in_test:
                d = HandDetection(W, H)  # a photo in which no hand was found
            rel = f"{CLASSES[k]}/{split}_{i}.png"
            path = make_photo(root / "photos" / rel, seed=hash((split, i)) % 10**6, size=(W // 4, H // 4))
            rows.append({"path": str(path), "relpath": rel, "label": CLASSES[k], "split": split})
            by_path[str(path)] = d
    table = pd.DataFrame(rows)
    outcomes = [type("O", (), {"detection": by_path[p]})() for p in table["path"]]
    table = table.assign(**hand_columns(outcomes))
    out = write_splits(
        table, CLASSES, root / "splits", info={"data_root": str(root / "photos")}, dataset=False
    )
    return out, by_path


def seed_cache(by_path: dict[str, HandDetection]) -> None:
    """Store the planted detections as the hand stage's answers for these exact photo bytes."""
    cache = HandCache()
    stage = shared_stage()
    for path, detection in by_path.items():
        cache.put(HandCache.key(Path(path).read_bytes(), stage.fingerprint), detection)
    cache.close()


FAST = {"epochs": 60, "hidden": [64], "batch_size": 32}


def test_fit_learns_planted_shapes_and_not_shuffled_labels():
    cfg = LandmarkConfig(epochs=60, hidden=(64,))
    from sign_ml.data import SplitItems

    def hs(n, seed, shuffle=False):
        dets, labels = planted(n, seed)
        labels = np.asarray(labels)
        if shuffle:
            labels = np.random.default_rng(seed).permutation(labels)
        return hand_set(SplitItems("x", [f"{i}" for i in range(len(labels))], labels), dets, cfg.handedness)

    val = hs(20, 5)
    fit = fit_landmark_model(cfg, hs(30, 4), val, len(CLASSES))
    assert fit.best_score >= 0.9
    # the same inputs with the labels shuffled: nothing to learn, near chance on the real labels
    fit_bad = fit_landmark_model(cfg, hs(30, 4, shuffle=True), val, len(CLASSES))
    assert fit_bad.best_score < 0.75
    assert len(fit.rows) == 60 and all(np.isfinite(r["train_loss"]) for r in fit.rows)


def test_augmentation_is_applied_and_changes_training():
    from sign_ml.data import SplitItems

    dets, labels = planted(10, 6)
    train = hand_set(SplitItems("t", [str(i) for i in range(30)], np.asarray(labels)), dets, "symmetric")
    on = fit_landmark_model(LandmarkConfig(epochs=3, hidden=(16,)), train, None, 3)
    off = fit_landmark_model(LandmarkConfig(epochs=3, hidden=(16,), augment=False), train, None, 3)
    assert on.rows[0]["train_loss"] != off.rows[0]["train_loss"]


def test_cli_trains_evaluates_and_predicts_a_landmark_run(tmp_path):
    splits, by_path = planted_split(tmp_path)
    config = tmp_path / "lm.json"
    config.write_text(json.dumps(FAST))
    run = tmp_path / "run"
    assert main(train_argv(splits, run, "--config", str(config), kind="landmarks")) == 0
    meta = read_json(run / "config.json")
    assert meta["kind"] == "landmarks" and meta["class_names"] == CLASSES
    assert meta["landmarks"]["handedness"] == "symmetric" and meta["data"]["no_hand"]["train"] == 0
    assert meta["metrics"]["best_val_accuracy"] >= 0.9
    assert (run / "metrics.csv").is_file() and (run / "curves.png").is_file()

    seed_cache(by_path)
    assert main(["evaluate", str(run), "--data", str(splits), "--split", "test"]) == 0
    interp = Interpretation.load(run / "eval" / "test")
    table = interp.table()
    no_hand = table[table["pred"] == NO_HAND_LABEL]
    assert len(no_hand) == 1 and not no_hand["correct"].any()  # counted, and counted wrong
    assert interp.n == 24 and interp.accuracy >= 20 / 24
    metrics = read_json(run / "eval" / "test" / "metrics.json")
    assert metrics["no_hand"] == 1 and sum(r["no_hand"] for r in metrics["per_class"]) == 1

    # ONNX Runtime and torch give the same probabilities for the same photos
    paths = sorted(by_path)
    onnx = Predictor.from_pretrained(run, backend="onnx")
    torch_ = Predictor.from_pretrained(run, backend="torch")
    p_onnx = proba(onnx, paths)
    p_torch = proba(torch_, paths)
    np.testing.assert_allclose(p_onnx, p_torch, atol=1e-5)
    found = np.array([by_path[p].found for p in paths])
    assert np.all(p_onnx[~found] == 0) and np.allclose(p_onnx[found].sum(1), 1, atol=1e-5)


def test_auto_kind_picks_landmarks_for_a_small_split(tmp_path, capsys):
    splits, _ = planted_split(tmp_path, no_hand_in_test=0)
    config = tmp_path / "lm.yaml"
    config.write_text("epochs: 2\nhidden: [8]\n")
    assert main(train_argv(splits, tmp_path / "run", "--config", str(config))) == 0
    assert "model kind: landmarks" in capsys.readouterr().out
    assert read_json(tmp_path / "run" / "config.json")["kind"] == "landmarks"


@pytest.mark.parametrize("bad", [{"handedness": "both"}, {"hidden": []}, {"lr": -1}])
def test_bad_landmark_config_is_refused(tmp_path, bad):
    splits, _ = planted_split(tmp_path, no_hand_in_test=0)
    config = tmp_path / "bad.json"
    config.write_text(json.dumps(bad))
    assert main(train_argv(splits, tmp_path / "r", "--config", str(config), kind="landmarks")) == 2
