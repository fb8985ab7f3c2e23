"""`sign-curate check DATA [--out DIR]`: load, decode every photo once, run the checks, write the report.

Exit 0 when the report was written, whatever it found; the dispatcher turns a load error (no such
folder, no photos at all, unreachable Hub id) into a one-line message and exit 2.
"""

from __future__ import annotations

import argparse

from curation.checks.balance import MIN_COUNT
from curation.cli.dispatch import worker_count
from curation.engines import add_engine_arguments, engine_from_args
from curation.pipeline import check_dataset


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
    names = [n.strip() for n in args.checks.split(",") if n.strip()] if args.checks else None
    engine = engine_from_args(args)
    outcome = check_dataset(
        args.data,
        args.out,
        group_column=args.group_column,
        workers=args.workers,
        progress=not args.no_progress,
        checks=names,
        hands=not args.no_hands,
        engine=engine,
        min_count=args.min_count,
    )
    for line in outcome.lines:
        print(line)
    return 0
