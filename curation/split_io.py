"""Write a split directory (format in `curation.manifest`) all at once or not at all.

Everything is written into a temporary folder beside the destination and renamed into
place at the end, so a crash or Ctrl-C never leaves half a split directory, and a previous
split directory stays intact until the new one is complete. Source photos are only read.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import uuid
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from curation.clips import sample_kinds
from curation.fileio import read_json, refuse_output_in_data
from curation.manifest import (
    DATASET_DIR,
    HAND_COLUMNS,
    MANIFEST_COLUMNS,
    MANIFEST_FILE,
    SPLIT_NAMES,
    SPLITS_FILE,
)
from curation.splitting import split_counts

log = logging.getLogger(__name__)


def _version() -> str:
    try:
        return f"ukrsl-dactyl {metadata.version('ukrsl-dactyl')}"
    except metadata.PackageNotFoundError:
        return "ukrsl-dactyl (not installed)"


def is_split_dir(path: Path) -> bool:
    return (path / MANIFEST_FILE).is_file() and (path / SPLITS_FILE).is_file()


def refuse_inside_data(out_dir: str | Path, data_root: str | Path, outside_too: bool = False) -> None:
    """ValueError when `out_dir` is the data folder or inside it (a later load would take its files for photos),
    unless it lies in a hidden folder of the data, which every load skips (`refuse_output_in_data`).

    outside_too: also refuse a folder that contains the data (one that will be replaced as a whole).
    """
    refuse_output_in_data(out_dir, [data_root], "--out", outside_too=outside_too)


def data_roots_of(path: str | Path) -> list[Path]:
    """The folders whose files a load of `path` reads: `path` itself, and for a split directory the photo
    folder its splits.json names."""
    path = Path(path)
    roots = [path]
    if is_split_dir(path):
        with contextlib.suppress(ValueError, OSError):
            info = read_json(path / SPLITS_FILE)
            if isinstance(info, dict) and isinstance(info.get("data_root"), str) and info["data_root"]:
                roots.append(Path(info["data_root"]))
    return roots


def check_out_dir(out_dir: str | Path, data_root: str | Path | None = None, force: bool = False) -> Path:
    """Refuse a destination that would clobber files: call before the slow work, and again when writing.

    Allowed: a missing or empty folder, or a previous split directory (replaced). Anything
    else needs `force`. Never the data folder, a folder inside it, or one that contains it.
    """
    out = Path(out_dir).expanduser().resolve()
    if out.exists() and not out.is_dir():
        raise FileExistsError(f"{out}: exists and is not a folder")
    if data_root is not None:
        refuse_inside_data(out, data_root, outside_too=True)
    if out.is_dir() and any(out.iterdir()) and not is_split_dir(out) and not force:
        raise FileExistsError(
            f"{out}: exists, is not empty and is not a split directory; choose another --out or pass --force to replace it"
        )
    return out


def manifest_frame(table: pd.DataFrame, class_names: list[str]) -> pd.DataFrame:
    """The manifest rows: MANIFEST_COLUMNS, sorted by split, class order, then relpath."""
    missing = [c for c in ("path", "relpath", "label", "split") if c not in table.columns]
    if missing:
        raise ValueError(f"cannot write a manifest without column(s) {missing}")
    unknown = sorted(set(table["label"].astype(str)) - set(class_names))
    if unknown:
        raise ValueError(f"labels not in class_names: {unknown[:5]}")
    bad = sorted(set(table["split"].astype(str)) - set(SPLIT_NAMES))
    if bad:
        raise ValueError(f"unknown split name(s) {bad}; expected {list(SPLIT_NAMES)}")
    columns = MANIFEST_COLUMNS + [c for c in HAND_COLUMNS if c in table.columns]
    frame = pd.DataFrame({c: table[c] if c in table.columns else "" for c in columns})
    for column in ("group", "cluster"):
        frame[column] = frame[column].fillna("").astype(str)
    frame["kind"] = sample_kinds(frame["path"])  # from the name: a clip's row points at its .clip.json
    frame["_split"] = frame["split"].map({s: i for i, s in enumerate(SPLIT_NAMES)})
    frame["_class"] = frame["label"].map({c: i for i, c in enumerate(class_names)})
    frame = frame.sort_values(["_split", "_class", "relpath"], kind="stable")
    return frame[columns].reset_index(drop=True)


def write_splits(
    table: pd.DataFrame,
    class_names: list[str],
    out_dir: str | Path,
    *,
    info: dict[str, Any],
    force: bool = False,
    dataset: bool = True,
) -> Path:
    """Write manifest.csv, splits.json and dataset/ for `table` (needs path, relpath, label, split).

    info: extra splits.json entries (data_root, ratios, seed, method, group_source,
        near_duplicate_threshold, ...); class_names, counts and created_with are added here.
    force: replace a non-empty folder that is not a previous split directory.
    dataset: also save the `datasets.DatasetDict` (dataset/); off only for quick tests.
    Returns the split directory.
    """
    out = check_out_dir(out_dir, info.get("data_root"), force)
    manifest = manifest_frame(table, class_names)
    counts = split_counts(manifest, manifest["split"], class_names)
    payload = {
        "class_names": list(class_names),
        **info,
        "n_photos": len(manifest),
        "counts": counts,
        "totals": {s: sum(c.values()) for s, c in counts.items()},
        "created_with": _version(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:12]}"
    tmp.mkdir()  # not mkdtemp: that makes the folder private (0700), and it becomes the split directory
    try:
        manifest.to_csv(tmp / MANIFEST_FILE, index=False, encoding="utf-8", lineterminator="\n")
        (tmp / SPLITS_FILE).write_text(
            json.dumps(payload, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
        )
        if dataset:
            _save_dataset(manifest, class_names, tmp / DATASET_DIR)
        _replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    log.info("wrote %s (%d photos)", out, len(manifest))
    return out


def _save_dataset(manifest: pd.DataFrame, class_names: list[str], dest: Path) -> None:
    import datasets

    from curation.loading import to_dataset

    parts = {
        s: to_dataset(manifest[manifest["split"] == s], class_names)
        for s in SPLIT_NAMES
        if (manifest["split"] == s).any()
    }
    datasets.DatasetDict(parts).save_to_disk(str(dest))


def _replace_dir(new: Path, out: Path) -> None:
    """Put `new` at `out`; an existing `out` is moved aside first and deleted only afterwards."""
    if not out.exists():
        os.replace(new, out)
        return
    old = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.old-"))
    os.replace(out, old / out.name)  # rename, not copy: instant, and restorable below
    try:
        os.replace(new, out)
    except BaseException:
        os.replace(old / out.name, out)
        shutil.rmtree(old, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)
