"""`sign-curate check` end to end: every planted problem named in the report, sources untouched, exit codes."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from conftest import file_hashes, make_planted_set

from curation.cli import main


def _findings(data: dict, check: str, root: Path) -> set[tuple[str, str]]:
    return {
        (Path(row["path"]).relative_to(root).as_posix() if row["path"] else "", row["flag"])
        for row in data["checks"][check]["issues"]
    }


def test_check_names_every_planted_problem(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    root = make_planted_set(tmp_path / "data").resolve()
    before = file_hashes(root)
    out = tmp_path / "report"

    code = main(
        ["check", str(root), "--out", str(out), "--workers", "1", "--no-progress", "--min-count", "3"]
    )

    assert code == 0
    assert file_hashes(root) == before  # byte-identical, nothing added or removed
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    nfd = unicodedata.normalize("NFD", "Й")
    assert data["class_names"] == ["А", "Б", "Г", "Й"]  # NFD folder read as NFC Й; empty В left out
    assert data["n_photos"] == 19  # broken files are rows too (the scan names them)
    assert _findings(data, "integrity", root) == {
        ("А/corrupt.jpg", "truncated"),
        ("А/notes.jpg", "unreadable"),
        ("Б/huge.png", "huge"),
        ("Б/tiny.png", "tiny"),
        ("Б/cmyk.jpg", "cmyk"),
        ("Б/deep.png", "16-bit"),
        ("А/rgba.png", "alpha"),
        ("А/moving.gif", "palette"),
        ("А/moving.gif", "animated"),
        ("А/rotated.jpg", "exif-rotated"),
    }
    assert _findings(data, "loading", root) == {
        ("А/.DS_Store", "hidden"),
        ("А/readme.txt", "not-image"),
        ("labels.csv", "outside-class-folder"),
        ("В", "empty-folder"),
        (nfd, "nfd-name"),
    }
    balance = data["checks"]["balance"]
    assert balance["stats"]["counts"] == {"А": 7, "Б": 6, "В": 0, "Г": 1, "Й": 2}  # usable photos only
    assert {f for f in _findings(data, "balance", root) if f[1] != "missing-letter"} == {
        ("В", "empty-class"),
        ("Г", "small-class"),
        (nfd, "small-class"),
    }
    assert len(balance["stats"]["missing_letters"]) == 28
    assert [c["status"] for c in data["classes"]] == ["ok", "ok", "empty", "small", "small"]
    printed = capsys.readouterr().out
    assert "19 photos in 4 classes" in printed
    assert "integrity: 3 unusable (1 unreadable, 1 truncated, 1 huge)" in printed
    assert f"report json: {out / 'report.json'}" in printed
    assert {p.name for p in out.iterdir()} == {"report.json", "report.md", "class_balance.png"}


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda p: p / "missing", "no such folder"),
        (lambda p: (p / "empty").mkdir() or p / "empty", "no photos found"),
    ],
)
def test_cannot_run_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture, make, reason
) -> None:
    code = main(["check", str(make(tmp_path)), "--out", str(tmp_path / "r"), "--no-progress"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err.startswith("sign-curate check: error:") and reason in err and "\n" not in err
    assert not (tmp_path / "r").exists()


@pytest.mark.shared_data
def test_check_on_the_asl_sample(asl_sample: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    out = tmp_path / "report"
    assert main(["check", str(asl_sample), "--out", str(out), "--no-progress"]) == 0
    data = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert data["n_classes"] == 26 and data["n_photos"] == 720
    assert data["class_names"] == [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    assert data["checks"]["integrity"]["stats"]["n_unusable"] == 0
    assert data["checks"]["loading"]["n_issues"] == 0
    assert data["checks"]["balance"]["stats"]["missing_letters"] == []  # A..Z is not a partial Ukrainian set
    assert "720 photos in 26 classes" in capsys.readouterr().out
