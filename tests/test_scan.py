"""The decode-once scan: exact columns for planted files, pool == in-process, files left untouched."""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pandas as pd
import pytest
from conftest import file_hashes, make_class_folder, make_planted_set

import curation.scan as scan
from curation.loading import load_table
from curation.scan import SCAN_COLUMNS, scan_table


def _by_name(table: pd.DataFrame) -> dict[str, dict]:
    return {Path(p).name: row for p, row in zip(table["path"], table.to_dict("records"), strict=True)}


def test_planted_files_are_described_exactly(tmp_path: Path) -> None:
    root = make_planted_set(tmp_path / "data")
    before = file_hashes(root)
    table = load_table(root).table

    out = scan_table(table, workers=1, progress=False)

    assert list(out.columns) == [*table.columns, *SCAN_COLUMNS]
    assert out[["path", "label"]].equals(table[["path", "label"]])  # same rows, same order
    rows = _by_name(out)
    assert rows["corrupt.jpg"]["error"].startswith("cannot decode (image file is truncated")
    assert rows["notes.jpg"]["error"] == "not an image that can be read (corrupt, or not a picture)"
    assert rows["huge.png"]["error"].startswith("too large to decode safely")
    errors = {name for name, row in rows.items() if row["error"]}
    assert errors == {"corrupt.jpg", "notes.jpg", "huge.png"}
    flags = {name: row["flags"] for name, row in rows.items() if row["flags"]}
    assert flags == {
        "rgba.png": "alpha",
        "moving.gif": "palette;animated",
        "rotated.jpg": "exif-rotated",
        "tiny.png": "tiny",
        "cmyk.jpg": "cmyk",
        "deep.png": "16-bit",
    }
    assert (rows["rotated.jpg"]["width"], rows["rotated.jpg"]["height"]) == (36, 48)  # as displayed
    assert (rows["tiny.png"]["width"], rows["tiny.png"]["height"]) == (1, 1)
    assert rows["moving.gif"]["n_frames"] == 3
    assert (rows["cmyk.jpg"]["mode"], rows["cmyk.jpg"]["format"]) == ("CMYK", "JPEG")
    assert out.attrs["scan"]["workers"] == 1
    assert file_hashes(root) == before


def test_hashes_come_from_the_duplicates_fingerprint(tmp_path: Path) -> None:
    pytest.importorskip("curation.checks.duplicates")
    root = make_planted_set(tmp_path / "data")
    out = scan_table(load_table(root).table, workers=1, progress=False)
    ok = out["error"] == ""
    assert out.loc[ok, "phash"].str.fullmatch(r"[0-9a-f]{16}").all()
    assert (out.loc[ok, "pixel_hash"] != "").all()
    assert (out.loc[~ok, ["pixel_hash", "phash"]] == "").all().all()  # nothing to hash in a broken file


def test_without_the_duplicates_module_hashes_are_empty(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "_fingerprint", None)
    root = make_class_folder(tmp_path / "data", {"A": 2})
    out = scan_table(load_table(root).table, workers=1, progress=False)
    assert out["pixel_hash"].tolist() == ["", ""] and out["phash"].tolist() == ["", ""]
    assert out["error"].tolist() == ["", ""]


def test_process_pool_gives_the_same_table(tmp_path: Path) -> None:
    root = make_class_folder(tmp_path / "data", {"A": 40, "B": 40}, size=(32, 32))
    (root / "A" / "bad.png").write_bytes(b"\x89PNG broken")
    table = load_table(root).table
    pooled = scan_table(table, workers=2, progress=False)
    assert pooled.attrs["scan"]["workers"] == 2
    inline = scan_table(table, workers=1, progress=False)
    pd.testing.assert_frame_equal(pooled, inline)
    assert pooled["error"].ne("").sum() == 1


def test_empty_table() -> None:
    out = scan_table(pd.DataFrame(columns=["path", "relpath", "label"]), progress=False)
    assert list(out.columns) == ["path", "relpath", "label", *SCAN_COLUMNS] and out.empty


def test_a_dying_worker_does_not_end_the_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    parent, real = os.getpid(), scan.scan_one

    def dies_in_workers(path: str, max_side: int = 256):
        if os.getpid() != parent:
            os._exit(1)  # as a decoder crash or the OOM killer would
        return real(path, max_side)

    monkeypatch.setattr(scan, "scan_one", dies_in_workers)  # forked workers inherit the patch
    # fork, whatever threads earlier tests left behind (with them, forkserver workers would not see the patch)
    monkeypatch.setattr(scan, "_pool_context", lambda: multiprocessing.get_context("fork"))
    root = make_class_folder(tmp_path / "data", {"A": 40, "B": 40}, size=(32, 32))
    out = scan_table(load_table(root).table, workers=2, progress=False)
    assert len(out) == 80 and (out["error"] == "").all()  # the rest was scanned in this process
    assert "scan worker died" in caplog.text


def test_with_other_threads_alive_the_scan_uses_threads_not_worker_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In the app (server threads alive) a forkserver/spawn worker re-imports app.py: seconds each. Threads instead."""
    import threading

    root = make_class_folder(tmp_path / "data", {"A": 40, "B": 40}, size=(32, 32))
    table = load_table(root).table
    alone = scan_table(table, workers=2, progress=False)
    stop = threading.Event()
    server = threading.Thread(target=stop.wait, daemon=True)  # as Gradio's server threads
    server.start()
    try:
        assert scan._pool_context() is None
        seen: set[str] = set()
        real = scan._scan_chunk

        def spy(paths, max_side):
            seen.add(threading.current_thread().name)
            return real(paths, max_side)

        monkeypatch.setattr(scan, "_scan_chunk", spy)
        busy = scan_table(table, workers=2, progress=False)
    finally:
        stop.set()
    assert seen and all(name.startswith("scan") for name in seen)  # the thread pool, not the main thread
    assert busy[SCAN_COLUMNS].equals(alone[SCAN_COLUMNS])  # the same rows either way
