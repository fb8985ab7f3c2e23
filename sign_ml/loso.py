"""Leave-one-signer-out (LOSO) accuracy of a run's model kind: the honest number for a signer it has not seen.

    all photos of a split directory (train + validation + test pooled), each with its signer (manifest `group`)
      → for each signer: train the run's kind (landmark MLP or temporal model, with the run's recipe) on every
        other signer's samples, predict this signer's photos and clips
      → per-signer table, pooled accuracy (no hand = wrong), confusion matrix → RUN/eval/<split>/loso.json

Training a landmark model takes seconds, so one fit per signer is cheap. With one signer there is no one to
hold out: the result says so (status "one_signer") instead of inventing a number.

Clips (`.clip.json` rows of the manifest) are samples like photos and count for their signer. A fold of a
temporal run trains `temporal_train.fit_temporal_model` on the other signers' photos and clips and reads a
held-out clip whole, so a motion letter is scored by its movement. The landmark model of a fold is a still
model, so it reads a clip as `Predictor.predict_clip` reads one with a still kind, by the hand frame nearest
the middle of the hand's time (`sign_ml.predict.still_frame`); `n_clips` says how many there were.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from sign_ml.config import LandmarkConfig

if TYPE_CHECKING:  # reading and writing loso.json needs no torch
    import torch

log = logging.getLogger(__name__)

LOSO_FILE = "loso.json"
LOSO_CONFUSION_PNG = "loso_confusion.png"
PER_SIGNER_COLUMNS = ["signer", "photos", "hands", "correct", "accuracy"]
STATUSES = ("ok", "one_signer", "no_signers")
ONE_SIGNER_SENTENCE = "one signer: accuracy on new signers is unknown"
NO_SIGNERS_SENTENCE = "no signer information: accuracy on new signers is unknown"


@dataclass
class LosoResult:
    """Leave-one-signer-out accuracy of the run's model kind, per signer and pooled."""

    status: str  # "ok" (≥2 signers) | "one_signer" (accuracy on new signers is unknown) | "no_signers"
    class_names: list[str]
    per_signer: pd.DataFrame  # signer, photos, hands, correct, accuracy: one row per signer, in signer order
    accuracy: float | None  # pooled over all held-out photos (no hand = wrong); None unless status == "ok"
    mean_signer_accuracy: float | None  # the unweighted mean of the per-signer accuracies
    confusion: np.ndarray | None  # (K, K) counts, rows true, columns predicted, held-out photos WITH a hand
    no_hand: int  # held-out photos in which no hand was found (counted wrong)
    seconds: float
    class_no_hand: list[int] = field(
        default_factory=list
    )  # (K,) no-hand photos per true class (for the plot)
    config: dict[str, Any] = field(default_factory=dict)  # the LandmarkConfig each fold trained with
    command: str = ""  # the command that produced it (the model card quotes it)
    n_clips: int = 0  # of the held-out samples, how many were clips
    kind: str = (
        "landmarks"  # the model each fold trained: "landmarks" (clips by their still frame) | "temporal"
    )

    @property
    def sentence(self) -> str:
        """One line a person reads: the pooled number, or why there is none."""
        if self.status == "ok":
            return (
                f"leave-one-signer-out accuracy {self.accuracy:.4f} over {len(self.per_signer)} signers "
                f"(mean over signers {self.mean_signer_accuracy:.4f})"
            )
        return ONE_SIGNER_SENTENCE if self.status == "one_signer" else NO_SIGNERS_SENTENCE

    def to_dict(self) -> dict[str, Any]:
        rows = [
            {
                "signer": str(r["signer"]),
                "photos": int(r["photos"]),
                "hands": int(r["hands"]),
                "correct": None if pd.isna(r["correct"]) else int(r["correct"]),
                "accuracy": None if pd.isna(r["accuracy"]) else float(r["accuracy"]),
            }
            for r in self.per_signer.to_dict("records")
        ]
        return {
            "status": self.status,
            "class_names": list(self.class_names),
            "per_signer": rows,
            "accuracy": self.accuracy,
            "mean_signer_accuracy": self.mean_signer_accuracy,
            "confusion": None if self.confusion is None else self.confusion.astype(int).tolist(),
            "no_hand": int(self.no_hand),
            "class_no_hand": [int(v) for v in self.class_no_hand],
            "seconds": round(float(self.seconds), 2),
            "config": dict(self.config),
            "command": self.command,
            "n_clips": int(self.n_clips),
            "kind": self.kind,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> LosoResult:
        if not isinstance(d, dict) or d.get("status") not in STATUSES:
            raise ValueError(f"not a leave-one-signer-out result (status must be one of {STATUSES})")
        per_signer = pd.DataFrame(d.get("per_signer") or [], columns=PER_SIGNER_COLUMNS)
        per_signer["signer"] = per_signer["signer"].astype(str)
        per_signer["accuracy"] = per_signer["accuracy"].astype(float)
        confusion = d.get("confusion")
        return cls(
            status=d["status"],
            class_names=[str(c) for c in d["class_names"]],
            per_signer=per_signer,
            accuracy=_float_or_none(d.get("accuracy")),
            mean_signer_accuracy=_float_or_none(d.get("mean_signer_accuracy")),
            confusion=None if confusion is None else np.asarray(confusion, dtype=np.int64),
            no_hand=int(d.get("no_hand", 0)),
            seconds=float(d.get("seconds", 0.0)),
            class_no_hand=[int(v) for v in d.get("class_no_hand") or []],
            config=dict(d.get("config") or {}),
            command=str(d.get("command", "")),
            n_clips=int(d.get("n_clips", 0)),
            kind=str(d.get("kind", "landmarks")),
        )

    def interpretation(self):
        """The held-out predictions as an `Interpretation` rebuilt from the counts (for the confusion plot);
        None without a confusion matrix."""
        from sign_ml.evaluate import Interpretation

        if self.confusion is None or self.confusion.sum() + sum(self.class_no_hand) == 0:
            return None
        k = len(self.class_names)
        t, p = np.nonzero(self.confusion)
        counts = self.confusion[t, p]
        y_true = np.repeat(t, counts)
        probs = np.eye(k, dtype=np.float32)[np.repeat(p, counts)]
        no_hand = np.asarray(self.class_no_hand or [0] * k, dtype=np.int64)
        y_true = np.concatenate([y_true, np.repeat(np.arange(k), no_hand)])
        probs = np.concatenate(
            [probs, np.zeros((int(no_hand.sum()), k), dtype=np.float32)]
        )  # no hand: all zero
        return Interpretation(
            self.class_names, y_true, probs, [""] * len(y_true), split="leave-one-signer-out"
        )


def _float_or_none(value: Any) -> float | None:
    return None if value is None else float(value)


def predict_points(model: torch.nn.Module, points: np.ndarray) -> np.ndarray:
    """(M, 21, 3) pixel-space hands → (M, K) float64 probabilities of a landmark model (eval mode)."""
    import torch

    from sign_ml.landmark_train import set_features

    if len(points) == 0:
        return np.zeros((0, model.net[-1].out_features))
    model.eval()
    with torch.inference_mode():
        logits = model(torch.from_numpy(set_features(points)))
    return torch.softmax(logits.double(), 1).numpy()


def with_clip_frames(paths: Sequence[str], detections: Sequence[Any]) -> tuple[list[Any], int]:
    """`detections` with every clip's entry replaced by its still frame as a detection (the frame a still
    model reads, as `Predictor.predict_clip` does; no hand: a detection without one; an unreadable clip:
    None, logged with its one line), and the number of clips."""
    from curation.clips import ClipError, is_clip_path, read_clip
    from sign_ml.predict import clip_detection, still_frame

    out, n_clips = list(detections), 0
    for k, path in enumerate(paths):
        if not is_clip_path(path):
            continue
        n_clips += 1
        try:
            clip = read_clip(path)
        except ClipError as exc:
            log.warning("%s", exc)
            out[k] = None
            continue
        frame = still_frame(clip)
        out[k] = clip_detection(clip, frame if frame is not None else 0)
    return out, n_clips


def _hand_set(points: np.ndarray, labels: np.ndarray, found: np.ndarray):
    from sign_ml.landmark_train import HandSet

    return HandSet(points, labels[found], found, labels, 0)


def _signer_names(signers: Sequence[str]) -> np.ndarray:
    """(N,) signer of each sample as a stripped string; "" where there is none (None, NaN, blank)."""
    return np.asarray(
        ["" if s is None or (isinstance(s, float) and np.isnan(s)) else str(s).strip() for s in signers],
        dtype=object,
    )


def _check_samples(
    labels: np.ndarray, found: np.ndarray, signer: np.ndarray, n_hands: int, num_classes: int, class_names
) -> None:
    n = len(labels)
    if len(found) != n or len(signer) != n:
        raise ValueError(
            f"labels, found and signers must have one value per photo: {n}, {len(found)}, {len(signer)}"
        )
    if n_hands != int(found.sum()):
        raise ValueError(
            f"points must hold one hand per found photo: {n_hands} hands, {int(found.sum())} found"
        )
    if len(class_names) != num_classes:
        raise ValueError(f"{len(class_names)} class names for {num_classes} classes")
    if n and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"labels must be class indices in 0..{num_classes - 1}")


