"""Reproducible stratified splits, optionally group-aware (pure logic: no files).

Determinism across runs and machines: rows are first put in NFC-relpath order, every
random choice comes from `numpy.random.default_rng` seeded explicitly, and nothing
iterates over a set or depends on Python's hash randomization.

Two methods:
- "random" (no groups, no multi-photo clusters): per class, shuffle and cut at integer
  quotas (largest remainder), so every class is within one photo of the ratios. Each
  class's shuffle is seeded by (seed, class name), so adding photos to one class leaves
  the other classes' splits as they were.
- "group-aware": a unit is a group (signer, session, ...) merged with every near-duplicate
  cluster it touches; units never cross splits. Units are shuffled, ordered largest
  first (the hard ones placed while there is room) and each goes to the split where it
  most reduces the squared relative shortfall against per-class quotas. This handles
  units that hold many classes (a signer shows every letter), keeps 85/10/5 proportions
  (sklearn's StratifiedGroupKFold only makes k equal folds), and is exact when units are
  single photos. The price: with few, large groups the proportions are only approximate.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from curation.manifest import SPLIT_NAMES

log = logging.getLogger(__name__)

DEFAULT_RATIOS = (0.85, 0.10, 0.05)  # the thesis split
SMALL_CLASS_POLICIES = ("error", "train")


class SplitError(ValueError):
    """The photos cannot be split as asked (e.g. a class too small for every split)."""


# ---------------------------------------------------------------- ratios


def validate_ratios(ratios: Sequence[float]) -> tuple[float, ...]:
    """2 parts (train, validation) or 3 (train, validation, test), each > 0, summing to 1."""
    ratios = tuple(float(r) for r in ratios)
    if len(ratios) not in (2, 3):
        raise SplitError(
            f"ratios need 2 parts (train, validation) or 3 (train, validation, test), got {len(ratios)}"
        )
    if any(not np.isfinite(r) or r <= 0 for r in ratios):
        raise SplitError(f"every ratio must be > 0, got {ratios}")
    if abs(sum(ratios) - 1.0) > 1e-6:
        raise SplitError(f"ratios must sum to 1 (or 100), got {ratios} (sum {sum(ratios):g})")
    return ratios


def parse_ratios(text: str) -> tuple[float, ...]:
    """Ratios as text -> fractions summing to 1: "85,10,5", "0.85,0.1,0.05", "70/15/15" (or ":" or spaces)."""
    parts = [p for p in re.split(r"[,/:;\s]+", text.strip()) if p]
    try:
        values = [float(p.rstrip("%")) for p in parts]
    except ValueError:
        raise SplitError(
            f"cannot read ratios {text!r}: use e.g. 85,10,5 or 0.85,0.1,0.05 or 70/15/15"
        ) from None
    total = sum(values)
    if abs(total - 100) < 1e-6:
        values = [v / 100 for v in values]
    elif abs(total - 1) > 1e-6:
        raise SplitError(f"ratios {text!r} sum to {total:g}; they must sum to 100 (percent) or 1 (fractions)")
    return validate_ratios(values)


def split_names(ratios: Sequence[float]) -> tuple[str, ...]:
    return SPLIT_NAMES[: len(ratios)]


# ---------------------------------------------------------------- groups from file names


def group_from_pattern(relpaths: pd.Series | Sequence[str], pattern: str) -> pd.Series:
    """Group per file from a regex searched in its relpath ('/' separators, e.g. "A/anna_03.jpg").

    The regex has one capture group, or a named group `group`, e.g. r"^[^/]+/(\\w+?)_" takes
    "anna" from "A/anna_03.jpg". Files it does not match raise a ValueError naming a few.
    """
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"--group-pattern {pattern!r} is not a valid regular expression: {exc}") from None
    if "group" not in regex.groupindex and regex.groups != 1:
        raise ValueError(
            f"--group-pattern {pattern!r} needs exactly one capture group (or a named group `group`), "
            f"it has {regex.groups}"
        )
    key = "group" if "group" in regex.groupindex else 1
    series = relpaths if isinstance(relpaths, pd.Series) else pd.Series(list(relpaths))
    groups, unmatched = [], []
    for relpath in series.astype(str).tolist():
        match = regex.search(relpath)
        value = match.group(key) if match else None
        if not value:
            unmatched.append(relpath)
        groups.append(value or "")
    if unmatched:
        shown = ", ".join(unmatched[:5]) + (f" (+{len(unmatched) - 5} more)" if len(unmatched) > 5 else "")
        raise ValueError(
            f"--group-pattern {pattern!r} gives no group for {len(unmatched)} of {len(series)} files: {shown}"
        )
    return pd.Series(groups, index=series.index, name="group")


# ---------------------------------------------------------------- units


def nfc_order(table: pd.DataFrame) -> np.ndarray:
    """Row positions sorted by NFC relpath (else path): the same on every machine."""
    column = "relpath" if "relpath" in table.columns else "path"
    keys = [unicodedata.normalize("NFC", str(v)) for v in table[column].tolist()]
    return np.array(sorted(range(len(keys)), key=keys.__getitem__), dtype=np.int64)


def split_units(
    table: pd.DataFrame, group_col: str | None = None, clusters: pd.Series | None = None
) -> np.ndarray:
    """Unit id per row position: rows sharing a non-empty group or a cluster id are one unit.

    Ids are numbered by each unit's first photo in NFC-relpath order (deterministic).
    """
    n = len(table)
    order = nfc_order(table)
    keys = []
    if group_col is not None:
        if group_col not in table.columns:
            raise SplitError(
                f"no column {group_col!r} to group by (columns: {', '.join(map(str, table.columns))})"
            )
        keys.append(table[group_col].fillna("").astype(str).to_numpy())
    if clusters is not None:
        if len(clusters) != n:
            raise SplitError(f"clusters has {len(clusters)} entries for {n} rows")
        keys.append(pd.Series(clusters).fillna("").astype(str).to_numpy())  # positional: one id per row
    labels = _components(n, keys)
    units = np.empty(n, dtype=np.int64)
    units[order] = pd.factorize(labels[order])[0]
    return units


def _components(n: int, keys: list[np.ndarray]) -> np.ndarray:
    """A connected-component label per row of n, joining rows that share a value of any key (each an (n,)
    array of text; "" joins nothing)."""
    src, dst = [np.arange(n)], [np.arange(n)]
    for values in keys:
        has = values != ""
        rows = np.flatnonzero(has)
        codes = pd.factorize(pd.Series(values[has], dtype=object))[0]
        # join each row to the first row holding the same value: one edge per row, not all pairs
        first = pd.Series(rows).groupby(codes).transform("first").to_numpy()
        src.append(rows)
        dst.append(first)
    s, d = np.concatenate(src), np.concatenate(dst)
    graph = coo_matrix((np.ones(len(s), dtype=np.int8), (s, d)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def source_units(table: pd.DataFrame) -> pd.Series:
    """A unit id per row tying each clip to the other clips of its source (the video, or for a synthetic
    clip the photo it was made from) and to that photo when it is in the table; "" for everything else.

    Needs the scan's `clip_source` column (absent: all ""). Clips of one take are one movement seen
    several ways: on both sides of a split they would be a near-duplicate across it.
    """
    if "clip_source" not in table.columns or not len(table):
        return pd.Series([""] * len(table), index=table.index, dtype=object)
    # "synthetic:I/I3.jpg" (the demo's clips) ties the clip to the photo I/I3.jpg like any source
    sources = (
        table["clip_source"]
        .fillna("")
        .astype(str)
        .map(lambda s: unicodedata.normalize("NFC", s.removeprefix("synthetic:")))
    )
    names = (table["relpath"] if "relpath" in table.columns else table["path"]).astype(str)
    names = names.map(lambda s: unicodedata.normalize("NFC", s))
    used = set(sources[sources != ""])
    key = sources.where(sources != "", names.where(names.isin(used), ""))
    return key.map(lambda k: f"source:{k}" if k else "")


def clip_counts(table: pd.DataFrame, group_col: str | None = None) -> dict[str, dict[str, Any]]:
    """{class: {"clips": n, "synthetic": n, "by_split": {split: n}, "signers": k or None}} for every class with a clip
    (a `.clip.json` path); signers: distinct non-empty `group_col` values among its clips (None without
    groups). What the model card says about each motion letter's clips."""
    if not len(table):
        return {}
    is_clip = table["path"].astype(str).str.lower().str.endswith(".clip.json")
    clips = table[is_clip]
    out: dict[str, dict[str, Any]] = {}
    for label, rows in clips.groupby(clips["label"].astype(str), sort=True):
        by_split = (
            {str(k): int(v) for k, v in rows["split"].value_counts().sort_index().items()}
            if "split" in rows.columns
            else {}
        )
        signers = None
        if group_col is not None and group_col in rows.columns:
            values = rows[group_col].fillna("").astype(str)
            signers = int(values[values != ""].nunique())
        synthetic = (
            int(rows["clip_source"].fillna("").astype(str).str.startswith("synthetic:").sum())
            if "clip_source" in rows.columns
            else 0
        )
        out[str(label)] = {
            "clips": int(len(rows)),
            "synthetic": synthetic,
            "by_split": by_split,
            "signers": signers,
        }
    return out


