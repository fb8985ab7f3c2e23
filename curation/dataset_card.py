"""The dataset card of a curated split directory (pure: numbers in, README.md text out).

Also the one place that names a split protocol in words ("group-aware split 70/15/15, seed 0"),
used by the model card too, so a model and its data describe the split the same way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from huggingface_hub import DatasetCardData

from curation.alphabet import describe_class, is_ukrainian
from curation.manifest import SPLIT_NAMES

DEFAULT_DATA_LICENSE = "unknown"  # the data's licence is the owner's to state, never guessed
DATASET_TAGS = ["ukrsl-dactyl", "sign-language", "fingerspelling"]
# an absolute local path inside free text ("folder /home/me/photos", "C:\\data\\x"); not URLs or hub ids
_ABS_PATH = re.compile(r"(?<![\w.~:/\\])(?:/|[A-Za-z]:[\\/])[^\s'\"]*")


def strip_local_paths(text: str) -> str:
    """Absolute local paths in `text` → their last component: a published card must not reveal the user's disk."""

    def last(match: re.Match[str]) -> str:
        parts = [p for p in re.split(r"[\\/]", match.group(0)) if p]
        return parts[-1] if parts else match.group(0)

    return _ABS_PATH.sub(last, text)


def split_method(info: Mapping[str, Any]) -> str:
    """'group-aware', 'random' (stratified), or 'unknown', from splits.json's method."""
    method = str(info.get("method") or info.get("split_method") or "").lower()
    if not method:
        return "unknown"
    return "group-aware" if "group" in method else "random"


def ratios_text(info: Mapping[str, Any]) -> str:
    """'70/15/15' (train/validation/test, percent) or '' when not recorded."""
    ratios = info.get("ratios")
    if isinstance(ratios, Mapping):
        ratios = [ratios.get(k) for k in SPLIT_NAMES if k in ratios]
    if not ratios or any(not isinstance(r, int | float) for r in ratios):
        return ""
    scale = 100 if sum(ratios) <= 1.0 + 1e-6 else 1  # fractions or percents
    return "/".join(f"{r * scale:g}" for r in ratios)


def protocol(info: Mapping[str, Any]) -> str:
    """The split protocol in words: 'group-aware split 70/15/15 (train/validation/test), seed 0'."""
    text = f"{split_method(info)} split"
    ratios = ratios_text(info)
    if ratios:
        text += f" {ratios} (train/validation/test)"
    if info.get("seed") is not None:
        text += f", seed {info['seed']}"
    return text


def find_value(info: Mapping[str, Any], *keys: str) -> Any:
    """The first of `keys` found in info or one level down (splits.json may nest check settings)."""
    for key in keys:
        if info.get(key) is not None:
            return info[key]
    for value in info.values():
        if isinstance(value, Mapping):
            for key in keys:
                if value.get(key) is not None:
                    return value[key]
    return None


def ordered_splits(counts: Mapping[str, Any]) -> list[str]:
    """train, validation, test first (those present), then any other names (e.g. "all") sorted."""
    return [s for s in SPLIT_NAMES if s in counts] + sorted(s for s in counts if s not in SPLIT_NAMES)


def size_category(n: int) -> str:
    """The Hub's size_categories bucket for n examples."""
    for limit, name in (
        (1_000, "n<1K"),
        (10_000, "1K<n<10K"),
        (100_000, "10K<n<100K"),
        (1_000_000, "100K<n<1M"),
    ):
        if n < limit:
            return name
    return "n>1M"


def card_metadata(
    repo_id: str,
    info: Mapping[str, Any],
    counts: Mapping[str, Mapping[str, int]],
    license: str = DEFAULT_DATA_LICENSE,
) -> DatasetCardData:
    """The YAML header; `configs` matches push_to_hub's layout (data/<split>-*.parquet)."""
    names = list(info.get("class_names") or sorted({c for per in counts.values() for c in per}))
    total = sum(sum(per.values()) for per in counts.values())
    return DatasetCardData(
        license=license,
        task_categories=["image-classification"],
        language=["ukl"] if is_ukrainian(names) else None,  # ISO 639-3: Ukrainian Sign Language
        tags=DATASET_TAGS + (["ukrainian-sign-language"] if is_ukrainian(names) else []),
        pretty_name=repo_id.split("/")[-1],
        size_categories=[size_category(total)],
        configs=[
            {
                "config_name": "default",
                "data_files": [{"split": s, "path": f"data/{s}-*"} for s in ordered_splits(counts)],
            }
        ],
    )


