"""The one atomic-write helper (curation.fileio) and JSON errors that name the file."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from PIL import Image

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


def test_writes_never_touch_the_process_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Setting the umask is process-wide: another thread creating a file meanwhile would get mode 0666."""
    from curation.fileio import file_lock
    from curation.workspace import Workspace

    def no_umask(mask: int) -> int:
        raise AssertionError("os.umask called after import")

    monkeypatch.setattr(os, "umask", no_umask)
    atomic_write_bytes(tmp_path / "a.bin", b"x")
    with file_lock(tmp_path / ".lock"):
        pass
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (9, 9, 9)).save(buf, format="JPEG")
    saved = Workspace(tmp_path / "ws").save_photo(buf.getvalue(), signer="olena", session=1, letter="А")
    assert saved.path.is_file()


_CONCURRENT = r"""
import os, sys, threading, time
from pathlib import Path
from curation.fileio import atomic_write_bytes
root = Path(sys.argv[1]); stop = time.monotonic() + 1.5
def atomic(i):
    n = 0
    while time.monotonic() < stop:
        atomic_write_bytes(root / f"atomic-{i}-{n % 50}.bin", b"x"); n += 1
def plain(i):
    n = 0
    while time.monotonic() < stop:
        with open(root / f"plain-{i}-{n}.txt", "w") as f:
            f.write("x")
        n += 1
threads = [threading.Thread(target=f, args=(i,)) for i in range(3) for f in (atomic, plain)]
[t.start() for t in threads]; [t.join() for t in threads]
"""


def test_no_file_is_group_or_world_writable_after_concurrent_writes(tmp_path: Path) -> None:
    """Under umask 022, atomic writes in some threads and plain opens in others: every file is 0644."""
    import subprocess
    import sys

    out = tmp_path / "out"
    out.mkdir()
    subprocess.run(
        ["sh", "-c", 'umask 022 && exec "$0" -c "$1" "$2"', sys.executable, _CONCURRENT, str(out)],
        check=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])},
        timeout=60,
    )
    files = list(out.iterdir())
    loose = [p.name for p in files if p.stat().st_mode & 0o022]
    assert len(files) > 100
    assert loose == [], f"{len(loose)} of {len(files)} files group/world-writable"