def merge_units(*keys: pd.Series | None) -> pd.Series | None:
    """One cluster id per row joining rows that share any of `keys`' non-empty values (connected
    components, numbered in NFC-relpath order is not needed here: `split_units` renumbers); None if all
    are None. Empty-valued rows that share nothing stay "" (singletons)."""
    present = [k for k in keys if k is not None]
    if not present:
        return None
    values = [pd.Series(key).fillna("").astype(str).to_numpy() for key in present]
    any_key = np.logical_or.reduce([v != "" for v in values])
    labels = _components(len(values[0]), values)
    out = pd.Series([f"u{label}" for label in labels], index=present[0].index, dtype=object)
    return out.where(any_key, "")


def split_method(table: pd.DataFrame, group_col: str | None = None, clusters: pd.Series | None = None) -> str:
    """The method `assign_splits` uses: group-aware when some unit holds 2+ photos, else random (stratified)."""
    if not len(table):
        return "random"
    units = split_units(table, group_col, clusters)
    return "group-aware" if len(np.unique(units)) < len(table) else "random"


# ---------------------------------------------------------------- quotas


def class_quotas(n: int, ratios: Sequence[float], rng: np.random.Generator | None = None) -> np.ndarray:
    """Integer photos per split for a class of n: largest remainder, then at least 1 per split.

    Ties in the remainder (3.75 / 3.75 for validation and test) go to a random split when
    `rng` is given, so over many classes no split is favoured; else to the earlier split.
    When n >= number of splits every split gets at least one, taken from the largest.
    """
    ratios = np.asarray(ratios, dtype=float)
    exact = ratios * n
    quota = np.floor(exact + 1e-9).astype(np.int64)
    remainder = np.round(exact - quota, 9)  # rounded so float noise does not break ties
    tiebreak = rng.random(len(ratios)) if rng is not None else np.arange(len(ratios), dtype=float)
    for k in np.lexsort((tiebreak, -remainder))[: n - int(quota.sum())]:
        quota[k] += 1
    if n >= len(ratios):
        for k in range(len(ratios)):
            if quota[k] == 0:
                quota[int(np.argmax(quota))] -= 1
                quota[k] = 1
    return quota


