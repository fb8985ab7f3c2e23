"""Exact and near-duplicate detection on tiny seeded photos with planted copies."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PIL import Image

import curation.checks.duplicates as dup
from curation.checks import CHECKS
from curation.checks.duplicates import check_duplicates, fingerprint, near_duplicate_clusters, near_pairs
from curation.images import inspect_image


def smooth_photo(seed: int, size: int = 64) -> Image.Image:
    """A smooth seeded picture: resizing it moves its pHash by 0-2 bits, other seeds are ~30 bits away."""
    rng = np.random.default_rng(seed)
    cells = rng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8)
    return Image.fromarray(cells).resize((size, size), Image.Resampling.BICUBIC)


def table_of(files: dict[str, str], root: Path) -> pd.DataFrame:
    """The scan's view of `files` (relpath -> label): hashes from one decode of each file, as the scan does."""
    rows = []
    for relpath, label in files.items():
        probe = inspect_image(root / relpath, max_side=256)
        rows.append(
            {
                "path": str(root / relpath),
                "relpath": relpath,
                "label": label,
                "error": probe.error or "",
                **(fingerprint(probe.image) if probe.ok else {"pixel_hash": "", "phash": ""}),
            }
        )
    return pd.DataFrame(rows)


@pytest.fixture
def planted(tmp_path: Path) -> pd.DataFrame:
    """A/a.png + its lossless copy A/a_copy.bmp, B/b.png + B/b_small.png (resized), 4 distinct photos, 1 broken."""
    (tmp_path / "A").mkdir()
    (tmp_path / "B").mkdir()
    smooth_photo(1).save(tmp_path / "A/a.png")
    smooth_photo(1).save(tmp_path / "A/a_copy.bmp")  # same pixels, other name and format
    smooth_photo(2).save(tmp_path / "B/b.png")
    smooth_photo(2).resize((48, 48), Image.Resampling.LANCZOS).save(tmp_path / "B/b_small.png")
    for i in range(4):
        smooth_photo(10 + i).save(tmp_path / f"{'AB'[i % 2]}/other{i}.png")
    (tmp_path / "A/broken.png").write_bytes(b"not a png")
    files = {"A/a.png": "A", "A/a_copy.bmp": "A", "B/b.png": "B", "B/b_small.png": "B", "A/broken.png": "A"}
    files.update({f"{'AB'[i % 2]}/other{i}.png": "AB"[i % 2] for i in range(4)})
    return table_of(files, tmp_path)


def test_fingerprint_shape_and_pixel_identity(tmp_path: Path) -> None:
    image = smooth_photo(3)
    fp = fingerprint(image)
    assert set(fp) == {"pixel_hash", "phash"}
    assert len(fp["phash"]) == 16 and int(fp["phash"], 16) >= 0
    image.save(tmp_path / "x.png")
    image.save(tmp_path / "x.webp", lossless=True)
    assert fingerprint(Image.open(tmp_path / "x.png")) == fp  # decoded pixels, not file bytes
    assert fingerprint(Image.open(tmp_path / "x.webp")) == fp
    changed = image.copy()
    changed.putpixel((0, 0), (0, 0, 1) if image.getpixel((0, 0)) != (0, 0, 1) else (0, 0, 2))
    assert fingerprint(changed)["pixel_hash"] != fp["pixel_hash"]
    assert (
        fingerprint(image.crop((0, 0, 64, 32)))["pixel_hash"]
        != fingerprint(image.crop((0, 0, 32, 64)))["pixel_hash"]
    )


def test_planted_duplicates_found_exactly(planted: pd.DataFrame) -> None:
    result = check_duplicates(planted)
    issues = result.issues.assign(relpath=lambda d: d["path"].map(lambda p: "/".join(Path(p).parts[-2:])))
    flagged = dict(zip(issues["relpath"], issues["flag"], strict=True))
    assert flagged == {
        "A/a.png": "exact-duplicate",
        "A/a_copy.bmp": "exact-duplicate",
        "B/b.png": "near-duplicate",
        "B/b_small.png": "near-duplicate",
    }
    exact = issues[issues["flag"] == "exact-duplicate"]
    assert exact["cluster"].nunique() == 1 and (exact["score"] == 1.0).all()
    assert "A/a_copy.bmp" in exact.set_index("relpath").at["A/a.png", "detail"]
    near = issues[issues["flag"] == "near-duplicate"]
    assert near["cluster"].nunique() == 1 and near["cluster"].iloc[0] != exact["cluster"].iloc[0]
    assert (near["distance"] <= dup.DEFAULT_NEAR_DUP_THRESHOLD).all() and (near["score"] > 0.5).all()
    assert not issues["mixed_labels"].any()
    assert result.stats["exact_clusters"] == 1 and result.stats["exact_redundant_files"] == 1
    assert result.stats["clusters"] == 2 and result.stats["photos_in_clusters"] == 4
    assert "2 duplicate clusters" in result.summary


