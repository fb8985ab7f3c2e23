"""Split logic on hand-built tables: proportions, determinism, groups and clusters, small classes."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest

from curation.splitting import (
    SplitError,
    assign_splits,
    class_quotas,
    group_from_pattern,
    parse_ratios,
    split_method,
    split_notes,
    split_units,
)


def photos(counts: dict[str, int], groups: int = 0) -> pd.DataFrame:
    """One row per photo, relpath "<class>/<signer>_<i>.jpg"; signers cycle over `groups` when > 0."""
    rows = []
    for label, n in counts.items():
        for i in range(n):
            signer = f"s{i % groups}" if groups else f"p{i}"
            rows.append(
                {
                    "path": f"/data/{label}/{signer}_{i}.jpg",
                    "relpath": f"{label}/{signer}_{i}.jpg",
                    "label": label,
                    "group": signer if groups else "",
                }
            )
    return pd.DataFrame(rows)


def crossing(units: pd.Series, split: pd.Series) -> list[str]:
    """Units (non-empty) found in more than one split."""
    frame = pd.DataFrame({"unit": units.astype(str).to_numpy(), "split": split.to_numpy()})
    frame = frame[frame["unit"] != ""]
    n = frame.groupby("unit")["split"].nunique()
    return sorted(n.index[n > 1])


@pytest.mark.parametrize("text", ["85,10,5", "0.85,0.1,0.05", "85/10/5", "85 10 5", "85%,10%,5%"])
def test_parse_ratios_forms(text: str) -> None:
    assert parse_ratios(text) == pytest.approx((0.85, 0.10, 0.05))


def test_parse_ratios_rejects_bad_input() -> None:
    assert parse_ratios("80/20") == pytest.approx((0.8, 0.2))
    for bad, match in [
        ("85,10", "sum to"),
        ("a,b,c", "cannot read"),
        ("50,20,20,10", "2 parts"),
        ("100,0,0", "> 0"),
        ("1", "2 parts"),
    ]:
        with pytest.raises(SplitError, match=match):
            parse_ratios(bad)
    assert issubclass(SplitError, ValueError)  # the CLI turns it into one line, exit 2


def test_quotas_sum_round_and_give_every_split_one() -> None:
    for n in range(3, 200):
        q = class_quotas(n, (0.85, 0.10, 0.05))
        assert q.sum() == n and (q >= 1).all()
        if n >= 20:  # below that the one-per-split minimum outweighs the ratios (4 -> 2/1/1)
            assert (np.abs(q - np.array([0.85, 0.10, 0.05]) * n) <= 1 + 1e-9).all()
    assert class_quotas(4, (0.85, 0.10, 0.05)).tolist() == [2, 1, 1]


@pytest.mark.parametrize("ratios", [(0.85, 0.10, 0.05), (0.7, 0.15, 0.15), (0.8, 0.2)])
def test_proportions_per_class_within_one_photo(ratios: tuple[float, ...]) -> None:
    counts = {"А": 20, "Б": 47, "В": 100, "Г": 233, "Ґ": 61}
    table = photos(counts)
    split = assign_splits(table, ratios=ratios, seed=1)
    names = ("train", "validation", "test")[: len(ratios)]
    assert set(split) == set(names)
    got = pd.crosstab(table["label"], split)
    for label, n in counts.items():
        for name, r in zip(names, ratios, strict=True):
            assert abs(got.at[label, name] - r * n) <= 1, (label, name, got.at[label, name], r * n)


def test_same_seed_same_split_other_seed_differs_row_order_irrelevant() -> None:
    table = photos({"A": 40, "B": 40, "C": 40})
    a = assign_splits(table, seed=7)
    assert a.equals(assign_splits(table, seed=7))
    assert not a.equals(assign_splits(table, seed=8))
    shuffled = table.sample(frac=1.0, random_state=0)
    b = assign_splits(shuffled, seed=7)
    assert b.sort_index().equals(a)  # decided by relpath, not by where a row happens to be


def test_adding_photos_to_one_class_keeps_the_others() -> None:
    before = photos({"A": 30, "B": 30})
    after = photos({"A": 30, "B": 45})
    a = assign_splits(before, seed=0)
    b = assign_splits(after, seed=0)
    in_a = before["label"] == "A"
    assert a[in_a].tolist() == b[after["label"] == "A"].tolist()


def test_groups_never_cross_and_proportions_stay_close() -> None:
    table = photos({c: 60 for c in "ABCDE"}, groups=20)  # 20 signers, each shows every letter
    split = assign_splits(table, ratios=(0.7, 0.15, 0.15), seed=0, group_col="group")
    assert crossing(table["group"], split) == []
    share = split.value_counts(normalize=True)
    assert share["train"] == pytest.approx(0.7, abs=0.06) and share["test"] == pytest.approx(0.15, abs=0.06)
    assert (pd.crosstab(table["label"], split) > 0).all().all()  # every letter in every split
    assert split_method(table, "group") == "group-aware"


def test_clusters_and_groups_merge_into_units() -> None:
    table = photos({"A": 30, "B": 30}, groups=0)
    table.loc[:4, "group"] = "anna"  # A/p0..p4 one signer
    clusters = pd.Series(np.arange(len(table)), index=table.index)
    clusters[[4, 5]] = 1000  # a near-duplicate joining anna's A/p4 to A/p5 ...
    clusters[[30, 31, 32]] = 2000  # ... and a cluster of three B photos
    units = split_units(table, "group", clusters)
    assert len(set(units[[0, 1, 2, 3, 4, 5]])) == 1 and len(set(units[[30, 31, 32]])) == 1
    for seed in range(5):
        split = assign_splits(table, seed=seed, group_col="group", clusters=clusters)
        assert split[[0, 1, 2, 3, 4, 5]].nunique() == 1
        assert split[[30, 31, 32]].nunique() == 1
        assert crossing(clusters, split) == [] and crossing(table["group"], split) == []
    assert split_method(table) == "random"
    assert split_method(table, clusters=clusters) == "group-aware"


def test_singleton_clusters_behave_like_random() -> None:
    table = photos({"A": 33, "B": 21})
    clusters = pd.Series(np.arange(len(table)), index=table.index)
    assert assign_splits(table, seed=3, clusters=clusters).equals(assign_splits(table, seed=3))


def test_tiny_class_is_named_in_a_split_error() -> None:
    table = photos({"А": 30, "Ї": 2, "Б": 1})
    with pytest.raises(SplitError) as info:
        assign_splits(table)
    message = str(info.value)
    assert "'Ї' (2 photos)" in message and "'Б' (1 photo)" in message and "'А'" not in message
    assert "--small-classes train" in message


def test_tiny_class_can_go_to_train_only(caplog: pytest.LogCaptureFixture) -> None:
    table = photos({"А": 30, "Ї": 2, "Б": 1})
    with caplog.at_level(logging.WARNING, logger="curation.splitting"):
        split = assign_splits(table, small_classes="train")
    assert set(split[table["label"] == "Б"]) == {"train"}
    assert sorted(split[table["label"] == "Ї"]) == ["train", "validation"]  # held out as far as it goes
    assert set(split[table["label"] == "А"]) == {"train", "validation", "test"}
    assert "Ї" in caplog.text
    notes = texts(split_notes(table, split))
    assert notes == ["Only in train, not held out: Б (too few photos)."]


def texts(notes: list[dict]) -> list[str]:
    return [n["text"] for n in notes]


def signers(names: list[str], letters: str = "ABCLVY", each: int = 5) -> pd.DataFrame:
    rows = [
        {"relpath": f"{c}/{g}_{i}.jpg", "label": c, "group": g}
        for g in names
        for c in letters
        for i in range(each)
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("ratios", [(0.85, 0.10, 0.05), (0.5, 0.5), (0.8, 0.1, 0.1)])
def test_two_signers_give_a_held_out_signer(ratios: tuple[float, ...]) -> None:
    table = signers(["anna", "bohdan"])
    split = assign_splits(table, ratios=ratios, group_col="group", small_classes="train")
    per_signer = pd.crosstab(table["group"], split)
    assert list(per_signer.columns) == ["train", "validation"]  # one signer each, whole
    assert sorted((per_signer > 0).sum(axis=1)) == [1, 1]
    notes = texts(
        split_notes(
            table,
            split,
            names=("train", "validation", "test")[: len(ratios)],
            group_col="group",
            group_word="signer",
        )
    )
    assert notes == (
        ["No test split: there are only 2 signers and a signer is never split."] if len(ratios) == 3 else []
    )


def test_three_signers_fill_every_split() -> None:
    table = signers(["anna", "bohdan", "olena"])
    split = assign_splits(table, group_col="group", small_classes="train")
    assert sorted(set(split)) == ["test", "train", "validation"]
    assert (pd.crosstab(table["group"], split) > 0).sum(axis=1).max() == 1


def test_near_duplicates_joining_signers_are_named() -> None:
    table = signers(["anna", "bohdan"], letters="AB", each=2)
    # the same two photos per letter from both "signers" (one fake camera shown to both)
    clusters = pd.Series([f"{r.label}{r.relpath[-5]}" for r in table.itertuples()])
    split = assign_splits(
        table, ratios=(0.5, 0.5), group_col="group", clusters=clusters, small_classes="train"
    )
    assert set(split) == {"train"}
    notes = texts(
        split_notes(
            table,
            split,
            names=("train", "validation"),
            group_col="group",
            clusters=clusters,
            group_word="signer",
        )
    )
    assert len(notes) == 2
    assert notes[0].startswith("These photos of anna and bohdan are near-duplicates")
    assert "A/anna_0.jpg ≈ A/bohdan_0.jpg" in notes[0] and "too small" not in " ".join(notes)
    assert notes[1].startswith("Nothing is held out (validation): near-duplicates join the signers into one")


def test_class_in_too_few_groups_is_named() -> None:
    table = photos({"A": 30, "B": 30}, groups=10)
    table.loc[table["label"] == "B", "group"] = ["g1", "g2"] * 15  # B: 30 photos but only 2 signers
    with pytest.raises(SplitError, match=r"'B' \(30 photos in 2 groups/clusters\)"):
        assign_splits(table, group_col="group")


def test_group_from_pattern() -> None:
    relpaths = pd.Series(["A/anna_01.jpg", "A/boris_2.png", "Б/anna_x.jpg"], index=[5, 6, 7])
    groups = group_from_pattern(relpaths, r"^[^/]+/(\w+?)_")
    assert groups.tolist() == ["anna", "boris", "anna"] and groups.index.tolist() == [5, 6, 7]
    assert group_from_pattern(relpaths, r"/(?P<group>[a-z]+)_(?P<n>\w+)\.").tolist() == [
        "anna",
        "boris",
        "anna",
    ]
    with pytest.raises(ValueError, match=r"no group for 1 of 4 files: B/nounderscore\.jpg"):
        group_from_pattern([*relpaths, "B/nounderscore.jpg"], r"^[^/]+/(\w+?)_")
    with pytest.raises(ValueError, match="not a valid regular expression"):
        group_from_pattern(relpaths, r"(unclosed")
    with pytest.raises(ValueError, match="exactly one capture group"):
        group_from_pattern(relpaths, r"^[^/]+/\w+_")
