"""A recording workspace: the folder where the Record tab writes photos, by letter and signer.

Layout (a normal class-folder dataset: `curation.loading.load_table(DIR)` reads it as it is):
    DIR/<letter>/<signer>_<session>_<n>.jpg   the photos; letter folders are the letters themselves (NFC)
    DIR/<letter>/<signer>_<session>_<n>.clip.json   the clips (`curation.clips`), beside the photos
    DIR/metadata.csv                          file_name, signer, session, letter, time, handedness
    DIR/workspace.json                        the alphabet being recorded
    DIR/.sessions/<signer>_<session>          one empty marker per reserved session
    DIR/.metadata.lock                        held (flock) while a photo and its row are written

Every name that reaches the file system is validated and refused when unsafe, never rewritten; a photo
is created so it can never replace another file (hard link of a finished temporary file), and it and
its metadata row are written under one exclusive lock, so several browsers (threads or processes) can
record at once. Existing photos are never modified or deleted. Opening a workspace reconciles it: a photo
whose writer was killed before its row gets the row back, and stale `.part` files go (`Workspace.reconcile`).
"""

from __future__ import annotations

import contextlib
import csv
import errno
import io
import json
import logging
import os
import re
import tempfile
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from curation.alphabet import UKRAINIAN_ALPHABET
from curation.clips import CLIP_SUFFIX
from curation.fileio import atomic_write_json, file_lock, file_mode, read_json
from curation.loading import SPLIT_ALIASES

log = logging.getLogger(__name__)

ALPHABETS: dict[str, tuple[str, ...]] = {
    "ukrainian": tuple(letter.char for letter in UKRAINIAN_ALPHABET),
    "asl": tuple(chr(c) for c in range(ord("A"), ord("Z") + 1)),
}
ALPHABET_KINDS = ("ukrainian", "asl", "custom")
WORKSPACE_FILE = "workspace.json"
METADATA_FILE = "metadata.csv"
# landmarks: the kept frame's 21 hand landmarks as JSON [[x, y, z], ...] (x, y fractions of the photo's width and
# height, as MediaPipe gives them), so the recording keeps them even without the landmark cache
METADATA_COLUMNS = ["file_name", "signer", "session", "letter", "time", "handedness", "landmarks"]
SESSIONS_DIR = ".sessions"
LOCK_FILE = ".metadata.lock"
HANDEDNESS = ("", "Left", "Right")  # MediaPipe's labels; "" when not known
MAX_SIGNER = 32
MAX_LETTER = 16
_JPEG_MAGIC = b"\xff\xd8\xff"
PART_PREFIX = ".recording-"  # a photo being written: DIR/<letter>/.recording-XXXX.part, hidden from loaders
# a .part this old belongs to a dead writer (one is written and linked in milliseconds): removed on open
PART_STALE_S = 3600.0
_LETTER_PUNCT = frozenset("-_'’+")  # besides letters, marks and digits: enough for "Ch", "М'", "A+"
# errors from os.link on file systems without hard links (FAT, some network mounts): fall back to O_EXCL
_NO_LINK = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK, errno.ENOSYS}


class NameRefused(ValueError):
    """A signer id, letter or path that is unsafe or not allowed; the message names the field and value."""

    def __init__(self, field: str, value: object = None, allowed: str | None = None):
        if allowed is None:  # NameRefused("a whole message"), as a plain ValueError is raised
            super().__init__(field)
            self.field, self.value = "", value
            return
        super().__init__(f"{field} {value!r} refused: allowed {allowed}")
        self.field = field
        self.value = value


def _nfc(value: object, field: str) -> str:
    if not isinstance(value, str):
        raise NameRefused(field, value, "text only")
    return unicodedata.normalize("NFC", value).strip()