# fit_predict(train, test): (N,) masks of the found samples to train on and to predict → the predicted
# class of each test sample (in sample order), and the fit's seconds
FitPredict = Callable[[np.ndarray, np.ndarray], tuple[np.ndarray, float]]


def _signer_counts(known: np.ndarray, signer: np.ndarray, found: np.ndarray, s: str) -> dict[str, Any]:
    mine = known & (signer == s)
    return {"signer": s, "photos": int(mine.sum()), "hands": int((mine & found).sum())}


def _without_folds(
    names: list[str],
    known: np.ndarray,
    signer: np.ndarray,
    found: np.ndarray,
    class_names: list[str],
    cfg_dict: dict[str, Any],
    t0: float,
) -> LosoResult:
    """The result when fewer than 2 signers leave nothing to hold out: counts only, accuracy unknown."""
    status = "no_signers" if not names else "one_signer"
    per_signer = pd.DataFrame(
        [_signer_counts(known, signer, found, s) | {"correct": np.nan, "accuracy": np.nan} for s in names],
        columns=PER_SIGNER_COLUMNS,
    )
    log.info("leave-one-signer-out: %s", ONE_SIGNER_SENTENCE if names else NO_SIGNERS_SENTENCE)
    return LosoResult(
        status,
        list(class_names),
        per_signer,
        None,
        None,
        None,
        int((known & ~found).sum()),
        time.perf_counter() - t0,
        config=cfg_dict,
    )


