"""Leakage: duplicate clusters and groups found on both sides of a split, on hand-built tables."""

from __future__ import annotations

import pandas as pd

from curation.checks import CHECKS
from curation.checks.leakage import check_leakage

FAR = ["00000000ffffffff", "ffffffff00000000", "0f0f0f0f0f0f0f0f", "f0f0f0f0f0f0f0f0", "3333333333333333"]


def table(rows: list[tuple[str, str, str, str]]) -> pd.DataFrame:
    """(relpath, split, phash, group) rows; labels from the folder."""
    return pd.DataFrame(
        [
            {
                "path": f"/data/{r}",
                "relpath": r,
                "label": r.split("/")[0],
                "split": s,
                "phash": h,
                "pixel_hash": h,
                "group": g,
            }
            for r, s, h, g in rows
        ]
    )


def test_leaks_are_flagged_exactly() -> None:
    t = table(
        [
            ("A/1.jpg", "train", "0000000000000000", "anna"),
            ("A/2.jpg", "test", "0000000000000003", "anna"),  # 2 bits from A/1, other split: leak
            ("A/3.jpg", "train", FAR[0], "boris"),
            ("A/4.jpg", "train", FAR[1], "boris"),  # group in one split: fine
            ("B/1.jpg", "validation", FAR[2], "carla"),
            ("B/2.jpg", "test", FAR[3], "carla"),  # group across splits: leak
            ("B/3.jpg", "train", FAR[4], ""),  # no group: never a group leak
            ("B/4.jpg", "train", "0000000000000000", "dmytro"),  # exact copy of A/1, same split as A/1
        ]
    )
    result = check_leakage(t)
    got = sorted(zip(result.issues["path"].str.removeprefix("/data/"), result.issues["flag"], strict=True))
    assert got == [
        ("A/1.jpg", "duplicate-leak"),
        ("A/1.jpg", "group-leak"),
        ("A/2.jpg", "duplicate-leak"),
        ("A/2.jpg", "group-leak"),
        ("B/1.jpg", "group-leak"),
        ("B/2.jpg", "group-leak"),
        ("B/4.jpg", "duplicate-leak"),
    ]
    issues = result.issues.set_index(["path", "flag"])
    assert issues.loc[("/data/A/2.jpg", "duplicate-leak"), "other_splits"] == "train"
    assert issues.loc[("/data/B/4.jpg", "duplicate-leak"), "split"] == "train"
    assert issues.loc[("/data/B/4.jpg", "duplicate-leak"), "other_splits"] == "test"
    assert "A/2.jpg" in issues.loc[("/data/B/4.jpg", "duplicate-leak"), "detail"]
    assert issues.loc[("/data/B/1.jpg", "group-leak"), "unit"] == "carla"
    assert (result.issues["score"] == 1.0).all()
    assert result.stats["leaking_clusters"] == 1 and result.stats["leaking_groups"] == 2
    assert result.stats["photos_flagged"] == 5
    assert "cross splits" in result.summary


def test_clean_split_has_no_issues() -> None:
    t = table(
        [
            ("A/1.jpg", "train", "0000000000000000", "anna"),
            ("A/2.jpg", "train", "0000000000000003", "anna"),
            ("B/1.jpg", "test", FAR[0], "boris"),
        ]
    )
    result = check_leakage(t)
    assert result.n_issues == 0 and result.summary.startswith("no duplicate cluster or group crosses")


def test_threshold_option_decides_what_is_a_duplicate() -> None:
    t = table(
        [("A/1.jpg", "train", "0000000000000000", ""), ("A/2.jpg", "test", "000000000000003f", "")]
    )  # 6 bits
    assert check_leakage(t, near_dup_threshold=8).n_issues == 2
    assert check_leakage(t, near_dup_threshold=4).n_issues == 0


def test_manifest_cluster_column_is_used_without_hashes() -> None:
    t = table([("A/1.jpg", "train", "", ""), ("A/2.jpg", "test", "", ""), ("A/3.jpg", "test", "", "")])
    t = t.drop(columns=["phash", "pixel_hash"]).assign(cluster=["7", "7", ""])  # as in manifest.csv
    result = check_leakage(t)
    assert sorted(result.issues["path"]) == ["/data/A/1.jpg", "/data/A/2.jpg"]
    assert result.stats["cluster_source"] == "cluster column"


def test_without_split_column_nothing_to_check() -> None:
    t = table([("A/1.jpg", "train", "0000000000000000", "")]).drop(columns=["split"])
    result = check_leakage(t)
    assert result.stats["skipped"] and result.n_issues == 0
    assert CHECKS["leakage"] is check_leakage
