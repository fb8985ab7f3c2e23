"""Class balance: photos per class, the max/min imbalance ratio, small and empty classes, missing letters.

A class is *small* when it has fewer than `min_count` photos (too few to put some in each split and
still learn from the rest) or fewer than `min_fraction` of the median class (the model will see it
too rarely). Issue flags: "empty-class" (1.0), "small-class" (1 - count/threshold), "missing-letter"
(1.0: a Ukrainian letter with no folder at all, so the model can never predict it).
A clip (`.clip.json`) is a sample like a photo: it counts toward its class; `clip_counts` says how many
of each class's samples are clips, so a motion letter held up only by clips shows as such.
"""

from __future__ import annotations

import os.path
from collections.abc import Callable, Iterable, Mapping

import pandas as pd

from curation.alphabet import describe_class, is_ukrainian, missing_letters, order_classes
from curation.checks import CheckResult, register
from curation.clips import is_clip_path

MIN_COUNT = 10  # fewer photos than this cannot fill train/validation/test and still teach anything
MIN_FRACTION = 0.5  # of the median class size


def _class_folder(paths: pd.Series) -> str:
    """The folder shared by a class's photos (the class folder in a folder of class folders)."""
    parents = sorted({os.path.dirname(str(p)) for p in paths})
    try:
        return os.path.commonpath(parents) if parents else ""
    except ValueError:  # mixed drives or relative/absolute: no single folder to name
        return ""


@register("balance")
def check_balance(
    table: pd.DataFrame,
    *,
    class_names: list[str] | None = None,
    empty_classes: Mapping[str, str] | Iterable[str] = (),
    min_count: int = MIN_COUNT,
    min_fraction: float = MIN_FRACTION,
) -> CheckResult:
    """Counts of usable photos per class (rows with a scan `error` are left out) and what is wrong with them.

    class_names: the classes expected (default: the labels in the table).
    empty_classes: classes with a folder but no photo, as {class: folder} or names.
    """
    empty_folders = (
        dict(empty_classes) if isinstance(empty_classes, Mapping) else dict.fromkeys(empty_classes, "")
    )
    all_rows = table
    if "error" in table.columns:  # after the scan: count only photos that can be used
        table = table[table["error"].fillna("").astype(str) == ""]
    counts_raw = table["label"].value_counts()
    names = order_classes(list(class_names or []) + list(all_rows["label"].unique()) + list(empty_folders))
    counts = {name: int(counts_raw.get(name, 0)) for name in names}
    nonempty = {name: n for name, n in counts.items() if n > 0}
    empty = [name for name, n in counts.items() if n == 0]
    median = float(pd.Series(list(nonempty.values())).median()) if nonempty else 0.0
    threshold = max(float(min_count), min_fraction * median)  # below this a class is "small"
    small = [name for name, n in nonempty.items() if n < threshold]
    ratio = round(max(nonempty.values()) / min(nonempty.values()), 3) if nonempty else None
    # names include empty classes (those are "empty", not "missing"); A..Z is not a partial Ukrainian set
    ukrainian = is_ukrainian(names)
    missing = missing_letters(names) if ukrainian else []
    describe = describe_class if ukrainian else str  # "H" is Г only in a Ukrainian set

    rows = _empty_rows(empty, empty_folders, all_rows, describe)
    rows += _small_rows(small, nonempty, table, threshold, median, min_count, min_fraction)
    rows += _missing_rows(missing)
    issues = pd.DataFrame(rows, columns=["path", "flag", "score", "class", "count", "detail"])

    stats = {
        **_clip_stats(table, names),
        "n_unusable": int(len(all_rows) - len(table)),
        "n_classes": len(names),
        "counts": counts,
        "min": min(nonempty.values()) if nonempty else 0,
        "max": max(nonempty.values()) if nonempty else 0,
        "median": median,
        "imbalance_ratio": ratio,
        "threshold": threshold,
        "min_count": min_count,
        "min_fraction": min_fraction,
        "small_classes": small,
        "empty_classes": empty,
        "missing_letters": missing,
    }
    if "split" in table.columns:
        stats["counts_by_split"] = _counts_by_split(table, names)
    return CheckResult("balance", _summary(stats), issues, stats)


