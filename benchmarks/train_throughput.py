"""Training throughput, measured side by side in one process on the same photos:

  (a) thesis-style loop: an ImageFolder-like Dataset decoding every photo with PIL on every step,
      torchvision transforms, DataLoader(batch 50, num_workers=0), fp32, NCHW
  (b) this project's pipeline: photos decoded once into the uint8 TensorCache (build time printed
      separately, not counted), batched augmentation on the training device, channels_last,
      bf16 autocast + fused Adam on CUDA
  (c) the bare train step of (b) on random tensors already on the device: the upper bound

Rounds interleave a, b, c so a noisy shared machine slows all three alike; the ratios use the
median per variant. Usage (CPU, a few minutes):

    .venv/bin/python benchmarks/train_throughput.py --size 224 --steps 10
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn
from torch.utils.data import DataLoader, Dataset
from torchvision import transforms

from curation.images import is_image_file
from sign_ml.augment import AugmentParams, train_inputs
from sign_ml.config import TrainConfig
from sign_ml.data import SplitItems, TensorCache, derive_seed, epoch_batches, iterate
from sign_ml.model import build_model
from sign_ml.presets import IMAGENET_MEAN, IMAGENET_STD, Preprocessing
from sign_ml.train import Runtime, make_optimizer, resolve_device, resolve_precision, train_step

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "asl-letters-sample"


def folder_classes(root: Path) -> list[str]:
    """The class folders of root, sorted: label i of `folder_items` is the i-th."""
    return sorted(p.name for p in root.iterdir() if p.is_dir())


def folder_items(root: Path) -> SplitItems:
    """root/<class>/<photo> → paths and labels (classes sorted)."""
    paths, labels = [], []
    for i, name in enumerate(folder_classes(root)):
        for f in sorted((root / name).iterdir()):
            if is_image_file(f):
                paths.append(str(f))
                labels.append(i)
    if not paths:
        raise SystemExit(f"no photos under {root}")
    return SplitItems("bench", paths, np.asarray(labels, dtype=np.int64))


class ThesisFolder(Dataset):
    """What a from-the-tutorial loop does: open and decode the JPEG with PIL on every access."""

    def __init__(self, items: SplitItems, size: int):
        self.items = items
        self.transform = transforms.Compose(
            [
                transforms.Resize((size, size)),
                transforms.ToTensor(),
                transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
            ]
        )

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        with Image.open(self.items.paths[i]) as im:
            return self.transform(im.convert("RGB")), int(self.items.labels[i])


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def timed(step: Callable[[int], int], steps: int, warmup: int, device: torch.device) -> float:
    """img/s over `steps` calls of step(i) -> images, after `warmup` untimed calls."""
    for i in range(warmup):
        step(i)
    _sync(device)
    t0 = time.perf_counter()
    n = sum(step(warmup + i) for i in range(steps))
    _sync(device)
    return n / (time.perf_counter() - t0)


def make_model(
    num_classes: int, cfg: TrainConfig, device: torch.device, channels_last: bool, compile_backend: str = ""
) -> nn.Module:
    """compile_backend: "" = eager, else torch.compile with that backend ("inductor" on a GPU)."""
    torch.manual_seed(0)
    model = build_model(num_classes, width_mult=cfg.width_mult, dropout=cfg.dropout).to(device).train()
    model = model.to(memory_format=torch.channels_last) if channels_last else model
    return torch.compile(model, backend=compile_backend) if compile_backend else model


def bench_thesis(
    items: SplitItems, k: int, cfg: TrainConfig, device: torch.device, steps: int, warmup: int
) -> float:
    model = make_model(k, cfg, device, channels_last=False)
    opt = torch.optim.Adam(model.parameters(), lr=cfg.lr, betas=cfg.betas, eps=cfg.eps)
    loader = DataLoader(
        ThesisFolder(items, cfg.image_size), batch_size=cfg.batch_size, shuffle=True, num_workers=0
    )
    it = iter(loader)
    criterion = nn.CrossEntropyLoss()

    def step(_: int) -> int:
        nonlocal it
        try:
            x, y = next(it)
        except StopIteration:
            it = iter(loader)
            x, y = next(it)
        x, y = x.to(device), y.to(device)
        loss = criterion(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return len(y)

    return timed(step, steps, warmup, device)


def bench_project(
    cache: TensorCache,
    k: int,
    cfg: TrainConfig,
    rt: Runtime,
    steps: int,
    warmup: int,
    compile_backend: str = "",
) -> float:
    model = make_model(k, cfg, rt.device, channels_last=True, compile_backend=compile_backend)
    opt = make_optimizer(model.parameters(), cfg, rt.device)
    criterion = nn.CrossEntropyLoss()
    prep, aug = Preprocessing(size=cfg.image_size), AugmentParams.from_config(cfg)
    batches = [
        b for epoch in range(1, 100) for b in epoch_batches(len(cache), cfg.batch_size, cfg.seed, epoch)
    ]
    stream = iterate(cache, batches, rt.device)

    def step(i: int) -> int:
        images, labels = next(stream)
        g = torch.Generator().manual_seed(derive_seed(cfg.seed, 0, i, 0, "augment"))
        x = train_inputs(images, prep, aug, g, channels_last=True)
        train_step(model, opt, criterion, x, labels, rt)
        return len(labels)

    return timed(step, steps, warmup, rt.device)


def bench_bare(
    k: int, cfg: TrainConfig, rt: Runtime, steps: int, warmup: int, compile_backend: str = ""
) -> float:
    model = make_model(k, cfg, rt.device, channels_last=True, compile_backend=compile_backend)
    opt = make_optimizer(model.parameters(), cfg, rt.device)
    criterion = nn.CrossEntropyLoss()
    x = torch.randn(cfg.batch_size, 3, cfg.image_size, cfg.image_size, device=rt.device)
    x = x.contiguous(memory_format=torch.channels_last)
    y = torch.randint(0, k, (cfg.batch_size,), device=rt.device)

    def step(_: int) -> int:
        train_step(model, opt, criterion, x, y, rt)
        return cfg.batch_size

    return timed(step, steps, warmup, rt.device)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of class subfolders")
    parser.add_argument("--size", type=int, default=224, help="image size in px")
    parser.add_argument("--steps", type=int, default=10, help="timed steps per variant and round")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds of a, b, c")
    parser.add_argument("--batch-size", type=int, default=50)
    parser.add_argument("--width-mult", type=float, default=1.0)
    parser.add_argument("--device", default="auto")
    parser.add_argument("--num-workers", type=int, default=2, help="decode processes for the cache")
    args = parser.parse_args(argv)

    cfg = TrainConfig(
        image_size=args.size,
        batch_size=args.batch_size,
        width_mult=args.width_mult,
        num_workers=args.num_workers,
    )
    device = resolve_device(args.device)
    rt = Runtime(device, resolve_precision("auto", device))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    items = folder_items(args.data)
    k = int(items.labels.max()) + 1
    name = (
        torch.cuda.get_device_name(device)
        if device.type == "cuda"
        else f"cpu ({torch.get_num_threads()} threads)"
    )
    print(
        f"data {args.data}: {len(items)} photos, {k} classes; size {args.size}, batch {args.batch_size}, "
        f"width {args.width_mult}; device {name}; precision (b, c) {rt.amp_dtype or 'fp32'}"
    )

    t0 = time.perf_counter()
    cache = TensorCache.build(items, args.size, None, "memory", args.num_workers, progress=False)
    build_s = time.perf_counter() - t0
    print(
        f"cache build (once per run, not in (b)): {build_s:.1f} s, {len(cache) / build_s:.0f} img/s, "
        f"{cache.nbytes() / 1e6:.0f} MB"
    )
    if device.type == "cuda":
        cache = cache.to(device)

    results: dict[str, list[float]] = {"a": [], "b": [], "c": []}
    for r in range(args.rounds):
        results["a"].append(bench_thesis(items, k, cfg, device, args.steps, args.warmup))
        results["b"].append(bench_project(cache, k, cfg, rt, args.steps, args.warmup))
        results["c"].append(bench_bare(k, cfg, rt, args.steps, args.warmup))
        print(
            f"round {r + 1}: a {results['a'][-1]:.1f}  b {results['b'][-1]:.1f}  c {results['c'][-1]:.1f} img/s",
            flush=True,
        )
    med = {v: statistics.median(xs) for v, xs in results.items()}
    print(f"(a) thesis-style loop   {med['a']:10.1f} img/s")
    print(f"(b) project pipeline    {med['b']:10.1f} img/s")
    print(f"(c) bare step (bound)   {med['c']:10.1f} img/s")
    print(f"b/a = {med['b'] / med['a']:.2f}   b/c = {med['b'] / med['c']:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
