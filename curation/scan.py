"""The decode-once pass: open every photo exactly once, in parallel, and describe it in the sample table.

Adds to the table (one row per photo, order kept):
    error       "" or why the file cannot be used (from `inspect_image`)
    width, height, mode, format, n_frames   as the file declares them (width/height as displayed)
    flags       ";"-joined oddities: cmyk, 16-bit, palette, alpha, animated, exif-rotated, tiny, ...
    pixel_hash, phash   from `curation.checks.duplicates.fingerprint` of the decoded image ("" if unavailable)
    hand_frames, clip_source   a clip's frames with a hand and the video (or photo) it came from; 0 and ""
                for a photo
A clip (`.clip.json`) is read and validated instead of decoded: its error is `read_clip`'s one line
naming the file, width/height its frames', mode and format "clip", n_frames its frames, and no image
hashes (a clip is no picture, so the duplicate check leaves it alone).
Every check then works on these columns and never opens a file again. Files are only read.
"""

from __future__ import annotations

import logging
import math
import multiprocessing as mp
import os
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

import pandas as pd
from tqdm._monitor import TMonitor
from tqdm.auto import tqdm

from curation.images import inspect_image
from curation.workers import die_with_parent

log = logging.getLogger(__name__)

SCAN_COLUMNS = [
    "error",
    "width",
    "height",
    "mode",
    "format",
    "n_frames",
    "flags",
    "pixel_hash",
    "phash",
    "hand_frames",
    "clip_source",
]
INT_COLUMNS = ("width", "height", "n_frames", "hand_frames")
INLINE_BELOW = 64  # fewer photos than this: a process pool costs more than it saves
MAX_CHUNK = 128  # photos per task: large enough that IPC is noise, small enough for a smooth progress bar

Row = tuple[str, int, int, str, str, int, str, str, str, int, str]
_fingerprint: Callable | None | bool = False  # False: not looked up yet in this process


def _get_fingerprint() -> Callable | None:
    """`curation.checks.duplicates.fingerprint` if that module exists (it is optional), else None."""
    global _fingerprint
    if _fingerprint is False:
        try:
            from curation.checks.duplicates import fingerprint
        except ModuleNotFoundError as exc:
            if exc.name != "curation.checks.duplicates":
                raise
            log.debug("curation.checks.duplicates not available: hashes left empty")
            fingerprint = None
        _fingerprint = fingerprint
    return _fingerprint


def scan_clip(path: str) -> Row:
    """Read one clip file and describe it as a row of SCAN_COLUMNS values; never raises for a bad file."""
    from curation.clips import ClipError, read_clip

    try:
        clip = read_clip(path)
    except ClipError as exc:
        return (str(exc), 0, 0, "clip", "clip", 0, "", "", "", 0, "")
    hands = int(clip.hand_found.sum())
    return ("", clip.width, clip.height, "clip", "clip", clip.n_frames, "", "", "", hands, clip.source)


def scan_one(path: str, max_side: int = 256) -> Row:
    """Decode one photo (or read one clip) and describe it as a row of SCAN_COLUMNS values; never raises
    for a bad file."""
    from curation.clips import is_clip_path

    if is_clip_path(path):
        return scan_clip(path)
    fingerprint = _get_fingerprint()
    probe = inspect_image(path, max_side=max_side, keep_image=fingerprint is not None)
    hashes = {"pixel_hash": "", "phash": ""}
    if probe.image is not None and fingerprint is not None:
        try:
            hashes.update(fingerprint(probe.image))
        except Exception as exc:  # a hashing bug must not cost the whole scan
            log.warning("%s: fingerprint failed (%s: %s)", path, type(exc).__name__, exc)
    return (
        probe.error or "",
        probe.width,
        probe.height,
        probe.mode,
        probe.format,
        probe.n_frames,
        ";".join(probe.flags),
        hashes["pixel_hash"],
        hashes["phash"],
        0,
        "",
    )


def _scan_chunk(paths: list[str], max_side: int) -> list[Row]:
    return [scan_one(p, max_side) for p in paths]


