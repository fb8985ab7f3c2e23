"""Training: MobileNetV3-Large on a split directory, fast on a GPU, exact to resume.

    train(cfg, splits_dir, out_dir) writes into RUN/:
        train_config.json          the resolved TrainConfig (also inside every checkpoint)
        metrics.csv, curves.png    one row / one redraw per epoch
        model.safetensors, config.json   the best epoch by validation accuracy (a model directory)
        checkpoints/last.pt        model, optimizer, scheduler, epoch, RNG states (every epoch and on Ctrl-C)
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
import csv
import logging
import math
import os
import random
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from tqdm.auto import tqdm

from sign_ml.artifacts import ModelMeta, atomic_torch_save, atomic_write_json, read_meta, save_model_dir
from sign_ml.augment import AugmentParams, train_inputs
from sign_ml.config import TrainConfig
from sign_ml.curves import METRICS_COLUMNS, save_curves
from sign_ml.data import SplitData, TensorCache, derive_seed, epoch_batches, iterate, read_split_dir
from sign_ml.model import build_model, set_bn_momentum
from sign_ml.presets import Preprocessing

log = logging.getLogger(__name__)

CHECKPOINT_FORMAT = 1
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
    return torch.optim.Adam(params, lr=cfg.lr, betas=tuple(cfg.betas), eps=cfg.eps, weight_decay=cfg.weight_decay,
                            fused=device.type == "cuda")  # fmt: skip


def make_scheduler(
    optimizer: torch.optim.Optimizer, cfg: TrainConfig, steps_per_epoch: int
) -> torch.optim.lr_scheduler.LRScheduler:
    """Per-iteration LR schedule: constant (thesis), cosine or one-cycle, with optional linear warm-up."""
    total = max(1, cfg.epochs * steps_per_epoch)
    warm = min(total - 1, cfg.warmup_epochs * steps_per_epoch)
    if cfg.lr_schedule == "onecycle":
        pct = warm / total if warm > 0 else 0.3
        # cycle_momentum off: keep the configured Adam betas
        return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=cfg.lr, total_steps=total, pct_start=pct,
                                                   cycle_momentum=False)  # fmt: skip

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
        },  # fmt: skip
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
        log.warning("%s: finishing this step and saving checkpoints/last.pt (Ctrl-C again to abort)",
                    signal.Signals(signum).name)  # fmt: skip

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


@torch.no_grad()
def validate(model: nn.Module, cache: TensorCache, prep: Preprocessing, criterion: nn.Module, batch_size: int,
             rt: Runtime, channels_last: bool = True) -> tuple[float, float, int]:  # fmt: skip
    """(mean loss, accuracy, n) on a cache with the evaluation transform, summed over all ranks."""
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
    return total_loss / max(1, total_seen), total_correct / max(1, total_seen), int(total_seen)


def train_step(model: nn.Module, optimizer: torch.optim.Optimizer, criterion: nn.Module, x: torch.Tensor,
               labels: torch.Tensor, rt: Runtime) -> tuple[torch.Tensor, torch.Tensor]:  # fmt: skip
    """One optimisation step; (loss, number correct) as device tensors (no host sync)."""
    with _autocast(rt):
        logits = model(x)
    loss = criterion(logits.float(), labels)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()
    return loss.detach(), (logits.detach().argmax(1) == labels).sum()


# --------------------------------------------------------------------------- files
def _write_metrics_row(path: Path, row: dict[str, Any]) -> None:
    new = not path.is_file()
    with path.open("a", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=METRICS_COLUMNS)
        if new:
            writer.writeheader()
        writer.writerow({k: row[k] for k in METRICS_COLUMNS})
        f.flush()
        os.fsync(f.fileno())


def _truncate_metrics(path: Path, last_epoch: int) -> None:
    """Keep rows up to `last_epoch` (a crash after appending a row but before saving last.pt)."""
    if not path.is_file():
        return
    with path.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if int(r["epoch"]) <= last_epoch]
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=METRICS_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def _unwrap(model: nn.Module) -> nn.Module:
    model = getattr(model, "_orig_mod", model)  # torch.compile
    return getattr(model, "module", model)  # DistributedDataParallel


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
) -> dict[str, Any]:
    """Train on `splits_dir` (manifest.csv + splits.json) into the run directory `out_dir`.

    resume: continue exactly from out_dir/checkpoints/last.pt (model, optimizer, scheduler, epoch,
    position inside an interrupted epoch, RNG states); `cfg.epochs` may be raised to train longer.
    should_stop: polled after every step; True saves last.pt and returns (as Ctrl-C does).
    Returns the final metrics: best_val_accuracy, best_epoch, epochs_trained, train_seconds, ...
    """
    rt = setup_runtime(cfg)
    try:
        return _train(cfg, Path(splits_dir), Path(out_dir), resume, should_stop, rt)
    finally:
        if rt.distributed and dist.is_initialized():
            dist.destroy_process_group()


def _load_caches(data: SplitData, cfg: TrainConfig, out_dir: Path, rt: Runtime) -> dict[str, TensorCache]:
    caches: dict[str, TensorCache] = {}
    cache_dir = out_dir / "cache"
    for name in ("train", "validation"):
        if len(data.splits[name]) == 0:
            raise ValueError(f"{data.splits_dir}: split {name!r} has no photos")
        if rt.is_main:  # rank 0 decodes; the others load its file after the barrier
            caches[name] = TensorCache.build(
                data.splits[name], cfg.image_size, cache_dir, cfg.cache, cfg.num_workers
            )
        if rt.distributed:
            dist.barrier()
        if not rt.is_main:
            caches[name] = TensorCache.build(
                data.splits[name], cfg.image_size, cache_dir, cfg.cache, 1, progress=False
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


def _train(cfg: TrainConfig, splits_dir: Path, out_dir: Path, resume: bool, should_stop: Callable[[], bool] | None,
           rt: Runtime) -> dict[str, Any]:  # fmt: skip
    ckpt_path = out_dir / "checkpoints" / "last.pt"
    metrics_path = out_dir / "metrics.csv"
    if resume and not ckpt_path.is_file():
        raise FileNotFoundError(f"{ckpt_path}: nothing to resume")
    if not resume and ckpt_path.is_file():
        raise FileExistsError(
            f"{out_dir} already holds a run (checkpoints/last.pt); use --resume or another --out"
        )
    if not splits_dir.is_dir():
        raise FileNotFoundError(f"{splits_dir}: split directory not found")
    cfg = cfg.replace(out_dir=str(out_dir))
    data = read_split_dir(splits_dir)
    if rt.is_main:
        out_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_json(out_dir / "train_config.json", cfg.to_dict())
    caches = _load_caches(data, cfg, out_dir, rt)
    train_cache, val_cache = caches["train"], caches["validation"]
    num_classes = len(data.class_names)
    prep = Preprocessing(size=cfg.image_size)
    aug = AugmentParams.from_config(cfg) if cfg.augment else None

    # --- model, optimizer, schedule ---
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
    rank_batch = max(1, cfg.batch_size // rt.world_size)
    if rank_batch * rt.world_size != cfg.batch_size and rt.is_main:
        log.warning("batch_size %d is not divisible by %d ranks: global batch %d", cfg.batch_size, rt.world_size,
                    rank_batch * rt.world_size)  # fmt: skip
    steps_per_epoch = len(
        epoch_batches(len(train_cache), rank_batch, cfg.seed, 1, True, rt.rank, rt.world_size)
    )
    optimizer = make_optimizer(net.parameters(), cfg, rt.device)
    scheduler = make_scheduler(optimizer, cfg, steps_per_epoch)
    criterion = nn.CrossEntropyLoss(label_smoothing=cfg.label_smoothing)

    # --- state (fresh or from last.pt) ---
    state: dict[str, Any] = {"epoch": 0, "step_in_epoch": 0, "partial": None, "best_val_acc": -1.0, "best_epoch": 0,
                             "epochs_without_improvement": 0, "train_seconds": 0.0}  # fmt: skip
    if resume:
        ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
        net.load_state_dict(ckpt["model"])
        optimizer.load_state_dict(ckpt["optimizer"])
        scheduler.load_state_dict(ckpt["scheduler"])
        if isinstance(scheduler, torch.optim.lr_scheduler.OneCycleLR):
            scheduler.total_steps = max(1, cfg.epochs * steps_per_epoch)  # epochs may have been raised
        state.update({k: ckpt[k] for k in state})
        rngs = ckpt["rng"]
        if len(rngs) == rt.world_size:
            set_rng_state(rngs[rt.rank])
        else:
            log.warning(
                "checkpoint from %d rank(s), resuming on %d: RNG streams reseeded", len(rngs), rt.world_size
            )
            torch.manual_seed(derive_seed(cfg.seed, state["epoch"], rt.rank, "resume"))
        changed = {k: (v, cfg.to_dict().get(k)) for k, v in ckpt["config"].items()
                   if k not in ("epochs", "early_stopping", "num_workers", "device", "out_dir", "cache")
                   and cfg.to_dict().get(k) != v}  # fmt: skip
        if changed and rt.is_main:
            log.warning("resuming with a different config: %s", changed)
        if rt.is_main:
            _truncate_metrics(metrics_path, state["epoch"])
            log.info("resuming %s after epoch %d (step %d)", out_dir, state["epoch"], state["step_in_epoch"])
    elif rt.is_main:
        metrics_path.unlink(missing_ok=True)

    # the split directory's own description (method, ratios, seed, per-class counts, near-duplicate settings)
    # travels with the model, so its card and the app can state the protocol without the split directory
    split_info = {k: v for k, v in data.info.items() if k not in ("class_names", "excluded")}
    photos_used = {k: len(c) for k, c in caches.items()} | {"test": len(data.splits["test"])}
    data_summary = split_info | {"splits_dir": str(splits_dir.resolve()), "photos_used": photos_used,
                                 "dropped": {k: len(c.dropped) for k, c in caches.items()}}  # fmt: skip
    if rt.is_main:
        log.info("training %s: %d classes, %s photos, %d steps/epoch, device %s, %s", cfg.arch, num_classes,
                 photos_used, steps_per_epoch, rt.device, rt.amp_dtype or "fp32")  # fmt: skip

    def checkpoint(epoch: int, step_in_epoch: int, partial: dict[str, float] | None) -> None:
        rngs = _gather_rng(rt)  # collective: every rank calls it
        if not rt.is_main:
            return
        atomic_torch_save({
            "format": CHECKPOINT_FORMAT, "model": net.state_dict(), "optimizer": optimizer.state_dict(),
            "scheduler": scheduler.state_dict(), "epoch": epoch, "step_in_epoch": step_in_epoch, "partial": partial,
            "best_val_acc": state["best_val_acc"], "best_epoch": state["best_epoch"],
            "epochs_without_improvement": state["epochs_without_improvement"],
            "train_seconds": state["train_seconds"], "config": cfg.to_dict(), "rng": rngs,
            "world_size": rt.world_size, "class_names": data.class_names}, ckpt_path)  # fmt: skip

    def meta(epochs_trained: int) -> ModelMeta:
        return ModelMeta(
            class_names=data.class_names, preprocessing=prep, arch=cfg.arch, width_mult=cfg.width_mult,
            dropout=cfg.dropout, train_config=cfg.to_dict(), data=data_summary,
            metrics={"best_val_accuracy": state["best_val_acc"], "best_epoch": state["best_epoch"],
                     "epochs_trained": epochs_trained, "train_seconds": round(state["train_seconds"], 2),
                     "device": str(rt.device) if rt.device.type == "cpu" else torch.cuda.get_device_name(rt.device)},
        )  # fmt: skip

    interrupted = stopped_early = False
    model.train()
    with StopRequest(should_stop) as stop:
        for epoch in range(state["epoch"] + 1, cfg.epochs + 1):
            batches = epoch_batches(
                len(train_cache), rank_batch, cfg.seed, epoch, True, rt.rank, rt.world_size
            )
            start_step, partial = 0, None
            if epoch == state["epoch"] + 1 and state["step_in_epoch"]:
                start_step, partial = state["step_in_epoch"], state["partial"]
            partial = partial or {"loss_sum": 0.0, "correct": 0.0, "seen": 0.0, "seconds": 0.0}
            loss_sum = torch.zeros((), dtype=torch.float64, device=rt.device)
            correct = torch.zeros((), dtype=torch.int64, device=rt.device)
            seen = 0
            t0 = time.perf_counter()
            bar = tqdm(total=len(batches), initial=start_step, desc=f"epoch {epoch}/{cfg.epochs}", unit="step",
                       disable=not rt.is_main, leave=False, dynamic_ncols=True)  # fmt: skip
            done = start_step  # steps of this epoch finished (for a mid-epoch checkpoint)
            for step, (images, labels) in enumerate(
                iterate(train_cache, batches[start_step:], rt.device), start_step
            ):
                g = torch.Generator().manual_seed(derive_seed(cfg.seed, epoch, step, rt.rank, "augment"))
                x = train_inputs(images, prep, aug, g, cfg.channels_last)
                loss, n_correct = train_step(model, optimizer, criterion, x, labels, rt)
                scheduler.step()  # per iteration
                loss_sum += loss.double() * len(labels)
                correct += n_correct
                seen += len(labels)
                done = step + 1
                bar.update(1)
                last = step == len(batches) - 1
                if (step + 1) % SYNC_EVERY == 0 or last:
                    elapsed = time.perf_counter() - t0
                    bar.set_postfix(loss=f"{loss_sum.item() / seen:.4f}", acc=f"{correct.item() / seen:.3f}",
                                    img_s=f"{seen * rt.world_size / elapsed:.0f}", refresh=False)  # fmt: skip
                    stop_now = stop()
                    if rt.distributed:
                        stop_now = _all_reduce([float(stop_now)], rt)[0] > 0
                elif not rt.distributed:
                    stop_now = stop()
                else:
                    stop_now = False
                if stop_now:
                    interrupted = True
                    break
            bar.close()
            train_seconds = time.perf_counter() - t0
            sums = _all_reduce([loss_sum, correct, seen], rt)
            total_loss = partial["loss_sum"] + sums[0]
            total_correct = partial["correct"] + sums[1]
            total_seen = partial["seen"] + sums[2]
            if interrupted:
                state["train_seconds"] += train_seconds
                checkpoint(epoch - 1, done, {"loss_sum": total_loss, "correct": total_correct,
                                                 "seen": total_seen, "seconds": partial["seconds"] + train_seconds})  # fmt: skip
                if rt.is_main:
                    log.warning(
                        "interrupted in epoch %d at step %d/%d; saved %s",
                        epoch,
                        done,
                        len(batches),
                        ckpt_path,
                    )
                break
            val_loss, val_acc, _ = validate(
                net, val_cache, prep, criterion, 2 * rank_batch, rt, cfg.channels_last
            )
            seconds = partial["seconds"] + time.perf_counter() - t0
            state["train_seconds"] += time.perf_counter() - t0
            row = {"epoch": epoch, "train_loss": total_loss / total_seen, "train_acc": total_correct / total_seen,
                   "val_loss": val_loss, "val_acc": val_acc, "lr": optimizer.param_groups[0]["lr"],
                   "seconds": round(seconds, 3), "img_per_s": round(sums[2] / train_seconds, 2)}  # fmt: skip
            improved = val_acc > state["best_val_acc"]
            if improved:
                state.update(best_val_acc=val_acc, best_epoch=epoch, epochs_without_improvement=0)
            else:
                state["epochs_without_improvement"] += 1
            if rt.is_main:
                _write_metrics_row(metrics_path, row)
                save_curves(metrics_path, out_dir / "curves.png", title=out_dir.name)
                if improved:
                    save_model_dir(out_dir, net, meta(epoch))
                log.info("epoch %d/%d: train loss %.4f acc %.4f | val loss %.4f acc %.4f%s | %.0f img/s",
                         epoch, cfg.epochs, row["train_loss"], row["train_acc"], val_loss, val_acc,
                         " (best)" if improved else "", row["img_per_s"])  # fmt: skip
            state["epoch"], state["step_in_epoch"], state["partial"] = epoch, 0, None
            checkpoint(epoch, 0, None)
            if cfg.early_stopping and state["epochs_without_improvement"] >= cfg.early_stopping:
                stopped_early = True
                if rt.is_main:
                    log.info(
                        "early stopping: no better validation accuracy for %d epochs", cfg.early_stopping
                    )
                break
            stop_now = stop()  # a request during validation: the epoch is complete and saved
            if rt.distributed:  # every rank must leave the loop together
                stop_now = _all_reduce([float(stop_now)], rt)[0] > 0
            if stop_now:
                interrupted = epoch < cfg.epochs
                break

    epochs_trained = state["epoch"]
    if rt.is_main and (out_dir / "config.json").is_file():
        final = read_meta(out_dir)
        final.metrics.update(meta(epochs_trained).metrics | {"best_val_accuracy": state["best_val_acc"]})
        atomic_write_json(out_dir / "config.json", final.to_dict())
    return {
        "run_dir": str(out_dir),
        "best_val_accuracy": state["best_val_acc"],
        "best_epoch": state["best_epoch"],
        "epochs_trained": epochs_trained,
        "train_seconds": round(state["train_seconds"], 2),
        "device": str(rt.device),
        "interrupted": interrupted,
        "stopped_early": stopped_early,
        "dropped": data_summary["dropped"],
        "counts": data_summary["counts"],
    }
