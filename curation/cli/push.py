"""`sign-curate push SPLITS --repo USER/NAME`: share curated splits on the Hub with a dataset card."""

from __future__ import annotations

import argparse

from curation.dataset_card import DEFAULT_DATA_LICENSE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "splits", help="split directory from `sign-curate split` (with dataset/ and splits.json)"
    )
    parser.add_argument("--repo", required=True, help="Hub dataset repo, USER/NAME (created if missing)")
    parser.add_argument("--private", action="store_true", help="create the dataset repo as private")
    parser.add_argument(
        "--dry-run", metavar="DIR", help="write Parquet files and README.md to DIR; upload nothing"
    )
    parser.add_argument(
        "--license",
        default=DEFAULT_DATA_LICENSE,
        help="the photos' licence, as the owner grants it (default: unknown)",
    )
    parser.add_argument("--credits", metavar="TEXT", help="the photos' authors, for the card's credits")


def run(args: argparse.Namespace) -> int:
    from curation.hub import push_splits

    result = push_splits(
        args.splits,
        args.repo,
        private=args.private,
        license=args.license,
        credits=args.credits,
        dry_run_dir=args.dry_run,
    )
    if args.dry_run:
        print(f"dataset folder written to {result} (nothing uploaded)")
    else:
        print(f"pushed {args.splits} to {result}")
    return 0
