"""Class balance on hand-built tables whose answer is known."""

from __future__ import annotations

import pandas as pd

from curation.alphabet import UKRAINIAN_ALPHABET
from curation.checks import CHECKS
from curation.checks.balance import check_balance


def _table(counts: dict[str, int], errors: dict[str, int] | None = None) -> pd.DataFrame:
    rows = []
    for label, n in counts.items():
        for i in range(n):
            bad = i < (errors or {}).get(label, 0)
            rows.append(
                {"path": f"/d/{label}/{i}.jpg", "label": label, "error": "cannot decode" if bad else ""}
            )
    return pd.DataFrame(rows)


def test_registered() -> None:
    assert CHECKS["balance"] is check_balance


def test_counts_ratio_small_empty_and_missing_letters() -> None:
    table = _table({"Б": 20, "А": 24, "В": 1, "Г": 9})
    result = check_balance(table, empty_classes={"Ґ": "/d/Ґ"}, min_count=10)

    s = result.stats
    assert s["counts"] == {"А": 24, "Б": 20, "В": 1, "Г": 9, "Ґ": 0}  # alphabet order, empty included
    assert (s["min"], s["max"], s["median"], s["imbalance_ratio"]) == (1, 24, 14.5, 24.0)
    assert s["threshold"] == 10.0  # max(min_count, 50% of the median 14.5)
    assert s["small_classes"] == ["В", "Г"] and s["empty_classes"] == ["Ґ"]
    assert s["missing_letters"] == [letter.char for letter in UKRAINIAN_ALPHABET[5:]]
    issues = result.issues.set_index(["flag", "class"])
    assert issues.loc[("empty-class", "Ґ"), "path"] == "/d/Ґ"
    assert issues.loc[("small-class", "В"), "path"] == "/d/В"
    assert issues.loc[("small-class", "В"), "score"] == 0.9
    assert "too few to put one in each" in issues.loc[("small-class", "В"), "detail"]
    assert issues.loc[("small-class", "Г"), "score"] == 0.1
    assert result.issues["flag"].value_counts().to_dict() == {
        "missing-letter": 28,
        "small-class": 2,
        "empty-class": 1,
    }
    assert result.summary.startswith(
        "5 classes, 54 usable photos; 1–24 per class (median 14.5, imbalance ×24)"
    )


def test_median_rule_flags_a_lagging_class() -> None:
    result = check_balance(_table({"A": 100, "B": 90, "C": 40}), min_count=10)
    assert result.stats["threshold"] == 45.0 and result.stats["small_classes"] == ["C"]
    assert "under 50% of the median 90" in result.issues.loc[0, "detail"]


def test_other_alphabets_have_no_missing_letters() -> None:
    # A, B, H... are also transliterations of А, Б, Г: an ASL set must not read as a partial Ukrainian one
    result = check_balance(_table(dict.fromkeys("ABCHJ", 12)), min_count=10)
    assert result.stats["missing_letters"] == [] and result.issues.empty
    assert result.summary.endswith("none below threshold")


def test_unreadable_photos_do_not_count() -> None:
    result = check_balance(_table({"A": 12, "B": 12}, errors={"B": 12}), min_count=10)
    assert result.stats["counts"] == {"A": 12, "B": 0}
    assert result.stats["empty_classes"] == ["B"] and result.stats["n_unusable"] == 12
    assert result.issues.loc[0, "path"] == "/d/B"  # named by the folder its broken files are in


def test_counts_by_split() -> None:
    table = _table({"A": 3, "B": 2}).assign(split=["train", "train", "test", "train", "validation"])
    result = check_balance(table, min_count=1)
    assert result.stats["counts_by_split"] == {
        "test": {"A": 1, "B": 0},
        "train": {"A": 2, "B": 1},
        "validation": {"A": 0, "B": 1},
    }
