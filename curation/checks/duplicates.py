"""Exact and near-duplicate photos, grouped into clusters.

Two fingerprints per photo, computed once in the scan pass by `fingerprint`:
- `pixel_hash`: SHA-1 of the decoded RGB pixels and their size, so the same picture saved
  under another name or in another lossless format is an exact duplicate (file bytes differ);
- `phash`: imagehash's 64-bit DCT perceptual hash, robust to resizing and re-compression.

Near-duplicates are pairs whose pHashes differ in at most `threshold` bits. All pairs are
found exactly (no approximate index): the distinct hash values are compared block by
block with a vectorized XOR + popcount (`numpy.bitwise_count`), n²/2 comparisons that
numpy runs at a few ns each (46,000 photos: ~1e9 comparisons, ~4 s on 2 shared cores).
A multi-index (pigeonhole over threshold+1 chunks) was not used: with 8 bits allowed the
chunks are only 7 bits wide, so its buckets hold n/128 photos and it saves little.
Pairs are joined into clusters (connected components), which `curation.splitting` keeps
inside one split.
"""

from __future__ import annotations

import hashlib
import logging

import imagehash
import numpy as np
import pandas as pd
from PIL import Image
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from curation.checks import CheckResult, register
from curation.clips import is_clip_path
from curation.splitting import nfc_order

log = logging.getLogger(__name__)

# Default pHash distance (bits of 64) for "near-duplicate". pHash splits the 8×8 DCT at its
# median, so every hash has 32 ones and distances are even. On the ASL sample (one signer,
# shared backgrounds) unrelated photos are ~31 bits apart; pairs at ≤ 6 bits were all
# burst frames of one letter, at 8 bits 1 pair of 48 crossed letters (D0/U9: same pose and
# room), at 10 bits 3 of 19, at 12 bits 17 of 45. 8 keeps burst/video frames and re-encodes
# together (what leaks between splits) while staying clear of merely similar photos.
DEFAULT_NEAR_DUP_THRESHOLD = 8
_BLOCK_ELEMENTS = 1 << 22  # pairwise block size (4M uint64 = 32 MB scratch), bounded memory at any n


def fingerprint(image: Image.Image) -> dict[str, str]:
    """{"pixel_hash": hex of the RGB pixels + size, "phash": 16-hex-digit imagehash.phash} (~0.7 ms at 256 px)."""
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    digest = hashlib.sha1(usedforsecurity=False)  # fastest hashlib digest here (SHA-NI); not for security
    digest.update(f"{rgb.width}x{rgb.height};".encode())
    digest.update(rgb.tobytes())
    return {"pixel_hash": digest.hexdigest(), "phash": str(imagehash.phash(rgb))}


