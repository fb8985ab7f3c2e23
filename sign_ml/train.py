"""Training: MobileNetV3-Large on a split directory, fast on a GPU, exact to resume.

    train(cfg, splits_dir, out_dir) writes into RUN/:
        train_config.json          the resolved TrainConfig (also inside every checkpoint)
        metrics.csv, curves.png    one row / one redraw per epoch
        model.safetensors, config.json   the best epoch by validation accuracy (a model directory)
        checkpoints/last.pt        model, optimizer, scheduler, epoch, RNG states (every epoch and on Ctrl-C),
                                   verified against checkpoints/last.pt.sha256 before it is loaded
        cache/                     the decoded uint8 photos (safe to delete; rebuilt when missing)

Speed comes from decoding each photo once (sign_ml.data), augmenting whole batches on the device
(sign_ml.augment), channels_last, bf16 autocast and fused Adam on CUDA, and never waiting on the GPU
inside an epoch except every `SYNC_EVERY` steps for the progress bar.

Multi-GPU: launch with `torchrun --nproc_per_node N "$(which sign-ml)" train ...`; each rank takes a
shard of the epoch's permutation, DistributedDataParallel averages gradients, rank 0 writes files.
`batch_size` is the global batch (the thesis's 50), split across ranks.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import math
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from tqdm.auto import tqdm

from curation.fileio import atomic_write_bytes, atomic_write_json, atomic_write_text, first_line
from curation.manifest import SPLIT_NAMES
from sign_ml.artifacts import ModelMeta, read_meta, save_model_dir
from sign_ml.augment import AugmentParams, train_inputs
from sign_ml.config import TrainConfig
from sign_ml.curves import METRICS_FILE, append_metrics_row, save_curves, truncate_metrics
from sign_ml.data import (
    SplitData,
    TensorCache,
    derive_seed,
    epoch_batches,
    iterate,
    read_split_dir,
    split_hands,
)
from sign_ml.model import build_model, set_bn_momentum
from sign_ml.presets import Preprocessing
from sign_ml.progress import ProgressCallback, event
from sign_ml.schedules import one_cycle

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 1
CHECKPOINT_KEYS = (
    "model",
    "optimizer",
    "scheduler",
    "epoch",
    "step_in_epoch",
    "config",
    "rng",
    "class_names",
)
# config fields that may differ on --resume: they change how long or where training runs, not what it computes
RESUMABLE_CHANGES = frozenset(
    {"epochs", "early_stopping", "num_workers", "device", "precision", "compile", "cache", "out_dir", "extra"}
)
SYNC_EVERY = 20  # steps between host syncs (progress bar, stop requests); the GPU runs ahead in between
GPU_CACHE_FRACTION = 0.5  # keep the uint8 cache on the GPU when it takes at most this share of free memory


# --------------------------------------------------------------------------- runtime
@dataclass(frozen=True)
class Runtime:
    """Where this process trains: device, precision, and its place in a torchrun job."""

    device: torch.device
    amp_dtype: torch.dtype | None  # autocast dtype, None = fp32
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def resolve_device(name: str, local_rank: int = 0) -> torch.device:
    """ "auto" → cuda if available else cpu; "cuda" without a GPU is an error, not a silent CPU run."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise RuntimeError(
                f"device {name!r} asked for, but CUDA is not available here (use --device cpu)"
            )
        if device.index is None:
            device = torch.device("cuda", local_rank)
        if device.index >= torch.cuda.device_count():
            raise RuntimeError(
                f"device {device} asked for, but only {torch.cuda.device_count()} GPU(s) are visible"
            )
    return device


def resolve_precision(precision: str, device: torch.device) -> torch.dtype | None:
    """ "auto" = bf16 autocast on CUDA (no loss scaling needed), fp32 on CPU."""
    if precision == "fp32" or (precision == "auto" and device.type != "cuda"):
        return None
    if device.type == "cuda" and not torch.cuda.is_bf16_supported():
        if precision == "bf16":
            raise RuntimeError(
                f"bf16 asked for, but {torch.cuda.get_device_name(device)} does not support it"
            )
        return None
    if device.type == "cpu":
        log.warning("bf16 autocast on CPU: much slower than fp32 on CPUs without bf16 units")
    return torch.bfloat16


