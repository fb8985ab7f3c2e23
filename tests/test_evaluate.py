"""Evaluation: exact metrics on a hand-planted set, save/load, and evaluate_run on a tiny split directory."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import make_model_dir, make_photo, proba

from sign_ml.artifacts import read_meta
from sign_ml.cli import main
from sign_ml.evaluate import Interpretation, evaluate_run
from sign_ml.predict import Predictor

# these tests are about what follows the hand stage: every (noise) photo here "has" a hand
pytestmark = pytest.mark.usefixtures("every_photo_has_a_hand")

CLASSES = ["А", "Б", "В", "Г"]  # Г has no photos and is never predicted
# true class, probabilities (А, Б, В, Г). Confidences avoid the 15-bin edges (k/15) so ECE bins are unambiguous.
PLANTED = [
    (0, [0.90, 0.05, 0.05, 0.0]),  # 0 А → А  conf .90
    (0, [0.82, 0.09, 0.09, 0.0]),  # 1 А → А  conf .82
    (0, [0.28, 0.62, 0.10, 0.0]),  # 2 А → Б  conf .62
    (0, [0.20, 0.70, 0.10, 0.0]),  # 3 А → Б  conf .70
    (1, [0.10, 0.85, 0.05, 0.0]),  # 4 Б → Б  conf .85
    (1, [0.05, 0.13, 0.82, 0.0]),  # 5 Б → В  conf .82
    (2, [0.20, 0.10, 0.70, 0.0]),  # 6 В → В  conf .70
    (2, [0.50, 0.10, 0.40, 0.0]),  # 7 В → А  conf .50
]


@pytest.fixture
def planted() -> Interpretation:
    y_true = np.array([t for t, _ in PLANTED])
    probs = np.array([p for _, p in PLANTED], dtype=np.float32)
    paths = [f"/data/{CLASSES[t]}/{i}.jpg" for i, (t, _) in enumerate(PLANTED)]
    return Interpretation(
        CLASSES, y_true, probs, paths, [p.removeprefix("/data/") for p in paths], split="test"
    )


def test_planted_confusion_matrix_and_accuracy(planted: Interpretation) -> None:
    expected = np.array([[2, 2, 0, 0], [0, 1, 1, 0], [1, 0, 1, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(planted.confusion_matrix(), expected)
    # Г's empty row stays 0
    normalized = np.array([[0.5, 0.5, 0, 0], [0, 0.5, 0.5, 0], [0.5, 0, 0.5, 0], [0, 0, 0, 0]])
    np.testing.assert_allclose(planted.confusion_matrix(normalize=True), normalized)
    np.testing.assert_array_equal(planted.y_pred, [0, 0, 1, 1, 1, 2, 2, 0])
    assert planted.accuracy == 0.5


def test_planted_most_confused(planted: Interpretation) -> None:
    assert planted.most_confused() == [("А", "Б", 2), ("Б", "В", 1), ("В", "А", 1)]
    assert planted.most_confused(min_count=2) == [("А", "Б", 2)]
    assert planted.most_confused(min_count=3) == []


def test_planted_per_class_and_macro_f1(planted: Interpretation) -> None:
    table = planted.per_class()
    assert list(table.columns) == ["class", "precision", "recall", "f1", "support", "no_hand"]
    assert table["class"].tolist() == CLASSES
    np.testing.assert_allclose(table["precision"], [2 / 3, 1 / 3, 1 / 2, 0])
    np.testing.assert_allclose(table["recall"], [1 / 2, 1 / 2, 1 / 2, 0])
    np.testing.assert_allclose(table["f1"], [4 / 7, 2 / 5, 1 / 2, 0])
    assert table["support"].tolist() == [4, 2, 2, 0]
    # Г never occurs (truth or prediction): left out of the macro average, as sklearn does
    assert planted.macro_f1 == pytest.approx((4 / 7 + 2 / 5 + 1 / 2) / 3)


def test_planted_cells_losses_and_mistakes(planted: Interpretation) -> None:
    cell = planted.cell("А", "Б")
    assert cell.index.tolist() == [3, 2]  # exactly the two photos, most confident first
    assert cell["relpath"].tolist() == ["А/3.jpg", "А/2.jpg"]
    np.testing.assert_allclose(cell["prob_pred"], [0.70, 0.62], rtol=1e-6)
    np.testing.assert_allclose(cell["prob_true"], [0.20, 0.28], rtol=1e-6)
    assert planted.cell("В", "А").index.tolist() == [7]
    assert planted.cell("А", "А").index.tolist() == [0, 1]  # the diagonal works too
    assert planted.cell("Г", "А").empty
    with pytest.raises(ValueError, match="unknown class"):
        planted.cell("Ґ", "А")

    np.testing.assert_allclose(
        planted.losses, -np.log([0.90, 0.82, 0.28, 0.20, 0.85, 0.13, 0.70, 0.40]), rtol=1e-6
    )
    assert planted.top_losses(3).index.tolist() == [5, 3, 2]
    wrong = planted.misclassified()
    assert list(wrong.columns) == ["path", "relpath", "true", "pred", "prob_pred", "prob_true", "loss"]
    assert wrong.index.tolist() == [5, 3, 2, 7]
    assert list(zip(wrong["true"], wrong["pred"], strict=True)) == [
        ("Б", "В"),
        ("А", "Б"),
        ("А", "Б"),
        ("В", "А"),
    ]


def test_planted_ece(planted: Interpretation) -> None:
    # bins of 1/15: {.90}→acc 1; {.82,.85,.82}→acc 2/3; {.62}→0; {.70,.70}→1/2; {.50}→0
    expected = (0.10 + 3 * abs(2 / 3 - (0.82 + 0.85 + 0.82) / 3) + 0.62 + 2 * 0.20 + 0.50) / 8
    assert planted.ece() == pytest.approx(expected, abs=1e-6)
    assert planted.ece(n_bins=1) == pytest.approx(
        abs(0.5 - (0.90 + 0.82 + 0.62 + 0.70 + 0.85 + 0.82 + 0.70 + 0.50) / 8), abs=1e-6
    )
    perfect = Interpretation(["a", "b"], np.array([0, 1]), np.array([[1.0, 0.0], [0.0, 1.0]]), ["x", "y"])
    assert perfect.ece() == 0.0


def test_no_hand_rows_count_as_wrong_and_are_never_a_class() -> None:
    from sign_ml.evaluate import NO_HAND_LABEL

    probs = np.array([[0.9, 0.1], [0.0, 0.0], [0.2, 0.8], [0.0, 0.0]], dtype=np.float32)  # rows 1, 3: no hand
    interp = Interpretation(["a", "b"], np.array([0, 0, 1, 1]), probs, ["p0", "p1", "p2", "p3"])
    assert interp.no_hand.tolist() == [False, True, False, True]
    assert interp.y_pred.tolist() == [0, -1, 1, -1]
    assert interp.accuracy == 0.5  # the two no-hand photos are wrong, not left out
    assert interp.confusion_matrix().tolist() == [[1, 0], [0, 1]]  # a missing hand predicts no class
    np.testing.assert_allclose(interp.confusion_matrix(normalize=True), [[0.5, 0.0], [0.0, 0.5]])  # recall
    assert interp.no_hand_counts().tolist() == [1, 1]
    table = interp.per_class()
    assert table["recall"].tolist() == [0.5, 0.5] and table["precision"].tolist() == [1.0, 1.0]
    assert interp.table()["pred"].tolist() == ["a", NO_HAND_LABEL, "b", NO_HAND_LABEL]
    assert interp.cell("a", NO_HAND_LABEL).index.tolist() == [1]
    assert interp.macro_f1 == pytest.approx(2 / 3)  # f1 = 2·1·0.5/1.5 for both classes; "no hand" is no class
    assert interp.metrics()["no_hand"] == 2
    assert interp.top_losses(2).index.tolist() in ([1, 3], [3, 1])  # a missing hand is the costliest mistake


def test_metrics_content(planted: Interpretation) -> None:
    m = planted.metrics()
    assert set(m) >= {
        "split",
        "n",
        "accuracy",
        "macro_f1",
        "ece",
        "class_names",
        "per_class",
        "confusion_matrix",
        "confusion_matrix_normalized",
        "most_confused",
    }
    assert (m["split"], m["n"], m["accuracy"]) == ("test", 8, 0.5)
    assert m["confusion_matrix"][0] == [2, 2, 0, 0]
    assert m["most_confused"][0] == ["А", "Б", 2]
    assert m["per_class"][3] == {
        "class": "Г",
        "precision": 0.0,
        "recall": 0.0,
        "f1": 0.0,
        "support": 0,
        "no_hand": 0,
    }
    assert m["no_hand"] == 0
    json.dumps(m)  # plain JSON types only


def test_save_load_round_trip(planted: Interpretation, tmp_path: Path) -> None:
    out = planted.save(tmp_path / "eval" / "test")
    names = sorted(p.name for p in out.iterdir())
    # all four, and no temporary files left behind
    assert names == ["confusion_matrix.png", "metrics.json", "predictions.csv", "probs.npy"]
    assert (out / "confusion_matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    csv = pd.read_csv(out / "predictions.csv", keep_default_na=False)
    assert list(csv.columns) == [
        "path",
        "relpath",
        "true",
        "pred",
        "prob_pred",
        "prob_true",
        "loss",
        "correct",
    ]
    probs = np.load(out / "probs.npy")
    assert probs.dtype == np.float32 and probs.shape == (8, 4)

    back = Interpretation.load(out)
    assert back.class_names == CLASSES and back.split == "test"
    np.testing.assert_array_equal(back.probs, planted.probs)
    np.testing.assert_array_equal(back.y_true, planted.y_true)
    assert back.paths == planted.paths and back.relpaths == planted.relpaths
    assert back.metrics() == planted.metrics()
    pd.testing.assert_frame_equal(back.cell("А", "Б"), planted.cell("А", "Б"))
    with pytest.raises(FileNotFoundError, match="not an evaluation folder"):
        Interpretation.load(tmp_path)


def test_plot_confusion_matrix(planted: Interpretation) -> None:
    fig = planted.plot_confusion_matrix()
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == CLASSES
    assert [t.get_text() for t in ax.get_yticklabels()] == CLASSES
    assert "50.00%" in ax.get_title()
    cell_texts = [t.get_text() for t in ax.texts]
    assert "0.50" in cell_texts and len(cell_texts) == 7  # 6 non-zero cells + Г's empty diagonal
    many = [f"c{i}" for i in range(41)]
    big = Interpretation(many, np.arange(41), np.eye(41), [str(i) for i in range(41)])
    assert len(big.plot_confusion_matrix().axes[0].texts) == 0  # too many cells to print values


def test_rejects_inconsistent_input() -> None:
    with pytest.raises(ValueError, match="probs must be"):
        Interpretation(["a", "b"], np.array([0]), np.array([[0.5, 0.3, 0.2]]), ["x"])
    with pytest.raises(ValueError, match="class indices"):
        Interpretation(["a", "b"], np.array([2]), np.array([[0.5, 0.5]]), ["x"])


# --- evaluate_run on a hand-written split directory ---


def _tiny_model_dir(path: Path, class_names: list[str], size: int = 32) -> Path:
    make_model_dir(
        path,
        class_names,
        size=size,
        train_config={"epochs": 1},
        metrics={"val_accuracy": 0.25},
        data={"source": "generated"},
    )
    return path


def _split_dir(root: Path, class_names: list[str]) -> tuple[Path, list[dict]]:
    """root/photos/<class>/<i>.png + root/splits/{manifest.csv, splits.json}; one unreadable test photo."""
    rows = []
    for c, name in enumerate(class_names):
        for i in range(4):
            split = "train" if i < 2 else "test"
            photo = make_photo(root / "photos" / name / f"{i}.png", seed=100 * c + i, size=(40, 48))
            rows.append(
                {
                    "path": str(photo),
                    "relpath": f"{name}/{i}.png",
                    "label": name,
                    "split": split,
                    "group": f"{name}{i}",
                    "cluster": "",
                }
            )
    broken = root / "photos" / class_names[0] / "broken.png"
    broken.write_bytes(b"not a png at all")
    rows.append(
        {
            "path": str(broken),
            "relpath": f"{class_names[0]}/broken.png",
            "label": class_names[0],
            "split": "test",
            "group": "x",
            "cluster": "",
        }
    )
    splits = root / "splits"
    splits.mkdir()
    pd.DataFrame(rows).to_csv(splits / "manifest.csv", index=False)
    info = {
        "class_names": class_names,
        "data_root": str(root / "photos"),
        "ratios": [0.5, 0, 0.5],
        "seed": 0,
        "method": "hand-written",
    }
    (splits / "splits.json").write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    return splits, rows


def test_evaluate_run_writes_eval_and_updates_config(tmp_path: Path) -> None:
    classes = ["А", "Б", "В"]
    run = _tiny_model_dir(tmp_path / "run", classes)
    splits, rows = _split_dir(tmp_path, classes)
    interp = evaluate_run(run, splits, split="test", batch_size=4)

    test_rows = [r for r in rows if r["split"] == "test" and "broken" not in r["path"]]
    assert interp.n == len(test_rows) == 6  # the unreadable photo is left out
    assert interp.relpaths == [r["relpath"] for r in test_rows]
    # the same numbers as the predictor gives photo by photo
    expected = proba(Predictor.from_pretrained(run, backend="torch"), [r["path"] for r in test_rows])
    np.testing.assert_allclose(interp.probs, expected, atol=1e-6)

    out = run / "eval" / "test"
    for name in ("predictions.csv", "probs.npy", "metrics.json", "confusion_matrix.png", "unreadable.csv"):
        assert (out / name).is_file(), name
    assert "broken.png" in (out / "unreadable.csv").read_text(encoding="utf-8")
    assert Interpretation.load(out).metrics() == interp.metrics()

    meta = read_meta(run)
    assert meta.metrics["test_accuracy"] == interp.accuracy
    assert meta.metrics["test_macro_f1"] == interp.macro_f1
    assert meta.metrics["test_ece"] == pytest.approx(interp.ece())
    assert meta.metrics["test_n"] == 6
    assert meta.metrics["val_accuracy"] == 0.25  # everything else kept
    assert meta.train_config == {"epochs": 1} and meta.data == {"source": "generated"}
    raw = json.loads((run / "config.json").read_text(encoding="utf-8"))
    assert raw["format_version"] == 1 and raw["class_names"] == classes


def test_evaluate_run_rejects_other_classes_and_empty_split(tmp_path: Path) -> None:
    run = _tiny_model_dir(tmp_path / "run", ["А", "Б", "Д"])
    splits, _ = _split_dir(tmp_path, ["А", "Б", "В"])
    with pytest.raises(ValueError, match=r"only in the data \['В'\], only in the model \['Д'\]"):
        evaluate_run(run, splits)
    run2 = _tiny_model_dir(tmp_path / "run2", ["А", "Б", "В"])
    with pytest.raises(ValueError, match="no photos in split 'validation'"):
        evaluate_run(run2, splits, split="validation")


def test_evaluate_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    classes = ["А", "Б", "В"]
    run = _tiny_model_dir(tmp_path / "run", classes)
    splits, _ = _split_dir(tmp_path, classes)
    assert main(["evaluate", str(run), "--data", str(splits), "--batch-size", "4"]) == 0
    out = capsys.readouterr().out
    metrics = json.loads((run / "eval" / "test" / "metrics.json").read_text(encoding="utf-8"))
    assert f"accuracy  {metrics['accuracy']:.4f}" in out
    assert "macro-F1" in out and "ECE" in out and "worst classes by F1" in out
    assert f"written to {run}/eval/test/" in out
    assert not math.isnan(metrics["ece"])
    assert main(["evaluate", str(tmp_path / "nowhere"), "--data", str(splits)]) == 2
