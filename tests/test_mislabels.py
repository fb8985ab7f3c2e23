"""Mislabel candidates: planted wrong labels on planted hands come out on top, from out-of-sample probabilities.

Hands are planted (test_landmark_train's three well-separated shapes), in a pre-seeded landmark cache for
the folder tests, so no MediaPipe run is needed and the answer is known.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_photo
from test_landmark_train import CLASSES, H, W, planted, seed_cache

from curation.cli import main as curate_main
from sign_ml.config import LandmarkConfig
from sign_ml.data import SplitItems
from sign_ml.landmark_train import hand_set
from sign_ml.mislabels import (
    TABLE_COLUMNS,
    find_mislabels,
    fold_count,
    out_of_sample_probs,
    rank_label_issues,
)

FAST = LandmarkConfig(epochs=40, hidden=(64,), batch_size=32)
WRONG = (3, 41, 77)  # rows whose label is planted wrong: classes 0, 1, 2 (30 hands each)


def planted_hands(n_per_class: int = 30, seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    dets, labels = planted(n_per_class, seed)
    hands = hand_set(
        SplitItems("x", [str(i) for i in range(len(labels))], np.asarray(labels)), dets, "symmetric"
    )
    return hands.points, hands.labels


def wrong_labels(labels: np.ndarray) -> np.ndarray:
    out = labels.copy()
    out[list(WRONG)] = (labels[list(WRONG)] + 1) % len(CLASSES)
    return out


def test_planted_mislabels_are_exactly_the_top_of_the_ranking():
    points, labels = planted_hands()
    noisy = wrong_labels(labels)
    probs = out_of_sample_probs(points, noisy, len(CLASSES), FAST, folds=5)
    assert probs.shape == (90, 3) and np.allclose(probs.sum(1), 1.0)
    ranked, quality = rank_label_issues(noisy, probs)
    assert set(ranked[: len(WRONG)].tolist()) == set(WRONG)
    assert len(ranked) <= len(WRONG) + 2  # the clean hands are (almost) never suspected
    assert quality.shape == (90,) and quality[list(WRONG)].max() < np.delete(quality, WRONG).min()
    # each planted hand is confidently its true class: the suggestion is the right letter
    assert (probs[list(WRONG)].argmax(1) == labels[list(WRONG)]).all()

    clean_probs = out_of_sample_probs(points, labels, len(CLASSES), FAST, folds=5)
    clean_ranked, _ = rank_label_issues(labels, clean_probs)
    assert len(clean_ranked) <= 1


def test_out_of_sample_probs_never_score_a_hand_with_a_model_that_saw_it(monkeypatch):
    import sign_ml.landmark_train as landmark_train
    import sign_ml.loso as loso

    real_fit, real_predict = landmark_train.fit_landmark_model, loso.predict_points
    scored: list[bytes] = []
    trained_sizes: list[int] = []

    def spy_fit(cfg, train, val, num_classes, progress=False):
        fit = real_fit(cfg, train, val, num_classes, progress)
        fit.model.seen = {p.tobytes() for p in train.points}  # the hands this model learnt from
        trained_sizes.append(len(train.points))
        return fit

    def spy_predict(model, points):
        for p in points:
            assert p.tobytes() not in model.seen, "a hand was scored by a model trained on it"
            scored.append(p.tobytes())
        return real_predict(model, points)

    monkeypatch.setattr(landmark_train, "fit_landmark_model", spy_fit)
    monkeypatch.setattr(loso, "predict_points", spy_predict)
    points, labels = planted_hands(10, seed=12)
    out_of_sample_probs(points, labels, len(CLASSES), LandmarkConfig(epochs=2, hidden=(16,)), folds=5)
    assert sorted(scored) == sorted(p.tobytes() for p in points)  # every hand scored exactly once
    assert len(trained_sizes) == 5 and sum(trained_sizes) == 4 * len(
        points
    )  # and learnt from by the 4 others


def test_a_lone_shape_is_scored_by_a_model_that_never_saw_it():
    """A hand whose shape no other hand has, labelled as the class it resembles least: a model trained on it
    would learn it (in-sample its label is likely), the out-of-sample model cannot (its label is unlikely)."""
    from sign_ml.landmark_train import HandSet, fit_landmark_model
    from sign_ml.loso import predict_points

    points, labels = planted_hands(20, seed=13)
    lone = int(np.flatnonzero(labels == 0)[0])
    labels = labels.copy()
    labels[lone] = 2  # its shape is class 0's; no other hand shaped like it says 2
    cfg = LandmarkConfig(
        epochs=150, hidden=(64,), batch_size=32, augment=False, dropout=0.0, label_smoothing=0.0
    )
    inside = fit_landmark_model(cfg, HandSet(points, labels, np.ones(len(labels), bool), labels, 0), None, 3)
    in_sample = predict_points(inside.model, points[lone : lone + 1])[0, 2]
    out_sample = out_of_sample_probs(points, labels, 3, cfg, folds=4)[lone, 2]
    assert out_sample < 0.05 and in_sample > 10 * out_sample


def test_folds_follow_the_smallest_class_and_a_lone_class_is_refused():
    assert fold_count(np.array([0] * 10 + [1] * 3), 5) == 3
    assert fold_count(np.array([0] * 10 + [1] * 10), 5) == 5
    assert fold_count(np.array([0, 0, 1, 1]), 5) == 2
    points, labels = planted_hands(4, seed=14)
    labels = labels.copy()
    labels[0] = 2  # ... and class 0 keeps 3 hands; now make class 1 a single hand
    labels[labels == 1] = 0
    labels[4] = 1
    with pytest.raises(ValueError, match=r"\[1\] have a single hand"):
        out_of_sample_probs(points, labels, 3, FAST)


# ---------------------------------------------------------------- folders, decisions, the CLI


def planted_folder(root: Path) -> tuple[Path, list[str]]:
    """root/<class>/<i>.png with planted hands in the cache; the WRONG rows sit in the wrong class folder.
    Also one photo without a hand. Returns (root, relpaths of the planted mislabels)."""
    dets, labels = planted(30, 11)
    by_path, wrong = {}, []
    for i, (d, k) in enumerate(zip(dets, labels, strict=True)):
        given = (k + 1) % len(CLASSES) if i in WRONG else k
        rel = f"{CLASSES[given]}/p{i:03d}.png"
        by_path[str(make_photo(root / rel, seed=5000 + i, size=(W // 8, H // 8)))] = d
        if i in WRONG:
            wrong.append(rel)
    from curation.hands import HandDetection

    by_path[str(make_photo(root / CLASSES[0] / "nohand.png", seed=4999, size=(W // 8, H // 8)))] = (
        HandDetection(W, H)
    )
    seed_cache(by_path)
    return root, wrong


def test_cli_prints_the_planted_mislabels_first_and_writes_the_csv(tmp_path, capsys):
    root, wrong = planted_folder(tmp_path / "photos")
    config = tmp_path / "fast.json"
    config.write_text('{"epochs": 40, "hidden": [64], "batch_size": 32}')
    out = tmp_path / "issues.csv"
    assert curate_main(["issues", str(root), "--top", "5", "--csv", str(out), "--config", str(config)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:2] == ["rank", "file"]
    top = [line.split()[1] for line in lines[1:4]]
    assert sorted(top) == sorted(wrong)
    for line in lines[1:4]:  # given → suggested: the folder's letter, then the hand's true letter
        rank, rel, given, arrow, suggested = line.split()[:5]
        assert (
            given == rel.split("/")[0]
            and arrow == "→"
            and suggested == CLASSES[(CLASSES.index(given) - 1) % 3]
        )
    summary = lines[-2]
    assert (
        summary.startswith("90 photos checked, ") and "5 folds" in summary and "1 without a hand" in summary
    )
    ranking = pd.read_csv(out)
    assert list(ranking.columns) == TABLE_COLUMNS
    assert sorted(ranking["relpath"].head(3)) == sorted(wrong) and ranking["rank"].tolist()[:3] == [1, 2, 3]
    assert (ranking["quality"].head(3) < 0.2).all() and ranking["quality"].is_monotonic_increasing


def test_decisions_are_applied_before_checking(tmp_path):
    root, wrong = planted_folder(tmp_path / "photos")
    (root / "label_decisions.csv").write_text(
        "file_name,action,label,time\n"
        f"{wrong[0]},exclude,,2026-11-22T20:00:00+00:00\n"
        f"{wrong[1]},relabel,{CLASSES[(CLASSES.index(wrong[1][0]) - 1) % 3]},2026-11-22T20:01:00+00:00\n",
        encoding="utf-8",
    )
    result = find_mislabels(root, cfg=FAST, progress=False)
    assert result.excluded_by_decisions == 1 and result.relabelled_by_decisions == 1
    assert result.n_checked == 89 and result.n_no_hand == 1
    listed = result.table["relpath"].tolist()
    assert wrong[0] not in listed  # excluded: not listed again
    assert wrong[1] not in listed  # relabelled to its true letter: no longer suspicious
    assert listed[0] == wrong[2]

    ignored = find_mislabels(root, cfg=FAST, progress=False, apply_label_decisions=False)
    assert ignored.excluded_by_decisions == 0 and sorted(ignored.table["relpath"].head(3)) == sorted(wrong)
