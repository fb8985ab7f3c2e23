"""A recording workspace keeps clips beside photos: save_clip writes the file and its row, the loader reads
them with the signer, counts include them, and a clip without its row gets it back on open."""

from __future__ import annotations

from pathlib import Path

import pytest
from clip_helpers import make_clip
from conftest import make_photo

from curation.clips import read_clip
from curation.loading import load_table
from curation.workspace import NameRefused, Workspace


def a_clip(tmp_path: Path, hand_frames: int = 30):
    return read_clip(
        make_clip(tmp_path / "src" / "x.clip.json", "whatever", n_frames=30, hand_frames=hand_frames)
    )


def test_save_clip_writes_the_file_and_its_row_beside_photos(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.set_alphabet("asl")
    photo = make_photo(tmp_path / "p.jpg", seed=1, size=(32, 24)).read_bytes()
    ws.save_photo(photo, signer="olena", session=1, letter="J")
    first = ws.save_clip(a_clip(tmp_path), signer="olena", session=1, letter="J")
    second = ws.save_clip(a_clip(tmp_path), signer="olena", session=1, letter="J")
    assert (first.relpath, second.relpath) == ("J/olena_1_001.clip.json", "J/olena_1_002.clip.json")
    saved = read_clip(first.path)
    assert saved.label == "J" and saved.n_frames == 30  # labelled by the letter it was recorded as
    meta = ws.metadata().set_index("file_name")
    assert meta.loc["J/olena_1_001.clip.json", ["signer", "letter", "handedness"]].tolist() == [
        "olena",
        "J",
        "Right",
    ]
    assert ws.counts().loc["J", "total"] == 3
    loaded = load_table(ws.root, group_column="signer")
    assert loaded.n_clips == 2 and set(loaded.table["group"]) == {"olena"}


def test_save_clip_refuses_a_letter_outside_the_alphabet_and_writes_nothing(tmp_path):
    ws = Workspace(tmp_path / "ws")
    ws.set_alphabet("asl")
    with pytest.raises(NameRefused):
        ws.save_clip(a_clip(tmp_path), signer="olena", session=1, letter="Й")
    with pytest.raises(TypeError, match="must be a curation.clips.Clip"):
        ws.save_clip({"frames": []}, signer="olena", session=1, letter="J")
    assert not any((tmp_path / "ws").rglob("*.clip.json")) and ws.metadata().empty


def test_a_clip_whose_row_was_never_written_gets_it_back(tmp_path, monkeypatch):
    ws = Workspace(tmp_path / "ws")
    ws.set_alphabet("asl")
    monkeypatch.setattr(Workspace, "_append_row", lambda self, *rows: (_ for _ in ()).throw(SystemExit("x")))
    with pytest.raises(SystemExit):
        ws.save_clip(a_clip(tmp_path), signer="olena", session=2, letter="Z")
    monkeypatch.undo()
    again = Workspace(tmp_path / "ws")
    assert again.reconciled.rows_added == ["Z/olena_2_001.clip.json"]
    assert again.metadata().set_index("file_name").loc["Z/olena_2_001.clip.json", "signer"] == "olena"
