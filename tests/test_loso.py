"""Leave-one-signer-out: a signer who signs differently scores low while the others score high; one signer
gives no number; the result round-trips through loso.json, lands where the app looks, and reaches the card.

Hands are planted (test_landmark_train's three shapes). Signers "ann" and "bob" sign every letter with its
shape; "cy" signs each letter with the NEXT letter's shape. Held out, cy is read as the other letters (≈0);
ann or bob held out, the model learnt from the other regular signer outnumbers cy, so they score high.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_photo
from test_landmark_train import CLASSES, H, W, planted
from test_model_card import _inputs, make_run

from curation.hand_cache import hand_columns
from curation.hands import HandDetection
from curation.split_io import write_splits
from sign_ml.cli import main
from sign_ml.config import LandmarkConfig
from sign_ml.data import SplitItems
from sign_ml.landmark_train import hand_set
from sign_ml.loso import (
    LOSO_CONFUSION_PNG,
    LOSO_FILE,
    ONE_SIGNER_SENTENCE,
    LosoResult,
    leave_one_signer_out,
    load_loso,
    save_loso,
)
from sign_ml.model_card import render_model_card

FAST = LandmarkConfig(epochs=40, hidden=(64,), batch_size=32)
SIGNERS = {"ann": (20, 21, False), "bob": (20, 22, False), "cy": (8, 23, True)}  # n per class, seed, shifted


def signer_photos(no_hand: int = 1) -> tuple[list[HandDetection], list[int], list[str]]:
    """Detections, labels and signers of every photo; ann's first `no_hand` photos have no hand."""
    dets, labels, signers = [], [], []
    for name, (n, seed, shifted) in SIGNERS.items():
        d, shape = planted(n, seed)
        for i, (det, k) in enumerate(zip(d, shape, strict=True)):
            if name == "ann" and i < no_hand:
                det = HandDetection(W, H)
            dets.append(det)
            labels.append((k - 1) % len(CLASSES) if shifted else k)  # cy: the shape of k+1 means letter k
            signers.append(name)
    return dets, labels, signers


def arrays(no_hand: int = 1):
    dets, labels, signers = signer_photos(no_hand)
    hands = hand_set(
        SplitItems("all", [str(i) for i in range(len(labels))], np.asarray(labels)), dets, "symmetric"
    )
    return hands.points, hands.all_labels, hands.found, signers


def test_the_signer_who_signs_differently_scores_low_the_others_high():
    points, labels, found, signers = arrays()
    result = leave_one_signer_out(points, labels, found, signers, len(CLASSES), CLASSES, FAST)
    assert result.status == "ok"
    table = result.per_signer.set_index("signer")
    assert table.index.tolist() == ["ann", "bob", "cy"]
    assert table.loc["ann", ["photos", "hands"]].tolist() == [
        60,
        59,
    ]  # the no-hand photo counted, not dropped
    assert table.loc["cy", ["photos", "hands"]].tolist() == [24, 24]
    assert table.loc["cy", "accuracy"] <= 0.1
    assert table.loc["ann", "accuracy"] >= 0.9 and table.loc["bob", "accuracy"] >= 0.9
    assert table.loc["ann", "accuracy"] <= 59 / 60  # no hand = wrong
    assert result.accuracy == pytest.approx(table["correct"].sum() / 144)
    assert result.mean_signer_accuracy == pytest.approx(table["accuracy"].mean())
    assert result.no_hand == 1 and result.class_no_hand == [1, 0, 0]
    assert result.confusion.shape == (3, 3) and result.confusion.sum() == 143
    assert np.trace(result.confusion) == table["correct"].sum()
    # cy's letter k is read as the letter whose shape it is (k+1): that off-diagonal holds its mistakes
    assert sum(result.confusion[k, (k + 1) % 3] for k in range(3)) >= 22


