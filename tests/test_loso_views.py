"""The leave-one-signer-out result as the user sees it: the per-signer table's count column says what it counts
(photos, or photos + clips) in the CLI, the Record/Evaluation tabs (English and Ukrainian) and the model card,
and the confusion matrix the tabs show is drawn in the page's language. A hand-built result: no training."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from PIL import ImageChops
from test_model_card import LOSO, _inputs

from sign_ml.loso import LosoResult, loso_lines
from sign_ml.model_card import render_model_card
from sign_ml.ui import tab_evaluation, views

CLASSES = ["I", "J", "L"]


def result(n_clips: int) -> LosoResult:
    per_signer = pd.DataFrame(
        {
            "signer": ["ann", "bob"],
            "photos": [12, 10],
            "hands": [12, 9],
            "correct": [10, 7],
            "accuracy": [10 / 12, 0.7],
        }
    )
    confusion = np.array([[6, 1, 0], [1, 6, 0], [0, 1, 6]])
    return LosoResult(
        "ok",
        CLASSES,
        per_signer,
        17 / 22,
        (10 / 12 + 0.7) / 2,
        confusion,
        1,
        1.0,
        class_no_hand=[0, 0, 1],
        n_clips=n_clips,
        kind="temporal" if n_clips else "landmarks",
    )


def test_the_count_column_says_photos_and_clips_when_there_are_clips():
    for lang, photos, both in (("en", "photos", "photos + clips"), ("uk", "фото", "фото + кліпи")):
        assert list(views.loso_table(result(0), lang).columns)[1] == photos
        table = views.loso_table(result(7), lang)
        assert list(table.columns)[1] == both and list(table[both]) == [12, 10]
    header = loso_lines(result(7), Path("loso.json"))[0].splitlines()[0]
    assert header.split() == ["signer", "photos", "+", "clips", "hands", "correct", "accuracy"]
    assert loso_lines(result(0), Path("loso.json"))[0].split()[:3] == ["signer", "photos", "hands"]


def test_the_card_counts_clips_and_names_the_temporal_folds():
    section = render_model_card(_inputs(["A", "B", "C"], loso=LOSO | {"n_clips": 5, "kind": "temporal"}))
    section = section.split("## Accuracy on signers it has not seen\n", 1)[1].split("\n## ", 1)[0]
    assert "| signer | photos + clips | hands found | correct | accuracy |" in section
    assert "a temporal model with this recipe was trained on the other signers' photos and clips" in section
    assert "| photos and clips with no hand found (counted as wrong) | 2 of 49 |" in section
    still = render_model_card(_inputs(["A", "B", "C"], loso=LOSO))  # a loso.json of photos only, as before
    assert "| signer | photos | hands found |" in still and "a landmark model with this recipe" in still


class ServedRun:
    """What the Evaluation tab asks of the app: the served model's leave-one-signer-out result."""

    def __init__(self, loso: LosoResult) -> None:
        self.loso = loso

    def unseen_signers(self) -> tuple[LosoResult, None]:
        return self.loso, None


def test_the_confusion_matrix_is_drawn_in_the_pages_language():
    loso = result(7)
    en, uk = views.loso_heatmap(loso, "en"), views.loso_heatmap(loso, "uk")
    frame = pd.DataFrame(
        loso.interpretation().confusion_matrix(normalize=True), index=CLASSES, columns=CLASSES
    )
    assert uk.tobytes() == views.confusion_heatmap(frame, "uk").tobytes()  # "справжня ↓", "передбачена →"
    # the same cells; only the axis titles above the grid differ
    left, top, right, bottom = ImageChops.difference(en.convert("RGB"), uk.convert("RGB")).getbbox()
    assert bottom <= views.heatmap_layout(len(CLASSES)).top
    shown, summary, table, image = tab_evaluation.unseen_signers_values(ServedRun(loso), "uk")
    assert image["visible"] and image["value"].tobytes() == uk.tobytes()
    assert "фото + кліпи" in table.columns
    one = LosoResult.from_dict({"status": "one_signer", "class_names": CLASSES})
    assert views.loso_heatmap(one, "uk") is None  # no number: no picture
    assert tab_evaluation.unseen_signers_values(ServedRun(one), "uk")[3]["visible"] is False


def test_trains_result_names_the_tabs_as_the_page_titles_them():
    from sign_ml.ui.i18n import text

    for lang in ("en", "uk"):
        said = text("train_serving", lang)
        for tab in ("tab_recognize", "tab_live", "tab_evaluation"):
            assert text(tab, lang) in said, (lang, tab)  # uk said «Оцінка», the tab is «Оцінювання»
