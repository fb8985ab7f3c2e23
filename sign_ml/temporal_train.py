"""Training the temporal model: photos and clips of one split, one model for still and moving letters.

    split dir → photos: hands from the split's columns / the landmark cache (as `landmark_train`)
              → clip rows (a path ending in `.clip.json`): `curation.clips.read_clip`
              → [augmented: new views; clips also new speed, start phase, path size; photos also held still]
              → `temporal_model.clip_rows` → TemporalNet → run directory (kind "temporal")

A photo trains twice: as a clip of one frame, and (a share of them, `still_clips`) as a "held still" clip
(`synthetic_motion.held_still`), so a still handshape held for a second reads as that letter, not as a
motion letter starting with it. Clip augmentations are drawn `variants` times before training (the
trajectory features cost a millisecond a clip) and epoch e uses variant e mod `variants`; photos get a
fresh view every epoch. The run directory has the landmark run's shape (model.safetensors, config.json
with kind="temporal", train_config.json, metrics.csv, curves.png, checkpoints/last.pt), and resuming and
its refusals are the landmark kind's (`landmark_train.checked_checkpoint`). Validation accuracy counts
photos without a hand and unreadable clips as wrong.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from curation.clips import CLIP_SUFFIX, ClipError, read_clip
from sign_ml.config import ConfigBase, landmark_kind_problems
from sign_ml.data import SplitData, SplitItems, derive_seed
from sign_ml.landmark_train import (
    FitResult,
    HandSet,
    detections_for,
    epoch_row,
    finish_run,
    fit_result,
    hand_set,
    optimization,
    resume_into,
    run_epochs,
    run_meta,
    set_features,
    split_info,
    standardize,
    start_run,
    torch_threads,
    warn_missing,
)
from sign_ml.landmarks import augment_points
from sign_ml.progress import ProgressCallback
from sign_ml.synthetic_motion import held_still
from sign_ml.temporal_model import TemporalNet, clip_rows, n_inputs, temporal_spec
from sign_ml.trajectory import STEPS, augment_clip, hand_mask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TemporalConfig(ConfigBase):
    """Training configuration of the temporal model (photos and clips; a photo is a clip of one frame)."""

    # --- features (sign_ml/landmarks.py, sign_ml/trajectory.py) ---
    handedness: str = "symmetric"  # as LandmarkConfig: symmetric | mirror_left | as_is
    # --- model (sign_ml/temporal_model.py) ---
    width: int = 128  # units of the frame layer, the convolution, the trajectory layer and the head
    dropout: float = 0.3
    # --- optimisation ---
    epochs: int = 150
    keep: str = "last"  # "last" | "best_val", as LandmarkConfig
    batch_size: int = 64
    lr: float = 3e-3  # AdamW, one-cycle schedule
    weight_decay: float = 1e-3
    label_smoothing: float = 0.1
    # --- augmentation (train split only) ---
    augment: bool = True
    rotation_deg: float = 15.0  # ± in-plane rotation of the whole hand (one draw per clip)
    tilt_deg: float = 20.0  # ± rotation towards or away from the camera
    scale_jitter: float = 0.1  # ± relative stretch along x and y
    noise: float = 0.02  # std of per-landmark jitter, in hand sizes
    speed: tuple[float, ...] = (0.75, 1.33)  # a clip played this many times as fast (log-uniform)
    crop: float = 0.15  # up to this share of a clip's duration cut from its start and from its end
    path_scale: tuple[float, ...] = (0.7, 1.4)  # how far the hand travels, relative
    still_clips: float = 0.5  # held-still clips per photo and variant (0: photos only as one frame)
    variants: int = 8  # augmented copies of each clip drawn before training
    # --- runtime ---
    seed: int = 0
    out_dir: str = "runs/latest"
    extra: dict[str, Any] = field(default_factory=dict)  # free-form notes saved with the run

    def range_problems(self) -> list[str]:
        problems = landmark_kind_problems(self)  # the fields it shares with LandmarkConfig
        if not 1 <= self.width <= 4096:
            problems.append(f"width must be in 1..4096, got {self.width}")
        for name in ("speed", "path_scale"):
            low_high = getattr(self, name)
            if len(low_high) != 2 or not 0 < low_high[0] <= low_high[1] <= 10:
                problems.append(f"{name} must be [low, high] with 0 < low ≤ high ≤ 10, got {list(low_high)}")
        if not 0.0 <= self.crop < 0.5 or not 0.0 <= self.still_clips <= 4.0:
            problems.append("crop must be in [0, 0.5) and still_clips in [0, 4]")
        if not 1 <= self.variants <= 64:
            problems.append(f"variants must be in 1..64, got {self.variants}")
        return problems


# --------------------------------------------------------------------------- samples
@dataclass
class ClipSet:
    """The clips of one split: pixel-space landmarks (NaN rows: no hand) and times, per usable clip."""

    points: list[np.ndarray]  # each (T, 21, 3) float64, mirrored already where the config says so
    times: list[np.ndarray]  # each (T,) seconds
    labels: np.ndarray  # (M,) int64
    n: int  # clip rows in the split, usable or not
    unreadable: int


def is_clip_row(path: str) -> bool:
    return str(path).lower().endswith(CLIP_SUFFIX)


def split_rows(items: SplitItems) -> tuple[SplitItems, SplitItems]:
    """(photo rows, clip rows) of one split, each in manifest order."""
    clip = np.array([is_clip_row(p) for p in items.paths], dtype=bool)
    pick = lambda keep: SplitItems(  # noqa: E731
        items.name, [p for p, k in zip(items.paths, keep, strict=True) if k], items.labels[keep]
    )
    return pick(~clip), pick(clip)


def clip_set(items: SplitItems, handedness: str) -> ClipSet:
    """Read a split's clip rows; a clip that cannot be read is counted (and logged), not trained on."""
    from sign_ml.landmarks import mirror_points
    from sign_ml.trajectory import clip_points

    points, times, labels, bad = [], [], [], 0
    for path, label in zip(items.paths, items.labels.tolist(), strict=True):
        try:
            clip = read_clip(path)
        except ClipError as exc:
            log.warning("%s", exc)
            bad += 1
            continue
        p = clip_points(clip.landmarks, clip.width, clip.height)
        found = hand_mask(p)
        if not found.any():
            log.warning("%s: no frame has a hand; left out", path)
            bad += 1
            continue
        calls = [h for h, f in zip(clip.handedness, found, strict=True) if f and h]
        if handedness == "mirror_left" and calls and 2 * sum(h == "Left" for h in calls) > len(calls):
            p = mirror_points(p)  # the same rule as temporal_model.clip_input
        points.append(p)
        times.append(np.asarray(clip.times, dtype=np.float64))
        labels.append(label)
    return ClipSet(points, times, np.asarray(labels, dtype=np.int64), len(items), bad)


