"""LOSO and mislabel candidates over data with clips: a clip is a sample, read by its middle hand frame."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from conftest import make_photo
from test_landmark_train import CLASSES, H, W, planted, seed_cache

from curation.clips import Clip, write_clip
from curation.hand_cache import hand_columns
from curation.hands import HandDetection
from curation.split_io import write_splits
from sign_ml.config import LandmarkConfig
from sign_ml.loso import loso_for_split_dir, loso_lines, with_clip_frames
from sign_ml.mislabels import find_mislabels

FAST = LandmarkConfig(epochs=40, hidden=(64,), batch_size=32)


def clip_of(detection: HandDetection, label: str, path: Path, n: int = 9) -> Path:
    """A clip whose middle frame is exactly `detection`'s hand; the frames around it hold no hand except
    two far-off frames at the ends, so only the middle frame reads as the letter."""
    hand = detection.hand
    marks = np.full((n, 21, 3), np.nan, np.float32)
    mid = n // 2
    marks[mid] = hand.landmarks
    marks[0] = marks[-1] = hand.landmarks + np.float32(0.01)
    found = ~np.isnan(marks[:, 0, 0])
    clip = Clip(
        label,
        30.0,
        detection.width,
        detection.height,
        np.arange(n) / 30.0,
        marks,
        np.where(np.isnan(marks), np.nan, 0.0).astype(np.float32),
        tuple(hand.handedness if f else None for f in found),
        tuple(0.9 if f else None for f in found),
    )
    return write_clip(path, clip)


def test_with_clip_frames_reads_the_middle_hand_frame_and_names_a_broken_clip(tmp_path, caplog):
    dets, _ = planted(1, 5)
    good = clip_of(dets[0], CLASSES[0], tmp_path / "a.clip.json")
    broken = tmp_path / "b.clip.json"
    broken.write_text("{}", "utf-8")
    out, n = with_clip_frames([str(good), str(broken), "photo.png"], [None, None, "kept"])
    assert n == 2 and out[2] == "kept" and out[1] is None
    # the middle frame's landmarks, not the end frames' (which are shifted by 0.01)
    assert np.allclose(out[0].hand.landmarks, np.round(dets[0].hand.landmarks, 5), atol=1e-5)
    assert any(str(broken) in r.message for r in caplog.records)


def signer_split_with_clips(root: Path) -> tuple[Path, int]:
    """ann and bob sign every letter with its shape (photos and clips); cy's photos use the next letter's."""
    rows, dets_all = [], []
    n_clips = 0
    for name, (n, seed, shifted) in {
        "ann": (16, 21, False),
        "bob": (16, 22, False),
        "cy": (8, 23, True),
    }.items():
        dets, shape = planted(n, seed)
        for i, (det, k) in enumerate(zip(dets, shape, strict=True)):
            label = (k - 1) % len(CLASSES) if shifted else k
            if i % 4 == 0:  # every fourth sample is a clip
                rel = f"{CLASSES[label]}/{name}_{i:03d}.clip.json"
                path = clip_of(det, CLASSES[label], root / "photos" / rel)
                n_clips += 1
                dets_all.append(None)  # the split's hand columns of a clip are empty
            else:
                rel = f"{CLASSES[label]}/{name}_{i:03d}.png"
                path = make_photo(root / "photos" / rel, seed=7000 + len(rows), size=(W // 8, H // 8))
                dets_all.append(det)
            rows.append(
                {"path": str(path), "relpath": rel, "label": CLASSES[label], "split": "train", "group": name}
            )
    outcomes = [type("O", (), {"detection": d})() for d in dets_all]
    table = pd.DataFrame(rows).assign(**hand_columns(outcomes))
    out = write_splits(
        table, CLASSES, root / "splits", dataset=False, info={"data_root": str(root / "photos")}
    )
    return out, n_clips


def test_loso_counts_clips_for_their_signer(tmp_path):
    splits, n_clips = signer_split_with_clips(tmp_path)
    result = loso_for_split_dir(splits, cfg=FAST, progress=False)
    assert result.status == "ok" and result.n_clips == n_clips == 30
    per = result.per_signer.set_index("signer")
    assert per.loc["ann", "photos"] == 48 and per.loc["ann", "hands"] == 48  # clips have their hand
    assert per.loc["ann", "accuracy"] > 0.8 and per.loc["cy", "accuracy"] < 0.3
    assert result.no_hand == 0
    assert any(
        "(30 clips, each read by its middle hand frame)" in line for line in loso_lines(result, splits)
    )


def test_mislabels_score_clips_and_a_misfiled_clip_comes_first(tmp_path):
    root = tmp_path / "photos"
    dets, labels = planted(20, 11)
    by_path = {}
    for i, (d, k) in enumerate(zip(dets, labels, strict=True)):
        rel = f"{CLASSES[k]}/p{i:03d}.png"
        by_path[str(make_photo(root / rel, seed=5000 + i, size=(W // 8, H // 8)))] = d
    seed_cache(by_path)
    extra, _ = planted(3, 12)
    for j in range(3):  # good clips of class 0 and one of class 0's shape filed under class 1
        clip_of(extra[j], CLASSES[0], root / CLASSES[0] / f"c{j}.clip.json")
    misfiled = clip_of(extra[1], CLASSES[1], root / CLASSES[1] / "wrong.clip.json")
    result = find_mislabels(root, cfg=FAST, progress=False)
    assert result.n_clips == 4 and result.n_checked == 60 + 4
    assert result.table["relpath"].iloc[0] == f"{CLASSES[1]}/{misfiled.name}"
    assert result.table["suggested"].iloc[0] == CLASSES[0]
    assert "4 of the samples are clips" in result.line()