def _one_fold(
    s: str,
    labels: np.ndarray,
    found: np.ndarray,
    signer: np.ndarray,
    known: np.ndarray,
    fit_predict: FitPredict,
    confusion: np.ndarray,
    class_no_hand: np.ndarray,
) -> dict[str, Any]:
    """Hold out signer s: fit on the others, add its predictions to confusion (in place); its per-signer row."""
    num_classes = len(confusion)
    test = known & (signer == s)
    train = known & ~test & found
    row = _signer_counts(known, signer, found, s)
    test_hands = test & found
    class_no_hand += np.bincount(labels[test & ~found], minlength=num_classes)
    if not train.any():  # nothing to learn from: every photo of this signer counts as wrong
        log.warning("no hand found in any photo of the signers other than %r: its photos count as wrong", s)
        return row | {"correct": 0, "accuracy": 0.0}
    pred, seconds = fit_predict(train, test_hands)
    truth = labels[test_hands]
    np.add.at(confusion, (truth, pred), 1)
    correct = int((pred == truth).sum())
    log.info(
        "signer %s: %d of %d photos right (%d with a hand); fit %.1f s",
        s,
        correct,
        row["photos"],
        row["hands"],
        seconds,
    )
    return row | {"correct": correct, "accuracy": correct / row["photos"] if row["photos"] else np.nan}


