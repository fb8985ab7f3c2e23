"""`sign-ml space --model USER/NAME_OR_RUN --repo USER/SPACE`: assemble (and upload) the app as a Space."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model",
        required=True,
        help="Hub model id USER/NAME (served from the Hub), or a local run/model directory (copied in)",
    )
    parser.add_argument("--repo", required=True, help="Hub Space repo, USER/SPACE (created if missing)")
    parser.add_argument("--private", action="store_true", help="create the Space as private")
    parser.add_argument("--dry-run", metavar="DIR", help="write the Space folder to DIR and upload nothing")
    parser.add_argument("--license", help="licence in the Space's README (default: the template's)")


def run(args: argparse.Namespace) -> int:
    from sign_ml.space import push_space

    result = push_space(
        args.model, args.repo, private=args.private, license=args.license, dry_run_dir=args.dry_run
    )
    if args.dry_run:
        print(f"Space folder written to {result} (nothing uploaded); try it: cd {result} && python app.py")
    else:
        print(f"deployed to https://huggingface.co/spaces/{args.repo} ({result})")
    return 0
