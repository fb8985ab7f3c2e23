"""`sign-curate check DATA [--out DIR]`: load, decode every photo once, run the checks, write the report.

Exit 0 when the report was written, whatever it found; the dispatcher turns a load error (no such
folder, no photos at all, unreachable Hub id) into a one-line message and exit 2.
"""

from __future__ import annotations

import argparse

from curation.checks.balance import MIN_COUNT
from curation.cli.dispatch import worker_count
from curation.engines import add_engine_arguments, engine_from_args
from curation.loading import load_table
from curation.report import available_checks, loading_findings, run_checks, write_report
from curation.split_io import refuse_inside_data


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "data", help="folder of class folders, a saved dataset (save_to_disk) or a Hub dataset id"
    )
    parser.add_argument("--out", default="curation-report", help="report folder (default: ./curation-report)")
    parser.add_argument(
        "--workers", type=worker_count, default=None, help="decoding processes (default: all cores)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--group-column", default=None, help="metadata column holding the group (signer, session)"
    )
    parser.add_argument(
        "--min-count", type=int, default=MIN_COUNT, help="classes with fewer photos are flagged"
    )
    parser.add_argument("--checks", default=None, help="comma-separated subset of checks (default: all)")
    parser.add_argument("--no-hands", action="store_true", help="skip the hand stage (and the hands check)")
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> int:
    loaded = load_table(args.data, group_column=args.group_column)
    if loaded.root is not None:  # a report inside the data would be loaded as photos next time
        refuse_inside_data(args.out, loaded.root)
    engine = engine_from_args(args)
    scanned = engine.scan_table(loaded.table, workers=args.workers, progress=not args.no_progress)
    names = [n.strip() for n in args.checks.split(",") if n.strip()] if args.checks else None
    if args.no_hands:
        names = [n for n in (names or available_checks()) if n != "hands"]
    elif names is None or "hands" in names:
        scanned, _ = engine.add_hand_columns(scanned, progress=not args.no_progress, workers=args.workers)
    results = [loading_findings(loaded)] + run_checks(
        scanned,
        names,
        class_names=loaded.class_names,
        empty_classes=loaded.empty_classes,
        min_count=args.min_count,
    )
    paths = write_report(results, loaded, args.out, scanned=scanned)
    scan = scanned.attrs.get("scan", {})
    print(
        f"{loaded.n_photos} photos in {len(loaded.class_names)} classes from {loaded.source} "
        f"(decoded in {scan.get('seconds', 0):.1f} s, {scan.get('photos_per_s') or 0:.0f} photos/s, "
        f"{scan.get('workers', 1)} worker(s))"
    )
    for result in results:
        print(f"  {result.name}: {result.summary}")
    for kind, path in paths.items():
        print(f"report {kind}: {path}")
    return 0
