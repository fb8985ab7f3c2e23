"""Hand detection over many files, each photo detected once per machine.

Results are cached in one SQLite file keyed by the photo's content (sha256 of its bytes) and the hand
stage's fingerprint (model bytes + options), so a renamed or copied photo is not detected again and a
different model never reuses stale answers. Location: $DACTYL_CACHE, else $XDG_CACHE_HOME/ukrsl-dactyl,
else ~/.cache/ukrsl-dactyl (made private to the user). Source photos are only read.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from curation.hands import DETECT_MAX_SIDE, HandDetection, HandStage, shared_stage
from curation.images import UnreadableImageError, load_rgb
from curation.manifest import HAND_COLUMNS

log = logging.getLogger(__name__)

CACHE_ENV = "DACTYL_CACHE"
CACHE_FILE = "hands.sqlite"


def default_cache_dir() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "ukrsl-dactyl"


class HandCache:
    """A content-addressed store of HandDetections (thread-safe; one SQLite file, WAL mode)."""

    def __init__(self, directory: str | os.PathLike | None = None):
        self.directory = Path(directory) if directory else default_cache_dir()
        self.directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.path = self.directory / CACHE_FILE
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, timeout=30, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS hands (key TEXT PRIMARY KEY, result TEXT NOT NULL)")

    @staticmethod
    def key(content: bytes, fingerprint: str) -> str:
        return hashlib.sha256(content).hexdigest() + "|" + fingerprint

    def get(self, key: str) -> HandDetection | None:
        with self._lock:
            row = self._db.execute("SELECT result FROM hands WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        try:
            return HandDetection.from_dict(json.loads(row[0]))
        except (ValueError, KeyError, TypeError):  # a damaged row is a miss, not a crash
            return None

    def put(self, key: str, detection: HandDetection) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO hands (key, result) VALUES (?, ?)",
                (key, json.dumps(detection.to_dict())),
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM hands").fetchone()[0])

    def keys(self, fingerprint: str) -> set[str]:
        """Every key stored for this stage fingerprint (what a remote worker may skip detecting)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT key FROM hands WHERE substr(key, 66) = ?", (fingerprint,)
            ).fetchall()
        return {r[0] for r in rows}

    def close(self) -> None:
        with self._lock:
            self._db.close()


@dataclass
class DetectOutcome:
    """One file's hand-stage result: a detection, or why the photo could not be read."""

    path: str
    detection: HandDetection | None = None
    error: str | None = None
    cached: bool = False
    key: str = ""  # the cache key (content hash | stage fingerprint) when a cache was asked


@dataclass
class DetectSummary:
    n_files: int
    n_read: int
    n_found: int
    n_cached: int
    seconds: float

    @property
    def detection_rate(self) -> float:
        return self.n_found / self.n_read if self.n_read else 0.0

    def line(self) -> str:
        new = self.n_read - self.n_cached
        return (
            f"hands found in {self.n_found} of {self.n_read} readable photos ({self.detection_rate:.1%}); "
            f"{new} detected now, {self.n_cached} from the cache, in {self.seconds:.1f} s"
        )


def _detect_content(
    content: bytes, source: str, stage: HandStage, cache: HandCache | None
) -> tuple[HandDetection, bool, str]:
    """(detection, from the cache?, key) for one photo's encoded bytes; raises UnreadableImageError.

    cache: anything with HandCache's get(key)/put(key, detection) (the Ray engine's workers pass a
    stand-in that knows only which keys the driver's cache holds).
    """
    key = HandCache.key(content, stage.fingerprint) if cache is not None else ""
    if cache is not None and (hit := cache.get(key)) is not None:
        return dataclasses.replace(hit, source=source), True, key
    image = load_rgb(content, max_side=DETECT_MAX_SIDE)  # the same decode as `decode_for_hands`
    detection = stage.detect(image, source=source)
    if cache is not None:
        cache.put(key, detection)
    return detection, False, key


def detect_one(path: str, stage: HandStage, cache: HandCache | None = None) -> DetectOutcome:
    """The hand stage's work on one photo file, whichever engine runs it; never raises for a bad file."""
    from curation.clips import is_clip_path

    if is_clip_path(path):  # never MediaPipe on a clip: it holds its own landmarks
        return DetectOutcome(path, error="a clip, not a photo: its landmarks are in the file")
    try:
        content = Path(path).read_bytes()
    except OSError as exc:
        return DetectOutcome(path, error=f"cannot read ({exc.strerror or exc})")
    try:
        detection, cached, key = _detect_content(content, path, stage, cache)
    except UnreadableImageError as exc:
        return DetectOutcome(path, error=exc.reason)
    return DetectOutcome(path, detection=detection, cached=cached, key=key)


