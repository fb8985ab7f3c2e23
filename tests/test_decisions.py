"""Label decisions beside the data: recorded safely, last one wins, applied to the loaded table, sources untouched."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from conftest import file_hashes, make_class_folder

from curation.decisions import ACTIONS, DECISIONS_FILE, apply_decisions, read_decisions, record_decision
from curation.loading import load_table


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return make_class_folder(tmp_path / "data", {"А": 3, "Б": 3})


def test_no_file_is_an_empty_table(data: Path) -> None:
    table = read_decisions(data)
    assert table.empty and list(table.columns) == ["file_name", "action", "label", "time"]
    assert ACTIONS == ("relabel", "exclude")


def test_record_relabel_exclude_and_undo(data: Path) -> None:
    before = {k: v for k, v in file_hashes(data).items()}
    table = record_decision(data, "А/А_0.png", "relabel", "Б")
    assert table[["file_name", "action", "label"]].values.tolist() == [["А/А_0.png", "relabel", "Б"]]
    record_decision(data, "Б/Б_1.png", "exclude")
    record_decision(data, "А/А_0.png", "exclude")  # the last decision for a photo wins
    read = read_decisions(data)
    assert read[["file_name", "action", "label"]].values.tolist() == [
        ["Б/Б_1.png", "exclude", ""],
        ["А/А_0.png", "exclude", ""],
    ]
    assert pd.Timestamp(read["time"][0]).tzinfo is not None
    assert record_decision(data, "Б/Б_1.png", "keep")["file_name"].tolist() == ["А/А_0.png"]  # undo
    assert read_decisions(data)["file_name"].tolist() == ["А/А_0.png"]
    # the photos are never touched: only the decisions file (and its lock) are new
    after = file_hashes(data)
    assert {k: after[k] for k in before} == before
    assert set(after) - set(before) == {DECISIONS_FILE, ".label_decisions.lock"}


def test_relpath_is_normalised_and_labels_nfc(data: Path) -> None:
    import unicodedata

    table = record_decision(data, "А/./А_1.png", "relabel", unicodedata.normalize("NFD", " Й "))
    assert table[["file_name", "label"]].values.tolist() == [["А/А_1.png", "Й"]]


@pytest.mark.parametrize(
    ("relpath", "action", "label", "error", "match"),
    [
        ("../outside.png", "exclude", None, ValueError, "outside"),
        ("/etc/passwd", "exclude", None, ValueError, "absolute"),
        ("А/../../outside.png", "exclude", None, ValueError, "outside"),
        ("А\\А_0.png", "exclude", None, ValueError, "refused"),
        ("", "exclude", None, ValueError, "refused"),
        ("А/missing.png", "exclude", None, FileNotFoundError, "missing.png: no such photo"),
        ("А", "exclude", None, FileNotFoundError, "no such photo"),
        ("А/А_0.png", "relabel", None, ValueError, "needs a label"),
        ("А/А_0.png", "relabel", "  ", ValueError, "needs a label"),
        ("А/А_0.png", "relabel", "Б\nВ", ValueError, "needs a label"),
        ("А/А_0.png", "relabel", "a\x00", ValueError, "needs a label"),
        ("А/А_0.png", "exclude", "Б", ValueError, "takes no label"),
        ("А/А_0.png", "delete", None, ValueError, "unknown"),
    ],
)
def test_bad_decisions_are_refused_and_write_nothing(
    data: Path, relpath: str, action: str, label: str | None, error: type, match: str
) -> None:
    (data.parent / "outside.png").write_bytes(b"not yours")
    before = file_hashes(data.parent)
    with pytest.raises(error, match=match):
        record_decision(data, relpath, action, label)
    assert file_hashes(data.parent) == before


def test_missing_root_is_named(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nowhere: no such data folder"):
        record_decision(tmp_path / "nowhere", "a.png", "exclude")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("file_name,what\nx,y\n", r"missing column\(s\) action, label, time"),
        ("file_name,action,label,time\nА/А_0.png,delete,,t\n", "line 2: action 'delete'"),
        (
            "file_name,action,label,time\nА/А_0.png,relabel,,t\n",
            "line 2: relabel of А/А_0.png without a label",
        ),
        ("file_name,action,label,time\n,exclude,,t\n", "line 2: empty file_name"),
        ('file_name,action,label,time\n"unclosed,exclude,,t\n', "not a readable CSV"),
    ],
)
def test_a_malformed_file_is_named(data: Path, text: str, match: str) -> None:
    (data / DECISIONS_FILE).write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=f"{DECISIONS_FILE}: {match}"):
        read_decisions(data)


def test_an_empty_file_is_no_decisions(data: Path) -> None:
    (data / DECISIONS_FILE).write_text("")
    assert read_decisions(data).empty


def test_concurrent_decisions_lose_nothing(data: Path) -> None:
    files = [f"{c}/{c}_{i}.png" for c in "АБ" for i in range(3)]
    barrier = threading.Barrier(len(files))

    def decide(relpath: str) -> None:
        barrier.wait()
        record_decision(data, relpath, "exclude")

    with ThreadPoolExecutor(len(files)) as pool:
        list(pool.map(decide, files))
    assert sorted(read_decisions(data)["file_name"]) == sorted(files)


def decisions(*rows: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame([{"file_name": f, "action": a, "label": lab, "time": ""} for f, a, lab in rows])


def test_apply_relabels_excludes_and_reports_unknown_files(data: Path) -> None:
    loaded = load_table(data)
    table, summary = apply_decisions(
        loaded.table,
        decisions(
            ("А/А_0.png", "relabel", "Б"),
            ("Б/Б_2.png", "exclude", ""),
            ("В/gone.png", "exclude", ""),
            ("А/А_1.png", "exclude", ""),
            ("А/А_1.png", "relabel", "А"),
        ),  # last wins: А_1 stays, as А
        loaded.class_names,
    )
    assert summary == {"relabelled": 2, "excluded": 1, "unknown_files": ["В/gone.png"]}
    labels = dict(zip(table["relpath"], table["label"], strict=True))
    assert labels == {
        "А/А_0.png": "Б",
        "А/А_1.png": "А",
        "А/А_2.png": "А",
        "Б/Б_0.png": "Б",
        "Б/Б_1.png": "Б",
    }
    assert table.index.tolist() == list(range(5))
    assert len(loaded.table) == 6 and loaded.table.loc[0, "label"] == "А"  # the input table is not changed


def test_apply_refuses_a_label_that_is_not_a_class(data: Path) -> None:
    loaded = load_table(data)
    with pytest.raises(ValueError, match="А/А_0.png: relabel to 'Ж', which is not a class of this data"):
        apply_decisions(loaded.table, decisions(("А/А_0.png", "relabel", "Ж")), loaded.class_names)
    # a decision about a photo no longer in the data is only reported, whatever its label
    _, summary = apply_decisions(loaded.table, decisions(("А/old.png", "relabel", "Ж")), loaded.class_names)
    assert summary == {"relabelled": 0, "excluded": 0, "unknown_files": ["А/old.png"]}


def test_apply_with_no_decisions_changes_nothing(data: Path) -> None:
    loaded = load_table(data)
    table, summary = apply_decisions(loaded.table, read_decisions(data), loaded.class_names)
    pd.testing.assert_frame_equal(table, loaded.table)
    assert summary == {"relabelled": 0, "excluded": 0, "unknown_files": []}
