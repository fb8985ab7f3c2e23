"""The model card: metadata parses with huggingface_hub, every number equals the run's files.

`make_run` (also used by test_hub_push.py and test_space.py) builds a tiny evaluated run by hand:
a width-0.25 MobileNetV3 at 32 px, metrics.csv, curves.png and eval/test/ as `sign-ml evaluate` writes them.
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch
from conftest import make_photo
from huggingface_hub import ModelCard
from PIL import Image
from sklearn.metrics import accuracy_score, confusion_matrix, f1_score, precision_recall_fscore_support

from curation.alphabet import UKRAINIAN_ALPHABET
from sign_ml.artifacts import ModelMeta, load_model_dir, save_model_dir
from sign_ml.config import TrainConfig
from sign_ml.model import build_model
from sign_ml.model_card import BASE_TAGS, CardInputs, render_model_card
from sign_ml.presets import Preprocessing, eval_tensor

SIZE = 32
DATA_INFO = {
    "method": "stratified-group",
    "ratios": {"train": 0.7, "validation": 0.15, "test": 0.15},
    "seed": 0,
    "data_root": "/home/someone/private/photos",
    "source": "folder /home/someone/private/seeded-pictures",
    "duplicates": {"exact": 2, "near": 3},
    "near_duplicate_threshold": 4,
}


def _png(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).save(path)


def make_run(
    root: Path, class_names: list[str] | None = None, per_class: int = 3, data: dict | None = None
) -> Path:
    """A tiny evaluated run directory (seeded; model, history, curves, eval/test/)."""
    names = class_names or ["A", "B", "C"]
    run = root / "run"
    torch.manual_seed(0)
    model = build_model(len(names), width_mult=0.25).eval()
    cfg = TrainConfig(width_mult=0.25, image_size=SIZE, epochs=3, batch_size=4)
    info = dict(DATA_INFO if data is None else data)
    info.setdefault(
        "counts",
        {s: {c: n for c in names} for s, n in (("train", 7), ("validation", 2), ("test", per_class))},
    )
    meta = ModelMeta(names, Preprocessing(size=SIZE), width_mult=0.25, train_config=cfg.to_dict(), data=info)
    save_model_dir(run, model, meta)

    with open(run / "metrics.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["epoch", "train_loss", "train_acc", "val_loss", "val_acc", "lr", "seconds", "img_per_s"])
        for epoch, val_acc in ((1, 0.25), (2, 0.625), (3, 0.5)):
            w.writerow([epoch, 1.5 / epoch, 0.3 * epoch, 1.2 / epoch, val_acc, 5e-5, 1.0, 100.0])
    _png(run / "curves.png", 1)

    # evaluation outputs, computed with the run's own model as `sign-ml evaluate` would
    photos = [
        make_photo(root / "photos" / c / f"{c}_{i}.png", seed=10 * k + i, size=(40, 40))
        for k, c in enumerate(names)
        for i in range(per_class)
    ]
    true = [k for k in range(len(names)) for _ in range(per_class)]
    with torch.no_grad():
        logits = model(torch.cat([eval_tensor(p, meta.preprocessing) for p in photos]))
    probs = torch.softmax(logits, 1).numpy().astype(np.float32)
    pred = probs.argmax(1).tolist()
    labels = list(range(len(names)))
    p, r, f1, s = precision_recall_fscore_support(true, pred, labels=labels, zero_division=0)
    cm = confusion_matrix(true, pred, labels=labels)
    ev = run / "eval" / "test"
    ev.mkdir(parents=True)
    np.save(ev / "probs.npy", probs)
    with open(ev / "predictions.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["path", "relpath", "true", "pred", "prob_pred", "prob_true", "loss", "correct"])
        for path, t, q, row in zip(photos, true, pred, probs, strict=True):
            rel = path.relative_to(root / "photos").as_posix()
            w.writerow([str(path), rel, names[t], names[q], row[q], row[t], -np.log(row[t]), t == q])
    off = [[names[i], names[j], int(cm[i, j])] for i in labels for j in labels if i != j and cm[i, j]]
    metrics = {
        "split": "test",
        "n": len(true),
        "accuracy": float(accuracy_score(true, pred)),
        "macro_f1": float(f1_score(true, pred, labels=labels, average="macro", zero_division=0)),
        "ece": 0.123456789,
        "class_names": names,
        "per_class": [
            {
                "class": c,
                "precision": float(p[k]),
                "recall": float(r[k]),
                "f1": float(f1[k]),
                "support": int(s[k]),
            }
            for k, c in enumerate(names)
        ],
        "confusion_matrix": cm.tolist(),
        "confusion_matrix_normalized": (cm / np.maximum(cm.sum(1, keepdims=True), 1)).tolist(),
        "most_confused": sorted(off, key=lambda x: -x[2]),
    }
    (ev / "metrics.json").write_text(json.dumps(metrics, indent=2))
    _png(ev / "confusion_matrix.png", 2)
    return run


def run_logits(model_dir: Path, photo: Path) -> torch.Tensor:
    model, meta = load_model_dir(model_dir)
    with torch.no_grad():
        return model(eval_tensor(photo, meta.preprocessing))


# ---------------------------------------------------------------- pure-card inputs without a model


def _inputs(names: list[str], data: dict | None = None, **kw) -> CardInputs:
    per_class = [
        {"class": c, "precision": 0.5 + i / 100, "recall": 0.25 + i / 200, "f1": 0.3 + i / 300, "support": 3}
        for i, c in enumerate(names)
    ]
    evaluation = {
        "split": "test",
        "n": 3 * len(names),
        "accuracy": 0.61234567,
        "macro_f1": 0.5432109,
        "ece": 0.0456,
        "class_names": names,
        "per_class": per_class,
        "most_confused": [],
    }
    meta = ModelMeta(
        names, Preprocessing(size=SIZE), width_mult=0.25, data=DATA_INFO if data is None else data
    )
    return CardInputs(repo_id="user/model", meta=meta, evaluation=evaluation, **kw)


def _table_rows(text: str, header_start: str) -> list[list[str]]:
    """Cells of the markdown table whose header line starts with `header_start`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([c.strip() for c in line.strip("|").split("|")])
    return rows


