"""A small temporal model for the motion-letter tests (issue 18): the sample's D, I and L photos and the demo
recipe's synthetic J (from I) and Z (from D) clips, trained with `sign-ml train --kind temporal` in seconds;
and one synthetic J as an animated GIF (an I photo moved along a J path by the recipe's --gif)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
LETTERS = list("DIJLZ")


def _recipe():
    sys.path.insert(0, str(REPO / "recipes"))
    import demo_motion_clips

    return demo_motion_clips


def build_motion_model(root: Path, sample: Path, epochs: int = 40) -> Path:
    """root/run: a temporal model of D I J L Z; its split under root/splits."""
    from sign_ml.cli import main

    clips = _recipe().write_motion_clips(sample, root / "clips", per_photo=1, seed=0)
    rows = []
    for c in "DIL":
        photos = sorted((sample / c).glob("*.jpg"))[:16]
        rows += [(str(p), c, "train" if k < 12 else "validation") for k, p in enumerate(photos)]
    for letter, paths in clips.items():
        rows += [(str(p), letter, "train" if k % 4 else "validation") for k, p in enumerate(paths)]
    splits = root / "splits"
    splits.mkdir(parents=True)
    pd.DataFrame(rows, columns=["path", "label", "split"]).to_csv(splits / "manifest.csv", index=False)
    (splits / "splits.json").write_text(json.dumps({"class_names": LETTERS}), encoding="utf-8")
    out = root / "run"
    code = main(
        ["train", "--kind", "temporal", "--data", str(splits), "--out", str(out), "--epochs", str(epochs)]
    )
    assert code == 0, "training the temporal test model failed"
    return out


def j_gif(sample: Path, path: Path, seed: int = 0, photo_index: int = 0) -> Path:
    """One synthetic J: an I photo moved along a J path, as an animated GIF."""
    return _recipe().write_j_gif(sample, path, seed=seed, photo_index=photo_index)


def i_gif(sample: Path, path: Path, frames: int = 15, photo_index: int = 0) -> Path:
    """An I photo held still for `frames` frames at 15 fps (a still I, not a J), as an animated GIF."""
    from PIL import Image

    photo = Image.open(sorted((sample / "I").glob("*.jpg"))[photo_index]).convert("RGB")
    path.parent.mkdir(parents=True, exist_ok=True)
    # a 1-px shift every other frame: a GIF of identical frames is stored as one
    shots = [photo.transform(photo.size, Image.AFFINE, (1, 0, k % 2, 0, 1, 0)) for k in range(frames)]
    shots[0].save(path, save_all=True, append_images=shots[1:], duration=66, loop=0)
    return path