def _folds(
    labels: np.ndarray,
    found: np.ndarray,
    signer: np.ndarray,
    num_classes: int,
    class_names: list[str],
    cfg_dict: dict[str, Any],
    fit_predict: FitPredict,
    progress: bool,
    t0: float,
) -> LosoResult:
    """The fold loop any model kind shares: hold out each signer, fit on the others' found samples, count."""
    from tqdm.auto import tqdm

    n = len(labels)
    known = signer != ""
    if (~known).any() and known.any():
        log.warning(
            "%d of %d photos have no signer and are left out of leave-one-signer-out", int((~known).sum()), n
        )
    names = sorted(set(signer[known].tolist()))
    if len(names) < 2:
        return _without_folds(names, known, signer, found, class_names, cfg_dict, t0)

    confusion = np.zeros((num_classes, num_classes), dtype=np.int64)
    class_no_hand = np.zeros(num_classes, dtype=np.int64)
    rows = [
        _one_fold(s, labels, found, signer, known, fit_predict, confusion, class_no_hand)
        for s in tqdm(names, desc="leave one signer out", unit="signer", disable=not progress)
    ]
    per_signer = pd.DataFrame(rows, columns=PER_SIGNER_COLUMNS)
    total = int(per_signer["photos"].sum())
    accuracy = float(per_signer["correct"].sum() / total) if total else None
    mean_acc = float(per_signer["accuracy"].mean())
    return LosoResult(
        "ok",
        list(class_names),
        per_signer,
        accuracy,
        mean_acc,
        confusion,
        int(class_no_hand.sum()),
        time.perf_counter() - t0,
        class_no_hand=class_no_hand.tolist(),
        config=cfg_dict,
    )


def leave_one_signer_out(
    points: np.ndarray,
    labels: np.ndarray,
    found: np.ndarray,
    signers: Sequence[str],
    num_classes: int,
    class_names: list[str],
    cfg: LandmarkConfig | None = None,
    progress: bool = False,
) -> LosoResult:
    """One landmark-model fit per signer on everyone else's hands, tested on that signer's photos (pure).

    points: (M, 21, 3) pixel-space hands of the photos where one was found, in photo order;
    labels, found, signers: (N,) over all photos (a photo without a signer, "" or None, is left out, logged).
    cfg: the recipe of each fit (default: LandmarkConfig()); no validation split, so the last epoch is kept.
    """
    from sign_ml.landmark_train import fit_landmark_model

    t0 = time.perf_counter()
    cfg = cfg or LandmarkConfig()
    if cfg.keep != "last":  # nothing to validate on: every other signer trains
        cfg = cfg.replace(keep="last")
    labels = np.asarray(labels, dtype=np.int64)
    found = np.asarray(found, dtype=bool)
    points = np.asarray(points, dtype=np.float64)
    signer = _signer_names(signers)
    _check_samples(labels, found, signer, len(points), num_classes, class_names)
    # row of each photo in `points` (-1 where no hand)
    hand_row = np.full(len(labels), -1, dtype=np.int64)
    hand_row[found] = np.arange(int(found.sum()))

    def fit_predict(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, float]:
        fit = fit_landmark_model(cfg, _hand_set(points[hand_row[train]], labels, train), None, num_classes)
        return predict_points(fit.model, points[hand_row[test]]).argmax(1), fit.seconds

    return _folds(labels, found, signer, num_classes, class_names, cfg.to_dict(), fit_predict, progress, t0)


