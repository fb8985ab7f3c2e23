"""Benchmark: photos/s of the full check (load + decode-once scan + all checks), total and per core.

Runs on ../shared/data/asl-letters-sample (when present) and on a generated set of small JPEGs
(blocky noise, 320×240 by default; generation is not timed). Per core is shown side by side as the
pooled rate divided by its workers, as a one-process run on a subset, and as photos per CPU-second of
all processes (the honest figure on a machine whose cores other jobs share).

    python benchmarks/curation_speed.py                 # 20,000 generated JPEGs
    python benchmarks/curation_speed.py --n 5000 --keep /tmp/jpegs   # smaller; reuse the set next time
"""

from __future__ import annotations

import argparse
import logging
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from curation.loading import load_table
from curation.report import run_checks
from curation.scan import scan_table

SAMPLE = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "asl-letters-sample"
N_CLASSES = 26


def _write(job: tuple[str, int, int, int]) -> None:
    path, seed, width, height = job
    rng = np.random.default_rng(seed)
    blocks = rng.integers(0, 256, size=(6, 8, 3), dtype=np.uint8)  # distinct per seed, like a real scene
    image = Image.fromarray(blocks).resize((width, height), Image.Resampling.BILINEAR)
    image.save(path, format="JPEG", quality=90)


def generate(root: Path, n: int, size: tuple[int, int], workers: int) -> Path:
    """root/c00..c25/<i>.jpg, n JPEGs; reused when root already holds n of them."""
    if root.is_dir() and sum(1 for _ in root.glob("*/*.jpg")) == n:
        return root
    shutil.rmtree(root, ignore_errors=True)
    for c in range(N_CLASSES):
        (root / f"c{c:02d}").mkdir(parents=True)
    jobs = [(str(root / f"c{i % N_CLASSES:02d}" / f"{i:06d}.jpg"), i, *size) for i in range(n)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_write, jobs, chunksize=256))
    return root


def _cpu_seconds() -> float:
    """CPU time of this process plus its finished children (the scan workers)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def measure(data: Path, workers: int, max_side: int, limit: int | None = None) -> dict[str, float]:
    """Seconds for load, scan, checks on `data` (first `limit` photos when given), and CPU seconds."""
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    loaded = load_table(data)
    table = loaded.table if limit is None else loaded.table.iloc[:limit]
    t1 = time.perf_counter()
    scanned = scan_table(table, workers=workers, progress=False, max_side=max_side)
    t2 = time.perf_counter()
    results = run_checks(scanned, class_names=loaded.class_names, empty_classes=loaded.empty_classes)
    t3 = time.perf_counter()
    cpu = _cpu_seconds() - cpu0
    failed = [r.name for r in results if r.summary.startswith("check failed")]
    return {
        "n": len(table),
        "load": t1 - t0,
        "scan": t2 - t1,
        "checks": t3 - t2,
        "cpu": cpu,
        "workers": scanned.attrs["scan"]["workers"],
        "failed": failed,
    }


def report(name: str, m: dict) -> None:
    total = m["load"] + m["scan"] + m["checks"]
    rate = m["n"] / total
    print(
        f"{name:<28} {m['n']:>7,} photos  workers {m['workers']:>2}  load {m['load']:6.2f} s  scan {m['scan']:7.2f} s  "
        f"checks {m['checks']:6.2f} s  ->  {rate:7.1f} photos/s total, per core {rate / m['workers']:6.1f} "
        f"(wall / workers), {m['n'] / m['cpu']:6.1f} (per CPU-second)"
        + (f"  (failed: {m['failed']})" if m["failed"] else "")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="generated JPEGs (default 20,000)")
    parser.add_argument("--size", default="320x240", help="generated JPEG size WxH (default 320x240)")
    parser.add_argument(
        "--workers", type=int, default=os.cpu_count(), help="scan processes (default: all cores)"
    )
    parser.add_argument("--single-n", type=int, default=2000, help="photos for the one-process run (0: skip)")
    parser.add_argument("--max-side", type=int, default=256, help="scan decode size (scan_table's max_side)")
    parser.add_argument("--keep", type=Path, default=None, help="generate into (and reuse) this folder")
    parser.add_argument("--skip-sample", action="store_true", help="skip the shared ASL sample")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    width, height = map(int, args.size.lower().split("x"))

    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {load:.2f}, max_side {args.max_side}"
    )
    if not args.skip_sample and SAMPLE.is_dir():
        report("asl-letters-sample", measure(SAMPLE, args.workers, args.max_side))
        report("asl-letters-sample 1 proc", measure(SAMPLE, 1, args.max_side))
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="curation-speed-")
    root = args.keep or Path(tmp.name) / "jpegs"
    try:
        t = time.perf_counter()
        generate(root, args.n, (width, height), args.workers or 1)
        print(
            f"generated set: {args.n:,} JPEGs {width}×{height} in {root} ({time.perf_counter() - t:.1f} s, not counted)"
        )
        report(f"generated {width}x{height}", measure(root, args.workers, args.max_side))
        if args.single_n:
            report(
                f"generated {width}x{height} 1 proc",
                measure(root, 1, args.max_side, limit=min(args.single_n, args.n)),
            )
    finally:
        if tmp is not None:
            tmp.cleanup()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
