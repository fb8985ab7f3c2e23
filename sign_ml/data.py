"""Training data: a split directory decoded ONCE into a uint8 tensor cache, served as index batches.

    split dir (manifest.csv + splits.json)  →  SplitItems (paths, labels) per split
    SplitItems  →  TensorCache: uint8 N×3×S×S (RAM, or a memory-mapped .npy) + int64 labels
    TensorCache + (seed, epoch)  →  batches of indices  →  uint8 batches (augmented later on the device)

No epoch re-decodes a JPEG and no DataLoader worker is involved: a batch is one `index_select`
on the cache. The cache is persisted under `RUN/cache/` keyed by (manifest hash, size), so
`--resume` and the other ranks of a torchrun job load it instead of decoding again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import multiprocessing
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from curation.images import UnreadableImageError
from curation.manifest import SPLIT_NAMES, class_names_of, read_manifest
from curation.workers import die_with_parent
from sign_ml.artifacts import atomic_write_json
from sign_ml.presets import decode_for_hands, hand_crop_uint8, to_uint8_array

log = logging.getLogger(__name__)

CACHE_VERSION = 1  # bump when the decoded layout changes, so old caches are rebuilt
_CHUNK = 32  # photos per worker task: big enough to amortise pickling, small enough for a smooth bar


@dataclass(frozen=True)
class SplitItems:
    """The photos of one split, in manifest order."""

    name: str
    paths: list[str]
    labels: np.ndarray  # int64 (N,), indices into class_names

    def __len__(self) -> int:
        return len(self.paths)


@dataclass(frozen=True)
class SplitData:
    """A split directory read into memory (no pixels yet)."""

    splits_dir: Path
    class_names: list[str]
    info: dict[str, Any]
    splits: dict[str, SplitItems]

    def counts(self) -> dict[str, int]:
        return {name: len(items) for name, items in self.splits.items()}


def read_split_dir(splits_dir: str | Path) -> SplitData:
    """Read manifest.csv + splits.json; class order is splits.json's class_names."""
    splits_dir = Path(splits_dir)
    table, info = read_manifest(splits_dir)
    class_names = class_names_of(info)
    index = {name: i for i, name in enumerate(class_names)}
    splits = {}
    for name in SPLIT_NAMES:
        rows = table[table["split"] == name]
        labels = np.asarray([index[label] for label in rows["label"]], dtype=np.int64)
        splits[name] = SplitItems(name, [str(p) for p in rows["path"]], labels)
    return SplitData(splits_dir, class_names, info, splits)


def items_hash(items: SplitItems, size: int) -> str:
    """Key of a decoded cache: the photos (path, label, file size, mtime), their order, and the size."""
    h = hashlib.sha256(f"v{CACHE_VERSION}|{size}|".encode())
    for path, label in zip(items.paths, items.labels.tolist(), strict=True):
        try:
            st = Path(path).stat()
            stamp = f"{st.st_size}:{st.st_mtime_ns}"
        except OSError:
            stamp = "missing"
        h.update(f"{path}\t{label}\t{stamp}\n".encode())
    return h.hexdigest()[:16]


def _decode_chunk(
    paths: Sequence[str], size: int, hands: Sequence[str] | None = None, margin: float = 0.25
) -> list[np.ndarray | str]:
    """Worker: each photo as HWC uint8, or the reason it is unusable.

    hands: the photos' detections as JSON (the split's `hand` column): decode each photo's hand crop instead.
    """
    from curation.hand_cache import detection_from_column

    out: list[np.ndarray | str] = []
    for k, path in enumerate(paths):
        try:
            if hands is None:
                out.append(to_uint8_array(path, size))
                continue
            detection = detection_from_column(hands[k], path)
            if detection is None or not detection.found:
                out.append("no hand found")
            else:
                out.append(hand_crop_uint8(decode_for_hands(path), detection, size, margin))
        except UnreadableImageError as exc:
            out.append(exc.reason)
    return out


def split_hands(items: SplitItems, splits_dir: str | Path, progress: bool = True) -> list[str]:
    """Each photo's detection as JSON ("" where unreadable): the split's `hand` column when `sign-curate
    split` ran the hand stage, else the hand stage through the landmark cache."""
    from curation.hand_cache import detect_files, hand_columns

    table, _ = read_manifest(splits_dir)
    if "hand" in table.columns:
        rows = table[table["split"] == items.name]
        if rows["path"].astype(str).tolist() == items.paths:
            return rows["hand"].astype(str).tolist()
    outcomes, summary = detect_files(items.paths, progress=progress, desc=f"hands {items.name}")
    log.info("%s: %s", items.name, summary.line())
    return hand_columns(outcomes)["hand"]


def _pool_context() -> multiprocessing.context.BaseContext:
    # fork starts workers in milliseconds; they only run PIL + numpy, so no torch state is touched
    if sys.platform.startswith("linux"):
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context()


