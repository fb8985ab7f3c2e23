"""Unreadable and odd files, from the scan columns (`error`, `flags`): one issue row per (file, problem).

Unusable (score 1.0): "unreadable" (not an image, corrupt), "truncated", "huge" (refused by the
decompression-bomb guard), "missing" (file gone since loading). Usable but odd (lower scores): every
decoder converts them the same way (`curation.images.load_rgb`), but other tools may not, and they
often mean a photo from an unusual pipeline (a clip file that cannot be read or fails validation is
"unreadable", its detail `read_clip`'s one line naming the file): "tiny" (< MIN_SIDE px, 0.8), "animated" (first frame
used, 0.5), "cmyk"/"16-bit"/… (0.3), "palette"/"alpha" (0.2), "exif-rotated" (0.1).
"""

from __future__ import annotations

import pandas as pd

from curation.checks import CheckResult, register
from curation.clips import is_clip_path
from curation.images import MIN_SIDE

UNUSABLE = ("unreadable", "truncated", "huge", "missing")
# flag from `inspect_image` -> (score, what it means for training)
ODD = {
    "tiny": (0.8, f"smaller than {MIN_SIDE} px on one side: too small to show a hand"),
    "animated": (0.5, "animated: only the first frame is used"),
    "cmyk": (0.3, "CMYK colour (print pipeline): converted to RGB on load"),
    "16-bit": (0.3, "16 bits per channel: scaled to 8 bits on load"),
    "32-bit int": (0.3, "32-bit integer pixels: scaled to 8 bits on load"),
    "float": (0.3, "floating-point pixels: converted on load"),
    "1-bit": (0.3, "1-bit black and white"),
    "ycbcr": (0.3, "YCbCr mode: converted to RGB on load"),
    "lab": (0.3, "Lab colour: converted to RGB on load"),
    "hsv": (0.3, "HSV mode: converted to RGB on load"),
    "palette": (0.2, "palette colours (GIF-style): converted to RGB on load"),
    "alpha": (0.2, "transparency: composited on white on load"),
    "exif-rotated": (0.1, "EXIF orientation tag: turned upright on load (other tools may not)"),
}
SCAN_NEEDED = ("error", "flags", "width", "height", "mode", "format")


def error_flag(error: str) -> str:
    """The kind of an `inspect_image` error message."""
    text = error.lower()
    if "too large" in text:
        return "huge"
    if "truncated" in text:
        return "truncated"
    if "not found" in text:
        return "missing"
    return "unreadable"


@register("integrity")
def check_integrity(table: pd.DataFrame) -> CheckResult:
    """Flag every file that cannot be decoded, and every odd-but-usable one, naming it by path."""
    missing = [c for c in SCAN_NEEDED if c not in table.columns]
    if missing:
        raise ValueError(f"integrity needs the scan columns {missing}: run curation.scan.scan_table first")
    rows: list[dict] = []
    for rec in table[["path", "label", "error", "flags", "width", "height", "mode", "format"]].itertuples(
        index=False
    ):
        base = {
            "path": rec.path,
            "label": rec.label,
            "width": int(rec.width),
            "height": int(rec.height),
            "mode": rec.mode,
            "format": rec.format,
        }
        if rec.error:
            rows.append({**base, "flag": error_flag(rec.error), "score": 1.0, "detail": rec.error})
            continue
        for flag in filter(None, str(rec.flags).split(";")):
            score, meaning = ODD.get(flag, (0.3, f"unusual: {flag}"))
            detail = f"{meaning} ({rec.width}×{rec.height} px)" if flag == "tiny" else meaning
            rows.append({**base, "flag": flag, "score": score, "detail": detail})
    columns = ["path", "flag", "score", "detail", "label", "width", "height", "mode", "format"]
    issues = pd.DataFrame(rows, columns=columns)
    counts = {str(k): int(v) for k, v in issues["flag"].value_counts().items()} if rows else {}
    n_unusable = int(issues["flag"].isin(UNUSABLE).sum())
    n_odd = int(issues.loc[~issues["flag"].isin(UNUSABLE), "path"].nunique())
    n_clips = int(table["path"].map(lambda p: is_clip_path(str(p))).sum()) if len(table) else 0
    stats = {
        "n_photos": int(len(table)),
        "n_clips": n_clips,
        "n_unusable": n_unusable,
        "n_odd": n_odd,
        "flag_counts": counts,
        "min_side": MIN_SIDE,
    }
    return CheckResult("integrity", _summary(stats), issues, stats)


def _summary(s: dict) -> str:
    if not s["flag_counts"]:
        if s.get("n_clips"):
            return (
                f"all {s['n_photos'] - s['n_clips']} photos decode and all {s['n_clips']} clips read cleanly"
            )
        return f"all {s['n_photos']} photos decode cleanly"

    def listed(flags: list[str]) -> str:
        return ", ".join(f"{s['flag_counts'][f]} {f}" for f in flags)

    unusable = [f for f in UNUSABLE if f in s["flag_counts"]]
    odd = sorted((f for f in s["flag_counts"] if f not in UNUSABLE), key=lambda f: -ODD.get(f, (0.3,))[0])
    parts = []
    if unusable:
        parts.append(f"{s['n_unusable']} unusable ({listed(unusable)})")
    if odd:
        parts.append(f"{s['n_odd']} odd but usable ({listed(odd)})")
    return "; ".join(parts)
