"""Training the landmark model: hands from the hand stage (cached), features, a small MLP, seconds on a CPU.

    split dir → hand detections (split columns, else the landmark cache, else MediaPipe once)
              → landmarks in pixel space → [augmented each epoch] → features → MLP → run directory

The run directory has the same shape as an image run (model.safetensors, config.json with
kind="landmarks", train_config.json, metrics.csv, curves.png), so evaluate, predict, push and the app
take it unchanged. Photos without a hand are left out of training and count as wrong in validation.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from curation.fileio import atomic_write_json, atomic_write_text
from curation.hand_cache import detection_from_column
from curation.hands import HandDetection
from sign_ml.artifacts import ModelMeta, save_model_dir
from sign_ml.config import LandmarkConfig
from sign_ml.curves import METRICS_COLUMNS, METRICS_FILE, save_curves
from sign_ml.data import SplitData, SplitItems, derive_seed, read_split_dir, split_hands
from sign_ml.landmark_model import LandmarkMLP, landmark_spec
from sign_ml.landmarks import N_FEATURES, augment_points, canonicalize, features, mirror_points, to_points
from sign_ml.presets import Preprocessing
from sign_ml.progress import ProgressCallback, event
from sign_ml.schedules import one_cycle

log = logging.getLogger(__name__)

CHECKPOINT = "checkpoints/last.pt"


@dataclass
class HandSet:
    """The hands of one split: landmarks in pixel space for the photos where a hand was found."""

    points: np.ndarray  # (M, 21, 3) float64, pixels (mirrored already where the config says so)
    labels: np.ndarray  # (M,) int64
    found: np.ndarray  # (N,) bool over the split's photos
    all_labels: np.ndarray  # (N,) int64
    unreadable: int

    @property
    def n(self) -> int:
        return len(self.found)


def detections_for(
    items: SplitItems, splits_dir: Path, progress: bool = True
) -> tuple[list[HandDetection | None], int]:
    """Each photo's detection (None where unreadable; see `split_hands`) and the unreadable count."""
    detections = [
        detection_from_column(v, p)
        for v, p in zip(split_hands(items, splits_dir, progress), items.paths, strict=True)
    ]
    return detections, sum(d is None for d in detections)


def hand_set(
    items: SplitItems, detections: list[HandDetection | None], handedness: str, unreadable: int = 0
) -> HandSet:
    found = np.array([d is not None and d.found for d in detections], dtype=bool)
    pts, labels = [], []
    for d, label in zip(detections, items.labels.tolist(), strict=True):
        if d is None or not d.found:
            continue
        p = to_points(d.hand.landmarks, d.width, d.height)
        if handedness == "mirror_left" and d.hand.handedness == "Left":
            p = mirror_points(p)
        pts.append(p)
        labels.append(label)
    points = np.stack(pts) if pts else np.zeros((0, 21, 3))
    return HandSet(points, np.asarray(labels, dtype=np.int64), found, items.labels.copy(), unreadable)


def set_features(points: np.ndarray) -> np.ndarray:
    """(M, 21, 3) pixel-space hands → (M, F) float32 features."""
    return features(*canonicalize(points))


def split_accuracy(model: nn.Module, hands: HandSet, criterion: nn.Module) -> tuple[float, float]:
    """(loss over the photos with a hand, accuracy over ALL photos: no hand counts as wrong)."""
    if hands.n == 0:
        return float("nan"), float("nan")
    if len(hands.labels) == 0:
        return float("nan"), 0.0
    model.eval()
    with torch.inference_mode():
        logits = model(torch.from_numpy(set_features(hands.points)))
        labels = torch.from_numpy(hands.labels)
        loss = float(criterion(logits, labels))
        correct = int((logits.argmax(1) == labels).sum())
    return loss, correct / hands.n


@dataclass
class FitResult:
    model: LandmarkMLP  # with the best epoch's weights, in eval mode
    rows: list[dict[str, Any]]  # metrics.csv rows
    best_epoch: int  # the kept epoch (the last one, or the best on validation: LandmarkConfig.keep)
    best_score: float  # the kept epoch's validation accuracy (no hand = wrong); minus train loss without one
    seconds: float
    interrupted: bool
    state: dict[str, Any] = field(default_factory=dict)  # where training stands: a checkpoint's content