def _describe_small(name: str, size: int, units: int) -> str:
    """'Ї' (2 photos), or 'B' (30 photos in 2 groups/clusters) when grouping is what makes it small."""
    text = f"{name!r} ({size} photo{'s' if size != 1 else ''}"
    if units < size:
        text += f" in {units} {'groups/clusters' if units != 1 else 'group/cluster'}"
    return text + ")"


def _seed_for(seed: int, label: str) -> np.random.Generator:
    """A generator for one class: independent of the other classes, the same on every machine."""
    digest = int.from_bytes(hashlib.sha256(label.encode("utf-8")).digest()[:8], "little")
    return np.random.default_rng([seed, digest])


# ---------------------------------------------------------------- assignment


def assign_splits(
    table: pd.DataFrame,
    *,
    ratios: Sequence[float] = DEFAULT_RATIOS,
    seed: int = 0,
    group_col: str | None = None,
    clusters: pd.Series | None = None,
    small_classes: str = "error",
) -> pd.Series:
    """Split name ("train" | "validation" | "test") per row of `table` (needs `label`, `relpath` or `path`).

    ratios: 2 or 3 fractions summing to 1, in the order train, validation[, test].
    group_col: column whose non-empty values must stay in one split (signer, session, source).
    clusters: near-duplicate cluster id per row, in table order (`near_duplicate_clusters`); each
        cluster stays in one split (empty ids are singletons).
    small_classes: a class with fewer photos (units) than splits cannot be in every split:
        "error" raises SplitError naming the classes; "train" holds out what it can and warns: a class in
        k >= 2 units gets train plus the first k-1 held-out splits (two signers: train and validation),
        a class in one unit stays in train.
    """
    ratios = validate_ratios(ratios)
    if small_classes not in SMALL_CLASS_POLICIES:
        raise ValueError(f"small_classes must be one of {SMALL_CLASS_POLICIES}, got {small_classes!r}")
    names = split_names(ratios)
    n = len(table)
    if n == 0:
        raise SplitError("no photos to split")
    labels = table["label"].astype(str).to_numpy()
    units = split_units(table, group_col, clusters)

    # a class needs photos in as many distinct units as there are splits
    per_class = (
        pd.DataFrame({"label": labels, "unit": units}).groupby("label")["unit"].agg(["size", "nunique"])
    )
    small = per_class[per_class["nunique"] < len(names)].sort_index()
    if len(small):
        listed = ", ".join(
            _describe_small(name, row["size"], row["nunique"]) for name, row in small.iterrows()
        )
        if small_classes == "error":
            raise SplitError(
                f"{len(small)} class(es) too small to put at least one photo in each of {len(names)} splits: "
                f"{listed}. Add photos, merge or drop these classes, use 2 ratios, "
                "or pass --small-classes train to keep them in train only"
            )
        log.warning(
            "classes held out in fewer than %d splits (too few photos or groups): %s", len(names), listed
        )
        # as many splits as the class has units: train first, then validation, then test
        reach = {str(name): int(row["nunique"]) for name, row in small.iterrows()}
    else:
        reach = {}

    out = np.empty(n, dtype=object)
    if len(np.unique(units)) == n:
        _assign_random(out, labels, table, ratios, names, seed, reach)
    else:
        _assign_grouped(out, labels, units, ratios, names, seed, reach)
    return pd.Series(out, index=table.index, name="split")