# ---------------------------------------------------------------- tests


def test_metadata_parses_with_huggingface_hub(tmp_path):
    from sign_ml.hub import build_model_repo

    run = make_run(tmp_path)
    repo = build_model_repo(
        run, tmp_path / "repo", repo_id="user/asl-demo", license="apache-2.0", dataset_id="user/photos"
    )
    card = ModelCard((repo / "README.md").read_text(encoding="utf-8"))
    data = card.data.to_dict()
    assert data["library_name"] == "pytorch"
    assert data["pipeline_tag"] == "image-classification"
    assert data["license"] == "apache-2.0"
    assert set(BASE_TAGS) <= set(data["tags"])
    assert data["datasets"] == ["user/photos"]
    assert data["metrics"] == ["accuracy", "f1"]
    assert data["model-index"][0]["name"] == "asl-demo"

    evaluation = json.loads((run / "eval/test/metrics.json").read_text())
    results = {r.metric_type: r for r in card.data.eval_results}
    assert results["accuracy"].metric_value == evaluation["accuracy"]  # exact, not rounded
    assert results["f1"].metric_value == evaluation["macro_f1"]
    for r in results.values():
        assert (
            r.task_type == "image-classification"
            and r.dataset_split == "test"
            and r.dataset_type == "user/photos"
        )
        assert "group-aware split 70/15/15 (train/validation/test), seed 0" in r.dataset_name
        assert r.dataset_args == {"split_method": "group-aware", "ratios": "70/15/15", "seed": 0}