def predict_temporal(model: torch.nn.Module, rows: list[np.ndarray], batch_size: int = 256) -> np.ndarray:
    """Rows of `temporal_model.clip_rows` (one per sample) → (M,) predicted classes of a temporal model."""
    import torch

    from sign_ml.temporal_train import pad

    out = np.zeros(len(rows), dtype=np.int64)
    order = np.argsort([len(r) for r in rows], kind="stable")  # similar lengths together: less padding
    model.eval()
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            x, mask = pad([rows[i] for i in idx])
            out[idx] = model(x, mask).argmax(1).numpy()
    return out


def leave_one_signer_out_temporal(
    hands: Sequence[np.ndarray],
    times: Sequence[np.ndarray | None],
    labels: np.ndarray,
    found: np.ndarray,
    signers: Sequence[str],
    num_classes: int,
    class_names: list[str],
    cfg: Any = None,
    progress: bool = False,
) -> LosoResult:
    """One temporal-model fit per signer on everyone else's photos and clips (`fit_temporal_model`, as a
    temporal run trains), tested on that signer's photos and clips, each clip read whole (pure).

    hands, times: one per found sample, in sample order: a photo's (21, 3) hand and None, or a clip's
    (T, 21, 3) pixel-space frames (NaN rows: no hand) and (T,) seconds; labels, found, signers: (N,).
    cfg: a TemporalConfig (default: its defaults); the last epoch is kept.
    """
    from sign_ml.landmark_train import HandSet
    from sign_ml.temporal_model import clip_rows
    from sign_ml.temporal_train import ClipSet, TemporalConfig, fit_temporal_model, photo_rows

    t0 = time.perf_counter()
    cfg = cfg or TemporalConfig()
    if cfg.keep != "last":
        cfg = cfg.replace(keep="last")
    labels = np.asarray(labels, dtype=np.int64)
    found = np.asarray(found, dtype=bool)
    signer = _signer_names(signers)
    _check_samples(labels, found, signer, len(hands), num_classes, class_names)
    if len(times) != len(hands):
        raise ValueError(f"hands and times must have one entry per found sample: {len(hands)}, {len(times)}")
    index = np.flatnonzero(found)  # sample → its entry in hands/times
    is_clip = np.zeros(len(labels), dtype=bool)
    is_clip[index] = [t is not None for t in times]
    entry = np.full(len(labels), -1, dtype=np.int64)
    entry[index] = np.arange(len(index))

    def fit_predict(train: np.ndarray, test: np.ndarray) -> tuple[np.ndarray, float]:
        photo, clip = np.flatnonzero(train & ~is_clip), np.flatnonzero(train & is_clip)
        pts = np.asarray([hands[entry[k]] for k in photo], dtype=np.float64).reshape(-1, 21, 3)
        photos = HandSet(pts, labels[photo], np.ones(len(photo), bool), labels[photo], 0)
        clips = ClipSet(
            [hands[entry[k]] for k in clip], [times[entry[k]] for k in clip], labels[clip], len(clip), 0
        )
        fit = fit_temporal_model(cfg, photos, clips, None, num_classes)
        rows = [
            clip_rows(hands[entry[k]], times[entry[k]])
            if is_clip[k]
            else photo_rows(np.asarray(hands[entry[k]], dtype=np.float64)[None])[0]
            for k in np.flatnonzero(test)
        ]
        return (predict_temporal(fit.model, rows) if rows else np.zeros(0, np.int64)), fit.seconds

    return _folds(labels, found, signer, num_classes, class_names, cfg.to_dict(), fit_predict, progress, t0)


# ---------------------------------------------------------------- I/O


