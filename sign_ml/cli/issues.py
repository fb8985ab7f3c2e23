"""`sign-curate issues DATA`: photos that look mislabelled, most suspicious first.

Each hand is scored by a landmark model trained on the other folds (k-fold), and cleanlab's confident
learning picks the photos whose given letter disagrees with it. Label decisions (label_decisions.csv in
the data folder) are applied first unless --ignore-decisions. Registered under `sign-curate` (it is a curation
step) but lives here, in sign_ml, because it trains the landmark model.
"""

from __future__ import annotations

import argparse

from curation.engines import add_engine_arguments, engine_from_args


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "data", help="a folder of class folders (e.g. the recording workspace) or a split directory"
    )
    parser.add_argument(
        "--folds",
        type=int,
        default=5,
        help="k-fold training runs (default 5; fewer when a class has fewer photos)",
    )
    parser.add_argument("--top", type=int, default=20, help="candidates printed (default 20; --csv has all)")
    parser.add_argument("--csv", help="write the full ranking to this CSV file")
    parser.add_argument(
        "--config",
        help="YAML or JSON file of LandmarkConfig fields for the fold models "
        "(default: the landmark defaults)",
    )
    parser.add_argument(
        "--ignore-decisions",
        dest="decisions",
        action="store_false",
        help="ignore label_decisions.csv (check the photos as labelled on disk)",
    )
    add_engine_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from curation.fileio import atomic_write_text
    from sign_ml.config import LandmarkConfig
    from sign_ml.mislabels import find_mislabels

    if args.folds < 2:
        raise ValueError(f"--folds must be at least 2, got {args.folds}")
    if args.top < 0:
        raise ValueError(f"--top must be 0 or more, got {args.top}")
    if args.csv:  # before the slow part: a CSV in a class folder is read as a bad photo by the next check
        from curation.fileio import refuse_output_in_data
        from curation.split_io import data_roots_of

        refuse_output_in_data(args.csv, data_roots_of(args.data), "--csv")
    cfg = LandmarkConfig.from_file(args.config) if args.config else None
    engine = engine_from_args(args)
    result = find_mislabels(
        args.data,
        folds=args.folds,
        cfg=cfg,
        progress=True,
        apply_label_decisions=args.decisions,
        detect=engine.detect_files,
    )
    table = result.table
    if len(table):
        width = min(60, max(len("file"), *(len(r) for r in table["relpath"].head(args.top))))
        print(f"{'rank':>4}  {'file':<{width}}  given → suggested   p(given)  p(suggested)  quality")
        for r in table.head(args.top).itertuples(index=False):
            print(
                f"{r.rank:>4}  {r.relpath:<{width}}  {r.given:>5} → {r.suggested:<9}  {r.given_prob:8.3f}  "
                f"{r.suggested_prob:12.3f}  {r.quality:7.3f}"
            )
        if len(table) > args.top:
            print(
                f"... {len(table) - args.top} more"
                + (" (all in the CSV)" if args.csv else " (--csv writes all)")
            )
    else:
        print("no photo looks mislabelled")
    print(result.line())
    if args.csv:
        atomic_write_text(args.csv, table.to_csv(index=False))
        print(f"ranking written to {args.csv}")
    return 0
