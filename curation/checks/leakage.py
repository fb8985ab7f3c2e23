"""Leakage: the same picture (or the same signer, session, source) on both sides of a split.

A near-duplicate in train and test lets a model score by memory, not by reading the hand;
a group (signer, session) in both measures nothing about new signers. Needs a `split`
column; clusters come from the scan's hashes (`phash`) or, for a manifest read back from a
split directory, from its `cluster` column; groups from the `group` column.

Clips: a clip has no image hash, so leakage reaches it through its group (the signer) and its source:
clips made from one video (or, for the demo's synthetic clips, from one photo, which is in the table
too) are one take seen several ways, and those found in more than one split are flagged "source-leak"
(needs the scan's `clip_source`; a split keeps them together, `curation.splitting.source_units`).
"""

from __future__ import annotations

import pandas as pd

from curation.checks import CheckResult, register
from curation.checks.duplicates import DEFAULT_NEAR_DUP_THRESHOLD, near_duplicate_clusters
from curation.splitting import source_units

_COLUMNS = ["path", "flag", "score", "split", "kind", "unit", "other_splits", "detail"]


def _crossing(table: pd.DataFrame, units: pd.Series, kind: str, flag: str) -> list[dict]:
    """One issue row per photo of a unit (cluster or group) found in more than one split."""
    names = (table["relpath"] if "relpath" in table.columns else table["path"]).astype(str)
    frame = pd.DataFrame({"unit": units.astype(str), "split": table["split"].astype(str), "name": names})
    frame = frame[units.notna() & frame["unit"].ne("")]
    n_splits = frame.groupby("unit")["split"].nunique()
    leaking = n_splits.index[n_splits > 1]
    rows = []
    for unit, members in frame[frame["unit"].isin(leaking)].groupby("unit", sort=True):
        splits = sorted(set(members["split"]))
        for index, row in members.sort_values("name").iterrows():
            others = [s for s in splits if s != row["split"]]
            elsewhere = members.loc[members["split"] != row["split"], "name"].sort_values().tolist()
            detail = (
                f"{kind} {unit} ({len(members)} samples) is also in {', '.join(others)}: "
                + ", ".join(elsewhere[:3])
                + (f" (+{len(elsewhere) - 3} more)" if len(elsewhere) > 3 else "")
            )
            rows.append(
                {
                    "path": table.at[index, "path"],
                    "flag": flag,
                    "score": 1.0,
                    "split": row["split"],
                    "kind": kind,
                    "unit": unit,
                    "other_splits": ", ".join(others),
                    "detail": detail,
                }
            )
    return rows


@register("leakage")
def check_leakage(
    table: pd.DataFrame, near_dup_threshold: int = DEFAULT_NEAR_DUP_THRESHOLD, **_: object
) -> CheckResult:
    """Flag every photo of a duplicate cluster or a group that appears in more than one split.

    flag "duplicate-leak" (exact or near-duplicate cluster, pHash within `near_dup_threshold` bits) or
    "group-leak" (same `group` value); score 1 (a leak always inflates the test figures).
    """
    if "split" not in table.columns:
        return CheckResult(
            "leakage",
            "skipped: no split column (nothing to leak between)",
            pd.DataFrame(columns=_COLUMNS),
            {"skipped": True},
        )
    rows: list[dict] = []
    stats: dict[str, object] = {
        "near_dup_threshold": near_dup_threshold,
        "splits": sorted(set(table["split"].astype(str))),
    }
    if "phash" in table.columns:
        clusters = near_duplicate_clusters(table, near_dup_threshold)
        cluster_source = "phash"
    elif "cluster" in table.columns:
        clusters = table["cluster"].fillna("").astype(str)
        cluster_source = "cluster column"
    else:
        clusters, cluster_source = None, None
    stats["cluster_source"] = cluster_source
    if clusters is not None:
        cluster_rows = _crossing(table, clusters, "cluster", "duplicate-leak")
        rows += cluster_rows
        stats["leaking_clusters"] = len({r["unit"] for r in cluster_rows})
    sources = source_units(table)
    if (sources != "").any():
        source_rows = _crossing(table, sources.str.removeprefix("source:"), "source", "source-leak")
        rows += source_rows
        stats["leaking_sources"] = len({r["unit"] for r in source_rows})
    if "group" in table.columns:
        group_rows = _crossing(table, table["group"].fillna("").astype(str), "group", "group-leak")
        rows += group_rows
        stats["leaking_groups"] = len({r["unit"] for r in group_rows})
    issues = pd.DataFrame(rows, columns=_COLUMNS)
    stats["photos_flagged"] = int(issues["path"].nunique())
    if clusters is None and "group" not in table.columns:
        summary = "skipped: no hashes, clusters or groups to compare across splits"
        stats["skipped"] = True
    elif not rows:
        summary = f"no duplicate cluster or group crosses splits ({', '.join(stats['splits'])})"
    else:
        parts = []
        if stats.get("leaking_clusters"):
            parts.append(f"{stats['leaking_clusters']} duplicate cluster(s)")
        if stats.get("leaking_groups"):
            parts.append(f"{stats['leaking_groups']} group(s)")
        if stats.get("leaking_sources"):
            parts.append(f"{stats['leaking_sources']} clip source(s)")
        summary = f"{' and '.join(parts)} cross splits ({stats['photos_flagged']} photos)"
    return CheckResult("leakage", summary, issues, stats)
