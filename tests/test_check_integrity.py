"""Unreadable and odd files, from hand-built scan columns (the check never opens a file)."""

from __future__ import annotations

import pandas as pd
import pytest

from curation.checks import CHECKS
from curation.checks.integrity import check_integrity, error_flag

ROWS = [  # path, error, flags, width, height, mode
    ("/d/A/ok.jpg", "", "", 320, 240, "RGB"),
    ("/d/A/cut.jpg", "cannot decode (image file is truncated (62 bytes not processed))", "", 64, 64, "RGB"),
    ("/d/A/text.jpg", "not an image that can be read (corrupt, or not a picture)", "", 0, 0, ""),
    (
        "/d/A/bomb.png",
        "too large to decode safely (Image size (400000000 pixels) exceeds limit)",
        "",
        0,
        0,
        "",
    ),
    ("/d/A/gone.png", "file not found", "", 0, 0, ""),
    ("/d/B/dot.png", "", "tiny", 1, 1, "RGB"),
    ("/d/B/print.jpg", "", "cmyk", 48, 48, "CMYK"),
    ("/d/B/deep.png", "", "16-bit", 48, 48, "I;16"),
    ("/d/B/anim.gif", "", "palette;animated", 48, 48, "P"),
    ("/d/B/cutout.png", "", "alpha", 48, 48, "RGBA"),
    ("/d/B/phone.jpg", "", "exif-rotated", 36, 48, "RGB"),
]


def _table() -> pd.DataFrame:
    t = pd.DataFrame(ROWS, columns=["path", "error", "flags", "width", "height", "mode"])
    return t.assign(label=t["path"].str.split("/").str[2], format="PNG", n_frames=1)


def test_registered() -> None:
    assert CHECKS["integrity"] is check_integrity


def test_every_problem_is_named_with_its_score() -> None:
    result = check_integrity(_table())
    found = {(row.path.rsplit("/", 1)[1], row.flag): row.score for row in result.issues.itertuples()}
    assert found == {
        ("cut.jpg", "truncated"): 1.0,
        ("text.jpg", "unreadable"): 1.0,
        ("bomb.png", "huge"): 1.0,
        ("gone.png", "missing"): 1.0,
        ("dot.png", "tiny"): 0.8,
        ("print.jpg", "cmyk"): 0.3,
        ("deep.png", "16-bit"): 0.3,
        ("anim.gif", "palette"): 0.2,
        ("anim.gif", "animated"): 0.5,
        ("cutout.png", "alpha"): 0.2,
        ("phone.jpg", "exif-rotated"): 0.1,
    }
    detail = result.issues.set_index("flag")["detail"]
    assert detail["unreadable"] == "not an image that can be read (corrupt, or not a picture)"
    assert detail["tiny"].endswith("(1×1 px)")
    assert result.stats["n_unusable"] == 4 and result.stats["n_odd"] == 6
    assert result.summary == (
        "4 unusable (1 unreadable, 1 truncated, 1 huge, 1 missing); "
        "6 odd but usable (1 tiny, 1 animated, 1 cmyk, 1 16-bit, 1 palette, 1 alpha, 1 exif-rotated)"
    )


def test_clean_set() -> None:
    result = check_integrity(_table().iloc[:1])
    assert result.issues.empty and result.summary == "all 1 photos decode cleanly"
    assert list(result.issues.columns)[:3] == ["path", "flag", "score"]


def test_needs_the_scan_columns() -> None:
    with pytest.raises(ValueError, match="run curation.scan.scan_table first"):
        check_integrity(pd.DataFrame({"path": ["/x.png"], "label": ["A"]}))


@pytest.mark.parametrize(
    ("error", "flag"),
    [
        ("cannot decode (broken data stream)", "unreadable"),
        ("too large to decode safely (9000×8000 px)", "huge"),
    ],
)
def test_error_flag(error: str, flag: str) -> None:
    assert error_flag(error) == flag