def phash_to_uint64(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(uint64 hashes, valid mask): empty, missing or malformed hex strings are invalid."""
    out = np.zeros(len(values), dtype=np.uint64)
    valid = np.zeros(len(values), dtype=bool)
    for i, text in enumerate(values.tolist()):
        if isinstance(text, str) and len(text) == 16:
            try:
                out[i] = int(text, 16)
                valid[i] = True
            except ValueError:
                pass
    return out, valid


def near_pairs(hashes: np.ndarray, threshold: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All index pairs i < j of `hashes` (uint64) within `threshold` bits: (i, j, distance).

    Exact and vectorized: each block of rows is XOR-ed against every later hash and
    popcounted in numpy, so memory stays at `_BLOCK_ELEMENTS` whatever the size.
    """
    if not 0 <= threshold <= 64:
        raise ValueError(f"near-duplicate threshold must be 0..64 bits, got {threshold}")
    hashes = np.ascontiguousarray(hashes, dtype=np.uint64)
    n = len(hashes)
    found_i, found_j, found_d = [], [], []
    block = max(1, _BLOCK_ELEMENTS // max(n, 1))
    xor = np.empty((min(block, n), n), dtype=np.uint64)  # scratch reused by every block
    bits = np.empty(xor.shape, dtype=np.uint8)
    close = np.empty(xor.shape, dtype=bool)
    for start in range(0, n, block):
        rows = hashes[start : start + block]
        b, width = len(rows), n - start
        x, d, c = xor[:b, :width], bits[:b, :width], close[:b, :width]
        np.bitwise_xor(rows[:, None], hashes[None, start:], out=x)
        np.bitwise_count(x, out=d)  # Hamming distance of row start+i to hash start+j
        np.less_equal(d, threshold, out=c)
        flat = np.flatnonzero(c)  # ~20x faster than 2-D nonzero on a mostly-False block
        ii, jj = np.divmod(flat, width)
        keep = jj > ii  # column jj is hash start + jj: keep only later partners
        ii, jj = ii[keep], jj[keep]
        found_i.append(ii + start)
        found_j.append(jj + start)
        found_d.append(d[ii, jj])
    if not found_i:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.uint8)
    return np.concatenate(found_i), np.concatenate(found_j), np.concatenate(found_d)


def _components(table: pd.DataFrame, threshold: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cluster id, nearest partner's distance, nearest partner's row) per row position.

    Cluster ids are numbered by each cluster's first photo in relpath order, so they do not
    depend on the row order of `table`. Rows without a valid phash are singletons; rows with
    no partner within `threshold` have distance and partner -1.
    """
    n = len(table)
    if "phash" in table.columns:
        hashes, valid = phash_to_uint64(table["phash"])
    else:
        hashes, valid = np.zeros(n, np.uint64), np.zeros(n, bool)
    if "error" in table.columns:
        valid &= table["error"].fillna("").astype(str).eq("").to_numpy()
    order = nfc_order(table)
    node = np.arange(n, dtype=np.int64)  # every row its own node unless joined below
    near_d = np.full(n, -1, dtype=np.int64)
    near_row = np.full(n, -1, dtype=np.int64)
    rows = order[valid[order]]  # valid rows in sorted order: representatives are first-by-name
    if len(rows):
        uniq, inverse = np.unique(hashes[rows], return_inverse=True)
        m = len(uniq)
        ui, uj, ud = near_pairs(uniq, threshold)
        # graph over n rows + m distinct hash values: each row joins its value, close values join
        src = np.concatenate([rows, n + ui])
        dst = np.concatenate([n + inverse, n + uj])
        graph = coo_matrix((np.ones(len(src), dtype=np.int8), (src, dst)), shape=(n + m, n + m))
        node = connected_components(graph, directed=False)[1][:n]

        # nearest partner: another row with the same hash (0 bits), else the closest other value
        first = np.full(m, -1, dtype=np.int64)
        second = np.full(m, -1, dtype=np.int64)
        for r, v in zip(rows.tolist(), inverse.tolist(), strict=True):
            if first[v] < 0:
                first[v] = r
            elif second[v] < 0:
                second[v] = r
        vd = np.full(m, 99, dtype=np.int64)
        vo = np.full(m, -1, dtype=np.int64)
        if len(ui):
            both = (
                pd.DataFrame(
                    {
                        "v": np.concatenate([ui, uj]),
                        "o": np.concatenate([uj, ui]),
                        "d": np.concatenate([ud, ud]).astype(np.int64),
                    }
                )
                .sort_values(["v", "d", "o"], kind="stable")
                .drop_duplicates("v")
            )
            vd[both["v"].to_numpy()] = both["d"].to_numpy()
            vo[both["v"].to_numpy()] = both["o"].to_numpy()
        shared = second[inverse] >= 0
        near_d[rows[shared]] = 0
        near_row[rows[shared]] = np.where(first[inverse] == rows, second[inverse], first[inverse])[shared]
        lone = ~shared & (vo[inverse] >= 0)
        near_d[rows[lone]] = vd[inverse][lone]
        near_row[rows[lone]] = first[vo[inverse][lone]]
    ids = np.empty(n, dtype=np.int64)
    ids[order] = pd.factorize(node[order])[0]  # number clusters by their first photo in sorted order
    return ids, near_d, near_row


def near_duplicate_clusters(table: pd.DataFrame, threshold: int = DEFAULT_NEAR_DUP_THRESHOLD) -> pd.Series:
    """Cluster id per row (exact and near-duplicates share one id; every other photo its own id).

    Needs the scan's `phash` column; rows with an `error` or no hash are singletons.
    Ids are ints numbered by each cluster's first photo in relpath order (deterministic).
    """
    ids, _, _ = _components(table, threshold)
    return pd.Series(ids, index=table.index, name="cluster")


_EMPTY_COLUMNS = [
    "path",
    "flag",
    "score",
    "cluster",
    "cluster_size",
    "label",
    "mixed_labels",
    "distance",
    "detail",
]


@register("duplicates")
def check_duplicates(
    table: pd.DataFrame, near_dup_threshold: int = DEFAULT_NEAR_DUP_THRESHOLD, **_: object
) -> CheckResult:
    """Exact duplicates (same pixels) and near-duplicates (pHash within `near_dup_threshold` bits), as clusters.

    Every member of a cluster of two or more photos is one issue row: `flag` is
    "exact-duplicate" when another photo has the very same pixels, else "near-duplicate";
    `score` is 1 for exact copies and 1 - d/(2·(near_dup_threshold+1)) for the nearest partner at d bits
    (so 1 down to ~0.5 at the threshold: anything flagged is more likely a copy than not);
    `mixed_labels` marks clusters spanning several classes (the same photo filed under two
    letters, or two letters signed alike): those rows score 1, as a labelling problem.
    Clips have no image hashes (a clip is no picture): each is its own singleton and never flagged
    here; clips of one source video or photo are the leakage check's and the split's business.
    """
    if "phash" not in table.columns or "pixel_hash" not in table.columns:
        return CheckResult(
            "duplicates",
            "skipped: no image hashes (the scan pass adds pixel_hash and phash)",
            pd.DataFrame(columns=_EMPTY_COLUMNS),
            {"skipped": True, "near_dup_threshold": near_dup_threshold},
        )
    ids, near_d, near_row = _components(table, near_dup_threshold)
    n = len(table)
    sizes = np.bincount(ids, minlength=ids.max() + 1 if n else 0)[ids] if n else np.zeros(0, np.int64)
    names = (table["relpath"] if "relpath" in table.columns else table["path"]).astype(str).to_numpy()
    labels = table["label"].astype(str).to_numpy() if "label" in table.columns else np.full(n, "")
    pixel = table["pixel_hash"].fillna("").astype(str).to_numpy()

    # exact copies: a non-empty pixel hash held by two or more rows (within one cluster by construction)
    px = pd.Series(pixel)
    px_counts = px.map(px[px != ""].value_counts()).fillna(0).to_numpy()
    exact = (pixel != "") & (px_counts > 1)

    cluster_labels = pd.Series(labels).groupby(ids).agg(lambda s: sorted(set(s)))
    rows = []
    for r in np.flatnonzero(sizes > 1):
        cid = int(ids[r])
        mixed = len(cluster_labels[cid]) > 1
        if exact[r]:
            flag, distance, score = "exact-duplicate", 0, 1.0
            detail = _exact_detail(names[(pixel == pixel[r]) & (np.arange(n) != r)])
        else:
            distance = int(near_d[r])
            flag, score = "near-duplicate", 1.0 - 0.5 * distance / (near_dup_threshold + 1)
            detail = f"{distance} bits from {names[near_row[r]]}"
        if sizes[r] > 2:
            detail += f"; cluster of {int(sizes[r])}"
        if mixed:
            detail += f"; labels {', '.join(cluster_labels[cid])} in one cluster"
            score = 1.0
        rows.append(
            {
                "path": table["path"].iloc[r],
                "flag": flag,
                "score": round(score, 4),
                "cluster": cid,
                "cluster_size": int(sizes[r]),
                "label": labels[r],
                "mixed_labels": mixed,
                "distance": distance,
                "detail": detail,
            }
        )
    issues = pd.DataFrame(rows, columns=_EMPTY_COLUMNS)
    stats = _stats(table, near_dup_threshold, ids, sizes, exact, px, cluster_labels, issues)
    summary = _summary(stats)
    return CheckResult("duplicates", summary, issues, stats)


def _exact_detail(copies: np.ndarray) -> str:
    """Names the other photos with the same pixels (the first five, then how many more)."""
    copies = sorted(copies)
    return (
        "same pixels as " + ", ".join(copies[:5]) + (f" (+{len(copies) - 5} more)" if len(copies) > 5 else "")
    )


def _summary(stats: dict) -> str:
    """One line: how many photos sit in duplicate clusters, and whether any cluster mixes labels."""
    threshold, n_mixed = stats["near_dup_threshold"], stats["mixed_label_clusters"]
    if not stats["clusters"]:
        return f"no exact or near-duplicates (pHash within {threshold} bits) among {stats['n_photos']} photos"
    summary = (
        f"{stats['photos_in_clusters']} photos in {stats['clusters']} duplicate clusters "
        f"({stats['exact_clusters']} exact, pHash ≤ {threshold} bits)"
    )
    if n_mixed:
        summary += f"; {n_mixed} cluster(s) mix labels — check those labels"
    return summary


def _stats(
    table: pd.DataFrame,
    near_dup_threshold: int,
    ids: np.ndarray,
    sizes: np.ndarray,
    exact: np.ndarray,
    px: pd.Series,
    cluster_labels: pd.Series,
    issues: pd.DataFrame,
) -> dict:
    """Counts of clusters, exact copies and mixed-label clusters for the check's stats."""
    in_clusters = sizes > 1
    cluster_ids = np.unique(ids[in_clusters])
    exact_values = px[exact].unique()
    n_mixed = int(sum(len(cluster_labels[c]) > 1 for c in cluster_ids))
    # exact copies beyond the first of each pixel hash: how many files could be deleted outright
    redundant = int(exact.sum() - len(exact_values))
    n_clips = sum(is_clip_path(str(p)) for p in table["path"])
    stats = {
        "near_dup_threshold": near_dup_threshold,
        "method": "exact pairwise pHash Hamming distances (blockwise numpy popcount)",
        "n_photos": len(table) - n_clips,  # photos compared; clips are skipped
        "n_clips_skipped": n_clips,
        "exact_clusters": len(exact_values),
        "exact_redundant_files": redundant,
        "clusters": len(cluster_ids),
        "photos_in_clusters": int(in_clusters.sum()),
        "near_duplicate_photos": int((issues["flag"] == "near-duplicate").sum()),
        "mixed_label_clusters": n_mixed,
        "largest_cluster": int(sizes.max()) if len(sizes) else 0,
    }
    return stats