def temporal_samples(
    items: Any, splits_dir: Path, handedness: str, progress: bool = False
) -> tuple[list[np.ndarray], list[np.ndarray | None], np.ndarray, np.ndarray, int]:
    """One split's samples as `leave_one_signer_out_temporal` takes them, in the split's row order:
    (hands, times of the found samples, labels (N,), found (N,), clips). A clip is read as
    `temporal_train.clip_set` reads it (unreadable or handless: not found, logged)."""
    from sign_ml.data import SplitItems
    from sign_ml.landmark_train import detections_for, hand_set
    from sign_ml.temporal_train import clip_set, is_clip_row

    detections, _ = detections_for(items, splits_dir, progress=progress)
    hands: list[np.ndarray] = []
    times: list[np.ndarray | None] = []
    found = np.zeros(len(items.paths), dtype=bool)
    n_clips = 0
    for k, (path, det) in enumerate(zip(items.paths, detections, strict=True)):
        one = SplitItems(items.name, [path], items.labels[k : k + 1])
        if is_clip_row(path):
            n_clips += 1
            clips = clip_set(one, handedness)
            if len(clips.points):
                hands.append(clips.points[0])
                times.append(clips.times[0])
                found[k] = True
            continue
        photo = hand_set(one, [det], handedness)  # the landmark kind's mirroring rule
        if len(photo.points):
            hands.append(photo.points[0])
            times.append(None)
            found[k] = True
    return hands, times, np.asarray(items.labels, dtype=np.int64), found, n_clips


def _split_samples(
    items: Any, splits_dir: Path, cfg: Any, temporal: bool, progress: bool
) -> tuple[list[np.ndarray], list[np.ndarray | None], np.ndarray, np.ndarray, int]:
    """One split's samples for the pooled LOSO: (point blocks to pool, times, labels (N,), found (N,), clips).

    Temporal: one block per found sample, with its times; landmarks: the split's hands as one block, no times.
    """
    from sign_ml.landmark_train import detections_for, hand_set

    if temporal:
        return temporal_samples(items, splits_dir, cfg.handedness, progress)
    detections, _ = detections_for(items, splits_dir, progress=progress)
    detections, clips = with_clip_frames(items.paths, detections)
    hand = hand_set(items, detections, cfg.handedness)
    return [hand.points], [], hand.all_labels, hand.found, clips


def _pooled_loso(
    points: list[np.ndarray],
    times: list[np.ndarray | None],
    labels: list[np.ndarray],
    found: list[np.ndarray],
    signers: list[str],
    class_names: list[str],
    cfg: Any,
    temporal: bool,
    progress: bool,
) -> LosoResult:
    """The LOSO of the pooled splits by the model kind cfg names."""
    rest = (np.concatenate(labels), np.concatenate(found), signers, len(class_names), class_names, cfg)
    if temporal:
        return leave_one_signer_out_temporal(points, times, *rest, progress=progress)
    return leave_one_signer_out(np.concatenate(points), *rest, progress=progress)


def loso_for_split_dir(
    splits_dir: str | Path,
    group_column: str = "group",
    cfg: Any = None,
    progress: bool = True,
) -> LosoResult:
    """LOSO over every photo of a split directory (all three splits pooled); signers from a manifest column.

    Hands come from the manifest's `hand` column when the split ran the hand stage, else the landmark cache
    (MediaPipe once per photo). group_column: the manifest column holding the signer ("group" when the split
    was made with `--group-column signer`); empty values mean no signer information.
    cfg: a LandmarkConfig (default) trains each fold's landmark MLP, clips read by their still frame; a
    `temporal_train.TemporalConfig` trains each fold's temporal model, clips read whole.
    """
    from curation.manifest import MANIFEST_FILE, SPLIT_NAMES, read_manifest
    from sign_ml.data import SplitItems, read_split_dir
    from sign_ml.temporal_train import TemporalConfig

    splits_dir = Path(splits_dir)
    cfg = cfg or LandmarkConfig()
    temporal = isinstance(cfg, TemporalConfig)
    data = read_split_dir(splits_dir)
    table, _ = read_manifest(splits_dir)
    if group_column not in table.columns:
        raise ValueError(
            f"{splits_dir / MANIFEST_FILE}: no column {group_column!r} "
            f"(columns: {', '.join(map(str, table.columns))})"
        )
    points, labels, found, signers, relpaths = [], [], [], [], []
    times: list[np.ndarray | None] = []
    n_clips = 0
    for name in SPLIT_NAMES:
        items: SplitItems = data.splits[name]
        if not len(items):
            continue
        rows = table[table["split"] == name]
        split_points, split_times, split_labels, split_found, clips = _split_samples(
            items, splits_dir, cfg, temporal, progress
        )
        points += split_points
        times += split_times
        labels.append(split_labels)
        found.append(split_found)
        n_clips += clips
        signers += rows[group_column].fillna("").astype(str).tolist()
        relpaths += rows["relpath"].astype(str).tolist()
    if not labels:
        raise ValueError(f"{splits_dir}: no photos in the manifest")
    if not any(signers):  # not split by signer (e.g. one signer): the data's own metadata may still name them
        signers = signers_from_metadata(relpaths, data.info, splits_dir) or signers
    result = _pooled_loso(points, times, labels, found, signers, data.class_names, cfg, temporal, progress)
    result.n_clips = n_clips
    result.kind = "temporal" if temporal else "landmarks"
    return result


