"""Tiny hand-built clips for the data tests (written with `curation.clips.write_clip`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from curation.clips import Clip, write_clip


def make_clip(
    path: Path,
    label: str,
    n_frames: int = 40,
    hand_frames: int | None = None,
    source: str = "",
    seed: int = 0,
) -> Path:
    """A clip of `n_frames` at 30 fps whose first `hand_frames` frames (default all) show a moving hand."""
    hand_frames = n_frames if hand_frames is None else hand_frames
    rng = np.random.default_rng(seed)
    base = rng.uniform(0.3, 0.6, (21, 3)).astype(np.float32)
    marks = np.full((n_frames, 21, 3), np.nan, np.float32)
    for k in range(hand_frames):
        marks[k] = base + [0.0, 0.005 * k, 0.0]
    world = np.where(np.isnan(marks), np.nan, 0.01).astype(np.float32)
    found = ~np.isnan(marks[:, 0, 0])
    clip = Clip(
        label=label,
        fps=30.0,
        width=640,
        height=480,
        times=np.arange(n_frames) / 30.0,
        landmarks=marks,
        world=world,
        handedness=tuple("Right" if f else None for f in found),
        scores=tuple(0.9 if f else None for f in found),
        source=source,
    )
    return write_clip(path, clip)
