"""The hands check: photos the hand stage cannot use, from the hand columns (`curation.hand_cache`).

Flags (score): "no-hand" (1.0: nothing to learn from, and the model would answer "no hand found"),
"several-hands" (0.6: the largest hand is read; is it the signing one?), "hand-cut" (0.5: part of the hand
lies outside the photo, so fingers may be missing), "tiny-hand" (0.4: the hand's box is under
TINY_FRACTION of the photo's longer side; its landmarks are coarse).

Clips (`.clip.json`) are not run through the hand stage again: their hand frames were found when the clip
was made, and the scan counts them (`hand_frames` of `n_frames`). A clip is flagged "few-hand-frames" when
the hand shows in fewer than MIN_HAND_FRAME_SHARE of its frames or in fewer than MIN_HAND_FRAMES frames
(score 1.0 with no hand at all, else 0.8): its path is mostly guessed between gaps.
"""

from __future__ import annotations

import pandas as pd

from curation.checks import CheckResult, register
from curation.clips import is_clip_path
from curation.hand_cache import HAND_COLUMNS, detection_from_column

# The Record tab keeps a clip only when one hand is tracked in most frames; a clip below half is mostly
# interpolation between gaps, and one with fewer than 5 hand frames cannot show a path's shape (a Z has
# three strokes and two corners; at the slowest recording rate, 12 fps, a 0.6 s J is ~8 frames).
MIN_HAND_FRAME_SHARE = 0.5
MIN_HAND_FRAMES = 5
CUT_MARGIN = 0.01  # a landmark this far (fraction of the side) outside the photo counts as cut off
TINY_FRACTION = 0.1
FLAGS = {
    "no-hand": (1.0, "no hand found"),
    "several-hands": (0.6, "{n} hands found; the largest is read"),
    "hand-cut": (0.5, "the hand runs off the photo's edge"),
    "tiny-hand": (0.4, "the hand is small ({size:.0%} of the photo's longer side)"),
    "few-hand-frames": (0.8, "a hand in only {hands} of the clip's {frames} frames"),
}


def _clip_rows(table: pd.DataFrame) -> tuple[list[dict], int]:
    """Issue rows for clips with too few hand frames, and the number of readable clips."""
    clips = table[table["path"].map(lambda p: is_clip_path(str(p)))]
    if "hand_frames" not in clips.columns or "n_frames" not in clips.columns:
        return [], 0
    if "error" in clips.columns:  # unreadable clips: the integrity check reports them
        clips = clips[clips["error"].fillna("").astype(str) == ""]
    rows = []
    for path, label, hands, frames in clips[["path", "label", "hand_frames", "n_frames"]].itertuples(
        index=False
    ):
        hands, frames = int(hands), int(frames)
        if hands < MIN_HAND_FRAMES or hands < MIN_HAND_FRAME_SHARE * frames:
            score, text = FLAGS["few-hand-frames"]
            rows.append(
                {
                    "path": path,
                    "label": label,
                    "flag": "few-hand-frames",
                    "score": 1.0 if hands == 0 else score,
                    "detail": text.format(hands=hands, frames=frames),
                }
            )
    return rows, len(clips)


@register("hands")
def check_hands(table: pd.DataFrame) -> CheckResult:
    """Flag photos with no hand, several hands, a hand cut by the border, or a tiny hand."""
    missing = [c for c in HAND_COLUMNS if c not in table.columns]
    if missing:
        raise ValueError(f"hands needs the columns {missing}: run curation.hand_cache.add_hand_columns first")
    rows = []
    n_read = 0
    clip_rows, n_clips = _clip_rows(table)
    for path, label, value in table[["path", "label", "hand"]].itertuples(index=False):
        if is_clip_path(str(path)):
            continue
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
    issues = pd.DataFrame(rows + clip_rows, columns=["path", "flag", "score", "detail", "label"])
    counts = {str(k): int(v) for k, v in issues["flag"].value_counts().items()} if len(issues) else {}
    n_found = n_read - counts.get("no-hand", 0)
    timing = table.attrs.get("hands", {})
    stats = {
        "n_read": n_read,
        "n_found": n_found,
        "detection_rate": n_found / n_read if n_read else 0.0,
        "flag_counts": counts,
        "seconds": timing.get("seconds"),
        "n_clips": n_clips,
        "min_hand_frames": MIN_HAND_FRAMES,
        "min_hand_frame_share": MIN_HAND_FRAME_SHARE,
    }
    summary = f"hands found in {n_found} of {n_read} photos ({stats['detection_rate']:.1%})"
    if timing.get("seconds") is not None:
        summary += f" in {timing['seconds']:.1f} s"
    others = [f"{counts[f]} {f}" for f in FLAGS if f not in ("no-hand", "few-hand-frames") and f in counts]
    if others:
        summary += "; " + ", ".join(others)
    if n_clips:
        few = counts.get("few-hand-frames", 0)
        summary += f"; {few} of {n_clips} clips with too few hand frames"
    return CheckResult("hands", summary, issues, stats)
