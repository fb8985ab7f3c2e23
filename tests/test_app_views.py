"""The app's pure views: label dicts, verdicts, dataset tables, the confusion heatmap and its cells, i18n."""

from __future__ import annotations

import re
import string

import numpy as np
import pandas as pd
import pytest

from sign_ml.artifacts import ModelMeta
from sign_ml.presets import Preprocessing
from sign_ml.ui import i18n, views

CLASSES = ["А", "Б", "Й", "Я"]


def metrics_fixture() -> dict:
    """Counts of a planted 4-class evaluation: А→Й twice, Б→Б 3, Й→Й 3, Я→Я 2 + Я→Б 1."""
    cm = np.array([[1, 0, 2, 0], [0, 3, 0, 0], [0, 0, 3, 0], [0, 1, 0, 2]])
    return {
        "split": "test",
        "n": 12,
        "accuracy": 0.75,
        "macro_f1": 0.7,
        "ece": 0.1,
        "class_names": CLASSES,
        "per_class": [
            {"class": c, "precision": 0.5, "recall": 0.25 * (i + 1), "f1": 0.4, "support": 3}
            for i, c in enumerate(CLASSES)
        ],
        "confusion_matrix": cm.tolist(),
        "confusion_matrix_normalized": (cm / cm.sum(1, keepdims=True)).tolist(),
        "most_confused": [["Я", "Б", 1], ["А", "Й", 2]],
    }


def test_label_dict_shows_letter_and_name_and_api_keeps_raw_names():
    preds = [("Й", 0.7), ("А", 0.2), ("Я", 0.1)]
    assert views.label_dict(preds) == {"Й (йот)": 0.7, "А (а)": 0.2, "Я (я)": 0.1}
    assert list(views.api_dict(preds)) == ["Й", "А", "Я"]
    assert views.display_label("B", ukrainian=False) == "B"  # ASL's B is not the Ukrainian Б
    assert views.label_dict([("B", 1.0)], ukrainian=False) == {"B": 1.0}
    # no "0 %" rows in the top 5
    ranked = [("B", 0.996), ("C", 0.004), ("D", 0.0), ("E", 0.0)]
    assert views.label_dict(ranked, ukrainian=False) == {"B": 0.996}
    assert views.label_dict([("B", 0.001)], ukrainian=False) == {"B": 0.001}


def test_verdict_below_threshold_says_not_sure_and_motion_letters_are_marked():
    unsure = views.verdict_markdown([("А", 0.3), ("Б", 0.2)], threshold=0.5)
    assert "not sure" in unsure and "## А" not in unsure
    sure = views.verdict_markdown([("Й", 0.9)], threshold=0.5)
    assert sure.startswith("## Й (йот)") and "static start only" in sure
    assert "static start only" not in views.verdict_markdown([("А", 0.9)], threshold=0.5)
    assert "не впевнена" in views.verdict_markdown([("А", 0.3)], threshold=0.5, lang="uk")
    asl = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    assert "static start only" in views.verdict_markdown(
        [("J", 0.9)], 0.5, class_names=asl
    )  # ASL J and Z move
    assert views.verdict_markdown([("B", 0.9)], 0.5, class_names=asl).startswith("## B ·")  # not Б (бе)


def test_class_counts_follow_the_ukrainian_alphabet_and_imbalance_ratio():
    counts = views.class_counts(["Я", "А", "А", "Й", "А", "Я"])
    assert list(counts["class"]) == ["А", "Й", "Я"]
    assert list(counts["photos"]) == [3, 1, 2]
    assert views.imbalance_ratio(counts) == 3.0
    assert views.imbalance_ratio(views.counts_frame({"A": 2, "B": 0})) == float("inf")


def test_split_sizes_table_has_totals():
    manifest = pd.DataFrame(
        {"label": ["А", "А", "Б", "Б", "Б"], "split": ["train", "test", "train", "train", "validation"]}
    )
    sizes = views.split_sizes(manifest).set_index("class")
    assert list(sizes.columns) == ["train", "validation", "test", "total"]
    assert sizes.loc["Б"].tolist() == [2, 1, 0, 3]
    assert sizes.loc["total"].tolist() == [3, 1, 1, 5]


