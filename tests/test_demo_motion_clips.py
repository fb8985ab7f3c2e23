"""recipes/demo_motion_clips.py: synthetic J/Z clips from stills, seeded, readable; the J GIF moves the photo."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

from curation.clips import read_clip
from curation.hand_cache import DetectOutcome
from curation.hands import Hand, HandDetection
from tests.conftest import make_photo
from tests.test_trajectory import D_HAND, I_HAND

RECIPE = Path(__file__).resolve().parents[1] / "recipes" / "demo_motion_clips.py"
spec = importlib.util.spec_from_file_location("demo_motion_clips", RECIPE)
recipe = importlib.util.module_from_spec(spec)
spec.loader.exec_module(recipe)

SIDE = 640  # the fake photos' size: the test hands are drawn in pixels of a 640x640 photo


def fake_detect(paths, **_):
    """The hand stage's answer without MediaPipe: an I hand in I/ photos, a D hand in D/, none in 'nohand'."""
    out = []
    for p in paths:
        if "nohand" in p:
            out.append(DetectOutcome(p, detection=HandDetection(SIDE, SIDE)))
            continue
        points = (I_HAND if "/I/" in p else D_HAND) / SIDE
        hand = Hand(points.astype(np.float32), np.zeros((21, 3), np.float32), "Right", 0.9, (0, 0, 1, 1))
        out.append(DetectOutcome(p, detection=HandDetection(SIDE, SIDE, (hand,))))
    return out, None


def sample(tmp_path: Path) -> Path:
    root = tmp_path / "sample"
    for letter in ("I", "D"):
        for k in range(2):
            make_photo(root / letter / f"{letter}{k}.jpg", seed=k, size=(SIDE, SIDE))
    make_photo(root / "I" / "nohand.jpg", seed=9, size=(SIDE, SIDE))
    return root


def test_clips_are_written_per_still_readable_labelled_and_seeded(tmp_path):
    root = sample(tmp_path)
    a = recipe.write_motion_clips(root, tmp_path / "a", per_photo=3, seed=1, detect=fake_detect)
    b = recipe.write_motion_clips(root, tmp_path / "b", per_photo=3, seed=1, detect=fake_detect)
    assert [len(a["J"]), len(a["Z"])] == [6, 6]  # 2 stills with a hand x 3; the photo without one skipped
    clips = [read_clip(p) for p in a["J"]]
    assert {c.label for c in clips} == {"J"}
    assert {c.source for c in clips} == {"synthetic:I/I0.jpg", "synthetic:I/I1.jpg"}
    assert all(c.hand_found.all() for c in clips)
    # varied: frame rates and durations differ between clips; the same seed writes the same files
    assert len({round(c.fps, 3) for c in clips}) > 1
    assert [p.read_bytes() for p in a["J"]] == [p.read_bytes() for p in b["J"]]
    # the wrist travels (a path, not a still): more than half a hand size between start and lowest point
    c = clips[0]
    wrist_y = c.landmarks[:, 0, 1] * c.height
    assert wrist_y.max() - wrist_y[0] > 0.5 * 40  # make_hand's scale is 40 px


def test_the_gif_moves_the_photo_along_a_j(tmp_path):
    root = sample(tmp_path)
    gif = recipe.write_j_gif(root, tmp_path / "j.gif", seed=0, detect=fake_detect)
    image = Image.open(gif)
    assert image.n_frames > 5
    image.seek(0)
    first = np.asarray(image.convert("RGB"), dtype=np.int16)
    image.seek(image.n_frames - 1)
    last = np.asarray(image.convert("RGB"), dtype=np.int16)
    assert np.abs(first - last).mean() > 5  # the picture moved


def test_cli_refuses_a_missing_sample(tmp_path, capsys):
    assert recipe.main([str(tmp_path / "out"), "--sample", str(tmp_path / "none")]) == 2
    assert "no such folder" in capsys.readouterr().err