def _cache_key(items: SplitItems, size: int, hands: Sequence[str] | None, hand_margin: float) -> str:
    """`<split>-<hash>-<size>`, plus the detections' digest for hand crops (crops depend on them too)."""
    key = f"{items.name}-{items_hash(items, size)}-{size}"
    if hands is not None:
        digest = hashlib.sha256("\n".join(hands).encode()).hexdigest()[:12]
        key += f"-hand{hand_margin:g}-{digest}"
    return key


def _decode_into(
    pixels: np.ndarray,
    items: SplitItems,
    size: int,
    hands: Sequence[str] | None,
    hand_margin: float,
    num_workers: int,
    progress: bool,
) -> tuple[np.ndarray, list[tuple[str, str]]]:
    """Decode every photo of `items` into `pixels` (N, 3, S, S), in `num_workers` processes when there is
    more than one chunk. → (ok: bool (N,), the dropped (path, reason))."""
    n = len(items)
    ok = np.zeros(n, dtype=bool)
    dropped: list[tuple[str, str]] = []
    chunks = [range(i, min(i + _CHUNK, n)) for i in range(0, n, _CHUNK)]
    bar = tqdm(total=n, desc=f"decode {items.name} @{size}px", unit="img", disable=not progress, leave=False)

    def task(chunk: range) -> tuple[list[str], int, list[str] | None, float]:
        return (
            [items.paths[i] for i in chunk],
            size,
            None if hands is None else [hands[i] for i in chunk],
            hand_margin,
        )

    def store(chunk: range, results: list[np.ndarray | str]) -> None:
        for i, result in zip(chunk, results, strict=True):
            if isinstance(result, str):
                dropped.append((items.paths[i], result))
                log.warning("unreadable photo dropped: %s: %s", items.paths[i], result)
            else:
                pixels[i] = result.transpose(2, 0, 1)  # HWC → CHW
                ok[i] = True
        bar.update(len(chunk))

    if num_workers > 1 and len(chunks) > 1:
        with ProcessPoolExecutor(
            max_workers=num_workers, mp_context=_pool_context(), initializer=die_with_parent
        ) as pool:
            futures = [pool.submit(_decode_chunk, *task(c)) for c in chunks]
            for chunk, future in zip(chunks, futures, strict=True):
                store(chunk, future.result())
    else:
        for chunk in chunks:
            store(chunk, _decode_chunk(*task(chunk)))
    bar.close()
    return ok, dropped


def _compact(pixels: np.ndarray, tmp: Path, keep: np.ndarray, size: int) -> tuple[np.ndarray, Path]:
    """A new .npy beside `tmp` holding only the rows `keep` (copied 256 at a time). → (it, its path)."""
    compact_tmp = tmp.with_suffix(".tmp2")  # x.npy.tmp → x.npy.tmp2
    compact = np.lib.format.open_memmap(
        compact_tmp, mode="w+", dtype=np.uint8, shape=(len(keep), 3, size, size)
    )
    for start in range(0, len(keep), 256):
        compact[start : start + 256] = pixels[keep[start : start + 256]]
    compact.flush()
    return compact, compact_tmp


