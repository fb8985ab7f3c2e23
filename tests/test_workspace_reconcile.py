"""A workspace reconciles itself on open (issue 22): kill -9 between a photo and its row leaves, after the
next open, photos and rows that agree; stale `.part` files are removed; a row without a photo is reported."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import make_photo

from curation import workspace as ws_module
from curation.loading import load_table
from curation.workspace import PART_STALE_S, Workspace

ROOT = Path(__file__).resolve().parents[1]


def jpeg(tmp_path: Path, seed: int = 0) -> bytes:
    return make_photo(tmp_path / f"src{seed}.jpg", seed=seed, size=(32, 24)).read_bytes()


def test_a_photo_whose_row_was_never_written_gets_it_back(tmp_path, monkeypatch) -> None:
    root = tmp_path / "ws"
    ws = Workspace(root)
    ws.set_alphabet("asl")
    ws.save_photo(jpeg(tmp_path, 1), signer="olena", session=1, letter="A")

    def crash(self, *rows):  # the fault: the process dies after the photo, before its row
        raise SystemExit("killed")

    monkeypatch.setattr(Workspace, "_append_row", crash)
    with pytest.raises(SystemExit):
        ws.save_photo(jpeg(tmp_path, 2), signer="olena", session=1, letter="B")
    monkeypatch.undo()
    assert (root / "B" / "olena_1_001.jpg").is_file() and len(ws.metadata()) == 1

    again = Workspace(root)
    assert again.reconciled.rows_added == ["B/olena_1_001.jpg"]
    meta = again.metadata().set_index("file_name")
    assert meta.loc["B/olena_1_001.jpg", ["signer", "session", "letter"]].tolist() == ["olena", "1", "B"]
    table = load_table(root, group_column="signer").table
    assert "" not in set(table["group"]) and len(table) == 2  # no pseudo-signer "" in the split or LOSO
    assert Workspace(root).reconciled.rows_added == []  # repaired once, not again


def test_kill_9_between_photo_and_row_is_repaired_on_the_next_open(tmp_path) -> None:
    root = tmp_path / "ws"
    Workspace(root).set_alphabet("asl")
    photo = tmp_path / "p.jpg"
    photo.write_bytes(jpeg(tmp_path, 3))
    code = (
        "import os, signal, sys\n"
        "from pathlib import Path\n"
        "from curation.workspace import Workspace\n"
        "ws = Workspace(sys.argv[1])\n"
        "Workspace._append_row = lambda self, *rows: os.kill(os.getpid(), signal.SIGKILL)\n"
        "ws.save_photo(Path(sys.argv[2]).read_bytes(), signer='olena', session=2, letter='C')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run([sys.executable, "-c", code, str(root), str(photo)], env=env, timeout=120)
    assert proc.returncode == -9
    assert (root / "C" / "olena_2_001.jpg").is_file()
    ws = Workspace(root)
    assert ws.reconciled.rows_added == ["C/olena_2_001.jpg"]
    assert ws.metadata()["file_name"].tolist() == ["C/olena_2_001.jpg"]
    assert ws.new_session("olena") == 3  # the rebuilt row keeps its session reserved


def test_stale_part_files_are_removed_and_fresh_ones_kept(tmp_path) -> None:
    root = tmp_path / "ws"
    Workspace(root).set_alphabet("asl")
    (root / "A").mkdir()
    stale, fresh = root / "A" / ".recording-old.part", root / "A" / ".recording-new.part"
    stale.write_bytes(b"\xff\xd8\xff half")
    fresh.write_bytes(b"\xff\xd8\xff being written")
    past = time.time() - PART_STALE_S - 60
    os.utime(stale, (past, past))
    ws = Workspace(root)
    assert ws.reconciled.parts_removed == ["A/.recording-old.part"]
    assert not stale.exists() and fresh.exists()


def test_a_row_without_its_photo_is_reported_and_kept(tmp_path, caplog) -> None:
    root = tmp_path / "ws"
    ws = Workspace(root)
    ws.set_alphabet("asl")
    saved = ws.save_photo(jpeg(tmp_path, 4), signer="olena", session=1, letter="A")
    saved.path.unlink()
    with caplog.at_level(logging.WARNING, logger=ws_module.__name__):
        again = Workspace(root)
    assert again.reconciled.photos_missing == ["A/olena_1_001.jpg"]
    assert "name a missing photo" in caplog.text and len(again.metadata()) == 1


def test_a_photo_with_a_name_save_photo_never_writes_is_reported(tmp_path) -> None:
    root = tmp_path / "ws"
    Workspace(root).set_alphabet("asl")
    (root / "A").mkdir()
    (root / "A" / "holiday.jpg").write_bytes(jpeg(tmp_path, 5))
    ws = Workspace(root)
    assert ws.reconciled.unknown == ["A/holiday.jpg"] and len(ws.metadata()) == 0
