"""`sign-curate split DATA --out DIR`: reproducible stratified (optionally group-aware) splits.

Loads the photos, applies DATA/label_decisions.csv (relabel/exclude from mislabel review, see
`curation.decisions`; --ignore-decisions skips it), decodes each once (unreadable files are left out
and listed; the hashes keep near-duplicates together), assigns every photo to train/validation/test and writes
SPLITS/manifest.csv, splits.json and dataset/. The photos themselves are only read.
"""

from __future__ import annotations

import argparse
import sys

from curation.checks.duplicates import DEFAULT_NEAR_DUP_THRESHOLD
from curation.cli.dispatch import worker_count
from curation.engines import add_engine_arguments, engine_from_args
from curation.pipeline import SplitOptions, split_dataset
from curation.splitting import SMALL_CLASS_POLICIES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", help="folder of class folders, a saved dataset, or a Hub dataset id")
    parser.add_argument(
        "--out", required=True, help="split directory to write (manifest.csv, splits.json, dataset/)"
    )
    parser.add_argument(
        "--no-hands",
        action="store_true",
        help="don't run the hand stage (no landmark columns; training then detects itself)",
    )
    parser.add_argument(
        "--ratios",
        default="85,10,5",
        help="train,validation[,test]: 85,10,5 or 0.85,0.1,0.05 or 70/15/15 (default 85,10,5)",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "--group-pattern",
        metavar="REGEX",
        help=r"regex with one capture group taking the group from each relpath, e.g. '^[^/]+/(\w+?)_'",
    )
    group.add_argument(
        "--group-column",
        metavar="NAME",
        help="metadata column (metadata.csv/jsonl in DATA, or a dataset column) naming the group",
    )
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0): same seed, same split")
    parser.add_argument(
        "--near-dup-threshold",
        type=int,
        default=DEFAULT_NEAR_DUP_THRESHOLD,
        metavar="BITS",
        help=f"pHash bits (of 64) within which photos count as near-duplicates and stay in one split "
        f"(default {DEFAULT_NEAR_DUP_THRESHOLD})",
    )
    parser.add_argument(
        "--no-cluster",
        action="store_true",
        help="skip the decode pass: near-duplicates may cross splits and unreadable files are not "
        "excluded (faster)",
    )
    parser.add_argument(
        "--small-classes",
        choices=SMALL_CLASS_POLICIES,
        default="error",
        help="a class with fewer photos (or signers) than splits: stop with an error (default), or "
        "'train': hold out what it can (two signers: train and validation) and keep a one-photo class in train",
    )
    parser.add_argument(
        "--workers", type=worker_count, default=None, help="decode processes (default: all cores)"
    )
    parser.add_argument(
        "--force", action="store_true", help="replace a non-empty --out that is not a split directory"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.add_argument(
        "--ignore-decisions",
        action="store_true",
        help="don't apply DATA/label_decisions.csv (relabel/exclude decisions from mislabel review)",
    )
    add_engine_arguments(parser)


def options_from_args(args: argparse.Namespace) -> SplitOptions:
    return SplitOptions(
        ratios=args.ratios,
        group_pattern=args.group_pattern,
        group_column=args.group_column,
        seed=args.seed,
        near_dup_threshold=args.near_dup_threshold,
        cluster=not args.no_cluster,
        small_classes=args.small_classes,
        workers=args.workers,
        force=args.force,
        progress=not args.no_progress,
        hands=not args.no_hands,
        ignore_decisions=args.ignore_decisions,
    )


def run(args: argparse.Namespace) -> int:
    outcome = split_dataset(args.data, args.out, options_from_args(args), engine=engine_from_args(args))
    for line in outcome.lines:
        print(line)
    for line in outcome.warnings:
        print(line, file=sys.stderr)
    return 0
