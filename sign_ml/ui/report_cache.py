"""The app's cache of computed curation reports: private, keyed by the data, trusted only if it signed it.

- **Private**: one folder per user (`$TMPDIR/ukrsl-dactyl-<uid>`), mode 0700, and used only when it is
  owned by this user and closed to everyone else.
- **Keyed by the data**: the key hashes every photo's path, size and modification time, so adding,
  deleting or touching a photo gives a new key and a fresh report.
- **Signed**: each report.json is stored with an HMAC-SHA256 made with a random key kept in that folder
  (mode 0600). A report without a valid signature (planted, edited, half-written) is ignored.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
import secrets
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

FORMAT = "1"  # bump when the cached report's shape changes
REPORT = "report.json"
SIGNATURE = "report.json.hmac"


def cache_root() -> Path | None:
    """This user's private cache folder (created 0700), or None when it exists but is not private."""
    uid = os.getuid() if hasattr(os, "getuid") else 0
    root = Path(tempfile.gettempdir()) / f"ukrsl-dactyl-{uid}"
    try:
        root.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(root)
    except OSError as exc:
        log.warning("report cache unavailable: %s", exc)
        return None
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != uid or info.st_mode & 0o077:
        log.warning("report cache %s is not a private folder of this user; not used", root)
        return None
    return root


def _secret(root: Path) -> bytes:
    path = root / "hmac.key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
    return path.read_bytes()


def fingerprint(files: Iterable[str | Path], extra: str = "") -> str:
    """A key for the data: sha256 over (path, size, mtime) of every file, in sorted order."""
    digest = hashlib.sha256(f"{FORMAT}\0{extra}\0".encode())
    for path in sorted(str(p) for p in files):
        try:
            info = os.stat(path)
            digest.update(f"{path}\0{info.st_size}\0{info.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{path}\0missing\n".encode())
    return digest.hexdigest()[:32]


def folder_files(folder: Path) -> list[Path]:
    """Every file under `folder` (the fingerprint's input for a raw photo folder)."""
    return [p for p in folder.rglob("*") if p.is_file()]


def report_dir(key: str) -> Path | None:
    root = cache_root()
    return None if root is None else root / f"report-{key}"


def _sign(root: Path, data: bytes) -> str:
    return hmac.new(_secret(root), data, hashlib.sha256).hexdigest()


def load(key: str) -> dict[str, Any] | None:
    """The cached report for `key` when its signature checks out; None otherwise (logged when it does not)."""
    folder = report_dir(key)
    if folder is None or not (folder / REPORT).is_file():
        return None
    data = (folder / REPORT).read_bytes()
    signature = (
        (folder / SIGNATURE).read_text(encoding="ascii").strip() if (folder / SIGNATURE).is_file() else ""
    )
    if not hmac.compare_digest(signature, _sign(folder.parent, data)):
        log.warning("ignoring %s: not written by this app (signature missing or wrong)", folder / REPORT)
        return None
    try:
        return json.loads(data)
    except ValueError:
        return None


def sign(key: str) -> None:
    """Sign the report.json just written into report_dir(key)."""
    folder = report_dir(key)
    if folder is not None and (folder / REPORT).is_file():
        (folder / SIGNATURE).write_text(
            _sign(folder.parent, (folder / REPORT).read_bytes()), encoding="ascii"
        )