def _pool_context() -> mp.context.BaseContext | None:
    """fork when it is safe (no other threads, as in a CLI), else None: scan in threads instead.

    fork is cheapest (workers inherit the imported modules) but unsafe once other threads exist, as in the
    Gradio app (tqdm's monitor thread only sleeps: harmless). forkserver and spawn workers re-import the
    caller's __main__ first: in the app that is app.py with Gradio, torch and the whole Blocks, seconds per
    worker on every button press (65 photos took 41-55 s in the app against 0.8 s from the CLI). Threads
    start at once and share the modules already imported.
    """
    others = [
        t for t in threading.enumerate() if t is not threading.main_thread() and not isinstance(t, TMonitor)
    ]
    if "fork" in mp.get_all_start_methods() and not others and sys.platform != "darwin":
        return mp.get_context("fork")
    return None


def scan_table(
    table: pd.DataFrame, *, workers: int | None = None, progress: bool = True, max_side: int = 256
) -> pd.DataFrame:
    """A copy of `table` with SCAN_COLUMNS added, every photo decoded once (in `workers` processes).

    workers: processes to use (default: all CPU cores; 1 = in this process).
    max_side: size the image is reduced to for the hashes; a JPEG at least twice that size is decoded
        reduced in the DCT (draft mode), which is several times faster. Checks of the file itself
        (truncation, mode, size) are the same at any max_side.
    """
    paths = [str(p) for p in table["path"]]
    n = len(paths)
    workers = max(1, workers or os.cpu_count() or 1)
    workers = min(workers, max(1, n // 16)) if n >= INLINE_BELOW else 1  # a worker must earn its start-up
    chunk = max(8, min(MAX_CHUNK, math.ceil(n / (workers * 4))))  # ~4 tasks per worker balance the load
    _get_fingerprint()  # import the hashing module once here: forked workers inherit it
    start = time.perf_counter()
    rows: list[Row] = []
    with tqdm(total=n, desc="scan", unit="photo", disable=not progress, smoothing=0.1) as bar:
        chunks = [paths[i : i + chunk] for i in range(0, n, chunk)]
        context = _pool_context() if workers > 1 else None
        if workers > 1 and context is None:
            done = _scan_threads(chunks, workers, max_side, rows, bar)
        else:
            done = _scan_pool(chunks, workers, max_side, rows, bar, context) if workers > 1 else 0
        for part in chunks[done:]:  # in-process: small tables, one worker, or after a broken pool
            rows.extend(_scan_chunk(part, max_side))
            bar.update(len(part))
    seconds = time.perf_counter() - start
    out = table.copy()
    scanned = pd.DataFrame(rows, columns=SCAN_COLUMNS, index=table.index)
    for col in SCAN_COLUMNS:
        out[col] = scanned[col]
    out.attrs["scan"] = {
        "seconds": round(seconds, 3),
        "workers": workers,
        "max_side": max_side,
        "photos_per_s": round(n / seconds, 1) if seconds > 0 else None,
    }
    n_bad = int((out["error"] != "").sum()) if n else 0
    log.info("scanned %d photos in %.2f s with %d worker(s); %d unreadable", n, seconds, workers, n_bad)
    return out


def _scan_threads(chunks: list[list[str]], workers: int, max_side: int, rows: list[Row], bar: tqdm) -> int:
    """Scan chunks in threads, in order (PIL's decoders and numpy release the GIL); returns the chunks done."""
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="scan") as pool:
        for part in pool.map(_scan_chunk, chunks, [max_side] * len(chunks)):
            rows.extend(part)
            bar.update(len(part))
    return len(chunks)


def _scan_pool(
    chunks: list[list[str]], workers: int, max_side: int, rows: list[Row], bar: tqdm, context: Any
) -> int:
    """Scan chunks in a process pool, in order; returns how many chunks were done (all, unless it broke)."""
    done = 0
    try:
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=die_with_parent
        ) as pool:
            for part in pool.map(_scan_chunk, chunks, [max_side] * len(chunks)):
                rows.extend(part)
                bar.update(len(part))
                done += 1
    except BrokenProcessPool:  # a worker died (killed, out of memory, a crashing decoder)
        log.warning(
            "scan worker died after %d of %d chunks; scanning the rest in this process", done, len(chunks)
        )
    return done
