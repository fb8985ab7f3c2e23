"""LOSO of a temporal run trains each fold's temporal model and reads a held-out J clip whole, by its
movement; LOSO with the landmark MLP reads it by one still frame, the I handshape part-way down.

Three signers ("ann", "bob", "cy") sign I and L as photos (test_landmark_train's planted shapes) and J as
clips synthesized from their I hands (`synthetic_motion.synthesize_j`); no MediaPipe runs.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from conftest import make_photo
from test_landmark_train import H, W, planted

from curation.clips import Clip, write_clip
from curation.hand_cache import hand_columns
from curation.split_io import write_splits
from sign_ml.config import LandmarkConfig
from sign_ml.loso import group_lines, loso_for_run, loso_for_split_dir, loso_lines
from sign_ml.synthetic_motion import synthesize_j
from sign_ml.temporal_train import TemporalConfig, train_temporal
from sign_ml.trajectory import clip_points

CLASSES = ["I", "J", "L"]  # planted shape 0 is I, shape 1 is L; J is I moving
FAST = TemporalConfig(epochs=12, width=32, variants=1, still_clips=0.0, batch_size=32)
STILL = LandmarkConfig(epochs=40, hidden=(64,), batch_size=32)


def j_clip(still_i: np.ndarray, rng: np.random.Generator, path: Path) -> Path:
    points, times = synthesize_j(still_i, rng)
    marks = (points / np.array([W, H, W])).astype(np.float32)
    n = len(times)
    clip = Clip("J", 30.0, W, H, times, marks, np.zeros_like(marks), ("Right",) * n, (0.9,) * n, "synthetic")
    return write_clip(path, clip)


def signer_split(root: Path) -> Path:
    rows, dets = [], []
    rng = np.random.default_rng(0)
    for name, seed in {"ann": 31, "bob": 32, "cy": 33}.items():
        found, shape = planted(8, seed)
        for i, (det, k) in enumerate(zip(found, shape, strict=True)):
            if k == 2:
                continue
            label = "I" if k == 0 else "L"
            rel = f"{label}/{name}_{i:03d}.png"
            path = make_photo(root / "photos" / rel, seed=9000 + len(rows), size=(W // 8, H // 8))
            rows.append({"path": str(path), "relpath": rel, "label": label, "split": "train", "group": name})
            dets.append(det)
            if k == 0 and i % 2 == 0:  # four J clips per signer, each from one of its I hands
                still = clip_points(det.hand.landmarks, W, H)
                rel = f"J/{name}_{i:03d}.clip.json"
                path = j_clip(still, rng, root / "photos" / rel)
                rows.append(
                    {"path": str(path), "relpath": rel, "label": "J", "split": "train", "group": name}
                )
                dets.append(None)  # a clip row has no hand columns
    broken = root / "photos" / "J" / "cy_broken.clip.json"  # unreadable: counts for cy, as wrong
    broken.write_text("{not json", encoding="utf-8")
    rows.append(
        {
            "path": str(broken),
            "relpath": "J/cy_broken.clip.json",
            "label": "J",
            "split": "train",
            "group": "cy",
        }
    )
    dets.append(None)
    outcomes = [type("O", (), {"detection": d})() for d in dets]
    table = pd.DataFrame(rows).assign(**hand_columns(outcomes))
    return write_splits(
        table, CLASSES, root / "splits", dataset=False, info={"data_root": str(root / "photos")}
    )


def j_accuracy(result) -> float:
    j = CLASSES.index("J")
    return result.confusion[j, j] / result.confusion[j].sum()


def test_loso_of_a_temporal_run_reads_held_out_j_clips_by_their_movement(tmp_path):
    splits = signer_split(tmp_path)
    run = tmp_path / "run"
    train_temporal(FAST, splits, run, progress=False)

    temporal, path = loso_for_run(run, splits, progress=False)
    still = loso_for_split_dir(splits, cfg=STILL, progress=False)

    assert temporal.kind == "temporal" and still.kind == "landmarks"
    assert temporal.config["width"] == 32 and temporal.config["epochs"] == 12  # the run's own recipe
    assert temporal.status == "ok" and len(temporal.per_signer) == 3 and temporal.n_clips == 13
    cy = temporal.per_signer.set_index("signer").loc["cy"]
    assert (cy["photos"], cy["hands"], temporal.no_hand) == (21, 20, 1)  # the broken clip: no hand, wrong
    assert int(temporal.confusion[CLASSES.index("J")].sum()) == 12  # every J clip held out once, with a hand
    assert j_accuracy(temporal) >= 0.75 and j_accuracy(temporal) > j_accuracy(still) + 0.25
    lines = loso_lines(temporal, path)
    assert any("13 clips, each read whole by the temporal model" in line for line in lines)
    motion = [line for line in group_lines(temporal) if line.startswith("motion letters (J)")]
    assert motion == [
        f"motion letters (J): {int(temporal.confusion[1, 1])} of 13 right, accuracy "
        f"{temporal.confusion[1, 1] / 13:.4f}"
    ]


def test_each_kind_gets_its_own_recipe_and_the_kind_round_trips(tmp_path):
    from sign_ml.loso import LosoResult, run_config

    assert run_config("temporal", {"width": 32, "epochs": 12}) == TemporalConfig(width=32, epochs=12)
    assert run_config("landmarks", {"epochs": 40}) == LandmarkConfig(epochs=40)
    assert run_config("cnn", {"epochs": 3}) == LandmarkConfig()  # an image run's recipe is not a fold's
    config = tmp_path / "t.json"
    config.write_text('{"width": 16}', encoding="utf-8")
    assert run_config("temporal", {"width": 32}, config) == TemporalConfig(width=16)
    result = LosoResult("one_signer", CLASSES, pd.DataFrame(), None, None, None, 0, 0.0, kind="temporal")
    assert LosoResult.from_dict(result.to_dict()).kind == "temporal"
    old = {k: v for k, v in result.to_dict().items() if k != "kind"}  # a loso.json written before kinds
    assert LosoResult.from_dict(old).kind == "landmarks"
