"""`sign-ml push RUN --repo USER/NAME`: publish a run to the Hugging Face Hub with a model card."""

from __future__ import annotations

import argparse

from sign_ml.model_card import DEFAULT_LICENSE


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", help="training run directory (evaluated with `sign-ml evaluate`)")
    parser.add_argument("--repo", required=True, help="Hub model repo, USER/NAME (created if missing)")
    parser.add_argument("--private", action="store_true", help="create the repo as private")
    parser.add_argument("--dry-run", metavar="DIR", help="write the repo folder to DIR and upload nothing")
    parser.add_argument(
        "--split",
        default=None,
        help="evaluated split reported in the card (default: test when evaluated, else the split that was; "
        "a run with no evaluation is published with a card that says what is missing)",
    )
    parser.add_argument(
        "--license", default=DEFAULT_LICENSE, help=f"licence of the weights (default: {DEFAULT_LICENSE})"
    )
    parser.add_argument(
        "--dataset", metavar="ID", help="Hub dataset id of the training data, for the card's metadata"
    )
    parser.add_argument(
        "--credits", metavar="TEXT", help="the data's authors and licence, for the card's Credits"
    )


def run(args: argparse.Namespace) -> int:
    from sign_ml.hub import push_run

    result = push_run(
        args.run,
        args.repo,
        private=args.private,
        split=args.split,
        license=args.license,
        dataset_id=args.dataset,
        credits=args.credits,
        dry_run_dir=args.dry_run,
    )
    if args.dry_run:
        print(f"model repo folder written to {result} (nothing uploaded)")
    else:
        print(f"pushed {args.run} to https://huggingface.co/{args.repo} ({result})")
    return 0
