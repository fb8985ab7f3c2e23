"""Crash-safe file writes, JSON reads that name the file, and telling a local path from a Hub id: one copy for both packages.

Every write goes to a temporary file beside the destination, is flushed and fsync'd, gets the
permissions a plainly created file would, and is renamed over the destination, so a crash, Ctrl-C
or a full disk never leaves half a file and readers (the app, a resumed run) never see one.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any


def _umask_mode() -> int:
    """Permissions a plainly created file gets (mkstemp makes 0600, too private for a shared model)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_write_with(path: str | Path, write: Callable[[str], Any]) -> Path:
    """Call `write(tmp_path)` to fill a temporary file, fsync it and rename it to `path`.

    For writers that want a file name (torch.save, safetensors' save_file, Figure.savefig).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        with open(tmp, "rb") as f:  # the bytes reach the disk before the rename makes them visible
            os.fsync(f.fileno())
        os.chmod(tmp, _umask_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@contextlib.contextmanager
def file_lock(path: str | Path) -> Iterator[None]:
    """An exclusive lock held on the lock file `path` (created if missing), across threads and processes.

    flock locks an open file description, so two threads of one process exclude each other too."""
    with open(path, "a+b") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock.fileno(), fcntl.LOCK_UN)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` via a temporary file and a rename."""
    return atomic_write_with(path, lambda tmp: Path(tmp).write_bytes(data))


def atomic_write_text(path: str | Path, text: str) -> Path:
    return atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_json(
    path: str | Path, obj: Any, indent: int = 2, default: Callable[[Any], Any] | None = None
) -> Path:
    return atomic_write_text(path, json.dumps(obj, ensure_ascii=False, indent=indent, default=default) + "\n")


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; a broken or unreadable file raises ValueError naming it (not a bare JSONDecodeError)."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValueError(
            f"{path}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not valid JSON (not UTF-8 text)") from None
    except RecursionError:  # `[[[[...` thousands deep: the parser recurses once per level
        raise ValueError(f"{path}: not valid JSON here (nested too deeply)") from None


def looks_local(text: str) -> bool:
    """True when `text` can only be a local path: it starts like one, or its first folder exists here.

    So a mistyped path ("photos/Aa" beside a real photos/) fails at once with "no such folder"
    instead of being sent to the Hub as a dataset id.
    """
    if text.startswith((".", "/", "~", "\\")) or "\\" in text or text.count("/") != 1:
        return True
    return Path(text.split("/", 1)[0]).expanduser().is_dir()


def first_line(exc: BaseException) -> str:
    """An exception's message as one line (its first), or its type's name when it has none."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def refuse_output_in_data(
    out: str | Path, data_roots: Iterable[str | Path | None], flag: str = "--out", outside_too: bool = False
) -> Path:
    """The output path `out` (a file or folder) resolved, or ValueError naming `flag` when it is one of the
    data folders or lies inside one: the next load would read what is written there as photos (a CSV in
    a class folder is reported as a bad photo). A hidden folder directly under a data folder is allowed
    (every load skips it: a workspace keeps its splits and runs in DATA/.dactyl).

    Every command that writes beside data calls this one check (check, split, issues --csv, predict --out,
    push --dry-run). outside_too: also refuse a folder that contains a data folder (it is replaced whole).
    """
    target = Path(out).expanduser().resolve()
    for given in data_roots:
        if given is None or str(given) == "":
            continue
        root = Path(given).expanduser().resolve()
        if root in target.parents and target.relative_to(root).parts[0].startswith("."):
            continue
        if target == root or root in target.parents or (outside_too and target in root.parents):
            raise ValueError(
                f"{flag} {target} overlaps the data folder {root}: choose a path outside it "
                "(the photos are never written to or deleted)"
            )
    return target