def test_report_views_read_the_curation_report_format():
    report = {
        "root": "/data/photos",
        "classes": [{"name": "Б", "count": 4}, {"name": "А", "count": 2}, {"name": "В", "count": 0}],
        "splits": None,
        "checks": {
            "loading": {
                "summary": "1 not-image",
                "issues": [{"path": "/data/photos/А/x.txt", "flag": "not-image", "score": 0.2}],
            },
            "integrity": {
                "summary": "1 unreadable",
                "issues": [{"path": "/data/photos/А/bad.jpg", "flag": "corrupt", "score": 1.0}],
            },
            "duplicates": {
                "summary": "1 cluster",
                "issues": [
                    {"path": "/data/photos/Б/1.jpg", "flag": "exact-duplicate", "score": 1.0, "cluster": 3},
                    {"path": "/data/photos/Б/2.jpg", "flag": "exact-duplicate", "score": 1.0, "cluster": 3},
                ],
            },
            "leakage": {"summary": "skipped", "issues": []},
        },
    }
    counts = views.report_counts(report)
    assert list(counts["class"]) == ["А", "Б", "В"] and list(counts["photos"]) == [2, 4, 0]
    tables = views.issue_tables(report)
    assert tables["issues_unreadable"]["path"].tolist() == ["А/bad.jpg", "А/x.txt"]
    assert tables["issues_duplicates"]["cluster"].tolist() == [3, 3]
    assert tables["issues_leakage"].empty
    summary = views.report_summary(report)
    assert (
        "**unreadable or odd files**: 1 flagged" in summary
        and "**leakage across splits**: none found" in summary
    )
    assert "**дублікати**: позначено: 2" in views.report_summary(report, "uk")
    assert views.duplicate_clusters(tables["issues_duplicates"]) == [("3", ["Б/1.jpg", "Б/2.jpg"], False)]
    shown = views.localize_issues(tables["issues_duplicates"].assign(mixed_labels=[False, False]), "uk")
    assert shown["знахідка"].tolist() == ["точний дублікат"] * 2 and shown["різні мітки"].tolist() == [
        "ні",
        "ні",
    ]
    assert shown["перевірка"].tolist() == ["дублікати"] * 2