def test_every_number_in_the_card_is_the_runs(tmp_path):
    from sign_ml.hub import build_model_repo

    run = make_run(tmp_path)
    text = (build_model_repo(run, tmp_path / "repo", repo_id="user/m") / "README.md").read_text(
        encoding="utf-8"
    )
    ev = json.loads((run / "eval/test/metrics.json").read_text())

    overall = dict(_table_rows(text, "| metric | value |"))
    assert float(overall["accuracy"]) == pytest.approx(ev["accuracy"], abs=5e-5)
    assert float(overall["macro F1"]) == pytest.approx(ev["macro_f1"], abs=5e-5)
    assert float(overall["expected calibration error"]) == pytest.approx(ev["ece"], abs=5e-5)
    per_class = _table_rows(text, "| class | precision |")
    assert [row[0] for row in per_class] == [c["class"] for c in ev["per_class"]]
    for row, want in zip(per_class, ev["per_class"], strict=True):
        assert [float(x) for x in row[1:4]] == pytest.approx(
            [want["precision"], want["recall"], want["f1"]], abs=5e-5
        )
        assert int(row[4]) == want["support"]
    assert f"Headline number: test accuracy **{ev['accuracy']:.4f}**" in text
    assert f"the test split ({ev['n']} photos)" in text

    counts = _table_rows(text, "| class | train |")
    data_counts = json.loads((run / "config.json").read_text())["data"]["counts"]
    for row in counts[:-1]:
        assert [int(x) for x in row[1:]] == [data_counts[s][row[0]] for s in ("train", "validation", "test")]
    assert counts[-1][1:] == [str(sum(data_counts[s].values())) for s in ("train", "validation", "test")]

    # history: best validation accuracy and its epoch from metrics.csv; hyperparameters from config.json
    assert "Trained for 3 epochs; best validation accuracy 0.6250 at epoch 2." in text
    hyper = dict(_table_rows(text, "| hyperparameter | value |"))
    assert hyper["lr"] == "`5e-05`" and hyper["batch_size"] == "`4`" and hyper["image_size"] == f"`{SIZE}`"
    assert "device" not in hyper and "out_dir" not in hyper
    assert (
        "- Duplicates found during curation: 2 exact, 3 near (near-duplicate threshold: perceptual-hash distance ≤ 4)."
        in text
    )

    # every decimal number in the body is one of the run's numbers (rounded to 4 places)
    allowed = {round(v, 4) for v in (ev["accuracy"], ev["macro_f1"], ev["ece"], 0.625)}
    allowed |= {round(c[k], 4) for c in ev["per_class"] for k in ("precision", "recall", "f1")}
    body = text.split("\n---\n", 1)[1]
    for number in re.findall(r"(?<![\w.\[,-])(\d\.\d{4})(?![\d])", body):
        assert round(float(number), 4) in allowed, number


def test_card_sections_and_images(tmp_path):
    from sign_ml.hub import build_model_repo

    run = make_run(tmp_path)
    text = (build_model_repo(run, tmp_path / "repo", repo_id="user/m") / "README.md").read_text(
        encoding="utf-8"
    )
    for heading in (
        "## Intended use",
        "## Alphabet",
        "## Training data",
        "## Training procedure",
        "## Evaluation",
        "## Limitations",
        "## How to use",
        "## Credits",
    ):
        assert heading in text
    assert "![Confusion matrix on the test split](confusion_matrix.png)" in text
    assert "![Training curves](curves.png)" in text
    assert "from sign_ml.predict import Predictor\n" in text
    assert 'Predictor.from_pretrained("user/m").predict("photo.jpg")' in text
    for word in ("Signer independence", "Mirrored hands", "Lighting and backgrounds"):
        assert word in text
    assert "ASL demo model, not a UkrSL model" in text  # A, B, C are Latin letters
    assert "language" not in ModelCard(text).data.to_dict()


def test_ukrainian_alphabet_names_motion_letters():
    names = [letter.char for letter in UKRAINIAN_ALPHABET if letter.char != "Ь"]
    text = render_model_card(_inputs(names))
    data = ModelCard(text).data.to_dict()
    assert data["language"] == ["ukl"] and "ukrainian-sign-language" in data["tags"]
    assert (
        "Ukrainian Sign Language fingerspelling" in text.splitlines()[text.splitlines().index("---", 1) + 2]
    )
    motion_line = next(line for line in text.splitlines() if line.startswith("**Motion letters**"))
    for char in "ҐДЗЇЙЦЩ":
        assert char in motion_line
    assert "not covered** by this model: Ь" in text
    assert "not a UkrSL model" not in text


