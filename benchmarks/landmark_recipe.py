"""Choose the landmark model's recipe on more than the sample's own (one-signer) validation split.

    python benchmarks/landmark_recipe.py [--data ../shared/data/asl-letters-sample] [--splits runs/demo-lm/splits]

Prints, per recipe variant, accuracy (no hand = wrong) under three protocols:
  split     the split directory's train → validation (one signer, same sessions: optimistic)
  hands     train on the hands MediaPipe calls right, test on those it calls left, and back (a new hand)
  sessions  3 folds of photo-id blocks (ids 1-9, 10-19, 20+ of each letter; a proxy for capture sessions)
The test split is never used here. Detections come from the landmark cache (run once, then seconds).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import numpy as np
import torch

from curation.hand_cache import detect_files
from curation.images import is_image_file
from sign_ml.config import LandmarkConfig
from sign_ml.data import SplitItems, read_split_dir
from sign_ml.landmark_train import fit_landmark_model, hand_set, set_features

VARIANTS = {
    "default": {},
    "mirror_left": {"handedness": "mirror_left"},
    "as_is": {"handedness": "as_is"},
    "no_augment": {"augment": False},
    "strong_augment": {"rotation_deg": 25.0, "tilt_deg": 30.0, "noise": 0.04},
    "small_mlp": {"hidden": (128,), "dropout": 0.2},
    "wide_mlp": {"hidden": (512, 256), "dropout": 0.4},
}


def folder_items(root: Path) -> tuple[list[str], SplitItems]:
    classes = sorted(p.name for p in root.iterdir() if p.is_dir())
    paths, labels = [], []
    for k, c in enumerate(classes):
        for f in sorted((root / c).iterdir()):
            if is_image_file(f):
                paths.append(str(f))
                labels.append(k)
    return classes, SplitItems("all", paths, np.asarray(labels, dtype=np.int64))


def subset(items: SplitItems, mask: np.ndarray, name: str) -> SplitItems:
    return SplitItems(name, [p for p, m in zip(items.paths, mask, strict=True) if m], items.labels[mask])


def score(cfg: LandmarkConfig, train_items, train_det, test_items, test_det, k: int) -> float:
    """Accuracy on test_items (no hand = wrong) of the model trained on train_items, last epoch (no peeking)."""
    train = hand_set(train_items, train_det, cfg.handedness)
    test = hand_set(test_items, test_det, cfg.handedness)
    fit = fit_landmark_model(cfg.replace(keep="last"), train, None, k)
    with torch.inference_mode():
        pred = fit.model(torch.from_numpy(set_features(test.points))).argmax(1).numpy()
    return float((pred == test.labels).sum() / test.n)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=Path("../shared/data/asl-letters-sample"))
    parser.add_argument("--splits", type=Path, default=Path("runs/demo-lm/splits"))
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--only", nargs="*", help="variant names to run")
    args = parser.parse_args()

    classes, items = folder_items(args.data)
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

    print(f"{'variant':16} {'split':>7} {'hands':>7} {'sessions':>9}")
    for name, change in VARIANTS.items():
        if args.only and name not in args.only:
            continue
        cfg = LandmarkConfig(**change)
        if args.epochs:
            cfg = cfg.replace(epochs=args.epochs)
        k = len(classes)
        s_split = score(
            cfg,
            split.splits["train"],
            split_det["train"],
            split.splits["validation"],
            split_det["validation"],
            k,
        )
        s_hands = []
        for a in (True, False):  # train on right, test on left; then back
            tr, te = found & (handed == a), found & (handed != a)
            s_hands.append(
                score(
                    cfg,
                    subset(items, tr, "tr"),
                    [d for d, m in zip(det, tr, strict=True) if m],
                    subset(items, te, "te"),
                    [d for d, m in zip(det, te, strict=True) if m],
                    k,
                )
            )
        s_sessions = []
        for b in range(3):
            tr, te = block != b, block == b
            s_sessions.append(
                score(
                    cfg,
                    subset(items, tr, "tr"),
                    [d for d, m in zip(det, tr, strict=True) if m],
                    subset(items, te, "te"),
                    [d for d, m in zip(det, te, strict=True) if m],
                    k,
                )
            )
        print(f"{name:16} {s_split:7.3f} {np.mean(s_hands):7.3f} {np.mean(s_sessions):9.3f}", flush=True)


if __name__ == "__main__":
    main()