def photo_rows(points: np.ndarray) -> np.ndarray:
    """(M, 21, 3) pixel-space hands → (M, 1, n_inputs): each photo a clip of one frame, whose trajectory
    is all zeros (no movement); the same as clip_rows of each, computed in one go."""
    frames = set_features(points)
    out = np.zeros((len(points), 1, n_inputs()), dtype=np.float32)
    out[:, 0, : frames.shape[1]] = frames
    return out


def _view(points: np.ndarray, cfg: TemporalConfig, rng: np.random.Generator) -> np.ndarray:
    """One random view (turn, tilt, stretch, jitter) of a whole clip (T, 21, 3): one draw for every frame."""
    mask = hand_mask(points)
    out = points.copy()
    hand = points[mask].reshape(1, -1, 3)
    out[mask] = augment_points(
        hand, rng, cfg.rotation_deg, cfg.tilt_deg, cfg.scale_jitter, cfg.noise
    ).reshape(-1, 21, 3)
    return out


def clip_variant(
    points: np.ndarray, times: np.ndarray, cfg: TemporalConfig, rng: np.random.Generator
) -> np.ndarray:
    """The rows of one augmented copy of a clip: speed, start phase, path size, then a new view."""
    p, t = augment_clip(points, times, rng, tuple(cfg.speed), crop=cfg.crop, path_scale=tuple(cfg.path_scale))
    return clip_rows(_view(p, cfg, rng), t)


