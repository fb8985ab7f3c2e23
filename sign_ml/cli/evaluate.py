"""`sign-ml evaluate RUN --data SPLITS`: metrics, confusion matrix and mistakes of a run on one split."""

from __future__ import annotations

import argparse

from curation.manifest import SPLIT_NAMES


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "run", help="run directory (holds model.safetensors + config.json); eval/<split>/ is written there"
    )
    parser.add_argument("--data", required=True, help="split directory made by `sign-curate split`")
    parser.add_argument("--split", default="test", choices=SPLIT_NAMES, help="default: test")
    parser.add_argument("--batch-size", type=int, default=64, help="photos per forward pass (default 64)")
    parser.add_argument("--device", default="cpu", help="cpu (default), cuda, cuda:1, ...")
    parser.add_argument(
        "--backend",
        default="torch",
        choices=["torch", "onnx", "auto"],
        help="torch (default: the reference numbers) | onnx | auto",
    )


def run(args: argparse.Namespace) -> int:
    from sign_ml.evaluate import evaluate_run, summary_lines

    interp = evaluate_run(
        args.run,
        args.data,
        split=args.split,
        batch_size=args.batch_size,
        device=args.device,
        backend=args.backend,
    )
    for line in summary_lines(interp, args.split, args.run):
        print(line)
    return 0
