"""Mislabel candidates: photos whose hand looks like another letter to a landmark model that never saw them.

    photos (class folders or a split directory) → label decisions applied (label_decisions.csv beside the data)
      → hands (landmark cache) → k-fold out-of-sample probabilities (one landmark model per fold)
      → cleanlab's confident learning (find_label_issues, ranked by self-confidence) → ranked candidates

cleanlab (a maintained library) does the confident learning: it estimates per-class thresholds and the
joint of given and true labels from the probabilities, which a hand-written "probability below x" rule
does not, and its ranking is a published, tested method. Photos without a hand are not checked (counted).
A clip (`.clip.json`) in the data is a sample too: the still landmark models read it by its middle hand
frame, as `Predictor.predict_clip` does with a still kind (`sign_ml.loso.with_clip_frames`); the hand stage
never runs on it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from sign_ml.config import LandmarkConfig

if TYPE_CHECKING:
    from sign_ml.landmark_train import HandSet

log = logging.getLogger(__name__)

TABLE_COLUMNS = ["rank", "relpath", "path", "given", "suggested", "given_prob", "suggested_prob", "quality"]


def fold_count(labels: np.ndarray, folds: int) -> int:
    """Folds reduced to the smallest class's size (each fold must hold out one of every class), at least 2."""
    smallest = int(np.bincount(labels)[np.unique(labels)].min()) if len(labels) else 0
    return max(2, min(int(folds), smallest))