# Windows cannot create these as file names (with any extension), whatever the case: a photo named after
# them could never be copied there
_RESERVED = frozenset({"con", "prn", "aux", "nul"} | {f"{d}{i}" for d in ("com", "lpt") for i in range(10)})
MAX_MARKS = 2  # combining marks on one letter, decomposed (Vietnamese needs two; a flood is refused)
# letters of other scripts that look like a Latin one: two ids that differ only in them are one person to
# the eye ("асе" in Cyrillic and "ace"), so `signer_skeleton` folds them
_CONFUSABLES = str.maketrans(
    "аеорсухіјѕԁһԛԝкмтвнгԍɡαοрνρτυχιϳκ",  # Cyrillic, then Latin ɡ, then Greek
    "aeopcyxijsdhqwkmtbhrggaopvptuxijk",
)


def _script(ch: str) -> str:
    """The script of a letter, from its Unicode name ("CYRILLIC SMALL LETTER O" → "CYRILLIC")."""
    name = unicodedata.name(ch, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def signer_skeleton(name: str) -> str:
    """What a signer id looks like: case folded, look-alike letters of other scripts as their Latin twin.
    Two ids with one skeleton are one person to the eye (and one file name on a case-insensitive disk)."""
    return unicodedata.normalize("NFKC", name).casefold().translate(_CONFUSABLES)


def safe_signer(value: str) -> str:
    """The signer id for identity, NFKC and stripped, or NameRefused: 1..32 letters (of one script), digits and
    '-', not starting with '-', not a name Windows reserves, at most MAX_MARKS combining marks per letter."""
    allowed = (
        f"1..{MAX_SIGNER} letters of one script, digits and '-' (no spaces, dots, '_' or slashes), "
        "not starting with '-', not a name Windows reserves (con, nul, com1 ...)"
    )
    if not isinstance(value, str):
        raise NameRefused("signer", value, "text only")
    # NFKC, not only NFC: fullwidth "ｏｌｅｎａ" and "olena" are one id
    name = unicodedata.normalize("NFKC", value).strip()
    if not 1 <= len(name) <= MAX_SIGNER or name.startswith("-") or name.casefold() in _RESERVED:
        raise NameRefused("signer", value, allowed)
    scripts, marks = set(), 0
    for i, ch in enumerate(name):
        cat = unicodedata.category(ch)
        # combining marks only after a base letter (scripts that NFC cannot compose), and only a few
        if not (cat.startswith("L") or cat == "Nd" or ch == "-" or (cat.startswith("M") and i > 0)):
            raise NameRefused("signer", value, allowed)
        if cat.startswith("L"):
            scripts.add(_script(ch))
    for ch in unicodedata.normalize("NFD", name):  # marks counted decomposed: "ễ" is e + two of them
        marks = marks + 1 if unicodedata.category(ch).startswith("M") else 0
        if marks > MAX_MARKS:
            raise NameRefused("signer", value, allowed)
    if len(scripts) > 1:  # "оlena" with a Cyrillic о: a second signer that reads as the first
        raise NameRefused("signer", value, allowed + f"; it mixes {' and '.join(sorted(scripts)).lower()}")
    return name


def safe_letter(value: str) -> str:
    """The letter (a folder name), NFC and stripped, or NameRefused: 1..16 letters, marks, digits, - _ ' ’ +."""
    allowed = (
        f"1..{MAX_LETTER} letters, digits and - _ ' ’ + (no slashes, dots, spaces, colons or control "
        "characters, not a split name like 'train')"
    )
    name = _nfc(value, "letter")
    if not 1 <= len(name) <= MAX_LETTER or name.startswith("-") or name == "__MACOSX":
        raise NameRefused("letter", value, allowed)
    if name.lower() in SPLIT_ALIASES:  # a folder named "test" could make the loader read a split layout
        raise NameRefused("letter", value, allowed)
    for i, ch in enumerate(name):
        cat = unicodedata.category(ch)
        if not (cat[0] in "LN" or ch in _LETTER_PUNCT or (cat.startswith("M") and i > 0)):
            raise NameRefused("letter", value, allowed)
    return name


def parse_custom_alphabet(text: str) -> list[str]:
    """Letters from comma/whitespace separated text, each through `safe_letter`; duplicates are refused."""
    if not isinstance(text, str):
        raise NameRefused("alphabet", text, "text: letters separated by commas or spaces")
    letters: list[str] = []
    for part in re.split(r"[,\s]+", text):
        if not part:
            continue
        letter = safe_letter(part)
        if letter in letters:
            raise NameRefused("alphabet", text, f"each letter once ({letter!r} is repeated)")
        letters.append(letter)
    if not letters:
        raise NameRefused("alphabet", text, "at least one letter, separated by commas or spaces")
    return letters


@dataclass(frozen=True)
class Reconciled:
    """What `Workspace.reconcile` found and did (relpaths)."""

    rows_added: list[str] = field(default_factory=list)  # photos that had no row: their rows rebuilt
    photos_missing: list[str] = field(default_factory=list)  # rows whose photo is gone: reported, kept
    parts_removed: list[str] = field(default_factory=list)  # unfinished writes of dead writers
    unknown: list[str] = field(default_factory=list)  # photos without a row whose name says nothing


@dataclass(frozen=True)
class Saved:
    """Where one recorded photo went."""

    path: Path  # absolute
    relpath: str  # posix, relative to the workspace: metadata.csv's file_name
    signer: str
    session: int
    letter: str
    n: int  # the photo's number within (letter, signer, session)


def _fsync_dir(path: Path) -> None:
    """Make a new directory entry durable (a photo that survives a crash keeps its name)."""
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _landmarks_json(landmarks: Any) -> str:
    """(21, 3) landmarks → compact JSON (5 decimals: far below a pixel); "" for None; ValueError for another shape."""
    if landmarks is None:
        return ""
    points = np.asarray(landmarks, dtype=np.float64)
    if points.shape != (21, 3) or not np.isfinite(points).all():
        raise ValueError(f"landmarks must be 21 finite (x, y, z) points, got shape {points.shape}")
    return json.dumps(np.round(points, 5).tolist(), separators=(",", ":"))


class Workspace:
    """A recording folder: validated names, never-overwriting photo writes, a locked metadata.csv."""

    def __init__(self, root: str | Path) -> None:
        path = Path(root).expanduser()
        if path.exists() and not path.is_dir():
            raise NotADirectoryError(f"{path}: is a file; a workspace must be a folder")
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise OSError(f"{path}: cannot create the workspace folder ({exc.strerror or exc})") from None
        self.root = path.resolve()
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise PermissionError(f"{self.root}: the workspace folder is not writable")
        self.reconciled = self.reconcile()

    def __repr__(self) -> str:
        return f"Workspace({str(self.root)!r})"

    # --- the alphabet ---

    def alphabet(self) -> tuple[str, list[str]]:
        """(kind, letters): "ukrainian" (the default, without workspace.json), "asl" or "custom"."""
        path = self.root / WORKSPACE_FILE
        if not path.is_file():
            return "ukrainian", list(ALPHABETS["ukrainian"])
        data = read_json(path)
        spec = data.get("alphabet") if isinstance(data, dict) else None
        kind = spec.get("kind") if isinstance(spec, dict) else None
        if kind not in ALPHABET_KINDS:
            raise ValueError(
                f"{path}: alphabet.kind must be one of {', '.join(ALPHABET_KINDS)}, got {kind!r}"
            )
        if kind != "custom":
            return kind, list(ALPHABETS[kind])
        letters = spec.get("letters")
        if not isinstance(letters, list) or not letters:
            raise ValueError(f"{path}: a custom alphabet needs a non-empty list alphabet.letters")
        try:  # the file may have been edited by hand: its letters become folder names, so check them again
            checked = [safe_letter(letter) for letter in letters]
        except NameRefused as exc:
            raise ValueError(f"{path}: {exc}") from None
        if len(set(checked)) != len(checked):
            raise ValueError(f"{path}: alphabet.letters repeats a letter")
        return kind, checked

    def set_alphabet(self, kind: str, letters: list[str] | None = None) -> list[str]:
        """Choose the alphabet ("ukrainian", "asl" or "custom" with `letters`); returns its letters."""
        if kind not in ALPHABET_KINDS:
            raise ValueError(f"alphabet kind {kind!r} unknown: use one of {', '.join(ALPHABET_KINDS)}")
        if kind == "custom":
            if not letters:
                raise NameRefused("alphabet", letters, "a non-empty list of letters for a custom alphabet")
            chosen = parse_custom_alphabet(",".join(_nfc(x, "letter") for x in letters))
            if len(chosen) != len(letters):  # "A B" given as one letter would otherwise split silently
                raise NameRefused("alphabet", letters, "one letter per item (no commas or spaces inside)")
        else:
            if letters is not None and list(letters) != list(ALPHABETS[kind]):
                raise ValueError(f"alphabet {kind!r} has fixed letters; pass letters only with kind 'custom'")
            chosen = list(ALPHABETS[kind])
        body = {"alphabet": {"kind": kind, "letters": chosen if kind == "custom" else None}}
        atomic_write_json(self.root / WORKSPACE_FILE, body)
        log.info("%s: alphabet set to %s (%d letters)", self.root, kind, len(chosen))
        return chosen

    # --- sessions ---

    def new_session(self, signer: str) -> int:
        """Reserve the signer's next session number (1, 2, ...); concurrent callers get different numbers.

        An id that looks like another signer's of this workspace (`signer_skeleton`) is refused."""
        signer = safe_signer(signer)
        self._refuse_look_alike(signer)
        marks = self.root / SESSIONS_DIR
        marks.mkdir(exist_ok=True)
        used = self._sessions_used(signer)
        session = max(used, default=0) + 1
        while True:
            try:  # O_EXCL: exactly one caller creates each marker, across threads and processes
                os.close(os.open(marks / f"{signer}_{session}", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            except FileExistsError:
                session += 1
                continue
            log.info("%s: signer %s starts session %d", self.root, signer, session)
            return session

    def known_signers(self) -> set[str]:
        """Every signer id of this workspace: in metadata.csv and in the session markers."""
        known = {s for s in self.metadata()["signer"] if s}
        marks = self.root / SESSIONS_DIR
        if marks.is_dir():
            for entry in os.scandir(marks):
                name, _, number = entry.name.rpartition("_")
                if name and number.isdecimal():
                    known.add(unicodedata.normalize("NFKC", name))
        return known

    def _refuse_look_alike(self, signer: str) -> None:
        skeleton = signer_skeleton(signer)
        for other in sorted(self.known_signers()):
            if other != signer and signer_skeleton(other) == skeleton:
                raise NameRefused(
                    "signer", signer, f"an id that does not look like the workspace's signer {other!r}"
                )

    def _sessions_used(self, signer: str) -> set[int]:
        used: set[int] = set()
        marks = self.root / SESSIONS_DIR
        if marks.is_dir():
            for entry in os.scandir(marks):
                name, _, number = entry.name.rpartition("_")
                if unicodedata.normalize("NFKC", name) == signer and number.isdecimal():
                    used.add(int(number))
        meta = self.metadata()  # a workspace copied without its hidden folder still knows its sessions
        for value in meta.loc[meta["signer"] == signer, "session"]:
            if str(value).isdecimal():
                used.add(int(value))
        return used

    # --- photos ---

    def save_photo(
        self,
        jpeg: bytes,
        *,
        signer: str,
        session: int,
        letter: str,
        handedness: str = "",
        when: datetime | None = None,
        landmarks: Any = None,
    ) -> Saved:
        """Write one JPEG as DIR/<letter>/<signer>_<session>_<n>.jpg (n: the next free number) and its row.

        Refuses (NameRefused) an unsafe signer or a letter outside the workspace alphabet; never overwrites.
        when: the capture time (default now); a naive datetime is read as UTC.
        landmarks: the hand's (21, 3) landmarks as found in this very JPEG, or None.
        """
        signer, letter = self._check_sample(signer, session, letter, handedness)
        if not isinstance(jpeg, bytes | bytearray):
            raise TypeError(f"photo for {signer}/{letter} must be JPEG bytes, got {type(jpeg).__name__}")
        if (
            bytes(jpeg[:3]) != _JPEG_MAGIC
        ):  # the name says .jpg: refuse PNG/WebP frames rather than mislabel them
            raise ValueError(f"photo for {signer}/{letter} is not JPEG bytes (starts {bytes(jpeg[:8])!r})")
        points = _landmarks_json(landmarks)
        return self._save(bytes(jpeg), ".jpg", signer, session, letter, handedness, points, when)

    def save_clip(
        self, clip: Any, *, signer: str, session: int, letter: str, when: datetime | None = None
    ) -> Saved:
        """Write one clip (`curation.clips.Clip`) as DIR/<letter>/<signer>_<session>_<n>.clip.json and its
        row (handedness: the clip's most frequent; landmarks: empty, the file holds them). Refuses as
        `save_photo` does, and a clip a reader would refuse (ClipError naming the letter)."""
        from curation.clips import Clip

        signer, letter = self._check_sample(signer, session, letter, "")
        if not isinstance(clip, Clip):
            raise TypeError(
                f"clip for {signer}/{letter} must be a curation.clips.Clip, got {type(clip).__name__}"
            )
        clip = Clip(**{**clip.__dict__, "label": letter})
        Clip.from_dict(clip.to_dict(), f"clip for {signer}/{letter}")  # never write what read_clip refuses
        hands = [h for h in clip.handedness if h]
        handed = max(sorted(set(hands)), key=hands.count) if hands else ""
        data = (clip.to_json() + "\n").encode("utf-8")
        return self._save(data, CLIP_SUFFIX, signer, session, letter, handed, "", when)

    def _check_sample(self, signer: str, session: int, letter: str, handedness: str) -> tuple[str, str]:
        """(signer, letter) made safe; NameRefused / ValueError for anything a sample may not be saved as."""
        signer = safe_signer(signer)
        letter = safe_letter(letter)
        kind, letters = self.alphabet()
        if letter not in letters:
            raise NameRefused(
                "letter", letter, f"a letter of the workspace's {kind} alphabet: {' '.join(letters)}"
            )
        if isinstance(session, bool) or not isinstance(session, int) or session < 1:
            raise ValueError(f"session must be a whole number >= 1, got {session!r}")
        if not (
            self.root / SESSIONS_DIR / f"{signer}_{session}"
        ).exists():  # new_session checked it otherwise
            self._refuse_look_alike(signer)
        if handedness not in HANDEDNESS:
            raise ValueError(f"handedness must be one of {HANDEDNESS}, got {handedness!r}")
        return signer, letter

    def _save(
        self,
        data: bytes,
        suffix: str,
        signer: str,
        session: int,
        letter: str,
        handedness: str,
        points: str,
        when: datetime | None,
    ) -> Saved:
        """Write one sample's bytes under the next free name with `suffix`, and its row, under the lock."""
        when = when or datetime.now(UTC)
        stamp = (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)

        folder = self.inside(letter)
        folder.mkdir(exist_ok=True)
        folder = self.inside(letter)  # again: a symlinked letter folder pointing elsewhere is refused
        prefix = f"{signer}_{session}_"
        # the photo and its row under one lock: `reconcile` (under the same lock) then sees a photo without
        # its row only where a writer died between the two, never one that is about to get it
        with self._locked():
            path, n = self._create_photo(folder, prefix, data, suffix)
            relpath = f"{letter}/{path.name}"
            self._append_row(
                {
                    "file_name": relpath,
                    "signer": signer,
                    "session": str(session),
                    "letter": letter,
                    "time": stamp.isoformat(timespec="milliseconds"),
                    "handedness": handedness,
                    "landmarks": points,
                }
            )
        log.debug("%s: saved %s", self.root, relpath)
        return Saved(path=path, relpath=relpath, signer=signer, session=session, letter=letter, n=n)

    def _create_photo(self, folder: Path, prefix: str, data: bytes, suffix: str = ".jpg") -> tuple[Path, int]:
        """Write `data` under the first free `<prefix><n><suffix>`; an existing file is never replaced."""
        taken = [
            int(m.group(1))
            for e in os.scandir(folder)
            if (m := re.fullmatch(re.escape(prefix) + r"(\d+)" + re.escape(suffix), e.name))
        ]
        n = max(taken, default=0) + 1
        # hidden name: a loader skips it should a crash leave it behind
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=PART_PREFIX, suffix=".part")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.chmod(tmp, file_mode())
            while True:
                final = folder / f"{prefix}{n:03d}{suffix}"
                if not final.parent.resolve().is_relative_to(self.root):
                    raise NameRefused("path", str(final), f"a path inside {self.root}")
                try:
                    # fails when the name exists; the complete file appears at once or not at all
                    os.link(tmp, final)
                except FileExistsError:
                    n += 1
                    continue
                except OSError as exc:
                    if exc.errno not in _NO_LINK:
                        raise
                    if not self._create_exclusive(final, data):
                        n += 1
                        continue
                _fsync_dir(folder)
                return final, n
        finally:
            Path(tmp).unlink(missing_ok=True)

    @staticmethod
    def _create_exclusive(final: Path, data: bytes) -> bool:
        """The fallback without hard links: O_CREAT|O_EXCL (False when the name is taken)."""
        try:
            fd = os.open(final, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            return False
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        except BaseException:
            final.unlink(missing_ok=True)  # our own half-written file, never someone else's
            raise
        return True

    def _locked(self) -> contextlib.AbstractContextManager[None]:
        """An exclusive lock on the workspace's metadata (threads and processes)."""
        return file_lock(self.root / LOCK_FILE)

    def _append_row(self, *rows: dict[str, str]) -> None:
        """Append whole rows to metadata.csv; the caller holds `_locked()`."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        for row in rows:
            writer.writerow([row[c] for c in METADATA_COLUMNS])
        path = self.root / METADATA_FILE
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o666)
        with os.fdopen(fd, "ab") as f:
            text = buffer.getvalue()
            size = os.fstat(f.fileno()).st_size
            if size == 0:
                text = ",".join(METADATA_COLUMNS) + "\n" + text
            elif not self._ends_with_newline(path, size):  # a hand-edited file without its last newline
                text = "\n" + text
            f.write(text.encode("utf-8"))  # one write of whole rows, under the lock: never torn
            f.flush()
            os.fsync(f.fileno())

    # --- reconciling photos and rows ---

    def reconcile(self) -> Reconciled:
        """Make photos and rows agree after a crash; run on every open.

        A photo without its row (a writer killed between the two writes) gets its row back, rebuilt from
        its folder and name (signer, session; time from the file, no handedness or landmarks); a row whose
        photo is gone is reported, not removed (the photo may come back from a backup); `.part` files of
        writers dead for PART_STALE_S are removed. A metadata.csv that cannot be read is left alone.
        The repair runs under the metadata lock, taken only when a first look finds something to repair
        (so opening a clean or new workspace writes nothing).
        """
        try:
            rows, photos, stale = self._survey()
        except ValueError as exc:
            log.warning("%s: not reconciled: %s", self.root, exc)
            return Reconciled()
        added: list[str] = []
        unknown: list[str] = []
        removed: list[str] = []
        if stale or set(photos) - rows:
            with self._locked():  # again under the lock: a writer may have finished meanwhile
                rows, photos, stale = self._survey()
                for part in stale:
                    with contextlib.suppress(FileNotFoundError):
                        part.unlink()
                        removed.append(part.relative_to(self.root).as_posix())
                new_rows = []
                for relpath in sorted(set(photos) - rows):
                    row = self._row_from_name(relpath, photos[relpath])
                    if row is None:
                        unknown.append(relpath)
                    else:
                        new_rows.append(row)
                        added.append(relpath)
                if new_rows:
                    self._append_row(*new_rows)
        missing = sorted(r for r in rows if r and r not in photos and not (self.root / r).is_file())
        for names, what in (
            (added, "photo(s) had no metadata row (a crash?); rows rebuilt"),
            (missing, "row(s) of metadata.csv name a missing photo"),
            (unknown, "photo(s) without a row and not named <signer>_<session>_<n>.jpg"),
        ):
            if names:
                log.warning("%s: %d %s: %s", self.root, len(names), what, ", ".join(names[:5]))
        if removed:
            log.info("%s: removed %d unfinished photo write(s) (.part)", self.root, len(removed))
        return Reconciled(added, missing, removed, unknown)

    def _survey(self) -> tuple[set[str], dict[str, Path], list[Path]]:
        """(metadata.csv's file names, {relpath: path} of the photos in letter folders, stale .part files)."""
        rows = set(self.metadata()["file_name"])
        photos: dict[str, Path] = {}
        stale: list[Path] = []
        now = datetime.now(UTC).timestamp()
        for folder in sorted(self.root.iterdir()):
            if folder.name.startswith(".") or folder.is_symlink() or not folder.is_dir():
                continue
            for entry in os.scandir(folder):
                if entry.name.startswith(PART_PREFIX) and entry.name.endswith(".part"):
                    with contextlib.suppress(OSError):
                        if now - entry.stat().st_mtime > PART_STALE_S:
                            stale.append(Path(entry.path))
                elif entry.name.endswith((".jpg", CLIP_SUFFIX)) and entry.is_file(follow_symlinks=False):
                    photos[f"{folder.name}/{entry.name}"] = Path(entry.path)
        return rows, photos, sorted(stale)

    @staticmethod
    def _row_from_name(relpath: str, path: Path) -> dict[str, str] | None:
        """The row a photo was written with, from DIR/<letter>/<signer>_<session>_<n>.jpg; None when the
        name is not one `save_photo` writes."""
        letter, _, name = relpath.partition("/")
        match = re.fullmatch(r"(.+)_(\d+)_(\d+)(?:\.jpg|\.clip\.json)", name)
        if match is None:
            return None
        try:
            signer, letter = safe_signer(match.group(1)), safe_letter(letter)
        except NameRefused:
            return None
        if signer != match.group(1) or int(match.group(2)) < 1:
            return None
        stamp = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        return {
            "file_name": relpath,
            "signer": signer,
            "session": str(int(match.group(2))),
            "letter": letter,
            "time": stamp.isoformat(timespec="milliseconds"),
            "handedness": "",
            "landmarks": "",
        }

    @staticmethod
    def _ends_with_newline(path: Path, size: int) -> bool:
        with open(path, "rb") as f:
            f.seek(size - 1)
            return f.read(1) == b"\n"

    # --- reading ---

    def metadata(self) -> pd.DataFrame:
        """The rows of metadata.csv, all columns as text (an empty frame with the columns when none)."""
        path = self.root / METADATA_FILE
        if not path.is_file() or path.stat().st_size == 0:
            return pd.DataFrame({c: pd.Series(dtype=str) for c in METADATA_COLUMNS})
        try:
            meta = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (pd.errors.ParserError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: not a readable CSV ({str(exc).strip().splitlines()[0]})") from None
        missing = [c for c in METADATA_COLUMNS if c not in meta.columns]
        if missing:
            raise ValueError(f"{path}: missing column(s) {', '.join(missing)}")
        return meta

    def signers(self) -> list[str]:
        """The signers with at least one photo in metadata.csv, sorted."""
        return sorted(s for s in set(self.metadata()["signer"]) if s)

    def counts(self) -> pd.DataFrame:
        """Photos per letter (rows, alphabet order, zeros included) and signer (columns, sorted) plus "total".

        Letters recorded but no longer in the alphabet come last, so no photo drops out of the grid.
        """
        _, letters = self.alphabet()
        meta = self.metadata()
        extra = [x for x in dict.fromkeys(meta["letter"]) if x not in letters]
        signers = self.signers()
        grid = pd.crosstab(meta["letter"], meta["signer"]) if len(meta) else pd.DataFrame()
        grid = grid.reindex(index=letters + extra, columns=signers, fill_value=0).fillna(0).astype(int)
        grid["total"] = grid.sum(axis=1).astype(int)
        grid.index.name, grid.columns.name = "letter", None
        return grid

    def inside(self, relpath: str) -> Path:
        """DIR/relpath resolved; NameRefused when it is empty, absolute or leads outside the workspace."""
        allowed = f"a relative path inside the workspace {self.root}"
        if not isinstance(relpath, str) or not relpath.strip() or "\x00" in relpath or "\\" in relpath:
            raise NameRefused("path", relpath, allowed)
        if Path(relpath).is_absolute():
            raise NameRefused("path", relpath, allowed)
        path = (self.root / relpath).resolve()
        if path == self.root or not path.is_relative_to(self.root):
            raise NameRefused("path", relpath, allowed)
        return path
