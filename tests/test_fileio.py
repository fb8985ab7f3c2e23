"""The one atomic-write helper (curation.fileio) and JSON errors that name the file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from curation.fileio import atomic_write_bytes, atomic_write_json, atomic_write_with, read_json


def test_atomic_write_replaces_whole_file_with_plain_permissions(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "a.bin"
    atomic_write_bytes(target, b"old")
    atomic_write_bytes(target, b"new contents")
    assert target.read_bytes() == b"new contents"
    mask = os.umask(0)
    os.umask(mask)
    assert target.stat().st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's private 0600
    assert [p.name for p in target.parent.iterdir()] == ["a.bin"]


def test_failed_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "a.json"
    atomic_write_json(target, {"v": 1})

    def crash(tmp: str) -> None:
        Path(tmp).write_text('{"v": ', encoding="utf-8")  # half written, then the writer dies
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write_with(target, crash)
    assert read_json(target) == {"v": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["a.json"]


def test_read_json_names_the_broken_file(tmp_path: Path) -> None:
    bad = tmp_path / "splits.json"
    bad.write_text('{"class_names": [', encoding="utf-8")
    with pytest.raises(ValueError, match=r"splits\.json: not valid JSON"):
        read_json(bad)