def _reached_ratios(ratios: Sequence[float], k: int) -> np.ndarray:
    """The ratios of the first k splits, renormalised; zeros for the splits the class cannot reach."""
    out = np.zeros(len(ratios))
    out[:k] = np.asarray(ratios[:k], dtype=float) / float(sum(ratios[:k]))
    return out


def _class_quotas(n: int, ratios: Sequence[float], k: int, rng: np.random.Generator) -> np.ndarray:
    """class_quotas over the first k splits (k = every split for a class large enough), zeros after."""
    quota = np.zeros(len(ratios), dtype=np.int64)
    quota[:k] = class_quotas(n, _reached_ratios(ratios, k)[:k], rng)
    return quota


def _assign_random(out, labels, table, ratios, names, seed, reach) -> None:
    """Per class: seeded shuffle of the rows in NFC-relpath order, cut at the integer quotas."""
    order = nfc_order(table)
    ordered_labels = labels[order]
    for label in sorted(set(labels.tolist())):
        rows = order[ordered_labels == label]
        rng = _seed_for(seed, label)
        rows = rows[rng.permutation(len(rows))]
        quota = _class_quotas(len(rows), ratios, reach.get(label, len(names)), rng)
        bounds = np.cumsum(quota)[:-1]
        for name, part in zip(names, np.split(rows, bounds), strict=True):
            out[part] = name