def test_each_signer_is_scored_by_a_model_that_never_saw_its_hands(monkeypatch):
    import sign_ml.landmark_train as landmark_train
    import sign_ml.loso as loso

    real_fit, real_predict = landmark_train.fit_landmark_model, loso.predict_points
    points, labels, found, signers = arrays()
    owner = {p.tobytes(): s for p, s in zip(points, np.asarray(signers)[found], strict=True)}
    scored: list[str] = []

    def spy_fit(cfg, train, val, num_classes, progress=False):
        assert val is None and cfg.keep == "last"
        fit = real_fit(cfg, train, val, num_classes, progress)
        fit.model.seen = {owner[p.tobytes()] for p in train.points}  # whose hands it learnt from
        return fit

    def spy_predict(model, pts):
        who = {owner[p.tobytes()] for p in pts}
        assert len(who) == 1 and not who & model.seen and model.seen == set(SIGNERS) - who
        scored.extend(who)
        return real_predict(model, pts)

    monkeypatch.setattr(landmark_train, "fit_landmark_model", spy_fit)
    monkeypatch.setattr(loso, "predict_points", spy_predict)
    leave_one_signer_out(
        points, labels, found, signers, 3, CLASSES, LandmarkConfig(epochs=2, hidden=(16,), keep="best_val")
    )
    assert scored == ["ann", "bob", "cy"]


def test_one_signer_gives_no_number_and_says_so():
    points, labels, found, _ = arrays()
    result = leave_one_signer_out(points, labels, found, ["ann"] * len(labels), len(CLASSES), CLASSES, FAST)
    assert result.status == "one_signer" and result.accuracy is None and result.mean_signer_accuracy is None
    assert result.confusion is None and result.sentence == ONE_SIGNER_SENTENCE
    assert result.per_signer[["signer", "photos", "hands"]].values.tolist() == [["ann", 144, 143]]
    nobody = leave_one_signer_out(points, labels, found, [""] * len(labels), len(CLASSES), CLASSES, FAST)
    assert nobody.status == "no_signers" and nobody.accuracy is None and nobody.per_signer.empty


def test_save_and_load_round_trip(tmp_path):
    points, labels, found, signers = arrays()
    result = leave_one_signer_out(points, labels, found, signers, len(CLASSES), CLASSES, FAST)
    path = save_loso(result, tmp_path / "eval")
    assert path == tmp_path / "eval" / LOSO_FILE
    assert (tmp_path / "eval" / LOSO_CONFUSION_PNG).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    back = load_loso(tmp_path / "eval")
    assert back.to_dict() == result.to_dict()
    pd.testing.assert_frame_equal(back.per_signer, result.per_signer, check_dtype=False)
    np.testing.assert_array_equal(back.confusion, result.confusion)
    assert load_loso(tmp_path / "nothing") is None and load_loso(None) is None

    one = LosoResult.from_dict(
        result.to_dict() | {"status": "one_signer", "accuracy": None, "confusion": None}
    )
    save_loso(one, tmp_path / "eval")  # a stale plot would contradict the new result
    assert not (tmp_path / "eval" / LOSO_CONFUSION_PNG).exists()
    (tmp_path / "eval" / LOSO_FILE).write_text('{"status": "maybe"}')
    with pytest.raises(ValueError, match="loso.json"):
        load_loso(tmp_path / "eval")


# ---------------------------------------------------------------- the CLI, the app's folder, the card