def out_of_sample_probs(
    points: np.ndarray,
    labels: np.ndarray,
    num_classes: int,
    cfg: LandmarkConfig | None = None,
    folds: int = 5,
    seed: int = 0,
    progress: bool = False,
) -> np.ndarray:
    """(M, K) probabilities of every hand from a landmark model trained on the other folds only (pure).

    points: (M, 21, 3) pixel-space hands; labels: (M,) class indices. Folds are stratified (sklearn
    StratifiedKFold, shuffled with `seed`) and reduced to the smallest class's size, at least 2.
    Raises ValueError when a class has a single hand: no fold could learn it while scoring it
    (`find_mislabels` leaves such photos out and counts them).
    """
    from sklearn.model_selection import StratifiedKFold
    from tqdm.auto import tqdm

    from sign_ml.landmark_train import HandSet, fit_landmark_model
    from sign_ml.loso import predict_points

    cfg = cfg or LandmarkConfig()
    if cfg.keep != "last":  # no validation split inside a fold
        cfg = cfg.replace(keep="last")
    points = np.asarray(points, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    if len(points) != len(labels):
        raise ValueError(f"{len(points)} hands but {len(labels)} labels")
    if len(labels) and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must be class indices in 0..{num_classes - 1}")
    counts = np.bincount(labels, minlength=num_classes)
    single = np.flatnonzero(counts == 1)
    if len(single):
        raise ValueError(
            f"class index(es) {single.tolist()} have a single hand: no fold can learn them while scoring them"
        )
    if len(np.unique(labels)) < 2:
        raise ValueError("need hands of at least 2 classes to look for mislabels")
    k = fold_count(labels, folds)
    probs = np.full((len(labels), num_classes), np.nan)
    splitter = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    bar = tqdm(
        splitter.split(points, labels),
        total=k,
        desc="k-fold landmark models",
        unit="fold",
        disable=not progress,
    )
    for train, test in bar:
        train_set = HandSet(points[train], labels[train], np.ones(len(train), bool), labels[train], 0)
        fit = fit_landmark_model(cfg, train_set, None, num_classes)
        probs[test] = predict_points(fit.model, points[test])
    return probs


def rank_label_issues(labels: np.ndarray, probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(indices of the suspected mislabels, most suspicious first; every row's label quality in 0..1, low =
    suspicious) by cleanlab's confident learning on out-of-sample probabilities."""
    from cleanlab.filter import find_label_issues
    from cleanlab.rank import get_label_quality_scores

    labels = np.asarray(labels, dtype=np.int64)
    probs = np.asarray(probs, dtype=np.float64)
    if probs.ndim != 2 or len(probs) != len(labels):
        raise ValueError(f"probs must be (N={len(labels)}, K), got {probs.shape}")
    if len(labels) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0)
    # n_jobs=1: a few hundred rows; worker processes would cost more than they save on a shared CPU
    ranked = find_label_issues(labels, probs, return_indices_ranked_by="self_confidence", n_jobs=1)
    quality = get_label_quality_scores(labels, probs, method="self_confidence")
    return np.asarray(ranked, dtype=np.int64), np.asarray(quality, dtype=np.float64)


@dataclass
class MislabelResult:
    """The ranked mislabel candidates of a photo set, and what was (not) checked."""

    table: pd.DataFrame  # TABLE_COLUMNS, most suspicious first (rank 1)
    n_checked: int  # photos whose hand was scored
    n_no_hand: int  # photos without a hand (or unreadable): not checked
    folds: int
    seconds: float
    excluded_by_decisions: int
    relabelled_by_decisions: int
    n_too_few: int = 0  # photos of classes with a single hand: cannot be scored, not checked
    n_clips: int = 0  # of the samples, how many were clips (checked by their middle hand frame)

    @property
    def n_suspected(self) -> int:
        return len(self.table)

    def line(self) -> str:
        """The one-line summary the CLI prints."""
        text = (
            f"{self.n_checked} photos checked, {self.n_suspected} suspected, {self.folds} folds, "
            f"{self.seconds:.1f} s; {self.n_no_hand} without a hand (not checked)"
        )
        if self.n_too_few:
            text += f"; {self.n_too_few} in classes with a single hand (not checked)"
        if self.n_clips:
            text += f"; {self.n_clips} of the samples are clips (read by their middle hand frame)"
        if self.excluded_by_decisions or self.relabelled_by_decisions:
            text += (
                f"; decisions: {self.excluded_by_decisions} excluded, "
                f"{self.relabelled_by_decisions} relabelled"
            )
        return text


def candidates_table(
    relpaths: list[str],
    paths: list[str],
    labels: np.ndarray,
    probs: np.ndarray,
    ranked: np.ndarray,
    quality: np.ndarray,
    class_names: list[str],
) -> pd.DataFrame:
    """The ranked table of candidates (pure)."""
    names = np.asarray(class_names, dtype=object)
    suggested = probs[ranked].argmax(1) if len(ranked) else np.zeros(0, dtype=np.int64)
    return pd.DataFrame(
        {
            "rank": np.arange(1, len(ranked) + 1),
            "relpath": [relpaths[i] for i in ranked],
            "path": [paths[i] for i in ranked],
            "given": names[labels[ranked]],
            "suggested": names[suggested],
            "given_prob": probs[ranked, labels[ranked]],
            "suggested_prob": probs[ranked, suggested],
            "quality": quality[ranked],
        },
        columns=TABLE_COLUMNS,
    )


def _decided(table: pd.DataFrame, root: Path | None, class_names: list[str]) -> tuple[pd.DataFrame, int, int]:
    """The table with root's label decisions (label_decisions.csv) applied: (table, excluded, relabelled)."""
    from curation.decisions import apply_decisions, read_decisions

    if root is None:  # a Hub dataset: no folder beside it to hold decisions
        return table, 0, 0
    decisions = read_decisions(root)
    if decisions.empty:
        return table, 0, 0
    table, summary = apply_decisions(table, decisions, class_names)
    if summary["unknown_files"]:
        log.warning(
            "%d decision(s) name photos that are not in the data, e.g. %s",
            len(summary["unknown_files"]),
            summary["unknown_files"][0],
        )
    return table, int(summary["excluded"]), int(summary["relabelled"])


def _detections(paths: list[str], detect, progress: bool) -> tuple[list, int]:
    """(detection of each sample in path order, clips): photos go through `detect`, a clip is read by its
    middle hand frame (`sign_ml.loso.with_clip_frames`) and never goes through the hand stage."""
    from curation.clips import is_clip_path
    from sign_ml.loso import with_clip_frames

    photos = [p for p in paths if not is_clip_path(p)]
    outcomes, summary = detect(photos, progress=progress, desc="hands")
    log.info("%s", summary.line())
    found = iter(o.detection for o in outcomes)
    detections = [None if is_clip_path(p) else next(found) for p in paths]
    return with_clip_frames(paths, detections)


def _scorable(
    hands: HandSet, class_names: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The hands k-fold can score (their class has 2 or more): (points, labels, photo index of each, and
    the mask over all hands); classes with a single hand are logged."""
    rows = np.flatnonzero(hands.found)  # photo index of each hand
    hand_labels = hands.labels
    counts = np.bincount(hand_labels, minlength=len(class_names))
    scorable = counts[hand_labels] >= 2
    if (~scorable).any():
        lonely = sorted({class_names[c] for c in hand_labels[~scorable]})
        log.warning("not checked: class(es) with a single hand: %s", ", ".join(lonely))
    return hands.points[scorable], hand_labels[scorable], rows[scorable], scorable


def find_mislabels(
    data: str | Path,
    folds: int = 5,
    cfg: LandmarkConfig | None = None,
    progress: bool = True,
    apply_label_decisions: bool = True,
    detect=None,
) -> MislabelResult:
    """Mislabel candidates of a folder of class folders (e.g. the recording workspace) or a split directory.

    Label decisions (label_decisions.csv in the data root) are applied first: an excluded photo is not listed,
    a relabelled one is checked under its new label. Hands come from the landmark cache (MediaPipe once per
    photo); photos without one are counted, not checked. detect: an engine's `detect_files` (default: the
    local one, `curation.hand_cache.detect_files`).
    """
    from curation.hand_cache import detect_files
    from curation.loading import load_table
    from sign_ml.data import SplitItems
    from sign_ml.landmark_train import hand_set

    t0 = time.perf_counter()
    cfg = cfg or LandmarkConfig()
    loaded = load_table(data)
    class_names = list(loaded.class_names)  # every class on disk, so a relabel can name one that was emptied
    table = loaded.table
    excluded = relabelled = 0
    if apply_label_decisions:
        table, excluded, relabelled = _decided(table, loaded.root, class_names)
    if table.empty:
        raise ValueError(f"{data}: every photo is excluded by label decisions")
    index = {c: i for i, c in enumerate(class_names)}
    paths = table["path"].astype(str).tolist()
    relpaths = table["relpath"].astype(str).tolist() if "relpath" in table else paths
    labels = np.asarray([index[c] for c in table["label"].astype(str)], dtype=np.int64)

    detections, n_clips = _detections(paths, detect or detect_files, progress)
    hands = hand_set(SplitItems("all", paths, labels), detections, cfg.handedness)
    points, hand_labels, rows, scorable = _scorable(hands, class_names)
    if len(np.unique(hand_labels)) < 2:
        raise ValueError(
            f"{data}: need hands of at least 2 classes with 2 or more photos each to look for mislabels "
            f"({len(hand_labels)} usable hands)"
        )
    k = fold_count(hand_labels, folds)
    probs = out_of_sample_probs(
        points, hand_labels, len(class_names), cfg, folds=k, seed=cfg.seed, progress=progress
    )
    ranked, quality = rank_label_issues(hand_labels, probs)
    out = candidates_table(
        [relpaths[i] for i in rows],
        [paths[i] for i in rows],
        hand_labels,
        probs,
        ranked,
        quality,
        class_names,
    )
    result = MislabelResult(
        out,
        n_checked=len(hand_labels),
        n_no_hand=int((~hands.found).sum()),
        folds=k,
        seconds=time.perf_counter() - t0,
        excluded_by_decisions=excluded,
        relabelled_by_decisions=relabelled,
        n_too_few=int((~scorable).sum()),
        n_clips=n_clips,
    )
    log.info("%s", result.line())
    return result
