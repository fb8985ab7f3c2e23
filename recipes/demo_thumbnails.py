"""Write the small JPEG thumbnails of a model's evaluation photos beside the model (MODEL/eval/<split>/thumbs/).

    .venv/bin/python recipes/demo_thumbnails.py models/demo ../shared/data/asl-letters-sample

A fresh clone has no photos: the app shows these in the Evaluation galleries and as the Recognize tab's
examples. Re-run after rebuilding the model (recipes/demo_asl.sh); it replaces the old thumbnails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sign_ml.ui.thumbnails import QUALITY, SIDE, write_eval_thumbnails  # noqa: E402

ASL_CREDIT = (
    '"American Sign Language Letters" v1, David Lee, Roboflow Public — Public Domain (RF100: CC BY 4.0)'
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model_dir", type=Path)
    parser.add_argument(
        "data_root", type=Path, help="the photo folder the model's predictions.csv relpaths are in"
    )
    parser.add_argument("--side", type=int, default=SIDE, help=f"longest side in px (default {SIDE})")
    parser.add_argument("--quality", type=int, default=QUALITY, help=f"JPEG quality (default {QUALITY})")
    parser.add_argument(
        "--credit", default=None, help="credit line for the photos (default: the ASL sample's)"
    )
    args = parser.parse_args(argv)
    if not args.data_root.is_dir():
        print(f"{args.data_root}: no such folder", file=sys.stderr)
        return 2
    credit = args.credit if args.credit is not None else ASL_CREDIT
    stats = write_eval_thumbnails(
        args.model_dir, args.data_root, side=args.side, quality=args.quality, credit=credit
    )
    print(
        f"{stats['written']} thumbnails, {stats['bytes'] / 1e6:.1f} MB; {stats['missing']} photos not found"
    )
    return 0 if stats["written"] and not stats["missing"] else 1


if __name__ == "__main__":
    sys.exit(main())
