"""Benchmark: photos/s of the full check (load + decode-once scan + all checks), total and per core.

Runs on ../shared/data/asl-letters-sample (when present) and on a generated set of small JPEGs
(blocky noise, 320×240 by default; generation is not timed). Per core is shown side by side as the
pooled rate divided by its workers, as a one-process run on a subset, and as photos per CPU-second of
all processes (the honest figure on a machine whose cores other jobs share).

    python benchmarks/curation_speed.py                 # 20,000 generated JPEGs
    python benchmarks/curation_speed.py --n 5000 --keep /tmp/jpegs   # smaller; reuse the set next time
    python benchmarks/curation_speed.py --engine ray --workers-list 1,2   # local and Ray side by side
    python benchmarks/curation_speed.py --engine ray --hands-n 240 --skip-sample --n 0   # hand stage only

With --engine ray each workers count is run on the local engine and on Ray (an in-process Ray of
--workers CPUs, started once and not timed: its start-up is printed on its own), in turn, and Ray's
overhead is printed as local photos/s over Ray photos/s. --hands-n N times the hand stage (no cache) on
N sample photos through the local thread pool and through Ray's actors, as frames/s per core.
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


def measure(
    data: Path, workers: int, max_side: int, limit: int | None = None, engine=None
) -> dict[str, float]:
    """Seconds for load, scan, checks on `data` (first `limit` photos when given), and CPU seconds.

    engine: a `curation.engines` engine for the scan (default: the local `scan_table`). On Ray the CPU
    seconds count only this process (Ray's workers are not its children), so read the wall figures.
    """
    cpu0 = _cpu_seconds()
    t0 = time.perf_counter()
    loaded = load_table(data)
    table = loaded.table if limit is None else loaded.table.iloc[:limit]
    t1 = time.perf_counter()
    if engine is None:
        scanned = scan_table(table, workers=workers, progress=False, max_side=max_side)
    else:
        scanned = engine.scan_table(table, workers=workers, progress=False, max_side=max_side)
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
    parser.add_argument(
        "--engine", choices=("local", "ray"), default="local", help="ray: local and Ray in turn"
    )
    parser.add_argument("--workers-list", default="1,2", help="with --engine ray: worker counts to compare")
    parser.add_argument(
        "--hands-n", type=int, default=0, help="sample photos for the hand-stage figure (0: skip)"
    )
    args = parser.parse_args(argv)
    if args.engine == "ray":
        return compare_ray(args)
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


def compare_ray(args) -> int:
    """Local and Ray side by side on the same photos, for each workers count; then the hand stage."""
    import ray

    from curation.engines import LocalEngine, RayEngine

    logging.basicConfig(level=logging.WARNING)
    width, height = map(int, args.size.lower().split("x"))
    counts = [int(w) for w in args.workers_list.split(",") if w.strip()]
    t = time.perf_counter()
    ray.init(num_cpus=max(counts), include_dashboard=False, log_to_driver=False, configure_logging=False)
    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f}; "
        f"ray {ray.__version__} started with {max(counts)} CPUs in {time.perf_counter() - t:.1f} s (not counted)"
    )
    local, on_ray = LocalEngine(), RayEngine()
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="curation-speed-")
    root = args.keep or Path(tmp.name) / "jpegs"
    try:
        sets = []
        if not args.skip_sample and SAMPLE.is_dir():
            sets.append(("asl-letters-sample", SAMPLE))
        if args.n:
            generate(root, args.n, (width, height), max(counts))
            sets.append((f"generated {width}x{height}", root))
        for name, data in sets:
            for w in counts:
                a = measure(data, w, args.max_side, engine=local)
                b = measure(data, w, args.max_side, engine=on_ray)
                report(f"{name} local", a)
                report(f"{name} ray", b)
                rate = lambda m: m["n"] / (m["load"] + m["scan"] + m["checks"])  # noqa: E731
                print(f"  -> workers {w}: Ray overhead {rate(a) / rate(b):.2f}x (local photos/s over Ray's)")
        if args.hands_n and SAMPLE.is_dir():
            paths = sorted(str(p) for p in SAMPLE.glob("*/*.jpg"))[: args.hands_n]
            paths = paths[:: max(1, len(paths) // args.hands_n)]
            for w in counts:
                for engine in (local, on_ray):
                    t = time.perf_counter()
                    _, summary = engine.detect_files(paths, cache=False, workers=w)
                    seconds = time.perf_counter() - t
                    print(
                        f"hand stage {engine.name:<5} workers {w}: {len(paths)} photos in {seconds:6.1f} s -> "
                        f"{len(paths) / seconds:6.1f} frames/s, {len(paths) / seconds / w:6.1f} per core "
                        f"({summary.n_found} hands found)"
                    )
    finally:
        if tmp is not None:
            tmp.cleanup()
        ray.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
