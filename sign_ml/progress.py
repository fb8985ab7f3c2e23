"""Training progress as events: a callback type, and a JSON-lines file a background job writes and the app reads.

One event per line, e.g. {"epoch": 3, "epochs": 100, "step": 40, "steps": 120, "loss": 0.91, "accuracy": 0.7}:
the epoch being trained (1-based), how many steps of it are done, and the running train loss and accuracy.
The app reads the last line for its progress bar, so nothing ever parses a progress bar's text.
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

PROGRESS_FILE = "progress.jsonl"
TAIL_BYTES = 4096  # the last event is one short line
ProgressCallback = Callable[[dict[str, Any]], None]


def event(epoch: int, epochs: int, step: int, steps: int, loss: float, accuracy: float) -> dict[str, Any]:
    """One progress event (plain JSON types; a NaN loss becomes None)."""

    def num(v: float) -> float | None:
        v = float(v)
        return round(v, 6) if math.isfinite(v) else None

    return {
        "epoch": int(epoch),
        "epochs": int(epochs),
        "step": int(step),
        "steps": int(steps),
        "loss": num(loss),
        "accuracy": num(accuracy),
    }


def fraction(record: dict[str, Any] | None, epochs: int = 0) -> float:
    """0..1 from one event: finished epochs plus the share of the current one (`epochs`: planned, if known)."""
    if not record:
        return 0.0
    total = int(record.get("epochs") or epochs or 0)
    steps = int(record.get("steps") or 0)
    if total <= 0:
        return 0.0
    done = int(record.get("epoch", 1)) - 1 + (int(record.get("step", 0)) / steps if steps > 0 else 0.0)
    return min(1.0, max(0.0, done / total))


class ProgressFile:
    """A ProgressCallback that appends each event to a JSON-lines file (flushed: another process reads it)."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._lock = threading.Lock()

    def __call__(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, separators=(",", ":")) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()


def last_event(path: str | Path) -> dict[str, Any] | None:
    """The last complete event in a progress file (None when there is none yet)."""
    try:
        with open(path, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - TAIL_BYTES))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:  # a line caught mid-write is skipped; the next poll reads it whole
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            return record
    return None
