"""Choose the landmark and temporal models' recipes on more than the sample's own (one-signer) validation split.

    python benchmarks/landmark_recipe.py [--data ../shared/data/asl-letters-sample] [--splits runs/demo-lm/splits]
    python benchmarks/landmark_recipe.py --only default temporal      # the landmark MLP beside the temporal kind

Prints, per recipe variant, accuracy (no hand = wrong) under three protocols:
  split     the split directory's train → validation (one signer, same sessions: optimistic)
  hands     train on the hands MediaPipe calls right, test on those it calls left, and back (a new hand)
  sessions  3 folds of photo-id blocks (ids 1-9, 10-19, 20+ of each letter; a proxy for capture sessions)
The test split is never used here. Detections come from the landmark cache (run once, then seconds).

Columns: `all` every test photo (26 letters, J and Z as their still starts, as before); `static` the test
photos of the 24 static letters only (what the temporal kind must not lose); `motion` synthetic J and Z
clips drawn from the test side's I and D photos (`sign_ml.synthetic_motion`: the same synthesizer as
training, so optimistic about the path, honest about the hand); `held` held-still clips of the test side's
static photos, read as their letter. The temporal variants train on the training side's photos plus
synthetic J/Z clips from its I/D photos; a landmark variant reads one frame of each clip (its middle hand
frame, as `Predictor.predict_clip` does), so its `motion` column shows what a still model cannot do.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import numpy as np
import torch
from train_throughput import folder_classes, folder_items  # the benchmarks' reader of a photo folder

from curation.hand_cache import detect_files
from sign_ml.config import LandmarkConfig
from sign_ml.data import SplitItems, read_split_dir
from sign_ml.landmark_train import HandSet, fit_landmark_model, hand_set, set_features
from sign_ml.synthetic_motion import held_still, synthesize_j, synthesize_z
from sign_ml.temporal_model import clip_rows
from sign_ml.temporal_train import ClipSet, TemporalConfig, fit_temporal_model, pad, photo_rows

MOTION = {"J": ("I", synthesize_j), "Z": ("D", synthesize_z)}  # letter: (its still start, its path)
CLIPS_PER_PHOTO = 3  # synthetic clips per I or D photo (training and test side alike)
TEMPORAL = {  # recipe variants of the temporal kind (TemporalConfig fields)
    "temporal": {},
    "temporal_no_still": {"still_clips": 0.0},
}
VARIANTS = {
    "default": {},
    "mirror_left": {"handedness": "mirror_left"},
    "as_is": {"handedness": "as_is"},
    "no_augment": {"augment": False},
    "strong_augment": {"rotation_deg": 25.0, "tilt_deg": 30.0, "noise": 0.04},
    "small_mlp": {"hidden": (128,), "dropout": 0.2},
    "wide_mlp": {"hidden": (512, 256), "dropout": 0.4},
}


def subset(items: SplitItems, mask: np.ndarray, name: str) -> SplitItems:
    return SplitItems(name, [p for p, m in zip(items.paths, mask, strict=True) if m], items.labels[mask])


def motion_clips(hands: HandSet, classes: list[str], seed: int) -> ClipSet:
    """Synthetic J and Z clips from the I and D hands of `hands` (CLIPS_PER_PHOTO each)."""
    rng = np.random.default_rng(seed)
    points, times, labels = [], [], []
    for letter, (start, make) in MOTION.items():
        if letter not in classes or start not in classes:
            continue
        for still in hands.points[hands.labels == classes.index(start)]:
            for _ in range(CLIPS_PER_PHOTO):
                p, t = make(still, rng)
                points.append(p)
                times.append(t)
                labels.append(classes.index(letter))
    return ClipSet(points, times, np.asarray(labels, dtype=np.int64), len(labels), 0)


def middle_frames(clips: ClipSet) -> np.ndarray:
    """(M, 21, 3) the hand frame nearest the middle of each clip (what a still model reads)."""
    return np.stack(
        [
            p[np.argmin(np.abs(t - 0.5 * (t[0] + t[-1])))]
            for p, t in zip(clips.points, clips.times, strict=True)
        ]
    )


def score(cfg, train_items, train_det, test_items, test_det, classes: list[str]) -> dict[str, float]:
    """Accuracies on the test side (see the module docstring) of the model trained on the training side,
    last epoch (no peeking)."""
    k = len(classes)
    train = hand_set(train_items, train_det, cfg.handedness)
    test = hand_set(test_items, test_det, cfg.handedness)
    motion = motion_clips(test, classes, seed=1)
    rng = np.random.default_rng(2)
    static_ids = [classes.index(c) for c in classes if c not in MOTION]
    static = np.isin(test.labels, static_ids)
    held = [clip_rows(*held_still(p, rng)) for p in test.points[static]]
    if isinstance(cfg, TemporalConfig):
        fit = fit_temporal_model(cfg.replace(keep="last"), train, motion_clips(train, classes, 0), None, k)

        def predict(rows: list[np.ndarray]) -> np.ndarray:
            out = []
            for s in range(0, len(rows), 256):
                x, mask = pad(rows[s : s + 256])
                out.append(fit.model(x, mask).argmax(1).numpy())
            return np.concatenate(out) if out else np.zeros(0, dtype=int)

        with torch.inference_mode():
            photos = predict(list(photo_rows(test.points)))
            clips = predict([clip_rows(p, t) for p, t in zip(motion.points, motion.times, strict=True)])
            held_pred = predict(held)
    else:
        fit = fit_landmark_model(cfg.replace(keep="last"), train, None, k)

        def predict_points(points: np.ndarray) -> np.ndarray:
            return fit.model(torch.from_numpy(set_features(points))).argmax(1).numpy()

        with torch.inference_mode():
            photos = predict_points(test.points)
            clips = predict_points(middle_frames(motion)) if motion.n else np.zeros(0, dtype=int)
            held_pred = photos[static]  # a still model reads one frame: the photo's own hand
    n_static = int(np.isin(test.all_labels, static_ids).sum())  # no hand = wrong, static letters only
    return {
        "all": float((photos == test.labels).sum() / test.n),
        "static": float(((photos == test.labels) & static).sum() / max(n_static, 1)),
        "motion": float((clips == motion.labels).mean()) if motion.n else float("nan"),
        "held": float((held_pred == test.labels[static]).sum() / max(n_static, 1)),
    }


def held_out(cfg, items: SplitItems, det: list, train: np.ndarray, test: np.ndarray, classes: list[str]):
    """`score` of the model trained on the photos (and their detections) where `train` is set, tested on
    those where `test` is: one fold of the hands and sessions protocols."""
    pick = lambda mask: [d for d, m in zip(det, mask, strict=True) if m]  # noqa: E731
    return score(cfg, subset(items, train, "tr"), pick(train), subset(items, test, "te"), pick(test), classes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/asl-letters-sample"))
    parser.add_argument("--splits", type=Path, default=Path("runs/demo-lm/splits"))
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--only", nargs="*", help="variant names to run")
    args = parser.parse_args()

    classes, items = folder_classes(args.data), folder_items(args.data)
    outcomes, summary = detect_files(items.paths, progress=True)
    print(summary.line())
    det = [o.detection for o in outcomes]
    handed = np.array([d is not None and d.found and d.hand.handedness == "Right" for d in det])
    found = np.array([d is not None and d.found for d in det])
    ids = np.array([int(re.sub(r"\D", "", Path(p).stem) or 0) for p in items.paths])
    block = np.digitize(ids, [10, 20])

    split = read_split_dir(args.splits)
    split_det = {
        n: [o.detection for o in detect_files(split.splits[n].paths)[0]] for n in ("train", "validation")
    }

    columns = ("all", "static", "motion", "held")
    print(f"{'variant':18} {'protocol':9} " + " ".join(f"{c:>7}" for c in columns))
    every = {**VARIANTS, **TEMPORAL}
    for name, change in every.items():
        if args.only and name not in args.only:
            continue
        cfg = TemporalConfig(**change) if name in TEMPORAL else LandmarkConfig(**change)
        if args.epochs:
            cfg = cfg.replace(epochs=args.epochs)
        start = time.perf_counter()
        results = {
            "split": [
                score(
                    cfg,
                    split.splits["train"],
                    split_det["train"],
                    split.splits["validation"],
                    split_det["validation"],
                    classes,
                )
            ],
            "hands": [],
            "sessions": [],
        }
        for a in (True, False):  # train on right, test on left; then back
            results["hands"].append(
                held_out(cfg, items, det, found & (handed == a), found & (handed != a), classes)
            )
        for b in range(3):
            results["sessions"].append(held_out(cfg, items, det, block != b, block == b, classes))
        for protocol, folds in results.items():
            means = [np.mean([f[c] for f in folds]) for c in columns]
            print(f"{name:18} {protocol:9} " + " ".join(f"{m:7.3f}" for m in means), flush=True)
        print(f"{'':18} ({time.perf_counter() - start:.0f} s for the 6 fits)", flush=True)


if __name__ == "__main__":
    main()
