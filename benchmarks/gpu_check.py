"""The GPU check: every GPU figure the README lacks, in one run that fits one short device lease (< 8 min).

Prints one line per figure, `figure NAME key=value ... : VALUE UNIT`, as each is measured (flushed, so a
run cut short keeps what it had; the compiled figures, the slowest to get, come last):
  1. MobileNetV3-Large training throughput at 224 px, bf16 autocast + channels_last + fused Adam, for each
     batch size, eager and torch.compile: on the cached uint8 pipeline (benchmarks/train_throughput.py's
     bench_project: decoded-once photos, augmentation on the device) and the bare train step (bench_bare:
     random tensors already on the device, the upper bound); their ratio.
  2. One epoch over a synthetic set of 46,000 photos end to end through `sign_ml.train.train` (the
     thesis recipe, batch 50): photo generation (not counted), the cache build, the epoch, evaluation.
  3. The exported model (`sign_ml.onnx_export.export_onnx`) against torch on the GPU on validation photos:
     max |logit difference| and top-1 agreement, fp32 and bf16 autocast.
Needs only what the GPU machine has (torch, torchvision, onnx, onnxruntime, numpy, pillow, pandas,
safetensors, pyyaml, tqdm): no MediaPipe, Gradio or datasets. Run from the repository root:

    bash benchmarks/gpu_check.sh                  # the real check (CUDA)
    GPU_CHECK_TINY=1 bash benchmarks/gpu_check.sh # seconds on a CPU: the script itself still works
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script from anywhere, without installing the project

import numpy as np  # noqa: E402
import torch  # noqa: E402

from benchmarks.curation_speed import N_CLASSES, generate  # noqa: E402
from benchmarks.train_throughput import bench_bare, bench_project, folder_items  # noqa: E402
from sign_ml.config import TrainConfig  # noqa: E402
from sign_ml.data import TensorCache  # noqa: E402
from sign_ml.train import Runtime, resolve_device, resolve_precision  # noqa: E402

SPLIT_RATIOS = (0.85, 0.10, 0.05)  # of the synthetic set, by index: train, validation, test
T0 = time.perf_counter()


def figure(name: str, value: float | str, unit: str = "", **keys) -> None:
    labels = " ".join(f"{k}={v}" for k, v in keys.items())
    shown = f"{value:.4g}" if isinstance(value, float) else str(value)
    print(f"figure {name} {labels} : {shown} {unit}".rstrip(), flush=True)


def note(text: str) -> None:
    print(f"# {time.perf_counter() - T0:6.1f} s  {text}", flush=True)


def write_split(photos: Path, out: Path) -> Path:
    """manifest.csv + splits.json over the generated photos (85/10/5 by index), as `sign-curate split` writes."""
    import pandas as pd

    items = folder_items(photos)
    n = len(items)
    cut1, cut2 = int(n * SPLIT_RATIOS[0]), int(n * (SPLIT_RATIOS[0] + SPLIT_RATIOS[1]))
    order = np.random.default_rng(0).permutation(n)
    split = np.empty(n, dtype=object)
    split[order[:cut1]], split[order[cut1:cut2]], split[order[cut2:]] = "train", "validation", "test"
    classes = sorted(p.name for p in photos.iterdir() if p.is_dir())
    rows = pd.DataFrame(
        {
            "path": items.paths,
            "relpath": [str(Path(p).relative_to(photos)) for p in items.paths],
            "label": [classes[i] for i in items.labels],
            "split": split,
            "group": "",
            "cluster": "",
        }
    )
    out.mkdir(parents=True, exist_ok=True)
    rows.to_csv(out / "manifest.csv", index=False)
    info = {"class_names": classes, "data_root": str(photos), "seed": 0, "method": "gpu-check synthetic"}
    (out / "splits.json").write_text(json.dumps(info))
    return out


def throughput_cache(args, photos: Path, device: torch.device) -> tuple[TensorCache, int]:
    items = folder_items(photos)
    n = min(len(items), args.throughput_photos)
    items = type(items)("bench", items.paths[:n], items.labels[:n])
    t = time.perf_counter()
    cache = TensorCache.build(items, args.size, None, "memory", args.workers, progress=False)
    note(f"throughput cache: {n} photos at {args.size} px in {time.perf_counter() - t:.1f} s")
    if device.type == "cuda":
        cache = cache.to(device)
    return cache, int(items.labels.max()) + 1


def throughput(args, cache: TensorCache, k: int, rt: Runtime, backends: tuple[str, ...]) -> None:
    """Figure 1 for each batch size and each backend ("" = eager)."""
    precision = str(rt.amp_dtype).replace("torch.", "") if rt.amp_dtype else "fp32"
    for batch in args.batches:
        cfg = TrainConfig(image_size=args.size, batch_size=batch, num_workers=args.workers)
        for backend in backends:
            mode = f"compile-{backend}" if backend else "eager"
            try:
                t = time.perf_counter()
                pipe = bench_project(cache, k, cfg, rt, args.steps, args.warmup, compile_backend=backend)
                bare = bench_bare(k, cfg, rt, args.steps, args.warmup, compile_backend=backend)
            except Exception as exc:  # e.g. no compiler for inductor: say so, go on with the rest
                figure(
                    "train_img_per_s",
                    f"failed ({type(exc).__name__}: {str(exc).splitlines()[0][:120]})",
                    batch=batch,
                    mode=mode,
                )
                continue
            keys = {"size": args.size, "batch": batch, "mode": mode, "precision": precision}
            figure("train_img_per_s", pipe, "img/s", pipeline="cached-uint8", **keys)
            figure("train_img_per_s", bare, "img/s", pipeline="bare-step", **keys)
            figure("pipeline_over_bare", pipe / bare, "", **keys)
            note(f"batch {batch} {mode}: {time.perf_counter() - t:.1f} s with warm-up")


def one_epoch(args, photos: Path, work: Path) -> Path:
    from sign_ml.train import train

    splits = write_split(photos, work / "splits")
    cfg = TrainConfig(
        image_size=args.size,
        epochs=1,
        num_workers=args.workers,
        device=args.device,
        out_dir=str(work / "run"),
    )
    t = time.perf_counter()
    metrics = train(cfg, splits, work / "run")
    seconds = time.perf_counter() - t
    n_train = int(len(folder_items(photos)) * SPLIT_RATIOS[0])
    keys = {"photos": args.photos, "size": args.size, "batch": cfg.batch_size}
    figure("epoch_end_to_end_s", seconds, "s", **keys)
    figure("epoch_end_to_end_img_per_s", n_train / seconds, "img/s (train photos / wall)", **keys)
    if metrics.get("train_seconds") is not None:
        figure("epoch_train_loop_s", float(metrics["train_seconds"]), "s", **keys)
    return work / "run"


def onnx_agreement(args, run: Path, photos: Path, device: torch.device) -> None:
    from sign_ml.artifacts import load_model_dir
    from sign_ml.onnx_export import INPUT_NAME, OUTPUT_NAME, export_onnx, make_session
    from sign_ml.presets import Preprocessing, normalize

    path = export_onnx(run)
    session = make_session(path)
    model, meta = load_model_dir(run, device)
    prep = Preprocessing(size=args.size)
    items = folder_items(photos)
    pick = np.random.default_rng(1).choice(len(items), size=min(args.onnx_photos, len(items)), replace=False)
    sub = type(items)("onnx", [items.paths[i] for i in pick], items.labels[pick])
    cache = TensorCache.build(sub, args.size, None, "memory", args.workers, progress=False)
    x = normalize(cache.images, prep)  # the evaluation transform: uint8 photo → normalised float
    got = session.run([OUTPUT_NAME], {INPUT_NAME: x.numpy()})[0]
    with torch.inference_mode():
        fp32 = model(x.to(device)).float().cpu().numpy()
        if device.type == "cuda":
            with torch.autocast("cuda", dtype=torch.bfloat16):
                bf16 = model(x.to(device).contiguous(memory_format=torch.channels_last)).float().cpu().numpy()
        else:
            bf16 = None
    provider = session.get_providers()[0]
    keys = {"photos": len(sub), "onnx": provider, "torch": device.type}
    figure("onnx_vs_torch_max_abs_logit_diff", float(np.abs(got - fp32).max()), "", precision="fp32", **keys)
    figure(
        "onnx_vs_torch_top1_agreement",
        float((got.argmax(1) == fp32.argmax(1)).mean()),
        "",
        precision="fp32",
        **keys,
    )
    if bf16 is not None:
        figure(
            "onnx_vs_torch_max_abs_logit_diff", float(np.abs(got - bf16).max()), "", precision="bf16", **keys
        )
        figure(
            "onnx_vs_torch_top1_agreement",
            float((got.argmax(1) == bf16.argmax(1)).mean()),
            "",
            precision="bf16",
            **keys,
        )


def main(argv: list[str] | None = None) -> int:
    tiny = os.environ.get("GPU_CHECK_TINY") == "1"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--photos", type=int, default=78 if tiny else 46_000, help="synthetic set size")
    parser.add_argument("--size", type=int, default=64 if tiny else 224, help="image size, px")
    parser.add_argument("--batches", default="8,16" if tiny else "50,256", help="batch sizes for figure 1")
    parser.add_argument("--steps", type=int, default=2 if tiny else 30, help="timed steps per figure")
    parser.add_argument(
        "--warmup", type=int, default=1 if tiny else 5, help="untimed steps (and compile) first"
    )
    parser.add_argument(
        "--throughput-photos", type=int, default=32 if tiny else 6400, help="cache for figure 1"
    )
    parser.add_argument("--onnx-photos", type=int, default=8 if tiny else 256, help="photos for figure 3")
    parser.add_argument(
        "--compile-backend",
        default="eager" if tiny else "inductor",
        help="torch.compile backend for the compiled figures ('none' skips them)",
    )
    parser.add_argument("--workers", type=int, default=min(16, os.cpu_count() or 1), help="decode processes")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--work", type=Path, default=None, help="keep the synthetic set and run here")
    parser.add_argument("--skip", default="", help="comma-separated: throughput,epoch,onnx")
    args = parser.parse_args(argv)
    args.batches = [int(b) for b in args.batches.split(",") if b.strip()]
    args.compile_backend = None if args.compile_backend in ("", "none") else args.compile_backend
    skip = {s.strip() for s in args.skip.split(",") if s.strip()}

    device = resolve_device(args.device)
    rt = Runtime(device, resolve_precision("auto", device))
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
        name = torch.cuda.get_device_name(device)
    else:
        name = f"cpu ({torch.get_num_threads()} threads)"
    note(f"device {name}; torch {torch.__version__}; python {sys.version.split()[0]}; tiny={tiny}")
    tmp = None if args.work else tempfile.TemporaryDirectory(prefix="gpu-check-")
    work = args.work or Path(tmp.name)
    try:
        t = time.perf_counter()
        side = max(args.size + 32, 96)  # larger than the model's input, as real photos are
        photos = generate(work / "photos", args.photos, (side, side), args.workers)
        note(
            f"synthetic set: {args.photos} JPEGs {side}x{side} in {N_CLASSES} classes ({time.perf_counter() - t:.1f} s, not counted)"
        )
        # eager figures, the epoch and ONNX first; the compiled figures (minutes of compiling) last, so a
        # run cut short by the lease still has the rest
        cache = k = None
        if "throughput" not in skip:
            cache, k = throughput_cache(args, photos, device)
            throughput(args, cache, k, rt, ("",))
        run = None
        if "epoch" not in skip:
            run = one_epoch(args, photos, work)
        if "onnx" not in skip and run is not None:
            onnx_agreement(args, run, photos, device)
        if cache is not None and args.compile_backend:
            throughput(args, cache, k, rt, (args.compile_backend,))
    finally:
        if tmp is not None:
            tmp.cleanup()
    note("done")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
