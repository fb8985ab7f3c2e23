"""The tensor cache, epoch batches and batched augmentation, on tiny generated photos."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import torch
from PIL import Image

from sign_ml.augment import AugmentParams, affine_matrices, augment_batch, color_jitter, train_inputs
from sign_ml.data import TensorCache, epoch_batches, items_hash, read_split_dir
from sign_ml.presets import Preprocessing, normalize, to_uint8_array

COLOURS = {"red": (220, 40, 40), "blue": (40, 40, 220)}


def make_split_dir(
    root: Path,
    counts: dict[str, int] | None = None,
    colours: dict[str, tuple[int, int, int]] | None = None,
    size: int = 40,
    seed: int = 0,
) -> Path:
    """A split directory written by hand: root/photos/<class>/*.png + root/splits/{manifest.csv, splits.json}.

    Each class is a colour plus seeded noise (an easy, learnable problem); counts are per class and split.
    """
    counts = counts or {"train": 6, "validation": 2, "test": 2}
    colours = colours or COLOURS
    rng = np.random.default_rng(seed)
    rows = []
    for label, rgb in colours.items():
        for split, n in counts.items():
            for i in range(n):
                noise = rng.integers(-40, 41, size=(size, size, 3))
                pixels = np.clip(np.asarray(rgb) + noise, 0, 255).astype(np.uint8)
                path = root / "photos" / label / f"{split}_{i}.png"
                path.parent.mkdir(parents=True, exist_ok=True)
                Image.fromarray(pixels).save(path)
                rows.append(
                    {
                        "path": str(path),
                        "relpath": f"{label}/{path.name}",
                        "label": label,
                        "split": split,
                        "group": f"{label}_{split}_{i}",
                        "cluster": "",
                    }
                )
    splits = root / "splits"
    splits.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(rows).to_csv(splits / "manifest.csv", index=False)
    info = {
        "class_names": list(colours),
        "data_root": str(root / "photos"),
        "method": "hand-made",
        "seed": seed,
        "ratios": {},
        "counts": {s: n * len(colours) for s, n in counts.items()},
    }
    (splits / "splits.json").write_text(json.dumps(info), encoding="utf-8")
    return splits


def test_read_split_dir_keeps_class_order(tmp_path):
    data = read_split_dir(make_split_dir(tmp_path, colours={"b": (0, 0, 200), "a": (200, 0, 0)}))
    assert data.class_names == ["b", "a"]  # splits.json order, not sorted
    assert data.counts() == {"train": 12, "validation": 4, "test": 4}
    train = data.splits["train"]
    assert train.labels.dtype == np.int64
    assert set(train.labels[[i for i, p in enumerate(train.paths) if "/b/" in p]]) == {0}


def test_cache_decodes_once_and_matches_presets(tmp_path, monkeypatch):
    items = read_split_dir(make_split_dir(tmp_path)).splits["train"]
    cache = TensorCache.build(items, 32, tmp_path / "cache", num_workers=1, progress=False)
    assert cache.images.shape == (12, 3, 32, 32) and cache.images.dtype == torch.uint8
    assert cache.labels.tolist() == items.labels.tolist()
    expected = torch.from_numpy(to_uint8_array(items.paths[3], 32)).permute(2, 0, 1)
    assert torch.equal(cache.images[3], expected)  # exactly the evaluation decode
    # a second build with the same (manifest, size) loads the persisted file instead of decoding
    monkeypatch.setattr("sign_ml.data._decode_chunk", lambda *a: pytest.fail("decoded again"))
    again = TensorCache.build(items, 32, tmp_path / "cache", mode="mmap", num_workers=1, progress=False)
    assert torch.equal(again.images, cache.images) and again.file == cache.file
    assert items_hash(items, 32) != items_hash(items, 48)


def test_cache_parallel_decode_drops_unreadable(tmp_path, caplog):
    splits = make_split_dir(tmp_path, counts={"train": 40, "validation": 1, "test": 1})
    items = read_split_dir(splits).splits["train"]
    bad = Path(items.paths[5])
    bad.write_bytes(b"not a picture")
    with caplog.at_level(logging.WARNING, logger="sign_ml.data"):
        cache = TensorCache.build(items, 32, tmp_path / "cache", num_workers=2, progress=False)
    assert len(cache) == 79 and str(bad) not in cache.paths
    assert [p for p, _ in cache.dropped] == [str(bad)]
    assert str(bad) in caplog.text
    assert cache.labels.tolist() == [
        lab for p, lab in zip(items.paths, items.labels.tolist(), strict=True) if p != str(bad)
    ]
    reloaded = TensorCache.build(items, 32, tmp_path / "cache", num_workers=1, progress=False)
    assert torch.equal(reloaded.images, cache.images) and reloaded.dropped == cache.dropped


def test_memory_cache_without_dir(tmp_path):
    items = read_split_dir(make_split_dir(tmp_path)).splits["validation"]
    cache = TensorCache.build(items, 32, None, num_workers=1, progress=False)
    images, labels = cache.batch(torch.tensor([2, 0]))
    assert images.shape == (2, 3, 32, 32) and labels.tolist() == [
        cache.labels[2].item(),
        cache.labels[0].item(),
    ]


def test_epoch_batches_are_seeded_and_shard_across_ranks():
    a = epoch_batches(23, 5, seed=1, epoch=3)
    assert [b.tolist() for b in a] == [b.tolist() for b in epoch_batches(23, 5, seed=1, epoch=3)]
    assert torch.cat(a).tolist() != torch.cat(epoch_batches(23, 5, seed=1, epoch=4)).tolist()
    assert sorted(torch.cat(a).tolist()) == list(range(23))
    shards = [epoch_batches(23, 4, seed=1, epoch=3, rank=r, world_size=2) for r in range(2)]
    assert len(shards[0]) == len(shards[1])  # DDP needs equal step counts
    assert set(torch.cat([torch.cat(s) for s in shards]).tolist()) == set(range(23))
    assert [len(b) for b in epoch_batches(11, 5, 0, 0)] == [5, 5]  # a lone last photo is dropped (BatchNorm)
    evals = [epoch_batches(11, 4, 0, 0, shuffle=False, rank=r, world_size=2) for r in range(2)]
    assert sorted(torch.cat([torch.cat(e) for e in evals]).tolist()) == list(range(11))  # each exactly once


def test_augment_is_deterministic_and_batched():
    images = torch.randint(0, 256, (4, 3, 32, 32), dtype=torch.uint8)
    params = AugmentParams()
    a = augment_batch(images, params, torch.Generator().manual_seed(7))
    b = augment_batch(images, params, torch.Generator().manual_seed(7))
    c = augment_batch(images, params, torch.Generator().manual_seed(8))
    assert a.shape == (4, 3, 32, 32) and a.dtype == torch.float32
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert a.min() >= 0 and a.max() <= 255


def test_identity_augment_is_exact():
    images = torch.randint(0, 256, (3, 3, 32, 32), dtype=torch.uint8)
    params = AugmentParams(crop_scale_min=1.0, aspect=(1.0, 1.0), rotation_deg=0.0, color_jitter=0.0)
    out = augment_batch(images, params, torch.Generator().manual_seed(0))
    assert torch.allclose(out, images.float(), atol=1e-3)
    prep = Preprocessing(size=32)
    x = train_inputs(images, prep, params, torch.Generator().manual_seed(0), channels_last=True)
    assert x.is_contiguous(memory_format=torch.channels_last)
    assert torch.allclose(x, normalize(images, prep), atol=1e-4)


def test_hflip_mirrors_only_when_asked():
    g = torch.Generator().manual_seed(0)
    theta = affine_matrices(200, AugmentParams(hflip=False), g)
    assert (theta[:, 0, 0] > 0).all()  # x never mirrored
    theta = affine_matrices(200, AugmentParams(hflip=True), torch.Generator().manual_seed(0))
    assert 40 < (theta[:, 0, 0] < 0).sum() < 160
    # a pure flip of a left-right gradient reverses it
    ramp = torch.arange(32, dtype=torch.float32).repeat(1, 3, 32, 1)
    p = AugmentParams(crop_scale_min=1.0, aspect=(1.0, 1.0), rotation_deg=0.0, color_jitter=0.0, hflip=True)
    outs = [augment_batch(ramp, p, torch.Generator().manual_seed(s)) for s in range(8)]
    assert any(torch.allclose(o, ramp.flip(-1), atol=1e-3) for o in outs)


def test_color_jitter_changes_colour_not_geometry():
    images = torch.full((2, 3, 32, 32), 100, dtype=torch.uint8)
    p = AugmentParams(crop_scale_min=1.0, aspect=(1.0, 1.0), rotation_deg=0.0, color_jitter=0.5)
    out = augment_batch(images, p, torch.Generator().manual_seed(1))
    assert not torch.allclose(out, images.float())
    assert torch.allclose(out, out[:, :, :1, :1].expand_as(out))  # still flat: only the colour moved


def test_fused_color_jitter_equals_the_three_steps():
    torch.manual_seed(0)
    images = torch.rand(4, 3, 16, 16) * 255
    factors = torch.tensor([[1.2, 0.8, 1.1], [0.8, 1.2, 0.9], [1.0, 1.0, 1.0], [1.1, 0.9, 0.0]])
    gray_w = torch.tensor([0.299, 0.587, 0.114]).view(1, 3, 1, 1)
    b, c, s = (factors[:, i].view(-1, 1, 1, 1) for i in range(3))
    x = images * b  # brightness
    mean = (x * gray_w).sum(1, keepdim=True).mean((2, 3), keepdim=True)
    x = mean + c * (x - mean)  # contrast
    gray = (x * gray_w).sum(1, keepdim=True)
    x = (gray + s * (x - gray)).clamp(0, 255)  # saturation
    assert torch.allclose(color_jitter(images, factors), x, atol=1e-3)