def render_dataset_card(
    repo_id: str,
    info: Mapping[str, Any],
    counts: Mapping[str, Mapping[str, int]],
    *,
    license: str = DEFAULT_DATA_LICENSE,
    credits: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> str:
    """README.md for the dataset repo.

    info: splits.json (class_names, method, ratios, seed, source, thresholds...).
    counts: {split: {class: photos}} counted from the DatasetDict being pushed.
    columns: {column: feature type in words}, for the Fields section.
    """
    names = list(info.get("class_names") or sorted({c for per in counts.values() for c in per}))
    splits = ordered_splits(counts)
    totals = {s: sum(counts[s].values()) for s in splits}
    lines = [f"# {repo_id.split('/')[-1]}", ""]
    if is_ukrainian(names):
        lines += [
            f"Photos of {len(names)} letters of the Ukrainian Sign Language manual alphabet (дактилеми), "
            "one hand per photo, labelled by letter."
        ]
    else:
        lines += [
            f"Photos of {len(names)} hand-sign classes ({', '.join(names[:30])}), labelled by class. "
            "These are not the Ukrainian alphabet."
        ]
    lines += [
        "",
        f"{sum(totals.values())} photos: " + ", ".join(f"{totals[s]} {s}" for s in splits) + ".",
        "",
    ]

    lines += splits_section(info)
    lines += class_table(names, counts)
    if columns:
        lines += ["## Fields", ""] + [f"- `{c}`: {t}" for c, t in columns.items()] + [""]
    lines += [
        "## Use",
        "",
        "```python",
        "from datasets import load_dataset",
        f'ds = load_dataset("{repo_id}")',
        "```",
        "",
    ]
    lines += source_section(info, credits, license)
    yaml_text = card_metadata(repo_id, info, counts, license=license).to_yaml()
    return "---\n" + yaml_text + "\n---\n\n" + "\n".join(lines).rstrip() + "\n"


def splits_section(info: Mapping[str, Any]) -> list[str]:
    """## Splits: the protocol, what it keeps apart, near-duplicates and duplicates as splits.json records them."""
    lines = ["## Splits", "", f"- Protocol: {protocol(info)}."]
    if split_method(info) == "group-aware":
        group = find_value(info, "group_by", "group_column") or "group (signer/session)"
        lines += [f"- No {group} appears in more than one split."]
    elif split_method(info) == "random":
        lines += [
            "- Photos were assigned at random (stratified by class): the same signer can appear in several splits."
        ]
    threshold = find_value(info, "near_duplicate_threshold", "phash_threshold", "near_dup_threshold")
    if threshold is not None:
        lines += [
            f"- Near-duplicates: photos within perceptual-hash distance {threshold} were kept in the same split."
        ]
    duplicates = find_value(info, "duplicates", "n_duplicates")
    if duplicates is not None:
        lines += [f"- Duplicates found during curation: {duplicates}."]
    return lines + [
        "- Made with `sign-curate split`; `sign-curate check` reports balance, unreadable files and duplicates.",
        "",
    ]


def class_table(names: list[str], counts: Mapping[str, Mapping[str, int]]) -> list[str]:
    """## Photos per class: one row a class, one column a split, and the totals."""
    splits = ordered_splits(counts)
    totals = {s: sum(counts[s].values()) for s in splits}
    lines = [
        "## Photos per class",
        "",
        "| class | " + " | ".join(splits) + " | total |",
        "|---|" + "---:|" * (len(splits) + 1),
    ]
    ukrsl = is_ukrainian(names)  # describe_class also reads transliterations ("B" → Б): Ukrainian sets only
    for name in names:
        row = [counts[s].get(name, 0) for s in splits]
        lines.append(
            f"| {describe_class(name) if ukrsl else name} | " + " | ".join(map(str, row)) + f" | {sum(row)} |"
        )
    return lines + [
        "| **total** | " + " | ".join(str(totals[s]) for s in splits) + f" | {sum(totals.values())} |",
        "",
    ]


def source_section(info: Mapping[str, Any], credits: str | None, license: str) -> list[str]:
    """## Source and credits, then the licence (never a local path: a published card must not show the disk)."""
    lines = ["## Source and credits", ""]
    source = find_value(info, "source", "data_source")
    if source:
        lines.append(f"- Source: {strip_local_paths(str(source))}.")
    if credits:
        lines.append(credits)
    if not (source or credits):
        lines.append("The photos' authors were not recorded; add them with `sign-curate push --credits`.")
    return lines + [
        "",
        f"Licence: `{license}`."
        + (" The owner has not stated a licence yet." if license == "unknown" else ""),
        "",
    ]