def test_distinct_photos_give_no_issues(tmp_path: Path) -> None:
    for i in range(12):
        smooth_photo(100 + i).save(tmp_path / f"p{i}.png")
    table = table_of({f"p{i}.png": "A" for i in range(12)}, tmp_path)
    result = check_duplicates(table)
    assert result.n_issues == 0
    assert result.summary.startswith("no exact or near-duplicates")
    assert near_duplicate_clusters(table).nunique() == 12


def test_cluster_mixing_labels_is_flagged(planted: pd.DataFrame) -> None:
    table = planted.copy()
    table.loc[table["relpath"] == "A/a_copy.bmp", "label"] = "B"  # the same photo filed under two letters
    result = check_duplicates(table)
    mixed = result.issues[result.issues["mixed_labels"]]
    assert sorted(mixed["path"].map(lambda p: Path(p).name)) == ["a.png", "a_copy.bmp"]
    assert (mixed["score"] == 1.0).all()
    assert mixed["detail"].str.contains("labels A, B").all()
    assert result.stats["mixed_label_clusters"] == 1 and "mix labels" in result.summary


def test_clusters_ignore_row_order_and_errors(planted: pd.DataFrame) -> None:
    ids = near_duplicate_clusters(planted)
    shuffled = planted.sample(frac=1.0, random_state=3)
    assert near_duplicate_clusters(shuffled).sort_index().equals(ids)
    by_name = dict(zip(planted["relpath"], ids, strict=True))
    assert by_name["A/a.png"] == by_name["A/a_copy.bmp"]
    assert by_name["B/b.png"] == by_name["B/b_small.png"]
    assert ids.nunique() == len(planted) - 2  # two pairs merged; the broken file is a singleton
    assert (ids.value_counts() <= 2).all()


def test_threshold_is_an_option(planted: pd.DataFrame) -> None:
    table = planted.copy()
    small = table["relpath"] == "B/b_small.png"
    flipped = int(table.loc[small, "phash"].iloc[0], 16) ^ 0b111111  # move the near copy 6 bits further
    table.loc[small, "phash"] = f"{flipped:016x}"
    distance = int(
        check_duplicates(table, near_dup_threshold=16)
        .issues.query("flag == 'near-duplicate'")["distance"]
        .max()
    )
    assert distance > 4
    assert "B/b_small.png" not in set(
        check_duplicates(table, near_dup_threshold=distance - 1)
        .issues["path"]
        .map(lambda p: "/".join(Path(p).parts[-2:]))
    )
    with pytest.raises(ValueError, match="0..64"):
        check_duplicates(table, near_dup_threshold=-1)


def test_near_pairs_matches_brute_force_across_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(0)
    hashes = rng.integers(0, 2**63, size=300, dtype=np.int64).astype(np.uint64)
    hashes[50] = hashes[7] ^ np.uint64(0b1011)  # 3 bits apart
    hashes[299] = hashes[0] ^ np.uint64(1 << 63)  # 1 bit apart, across the last block
    monkeypatch.setattr(dup, "_BLOCK_ELEMENTS", 1000)  # ~3 rows per block: many block boundaries
    i, j, d = near_pairs(hashes, 8)
    bits = np.array([[bin(int(a) ^ int(b)).count("1") for b in hashes] for a in hashes])
    bi, bj = np.nonzero(np.triu(bits <= 8, k=1))
    assert sorted(zip(i.tolist(), j.tolist(), strict=True)) == sorted(
        zip(bi.tolist(), bj.tolist(), strict=True)
    )
    assert {(0, 299), (7, 50)} <= set(zip(i.tolist(), j.tolist(), strict=True))
    assert (d == bits[i, j]).all()


def test_without_hashes_the_check_is_skipped() -> None:
    table = pd.DataFrame({"path": ["/x/a.png"], "relpath": ["a.png"], "label": ["A"]})
    result = check_duplicates(table)
    assert result.stats["skipped"] and result.n_issues == 0
    assert CHECKS["duplicates"] is check_duplicates
