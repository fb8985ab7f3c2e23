"""`sign-curate split DATA --out DIR`: reproducible stratified (optionally group-aware) splits.

Loads the photos, applies DATA/label_decisions.csv (relabel/exclude from mislabel review, see
`curation.decisions`; --ignore-decisions skips it), decodes each once (unreadable files are left out
and listed; the hashes keep near-duplicates together), assigns every photo to train/validation/test and writes
SPLITS/manifest.csv, splits.json and dataset/. The photos themselves are only read.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from curation.checks.duplicates import DEFAULT_NEAR_DUP_THRESHOLD, near_duplicate_clusters
from curation.cli.dispatch import worker_count
from curation.engines import add_engine_arguments, engine_from_args
from curation.loading import SKIP_UNREADABLE
from curation.manifest import SPLIT_NAMES
from curation.splitting import (
    SMALL_CLASS_POLICIES,
    assign_splits,
    group_from_pattern,
    parse_ratios,
    split_counts,
    split_method,
    split_names,
    split_notes,
)

log = logging.getLogger(__name__)
_SHOW = 10  # unreadable files listed on the terminal (all of them go to splits.json)


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


def run(args: argparse.Namespace) -> int:
    from curation.loading import load_table
    from curation.split_io import check_out_dir, write_splits

    ratios = parse_ratios(args.ratios)
    engine = engine_from_args(args)
    if not 0 <= args.near_dup_threshold <= 64:
        raise ValueError(f"--near-dup-threshold must be 0..64 bits, got {args.near_dup_threshold}")
    loaded = load_table(args.data, group_column=args.group_column)
    check_out_dir(args.out, loaded.root, args.force)  # fail before the slow scan, not after
    table = loaded.table.drop(columns=["split"], errors="ignore")  # an existing split layout is re-split
    if "split" in loaded.table.columns:
        log.info(
            "%s already has splits; they are replaced by a new split of all %d photos", args.data, len(table)
        )
    decisions = None
    if loaded.root is not None and not args.ignore_decisions:
        table, decisions = _apply_label_decisions(table, loaded.root, loaded.class_names)

    group_col, group_source = None, None
    if args.group_pattern:
        table = table.assign(group=group_from_pattern(table["relpath"], args.group_pattern))
        group_col, group_source = "group", f"pattern {args.group_pattern}"
    elif args.group_column:
        group_col, group_source = "group", f"column {args.group_column}"

    if args.no_progress:
        import datasets  # its save_to_disk bars too

        datasets.disable_progress_bars()
    excluded: list[dict[str, str]] = []
    clusters = None
    if not args.no_cluster:
        table = engine.scan_table(table, workers=args.workers, progress=not args.no_progress)
        bad = table["error"].astype(str) != ""
        excluded = [
            {"relpath": r, "error": e}
            for r, e in zip(table.loc[bad, "relpath"], table.loc[bad, "error"], strict=True)
        ]
        table = table[~bad].reset_index(drop=True)
        if table.empty:
            raise ValueError(f"{args.data}: none of the {len(excluded)} photos could be decoded")
        clusters = near_duplicate_clusters(table, args.near_dup_threshold)
    if not args.no_hands:  # landmarks, handedness and box travel with the split: training never detects again
        table, hands = engine.add_hand_columns(table, progress=not args.no_progress, workers=args.workers)
        print(hands.line())
    present = set(table["label"])
    class_names = [c for c in loaded.class_names if c in present]  # alphabet order, minus emptied classes

    split = assign_splits(
        table,
        ratios=ratios,
        seed=args.seed,
        group_col=group_col,
        clusters=clusters,
        small_classes=args.small_classes,
    )
    sizes = clusters.map(clusters.value_counts()) if clusters is not None else None
    out_table = table.assign(
        split=split,
        group=table["group"].fillna("").astype(str) if "group" in table.columns else "",
        # the manifest names only real clusters (2+ photos); a lone photo's cluster is left empty
        cluster=clusters.astype(str).where(sizes > 1, "") if clusters is not None else "",
    )
    counts = split_counts(out_table, out_table["split"], class_names)
    train_only = [c for c in class_names if all(counts[s][c] == 0 for s in counts if s != "train")]
    info = {
        "data_root": str(loaded.root) if loaded.root is not None else None,
        "source": loaded.source,
        "ratios": dict(zip(SPLIT_NAMES, ratios, strict=False)),
        "seed": args.seed,
        "method": split_method(table, group_col, clusters),
        "group_source": group_source,
        "near_duplicate_threshold": None if args.no_cluster else args.near_dup_threshold,
        "near_duplicate_clusters": int((clusters.value_counts() > 1).sum()) if clusters is not None else None,
        "train_only_classes": train_only if args.small_classes == "train" else [],
        # what the split could not do, in words (near-duplicates joining signers, empty splits)
        "notes": split_notes(
            table,
            split,
            names=split_names(ratios),
            group_col=group_col,
            clusters=clusters,
            group_word="signer" if args.group_column == "signer" else "group",
        ),
        "excluded": excluded,
        "skipped": len(loaded.skipped),
        "unreadable_folders": [path for path, reason in loaded.skipped if reason.startswith(SKIP_UNREADABLE)],
        "decisions": decisions,
    }
    out = write_splits(out_table, class_names, args.out, info=info, force=args.force)
    _print_summary(out, counts, class_names, info)
    return 0


def _apply_label_decisions(
    table: pd.DataFrame, root: Path, class_names: list[str]
) -> tuple[pd.DataFrame, dict[str, Any] | None]:
    """Relabel/exclude photos as ROOT/label_decisions.csv says (None when there is none), before the scan."""
    from curation.decisions import DECISIONS_FILE, apply_decisions, read_decisions

    path = root / DECISIONS_FILE
    decisions = read_decisions(root)
    if decisions.empty:
        return table, None
    table, summary = apply_decisions(table, decisions, class_names)
    if table.empty:
        raise ValueError(
            f"{path}: the decisions exclude every photo (use --ignore-decisions to split them all)"
        )
    applied = summary["relabelled"] + summary["excluded"]
    print(
        f"applied {applied} label decisions from {path}: "
        f"{summary['relabelled']} relabelled, {summary['excluded']} excluded"
    )
    if summary["unknown_files"]:
        unknown = summary["unknown_files"]
        log.warning(
            "%s: %d decision(s) name photos not in the data, ignored: %s%s",
            path,
            len(unknown),
            ", ".join(unknown[:_SHOW]),
            " ..." if len(unknown) > _SHOW else "",
        )
    return table, {"file": str(path), **summary}


def _print_summary(out, counts: dict[str, dict[str, int]], class_names: list[str], info: dict) -> None:
    """Per-split totals, what was kept together or left out, and where the files are."""
    excluded = info["excluded"]
    frame = pd.DataFrame(counts).reindex(class_names)
    totals = frame.sum()
    print(
        f"{info['method']} split of {int(totals.sum())} photos in {len(class_names)} classes "
        f"(seed {info['seed']}, ratios {'/'.join(f'{r:g}' for r in info['ratios'].values())})"
    )
    for name, total in totals.items():
        per_class = frame[name]
        print(
            f"  {name:<10} {int(total):>7} photos  ({int(per_class.min())}-{int(per_class.max())} per class)"
        )
    if info["near_duplicate_clusters"]:
        print(
            f"  {info['near_duplicate_clusters']} near-duplicate clusters kept within one split "
            f"(pHash ≤ {info['near_duplicate_threshold']} bits)"
        )
    if info["group_source"]:
        print(f"  groups from {info['group_source']}: none crosses splits")
    for note in info["notes"]:
        print(f"  {note['text']}")
    if info["unreadable_folders"]:
        print(
            f"  {len(info['unreadable_folders'])} unreadable folder(s) skipped (their photos are not in the "
            f"splits): {', '.join(info['unreadable_folders'][:_SHOW])}",
            file=sys.stderr,
        )
    if excluded:
        print(f"  {len(excluded)} unreadable file(s) left out of the splits:", file=sys.stderr)
        for item in excluded[:_SHOW]:
            print(f"    {item['relpath']}: {item['error']}", file=sys.stderr)
        if len(excluded) > _SHOW:
            print(f"    ... and {len(excluded) - _SHOW} more (all listed in splits.json)", file=sys.stderr)
    print(f"manifest: {out / 'manifest.csv'}")
    print(f"splits:   {out / 'splits.json'}")
    print(f"dataset:  {out / 'dataset'}  (datasets.load_from_disk)")