def still_variants(
    points: np.ndarray, cfg: TemporalConfig, rng: np.random.Generator
) -> tuple[list[np.ndarray], np.ndarray]:
    """Held-still clips of a share `still_clips` of the photos (new views of them): (rows, photo indices)."""
    n = len(points)
    count = int(np.floor(cfg.still_clips * n + rng.uniform())) if n else 0  # the share, rounded at random
    if count == 0:
        return [], np.zeros(0, dtype=np.int64)
    pick = rng.choice(n, size=count, replace=count > n)
    views = augment_points(points[pick], rng, cfg.rotation_deg, cfg.tilt_deg, cfg.scale_jitter, cfg.noise)
    return [clip_rows(*held_still(v, rng)) for v in views], pick


def pad(rows: list[np.ndarray]) -> tuple[torch.Tensor, torch.Tensor]:
    """Clips of rows (T_i, F) → (B, T_max, F) zero-padded at the end and the (B, T_max) mask of real frames."""
    longest = max(len(r) for r in rows)
    x = np.zeros((len(rows), longest, rows[0].shape[1]), dtype=np.float32)
    mask = np.zeros((len(rows), longest), dtype=bool)
    for k, r in enumerate(rows):
        x[k, : len(r)] = r
        mask[k, : len(r)] = True
    return torch.from_numpy(x), torch.from_numpy(mask)