# the settings that may differ on --resume: where the run is written and free-form notes. Every other one,
# epochs included (the one-cycle schedule spans them all), changes what training computes
RESUMABLE_CHANGES = frozenset({"out_dir", "extra"})


def fit_landmark_model(
    cfg: LandmarkConfig,
    train: HandSet,
    val: HandSet | None,
    num_classes: int,
    progress: bool = False,
    on_epoch: ProgressCallback | None = None,
    *,
    resume_from: dict[str, Any] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> FitResult:
    """Train the MLP on `train`'s hands; keep the epoch with the best accuracy on `val` (pure: no files).

    on_epoch: called with a `sign_ml.progress` event after each epoch.
    resume_from: a FitResult.state (from a checkpoint) to continue exactly where it stopped.
    should_stop: polled after every epoch; True ends training as Ctrl-C does (the result is interrupted).
    """
    if len(train.labels) == 0:
        raise ValueError("no training hands")
    torch.manual_seed(cfg.seed)
    with torch_threads(1):  # a batch of 64 × 290 is too small to share: threads only add waiting
        return _fit(cfg, train, val, num_classes, progress, on_epoch, resume_from, should_stop)


@contextlib.contextmanager
def torch_threads(n: int) -> Iterator[None]:
    """torch's intra-op threads set to `n` for the block, then given back (a fit of either landmark kind)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def standardize(model: nn.Module, base: np.ndarray, symmetric: bool) -> None:
    """Set the model's input standardization from `base` rows; when symmetric, over both mirror images
    (so neither is favoured)."""
    if symmetric:
        base = np.concatenate([base, base * model.signs.numpy()])
    model.set_standardization(torch.from_numpy(base.mean(0)), torch.from_numpy(base.std(0)))


def optimization(model: nn.Module, cfg: Any, total_steps: int) -> tuple[Any, Any, nn.Module, nn.Module]:
    """(AdamW, its one-cycle schedule over `total_steps`, the training loss, the validation loss)."""
    optimizer = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=cfg.weight_decay)
    scheduler = one_cycle(optimizer, cfg.lr, total_steps)
    return (
        optimizer,
        scheduler,
        nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing),
        nn.CrossEntropyLoss(),
    )


def resume_into(
    resume_from: dict[str, Any] | None, model: nn.Module, optimizer: Any, scheduler: Any
) -> tuple[list[dict[str, Any]], dict[str, Any], int]:
    """(metrics rows, best so far, first epoch to train): fresh, or restored from a FitResult.state."""
    if resume_from is None:
        return [], {"score": -np.inf, "epoch": 0, "state": None}, 1
    model.load_state_dict(resume_from["model"])
    optimizer.load_state_dict(resume_from["optimizer"])
    scheduler.load_state_dict(resume_from["scheduler"])
    torch.set_rng_state(resume_from["rng"]["torch"])  # dropout continues its own stream
    return list(resume_from["rows"]), dict(resume_from["best"]), int(resume_from["epoch"]) + 1


def epoch_row(
    epoch: int,
    train_loss: float,
    train_acc: float,
    val: tuple[float, float],
    lr: float,
    seconds: float,
    samples: float,
) -> dict[str, Any]:
    """One metrics.csv row."""
    return {
        "epoch": epoch,
        "train_loss": train_loss,
        "train_acc": train_acc,
        "val_loss": val[0],
        "val_acc": val[1],
        "lr": lr,
        "seconds": round(seconds, 4),
        "img_per_s": round(samples / seconds, 1),
    }


def run_epochs(
    cfg: Any,
    model: nn.Module,
    train_epoch: Callable[[int], dict[str, Any]],
    first: int,
    rows: list[dict[str, Any]],
    best: dict[str, Any],
    desc: str,
    progress: bool,
    on_epoch: ProgressCallback | None,
    should_stop: Callable[[], bool] | None,
) -> tuple[dict[str, Any], bool]:
    """Run `train_epoch` (one epoch's metrics row) from epoch `first` on, appending to `rows` and keeping
    the best epoch's weights (LandmarkConfig.keep); (best, interrupted). Ctrl-C or `should_stop` ends it."""
    interrupted = False
    bar = tqdm(range(first, cfg.epochs + 1), desc=desc, unit="epoch", disable=not progress)
    try:
        for epoch in bar:
            row = train_epoch(epoch)
            rows.append(row)
            score = (
                row["val_acc"] if row["val_acc"] == row["val_acc"] else -row["train_loss"]
            )  # no validation
            if score > best["score"] or cfg.keep == "last":
                best = {
                    "score": score,
                    "epoch": epoch,
                    "state": {k: v.detach().clone() for k, v in model.state_dict().items()},
                }
            bar.set_postfix(loss=f"{row['train_loss']:.3f}", val_acc=f"{row['val_acc']:.3f}", refresh=False)
            if on_epoch is not None:
                on_epoch(event(epoch, cfg.epochs, 1, 1, row["train_loss"], row["train_acc"]))
            if should_stop is not None and epoch < cfg.epochs and should_stop():
                raise KeyboardInterrupt
    except KeyboardInterrupt:  # keep what was learnt so far: the best epoch is still returned
        interrupted = True
        log.warning("interrupted after %d epochs; keeping the best so far", len(rows))
    finally:
        bar.close()
    return best, interrupted


def fit_result(
    model: nn.Module,
    optimizer: Any,
    scheduler: Any,
    rows: list[dict[str, Any]],
    best: dict[str, Any],
    t_train: float,
    interrupted: bool,
) -> FitResult:
    """The FitResult: the checkpoint state of where training stands, then the best epoch's weights."""
    if best["state"] is None:
        raise KeyboardInterrupt("interrupted before the first epoch finished")
    state = {  # taken before the best epoch's weights replace the last one's
        "model": {k: v.detach().clone() for k, v in model.state_dict().items()},
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict(),
        "epoch": len(rows),
        "step_in_epoch": 0,
        "rng": {"torch": torch.get_rng_state()},
        "rows": rows,
        "best": best,
    }
    model.load_state_dict(best["state"])
    model.eval()
    return FitResult(
        model, rows, best["epoch"], float(best["score"]), time.perf_counter() - t_train, interrupted, state
    )


def _fit(
    cfg: LandmarkConfig,
    train: HandSet,
    val: HandSet | None,
    num_classes: int,
    progress: bool,
    on_epoch: ProgressCallback | None = None,
    resume_from: dict[str, Any] | None = None,
    should_stop: Callable[[], bool] | None = None,
) -> FitResult:
    symmetric = cfg.handedness == "symmetric"
    model = LandmarkMLP(N_FEATURES, num_classes, cfg.hidden, cfg.dropout, symmetric=symmetric)
    standardize(model, set_features(train.points), symmetric)
    steps_per_epoch = max(1, -(-len(train.labels) // cfg.batch_size))
    optimizer, scheduler, criterion, eval_criterion = optimization(model, cfg, cfg.epochs * steps_per_epoch)
    rows, best, first = resume_into(resume_from, model, optimizer, scheduler)
    t_train = time.perf_counter()

    def train_epoch(epoch: int) -> dict[str, Any]:
        t0 = time.perf_counter()
        rng = np.random.default_rng(derive_seed(cfg.seed, epoch, "landmarks"))
        pts = train.points
        if cfg.augment:
            pts = augment_points(pts, rng, cfg.rotation_deg, cfg.tilt_deg, cfg.scale_jitter, cfg.noise)
        x_all = torch.from_numpy(set_features(pts))
        y_all = torch.from_numpy(train.labels)
        order = torch.from_numpy(rng.permutation(len(y_all)))
        model.train()
        loss_sum = correct = 0.0
        for start in range(0, len(order), cfg.batch_size):
            idx = order[start : start + cfg.batch_size]
            if len(idx) < 2:  # BatchNorm needs two samples
                continue
            logits = model(x_all[idx])
            loss = criterion(logits, y_all[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            loss_sum += float(loss.detach()) * len(idx)
            correct += float((logits.detach().argmax(1) == y_all[idx]).sum())
        val_metrics = split_accuracy(model, val, eval_criterion) if val is not None else (np.nan, np.nan)
        n = len(order)
        lr = optimizer.param_groups[0]["lr"]
        return epoch_row(epoch, loss_sum / n, correct / n, val_metrics, lr, time.perf_counter() - t0, n)

    best, interrupted = run_epochs(
        cfg, model, train_epoch, first, rows, best, "landmark model", progress, on_epoch, should_stop
    )
    return fit_result(model, optimizer, scheduler, rows, best, t_train, interrupted)


def resume_problems(
    saved: dict[str, Any], cfg: Any, saved_classes: list[str], classes: list[str]
) -> list[str]:
    """Why a checkpoint of a landmark-based kind (its config and class names) cannot be continued exactly
    with `cfg` (a LandmarkConfig, or the temporal kind's config) on `classes`."""
    problems = []
    if list(saved_classes) != list(classes):
        problems.append(
            f"class names differ (checkpoint: {', '.join(map(str, saved_classes))}; data: {', '.join(classes)})"
        )
    saved = type(cfg)().to_dict() | dict(saved)  # a field added since the checkpoint had its default
    now = cfg.to_dict()
    for key in sorted(set(saved) | set(now)):
        if key not in RESUMABLE_CHANGES and saved.get(key) != now.get(key):
            problems.append(f"{key} differs (checkpoint {saved.get(key)!r}, now {now.get(key)!r})")
    return problems


def checked_checkpoint(
    cfg: Any, class_names: list[str], path: Path, out_dir: Path, kind: str = "landmarks"
) -> dict[str, Any]:
    """last.pt of a run of `kind` ("landmarks" or "temporal"), verified and compatible with `cfg` and the
    data, or a one-line refusal."""
    from sign_ml.train import CheckpointError, load_checkpoint  # the image kind's verified format

    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: nothing to resume (train into a new --out, or drop --resume to start afresh)"
        )
    ckpt = load_checkpoint(path)
    if ckpt.get("kind") != kind or not {"rows", "best"} <= set(ckpt):
        found = ckpt.get("kind", "image")
        raise CheckpointError(f"{path}: not a checkpoint of the {kind} model (a run of the {found} kind?)")
    problems = resume_problems(ckpt["config"], cfg, list(ckpt["class_names"]), class_names)
    if problems:
        raise ValueError(
            f"cannot resume {out_dir} exactly: {'; '.join(problems)}; "
            "resume with the run's settings or train into a new --out"
        )
    return ckpt


def save_run(out_dir: Path, fit: FitResult, meta: ModelMeta, cfg: Any, title: str) -> None:
    """Write a landmark-based run (either kind): the model directory, train_config.json, metrics.csv,
    curves.png and checkpoints/last.pt (the image kind's format: verified by its sha256 on load)."""
    from sign_ml.train import save_checkpoint

    save_model_dir(out_dir, fit.model, meta)
    atomic_write_json(out_dir / "train_config.json", cfg.to_dict())
    atomic_write_text(
        out_dir / METRICS_FILE, pd.DataFrame(fit.rows, columns=METRICS_COLUMNS).to_csv(index=False)
    )
    save_curves(out_dir / METRICS_FILE, out_dir / "curves.png", title=f"{out_dir.name} ({title})")
    extra = {"config": cfg.to_dict(), "class_names": meta.class_names, "kind": meta.kind}
    save_checkpoint(fit.state | extra, out_dir / CHECKPOINT)


def start_run(
    cfg: Any, splits_dir: Path, out_dir: Path, resume: bool, kind: str = "landmarks"
) -> tuple[SplitData, dict[str, Any] | None]:
    """(the split directory, the checkpoint to continue or None) for a run of `kind` into out_dir: refuses
    to train afresh over a run, and on resume verifies the checkpoint before the slow part."""
    last = fresh_out(out_dir, resume)
    data = read_split_dir(splits_dir)
    return data, checked_checkpoint(cfg, data.class_names, last, out_dir, kind) if resume else None


def fresh_out(out_dir: Path, resume: bool) -> Path:
    """out_dir's checkpoint path; refuses to train afresh over an existing run."""
    last = out_dir / CHECKPOINT
    if not resume and last.is_file():
        raise FileExistsError(f"{out_dir} already holds a run ({CHECKPOINT}); use --resume or another --out")
    return last


def warn_missing(seen: set[int], class_names: list[str], what: str) -> None:
    """Log the classes without a training sample (`what`: "hand", "sample")."""
    missing = sorted(set(range(len(class_names))) - seen)
    if missing:
        log.warning("no training %s for class(es): %s", what, ", ".join(class_names[i] for i in missing))


def split_info(data: SplitData) -> dict[str, Any]:
    """The split directory's info, less what config.json holds elsewhere."""
    return {k: v for k, v in data.info.items() if k not in ("class_names", "excluded")}


def run_meta(
    cfg: Any,
    data: SplitData,
    model: tuple[str, Any, str],
    data_summary: dict[str, Any],
    fit: FitResult,
    val_score: float | None,
) -> ModelMeta:
    """The ModelMeta of a landmark-based run; model: (kind, landmarks spec, arch)."""
    kind, spec, arch = model
    return ModelMeta(
        class_names=data.class_names,
        preprocessing=Preprocessing(),
        kind=kind,
        landmarks=spec,
        arch=arch,
        width_mult=1.0,
        dropout=cfg.dropout,
        train_config=cfg.to_dict(),
        data=data_summary,
        metrics={
            "best_val_accuracy": val_score,
            "best_epoch": fit.best_epoch,
            "epochs_trained": len(fit.rows),
            "train_seconds": round(fit.seconds, 2),
            "device": "cpu",
            "kept": cfg.keep,
        },
    )


def finish_run(
    out_dir: Path,
    fit: FitResult,
    meta: ModelMeta,
    cfg: Any,
    title: str,
    t_start: float,
    no_val: str,
) -> dict[str, Any]:
    """Save the run (`save_run`), log its outcome and return the summary dict both kinds share;
    no_val: what the log says when there was no validation sample."""
    save_run(out_dir, fit, meta, cfg, title)
    val_score = meta.metrics["best_val_accuracy"]  # without validation the score is minus train loss
    log.info(
        "%s: kept epoch %d (validation accuracy %s); %.1f s (%.1f s training)",
        title,
        fit.best_epoch,
        f"{fit.best_score:.4f}" if val_score is not None else no_val,
        time.perf_counter() - t_start,
        fit.seconds,
    )
    return {
        "run_dir": str(out_dir),
        "best_val_accuracy": val_score,
        "best_epoch": fit.best_epoch,
        "epochs_trained": len(fit.rows),
        "train_seconds": round(fit.seconds, 2),
        "interrupted": fit.interrupted,
        "no_hand": sum(meta.data["no_hand"].values()),
        "dropped": meta.data["dropped"],
    }


def train_landmarks(
    cfg: LandmarkConfig,
    splits_dir: str | Path,
    out_dir: str | Path,
    progress: bool = True,
    resume: bool = False,
    should_stop: Callable[[], bool] | None = None,
    on_epoch: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Train the landmark model on a split directory into `out_dir`; return a summary dict.

    progress: draw progress bars; on_epoch: called with a `sign_ml.progress` event after each epoch.
    resume: continue exactly from out_dir/checkpoints/last.pt (written at the end and on Ctrl-C); a damaged
    checkpoint, or one whose class names or settings differ, is refused, as for the image kind.
    should_stop: polled after every epoch; True saves last.pt and returns (as Ctrl-C does).
    """
    t_start = time.perf_counter()
    splits_dir, out_dir = Path(splits_dir), Path(out_dir)
    data, ckpt = start_run(cfg, splits_dir, out_dir, resume)
    sets: dict[str, HandSet] = {}
    for name in ("train", "validation"):
        detections, unreadable = detections_for(data.splits[name], splits_dir, progress=progress)
        sets[name] = hand_set(data.splits[name], detections, cfg.handedness, unreadable)
    train, val = sets["train"], sets["validation"]
    if len(train.labels) == 0:
        raise ValueError(f"{splits_dir}: no hand found in any training photo; nothing to learn from")
    warn_missing(set(train.labels.tolist()), data.class_names, "hand")

    fit = fit_landmark_model(
        cfg,
        train,
        val,
        len(data.class_names),
        progress=progress,
        on_epoch=on_epoch,
        resume_from=ckpt,
        should_stop=should_stop,
    )
    spec = landmark_spec(cfg.hidden, cfg.dropout, cfg.handedness)
    out_dir.mkdir(parents=True, exist_ok=True)
    data_summary = split_info(data) | {
        "splits_dir": str(splits_dir.resolve()),
        "photos_used": {name: int(len(s.labels)) for name, s in sets.items()}
        | {"test": len(data.splits["test"])},
        "no_hand": {name: int((~s.found).sum() - s.unreadable) for name, s in sets.items()},
        "dropped": {name: s.unreadable for name, s in sets.items()},
    }
    val_score = fit.best_score if val.n else None
    meta = run_meta(cfg, data, ("landmarks", spec, "landmark_mlp"), data_summary, fit, val_score)
    return finish_run(out_dir, fit, meta, cfg, "landmark model", t_start, "n/a, no validation photos")
