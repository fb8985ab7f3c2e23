"""The hands check: photos the hand stage cannot use, from the hand columns (`curation.hand_cache`).

Flags (score): "no-hand" (1.0: nothing to learn from, and the model would answer "no hand found"),
"several-hands" (0.6: the largest hand is read; is it the signing one?), "hand-cut" (0.5: part of the hand
lies outside the photo, so fingers may be missing), "tiny-hand" (0.4: the hand's box is under
TINY_FRACTION of the photo's longer side; its landmarks are coarse).
"""

from __future__ import annotations

import pandas as pd

from curation.checks import CheckResult, register
from curation.hand_cache import HAND_COLUMNS, detection_from_column

CUT_MARGIN = 0.01  # a landmark this far (fraction of the side) outside the photo counts as cut off
TINY_FRACTION = 0.1
FLAGS = {
    "no-hand": (1.0, "no hand found"),
    "several-hands": (0.6, "{n} hands found; the largest is read"),
    "hand-cut": (0.5, "the hand runs off the photo's edge"),
    "tiny-hand": (0.4, "the hand is small ({size:.0%} of the photo's longer side)"),
}


@register("hands")
def check_hands(table: pd.DataFrame) -> CheckResult:
    """Flag photos with no hand, several hands, a hand cut by the border, or a tiny hand."""
    missing = [c for c in HAND_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"hands needs the columns {missing}: run curation.hand_cache.add_hand_columns first")
    rows = []
    n_read = 0
    for path, label, value in table[["path", "label", "hand"]].itertuples(index=False):
        detection = detection_from_column(value, str(path))
        if detection is None:  # unreadable: the integrity check reports it
            continue
        n_read += 1
        base = {"path": path, "label": label}
        if not detection.found:
            rows.append(
                {**base, "flag": "no-hand", "score": FLAGS["no-hand"][0], "detail": FLAGS["no-hand"][1]}
            )
            continue
        hand = detection.hand
        if len(detection.hands) > 1:
            score, text = FLAGS["several-hands"]
            rows.append(
                {
                    **base,
                    "flag": "several-hands",
                    "score": score,
                    "detail": text.format(n=len(detection.hands)),
                }
            )
        x0, y0, x1, y1 = hand.box
        if min(x0, y0) < -CUT_MARGIN or max(x1, y1) > 1 + CUT_MARGIN:
            score, text = FLAGS["hand-cut"]
            rows.append({**base, "flag": "hand-cut", "score": score, "detail": text})
        longer = max(detection.width, detection.height)
        size = max((x1 - x0) * detection.width, (y1 - y0) * detection.height) / longer
        if size < TINY_FRACTION:
            score, text = FLAGS["tiny-hand"]
            rows.append({**base, "flag": "tiny-hand", "score": score, "detail": text.format(size=size)})
    issues = pd.DataFrame(rows, columns=["path", "flag", "score", "detail", "label"])
    counts = {str(k): int(v) for k, v in issues["flag"].value_counts().items()} if rows else {}
    n_found = n_read - counts.get("no-hand", 0)
    timing = table.attrs.get("hands", {})
    stats = {
        "n_read": n_read,
        "n_found": n_found,
        "detection_rate": n_found / n_read if n_read else 0.0,
        "flag_counts": counts,
        "seconds": timing.get("seconds"),
    }
    summary = f"hands found in {n_found} of {n_read} photos ({stats['detection_rate']:.1%})"
    if timing.get("seconds") is not None:
        summary += f" in {timing['seconds']:.1f} s"
    others = [f"{counts[f]} {f}" for f in FLAGS if f != "no-hand" and f in counts]
    if others:
        summary += "; " + ", ".join(others)
    return CheckResult("hands", summary, issues, stats)