@dataclass
class TensorCache:
    """Decoded photos of one split: `images` uint8 (N, 3, S, S) and `labels` int64 (N,)."""

    images: torch.Tensor
    labels: torch.Tensor
    paths: list[str]  # kept photos, in cache order
    size: int
    dropped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason) of unreadable photos
    file: Path | None = None  # the .npy behind the cache, when persisted

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    # --- building / persisting ---
    @classmethod
    def build(
        cls,
        items: SplitItems,
        size: int,
        cache_dir: str | Path | None = None,
        mode: str = "memory",
        num_workers: int = 2,
        progress: bool = True,
        hands: Sequence[str] | None = None,
        hand_margin: float = 0.25,
    ) -> TensorCache:
        """Decode every photo once (in `num_workers` processes); unreadable ones are logged and dropped.

        hands: per photo, its detection as JSON (`split_hands`): cache the hand crops (grown by hand_margin);
        photos without a hand are dropped like unreadable ones.

        cache_dir: where `<split>-<hash>-<size>.npy` is written and looked up; None keeps it in RAM only.
        mode: "memory" holds the pixels in RAM; "mmap" leaves them in the .npy and pages them in.
        """
        if mode not in ("memory", "mmap"):
            raise ValueError(f"cache mode must be memory or mmap, got {mode!r}")
        if mode == "mmap" and cache_dir is None:
            raise ValueError("an mmap cache needs a cache_dir")
        key = _cache_key(items, size, hands, hand_margin)
        if cache_dir is not None:
            found = cls.load(cache_dir, key, mode)
            if found is not None:
                log.info("%s: loaded %d decoded photos from %s", items.name, len(found), found.file)
                return found
        n = len(items)
        npy = Path(cache_dir) / f"{key}.npy" if cache_dir is not None else None
        if npy is not None:
            npy.parent.mkdir(parents=True, exist_ok=True)
            tmp = npy.with_suffix(".npy.tmp")
            pixels = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(n, 3, size, size))
        else:
            pixels = np.empty((n, 3, size, size), dtype=np.uint8)
        ok, dropped = _decode_into(pixels, items, size, hands, hand_margin, num_workers, progress)
        if dropped:
            log.warning("%s: %d of %d photos unreadable and dropped", items.name, len(dropped), n)
        keep = np.flatnonzero(ok)
        paths = [items.paths[i] for i in keep]
        labels = items.labels[keep]
        if npy is None:
            pixels = pixels[keep] if len(keep) < n else pixels
            return cls(torch.from_numpy(pixels), torch.from_numpy(labels.copy()), paths, size, dropped)
        if len(keep) < n:  # compact: the .npy holds only readable photos
            compact, compact_tmp = _compact(pixels, tmp, keep, size)
            del pixels  # the full memmap is closed before its file goes
            tmp.unlink()
            pixels, tmp = compact, compact_tmp
        pixels.flush()
        del pixels
        tmp.replace(npy)  # the .npy appears only once complete
        atomic_write_json(
            npy.with_suffix(".json"),
            {
                "version": CACHE_VERSION,
                "split": items.name,
                "size": size,
                "labels": labels.tolist(),
                "paths": paths,
                "dropped": [list(d) for d in dropped],
            },
        )
        found = cls.load(cache_dir, key, mode)
        assert found is not None
        return found

    @classmethod
    def load(cls, cache_dir: str | Path, key: str, mode: str = "memory") -> TensorCache | None:
        """A persisted cache, or None when absent or incomplete."""
        npy, meta_path = Path(cache_dir) / f"{key}.npy", Path(cache_dir) / f"{key}.json"
        if not npy.is_file() or not meta_path.is_file():
            return None
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
        except (json.JSONDecodeError, UnicodeDecodeError):  # a damaged cache is rebuilt, not an error
            return None
        if meta.get("version") != CACHE_VERSION:
            return None
        # "c" = copy-on-write mapping: writable for torch.from_numpy, never writes the file
        pixels = np.load(npy, mmap_mode="c") if mode == "mmap" else np.load(npy)
        labels = np.asarray(meta["labels"], dtype=np.int64)
        if pixels.shape[0] != len(labels):
            return None
        dropped = [(p, r) for p, r in meta.get("dropped", [])]
        return cls(
            torch.from_numpy(pixels),
            torch.from_numpy(labels),
            list(meta["paths"]),
            int(meta["size"]),
            dropped,
            npy,
        )

    def to(self, device: torch.device | str) -> TensorCache:
        """The cache moved to `device` (e.g. the whole uint8 cache on the GPU: batches need no copies)."""
        return TensorCache(
            self.images.to(device), self.labels.to(device), self.paths, self.size, self.dropped, self.file
        )

    def nbytes(self) -> int:
        return self.images.numel() * self.images.element_size()

    # --- serving ---
    def batch(
        self, index: torch.Tensor, device: torch.device | str | None = None
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """uint8 images (B, 3, S, S) and labels (B,) for `index`, on `device` (async copy from pinned RAM)."""
        index = index.to(self.images.device)
        images, labels = self.images.index_select(0, index), self.labels.index_select(0, index)
        if device is None or torch.device(device) == images.device:
            return images, labels
        if torch.device(device).type == "cuda":
            images, labels = images.pin_memory(), labels.pin_memory()
        return images.to(device, non_blocking=True), labels.to(device, non_blocking=True)


def derive_seed(*parts: int | str) -> int:
    """A 63-bit seed from several parts (seed, epoch, step, rank, purpose): independent streams."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "little") & ((1 << 63) - 1)


def epoch_batches(
    n: int,
    batch_size: int,
    seed: int,
    epoch: int,
    shuffle: bool = True,
    rank: int = 0,
    world_size: int = 1,
) -> list[torch.Tensor]:
    """This rank's index batches for one epoch: a seeded permutation, sharded across ranks.

    For training (shuffle=True) the permutation is padded so every rank gets the same number of
    batches (DistributedDataParallel needs equal step counts); a trailing batch of one photo is
    dropped because BatchNorm cannot normalise a single 1×1 feature map. For evaluation
    (shuffle=False) every photo is seen exactly once across ranks.
    """
    if shuffle:
        g = torch.Generator().manual_seed(derive_seed(seed, epoch, "permutation"))
        order = torch.randperm(n, generator=g)
        if world_size > 1:
            pad = (-n) % world_size
            order = torch.cat([order, order[:pad]])
    else:
        order = torch.arange(n)
    shard = order[rank::world_size]
    batches = list(shard.split(batch_size))
    if shuffle and len(batches) > 1 and len(batches[-1]) == 1:
        batches.pop()
    return batches


def iterate(
    cache: TensorCache, batches: Sequence[torch.Tensor], device: torch.device | str
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """uint8 batches on `device`, one batch prepared ahead so copies overlap the GPU's work."""
    pending = None
    for index in batches:
        nxt = cache.batch(index, device)
        if pending is not None:
            yield pending
        pending = nxt
    if pending is not None:
        yield pending