def signer_split(root: Path, one_signer: bool = False) -> Path:
    """A split directory (hand columns, `group` = signer) of the planted photos."""
    dets, labels, signers = signer_photos()
    rows = []
    for i, (k, s) in enumerate(zip(labels, signers, strict=True)):
        rel = f"{CLASSES[k]}/{s}_{i:03d}.png"
        path = make_photo(root / "photos" / rel, seed=7000 + i, size=(W // 8, H // 8))
        rows.append(
            {
                "path": str(path),
                "relpath": rel,
                "label": CLASSES[k],
                "split": "train" if i % 5 else "test",
                "group": "ann" if one_signer else s,
            }
        )
    outcomes = [type("O", (), {"detection": d})() for d in dets]
    table = pd.DataFrame(rows).assign(**hand_columns(outcomes))
    return write_splits(
        table,
        CLASSES,
        root / "splits",
        dataset=False,
        info={"data_root": str(root / "photos"), "group_source": "column signer"},
    )


def test_cli_writes_loso_json_where_the_app_and_the_card_read_it(tmp_path, capsys):
    from sign_ml.hub import build_model_repo
    from sign_ml.ui.data import find_eval_dir

    splits = signer_split(tmp_path / "data")
    run = make_run(tmp_path, class_names=CLASSES)  # an evaluated run of these classes
    config = tmp_path / "fast.json"
    config.write_text(json.dumps({"epochs": 40, "hidden": [64], "batch_size": 32}))
    assert main(["loso", "--data", str(splits), "--run", str(run), "--config", str(config)]) == 0
    out = capsys.readouterr().out
    loso = load_loso(find_eval_dir(run))
    assert loso is not None and loso.status == "ok" and (find_eval_dir(run) / LOSO_CONFUSION_PNG).is_file()
    assert loso.config["epochs"] == 40 and loso.command.startswith("sign-ml loso --data ")
    lines = out.splitlines()
    assert lines[0].split() == ["signer", "photos", "hands", "correct", "accuracy"]
    for line, row in zip(lines[1:4], loso.per_signer.to_dict("records"), strict=True):
        assert line.split() == [
            row["signer"],
            str(row["photos"]),
            str(row["hands"]),
            str(row["correct"]),
            f"{row['accuracy']:.4f}",
        ]
    assert f"pooled accuracy {loso.accuracy:.4f} over 144 photos" in out

    repo = build_model_repo(run, tmp_path / "repo", repo_id="user/m")
    text = (repo / "README.md").read_text(encoding="utf-8")
    section = text.split("## Accuracy on signers it has not seen", 1)[1].split("\n## ", 1)[0]
    assert f"| accuracy over all held-out photos | {loso.accuracy:.4f} |" in section
    assert f"| mean of the per-signer accuracies | {loso.mean_signer_accuracy:.4f} |" in section
    for r in loso.per_signer.to_dict("records"):
        assert (
            f"| {r['signer']} | {r['photos']} | {r['hands']} | {r['correct']} | {r['accuracy']:.4f} |"
            in section
        )
    assert (
        "Produced by `sign-ml loso --data splits --run run --config fast.json`." in section
    )  # no local paths
    assert "![Confusion matrix, leave-one-signer-out](eval/test/loso_confusion.png)" in section
    published = json.loads((repo / "eval" / "test" / LOSO_FILE).read_text(encoding="utf-8"))
    assert published["per_signer"] == loso.to_dict()["per_signer"] and str(tmp_path) not in json.dumps(
        published
    )
    assert (repo / "eval" / "test" / LOSO_CONFUSION_PNG).is_file()


def test_cli_with_one_signer_says_accuracy_on_new_signers_is_unknown(tmp_path, capsys):
    from sign_ml.hub import build_model_repo

    splits = signer_split(tmp_path / "data", one_signer=True)
    run = make_run(tmp_path, class_names=CLASSES)
    assert main(["loso", "--data", str(splits), "--run", str(run)]) == 0  # no fit: nobody to hold out
    assert ONE_SIGNER_SENTENCE in capsys.readouterr().out.splitlines()
    assert load_loso(run / "eval" / "test").status == "one_signer"
    text = (build_model_repo(run, tmp_path / "repo", repo_id="user/m") / "README.md").read_text(
        encoding="utf-8"
    )
    assert (
        "Only one signer was recorded (`ann`, 144 photos), so **accuracy on new signers is unknown**" in text
    )


def test_cli_refuses_a_run_of_other_classes(tmp_path, capsys):
    splits = signer_split(tmp_path / "data")
    run = make_run(tmp_path, class_names=["A", "B", "C"])
    assert main(["loso", "--data", str(splits), "--run", str(run)]) == 2
    assert "classes differ from the run's" in capsys.readouterr().err
    assert load_loso(run / "eval" / "test") is None


def test_card_without_loso_has_no_such_section():
    assert "signers it has not seen" not in render_model_card(_inputs(["A", "B", "C"]))
