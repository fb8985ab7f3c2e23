"""Shared fixtures: the real sample photos beside the checkout, and tiny seeded image folders."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
ASL_SAMPLE = SHARED_DATA / "asl-letters-sample"


@pytest.fixture(scope="session")
def asl_sample() -> Path:
    """../shared/data/asl-letters-sample, or skip: a user's clone does not have it."""
    if not ASL_SAMPLE.is_dir():
        pytest.skip(f"shared sample photos not found at {ASL_SAMPLE} (only present in the project's workplace)")
    return ASL_SAMPLE


def make_photo(path: Path, seed: int, size: tuple[int, int] = (48, 48), mode: str = "RGB", fmt: str | None = None) -> Path:
    """A distinct seeded picture (blocky noise, so perceptual hashes differ between seeds)."""
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(6, 6, 3), dtype=np.uint8)
    image = Image.fromarray(blocks).resize(size, Image.Resampling.NEAREST)
    if mode != "RGB":
        image = image.convert(mode)
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path, format=fmt)
    return path


def make_class_folder(root: Path, counts: dict[str, int], size: tuple[int, int] = (48, 48), seed: int = 0) -> Path:
    """root/<class>/<class>_<i>.png with `counts[class]` distinct photos each."""
    for c, (name, n) in enumerate(counts.items()):
        for i in range(n):
            make_photo(root / name / f"{name}_{i}.png", seed=seed * 100_000 + c * 1000 + i, size=size)
    return root