def signers_from_metadata(
    relpaths: Sequence[str], info: dict[str, Any], splits_dir: Path, column: str = "signer"
) -> list[str] | None:
    """The `signer` of each photo in `relpaths` from the data folder's metadata.csv (a recording workspace
    writes one), or None when there is none."""
    from curation.loading import metadata_column

    root = info.get("data_root")
    if not root:
        return None
    root = Path(root) if Path(root).is_absolute() else splits_dir / root
    try:
        names = metadata_column(root, column)
    except (FileNotFoundError, ValueError, OSError):
        return None
    return [names.get(r, "") for r in relpaths]


def run_eval_dir(run_dir: str | Path) -> Path:
    """RUN/eval/<split>/ that the app (`sign_ml.ui.data.find_eval_dir`) and `sign-ml push` read: eval/test/ when
    it is evaluated or nothing is yet, else the evaluated split found first (the same order as find_eval_dir)."""
    from sign_ml.evaluate import EVAL_DIR, METRICS_FILE

    root = Path(run_dir) / EVAL_DIR
    if (root / "test" / METRICS_FILE).is_file():
        return root / "test"
    if (root / METRICS_FILE).is_file():
        return root
    found = sorted(p.parent for p in root.glob(f"*/{METRICS_FILE}"))
    return found[0] if found else root / "test"


def save_loso(result: LosoResult, eval_dir: str | Path) -> Path:
    """Write eval_dir/loso.json (atomically) and loso_confusion.png beside it; returns the JSON's path."""
    from curation.fileio import atomic_write_bytes, atomic_write_json
    from sign_ml.evaluate import figure_png

    eval_dir = Path(eval_dir)
    eval_dir.mkdir(parents=True, exist_ok=True)
    path = atomic_write_json(eval_dir / LOSO_FILE, result.to_dict())
    interp = result.interpretation()
    png = eval_dir / LOSO_CONFUSION_PNG
    if interp is None:
        png.unlink(missing_ok=True)  # a plot from an earlier result would contradict the JSON
    else:
        atomic_write_bytes(png, figure_png(interp.plot_confusion_matrix(normalize=True)))
    log.info("wrote %s", path)
    return path


def load_loso(eval_dir: str | Path | None) -> LosoResult | None:
    """eval_dir/loso.json as a LosoResult; None when there is none (a broken file raises ValueError naming it)."""
    from curation.fileio import read_json

    if eval_dir is None or not (Path(eval_dir) / LOSO_FILE).is_file():
        return None
    path = Path(eval_dir) / LOSO_FILE
    try:
        return LosoResult.from_dict(read_json(path))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: {exc}") from None