def test_confusion_heatmap_fits_a_screen_and_maps_clicks_to_cells():
    metrics = metrics_fixture()
    cm = views.confusion_frame(metrics)
    assert cm.loc["А", "Й"] == pytest.approx(2 / 3)
    for n in (4, 26, 33):  # every size fits 1366×900 with room for the page around it
        lay = views.heatmap_layout(n)
        assert lay.left + n * lay.cell <= 880 and lay.top + n * lay.cell <= 880
    image = views.confusion_heatmap(cm, "uk")
    lay = views.heatmap_layout(4)
    centre = lambda i, j: (lay.left + j * lay.cell + lay.cell // 2, lay.top + i * lay.cell + lay.cell // 2)  # noqa: E731
    r, g, b = image.getpixel((centre(0, 2)[0] - lay.cell // 3, centre(0, 2)[1] - lay.cell // 3))
    assert r > b  # А → Й, an error: red
    r, g, b = image.getpixel((centre(1, 1)[0] - lay.cell // 3, centre(1, 1)[1] - lay.cell // 3))
    assert b > r  # Б → Б, right: blue
    assert lay.cell_at(*centre(0, 2)) == (0, 2) and lay.cell_at(*centre(3, 1)) == (3, 1)
    assert lay.cell_at(5, 5) is None and lay.cell_at(*centre(4, 0)) is None


def test_gallery_items_have_full_captions():
    predictions = pd.DataFrame(
        {
            "path": ["/p/a2.jpg", "/p/a1.jpg"],
            "relpath": ["А/a2.jpg", "А/a1.jpg"],
            "true": ["А", "А"],
            "pred": ["Й", "Й"],
            "prob_pred": [0.8, 0.6],
            "prob_true": [0.1, 0.3],
        }
    )
    items = views.gallery_items(predictions, resolve=lambda r: r["path"], class_names=CLASSES)
    assert [img for img, _ in items] == ["/p/a2.jpg", "/p/a1.jpg"]
    assert items[0][1] == "А/a2.jpg: true А (а) 10% → predicted Й (йот) 80%"
    from sign_ml.evaluate import NO_HAND_LABEL

    assert views.NO_HAND_LABEL == NO_HAND_LABEL
    lost = predictions.assign(pred=[NO_HAND_LABEL, "Й"])
    assert (
        views.gallery_items(lost, resolve=lambda r: None, class_names=CLASSES, lang="uk")[0][1]
        == "А/a2.jpg: справжня А (а) → руку не знайдено"
    )
    assert "no hand found in 3 photo(s)" in views.eval_summary({**metrics_fixture(), "no_hand": 3})
    uk = views.gallery_items(predictions, resolve=lambda r: None, class_names=CLASSES, lang="uk")
    assert uk[0][1] == "А/a2.jpg: справжня А (а) 10% → передбачена Й (йот) 80%"


def test_per_class_and_most_confused_tables():
    metrics = metrics_fixture()
    metrics["per_class"][2]["f1"] = 0.1
    per_class = views.per_class_frame(metrics)
    # Й is a motion letter: its own group, before the static letters; worst F1 first within each group
    assert list(per_class.columns) == ["group", "letter", "precision", "recall", "F1", "photos"]
    assert per_class["letter"].tolist() == ["Й (йот)", "А (а)", "Б (бе)", "Я (я)"]
    assert per_class["group"].tolist() == ["motion"] + ["static"] * 3
    metrics["per_class"][3]["f1"] = 0.05  # Я worst: first of the static block, still after Й
    assert views.per_class_frame(metrics)["letter"].tolist()[:2] == ["Й (йот)", "Я (я)"]
    metrics["per_class"][3]["f1"] = 0.4
    uk_table = views.per_class_frame(metrics, "uk")
    assert list(uk_table.columns) == ["група", "літера", "влучність", "повнота", "F1", "фото"]
    assert uk_table["група"].tolist()[0] == "з рухом"
    # a class set without motion letters keeps the plain table
    plain = {"class_names": ["А", "Б"], "per_class": metrics["per_class"][:2]}
    assert list(views.per_class_frame(plain).columns) == ["letter", "precision", "recall", "F1", "photos"]
    assert views.group_summary(plain) == ""
    # static: А, Б, Я recall .25, .5, 1.0 on 3 each = 5.25 of 9; motion: Й recall .75 on 3
    line = views.group_summary(metrics)
    assert "**Static letters**: accuracy 0.583 on 9" in line
    assert "**motion letters** (Й (йот)): accuracy 0.750 on 3" in line
    assert "**Статичні літери**: точність 0.583 на 9" in views.group_summary(metrics, "uk")
    pairs = views.most_confused_frame(metrics)
    assert pairs.values.tolist() == [["А (а)", "Й (йот)", 2], ["Я (я)", "Б (бе)", 1]]
    assert views.most_confused_pairs(metrics, min_count=2) == [("А", "Й", 2)]
    assert "accuracy **0.750**" in views.eval_summary(metrics)
    assert "точність **0.750**" in views.eval_summary(metrics, "uk")


def test_curves_long_splits_loss_and_accuracy():
    history = pd.DataFrame(
        {
            "epoch": [1, 2],
            "train_loss": [2.0, 1.0],
            "val_loss": [2.5, 1.5],
            "train_acc": [0.1, 0.5],
            "val_acc": [0.1, 0.4],
            "lr": [1e-3, 1e-3],
        }
    )
    long = views.curves_long(history)
    assert len(long) == 8 and set(long["kind"]) == {"loss", "accuracy"}
    assert "lr" not in set(long["series"]) and set(long["series"]) == {"training", "validation"}
    assert set(views.curves_long(history, "uk")["series"]) == {"навчання", "валідація"}


def test_model_overview_then_details_name_classes_input_protocol_and_publishing():
    meta = ModelMeta(
        class_names=CLASSES,
        preprocessing=Preprocessing(size=64),
        width_mult=0.25,
        train_config={"epochs": 3, "lr": 5e-5},
        metrics={"test_accuracy": 0.75},
        data={
            "source": "folder /d",
            "method": "group-aware",
            "ratios": [70, 15, 15],
            "totals": {"train": 9, "test": 3},
        },
    )
    overview = views.model_overview(meta, "runs/x", metrics_fixture(), "en")
    assert "Й (йот)" in overview and "learned from 9 photos" in overview and "accuracy **75%**" in overview
    assert "signers it has not seen" not in overview
    from types import SimpleNamespace

    loso = SimpleNamespace(status="ok", accuracy=0.86, mean_signer_accuracy=0.85, per_signer=[1, 2])
    only_loso = views.model_overview(meta, "runs/x", None, "en", loso=loso)
    assert "86% on signers it has not seen" in only_loso and "No evaluation is stored" not in only_loso
    assert "No evaluation is stored" in views.model_overview(meta, "runs/x", None, "en")
    assert "On 12 test photos" in overview  # the split the numbers come from, by name
    on_validation = {**metrics_fixture(), "split": "validation", "n": 30}
    assert "On 30 validation photos" in views.model_overview(meta, "runs/x", on_validation, "en")
    assert "На 30 валідаційних фото" in views.model_overview(meta, "runs/x", on_validation, "uk")
    md = views.model_details(meta, "runs/x", backend="onnx")
    for needle in (
        "А (а)",
        "Й (йот)",
        "Я (я)",
        "64×64",
        "`test_accuracy=0.7500`",
        "`method=group-aware`",
        "sign-ml push runs/x --repo USER/NAME",
        "`epochs=3`",
        "**Served by:** `onnx`",
        "Motion letters",
    ):
        assert needle in md, needle
    assert "sign-ml push RUN_DIR" in views.model_details(meta, "/srv/secret/run")  # no server path
    note = views.model_note(meta, "models/demo/")
    assert "train your own UkrSL model" in note and "test accuracy 75.0%" in note
    assert "/srv" not in views.model_note(meta, "/srv/secret/demo") and "`demo`" in views.model_note(
        meta, "/srv/secret/demo"
    )


@pytest.mark.parametrize(
    "ratios",
    [
        {"train": 0.7, "validation": 0.15, "test": 0.15},  # what sign-curate split writes
        {"test": 15, "train": 70, "validation": 15},  # percents, in another order
        [70, 15, 15],
    ],
)
def test_the_model_tab_and_the_dataset_card_write_one_split_the_same_way(ratios):
    """One formatter (curation.dataset_card.ratios_text) for the card and the Model tab: the tab once wrote
    percents ×100 ('7000/1500/1500') and followed the dict's own order."""
    from curation.dataset_card import render_dataset_card

    data = {"method": "group-aware", "ratios": ratios, "seed": 0, "class_names": CLASSES}
    card = render_dataset_card(
        "user/x", data, {"train": {c: 7 for c in CLASSES}, "test": {c: 2 for c in CLASSES}}
    )
    assert "group-aware split 70/15/15 (train/validation/test), seed 0" in card
    meta = ModelMeta(class_names=CLASSES, preprocessing=Preprocessing(size=64), data=data)
    assert "`ratios=70/15/15`" in views.model_details(meta, "runs/x")
    overview = views.model_overview(meta, "runs/x", metrics_fixture(), "en")
    assert "`group-aware` split 70/15/15, seed 0" in overview


def test_error_reasons_are_translated():
    assert views.error_reason("not an image that can be read (corrupt, or not a picture)", "uk").startswith(
        "це не зображення"
    )
    assert views.error_reason("file not found", "en") == "file not found"
    assert "no hand found" in views.no_hand_markdown("en") and "руку не знайдено" in views.no_hand_markdown(
        "uk"
    )


def test_i18n_tables_match_and_language_is_picked():
    assert set(i18n.STRINGS["en"]) == set(i18n.STRINGS["uk"])
    fields = lambda s: {f for _, f, _, _ in string.Formatter().parse(s) if f}  # noqa: E731
    for key, english in i18n.STRINGS["en"].items():  # the same {fields} in both languages
        assert fields(english) == fields(i18n.STRINGS["uk"][key]), key
    assert i18n.pick_lang("uk-UA,uk;q=0.9,en;q=0.8") == "uk"
    assert i18n.pick_lang("de-DE,de;q=0.9") == "en"
    assert i18n.pick_lang("uk", forced="en") == "en"
    forced = i18n.translations("uk")
    assert forced["en"]["tab_recognize"] == "Розпізнати"  # an English browser still gets Ukrainian
    assert i18n.translations()["en"]["tab_recognize"] == "Recognize"
    with pytest.raises(ValueError):
        i18n.translations("fr")


def test_split_notes_read_in_both_languages_from_the_facts() -> None:
    """The notes splits.json keeps: English as the CLI printed them, Ukrainian from the same facts."""
    import pandas as pd

    from curation.splitting import assign_splits, split_notes

    rows = [
        {"relpath": f"{c}/{g}_{i}.jpg", "label": c, "group": g}
        for g in ("anna", "bohdan")
        for c in "AB"
        for i in range(2)
    ]
    table = pd.DataFrame(rows)
    clusters = pd.Series([f"{r.label}{r.relpath[-5]}" for r in table.itertuples()])  # one camera for both
    split = assign_splits(
        table, ratios=(0.5, 0.5), group_col="group", clusters=clusters, small_classes="train"
    )
    notes = split_notes(
        table, split, names=("train", "validation"), group_col="group", clusters=clusters, group_word="signer"
    )
    en = views.split_notes_markdown(notes, "en")
    uk = views.split_notes_markdown(notes, "uk")
    assert en.count("\n- ") == 1 and "near-duplicates" in en and "A/anna_0.jpg ≈ A/bohdan_0.jpg" in en
    assert "anna, bohdan" in uk and "A/anna_0.jpg ≈ A/bohdan_0.jpg" in uk and "валідаційна" in uk
    words = re.sub(r"[\w/.]*\.jpg|anna|bohdan", "", uk)
    assert not re.search(r"[A-Za-z]{3,}", words), uk  # nothing left in English


def test_an_empty_confusion_cell_says_so_instead_of_0_photos_misclassified() -> None:
    caption = views.cell_caption("А", "Б", 0, 0.0, ["А", "Б"], "en")
    assert "0 photo(s)" not in caption and "no test photo of А (а) was read as Б (бе)" in caption
    assert "1 photo(s)" in views.cell_caption("А", "Б", 1, 0.5, ["А", "Б"], "en")
    assert "жодне" in views.cell_caption("А", "Б", 0, 0.0, ["А", "Б"], "uk")