def _assign_grouped(out, labels, units, ratios, names, seed, reach) -> None:
    """Greedy: units largest first (seeded order among equals) to the split most short of them."""
    classes = sorted(set(labels.tolist()))
    class_idx = pd.Series(range(len(classes)), index=classes)[labels].to_numpy()
    n_units, n_classes, n_splits = int(units.max()) + 1, len(classes), len(names)
    counts = np.zeros((n_units, n_classes), dtype=np.int64)  # photos of each class in each unit
    np.add.at(counts, (units, class_idx), 1)
    totals = counts.sum(axis=0)
    quotas = [
        _class_quotas(int(t), ratios, reach.get(c, n_splits), _seed_for(seed, c))
        for t, c in zip(totals, classes, strict=True)
    ]
    target = np.stack(quotas, axis=1).astype(float)  # (splits, classes)
    train_only = {c for c, k in reach.items() if k < 2}
    weight = 1.0 / np.maximum(target, 1.0)  # relative shortfall: one photo short of 1 weighs like 10 of 10
    filled = np.zeros((n_splits, n_classes))

    rng = np.random.default_rng(seed)
    shuffled = rng.permutation(n_units)
    sizes = counts.sum(axis=1)
    order = shuffled[np.argsort(-sizes[shuffled], kind="stable")]
    unit_split = np.zeros(n_units, dtype=np.int64)
    train_only_idx = [classes.index(c) for c in sorted(train_only)]
    for u in order:
        v = counts[u]
        nz = np.flatnonzero(v)
        if train_only_idx and np.isin(nz, train_only_idx).any():
            best = 0  # a unit holding a train-only class stays in train
        else:
            # change in sum_s,c w·(filled - target)² if the unit joins split s
            gap = filled[:, nz] - target[:, nz]
            delta = (weight[:, nz] * (2 * gap * v[nz] + v[nz] ** 2)).sum(axis=1)
            best = int(np.argmin(delta))  # ties go to the earlier split
        unit_split[u] = best
        filled[best] += v
    _hold_out_one_unit_each(unit_split, filled, counts, target, weight, order, train_only_idx)
    out[:] = np.asarray(names, dtype=object)[unit_split[units]]
    missing = [
        f"{classes[c]!r} not in {names[s]}"
        for c in range(n_classes)
        for s in range(n_splits)
        if filled[s, c] == 0 and target[s, c] > 0
    ]
    if missing:
        log.warning(
            "group-aware split could not reach every split for %d class/split pair(s) (groups too large): %s",
            len(missing),
            "; ".join(missing[:10]),
        )


def _hold_out_one_unit_each(unit_split, filled, counts, target, weight, order, train_only_idx) -> None:
    """A held-out split left empty gets the train unit that costs least to move, while train keeps 2+ units.

    The greedy keeps a large unit (a whole signer) in train rather than overshoot a small quota, so with two
    signers and 85/10/5 both would train and nothing would be held out; one signer held out is worth more.
    """
    for s in range(1, len(filled)):
        if filled[s].sum() > 0 or target[s].sum() == 0:
            continue
        movable = [
            u
            for u in order
            if unit_split[u] == 0
            and not (train_only_idx and counts[u][train_only_idx].any())
            # never take a class's last photos out of train
            and not ((filled[0] - counts[u] <= 0) & (counts[u] > 0)).any()
        ]
        if len(movable) < 1 or (unit_split == 0).sum() < 2:
            return

        # change in sum_c w·(filled - target)² over train and split s if unit u moves from train to s
        def cost(u: int, s: int = s) -> float:
            v = counts[u]
            after_train, after_s = filled[0] - v, filled[s] + v
            return float(
                (weight[0] * ((after_train - target[0]) ** 2 - (filled[0] - target[0]) ** 2)).sum()
                + (weight[s] * ((after_s - target[s]) ** 2 - (filled[s] - target[s]) ** 2)).sum()
            )

        u = min(movable, key=cost)  # ties: the earlier unit in the seeded order
        unit_split[u] = s
        filled[0] -= counts[u]
        filled[s] += counts[u]


def split_counts(
    table: pd.DataFrame, split: pd.Series, class_names: Sequence[str]
) -> dict[str, dict[str, int]]:
    """{split: {class: photos}} in split order then class order, zeros included (JSON-ready)."""
    frame = pd.DataFrame({"split": split.to_numpy(), "label": table["label"].astype(str).to_numpy()})
    present = [s for s in SPLIT_NAMES if s in set(frame["split"])]
    counts = frame.groupby(["split", "label"]).size()
    return {s: {c: int(counts.get((s, c), 0)) for c in class_names} for s in present}


# ---------------------------------------------------------------- what the split could not do, in words


def name_list(values: Sequence[str], limit: int = 6) -> str:
    shown = ", ".join(values[:limit])
    return shown + (f" and {len(values) - limit} more" if len(values) > limit else "")