def loso_for_run(
    run_dir: str | Path,
    splits_dir: str | Path,
    group_column: str = "group",
    config_file: str | Path | None = None,
    progress: bool = True,
) -> tuple[LosoResult, Path]:
    """What `sign-ml loso` runs: LOSO with the run's own landmark recipe (or `config_file`'s), saved into
    the run's evaluation folder; (the result, the path of loso.json). Refuses a split of other classes."""
    import shlex

    from sign_ml.artifacts import read_meta
    from sign_ml.data import read_split_dir

    meta = read_meta(run_dir)  # refuses a folder that is not a run
    classes = read_split_dir(splits_dir).class_names
    if list(classes) != list(meta.class_names):
        raise ValueError(
            f"{splits_dir}: its classes differ from the run's ({len(classes)} vs "
            f"{len(meta.class_names)}); the numbers would describe another model"
        )
    cfg = run_config(meta.kind, meta.train_config, config_file)
    result = loso_for_split_dir(splits_dir, group_column=group_column, cfg=cfg, progress=progress)
    words = ["sign-ml", "loso", "--data", str(splits_dir), "--run", str(run_dir)]
    if group_column != "group":
        words += ["--group-column", group_column]
    if config_file:
        words += ["--config", str(config_file)]
    result.command = shlex.join(words)
    return result, save_loso(result, run_eval_dir(run_dir))


def run_config(kind: str, train_config: dict[str, Any] | None, config_file: str | Path | None = None) -> Any:
    """The recipe each fold trains with: the run's kind (a temporal run: `TemporalConfig`, else the landmark
    MLP's `LandmarkConfig`) with `config_file`'s values, else the run's own, else the kind's defaults."""
    from sign_ml.temporal_train import TemporalConfig

    config_class = TemporalConfig if kind == "temporal" else LandmarkConfig
    if config_file:
        return config_class.from_file(config_file)
    if kind in ("landmarks", "temporal") and train_config:
        return config_class.from_dict(train_config)
    return config_class()


CLIP_READING = {"landmarks": "by its middle hand frame", "temporal": "whole by the temporal model"}


def group_lines(result: LosoResult) -> list[str]:
    """The static and motion letters' pooled held-out accuracy, as `sign-ml evaluate` groups them (none
    for an alphabet without motion letters)."""
    from sign_ml.evaluate import MOTION

    interp = result.interpretation()
    if interp is None:
        return []
    groups = interp.groups()
    if not (groups["group"] == MOTION).any():
        return []
    return [
        f"{r['group']} letters ({r['classes']}): {r['correct']} of {r['support']} right"
        + (f", accuracy {r['accuracy']:.4f}" if r["support"] else "")
        for r in groups.to_dict("records")
    ]


def samples_column(result: LosoResult) -> str:
    """The per-signer table's name for its "photos" column: what it counts (clips too, when there are)."""
    return "photos + clips" if result.n_clips else "photos"


def loso_lines(result: LosoResult, path: Path) -> list[str]:
    """What `sign-ml loso` reports: the per-signer table and the pooled accuracy, or why there is none."""
    shown = result.per_signer.rename(columns={"photos": samples_column(result)})
    if result.status != "ok":
        table = shown[["signer", samples_column(result), "hands"]]
        lines = [table.to_string(index=False)] if len(table) else []
        lines.append(result.sentence)
    else:
        lines = [
            shown.to_string(index=False, float_format=lambda v: f"{v:.4f}"),
            f"pooled accuracy {result.accuracy:.4f} over {int(result.per_signer['photos'].sum())} "
            + (
                f"samples ({result.n_clips} clips, each read {CLIP_READING[result.kind]}) "
                if result.n_clips
                else "photos "
            )
            + f"({result.no_hand} without a hand, counted wrong); mean over {len(result.per_signer)} signers "
            f"{result.mean_signer_accuracy:.4f}; {result.seconds:.1f} s",
            *group_lines(result),
        ]
    return lines + [f"written to {path}"]