def _empty_rows(
    empty: list[str], empty_folders: dict, all_rows: pd.DataFrame, describe: Callable[[str], str]
) -> list[dict]:
    """One "empty-class" issue row per class with a folder but no usable photo."""
    rows: list[dict] = []
    for name in empty:
        folder = empty_folders.get(name) or _class_folder(all_rows.loc[all_rows["label"] == name, "path"])
        rows.append(
            {
                "path": folder,
                "flag": "empty-class",
                "score": 1.0,
                "class": name,
                "count": 0,
                "detail": f"class {describe(name)} has no photos",
            }
        )
    return rows


def _small_rows(
    small: list[str],
    nonempty: dict[str, int],
    table: pd.DataFrame,
    threshold: float,
    median: float,
    min_count: int,
    min_fraction: float,
) -> list[dict]:
    """One "small-class" issue row per class under the threshold, saying which limit it falls under."""
    rows: list[dict] = []
    for name in small:
        n = nonempty[name]
        why = (
            f"fewer than {min_count}"
            if n < min_count
            else f"under {min_fraction:.0%} of the median {median:g}"
        )
        detail = f"{n} photo{'s' if n != 1 else ''} ({why})"
        if n < 3:
            detail += ": too few to put one in each of train/validation/test"
        rows.append(
            {
                "path": _class_folder(table.loc[table["label"] == name, "path"]),
                "flag": "small-class",
                "score": round(1 - n / threshold, 3),
                "class": name,
                "count": n,
                "detail": detail,
            }
        )
    return rows


def _missing_rows(missing: list[str]) -> list[dict]:
    """One "missing-letter" issue row per letter of the alphabet with no folder."""
    return [
        {
            "path": "",
            "flag": "missing-letter",
            "score": 1.0,
            "class": letter,
            "count": 0,
            "detail": f"no folder for {describe_class(letter)}",
        }
        for letter in missing
    ]


def _clip_stats(table: pd.DataFrame, names: list[str]) -> dict:
    """Usable samples and how many of them (in all and per class) are clips."""
    is_clip = table["path"].map(lambda p: is_clip_path(str(p))) if len(table) else pd.Series(dtype=bool)
    clips_raw = table.loc[is_clip, "label"].value_counts() if len(table) else pd.Series(dtype=int)
    return {
        "n_photos": int(len(table)),  # usable samples, clips included
        "n_clips": int(is_clip.sum()) if len(table) else 0,
        "clip_counts": {name: int(clips_raw[name]) for name in names if clips_raw.get(name, 0)},
    }


def _counts_by_split(table: pd.DataFrame, names: list[str]) -> dict[str, dict[str, int]]:
    """Usable samples per class in each split."""
    by_split = table.groupby(["split", "label"]).size()
    return {
        split: {name: int(by_split.get((split, name), 0)) for name in names}
        for split in sorted(table["split"].unique())
    }


def _summary(s: dict) -> str:
    if not s["n_photos"]:
        return "no usable photos"
    text = (
        f"{s['n_classes']} classes, {s['n_photos']} usable photos; {s['min']}–{s['max']} per class "
        f"(median {s['median']:g}, imbalance ×{s['imbalance_ratio']:g})"
    )
    if s.get("n_clips"):
        text = text.replace(" usable photos;", f" usable samples ({s['n_clips']} clips);", 1)
    parts = []
    if s["small_classes"]:
        parts.append(
            f"{len(s['small_classes'])} small (< {s['threshold']:g}): {', '.join(s['small_classes'][:8])}"
        )
    if s["empty_classes"]:
        parts.append(f"{len(s['empty_classes'])} empty: {', '.join(s['empty_classes'][:8])}")
    if s["missing_letters"]:
        parts.append(f"{len(s['missing_letters'])} letters missing: {', '.join(s['missing_letters'][:8])}")
    return text + ("; " + "; ".join(parts) if parts else "; none below threshold")