def setup_runtime(cfg: TrainConfig) -> Runtime:
    """Device and precision; joins the torchrun process group when launched under torchrun."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    device = resolve_device(cfg.device, local_rank)
    if world_size > 1:
        if device.type == "cuda":
            torch.cuda.set_device(device)
        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        log.info("rank %d/%d on %s", rank, world_size, device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed input size: let cuDNN pick the fastest kernels
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    return Runtime(device, resolve_precision(cfg.precision, device), rank, world_size, local_rank)


# --------------------------------------------------------------------------- factories
def make_optimizer(params, cfg: TrainConfig, device: torch.device) -> torch.optim.Optimizer:
    """Adam with the thesis hyper-parameters; the fused CUDA kernel when on a GPU."""
    return torch.optim.Adam(
        params,
        lr=cfg.lr,
        betas=tuple(cfg.betas),
        eps=cfg.eps,
        weight_decay=cfg.weight_decay,
        fused=device.type == "cuda",
    )


def make_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """Per-iteration LR schedule: constant (thesis), cosine or one-cycle, with optional linear warm-up."""
    total = max(1, cfg.epochs * steps_per_epoch)
    warm = min(total - 1, cfg.warmup_epochs * steps_per_epoch)
    if cfg.lr_schedule == "onecycle":
        pct = warm / total if warm > 0 else 0.3
        # cycle_momentum off: keep the configured Adam betas; a warm-up of one step is one_cycle's short case
        return one_cycle(optimizer, cfg.lr, total, pct, cycle_momentum=False)

    def factor(step: int) -> float:
        if step < warm:
            return (step + 1) / (warm + 1)
        if cfg.lr_schedule == "cosine":
            return 0.5 * (1.0 + math.cos(math.pi * min(1.0, (step - warm) / max(1, total - warm))))
        return 1.0

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


# --------------------------------------------------------------------------- RNG state (weights_only-safe)
def rng_state() -> dict[str, Any]:
    """All RNG states of this process as tensors and plain values (loadable with weights_only=True)."""
    np_kind, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    py_version, py_state, py_gauss = random.getstate()
    return {
        "torch": torch.get_rng_state(),
        "cuda": list(torch.cuda.get_rng_state_all()) if torch.cuda.is_available() else [],
        "numpy": {
            "kind": str(np_kind),
            "keys": torch.from_numpy(np_keys.astype(np.int64)),
            "pos": int(np_pos),
            "has_gauss": int(np_has_gauss),
            "cached_gaussian": float(np_gauss),
        },
        "python": {
            "version": int(py_version),
            "state": torch.tensor(py_state, dtype=torch.int64),
            "gauss_next": py_gauss,
        },
    }


def set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])
    n = state["numpy"]
    np.random.set_state(
        (n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"], n["cached_gaussian"])
    )
    p = state["python"]
    random.setstate((p["version"], tuple(int(v) for v in p["state"].tolist()), p["gauss_next"]))


# --------------------------------------------------------------------------- stop requests
class StopRequest:
    """Ctrl-C / SIGTERM → finish the current step, save last.pt, return. A second Ctrl-C aborts at once."""

    def __init__(self, poll: Callable[[], bool] | None = None):
        self.requested = False
        self._poll = poll  # extra stop condition (tests, embedding apps)
        self._old: dict[int, Any] = {}

    def __call__(self) -> bool:
        if self._poll is not None and self._poll():
            self.requested = True
        return self.requested

    def _handler(self, signum: int, frame: Any) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        log.warning(
            "%s: finishing this step and saving checkpoints/last.pt (Ctrl-C again to abort)",
            signal.Signals(signum).name,
        )

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():  # signals can only be caught there
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handler)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, old in self._old.items():
            signal.signal(sig, old)


# --------------------------------------------------------------------------- steps
def _all_reduce(values: list[float | int | torch.Tensor], rt: Runtime) -> list[float]:
    """Sum a few numbers over all ranks (one collective); plain floats back."""
    t = torch.stack([torch.as_tensor(v, dtype=torch.float64, device=rt.device).reshape(()) for v in values])
    if rt.distributed:
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.tolist()


def _autocast(rt: Runtime) -> contextlib.AbstractContextManager:
    if rt.amp_dtype is None:
        return contextlib.nullcontext()
    return torch.autocast(device_type=rt.device.type, dtype=rt.amp_dtype)


def train_step(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    criterion: nn.Module,
    x: torch.Tensor,
    labels: torch.Tensor,
    rt: Runtime,
) -> tuple[torch.Tensor, torch.Tensor]:
    """One optimisation step; (loss, number correct) as device tensors (no host sync)."""
    with _autocast(rt):
        logits = model(x)
    loss = criterion(logits.float(), labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach(), (logits.detach().argmax(1) == labels).sum()


def train_one_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    criterion: nn.Module,
    cache: TensorCache,
    batches: list[np.ndarray],
    *,
    prep: Preprocessing,
    aug: AugmentParams | None,
    seed: int,
    epoch: int,
    rt: Runtime,
    stop: Callable[[], bool],
    start_step: int = 0,
    channels_last: bool = True,
    desc: str = "",
    report: Callable[[int, float, float], None] | None = None,
) -> dict[str, Any]:
    """Train on `batches[start_step:]` (augmented when `aug` is given); stops early when `stop()` says so.

    report: called on the main rank at each sync point with (steps done, running loss, running accuracy).

    Returns {loss_sum, correct, seen} summed over all ranks, steps_done (of this epoch, counting
    start_step), interrupted, and seconds spent.
    """
    loss_sum = torch.zeros((), dtype=torch.float64, device=rt.device)
    correct = torch.zeros((), dtype=torch.int64, device=rt.device)
    seen, done, interrupted = 0, start_step, False
    t0 = time.perf_counter()
    bar = tqdm(
        total=len(batches),
        initial=start_step,
        desc=desc,
        unit="step",
        disable=not rt.is_main,
        leave=False,
        dynamic_ncols=True,
    )
    for step, (images, labels) in enumerate(iterate(cache, batches[start_step:], rt.device), start_step):
        # augmentation seeded by (seed, epoch, step, rank): a resumed epoch sees exactly the same batches
        g = torch.Generator().manual_seed(derive_seed(seed, epoch, step, rt.rank, "augment"))
        x = train_inputs(images, prep, aug, g, channels_last)
        loss, n_correct = train_step(model, optimizer, criterion, x, labels, rt)
        scheduler.step()  # per iteration
        loss_sum += loss.double() * len(labels)
        correct += n_correct
        seen += len(labels)
        done = step + 1
        bar.update(1)
        if (step + 1) % SYNC_EVERY == 0 or step == len(batches) - 1:
            elapsed = time.perf_counter() - t0
            running_loss, running_acc = loss_sum.item() / seen, correct.item() / seen
            bar.set_postfix(
                loss=f"{running_loss:.4f}",
                acc=f"{running_acc:.3f}",
                img_s=f"{seen * rt.world_size / elapsed:.0f}",
                refresh=False,
            )
            if report is not None and rt.is_main:
                report(done, running_loss, running_acc)
            stop_now = stop()
            if rt.distributed:  # every rank must leave the loop at the same step
                stop_now = _all_reduce([float(stop_now)], rt)[0] > 0
        else:
            stop_now = stop() if not rt.distributed else False  # DDP ranks agree only at sync points
        if stop_now:
            interrupted = True
            break
    bar.close()
    seconds = time.perf_counter() - t0
    sums = _all_reduce([loss_sum, correct, seen], rt)
    return {
        "loss_sum": sums[0],
        "correct": sums[1],
        "seen": sums[2],
        "steps_done": done,
        "interrupted": interrupted,
        "seconds": seconds,
    }


@torch.no_grad()
def evaluate(
    model: nn.Module,
    cache: TensorCache,
    prep: Preprocessing,
    criterion: nn.Module,
    batch_size: int,
    rt: Runtime,
    channels_last: bool = True,
) -> dict[str, float]:
    """{loss, acc, n} on a cache with the evaluation transform, summed over all ranks."""
    was_training = model.training
    model.eval()
    loss_sum = torch.zeros((), dtype=torch.float64, device=rt.device)
    correct = torch.zeros((), dtype=torch.int64, device=rt.device)
    seen = 0
    batches = epoch_batches(
        len(cache), batch_size, seed=0, epoch=0, shuffle=False, rank=rt.rank, world_size=rt.world_size
    )
    for images, labels in iterate(cache, batches, rt.device):
        x = train_inputs(images, prep, None, None, channels_last)
        with _autocast(rt):
            logits = model(x)
        loss_sum += criterion(logits.float(), labels).double() * len(labels)
        correct += (logits.argmax(1) == labels).sum()
        seen += len(labels)
    model.train(was_training)
    total_loss, total_correct, total_seen = _all_reduce([loss_sum, correct, seen], rt)
    n = max(1, total_seen)
    return {"loss": total_loss / n, "acc": total_correct / n, "n": int(total_seen)}


# --------------------------------------------------------------------------- checkpoints
class CheckpointError(ValueError):
    """checkpoints/last.pt is damaged, or not one this code wrote."""


def _digest_file(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _digests(path: Path) -> list[str]:
    """The sha256 digests the sidecar accepts (sha256sum's format: `<hex>  <name>` per line)."""
    sidecar = _digest_file(path)
    if not sidecar.is_file():
        return []
    return [line.split()[0] for line in sidecar.read_text(encoding="utf-8").splitlines() if line.strip()]


def save_checkpoint(obj: dict[str, Any], path: str | Path) -> None:
    """torch.save `obj` to `path` atomically, with its sha256 in `path`.sha256 (`sha256sum -c` reads it).

    The sidecar names both the old and the new digest while the new file replaces the old one, so a
    crash at any moment leaves a checkpoint that verifies.
    """
    path = Path(path)
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    data = buffer.getvalue()
    new = hashlib.sha256(data).hexdigest()
    old = [d for d in _digests(path)[:1] if d != new]
    atomic_write_text(_digest_file(path), "".join(f"{d}  {path.name}\n" for d in [new, *old]))
    atomic_write_bytes(path, data)
    if old:
        atomic_write_text(_digest_file(path), f"{new}  {path.name}\n")


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Verify `path` against its sha256 sidecar, then load it with weights_only=True.

    Raises CheckpointError (one line, naming the file) for a damaged, foreign or unreadable checkpoint.
    """
    path = Path(path)
    data = path.read_bytes()
    accepted = _digests(path)
    if accepted and hashlib.sha256(data).hexdigest() not in accepted:
        raise CheckpointError(
            f"{path}: damaged (its sha256 does not match {_digest_file(path).name}); "
            "restore it or train into a new --out"
        )
    if not accepted:
        log.warning("%s has no %s: its integrity cannot be checked", path, _digest_file(path).name)
    try:
        ckpt = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except (
        Exception
    ) as exc:  # torch's own message suggests weights_only=False: never for a file we cannot trust
        raise CheckpointError(f"{path}: not a readable checkpoint ({first_line(exc)})") from None
    missing = [k for k in CHECKPOINT_KEYS if not isinstance(ckpt, dict) or k not in ckpt]
    if missing:
        raise CheckpointError(f"{path}: not a checkpoint of sign-ml train (missing {', '.join(missing)})")
    return ckpt


def resume_problems(
    saved: dict[str, Any], cfg: TrainConfig, saved_classes: list[str], classes: list[str]
) -> list[str]:
    """Why a checkpoint (its config and class names) cannot be continued exactly with `cfg` on `classes`."""
    problems = []
    if list(saved_classes) != list(classes):
        problems.append(
            f"class names differ (checkpoint: {', '.join(saved_classes)}; data: {', '.join(classes)})"
        )
    now = cfg.to_dict()
    saved = TrainConfig().to_dict() | saved  # a field added since the checkpoint was written had its default
    for key in sorted(set(saved) | set(now)):
        if key not in RESUMABLE_CHANGES and saved.get(key) != now.get(key):
            problems.append(f"{key} differs (checkpoint {saved.get(key)!r}, now {now.get(key)!r})")
    return problems


class CheckpointSaver:
    """Writes a run's files as training goes: last.pt (+ sha256), metrics.csv, curves.png, the best model.

    Only rank 0 writes; every rank calls `save_last` (gathering the RNG states is a collective).
    """

    def __init__(self, out_dir: Path, rt: Runtime):
        self.out_dir, self.rt = out_dir, rt
        self.last = out_dir / "checkpoints" / "last.pt"
        self.metrics = out_dir / METRICS_FILE

    def save_last(self, payload: dict[str, Any]) -> None:
        rngs = _gather_rng(self.rt)
        if self.rt.is_main:
            save_checkpoint(
                {"format": CHECKPOINT_FORMAT, **payload, "rng": rngs, "world_size": self.rt.world_size},
                self.last,
            )

    def end_epoch(self, row: dict[str, Any], net: nn.Module | None, meta: ModelMeta) -> None:
        """Append the epoch's metrics, redraw the curves, and save the model when it is the best so far."""
        if not self.rt.is_main:
            return
        append_metrics_row(self.metrics, row)
        save_curves(self.metrics, self.out_dir / "curves.png", title=self.out_dir.name)
        if net is not None:
            save_model_dir(self.out_dir, net, meta)

    def finish(self, metrics: dict[str, Any]) -> None:
        """Final metrics into config.json (the best epoch's model directory)."""
        if self.rt.is_main and (self.out_dir / "config.json").is_file():
            final = read_meta(self.out_dir)
            final.metrics.update(metrics)
            atomic_write_json(self.out_dir / "config.json", final.to_dict())


def _gather_rng(rt: Runtime) -> list[dict[str, Any]]:
    state = rng_state()
    if not rt.distributed:
        return [state]
    states: list[Any] = [None] * rt.world_size
    dist.all_gather_object(states, state)
    return states


# --------------------------------------------------------------------------- the loop
def train(
    cfg: TrainConfig,
    splits_dir: str | Path,
    out_dir: str | Path,
    resume: bool = False,
    should_stop: Callable[[], bool] | None = None,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    """Train on `splits_dir` (manifest.csv + splits.json) into the run directory `out_dir`.

    resume: continue exactly from out_dir/checkpoints/last.pt (model, optimizer, scheduler, epoch,
    position inside an interrupted epoch, RNG states); `cfg.epochs` may be raised to train longer.
    A checkpoint that is damaged, or whose class names or training settings differ, is refused.
    should_stop: polled after every step; True saves last.pt and returns (as Ctrl-C does).
    progress: called with `sign_ml.progress` events (every SYNC_EVERY steps and at each epoch's end).
    Returns the final metrics: best_val_accuracy, best_epoch, epochs_trained, train_seconds, ...
    """
    rt = setup_runtime(cfg)
    try:
        return _train(cfg, Path(splits_dir), Path(out_dir), resume, should_stop, rt, progress)
    finally:
        if rt.distributed and dist.is_initialized():
            dist.destroy_process_group()


def _load_caches(data: SplitData, cfg: TrainConfig, out_dir: Path, rt: Runtime) -> dict[str, TensorCache]:
    caches: dict[str, TensorCache] = {}
    cache_dir = out_dir / "cache"
    for name in SPLIT_NAMES[:2]:  # train, validation
        if len(data.splits[name]) == 0:
            raise ValueError(f"{data.splits_dir}: split {name!r} has no photos")
        # hand_crop: the model learns from the hand stage's crops (the predictor crops the same way)
        hands = split_hands(data.splits[name], data.splits_dir) if cfg.hand_crop else None
        if rt.is_main:  # rank 0 decodes; the others load its file after the barrier
            caches[name] = TensorCache.build(
                data.splits[name],
                cfg.image_size,
                cache_dir,
                cfg.cache,
                cfg.num_workers,
                hands=hands,
                hand_margin=cfg.hand_crop_margin,
            )
        if rt.distributed:
            dist.barrier()
        if not rt.is_main:
            caches[name] = TensorCache.build(
                data.splits[name],
                cfg.image_size,
                cache_dir,
                cfg.cache,
                1,
                progress=False,
                hands=hands,
                hand_margin=cfg.hand_crop_margin,
            )
        if len(caches[name]) == 0:
            raise ValueError(f"{data.splits_dir}: no readable photos in split {name!r}")
    if rt.device.type == "cuda":
        need = sum(c.nbytes() for c in caches.values())
        free, _ = torch.cuda.mem_get_info(rt.device)
        if need <= GPU_CACHE_FRACTION * free:  # batches become GPU gathers: no host copies at all
            caches = {k: c.to(rt.device) for k, c in caches.items()}
            log.info("uint8 cache on the GPU (%.2f GB)", need / 1e9)
        else:
            log.info("uint8 cache in host memory (%.2f GB); batches copied from pinned memory", need / 1e9)
    return caches


def _checked_checkpoint(cfg: TrainConfig, data: SplitData, ckpt_path: Path, out_dir: Path) -> dict[str, Any]:
    """last.pt, verified and compatible with `cfg` and the data, or a one-line refusal saying what differs."""
    ckpt = load_checkpoint(ckpt_path)
    problems = resume_problems(ckpt["config"], cfg, list(ckpt["class_names"]), data.class_names)
    if problems:
        raise ValueError(
            f"cannot resume {out_dir} exactly: {'; '.join(problems)}; "
            "resume with the run's settings or train into a new --out"
        )
    return ckpt


def _build_model(cfg: TrainConfig, num_classes: int, rt: Runtime) -> tuple[nn.Module, nn.Module]:
    """(the network, what training calls: the network wrapped in DDP and/or torch.compile)."""
    torch.manual_seed(cfg.seed)  # same initial weights on every rank (DDP also broadcasts them)
    net = build_model(num_classes, width_mult=cfg.width_mult, dropout=cfg.dropout, weights=cfg.weights)
    net = set_bn_momentum(net, cfg.bn_momentum).to(rt.device)
    if cfg.channels_last:
        net = net.to(memory_format=torch.channels_last)
    model: nn.Module = net
    if rt.distributed:
        model = nn.parallel.DistributedDataParallel(
            net, device_ids=[rt.device.index] if rt.device.type == "cuda" else None
        )
    if cfg.compile:
        model = torch.compile(model)
    return net, model


def _restore(
    ckpt: dict[str, Any],
    net: nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    cfg: TrainConfig,
    steps_per_epoch: int,
    rt: Runtime,
    ckpt_path: Path,
) -> LoopState:
    """Load model, optimizer, schedule and RNG states from a checked checkpoint; returns the loop state."""
    try:
        net.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
    except (RuntimeError, KeyError, ValueError) as exc:
        raise CheckpointError(
            f"{ckpt_path}: does not fit the model being resumed ({first_line(exc)})"
        ) from None
    if isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR):
        scheduler.total_steps = max(1, cfg.epochs * steps_per_epoch)  # epochs may have been raised
    rngs = ckpt["rng"]
    if len(rngs) == rt.world_size:
        set_rng_state(rngs[rt.rank])
    else:
        log.warning(
            "checkpoint from %d rank(s), resuming on %d: RNG streams reseeded", len(rngs), rt.world_size
        )
        torch.manual_seed(derive_seed(cfg.seed, int(ckpt["epoch"]), rt.rank, "resume"))
    return LoopState.from_checkpoint(ckpt)


@dataclass
class LoopState:
    """Where the loop stands: everything besides weights, optimizer, schedule and RNG that a resume needs.

    Saved in checkpoints/last.pt field by field (`to_checkpoint`) and read back (`from_checkpoint`), so a
    field added here is carried by every checkpoint without being spelled anywhere else.
    """

    epoch: int = 0  # epochs finished
    step_in_epoch: int = 0  # steps done of the next epoch (an interrupted one), 0 at an epoch boundary
    partial: dict[str, float] | None = None  # that epoch's sums so far: loss_sum, correct, seen, seconds
    best_val_acc: float = -1.0
    best_epoch: int = 0
    epochs_without_improvement: int = 0
    train_seconds: float = 0.0

    def to_checkpoint(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_checkpoint(cls, ckpt: dict[str, Any]) -> LoopState:
        return cls(**{f.name: ckpt[f.name] for f in fields(cls) if f.name in ckpt})


LOOP_STATE = tuple(f.name for f in fields(LoopState))
_NO_PARTIAL = {"loss_sum": 0.0, "correct": 0.0, "seen": 0.0, "seconds": 0.0}


def _reporter(
    progress: ProgressCallback | None, epoch: int, epochs: int, steps: int
) -> Callable[[int, float, float], None] | None:
    """train_one_epoch's per-sync report as progress events of this epoch (None: nobody listens)."""
    if progress is None:
        return None
    return lambda step, loss, acc: progress(event(epoch, epochs, step, steps, loss, acc))


def _data_summary(data: SplitData, caches: dict[str, TensorCache], splits_dir: Path) -> dict[str, Any]:
    """What the model directory says about its data: the split directory's own description (method, ratios,
    seed, per-class counts, near-duplicate settings), so its card and the app can state the protocol without
    the split directory, plus the photos training really used."""
    split_info = {k: v for k, v in data.info.items() if k not in ("class_names", "excluded")}
    return split_info | {
        "splits_dir": str(splits_dir.resolve()),
        "photos_used": {k: len(c) for k, c in caches.items()} | {"test": len(data.splits["test"])},
        "dropped": {k: len(c.dropped) for k, c in caches.items()},
    }


@dataclass
class TrainRun:
    """Everything one training run works with, built once by `setup_run` (cf. torchvision's `main`)."""

    cfg: TrainConfig
    rt: Runtime
    out_dir: Path
    splits_dir: Path
    data: SplitData
    caches: dict[str, TensorCache]
    prep: Preprocessing
    aug: AugmentParams | None
    net: nn.Module  # the network itself (saved, evaluated)
    model: nn.Module  # what training calls: net wrapped in DDP and/or torch.compile
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    criterion: nn.Module
    rank_batch: int
    steps_per_epoch: int
    saver: CheckpointSaver
    state: LoopState
    data_summary: dict[str, Any]

    def save_last(self, epoch: int, step_in_epoch: int, partial: dict[str, float] | None) -> None:
        """checkpoints/last.pt: weights, optimizer, schedule, the loop state at (epoch, step), config, classes."""
        at = LoopState(**{**self.state.to_checkpoint(), "epoch": epoch, "step_in_epoch": step_in_epoch})
        at.partial = partial
        self.saver.save_last(
            {
                "model": self.net.state_dict(),
                "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict(),
                **at.to_checkpoint(),
                "config": self.cfg.to_dict(),
                "class_names": self.data.class_names,
            }
        )

    def metrics(self, epochs_trained: int) -> dict[str, Any]:
        rt = self.rt
        return {
            "best_val_accuracy": self.state.best_val_acc,
            "best_epoch": self.state.best_epoch,
            "epochs_trained": epochs_trained,
            "train_seconds": round(self.state.train_seconds, 2),
            "device": str(rt.device) if rt.device.type == "cpu" else torch.cuda.get_device_name(rt.device),
        }

    def meta(self, epochs_trained: int) -> ModelMeta:
        cfg = self.cfg
        return ModelMeta(
            class_names=self.data.class_names,
            preprocessing=self.prep,
            arch=cfg.arch,
            width_mult=cfg.width_mult,
            dropout=cfg.dropout,
            train_config=cfg.to_dict(),
            data=self.data_summary,
            metrics=self.metrics(epochs_trained),
        )


def setup_run(cfg: TrainConfig, splits_dir: Path, out_dir: Path, resume: bool, rt: Runtime) -> TrainRun:
    """Check the request, load the data, build model, optimizer and schedule, restore a checkpoint."""
    saver = CheckpointSaver(out_dir, rt)
    if resume and not saver.last.is_file():
        raise FileNotFoundError(f"{saver.last}: nothing to resume")
    if not resume and saver.last.is_file():
        raise FileExistsError(
            f"{out_dir} already holds a run (checkpoints/last.pt); use --resume or another --out"
        )
    if not splits_dir.is_dir():
        raise FileNotFoundError(f"{splits_dir}: split directory not found")
    cfg = cfg.replace(out_dir=str(out_dir))
    data = read_split_dir(splits_dir)
    # refuse before the slow part
    ckpt = _checked_checkpoint(cfg, data, saver.last, out_dir) if resume else None
    if rt.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out_dir / "train_config.json", cfg.to_dict())
    caches = _load_caches(data, cfg, out_dir, rt)
    net, model = _build_model(cfg, len(data.class_names), rt)
    rank_batch = max(1, cfg.batch_size // rt.world_size)
    if rank_batch * rt.world_size != cfg.batch_size and rt.is_main:
        log.warning(
            "batch_size %d is not divisible by %d ranks: global batch %d",
            cfg.batch_size,
            rt.world_size,
            rank_batch * rt.world_size,
        )
    steps_per_epoch = len(
        epoch_batches(len(caches["train"]), rank_batch, cfg.seed, 1, True, rt.rank, rt.world_size)
    )
    optimizer = make_optimizer(net.parameters(), cfg, rt.device)
    scheduler = make_scheduler(optimizer, cfg, steps_per_epoch)
    state = LoopState()
    if ckpt is not None:
        state = _restore(ckpt, net, optimizer, scheduler, cfg, steps_per_epoch, rt, saver.last)
        if rt.is_main:
            truncate_metrics(saver.metrics, state.epoch)
            log.info("resuming %s after epoch %d (step %d)", out_dir, state.epoch, state.step_in_epoch)
    elif rt.is_main:
        saver.metrics.unlink(missing_ok=True)
    return TrainRun(
        cfg=cfg,
        rt=rt,
        out_dir=out_dir,
        splits_dir=splits_dir,
        data=data,
        caches=caches,
        prep=Preprocessing(size=cfg.image_size),
        aug=AugmentParams.from_config(cfg) if cfg.augment else None,
        net=net,
        model=model,
        optimizer=optimizer,
        scheduler=scheduler,
        criterion=nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing),
        rank_batch=rank_batch,
        steps_per_epoch=steps_per_epoch,
        saver=saver,
        state=state,
        data_summary=_data_summary(data, caches, splits_dir),
    )


def run_epoch(
    run: TrainRun, epoch: int, stop: Callable[[], bool], progress: ProgressCallback | None
) -> tuple[dict[str, Any], dict[str, float], float]:
    """Train one epoch (from where an interrupted one stopped); (its result, the epoch's sums, start time)."""
    cfg, rt, state = run.cfg, run.rt, run.state
    batches = epoch_batches(
        len(run.caches["train"]), run.rank_batch, cfg.seed, epoch, True, rt.rank, rt.world_size
    )
    resuming_mid_epoch = epoch == state.epoch + 1 and state.step_in_epoch
    start_step = state.step_in_epoch if resuming_mid_epoch else 0
    partial = (state.partial if resuming_mid_epoch else None) or _NO_PARTIAL
    t0 = time.perf_counter()
    m = train_one_epoch(
        run.model,
        run.optimizer,
        run.scheduler,
        run.criterion,
        run.caches["train"],
        batches,
        prep=run.prep,
        aug=run.aug,
        seed=cfg.seed,
        epoch=epoch,
        rt=rt,
        stop=stop,
        start_step=start_step,
        channels_last=cfg.channels_last,
        desc=f"epoch {epoch}/{cfg.epochs}",
        report=_reporter(progress, epoch, cfg.epochs, len(batches)),
    )
    total = {k: partial[k] + m[k] for k in ("loss_sum", "correct", "seen")}
    total["seconds"] = partial[
        "seconds"
    ]  # of the part before a resume; this part's time is added by the caller
    m["steps"] = len(batches)
    return m, total, t0


def save_interrupted(run: TrainRun, epoch: int, m: dict[str, Any], total: dict[str, float]) -> None:
    """Stopped inside `epoch`: last.pt records the step and the epoch's sums so far, to go on exactly."""
    run.state.train_seconds += m["seconds"]
    run.save_last(epoch - 1, m["steps_done"], total | {"seconds": total["seconds"] + m["seconds"]})
    if run.rt.is_main:
        log.warning(
            "interrupted in epoch %d at step %d/%d; saved %s",
            epoch,
            m["steps_done"],
            m["steps"],
            run.saver.last,
        )


def end_of_epoch(
    run: TrainRun, epoch: int, m: dict[str, Any], total: dict[str, float], t0: float, stop: Callable[[], bool]
) -> str:
    """Validate, record the epoch, save; then the decision: "continue", "early_stop" or "stop" (requested)."""
    cfg, rt, state = run.cfg, run.rt, run.state
    val = evaluate(
        run.net, run.caches["validation"], run.prep, run.criterion, 2 * run.rank_batch, rt, cfg.channels_last
    )
    state.train_seconds += time.perf_counter() - t0
    row = {
        "epoch": epoch,
        "train_loss": total["loss_sum"] / total["seen"],
        "train_acc": total["correct"] / total["seen"],
        "val_loss": val["loss"],
        "val_acc": val["acc"],
        "lr": run.optimizer.param_groups[0]["lr"],
        "seconds": round(total["seconds"] + time.perf_counter() - t0, 3),
        "img_per_s": round(m["seen"] / m["seconds"], 2),
    }
    improved = val["acc"] > state.best_val_acc
    if improved:
        state.best_val_acc, state.best_epoch, state.epochs_without_improvement = val["acc"], epoch, 0
    else:
        state.epochs_without_improvement += 1
    run.saver.end_epoch(row, run.net if improved else None, run.meta(epoch))
    if rt.is_main:
        log.info(
            "epoch %d/%d: train loss %.4f acc %.4f | val loss %.4f acc %.4f%s | %.0f img/s",
            epoch,
            cfg.epochs,
            row["train_loss"],
            row["train_acc"],
            val["loss"],
            val["acc"],
            " (best)" if improved else "",
            row["img_per_s"],
        )
    state.epoch, state.step_in_epoch, state.partial = epoch, 0, None
    run.save_last(epoch, 0, None)
    if cfg.early_stopping and state.epochs_without_improvement >= cfg.early_stopping:
        if rt.is_main:
            log.info("early stopping: no better validation accuracy for %d epochs", cfg.early_stopping)
        return "early_stop"
    stop_now = stop()  # a request during validation: the epoch is complete and saved
    if rt.distributed:  # every rank must leave the loop together
        stop_now = _all_reduce([float(stop_now)], rt)[0] > 0
    return "stop" if stop_now else "continue"


def _train(
    cfg: TrainConfig,
    splits_dir: Path,
    out_dir: Path,
    resume: bool,
    should_stop: Callable[[], bool] | None,
    rt: Runtime,
    progress: ProgressCallback | None = None,
) -> dict[str, Any]:
    run = setup_run(cfg, splits_dir, out_dir, resume, rt)
    cfg = run.cfg
    if rt.is_main:
        log.info(
            "training %s: %d classes, %s photos, %d steps/epoch, device %s, %s",
            cfg.arch,
            len(run.data.class_names),
            run.data_summary["photos_used"],
            run.steps_per_epoch,
            rt.device,
            rt.amp_dtype or "fp32",
        )
    interrupted = stopped_early = False
    run.model.train()
    with StopRequest(should_stop) as stop:
        for epoch in range(run.state.epoch + 1, cfg.epochs + 1):
            m, total, t0 = run_epoch(run, epoch, stop, progress)
            if m["interrupted"]:
                interrupted = True
                save_interrupted(run, epoch, m, total)
                break
            decision = end_of_epoch(run, epoch, m, total, t0, stop)
            if decision != "continue":
                stopped_early = decision == "early_stop"
                interrupted = decision == "stop" and epoch < cfg.epochs
                break
    run.saver.finish(run.metrics(run.state.epoch))
    return _summary(run, interrupted, stopped_early)


def _summary(run: TrainRun, interrupted: bool, stopped_early: bool) -> dict[str, Any]:
    """What `train` returns: the run's best epoch, how far it got, and how it ended."""
    state = run.state
    return {
        "run_dir": str(run.out_dir),
        "best_val_accuracy": state.best_val_acc,
        "best_epoch": state.best_epoch,
        "epochs_trained": state.epoch,
        "train_seconds": round(state.train_seconds, 2),
        "device": str(run.rt.device),
        "interrupted": interrupted,
        "stopped_early": stopped_early,
        "dropped": run.data_summary["dropped"],
        "counts": run.data_summary.get("counts"),  # absent from a splits.json written by hand
    }
