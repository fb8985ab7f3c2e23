"""The dataset commands as library calls: `check_dataset` (what `sign-curate check` runs) and `split_dataset`
(what `sign-curate split` runs). Each returns its outcome with the lines a terminal shows (`lines` for
stdout, `warnings` for stderr), so the CLIs and the app word results alike; nothing here prints.
Both take the engine that runs the per-photo work (`curation.engines`; None: this machine's cores).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from curation.checks.balance import MIN_COUNT
from curation.checks.duplicates import DEFAULT_NEAR_DUP_THRESHOLD, near_duplicate_clusters
from curation.loading import SKIP_UNREADABLE
from curation.manifest import SPLIT_NAMES
from curation.splitting import (
    assign_splits,
    clip_counts,
    group_from_pattern,
    merge_units,
    parse_ratios,
    source_units,
    split_counts,
    split_method,
    split_names,
    split_notes,
)

if TYPE_CHECKING:
    from curation.engines import LocalEngine, RayEngine

    Engine = LocalEngine | RayEngine

log = logging.getLogger(__name__)
_SHOW = 10  # unreadable files listed on the terminal (all of them go to splits.json)


@dataclass
class Outcome:
    """What a command wrote and the lines it reports (stdout `lines`, stderr `warnings`)."""

    paths: dict[str, Path] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    info: dict[str, Any] = field(default_factory=dict)


def _local_engine() -> Engine:
    from curation.engines import LocalEngine

    return LocalEngine()


# --------------------------------------------------------------------------- check
def check_dataset(
    data: str | Path,
    out: str | Path,
    *,
    group_column: str | None = None,
    workers: int | None = None,
    progress: bool = True,
    checks: list[str] | None = None,
    hands: bool = True,
    min_count: int = MIN_COUNT,
    engine: Engine | None = None,
) -> Outcome:
    """Load DATA, decode every photo once, run the checks (`checks`: a subset by name) and write the report."""
    from curation.loading import load_table
    from curation.report import available_checks, loading_findings, run_checks, write_report
    from curation.split_io import refuse_inside_data

    engine = engine or _local_engine()
    loaded = load_table(data, group_column=group_column)
    if loaded.root is not None:  # a report inside the data would be loaded as photos next time
        refuse_inside_data(out, loaded.root)
    scanned = engine.scan_table(loaded.table, workers=workers, progress=progress)
    names = checks
    if not hands:
        names = [n for n in (names or available_checks()) if n != "hands"]
    elif names is None or "hands" in names:
        scanned, _ = engine.add_hand_columns(scanned, progress=progress, workers=workers)
    results = [loading_findings(loaded)] + run_checks(
        scanned,
        names,
        class_names=loaded.class_names,
        empty_classes=loaded.empty_classes,
        min_count=min_count,
    )
    paths = write_report(results, loaded, out, scanned=scanned)
    scan = scanned.attrs.get("scan", {})
    lines = [
        f"{loaded.n_photos - loaded.n_clips} photos"
        + (f" and {loaded.n_clips} clips" if loaded.n_clips else "")
        + f" in {len(loaded.class_names)} classes from {loaded.source} "
        f"(decoded in {scan.get('seconds', 0):.1f} s, {scan.get('photos_per_s') or 0:.0f} photos/s, "
        f"{scan.get('workers', 1)} worker(s))"
    ]
    lines += [f"  {result.name}: {result.summary}" for result in results]
    lines += [f"report {kind}: {path}" for kind, path in paths.items()]
    return Outcome(paths={k: Path(v) for k, v in paths.items()}, lines=lines)


# --------------------------------------------------------------------------- split
@dataclass(frozen=True)
class SplitOptions:
    """How to split (the `sign-curate split` flags; the defaults are the CLI's)."""

    ratios: str = "85,10,5"  # train,validation[,test]: 85,10,5 or 0.85,0.1,0.05 or 70/15/15
    group_pattern: str | None = None  # regex with one capture group taking the group from each relpath
    group_column: str | None = None  # metadata column naming the group (signer, session)
    seed: int = 0  # same seed, same split
    near_dup_threshold: int = DEFAULT_NEAR_DUP_THRESHOLD  # pHash bits within which photos stay together
    cluster: bool = True  # decode pass: near-duplicates kept together, unreadable files excluded
    small_classes: str = "error"  # error | train: a class with fewer photos (or signers) than splits
    workers: int | None = None  # decode processes (None: all cores)
    force: bool = False  # replace a non-empty out that is not a split directory
    progress: bool = True
    hands: bool = True  # run the hand stage: landmark columns travel with the split
    ignore_decisions: bool = False  # don't apply DATA/label_decisions.csv


def split_dataset(
    data: str | Path, out: str | Path, opts: SplitOptions = SplitOptions(), *, engine: Engine | None = None
) -> Outcome:
    """Load DATA, apply its label decisions, decode, assign every photo to a split, write OUT."""
    from curation.loading import load_table
    from curation.split_io import check_out_dir, write_splits

    engine = engine or _local_engine()
    ratios = parse_ratios(opts.ratios)
    _check_split_options(opts)
    loaded = load_table(data, group_column=opts.group_column)
    check_out_dir(out, loaded.root, opts.force)  # fail before the slow scan, not after
    result = Outcome()
    table = loaded.table.drop(columns=["split"], errors="ignore")  # an existing split layout is re-split
    if "split" in loaded.table.columns:
        log.info("%s already has splits; they are replaced by a new split of all %d photos", data, len(table))
    decisions = None
    if loaded.root is not None and not opts.ignore_decisions:
        table, decisions = _apply_label_decisions(table, loaded.root, loaded.class_names, result)
    table, group_col, group_source = _groups(table, opts)
    if not opts.progress:
        import datasets  # its save_to_disk bars too

        datasets.disable_progress_bars()
    table, excluded, clusters = _decode_pass(table, data, opts, engine)
    near_clusters = clusters
    if clusters is not None and (sources := source_units(table)).ne("").any():
        # clips of one video (or one source photo) stay in one split, with that photo, like near-duplicates
        clusters = merge_units(clusters.astype(str), sources)
    if opts.hands:  # landmarks, handedness and box travel with the split: training never detects again
        table, found = engine.add_hand_columns(table, progress=opts.progress, workers=opts.workers)
        result.lines.append(found.line())
    present = set(table["label"])
    class_names = [c for c in loaded.class_names if c in present]  # alphabet order, minus emptied classes
    split = assign_splits(
        table,
        ratios=ratios,
        seed=opts.seed,
        group_col=group_col,
        clusters=clusters,
        small_classes=opts.small_classes,
    )
    out_table = _out_table(table, split, clusters)
    counts = split_counts(out_table, out_table["split"], class_names)
    train_only = [c for c in class_names if all(counts[s][c] == 0 for s in counts if s != "train")]
    result.info = {
        "data_root": str(loaded.root) if loaded.root is not None else None,
        "source": loaded.source,
        "ratios": dict(zip(SPLIT_NAMES, ratios, strict=False)),
        "seed": opts.seed,
        "method": split_method(table, group_col, clusters),
        "group_source": group_source,
        "near_duplicate_threshold": opts.near_dup_threshold if opts.cluster else None,
        "near_duplicate_clusters": int((near_clusters.value_counts() > 1).sum())
        if near_clusters is not None
        else None,
        "clip_sources": _n_clip_sources(table),
        "train_only_classes": train_only if opts.small_classes == "train" else [],
        # what the split could not do, in words (near-duplicates joining signers, empty splits)
        "notes": split_notes(
            table,
            split,
            names=split_names(ratios),
            group_col=group_col,
            clusters=clusters,
            group_word="signer" if opts.group_column == "signer" else "group",
        ),
        # per class with clips: how many, in which split, from how many signers (the model card's lines)
        "clips": clip_counts(out_table.assign(split=split), group_col),
        "excluded": excluded,
        "skipped": len(loaded.skipped),
        "unreadable_folders": [path for path, reason in loaded.skipped if reason.startswith(SKIP_UNREADABLE)],
        "decisions": decisions,
    }
    written = write_splits(out_table, class_names, out, info=result.info, force=opts.force)
    result.paths = {"splits": Path(written)}
    _summary(result, Path(written), counts, class_names)
    return result


def _check_split_options(opts: SplitOptions) -> None:
    """Refuse contradictory or out-of-range options before anything is loaded."""
    if opts.group_pattern and opts.group_column:
        raise ValueError("give a group pattern or a group column, not both")
    if not 0 <= opts.near_dup_threshold <= 64:
        raise ValueError(f"--near-dup-threshold must be 0..64 bits, got {opts.near_dup_threshold}")


def _groups(table: pd.DataFrame, opts: SplitOptions) -> tuple[pd.DataFrame, str | None, str | None]:
    """The table (with a `group` column from the pattern, if one is given), the group column and where it came from."""
    if opts.group_pattern:
        table = table.assign(group=group_from_pattern(table["relpath"], opts.group_pattern))
        return table, "group", f"pattern {opts.group_pattern}"
    if opts.group_column:
        return table, "group", f"column {opts.group_column}"
    return table, None, None


def _out_table(table: pd.DataFrame, split: pd.Series, clusters: pd.Series | None) -> pd.DataFrame:
    """The table as written: its split, group and cluster columns filled in."""
    sizes = clusters.map(clusters.value_counts()) if clusters is not None else None
    return table.assign(
        split=split,
        group=table["group"].fillna("").astype(str) if "group" in table.columns else "",
        # the manifest names only real clusters (2+ photos); a lone photo's cluster is left empty
        cluster=clusters.astype(str).where(sizes > 1, "") if clusters is not None else "",
    )


def _n_clip_sources(table: pd.DataFrame) -> int:
    """How many source videos or photos the table's clips come from."""
    if "clip_source" not in table.columns:
        return 0
    return int(source_units(table).replace("", None).dropna().nunique())


def _decode_pass(
    table: pd.DataFrame, data: str | Path, opts: SplitOptions, engine: Engine
) -> tuple[pd.DataFrame, list[dict[str, str]], pd.Series | None]:
    """(the readable photos, the unreadable ones with their errors, near-duplicate clusters); no pass: as is."""
    if not opts.cluster:
        return table, [], None
    table = engine.scan_table(table, workers=opts.workers, progress=opts.progress)
    bad = table["error"].astype(str) != ""
    excluded = [
        {"relpath": r, "error": e}
        for r, e in zip(table.loc[bad, "relpath"], table.loc[bad, "error"], strict=True)
    ]
    table = table[~bad].reset_index(drop=True)
    if table.empty:
        raise ValueError(f"{data}: none of the {len(excluded)} photos could be decoded")
    return table, excluded, near_duplicate_clusters(table, opts.near_dup_threshold)


def _apply_label_decisions(
    table: pd.DataFrame, root: Path, class_names: list[str], result: Outcome
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
    result.lines.append(
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


def _summary(result: Outcome, out: Path, counts: dict[str, dict[str, int]], class_names: list[str]) -> None:
    """Per-split totals, what was kept together or left out, and where the files are."""
    info, lines, warnings = result.info, result.lines, result.warnings
    excluded = info["excluded"]
    frame = pd.DataFrame(counts).reindex(class_names)
    totals = frame.sum()
    lines.append(
        f"{info['method']} split of {int(totals.sum())} photos in {len(class_names)} classes "
        f"(seed {info['seed']}, ratios {'/'.join(f'{r:g}' for r in info['ratios'].values())})"
    )
    for name, total in totals.items():
        per_class = frame[name]
        lines.append(
            f"  {name:<10} {int(total):>7} photos  ({int(per_class.min())}-{int(per_class.max())} per class)"
        )
    if info["near_duplicate_clusters"]:
        lines.append(
            f"  {info['near_duplicate_clusters']} near-duplicate clusters kept within one split "
            f"(pHash ≤ {info['near_duplicate_threshold']} bits)"
        )
    if info.get("clip_sources"):
        lines.append(f"  clips of {info['clip_sources']} source video(s) or photo(s) kept within one split")
    if info["group_source"]:
        lines.append(f"  groups from {info['group_source']}: none crosses splits")
    lines += [f"  {note['text']}" for note in info["notes"]]
    if info["unreadable_folders"]:
        warnings.append(
            f"  {len(info['unreadable_folders'])} unreadable folder(s) skipped (their photos are not in the "
            f"splits): {', '.join(info['unreadable_folders'][:_SHOW])}"
        )
    if excluded:
        warnings.append(f"  {len(excluded)} unreadable file(s) left out of the splits:")
        warnings += [f"    {item['relpath']}: {item['error']}" for item in excluded[:_SHOW]]
        if len(excluded) > _SHOW:
            warnings.append(f"    ... and {len(excluded) - _SHOW} more (all listed in splits.json)")
    lines.append(f"manifest: {out / 'manifest.csv'}")
    lines.append(f"splits:   {out / 'splits.json'}")
    lines.append(f"dataset:  {out / 'dataset'}  (datasets.load_from_disk)")