def batches(lengths: np.ndarray, batch_size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of sample indices, of similar lengths (little padding): shuffle, sort by length
    within windows of 8 batches, cut, shuffle the batches."""
    order = rng.permutation(len(lengths))
    window = 8 * batch_size
    for start in range(0, len(order), window):
        part = order[start : start + window]
        order[start : start + window] = part[np.argsort(lengths[part], kind="stable")]
    out = [order[s : s + batch_size] for s in range(0, len(order), batch_size)]
    return [out[k] for k in rng.permutation(len(out))]


@dataclass
class EvalSet:
    """Validation samples as rows, and how many rows of the split could not count (no hand, unreadable)."""

    rows: list[np.ndarray]
    labels: np.ndarray
    n: int  # rows of the split (photos and clips), the accuracy's denominator


def eval_set(photos: HandSet, clips: ClipSet) -> EvalSet:
    rows = list(photo_rows(photos.points)) + [
        clip_rows(p, t) for p, t in zip(clips.points, clips.times, strict=True)
    ]
    labels = np.concatenate([photos.labels, clips.labels]).astype(np.int64)
    return EvalSet(rows, labels, photos.n + clips.n)


def evaluate_rows(
    model: TemporalNet, data: EvalSet, criterion: nn.Module, batch_size: int = 256
) -> tuple[float, float]:
    """(loss over the usable samples, accuracy over ALL rows of the split: no hand or unreadable = wrong)."""
    if data.n == 0:
        return float("nan"), float("nan")
    if not data.rows:
        return float("nan"), 0.0
    model.eval()
    logits = []
    order = np.argsort([len(r) for r in data.rows], kind="stable")  # similar lengths together
    with torch.inference_mode():
        for s in range(0, len(order), batch_size):
            idx = order[s : s + batch_size]
            x, mask = pad([data.rows[i] for i in idx])
            logits.append((idx, model(x, mask)))
    out = torch.zeros(len(data.rows), logits[0][1].shape[1])
    for idx, value in logits:
        out[torch.from_numpy(idx)] = value
    labels = torch.from_numpy(data.labels)
    return float(criterion(out, labels)), int((out.argmax(1) == labels).sum()) / data.n


# --------------------------------------------------------------------------- fitting
def fit_temporal_model(
    cfg: TemporalConfig,
    photos: HandSet,
    clips: ClipSet,
    val: EvalSet | None,
    num_classes: int,
    progress: bool = False,
    on_epoch: ProgressCallback | None = None,
    *,
    resume_from: dict[str, Any] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> FitResult:
    """Train TemporalNet on photos and clips (pure: no files); the FitResult of `landmark_train`."""
    if len(photos.labels) + len(clips.labels) == 0:
        raise ValueError("no training hands or clips")
    torch.manual_seed(cfg.seed)
    with torch_threads(min(2, torch.get_num_threads())):  # small batches: more threads only add waiting
        return _fit(cfg, photos, clips, val, num_classes, progress, on_epoch, resume_from, should_stop)


def _draw_variants(
    cfg: TemporalConfig, photos: HandSet, clips: ClipSet
) -> list[tuple[list[np.ndarray], np.ndarray]]:
    """Per variant: (rows of every clip and held-still clip, their labels), drawn before training."""
    out = []
    for v in range(cfg.variants if cfg.augment else 1):
        rng = np.random.default_rng(derive_seed(cfg.seed, v, "temporal-variants"))
        if cfg.augment:
            rows = [clip_variant(p, t, cfg, rng) for p, t in zip(clips.points, clips.times, strict=True)]
        else:
            rows = [clip_rows(p, t) for p, t in zip(clips.points, clips.times, strict=True)]
        labels = [clips.labels]
        if cfg.still_clips > 0:
            still, pick = still_variants(photos.points, cfg, rng)
            rows += still
            labels.append(photos.labels[pick])
        out.append((rows, np.concatenate(labels).astype(np.int64)))
    return out


def _fit(
    cfg: TemporalConfig,
    photos: HandSet,
    clips: ClipSet,
    val: EvalSet | None,
    num_classes: int,
    progress: bool,
    on_epoch: ProgressCallback | None,
    resume_from: dict[str, Any] | None,
    should_stop: Callable[[], bool] | None,
) -> FitResult:
    symmetric = cfg.handedness == "symmetric"
    model = TemporalNet(num_classes, STEPS, cfg.width, cfg.dropout, symmetric=symmetric)
    t_train = time.perf_counter()
    variants = _draw_variants(cfg, photos, clips)
    log.info("temporal model: %d clip variants drawn in %.1f s", len(variants), time.perf_counter() - t_train)
    # standardization over every row of variant 0 and the photos (both mirror images when symmetric)
    standardize(model, np.concatenate([photo_rows(photos.points)[:, 0], *variants[0][0]]), symmetric)
    n_per_epoch = len(photos.labels) + max(len(v[1]) for v in variants)
    total_steps = cfg.epochs * max(1, -(-n_per_epoch // cfg.batch_size))  # the largest variant's: a bound
    optimizer, scheduler, criterion, eval_criterion = optimization(model, cfg, total_steps)
    rows, best, first = resume_into(resume_from, model, optimizer, scheduler)

    def train_epoch(epoch: int) -> dict[str, Any]:
        t0 = time.perf_counter()
        rng = np.random.default_rng(derive_seed(cfg.seed, epoch, "temporal"))
        samples, labels = _epoch_samples(cfg, photos, variants[(epoch - 1) % len(variants)], rng)
        model.train()
        loss_sum = correct = seen = 0.0
        for idx in batches(np.array([len(r) for r in samples]), cfg.batch_size, rng):
            if len(idx) < 2:  # one sample: its loss is noise and a step on it can be large
                continue
            x, mask = pad([samples[i] for i in idx])
            y = labels[torch.from_numpy(idx)]
            logits = model(x, mask)
            loss = criterion(logits, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if scheduler.last_epoch < total_steps:  # variants differ a little in size
                scheduler.step()
            loss_sum += float(loss.detach()) * len(idx)
            correct += float((logits.detach().argmax(1) == y).sum())
            seen += len(idx)
        val_metrics = evaluate_rows(model, val, eval_criterion) if val is not None else (np.nan, np.nan)
        n, lr = max(seen, 1), optimizer.param_groups[0]["lr"]
        return epoch_row(epoch, loss_sum / n, correct / n, val_metrics, lr, time.perf_counter() - t0, seen)

    best, interrupted = run_epochs(
        cfg, model, train_epoch, first, rows, best, "temporal model", progress, on_epoch, should_stop
    )
    return fit_result(model, optimizer, scheduler, rows, best, t_train, interrupted)


def _epoch_samples(
    cfg: TemporalConfig,
    photos: HandSet,
    variant: tuple[list[np.ndarray], np.ndarray],
    rng: np.random.Generator,
) -> tuple[list[np.ndarray], torch.Tensor]:
    """One epoch's samples: a fresh view of every photo (as one frame), then the epoch's clip variant."""
    pts = photos.points
    if cfg.augment and len(pts):
        pts = augment_points(pts, rng, cfg.rotation_deg, cfg.tilt_deg, cfg.scale_jitter, cfg.noise)
    clip_rows_, clip_labels = variant
    samples = list(photo_rows(pts)) + list(clip_rows_)
    return samples, torch.from_numpy(np.concatenate([photos.labels, clip_labels]).astype(np.int64))


# --------------------------------------------------------------------------- a run
def _split_samples(
    data: SplitData, splits_dir: Path, handedness: str, progress: bool
) -> tuple[dict[str, HandSet], dict[str, ClipSet]]:
    """The photos' hands and the clips of the train and validation splits."""
    photos: dict[str, HandSet] = {}
    clips: dict[str, ClipSet] = {}
    for name in ("train", "validation"):
        items = data.splits[name]
        photo_items, clip_items = split_rows(items)
        # the whole split, so the split's `hand` column lines up; a clip row reads as unreadable there
        detections, _ = detections_for(items, splits_dir, progress=progress)
        detections = [d for d, p in zip(detections, items.paths, strict=True) if not is_clip_row(p)]
        unreadable = sum(d is None for d in detections)
        photos[name] = hand_set(photo_items, detections, handedness, unreadable)
        clips[name] = clip_set(clip_items, handedness)
    return photos, clips


def _data_summary(
    data: SplitData, splits_dir: Path, photos: dict[str, HandSet], clips: dict[str, ClipSet]
) -> dict[str, Any]:
    test = data.splits["test"].paths
    return split_info(data) | {
        "splits_dir": str(splits_dir.resolve()),
        "photos_used": {name: int(len(s.labels)) for name, s in photos.items()}
        | {"test": sum(not is_clip_row(p) for p in test)},
        "clips_used": {name: int(len(c.labels)) for name, c in clips.items()}
        | {"test": sum(is_clip_row(p) for p in test)},
        "no_hand": {name: int((~s.found).sum() - s.unreadable) for name, s in photos.items()},
        "dropped": {name: photos[name].unreadable + clips[name].unreadable for name in photos},
    }


def train_temporal(
    cfg: TemporalConfig,
    splits_dir: str | Path,
    out_dir: str | Path,
    progress: bool = True,
    resume: bool = False,
    should_stop: Callable[[], bool] | None = None,
    on_epoch: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Train the temporal model on a split directory (photos and clip rows) into `out_dir`; a summary dict
    with the keys `landmark_train.train_landmarks` returns (and the clips used per split)."""
    t_start = time.perf_counter()
    splits_dir, out_dir = Path(splits_dir), Path(out_dir)
    data, ckpt = start_run(cfg, splits_dir, out_dir, resume, kind="temporal")
    photos, clips = _split_samples(data, splits_dir, cfg.handedness, progress)
    if len(photos["train"].labels) + len(clips["train"].labels) == 0:
        raise ValueError(f"{splits_dir}: no hand in any training photo or clip; nothing to learn from")
    seen = set(photos["train"].labels.tolist()) | set(clips["train"].labels.tolist())
    warn_missing(seen, data.class_names, "sample")
    val = eval_set(photos["validation"], clips["validation"])
    fit = fit_temporal_model(
        cfg,
        photos["train"],
        clips["train"],
        val,
        len(data.class_names),
        progress=progress,
        on_epoch=on_epoch,
        resume_from=ckpt,
        should_stop=should_stop,
    )
    out_dir.mkdir(parents=True, exist_ok=True)
    spec = temporal_spec(cfg.width, cfg.dropout, cfg.handedness)
    val_score = fit.best_score if val.n else None
    summary = _data_summary(data, splits_dir, photos, clips)
    meta = run_meta(cfg, data, ("temporal", spec, "temporal_conv"), summary, fit, val_score)
    result = finish_run(out_dir, fit, meta, cfg, "temporal model", t_start, "n/a, no validation samples")
    return result | {"clips": {name: int(len(c.labels)) for name, c in clips.items()}}
