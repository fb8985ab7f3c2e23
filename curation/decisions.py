"""Label decisions from mislabel review: "relabel this photo as X" or "exclude it", kept beside the data.

DATA/label_decisions.csv has one row per photo decided (the last decision for a photo wins):
    file_name  posix path relative to DATA (as metadata.csv and the loader's `relpath`)
    action     "relabel" | "exclude"
    label      the new label for "relabel", else empty
    time       ISO 8601 UTC
The photos themselves are never modified or moved; `sign-curate split` applies the decisions
(`apply_decisions`) to the table it loaded.
"""

from __future__ import annotations

import contextlib
import csv
import io
import logging
import os
import unicodedata
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from curation.alphabet import normalize_class_name
from curation.fileio import atomic_write_text, file_lock

log = logging.getLogger(__name__)

DECISIONS_FILE = "label_decisions.csv"
LOCK_FILE = ".label_decisions.lock"  # hidden: the loader skips it
ACTIONS = ("relabel", "exclude")
UNDO = "keep"  # record_decision's action that removes an earlier decision
COLUMNS = ["file_name", "action", "label", "time"]


def _empty() -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=str) for c in COLUMNS})


def read_decisions(root: str | Path) -> pd.DataFrame:
    """The decisions in ROOT/label_decisions.csv, one row per file (last wins); empty when there is no file."""
    path = Path(root) / DECISIONS_FILE
    if not path.is_file():
        return _empty()
    try:
        table = pd.read_csv(path, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        return _empty()
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise ValueError(f"{path}: not a readable CSV ({str(exc).strip().splitlines()[0]})") from None
    missing = [c for c in COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"{path}: missing column(s) {', '.join(missing)} (expected {', '.join(COLUMNS)})")
    for i, row in enumerate(table.itertuples(index=False), start=2):  # line 1 is the header
        if not row.file_name:
            raise ValueError(f"{path}: line {i}: empty file_name")
        if row.action not in ACTIONS:
            raise ValueError(f"{path}: line {i}: action {row.action!r} is not one of {', '.join(ACTIONS)}")
        if row.action == "relabel" and not row.label.strip():
            raise ValueError(f"{path}: line {i}: relabel of {row.file_name} without a label")
    table = table[COLUMNS].drop_duplicates("file_name", keep="last")
    return table.reset_index(drop=True)


def _locked(root: Path) -> contextlib.AbstractContextManager[None]:
    """Exclusive lock on the decisions of ROOT (two browser tabs deciding at once lose nothing)."""
    return file_lock(root / LOCK_FILE)


def _checked_relpath(root: Path, relpath: str) -> str:
    """`relpath` normalised (posix, no '.' parts); ValueError when it leaves ROOT or names no file."""
    if not isinstance(relpath, str) or not relpath.strip() or "\x00" in relpath or "\\" in relpath:
        raise ValueError(f"file {relpath!r} refused: a relative path inside {root} with '/' separators")
    if Path(relpath).is_absolute():
        raise ValueError(f"file {relpath!r} refused: a path relative to {root}, not an absolute one")
    if not (root / relpath).resolve().is_relative_to(root.resolve()):
        raise ValueError(f"file {relpath!r} refused: it leads outside {root}")
    normal = Path(os.path.normpath(relpath)).as_posix()
    if not (root / normal).is_file():
        raise FileNotFoundError(f"{root / normal}: no such photo to decide on")
    return normal


def record_decision(root: str | Path, relpath: str, action: str, label: str | None = None) -> pd.DataFrame:
    """Record "relabel" (with `label`) or "exclude" for one photo, or "keep" to undo; returns the new table.

    relpath: the photo relative to ROOT (the loader's `relpath`); it must exist and stay inside ROOT.
    The last decision per photo wins; the file is rewritten atomically under a lock.
    """
    root = Path(root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such data folder")
    if action not in (*ACTIONS, UNDO):
        raise ValueError(f"action {action!r} unknown: use one of {', '.join((*ACTIONS, UNDO))}")
    relpath = _checked_relpath(root, relpath)
    new_label = ""
    if action == "relabel":
        new_label = normalize_class_name(label) if isinstance(label, str) else ""
        if not new_label or any(unicodedata.category(ch).startswith("C") for ch in new_label):
            raise ValueError(f"relabel of {relpath} needs a label (printable text), got {label!r}")
    elif label:
        raise ValueError(f"action {action!r} of {relpath} takes no label, got {label!r}")
    with _locked(root):
        table = read_decisions(root)
        table = table[table["file_name"] != relpath]
        if action != UNDO:
            row = {
                "file_name": relpath,
                "action": action,
                "label": new_label,
                "time": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            table = pd.concat([table, pd.DataFrame([row])], ignore_index=True)
        buffer = io.StringIO()
        table.to_csv(buffer, index=False, columns=COLUMNS, quoting=csv.QUOTE_MINIMAL, lineterminator="\n")
        atomic_write_text(root / DECISIONS_FILE, buffer.getvalue())
    log.info("%s: %s %s%s", root / DECISIONS_FILE, action, relpath, f" as {new_label}" if new_label else "")
    return table.reset_index(drop=True)


def apply_decisions(
    table: pd.DataFrame, decisions: pd.DataFrame, class_names: list[str]
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The table (`relpath`, `label` columns) with excluded rows dropped and relabels applied, and a summary.

    Summary: {"relabelled": n, "excluded": n, "unknown_files": [decided relpaths not in the table]}.
    A relabel to a label outside class_names raises ValueError naming the file and the label.
    """
    for needed in ("relpath", "label"):
        if needed not in table.columns:
            raise ValueError(f"apply_decisions: the table has no '{needed}' column")
    decisions = decisions.drop_duplicates("file_name", keep="last")
    known = set(table["relpath"].astype(str))
    unknown = [f for f in decisions["file_name"] if f not in known]
    applied = decisions[decisions["file_name"].isin(known)]
    classes = set(class_names)
    relabel: dict[str, str] = {}
    for file_name, label in applied.loc[applied["action"] == "relabel", ["file_name", "label"]].itertuples(
        index=False
    ):
        new = normalize_class_name(label)
        if new not in classes:
            raise ValueError(
                f"{file_name}: relabel to '{new}', which is not a class of this data ({', '.join(class_names)})"
            )
        relabel[file_name] = new
    excluded = set(applied.loc[applied["action"] == "exclude", "file_name"])
    out = table[~table["relpath"].isin(excluded)].copy()
    hit = out["relpath"].isin(relabel)
    out.loc[hit, "label"] = out.loc[hit, "relpath"].map(relabel)
    summary = {"relabelled": int(hit.sum()), "excluded": int(len(table) - len(out)), "unknown_files": unknown}
    return out.reset_index(drop=True), summary
