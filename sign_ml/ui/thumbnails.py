"""Small JPEG copies of a model's evaluation photos, shipped beside the model.

A fresh clone has the model but not the photos it was evaluated on, so the Evaluation tab's galleries and
the Recognize tab's examples would be empty. `write_eval_thumbnails` (run by `recipes/demo_thumbnails.py`)
writes `MODEL/eval/<split>/thumbs/<relpath>.jpg` (longest side `side` px) for every photo that
`predictions.csv` names, plus a CREDITS.txt; `find_thumbnail` is how the app finds one again.
Full-size photos are never copied.
"""

from __future__ import annotations

import logging
from pathlib import Path, PurePosixPath

import pandas as pd

from curation.images import UnreadableImageError, load_rgb

log = logging.getLogger(__name__)

THUMBS = "thumbs"  # folder inside eval/<split>/
CREDITS = "CREDITS.txt"
SIDE = 256  # px: 2× the demo model's 128-px input, so a thumbnail predicts like its photo
QUALITY = 85  # JPEG quality: ~12 KB a photo


def thumbnail_name(relpath: str) -> PurePosixPath | None:
    """Where the thumbnail of `relpath` lives inside thumbs/; None for a path that would leave the folder."""
    rel = PurePosixPath(str(relpath).replace("\\", "/"))
    if not str(relpath) or rel.is_absolute() or ".." in rel.parts:
        return None
    return rel if rel.suffix.lower() in (".jpg", ".jpeg") else rel.with_name(rel.name + ".jpg")


def write_eval_thumbnails(
    model_dir: str | Path, data_root: str | Path, side: int = SIDE, quality: int = QUALITY, credit: str = ""
) -> dict[str, int]:
    """Write thumbnails of every photo in MODEL/eval/*/predictions.csv, looked up under `data_root` by relpath.

    credit: text written to thumbs/CREDITS.txt (who made the photos, under which licence).
    Returns {"written": n, "missing": m, "bytes": total size}. Idempotent: old thumbnails are replaced.
    """
    model_dir, data_root = Path(model_dir), Path(data_root).resolve()
    stats = {"written": 0, "missing": 0, "bytes": 0}
    for predictions in sorted(model_dir.glob("eval/*/predictions.csv")) + sorted(
        model_dir.glob("eval/predictions.csv")
    ):
        out = predictions.parent / THUMBS
        out.mkdir(exist_ok=True)
        for relpath in pd.read_csv(predictions)["relpath"].astype(str):
            name = thumbnail_name(relpath)
            source = (data_root / relpath).resolve()
            if name is None or not source.is_relative_to(data_root):
                log.warning("thumbnails: %r is not a path inside %s; skipped", relpath, data_root)
                stats["missing"] += 1
                continue
            try:
                image = load_rgb(source, max_side=side)
            except UnreadableImageError as exc:
                log.warning("thumbnails: %s", exc)
                stats["missing"] += 1
                continue
            target = out / name
            target.parent.mkdir(parents=True, exist_ok=True)
            image.save(target, format="JPEG", quality=quality, optimize=True)
            stats["written"] += 1
            stats["bytes"] += target.stat().st_size
        if credit:
            (out / CREDITS).write_text(credit.strip() + "\n", encoding="utf-8")
    return stats


def find_thumbnail(eval_dir: Path | None, relpath: str) -> Path | None:
    """The shipped thumbnail of `relpath` in eval_dir/thumbs/, or None (also for paths that would leave it).

    Containment is checked against the real path of the evaluation folder, not of thumbs/: a thumbs/ that
    is itself a symlink (to `/`, to a private folder) would otherwise make its target the root."""
    if eval_dir is None:
        return None
    name = thumbnail_name(relpath)
    if name is None:
        return None
    root = Path(eval_dir).resolve()
    path = (root / THUMBS / name).resolve()
    if not path.is_relative_to(root):
        log.warning("refused thumbnail %s: a symlink out of %s", name, root)
        return None
    return path if path.is_file() else None


def thumbnail_credit(eval_dir: Path | None) -> str:
    """The photos' credit line shipped with the thumbnails ("" when there is none)."""
    path = eval_dir / THUMBS / CREDITS if eval_dir is not None else None
    return path.read_text(encoding="utf-8").strip() if path is not None and path.is_file() else ""
