"""The on-disk format of a curated split directory, read by training, evaluation and the app.

SPLITS/manifest.csv   one row per sample: path (absolute), relpath (to the data root),
                      label, split ("train" | "validation" | "test"), group, cluster, kind ("photo" |
                      "clip": a clip's path is its `.clip.json` file, its hand columns empty)
SPLITS/splits.json    class_names (ordered), data_root, ratios, seed, method, counts, ...
SPLITS/dataset/       the same as a `datasets.DatasetDict` (save_to_disk)
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from curation.fileio import read_json

MANIFEST_FILE = "manifest.csv"
SPLITS_FILE = "splits.json"
DATASET_DIR = "dataset"
SPLIT_NAMES = ("train", "validation", "test")
MANIFEST_COLUMNS = ["path", "relpath", "label", "split", "group", "cluster", "kind"]
# written when the split ran the hand stage (curation.hand_cache): training then never detects again
HAND_COLUMNS = ["hand_found", "n_hands", "handedness", "hand"]  # `hand`: the detection as JSON ("" unread)


def read_manifest(splits_dir: str | Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """(manifest rows, splits.json) of a split directory; paths resolved against data_root if moved."""
    splits_dir = Path(splits_dir)
    manifest_path, info_path = splits_dir / MANIFEST_FILE, splits_dir / SPLITS_FILE
    if not manifest_path.is_file() or not info_path.is_file():
        raise FileNotFoundError(
            f"{splits_dir}: not a split directory (needs {MANIFEST_FILE} and {SPLITS_FILE}); "
            "make one with `sign-curate split DATA --out DIR`"
        )
    table = pd.read_csv(
        manifest_path,
        dtype={"label": str, "group": str, "cluster": str, "handedness": str, "hand": str, "kind": str},
        keep_default_na=False,
    )
    info = read_json(info_path)
    if not isinstance(info, dict) or not isinstance(info.get("class_names"), list):
        raise ValueError(
            f"{info_path}: no class_names list; not a splits.json written by `sign-curate split`"
        )
    bad = [c for c in info["class_names"] if not isinstance(c, str) or not c]
    if bad:
        raise ValueError(f"{info_path}: class_names must be a list of non-empty text, got {bad[0]!r}")
    missing = [c for c in ("path", "label", "split") if c not in table.columns]
    if missing:
        raise ValueError(f"{manifest_path}: missing column(s) {missing}")
    unknown = set(table["label"]) - set(info["class_names"])
    if unknown:
        raise ValueError(f"{manifest_path}: labels not in splits.json class_names: {sorted(unknown)[:5]}")
    return table, info


def class_names_of(info: dict[str, Any]) -> list[str]:
    return list(info["class_names"])