def detect_bytes(
    content: bytes, source: str = "", stage: HandStage | None = None, cache: HandCache | bool | None = True
) -> HandDetection:
    """Hands in one encoded photo held in memory (a camera frame), decoded and cached as `detect_files` does.

    So when the same bytes are saved to a file later, `detect_files` finds them in the cache.
    cache: True = the default cache, a HandCache, or False/None = no cache.
    Raises UnreadableImageError (naming `source`) when the bytes are not a usable photo.
    """
    stage = stage or shared_stage()
    store = HandCache() if cache is True else (cache if isinstance(cache, HandCache) else None)
    try:
        return _detect_content(bytes(content), source, stage, store)[0]
    except UnreadableImageError as exc:
        raise UnreadableImageError(source or exc.source, exc.reason) from None
    finally:
        if cache is True and store is not None:
            store.close()


def detect_files(
    paths: Sequence[str | os.PathLike],
    stage: HandStage | None = None,
    cache: HandCache | bool | None = True,
    progress: bool = False,
    workers: int | None = None,
    desc: str = "hands",
) -> tuple[list[DetectOutcome], DetectSummary]:
    """Run the hand stage over files, in order; unreadable files get their error, the rest a detection.

    cache: True = the default cache, a HandCache, or False/None = no cache.
    workers: threads (MediaPipe releases the GIL while it runs); default = CPU count.
    """
    from tqdm.auto import tqdm

    stage = stage or shared_stage()
    owned = cache is True
    store = HandCache() if cache is True else (cache if isinstance(cache, HandCache) else None)
    start = time.perf_counter()
    names = [os.fspath(p) for p in paths]
    outcomes: list[DetectOutcome] = []
    workers = max(1, workers or os.cpu_count() or 1)
    try:
        with (
            ThreadPoolExecutor(max_workers=workers) as pool,
            tqdm(total=len(names), desc=desc, unit="img", disable=not progress) as bar,
        ):
            for outcome in pool.map(lambda p: detect_one(p, stage, store), names):
                outcomes.append(outcome)
                bar.update(1)
    finally:
        if owned and store is not None:
            store.close()
    summary = summarize(outcomes, time.perf_counter() - start)
    log.debug("%s", summary.line())
    return outcomes, summary


def summarize(outcomes: Sequence[DetectOutcome], seconds: float) -> DetectSummary:
    """The DetectSummary of a run's outcomes (every engine counts the same way)."""
    read = [o for o in outcomes if o.detection is not None]
    return DetectSummary(
        n_files=len(outcomes),
        n_read=len(read),
        n_found=sum(o.detection.found for o in read),
        n_cached=sum(o.cached for o in read),
        seconds=seconds,
    )


# --- detections as table columns (manifest.csv, the split's DatasetDict, the hands check) ---


def hand_columns(outcomes: Sequence[DetectOutcome]) -> dict[str, list]:
    """One value per photo for each of HAND_COLUMNS (unreadable photos: not found, empty detection)."""
    cols: dict[str, list] = {name: [] for name in HAND_COLUMNS}
    for o in outcomes:
        d = o.detection
        cols["hand_found"].append(bool(d is not None and d.found))
        cols["n_hands"].append(len(d.hands) if d is not None else 0)
        cols["handedness"].append(d.hand.handedness if d is not None and d.found else "")
        cols["hand"].append(json.dumps(d.to_dict(), separators=(",", ":")) if d is not None else "")
    return cols


def detection_from_column(value: object, source: str = "") -> HandDetection | None:
    """A `hand` column value back to a HandDetection (None for an empty or missing value)."""
    if not isinstance(value, str) or not value:
        return None
    return HandDetection.from_dict(json.loads(value), source=source)


def add_hand_columns(table, progress: bool = False, workers: int | None = None, detect=None):
    """The table (one row per photo, a `path` column) with HAND_COLUMNS added; returns (table, summary).

    Clip rows get empty hand columns and are not counted in the summary (see `curation.checks.hands`).

    detect: the engine's `detect_files(paths, progress=, workers=)` (default: this module's, the local one).
    """
    from curation.clips import is_clip_path

    detect = detect or detect_files
    paths = table["path"].astype(str).tolist()
    # a clip already holds its landmarks (found by the VIDEO-mode stage when it was made): the hand stage
    # never runs on it, and its hand columns stay empty (the clip file is its landmarks)
    photos = [p for p in paths if not is_clip_path(p)]
    outcomes, summary = detect(photos, progress=progress, workers=workers)
    found = iter(outcomes)
    outcomes = [DetectOutcome(p) if is_clip_path(p) else next(found) for p in paths]
    table = table.copy()
    for name, values in hand_columns(outcomes).items():
        table[name] = values
    table.attrs["hands"] = {
        "detection_rate": summary.detection_rate,
        "seconds": round(summary.seconds, 2),
        "n_found": summary.n_found,
        "n_read": summary.n_read,
        "line": summary.line(),
    }
    return table, summary