def split_notes(
    table: pd.DataFrame,
    split: pd.Series,
    *,
    names: Sequence[str] = SPLIT_NAMES,
    group_col: str | None = None,
    clusters: pd.Series | None = None,
    group_word: str = "group",
) -> list[dict[str, Any]]:
    """What a split could not do and why: near-duplicates joining groups, empty splits, letters held out in
    fewer splits than asked. Empty when the split is everything it was asked to be.

    Each note is JSON-ready: {"kind", "text" (a plain English sentence), and the facts behind it} so a UI can
    say it in another language: "near_duplicates" (who, pairs, n), "nothing_held_out" / "missing_splits"
    (splits, reason "groups" | "joined" | "few", n_groups), "train_only" (letters, reason "group" | "few").
    group_word: what a group is to the user ("signer"), used in the English sentences.
    """
    notes: list[dict[str, Any]] = []
    relpaths = table["relpath" if "relpath" in table.columns else "path"].astype(str).to_numpy()
    groups = (
        table[group_col].fillna("").astype(str).to_numpy()
        if group_col is not None and group_col in table.columns
        else None
    )
    if groups is not None and clusters is not None:
        notes += _near_duplicate_notes(relpaths, groups, clusters, group_word)
    present = set(split.astype(str).tolist())
    empty = [name for name in names[1:] if name not in present]
    if empty:
        notes.append(_empty_split_note(empty, len(names), groups, group_word, joined=bool(notes)))
    labels = table["label"].astype(str).to_numpy()
    frame = pd.DataFrame({"label": labels, "split": split.astype(str).to_numpy()})
    where = frame.groupby("label")["split"].agg(lambda v: frozenset(v))
    only_train = sorted(str(c) for c, splits in where.items() if splits == {names[0]})
    if only_train and len(present) > 1:
        reason = "group" if groups is not None else "few"
        why = f"each of them comes from one {group_word}" if groups is not None else "too few photos"
        notes.append(
            {
                "kind": "train_only",
                "letters": only_train,
                "reason": reason,
                "text": f"Only in train, not held out: {name_list(only_train, 12)} ({why}).",
            }
        )
    return notes


def _near_duplicate_notes(
    relpaths: np.ndarray, groups: np.ndarray, clusters: pd.Series, group_word: str
) -> list[dict[str, Any]]:
    """One note per set of groups that near-duplicate clusters join into one unit, naming the photos."""
    notes: list[dict[str, Any]] = []
    ids = pd.Series(clusters).fillna("").astype(str).to_numpy()
    joined: dict[tuple[str, ...], list[str]] = {}
    for cid in sorted(set(ids.tolist()) - {""}):
        rows = np.flatnonzero(ids == cid)
        members = tuple(sorted({g for g in groups[rows].tolist() if g}))
        if len(members) > 1:
            joined.setdefault(members, []).append(" ≈ ".join(sorted(relpaths[rows].tolist())))
    for members, pairs in joined.items():
        who = " and ".join([", ".join(members[:-1]), members[-1]])
        notes.append(
            {
                "kind": "near_duplicates",
                "who": list(members),
                "pairs": pairs,
                "n": len(pairs),
                "text": f"These photos of {who} are near-duplicates (they look alike pixel for pixel), so "
                f"these {group_word}s count as one and stay in one split: {name_list(pairs, 4)}. Record each "
                f"{group_word} with their own camera and hands to hold one out.",
            }
        )
    return notes


def _empty_split_note(
    empty: list[str], n_names: int, groups: np.ndarray | None, group_word: str, *, joined: bool
) -> dict[str, Any]:
    """The note for splits left empty: why (too few groups or photos, or groups joined by near-duplicates)."""
    n_groups = len(set(groups.tolist()) - {""}) if groups is not None else 0
    reason = "groups" if n_groups else "few"
    why = (
        f"there {'is' if n_groups == 1 else 'are'} only {n_groups} {group_word}{'s' if n_groups != 1 else ''} "
        f"and a {group_word} is never split"
        if n_groups
        else "there are too few photos"
    )
    if joined:  # near-duplicates made one unit of the groups: that, not their number, is the reason
        reason, why = "joined", f"near-duplicates join the {group_word}s into one"
    facts = {"splits": empty, "reason": reason, "n_groups": n_groups}
    if len(empty) == n_names - 1:
        return {
            "kind": "nothing_held_out",
            **facts,
            "text": f"Nothing is held out ({' or '.join(empty)}): {why}, so the model can only be "
            "judged on photos it trained on.",
        }
    return {"kind": "missing_splits", **facts, "text": f"No {' or '.join(empty)} split: {why}."}