def test_random_split_and_credits_are_stated():
    text = render_model_card(
        _inputs(["A", "B"], data={"method": "stratified", "ratios": [0.8, 0.1, 0.1], "seed": 3})
    )
    assert "random split 80/10/10 (train/validation/test), seed 3" in text
    assert "signers were not kept apart between training and test" in text
    assert "authors and licence were not recorded" in text
    assert "Duplicates: not recorded" in text

    credited = render_model_card(
        _inputs(["A", "B"], credits="Photos by the Example Signers Club, CC BY 4.0.")
    )
    assert "Photos by the Example Signers Club, CC BY 4.0." in credited
    with_info = render_model_card(
        _inputs(["A", "B"], data={**DATA_INFO, "authors": ["O. Kovalenko"], "license": "cc-by-4.0"})
    )
    assert "- Data authors: O. Kovalenko." in with_info and "- Data licence: cc-by-4.0." in with_info


def test_clusters_without_groups_do_not_claim_unseen_signers():
    # `sign-curate split` without --group-*: "group-aware" only by near-duplicate clusters
    data = {
        "method": "group-aware",
        "group_source": None,
        "near_duplicate_clusters": 15,
        "near_duplicate_threshold": 8,
        "ratios": [0.7, 0.15, 0.15],
        "seed": 0,
    }
    text = render_model_card(_inputs(["A", "B"], data=data))
    assert "unseen groups" not in text
    assert "no signer or session groups were given" in text
    assert "signers were not kept apart between training and test" in text
    assert "15 near duplicate clusters" in text and "≤ 8" in text
    grouped = render_model_card(_inputs(["A", "B"], data={**data, "group_source": "pattern ^[^/]+/(\\w+?)_"}))
    assert "come from unseen groups" in grouped


def test_non_letter_class_set_is_not_called_ukrsl():
    text = render_model_card(_inputs(["fist", "palm", "thumb"]))
    assert "this is not a UkrSL model" in text
    assert ModelCard(text).data.pipeline_tag == "image-classification"


# ---------------------------------------------------------------- accuracy on unseen signers (loso.json)

LOSO = {
    "status": "ok",
    "class_names": ["A", "B", "C"],
    "accuracy": 0.7345678,
    "mean_signer_accuracy": 0.6912345,
    "no_hand": 2,
    "command": "sign-ml loso --data /home/someone/splits --run /home/someone/run",
    "per_signer": [
        {"signer": "ann", "photos": 30, "hands": 29, "correct": 27, "accuracy": 0.9},
        {"signer": "bob", "photos": 19, "hands": 18, "correct": 9, "accuracy": 0.4736842},
    ],
}


def test_card_shows_leave_one_signer_out_numbers():
    text = render_model_card(
        _inputs(["A", "B", "C"], loso=LOSO, loso_confusion_image="eval/test/loso_confusion.png")
    )
    section = text.split("## Accuracy on signers it has not seen\n", 1)[1].split("\n## ", 1)[0]
    overall = dict(_table_rows(section, "| metric | value |"))
    assert overall == {
        "accuracy over all held-out photos": "0.7346",
        "mean of the per-signer accuracies": "0.6912",
        "photos with no hand found (counted as wrong)": "2 of 49",
    }
    assert _table_rows(section, "| signer |") == [
        ["ann", "30", "29", "27", "0.9000"],
        ["bob", "19", "18", "9", "0.4737"],
    ]
    assert (
        "Produced by `sign-ml loso --data splits --run run`." in section
    )  # the user's folders are not published
    assert "![Confusion matrix, leave-one-signer-out](eval/test/loso_confusion.png)" in section
    assert text.index("## Evaluation") < text.index("## Accuracy on signers") < text.index("## Limitations")


def test_card_with_one_signer_says_accuracy_on_new_signers_is_unknown():
    one = {
        "status": "one_signer",
        "class_names": ["A", "B", "C"],
        "accuracy": None,
        "mean_signer_accuracy": None,
        "per_signer": [{"signer": "ann", "photos": 30, "hands": 29, "correct": None, "accuracy": None}],
    }
    section = render_model_card(_inputs(["A", "B", "C"], loso=one)).split(
        "## Accuracy on signers it has not seen"
    )[1]
    section = section.split("\n## ", 1)[0]
    assert (
        "Only one signer was recorded (`ann`, 30 photos), so **accuracy on new signers is unknown**"
        in section
    )
    assert "| signer |" not in section and "0." not in section  # no number pretends to answer it
    none = render_model_card(_inputs(["A", "B", "C"], loso=one | {"status": "no_signers", "per_signer": []}))
    assert "The photos carry no signer information, so **accuracy on new signers is unknown**" in none
