"""Crash-safe file writes, JSON reads that name the file, and telling a local path from a Hub id: one copy for both packages.

Every write goes to a temporary file beside the destination, is flushed and fsync'd, gets the
permissions a plainly created file would, and is renamed over the destination, so a crash, Ctrl-C
or a full disk never leaves half a file and readers (the app, a resumed run) never see one.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import filelock


def _proc_umask() -> int | None:
    """The process's umask as Linux reports it (/proc/self/status), read without changing it."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _umask_at_import() -> int:
    # Only where /proc has no Umask line: os.umask can only be read by setting it, so do that once, here,
    # at import, before the app starts threads (a flip later would let other threads create 0666 files)
    mask = _proc_umask()
    if mask is None:
        mask = os.umask(0o022)
        os.umask(mask)
    return mask


_UMASK_AT_IMPORT = _umask_at_import()


def current_umask() -> int:
    """The umask, read without ever setting it (the import-time value where /proc cannot tell)."""
    mask = _proc_umask()
    return _UMASK_AT_IMPORT if mask is None else mask


def file_mode() -> int:
    """Permissions a plainly created file gets (mkstemp makes 0600, too private for a shared model)."""
    return 0o666 & ~current_umask()


def dir_mode() -> int:
    """Permissions a plainly created folder gets (mkdtemp makes 0700)."""
    return 0o777 & ~current_umask()


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
        os.chmod(tmp, file_mode())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


@contextlib.contextmanager
def file_lock(path: str | Path) -> Iterator[None]:
    """An exclusive lock held on the lock file `path` (created if missing), across threads and processes.

    filelock (flock on POSIX, msvcrt on Windows) locks an open file description; a fresh lock object per
    call opens its own, so two threads of one process exclude each other too."""
    with filelock.FileLock(str(path), mode=file_mode()):
        yield


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
