"""The hands check on planted detections whose findings are known."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from curation.checks.hands import check_hands
from curation.hands import Hand, HandDetection


def hand(x0: float, y0: float, x1: float, y1: float) -> Hand:
    pts = np.column_stack([np.linspace(x0, x1, 21), np.linspace(y0, y1, 21), np.zeros(21)]).astype(np.float32)
    return Hand(pts, pts, "Right", 0.9, (x0, y0, x1, y1))


PLANTED = {
    "ok.jpg": HandDetection(400, 300, (hand(0.3, 0.3, 0.6, 0.7),)),
    "none.jpg": HandDetection(400, 300),
    "two.jpg": HandDetection(400, 300, (hand(0.1, 0.1, 0.5, 0.5), hand(0.6, 0.6, 0.8, 0.8))),
    "cut.jpg": HandDetection(400, 300, (hand(0.7, 0.2, 1.08, 0.6),)),
    "tiny.jpg": HandDetection(400, 300, (hand(0.5, 0.5, 0.55, 0.56),)),  # 20 px of 400
    "unreadable.jpg": None,
}


@pytest.fixture
def table() -> pd.DataFrame:
    rows = []
    for path, d in PLANTED.items():
        rows.append(
            {
                "path": path,
                "label": "А",
                "hand_found": bool(d and d.found),
                "n_hands": len(d.hands) if d else 0,
                "handedness": d.hand.handedness if d and d.found else "",
                "hand": json.dumps(d.to_dict()) if d else "",
            }
        )
    return pd.DataFrame(rows)


def test_flags_exactly_the_planted_problems(table):
    result = check_hands(table)
    found = sorted(zip(result.issues["path"], result.issues["flag"], strict=True))
    assert found == [
        ("cut.jpg", "hand-cut"),
        ("none.jpg", "no-hand"),
        ("tiny.jpg", "tiny-hand"),
        ("two.jpg", "several-hands"),
    ]
    assert result.issues.set_index("path").loc["none.jpg", "score"] == 1.0
    assert result.stats["n_read"] == 5 and result.stats["n_found"] == 4  # the unreadable one is integrity's
    assert result.stats["detection_rate"] == pytest.approx(0.8)
    assert result.summary.startswith("hands found in 4 of 5 photos (80.0%)")


def test_a_clean_set_has_no_findings(table):
    clean = table[table["path"] == "ok.jpg"]
    result = check_hands(clean)
    assert result.n_issues == 0 and result.summary == "hands found in 1 of 1 photos (100.0%)"


def test_needs_the_hand_columns():
    with pytest.raises(ValueError, match="add_hand_columns"):
        check_hands(pd.DataFrame({"path": ["a.jpg"], "label": ["А"]}))
